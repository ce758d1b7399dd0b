"""The kernel models' quantile feature map and compare's ordered-tasks kernel choice.

* ``feature_map="quantile"`` (estimators/_feature_map.py): the fit equals the plain model on
  features mapped by scikit-learn's QuantileTransformer (the oracle); the predictions do not
  change on the training rows when a feature is replaced by a strictly increasing function of
  itself (only its ranks count there); bad values and sparse input raise one-line errors; the
  CV estimators take it (their median heuristic on the mapped features);
* ``ordered_task_covariance``: ``tr(B^{-1} G)`` is the chain penalty written out (with and
  without the mean part), and the kernel search offers the ordered-tasks choice (on both
  feature maps) with a fixed covariance holding lambda_mean.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import QuantileTransformer

from mtlclassic import KernelTaskRelationClassifier, KernelTaskRelationRegressor
from mtlclassic.estimators._kernel_grid import (LINEAR_ORDERED, kernel_axes_grid,
                                                ordered_task_covariance)


def _per_task(n_rows=90, n_tasks=3, p=3, seed=0):
    rng = np.random.default_rng(seed)
    F = rng.standard_t(2, size=(n_rows, p))  # heavy tails
    task = np.arange(n_rows) % n_tasks
    y = F[:, 0] - 0.5 * np.tanh(F[:, 1]) * (1 + task) + 0.1 * rng.standard_normal(n_rows)
    return np.column_stack([F, task]), y


@pytest.mark.parametrize("kernel", ["rbf", "linear"])
def test_quantile_map_is_the_model_on_mapped_features(kernel):
    X, y = _per_task()
    Xt, yt = _per_task(seed=1)
    q = QuantileTransformer(n_quantiles=X.shape[0], output_distribution="normal",
                            subsample=None).fit(X[:, :-1])

    def mapped(Z):
        return np.column_stack([q.transform(Z[:, :-1]), Z[:, -1]])

    params = dict(kernel=kernel, gamma=0.3, alpha=0.1, lambda_2=0.1, task_column=-1)
    ours = KernelTaskRelationRegressor(feature_map="quantile", **params).fit(X, y)
    oracle = KernelTaskRelationRegressor(**params).fit(mapped(X), y)
    np.testing.assert_allclose(ours.predict(Xt), oracle.predict(mapped(Xt)), rtol=1e-8,
                               atol=1e-10)
    plain = KernelTaskRelationRegressor(**params).fit(X, y)
    assert not np.allclose(plain.predict(Xt), ours.predict(Xt), atol=1e-3)


def test_quantile_map_sees_ranks_only():
    X, y = _per_task()
    # A strictly increasing function of feature 1.
    Xm = X.copy()
    Xm[:, 1] = np.exp(X[:, 1])
    params = dict(kernel="rbf", gamma=0.3, alpha=0.1, task_column=-1, feature_map="quantile")
    a = KernelTaskRelationRegressor(**params).fit(X, y)
    b = KernelTaskRelationRegressor(**params).fit(Xm, y)
    # The same fit: the training rows map to the same quantile levels (new rows between two
    # training values are interpolated on the feature's own scale, so they may differ).
    np.testing.assert_allclose(a.dual_coef_, b.dual_coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(a.predict(X), b.predict(Xm), rtol=1e-7, atol=1e-9)
    # Without the map the transform changes the model.
    plain = {**params, "feature_map": None}
    assert not np.allclose(KernelTaskRelationRegressor(**plain).fit(X, y).predict(X),
                           KernelTaskRelationRegressor(**plain).fit(Xm, y).predict(Xm),
                           atol=1e-3)


def test_quantile_map_on_nystroem_features_and_classifier():
    X, y = _per_task()
    labels = (y > np.median(y)).astype(int)
    exact = KernelTaskRelationClassifier(kernel="linear", alpha=0.1, task_column=-1,
                                         feature_map="quantile").fit(X, labels)
    features = KernelTaskRelationClassifier(kernel="linear", alpha=0.1, task_column=-1,
                                            feature_map="quantile", n_components=3,
                                            random_state=0, tol=1e-10,
                                            max_iter=1000).fit(X, labels)
    np.testing.assert_allclose(features.decision_function(X), exact.decision_function(X),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("value", ["rank", 1, True])
def test_feature_map_bad_value(value):
    X, y = _per_task()
    with pytest.raises(ValueError, match="feature_map must be None or 'quantile'"):
        KernelTaskRelationRegressor(feature_map=value, task_column=-1).fit(X, y)


def test_feature_map_needs_dense_features():
    X, y = _per_task()
    with pytest.raises(ValueError, match="needs dense features"):
        KernelTaskRelationRegressor(feature_map="quantile", task_covariance="independent").fit(
            sp.csr_matrix(X[:, :-1]), np.column_stack([y, y]))


@pytest.mark.parametrize("n_tasks", [3, 6])
@pytest.mark.parametrize("mean_ratio", [None, 0.3])
def test_ordered_task_covariance_is_the_chain_penalty(n_tasks, mean_ratio):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((n_tasks, 4))
    ratio = 7.0
    B = ordered_task_covariance(n_tasks, ratio, mean_ratio)
    penalty = np.trace(np.linalg.solve(B, W @ W.T))
    if mean_ratio is None:  # alpha/2 sum ||w_t||^2 + ratio alpha/2 sum ||w_t - w_t+1||^2
        chain = np.sum(W ** 2)
    else:  # the mean alone (lambda_mean / alpha T ||w_bar||^2), then the deviations
        mean = W.mean(axis=0)
        chain = mean_ratio * n_tasks * np.sum(mean ** 2) + np.sum((W - mean) ** 2)
    chain += ratio * np.sum(np.diff(W, axis=0) ** 2)
    assert penalty == pytest.approx(chain, rel=1e-10)
    assert np.all(np.linalg.eigvalsh(B) > 0)


def test_kernel_search_offers_the_ordered_tasks_choice():
    X, y = _per_task(n_tasks=4)
    grid = kernel_axes_grid()("regression", X, y, -1)
    kernel = grid.axes[0]
    choice = LINEAR_ORDERED + ", quantile features"
    assert {LINEAR_ORDERED, choice} <= set(kernel.values)
    assert {LINEAR_ORDERED, choice} <= set(kernel.preferred)
    assert not any(v.startswith("rbf") for v in kernel.preferred)
    names = [a.name for a in grid.axes]
    assert names == ["kernel", "alpha", "lambda_2_ratio", "lambda_mean"]
    label, params = grid.point((choice, 1e-2, 100.0, 1e-1))
    # lambda_mean = 10 alpha: the covariance's mean part (lambda_mean / alpha = 10).
    np.testing.assert_allclose(params["task_covariance"],
                               ordered_task_covariance(4, 100.0, 10.0))
    assert params["lambda_mean"] is None and "lambda_mean=0.1" in label
    assert params["feature_map"] == "quantile" and params["kernel"] == "linear"
    # The estimator takes the point as it is (a fixed covariance, no lambda_mean).
    KernelTaskRelationRegressor(task_column=-1).set_params(**params).fit(X, y)
    # The other choices name the standardised features (a warm start copies a neighbour).
    assert grid.point(("linear", 1e-2, 100.0, 1e-1))[1]["feature_map"] is None
    # Two tasks: no chain to speak of.
    X2, y2 = _per_task(n_tasks=2)
    assert LINEAR_ORDERED not in kernel_axes_grid()("regression", X2, y2, -1).kernels


def test_cv_estimator_takes_the_feature_map():
    from mtlclassic import KernelTaskRelationRegressorCV

    X, y = _per_task()
    cv = KernelTaskRelationRegressorCV(alphas=(0.1,), lambda_2s=(0.1,), cv=2, task_column=-1,
                                       feature_map="quantile").fit(X, y)
    assert cv.best_estimator_.feature_map == "quantile"
    # The median heuristic on the mapped features (what the kernel sees).
    from mtlclassic.estimators._grids import median_gamma

    q = QuantileTransformer(n_quantiles=X.shape[0], output_distribution="normal",
                            subsample=None).fit(X[:, :-1])
    assert cv.gammas_[2] == pytest.approx(median_gamma(q.transform(X[:, :-1]), None))
