"""Task-relationship penalty: a quadratic form across tasks, optionally plus l1.

Every task-relationship model (mean-regularised, graph-regularised, MTRL's
task covariance, clustered MTL, a task precision prior) penalises each
feature's row of task weights ``W[j]`` by the same quadratic form
``1/2 W[j] M W[j]^T``; they differ only in ``M`` and in how (or whether) ``M``
is learned.  One penalty object therefore serves them all.
"""

import copy

import numpy as np
from numba import njit
from scipy.sparse.csgraph import connected_components

from .._backend import get_namespace, to_host
from ._base import Penalty, scale_strength

# Relative size below which an eigenvalue of ``M`` counts as zero.
_NULL_TOL = 1e-10


@njit(cache=True, nogil=True)
def _quadratic_l1_rows(B, A, alpha, U, tol, max_sweeps):
    """Solve ``min_u 1/2 u^T A u - B[j] . u + alpha ||u||_1`` for every row ``j``, in place in ``U``.

    Cyclic coordinate descent per row, keeping ``g = A u`` up to date so a
    coordinate costs O(1) and a nonzero move O(T).  ``U`` holds the start.
    A coordinate with ``A[t, t] = 0`` is unbounded unless its correlation is
    within ``alpha``, which the caller guarantees (dual feasibility); it is
    then zero at a minimiser.  Returns the largest number of sweeps used.
    """
    p, T = B.shape
    g = np.empty(T)
    worst = 0
    for j in range(p):
        for t in range(T):
            acc = 0.0
            for k in range(T):
                acc += A[t, k] * U[j, k]
            g[t] = acc
        sweeps = 0
        for sweeps in range(1, max_sweeps + 1):
            max_move = 0.0
            max_abs = 0.0
            for t in range(T):
                old = U[j, t]
                r = B[j, t] - g[t] + A[t, t] * old
                if A[t, t] > 0.0 and abs(r) > alpha:
                    new = (r - alpha) / A[t, t] if r > 0.0 else (r + alpha) / A[t, t]
                else:
                    new = 0.0
                delta = new - old
                if delta != 0.0:
                    U[j, t] = new
                    for k in range(T):
                        g[k] += A[k, t] * delta
                    if abs(delta) > max_move:
                        max_move = abs(delta)
                if abs(new) > max_abs:
                    max_abs = abs(new)
            if max_move <= tol * max_abs or max_abs == 0.0:
                break
        if sweeps > worst:
            worst = sweeps
    return worst


def _clip_to_sums(Z0, targets, alpha):
    """``clip(Z0 + c, -alpha, alpha)`` with per-row shifts ``c`` making row j sum to ``targets[j]``.

    The clipped sum increases with ``c`` from ``-alpha k`` to ``alpha k``
    (``k`` columns), so bisection finds ``c`` when ``|targets| <= alpha k``
    (else the nearest end).
    """
    lo = -alpha - Z0.max(axis=1)
    hi = alpha - Z0.min(axis=1)
    for _ in range(200):  # halves the bracket to rounding level
        mid = 0.5 * (lo + hi)
        low = np.clip(Z0 + mid[:, None], -alpha, alpha).sum(axis=1) < targets
        lo, hi = np.where(low, mid, lo), np.where(low, hi, mid)
        if np.all(hi - lo <= 4 * np.finfo(np.float64).eps * np.maximum(np.abs(hi), alpha)):
            break
    return np.clip(Z0 + (0.5 * (lo + hi))[:, None], -alpha, alpha)


def mean_separated_spectrum(lambda_mean, d, U):
    """Eigendecomposition of ``lambda_mean 11^T / T + Pi M Pi``, ``M = U diag(d) U^T``.

    ``Pi = I - 11^T / T`` centres the tasks: the quadratic ``1/2 tr(W A W^T)``
    with this ``A`` is ``lambda_mean / 2 T ||w_bar||^2`` on the tasks' mean
    plus ``1/2 tr(W_c M W_c^T)`` on their deviations ``W_c = W Pi`` (Evgeniou
    and Pontil's separation of the mean, as in clustered MTL's
    ``lambda_mean``). Built from its parts rather than decomposed as a sum:
    ``lambda_mean`` and ``M`` may differ by any factor, and a decomposition
    of the sum would lose the smaller to rounding. ``A`` is positive definite
    when ``M`` is positive definite on the centred directions.

    Parameters
    ----------
    lambda_mean : float
        ``> 0``.
    d : ndarray of shape (n_tasks,)
        ``M``'s eigenvalues, ``>= 0``.
    U : ndarray of shape (n_tasks, n_tasks)
        ``M``'s orthonormal eigenvectors.

    Returns
    -------
    d, U : ndarrays
        ``A = U diag(d) U^T``; ``d[0] = lambda_mean`` on ``U[:, 0] = 1 / sqrt(T)``.
    """
    T = len(d)
    # An orthonormal basis P of the centred directions (I - 11^T/T's unit eigenvalues).
    _, P = np.linalg.eigh(np.eye(T) - 1.0 / T)
    P = P[:, 1:]
    R = P.T @ U
    B = (R * d) @ R.T  # P^T M P
    e, V = np.linalg.eigh(0.5 * (B + B.T))
    d_out = np.concatenate([[float(lambda_mean)], np.maximum(e, 0.0)])
    return d_out, np.column_stack([np.full(T, T ** -0.5), P @ V])


class TaskQuadratic(Penalty):
    r"""A quadratic coupling of the tasks, plus an optional l1 term::

        alpha * ||W||_1  +  1/2 tr(W M W^T)  (+ l2_reg / 2 ||W||_F^2)

    with ``W`` of shape (n_features, n_tasks) and ``M`` (n_tasks, n_tasks)
    symmetric positive semidefinite, so each feature's row ``w`` of task
    weights pays ``1/2 w^T M w``.  Examples: ``M = lambda (I - 11^T / T)``
    pulls tasks to their mean, ``M = lambda L`` (a graph Laplacian) pulls
    neighbouring tasks together, ``M = lambda Omega^{-1}`` is a matrix-normal
    prior with task covariance ``Omega``.

    Prox: without l1 it is linear, ``V (I + s M)^{-1}`` (one eigendecomposition
    of ``M``, made once); with l1 each row is a small lasso solved exactly by
    coordinate descent.  The penalty is not separable over tasks, so it is
    solved by FISTA.

    Duality gap: the conjugate is ``1/2 tr(V M^{-1} V^T)`` for invertible
    ``M`` without l1 (closed form).  With l1 it is the infimal convolution
    ``min_{|Z| <= alpha} 1/2 tr((V - Z) M^+ (V - Z)^T)`` (``V - Z`` in the
    range of ``M``); :meth:`conjugate` returns its value at one feasible
    ``Z``, built from an approximate maximiser of ``<V, U> - h(U)`` (row
    lassos by coordinate descent, warm-started from the previous call), so
    it is an *upper* bound on ``h^*``, exact when that maximiser is: the
    duality gap it gives is never smaller than the true one.  A singular
    ``M`` leaves task combinations in its null space unpenalised by the
    quadratic; the conjugate is then finite only where the l1 term bounds
    them, which needs ``alpha > 0`` (or ``l2_reg > 0``) and a null space
    spanned by indicators of groups of tasks (true of Laplacians and of
    ``I - 11^T/T``): feasibility is ``|sum_{t in C} V[j, t]| <= alpha |C|``
    for each such group ``C``, restored by rescaling like a norm's dual ball.

    Without l1 and l2 terms a singular ``M`` is accepted only with
    ``free_null_space=True`` and a null space spanned by task groups (as
    ``I - 11^T/T``, the mean-regularised model without ridge): the penalty
    is then constant along ``W + delta 1_C^T`` for each group ``C``, listed
    in ``free_groups``. Its conjugate is finite only on the range of ``M``
    (every group sum of each row of ``V`` zero); the solvers make it so by
    minimising the datafit along those free directions before each gap
    (:func:`mtlclassic.solvers.profile_free`, as the intercept is), and the
    conjugate is ``1/2 tr(V M^+ V^T)``.

    Parameters
    ----------
    M : array-like of shape (n_tasks, n_tasks)
        Symmetric positive semidefinite coupling matrix.
    alpha : float, default=0.0
        Strength of the l1 term.
    l2_reg : float, default=0.0
        Elastic term (equivalently ``M + l2_reg I``).
    free_null_space : bool, default=False
        With ``alpha = l2_reg = 0``, accept a singular ``M`` whose null space
        is spanned by task groups, left unpenalised (``free_groups``);
        otherwise such an ``M`` is a ``ValueError``.
    spectrum : tuple (d, U), default=None
        ``M``'s eigendecomposition ``M = U diag(d) U^T`` when the caller knows
        it (``M`` is then ignored): ``d >= 0``, its zeros exactly the null
        space. Without it, ``M`` is decomposed and eigenvalues below
        ``1e-10 max|M|`` count as zero (rounding of a structurally singular
        ``M``, as a graph Laplacian): a judgement relative to ``M``'s own
        scale, so independent of the units.
    """

    has_dual_norm = True

    def __init__(self, M, alpha=0.0, l2_reg=0.0, *, free_null_space=False, spectrum=None,
                 tol=1e-12, max_sweeps=100000, conjugate_sweeps=200):
        super().__init__(alpha, l2_reg)
        if spectrum is not None:
            d, U = (np.asarray(a, dtype=np.float64) for a in spectrum)
            M = (U * d) @ U.T
        M = np.asarray(M, dtype=np.float64)
        if M.ndim != 2 or M.shape[0] != M.shape[1]:
            raise ValueError(f"M must be a square matrix, got shape {M.shape}.")
        if not np.all(np.isfinite(M)):
            raise ValueError("M must be finite.")
        # M's own scale: symmetry, definiteness and its null space are judged relative to
        # it, so that they do not depend on the units (a strength of 1e-20 or 1e100 is
        # the same model shape as 1). A zero M has scale 0: all of it is null space.
        scale = float(np.max(np.abs(M), initial=0.0))
        if not np.allclose(M, M.T, rtol=0.0, atol=1e-10 * scale):
            raise ValueError("M must be symmetric.")
        M = 0.5 * (M + M.T)
        if spectrum is None:
            d, U = np.linalg.eigh(M)
        elif d.shape != M.shape[:1] or not np.all(d >= 0):
            raise ValueError("spectrum must be (d, U) with d >= 0 of length n_tasks.")
        if d.size and d[0] < -1e-8 * scale:
            raise ValueError(f"M must be positive semidefinite; its smallest eigenvalue is {d[0]:.3g}.")
        self.M = M
        # Eigenvalues at M's rounding level are its null space: exactly zero, so that the
        # elastic term alone penalises those directions, whatever l2_reg's size next to M.
        # A spectrum given by the caller is exact: its zeros alone are the null space (an
        # M of condition number above 1 / _NULL_TOL, e.g. an inverse covariance, keeps its
        # small eigenvalues).
        self._d = d if spectrum is not None else np.where(d <= _NULL_TOL * scale, 0.0, d)
        self._U = U
        self.zeroes_rows = self.alpha > 0
        self.tol = float(tol)
        self.max_sweeps = int(max_sweeps)
        self.conjugate_sweeps = int(conjugate_sweeps)
        self.free_null_space = bool(free_null_space)
        groups = self._null_groups(scale)
        # Without l1, the null-space groups are free directions (profiled by the solvers);
        # with l1, they bound the dual point (rescaled into the l1 box's group sums).
        self.free_groups = groups if self.alpha == 0 else []
        self._groups = [] if self.alpha == 0 else groups
        # Eigenvalues of M + l2_reg I, and which of them are zero (only without l2_reg).
        self._d_eff = self._d + self.l2_reg
        self._null = self._d_eff == 0
        # Pseudo-inverse of those eigenvalues: the conjugate without l1.
        self._d_pinv = np.where(self._null, 0.0, 1.0 / np.where(self._null, 1.0, self._d_eff))
        # Warm starts of the conjugate's inner solve: the last prox output (the solver's
        # iterate), else the last maximiser found.
        self._last_prox = None
        self._conj_start = None
        self._eig_on = {}  # (U, d) copied to other array namespaces (the GPU), once each

    def scaled(self, degree1, degree2):
        """The same penalty in rescaled units: ``alpha`` times ``2^degree1``; ``M``, ``l2_reg`` ``2^degree2``.

        ``M``'s eigenvectors are kept and its eigenvalues scaled (exact for a
        power of two), and so are the decisions made from ``M`` in the user's
        units (its null space, the free or bounding task groups): they are
        properties of the model, not of the units, and a relation matrix
        rescaled far below 1 must not be mistaken for a zero one.
        """
        out = copy.copy(self)
        out.alpha = scale_strength(self.alpha, degree1)
        out.l2_reg = scale_strength(self.l2_reg, degree2)
        with np.errstate(over="ignore", under="ignore"):
            big, tiny = np.finfo(np.float64).max, np.finfo(np.float64).tiny
            out.M = np.clip(np.ldexp(self.M, degree2), -big, big)
            out._d = np.minimum(np.ldexp(self._d, degree2), big)
            out._d_eff = np.minimum(out._d + out.l2_reg, big)
            out._d_pinv = np.where(self._null, 0.0, 1.0 / np.maximum(out._d_eff, tiny))
        out._last_prox = out._conj_start = None
        out._eig_on = {}
        return out

    def _eig(self, xp):
        """``M``'s eigenvectors, eigenvalues and those of ``M + l2_reg I``, in namespace ``xp``."""
        if xp is np:
            return self._U, self._d, self._d_eff
        if xp not in self._eig_on:
            self._eig_on[xp] = tuple(xp.asarray(a) for a in (self._U, self._d, self._d_eff))
        return self._eig_on[xp]

    def _null_groups(self, scale):
        """Index arrays of the task groups whose indicators span ``M``'s null space (or ``[]``)."""
        n_null = int(np.sum(self._d == 0))
        if n_null == 0 or self.l2_reg > 0:
            return []
        if self.alpha == 0 and not self.free_null_space:
            raise ValueError(
                "M is singular and alpha = l2_reg = 0: the task combinations in its null space "
                "are not penalised, so the problem may have no unique solution and no finite "
                "duality gap. Use alpha > 0 or l2_reg > 0.")
        _, labels = connected_components(np.abs(self.M) > _NULL_TOL * scale, directed=False)
        groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
        groups = [g for g in groups if np.abs(self.M[:, g].sum(axis=1)).max() <= 1e-8 * scale]
        if len(groups) != n_null:
            raise ValueError(
                "M's null space is not spanned by indicators of groups of tasks (as for a graph "
                "Laplacian); such a singular M needs l2_reg > 0.")
        if len(groups) == self.M.shape[0] and self.alpha == 0:
            raise ValueError("M is zero and alpha = l2_reg = 0: nothing is penalised; use an "
                             "unpenalised fit per task instead.")
        return groups

    # -- f = alpha ||.||_1 + 1/2 tr(W M W^T) ---------------------------------
    def _value(self, W):
        xp = get_namespace(W)
        U, d, _ = self._eig(xp)
        rot = W @ U
        return self.alpha * float(xp.sum(xp.abs(W))) + 0.5 * float(xp.sum(rot * rot * d))

    def _rows(self, B, A, start, max_sweeps=None):
        U = np.array(start, dtype=np.float64, order="C")
        _quadratic_l1_rows(np.ascontiguousarray(B, dtype=np.float64), A, self.alpha, U,
                           self.tol, self.max_sweeps if max_sweeps is None else max_sweeps)
        return U

    def _prox(self, W, step):
        if step == 0:
            return W.copy()
        xp = get_namespace(W)
        if self.alpha and xp is not np:
            # The row lassos are a numba kernel: solved on the host (W is (p, T), small
            # next to the data the GPU holds), the result sent back.
            return xp.asarray(self._prox(to_host(W), step))
        # Without l1: (I + s M)^{-1} in M's eigenbasis.  It is also the start of the row lasso.
        U, d, _ = self._eig(xp)
        ridge = ((W @ U) / (1.0 + step * d)) @ U.T
        if self.alpha == 0:
            return ridge.astype(W.dtype, copy=False)
        # argmin 1/(2s)||u - v||^2 + f(u)  <=>  the row lasso with A = M + I/s, B = V/s.
        A = self.M + np.eye(self.M.shape[0]) / step
        out = self._rows(W / step, A, ridge)
        # The solver's latest iterate: near the optimum it is close to the maximiser the
        # conjugate needs (W* maximises <V*, U> - h(U)), so it starts that search.
        self._last_prox = out
        return out.astype(W.dtype, copy=False)

    def dual_scale(self, V):
        """``1`` with free directions (profiled, not rescaled), else as a norm's dual ball."""
        if self.free_groups:
            return 1.0
        return super().dual_scale(V)

    def dual_norm(self, V):
        """``max_{j, C} |sum_{t in C} V[j, t]| / |C|`` over the null-space groups (0 if none).

        ``f^*(V)`` is finite iff this is ``<= alpha``: along a null-space
        direction only the l1 term grows.
        """
        if not self._groups or V.size == 0:
            return 0.0
        V = to_host(V)
        return max(float(np.max(np.abs(V[:, g].sum(axis=1)))) / len(g) for g in self._groups)

    def conjugate(self, V):
        """Upper bound on ``h^*(V)``, exact at convergence (``V`` feasible: :meth:`dual_scale`).

        ``h = f + g`` with ``f = alpha ||.||_1`` and ``g = 1/2 tr(U M' U^T)``
        (``M' = M + l2_reg I``), so ``h^*(V) = min_Z f^*(Z) + g^*(V - Z)``:
        any ``Z`` with ``|Z| <= alpha`` and ``V - Z`` in the range of ``M'``
        bounds it by ``1/2 tr((V - Z) M'^+ (V - Z)^T)``.  At the maximiser
        ``U`` of ``<V, U> - h(U)``, ``V - U M'`` is such a ``Z`` and the bound
        is attained; an approximate ``U`` (coordinate descent, capped at
        ``conjugate_sweeps`` sweeps, warm-started) gives a ``Z`` that is
        clipped into the box and, per null-space group, shifted so that
        ``V - Z`` keeps zero group sums.  An upper bound keeps the duality
        gap an upper bound on the suboptimality, however rough ``U`` is;
        ill-conditioned ``M`` (long chains) no longer costs exact inner solves.
        """
        d = self._d_eff
        if self.alpha == 0:
            # 1/2 tr(V M'^+ V^T): M' is invertible, or V is in its range (free_groups, the
            # free directions profiled out by the solver; the rest of V is rounding).
            xp = get_namespace(V)
            U = self._eig(xp)[0]
            rot = V.astype(xp.float64, copy=False) @ U
            return 0.5 * float(xp.sum(rot * rot * xp.asarray(self._d_pinv)))
        V = np.asarray(to_host(V), dtype=np.float64)
        M = self.M + self.l2_reg * np.eye(self.M.shape[0])
        start = self._last_prox
        if start is None or start.shape != V.shape:
            start = self._conj_start
        if start is None or start.shape != V.shape:
            start = ((V @ self._U) / np.where(self._null, np.inf, d)) @ self._U.T
        U = self._rows(V, M, start, self.conjugate_sweeps)
        self._conj_start = U
        Z0 = V - U @ M
        Z = np.clip(Z0, -self.alpha, self.alpha)
        for g in self._groups:
            Z[:, g] = _clip_to_sums(Z0[:, g], V[:, g].sum(axis=1), self.alpha)
        rot = ((V - Z) @ self._U)[:, ~self._null]
        return 0.5 * float(np.sum(rot * rot / d[~self._null]))

    def _cvxpy(self, W):
        import cvxpy as cp

        R = self._U * np.sqrt(self._d)  # M = R R^T
        expr = 0.5 * cp.sum_squares(W @ R)
        if self.alpha:
            expr = expr + self.alpha * cp.sum(cp.abs(W))
        return expr

    def __repr__(self):
        extra = "" if not self.l2_reg else f", l2_reg={self.l2_reg:g}"
        return f"TaskQuadratic(M=<{self.M.shape[0]}x{self.M.shape[0]}>, alpha={self.alpha:g}{extra})"
