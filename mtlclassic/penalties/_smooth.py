"""The two baselines' penalties: independent ridge per task, and one pooled model.

Both are row-separable (each has a numba row prox), but neither zeroes
features, so solvers neither screen nor use working sets (``zeroes_rows =
False``); both are strongly convex, so the dual point needs no rescaling.
"""

from .._backend import get_namespace
from ._base import Penalty, scale_strength
from ._row_kernels import PROX_CONSENSUS, PROX_NONE


class Ridge(Penalty):
    r"""Squared Frobenius norm, one independent ridge model per task::

        alpha / 2 ||W||_F^2

    Written as the elastic term alone (``f = 0``, ``l2_reg = alpha``).
    """

    row_separable = True
    row_kind = PROX_NONE
    has_dual_norm = True

    def __init__(self, alpha):
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0 for ridge, got {alpha}.")
        super().__init__(0.0, l2_reg=alpha)

    def _value(self, W):
        return 0.0

    def _prox_xp(self, W, step):
        return W

    def dual_norm(self, V):
        """``f = 0``: its conjugate is the indicator of ``{0}``, whose gauge is any norm.

        Reached only when the ridge strength underflowed to 0 in a rescaled problem:
        :meth:`dual_scale` then returns 0 (the dual point 0, a finite gap).
        """
        xp = get_namespace(V)
        return float(xp.max(xp.abs(V), initial=0.0))

    def _cvxpy(self, W):
        return 0.0

    def __repr__(self):
        return f"Ridge(alpha={self.l2_reg:g})"


class Pooled(Penalty):
    r"""One model shared by all tasks, ridge-penalised::

        alpha / 2 ||w||_2^2   subject to   W[:, t] = w for every task t

    i.e. the indicator of equal columns plus ``alpha / (2 T) ||W||_F^2``.
    The prox of the indicator is the projection onto equal columns: each
    feature's row replaced by its mean.
    """

    row_separable = True
    row_kind = PROX_CONSENSUS
    has_dual_norm = True

    def __init__(self, alpha, n_tasks):
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0 for the pooled model, got {alpha}.")
        super().__init__(0.0, l2_reg=alpha / n_tasks)
        self.pooled_alpha = float(alpha)

    def scaled(self, degree1, degree2):
        """Both the shared ridge strength and its per-task share are of degree 2."""
        out = super().scaled(degree1, degree2)
        out.pooled_alpha = scale_strength(self.pooled_alpha, degree2)
        return out

    def _value(self, W):
        return 0.0  # on the constraint set, which every iterate lies in

    def _prox_xp(self, W, step):
        xp = get_namespace(W)
        return xp.broadcast_to(xp.mean(W, axis=1, keepdims=True), W.shape).copy()

    def dual_norm(self, V):
        """Gauge of the equal-columns indicator's conjugate (``V``'s rows summing to 0).

        Reached only when the ridge strength underflowed to 0 in a rescaled problem:
        with ``alpha = 0`` :meth:`dual_scale` returns 0 unless every row of ``V`` sums
        to 0 (the dual point 0 otherwise, a finite gap).
        """
        xp = get_namespace(V)
        return float(xp.max(xp.abs(xp.sum(V, axis=1)), initial=0.0))

    def _cvxpy(self, W):
        return 0.0

    def cvxpy_constraints(self, W):
        return [W[:, t] == W[:, 0] for t in range(1, W.shape[1])]

    def __repr__(self):
        return f"Pooled(alpha={self.pooled_alpha:g})"
