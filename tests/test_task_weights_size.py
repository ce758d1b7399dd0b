"""``task_weights="size"``: each task weighted by its rows' total sample weight over the mean,
the loss pooled over all rows (scikit-learn's convention), in both layouts and in the CVs."""

import numpy as np
import pytest

from mtlclassic import (GroupLassoRegressor, LassoClassifier, LassoRegressorCV,
                        MeanRegularizedRegressor, RidgeRegressor)


def _stacked(rng):
    task = np.repeat([0, 1, 2], [10, 20, 30])
    X = np.column_stack([rng.normal(size=(60, 3)), task])
    return X, X[:, 0] + rng.normal(size=60), task


def test_size_equals_the_explicit_weights_per_task_layout():
    rng = np.random.default_rng(0)
    X, y, task = _stacked(rng)
    sw = rng.uniform(0.5, 2.0, size=60)
    sizes = np.bincount(task, weights=sw)
    for est in (MeanRegularizedRegressor(task_column=-1), RidgeRegressor(task_column=-1)):
        a = est.set_params(task_weights="size").fit(X, y, sample_weight=sw)
        b = est.set_params(task_weights=sizes / sizes.mean()).fit(X, y, sample_weight=sw)
        np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12, atol=1e-12)


def test_size_equals_the_explicit_weights_shared_layout():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 4))
    Y = X @ rng.normal(size=(4, 2)) + rng.normal(size=(50, 2))
    Y[:20, 0] = np.nan  # task 0 observes 30 rows, task 1 all 50
    a = GroupLassoRegressor(alpha=0.01, task_weights="size").fit(X, Y)
    b = GroupLassoRegressor(alpha=0.01, task_weights=np.array([30.0, 50.0]) / 40.0).fit(X, Y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12, atol=1e-12)


def test_size_pools_the_loss_over_rows():
    """Ridge with size weights is scikit-learn's Ridge on the pooled loss, task by task."""
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(2)
    X, y, task = _stacked(rng)
    est = RidgeRegressor(alpha=0.1, task_column=-1, task_weights="size", tol=1e-10).fit(X, y)
    mean_size = 20.0
    for t in range(3):
        rows = task == t
        # tau_t mean_t loss = (n_t / 20) (1 / n_t) sum -> sum / 20; penalty alpha / 2 ||w_t||^2
        ref = Ridge(alpha=0.1 * mean_size).fit(X[rows, :3], y[rows])
        np.testing.assert_allclose(est.coef_[t], ref.coef_, rtol=1e-4)


def test_size_in_a_cv_estimator_and_a_classifier():
    rng = np.random.default_rng(3)
    X, y, task = _stacked(rng)
    cv = LassoRegressorCV(task_column=-1, task_weights="size", cv=3, n_alphas=5).fit(X, y)
    assert np.isfinite(cv.alpha_)
    LassoClassifier(task_column=-1, task_weights="size").fit(X, (y > 0).astype(int))


def test_a_bad_string_is_refused():
    rng = np.random.default_rng(4)
    X, y, _ = _stacked(rng)
    with pytest.raises(ValueError, match="task_weights must be None, 'size'"):
        RidgeRegressor(task_column=-1, task_weights="sizes").fit(X, y)
