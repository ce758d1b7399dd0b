"""The design ``[X, X, ...]`` of two-part models as a view of one ``X``, never copied.

A model written as ``W = P + Q`` is the ordinary problem on the tiled design
``[X, X]`` with the stacked coefficients ``[P; Q]`` (:meth:`_Design.tiled`).
:class:`TiedDesign` is that problem for the solvers, with the columns tied to
those of ``X`` (column ``j`` of the tiled design is column ``j mod p`` of
``X``), so that each product is taken once on ``X``::

    [X, X] [P; Q]   = X (P + Q)            # linear: one product, of the folded W
    [X, X]^T D      = [X^T D; X^T D]       # rmatvec: one product, repeated

Measured before this view (``benchmarks/bench_two_part.py``): on dense
problems of 20,000 rows, 200-300 features and 10 tasks, these products were
71-91% of a two-part fit's time (FISTA) and the peak memory traced during the
fit 2.0-2.7 times the size of ``X`` (4.9 times for a sparse ``X``): the copy
doubled both.

The view wraps the container on ``X`` (``base``) and passes everything that
does not depend on the columns (targets, weights, per-task sums, units) to
it. Column subsets (:meth:`restrict`, ``features=``) are those of ``X`` at
``features mod p``: a working set's copy holds each column of ``X`` it needs.
The view has no ``X``: code that needs the matrix itself (the cvxpy
reference) asks :meth:`explicit` for the copy.
"""

import numpy as np

from .._backend import get_namespace

# What the view takes from the container on X as it is: nothing here depends on the columns.
_SHARED = frozenset({
    "Y", "C", "layout", "n_samples", "n_tasks", "dtype", "offsets", "task_sizes",
    "row_weights", "task_scale", "is_sparse", "scaling", "intercept_shrinkage",
    "intercept_scale", "expand", "task_sum", "xp"})


class TiedDesign:
    """The problem on ``[X, X, ...]`` (``n_blocks`` copies of the columns) without the copy.

    Parameters
    ----------
    base : SharedDesign, StackedDesign or an array-generic container
        The problem on ``X`` (of shape (n_samples, p)).
    n_blocks : int
        Copies of the columns: the view has ``n_blocks * p`` features.
    """

    def __init__(self, base, n_blocks):
        self.base = base
        self.n_blocks = int(n_blocks)
        self.n_features = self.n_blocks * base.n_features

    def __getattr__(self, name):
        if name in _SHARED:
            return getattr(self.base, name)
        raise AttributeError(f"{type(self).__name__} has no {name!r}: its columns are tied to "
                             "those of base.X (explicit() makes the copy).")

    # -- columns --------------------------------------------------------------
    def source_features(self, features):
        """The columns of ``X`` behind the view's columns ``features``: ``features mod p``."""
        return np.asarray(features, dtype=np.int64) % self.base.n_features

    def _fold(self, W):
        """``W`` (n_blocks * p, T) summed over its blocks, of shape (p, T): ``P + Q``."""
        return W.reshape((self.n_blocks, self.base.n_features) + W.shape[1:]).sum(axis=0)

    def _unique(self, features):
        """The distinct columns of ``X`` behind ``features`` and where each feature's is."""
        return np.unique(self.source_features(features), return_inverse=True)

    def _tile(self, G):
        """``[G; G; ...]`` (``n_blocks`` times) in ``G``'s namespace."""
        return get_namespace(G).concatenate([G] * self.n_blocks, axis=0)

    @property
    def X_offset(self):
        """The centering offsets of the tiled columns, (n_blocks * p, T), or None."""
        offset = self.base.X_offset
        return None if offset is None else self._tile(offset)

    # -- products ---------------------------------------------------------------
    def linear(self, W, b=None, features=None):
        """``[X, X] W (+ b)`` as ``X (sum of W's blocks) (+ b)``: one product with ``X``.

        With ``features`` (the view's column indices), ``W`` holds only those rows.
        """
        if features is None:
            return self.base.linear(self._fold(W), b)
        cols, where = self._unique(features)
        folded = np.zeros((cols.size,) + W.shape[1:], dtype=W.dtype)
        np.add.at(folded, where, W)  # rows of W on one column of X add up
        return self.base.linear(folded, b, features=cols)

    def rmatvec(self, D, features=None):
        """``[X, X]^T D`` as ``X^T D`` repeated: one product with ``X``."""
        if features is None:
            return self._tile(self.base.rmatvec(D))
        cols, where = self._unique(features)
        return self.base.rmatvec(D, features=cols)[where]

    def raw_weighted_sums(self, features=None):
        """``sum_i c_it x_ij`` of the tiled columns (see the containers)."""
        if features is None:
            return self._tile(self.base.raw_weighted_sums())
        cols, where = self._unique(features)
        return self.base.raw_weighted_sums(cols)[where]

    def weighted_sq_col_norms(self):
        """The block curvatures of the tiled columns, (n_blocks * p, T)."""
        return self._tile(self.base.weighted_sq_col_norms())

    # -- derived problems -----------------------------------------------------
    def center(self):
        """Center ``X`` (the tiled columns share their offsets)."""
        self.base.center()
        return self

    def restrict(self, features):
        """The problem on the view's columns ``features``: a copy of ``X[:, features mod p]``."""
        return self.base.restrict(self.source_features(features))

    def reweighted(self, factors):
        """The view of ``base.reweighted(factors)``."""
        return TiedDesign(self.base.reweighted(factors), self.n_blocks)

    def rescaled(self, scale_targets=True):
        """The view of the rescaled problem (units do not depend on the tiling)."""
        return TiedDesign(self.base.rescaled(scale_targets), self.n_blocks)

    def explicit(self):
        """The same problem on an explicit copy of ``[X, X, ...]`` (for the cvxpy reference)."""
        base = self.base
        out = base.tiled(self.n_blocks, tied=False)
        if base.X_offset is not None:
            out.X_offset = self.X_offset
            out._sums = self._tile(base._sums)
        return out
