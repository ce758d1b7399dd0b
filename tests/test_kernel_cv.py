"""The kernel models' cross-validation: the grid, the folds, the criterion and the refit.

Oracles: the criterion recomputed here from the estimator fitted on each fold
(cold, no warm start) with the folds the linear ``*CV`` estimators use, and the
estimator refitted at the chosen point.
"""

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold

from mtlclassic import (KernelTaskRelationClassifierCV, KernelTaskRelationRegressor,
                        KernelTaskRelationRegressorCV)

pytestmark = pytest.mark.quick


def _problem(seed=0, n=30, T=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n * T, 3))
    task = np.repeat(np.arange(T), n)
    y = np.sin(2 * X[:, 0]) * (1 + 0.3 * task) + 0.2 * rng.normal(size=n * T)
    return np.column_stack([X, task]), y, task


GRID = dict(alphas=(1e-3, 1e-2), gammas=(0.3, 1.0), lambda_2s=(1e-3, 1e-2), cv=3)


def test_the_chosen_point_minimises_the_recomputed_heldout_error():
    Xt, y, task = _problem()
    cv = KernelTaskRelationRegressorCV(task_column=-1, tol=1e-9, max_iter=2000, **GRID).fit(Xt, y)
    folds = list(StratifiedKFold(3).split(np.zeros((len(y), 1)), task))
    scores = np.empty((2, 2, 2, 3))
    for i, gamma in enumerate(sorted(GRID["gammas"])):
        for j, alpha in enumerate(sorted(GRID["alphas"], reverse=True)):
            for k, lam in enumerate(sorted(GRID["lambda_2s"], reverse=True)):
                for f, (train, test) in enumerate(folds):
                    model = KernelTaskRelationRegressor(
                        alpha, gamma=gamma, lambda_2=lam, task_column=-1, tol=1e-9,
                        max_iter=2000)
                    model.fit(Xt[train], y[train])
                    err = (model.predict(Xt[test]) - y[test]) ** 2
                    # each task's mean squared error, averaged over tasks
                    scores[i, j, k, f] = np.mean([err[task[test] == t].mean() for t in range(3)])
    np.testing.assert_allclose(cv.cv_scores_, scores, rtol=1e-5)
    i, j, k = np.unravel_index(np.argmin(scores.mean(axis=3)), scores.shape[:3])
    assert (cv.gamma_, cv.alpha_, cv.lambda_2_) == (
        sorted(GRID["gammas"])[i], sorted(GRID["alphas"], reverse=True)[j],
        sorted(GRID["lambda_2s"], reverse=True)[k])
    refit = KernelTaskRelationRegressor(cv.alpha_, gamma=cv.gamma_, lambda_2=cv.lambda_2_,
                                        task_column=-1, tol=1e-9, max_iter=2000).fit(Xt, y)
    np.testing.assert_allclose(cv.predict(Xt), refit.predict(Xt), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(cv.task_covariance_, refit.task_covariance_, rtol=1e-8)


def test_warm_start_reaches_the_cold_solution():
    Xt, y, _ = _problem(1)
    cold = KernelTaskRelationRegressor(1e-2, gamma=0.5, lambda_2=1e-2, task_column=-1,
                                       tol=1e-10, max_iter=5000).fit(Xt, y)
    warm = KernelTaskRelationRegressor(1e-1, gamma=0.5, lambda_2=1e-1, task_column=-1,
                                       tol=1e-10, max_iter=5000, warm_start=True).fit(Xt, y)
    assert warm.n_iter_ > 1
    warm.set_params(alpha=1e-2, lambda_2=1e-2).fit(Xt, y)
    np.testing.assert_allclose(warm.task_covariance_, cold.task_covariance_, atol=1e-6)
    np.testing.assert_allclose(warm.predict(Xt), cold.predict(Xt), atol=1e-6)


def test_the_default_gamma_grid_follows_the_median_heuristic():
    Xt, y, _ = _problem(2)
    cv = KernelTaskRelationRegressorCV(task_column=-1, alphas=(1e-2,), lambda_2s=(1e-2,),
                                       cv=3).fit(Xt, y)
    X = Xt[:, :-1]
    d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    median = np.median(d2[np.triu_indices_from(d2, k=1)])
    np.testing.assert_allclose(cv.gammas_, np.array([0.25, 0.5, 1, 2, 4]) / median)


def test_classifier_cv_scores_accuracy_and_offers_no_probabilities():
    Xt, y, _ = _problem(3)
    labels = np.where(y > np.median(y), "up", "down")
    cv = KernelTaskRelationClassifierCV(task_column=-1, **GRID).fit(Xt, labels)
    assert set(cv.predict(Xt)) <= {"up", "down"}
    assert np.all((cv.cv_scores_ >= 0) & (cv.cv_scores_ <= 1))
    assert cv.score(Xt, labels) > 0.8
    assert not hasattr(cv, "predict_proba")


@pytest.mark.parametrize("params, match", [
    (dict(alphas=()), "alphas"), (dict(alphas=(0.0,)), "alphas must be > 0"),
    (dict(gammas=(-1.0,)), "gammas"), (dict(lambda_2s=(np.nan,)), "lambda_2s"),
])
def test_bad_grids_are_clear_errors(params, match):
    Xt, y, _ = _problem()
    with pytest.raises(ValueError, match=match):
        KernelTaskRelationRegressorCV(task_column=-1, cv=3, **params).fit(Xt, y)


@pytest.mark.parametrize("layout", ["shared", "per_task"])
def test_refit_is_the_model_fitted_with_the_same_weights(layout):
    Xt, y, task = _problem(4)
    sw = np.random.default_rng(0).uniform(0.2, 3.0, size=len(y))
    if layout == "shared":
        X, Y = Xt[task == 0, :-1], np.column_stack([y[task == t] for t in range(3)])
        kw, fit_X, fit_y = {}, X, Y
        sw = sw[: len(X)]
    else:
        kw, fit_X, fit_y = dict(task_column=-1), Xt, y
    cv = KernelTaskRelationRegressorCV(**GRID, **kw).fit(fit_X, fit_y, sample_weight=sw)
    model = KernelTaskRelationRegressor(cv.alpha_, gamma=cv.gamma_, lambda_2=cv.lambda_2_, **kw)
    model.fit(fit_X, fit_y, sample_weight=sw)
    np.testing.assert_allclose(cv.predict(fit_X), model.predict(fit_X), rtol=1e-8, atol=1e-10)
    unweighted = KernelTaskRelationRegressor(cv.alpha_, gamma=cv.gamma_, lambda_2=cv.lambda_2_,
                                             **kw).fit(fit_X, fit_y)
    assert np.max(np.abs(unweighted.predict(fit_X) - model.predict(fit_X))) > 1e-3


def test_sklearn_sample_weight_equivalence_with_a_fixed_task_matrix():
    """scikit-learn's check (zero = dropped, integer = repeated): exact for a fixed task
    matrix (one solve); the learned one alternates to its tolerance."""
    from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data

    est = KernelTaskRelationRegressorCV(alphas=(1e-2, 1e-1), gammas=(0.1,), cv=2,
                                        task_covariance="independent")
    check_sample_weight_equivalence_on_dense_data(type(est).__name__, est)
