"""Exact solves of multi-task kernel ridge with a separable kernel ``k(x, x') Q[s, t]``.

The W-step of the kernel task-relation models (:mod:`mtlclassic.estimators.kernel`):
for a fixed task matrix ``Q`` (positive semidefinite, ``T x T``), minimise over
``f`` in the RKHS of ``k (x) Q`` and intercepts ``b``::

    1/2 sum_r c_r (y_r - f(x_r, t_r) - b_{t_r})^2  +  1/2 ||f||^2

(``c_r`` the loss weight of observation ``r``: ``tau_t s_i / sum_{i in t} s_i``).
By the representer theorem ``f(x, t) = sum_r a_r k(x_r, x) Q[t_r, t]``, and the
first-order conditions are the saddle system::

    (G + D^{-1}) a + P b = y,     P^T a = 0     (P^T a = s (I - 1 1^T / T) b with
                                                  intercept shrinkage s)

with ``G[r, r'] = k(x_r, x_r') Q[t_r, t_r']``, ``D = diag(c)`` and ``P`` the
observations' task indicators (the second block only with intercepts). It is
solved by one factorisation of ``G + D^{-1}`` and the ``T x T`` Schur
complement ``P^T (G + D^{-1})^{-1} P`` for the intercepts:

- :class:`StackedSolve`, any observations (the per-task layout, or a shared
  layout with missing targets): a Cholesky factorisation of the ``N x N``
  matrix, ``N`` the observations, remade when ``Q`` changes;
- :class:`KroneckerSolve`, a shared design with every target observed and
  ``c = r (x) w`` an outer product (row weights ``r``, task weights ``w``):
  ``G + D^{-1} = (Q (x) K) + D^{-1}`` is diagonalised by the eigenvectors of
  ``D_r^{1/2} K D_r^{1/2}`` (computed once) and of ``D_w^{1/2} Q D_w^{1/2}``
  (``T x T``, cheap to redo when ``Q`` changes), so nothing of size
  ``nT x nT`` is formed.

Both return ``a`` shaped as their observations and ``b`` of shape (T,).
"""

import numpy as np
import scipy.linalg as la


def _spd_factor(A, what):
    """Cholesky factor of a symmetric positive definite matrix (in place), or a ValueError."""
    try:
        return la.cho_factor(A, lower=True, check_finite=False, overwrite_a=True)
    except la.LinAlgError:
        raise ValueError(
            f"{what} is not positive definite to float64 precision: the kernel is not positive "
            "semi-definite on the data, or the sample weights span too many orders of "
            "magnitude; use a positive semi-definite kernel (rbf, linear, laplacian, ...) or "
            "rescale the weights.") from None


def check_psd_kernel(K, buffer=None):
    """Raise a one-line ValueError unless the kernel matrix ``K`` is positive semi-definite.

    One Cholesky factorisation of ``K + delta I``, ``delta = 1e-8 sum_i |K_ii|`` (at least
    ``1e-8`` times the largest eigenvalue of a PSD ``K``, as :class:`KroneckerSolve`'s
    test): the saddle system's own factorisation cannot tell, since ``D^{-1}`` can make
    ``G + D^{-1}`` positive definite for an indefinite kernel (a large ``alpha``).
    ``buffer`` (``K``'s shape) is used for the factorisation instead of a new matrix.
    """
    if K.size == 0:
        return
    diag = np.diag(K)
    delta = 1e-8 * float(np.sum(np.abs(diag)))
    ok = bool(np.min(diag) >= -delta)
    if ok:
        A = np.array(K, dtype=np.float64) if buffer is None else buffer
        if buffer is not None:
            A[...] = K
        A[np.diag_indices_from(A)] += delta + np.finfo(np.float64).tiny
        try:
            la.cho_factor(A, lower=True, check_finite=False, overwrite_a=True)
        except la.LinAlgError:
            ok = False
    if not ok:
        raise ValueError(
            "The kernel matrix of the training rows is not positive semi-definite; use a "
            "positive semi-definite kernel (rbf, linear, laplacian, ...).")


def _intercepts(solve, y_part, indicators, T, shrinkage=0.0):
    """``(a, b)`` of the saddle system, from ``solve`` (applies ``(G + D^{-1})^{-1}``).

    With ``shrinkage = s > 0`` (the term ``s / 2 sum_t (b_t - mean(b))^2``) the
    intercepts' condition is ``P^T a = s (I - 1 1^T / T) b``: the Schur system
    gains ``s (I - 1 1^T / T)``.
    """
    u = solve(y_part)
    V = solve(indicators)
    S = np.array([[np.sum(indicators[t] * V[s]) for s in range(T)] for t in range(T)])
    rhs = np.array([np.sum(indicators[t] * u) for t in range(T)])
    S = 0.5 * (S + S.T)
    if shrinkage > 0:
        S = S + shrinkage * (np.eye(T) - 1.0 / T)
    b = np.linalg.solve(S, rhs)
    return u - np.tensordot(b, V, axes=1), b


class StackedSolve:
    """The saddle system over ``N`` observations ``(x_r, t_r)`` with weights ``c_r > 0``.

    The observations are sorted by task, so that ``G = K * Q[t_r, t_r']`` is
    formed block by block in one ``N x N`` buffer (reused by every solve and
    factorised in place): with ``K`` the memory is two ``N x N`` matrices.

    Parameters
    ----------
    K : ndarray of shape (N, N)
        ``k(x_r, x_r')``, positive semidefinite.
    task : ndarray of shape (N,)
        ``t_r`` in ``0..T-1``, non-decreasing.
    c : ndarray of shape (N,)
        Loss weights, ``> 0``.
    n_tasks : int
    """

    def __init__(self, K, task, c, n_tasks):
        if np.any(np.diff(task) < 0):
            raise ValueError("StackedSolve: the observations must be sorted by task.")
        self.K, self.task, self.n_tasks = K, task, n_tasks
        self.inv_c = 1.0 / c
        self.offsets = np.searchsorted(task, np.arange(n_tasks + 1))
        self._indicators = np.zeros((n_tasks, len(task)))
        self._indicators[task, np.arange(len(task))] = 1.0
        self._G = np.empty_like(K, dtype=np.float64)
        check_psd_kernel(K, buffer=self._G)

    def solve(self, Q, y, fit_intercept, shrinkage=0.0):
        """``(a, b)`` for the task matrix ``Q``; ``a`` of shape (N,)."""
        G, K, o = self._G, self.K, self.offsets
        for s in range(self.n_tasks):
            for t in range(self.n_tasks):
                np.multiply(K[o[s]:o[s + 1], o[t]:o[t + 1]], Q[s, t],
                            out=G[o[s]:o[s + 1], o[t]:o[t + 1]])
        G[np.diag_indices_from(G)] += self.inv_c
        factor = _spd_factor(G, "The multi-task kernel matrix plus the loss weights' inverse")
        solve = lambda v: la.cho_solve(factor, v.T, check_finite=False).T  # noqa: E731
        if not fit_intercept:
            return solve(y), np.zeros(self.n_tasks)
        return _intercepts(solve, y, self._indicators, self.n_tasks, shrinkage)


def _eigh(M, what):
    """``np.linalg.eigh(M)``, with a one-line ``ValueError`` where LAPACK fails."""
    try:
        return np.linalg.eigh(M)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"The eigendecomposition of {what} failed (its entries span too many orders of "
            "magnitude, or overflow): rescale X, y or the weights (task_weights, "
            "sample_weight) towards 1.") from None


class KroneckerSolve:
    """The saddle system of a shared design ``K`` (n x n) observed for every task.

    Observations are the entries of an (n, T) matrix; their weights are
    ``c[i, t] = r_i w_t``.

    Parameters
    ----------
    K : ndarray of shape (n, n)
    row_weights : ndarray of shape (n,)
        ``r``, ``> 0``.
    task_weights : ndarray of shape (T,)
        ``w``, ``> 0``.
    """

    def __init__(self, K, row_weights, task_weights):
        self.K = K
        self.sr = np.sqrt(row_weights)
        self.sw = np.sqrt(task_weights)
        lam, U = _eigh(self.sr[:, None] * K * self.sr[None, :], "the weighted kernel matrix")
        self.lam, self.U = np.maximum(lam, 0.0), U
        if np.min(lam) < -1e-8 * max(np.max(np.abs(lam)), 1e-300):
            raise ValueError(
                "The kernel matrix of the training rows is not positive semi-definite "
                f"(eigenvalue {np.min(lam):.3g}); use a positive semi-definite kernel (rbf, "
                "linear, laplacian, ...).")
        self.n_tasks = len(task_weights)

    def _solver(self, Q):
        s, V = _eigh(self.sw[:, None] * Q * self.sw[None, :], "the weighted task matrix")
        s = np.maximum(s, 0.0)
        scale = 1.0 / (np.outer(self.lam, s) + 1.0)
        sr, sw, U = self.sr, self.sw, self.U

        def solve(R):  # (G + D^{-1})^{-1} applied to each (n, T) matrix of R (..., n, T)
            Z = U.T @ (sr[:, None] * R * sw[None, :]) @ V
            return sr[:, None] * (U @ (Z * scale) @ V.T) * sw[None, :]
        return solve

    def solve(self, Q, Y, fit_intercept, shrinkage=0.0):
        """``(A, b)`` for the task matrix ``Q``; ``A`` of shape (n, T)."""
        solve = self._solver(Q)
        T = self.n_tasks
        if not fit_intercept:
            return solve(Y), np.zeros(T)
        indicators = np.zeros((T, *Y.shape))
        for t in range(T):
            indicators[t, :, t] = 1.0
        return _intercepts(solve, Y, indicators, T, shrinkage)
