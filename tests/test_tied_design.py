"""Two-part models (``W = P + Q``) on a view of ``[X, X]`` tied to ``X`` instead of a copy.

The view (:class:`mtlclassic.data._tied.TiedDesign`) against the explicit
``np.hstack`` / ``sp.hstack`` copy: its products, column subsets, curvatures
and centering, in both layouts, dense and sparse, float32 and float64; every
two-part model of the registry fitted on both (the same iterates to rounding);
and the peak memory of a fit, which the copy alone (twice ``X``) would exceed.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from _memory import peak_fit

import mtlclassic as m
from mtlclassic.data import SharedDesign, StackedDesign, WorkingColumns, to_namespace
from mtlclassic.data._tied import TiedDesign
from mtlclassic.estimators._registry import MODELS

TWO_PART = [model for model in MODELS.values() if getattr(model.regressor, "_n_blocks", 1) == 2]
# Strengths giving both parts nonzero entries on the problems below (checked in the test).
STRENGTHS = {"dirty": (0.1, 0.06), "robust-mtfl": (0.1, 0.08), "robust-low-rank": (0.1, 0.08),
             "sparse-low-rank": (0.03, 0.1)}


def _container(layout, fmt, dtype, rng):
    n, p, T = 90, 7, 3
    X = rng.standard_normal((n, p)).astype(dtype)
    X[np.abs(X) < 0.4] = 0.0
    if fmt != "dense":
        X = sp.csr_matrix(X).asformat(fmt)
    if layout == "shared":
        C = rng.uniform(0.5, 1.5, (n, T)).astype(dtype)
        return SharedDesign(X, rng.standard_normal((n, T)).astype(dtype), C)
    offsets = np.array([0, 20, 55, n])
    return StackedDesign(X, rng.standard_normal(n).astype(dtype),
                         rng.uniform(0.5, 1.5, n).astype(dtype), offsets)


CASES = [(layout, fmt, dtype, center) for layout in ("shared", "stacked")
         for fmt in ("dense", "csr", "csc") for dtype in (np.float64, np.float32)
         for center in (False, True)]


@pytest.mark.parametrize("layout, fmt, dtype, center", CASES)
def test_view_products_match_the_explicit_copy(layout, fmt, dtype, center):
    rng = np.random.default_rng(0)
    view = _container(layout, fmt, dtype, rng).tiled(2)
    copy = _container(layout, fmt, dtype, np.random.default_rng(0)).tiled(2, tied=False)
    assert isinstance(view, TiedDesign) and not isinstance(copy, TiedDesign)
    X = copy.X.toarray() if sp.issparse(copy.X) else copy.X
    base = view.base.X.toarray() if sp.issparse(view.base.X) else view.base.X
    assert_array_equal(X, np.hstack([base, base]))  # the reference is [X, X]
    if center:
        view.center()
        copy.center()
        assert_allclose(view.X_offset, copy.X_offset, rtol=1e-6)
    else:
        assert view.X_offset is None
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    p2, T = copy.n_features, copy.n_tasks
    assert view.n_features == p2 == 14
    W = rng.standard_normal((p2, T)).astype(dtype)
    b = rng.standard_normal(T).astype(dtype)
    assert_allclose(view.linear(W, b), copy.linear(W, b), **tol)
    D = rng.standard_normal(copy.Y.shape).astype(dtype)
    assert_allclose(view.rmatvec(D), copy.rmatvec(D), **tol)
    # Column subsets: both copies of a column (3 and 10), unsorted, one part only (12).
    features = np.array([10, 3, 12, 0, 8])
    assert_allclose(view.linear(W[features], b, features=features),
                    copy.linear(W[features], b, features=features), **tol)
    assert_allclose(view.rmatvec(D, features=features), copy.rmatvec(D, features=features),
                    **tol)
    assert_allclose(view.raw_weighted_sums(features), copy.raw_weighted_sums(features), **tol)
    assert_allclose(view.raw_weighted_sums(), copy.raw_weighted_sums(), **tol)
    assert_allclose(view.weighted_sq_col_norms(), copy.weighted_sq_col_norms(), **tol)
    sub_view, sub_copy = view.restrict(features), copy.restrict(features)
    Xv, Xc = (S.X.toarray() if sp.issparse(S.X) else S.X for S in (sub_view, sub_copy))
    assert_array_equal(Xv, Xc)  # the copy of column j is column j mod p of X
    assert (sub_view.X_offset is None) == (sub_copy.X_offset is None)
    if sub_copy.X_offset is not None:
        assert_allclose(sub_view.X_offset, sub_copy.X_offset, rtol=1e-6)
    Wf = W[features]
    assert_allclose(sub_view.linear(Wf, b), sub_copy.linear(Wf, b), **tol)
    # The array-generic copy for the GPU solve (numpy here) stays a view of X.
    on_device = to_namespace(view, np)
    assert isinstance(on_device, TiedDesign)
    assert_allclose(on_device.linear(W, b), copy.linear(W, b), **tol)
    assert_allclose(on_device.rmatvec(D), copy.rmatvec(D), **tol)
    # The reference solver's copy is the explicit one.
    explicit = view.explicit()
    assert_array_equal(explicit.X.toarray() if sp.issparse(explicit.X) else explicit.X, X)
    assert_allclose(explicit.linear(W, b), copy.linear(W, b), **tol)


def test_view_has_no_design_matrix():
    view = _container("shared", "dense", np.float64, np.random.default_rng(0)).tiled(2)
    with pytest.raises(AttributeError, match="tied"):
        view.X


@pytest.mark.parametrize("center", [False, True])
def test_working_columns_of_a_view_copy_the_source_columns(center):
    rng = np.random.default_rng(1)
    data = _container("stacked", "dense", np.float64, rng)
    view, copy = data.tiled(2), data.tiled(2, tied=False)
    if center:
        view.center()
        copy.center()
    cache = WorkingColumns(view)
    for features in ([1, 5, 8], [1, 2, 5, 8, 12], [0, 7, 13]):  # grown, then replaced
        got = cache.restrict(np.array(features))
        assert_array_equal(got.X, copy.restrict(np.array(features)).X)


def _problem(kind, layout):
    rng = np.random.default_rng(0)
    n, p, T = 150, 10, 4
    X = rng.standard_normal((n, p))
    W = np.zeros((p, T))
    W[:3] = rng.standard_normal((3, T))
    W[5, 1] = 3.0  # one task's own feature: the second part's
    Z = X @ W + 0.5 * rng.standard_normal((n, T))
    if kind == "clf":
        Z = (Z > 0).astype(int)
    if layout == "shared":
        return X, Z, {}
    task = np.repeat(np.arange(T), n // T + 1)[:n]
    return np.column_stack([X, task]), Z[np.arange(n), task], {"task_column": -1}


def _fit(model, kind, layout, tied, **params):
    X, y, kw = _problem(kind, layout)
    cls = model.regressor if kind == "reg" else model.classifier
    first, second = STRENGTHS[model.name]
    scale = 0.1 if kind == "clf" else 1.0
    est = cls(**{model.strengths[0]: scale * first, model.strengths[1]: scale * second},
              **kw, **params)
    est._tied_design = tied
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _parts(est):
    return {name: value for name, value in vars(est).items()
            if name.startswith("coef_") and isinstance(value, np.ndarray)}


@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("kind", ["reg", "clf"])
@pytest.mark.parametrize("model", TWO_PART, ids=lambda model: model.name)
def test_two_part_fit_on_the_view_is_the_fit_on_the_copy(model, kind, layout):
    # A fixed number of iterations (no stop on the gap): the same iterates up to the
    # rounding of the products, X (P + Q) against [X, X] [P; Q].
    tied = _fit(model, kind, layout, True, tol=1e-14, max_iter=40)
    copied = _fit(model, kind, layout, False, tol=1e-14, max_iter=40)
    assert tied.n_iter_ == copied.n_iter_ == 40
    got, ref = _parts(tied), _parts(copied)
    assert set(got) == set(ref) and len(got) == 3
    for name, value in got.items():
        scale = np.max(np.abs(ref[name]))
        assert scale > 0, f"{model.name}: {name} is zero, the comparison would be empty"
        assert_allclose(value, ref[name], rtol=0, atol=1e-10 * scale, err_msg=name)
    assert_allclose(tied.intercept_, copied.intercept_, rtol=1e-10, atol=1e-12)
    # Converged, both stop on the same certified gap.
    tied = _fit(model, kind, layout, True, tol=1e-8, max_iter=5000)
    copied = _fit(model, kind, layout, False, tol=1e-8, max_iter=5000)
    assert tied.dual_gap_ >= 0 and copied.dual_gap_ >= 0
    assert_allclose(tied.coef_, copied.coef_, rtol=0, atol=1e-4 * np.max(np.abs(copied.coef_)))


# -- memory: no (n, 2p) copy ---------------------------------------------------------------
def _peak_fit(est, X, y):
    return peak_fit(est, X, y, warmup_rows=500)


@pytest.mark.parametrize("layout", ["shared", "per_task"])
def test_two_part_fit_makes_no_copy_of_the_design(layout):
    """Peak during a dirty-model fit <= 0.8 size(X); the copy of [X, X] alone is 2 size(X).

    What remains: the predictor and residual (n, T), the folded and tiled
    coefficients, and the products' temporaries (10 tasks: 10 / p of X each).
    """
    rng = np.random.default_rng(0)
    n, p, T = 20_000, 200, 10
    X = rng.standard_normal((n, p))
    W = np.zeros((p, T))
    W[:10] = rng.standard_normal((10, T))
    Y = X @ W + rng.standard_normal((n, T))
    if layout == "shared":
        y, kw = Y, {}
    else:
        task = np.repeat(np.arange(T), n // T)
        X, y, kw = np.column_stack([X, task]), Y[np.arange(n), task], {"task_column": -1}
    est = m.DirtyModelRegressor(0.1, 0.05, max_iter=20, **kw)  # memory is measured: capped
    peak = _peak_fit(est, X, y)
    assert np.count_nonzero(est.coef_) > 0
    assert peak <= 0.8 * X.nbytes, peak / X.nbytes
    est._tied_design = False  # the explicit copy: the same bound fails (the test can fail)
    assert _peak_fit(est, X, y) > 2 * X.nbytes
