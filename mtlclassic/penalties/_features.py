"""A quadratic coupling of the features: ``1/2 tr(W^T A W)``, each task's weights through ``A``.

The transpose of :class:`~mtlclassic.penalties.TaskQuadratic` (which couples
the tasks of each feature, ``1/2 tr(W M W^T)``): with ``W`` of shape
(n_features, n_tasks), ``1/2 tr(W^T A W) = 1/2 tr(W^T A (W^T)^T)`` is
TaskQuadratic's penalty of ``W^T`` with ``M = A``. Value, prox (linear,
``(I + s A)^{-1} V`` in ``A``'s eigenbasis), conjugate (``1/2 tr(V^T A^{-1}
V)``) and cvxpy form are TaskQuadratic's, taken on the transpose; nothing is
written twice.
"""

from ._base import Penalty
from ._relation import TaskQuadratic


class FeatureQuadratic(Penalty):
    r"""``1/2 tr(W^T A W)`` with ``A`` (n_features, n_features) positive definite.

    Parameters
    ----------
    spectrum : tuple (d, U)
        ``A = U diag(d) U^T``, ``d > 0`` (strongly convex: the conjugate is
        finite everywhere and the duality gap needs no dual rescaling).
    """

    has_dual_norm = True

    def __init__(self, spectrum):
        super().__init__(0.0)
        self._tq = TaskQuadratic(None, spectrum=spectrum)
        if not self._tq._d.min(initial=1.0) > 0:
            raise ValueError("FeatureQuadratic needs a positive definite A.")

    def scaled(self, degree1, degree2):
        """The same penalty with ``A`` times ``2^degree2`` (a quadratic term)."""
        out = Penalty.scaled(self, degree1, degree2)
        out._tq = self._tq.scaled(degree1, degree2)
        return out

    def value(self, W):
        return self._tq.value(W.T)

    def prox(self, W, step):
        return self._tq.prox(W.T, step).T

    def dual_scale(self, V):
        return 1.0

    def dual_norm(self, V):
        """No norm part: the conjugate is finite everywhere."""
        return 0.0

    def conjugate(self, V):
        return self._tq.conjugate(V.T)

    def cvxpy_expr(self, W):
        return self._tq.cvxpy_expr(W.T)

    def __repr__(self):
        return f"FeatureQuadratic(A=<{self._tq.M.shape[0]}x{self._tq.M.shape[0]}>)"
