"""Auxiliary tasks (``main_tasks``, ``auxiliary_weight``, issue 16): only main tasks count for
early stopping, ``score`` and ``compare``; auxiliary tasks help a data-poor main task."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score

from mtlclassic import HardSharingMLPClassifier, HardSharingMLPRegressor, SoftSharingMLPRegressor
from mtlclassic.compare._scores import main_task_scorer, task_scores
from mtlclassic.metrics import neg_mse_scorer


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def planted(seed, n_main=15, n_aux=150, n_tasks=6, p=20, rank=3, n_test=300):
    """Task 0 (15 rows) and five auxiliary tasks (150 rows each): different linear heads on
    one shared representation ``tanh(X A)``. Per-task layout, task id last."""
    rng = np.random.default_rng(seed)
    A = 2 * rng.standard_normal((p, rank)) / np.sqrt(p)
    V = rng.standard_normal((n_tasks, rank))
    task = np.repeat(np.arange(n_tasks), [n_main] + [n_aux] * (n_tasks - 1))
    X = rng.standard_normal((len(task), p))
    y = np.einsum("ik,ik->i", np.tanh(X @ A), V[task]) + 0.1 * rng.standard_normal(len(task))
    Xt = rng.standard_normal((n_test, p))
    return np.column_stack([X, task]), y, np.column_stack([Xt, np.zeros(n_test)]), \
        np.tanh(Xt @ A) @ V[0]


PARAMS = dict(hidden_layer_sizes=(16,), alpha=0.01, learning_rate_init=0.01, batch_size=64,
              max_iter=60, random_state=0, task_column=-1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auxiliary_tasks_help_a_data_poor_main_task(seed):
    X, y, Xt, yt = planted(seed)
    main = X[:, -1] == 0
    alone = HardSharingMLPRegressor(**PARAMS).fit(X[main], y[main])
    helped = HardSharingMLPRegressor(main_tasks=[0], **PARAMS).fit(X, y)
    r2_alone, r2_helped = r2_score(yt, alone.predict(Xt)), r2_score(yt, helped.predict(Xt))
    # measured (seeds 0-2): 0.51 -> 0.80, 0.55 -> 0.86, 0.38 -> 0.70
    assert r2_helped > r2_alone + 0.2, (r2_alone, r2_helped)
    assert_allclose(helped.main_tasks_, [0.0])


def test_score_counts_only_the_main_tasks():
    X, y, _, _ = planted(0)
    est = HardSharingMLPRegressor(main_tasks=[0, 3], **{**PARAMS, "max_iter": 5}).fit(X, y)
    pred, task = est.predict(X), X[:, -1]
    expected = np.mean([r2_score(y[task == t], pred[task == t]) for t in (0, 3)])
    assert_allclose(est.score(X, y), expected, rtol=1e-12)
    # the shared layout: columns are the tasks
    Y = np.full((len(y), 6), np.nan)
    Y[np.arange(len(y)), task.astype(int)] = y
    shared = HardSharingMLPRegressor(main_tasks=[0, 3], **{**PARAMS, "max_iter": 5,
                                                            "task_column": None})
    shared.fit(X[:, :-1], Y)
    P = shared.predict(X[:, :-1])
    expected = np.mean([r2_score(y[task == t], P[task == t, t]) for t in (0, 3)])
    assert_allclose(shared.score(X[:, :-1], Y), expected, rtol=1e-12)


def test_early_stopping_watches_the_main_tasks_only():
    X, y, _, _ = planted(1)
    params = {**PARAMS, "max_iter": 4, "early_stopping": True, "n_iter_no_change": 10}
    every = HardSharingMLPRegressor(**params).fit(X, y)
    main = HardSharingMLPRegressor(main_tasks=[0], **params).fit(X, y)
    # the same training (auxiliary_weight=1), a validation loss of one task instead of six
    assert_allclose(main.loss_curve_, every.loss_curve_, rtol=1e-6)
    assert np.all(np.array(main.validation_loss_curve_)
                  < np.array(every.validation_loss_curve_))


def test_auxiliary_weight_scales_the_auxiliary_losses():
    X, y, _, _ = planted(2)
    params = {**PARAMS, "max_iter": 1, "shuffle": False, "dtype": "float64"}
    # auxiliary_weight=0: the first epoch's loss is the main task's alone
    zero = HardSharingMLPRegressor(main_tasks=[0], auxiliary_weight=0.0, **params).fit(X, y)
    one = HardSharingMLPRegressor(main_tasks=[0], auxiliary_weight=1.0, **params).fit(X, y)
    assert zero.loss_curve_[0] < 0.5 * one.loss_curve_[0]


def test_compare_scores_only_the_main_tasks():
    X, y, _, _ = planted(0)
    est = SoftSharingMLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0,
                                  task_column=-1, main_tasks=[1, 2]).fit(X, y)
    task = X[:, -1].astype(int)
    per_task, averaged, z = task_scores(est, X, y, "regression", 6, task)
    assert z.shape == y.shape
    assert np.all(np.isnan(per_task["nmse"][[0, 3, 4, 5]]))
    assert_allclose(averaged["r2"], est.score(X, y), rtol=1e-10)
    keep = np.isin(task, [1, 2])
    assert_allclose(main_task_scorer(neg_mse_scorer)(est, X, y),
                    neg_mse_scorer(est, X[keep], y[keep]))


@pytest.mark.parametrize("main_tasks, match", [([], "empty"), ([7], "not a task"),
                                               ("a", "not a task")])
def test_bad_main_tasks(main_tasks, match):
    X, y, _, _ = planted(0)
    with pytest.raises(ValueError, match=match):
        HardSharingMLPClassifier(main_tasks=main_tasks, task_column=-1,
                                 max_iter=2).fit(X, y > 0)
    with pytest.raises(ValueError, match="auxiliary_weight"):
        HardSharingMLPRegressor(auxiliary_weight=-1.0, task_column=-1).fit(X, y)
