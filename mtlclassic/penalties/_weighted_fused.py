"""A fused lasso over ordered tasks with per-feature weights: one stage of a non-convex model.

The non-convex fused sparse group lassos (Zhou et al. 2012, MALSAR's
``Least_NCFGLassoF1`` / ``F2``) are fitted by linearising their concave
square roots at the previous stage's solution: each stage is then a fused
lasso whose l1 and fused strengths differ from feature to feature (MALSAR's
``Least_FGLasso`` and its special cases ``Least_Weight1FGLasso`` /
``Least_Weight2FGLasso``). The per-feature strengths keep the row prox exact
(the 1-D total-variation prox along the order, then the soft threshold: the
composition Friedman et al. 2007 prove exact holds row by row, whatever each
row's strengths), but the solvers' numba row kernels take the same
parameters for every row, so this penalty is solved by FISTA, with an exact
duality gap (the row dual norms by bisection, below).

A row of infinite l1 weight is held at zero (the tangent of ``sqrt(u)`` at
``u = 0`` is vertical: the majorising stage keeps a feature dropped once it
is zero).
"""

import numpy as np
from numba import njit

from .._backend import get_namespace, to_host
from ._base import Penalty
from ._ordered import check_order
from ._ordered_kernels import _ordered_tv


@njit(cache=True, nogil=True)
def _weighted_fused_prox(W, step, a, c, order):
    """In place per row: the TV prox (``step c[j]``) along ``order``, then the soft threshold."""
    p, T = W.shape
    row = np.empty(T)
    buf = np.empty(T)
    out = np.empty(T)
    for j in range(p):
        if not np.isfinite(a[j]):  # held at zero
            for t in range(T):
                W[j, t] = 0.0
            continue
        for t in range(T):
            row[t] = W[j, t]
        lam = step * c[j]
        if lam > 0.0 and T > 1:
            _ordered_tv(row, lam, order, buf, out)
        th = step * a[j]
        for t in range(T):
            v = abs(row[t]) - th
            W[j, t] = np.sign(row[t]) * v if v > 0.0 else 0.0


@njit(cache=True, nogil=True)
def _in_ball(v, s, a, c, order, row, buf, out):
    """Whether ``v`` is in ``s`` times the unit ball of ``a ||.||_1 + c TV``.

    Moreau: iff the prox of ``s (a ||.||_1 + c TV)`` maps ``v`` to 0, iff the
    TV prox of strength ``s c`` has every entry within ``s a`` of zero.
    """
    T = v.shape[0]
    for t in range(T):
        row[t] = v[t]
    if s * c > 0.0 and T > 1:
        _ordered_tv(row, s * c, order, buf, out)
    for t in range(T):
        if abs(row[t]) > s * a:
            return False
    return True


# Bisection steps of a row dual norm: the bracket shrinks to 2^-100 of itself at most.
_BISECTIONS = 100


@njit(cache=True, nogil=True)
def _weighted_fused_dual_norms(V, a, c, order):
    """Per row: the dual norm of ``a[j] ||.||_1 + c[j] TV`` at ``V[j]``, from above (held: 0).

    The smallest ``s`` with ``V[j]`` in ``s`` times the unit ball: ``V[j] =
    s (a z + c D^T y)`` with ``||z||_inf, ||y||_inf <= 1``, so ``s`` lies
    between ``|mean(V[j])| / a`` (``D^T y`` sums to zero) and ``||V[j]||_inf /
    a`` (``y = 0``); bisection on the membership test, the upper (feasible)
    end returned.
    """
    p, T = V.shape
    out_norms = np.zeros(p)
    v = np.empty(T)
    row = np.empty(T)
    buf = np.empty(T)
    out = np.empty(T)
    for j in range(p):
        if not np.isfinite(a[j]):
            continue
        total = 0.0
        big = 0.0
        for t in range(T):
            v[t] = V[j, t]
            total += v[t]
            big = max(big, abs(v[t]))
        hi = big / a[j]
        if hi == 0.0 or c[j] == 0.0 or T == 1:
            out_norms[j] = hi
            continue
        lo = abs(total) / T / a[j]
        for _ in range(_BISECTIONS):
            mid = 0.5 * (lo + hi)
            if not (lo < mid < hi):
                break
            if _in_ball(v, mid, a[j], c[j], order, row, buf, out):
                hi = mid
            else:
                lo = mid
        out_norms[j] = hi
    return out_norms


class WeightedFused(Penalty):
    r"""Fused lasso over ordered tasks, each feature with its own l1 and fused strengths::

        alpha * sum_j (l1_weights[j] ||W[j]||_1 + fused_weights[j] sum_i |W[j, o_{i+1}] - W[j, o_i]|)
        (+ l2_reg / 2 ||W||_F^2)

    ``W`` of shape (n_features, n_tasks), ``o`` the tasks in their order. A
    row of ``l1_weights[j] = inf`` is held at zero (the indicator of ``W[j] =
    0``). Prox (exact, per row): the total-variation prox along the order,
    then the soft threshold. Dual norm: per row, by bisection on the prox's
    zero test (:func:`_weighted_fused_dual_norms`), from above, so the
    rescaled dual point is feasible and the gap an upper bound.

    Parameters
    ----------
    alpha : float
        ``>= 0``.
    l1_weights : array-like of shape (n_features,)
        ``> 0`` (``inf`` allowed: the row is held at zero).
    fused_weights : array-like of shape (n_features,)
        Finite, ``>= 0``.
    order : array-like of int, default=None
        The tasks (positions in ``W``'s columns) in their order; None: the
        identity (then ``n_tasks`` is required).
    l2_reg : float, default=0.0
        Elastic term.

    References
    ----------
    Zhou, J., Liu, J., Narayan, V. A. and Ye, J. (2012). Modeling disease
    progression via fused sparse group lasso. KDD.
    Friedman, J., Hastie, T., Hoefling, H. and Tibshirani, R. (2007).
    Pathwise coordinate optimization. Ann. Appl. Stat. 1(2).
    """

    has_dual_norm = True

    def __init__(self, alpha, l1_weights, fused_weights, order=None, l2_reg=0.0, *,
                 n_tasks=None):
        super().__init__(alpha, l2_reg)
        a = np.asarray(l1_weights, dtype=np.float64)
        c = np.asarray(fused_weights, dtype=np.float64)
        if a.ndim != 1 or np.any(np.isnan(a)) or np.any(a <= 0):
            raise ValueError("l1_weights must be a 1-d array of numbers > 0 (inf: row held at 0).")
        if c.shape != a.shape or not np.all(np.isfinite(c)) or np.any(c < 0):
            raise ValueError("fused_weights must be a 1-d array of finite numbers >= 0, of the "
                             "length of l1_weights.")
        if order is None and n_tasks is None:
            raise ValueError("WeightedFused needs order or n_tasks.")
        self.l1_weights = a
        # A held row's fused weight plays no part: 0 keeps products with inf out of the kernels.
        self.fused_weights = np.where(np.isfinite(a), c, 0.0)
        self.order = check_order(order, n_tasks if order is None else len(order))
        self.held_rows = np.flatnonzero(~np.isfinite(a))

    def _rows(self, W):
        """Per row: ``(||W[j]||_1, sum_i |W[j, o_{i+1}] - W[j, o_i]|)`` on the host."""
        W = np.asarray(to_host(W), dtype=np.float64)
        l1 = np.abs(W).sum(axis=1)
        if W.shape[1] < 2:
            return l1, np.zeros_like(l1)
        ordered = W[:, self.order]
        return l1, np.abs(ordered[:, 1:] - ordered[:, :-1]).sum(axis=1)

    def _value(self, W):
        l1, tv = self._rows(W)
        finite = np.isfinite(self.l1_weights)
        if np.any(l1[~finite] > 0):
            return np.inf
        return self.alpha * float(np.sum(self.l1_weights[finite] * l1[finite])
                                  + np.sum(self.fused_weights[finite] * tv[finite]))

    def _prox_xp(self, W, step):
        # The TV prox is a numba kernel: run on the host ((p, T), small next to the data a
        # GPU holds), the result sent back in W's namespace and dtype.
        xp = get_namespace(W)
        out = np.array(to_host(W), dtype=np.float64, order="C", copy=True)
        if out.size:
            _weighted_fused_prox(out, float(step) * self.alpha, self.l1_weights,
                                 self.fused_weights, self.order.astype(np.float64))
        return xp.asarray(out.astype(W.dtype, copy=False))

    def row_dual_norms(self, V):
        """Per row: the dual norm of the row's ``l1_weights[j] ||.||_1 + fused_weights[j] TV``."""
        V = np.ascontiguousarray(to_host(V), dtype=np.float64)
        if V.shape[1] == 0:
            return np.zeros(V.shape[0])
        return _weighted_fused_dual_norms(V, self.l1_weights, self.fused_weights,
                                          self.order.astype(np.float64))

    def dual_norm(self, V):
        """``max_j`` of :meth:`row_dual_norms` (held rows: none, their conjugate is 0)."""
        return float(self.row_dual_norms(V).max()) if V.size else 0.0

    def _cvxpy(self, W):
        import cvxpy as cp

        finite = np.isfinite(self.l1_weights)
        a = np.where(finite, self.l1_weights, 0.0)
        expr = cp.sum(cp.multiply(a[:, None], cp.abs(W)))
        if W.shape[1] > 1:
            ordered = W[:, self.order]
            steps = cp.abs(ordered[:, 1:] - ordered[:, :-1])
            expr = expr + cp.sum(cp.multiply(self.fused_weights[:, None], steps))
        return self.alpha * expr

    def cvxpy_constraints(self, W):
        return [W[int(j)] == 0 for j in self.held_rows]

    def __repr__(self):
        extra = "" if not self.l2_reg else f", l2_reg={self.l2_reg:g}"
        return (f"WeightedFused(alpha={self.alpha:g}, {self.l1_weights.size} rows, "
                f"{self.held_rows.size} held at zero, order={self.order.tolist()}{extra})")
