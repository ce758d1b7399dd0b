"""The neural estimators at extreme scales (issue 18): every fit ends with finite fitted
attributes or a ValueError that names the cause and the fix, never NaN and never a
convergence warning quoting a NaN loss.

Features are divided by per-feature powers of two near their root mean square before the cast
to the training dtype, so a network fitted on ``c X`` trains as on ``X`` (exactly when ``c`` is
a power of two); regression targets are standardised per task without squaring them.  What can
still overflow (an ``alpha`` beyond the dtype, unstandardised huge targets, a later
``partial_fit`` batch far larger than the first) stops training with the error.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from mtlclassic import (HardSharingMLPClassifier, HardSharingMLPRegressor,
                        SoftSharingMLPClassifier, SoftSharingMLPRegressor)
from mtlclassic.neural._data import feature_scale, scale_features

REGRESSORS = [HardSharingMLPRegressor, SoftSharingMLPRegressor]
CLASSIFIERS = [HardSharingMLPClassifier, SoftSharingMLPClassifier]
ALL = REGRESSORS + CLASSIFIERS
LAYOUTS = ["shared", "per_task"]
SMALL = dict(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
FIT = dict(hidden_layer_sizes=(16,), max_iter=150, learning_rate_init=1e-2, random_state=0)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # short trainings, on purpose
        yield


def issue_data():
    """The reproducers' data (issue 18)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5))
    Y = X @ rng.normal(size=(5, 3))
    return X, Y, (Y > 0) * 1.0


def targets(cls):
    X, Y, Yc = issue_data()
    return Yc if cls in CLASSIFIERS else Y


def in_layout(X, Y, layout, **params):
    """``(X, y, params)`` of the same problem in the shared or the per-task layout."""
    if layout == "shared":
        return X, Y, params
    n, T = Y.shape
    Xs = np.column_stack([np.tile(X, (T, 1)), np.repeat(np.arange(T), n)])
    return Xs, Y.T.ravel(), dict(params, task_column=-1)


def fit_quietly(est, X, y):
    """Fit, returning the warnings' messages (none may quote a NaN or infinite loss)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    messages = [str(w.message) for w in caught]
    for text in messages:
        assert "nan" not in text and "inf" not in text, text
    return messages


def assert_finite_fit(est, X):
    arrays = est.coefs_ + est.intercepts_ + [np.asarray(est.loss_curve_), est.feature_scale_]
    for A in arrays:
        assert np.all(np.isfinite(A))
    assert np.all(np.isfinite(est.predict(X)))
    if hasattr(est, "predict_proba"):
        assert np.all(np.isfinite(est.predict_proba(X)))


# -- features at any scale -------------------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cls", ALL)
def test_issue_reproducer_features_times_1e20(cls, layout):
    """Issue 18: ``fit(X * 1e20, Y)`` predicted NaN everywhere (classifiers: class 0 with NaN
    probabilities) with a warning quoting "loss nan". Now it fits as well as on ``X``."""
    X, _, _ = issue_data()
    scores = []
    for c in (1.0, 1e20):
        Xl, yl, params = in_layout(X * c, targets(cls), layout, **FIT)
        est = cls(**params)
        fit_quietly(est, Xl, yl)
        assert_finite_fit(est, Xl)
        scores.append(est.score(Xl, yl))
    # measured: R^2 0.992-0.995 and accuracy 1.0 at both scales
    assert min(scores) > 0.95, scores
    assert abs(scores[1] - scores[0]) < 0.02, scores


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("c", [1e-300, 1e300])
def test_extreme_feature_units(cls, c):
    """float64 training fits features in any units; float32 refuses, naming the features and
    the fix, features whose weights in X's units would leave float32's range."""
    X, _, _ = issue_data()
    Xw = X.copy()
    Xw[:, 3] *= c
    with pytest.raises(ValueError, match=r"position\(s\) \[3\].*dtype='float64'"):
        cls(**FIT).fit(Xw, targets(cls))
    est = cls(**FIT, dtype="float64")
    fit_quietly(est, Xw, targets(cls))
    assert_finite_fit(est, Xw)
    assert est.score(Xw, targets(cls)) > 0.95


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cls", [HardSharingMLPRegressor, SoftSharingMLPClassifier])
def test_coefs_act_on_the_features_in_their_units(cls, layout):
    """``coefs_[0]`` has the feature scaling folded in: the forward pass written out on
    ``X * 1e20`` itself gives the estimator's outputs."""
    X, _, _ = issue_data()
    Xl, yl, params = in_layout(X * 1e20, targets(cls), layout, **SMALL)
    est = cls(**params).fit(Xl, yl)
    if layout == "shared":
        feats, rows, task = Xl, slice(None), None
    else:
        feats, task = Xl[:, :-1], Xl[:, -1].astype(int)
        rows = (np.arange(len(task)), task)
    W = [np.asarray(A, dtype=np.float64) for A in est.coefs_]
    b = [np.asarray(A, dtype=np.float64) for A in est.intercepts_]
    if cls is HardSharingMLPRegressor:  # trunk (p, h), linear heads (T, h, 1)
        H = np.maximum(feats @ W[0] + b[0], 0.0)
        Z = H @ W[1][:, :, 0].T + b[1][:, 0]
        out = Z * est.target_scale_ + est.target_mean_
    else:  # one network per task: (T, p, h), (T, h, 1)
        H = np.maximum(feats @ W[0] + b[0][:, None, :], 0.0)
        Z = (H @ W[1] + b[1][:, None, :])[:, :, 0].T
        out = Z
    got = est.predict(Xl) if cls is HardSharingMLPRegressor else est.decision_function(Xl)
    np.testing.assert_allclose(out[rows], got, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cls", ALL)
def test_one_huge_column_among_ordinary_ones(cls, layout):
    """Per-feature scales: a column in units 1e20 times larger does not swamp the others,
    and the ordinary columns keep scale 1."""
    X, _, _ = issue_data()
    Xw = X.copy()
    Xw[:, 2] *= 2.0 ** 70
    Xb, yb, params = in_layout(X, targets(cls), layout, **SMALL)
    base = cls(**params).fit(Xb, yb)
    Xl, yl, params = in_layout(Xw, targets(cls), layout, **SMALL)
    est = cls(**params)
    fit_quietly(est, Xl, yl)
    assert_finite_fit(est, Xl)
    assert_array_equal(base.feature_scale_, 1.0)
    assert_array_equal(est.feature_scale_, [1.0, 1.0, 2.0 ** 70, 1.0, 1.0])
    # the column is scaled back exactly: the same training as on X
    assert_array_equal(est.predict(Xl), base.predict(Xb))


@settings(max_examples=12, deadline=None)
@given(k=st.integers(min_value=-900, max_value=900))
def test_powers_of_two_scale_exactly(k):
    """``(2**k X, 2**k Y)`` trains bit for bit as ``(X, Y)``: the same trained weights
    (``coefs_[0]``, in X's units, divided by ``2**k``), predictions and ``feature_scale_`` times
    ``2**k`` (scaling by a power of two is exact)."""
    X, Y, _ = issue_data()
    c = 2.0 ** k
    base = HardSharingMLPRegressor(**SMALL, dtype="float64").fit(X, Y)
    est = HardSharingMLPRegressor(**SMALL, dtype="float64").fit(X * c, Y * c)
    assert_array_equal(est.coefs_[0] * c, base.coefs_[0])  # in the units of X
    for A, B in zip(base.coefs_[1:] + base.intercepts_, est.coefs_[1:] + est.intercepts_):
        assert_array_equal(A, B)
    assert_array_equal(est.feature_scale_, base.feature_scale_ * c)
    assert_array_equal(est.target_scale_, base.target_scale_ * c)
    assert_array_equal(est.predict(X * c), base.predict(X) * c)


@pytest.mark.parametrize("cls", [SoftSharingMLPClassifier, HardSharingMLPRegressor])
def test_sparse_features_scale_as_dense(cls):
    X, _, _ = issue_data()
    Xw = X * np.array([1.0, 1e20, 1e-20, 3.0, 1.0])
    dense = cls(**SMALL).fit(Xw, targets(cls))
    sparse = cls(**SMALL).fit(sp.csr_matrix(Xw), targets(cls))
    assert_array_equal(sparse.feature_scale_, dense.feature_scale_)
    assert_array_equal(sparse.predict(sp.csr_matrix(Xw)), dense.predict(Xw))


def test_feature_scale_definition():
    """Powers of two nearest the column's root mean square; 1 for unit-rms and zero columns;
    no overflow for entries near the largest float64."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 5))
    X /= np.sqrt(np.mean(X ** 2, axis=0))  # rms exactly 1 (up to rounding)
    X[:, 1] *= 2.0 ** 0.4  # rms 1.32 < sqrt(2): still 1
    X[:, 2] *= 3.0  # rms 3 -> 4 (log2 3 = 1.58)
    X[:, 3] = 0.0
    X[:, 4] = 1e300 * np.sign(X[:, 4])  # rms 1e300 -> 2**997 (log2 1e300 = 996.6)
    assert_array_equal(feature_scale(X), [1.0, 1.0, 4.0, 1.0, 2.0 ** 997])
    assert_array_equal(feature_scale(sp.csc_matrix(X)), feature_scale(X))
    assert_array_equal(feature_scale(X[:, :4].astype(np.float32)), [1.0, 1.0, 4.0, 1.0])


def test_scale_features_leaves_the_input_untouched():
    X, _, _ = issue_data()
    X = X * 1e20
    before = X.copy()
    S = sp.csr_matrix(X)
    scale = feature_scale(X)
    out = scale_features(X, scale, np.float32)
    out_sparse = scale_features(S, scale, np.float32)
    assert_array_equal(X, before)
    assert_array_equal(S.toarray(), before)
    assert out.dtype == np.float32 and np.all(np.abs(out) < 10)
    assert_array_equal(out_sparse.toarray(), out)


# -- targets -----------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", REGRESSORS)
@pytest.mark.parametrize("c", [1e-300, 1e300])
def test_extreme_target_units_are_standardised(cls, c):
    """Standardising ``Y * 1e300`` squared it (inf: NaN predictions); now the standardised
    targets are those of ``Y``."""
    X, Y, _ = issue_data()
    base = cls(**SMALL).fit(X, Y)
    est = cls(**SMALL).fit(X, Y * c)
    np.testing.assert_allclose(est.target_scale_, base.target_scale_ * c, rtol=1e-12)
    np.testing.assert_allclose(est.predict(X) / c, base.predict(X), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cls", REGRESSORS)
def test_unstandardised_huge_targets_stop_with_the_fix(cls, layout):
    X, Y, _ = issue_data()
    Xl, yl, params = in_layout(X, Y * 1e20, layout, standardize_targets=False, **SMALL)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the error, not a numpy overflow warning per operation
        with pytest.raises(ValueError, match=r"diverged.*standardize_targets=True"):
            cls(**params).fit(Xl, yl)


# -- alpha -------------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cls", ALL)
def test_issue_reproducer_alpha_1e100(cls, layout):
    """Issue 18: ``alpha=1e100`` gave NaN predictions; its float32 weight decay is inf."""
    X, _, _ = issue_data()
    Xl, yl, params = in_layout(X, targets(cls), layout, alpha=1e100, **SMALL)
    est = cls(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"alpha=1e\+100 exceeds the largest float32.*"
                                             r"lower alpha"):
            est.fit(Xl, yl)
    with pytest.raises(NotFittedError):
        est.predict(Xl)
    with pytest.raises(ValueError, match="alpha"):
        est.partial_fit(Xl, yl)
    est.set_params(alpha=1e-4).partial_fit(Xl, yl)  # nothing half-trained was left behind
    assert_finite_fit(est, Xl)


@pytest.mark.parametrize("cls", [HardSharingMLPRegressor, SoftSharingMLPClassifier])
def test_alpha_whose_squared_gradient_overflows_stops_with_the_fix(cls):
    """alpha=1e30 fits float32, but Adam's squared gradients overflow: before, the steps
    became 0 and training silently froze at the initial weights."""
    X, _, _ = issue_data()
    est = cls(alpha=1e30, **SMALL)
    with pytest.raises(ValueError, match=r"diverged: at epoch 1.*alpha \(now 1e\+30\)"):
        est.fit(X, targets(cls))
    assert not hasattr(est, "coefs_")


@pytest.mark.parametrize("cls", ALL)
def test_large_alpha_within_range_fits_finite(cls):
    X, _, _ = issue_data()
    est = cls(alpha=1e15, **SMALL)
    fit_quietly(est, X, targets(cls))
    assert_finite_fit(est, X)
    est = cls(alpha=1e100, dtype="float64", **SMALL)
    fit_quietly(est, X, targets(cls))
    assert_finite_fit(est, X)


# -- what a divergence leaves behind -------------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cls", ALL)
def test_a_diverging_partial_fit_keeps_the_previous_model(cls, layout):
    """The feature scales are fixed by the first call; a later batch 1e30 times larger
    overflows: the call raises, names the features, and leaves the model, its optimiser and
    its curves as they were, so training goes on as if the call had not happened."""
    X, _, _ = issue_data()
    Xl, yl, params = in_layout(X, targets(cls), layout, shuffle=False, **SMALL)
    est = cls(**params).partial_fit(Xl, yl)
    twin = cls(**params).partial_fit(Xl, yl)
    coefs = [W.copy() for W in est.coefs_]
    big = Xl.copy()
    big[:, :X.shape[1]] *= 1e30
    with pytest.raises(ValueError, match=r"diverged.*scale the features"):
        est.partial_fit(big, yl)
    for A, B in zip(coefs, est.coefs_):
        assert_array_equal(A, B)
    assert est.n_iter_ == 1 and len(est.loss_curve_) == 1
    est.partial_fit(Xl, yl)
    twin.partial_fit(Xl, yl)
    assert_array_equal(est.predict(Xl), twin.predict(Xl))
    assert_finite_fit(est, Xl)


def test_a_failed_fit_unfits_a_fitted_estimator():
    X, Y, _ = issue_data()
    est = SoftSharingMLPRegressor(**SMALL).fit(X, Y)
    est.set_params(alpha=1e30)
    with pytest.raises(ValueError, match="diverged"):
        est.fit(X, Y)
    for name in ("coefs_", "intercepts_", "loss_curve_", "_state"):
        assert not hasattr(est, name)
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_early_stopping_fits_scaled_features():
    X, Y, _ = issue_data()
    est = HardSharingMLPRegressor(early_stopping=True, **FIT)
    fit_quietly(est, X * 1e20, Y)
    assert_finite_fit(est, X * 1e20)
    assert np.all(np.isfinite(est.validation_loss_curve_))
