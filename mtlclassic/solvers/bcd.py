"""Block coordinate descent over features for the squared loss (numba epochs).

Each epoch takes, for every feature j, one prox-gradient step on the row
``W[j]`` with step ``1 / L_j``, ``L_j = max_t sum_i c_it x_ij^2``: when all
tasks weigh rows alike this is the exact block minimiser, otherwise a
majorisation step.  Intercepts are refitted in closed form after each epoch,
which also keeps the residual of every task weighted-mean zero, as the dual
needs.

References
----------
Ndiaye, E., Fercoq, O., Gramfort, A. and Salmon, J. (2017). Gap safe screening
rules for sparsity enforcing penalties. JMLR 18.
Tseng, P. and Yun, S. (2009). A coordinate gradient descent method for
nonsmooth separable minimization. Math. Program. 117.
"""

import numpy as np
import scipy.sparse as sp

from . import _kernels
from ._gap import duality_gap


def _subproblem_epoch(data, dtype, ws):
    """Bind the epoch kernel to the columns ``ws`` of the design, copied compactly.

    Returns ``(epoch, order)``: ``epoch(R, shift, W_ws, L_ws, params, kind,
    features)`` runs over rows of the compact ``W_ws`` (``features`` indexes
    them), and ``order`` is the memory order the kernel wants the residual in.
    Copying only the working set keeps the copy small and the epochs in cache.
    """
    X = data.X[:, ws]
    k, T = ws.size, data.n_tasks
    offset = (np.zeros((k, T), dtype) if data.X_offset is None
              else np.ascontiguousarray(data.X_offset[ws], dtype=dtype))
    if sp.issparse(X):
        Xc = X.tocsc()
        sums = (np.zeros((k, T), dtype) if data.X_offset is None
                else np.ascontiguousarray(data.raw_weighted_sums(ws), dtype=dtype))
        if data.layout == "shared":
            return (lambda R, shift, *a: _kernels.bcd_epoch_shared_sparse(
                Xc.data, Xc.indices, Xc.indptr, offset, sums, R, shift, data.C, *a)), "C"
        row_task = np.repeat(np.arange(T), data.task_sizes)
        return (lambda r, shift, *a: _kernels.bcd_epoch_stacked_sparse(
            Xc.data, Xc.indices, Xc.indptr, row_task, offset, sums, r, shift, data.C, *a)), "C"
    if data.layout == "shared" and data.row_weights is not None:
        # C = a (x) tau and every task shares the offsets: center the copy.
        Xc = np.asfortranarray(X - offset[:, 0], dtype=dtype)
        a, tau = data.row_weights.astype(dtype), data.task_scale.astype(dtype)
        return (lambda R, shift, *args: _kernels.bcd_epoch_shared_separable(
            Xc, a, tau, R, *args)), "F"
    Xf = np.asfortranarray(X, dtype=dtype)
    if data.layout == "shared":
        Cf = np.asfortranarray(data.C)
        return (lambda R, shift, *a: _kernels.bcd_epoch_shared_dense(
            Xf, offset, R, Cf, *a)), "F"
    return (lambda r, shift, *a: _kernels.bcd_epoch_stacked_dense(
        Xf, data.offsets, offset, r, data.C, *a)), "C"


def bcd(datafit, penalty, W0, b0, *, fit_intercept=True, tol=1e-4, max_iter=1000,
        gap_freq=5, screening=True, working_set=True, anderson_k=5, verbose=0):
    """Minimise ``1/2 sum_it c_it (y_it - z_it)^2 + penalty(W)`` by block coordinate descent.

    Same parameters and returns as :func:`mtlclassic.solvers.fista`; requires
    a quadratic datafit and a penalty with a numba row prox (``penalty.kind``).
    ``max_iter`` counts epochs (passes over the current working set).

    Outer loop: the exact duality gap over all features, gap-safe screening
    (``screening``), then a working set (``working_set``): the nonzero
    features plus those closest to violating optimality, twice the support
    in size (at least 100, never shrinking).  Inner loop: epochs over the working set
    until the gap of the restricted problem, evaluated every ``gap_freq``
    epochs on the residual the epochs keep (or, in the shared design when the
    samples outnumber the working set twice, in Gram form: ``O(k^2 T)`` per
    epoch), is below 0.3 times the outer gap;
    every ``anderson_k`` epochs the iterates are extrapolated (Anderson), the
    extrapolation kept when it lowers the objective.
    With ``fit_intercept`` the container must be centered (``data.center()``):
    the optimal intercepts are then the weighted target means, whatever ``W``.

    References
    ----------
    Massias, M., Gramfort, A. and Salmon, J. (2018). Celer: a fast solver for
    the lasso with dual extrapolation. ICML.
    Bertrand, Q. and Massias, M. (2021). Anderson acceleration of coordinate
    descent. AISTATS.
    """
    if datafit.name != "quadratic":
        raise ValueError("bcd solves the squared loss only; use solver='fista'.")
    if penalty.kind is None:
        raise ValueError(f"bcd needs a penalty separable over features; {penalty!r} is not. "
                         "Use solver='fista'.")
    # Screening and working sets only pay for penalties that zero features.
    screening = screening and penalty.sparse
    working_set = working_set and penalty.sparse
    data = datafit.data
    if fit_intercept and data.X_offset is None:
        raise ValueError("bcd with intercepts needs a centered container (data.center()).")
    dtype = data.dtype
    gap_scale = max(datafit.null_value(fit_intercept), np.finfo(dtype).tiny)
    W = np.array(W0, dtype=dtype, order="C", copy=True)
    b = (datafit.optimal_intercept(datafit.linear(W)).astype(dtype) if fit_intercept
         else np.zeros(data.n_tasks, dtype))
    lipschitz = datafit.block_lipschitz().astype(dtype)
    candidates = np.arange(data.n_features, dtype=np.int64)
    ws_size = max(100, 2 * int(np.sum(np.any(W != 0, axis=1))))
    n_iter = 0
    while True:
        Z = _predict(datafit, W, b)
        _, _, gap, V = duality_gap(datafit, penalty, W, Z, return_correlations=True)
        if verbose:
            print(f"bcd epoch {n_iter}: relative gap {gap / gap_scale:.3e}, "
                  f"{candidates.size} features left")
        if gap <= tol * gap_scale or n_iter >= max_iter:
            break
        if screening:
            candidates, screened = _screen(penalty, V, lipschitz, gap, candidates)
            if screened.size and np.any(W[screened]):
                W[screened] = 0.0
                Z = _predict(datafit, W, b)
        if candidates.size == 0:
            break  # every feature is proven zero: W = 0 is optimal, the gap is rounding
        if working_set:
            ws, ws_size = _working_set(penalty, W, V, lipschitz, candidates, ws_size)
        else:
            ws = candidates
        if verbose:
            print(f"    working set of {ws.size} features")
        # The inner problem lives on the working set: W is zero elsewhere.
        inner_cls = _GramInner if _GramInner.applies(data, ws) else _ResidualInner
        inner = inner_cls(datafit, penalty, ws, b, Z, lipschitz[ws])
        W_ws = inner.start(W[ws])
        inner_tol = max(0.3 * gap, tol * gap_scale)
        anderson = _Anderson(anderson_k)
        for k in range(1, max_iter - n_iter + 1):
            inner.epoch(W_ws)
            n_iter += 1
            W_acc = anderson.push(W_ws)
            if W_acc is not None:
                inner.try_extrapolation(W_ws, W_acc)
            if k % gap_freq == 0 and inner.gap(W_ws) <= inner_tol:
                break
        W[ws] = W_ws
    return W, b, n_iter, gap, gap_scale


class _ResidualInner:
    """Inner solver on a working set keeping the residual ``R = Y - Z`` (any layout)."""

    def __init__(self, datafit, penalty, ws, b, Z, lipschitz):
        data = datafit.data
        self.datafit, self.penalty, self.ws, self.b = datafit, penalty, ws, b
        self.params = penalty.params
        self.kernel, self.order = _subproblem_epoch(data, data.dtype, ws)
        self.lipschitz = np.ascontiguousarray(lipschitz)
        self.rows = np.arange(ws.size, dtype=np.int64)
        self.R = np.array(data.Y - Z, order=self.order)
        self.shift = np.zeros(data.n_tasks, data.dtype)

    def start(self, W_ws):
        return np.ascontiguousarray(W_ws)

    def epoch(self, W_ws):
        self.kernel(self.R, self.shift, W_ws, self.lipschitz, self.params,
                    self.penalty.kind, self.rows)

    def _predictor(self):
        data = self.datafit.data
        return data.Y - (self.R + data.expand(self.shift))

    def try_extrapolation(self, W_ws, W_acc):
        """Move to ``W_acc`` if it lowers the objective."""
        Z_acc = self.datafit.linear(W_acc, self.b, features=self.ws)
        if (self.datafit.value_z(Z_acc) + self.penalty.value(W_acc)
                < self.datafit.value_z(self._predictor()) + self.penalty.value(W_ws)):
            W_ws[:] = W_acc
            self.R = np.array(self.datafit.data.Y - Z_acc, order=self.order)
            self.shift[:] = 0.0

    def gap(self, W_ws):
        """Duality gap of the problem restricted to the working set."""
        return duality_gap(self.datafit, self.penalty, W_ws, self._predictor(),
                           features=self.ws)[2]


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
                and not data.is_sparse and data.n_samples >= 2 * ws.size)

    def __init__(self, datafit, penalty, ws, b, Z, lipschitz):
        data = datafit.data
        self.penalty, self.dtype = penalty, data.dtype
        self.params = penalty.params
        offset = 0.0 if data.X_offset is None else data.X_offset[ws, 0]
        Xc = np.asarray(data.X[:, ws], dtype=np.float64) - offset
        Yc = np.asarray(data.Y, dtype=np.float64) - b
        aXc = Xc * data.row_weights[:, None]
        self.Q = np.ascontiguousarray(aXc.T @ Xc)
        self.B = np.ascontiguousarray(aXc.T @ Yc)
        self.q = np.einsum("i,it,it->t", data.row_weights.astype(np.float64), Yc, Yc)
        self.tau = data.task_scale.astype(np.float64)
        self.lipschitz = lipschitz.astype(np.float64)
        self.rows = np.arange(ws.size, dtype=np.int64)

    def start(self, W_ws):
        W = np.array(W_ws, dtype=np.float64, order="C")
        self.H = self.Q @ W
        return W

    def epoch(self, W):
        _kernels.bcd_epoch_gram(self.Q, self.B, self.tau, self.H, W, self.lipschitz,
                                self.params, self.penalty.kind, self.rows)

    def _datafit(self, W, H):
        return 0.5 * float(self.tau @ (self.q - 2.0 * np.sum(W * self.B, axis=0)
                                       + np.sum(W * H, axis=0)))

    def try_extrapolation(self, W, W_acc):
        H_acc = self.Q @ W_acc
        if (self._datafit(W_acc, H_acc) + self.penalty.value(W_acc)
                < self._datafit(W, self.H) + self.penalty.value(W)):
            W[:] = W_acc
            self.H = H_acc

    def gap(self, W):
        F = self._datafit(W, self.H)
        V = self.tau * (self.B - self.H)
        s = self.penalty.dual_scale(V)
        theta_y = float(self.tau @ (self.q - np.sum(W * self.B, axis=0)))
        return (F + self.penalty.value(W)
                - (s * theta_y - s * s * F - self.penalty.conjugate(s * V)))


def _predict(datafit, W, b):
    """``linear(W, b)`` through the nonzero rows of ``W`` only."""
    support = np.flatnonzero(np.any(W != 0, axis=1))
    return datafit.linear(W[support], b, features=support)


class _Anderson:
    """Anderson extrapolation of the iterates of a fixed-point map (here, BCD epochs).

    After ``k + 1`` iterates ``w_0..w_k`` with differences ``u_i = w_{i+1} - w_i``,
    returns ``sum_i c_i w_{i+1}`` with ``c = argmin ||U^T c|| s.t. sum c = 1``,
    then starts over; returns None in between.

    References
    ----------
    Bertrand, Q. and Massias, M. (2021). Anderson acceleration of coordinate
    descent. AISTATS.
    """

    def __init__(self, k):
        self.k = k
        self.history = []

    def push(self, w):
        if self.k <= 0:
            return None
        self.history.append(np.array(w, dtype=np.float64).ravel())
        if len(self.history) < self.k + 1:
            return None
        iterates = np.array(self.history)
        self.history = []
        U = np.diff(iterates, axis=0)
        gram = U @ U.T
        gram += 1e-10 * (np.trace(gram) + 1e-300) * np.eye(self.k)  # Tikhonov: U may be rank deficient
        try:
            z = np.linalg.solve(gram, np.ones(self.k))
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(z)) or z.sum() == 0:
            return None
        c = z / z.sum()
        return (c @ iterates[1:]).reshape(np.shape(w)).astype(w.dtype)


def _working_set(penalty, W, V, lipschitz, candidates, ws_size):
    """Nonzero features plus the candidates closest to violating their dual constraint.

    Priority of feature j: ``(alpha - ||V_j||_*) / sqrt(L_j)`` with ``||.||_*``
    the penalty's dual norm on row j, the distance of
    the dual point to feature j's constraint (celer's rule); nonzero features
    always enter.  Returns the sorted set and the size for the next round.
    """
    nonzero = np.any(W[candidates] != 0, axis=1)
    size = min(candidates.size, max(ws_size, 2 * int(nonzero.sum())))
    norms = penalty.row_dual_norms(V[candidates])
    priority = (penalty.alpha - norms) / np.sqrt(np.maximum(lipschitz[candidates], 1e-300))
    priority[nonzero] = -np.inf
    if size < candidates.size:
        chosen = np.argpartition(priority, size - 1)[:size]
    else:
        chosen = np.arange(candidates.size)
    return np.sort(candidates[chosen]), size

def _screen(penalty, V, lipschitz, gap, features):
    """Gap-safe screening (Ndiaye et al. 2017): drop features proven zero at the optimum.

    The quadratic dual ``sum theta y - theta^2 / (2c)`` is 1-strongly concave
    in the norm ``||theta||_C^2 = sum theta^2 / c``, so
    ``||theta - theta*||_C <= sqrt(2 gap)`` and, by Cauchy-Schwarz,
    ``||X_j^T (theta - theta*)||_2 <= sqrt(L_j) sqrt(2 gap)``.
    """
    radius = np.sqrt(2.0 * max(gap, 0.0) * lipschitz.astype(np.float64))
    zero = penalty.screen(V, radius)
    return features[~zero[features]], features[zero[features]]
