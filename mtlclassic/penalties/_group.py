"""Row-group penalties: one group per feature, across tasks."""

import numpy as np

from .._backend import get_namespace
from ..solvers._kernels import PROX_L21


class L21:
    r"""The l2,1 norm (group lasso, joint feature selection across tasks)::

        alpha * sum_j ||W[j, :]||_2

    with ``W`` of shape (n_features, n_tasks): feature j is kept or dropped
    for all tasks at once.

    Parameters
    ----------
    alpha : float
        Regularisation strength, ``alpha >= 0``.
    """

    kind = PROX_L21

    def __init__(self, alpha):
        if not alpha >= 0:
            raise ValueError(f"alpha must be >= 0, got {alpha}.")
        self.alpha = float(alpha)

    def value(self, W):
        xp = get_namespace(W)
        return self.alpha * float(xp.sum(xp.sqrt(xp.sum(W * W, axis=1))))

    def prox(self, W, step):
        """``argmin_U 1/2 ||U - W||^2 + step * alpha * sum_j ||U[j]||``: row-wise shrinkage."""
        xp = get_namespace(W)
        norms = xp.sqrt(xp.sum(W * W, axis=1, keepdims=True))
        thresh = step * self.alpha
        # Rows with norm <= thresh get scale exactly 0; the floor avoids 0/0.
        denom = xp.maximum(norms, max(thresh, float(xp.finfo(W.dtype).tiny)))
        return W * xp.maximum(1.0 - thresh / denom, 0.0)

    def dual_norm(self, G):
        """Dual norm of ``sum_j ||W[j]||_2``: ``max_j ||G[j]||_2``."""
        xp = get_namespace(G)
        return float(xp.max(xp.sqrt(xp.sum(G * G, axis=1)))) if G.size else 0.0

    def dual_scale(self, V):
        """Factor ``s in (0, 1]`` making ``s * V`` dual feasible: ``dual_norm(s V) <= alpha``."""
        nrm = self.dual_norm(V)
        return 1.0 if nrm <= self.alpha else self.alpha / nrm

    def screen(self, V, radius):
        """Features proven zero at the optimum (gap-safe rule), boolean of shape (n_features,).

        ``V`` is ``X^T theta`` at a feasible dual point and ``radius[j]`` bounds
        ``||X_j^T (theta - theta*)||``: if ``||V[j]|| + radius[j] < alpha`` then
        ``||X_j^T theta*|| < alpha`` and the optimality conditions force ``W[j] = 0``.
        """
        xp = get_namespace(V)
        return xp.sqrt(xp.sum(V * V, axis=1)) + radius < self.alpha

    def subdiff_distance(self, W, G):
        """Per-feature distance of ``-G`` to ``alpha * d||W[j]||``: zero at optimality.

        For a zero row it is ``max(||G[j]|| - alpha, 0)``; for a nonzero row,
        ``||G[j] + alpha W[j] / ||W[j]|| ||``.
        """
        xp = get_namespace(W)
        wn = xp.sqrt(xp.sum(W * W, axis=1))
        gn = xp.sqrt(xp.sum(G * G, axis=1))
        nz = wn > 0
        dist = xp.maximum(gn - self.alpha, 0.0)
        unit = W[nz] / wn[nz, None]
        dist[nz] = xp.sqrt(xp.sum((G[nz] + self.alpha * unit) ** 2, axis=1))
        return dist

    def cvxpy_expr(self, W):
        """The penalty as a cvxpy expression of a variable ``W`` (reference solver)."""
        import cvxpy as cp

        return self.alpha * cp.sum(cp.norm(W, 2, axis=1))
