"""Array-generic copies of the problem containers, for the GPU solve.

:func:`to_namespace` copies a validated (and centered) :class:`SharedDesign`
or :class:`StackedDesign` into a container whose arrays live in one array
namespace ``xp`` -- CuPy for ``device="cuda"``, or numpy, which the test suite
uses so that this code path runs (and cannot rot) on machines without a GPU.
Only what the array-generic FISTA, the datafits and the duality gap need is
implemented: ``linear``, ``rmatvec``, ``task_sum``, ``expand``.

The per-task layout has no Python loop over tasks. When the tasks have
(nearly) equal sizes, a dense ``X`` is held as a zero-padded (T, n_max, p)
stack ``X3`` (a view when the sizes are equal), and

* ``z`` for all tasks is one batched product ``X3 @ W^T[:, :, None]``;
* ``X_t^T d_t`` for every task is ``X3^T @ d3``, ``d3`` being ``d`` laid out
  the same way;

both read ``X`` once, as fast as the memory allows. Otherwise (very unequal
sizes, sparse ``X``), with ``E`` the (n, T) one-hot matrix of each row's task:

* ``z_i = (X W)[i, k(i)]`` is ``sum((X W) * E, axis=1)`` -- one matrix product
  for all tasks, masked (``T`` times the arithmetic, still bound by reading
  ``X`` on a GPU for moderate ``T``);
* ``X_t^T d_t`` for every task ``t`` is ``X^T (E * d[:, None])``.

Per-task sums are ``E^T d``, and values repeated over each task's rows
``E b``. Dense batched products and elementwise masks, rather than loops,
scatters into ``T`` bins or atomic sums, are what a GPU does at full speed.
"""

import numpy as np
import scipy.sparse as sp

from ._tied import TiedDesign


def _move(xp, a):
    """``a`` (ndarray or scipy sparse) as an array of namespace ``xp``."""
    if a is None or xp is np:
        return a
    if sp.issparse(a):
        import cupyx.scipy.sparse as cpsp

        return cpsp.csr_matrix(a.tocsr())
    if PINNED_COPY and a.nbytes >= 2 ** 26:
        return pinned_copy(xp, a)
    return xp.asarray(a)


PINNED_COPY = True  # 4x faster than cupy.asarray on the H200 machine (benchmarks/GPU.md)
_CHUNK_BYTES = 2 ** 27


def pinned_copy(cp, a):
    """Copy a large numpy array to the GPU through a reused page-locked staging buffer.

    A copy from ordinary (pageable) host memory is staged by the driver in
    small pieces; from page-locked memory it is one DMA transfer per chunk.
    """
    import cupyx

    a = np.asarray(a)
    fortran = a.flags.f_contiguous and not a.flags.c_contiguous
    if not (a.flags.c_contiguous or fortran):
        a = np.ascontiguousarray(a)
    out = cp.empty(a.shape, dtype=a.dtype, order="F" if fortran else "C")
    src, dst = a.ravel(order="K"), out.ravel(order="K")  # views of contiguous arrays
    chunk = max(1, _CHUNK_BYTES // a.itemsize)
    # A copy from page-locked memory is asynchronous: a staging buffer may be refilled
    # only after its last transfer has finished (one buffer refilled at once gave the
    # GPU the next chunk's values). Two buffers let filling one overlap the other's DMA.
    size = min(chunk, src.size)
    bufs = [cupyx.empty_pinned((size,), dtype=a.dtype) for _ in range(2)]
    done = [None, None]
    for i, start in enumerate(range(0, src.size, chunk)):
        b, k = i % 2, min(chunk, src.size - start)
        if done[b] is not None:
            done[b].synchronize()
        bufs[b][:k] = src[start:start + k]
        dst[start:start + k].set(bufs[b][:k])
        done[b] = cp.cuda.Event(disable_timing=True)
        done[b].record()
    cp.cuda.get_current_stream().synchronize()  # the buffers are freed on return
    return out


def to_namespace(data, xp):
    """The problem ``data`` (a host container) with its arrays in namespace ``xp``.

    A two-part model's view of ``[X, X]`` stays a view: of ``X`` on the device.
    """
    if isinstance(data, TiedDesign):
        return TiedDesign(to_namespace(data.base, xp), data.n_blocks)
    args = dict(X=_move(xp, data.X), Y=_move(xp, data.Y), C=_move(xp, data.C),
                X_offset=_move(xp, data.X_offset))
    out = (ArraySharedDesign(xp, **args) if data.layout == "shared"
           else ArrayStackedDesign(xp, offsets=data.offsets, **args))
    out.intercept_scale = data.intercept_scale
    out.intercept_shrinkage = data.intercept_shrinkage
    return out


# Largest relative zero padding for which equal-ish task sizes are stacked (T, n_max, p).
PADDING = 0.25


class _ArrayDesign:
    intercept_shrinkage = 0.0  # see _containers._Design; to_namespace copies it

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

    def linear(self, W, b=None, features=None):
        """Linear predictor ``(X - X_offset) W + b``, routed by task in the per-task layout."""
        self._check_features(features)
        Z = self._xw(W)
        if self.X_offset is not None:
            Z = Z - self.expand(self.xp.sum(self.X_offset * W, axis=0))
        if b is not None:
            Z = Z + self.expand(b)
        return Z

    def rmatvec(self, D, features=None):
        """Adjoint of :meth:`linear` in ``W``, of shape (n_features, n_tasks)."""
        self._check_features(features)
        G = self._xtd(D)
        if self.X_offset is not None:
            G = G - self.X_offset * self.task_sum(D)
        return G


class ArraySharedDesign(_ArrayDesign):
    """Shared design ``Z = (X - X_offset) W + b`` on one array namespace."""

    layout = "shared"

    def __init__(self, xp, X, Y, C, X_offset=None):
        super().__init__(xp, X, Y, C, X_offset)
        self.n_tasks = Y.shape[1]

    def _xw(self, W):
        return self._product(self.X, W)

    def _xtd(self, D):
        return self._product(self.X.T, D)

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
        self.n_tasks = T = len(self.task_sizes)
        onehot = np.repeat(np.eye(T, dtype=self.dtype), self.task_sizes, axis=0)
        self._onehot = xp.asarray(onehot)
        # Dense designs whose tasks have (nearly) equal sizes are also held as a
        # (T, n_max, p) stack, zero-padded: the per-task products are then one batched
        # product that reads X once, with no T-fold extra arithmetic.
        n_max = int(self.task_sizes.max(initial=0))
        self._X3 = None
        dense = isinstance(X, (np.ndarray, getattr(xp, "ndarray", np.ndarray)))
        if dense and T * n_max <= (1.0 + PADDING) * self.n_samples:
            n, p = X.shape
            pos = np.arange(n) - np.repeat(self.offsets[:-1], self.task_sizes)
            slots = np.repeat(np.arange(T), self.task_sizes) * n_max + pos
            if T * n_max == n and X.flags.c_contiguous:
                self._X3, self._slots = X.reshape(T, n_max, p), None  # a view, no copy
            else:
                X3 = xp.zeros((T * n_max, p), dtype=X.dtype)
                X3[xp.asarray(slots)] = X
                self._X3, self._slots = X3.reshape(T, n_max, p), xp.asarray(slots)
                self.X = None  # the stack holds the data: don't keep a second copy
            self._n_max = n_max

    def _to_slots(self, d):
        """``d`` (n,) laid out as (T, n_max, 1), zero in the padding."""
        if self._slots is None:
            return d.reshape(self.n_tasks, self._n_max, 1)
        D = self.xp.zeros(self.n_tasks * self._n_max, dtype=d.dtype)
        D[self._slots] = d
        return D.reshape(self.n_tasks, self._n_max, 1)

    def _xw(self, W):
        """``z_i = x_i . W[:, t(i)]`` without the offsets."""
        if self._X3 is None:
            return self.xp.sum(self._product(self.X, W) * self._onehot, axis=1)
        Z3 = self.xp.matmul(self._X3, self.xp.ascontiguousarray(W.T)[:, :, None])
        return Z3.reshape(-1) if self._slots is None else Z3.reshape(-1)[self._slots]

    def _xtd(self, d):
        """``G[:, t] = X_t^T d_t`` without the offsets."""
        if self._X3 is None:
            return self._product(self.X.T, self._onehot * d[:, None])
        # d3^T X3, (T, 1, n_max) @ (T, n_max, p): X3 is read as stored (transposing it
        # would make the product copy it first).
        G3 = self.xp.matmul(self._to_slots(d).transpose(0, 2, 1), self._X3)
        return G3[:, 0, :].T

    def expand(self, b):
        return self._onehot @ b.astype(self.dtype, copy=False)

    def task_sum(self, d):
        return self._onehot.T @ d
