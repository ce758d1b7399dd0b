"""The working-set column cache: its block holds exactly what a fresh copy would.

:class:`mtlclassic.data._column_cache.WorkingColumns` moves the columns kept
from one working set to the next inside one block and gathers only the new
ones; whatever the sequence of sets (growth, shrinkage, replacement, a set
out of order), ``cache.restrict(ws)`` must equal ``data.restrict(ws)`` -- the
definition it stands in for -- value for value.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from mtlclassic.data import SharedDesign, StackedDesign
from mtlclassic.data._column_cache import WorkingColumns
from mtlclassic.datafits import Quadratic
from mtlclassic.penalties import L21
from mtlclassic.solvers import bcd


def _stacked(sizes, p, dtype=np.float64, seed=0, order="C"):
    rng = np.random.default_rng(seed)
    n = sum(sizes)
    X = np.array(rng.standard_normal((n, p)) * 3.0 + 1.0, dtype=dtype, order=order)
    y = rng.standard_normal(n).astype(dtype)
    c = rng.uniform(0.5, 2.0, n).astype(dtype)
    return StackedDesign(X, y, c, np.concatenate([[0], np.cumsum(sizes)]))


# Sets in a row: growth, the same set, shrinkage, replacement, insertions on both
# sides, an empty set, one unsorted (gathered afresh), and growth after it.
SEQUENCE = ([3, 7], [1, 3, 5, 7, 9], [1, 3, 5, 7, 9], [0, 1, 2, 3, 5, 7, 8, 9, 11],
            [2, 8], [0, 4, 6, 10, 11], list(range(12)), [11], [], [9, 2, 5],
            [2, 5, 6, 9], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
def test_block_equals_fresh_copy(centered, dtype, order):
    # Tasks of 1 to 150 rows: several row tiles of the gather in the largest.
    data = _stacked([5, 1, 150, 70], 12, dtype, order=order)
    if centered:
        data.center()
    cache = WorkingColumns(data)
    for ws in SEQUENCE:
        ws = np.array(ws, dtype=np.int64)
        got, want = cache.restrict(ws), data.restrict(ws)
        assert got.X.dtype == want.X.dtype and got.X.flags.f_contiguous
        assert_array_equal(got.X, want.X)  # bit for bit: the same subtraction, or a copy
        assert got.X_offset is None and want.X_offset is None if centered else True
        assert_array_equal(got.offsets, data.offsets)
        assert got.Y is data.Y and got.C is data.C


def test_only_new_columns_are_read():
    data = _stacked([4, 6], 10).center()
    cache = WorkingColumns(data)
    cache.restrict(np.array([2, 4, 6]))
    assert cache.gathered == 3
    cache.restrict(np.array([1, 2, 3, 4, 6, 9]))  # three kept, moved right
    assert cache.gathered == 6
    cache.restrict(np.array([4, 9]))  # shrinkage: moves only
    assert cache.gathered == 6
    sub = cache.restrict(np.array([0, 4, 9]))
    assert cache.gathered == 7
    assert_array_equal(sub.X, data.restrict(np.array([0, 4, 9])).X)


def test_solver_results_unchanged(monkeypatch):
    """The working-set solver gives the same iterates with the cache as with fresh copies."""
    data = _stacked([30, 40, 25], 400, seed=3).center()
    alpha = 0.05 * float(np.max(np.linalg.norm(data.rmatvec(data.Y * data.C), axis=1)))
    W0, b0 = np.zeros((400, 3)), np.zeros(3)
    sets = []  # the working sets the cache served (more than one: columns were moved)
    restrict = WorkingColumns.restrict
    monkeypatch.setattr(WorkingColumns, "restrict",
                        lambda self, ws: sets.append(ws.copy()) or restrict(self, ws))
    cached = bcd(Quadratic(data), L21(alpha), W0, b0, tol=1e-10)
    assert len(sets) >= 3 and len({ws.size for ws in sets}) >= 2
    monkeypatch.setattr(WorkingColumns, "applies", staticmethod(lambda data: False))
    fresh = bcd(Quadratic(data), L21(alpha), W0, b0, tol=1e-10)
    assert np.any(cached[0] != 0) and np.any(cached[0] == 0)
    assert_array_equal(cached[0], fresh[0])
    assert cached[2] == fresh[2]


def test_applies_to_dense_stacked_only():
    data = _stacked([3, 4], 5)
    assert WorkingColumns.applies(data)
    sparse = StackedDesign(sp.csr_matrix(data.X), data.Y, data.C, data.offsets)
    shared = SharedDesign(data.X, data.Y[:, None], data.C[:, None])
    for other in (sparse, shared):
        assert not WorkingColumns.applies(other)
        with pytest.raises(ValueError, match="dense stacked"):
            WorkingColumns(other)
