"""Array-generic copies of the problem containers, for the GPU solve.

:func:`to_namespace` copies a validated (and centered) :class:`SharedDesign`
or :class:`StackedDesign` into a container whose arrays live in one array
namespace ``xp`` -- CuPy for ``device="cuda"``, or numpy, which the test suite
uses so that this code path runs (and cannot rot) on machines without a GPU.
Only what the array-generic FISTA, the datafits and the duality gap need is
implemented: ``linear``, ``rmatvec``, ``task_sum``, ``expand``.

The per-task layout has no Python loop over tasks. With ``E`` the (n, T)
one-hot matrix of each row's task (made once, in the data's precision):

* ``z_i = (X W)[i, k(i)]`` is ``sum((X W) * E, axis=1)`` -- one matrix product
  for all tasks, masked (the extra ``T``-fold arithmetic is cheap on a GPU,
  where the product is bound by reading ``X`` once);
* ``X_t^T d_t`` for every task ``t`` is ``X^T (E * d[:, None])``;
* per-task sums are ``E^T d``, and values repeated over each task's rows ``E b``.

Dense products and elementwise masks, rather than scatters, gathers or
atomic sums into ``T`` bins, are what a GPU does at full speed.
"""

import numpy as np
import scipy.sparse as sp


def _move(xp, a):
    """``a`` (ndarray or scipy sparse) as an array of namespace ``xp``."""
    if a is None or xp is np:
        return a
    if sp.issparse(a):
        import cupyx.scipy.sparse as cpsp

        return cpsp.csr_matrix(a.tocsr())
    return xp.asarray(a)


def to_namespace(data, xp):
    """The problem ``data`` (a host container) with its arrays in namespace ``xp``."""
    args = dict(X=_move(xp, data.X), Y=_move(xp, data.Y), C=_move(xp, data.C),
                X_offset=_move(xp, data.X_offset))
    if data.layout == "shared":
        return ArraySharedDesign(xp, **args)
    return ArrayStackedDesign(xp, offsets=data.offsets, **args)


class _ArrayDesign:
    def __init__(self, xp, X, Y, C, X_offset):
        self.xp = xp
        self.X, self.Y, self.C, self.X_offset = X, Y, C, X_offset
        self.n_samples, self.n_features = X.shape
        self.dtype = Y.dtype

    def _product(self, A, B):
        return self.xp.asarray(A @ B)

    def _check_features(self, features):
        if features is not None:
            raise NotImplementedError("The array-generic containers solve on all features.")


class ArraySharedDesign(_ArrayDesign):
    """Shared design ``Z = (X - X_offset) W + b`` on one array namespace."""

    layout = "shared"

    def __init__(self, xp, X, Y, C, X_offset=None):
        super().__init__(xp, X, Y, C, X_offset)
        self.n_tasks = Y.shape[1]

    def linear(self, W, b=None, features=None):
        self._check_features(features)
        Z = self._product(self.X, W)
        if self.X_offset is not None:
            Z = Z - self.xp.sum(self.X_offset * W, axis=0)
        if b is not None:
            Z = Z + b
        return Z

    def rmatvec(self, D, features=None):
        self._check_features(features)
        G = self._product(self.X.T, D)
        if self.X_offset is not None:
            G = G - self.X_offset * D.sum(axis=0)
        return G

    def expand(self, b):
        return b[None, :]

    def task_sum(self, D):
        return D.sum(axis=0)


class ArrayStackedDesign(_ArrayDesign):
    """Per-task rows (sorted by task, ``offsets``) on one array namespace, without task loops."""

    layout = "stacked"

    def __init__(self, xp, X, Y, C, offsets, X_offset=None):
        super().__init__(xp, X, Y, C, X_offset)
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.task_sizes = np.diff(self.offsets)
        self.n_tasks = len(self.task_sizes)
        onehot = np.repeat(np.eye(self.n_tasks, dtype=self.dtype), self.task_sizes, axis=0)
        self._onehot = xp.asarray(onehot)

    def linear(self, W, b=None, features=None):
        self._check_features(features)
        z = self.xp.sum(self._product(self.X, W) * self._onehot, axis=1)
        if self.X_offset is not None:
            z = z - self.expand(self.xp.sum(self.X_offset * W, axis=0))
        if b is not None:
            z = z + self.expand(b)
        return z

    def rmatvec(self, d, features=None):
        self._check_features(features)
        G = self._product(self.X.T, self._onehot * d[:, None])
        if self.X_offset is not None:
            G = G - self.X_offset * self.task_sum(d)
        return G

    def expand(self, b):
        return self._onehot @ b.astype(self.dtype, copy=False)

    def task_sum(self, d):
        return self._onehot.T @ d
