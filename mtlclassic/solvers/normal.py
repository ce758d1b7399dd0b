"""Direct solve of the squared loss with a quadratic task coupling: the normal equations.

The problem (the W-step of the task-relation models for a fixed ``Omega``)::

    min_{W, b}  1/2 sum_it c_it (y_it - x_i w_t - b_t)^2  +  s/2 sum_t (b_t - mean(b))^2
                +  1/2 tr(W M W^T)  +  l2_reg/2 ||W||_F^2

(:class:`~mtlclassic.datafits.Quadratic`, :class:`~mtlclassic.penalties.TaskQuadratic`
without its l1 term, ``M + l2_reg I`` positive definite) is a linear system.
With the intercepts eliminated (``K = diag(S) + s (I - 11^T / T)``, ``S_t = sum_i
c_it``, ``m_t = sum_i c_it x_i``, ``r_t = sum_i c_it y_it``)::

    H_t w_t  +  sum_u (M + l2_reg I)[u, t] w_u  -  m_t sum_u K^{-1}[t, u] m_u^T w_u
        = g_t  -  m_t (K^{-1} r)_t,          H_t = sum_i c_it x_i x_i^T,  g_t = sum_i c_it y_it x_i
    b = K^{-1} (r - (m_t^T w_t)_t)

The per-task quantities cost one pass over the data, ``O(N p^2)``, and are
kept by :class:`NormalEquations` for every solve on the same problem (the
alternation changes ``M`` only). The system, ``T p`` unknowns, is solved by
conjugate gradients preconditioned by its diagonal blocks (task ``t``'s block
``H_t - K^{-1}[t, t] m_t m_t^T + (M[t, t] + l2_reg) I``, factorised once per
``M``); an iteration costs ``O(T p^2)`` with the tasks' ``p x p`` Gram
matrices, or ``O(n_t p)`` for a task with fewer rows than features, whose
block is kept as its rows and inverted by Woodbury's identity. Small systems
(``T p <= DENSE_UNKNOWNS``) are factorised whole instead (one Cholesky).

The solution is certified by the package's duality gap
(:func:`~mtlclassic.solvers.duality_gap`, at the intercepts optimal for ``W``),
as every other solver's: conjugate gradients stop once the gap is below
``tol * datafit.null_value()``.

References
----------
Hestenes, M. R. and Stiefel, E. (1952). Methods of conjugate gradients for
solving linear systems. J. Res. Nat. Bur. Standards 49(6).
"""

import math

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from ._gap import duality_gap, profile_intercept

# The whole (T p)-square system is factorised when it has at most this many unknowns (one
# Cholesky, (T p)^3 / 3 flops: ~50 ms here); above, block-preconditioned conjugate gradients.
# Measured on SARCOS (7 tasks, 3,000 rows, 500 Nystroem features, alpha = 1e-7, lambda_2 =
# 1e-6, 6 alternations, load 8 on 2 cores): the factorisation of the 3,500 unknowns took 6.6 s
# in all, conjugate gradients 1.4 s (1-3 iterations per W-step), FISTA 48 s.
DENSE_UNKNOWNS = 1000
# The block preconditioner is exact for uncoupled tasks and good while each task's data
# outweighs its coupling to the others: few tasks with many rows each. With many small tasks
# the coupling dominates in the directions a task's rows do not see, and FISTA was faster:
# School (139 tasks of ~55-80 rows; load 8 on 2 cores): linear features (p = 27) 0.2-0.3 s
# against 0.4-1.2 s for conjugate gradients (6-65 iterations per W-step); 200 Nystroem
# features, alpha = 1e-4, lambda_2 = 1e-3: 5.6 s against 44 s (84-240 iterations).
MAX_TASKS = 16
# Conjugate-gradient iterations per solve, at most (the caller's max_iter if lower); a
# system that needs more is left to the iterative solvers from where they stopped.
MAX_CG_ITER = 500
# Tasks' Gram matrices (p x p each) are kept when they hold at most this many entries in all
# (256 MB); a problem above is left to the iterative solvers.
MAX_GRAM_ENTRIES = 2 ** 25


def applies(datafit, penalty, fit_intercept):
    """Whether the normal equations solve ``datafit + penalty``: see the module docstring.

    The squared loss (``affine_gradient``), a :class:`TaskQuadratic`-like penalty
    without l1 term whose ``M + l2_reg I`` is positive definite, host arrays, at most
    ``MAX_TASKS`` tasks, and per-task Gram matrices that fit in ``MAX_GRAM_ENTRIES``.
    """
    data = datafit.data
    if not (getattr(datafit, "affine_gradient", False) and hasattr(penalty, "free_groups")
            and getattr(penalty, "alpha", 1.0) == 0 and type(data.Y) is np.ndarray):
        return False
    if penalty.free_groups or not np.linalg.eigvalsh(coupling(penalty))[0] > 0:
        return False
    p, T = data.n_features, data.n_tasks
    if T > MAX_TASKS:
        return False
    if T * p * min(p, max(data.n_samples // max(T, 1), 1)) > MAX_GRAM_ENTRIES:
        return False
    if fit_intercept and not np.all(np.asarray(data.task_sum(data.C)) > 0):
        return False  # a task without weight has no intercept to solve for
    return True


def coupling(penalty):
    """``M + l2_reg I``: the penalty's matrix (:class:`~mtlclassic.penalties.TaskQuadratic`)."""
    M = np.array(penalty.M, dtype=np.float64)
    M[np.diag_indices_from(M)] += penalty.l2_reg
    return 0.5 * (M + M.T)


class NormalEquations:
    """The per-task Gram matrices of a squared-loss problem, and its solves for any ``M``.

    Task ``t``'s block ``H'_t = H_t - K^{-1}[t, t] m_t m_t^T`` is kept as a
    ``p x p`` matrix, or, for a task with fewer rows than features (dense
    ``X``), as rows ``F_t`` with ``H'_t = F_t^T F_t``: all such tasks' rows are
    padded to one ``(T_rows, n_max, p)`` array, whose products are batched.

    Parameters
    ----------
    datafit : Quadratic
        On a host (numpy) container, either layout, dense or sparse ``X``.
    fit_intercept : bool
    """

    def __init__(self, datafit, fit_intercept):
        data = datafit.data
        self.data, self.fit_intercept = data, fit_intercept
        p, T = self.p, self.T = data.n_features, data.n_tasks
        self.shrinkage = float(data.intercept_shrinkage) if fit_intercept else 0.0
        grams, rows = {}, {}
        m, g = np.zeros((p, T)), np.zeros((p, T))
        S, r = np.zeros(T), np.zeros(T)
        for t, (Xt, ct, yt, o) in enumerate(self._tasks()):
            S[t], r[t] = np.sum(ct), ct @ yt
            mraw = np.asarray(Xt.T @ ct, dtype=np.float64).ravel()
            graw = np.asarray(Xt.T @ (ct * yt), dtype=np.float64).ravel()
            m[:, t], g[:, t] = mraw - S[t] * o, graw - r[t] * o
            if not sp.issparse(Xt) and Xt.shape[0] < p:
                rows[t] = np.sqrt(ct)[:, None] * (np.asarray(Xt, dtype=np.float64) - o)
                continue
            if sp.issparse(Xt):
                H = np.asarray((Xt.T @ Xt.multiply(ct[:, None])).todense(), dtype=np.float64)
            else:
                Xt = np.asarray(Xt, dtype=np.float64)
                H = Xt.T @ (ct[:, None] * Xt)
            if np.any(o != 0):  # centred rows: sum c (x - o)(x - o)^T
                H = H - np.outer(o, mraw) - np.outer(mraw, o) + S[t] * np.outer(o, o)
            grams[t] = 0.5 * (H + H.T)
        self.m, self.S, self.r = m, S, r
        self.Koff, self.rhs, kappa = None, g, np.zeros(T)
        if fit_intercept:
            # K = diag(S) + s (I - 11^T / T); K^{-1} explicitly (T x T), its diagonal kappa.
            K = np.diag(S) + self.shrinkage * (np.eye(T) - 1.0 / T)
            self.Kinv = np.linalg.inv(K)
            self.Kinv = 0.5 * (self.Kinv + self.Kinv.T)
            kappa = np.diag(self.Kinv).copy()
            self.Koff = self.Kinv - np.diag(kappa) if self.shrinkage > 0 else None
            self.rhs = g - m * (self.Kinv @ r)
        # The diagonal blocks H_t - kappa_t m_t m_t^T; in the rows' form through
        # F' = (I - beta u u^T) F, u = sqrt(c_t): (I - beta u u^T)^2 = I - kappa_t u u^T.
        for t, H in grams.items():
            grams[t] = H - kappa[t] * np.outer(m[:, t], m[:, t])
        for t, F in rows.items():
            if kappa[t] > 0:
                beta = (1.0 - math.sqrt(max(1.0 - kappa[t] * S[t], 0.0))) / S[t]
                u = np.sqrt(self._weights(t))
                rows[t] = F - beta * np.outer(u, u @ F)
        self.gram_tasks = np.array(sorted(grams), dtype=np.int64)
        self.H = np.array([grams[t] for t in self.gram_tasks]).reshape(-1, p, p)
        self.row_tasks = np.array(sorted(rows), dtype=np.int64)
        # The rows' tasks padded with zero rows to one (T_rows, n_max, p) array, so that their
        # products are batched (one call for every task), and Woodbury's F_t F_t^T.
        sizes = [rows[t].shape[0] for t in self.row_tasks]
        self.F = np.zeros((len(sizes), max(sizes, default=0), p))
        for k, t in enumerate(self.row_tasks):
            self.F[k, :sizes[k]] = rows[t]
        self.FFt = self.F @ self.F.transpose(0, 2, 1)

    # -- the data, task by task -----------------------------------------------------------
    def _offset(self, t):
        o = self.data.X_offset
        if o is None:
            return np.zeros(self.p)
        return np.asarray(o[:, t if o.shape[1] > 1 else 0], dtype=np.float64)

    def _weights(self, t):
        data = self.data
        if data.layout == "stacked":
            return np.asarray(data.C[data.offsets[t]:data.offsets[t + 1]], dtype=np.float64)
        return np.asarray(data.C[:, t], dtype=np.float64)

    def _tasks(self):
        """``(X_t, c_t, y_t, offset_t)`` per task (rows of weight 0 kept: they add nothing)."""
        data = self.data
        for t in range(self.T):
            if data.layout == "stacked":
                s, e = data.offsets[t], data.offsets[t + 1]
                Xt, yt = data.X[s:e], data.Y[s:e]
            else:
                Xt, yt = data.X, np.where(data.C[:, t] > 0, data.Y[:, t], 0.0)
            yield Xt, self._weights(t), np.asarray(yt, dtype=np.float64), self._offset(t)

    # -- the operator and its preconditioner ----------------------------------------------
    def _apply(self, W, Meff):
        """``A W``: the system's matrix applied to ``W`` (p, T)."""
        out = W @ Meff
        if len(self.row_tasks):
            r = self.row_tasks
            out[:, r] += self._rows_t(self._rows(W[:, r]))  # column t: F_t^T F_t w_t
        if len(self.gram_tasks):
            g = self.gram_tasks
            out[:, g] += np.einsum("tij,jt->it", self.H, W[:, g])
        if self.Koff is not None:
            out -= self.m * (self.Koff @ np.einsum("jt,jt->t", self.m, W))
        return out

    def _preconditioner(self, Meff):
        """Factors of the blocks ``H'_t + Meff[t, t] I``: Cholesky, or Woodbury's inverse."""
        d = np.diag(Meff).copy()
        chol = []
        for k, t in enumerate(self.gram_tasks):
            A = self.H[k].copy()
            A[np.diag_indices_from(A)] += d[t]
            chol.append(la.cho_factor(A, lower=True, check_finite=False, overwrite_a=True))
        # (d I + F^T F)^{-1} = (I - F^T (d I + F F^T)^{-1} F) / d: the small inverses, padded
        # rows and columns of the identity (their products with zeros add nothing).
        small = self.FFt.copy()
        idx = np.arange(small.shape[1])
        small[:, idx, idx] += d[self.row_tasks][:, None]
        inverse = np.linalg.inv(small) if len(small) else small
        return d, chol, inverse

    def _precondition(self, factors, R):
        d, chol, inverse = factors
        Z = np.empty_like(R)
        for k, t in enumerate(self.gram_tasks):
            Z[:, t] = la.cho_solve(chol[k], R[:, t], check_finite=False)
        if len(self.row_tasks):
            r = self.row_tasks
            q = np.matmul(inverse, self._rows(R[:, r])[..., None])[..., 0]
            Z[:, r] = (R[:, r] - self._rows_t(q)) / d[r]
        return Z

    def _rows(self, V):
        """``F_t v_t`` for the rows' tasks (``V`` of shape (p, T_rows)): (T_rows, n_max)."""
        return np.matmul(self.F, V.T[..., None])[..., 0]

    def _rows_t(self, Q):
        """``F_t^T q_t`` (``Q`` of shape (T_rows, n_max)): (p, T_rows)."""
        return np.matmul(Q[:, None, :], self.F)[:, 0, :].T

    def _dense(self, Meff):
        """The whole system, ``(T p)`` square, task-major (``w_t`` contiguous)."""
        p, T = self.p, self.T
        A = np.kron(Meff, np.eye(p))
        for k, t in enumerate(self.gram_tasks):
            A[t * p:(t + 1) * p, t * p:(t + 1) * p] += self.H[k]
        for k, t in enumerate(self.row_tasks):
            A[t * p:(t + 1) * p, t * p:(t + 1) * p] += self.F[k].T @ self.F[k]
        if self.Koff is not None:
            E = np.zeros((T * p, T))  # column t: m_t in task t's rows
            for t in range(T):
                E[t * p:(t + 1) * p, t] = self.m[:, t]
            A -= E @ self.Koff @ E.T
        return A

    # -- the solve ---------------------------------------------------------------------------
    def intercepts(self, W):
        """``b = K^{-1} (r - (m_t^T w_t)_t)``: the best intercepts for ``W``."""
        if not self.fit_intercept:
            return np.zeros(self.T)
        return self.Kinv @ (self.r - np.einsum("jt,jt->t", self.m, W))

    def solve(self, Meff, W0, stop, max_iter):
        """``(W, n_iter)`` for the coupling ``Meff = M + l2_reg I`` (T x T, positive definite).

        ``stop(W, n_iter)`` (called after the dense solve, and every few
        conjugate-gradient iterations once their own estimate of the excess
        objective, ``r^T P^{-1} r / 2``, is small) returns True to stop.
        Returns ``(W, n_iter, stopped)``, ``stopped`` whether ``stop`` accepted ``W``.
        """
        p, T = self.p, self.T
        Meff = 0.5 * (Meff + Meff.T)
        if T * p <= DENSE_UNKNOWNS:
            A = self._dense(Meff)
            W = la.cho_solve(la.cho_factor(A, lower=True, check_finite=False, overwrite_a=True),
                             self.rhs.T.ravel(), check_finite=False).reshape(T, p).T
            if stop(W, 1):
                return W, 1, True
            W0 = W  # rounding: refine by conjugate gradients from there
        factors = self._preconditioner(Meff)
        W = np.array(W0, dtype=np.float64)
        R = self.rhs - self._apply(W, Meff)
        Z = self._precondition(factors, R)
        D = Z.copy()
        rz = rz0 = float(np.sum(R * Z))
        if not rz > 0:
            return W, 0, False
        # r^T P^{-1} r / 2 estimates the excess objective f(W) - f*: a duality gap (a pass over
        # the data) is computed at the first iteration, then whenever the estimate has fallen
        # 100-fold since the last gap.
        budget = None
        n_iter = 0
        for n_iter in range(1, max_iter + 1):
            AD = self._apply(D, Meff)
            dAd = float(np.sum(D * AD))
            if not dAd > 0:
                break
            step = rz / dAd
            W += step * D
            R -= step * AD
            Z = self._precondition(factors, R)
            rz_new = float(np.sum(R * Z))
            if not rz_new > 1e-30 * rz0:  # the residual is rounding: nothing left to gain
                break
            if budget is None or 0.5 * rz_new <= budget:
                if stop(W, n_iter):
                    return W, n_iter, True
                budget = 0.01 * 0.5 * rz_new
            D = Z + (rz_new / rz) * D
            rz = rz_new
        return W, n_iter, False


def normal_equations(datafit, penalty, W0, b0, *, fit_intercept=True, tol=1e-4, max_iter=1000,
                     verbose=0):
    """Minimise ``datafit + penalty`` (squared loss, quadratic task coupling) directly.

    The solvers' signature (:func:`~mtlclassic.solvers.fista`); ``penalty`` and
    ``datafit`` must pass :func:`applies`. The per-task Gram matrices are kept
    on ``datafit`` for later solves on the same problem. ``n_iter`` counts
    conjugate-gradient iterations (1 for a dense factorisation that certifies
    at once).

    Returns
    -------
    W, b, n_iter, gap, gap_scale
    """
    cache = datafit.__dict__.get("_normal_equations")
    if cache is None or cache.fit_intercept != fit_intercept:
        cache = NormalEquations(datafit, fit_intercept)
        datafit._normal_equations = cache
    gap_scale = max(datafit.null_value(fit_intercept), np.finfo(np.float64).tiny)
    Meff = coupling(penalty)
    result = {}
    dtype = datafit.data.dtype

    def stop(W, n_iter):
        Wd = W.astype(dtype, copy=True)  # W is updated in place by the iterations
        b, Z = profile_intercept(datafit, Wd, cache.intercepts(W).astype(dtype), fit_intercept)
        gap = float(duality_gap(datafit, penalty, Wd, Z, b=b)[2])
        result.update(W=Wd, b=b, gap=gap)
        if verbose:
            print(f"normal equations, iteration {n_iter}: relative gap {gap / gap_scale:.3e}")
        return gap <= tol * gap_scale

    W, n_iter, stopped = cache.solve(Meff, np.asarray(W0, dtype=np.float64), stop,
                                     min(max_iter, MAX_CG_ITER))
    if not stopped:
        stop(W, n_iter)
    return result["W"], result["b"], n_iter, result["gap"], gap_scale
