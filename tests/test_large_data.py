"""Sparse X (CSR, CSC) and float32 through every linear estimator, and no dense copy of a sparse X.

Every linear estimator (``REGRESSORS``, ``CLASSIFIERS`` and ``CV_ESTIMATORS``;
not the neural baselines) in both layouts: a CSR or CSC design, in float64 or
float32, gives the fit of the same design dense in the same precision (to the
solver's tolerance), float32 input keeps float32 coefficients and predictions,
and the float32 fit is close to the float64 one. Then a design whose dense
form would take 3.2 GB is fitted by representative estimators while
``tracemalloc`` watches: the peak stays a small fraction of that.
"""

import functools
import importlib
import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from _memory import peak_fit

import mtlclassic as m
from mtlclassic.datasets import make_multitask_classification, make_multitask_regression
from mtlclassic.estimators import CLASSIFIERS, CV_ESTIMATORS, REGRESSORS

# Penalties giving a nontrivial fit on the small problems below (as in test_common).
_PARAMS = {
    "GroupLasso": dict(alpha=0.02), "Lasso": dict(alpha=0.02), "Ridge": dict(alpha=0.1),
    "Pooled": dict(alpha=0.1), "SparseGroupLasso": dict(alpha=0.02, l1_ratio=0.4),
    "L1Inf": dict(alpha=0.05), "DirtyModel": dict(alpha_shared=0.05, alpha_sparse=0.03),
    "TraceNorm": dict(alpha=0.05), "RobustMTFL": dict(alpha_features=0.05, alpha_tasks=0.05),
    "MeanRegularized": dict(lambda_mean=0.1, lambda_l2=0.1),
    "GraphRegularized": dict(lambda_graph=0.1, alpha=0.01),
    "TaskRelation": dict(lambda_1=0.1, lambda_2=0.1, eps=0.1),
    "ClusteredTask": dict(lambda_cluster=0.1, lambda_l2=0.1, random_state=0),
    "SparseTaskGraph": dict(),
    "RobustLowRank": dict(alpha_lowrank=0.05, alpha_outlier=0.05),
    "SparseLowRank": dict(alpha_sparse=0.02, alpha_lowrank=0.05),
    "CappedL1": dict(alpha=0.02, cap=0.5),
    "LatentBasis": dict(alpha=0.02, lambda_basis=0.1),
    "FeatureAugmentation": dict(alpha=1.0),
    "TreeGuidedGroupLasso": dict(alpha=0.02),
    "SharedSubspace": dict(lambda_subspace=0.1, lambda_l2=0.1),
}
_PARAMS["TemporalGroupLasso"] = dict(alpha=0.02, lambda_smooth=1.0)
_PARAMS["FusedSparseGroupLasso"] = dict(alpha=0.02, alpha_fused=0.01)
_PARAMS["NonConvexFusedGroupLasso"] = dict(alpha=0.02, alpha_fused=0.01)
_PARAMS["CalibratedGroupLasso"] = dict(alpha=0.1)
_CV = dict(n_alphas=3, eps=0.1, cv=2)
# The linear estimators: the kernel models (dual coefficients, no coef_) have their own tests
# of sparse and float32 input (tests/test_kernel_task_relation.py); gradient boosting (trees
# on binned, densified features) in tests/test_practitioner_baselines.py.
ESTIMATORS = [cls for cls in REGRESSORS + CLASSIFIERS + CV_ESTIMATORS
              if not cls.__name__.startswith(("KernelTaskRelation", "GradientBoostingTask"))]
LAYOUTS = ["shared", "per_task"]
FORMATS = [("csr", np.float64), ("csc", np.float64), ("csr", np.float32), ("csc", np.float32)]
# Same design dense vs sparse, same precision: the solvers run on different kernels
# (sparse products, no Gram form), so they agree to their tolerance (tol=1e-6,
# observed <= 2e-6 relative in float64, <= 1e-4 in float32), not to rounding.
RTOL = {np.float64: 1e-4, np.float32: 2e-3}
# float32 vs float64: the alternating models stop on a relative decrease that
# float32 resolves coarsely (observed <= 5e-3 relative).
RTOL_32_VS_64 = 3e-2


def _params(cls):
    if cls in CV_ESTIMATORS:
        return dict(_CV)
    name = cls.__name__.replace("Regressor", "").replace("Classifier", "")
    return dict(_PARAMS[name])


def _is_classifier(cls):
    return "Classifier" in cls.__name__


@functools.lru_cache(maxsize=None)
def _problem(cls_kind, layout):
    """A small problem with a genuinely sparse design (about 40% zeros); task column last."""
    make = make_multitask_classification if cls_kind == "clf" else make_multitask_regression
    if layout == "shared":
        X, y, _ = make(n_samples=40, n_features=8, n_tasks=3, n_shared=3, random_state=0)
    else:
        X, y, _ = make(n_samples=[15, 20, 25], n_features=8, n_tasks=3, n_shared=3,
                       layout="per_task", random_state=0)
    X = X.copy()
    feats = X if layout == "shared" else X[:, :-1]  # the task ids stay exact
    feats[np.abs(feats) < 0.5] = 0.0
    return X, y


def _data(cls, layout):
    return _problem("clf" if _is_classifier(cls) else "reg", layout)


def _estimator(cls, layout):
    tol = {"tol": 1e-6} if "tol" in cls().get_params() else {}  # exact solves take none
    return cls(task_column=None if layout == "shared" else -1, **tol, **_params(cls))


def _fit(cls, layout, X):
    _, y = _data(cls, layout)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # compared, not judged, here
        return _estimator(cls, layout).fit(X, y)


@functools.lru_cache(maxsize=None)
def _dense_fit(cls, layout, dtype):
    X, _ = _data(cls, layout)
    return _fit(cls, layout, X.astype(dtype))


def _output(est, X):
    """Every prediction the estimator makes, by name."""
    if _is_classifier(type(est)):
        return {"decision_function": est.decision_function(X),
                "predict_proba": est.predict_proba(X)}
    return {"predict": est.predict(X)}


def _coefficients(est):
    """``coef_``, ``intercept_`` and the parts of two-part models."""
    return {name: value for name, value in vars(est).items()
            if name.startswith(("coef_", "intercept_")) and isinstance(value, np.ndarray)}


def _ids(cls):
    return cls.__name__


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cls", ESTIMATORS, ids=_ids)
def test_sparse_and_float32_match_dense(cls, layout):
    X, _ = _data(cls, layout)
    for fmt, dtype in FORMATS:
        dense = _dense_fit(cls, layout, dtype)
        Xs = sp.csr_matrix(X).asformat(fmt).astype(dtype)
        est = _fit(cls, layout, Xs)
        where = f"{cls.__name__}, {layout}, {fmt} {np.dtype(dtype).name}"
        ref = _coefficients(dense)
        got = _coefficients(est)
        assert set(got) == set(ref), where
        scale = max(float(np.max(np.abs(dense.coef_))), 1e-3)
        for name, value in got.items():
            assert value.dtype == dtype, (where, name, value.dtype)
            assert_allclose(value, ref[name], rtol=0, atol=RTOL[dtype] * (1.0 + scale),
                            err_msg=f"{where}: {name}")
        if cls in CV_ESTIMATORS:
            # The grid is computed from the data in its own precision.
            rel = float(100 * np.finfo(dtype).eps)  # pytest >= 9.2 wants a Python float
            assert est.alpha_ == pytest.approx(dense.alpha_, rel=rel), where
        Xd = X.astype(dtype)
        for name, value in _output(est, Xs).items():
            assert value.dtype == dtype, (where, name, value.dtype)
            expected = _output(dense, Xd)[name]
            assert_allclose(value, expected, rtol=0, atol=RTOL[dtype] * (1.0 + scale) * 10,
                            err_msg=f"{where}: {name}")
        if _is_classifier(cls):
            assert_array_equal(est.classes_, dense.classes_)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cls", ESTIMATORS, ids=_ids)
def test_float32_fit_close_to_float64(cls, layout):
    f32, f64 = _dense_fit(cls, layout, np.float32), _dense_fit(cls, layout, np.float64)
    assert f32.coef_.dtype == np.float32 and f64.coef_.dtype == np.float64
    scale = max(float(np.max(np.abs(f64.coef_))), 1e-3)
    assert np.any(f64.coef_ != 0), "the problem must give a nonzero model to compare"
    assert_allclose(f32.coef_, f64.coef_, rtol=0, atol=RTOL_32_VS_64 * scale)
    assert_allclose(f32.intercept_, f64.intercept_, rtol=0, atol=RTOL_32_VS_64 * (1 + scale))


# -- a design too large to densify ------------------------------------------------------
N, P, T = 20_000, 20_000, 10
DENSE_BYTES = N * P * 8  # 3.2 GB
MAX_FRACTION = 0.05  # the peak traced during fit, as a fraction of the dense size


@pytest.fixture(scope="module")
def huge_sparse():
    """n = p = 20,000 at density 1e-4 (2 nonzeros a row), 50 active features, 10 tasks."""
    rng = np.random.default_rng(0)
    rows = np.repeat(np.arange(N), 2)
    cols = rng.integers(0, P, rows.size)
    cols[::2] = rng.integers(0, 50, N)  # every row touches one of the active features
    X = sp.csr_matrix((rng.standard_normal(rows.size), (rows, cols)), shape=(N, P))
    W = np.zeros((P, T))
    W[:50] = rng.standard_normal((50, T))
    Z = np.asarray(X @ W)
    Y = Z + 0.1 * rng.standard_normal((N, T))
    task = np.arange(N) % T
    y = Z[np.arange(N), task] + 0.1 * rng.standard_normal(N)
    Xt = sp.hstack([X, sp.csr_matrix(task[:, None].astype(np.float64))], format="csr")
    return X, Y, Xt, y


@pytest.fixture(scope="module")
def huge_alphas(huge_sparse):
    """``alpha_max / 5`` of the shared, per-task and per-task logistic problems."""
    X, Y, Xt, y = huge_sparse
    return (m.alpha_max(X, Y) / 5, m.alpha_max(Xt, y, task_column=-1) / 5,
            m.alpha_max(Xt, y > 0, task_column=-1, loss="logistic") / 5)


def _huge_case(case, data, alphas):
    """``(estimator, X, y)`` of a case (iterations capped: memory is what is measured)."""
    X, Y, Xt, y = data
    a_shared, a_task, a_logistic = alphas
    cases = {
        "GroupLasso shared": lambda: (m.GroupLassoRegressor(alpha=a_shared), X, Y),
        "GroupLasso per_task CSC": lambda: (
            m.GroupLassoRegressor(alpha=a_task, task_column=-1), Xt.tocsc(), y),
        "GroupLassoClassifier per_task": lambda: (
            m.GroupLassoClassifier(alpha=a_logistic, task_column=-1, max_iter=100), Xt, y > 0),
        "TraceNorm shared": lambda: (m.TraceNormRegressor(alpha=a_shared, max_iter=100), X, Y),
        "DirtyModel shared": lambda: (
            m.DirtyModelRegressor(a_shared, a_shared, max_iter=100), X, Y),
        "TaskRelation per_task": lambda: (
            m.TaskRelationRegressor(task_column=-1, max_iter=3, max_inner_iter=100), Xt, y),
        "MeanRegularized per_task": lambda: (
            m.MeanRegularizedRegressor(task_column=-1, max_iter=100), Xt, y),
        "GroupLassoCV per_task": lambda: (
            m.GroupLassoRegressorCV(n_alphas=3, eps=0.2, cv=2, task_column=-1), Xt, y),
    }
    return cases[case]()


CASES = ["GroupLasso shared", "GroupLasso per_task CSC", "GroupLassoClassifier per_task",
         "TraceNorm shared", "DirtyModel shared", "TaskRelation per_task",
         "MeanRegularized per_task", "GroupLassoCV per_task"]


@pytest.mark.parametrize("case", CASES)
def test_no_dense_copy_of_a_sparse_design(huge_sparse, huge_alphas, case):
    est, X, y = _huge_case(case, huge_sparse, huge_alphas)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # iterations capped to stay fast
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            est.fit(X, y)
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
    assert np.count_nonzero(est.coef_) > 0, "the fit must be nontrivial"
    assert peak < MAX_FRACTION * DENSE_BYTES, (
        f"{case}: peak {peak / 1e6:.0f} MB during fit, a dense X is {DENSE_BYTES / 1e6:.0f} MB")
    pred = est.predict(X[:100])
    assert np.all(np.isfinite(pred))


# -- the size rules of dense designs -------------------------------------------------------
def test_column_copy_and_columns_product_match_numpy():
    from mtlclassic.data._containers import CHUNK_ENTRIES, column_copy, columns_product

    rng = np.random.default_rng(0)
    n = 3 * CHUNK_ENTRIES // 50 + 7  # several row chunks, a ragged last one
    for X in (rng.standard_normal((n, 60)), np.asfortranarray(rng.standard_normal((n, 60))),
              rng.standard_normal((n, 60)).astype(np.float32)):
        features = np.array([59, 3, 17, 0, 42])
        offsets = rng.standard_normal((2, features.size)).astype(X.dtype)
        Xc = column_copy(X, features, [(0, 100, offsets[0]), (100, n, offsets[1])])
        assert Xc.flags.f_contiguous and Xc.dtype == X.dtype
        expected = X[:, features].copy()
        expected[:100] -= offsets[0]
        expected[100:] -= offsets[1]
        assert_array_equal(Xc, expected)
        assert_array_equal(column_copy(X, features), X[:, features])
        W = rng.standard_normal((features.size, 4)).astype(X.dtype)
        tol = 1e-4 if X.dtype == np.float32 else 1e-12
        assert_allclose(columns_product(X, features, W), X[:, features] @ W, rtol=tol, atol=tol)
        assert_allclose(columns_product(X, features, W[:, 0]), X[:, features] @ W[:, 0],
                        rtol=tol, atol=tol)


def test_gram_form_size_rule(monkeypatch):
    """The (k, k) Gram matrix is formed only under GRAM_MAX_ENTRIES; beyond it, the residual form."""
    bcd = importlib.import_module("mtlclassic.solvers.bcd")  # the package exports a function bcd
    X, Y, _ = make_multitask_regression(n_samples=300, n_features=40, n_tasks=4, n_shared=5,
                                        random_state=0)
    alpha = m.alpha_max(X, Y) / 20
    calls = []
    original = bcd._GramInner._gram

    def counting(data, ws, b):
        calls.append(ws.size)
        return original(data, ws, b)

    monkeypatch.setattr(bcd._GramInner, "_gram", staticmethod(counting))
    gram = m.GroupLassoRegressor(alpha=alpha, tol=1e-10).fit(X, Y)
    assert calls and max(calls) ** 2 <= bcd.GRAM_MAX_ENTRIES
    # The Gram of the working set, accumulated over row chunks, is X_ws^T diag(a) X_ws.
    monkeypatch.setattr(bcd, "GRAM_CHUNK_ENTRIES", 64 * 7)
    calls.clear()
    chunked = m.GroupLassoRegressor(alpha=alpha, tol=1e-10).fit(X, Y)
    assert calls
    assert_allclose(chunked.coef_, gram.coef_, atol=1e-8)
    monkeypatch.setattr(bcd, "GRAM_MAX_ENTRIES", 10)  # k * k > 10 for any working set here
    calls.clear()
    residual = m.GroupLassoRegressor(alpha=alpha, tol=1e-10).fit(X, Y)
    assert not calls
    assert_allclose(residual.coef_, gram.coef_, atol=1e-8)
    assert_allclose(residual.intercept_, gram.intercept_, atol=1e-8)


def _peak_fit(est, X, y):
    return peak_fit(est, X, y, warmup_rows=2000)


@pytest.fixture(scope="module")
def dense_per_task():
    """20 tasks x 1,000 rows, p = 400, task id last (64 MB), planted on 20 features."""
    rng = np.random.default_rng(0)
    n, p, T = 20_000, 400, 20
    X = np.empty((n, p + 1))
    X[:, :-1] = rng.standard_normal((n, p))
    X[:, -1] = np.repeat(np.arange(T), n // T)
    W = np.zeros((p, T))
    W[:20] = rng.standard_normal((20, T))
    y = np.einsum("ij,ji->i", X[:, :-1], W[:, X[:, -1].astype(int)])
    return X, y + rng.standard_normal(n)


@pytest.mark.parametrize("grouped", [True, False], ids=["grouped", "shuffled"])
def test_dense_per_task_memory_bound(dense_per_task, grouped):
    """Peak during fit <= size(X) (c + k / p) + vectors.

    ``c = 0`` when the rows come grouped by task with the task column last (the
    features are a view of X), else ``c = 1`` (one task-sorted copy); ``k / p``
    is the working set's copy. At alpha_max / 10 the working set holds 100 of
    the 400 features; ridge (every feature in the working set) is the worst case,
    and the logistic fit at a small alpha reaches it.
    """
    X, y = dense_per_task
    if not grouped:
        perm = np.random.default_rng(1).permutation(X.shape[0])
        X, y = X[perm], y[perm]
    c = 0.0 if grouped else 1.0
    amax = m.alpha_max(X, y, task_column=-1)
    sparse_peak = _peak_fit(m.GroupLassoRegressor(alpha=amax / 10, task_column=-1), X, y)
    assert sparse_peak <= (c + 0.35) * X.nbytes, sparse_peak / X.nbytes
    ridge_peak = _peak_fit(m.RidgeRegressor(alpha=0.1, task_column=-1), X, y)
    assert ridge_peak <= (c + 1.1) * X.nbytes, ridge_peak / X.nbytes
    logistic_peak = _peak_fit(m.GroupLassoClassifier(alpha=1e-3, task_column=-1, max_iter=30),
                              X, y > 0)  # iterations capped: memory is what is measured
    # Prox-Newton's epochs read a Fortran copy of the working set, as BCD's do: here it
    # holds every feature within the 30 epochs (the worst case, as ridge's).
    assert logistic_peak <= (c + 1.1) * X.nbytes, logistic_peak / X.nbytes


def test_grouped_per_task_features_are_a_view(dense_per_task):
    """Rows grouped by task, task column last: the solver reads the user's X, unmodified."""
    from mtlclassic._validation import check_fit_data

    X, y = dense_per_task
    X0 = X.copy()
    est = m.GroupLassoRegressor(task_column=-1)
    data = check_fit_data(est, X, y, None)
    assert np.shares_memory(data.X, X)
    est.fit(X, y)
    assert_array_equal(X, X0)


def test_dense_shared_memory_bound(dense_per_task):
    """Shared layout: the user's X is not copied; the Gram form and the chunked products
    keep the peak well under the size of X even with every feature in the working set."""
    X, _ = dense_per_task
    X = X[:, :-1]
    rng = np.random.default_rng(1)
    Y = X[:, :20] @ rng.standard_normal((20, 10)) + rng.standard_normal((X.shape[0], 10))
    for est in (m.GroupLassoRegressor(alpha=m.alpha_max(X, Y) / 1000),
                m.RidgeRegressor(alpha=0.1)):
        peak = _peak_fit(est, X, Y)
        assert peak <= 0.5 * X.nbytes, (type(est).__name__, peak / X.nbytes)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_per_task_memory_bound(fmt):
    """Per-task sparse input: one task-sorted CSR copy and its per-task row blocks, not four copies."""
    n, p, T = 50_000, 500, 10
    rng = np.random.default_rng(0)
    X = sp.random(n, p, density=0.05, format="csr", random_state=0)
    task = np.repeat(np.arange(T), n // T)
    W = np.zeros((p, T))
    W[:20] = rng.standard_normal((20, T))
    y = np.asarray((X @ W)[np.arange(n), task]).ravel() + 0.1 * rng.standard_normal(n)
    Xt = sp.hstack([X, sp.csr_matrix(task[:, None].astype(np.float64))], format=fmt)
    size = Xt.data.nbytes + Xt.indices.nbytes + Xt.indptr.nbytes
    est = m.GroupLassoRegressor(alpha=m.alpha_max(Xt, y, task_column=-1) / 10, task_column=-1)
    peak = _peak_fit(est, Xt, y)
    assert np.count_nonzero(est.coef_) > 0
    assert peak <= 3.2 * size, peak / size  # 4.0 when the features were copied four times
