"""Estimators and fitted models survive a pickle round trip (what a process pool or a Dask
cluster does to them): same parameters, same fitted attributes, same predictions.

One representative of each family: the row-sparse and low-rank models, a two-part model, the
baselines, a CV estimator of each loss, the alternating models that learn the task structure,
and a neural baseline; both layouts.
"""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone, is_classifier

import mtlclassic as m
from mtlclassic.datasets import make_multitask_classification, make_multitask_regression

CASES = [
    (m.GroupLassoRegressor(alpha=0.05), "shared"),
    (m.GroupLassoClassifier(alpha=0.01, task_column=-1), "per_task"),
    (m.TraceNormRegressor(alpha=0.05, task_column=-1), "per_task"),
    (m.DirtyModelRegressor(alpha_shared=0.05, alpha_sparse=0.05), "shared"),
    (m.RidgeRegressor(task_column=-1), "per_task"),
    (m.PooledClassifier(alpha=0.1), "shared"),
    (m.GraphRegularizedRegressor(lambda_graph=0.1, alpha=0.01), "shared"),
    (m.GroupLassoRegressorCV(n_alphas=5, cv=3), "shared"),
    (m.SparseGroupLassoClassifierCV(l1_ratio=[0.3, 0.8], n_alphas=4, eps=0.05, cv=3,
                                    task_column=-1),
     "per_task"),
    (m.TaskRelationRegressor(task_column=-1), "per_task"),
    (m.TaskRelationClassifier(lambda_1=0.01, lambda_2=0.01), "shared"),
    (m.ClusteredTaskRegressor(n_clusters=2, random_state=0), "shared"),
    (m.SparseTaskGraphClassifier(task_column=-1), "per_task"),
    (m.HardSharingMLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0),
     "shared"),
]


def _data(estimator, layout, n_samples=60):
    """A small problem of the estimator's kind in ``layout``."""
    make = make_multitask_classification if is_classifier(estimator) else \
        make_multitask_regression
    n = n_samples if layout == "shared" else [n_samples // 3] * 4
    X, y, _ = make(n_samples=n, n_features=10, n_tasks=4, n_shared=3, layout=layout,
                   random_state=0)
    return X, y


def _fitted_attributes(estimator):
    return {k: v for k, v in vars(estimator).items() if k.endswith("_") and not k.startswith("_")}


def _assert_same(a, b, where):
    """Equal values, recursively through containers (NaN equal to NaN)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray) or np.isscalar(a):
        np.testing.assert_array_equal(a, b, err_msg=where)
    else:
        assert type(a) is type(b), where


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence of the tiny neural fit is not the point
        return estimator.fit(X, y)


def _outputs(estimator, X):
    """Everything the fitted model computes on ``X``."""
    methods = ("predict", "decision_function", "predict_proba")
    return {name: getattr(estimator, name)(X) for name in methods if hasattr(estimator, name)}


@pytest.mark.parametrize("estimator, layout", CASES, ids=[type(e).__name__ for e, _ in CASES])
def test_fitted_model_round_trip(estimator, layout):
    X, y = _data(estimator, layout)
    fitted = _fit(clone(estimator), X, y)
    copy = pickle.loads(pickle.dumps(fitted))
    assert type(copy) is type(fitted)
    assert copy.get_params() == fitted.get_params()
    _assert_same(_fitted_attributes(fitted), _fitted_attributes(copy), type(fitted).__name__)
    before, after = _outputs(fitted, X), _outputs(copy, X)
    assert before.keys() == after.keys() and "predict" in before
    for name in before:
        np.testing.assert_array_equal(before[name], after[name], err_msg=name)


@pytest.mark.parametrize("estimator, layout", CASES, ids=[type(e).__name__ for e, _ in CASES])
def test_unfitted_estimator_round_trip_fits_the_same(estimator, layout):
    X, y = _data(estimator, layout)
    copy = pickle.loads(pickle.dumps(clone(estimator)))
    assert copy.get_params() == estimator.get_params()
    a, b = _fit(clone(estimator), X, y), _fit(copy, X, y)
    for name, value in _outputs(a, X).items():
        np.testing.assert_array_equal(value, _outputs(b, X)[name], err_msg=name)


@pytest.mark.parametrize("estimator", [m.GroupLassoRegressor(alpha=0.05),
                                       m.GroupLassoRegressorCV(n_alphas=5, cv=3),
                                       m.TaskRelationRegressor()],
                         ids=lambda e: type(e).__name__)
def test_fitted_linear_model_does_not_keep_the_training_data(estimator):
    # A fitted model shipped back from a worker carries its coefficients, not X: the
    # pickle does not grow with the number of rows.
    sizes = []
    for n in (60, 1200):
        X, y = _data(estimator, "shared", n_samples=n)
        sizes.append(len(pickle.dumps(_fit(clone(estimator), X, y))))
    assert sizes[1] < sizes[0] + 256, sizes
