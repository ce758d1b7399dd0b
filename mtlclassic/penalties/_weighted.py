"""A weighted l1 norm whose rows of weight zero are left free: one stage of a capped l1.

The multi-stage (majorise-minimise) fit of the capped l1,l1 penalty
``alpha sum_j min(||W[j]||_1, cap)`` solves at each stage a lasso whose
features above the cap are not penalised at all (Gong, Ye and Zhang 2012).
Those free rows make the conjugate the indicator of ``X_j^T theta = 0`` for
each of them, which no rescaling of the dual point reaches: like the free
task groups of :class:`~mtlclassic.penalties.TaskQuadratic`, they are
declared in ``free_rows`` and the solvers minimise the datafit along them
before each gap (:func:`mtlclassic.solvers.profile_free`), which makes the
dual point feasible up to rounding.
"""

import numpy as np

from .._backend import get_namespace
from ._base import Penalty


class RowWeightedL1(Penalty):
    r"""``alpha * sum_j weights[j] ||W[j]||_1  (+ l2_reg / 2 ||W||_F^2)``, ``W`` (n_features, n_tasks).

    Rows of weight zero are unpenalised (``free_rows``, without ``l2_reg``).
    Not separable by the solvers' numba row kernels (their parameters are the
    same for every row): solved by FISTA, with an exact duality gap.

    Parameters
    ----------
    alpha : float
        ``>= 0``.
    weights : array-like of shape (n_features,)
        Finite, ``>= 0``: the relative strength of each feature's row.
    l2_reg : float, default=0.0
        Elastic term.
    """

    has_dual_norm = True

    def __init__(self, alpha, weights, l2_reg=0.0):
        super().__init__(alpha, l2_reg)
        weights = np.asarray(weights, dtype=np.float64)
        if weights.ndim != 1 or not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError("weights must be a 1-d array of finite numbers >= 0.")
        self.weights = weights
        # With an elastic term every row's conjugate is finite: nothing to profile.
        self.free_rows = np.flatnonzero(weights == 0) if self.l2_reg == 0 else np.empty(0, int)
        self._on = {}  # weights copied to other array namespaces (the GPU), once each

    def _w(self, xp):
        if xp is np:
            return self.weights
        if xp not in self._on:
            self._on[xp] = xp.asarray(self.weights)
        return self._on[xp]

    def _value(self, W):
        xp = get_namespace(W)
        return self.alpha * float(xp.sum(self._w(xp) * xp.sum(xp.abs(W), axis=1)))

    def _prox_xp(self, W, step):
        xp = get_namespace(W)
        thresh = (step * self.alpha) * self._w(xp)[:, None]
        return (xp.sign(W) * xp.maximum(xp.abs(W) - thresh, 0.0)).astype(W.dtype, copy=False)

    def dual_norm(self, V):
        """``max_{j: weights[j] > 0} max_t |V[j, t]| / weights[j]`` (0 without such rows).

        The free rows are not in it: their dual constraint ``V[j] = 0`` is
        met by profiling (module docstring), not by rescaling.
        """
        xp = get_namespace(V)
        w = self._w(xp)
        keep = w > 0
        if V.size == 0 or not bool(xp.any(keep)):
            return 0.0
        return float(xp.max(xp.max(xp.abs(V[keep]), axis=1) / w[keep]))

    def _cvxpy(self, W):
        import cvxpy as cp

        return self.alpha * cp.sum(cp.multiply(self.weights[:, None], cp.abs(W)))

    def __repr__(self):
        extra = "" if not self.l2_reg else f", l2_reg={self.l2_reg:g}"
        return (f"RowWeightedL1(alpha={self.alpha:g}, {int(np.sum(self.weights == 0))} free "
                f"rows of {self.weights.size}{extra})")
