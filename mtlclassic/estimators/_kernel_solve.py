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

With ``xp`` (an array module: CuPy for ``device="cuda"``) both solve on it: the
kernel matrix, the factorisation (``xp.linalg.cholesky`` and two triangular
solves; ``xp.linalg.eigh``) and the solves stay on the device, and only ``T x T``
matrices (the Schur complement, the task matrix's eigendecomposition) and ``b``
are on the host. ``xp=None`` is the CPU path (SciPy's in-place factorisation).
"""

import numpy as np
import scipy.linalg as la

from .._backend import get_namespace, to_host


def _cholesky_in_place(A):
    """``cho_factor`` of a symmetric ``A`` that overwrites ``A`` (LAPACK's ``LinAlgError`` raised).

    LAPACK works on Fortran-ordered arrays: a C-ordered ``A`` would be copied (one more
    ``N x N`` matrix at the peak, measured), so its transpose, the same symmetric matrix
    and Fortran-ordered, is factored instead (the upper factor of ``A^T`` is the lower
    factor of ``A``).
    """
    if A.flags.c_contiguous and not A.flags.f_contiguous:
        return la.cho_factor(A.T, lower=False, check_finite=False, overwrite_a=True)
    return la.cho_factor(A, lower=True, check_finite=False, overwrite_a=True)


def _spd_factor(A, what):
    """Cholesky factor of a symmetric positive definite matrix (in place), or a ValueError."""
    try:
        return _cholesky_in_place(A)
    except la.LinAlgError:
        raise ValueError(
            f"{what} is not positive definite to float64 precision: the kernel is not positive "
            "semi-definite on the data, or the sample weights span too many orders of "
            "magnitude; use a positive semi-definite kernel (rbf, linear, laplacian, ...) or "
            "rescale the weights.") from None


def _triangular_solver(xp):
    """``solve_triangular`` of ``xp``'s SciPy: SciPy's for numpy, ``cupyx.scipy``'s for CuPy."""
    if xp is np:
        return la.solve_triangular
    import cupyx.scipy.linalg  # the GPU path only: CuPy is installed

    return cupyx.scipy.linalg.solve_triangular


class DeviceCholesky:
    """``A = L L^T`` by ``xp.linalg.cholesky``; calling it applies ``A^{-1}`` to rows (the GPU path).

    A matrix that is not positive definite gives the one-line ``ValueError`` of
    the CPU path (CuPy may return NaNs rather than raise: both are caught).
    """

    def __init__(self, A, xp, what):
        try:
            L = xp.linalg.cholesky(A)
        except Exception:  # numpy's or CuPy's LinAlgError
            L = None
        if L is None or not bool(xp.all(xp.isfinite(xp.diagonal(L)))):
            raise ValueError(
                f"{what} is not positive definite to float64 precision: the kernel is not "
                "positive semi-definite on the data, or the sample weights span too many orders "
                "of magnitude; use a positive semi-definite kernel (rbf, linear, laplacian, ...) "
                "or rescale the weights.")
        self.L, self._solve = L, _triangular_solver(xp)

    def __call__(self, v):
        """``A^{-1}`` applied to ``v`` of shape (N,) or to each row of ``v`` (k, N)."""
        z = self._solve(self.L, v.T, lower=True, check_finite=False)
        return self._solve(self.L.T, z, lower=False, check_finite=False).T


def check_psd_kernel(K, buffer=None, xp=None):
    """Raise a one-line ValueError unless the kernel matrix ``K`` is positive semi-definite.

    One Cholesky factorisation of ``K + delta I``, ``delta = 1e-8 sum_i |K_ii|`` (at least
    ``1e-8`` times the largest eigenvalue of a PSD ``K``, as :class:`KroneckerSolve`'s
    test): the saddle system's own factorisation cannot tell, since ``D^{-1}`` can make
    ``G + D^{-1}`` positive definite for an indefinite kernel (a large ``alpha``).
    ``buffer`` (``K``'s shape) is used for the factorisation instead of a new matrix.
    With ``xp`` (the GPU path) the factorisation is ``xp``'s, on a new matrix.
    """
    if K.size == 0:
        return
    if xp is not None:
        delta = 1e-8 * float(xp.sum(xp.abs(xp.diagonal(K))))
        ok = float(xp.min(xp.diagonal(K))) >= -delta
        if ok:
            idx = xp.arange(K.shape[0])
            A = xp.array(K, dtype=xp.float64)
            A[idx, idx] += delta + np.finfo(np.float64).tiny
            try:
                DeviceCholesky(A, xp, "")
            except ValueError:
                ok = False
        if not ok:
            raise ValueError(
                "The kernel matrix of the training rows is not positive semi-definite; use a "
                "positive semi-definite kernel (rbf, linear, laplacian, ...).")
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
            _cholesky_in_place(A)
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
    # S[t, s] = <indicator_t, V_s>, rhs[t] = <indicator_t, u>: T x T, on the host.
    flat = indicators.reshape(T, -1)
    S = to_host(flat @ V.reshape(T, -1).T)
    rhs = to_host(flat @ u.reshape(-1))
    S = 0.5 * (S + S.T)
    if shrinkage > 0:
        S = S + shrinkage * (np.eye(T) - 1.0 / T)
    b = np.linalg.solve(S, rhs)
    xp = get_namespace(V)
    return u - (V.reshape(T, -1).T @ xp.asarray(b)).reshape(u.shape), b



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
    xp : module, default=None
        The array module of ``K`` and ``c`` on the GPU path (None: the CPU's).
    """

    def __init__(self, K, task, c, n_tasks, xp=None):
        if np.any(np.diff(task) < 0):
            raise ValueError("StackedSolve: the observations must be sorted by task.")
        self.K, self.task, self.n_tasks, self.xp = K, task, n_tasks, xp
        self.inv_c = 1.0 / c
        self.offsets = np.searchsorted(task, np.arange(n_tasks + 1))
        indicators = np.zeros((n_tasks, len(task)))
        indicators[task, np.arange(len(task))] = 1.0
        if xp is None:
            self._indicators = indicators
            self._G = np.empty_like(K, dtype=np.float64)
            check_psd_kernel(K, buffer=self._G)
        else:
            self._indicators = xp.asarray(indicators)
            self._G = xp.empty_like(K, dtype=xp.float64)
            check_psd_kernel(K, xp=xp)

    def solve(self, Q, y, fit_intercept, shrinkage=0.0):
        """``(a, b)`` for the task matrix ``Q``; ``a`` of shape (N,)."""
        G, K, o = self._G, self.K, self.offsets
        for s in range(self.n_tasks):
            for t in range(self.n_tasks):
                np.multiply(K[o[s]:o[s + 1], o[t]:o[t + 1]], Q[s, t],
                            out=G[o[s]:o[s + 1], o[t]:o[t + 1]])
        what = "The multi-task kernel matrix plus the loss weights' inverse"
        if self.xp is None:
            G[np.diag_indices_from(G)] += self.inv_c
            factor = _spd_factor(G, what)
            solve = lambda v: la.cho_solve(factor, v.T, check_finite=False).T  # noqa: E731
        else:
            idx = self.xp.arange(G.shape[0])
            G[idx, idx] += self.inv_c
            solve = DeviceCholesky(G, self.xp, what)
        if not fit_intercept:
            return solve(y), np.zeros(self.n_tasks)
        return _intercepts(solve, y, self._indicators, self.n_tasks, shrinkage)


def _eigh(M, what, xp=np, overwrite=False):
    """``xp.linalg.eigh(M)``, with a one-line ``ValueError`` where LAPACK fails.

    ``overwrite`` (the host's ``n x n`` kernel matrix): SciPy's MRRR driver (``evr``)
    on ``M`` in place, whose workspace is ``O(n)``; numpy's ``eigh`` (divide and
    conquer, ``evd``) keeps ``M`` and takes ``2 n^2`` of workspace besides the
    eigenvectors. ``M`` is symmetric: its Fortran-ordered transpose is the same matrix.
    """
    try:
        if overwrite and xp is np:
            A = M.T if M.flags.c_contiguous else M
            return la.eigh(A, overwrite_a=True, check_finite=False, driver="evr")
        return xp.linalg.eigh(M)
    except Exception:  # numpy's or CuPy's LinAlgError
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
    xp : module, default=None
        The array module of ``K`` on the GPU path (None: numpy).
    """

    def __init__(self, K, row_weights, task_weights, xp=None):
        xp = np if xp is None else xp
        self.K, self.xp = K, xp
        self.sr = xp.sqrt(xp.asarray(row_weights))
        self.sw = np.sqrt(task_weights)  # host: the T x T eigendecomposition is the host's
        # D_r^{1/2} K D_r^{1/2} in one new buffer, decomposed in place: with K and the
        # eigenvectors, three n x n matrices at the peak (five with numpy's eigh).
        M = self.sr[:, None] * K
        M *= self.sr[None, :]
        lam, U = _eigh(M, "the weighted kernel matrix", xp, overwrite=True)
        del M
        self.lam, self.U = xp.maximum(lam, 0.0), U
        low, top = float(xp.min(lam)), float(xp.max(xp.abs(lam)))
        if low < -1e-8 * max(top, 1e-300):
            raise ValueError(
                "The kernel matrix of the training rows is not positive semi-definite "
                f"(eigenvalue {low:.3g}); use a positive semi-definite kernel (rbf, "
                "linear, laplacian, ...).")
        self.n_tasks = len(task_weights)

    def _solver(self, Q):
        s, V = _eigh(self.sw[:, None] * Q * self.sw[None, :], "the weighted task matrix")
        xp = self.xp
        s, V, sw = xp.asarray(np.maximum(s, 0.0)), xp.asarray(V), xp.asarray(self.sw)
        scale = 1.0 / (xp.outer(self.lam, s) + 1.0)
        sr, U = self.sr, self.U

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
        indicators = self.xp.zeros((T, *Y.shape))
        for t in range(T):
            indicators[t, :, t] = 1.0
        return _intercepts(solve, Y, indicators, T, shrinkage)
