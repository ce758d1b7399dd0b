"""The sluice network: per-task networks whose layers' subspaces are mixed across tasks.

Ruder, Bingel, Augenstein and Sogaard (2019) generalise cross-stitch units.
Every task ``t`` has its own network; the output ``h_t^l`` (width ``h``) of
each hidden layer ``l`` is split into ``S`` subspaces of ``h / S`` units,
``h_t^l = [h_{t,1}^l, ..., h_{t,S}^l]``, and an alpha unit (a learned
``(T S) x (T S)`` matrix per layer) feeds every (task, subspace) pair a
mixture of all of them on the same row::

    h~_{t,s}^l = sum_{u, r} alpha^l[(t, s), (u, r)] h_{u,r}^l

(``alpha^l = I``: independent networks).  Layer ``l + 1`` of task ``t``
reads ``h~_t^l``.  Task ``t``'s linear output reads a learned combination of
its hidden layers' mixed outputs, with weights ``beta_t = softmax(b_t)`` over
the ``L`` layers (the betas, a convex combination)::

    f_t(x) = v_t . sum_l beta_{t,l} h~_t^l  +  c_t

and the subspaces of every task's every hidden layer are pushed apart by the
orthogonality penalty on their weights (``A_{t,s}^l``, the columns of layer
``l``'s weights ``W_t^l`` that compute subspace ``s``)::

    R = orthogonality * sum_t sum_l sum_{s < r} ||A_{t,s}^{l T} A_{t,r}^l||_F^2

With ``G = W^T W`` (h x h) and ``P = G`` off the diagonal blocks of the
subspaces, 0 on them, ``R = orthogonality/2 ||P||_F^2`` per (task, layer), and
its gradient is ``2 orthogonality W P``.
"""

import numpy as np

from ._activations import ACTIVATIONS
from ._adversarial import task_block_mask
from ._layers import dense_backward, dense_forward, dropout_mask
from ._networks import cross_stitch_init, linear_init


def subspace_mix(alpha, H, n_subspaces):
    """``alpha`` ((T S) x (T S)) applied to the (task, subspace) blocks of ``H`` (T, m, h).

    Returns ``(out, Hr)`` with ``Hr`` the (T S, m h / S) rearrangement of ``H`` that
    the backward pass reads.
    """
    T, m, h = H.shape
    S = n_subspaces
    Hr = np.ascontiguousarray(H.reshape(T, m, S, h // S).transpose(0, 2, 1, 3)).reshape(T * S, -1)
    out = (alpha @ Hr).reshape(T, S, m, h // S).transpose(0, 2, 1, 3).reshape(T, m, h)
    return out, Hr


def subspace_mix_backward(alpha, Hr, dOut, n_subspaces):
    """``(dalpha, dH)`` of :func:`subspace_mix` for the output gradient ``dOut`` (T, m, h):
    ``dalpha = D Hr^T`` and ``dHr = alpha^T D`` on the rearranged blocks ``D``."""
    T, m, h = dOut.shape
    S = n_subspaces
    D = np.ascontiguousarray(dOut.reshape(T, m, S, h // S).transpose(0, 2, 1, 3)).reshape(T * S, -1)
    dalpha = D @ Hr.T
    dHr = alpha.T @ D
    dH = dHr.reshape(T, S, m, h // S).transpose(0, 2, 1, 3).reshape(T, m, h)
    return dalpha, dH


def _block_mask(width, n_subspaces):
    """1 off the subspaces' diagonal blocks of a (width, width) matrix, 0 on them."""
    group = np.arange(width) // (width // n_subspaces)
    return (group[:, None] != group[None, :]).astype(np.float64)


def orthogonality_penalty(W, n_subspaces, strength):
    """``R`` of the module docstring for per-task weights ``W`` (T, n_in, h), and its
    gradient ``2 strength W P`` (same shape as ``W``)."""
    W64 = np.asarray(W, dtype=np.float64)
    P = (np.swapaxes(W64, -1, -2) @ W64) * _block_mask(W64.shape[-1], n_subspaces)
    return 0.5 * strength * float(np.sum(P * P)), 2.0 * strength * (W64 @ P)


def softmax_rows(B):
    B = np.asarray(B, dtype=np.float64)
    E = np.exp(B - B.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)


class SluiceStack:
    """The per-task hidden layers with their alpha units (parameters only; the net runs them)."""

    def __init__(self, buf, sizes, n_subspaces, mix):
        self.sizes = [int(s) for s in sizes]
        self.n_layers = len(self.sizes) - 1
        T = buf.n_tasks
        self.W = [buf.add((a, b), per_task=True, decay=True)
                  for a, b in zip(self.sizes[:-1], self.sizes[1:])]
        self.b = [buf.add((b,), per_task=True, decay=False) for b in self.sizes[1:]]
        TS = T * n_subspaces
        self.alpha = [buf.add((TS, TS), decay=False) if mix else None
                      for _ in range(self.n_layers)]


class SluiceNet:
    """One network ``n_features -> hidden...`` per task, alpha units after every hidden layer,
    beta layer combinations, linear outputs and the subspace orthogonality penalty."""

    padded_input = False
    # The task networks share no representation: MGDA falls back on the shared parameters.
    has_representation = False

    def __init__(self, buf, n_features, n_tasks, hidden, activation, dropout, n_subspaces,
                 orthogonality):
        self.n_tasks = n_tasks
        self.activation = activation
        self.dropout = float(dropout)
        self.n_subspaces = int(n_subspaces)
        self.orthogonality = float(orthogonality)
        self.mix = n_tasks * self.n_subspaces > 1
        self.stack = SluiceStack(buf, [n_features, *hidden], self.n_subspaces, self.mix)
        L, h = len(hidden), hidden[-1]
        self.beta = buf.add((L,), per_task=True, decay=False)  # logits b_t
        self.V = buf.add((h,), per_task=True, decay=True)
        self.c = buf.add((), per_task=True, decay=False)

    def initialize(self, buf, rng):
        """PyTorch's ``nn.Linear`` initialisation (every task's copy the same draw), alphas
        near the identity (0.9 on the diagonal, rows summing to 1), betas uniform."""
        st = self.stack
        for l, (a, b) in enumerate(zip(st.sizes[:-1], st.sizes[1:])):
            W, bias = linear_init(rng, a, (a, b), (b,))
            buf.params[st.W[l]][...] = W
            buf.params[st.b[l]][...] = bias
            if st.alpha[l] is not None:
                buf.params[st.alpha[l]][...] = cross_stitch_init(buf.n_tasks * self.n_subspaces)
        buf.params[self.beta][...] = 0.0
        h = st.sizes[-1]
        V, c = linear_init(rng, h, (h,), ())
        buf.params[self.V][...] = V
        buf.params[self.c][...] = c

    def mode(self, stacked):
        return "all"  # the alphas mix every task's activations on the same rows

    def forward(self, buf, batch, train=False, rng=None):
        st = self.stack
        act = ACTIVATIONS[self.activation][0]
        A = batch.X
        cache = []
        for l in range(st.n_layers):
            fused = self.activation == "relu"
            Z = dense_forward(A, buf.params[st.W[l]], buf.params[st.b[l]], relu=fused)
            if not fused:
                Z = act(Z)
            entry = {"input": A, "act": Z}
            if train and self.dropout > 0:
                entry["mask"] = dropout_mask(rng, Z.shape, self.dropout, Z.dtype)
                Z = Z * entry["mask"]
            if st.alpha[l] is not None:
                Z, entry["mixed_input"] = subspace_mix(buf.params[st.alpha[l]], Z,
                                                       self.n_subspaces)
            entry["out"] = Z
            cache.append(entry)
            A = Z
        beta = softmax_rows(buf.params[self.beta]).astype(A.dtype)  # (T, L)
        R = np.einsum("tl,ltmh->tmh", beta, np.array([e["out"] for e in cache]))
        V, c = buf.params[self.V], buf.params[self.c]
        out = np.einsum("tmh,th->tm", R, V) + c[:, None]
        return out, (cache, beta, R)

    def backward(self, buf, batch, dZ, cache):
        st = self.stack
        layers, beta, R = cache
        V = buf.params[self.V]
        buf.grads[self.V][...] = np.einsum("tmh,tm->th", R, dZ)
        buf.grads[self.c][...] = dZ.sum(axis=1)
        dR = dZ[:, :, None] * V[:, None, :]  # (T, m, h)
        # softmax: d b_t = beta_t * (g_t - beta_t . g_t), g_{t,l} = <dR_t, h~_t^l>
        g = np.array([np.einsum("tmh,tmh->t", dR, e["out"]) for e in layers]).T  # (T, L)
        buf.grads[self.beta][...] = beta * (g - np.sum(beta * g, axis=1, keepdims=True))
        act_grad = ACTIVATIONS[self.activation][1]
        dA = None
        for l in range(st.n_layers - 1, -1, -1):
            e = layers[l]
            dH = beta[:, l, None, None] * dR
            if dA is not None:
                dH += dA
            if st.alpha[l] is not None:
                da, dH = subspace_mix_backward(buf.params[st.alpha[l]], e["mixed_input"], dH,
                                               self.n_subspaces)
                buf.grads[st.alpha[l]][...] = da
            if "mask" in e:
                dH = dH * e["mask"]
            dH = act_grad(np.array(dH, dtype=dZ.dtype), e["act"])
            A = e["input"]
            dIn = np.empty(A.shape, dtype=dH.dtype) if l > 0 else None
            dense_backward(A, buf.params[st.W[l]], dH, buf.grads[st.W[l]],
                           buf.grads[st.b[l]], dIn)
            dA = dIn

    def owned_by(self, buf, tasks):
        """Mask over ``theta`` of ``tasks``' networks (layers, betas, outputs)."""
        return task_block_mask(buf, tasks)

    def shared_parameters(self):
        """The alpha units: the parameters every task's loss reaches (the last one last)."""
        return [i for i in self.stack.alpha if i is not None]

    def penalty(self, buf, grad=True):
        """The orthogonality penalty ``R`` (``grad=False``), or add its gradient (``grad=True``)."""
        if self.orthogonality == 0 or self.n_subspaces == 1:
            return None if grad else 0.0
        total = 0.0
        for i in self.stack.W:
            value, dW = orthogonality_penalty(buf.params[i], self.n_subspaces,
                                              self.orthogonality)
            if grad:
                buf.grads[i] += dW.astype(buf.dtype)
            total += value
        return None if grad else total

    def export(self, buf):
        st = self.stack
        coefs = [buf.params[i].copy() for i in st.W] + [buf.params[self.V][:, :, None].copy()]
        intercepts = [buf.params[i].copy() for i in st.b] + [buf.params[self.c][:, None].copy()]
        return coefs, intercepts, []

    def fitted_from(self, buf):
        """``alphas_`` (one (T S, T S) matrix per hidden layer, row ``t S + s`` the mixture
        task t's subspace s reads) and ``betas_`` (T, L), from the parameters in ``buf``."""
        st = self.stack
        TS = self.n_tasks * self.n_subspaces
        alphas = [buf.params[i].astype(np.float64) if i is not None else np.ones((1, 1))
                  for i in st.alpha]
        assert all(a.shape == (TS, TS) for a in alphas)
        return {"alphas_": alphas, "betas_": softmax_rows(buf.params[self.beta])}
