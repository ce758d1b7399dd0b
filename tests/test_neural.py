"""Behaviour of the neural baselines: reproducibility, early stopping, partial_fit, layouts,
task weighting, input errors, and hard sharing winning on planted shared representations."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import r2_score
from sklearn.neural_network import MLPRegressor

from mtlclassic import (HardSharingMLPClassifier, HardSharingMLPRegressor,
                        RelationshipMLPRegressor, SoftSharingMLPClassifier,
                        SoftSharingMLPRegressor, stack_tasks)
from mtlclassic.neural._data import NeuralData, make_batch
from mtlclassic.neural._losses import task_sums

REGRESSORS = [HardSharingMLPRegressor, SoftSharingMLPRegressor]
CLASSIFIERS = [HardSharingMLPClassifier, SoftSharingMLPClassifier]
ALL = REGRESSORS + CLASSIFIERS
SMALL = dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def planted(seed, n_tasks=20, n_rows=20, n_features=20, rank=3, n_test=200, noise=0.1):
    """Tasks = different linear heads on one shared nonlinear representation ``tanh(X A)``.

    Returns per-task-layout ``(X, y)`` for training and testing (task id last).
    """
    rng = np.random.default_rng(seed)
    A = 2.0 * rng.standard_normal((n_features, rank)) / np.sqrt(n_features)
    V = rng.standard_normal((n_tasks, rank))

    def draw(m):
        X = rng.standard_normal((n_tasks * m, n_features))
        task = np.repeat(np.arange(n_tasks), m)
        y = np.einsum("ik,ik->i", np.tanh(X @ A), V[task]) + noise * rng.standard_normal(len(task))
        return np.column_stack([X, task]), y

    return draw(n_rows), draw(n_test)


def shared_data(seed=0, n=60, p=5, T=3, nan_frac=0.2, classify=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    Y = np.tanh(X @ rng.standard_normal((p, T))) + 0.1 * rng.standard_normal((n, T))
    if classify:
        Y = (Y > 0).astype(float)
    miss = rng.random((n, T)) < nan_frac
    miss[:6] = False
    return X, np.where(miss, np.nan, Y)


def per_task_data(seed=0, sizes=(15, 25, 40), p=5, classify=False):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(p)
    Xs = [rng.standard_normal((n, p)) for n in sizes]
    ys = [np.tanh(Xt @ w) + 0.1 * rng.standard_normal(len(Xt)) for Xt in Xs]
    if classify:
        ys = [(yt > 0).astype(float) for yt in ys]
    return stack_tasks(Xs, ys)


# -- reproducibility ---------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("extra", [{}, dict(dropout=0.2, early_stopping=True)])
def test_same_random_state_is_bit_identical(cls, extra):
    X, Y = shared_data(classify=cls in CLASSIFIERS)
    a = cls(**SMALL, **extra).fit(X, Y)
    b = cls(**SMALL, **extra).fit(X, Y)
    c = cls(**{**SMALL, "random_state": 1}, **extra).fit(X, Y)
    for Wa, Wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(Wa, Wb)
    assert a.loss_curve_ == b.loss_curve_
    assert_array_equal(a.predict(X), b.predict(X))
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


# -- early stopping, stopping rule ---------------------------------------------------------
def test_early_stopping_stops_and_keeps_the_best_epoch():
    (X, y), _ = planted(0, n_tasks=4, n_rows=30)
    params = dict(hidden_layer_sizes=(64,), task_column=-1, random_state=0, alpha=0.0,
                  learning_rate_init=1e-2, early_stopping=True, validation_fraction=0.3,
                  n_iter_no_change=5, max_iter=500)
    est = HardSharingMLPRegressor(**params).fit(X, y)
    curve = est.validation_loss_curve_
    assert est.n_iter_ < 500 and len(curve) == est.n_iter_ == len(est.loss_curve_)
    best = int(np.argmin(curve))
    assert est.best_validation_loss_ == curve[best]
    assert est.n_iter_ == best + 1 + 5 + 1  # stops after n_iter_no_change + 1 stalled epochs
    # The same run stopped by max_iter at the best epoch ends with the same parameters.
    again = HardSharingMLPRegressor(**{**params, "max_iter": best + 1}).fit(X, y)
    for W1, W2 in zip(est.coefs_, again.coefs_):
        assert_array_equal(W1, W2)


def test_training_loss_stopping_and_convergence_warning():
    X, Y = shared_data()
    est = HardSharingMLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=3 epochs"):
        est.fit(X, Y)
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 3
    est = HardSharingMLPRegressor(hidden_layer_sizes=(8,), max_iter=10_000, tol=1e-2,
                                  n_iter_no_change=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, Y)
    assert est.n_iter_ < 10_000 and est.best_loss_ == min(est.loss_curve_)


# -- partial_fit -----------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL)
def test_partial_fit_first_call_is_one_epoch_of_fit(cls):
    X, Y = shared_data(classify=cls in CLASSIFIERS)
    one = cls(**{**SMALL, "max_iter": 1}).fit(X, Y)
    part = cls(**SMALL).partial_fit(X, Y)
    for W1, W2 in zip(one.coefs_, part.coefs_):
        assert_array_equal(W1, W2)
    part.partial_fit(X, Y).partial_fit(X, Y)
    assert part.n_iter_ == 3 and len(part.loss_curve_) == 3
    assert part.t_ == 3 * len(X)


def test_partial_fit_continues_on_subsets_of_tasks():
    X, y = per_task_data()
    est = HardSharingMLPRegressor(**SMALL, task_column=-1).partial_fit(X, y)
    before = [W.copy() for W in est.coefs_]
    only_task_2 = X[:, -1] == 2
    est.partial_fit(X[only_task_2], y[only_task_2])
    # Heads of tasks absent from the call keep their parameters up to Adam's momentum;
    # the trunk moved.
    assert not np.array_equal(before[0], est.coefs_[0])
    losses = []
    for _ in range(30):
        est.partial_fit(X, y)
        losses.append(est.loss_curve_[-1])
    assert losses[-1] < losses[0]
    bad = X[:3].copy()
    bad[:, -1] = 7
    with pytest.raises(ValueError, match="not seen in fit"):
        est.partial_fit(bad, y[:3])


def test_partial_fit_classifier_labels():
    X, y = per_task_data(classify=True)
    y = np.where(y > 0, "yes", "no")
    est = HardSharingMLPClassifier(**SMALL, task_column=-1).partial_fit(X, y,
                                                                      classes=["no", "yes"])
    assert list(est.classes_) == ["no", "yes"]
    est.partial_fit(X[:5], np.full(5, "yes"))  # one class in a later chunk is fine
    with pytest.raises(ValueError, match="not in classes_"):
        est.partial_fit(X[:5], np.full(5, "maybe"))
    with pytest.raises(ValueError, match="classes="):
        est.partial_fit(X, y, classes=["a", "b"])


# -- layouts -----------------------------------------------------------------------------------------
def _both_layouts(seed=0, sizes=(12, 20, 28), p=4, classify=False):
    """The same rows as a per-task (task column) and a shared-layout (NaN elsewhere) problem."""
    X, y = per_task_data(seed, sizes, p, classify)
    task = X[:, -1].astype(int)
    Y = np.full((len(y), len(sizes)), np.nan)
    Y[np.arange(len(y)), task] = y
    return X, y, X[:, :-1], Y


LAYOUT_CASES = [
    (HardSharingMLPRegressor, {}),
    (HardSharingMLPRegressor, dict(head_layer_sizes=(5,))),
    (HardSharingMLPClassifier, dict(head_layer_sizes=(5,), task_weighting="uncertainty")),
    (SoftSharingMLPRegressor, dict(soft_sharing=0.1)),
    (SoftSharingMLPRegressor, dict(cross_stitch=True, task_weighting="dwa")),
    (SoftSharingMLPClassifier, {}),
    (HardSharingMLPRegressor, dict(task_weighting="mgda")),
    (HardSharingMLPClassifier, dict(task_weighting="pcgrad")),
    (SoftSharingMLPRegressor, dict(cross_stitch=True, task_weighting="gradnorm")),
    (HardSharingMLPRegressor, dict(main_tasks=[1], auxiliary_weight=0.5)),
    (SoftSharingMLPClassifier, dict(main_tasks=[0, 2], auxiliary_weight=2.0)),
    (RelationshipMLPRegressor, dict(relationship=0.1)),
    (HardSharingMLPRegressor, dict(adversarial_tasks=[2], adversarial_weight=0.5)),
]


@pytest.mark.parametrize("cls, extra", LAYOUT_CASES)
def test_both_layouts_give_the_same_model(cls, extra):
    X, y, Xs, Y = _both_layouts(classify=cls in CLASSIFIERS)
    params = dict(hidden_layer_sizes=(6,), max_iter=15, batch_size=16, random_state=0,
                  dtype="float64", early_stopping=True, **extra)
    per_task = cls(task_column=-1, **params).fit(X, y)
    shared = cls(**params).fit(Xs, Y)
    assert per_task.n_iter_ == shared.n_iter_
    for W1, W2 in zip(per_task.coefs_ + per_task.intercepts_, shared.coefs_ + shared.intercepts_):
        assert_allclose(W1, W2, rtol=1e-9, atol=1e-12)
    assert_allclose(per_task.loss_curve_, shared.loss_curve_, rtol=1e-9)
    pred_shared = (shared.decision_function if cls in CLASSIFIERS else shared.predict)(Xs)
    pred_task = (per_task.decision_function if cls in CLASSIFIERS else per_task.predict)(X)
    assert_allclose(pred_task, pred_shared[np.arange(len(y)), X[:, -1].astype(int)],
                    rtol=1e-9, atol=1e-12)


def test_missing_targets_drop_out_of_the_loss():
    """Whatever the shared layout holds at a NaN target, the batch weight there is zero and
    every task's weights sum to one (its mean over its observed rows)."""
    X, Y = shared_data(nan_frac=0.4)
    M = ~np.isnan(Y)
    data = NeuralData(X, 3, Y=np.where(M, Y, 0.0), M=M.astype(float))
    rows = np.arange(25)
    for mode in ("rows", "all"):
        b = make_batch(data, rows, mode)
        C = b.C if mode == "rows" else b.C.T
        assert np.all(C[~M[rows]] == 0)
        assert_allclose(C.sum(axis=0), 1.0)


def test_unbalanced_tasks_are_means_in_a_batch():
    X, y = per_task_data(sizes=(3, 40, 100))
    data = NeuralData(X[:, :-1], 3, y=y, task=X[:, -1].astype(int))
    rows = np.arange(len(y))
    for mode in ("rows", "all", "padded", "gather"):
        b = make_batch(data, rows, mode, padded_input=True)
        per_task = task_sums(b.C, b.task_axis, b.task, 3)
        assert_allclose(per_task, 1.0)


def test_string_task_labels_in_a_dataframe():
    X, y = per_task_data()
    df = pd.DataFrame(X[:, :-1], columns=list("abcde"))
    df["city"] = np.array(["oslo", "rome", "lima"])[X[:, -1].astype(int)]
    est = SoftSharingMLPRegressor(**SMALL, task_column="city").fit(df, y)
    assert list(est.tasks_) == ["lima", "oslo", "rome"]
    assert est.predict(df).shape == (len(y),)
    unknown = df.iloc[:2].copy()
    unknown["city"] = "paris"
    with pytest.raises(ValueError, match="not seen in fit"):
        est.predict(unknown)


# -- targets, outputs ----------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", REGRESSORS)
def test_targets_standardised_per_task_and_mapped_back(cls):
    X, Y = shared_data()
    params = dict(SMALL, dtype="float64")
    base = cls(**params).fit(X, Y)
    shift, scale = np.array([5.0, -300.0, 0.0]), np.array([1e3, 0.01, 2.0])
    moved = cls(**params).fit(X, Y * scale + shift)
    assert_allclose(moved.predict(X), base.predict(X) * scale + shift, rtol=1e-7, atol=1e-9)
    assert_allclose(moved.target_scale_, base.target_scale_ * scale)
    raw = cls(**params, standardize_targets=False).fit(X, Y)
    assert_array_equal(raw.target_scale_, 1.0)
    assert not np.allclose(raw.predict(X), base.predict(X))


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_classifier_outputs(cls):
    X, Y = shared_data(classify=True)
    est = cls(**SMALL).fit(X, Y)
    z = est.decision_function(X)
    assert z.shape == Y.shape
    assert_allclose(est.predict_proba(X), 1 / (1 + np.exp(-z)))
    assert_array_equal(est.predict(X), est.classes_[(z > 0).astype(int)])
    X1, y1 = per_task_data(classify=True)
    est = cls(**SMALL, task_column=-1).fit(X1, y1)
    assert est.predict_proba(X1).shape == (len(y1), 2)


def test_float32_and_float64_training_agree():
    X, Y = shared_data()
    a = HardSharingMLPRegressor(**SMALL, dtype="float32").fit(X, Y)
    b = HardSharingMLPRegressor(**SMALL, dtype="float64").fit(X, Y)
    assert a.coefs_[0].dtype == np.float32 and b.coefs_[0].dtype == np.float64
    assert_allclose(a.predict(X), b.predict(X), rtol=1e-3, atol=1e-3)


def test_pickle_round_trip():
    X, y = per_task_data()
    est = SoftSharingMLPRegressor(**SMALL, task_column=-1, cross_stitch=True).fit(X, y)
    again = pickle.loads(pickle.dumps(est))
    assert_array_equal(again.predict(X), est.predict(X))
    again.partial_fit(X, y)  # the training state survives too


# -- architectures and weightings ----------------------------------------------------------------
def test_soft_sharing_strength_ties_the_task_networks():
    X, Y = shared_data(n=80)

    def spread(lam):
        est = SoftSharingMLPRegressor(hidden_layer_sizes=(8,), soft_sharing=lam, max_iter=60,
                                      random_state=0, learning_rate_init=1e-2).fit(X, Y)
        W = est.coefs_[0]
        return np.linalg.norm(W - W.mean(axis=0))

    assert spread(100.0) < 0.02 * spread(0.0)


def test_cross_stitch_units():
    X, Y = shared_data()
    est = SoftSharingMLPRegressor(hidden_layer_sizes=(6, 4), cross_stitch=True, max_iter=5,
                                  random_state=0).fit(X, Y)
    assert len(est.cross_stitch_) == 2
    for a in est.cross_stitch_:
        assert a.shape == (3, 3)
        assert np.all(np.diag(a) > 0.8) and np.all(np.abs(a.sum(axis=1) - 1) < 0.1)
    assert not hasattr(SoftSharingMLPRegressor(**SMALL).fit(X, Y), "cross_stitch_")


def test_uncertainty_weighting_down_weights_noisy_tasks():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 4))
    clean = X @ np.array([1.0, -1.0, 0.5, 0.0])
    noise = np.array([0.3, 1.0, 3.0])
    Y = clean[:, None] + noise * rng.standard_normal((400, 3))
    est = HardSharingMLPRegressor(hidden_layer_sizes=(16,), task_weighting="uncertainty",
                                  max_iter=100, n_iter_no_change=100, batch_size=50,
                                  learning_rate_init=1e-2, random_state=0,
                                  standardize_targets=False).fit(X, Y)
    w = est.task_weights_
    assert w[0] > 3 * w[1] > 9 * w[2]
    # At the optimum exp(-s_t) = 1 / (2 L_t) ~ 1 / noise_t^2.
    assert_allclose(w, 1 / noise ** 2, rtol=0.25)


def test_dwa_weights_sum_to_the_number_of_tasks():
    X, Y = shared_data()
    est = SoftSharingMLPRegressor(**SMALL, task_weighting="dwa").fit(X, Y)
    assert_allclose(est.task_weights_.sum(), 3)
    assert not np.allclose(est.task_weights_, 1.0)


@pytest.mark.parametrize("cls", REGRESSORS)
def test_fits_a_smooth_function(cls):
    X, Y = shared_data(n=200, nan_frac=0.0)
    est = cls(hidden_layer_sizes=(32,), max_iter=300, learning_rate_init=1e-2,
              random_state=0).fit(X, Y)
    assert est.score(X, Y) > 0.9


# -- hard sharing on a planted shared representation ------------------------------------------------
def test_hard_sharing_beats_independent_networks_on_a_shared_representation():
    """20 tasks, 20 rows each, 20 features; targets are task-specific linear heads on one
    3-dimensional nonlinear representation. The hard-sharing MLP learns the representation
    from all 400 rows; independent per-task MLPs (one network per task, no coupling: the
    soft-sharing model with ``soft_sharing=0``, same training settings) see 20 rows each.
    Measured test R^2 (mean over tasks): hard 0.70-0.77, independent 0.44-0.52 over seeds
    0-4; scikit-learn's MLPRegressor per task, best alpha of 0.01-10 (1.0): 0.43-0.50."""
    params = dict(hidden_layer_sizes=(32,), alpha=0.1, task_column=-1, max_iter=200,
                  batch_size=64, learning_rate_init=3e-3, n_iter_no_change=20, random_state=0)
    margins = []
    for seed in range(3):
        (X, y), (Xt, yt) = planted(seed)
        hard = HardSharingMLPRegressor(**params).fit(X, y)
        independent = SoftSharingMLPRegressor(soft_sharing=0.0, **params).fit(X, y)
        assert hard.score(Xt, yt) > 0.6
        margins.append(hard.score(Xt, yt) - independent.score(Xt, yt))
        if seed == 0:  # an outside implementation of the independent baseline, 5 tasks
            task, task_t = X[:, -1], Xt[:, -1]
            pred = hard.predict(Xt)
            ours, theirs = [], []
            for t in range(5):
                sk = MLPRegressor(hidden_layer_sizes=(32,), alpha=1.0, max_iter=2000,
                                  random_state=0, learning_rate_init=3e-3)
                sk.fit(X[task == t, :-1], y[task == t])
                theirs.append(r2_score(yt[task_t == t], sk.predict(Xt[task_t == t, :-1])))
                ours.append(r2_score(yt[task_t == t], pred[task_t == t]))
            assert np.mean(ours) > np.mean(theirs) + 0.15
    assert min(margins) > 0.15, margins


# -- bad input -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("params, match", [
    (dict(hidden_layer_sizes=(4, 0)), "hidden_layer_sizes"),
    (dict(hidden_layer_sizes="wide"), "hidden_layer_sizes"),
    (dict(activation="gelu"), "activation"),
    (dict(task_weighting="gradient"), "task_weighting"),
    (dict(alpha=-1.0), "alpha"),
    (dict(dropout=1.0), "dropout"),
    (dict(learning_rate_init=0.0), "learning_rate_init"),
    (dict(batch_size=0), "batch_size"),
    (dict(max_iter=0), "max_iter"),
    (dict(validation_fraction=1.0), "validation_fraction"),
    (dict(n_iter_no_change=0), "n_iter_no_change"),
    (dict(dtype="float16"), "dtype"),
    (dict(early_stopping="yes"), "early_stopping"),
    (dict(dwa_temperature=0.0), "dwa_temperature"),
])
def test_bad_parameters(cls, params, match):
    X, Y = shared_data(classify=cls in CLASSIFIERS)
    with pytest.raises(ValueError, match=match):
        cls(**params).fit(X, Y)


@pytest.mark.parametrize("cls, params, match", [
    (SoftSharingMLPRegressor, dict(soft_sharing=-0.1), "soft_sharing"),
    (SoftSharingMLPRegressor, dict(cross_stitch=1), "cross_stitch"),
    (HardSharingMLPRegressor, dict(head_layer_sizes=(-2,)), "head_layer_sizes"),
])
def test_bad_architecture_parameters(cls, params, match):
    X, Y = shared_data()
    with pytest.raises(ValueError, match=match):
        cls(**params).fit(X, Y)


@pytest.mark.parametrize("cls", ALL)
def test_bad_data(cls):
    classify = cls in CLASSIFIERS
    X, Y = shared_data(classify=classify)
    Xbad = X.copy()
    Xbad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cls(**SMALL).fit(Xbad, Y)
    with pytest.raises(ValueError, match="samples"):
        cls(**SMALL).fit(X[:-1], Y)
    with pytest.raises(NotFittedError):
        cls(**SMALL).predict(X)
    est = cls(**SMALL).fit(X, Y)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :-1])
    Xt, yt = per_task_data(classify=classify)
    with pytest.raises(ValueError, match="task id"):
        cls(**SMALL, task_column=-1).fit(Xt, yt).predict(np.column_stack([Xt[:2, :-1], [9, 9]]))
    with pytest.raises(ValueError, match="early_stopping"):
        cls(**SMALL, early_stopping=True, validation_fraction=0.01).fit(X[:6], Y[:6])


def test_inputs_are_not_modified():
    X, Y = shared_data()
    X0, Y0 = X.copy(), Y.copy()
    est = SoftSharingMLPRegressor(**SMALL).fit(X, Y)
    est.partial_fit(X, Y)
    est.predict(X)
    assert_array_equal(X, X0)
    assert_array_equal(Y, Y0)


def test_no_deep_learning_framework_is_imported():
    """Fitting and predicting imports no torch, jax or tensorflow (and the source names none)."""
    import os
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[1]
    code = ("import sys, numpy as np, mtlclassic\n"
            "X = np.random.default_rng(0).normal(size=(30, 3)); Y = X[:, :2] ** 2\n"
            "mtlclassic.HardSharingMLPRegressor(max_iter=2).fit(X, Y).predict(X)\n"
            "mtlclassic.SoftSharingMLPRegressor(max_iter=2, cross_stitch=True).fit(X, Y)\n"
            "print(sorted(m for m in ('torch', 'jax', 'tensorflow') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], cwd=root,
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(root)})
    assert out.stdout.strip() == "[]"
    for path in (root / "mtlclassic").rglob("*.py"):
        for line in path.read_text().splitlines():
            words = line.split()
            if words[:1] in (["import"], ["from"]) and len(words) > 1:
                assert words[1].split(".")[0] not in ("torch", "jax", "tensorflow"), path
