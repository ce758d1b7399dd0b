"""The practitioner's baselines (issue 20, point 2): feature augmentation and gradient boosting.

Feature augmentation is checked against its definition: scikit-learn's ``Ridge`` and
``LogisticRegression`` on the augmented design ``[x, e_t, c e_t (x) x]`` written out here
(not by the package), on every task's rows with their sample weights. Both layouts must give
the same model on the same data; task labels may be strings; boosting must use the task
feature; ``compare`` must run both as family ``baseline`` in both layouts.
"""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression, Ridge

from mtlclassic import (FeatureAugmentationClassifier, FeatureAugmentationRegressor,
                        GradientBoostingTaskClassifier, GradientBoostingTaskRegressor)
from mtlclassic.compare import REGISTRY, compare

T, P = 3, 4


def _augmented(X, task, c):
    """``[x, e_t, c e_t (x) x]`` from its definition (dense)."""
    E = np.eye(T)[task]
    inter = (E[:, :, None] * X[:, None, :]).reshape(len(X), T * P)
    return np.hstack([X, E, c * inter])


def _per_task_problem(seed=0, n=90):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, P))
    task = rng.integers(0, T, n)
    W = rng.standard_normal(P) + 0.5 * rng.standard_normal((T, P))
    y = np.einsum("ij,ij->i", X, W[task]) + task + 0.3 * rng.standard_normal(n)
    sw = rng.uniform(0.2, 3.0, n)
    return X, task, y, sw


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha, c", [(2.5, 0.7), (1e-3, 3.0), (100.0, 0.0)])
def test_regressor_is_ridge_on_the_augmented_design(alpha, c, fit_intercept):
    X, task, y, sw = _per_task_problem()
    Z = _augmented(X, task, c)
    ref = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky").fit(
        Z, y, sample_weight=sw)
    est = FeatureAugmentationRegressor(alpha=alpha, task_scale=c, fit_intercept=fit_intercept,
                                       task_column=-1)
    Xt = np.column_stack([X, task])
    est.fit(Xt, y, sample_weight=sw)
    assert_allclose(est.predict(Xt), ref.predict(Z), rtol=1e-10, atol=1e-10)
    # coef_ is the task models w + c v_t read off the augmented coefficients
    w, u, V = ref.coef_[:P], ref.coef_[P:P + T], ref.coef_[P + T:].reshape(T, P)
    assert_allclose(est.coef_, w + c * V, rtol=1e-9, atol=1e-10)
    assert_allclose(est.intercept_, ref.intercept_ + u, rtol=1e-9, atol=1e-10)


def test_classifier_is_logistic_regression_on_the_augmented_design():
    X, task, y, sw = _per_task_problem(seed=1)
    labels = np.where(y > np.median(y), "yes", "no")
    c, alpha = 0.5, 3.0
    Z = _augmented(X, task, c)
    ref = LogisticRegression(C=1 / alpha, tol=1e-12, max_iter=10_000).fit(
        Z, labels, sample_weight=sw)
    est = FeatureAugmentationClassifier(alpha=alpha, task_scale=c, task_column=-1, tol=1e-12,
                                        max_iter=10_000)
    Xt = np.column_stack([X, task])
    est.fit(Xt, labels, sample_weight=sw)
    assert list(est.classes_) == ["no", "yes"]
    assert_allclose(est.decision_function(Xt), ref.decision_function(Z), atol=1e-6)
    assert_allclose(est.predict_proba(Xt), ref.predict_proba(Z), atol=1e-6)
    assert (est.predict(Xt) == ref.predict(Z)).all()


def _both_layouts(classify, seed=2):
    """The same data twice: a shared design with a complete Y, and its rows stacked by task."""
    rng = np.random.default_rng(seed)
    n = 40
    X = rng.standard_normal((n, P))
    Y = X @ rng.standard_normal((P, T)) + 0.3 * rng.standard_normal((n, T))
    if classify:
        Y = (Y > np.median(Y, axis=0)).astype(int)
    stacked = np.vstack([np.column_stack([X, np.full(n, t)]) for t in range(T)])
    return X, Y, stacked, Y.T.ravel()


@pytest.mark.parametrize("cls", [FeatureAugmentationRegressor, FeatureAugmentationClassifier,
                                 GradientBoostingTaskRegressor, GradientBoostingTaskClassifier])
def test_both_layouts_give_the_same_model(cls):
    classify = cls in (FeatureAugmentationClassifier, GradientBoostingTaskClassifier)
    X, Y, stacked, y = _both_layouts(classify)
    params = dict(random_state=0, min_samples_leaf=5) if "Boosting" in cls.__name__ else {}
    shared = cls(**params).fit(X, Y)
    per_task = cls(task_column=-1, **params).fit(stacked, y)
    out = "decision_function" if classify else "predict"
    Z = getattr(shared, out)(X)
    assert Z.shape == (len(X), T)
    assert_allclose(getattr(per_task, out)(stacked), Z.T.ravel(), rtol=1e-8, atol=1e-8)


def test_shared_layout_missing_targets_are_left_out():
    X, Y, stacked, y = _both_layouts(False)
    Y = Y.copy()
    Y[:10, 1] = np.nan
    keep = ~np.isnan(Y.T.ravel())
    shared = FeatureAugmentationRegressor(alpha=0.5).fit(X, Y)
    per_task = FeatureAugmentationRegressor(alpha=0.5, task_column=-1).fit(stacked[keep],
                                                                           y[keep])
    assert_allclose(shared.coef_, per_task.coef_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cls", [FeatureAugmentationRegressor, GradientBoostingTaskRegressor])
def test_string_task_labels_and_unseen_tasks(cls):
    X, task, y, _ = _per_task_problem(seed=3)
    names = np.array(["north", "south", "west"])
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(P)]).assign(school=names[task])
    est = cls(task_column="school").fit(frame, y)
    assert list(est.tasks_) == list(names)
    ints = cls(task_column=-1).fit(np.column_stack([X, task]), y)
    assert_allclose(est.predict(frame), ints.predict(np.column_stack([X, task])))
    new = frame.assign(school="east")
    with pytest.raises(ValueError, match="not seen in fit"):
        est.predict(new)
    mean = est.set_params(unseen_tasks="mean").predict(new)
    every = [est.predict(frame.assign(school=name)) for name in names]
    assert_allclose(mean, np.mean(every, axis=0))


def test_boosting_learns_from_the_task_feature():
    """Tasks that differ only by their task: y = +x or -x. Without the task no model beats 0."""
    rng = np.random.default_rng(4)
    n = 400
    x = rng.uniform(-1, 1, n)
    task = rng.integers(0, 2, n)
    y = np.where(task == 0, x, -x) + 0.05 * rng.standard_normal(n)
    est = GradientBoostingTaskRegressor(random_state=0).fit(np.column_stack([x, task]), y)
    test = np.column_stack([np.tile(np.linspace(-0.8, 0.8, 9), 2), np.repeat([0, 1], 9)])
    truth = np.where(test[:, 1] == 0, test[:, 0], -test[:, 0])
    assert np.max(np.abs(est.predict(test) - truth)) < 0.15
    labels = (y > 0).astype(int)
    clf = GradientBoostingTaskClassifier(random_state=0).fit(np.column_stack([x, task]), labels)
    assert np.mean(clf.predict(test) == (truth > 0)) >= 16 / 18


def test_sparse_input():
    X, task, y, sw = _per_task_problem(seed=5)
    X[np.abs(X) < 0.7] = 0.0
    Xt = np.column_stack([X, task])
    for cls in (FeatureAugmentationRegressor, GradientBoostingTaskRegressor):
        dense = cls(task_column=-1).fit(Xt, y, sample_weight=sw)
        sparse = cls(task_column=-1).fit(sp.csr_matrix(Xt), y, sample_weight=sw)
        assert_allclose(sparse.predict(sp.csr_matrix(Xt)), dense.predict(Xt), rtol=1e-9,
                        atol=1e-9)


def test_features_far_from_1_are_solved_in_their_units():
    """Features at 2^200 are solved in units near 1 (inside, by powers of two): still the ridge
    solution (scikit-learn's Cholesky solve still holds at this scale; at 1e160 the Gram
    blocks overflow, a case of tests/test_bad_inputs.py)."""
    X, task, y, _ = _per_task_problem(seed=6)
    k = 2.0 ** 200
    alpha = 1e-3 * k ** 2  # a strength of the features' order, so the fit is not all offsets
    Z = _augmented(X * k, task, 0.5)
    ref = Ridge(alpha=alpha, solver="cholesky").fit(Z, y * 1e10)
    est = FeatureAugmentationRegressor(alpha=alpha, task_scale=0.5, task_column=-1)
    est.fit(np.column_stack([X * k, task]), y * 1e10)
    assert_allclose(est.predict(np.column_stack([X * k, task])), ref.predict(Z), rtol=1e-8)


@pytest.mark.parametrize("params, match", [
    (dict(alpha=0.0), "alpha"), (dict(task_scale=-1.0), "task_scale"),
    (dict(fit_intercept="yes"), "fit_intercept")])
def test_bad_parameters(params, match):
    X, task, y, _ = _per_task_problem()
    with pytest.raises(ValueError, match=match):
        FeatureAugmentationRegressor(task_column=-1, **params).fit(np.column_stack([X, task]), y)


def test_too_many_tasks_for_boosting():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.standard_normal(600), np.arange(600) % 300])
    with pytest.raises(ValueError, match="at most 255 tasks"):
        GradientBoostingTaskRegressor(task_column=-1).fit(X, rng.standard_normal(600))


TINY = "synthetic:tasks=3,features=8,shared=3,specific=1,samples=24-36"
TINY_CLF = "synthetic-classification:tasks=3,features=8,shared=3,specific=1,samples=40-60"


def _shared_tiny():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5))
    Y = X @ rng.standard_normal((5, 3)) + 0.5 * rng.standard_normal((60, 3))
    Y[rng.random(Y.shape) < 0.2] = np.nan
    return X, Y


@pytest.mark.parametrize("data", [TINY, TINY_CLF, "shared"], ids=["per-task", "classification",
                                                                   "shared"])
def test_compare_runs_both_baselines(data):
    data = _shared_tiny() if data == "shared" else data
    models = "feature-augmentation,gradient-boosting"
    r = compare(data, models, n_splits=1, random_state=2,
                grids={"gradient-boosting": {"learning_rate": [0.2], "max_leaf_nodes": [3]}})
    for name in models.split(","):
        m = r.models[name]
        assert m.family == "baseline"
        assert m.errors == [] and np.isfinite(m.mean(r.main_metric)), name
    assert r.best("baseline") in models.split(",")


def test_registry_entries():
    fa, gb = REGISTRY["feature-augmentation"], REGISTRY["gradient-boosting"]
    assert fa.family == gb.family == "baseline"
    assert fa.classes == (FeatureAugmentationRegressor, FeatureAugmentationClassifier)
    assert gb.classes == (GradientBoostingTaskRegressor, GradientBoostingTaskClassifier)
    assert gb.make("regression", -1).get_params()["early_stopping"] is True
    X, task, y, _ = _per_task_problem()
    points = [p for _, p in fa.grid("regression", np.column_stack([X, task]), y, -1)]
    assert {p["task_scale"] for p in points} >= {0.0, 1.0}
    assert min(p["alpha"] for p in points) <= 1e-2 and max(p["alpha"] for p in points) >= 1e4
