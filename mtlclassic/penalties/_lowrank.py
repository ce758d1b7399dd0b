"""Penalties that are not separable over features: the trace norm and the task-group norm."""

from .._backend import get_namespace
from ._base import Penalty


class TraceNorm(Penalty):
    r"""The nuclear (trace) norm, a convex surrogate of low rank::

        alpha * ||W||_* = alpha * sum_k sigma_k(W)  (+ l2_reg / 2 ||W||_F^2)

    Its prox shrinks the singular values (an SVD of the small (p, T)
    matrix per call); its dual norm is the spectral norm ``sigma_max(V)``.

    References
    ----------
    Argyriou, A., Evgeniou, T. and Pontil, M. (2008). Convex multi-task
    feature learning. Machine Learning 73(3).
    Ji, S. and Ye, J. (2009). An accelerated gradient method for trace norm
    minimization. ICML.
    """

    has_dual_norm = True

    def _value(self, W):
        xp = get_namespace(W)
        if W.size == 0:
            return 0.0
        return self.alpha * float(xp.sum(xp.linalg.svd(W, compute_uv=False)))

    def _prox(self, W, step):
        xp = get_namespace(W)
        if W.size == 0:
            return W.copy()
        U, s, Vt = xp.linalg.svd(W, full_matrices=False)
        s = xp.maximum(s - step * self.alpha, 0.0)
        return (U * s) @ Vt

    def dual_norm(self, V):
        xp = get_namespace(V)
        if V.size == 0:
            return 0.0
        return float(xp.linalg.svd(V, compute_uv=False)[0])

    def _cvxpy(self, W):
        import cvxpy as cp

        return self.alpha * cp.normNuc(W)


class TaskL21(Penalty):
    r"""The l2 norm of each task's weights, summed over tasks (whole tasks kept or zeroed)::

        alpha * sum_t ||W[:, t]||_2  (+ l2_reg / 2 ||W||_F^2)

    The outlier part of robust multi-task feature learning; dual norm
    ``max_t ||V[:, t]||_2``.
    """

    has_dual_norm = True

    def _value(self, W):
        xp = get_namespace(W)
        return self.alpha * float(xp.sum(xp.sqrt(xp.sum(W * W, axis=0))))

    def _prox(self, W, step):
        xp = get_namespace(W)
        norms = xp.sqrt(xp.sum(W * W, axis=0, keepdims=True))
        thresh = step * self.alpha
        denom = xp.maximum(norms, max(thresh, float(xp.finfo(W.dtype).tiny)))
        return W * xp.maximum(1.0 - thresh / denom, 0.0)

    def dual_norm(self, V):
        xp = get_namespace(V)
        if V.size == 0:
            return 0.0
        return float(xp.max(xp.sqrt(xp.sum(V * V, axis=0))))

    def _cvxpy(self, W):
        import cvxpy as cp

        return self.alpha * cp.sum(cp.norm(W, 2, axis=0))
