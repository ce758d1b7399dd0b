"""Penalties acting on each feature's row ``W[j]`` (its weights across tasks) separately.

These are solved by block coordinate descent as well as FISTA: each has a
numba row prox (``row_kind``, :mod:`mtlclassic.penalties._row_kernels`, which
their ``prox`` calls on numpy arrays), per-row dual norms for working sets,
and a gap-safe screening test.  ``W`` is (n_features, n_tasks).
"""

import numpy as np

from .._backend import get_namespace
from ._base import Penalty
from ._row_kernels import PROX_L1, PROX_L1INF, PROX_L21, PROX_SGL


class _RowPenalty(Penalty):
    """A norm acting on each feature's row: row-separable, zeroes rows, closed-form dual norm."""

    row_separable = True
    zeroes_rows = True
    has_dual_norm = True
    row_param_names = ("alpha",)

    def dual_norm(self, V):
        """``max_j`` of :meth:`row_dual_norms` (0 without rows)."""
        return float(self.row_dual_norms(V).max()) if V.size else 0.0


def _row_norms(xp, V):
    return xp.sqrt(xp.sum(V * V, axis=1))


def _group_shrink(xp, W, thresh):
    """Row-wise ``W[j] * max(1 - thresh / ||W[j]||, 0)``."""
    norms = xp.sqrt(xp.sum(W * W, axis=1, keepdims=True))
    # Rows with norm <= thresh get scale exactly 0; the floor avoids 0/0.
    denom = xp.maximum(norms, max(thresh, float(xp.finfo(W.dtype).tiny)))
    return W * xp.maximum(1.0 - thresh / denom, 0.0)


def _soft(xp, W, thresh):
    return xp.sign(W) * xp.maximum(xp.abs(W) - thresh, 0.0)


def project_rows_l1_ball(V, radius):
    """Project each row of ``V`` onto the l1 ball of radius ``radius`` (Duchi et al. 2008).

    Sorting each row costs ``O(T log T)`` per feature; rows already inside
    the ball are returned unchanged.
    """
    xp = get_namespace(V)
    if radius <= 0 or V.size == 0:
        return xp.zeros_like(V)
    A = xp.abs(V)
    T = V.shape[1]
    U = -xp.sort(-A, axis=1)
    css = xp.cumsum(U, axis=1)
    k = xp.arange(1, T + 1, dtype=V.dtype)
    # rho = number of entries left nonzero: the condition holds on a prefix.
    rho = xp.sum(U * k > css - radius, axis=1)
    rho = xp.maximum(rho, 1)
    theta = (css[xp.arange(V.shape[0]), rho - 1] - radius) / rho
    theta = xp.maximum(theta, 0.0)
    inside = xp.sum(A, axis=1) <= radius
    P = xp.sign(V) * xp.maximum(A - theta[:, None], 0.0)
    return xp.where(inside[:, None], V, P)


def sparse_group_dual_norms(V, l1_ratio):
    """Per-row dual norm of ``l1_ratio ||w||_1 + (1 - l1_ratio) ||w||_2``, shape (n_rows,).

    It is the ``s >= 0`` solving ``||ST(v, l1_ratio s)||_2 = (1 - l1_ratio) s``
    (``ST`` the soft threshold), found in closed form: with ``|v|`` sorted
    decreasingly and ``k`` entries above the threshold, the equation is the
    quadratic ``(k r^2 - (1-r)^2) s^2 - 2 r S1_k s + S2_k = 0`` (``S1_k``,
    ``S2_k`` the partial sums of ``|v|`` and ``v^2``), whose relevant root is
    ``S2_k / (r S1_k + sqrt(r^2 S1_k^2 - (k r^2 - (1-r)^2) S2_k))``.

    References
    ----------
    Ndiaye, E., Fercoq, O., Gramfort, A. and Salmon, J. (2016). GAP safe
    screening rules for sparse-group lasso. NeurIPS.
    """
    xp = get_namespace(V)
    r = float(l1_ratio)
    A = xp.abs(V).astype(xp.float64)
    if A.size == 0:  # no rows, or rows of zero tasks (all zero)
        return xp.zeros(A.shape[0])
    if r == 0.0:
        return _row_norms(xp, A)
    if r == 1.0:
        return xp.max(A, axis=1)
    a = -xp.sort(-A, axis=1)
    T = a.shape[1]
    S1 = xp.cumsum(a, axis=1)
    S2 = xp.cumsum(a * a, axis=1)
    k = xp.arange(1, T + 1, dtype=xp.float64)
    # phi(s) = ||ST(a, r s)||^2 - (1-r)^2 s^2 decreases in s; at the breakpoint
    # s_k = a_k / r only the entries before k are active.
    phi = S2 - 2.0 * a * S1 + k * a * a - ((1.0 - r) * a / r) ** 2
    # The root lies between the last breakpoint with phi <= 0 and the next one.
    n_active = xp.maximum(xp.sum(phi <= 0.0, axis=1), 1)
    idx = xp.arange(a.shape[0])
    s1, s2 = S1[idx, n_active - 1], S2[idx, n_active - 1]
    quad = n_active * r * r - (1.0 - r) ** 2
    disc = xp.maximum(r * r * s1 * s1 - quad * s2, 0.0)
    den = r * s1 + xp.sqrt(disc)
    return xp.where(den > 0, s2 / xp.where(den > 0, den, 1.0), 0.0)


class L21(_RowPenalty):
    r"""The l2,1 norm (group lasso, joint feature selection across tasks)::

        alpha * sum_j ||W[j, :]||_2  (+ l2_reg / 2 ||W||_F^2)

    with ``W`` of shape (n_features, n_tasks): feature j is kept or dropped
    for all tasks at once.
    """

    row_kind = PROX_L21

    def _value(self, W):
        xp = get_namespace(W)
        return self.alpha * float(xp.sum(_row_norms(xp, W)))

    def _prox_xp(self, W, step):
        return _group_shrink(get_namespace(W), W, step * self.alpha)

    def row_dual_norms(self, V):
        return _row_norms(get_namespace(V), V)

    def dual_norm(self, V):
        """``max_j ||V[j]||_2``."""
        return float(self.row_dual_norms(V).max()) if V.size else 0.0

    def screen(self, V, radius):
        """Zero rows: ``||V[j]|| + radius[j] < alpha`` implies ``||X_j^T theta*|| < alpha``."""
        return self.row_dual_norms(V) + radius < self.alpha

    def _cvxpy(self, W):
        import cvxpy as cp

        return self.alpha * cp.sum(cp.norm(W, 2, axis=1))


class L1(_RowPenalty):
    r"""The l1 norm: independent sparse models per task (lasso).

    The penalty is::

        alpha * sum_jt |W[j, t]|  (+ l2_reg / 2 ||W||_F^2)
    """

    row_kind = PROX_L1

    def _value(self, W):
        xp = get_namespace(W)
        return self.alpha * float(xp.sum(xp.abs(W)))

    def _prox_xp(self, W, step):
        return _soft(get_namespace(W), W, step * self.alpha)

    def row_dual_norms(self, V):
        xp = get_namespace(V)
        return xp.max(xp.abs(V), axis=1) if V.shape[1] else xp.zeros(V.shape[0])

    def dual_norm(self, V):
        """``max_jt |V[j, t]|``."""
        return float(self.row_dual_norms(V).max()) if V.size else 0.0

    def screen(self, V, radius):
        """Zero rows: every entry ``|V[j, t]| + radius[j] < alpha``."""
        return self.row_dual_norms(V) + radius < self.alpha

    def _cvxpy(self, W):
        import cvxpy as cp

        return self.alpha * cp.sum(cp.abs(W))


class SparseGroup(_RowPenalty):
    r"""Sparse-group lasso: features selected jointly, and sparse within a kept feature::

        alpha * sum_j (l1_ratio ||W[j]||_1 + (1 - l1_ratio) ||W[j]||_2)  (+ l2_reg / 2 ||W||_F^2)

    Its prox is the soft threshold followed by the group shrinkage
    (Friedman, Hastie, Tibshirani 2010); the dual norm is computed in closed
    form by :func:`sparse_group_dual_norms`.
    """

    row_kind = PROX_SGL
    row_param_names = ("alpha", "l1_ratio")

    def __init__(self, alpha, l1_ratio=0.5, l2_reg=0.0):
        super().__init__(alpha, l2_reg)
        if not 0.0 <= l1_ratio <= 1.0:
            raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio}.")
        self.l1_ratio = float(l1_ratio)

    def _value(self, W):
        xp = get_namespace(W)
        r = self.l1_ratio
        return self.alpha * (r * float(xp.sum(xp.abs(W)))
                             + (1.0 - r) * float(xp.sum(_row_norms(xp, W))))

    def _prox_xp(self, W, step):
        xp = get_namespace(W)
        r = self.l1_ratio
        return _group_shrink(xp, _soft(xp, W, step * self.alpha * r), step * self.alpha * (1.0 - r))

    def row_dual_norms(self, V):
        return sparse_group_dual_norms(V, self.l1_ratio)

    def screen(self, V, radius):
        """Zero rows (Ndiaye et al. 2016): ``||ST(|V[j]| + radius[j], r alpha)|| < (1 - r) alpha``.

        Each entry of ``X_j^T theta*`` is within ``radius[j]`` of ``V[j]``; the
        soft threshold is monotone in ``|v|``.  When every entry is below
        ``r alpha`` the row is zero as well (the strict form of the rule at ``r = 1``).
        """
        xp = get_namespace(V)
        if V.shape[1] == 0:
            return xp.ones(V.shape[0], dtype=bool)
        r, a = self.l1_ratio, self.alpha
        upper = xp.abs(V) + radius[:, None]
        st = xp.maximum(upper - r * a, 0.0)
        return (_row_norms(xp, st) < (1.0 - r) * a) | (xp.max(upper, axis=1) < r * a)

    def _cvxpy(self, W):
        import cvxpy as cp

        r = self.l1_ratio
        return self.alpha * (r * cp.sum(cp.abs(W)) + (1.0 - r) * cp.sum(cp.norm(W, 2, axis=1)))

    def __repr__(self):
        return f"SparseGroup(alpha={self.alpha:g}, l1_ratio={self.l1_ratio:g}, l2_reg={self.l2_reg:g})"


class L1Inf(_RowPenalty):
    r"""The l1/l-inf norm: each feature costs its largest weight over tasks::

        alpha * sum_j max_t |W[j, t]|  (+ l2_reg / 2 ||W||_F^2)

    Its prox is, by Moreau's identity, ``v - P(v)`` with ``P`` the projection
    onto the l1 ball of radius ``step * alpha`` (``O(T log T)`` per feature);
    its dual norm is ``max_j ||V[j]||_1``.

    References
    ----------
    Quattoni, A., Carreras, X., Collins, M. and Darrell, T. (2009). An
    efficient projection for l1,inf regularization. ICML.
    Liu, H., Palatucci, M. and Zhang, J. (2009). Blockwise coordinate descent
    procedures for the multi-task lasso. ICML.
    """

    row_kind = PROX_L1INF

    def _value(self, W):
        xp = get_namespace(W)
        if W.shape[1] == 0:
            return 0.0
        return self.alpha * float(xp.sum(xp.max(xp.abs(W), axis=1)))

    def _prox_xp(self, W, step):
        return W - project_rows_l1_ball(W, step * self.alpha)

    def row_dual_norms(self, V):
        xp = get_namespace(V)
        return xp.sum(xp.abs(V), axis=1)

    def dual_norm(self, V):
        """``max_j ||V[j]||_1``."""
        return float(self.row_dual_norms(V).max()) if V.size else 0.0

    def screen(self, V, radius):
        """Zero rows: ``||V[j]||_1 + sqrt(T) radius[j] < alpha`` (l1 bounded by sqrt(T) l2)."""
        return self.row_dual_norms(V) + np.sqrt(V.shape[1]) * radius < self.alpha

    def _cvxpy(self, W):
        import cvxpy as cp

        return self.alpha * cp.sum(cp.max(cp.abs(W), axis=1))
