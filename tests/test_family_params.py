"""The block-sparse / low-rank family: parameters, alpha_max per penalty, dtypes, sparse input.

Shared input validation (NaN, shapes, task columns) is tested once on the group
lasso in ``test_input_validation.py``; every estimator goes through the same
code, and this file checks what differs between them.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

import mtlclassic as m
from mtlclassic.datasets import make_multitask_classification, make_multitask_regression

# (regressor, classifier, default penalty parameters giving a nontrivial fit)
FAMILY = [
    (m.GroupLassoRegressor, m.GroupLassoClassifier, dict(alpha=0.02)),
    (m.LassoRegressor, m.LassoClassifier, dict(alpha=0.02)),
    (m.RidgeRegressor, m.RidgeClassifier, dict(alpha=0.1)),
    (m.PooledRegressor, m.PooledClassifier, dict(alpha=0.1)),
    (m.SparseGroupLassoRegressor, m.SparseGroupLassoClassifier, dict(alpha=0.02, l1_ratio=0.4)),
    (m.L1InfRegressor, m.L1InfClassifier, dict(alpha=0.05)),
    (m.DirtyModelRegressor, m.DirtyModelClassifier, dict(alpha_shared=0.05, alpha_sparse=0.03)),
    (m.TraceNormRegressor, m.TraceNormClassifier, dict(alpha=0.05)),
    (m.RobustMTFLRegressor, m.RobustMTFLClassifier, dict(alpha_features=0.05, alpha_tasks=0.05)),
]
CASES = [(cls, params) for reg, clf, params in FAMILY for cls in (reg, clf)]
IDS = [cls.__name__ for cls, _ in CASES]


def _data(cls, layout, seed=0):
    classifier = cls.__name__.endswith("Classifier")
    make = make_multitask_classification if classifier else make_multitask_regression
    if layout == "shared":
        X, Y, _ = make(n_samples=40, n_features=8, n_tasks=3, n_shared=3, random_state=seed)
        return X, Y, None
    X, y, _ = make(n_samples=[15, 20, 25], n_features=8, n_tasks=3, n_shared=3,
                   layout="per_task", random_state=seed)
    return X, y, -1


# -- parameters ----------------------------------------------------------------
@pytest.mark.parametrize("cls, params", CASES, ids=IDS)
def test_negative_penalty_parameters_rejected(cls, params):
    X, y, tc = _data(cls, "shared")
    for name in [*params, "l2_reg"]:
        if name not in cls().get_params() or name == "l1_ratio":
            continue
        with pytest.raises(ValueError, match=rf"{name} must be .*-1"):
            cls(**{**params, name: -1.0}).fit(X, y)
        with pytest.raises(ValueError, match=rf"{name} must be a finite number"):
            cls(**{**params, name: np.nan}).fit(X, y)


@pytest.mark.parametrize("cls", [m.RidgeRegressor, m.PooledClassifier])
def test_ridge_and_pooled_need_positive_alpha(cls):
    X, y, _ = _data(cls, "shared")
    with pytest.raises(ValueError, match="alpha must be > 0"):
        cls(alpha=0.0).fit(X, y)
    assert "l2_reg" not in cls().get_params()  # the penalty already is the l2 term


@pytest.mark.parametrize("value", [-0.1, 1.5, True, "half"])
def test_l1_ratio_validated(value):
    X, y, _ = _data(m.SparseGroupLassoRegressor, "shared")
    with pytest.raises(ValueError, match="l1_ratio must be a number in \\[0, 1\\]"):
        m.SparseGroupLassoRegressor(l1_ratio=value).fit(X, y)


def test_block_norm_validated():
    X, y, _ = _data(m.DirtyModelRegressor, "shared")
    with pytest.raises(ValueError, match="block_norm must be 'linf' or 'l2'.*'l1'"):
        m.DirtyModelRegressor(block_norm="l1").fit(X, y)


@pytest.mark.parametrize("cls", [m.TraceNormRegressor, m.DirtyModelRegressor,
                                 m.RobustMTFLRegressor])
def test_bcd_refused_for_penalties_not_separable_over_features(cls):
    X, y, _ = _data(cls, "shared")
    with pytest.raises(ValueError, match="separable over features"):
        cls(solver="bcd").fit(X, y)


@pytest.mark.parametrize("cls, solver", [
    (m.LassoRegressor, "bcd"), (m.SparseGroupLassoRegressor, "bcd"), (m.L1InfRegressor, "bcd"),
    (m.RidgeRegressor, "bcd"), (m.PooledRegressor, "bcd"), (m.TraceNormRegressor, "fista"),
    (m.DirtyModelRegressor, "fista"), (m.LassoClassifier, "prox_newton"),
    (m.RidgeClassifier, "fista"), (m.TraceNormClassifier, "fista")])
def test_auto_solver_choice(cls, solver):
    X, y, _ = _data(cls, "shared")
    assert cls().fit(X, y).solver_ == solver


# -- alpha_max -----------------------------------------------------------------
@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("name, reg, clf, extra", [
    ("l21", m.GroupLassoRegressor, m.GroupLassoClassifier, {}),
    ("l1", m.LassoRegressor, m.LassoClassifier, {}),
    ("sparse_group", m.SparseGroupLassoRegressor, m.SparseGroupLassoClassifier,
     dict(l1_ratio=0.3)),
    ("l1inf", m.L1InfRegressor, m.L1InfClassifier, {}),
    ("trace", m.TraceNormRegressor, m.TraceNormClassifier, {}),
])
def test_alpha_max_is_the_zero_threshold(name, reg, clf, extra, loss, layout):
    cls = reg if loss == "squared" else clf
    X, y, tc = _data(cls, layout)
    amax = m.alpha_max(X, y, penalty=name, loss=loss, task_column=tc, **extra)
    assert amax > 0
    at = cls(alpha=amax * (1 + 1e-6), task_column=tc, tol=1e-8, **extra).fit(X, y)
    assert np.all(at.coef_ == 0)
    below = cls(alpha=0.9 * amax, task_column=tc, tol=1e-8, **extra).fit(X, y)
    assert np.any(below.coef_ != 0)


@pytest.mark.parametrize("block_norm, shared_name", [("linf", "l1inf"), ("l2", "l21")])
def test_alpha_max_of_the_dirty_model(block_norm, shared_name):
    X, y, _ = _data(m.DirtyModelRegressor, "shared")
    a_shared = m.alpha_max(X, y, penalty=shared_name)
    a_sparse = m.alpha_max(X, y, penalty="l1")
    est = m.DirtyModelRegressor(a_shared * 1.000001, a_sparse * 1.000001, block_norm=block_norm,
                                tol=1e-8).fit(X, y)
    assert np.all(est.coef_ == 0)
    # Lowering either part's strength below its threshold lets that part in.
    est = m.DirtyModelRegressor(a_shared * 1.000001, 0.8 * a_sparse, block_norm=block_norm,
                                tol=1e-8).fit(X, y)
    assert np.all(est.coef_shared_ == 0) and np.any(est.coef_specific_ != 0)


def test_alpha_max_of_robust_mtfl():
    X, y, _ = _data(m.RobustMTFLRegressor, "shared")
    a_f = m.alpha_max(X, y, penalty="l21")
    a_t = m.alpha_max(X, y, penalty="task_l21")
    est = m.RobustMTFLRegressor(a_f * 1.000001, a_t * 1.000001, tol=1e-8).fit(X, y)
    assert np.all(est.coef_ == 0) and est.outlier_tasks_.size == 0
    est = m.RobustMTFLRegressor(a_f * 1.000001, 0.8 * a_t, tol=1e-8).fit(X, y)
    assert np.all(est.coef_shared_ == 0) and est.outlier_tasks_.size >= 1


def test_alpha_max_unknown_penalty():
    X, y, _ = _data(m.LassoRegressor, "shared")
    with pytest.raises(ValueError, match="penalty must be one of.*'l0'"):
        m.alpha_max(X, y, penalty="l0")


# -- inputs, dtypes, sparse X --------------------------------------------------
@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("cls, params", CASES, ids=IDS)
def test_inputs_not_modified_and_float32_kept(cls, params, layout):
    X, y, tc = _data(cls, layout)
    X32 = X.astype(np.float32)
    y32 = y.astype(np.float32) if not cls.__name__.endswith("Classifier") else y
    copies = X32.copy(), y32.copy()
    est = cls(task_column=tc, **params).fit(X32, y32)
    assert_array_equal(X32, copies[0])
    assert_array_equal(y32, copies[1])
    assert est.coef_.dtype == np.float32 and est.intercept_.dtype == np.float32
    for name in ("coef_shared_", "coef_specific_", "coef_outlier_"):
        if hasattr(est, name):
            assert getattr(est, name).dtype == np.float32
    est.predict(X32)
    assert_array_equal(X32, copies[0])


@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("cls, params", CASES, ids=IDS)
def test_sparse_X_equals_dense(cls, params, layout):
    X, y, tc = _data(cls, layout, seed=3)
    Xs = sp.csr_matrix(X)
    if tc is not None:
        X = X.copy()  # sparse task column: the ids must stay exact
    dense = cls(task_column=tc, tol=1e-10, max_iter=50000, **params).fit(X, y)
    sparse = cls(task_column=tc, tol=1e-10, max_iter=50000, **params).fit(Xs, y)
    scale = max(np.abs(dense.coef_).max(), 1e-12)
    assert_allclose(sparse.coef_, dense.coef_, atol=1e-5 * scale)
    assert_allclose(sparse.predict(Xs), dense.predict(X), atol=1e-5 * (1 + scale))


def test_two_part_models_sum_their_parts():
    X, y, _ = _data(m.DirtyModelRegressor, "shared")
    d = m.DirtyModelRegressor(0.05, 0.03).fit(X, y)
    assert_allclose(d.coef_, d.coef_shared_ + d.coef_specific_)
    r = m.RobustMTFLRegressor(0.05, 0.05).fit(X, y)
    assert_allclose(r.coef_, r.coef_shared_ + r.coef_outlier_)
    assert set(r.outlier_tasks_) <= set(r.tasks_)


def test_pooled_rows_equal_and_warm_start_of_two_part_models():
    X, y, _ = _data(m.PooledRegressor, "shared")
    p = m.PooledRegressor(alpha=0.1, tol=1e-10).fit(X, y)
    assert_allclose(p.coef_, np.broadcast_to(p.coef_[0], p.coef_.shape), rtol=1e-12)
    d = m.DirtyModelRegressor(0.05, 0.03, tol=1e-8, warm_start=True).fit(X, y)
    first = d.n_iter_
    d.fit(X, y)
    assert d.n_iter_ < max(first // 3, 11)
