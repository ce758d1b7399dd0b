"""The single-task baselines against scikit-learn's own estimators, column by column.

In the shared layout without weights, task t's part of our objective is
``1/(2n) ||y_t - X w_t - b_t||^2 + penalty(w_t)``, so:

* ``LassoRegressor(alpha)`` is ``Lasso(alpha)`` on each column,
* ``LassoRegressor(alpha, l2_reg=r)`` is ``ElasticNet(alpha + r, l1_ratio=alpha / (alpha + r))``,
* ``RidgeRegressor(alpha)`` is ``Ridge(n * alpha)`` (scikit-learn's loss is a sum),
* ``PooledRegressor(alpha)`` with one task is ``Ridge(n * alpha)`` too, and with
  identical tasks its shared row is that same single-task model,
* ``RidgeClassifier(alpha)`` is ``LogisticRegression(C=1 / (n * alpha))`` on each column.
"""

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression, Ridge

import mtlclassic as m


def _problem(seed, n=50, p=10, T=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + rng.standard_normal(p)
    W = rng.standard_normal((T, p)) * (rng.random((T, p)) < 0.5)
    Y = X @ W.T + 0.3 * rng.standard_normal((n, T)) + rng.standard_normal(T)
    return X, Y


def _rel(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_lasso_and_elastic_net_per_column(seed, fit_intercept):
    X, Y = _problem(seed)
    for l2 in (0.0, 0.05):
        ours = m.LassoRegressor(alpha=0.05, l2_reg=l2, fit_intercept=fit_intercept,
                                tol=1e-12, max_iter=100000).fit(X, Y)
        for t in range(Y.shape[1]):
            if l2:
                ref = ElasticNet(alpha=0.05 + l2, l1_ratio=0.05 / (0.05 + l2),
                                 fit_intercept=fit_intercept, tol=1e-12, max_iter=100000)
            else:
                ref = Lasso(alpha=0.05, fit_intercept=fit_intercept, tol=1e-12, max_iter=100000)
            ref.fit(X, Y[:, t])
            assert _rel(ours.coef_[t], ref.coef_) < 1e-6
            assert abs(ours.intercept_[t] - ref.intercept_) < 1e-6 * (1 + abs(ref.intercept_))


@pytest.mark.parametrize("seed", range(5))
def test_ridge_per_column(seed):
    X, Y = _problem(seed)
    n = X.shape[0]
    ours = m.RidgeRegressor(alpha=0.1, tol=1e-12, max_iter=100000).fit(X, Y)
    ref = Ridge(alpha=n * 0.1).fit(X, Y)
    assert _rel(ours.coef_, ref.coef_) < 1e-6
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_pooled_on_identical_tasks_is_single_task_ridge(seed):
    X, Y = _problem(seed, T=1)
    n = X.shape[0]
    Y3 = np.repeat(Y, 3, axis=1)  # three copies of one task
    ours = m.PooledRegressor(alpha=0.1, tol=1e-12, max_iter=100000).fit(X, Y3)
    # Three identical task losses and alpha/2 ||w||^2: the single task with alpha / 3.
    ref = Ridge(alpha=n * 0.1 / 3).fit(X, Y.ravel())
    for t in range(3):
        assert _rel(ours.coef_[t], ref.coef_) < 1e-6


@pytest.mark.parametrize("seed", range(3))
def test_pooled_per_task_layout_is_ridge_on_stacked_rows(seed):
    """Equal task sizes and no intercept: sum of task means = (pooled sum) / n_t."""
    rng = np.random.default_rng(seed)
    T, n_t, p = 3, 30, 6
    X = rng.standard_normal((T * n_t, p))
    y = X @ rng.standard_normal(p) + 0.1 * rng.standard_normal(T * n_t)
    tasks = np.repeat(np.arange(T), n_t)
    ours = m.PooledRegressor(alpha=0.2, task_column=-1, fit_intercept=False, tol=1e-12,
                             max_iter=100000).fit(np.column_stack([X, tasks]), y)
    ref = Ridge(alpha=n_t * 0.2, fit_intercept=False).fit(X, y)
    for t in range(T):
        assert _rel(ours.coef_[t], ref.coef_) < 1e-6


@pytest.mark.parametrize("seed", range(3))
def test_ridge_classifier_is_logistic_regression_per_column(seed):
    rng = np.random.default_rng(seed)
    X, Y = _problem(seed)
    Yb = (Y - np.median(Y, axis=0) + 0.5 * rng.standard_normal(Y.shape) > 0).astype(int)
    n = X.shape[0]
    ours = m.RidgeClassifier(alpha=0.05, tol=1e-12, max_iter=100000).fit(X, Yb)
    for t in range(Y.shape[1]):
        ref = LogisticRegression(C=1.0 / (n * 0.05), tol=1e-12, max_iter=10000).fit(X, Yb[:, t])
        assert _rel(ours.coef_[t], ref.coef_.ravel()) < 1e-5
        assert abs(ours.intercept_[t] - ref.intercept_[0]) < 1e-5 * (1 + abs(ref.intercept_[0]))
