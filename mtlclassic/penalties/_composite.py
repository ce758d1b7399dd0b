"""Penalties of models written as a sum of coefficient matrices, ``W = P + Q``.

The model ``min_{P, Q} F(X (P + Q)) + f(P) + g(Q)`` is the ordinary problem
on the design ``[X, X]`` with the stacked variable ``S = [P; Q]`` of shape
(2 p, T) and the block-separable penalty ``f(P) + g(Q)``: the solvers need
nothing new.  Its Fenchel dual is ``max_theta -F^*(-theta) - f^*(X^T theta) -
g^*(X^T theta)`` (the conjugate of an infimal convolution is the sum of the
conjugates), so the duality gap is exact here too: for two norms, the dual
point is rescaled until it lies in both dual balls.
"""

from .._backend import get_namespace
from ._base import Penalty


class BlockSum(Penalty):
    """``f_1(S[block 1]) + f_2(S[block 2]) + ...`` for row blocks of ``S``.

    Parameters
    ----------
    penalties : list of Penalty
    sizes : list of int
        Number of rows of ``S`` each penalty acts on, in order.
    """

    def __init__(self, penalties, sizes):
        self.penalties = list(penalties)
        self.sizes = [int(s) for s in sizes]
        self.alpha = max(p.alpha for p in self.penalties)
        self.l2_reg = 0.0  # each part carries its own

    @property
    def has_dual_norm(self):
        """Every part's: the dual point is rescaled into each part's dual ball."""
        return all(pen.has_dual_norm for pen in self.penalties)

    def scaled(self, degree1, degree2):
        """Each part rescaled (every part is a penalty of its own)."""
        return BlockSum([pen.scaled(degree1, degree2) for pen in self.penalties], self.sizes)

    def _slices(self):
        start = 0
        for pen, size in zip(self.penalties, self.sizes):
            yield pen, slice(start, start + size)
            start += size

    def value(self, W):
        return sum(pen.value(W[sl]) for pen, sl in self._slices())

    def prox(self, W, step):
        xp = get_namespace(W)
        return xp.concatenate([pen.prox(W[sl], step) for pen, sl in self._slices()], axis=0)

    def dual_scale(self, V):
        """The largest ``s <= 1`` putting ``s V`` in every part's dual domain."""
        return min(pen.dual_scale(V[sl]) for pen, sl in self._slices())

    def conjugate(self, V):
        return sum(pen.conjugate(V[sl]) for pen, sl in self._slices())

    def cvxpy_expr(self, W):
        return sum(pen.cvxpy_expr(W[sl]) for pen, sl in self._slices())

    def cvxpy_constraints(self, W):
        return [c for pen, sl in self._slices() for c in pen.cvxpy_constraints(W[sl])]

    def __repr__(self):
        return f"BlockSum({self.penalties!r}, sizes={self.sizes})"
