"""``sample_weight`` in the CV estimators, and their messages on bad folds and grids (issue 18).

The weights are used as scikit-learn's ``LinearModelCV`` uses them: the grid's
``alpha_max`` is that of the weighted data, each fold's path is fitted with
its training rows' weights, each task's held-out criterion is the mean
weighted by the held-out rows' weights, and the refit is the model fitted
with all of them. The oracles: the non-CV model (refit), row repetition
(integer weights), dropping rows (zero weights), and numpy (one entry of
``mse_path_`` recomputed from a path).
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import FitFailedWarning

import mtlclassic as mtl
from mtlclassic.estimators import CV_ESTIMATORS
from mtlclassic.estimators.cv import _PathCV

# The path CV estimators (the kernel models' grid CV has its own tests in test_kernel_cv.py).
PATH_CV = [cls for cls in CV_ESTIMATORS if issubclass(cls, _PathCV)]
from mtlclassic.estimators._path import robust_alpha_max

N, P, T = 36, 5, 3


def _data(seed=0, n=N):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, P))
    Y = X @ rng.normal(size=(P, T)) + 0.3 * rng.normal(size=(n, T))
    return X, Y


def _layout(X, Y, layout, classifier):
    """``(X, y, extra CV params)``: the shared matrix, or rows stacked with a task column."""
    if classifier:
        Y = (Y > np.median(Y, axis=0)) * 1.0
    if layout == "shared":
        return X, Y, {}
    n = X.shape[0]
    task = np.arange(n) % T  # each row belongs to one task, its target that task's column
    return np.column_stack([X, task]), Y[np.arange(n), task], {"task_column": -1}


def _weights(n, seed=1):
    return np.random.default_rng(seed).integers(1, 4, size=n).astype(float)


def _rel(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(b), 1e-300)


def _model_of(cv_est):
    """The non-CV model of a fitted CV estimator, at its chosen strength(s)."""
    params = cv_est._model_params()
    if hasattr(cv_est, "_extra_model_params"):  # two-part models: both strengths from alpha_
        params.update(cv_est._extra_model_params())
    if getattr(cv_est, "l1_ratio_", None) is not None:
        params["l1_ratio"] = cv_est.l1_ratio_
    model = type(cv_est)._estimator(**params)  # the model the CV binds to
    return model.set_params(**cv_est._alpha_params(cv_est.alpha_))


@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("cv_cls", PATH_CV, ids=lambda c: c.__name__)
def test_refit_is_the_model_fitted_with_the_same_weights(cv_cls, layout):
    classifier = cv_cls._loss == "logistic"
    X, y, extra = _layout(*_data(), layout, classifier)
    sw = _weights(X.shape[0])
    if cv_cls.__name__ == "CalibratedGroupLassoRegressorCV":
        # Per task, 6 training rows for 5 features and an intercept: below ~0.1 alpha_max the
        # square-root lasso interpolates (its noise levels collapse) and CV picks W = 0.
        extra["eps"] = 0.1
    est = cv_cls(alphas=3, cv=2, **extra).fit(X, y, sample_weight=sw)
    model = _model_of(est).fit(X, y, sample_weight=sw)
    assert _rel(est.coef_, model.coef_) <= 1e-6
    assert _rel(est.intercept_, model.intercept_) <= 1e-6
    # The weights reached the model: the unweighted refit at the same alpha differs.
    unweighted = _model_of(est).fit(X, y)
    assert _rel(unweighted.coef_, model.coef_) > 1e-3


@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_grid_starts_at_the_weighted_alpha_max(layout, loss):
    X, y, extra = _layout(*_data(), layout, loss == "logistic")
    sw = _weights(X.shape[0])
    cls = mtl.GroupLassoRegressorCV if loss == "squared" else mtl.GroupLassoClassifierCV
    est = cls(alphas=3, cv=3, **extra).fit(X, y, sample_weight=sw)
    top = mtl.alpha_max(X, y, loss=loss, sample_weight=sw, **extra)
    assert est.alphas_[0] == pytest.approx(top, rel=1e-12)
    assert top != pytest.approx(mtl.alpha_max(X, y, loss=loss, **extra), rel=1e-3)


@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_integer_weights_are_row_repetitions_for_path_and_refit(layout, loss):
    """Path and refit only: a fold of the repeated rows is not a fold of the weighted ones.

    ``KFold`` splits the 2n repeated rows by position, so copies of one row
    land in different folds (in the training and the held-out rows at once),
    and the folds' sizes differ: ``mse_path_`` differs, by design, as in
    scikit-learn.
    """
    X, y, extra = _layout(*_data(), layout, loss == "logistic")
    sw = _weights(X.shape[0])
    rep = np.repeat(np.arange(X.shape[0]), sw.astype(int))
    path_fn = mtl.group_lasso_path
    common = dict(alphas=3, loss=loss, tol=1e-10, max_iter=5000, **extra)
    weighted = path_fn(X, y, sample_weight=sw, **common)
    repeated = path_fn(X[rep], y[rep], **common)
    assert np.allclose(weighted.alphas, repeated.alphas, rtol=1e-12)
    assert _rel(weighted.coefs, repeated.coefs) <= 1e-6

    cls = mtl.GroupLassoRegressorCV if loss == "squared" else mtl.GroupLassoClassifierCV
    est = cls(alphas=3, cv=2, tol=1e-10, max_iter=5000, **extra).fit(X, y, sample_weight=sw)
    model = _model_of(est).fit(X[rep], y[rep])
    assert _rel(est.coef_, model.coef_) <= 1e-6


def _explicit_folds(n, k=3, seed=2):
    """``k`` (train, test) index pairs, every row held out once, in a shuffled order."""
    order = np.random.default_rng(seed).permutation(n)
    tests = np.array_split(order, k)
    return [(np.sort(np.setdiff1d(order, t)), np.sort(t)) for t in tests]


@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("cv_cls", [mtl.GroupLassoRegressorCV, mtl.GroupLassoClassifierCV,
                                    mtl.DirtyModelRegressorCV], ids=lambda c: c.__name__)
def test_zero_weights_equal_dropping_the_rows_with_explicit_folds(cv_cls, layout):
    classifier = cv_cls._loss == "logistic"
    X, y, extra = _layout(*_data(n=48), layout, classifier)
    n = X.shape[0]
    sw = np.ones(n)
    sw[np.random.default_rng(3).choice(n, size=12, replace=False)] = 0.0
    keep = np.flatnonzero(sw > 0)
    new_index = np.full(n, -1)
    new_index[keep] = np.arange(keep.size)
    folds = _explicit_folds(n)
    kept_folds = [(new_index[np.intersect1d(tr, keep)], new_index[np.intersect1d(te, keep)])
                  for tr, te in folds]
    # Zero-weight rows get wild targets: had they counted anywhere, the results would move.
    y = y.copy()
    if not classifier:
        y[sw == 0] *= 1e3
    # Tight tol: the two problems are the same, solved along different float paths.
    params = dict(alphas=4, tol=1e-8 if classifier else 1e-12, max_iter=5000, **extra)
    weighted = cv_cls(cv=folds, **params).fit(X, y, sample_weight=sw)
    dropped = cv_cls(cv=kept_folds, **params).fit(X[keep], y[keep])
    assert np.allclose(weighted.alphas_, dropped.alphas_, rtol=1e-12)
    path = "score_path_" if classifier else "mse_path_"
    assert np.allclose(getattr(weighted, path), getattr(dropped, path), rtol=1e-6, atol=0)
    assert weighted.alpha_ == dropped.alpha_
    assert _rel(weighted.coef_, dropped.coef_) <= 1e-6


@pytest.mark.parametrize("layout", ["shared", "per_task"])
def test_mse_path_entry_is_the_weighted_mean_of_each_task(layout):
    """One entry of ``mse_path_`` from scratch: a numpy weighted MSE per task, then the mean."""
    X, y, extra = _layout(*_data(), layout, False)
    X, y = X.copy(), y.copy()
    if layout == "shared":
        y[::5, 1] = np.nan  # missing targets are skipped, weighted or not
    sw = _weights(X.shape[0])
    folds = _explicit_folds(X.shape[0])
    tw = [1.0, 2.0, 0.5]
    est = mtl.LassoRegressorCV(alphas=4, cv=folds, task_weights=tw, **extra)
    est.fit(X, y, sample_weight=sw)
    train, test = folds[1]
    path = mtl.lasso_path(X[train], y[train], alphas=est.alphas_, sample_weight=sw[train],
                          task_weights=tw, **extra)
    k = 2
    per_task = []
    for t in range(T):
        if layout == "shared":
            rows = test[~np.isnan(y[test, t])]
            pred = X[rows] @ path.coefs[k, t] + path.intercepts[k, t]
            target = y[rows, t]
        else:
            rows = test[X[test, -1] == t]
            pred = X[rows, :-1] @ path.coefs[k, t] + path.intercepts[k, t]
            target = y[rows]
        per_task.append(np.average((pred - target) ** 2, weights=sw[rows]))
    expected = np.average(per_task, weights=tw)
    assert est.mse_path_[k, 1] == pytest.approx(expected, rel=1e-9)


def test_scoring_receives_the_held_out_weights():
    X, Y = _data()
    sw = _weights(X.shape[0])
    folds = _explicit_folds(X.shape[0])
    seen = []

    def scorer(est, X_test, y_test, sample_weight=None):
        seen.append(sample_weight)
        return -float(np.average((est.predict(X_test) - y_test) ** 2,
                                 weights=np.broadcast_to(sample_weight[:, None], y_test.shape)))

    mtl.GroupLassoRegressorCV(alphas=2, cv=folds, scoring=scorer).fit(X, Y, sample_weight=sw)
    tests = [te for _, te in folds for _ in range(2)]
    assert len(seen) == len(tests)
    for got, te in zip(seen, tests):
        assert np.array_equal(got, sw[te])


@pytest.mark.parametrize("bad, match", [
    (np.ones(5), r"sample_weight must be of shape \(36,\)"),
    (-np.ones(36), "nonnegative"),
    (np.full(36, np.nan), "NaN or infinity"),
])
def test_bad_sample_weight_is_a_one_line_error(bad, match):
    X, Y = _data()
    with pytest.raises(ValueError, match=match):
        mtl.GroupLassoRegressorCV(alphas=2, cv=2).fit(X, Y, sample_weight=bad)


def test_inputs_are_not_modified():
    X, Y = _data()
    sw = _weights(X.shape[0])
    copies = X.copy(), Y.copy(), sw.copy()
    mtl.SparseGroupLassoRegressorCV(alphas=3, cv=3).fit(X, Y, sample_weight=sw)
    for before, after in zip(copies, (X, Y, sw)):
        assert np.array_equal(before, after)


# -- messages that name what the user did ---------------------------------------------------
def test_a_task_observed_once_is_named_with_its_count_and_cv():
    X, Y = _data(n=40)
    Y2 = Y.copy()
    Y2[1:, 2] = np.nan
    with pytest.raises(ValueError, match=r"^task 2 has 1 observed target, fewer than cv=2 "
                                         r"folds"):
        mtl.GroupLassoRegressorCV(cv=2, alphas=2).fit(X, Y2)


def test_a_task_whose_targets_are_all_held_out_names_the_fold():
    X, Y = _data(n=40)
    Y2 = Y.copy()
    Y2[2:, 2] = np.nan  # rows 0 and 1: both in fold 1's held-out rows of KFold(2)
    with pytest.raises(ValueError, match=r"^task 2 has 2 observed targets, fewer than cv=3"):
        mtl.LassoRegressorCV(cv=3, alphas=2).fit(X, Y2)
    with pytest.raises(ValueError, match=r"^fold 1/2: task 2 has no observed target among "
                                         r"the training rows \(its 2 are all held out\)"):
        mtl.LassoRegressorCV(cv=2, alphas=2).fit(X, Y2)


def test_zero_weights_leaving_a_task_no_training_target_are_named():
    X, Y = _data(n=40)
    sw = np.ones(40)
    sw[20:] = 0.0  # fold 1/2 of KFold(2) trains on rows 20..39 only
    with pytest.raises(ValueError, match=r"^fold 1/2: task 0 has no observed target with "
                                         r"positive sample_weight"):
        mtl.GroupLassoRegressorCV(cv=2, alphas=2).fit(X, Y, sample_weight=sw)
    Xs, ys, extra = _layout(X, Y, "per_task", False)
    folds = [(np.arange(20, 40), np.arange(20)), (np.arange(20), np.arange(20, 40))]
    with pytest.raises(ValueError, match=r"^Fold 1/2: the training rows of task\(s\) \[0, 1, 2\] "
                                         r"all have sample_weight 0"):
        mtl.GroupLassoRegressorCV(cv=folds, alphas=2, **extra).fit(Xs, ys, sample_weight=sw)


def test_a_fold_error_says_which_fold():
    X, Y = _data(n=40)
    Yc = (Y > 0) * 1.0
    Yc[:20, 0] = 1.0  # fold 2/2 of KFold(2) trains on rows 0..19: one class in task 0
    with pytest.raises(ValueError, match=r"^GroupLassoClassifierCV, fold 2/2: Task 0 has labels "
                                         r"of only one class"):
        mtl.GroupLassoClassifierCV(cv=2, alphas=2).fit(X, Yc)


def test_alpha_max_is_homogeneous_in_the_task_weights():
    X, Y = _data()
    tw = np.array([1.0, 1e300, 1.0])
    top, _ = robust_alpha_max(mtl.GroupLassoRegressor(task_weights=tw), X, Y)
    assert np.isfinite(top)
    assert top == pytest.approx(1e300 * mtl.alpha_max(X, Y, task_weights=tw / 1e300), rel=1e-9)


@pytest.mark.parametrize("tw, scale, cause", [
    ([1, 1e308, 1], 1e10, "task_weights as large as 1e\\+308"),
    (None, 1e200, "the scale of X and y"),
])
def test_an_unrepresentable_alpha_max_names_its_cause(tw, scale, cause):
    X, Y = _data()
    with pytest.raises(ValueError, match=f"exceeds the float64 range here \\({cause}\\)"):
        robust_alpha_max(mtl.GroupLassoRegressor(task_weights=tw),
                         X * (scale if tw is None else 1), Y * scale)


def test_tiny_units_are_not_taken_for_constant_targets():
    X, Y = _data()
    big = mtl.GroupLassoRegressorCV(alphas=4, cv=3).fit(X, Y)
    tiny = mtl.GroupLassoRegressorCV(alphas=4, cv=3).fit(X * 1e-100, Y * 1e-100)
    # alpha scales as x * y (c^2 here) under the squared loss; the grid keeps its shape.
    assert np.allclose(tiny.alphas_, big.alphas_ * 1e-200, rtol=1e-9)
    with warnings.catch_warnings():
        # Constant targets: the solvers' relative gap divides by a null loss of rounding
        # noise and warns at every scale (unit scale too) -- a solver matter, not the grid's.
        warnings.simplefilter("ignore")
        constant = mtl.GroupLassoRegressorCV(alphas=4, cv=3).fit(X * 1e-100,
                                                                 np.full_like(Y, 3.3e-100))
    assert np.all(constant.alphas_ == np.finfo(np.float64).resolution)
    assert np.all(constant.coef_ == 0)


def _nan_at_top(est, X_test, y_test, sample_weight=None):
    """A scorer that fails (NaN) at ``alpha=10``, else minus the MSE."""
    if est.alpha == 10:
        return np.nan
    return -float(np.mean((est.predict(X_test) - y_test) ** 2))


def test_a_nan_in_the_path_is_excluded_from_selection_with_a_warning():
    X, Y = _data()
    est = mtl.GroupLassoRegressorCV(alphas=[10, 1, 0.1, 0.01], cv=3, scoring=_nan_at_top)
    with pytest.warns(FitFailedWarning, match=r"3 of 12 held-out criteria are NaN or "
                                              r"infinite \(first at alpha=10 \(alpha 1/4\), "
                                              r"fold 1/3\)"):
        est.fit(X, Y)
    assert np.all(est.score_path_[0] == -np.inf)
    assert est.alpha_ != est.alphas_[0]


def test_no_finite_alpha_left_is_an_error():
    X, Y = _data()
    est = mtl.GroupLassoRegressorCV(alphas=3, cv=3, scoring=lambda *a, **k: np.nan)
    with pytest.raises(ValueError, match="NaN or infinite at every alpha in some fold"):
        est.fit(X, Y)


@pytest.mark.parametrize("cv_cls", [c for c in PATH_CV if c._loss == "squared"
                                    and not hasattr(c, "_models")], ids=lambda c: c.__name__)
def test_sklearn_sample_weight_equivalence_at_a_tight_tol(cv_cls):
    """scikit-learn's own check (zero = dropped, integer = repeated, its CV groups).

    At ``tol=1e-12``: test_common runs it at ``tol=1e-3``, where the regressors'
    refit at the small alpha chosen on the check's p > n data agrees with the
    repeated-rows fit to about 1e-5, not the check's 1e-7 -- as the plain
    model's does at that alpha (``GroupLassoRegressor(alpha=0.0115)`` fails the
    check at its default tol, and passes at a tight one).
    """
    from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data

    est = cv_cls(alphas=3, eps=0.1, cv=2, tol=1e-12, max_iter=100000)
    check_sample_weight_equivalence_on_dense_data(cv_cls.__name__, est)
