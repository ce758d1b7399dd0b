"""The two architectures as stacks of layers over one parameter buffer.

* :class:`HardSharingNet`: a trunk shared by every task, then one head per
  task.  Linear heads are one dense layer with an output column per task
  (``Z = H V + c``, (m, T)); deeper heads are per-task stacks.
* :class:`SoftSharingNet`: one network per task (per-task stacks from the
  input), optionally with cross-stitch units after every hidden layer, and
  the penalty ``lambda sum_t ||theta_t - theta_bar||^2`` on their parameters.

Networks hold no arrays: parameters live in a :class:`~._params.ParamBuffer`
passed to every call, and ``forward`` returns what ``backward`` needs, so one
network serves training (float32) and prediction (a float64 copy of the buffer).
"""

import numpy as np

from ._activations import ACTIVATIONS
from ._adversarial import task_block_mask
from ._kernels import (heads_backward, heads_forward, own_stitch_backward, own_stitch_forward,
                       soft_sharing_grad)
from ._layered_heads import LayeredLinearHeads
from ._layers import (cross_stitch_backward, cross_stitch_forward, dense_backward,
                      dense_forward, dropout_mask)


class Stack:
    """Dense layers ``sizes[0] -> sizes[1] -> ...`` with an activation after each.

    Parameters
    ----------
    buf : ParamBuffer
        Registers the weights (L2-decayed) and biases.
    sizes : sequence of int
        Layer widths, input first.
    activation : str
    per_task : bool
        One set of weights per task (3-D weights, leading axis the task).
    activate_last : bool
        Whether the last layer has the activation (and dropout): True for a
        trunk whose output is the shared representation, False for an output layer.
    dropout : float
        Rate of inverted dropout on every activated layer's output (training only).
    cross_stitch : bool
        A cross-stitch unit (T x T) after every hidden layer of a per-task stack.
    copies : int or None
        Without ``per_task``: this many networks (3-D weights, leading axis the
        copy) outside the per-task block (the adversarial tasks' heads).
    """

    def __init__(self, buf, sizes, activation, *, per_task, activate_last, dropout=0.0,
                 cross_stitch=False, copies=None):
        self.sizes = [int(s) for s in sizes]
        self.n_layers = len(self.sizes) - 1
        self.per_task = per_task
        self.activation = activation
        self.dropout = float(dropout)
        lead = () if copies is None else (int(copies),)
        self.W = [buf.add(lead + (a, b), per_task=per_task, decay=True)
                  for a, b in zip(self.sizes[:-1], self.sizes[1:])]
        self.b = [buf.add(lead + (b,), per_task=per_task, decay=False) for b in self.sizes[1:]]
        self.activated = [l < self.n_layers - 1 or activate_last for l in range(self.n_layers)]
        T = buf.n_tasks
        self.cs = [buf.add((T, T), decay=False) if cross_stitch and l < self.n_layers - 1 else None
                   for l in range(self.n_layers)]

    def initialize(self, buf, rng):
        """PyTorch's ``nn.Linear`` initialisation (:func:`linear_init`; every task's copy
        the same draw), cross-stitch units near the identity."""
        for l, (a, b) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            W, bias = linear_init(rng, a, (a, b), (b,))
            buf.params[self.W[l]][...] = W
            buf.params[self.b[l]][...] = bias
            if self.cs[l] is not None:
                buf.params[self.cs[l]][...] = cross_stitch_init(buf.n_tasks)

    def forward(self, buf, A, train=False, rng=None, tasks=None, own=None):
        """Output of the stack on ``A``; returns ``(out, cache)``.

        ``tasks`` (per-task stacks, prediction only) restricts the networks
        to those tasks: ``A`` is then (len(tasks), m, n_in).
        ``own`` (per-task stacks of one output, read on 2-D ``A`` (m, n_in)):
        row i's task; every network runs on every row up to the last hidden
        layer (the cross-stitch units read them all), then only row i's task
        takes the last unit's mixture and the output layer: ``out`` is (m,),
        row i's own task's output.
        """
        act = ACTIVATIONS[self.activation][0]
        cache = []
        last = self.n_layers - 1
        for l in range(self.n_layers):
            W, b = buf.params[self.W[l]], buf.params[self.b[l]]
            if tasks is not None:
                W, b = W[tasks], b[tasks]
            if own is not None and l == last:  # the row's own task's output layer
                z = np.empty(A.shape[0], dtype=np.result_type(A, W))
                heads_forward(A, W[..., 0].astype(z.dtype, copy=False),
                              b[..., 0].astype(z.dtype, copy=False), own, z)
                cache.append({"input": A})
                return z, cache
            fused_relu = self.activated[l] and self.activation == "relu"
            Z = dense_forward(A, W, b, relu=fused_relu)
            entry = {"input": A}
            if self.activated[l]:
                if not fused_relu:
                    Z = act(Z)
                entry["act"] = Z
                if train and self.dropout > 0:
                    mask = dropout_mask(rng, Z.shape, self.dropout, Z.dtype)
                    entry["mask"] = mask
                    Z = Z * mask
                if self.cs[l] is not None:
                    entry["cs_input"] = Z
                    alpha = buf.params[self.cs[l]]
                    if own is not None and l == last - 1:  # read by the own task only
                        M = np.empty(Z.shape[1:], dtype=Z.dtype)
                        own_stitch_forward(alpha.astype(Z.dtype, copy=False), Z, own, M)
                        Z = M
                    else:
                        Z = cross_stitch_forward(alpha, Z)
            cache.append(entry)
            A = Z
        return A, cache

    def backward(self, buf, dOut, cache, input_grad=False, extra=None, own=None):
        """Write the parameter gradients; return the gradient of the input if asked.

        ``extra`` maps a layer ``l`` to a gradient added at its output (read by
        something else besides layer ``l + 1``: heads at lower depths).
        ``own``: as in :meth:`forward` (``dOut`` (m,), row i's own output).
        """
        act_grad = ACTIVATIONS[self.activation][1]
        dA = dOut
        last = self.n_layers - 1
        for l in range(self.n_layers - 1, -1, -1):
            if extra and l < self.n_layers - 1 and l in extra:
                dA = dA + extra[l]
            entry = cache[l]
            if own is not None and l == last:  # the own task's output layer
                A = entry["input"]
                dIn = np.empty(A.shape, dtype=dA.dtype) if l > 0 or input_grad else None
                heads_backward(A, buf.params[self.W[l]][..., 0], dA, own,
                               buf.grads[self.W[l]][..., 0], buf.grads[self.b[l]][..., 0],
                               np.empty((0, 0), dtype=dA.dtype) if dIn is None else dIn,
                               dIn is not None)
                dA = dIn
                continue
            if self.activated[l]:
                if self.cs[l] is not None and own is not None and l == last - 1:
                    cs_input = entry["cs_input"]
                    dMixed = np.empty(cs_input.shape, dtype=dA.dtype)
                    alpha = buf.params[self.cs[l]]
                    own_stitch_backward(alpha.astype(dA.dtype, copy=False), cs_input, own, dA,
                                        buf.grads[self.cs[l]], dMixed)
                    dA = dMixed
                elif self.cs[l] is not None:
                    dA = cross_stitch_backward(buf.params[self.cs[l]], entry["cs_input"], dA,
                                               buf.grads[self.cs[l]])
                if "mask" in entry:
                    dA = dA * entry["mask"]
                dA = act_grad(dA, entry["act"])
            A = entry["input"]
            need = l > 0 or input_grad
            dIn = np.empty(A.shape, dtype=dA.dtype) if need else None
            dense_backward(A, buf.params[self.W[l]], dA, buf.grads[self.W[l]],
                           buf.grads[self.b[l]], dIn)
            dA = dIn
        return dA


    def last_weight_grad(self, buf, dOut, cache):
        """The gradient of the last layer's weights for the output gradient ``dOut`` alone
        (nothing written): ``A^T dZ`` with ``dZ`` back through the activation and dropout."""
        entry = cache[-1]
        dZ = np.array(dOut, copy=True)
        if self.activated[-1]:
            if "mask" in entry:
                dZ *= entry["mask"]
            dZ = ACTIVATIONS[self.activation][1](dZ, entry["act"])
        return np.swapaxes(entry["input"], -1, -2) @ dZ


def linear_init(rng, fan_in, weight_shape, bias_shape):
    """Weights and biases drawn from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.

    PyTorch's default for ``nn.Linear`` (Kaiming-uniform with ``a = sqrt(5)``, whose
    bound is ``sqrt(6 / ((1 + a^2) fan_in)) = 1/sqrt(fan_in)``, and the same bound for
    the bias).  It replaced Glorot-uniform, ``U(+-sqrt(6 / (fan_in + fan_out)))``: with
    Adam every step moves a parameter by about ``learning_rate_init`` whatever its
    scale, so the smaller weights (variance ``1/(3 fan_in)`` against Glorot's
    ``2/(fan_in + fan_out)``, 2.6 times smaller for 50 -> 64) change faster relative
    to their size.  Measured on the reference problem of ``benchmarks/bench_neural.py``
    (trunk 2 x 64, 20 epochs, three seeds, mean of three initialisations): test MSE
    0.428 / 0.316 / 0.461 with Glorot, 0.263 / 0.190 / 0.264 with this, 0.243 / 0.181 /
    0.260 for PyTorch with its defaults.
    """
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, weight_shape), rng.uniform(-bound, bound, bias_shape)


def cross_stitch_init(n_tasks, self_weight=0.9):
    """``0.9`` on the diagonal, the rest shared equally: rows sum to 1 (Misra et al.'s
    near-identity initialisation, alpha_S = 0.9, alpha_D = 0.1 for two tasks)."""
    if n_tasks == 1:
        return np.ones((1, 1))
    off = (1.0 - self_weight) / (n_tasks - 1)
    return np.full((n_tasks, n_tasks), off) + (self_weight - off) * np.eye(n_tasks)


class LinearHeads:
    """One linear head per task on a representation ``H`` (m, h): ``z_t = H w_t + c_t``.

    The weights are one (T, h) array (row t is task t's head).  In the shared
    layout every head runs on every row (``Z = H W^T + c``, (m, T), one matrix
    product); in the per-task layout each row goes through its own task's head
    only (numba kernels, ``O(m h)`` instead of ``O(m h T)``).
    """

    def __init__(self, buf, width, n_tasks):
        self.sizes = [width, n_tasks]
        self.W = buf.add((n_tasks, width), decay=True)
        self.b = buf.add((n_tasks,), decay=False)

    def initialize(self, buf, rng):
        """As one dense layer ``width -> n_tasks`` (:func:`linear_init`): each head reads
        ``width`` inputs."""
        T, h = buf.params[self.W].shape
        W, bias = linear_init(rng, h, (T, h), (T,))
        buf.params[self.W][...] = W
        buf.params[self.b][...] = bias

    def forward(self, buf, H, batch):
        W, b = buf.params[self.W], buf.params[self.b]
        if batch.mode == "gather":
            z = np.empty(H.shape[0], dtype=np.result_type(H, W))
            heads_forward(H, W.astype(z.dtype, copy=False), b.astype(z.dtype, copy=False),
                          batch.task, z)
            return z
        return dense_forward(H, W.T, b)

    def backward(self, buf, H, batch, dZ, input_grad):
        W, dW, db = buf.params[self.W], buf.grads[self.W], buf.grads[self.b]
        dH = np.empty(H.shape, dtype=dZ.dtype) if input_grad else None
        if batch.mode == "gather":
            heads_backward(H, W, dZ, batch.task, dW, db,
                           dH if input_grad else np.empty((0, 0), dtype=dZ.dtype), input_grad)
            return dH
        np.matmul(dZ.T, H, out=dW)  # dW[t] = sum_i dZ[i, t] H[i]
        np.sum(dZ, axis=0, out=db)
        if input_grad:
            np.matmul(dZ, W, out=dH)
        return dH


class HardSharingNet:
    """Shared trunk ``n_features -> hidden...``, then a head per task."""

    padded_input = False

    def __init__(self, buf, n_features, n_tasks, hidden, head_hidden, activation, dropout,
                 task_layers=None, adversarial=None, adversary_hidden=None):
        self.n_tasks = n_tasks
        self.linear_heads = len(head_hidden) == 0
        self.trunk = Stack(buf, [n_features, *hidden], activation, per_task=False,
                           activate_last=True, dropout=dropout)
        width = hidden[-1] if len(hidden) else n_features
        # low supervision: heads reading lower trunk layers (linear heads only)
        self.layered = task_layers is not None and np.any(np.asarray(task_layers)
                                                          != len(hidden))
        self.has_representation = self.trunk.n_layers > 0 and not self.layered
        if self.layered:
            self.heads = LayeredLinearHeads(buf, hidden, task_layers)
        elif self.linear_heads:
            self.heads = LinearHeads(buf, width, n_tasks)
        else:
            self.heads = Stack(buf, [width, *head_hidden, 1], activation, per_task=True,
                               activate_last=False, dropout=dropout)
        # adversarial tasks' heads of their own architecture (adversarial_layer_sizes; a
        # separate stack, so that they can be reset): one network per adversarial task beside
        # the heads, read where they read; the heads' copies of the adversarial tasks go
        # unused (their gradient is zero); with task_layers the adversarial heads are linear
        # heads among the others
        self.adversary = None
        self.adversarial = None
        if (adversarial is not None and np.any(adversarial) and adversary_hidden is not None
                and not (self.layered and not adversary_hidden)):
            if self.layered:
                raise ValueError("task_layers needs linear heads: set "
                                 "adversarial_layer_sizes=() (and head_layer_sizes=()).")
            self.adversarial = np.asarray(adversarial, dtype=bool)
            # adversary k of the k-th adversarial task (-1: none)
            self.adversary_of = np.cumsum(self.adversarial) - 1
            self.adversary_of[~self.adversarial] = -1
            self.adversary = Stack(buf, [width, *adversary_hidden, 1], activation,
                                   per_task=False, activate_last=False, dropout=dropout,
                                   copies=int(self.adversarial.sum()))

    def initialize(self, buf, rng):
        self.trunk.initialize(buf, rng)
        self.heads.initialize(buf, rng)
        if self.adversary is not None:
            self.adversary.initialize(buf, rng)

    def mode(self, stacked):
        if self.linear_heads:
            return "gather" if stacked else "rows"
        return "padded" if stacked else "all"

    def forward(self, buf, batch, train=False, rng=None):
        H, trunk_cache = self.trunk.forward(buf, batch.X, train, rng)
        if self.layered:  # every layer's output: layer l's is layer l+1's input
            Hs = [entry["input"] for entry in trunk_cache[1:]] + [H]
            return self.heads.forward(buf, Hs, batch), (trunk_cache, Hs)
        if self.linear_heads:
            Z = self.heads.forward(buf, H, batch)
            if self.adversary is None:
                return Z, (trunk_cache, H)
            Z, adv_cache = self._adversary_forward(buf, batch, H, Z, train, rng)
            return Z, (trunk_cache, H, adv_cache)
        tasks = getattr(batch, "tasks", None)
        if batch.mode == "padded":
            Hp = np.zeros((len(batch.tasks) if tasks is not None else self.n_tasks,
                           batch.width, H.shape[1]), dtype=H.dtype)
            Hp[batch.slot] = H[batch.order]
            H = Hp
        Z, head_cache = self.heads.forward(buf, H, train, rng, tasks=tasks)
        Z = Z[..., 0]
        if self.adversary is None:
            return Z, (trunk_cache, head_cache)
        Z, adv_cache = self._adversary_forward(buf, batch, H, Z, train, rng)
        return Z, (trunk_cache, head_cache, adv_cache)

    def _adversary_forward(self, buf, batch, H, Z, train, rng):
        """Replace the adversarial tasks' outputs in ``Z`` by their own heads' on ``H``.

        Each adversary runs on the rows the heads read: every row (``H`` 2-D,
        shared layout), its task's rows (padded), or, in the per-task layout
        with linear heads ("gather"), the rows of adversarial tasks, each row
        keeping its own task's adversary's output.
        """
        if batch.mode == "gather":  # Z (m,): row i of task batch.task[i]
            rows = np.flatnonzero(self.adversarial[batch.task])
            Za, cache = self.adversary.forward(buf, H[rows], train, rng)
            Z = Z.copy()
            Z[rows] = Za[self.adversary_of[batch.task[rows]], np.arange(len(rows)), 0]
            return Z, (cache, rows)
        if batch.mode == "rows":  # Z (m, T)
            Za, cache = self.adversary.forward(buf, H, train, rng)
            Z = Z.copy()
            Z[:, self.adversarial] = Za[..., 0].T
            return Z, (cache, None)
        # "all" (H (m, h)) / "padded" (H (tasks, width, h)): Z (tasks, m)
        tasks = getattr(batch, "tasks", None)
        tasks = np.arange(self.n_tasks) if tasks is None else tasks
        mine = np.flatnonzero(self.adversarial[tasks])  # positions in Z
        which = self.adversary_of[tasks[mine]]
        A = H if batch.mode == "all" else H[mine]
        if len(which) < self.adversary_of.max() + 1:  # prediction on some tasks only
            Za, cache = self.adversary.forward(buf, A, train, rng, tasks=which)
        else:
            Za, cache = self.adversary.forward(buf, A, train, rng)
        Z = Z.copy()
        Z[mine] = Za[..., 0]
        return Z, (cache, mine)

    def adversary_forward(self, buf, batch, Z, cache, train=False, rng=None):
        """``forward``'s ``(Z, cache)`` with only the adversaries re-run, on the trunk output
        held in ``cache`` (from ``forward`` with the same parameters but the adversaries'):
        ``adversarial_steps``' extra updates move nothing else, so the trunk and the other
        heads need not run again."""
        H = cache[1] if self.linear_heads else cache[1][0]["input"]
        Z, adv_cache = self._adversary_forward(buf, batch, H, Z, train, rng)
        return Z, (*cache[:-1], adv_cache)

    def adversary_backward(self, buf, batch, dZ, cache):
        """Write the adversaries' parameter gradients only (``dZ`` nonzero on the adversarial
        tasks' outputs alone; the other parameters' gradients are left as they were)."""
        self._adversary_backward(buf, batch, dZ, cache[-1], has_trunk=False)

    def _adversary_backward(self, buf, batch, dZ, adv_cache, has_trunk):
        """Write the adversaries' gradients; return ``dZ`` without their entries and their
        gradient of the heads' input (None without a trunk)."""
        cache, where = adv_cache
        dZ = dZ.copy()
        if batch.mode == "gather":
            dA = np.zeros((self.adversary_of.max() + 1, len(where), 1), dtype=dZ.dtype)
            dA[self.adversary_of[batch.task[where]], np.arange(len(where)), 0] = dZ[where]
            dZ[where] = 0
        elif batch.mode == "rows":
            dA = np.ascontiguousarray(dZ[:, self.adversarial].T)[..., None]
            dZ[:, self.adversarial] = 0
        else:
            dA = np.ascontiguousarray(dZ[where])[..., None]
            dZ[where] = 0
        dIn = self.adversary.backward(buf, dA, cache, input_grad=has_trunk)
        return dZ, dIn

    def shared_output(self, cache):
        """The trunk's output ``H`` (n_rows, width) in ``forward``'s ``cache``, rows in the
        batch's order: what every head reads (None with ``task_layers`` or no trunk)."""
        if self.layered or self.trunk.n_layers == 0:
            return None
        entry = cache[0][-1]
        return entry["act"] * entry["mask"] if "mask" in entry else entry["act"]

    def backward(self, buf, batch, dZ, cache, dH_extra=None):
        """Write every parameter's gradient for the output gradient ``dZ``; ``dH_extra``
        (n_rows, width) is added at the trunk's output (:meth:`shared_output`)."""
        if self.layered:
            grads = self.heads.backward(buf, cache[1], batch, dZ)
            top = self.trunk.n_layers
            self.trunk.backward(buf, grads[top], cache[0],
                                extra={d - 1: g for d, g in grads.items() if d < top})
            return
        dH = self.representation_grad(buf, batch, dZ, cache)
        if dH_extra is not None:
            dH = dH + dH_extra
        if dH is not None:
            self.trunk.backward(buf, dH, cache[0])

    def representation_grad(self, buf, batch, dZ, cache):
        """Write the heads' gradients; return ``dH``, the gradient of the trunk's output
        ``H`` (n_rows, width), or None without a trunk."""
        head_cache = cache[1]
        has_trunk = self.trunk.n_layers > 0
        dH_adv = None
        if self.adversary is not None:
            dZ, dH_adv = self._adversary_backward(buf, batch, dZ, cache[2], has_trunk)
        if self.linear_heads:
            dH = self.heads.backward(buf, head_cache, batch, dZ, has_trunk)
            if dH_adv is not None:
                if batch.mode == "gather":
                    dH[cache[2][1]] += dH_adv
                else:
                    dH += dH_adv
            return dH
        dH = self.heads.backward(buf, dZ[..., None], head_cache, input_grad=has_trunk)
        if not has_trunk:
            return None
        if dH_adv is not None:
            if batch.mode == "padded":
                dH[cache[2][1]] += dH_adv
            else:
                dH += dH_adv
        if batch.mode == "padded":
            rows = np.empty((batch.n_rows, dH.shape[-1]), dtype=dH.dtype)
            rows[batch.order] = dH[batch.slot]
            dH = rows
        return dH

    def shared_parameters(self):
        """Indices of the parameters the tasks' losses reach (the trunk's), with last the
        weights of the last layer every task reads (GradNorm's ``W``)."""
        W = list(self.trunk.W)
        if self.layered:  # the deepest layer every head reads: the lowest task layer
            W.append(W.pop(int(self.heads.depths[0]) - 1))
        return [*self.trunk.b, *W]

    def owned_by(self, buf, tasks):
        """Mask over ``theta`` of the parameters of ``tasks``' heads."""
        mask = task_block_mask(buf, tasks)  # per-task head stacks
        views = buf.views(mask)
        if self.layered:
            for g, head in zip(self.heads.groups, self.heads.heads):
                mine = self.heads.local[np.intersect1d(g, tasks)]
                views[head.W][mine] = True
                views[head.b][mine] = True
        elif self.linear_heads:
            views[self.heads.W][tasks] = True
            views[self.heads.b][tasks] = True
        if self.adversary is not None:
            mine = self.adversary_of[np.asarray(tasks, dtype=int)]
            for i in (*self.adversary.W, *self.adversary.b):
                views[i][mine[mine >= 0]] = True
        return mask

    def penalty(self, buf, grad=True):
        return 0.0

    def export(self, buf):
        """Layer weights and biases: trunk (n_in, n_out), heads (n_tasks, n_in, n_out)."""
        coefs = [buf.params[i].copy() for i in self.trunk.W]
        intercepts = [buf.params[i].copy() for i in self.trunk.b]
        if self.layered:
            W, b = self.heads.export(buf)
            coefs.append(W)
            intercepts.append(b)
        elif self.linear_heads:
            coefs.append(buf.params[self.heads.W][:, :, None].copy())
            intercepts.append(buf.params[self.heads.b][:, None].copy())
        else:
            coefs += [buf.params[i].copy() for i in self.heads.W]
            intercepts += [buf.params[i].copy() for i in self.heads.b]
        return coefs, intercepts, []

    def adversary_heads(self, buf):
        """The adversarial tasks' own heads (``adversarial_layer_sizes``), if any: layers of
        shape (n_adversarial, n_in, n_out), in the order of the adversarial tasks."""
        if self.adversary is None:
            return {}
        return {"adversary_coefs_": [buf.params[i].copy() for i in self.adversary.W],
                "adversary_intercepts_": [buf.params[i].copy() for i in self.adversary.b]}


class SoftSharingNet:
    """One network ``n_features -> hidden... -> 1`` per task, tied by a penalty."""

    padded_input = True

    def __init__(self, buf, n_features, n_tasks, hidden, activation, dropout, soft_sharing,
                 cross_stitch):
        self.n_tasks = n_tasks
        self.soft_sharing = float(soft_sharing)
        self.cross_stitch = bool(cross_stitch) and n_tasks > 1
        self.stack = Stack(buf, [n_features, *hidden, 1], activation, per_task=True,
                           activate_last=False, dropout=dropout, cross_stitch=self.cross_stitch)

    def initialize(self, buf, rng):
        self.stack.initialize(buf, rng)

    def mode(self, stacked):
        # Cross-stitch mixes the task networks' activations on the same rows, so every
        # network runs on every row up to the last hidden layer; in the per-task layout only
        # the row's own task goes on through the last unit and the output ("own"). Without
        # the units a task's network sees its own rows only ("padded").
        if not stacked:
            return "all"
        return "own" if self.cross_stitch else "padded"

    def forward(self, buf, batch, train=False, rng=None):
        if batch.mode == "own":
            return self.stack.forward(buf, batch.X, train, rng, own=batch.task)
        tasks = getattr(batch, "tasks", None)
        A = batch.Xp if batch.mode == "padded" else batch.X
        Z, cache = self.stack.forward(buf, A, train, rng, tasks=tasks)
        return Z[..., 0], cache

    def backward(self, buf, batch, dZ, cache):
        if batch.mode == "own":
            self.stack.backward(buf, dZ, cache, own=batch.task)
            return
        self.stack.backward(buf, dZ[..., None], cache)

    # Task networks share no representation: MGDA falls back on the shared parameters.
    has_representation = False

    def owned_by(self, buf, tasks):
        """Mask over ``theta`` of ``tasks``' networks."""
        return task_block_mask(buf, tasks)

    def shared_parameters(self):
        """Indices of the parameters every task's loss reaches: the cross-stitch units
        (none without them), the last unit last (GradNorm's ``W``)."""
        return [i for i in self.stack.cs if i is not None]

    def penalty(self, buf, grad=True):
        """``lambda sum_t ||theta_t - theta_bar||^2`` (``grad=False``), or (``grad=True``) add
        its gradient ``2 lambda (theta_t - theta_bar)`` to the gradients and return None
        (the mean's own dependence on theta_t cancels: the deviations sum to zero)."""
        if self.soft_sharing == 0 or self.n_tasks == 1:
            return 0.0
        if grad:  # every step: the gradient only, fused
            soft_sharing_grad(buf.task_block, buf.task_block_grad, self.soft_sharing)
            return None
        block = buf.task_block.astype(np.float64)
        return self.soft_sharing * float(np.sum((block - block.mean(axis=0)) ** 2))

    def export(self, buf):
        coefs = [buf.params[i].copy() for i in self.stack.W]
        intercepts = [buf.params[i].copy() for i in self.stack.b]
        stitches = [buf.params[i].copy() for i in self.stack.cs if i is not None]
        return coefs, intercepts, stitches
