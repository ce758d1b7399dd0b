"""Inner solvers of the working-set loop for the squared loss: numba BCD epochs.

Each epoch takes, for every feature j, one prox-gradient step on the row
``W[j]`` with step ``1 / L_j``, ``L_j = max_t sum_i c_it x_ij^2``: when all
tasks weigh rows alike this is the exact block minimiser, otherwise a
majorisation step.  Intercepts are refitted in closed form after each epoch,
which also keeps the residual of every task weighted-mean zero, as the dual
needs.

Which epoch kernel (:mod:`mtlclassic.solvers._kernels`) serves which
container, as :data:`EPOCH_KERNELS` holds it:

=========  =======  ===========  ==============================  ===========
layout     storage  weights C    epoch kernel                    residual
=========  =======  ===========  ==============================  ===========
shared     dense    a (x) tau    ``bcd_epoch_shared_separable``  (n, T), F
shared     dense    any          ``bcd_epoch_shared_dense``      (n, T), F
stacked    dense    c_t          ``bcd_epoch_stacked_uniform``   (N,)
stacked    dense    any          ``bcd_epoch_stacked_dense``     (N,)
shared     sparse   any          ``bcd_epoch_shared_sparse``     (n, T), C
stacked    sparse   any          ``bcd_epoch_stacked_sparse``    (N,)
=========  =======  ===========  ==============================  ===========

``a (x) tau``: ``C = row_weights (x) task_scale``, a shared design without
missing targets. A dense one whose working set is small next to the samples
(``n >= 2k``, ``k^2 <= GRAM_MAX_ENTRIES``) skips the residual altogether:
the Gram-form inner solver (:class:`_GramInner`, ``bcd_epoch_gram``), whose
epoch costs ``O(k^2 T)`` instead of ``O(n k T)``. ``c_t``: one loss weight
per task (no sample weights) on a centered copy of the columns (what
``restrict`` makes of a dense stacked design); the binder of the stacked
dense row picks it, so the table's keys stay (layout, storage, ``a (x) tau``
or not).

References
----------
Ndiaye, E., Fercoq, O., Gramfort, A. and Salmon, J. (2017). Gap safe screening
rules for sparsity enforcing penalties. JMLR 18.
Tseng, P. and Yun, S. (2009). A coordinate gradient descent method for
nonsmooth separable minimization. Math. Program. 117.
"""

import numpy as np

from . import _kernels
from ._gap import dual_at

# The Gram form keeps a (k, k) matrix of the working set's k features: it is used
# only while k * k stays below this many entries (2^24: 128 MB in float64, k <= 4096)
# and n >= 2k (so the matrix is at most half the size of the columns it replaces);
# larger working sets take the residual form, whose memory is the columns' copy.
GRAM_MAX_ENTRIES = 2 ** 24
# Rows of X read at a time when the Gram matrix is formed: temporaries of about
# this many entries (2 MB in float64), not full (n, k) float64 copies.
GRAM_CHUNK_ENTRIES = 2 ** 18


def _bind_separable(sub, offset):
    # C = a (x) tau and every task shares the offsets: the copy is centered
    # (SharedDesign.restrict makes it so; otherwise center it here).
    X, dtype = sub.X, sub.dtype
    Xc = (np.asfortranarray(X, dtype=dtype) if sub.X_offset is None
          else np.asfortranarray(X - offset[:, 0], dtype=dtype))
    a, tau = sub.row_weights.astype(dtype), sub.task_scale.astype(dtype)
    return lambda R, shift, *args: _kernels.bcd_epoch_shared_separable(Xc, a, tau, R, *args)


def _bind_shared_dense(sub, offset):
    Xf, Cf = np.asfortranarray(sub.X, dtype=sub.dtype), np.asfortranarray(sub.C)
    return lambda R, shift, *args: _kernels.bcd_epoch_shared_dense(Xf, offset, R, Cf, *args)


def _bind_stacked_dense(sub, offset):
    Xf = np.asfortranarray(sub.X, dtype=sub.dtype)
    c_task = _task_constants(sub)
    if sub.X_offset is None and c_task is not None:  # centered copy, rows weighed alike
        return lambda r, shift, *args: _kernels.bcd_epoch_stacked_uniform(Xf, sub.offsets, r,
                                                                          c_task, *args)
    return lambda r, shift, *args: _kernels.bcd_epoch_stacked_dense(Xf, sub.offsets, offset, r,
                                                                    sub.C, *args)


def _task_constants(data):
    """``c_t`` when the loss weights ``C`` are one value per task (no sample weights), else None."""
    if data.n_samples == 0:
        return None
    firsts = np.minimum(data.offsets[:-1], data.n_samples - 1)  # an empty task's is unused
    c_task = np.where(data.task_sizes > 0, data.C[firsts], 0).astype(data.C.dtype)
    return c_task if np.array_equal(data.C, np.repeat(c_task, data.task_sizes)) else None


def _sparse_parts(sub):
    Xc = sub.X.tocsc()
    k, T = sub.n_features, sub.n_tasks
    sums = (np.zeros((k, T), sub.dtype) if sub.X_offset is None
            else np.ascontiguousarray(sub._sums, dtype=sub.dtype))
    return Xc, sums


def _bind_shared_sparse(sub, offset):
    Xc, sums = _sparse_parts(sub)
    return lambda R, shift, *args: _kernels.bcd_epoch_shared_sparse(
        Xc.data, Xc.indices, Xc.indptr, offset, sums, R, shift, sub.C, *args)


def _bind_stacked_sparse(sub, offset):
    Xc, sums = _sparse_parts(sub)
    row_task = np.repeat(np.arange(sub.n_tasks), sub.task_sizes)
    return lambda r, shift, *args: _kernels.bcd_epoch_stacked_sparse(
        Xc.data, Xc.indices, Xc.indptr, row_task, offset, sums, r, shift, sub.C, *args)


# (layout, storage, loss weights C) -> (binder of the epoch kernel, memory order of the
# residual). "a (x) tau": C = row_weights (x) task_scale (a shared design without missing
# targets); "any": every C. The module docstring has it as a table.
EPOCH_KERNELS = {
    ("shared", "dense", "a (x) tau"): (_bind_separable, "F"),
    ("shared", "dense", "any"): (_bind_shared_dense, "F"),
    ("stacked", "dense", "any"): (_bind_stacked_dense, "C"),
    ("shared", "sparse", "a (x) tau"): (_bind_shared_sparse, "C"),
    ("shared", "sparse", "any"): (_bind_shared_sparse, "C"),
    ("stacked", "sparse", "any"): (_bind_stacked_sparse, "C"),
}


def epoch_key(data):
    """The key of ``data`` (a problem container) in :data:`EPOCH_KERNELS`."""
    weights = "a (x) tau" if getattr(data, "row_weights", None) is not None else "any"
    return data.layout, "sparse" if data.is_sparse else "dense", weights


def _subproblem_epoch(sub):
    """Bind the epoch kernel of :data:`EPOCH_KERNELS` to the compact working-set container ``sub``.

    Returns ``(epoch, order)``: ``epoch(R, shift, W_ws, L_ws, params, kind,
    features)`` runs over rows of ``W_ws`` (``features`` indexes them), and
    ``order`` is the memory order the kernel wants the residual in.  Working on
    a compact copy of the working set's columns keeps the epochs in cache.
    """
    key = epoch_key(sub)
    if key not in EPOCH_KERNELS:
        raise ValueError(f"no BCD epoch kernel for a {key[0]} {key[1]} design with C = {key[2]}.")
    bind, order = EPOCH_KERNELS[key]
    k, T = sub.n_features, sub.n_tasks
    offset = (np.zeros((k, T), sub.dtype) if sub.X_offset is None
              else np.ascontiguousarray(sub.X_offset, dtype=sub.dtype))
    return bind(sub, offset), order


class _ResidualInner:
    """Inner solver on a working set keeping the residual ``R = Y - Z`` (any layout)."""

    def __init__(self, datafit, penalty, ws, b, Z, lipschitz, extrapolation, columns=None):
        data = datafit.data
        # The problem restricted to the working set, on a compact copy of its
        # columns: epochs, gaps and extrapolation trials never slice X again. With
        # ``columns`` (a WorkingColumns of ``data``), the copy of the last round's
        # working set is updated, not made afresh.
        sub = data.restrict(ws) if columns is None else columns.restrict(ws)
        self.datafit = type(datafit)(sub)
        self.penalty, self.ws, self.b = penalty, ws, b
        self.params = penalty.row_params
        self.kernel, self.order = _subproblem_epoch(self.datafit.data)
        self.lipschitz = np.ascontiguousarray(lipschitz)
        self.rows = np.arange(ws.size, dtype=np.int64)
        self.R = np.array(data.Y - Z, order=self.order)
        self.shift = np.zeros(data.n_tasks, data.dtype)
        self.extrapolation = extrapolation
        self.best_dual, self.best_theta = -np.inf, None

    def start(self, W_ws):
        return np.ascontiguousarray(W_ws)

    def epoch(self, W_ws):
        self.kernel(self.R, self.shift, W_ws, self.lipschitz, self.params,
                    self.penalty.row_kind, self.rows)

    def predictor(self):
        """The predictor ``Z`` of the full problem (W is zero off the working set)."""
        data = self.datafit.data
        return data.Y - (self.R + data.expand(self.shift))

    def try_extrapolation(self, W_ws, W_acc):
        """Move to ``W_acc`` if it lowers the objective; return whether it did."""
        Z_acc = self.datafit.linear(W_acc, self.b)
        if (self.datafit.value_z(Z_acc) + self.penalty.value(W_acc)
                < self.datafit.value_z(self.predictor()) + self.penalty.value(W_ws)):
            W_ws[:] = W_acc
            self.R = np.array(self.datafit.data.Y - Z_acc, order=self.order)
            self.shift[:] = 0.0
            return True
        return False

    def gap(self, W_ws):
        """Duality gap of the problem restricted to the working set.

        The dual is the best of the residual point, its extrapolation from
        the last checks (:class:`DualExtrapolation`) and the best seen.
        """
        datafit, penalty = self.datafit, self.penalty
        Z = self.predictor()
        primal = datafit.value_z(Z) + penalty.value(W_ws)
        theta = -datafit.derivative_z(Z)
        for point in (theta, self.extrapolation.extrapolate(theta)):
            if point is None:
                continue
            dual = dual_at(datafit, penalty, point)[0]
            if dual > self.best_dual:
                self.best_dual, self.best_theta = dual, point
        return primal - self.best_dual

    def record(self):
        """Give the current residual dual point to the extrapolation (after every epoch)."""
        if self.extrapolation.k <= 0:  # disabled (the default): no work in the epoch loop
            return
        data = self.datafit.data
        self.extrapolation.push(data.C * (self.R + data.expand(self.shift)))


class _GramInner:
    """Inner solver in Gram form when samples outnumber the working set (shared design).

    Applies when ``C = a (x) tau`` (no missing targets) and ``X`` is dense.
    Everything is kept in float64 and of size (k, k) or (k, T): with
    ``Q = Xc^T diag(a) Xc``, ``B = Xc^T diag(a) Yc``, ``H = Q W`` and
    ``q_t = sum_i a_i Yc_it^2``, the datafit is
    ``F = 1/2 sum_t tau_t (q_t - 2 W_t . B_t + W_t . H_t)``, the dual point's
    correlations ``X^T theta = tau (B - H)``, and ``sum theta y = sum_t tau_t (q_t - W_t . B_t)``.
    """

    @staticmethod
    def applies(data, ws):
        return (data.layout == "shared" and data.row_weights is not None
                and not data.is_sparse and data.n_samples >= 2 * ws.size
                and ws.size * ws.size <= GRAM_MAX_ENTRIES)

    best_theta = None  # no dual extrapolation in Gram form: the residual is never formed

    def __init__(self, datafit, penalty, ws, b, lipschitz, cache=None):
        data = datafit.data
        self.penalty, self.dtype = penalty, data.dtype
        self.params = penalty.row_params
        cols = None if cache is None else cache.get("cols")
        if cols is not None and np.all(np.isin(ws, cols)):
            # The working set did not grow: slice the Gram of the last one.
            where = np.searchsorted(cols, ws)
            self.Q = np.ascontiguousarray(cache["Q"][np.ix_(where, where)])
            self.B = np.ascontiguousarray(cache["B"][where])
            self.q = cache["q"]
        else:
            gram = self._gram(data, ws, b)
            self.Q, self.B, self.q = gram["Q"], gram["B"], gram["q"]
            if cache is not None:
                cache.update(gram, cols=ws)
        self.tau = data.task_scale.astype(np.float64)
        self.best_dual = -np.inf
        self.lipschitz = lipschitz.astype(np.float64)
        self.rows = np.arange(ws.size, dtype=np.int64)

    @staticmethod
    def _gram(data, ws, b):
        """``Q``, ``B`` and ``q`` of the columns ``ws`` (float64), accumulated over row chunks."""
        k, T = ws.size, data.n_tasks
        offset = 0.0 if data.X_offset is None else data.X_offset[ws, 0].astype(np.float64)
        a = data.row_weights.astype(np.float64)
        b = np.asarray(b, dtype=np.float64)
        Q, B, q = np.zeros((k, k)), np.zeros((k, T)), np.zeros(T)
        rows = max(64, GRAM_CHUNK_ENTRIES // max(k, T, 1))
        for start in range(0, data.n_samples, rows):
            stop = min(start + rows, data.n_samples)
            Xc = np.asarray(data.X[start:stop][:, ws], dtype=np.float64) - offset
            Yc = np.asarray(data.Y[start:stop], dtype=np.float64) - b
            aXc = Xc * a[start:stop, None]
            Q += aXc.T @ Xc
            B += aXc.T @ Yc
            q += np.einsum("i,it,it->t", a[start:stop], Yc, Yc)
        return {"Q": Q, "B": B, "q": q}

    def start(self, W_ws):
        W = np.array(W_ws, dtype=np.float64, order="C")
        self.H = self.Q @ W
        return W

    def epoch(self, W):
        _kernels.bcd_epoch_gram(self.Q, self.B, self.tau, self.H, W, self.lipschitz,
                                self.params, self.penalty.row_kind, self.rows)

    def _datafit(self, W, H):
        return 0.5 * float(self.tau @ (self.q - 2.0 * np.sum(W * self.B, axis=0)
                                       + np.sum(W * H, axis=0)))

    def try_extrapolation(self, W, W_acc):
        H_acc = self.Q @ W_acc
        if (self._datafit(W_acc, H_acc) + self.penalty.value(W_acc)
                < self._datafit(W, self.H) + self.penalty.value(W)):
            W[:] = W_acc
            self.H = H_acc
            return True
        return False

    def record(self):
        pass

    def predictor(self):
        return None  # never formed in Gram form

    def gap(self, W):
        F = self._datafit(W, self.H)
        V = self.tau * (self.B - self.H)
        s = self.penalty.dual_scale(V)
        theta_y = float(self.tau @ (self.q - np.sum(W * self.B, axis=0)))
        self.best_dual = max(self.best_dual,
                             s * theta_y - s * s * F - self.penalty.conjugate(s * V))
        return F + self.penalty.value(W) - self.best_dual
