"""The tensor-factorised network (DMTRL): per-task layers whose stacked weights are Tucker tensors.

Yang and Hospedales (2017) give every task ``t`` its own network and stack
the weights of layer ``l`` over the tasks into a tensor ``W^l`` of shape
(T, d_in, d_out) (``W^l[t]`` is task t's weight matrix).  Each tensor is
kept in Tucker form::

    W[t, i, o] = sum_{a, b, c} G[a, b, c] U_in[i, a] U_out[o, b] U_task[t, c]

with a core ``G`` (r_in, r_out, r_task) and factor matrices ``U_in``
(d_in, r_in), ``U_out`` (d_out, r_out), ``U_task`` (T, r_task).  ``G``,
``U_in`` and ``U_out`` are shared by every task; row ``t`` of ``U_task`` is
task t's own.  Task t's weights are ``W[t] = U_in K_t U_out^T`` with
``K_t = sum_c U_task[t, c] G[:, :, c]`` (r_in x r_out): every task reads its
input through the shared basis ``U_in``, writes through ``U_out``, and its
map between them is a combination of ``r_task`` shared cores.  At full
ranks (each the dimension of its mode) every tensor is reachable, so the
tasks are independent networks; lower ranks share.  Biases stay per task.

With ``dW`` the gradient of the objective in ``W``, ``Q_t = U_in K_t`` and
``P_t = dW_t U_out``, the factors' gradients are::

    dU_in  = sum_t P_t K_t^T            dU_out = sum_t dW_t^T Q_t
    dK_t   = U_in^T P_t                 dG[a, b, c] = sum_t dK_t[a, b] U_task[t, c]
    dU_task[t, c] = sum_{a, b} dK_t[a, b] G[a, b, c]

The weight decay ``alpha/2 sum_l ||W^l||_F^2`` is on the tensors themselves
(its gradient ``alpha W^l`` passes through the same chain), so the
objective is that of independent networks, restricted to the factorised
tensors.

Initialisation: each layer's per-task weights are drawn independently as
the other networks' (:func:`~._networks.linear_init`), and the tensor is
replaced by its truncated higher-order SVD (HOSVD: ``U_n`` the leading
``r_n`` left singular vectors of the mode-n unfolding, ``G`` the tensor
projected on them), the core rescaled so that the reconstruction has the
drawn tensor's Frobenius norm (the default initialisation's variance
``1 / (3 d_in)`` per weight).  DMTRL initialises the same way from
single-task networks trained first; random per-task draws skip that
training.
"""

import numbers

import numpy as np

from ._activations import ACTIVATIONS
from ._adversarial import task_block_mask
from ._layers import dense_backward, dense_forward, dropout_mask
from ._networks import linear_init


def tucker_ranks(rank, n_in, n_out, n_tasks):
    """``(r_in, r_out, r_task)`` of one layer from ``rank`` (an int for all three modes, or a
    triple), capped at the modes' dimensions and at the product of the other two ranks
    (a mode-n unfolding of a core has rank at most that product: more is redundant)."""
    r = [int(rank)] * 3 if isinstance(rank, numbers.Integral) else [int(v) for v in rank]
    r = [min(v, d) for v, d in zip(r, (n_in, n_out, n_tasks))]
    while True:
        capped = [min(r[k], r[(k + 1) % 3] * r[(k + 2) % 3]) for k in range(3)]
        if capped == r:
            return tuple(r)
        r = capped


def tucker_weights(core, U_in, U_out, U_task):
    """The tensor ``W`` (T, d_in, d_out) of the module docstring; returns ``(W, K, Q)``,
    ``K`` (T, r_in, r_out) and ``Q = U_in K`` (T, d_in, r_out) for :func:`tucker_backward`.

    Every product is one matrix product of reshapes: ``np.tensordot``'s overhead, then
    numpy's batched products of T small matrices, were most of a step on School (139 tasks).
    """
    r_in, r_out, r_task = core.shape
    n_in, n_out = U_in.shape[0], U_out.shape[0]
    T = U_task.shape[0]
    # K_t = sum_c U_task[t, c] G[:, :, c]
    K = (U_task @ core.reshape(r_in * r_out, r_task).T).reshape(T, r_in, r_out)
    # Q_t = U_in K_t, all t at once: U_in [K_1 ... K_T]
    Q = (U_in @ K.transpose(1, 0, 2).reshape(r_in, T * r_out)).reshape(n_in, T, r_out)
    Q = np.ascontiguousarray(Q.transpose(1, 0, 2))
    W = (Q.reshape(T * n_in, r_out) @ U_out.T).reshape(T, n_in, n_out)  # W_t = Q_t U_out^T
    return W, K, Q


def tucker_backward(dW, core, U_in, U_out, U_task, K, Q):
    """Gradients ``(dG, dU_in, dU_out, dU_task)`` for the gradient ``dW`` of ``W``."""
    T, n_in, n_out = dW.shape
    r_in, r_out, r_task = core.shape
    dW2 = dW.reshape(T * n_in, n_out)
    # P_t = dW_t U_out, laid out as [P_1 ... P_T] (n_in, T r_out)
    P = (dW2 @ U_out).reshape(T, n_in, r_out).transpose(1, 0, 2).reshape(n_in, T * r_out)
    dU_in = P @ K.transpose(0, 2, 1).reshape(T * r_out, r_in)  # sum_t P_t K_t^T
    dU_out = dW2.T @ Q.reshape(T * n_in, r_out)  # sum_t dW_t^T Q_t
    # dK_t = U_in^T P_t, as (T, r_in r_out)
    dK = (U_in.T @ P).reshape(r_in, T, r_out).transpose(1, 0, 2).reshape(T, r_in * r_out)
    dcore = (dK.T @ U_task).reshape(r_in, r_out, r_task)  # sum_t dK_t[a, b] U_task[t, c]
    dU_task = dK @ core.reshape(r_in * r_out, r_task)  # sum_ab dK_t[a, b] G[a, b, c]
    return dcore, dU_in, dU_out, dU_task


def hosvd(W, ranks):
    """Truncated higher-order SVD of ``W`` (T, d_in, d_out) at ``ranks`` (r_in, r_out, r_task):
    ``(core, U_in, U_out, U_task)``, exact when every rank is its unfolding's rank."""
    T, n_in, n_out = W.shape
    unfoldings = (np.moveaxis(W, 1, 0).reshape(n_in, -1), np.moveaxis(W, 2, 0).reshape(n_out, -1),
                  W.reshape(T, -1))
    U_in, U_out, U_task = (np.linalg.svd(M, full_matrices=False)[0][:, :r]
                           for M, r in zip(unfoldings, ranks))
    # G = W x_1 U_in^T x_2 U_out^T x_3 U_task^T
    core = np.einsum("tio,ia,ob,tc->abc", W, U_in, U_out, U_task, optimize=True)
    return core, U_in, U_out, U_task


class TuckerLayer:
    """One factorised layer's parameters: core, factors (shared), task factor rows and biases
    (per task)."""

    def __init__(self, buf, n_in, n_out, ranks):
        self.shape = (buf.n_tasks, int(n_in), int(n_out))
        self.ranks = ranks
        r_in, r_out, r_task = ranks
        # decay=False: the weight decay is on the reconstructed W (the net's penalty)
        self.core = buf.add((r_in, r_out, r_task), decay=False)
        self.U_in = buf.add((n_in, r_in), decay=False)
        self.U_out = buf.add((n_out, r_out), decay=False)
        self.U_task = buf.add((r_task,), per_task=True, decay=False)
        self.b = buf.add((n_out,), per_task=True, decay=False)

    def factors(self, buf, tasks=None):
        U_task = buf.params[self.U_task]
        return (buf.params[self.core], buf.params[self.U_in], buf.params[self.U_out],
                U_task if tasks is None else U_task[tasks])

    def weights(self, buf, tasks=None):
        return tucker_weights(*self.factors(buf, tasks))

    def write_grads(self, buf, dW, K, Q, add=False):
        grads = tucker_backward(dW, *self.factors(buf), K, Q)
        for index, g in zip((self.core, self.U_in, self.U_out, self.U_task), grads):
            if add:
                buf.grads[index] += g.astype(buf.dtype, copy=False)
            else:
                buf.grads[index][...] = g


class TuckerStack:
    """The factorised layers ``sizes[0] -> sizes[1] -> ...`` (the last is the output)."""

    def __init__(self, buf, sizes, ranks):
        self.sizes = [int(s) for s in sizes]
        self.layers = [TuckerLayer(buf, a, b, r)
                       for a, b, r in zip(self.sizes[:-1], self.sizes[1:], ranks)]


class TensorFactorisedNet:
    """One network ``n_features -> hidden... -> 1`` per task; every layer's weights over the
    tasks a Tucker tensor (see the module docstring)."""

    padded_input = True
    # The task networks share factors, not a representation: MGDA uses the shared parameters.
    has_representation = False

    def __init__(self, buf, n_features, n_tasks, hidden, activation, dropout, ranks, alpha):
        self.n_tasks = n_tasks
        self.activation = activation
        self.dropout = float(dropout)
        self.alpha = float(alpha)
        self._step_weights = None
        self.stack = TuckerStack(buf, [n_features, *hidden, 1], ranks)

    @property
    def layers(self):
        return self.stack.layers

    def initialize(self, buf, rng):
        """Independent per-task draws (:func:`linear_init`), each layer's tensor replaced by
        its truncated HOSVD with the core rescaled to the draw's norm."""
        for layer in self.layers:
            T, n_in, n_out = layer.shape
            W, bias = linear_init(rng, n_in, layer.shape, (T, n_out))
            core, U_in, U_out, U_task = hosvd(W, layer.ranks)
            norm = np.linalg.norm(core)
            core *= np.linalg.norm(W) / norm if norm > 0 else 1.0
            for index, value in zip((layer.core, layer.U_in, layer.U_out, layer.U_task, layer.b),
                                    (core, U_in, U_out, U_task, bias)):
                buf.params[index][...] = value

    def mode(self, stacked):
        return "padded" if stacked else "all"  # a task's network sees its own rows only

    def forward(self, buf, batch, train=False, rng=None):
        tasks = getattr(batch, "tasks", None)
        A = batch.Xp if batch.mode == "padded" else batch.X
        act = ACTIVATIONS[self.activation][0]
        last = len(self.layers) - 1
        cache = []
        for l, layer in enumerate(self.layers):
            W, K, Q = layer.weights(buf, tasks)
            b = buf.params[layer.b]
            if tasks is not None:
                b = b[tasks]
            fused = l < last and self.activation == "relu"
            Z = dense_forward(A, W.astype(A.dtype, copy=False), b, relu=fused)
            entry = {"input": A, "W": W, "K": K, "Q": Q}
            if l < last:
                if not fused:
                    Z = act(Z)
                entry["act"] = Z
                if train and self.dropout > 0:
                    entry["mask"] = dropout_mask(rng, Z.shape, self.dropout, Z.dtype)
                    Z = Z * entry["mask"]
            cache.append(entry)
            A = Z
        # The step's penalty gradient (right after the backward passes, before the parameters
        # change) reuses these weights instead of rebuilding them.
        self._step_weights = [(e["W"], e["K"], e["Q"]) for e in cache] if train else None
        return A[..., 0], cache

    def backward(self, buf, batch, dZ, cache):
        act_grad = ACTIVATIONS[self.activation][1]
        dA = dZ[..., None]
        dW = None
        for l in range(len(self.layers) - 1, -1, -1):
            layer, entry = self.layers[l], cache[l]
            if "act" in entry:
                if "mask" in entry:
                    dA = dA * entry["mask"]
                dA = act_grad(dA, entry["act"])
            A = entry["input"]
            dW = np.empty(entry["W"].shape, dtype=dA.dtype)
            dIn = np.empty(A.shape, dtype=dA.dtype) if l > 0 else None
            dense_backward(A, entry["W"], dA, dW, buf.grads[layer.b], dIn)
            layer.write_grads(buf, dW, entry["K"], entry["Q"])
            dA = dIn

    def owned_by(self, buf, tasks):
        """Mask over ``theta`` of ``tasks``' own parameters (their rows of ``U_task``, biases)."""
        return task_block_mask(buf, tasks)

    def shared_parameters(self):
        """Cores and factors (every task's loss reaches them); last the output layer's
        ``U_in``, the weights every task's output reads (GradNorm's ``W``)."""
        shared = [i for layer in self.layers for i in (layer.core, layer.U_out, layer.U_in)]
        return shared

    def penalty(self, buf, grad=True):
        """``alpha/2 sum_l ||W^l||_F^2`` (``grad=False``), or add its gradient (``alpha W^l``
        through the factors) to the gradients (``grad=True``)."""
        reuse = self._step_weights if grad else None
        self._step_weights = None  # used once, by the step that built it
        if self.alpha == 0:
            return None if grad else 0.0
        total = 0.0
        for l, layer in enumerate(self.layers):
            W, K, Q = reuse[l] if reuse is not None else layer.weights(buf)
            if grad:
                layer.write_grads(buf, self.alpha * W, K, Q, add=True)
            else:
                total += 0.5 * self.alpha * float(np.sum(W.astype(np.float64) ** 2))
        return None if grad else total

    def export(self, buf):
        coefs = [layer.weights(buf)[0].astype(buf.dtype, copy=False) for layer in self.layers]
        intercepts = [buf.params[layer.b].copy() for layer in self.layers]
        return coefs, intercepts, []

    def fitted_from(self, buf):
        """``cores_`` and ``factors_`` (``(U_in, U_out, U_task)`` per layer) from ``buf``."""
        cores, factors = [], []
        for layer in self.layers:
            core, U_in, U_out, U_task = (np.array(a, dtype=np.float64)
                                         for a in layer.factors(buf))
            cores.append(core)
            factors.append((U_in, U_out, U_task))
        return {"cores_": cores, "factors_": factors,
                "ranks_": [layer.ranks for layer in self.layers]}
