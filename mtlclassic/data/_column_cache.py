"""A dense stacked design's working-set columns, kept contiguous from one round to the next.

The working-set solver restricts the problem to a few hundred or thousand
columns at every outer round, and its epochs want them as one Fortran-ordered
block (each column contiguous). Copied afresh every round, the block costs a
gather of every column from ``X`` each time (C-ordered: each value on its own
cache line). Successive working sets mostly overlap (the support, plus the
candidates next to it), so :class:`WorkingColumns` keeps the block of the last
one and, for the next, moves the columns it keeps to their new places inside
the block (contiguous copies) and gathers only the new ones.

Measured on issue 17's per-task problem (100 tasks x 200 rows, p = 2000, at
``alpha_max / 10``; working sets of 100, 200, 390, 748, 1231, 1352 columns):
the six fresh copies took 0.70 s of a 1.86 s fit (cProfile, load ~1); with the
cache, gathers and moves took 0.41 s of 1.74 s where the fresh copies took
1.43 s of 3.02 s (cProfile, load 2.5-3.5, the same minute).
"""

import mmap

import numpy as np
from numba import njit

from ._tied import TiedDesign

# Rows of a task read together by the gather: a tile of rows of a C-ordered X (rows
# apart by p values) is reused across the features gathered, while the writes to each
# column of the block stay contiguous runs of this length. Measured (20000 x 2000, 1231
# columns, one thread): 16 rows 0.119 s, 32 0.110 s, 64 0.096 s, 200 0.096 s; numpy's
# fancy-index gather into the block, 0.18 s.
GATHER_ROWS = 64


@njit(cache=True, nogil=True)
def _gather(X, features, slots, offsets, X_offset, centered, block, rows):
    """``block[i, slots[q]] = X[i, features[q]] - X_offset[features[q], t(i)]`` (``centered``).

    Rows ``offsets[t]:offsets[t + 1]`` are task t's; without ``centered`` the
    values are copied as they are (``X_offset`` unused).
    """
    for t in range(offsets.size - 1):
        for a in range(offsets[t], offsets[t + 1], rows):
            b = min(a + rows, offsets[t + 1])
            for q in range(features.size):
                j, s = features[q], slots[q]
                m = X_offset[j, t] if centered else 0.0
                for i in range(a, b):
                    block[i, s] = X[i, j] - m


@njit(cache=True, nogil=True)
def _move(block, src, dst):
    """``block[:, dst[q]] = block[:, src[q]]`` for every q, in place; ``src``, ``dst`` increasing.

    The columns moving left are moved first, left to right, then those moving
    right, right to left: as both lists increase, no column is overwritten
    before it has moved. Columns already in place are not touched.
    """
    n = block.shape[0]
    for q in range(src.size):
        if dst[q] < src[q]:
            a, b = src[q], dst[q]
            for i in range(n):
                block[i, b] = block[i, a]
    for q in range(src.size - 1, -1, -1):
        if dst[q] > src[q]:
            a, b = src[q], dst[q]
            for i in range(n):
                block[i, b] = block[i, a]


def _allocate(shape, dtype):
    """An uninitialised Fortran-ordered array on normal pages (not transparent huge pages).

    numpy asks for huge pages on large arrays. Measured on issue 17's benchmark
    (``bench_solvers.py --only per_task``, fits alternating with FISTA's, load
    ~1 on 2 cores), the working-set fit at alpha_max / 10: 0.94-1.07 s on normal
    pages, 1.06-1.13 s on numpy's (the first touch of fresh huge pages may also
    stall while the kernel assembles them: 1.3-1.5 s for 216 MB in 3 of 4 fresh
    processes, against 0.2-0.3 s on normal pages).
    """
    advice = getattr(mmap, "MADV_NOHUGEPAGE", None)
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if advice is None or size == 0:
        return np.empty(shape, dtype=dtype, order="F")
    buffer = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    try:
        buffer.madvise(advice)
    except OSError:  # a kernel without transparent huge pages: normal pages anyway
        pass
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order="F")


class WorkingColumns:
    """The (centered) columns of a dense stacked design's working set, reused across rounds.

    :meth:`restrict` returns what ``data.restrict(features)`` would (a
    :class:`StackedDesign` on a Fortran-ordered copy of those columns,
    centered at each task's offsets when ``data`` is, with the same values),
    but its design is a view of a block this object keeps: the columns in
    both the last and the new working set are moved inside the block, and only
    the others are read from ``data.X``. The block has room for every column
    but is given memory only where written (at most the largest working set).

    A container returned by :meth:`restrict` is valid until the next call
    (its design's values are then overwritten).

    Parameters
    ----------
    data : StackedDesign or TiedDesign
        A dense stacked container (centered or not), or a two-part model's
        view of one: its column j is read from column ``j mod p`` of ``X``.
    """

    def __init__(self, data):
        if not self.applies(data):
            raise ValueError("WorkingColumns needs a dense stacked container.")
        self.n_features = data.n_features
        self.data, self._source = _untied(data)
        self.features = np.empty(0, dtype=np.int64)  # the columns held, in block order
        self.block = None  # (n_samples, n_features), Fortran-ordered; the set in block[:, :k]
        self.gathered = 0  # columns read from data.X so far (for tests and profiles)

    @staticmethod
    def applies(data):
        """Whether ``data`` is a container this cache serves (dense stacked, or a view of one)."""
        return data.layout == "stacked" and type(_untied(data)[0].X) is np.ndarray

    def restrict(self, features):
        """``data.restrict(features)``, its columns taken from the block where they are.

        ``features`` must be increasing (working sets are sorted); any other
        order is copied afresh from ``data.X``.
        """
        features = np.asarray(features, dtype=np.int64)
        k = features.size
        increasing = k < 2 or bool(np.all(np.diff(features) > 0))
        if not increasing:
            self.features = np.empty(0, dtype=np.int64)  # no order to keep: gather all
        if self.block is None:  # first call
            # Room for every column, of which only those written are ever given memory
            # (Fortran order: the first k columns are the first k * n_samples values): a
            # working set that grows never moves to a new block, whose pages would all
            # be faulted in afresh. Measured at alpha_max / 10, growing into a new block
            # 1.5x the working set each time it was outgrown: 1.41 s of moves, 5.8 s
            # fit (under load 8 on 2 cores), against 0.09 s and 2.4 s.
            self.block = _allocate((self.data.n_samples, self.n_features), self.data.X.dtype)
        # Where the columns already held go in the new set (both lists increase).
        where = np.searchsorted(features, self.features)
        kept = where < k
        kept[kept] = features[where[kept]] == self.features[kept]
        src, dst = np.flatnonzero(kept), where[kept]
        if src.size:
            _move(self.block, src, dst)
        new = np.ones(k, dtype=bool)
        new[dst] = False
        slots = np.flatnonzero(new)
        if slots.size:
            data = self.data
            centered = data.X_offset is not None
            offset = data.X_offset if centered else np.zeros((1, 1), dtype=data.X.dtype)
            _gather(data.X, self._source(features[slots]), slots, data.offsets, offset,
                    centered, self.block, GATHER_ROWS)
            self.gathered += slots.size
        self.features = features.copy() if increasing else np.empty(0, dtype=np.int64)
        return self.data._with_design(self.block[:, :k])


def _untied(data):
    """``(container on X, features -> columns of X)``: a tied view's base and its map."""
    if isinstance(data, TiedDesign):
        return data.base, data.source_features
    return data, lambda features: features
