"""``sample_weight`` in the neural estimators' ``fit`` (issue 16): each task's loss is the
weighted mean of its rows' losses, as in the linear models (docs/objectives.md).

Integer weights are checked against repeated rows on the loss and its gradient at the
initial parameters (one full batch, float64), not on fitted models: mini-batches and shuffling
see repeated rows differently, so only the objective is the same.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data

from mtlclassic.neural import (HardSharingMLPClassifier, HardSharingMLPRegressor,
                               RelationshipMLPClassifier, RelationshipMLPRegressor,
                               SluiceMLPClassifier, SluiceMLPRegressor,
                               SoftSharingMLPClassifier, SoftSharingMLPRegressor,
                               TensorFactorisedMLPClassifier, TensorFactorisedMLPRegressor)
from mtlclassic.neural._data import make_batch
from mtlclassic.neural._losses import LOSSES, task_sums
from mtlclassic.neural._training import task_losses

REGRESSORS = [HardSharingMLPRegressor, SoftSharingMLPRegressor, RelationshipMLPRegressor,
              SluiceMLPRegressor, TensorFactorisedMLPRegressor]
ALL = REGRESSORS + [HardSharingMLPClassifier, SoftSharingMLPClassifier,
                    RelationshipMLPClassifier, SluiceMLPClassifier, TensorFactorisedMLPClassifier]
# the architectures' variants that route rows differently (heads per task, cross-stitch)
VARIANTS = [(HardSharingMLPRegressor, {}), (HardSharingMLPRegressor, {"head_layer_sizes": (3,)}),
            (SoftSharingMLPRegressor, {}), (SoftSharingMLPRegressor, {"cross_stitch": True}),
            (RelationshipMLPRegressor, {}), (SluiceMLPRegressor, {}),
            (TensorFactorisedMLPRegressor, {}), (HardSharingMLPClassifier, {})]


def _problem(layout, classifier=False, n=40, p=4, T=3, seed=0):
    """``(X, y)`` in ``layout``: per-task rows with a task column last, or a shared design."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if layout == "per_task":
        task = np.arange(n) % T
        y = X[:, 0] * (1 + task) + 0.3 * rng.standard_normal(n)
        if classifier:
            y = (y > 0).astype(int)
        return np.column_stack([X, task]), y
    Y = X[:, :1] * np.arange(1, T + 1) + 0.3 * rng.standard_normal((n, T))
    Y[rng.random((n, T)) < 0.1] = np.nan  # missing targets stay out of their task's mean
    if classifier:
        Y = np.where(np.isnan(Y), np.nan, (Y > 0).astype(float))
    return X, Y


def _est(cls, layout, **params):
    base = dict(hidden_layer_sizes=(6,), max_iter=3, batch_size=8, random_state=0)
    if layout == "per_task":
        base["task_column"] = -1
    return cls(**{**base, **params})


def _fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


@pytest.mark.parametrize("cls", REGRESSORS)
@pytest.mark.parametrize("weights, match", [
    (-np.ones(40), "nonnegative"),
    (np.r_[np.nan, np.ones(39)], "NaN"),
    (np.ones(39), r"shape \(40,\)"),
])
def test_bad_weights_refused(cls, weights, match):
    X, y = _problem("per_task")
    for call in ("fit", "partial_fit"):
        with pytest.raises(ValueError, match=match) as info:
            getattr(_est(cls, "per_task"), call)(X, y, sample_weight=weights)
        assert "\n" not in str(info.value)


def test_a_task_of_zero_weights_refused():
    X, y = _problem("per_task")
    with pytest.raises(ValueError, match="positive sample_weight"):
        _est(HardSharingMLPRegressor, "per_task").fit(X, y, sample_weight=(X[:, -1] != 0) * 1.0)


@pytest.mark.parametrize("layout", ["per_task", "shared"])
@pytest.mark.parametrize("cls", REGRESSORS)
def test_unit_weights_are_no_weights(cls, layout):
    X, y = _problem(layout)
    plain = _fit(_est(cls, layout), X, y)
    ones = _fit(_est(cls, layout), X, y, sample_weight=np.ones(len(X)))
    assert_allclose(ones.predict(X), plain.predict(X), rtol=0, atol=0)


@pytest.mark.parametrize("layout", ["per_task", "shared"])
@pytest.mark.parametrize("cls", REGRESSORS)
def test_zero_weight_is_the_row_removed(cls, layout):
    """The whole training (mini-batches, early stopping's split) is that without the rows."""
    X, y = _problem(layout)
    sw = np.ones(len(X))
    sw[[2, 7, 11, 30]] = 0
    params = dict(early_stopping=True, validation_fraction=0.2, max_iter=4)
    weighted = _fit(_est(cls, layout, **params), X, y, sample_weight=sw)
    removed = _fit(_est(cls, layout, **params), X[sw > 0], y[sw > 0])
    assert_allclose(weighted.predict(X), removed.predict(X), rtol=0, atol=0)
    assert_allclose(weighted.validation_loss_curve_, removed.validation_loss_curve_, rtol=0)


def _objective(est, X, y, sw):
    """Task losses and the loss gradient at the initial parameters, one batch of all rows,
    and the early-stopping evaluation's task losses over all rows."""
    data = est._prepare_fit(X, y, sw)
    est._initialize(data)
    state = est._state
    net, buf = state.net, state.buf
    batch = make_batch(data, np.arange(data.n_samples), net.mode(data.stacked),
                       padded_input=net.padded_input)
    Z, cache = net.forward(buf, batch)
    E, dZ = LOSSES[state.loss](Z, batch.Y, batch.C)
    buf.grad[...] = 0
    net.backward(buf, batch, dZ, cache)
    L = task_sums(E, batch.task_axis, batch.task, net.n_tasks)
    return L, buf.grad.copy(), task_losses(state, buf, data, np.arange(data.n_samples))


@pytest.mark.parametrize("layout", ["per_task", "shared"])
@pytest.mark.parametrize("cls, params", VARIANTS,
                         ids=[f"{c.__name__}{'-' + ','.join(p) if p else ''}"
                              for c, p in VARIANTS])
def test_integer_weights_are_repeated_rows(cls, params, layout):
    """Same task losses and gradient (and validation losses) as the rows repeated; the
    feature and target scalings are the weighted ones, so they agree too."""
    classifier = "Classifier" in cls.__name__
    X, y = _problem(layout, classifier)
    sw = np.random.default_rng(1).integers(1, 4, len(X))
    est = _est(cls, layout, dtype="float64", **params)
    weighted = _objective(est, X, y, sw)
    repeated = _objective(_est(cls, layout, dtype="float64", **params),
                          np.repeat(X, sw, axis=0), np.repeat(y, sw, axis=0), None)
    unweighted = _objective(_est(cls, layout, dtype="float64", **params), X, y, None)
    for a, b, c in zip(weighted, repeated, unweighted):
        assert_allclose(a, b, rtol=1e-10, atol=1e-13)
        assert not np.allclose(a, c, rtol=1e-6)  # the weights matter


def test_weighted_means_by_hand():
    """Per-task layout, linear network: L_t = sum_i s_i (y~_i - z_i)^2 / (2 sum_i s_i)."""
    X, y = _problem("per_task")
    sw = np.random.default_rng(2).uniform(0.1, 3.0, len(X))
    est = _est(HardSharingMLPRegressor, "per_task", hidden_layer_sizes=(), dtype="float64")
    L, _, _ = _objective(est, X, y, sw)
    task = X[:, -1].astype(int)
    scale = est.feature_scale_
    W, b = est._state.buf.params[est._state.net.heads.W], est._state.buf.params[
        est._state.net.heads.b]
    mean = np.array([np.average(y[task == t], weights=sw[task == t]) for t in range(3)])
    sd = np.sqrt([np.average((y[task == t] - mean[t]) ** 2, weights=sw[task == t])
                  for t in range(3)])
    z = np.einsum("ij,ij->i", X[:, :-1] / scale, W[task]) + b[task]
    r = ((y - mean[task]) / sd[task] - z) ** 2 / 2
    expected = [np.average(r[task == t], weights=sw[task == t]) for t in range(3)]
    assert_allclose(L, expected, rtol=1e-12)


def test_partial_fit_weights():
    """A later partial_fit call: ones are no weights, zeros the rows removed."""
    X, y = _problem("per_task")
    sw = np.ones(len(X))
    sw[:5] = 0
    runs = []
    for kw, rows in [({}, slice(None)), ({"sample_weight": np.ones(len(X))}, slice(None)),
                     ({"sample_weight": sw}, slice(None)), ({}, slice(5, None))]:
        est = _est(HardSharingMLPRegressor, "per_task").partial_fit(X, y)
        runs.append(est.partial_fit(X[rows], y[rows], **kw).predict(X))
    assert_allclose(runs[1], runs[0], rtol=0, atol=0)
    assert_allclose(runs[2], runs[3], rtol=0, atol=0)


@pytest.mark.parametrize("cls", ALL)
def test_sklearn_sample_weight_equivalence_in_float64(cls):
    """scikit-learn's check (15 rows, weights 0-4 against repeated rows, predictions to
    1e-7), declared an expected failure in float32 (tests/test_common.py), passes in float64:
    the rows fit in one batch, and weighted and repeated rows then give the same gradients to
    rounding."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 200 epochs on 15 rows
        check_sample_weight_equivalence_on_dense_data(cls.__name__, cls(dtype="float64"))
