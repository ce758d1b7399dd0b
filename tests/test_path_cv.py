"""Regularisation paths and the cross-validated estimators.

References computed here, not by the package: scikit-learn's ``lasso_path`` /
``MultiTaskLassoCV`` (the same objective in the shared layout), ``alpha_max``
and held-out errors written in numpy from their definitions. Consistency
checks (path == separate cold fits) cover the penalties scikit-learn lacks.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import MultiTaskLassoCV
from sklearn.linear_model import lasso_path as sk_lasso_path
from sklearn.model_selection import (GridSearchCV, KFold, StratifiedKFold, cross_val_score)
from threadpoolctl import threadpool_info

import mtlclassic as mtl
from mtlclassic import (GroupLassoClassifierCV, GroupLassoRegressor, GroupLassoRegressorCV,
                        SparseGroupLassoRegressor, SparseGroupLassoRegressorCV,
                        TraceNormRegressorCV)


# -- data ----------------------------------------------------------------------
def shared_problem(seed=0, n=90, p=25, T=4, missing=0.0):
    """Shared design, row-sparse truth; a share ``missing`` of targets set to NaN."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + rng.standard_normal(p)
    W = rng.standard_normal((T, p)) * (rng.random(p) < 0.3)
    Y = X @ W.T + rng.standard_normal((n, T)) + rng.standard_normal(T)
    if missing:
        Y[rng.random(Y.shape) < missing] = np.nan
    return X, Y


def per_task_problem(seed=0, sizes=(14, 22, 31), p=12, classify=False):
    """Per-task designs, rows sorted by task, task id in the last column."""
    rng = np.random.default_rng(seed)
    w_shared = rng.standard_normal(p) * (rng.random(p) < 0.4)
    blocks, ys = [], []
    for t, n_t in enumerate(sizes):
        Xt = rng.standard_normal((n_t, p))
        z = Xt @ (w_shared + 0.3 * rng.standard_normal(p)) + 0.5 * rng.standard_normal(n_t)
        ys.append((z > 0).astype(int) if classify else z + t)
        blocks.append(np.column_stack([Xt, np.full(n_t, t)]))
    return np.vstack(blocks), np.concatenate(ys)


def group_lasso_alpha_max(X, Y):
    """max_j ||X_c[:, j]^T Y_c||_2 / n: the gradient of 1/(2n)||Y_c - X_c W^T||^2 at 0."""
    Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
    return np.linalg.norm(Xc.T @ Yc, axis=1).max() / X.shape[0]


# -- paths ---------------------------------------------------------------------
def test_default_grid_is_geometric_from_alpha_max():
    X, Y = shared_problem()
    path = mtl.group_lasso_path(X, Y, n_alphas=7, eps=1e-2)
    top = group_lasso_alpha_max(X, Y)
    assert path.alphas.shape == (7,)
    np.testing.assert_allclose(path.alphas[0], top, rtol=1e-10)
    np.testing.assert_allclose(path.alphas[-1], 1e-2 * top, rtol=1e-10)
    np.testing.assert_allclose(path.alphas[1:] / path.alphas[:-1], 1e-2 ** (1 / 6), rtol=1e-10)
    assert path.coefs.shape == (7, 4, 25) and path.intercepts.shape == (7, 4)
    assert path.dual_gaps.shape == (7,) and path.n_iter.shape == (7,)
    assert np.all(path.coefs[0] == 0)  # alpha_max: W = 0 ...
    np.testing.assert_allclose(path.intercepts[0], Y.mean(axis=0))  # ... and mean intercepts
    assert np.any(path.coefs[1] != 0)  # just below: a feature enters


def test_given_alphas_sorted_decreasing():
    X, Y = shared_problem()
    grid = [0.05, 0.5, 0.1]
    path = mtl.lasso_path(X, Y, alphas=grid)
    np.testing.assert_array_equal(path.alphas, [0.5, 0.1, 0.05])
    ref = mtl.LassoRegressor(alpha=0.5).fit(X, Y)
    np.testing.assert_allclose(path.coefs[0], ref.coef_, atol=1e-5)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_group_lasso_path_matches_sklearn_lasso_path(fit_intercept):
    """Shared layout, no weights: scikit-learn's multi-task lasso path, same grid."""
    X, Y = shared_problem(seed=1)
    path = mtl.group_lasso_path(X, Y, n_alphas=8, eps=1e-2, fit_intercept=fit_intercept,
                                tol=1e-10, max_iter=100000)
    Xs, Ys = (X - X.mean(0), Y - Y.mean(0)) if fit_intercept else (X, Y)
    _, sk_coefs, _ = sk_lasso_path(Xs, Ys, alphas=path.alphas, tol=1e-12, max_iter=100000)
    scale = np.abs(sk_coefs).max()
    np.testing.assert_allclose(path.coefs, sk_coefs.transpose(2, 0, 1), atol=1e-6 * scale)
    if fit_intercept:  # b_t = mean(y_t) - mean(X) . w_t
        np.testing.assert_allclose(path.intercepts, Y.mean(0) - path.coefs @ X.mean(0),
                                   atol=1e-6 * np.abs(Y).max())


def test_lasso_path_is_one_sklearn_lasso_path_per_task():
    X, Y = shared_problem(seed=2, T=3)
    path = mtl.lasso_path(X, Y, n_alphas=6, eps=1e-2, tol=1e-10, max_iter=100000)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    for t in range(3):
        _, sk_coefs, _ = sk_lasso_path(Xc, Yc[:, t], alphas=path.alphas, tol=1e-12,
                                       max_iter=100000)
        np.testing.assert_allclose(path.coefs[:, t, :], sk_coefs.T, atol=1e-6)


PATHS = [
    (mtl.sparse_group_lasso_path, mtl.SparseGroupLassoRegressor, {"l1_ratio": 0.3}, "squared"),
    (mtl.l1inf_path, mtl.L1InfRegressor, {}, "squared"),
    (mtl.trace_norm_path, mtl.TraceNormRegressor, {}, "squared"),
    (mtl.group_lasso_path, mtl.GroupLassoClassifier, {}, "logistic"),
]


@pytest.mark.parametrize("path_fn, model, params, loss", PATHS,
                         ids=[f.__name__ + "-" + loss for f, _, _, loss in PATHS])
def test_path_equals_separate_fits(path_fn, model, params, loss):
    """Every point of the warm-started path is the cold fit at that alpha."""
    if loss == "squared":
        X, y = per_task_problem(seed=3)
    else:
        X, y = per_task_problem(seed=3, classify=True)
    kw = dict(task_column=-1, tol=1e-9, max_iter=50000, **params)
    path = path_fn(X, y, n_alphas=6, eps=0.05, loss=loss, **kw)
    assert path.coefs.shape == (6, 3, 12)
    assert np.all(path.coefs[0] == 0)
    for alpha, coef, intercept in zip(path.alphas, path.coefs, path.intercepts):
        est = model(alpha=alpha, **kw).fit(X, y)
        scale = max(np.abs(est.coef_).max(), 1.0)
        np.testing.assert_allclose(coef, est.coef_, atol=1e-4 * scale)
        np.testing.assert_allclose(intercept, est.intercept_, atol=1e-4 * scale)


WARM = [(mtl.group_lasso_path, mtl.GroupLassoRegressor), (mtl.lasso_path, mtl.LassoRegressor),
        (mtl.sparse_group_lasso_path, mtl.SparseGroupLassoRegressor),
        (mtl.l1inf_path, mtl.L1InfRegressor), (mtl.trace_norm_path, mtl.TraceNormRegressor)]


@pytest.mark.parametrize("path_fn, model", WARM, ids=[f.__name__ for f, _ in WARM])
def test_warm_starts_save_iterations(path_fn, model):
    """A fine grid: each fit starts near its solution, so the path needs fewer iterations."""
    X, y = per_task_problem(seed=3)
    kw = dict(task_column=-1, tol=1e-6)
    path = path_fn(X, y, n_alphas=20, eps=1e-2, **kw)
    cold = sum(model(alpha=alpha, **kw).fit(X, y).n_iter_ for alpha in path.alphas)
    assert path.n_iter.sum() < cold


def test_path_keeps_float32_and_sample_weight():
    X, Y = shared_problem(seed=4)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[0])
    path = mtl.group_lasso_path(X.astype(np.float32), Y.astype(np.float32), n_alphas=3,
                                sample_weight=sw)
    assert path.coefs.dtype == np.float32
    top = mtl.alpha_max(X, Y, sample_weight=sw)
    np.testing.assert_allclose(path.alphas[0], top, rtol=1e-5)


# -- CV against scikit-learn --------------------------------------------------------
def test_group_lasso_cv_picks_multitasklassocv_alpha():
    """Same grid, same folds: the same alpha, the same held-out errors, the same refit."""
    X, Y = shared_problem(seed=5, n=120, p=40, T=5)
    ours = GroupLassoRegressorCV(n_alphas=30, cv=5, tol=1e-10, max_iter=100000).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = MultiTaskLassoCV(alphas=30, cv=5, tol=1e-12, max_iter=100000).fit(X, Y)
        sk_fixed = MultiTaskLassoCV(alphas=ours.alphas_, cv=KFold(5), tol=1e-12,
                                    max_iter=100000).fit(X, Y)
    np.testing.assert_allclose(ours.alphas_, sk.alphas_, rtol=1e-10)  # same default grid
    assert ours.alpha_ == sk_fixed.alpha_  # the very same grid value
    assert np.flatnonzero(ours.alphas_ == ours.alpha_) == np.flatnonzero(sk.alphas_ == sk.alpha_)
    assert ours.mse_path_.shape == sk.mse_path_.shape == (30, 5)
    np.testing.assert_allclose(ours.mse_path_, sk.mse_path_, rtol=1e-6)
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-6 * np.abs(sk.coef_).max())
    np.testing.assert_allclose(ours.intercept_, sk.intercept_, atol=1e-6)
    assert ours.predict(X).shape == Y.shape


def test_scoring_neg_mse_is_minus_mse_path():
    X, Y = shared_problem(seed=6)
    a = GroupLassoRegressorCV(n_alphas=6, cv=3, tol=1e-8).fit(X, Y)
    b = GroupLassoRegressorCV(n_alphas=6, cv=3, tol=1e-8,
                              scoring="neg_mean_squared_error").fit(X, Y)
    assert not hasattr(b, "mse_path_")
    np.testing.assert_allclose(b.score_path_, -a.mse_path_, rtol=1e-10)
    assert a.alpha_ == b.alpha_


def test_missing_targets_are_skipped_in_mse_path():
    X, Y = shared_problem(seed=7, missing=0.2)
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    cv = GroupLassoRegressorCV(n_alphas=5, cv=folds, tol=1e-10, max_iter=100000).fit(X, Y)
    assert np.all(np.isfinite(cv.mse_path_))
    k, f = 2, 1
    train, test = folds[f]
    est = GroupLassoRegressor(alpha=cv.alphas_[k], tol=1e-10, max_iter=100000)
    est.fit(X[train], Y[train])
    err = (est.predict(X[test]) - Y[test]) ** 2  # NaN where the target is missing
    expected = np.mean(np.nanmean(err, axis=0))  # each task's mean, then mean over tasks
    np.testing.assert_allclose(cv.mse_path_[k, f], expected, rtol=1e-7)


def test_sparse_group_cv_over_l1_ratio_list():
    X, Y = shared_problem(seed=8)
    ratios = [0.1, 0.5, 0.9]
    cv = SparseGroupLassoRegressorCV(l1_ratio=ratios, n_alphas=5, cv=3, tol=1e-9,
                                     max_iter=100000).fit(X, Y)
    assert cv.alphas_.shape == (3, 5) and cv.mse_path_.shape == (3, 5, 3)
    for r, ratio in enumerate(ratios):  # each ratio its own grid, from its own alpha_max
        np.testing.assert_allclose(
            cv.alphas_[r, 0], mtl.alpha_max(X, Y, penalty="sparse_group", l1_ratio=ratio))
    mean = cv.mse_path_.mean(axis=-1)
    r, k = np.unravel_index(np.argmin(mean), mean.shape)
    assert (cv.l1_ratio_, cv.alpha_) == (ratios[r], cv.alphas_[r, k])
    # One entry recomputed from scratch: fold 0 of KFold(3), numpy MSE.
    train, test = next(KFold(3).split(X))
    est = SparseGroupLassoRegressor(alpha=cv.alphas_[1, 3], l1_ratio=0.5, tol=1e-9,
                                    max_iter=100000).fit(X[train], Y[train])
    np.testing.assert_allclose(cv.mse_path_[1, 3, 0],
                               np.mean((est.predict(X[test]) - Y[test]) ** 2), rtol=1e-7)
    refit = SparseGroupLassoRegressor(alpha=cv.alpha_, l1_ratio=cv.l1_ratio_, tol=1e-9,
                                      max_iter=100000).fit(X, Y)
    np.testing.assert_allclose(cv.coef_, refit.coef_, atol=1e-8)
    # A scalar l1_ratio: no l1 dimension, as scikit-learn's ElasticNetCV.
    one = SparseGroupLassoRegressorCV(l1_ratio=0.5, n_alphas=5, cv=3).fit(X, Y)
    assert one.alphas_.shape == (5,) and one.mse_path_.shape == (5, 3)


# -- per-task layout: task-stratified folds ---------------------------------------
def test_per_task_default_folds_are_task_stratified():
    X, y = per_task_problem(seed=9)
    task = X[:, -1]
    kw = dict(n_alphas=5, task_column=-1, tol=1e-8, max_iter=100000)
    default = GroupLassoRegressorCV(cv=5, **kw).fit(X, y)
    strat = list(StratifiedKFold(5).split(X, task))
    for train, test in strat:  # every task in every training and test fold
        assert set(task[train]) == set(task[test]) == {0, 1, 2}
    given = GroupLassoRegressorCV(cv=strat, **kw).fit(X, y)
    np.testing.assert_allclose(default.mse_path_, given.mse_path_, rtol=1e-12)
    # The held-out criterion: each task's MSE on its held-out rows, averaged over tasks.
    k, f = 3, 2
    train, test = strat[f]
    est = GroupLassoRegressor(alpha=default.alphas_[k], task_column=-1, tol=1e-8,
                              max_iter=100000)
    est.fit(X[train], y[train])
    sq = (est.predict(X[test]) - y[test]) ** 2
    expected = np.mean([sq[task[test] == t].mean() for t in range(3)])
    np.testing.assert_allclose(default.mse_path_[k, f], expected, rtol=1e-5)
    # Plain KFold on rows sorted by task leaves a task out of a training fold.
    with pytest.raises(ValueError, match="no training rows"):
        GroupLassoRegressorCV(n_alphas=3, cv=KFold(2), task_column=-1).fit(X, y)


def test_classifier_cv_per_task_score_path_is_mean_task_accuracy():
    X, y = per_task_problem(seed=10, sizes=(20, 26, 30), classify=True)
    cv = GroupLassoClassifierCV(n_alphas=4, eps=0.05, cv=3, task_column=-1).fit(X, y)
    assert cv.score_path_.shape == (4, 3)
    assert np.all((cv.score_path_ >= 0) & (cv.score_path_ <= 1))
    assert cv.alpha_ == cv.alphas_[np.argmax(cv.score_path_.mean(axis=1))]
    # The vectorised held-out accuracy equals the fold models' own score (mean task accuracy).
    own = GroupLassoClassifierCV(n_alphas=4, eps=0.05, cv=3, task_column=-1,
                                 scoring=lambda est, X, y: est.score(X, y)).fit(X, y)
    np.testing.assert_allclose(cv.score_path_, own.score_path_, rtol=1e-12)
    assert set(cv.classes_) == {0, 1} and cv.predict(X).shape == y.shape
    np.testing.assert_array_equal(cv.tasks_, [0, 1, 2])


def test_trace_norm_cv_refit_attributes():
    X, Y = shared_problem(seed=11, T=5)
    cv = TraceNormRegressorCV(n_alphas=4, cv=3).fit(X, Y)
    for name in ("alpha_", "alphas_", "mse_path_", "coef_", "intercept_", "n_iter_",
                 "dual_gap_", "tasks_", "n_features_in_", "rank_"):
        assert hasattr(cv, name), name
    assert cv.coef_.shape == (5, 25) and cv.n_features_in_ == 25
    assert cv.score(X, Y) > 0


# -- parallelism and model selection -----------------------------------------------
def test_n_jobs_threads_equal_serial_and_restore_blas_threads():
    X, y = per_task_problem(seed=12)
    before = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
    kw = dict(l1_ratio=[0.2, 0.8], n_alphas=5, cv=3, task_column=-1, tol=1e-6)
    serial = SparseGroupLassoRegressorCV(**kw).fit(X, y)
    para = SparseGroupLassoRegressorCV(n_jobs=2, **kw).fit(X, y)
    np.testing.assert_allclose(para.mse_path_, serial.mse_path_, rtol=1e-10)
    assert (para.alpha_, para.l1_ratio_) == (serial.alpha_, serial.l1_ratio_)
    assert [(i["internal_api"], i["num_threads"]) for i in threadpool_info()] == before


def test_grid_search_and_cross_val_score_with_two_jobs():
    X, Y = shared_problem(seed=13, n=60, p=15, T=3)
    grid = {"alpha": [0.01, 0.1, 1.0]}
    runs = [GridSearchCV(GroupLassoRegressor(), grid, cv=3, n_jobs=j).fit(X, Y) for j in (1, 2)]
    np.testing.assert_allclose(runs[0].cv_results_["mean_test_score"],
                               runs[1].cv_results_["mean_test_score"], rtol=1e-12)
    assert runs[0].best_params_ == runs[1].best_params_
    est = GroupLassoRegressorCV(n_alphas=5, cv=3)
    scores = [cross_val_score(est, X, Y, cv=3, n_jobs=j) for j in (1, 2)]
    np.testing.assert_allclose(scores[0], scores[1], rtol=1e-12)
    searched = GridSearchCV(est, {"eps": [1e-2, 1e-1]}, cv=3, n_jobs=2).fit(X, Y)
    assert searched.best_estimator_.alpha_ > 0


# -- bad parameters ---------------------------------------------------------------
@pytest.mark.parametrize("params, match", [
    ({"cv": 20}, "fewer rows than folds"),
    ({"eps": -1e-3}, "eps"),
    ({"alphas": []}, "alphas is empty"),
    ({"alphas": [0.1, -1.0]}, "alphas must be finite and >= 0"),
    ({"n_alphas": 0}, "n_alphas"),
    ({"l2_reg": -1.0}, "l2_reg"),
])
def test_cv_bad_params(params, match):
    X, y = per_task_problem(seed=14)
    with pytest.raises(ValueError, match=match):
        GroupLassoRegressorCV(task_column=-1, **params).fit(X, y)


@pytest.mark.parametrize("l1_ratio, match", [([], "l1_ratio is empty"),
                                             ([0.5, 1.5], "l1_ratio")])
def test_sparse_group_cv_bad_l1_ratio(l1_ratio, match):
    X, Y = shared_problem()
    with pytest.raises(ValueError, match=match):
        SparseGroupLassoRegressorCV(l1_ratio=l1_ratio).fit(X, Y)


@pytest.mark.parametrize("kwargs, match", [({"eps": 0.0}, "eps"), ({"alphas": []}, "alphas"),
                                           ({"loss": "hinge"}, "loss"),
                                           ({"n_alphas": 2.5}, "n_alphas")])
def test_path_bad_params(kwargs, match):
    X, Y = shared_problem()
    with pytest.raises(ValueError, match=match):
        mtl.group_lasso_path(X, Y, **kwargs)


# -- two-part models: CV along one strength, the other a fixed multiple -------------------
import mtlclassic as _m  # noqa: E402


@pytest.mark.parametrize("cv_cls, model_cls, first, second, extra", [
    (_m.DirtyModelRegressorCV, _m.DirtyModelRegressor, "alpha_shared", "alpha_sparse",
     {"block_norm": "linf"}),
    (_m.DirtyModelRegressorCV, _m.DirtyModelRegressor, "alpha_shared", "alpha_sparse",
     {"block_norm": "l2"}),
    (_m.RobustMTFLRegressorCV, _m.RobustMTFLRegressor, "alpha_features", "alpha_tasks", {}),
])
def test_two_part_cv_grid_refit_and_path(cv_cls, model_cls, first, second, extra):
    from mtlclassic.datasets import make_multitask_regression

    X, Y, _ = make_multitask_regression(n_samples=80, n_features=12, n_tasks=4, n_shared=3,
                                        random_state=0)
    ratio = 0.6
    est = cv_cls(alpha_ratio=ratio, n_alphas=8, cv=3, tol=1e-8, **extra).fit(X, Y)
    assert est.mse_path_.shape == (8, 3)
    assert getattr(est, first + "_") == est.alpha_ == est.alphas_[np.argmin(est.mse_path_.mean(1))]
    assert getattr(est, second + "_") == pytest.approx(ratio * est.alpha_)
    # The grid's top is the smallest strength at which both parts are zero ...
    top = est.alphas_[0]
    at_top = model_cls(**{first: top * (1 + 1e-9), second: ratio * top * (1 + 1e-9)},
                       tol=1e-10, **extra).fit(X, Y)
    assert np.all(at_top.coef_ == 0)
    below = model_cls(**{first: 0.9 * top, second: 0.9 * ratio * top}, tol=1e-10,
                      **extra).fit(X, Y)
    assert np.any(below.coef_ != 0)
    # ... and the refit is the model at the chosen strengths.
    direct = model_cls(**{first: est.alpha_, second: ratio * est.alpha_}, tol=1e-8,
                       **extra).fit(X, Y)
    np.testing.assert_allclose(est.coef_, direct.coef_, atol=1e-5 * np.abs(direct.coef_).max())


@pytest.mark.parametrize("value", [0.0, -1.0, np.nan, True])
def test_two_part_cv_rejects_bad_ratio(value):
    X, Y = np.random.default_rng(0).standard_normal((30, 4)), np.zeros((30, 2))
    with pytest.raises(ValueError, match="alpha_ratio must be a finite number > 0"):
        _m.RobustMTFLRegressorCV(alpha_ratio=value).fit(X, Y)


# -- scikit-learn 1.9 conventions: alphas as a count, verbose lines, one convergence warning --
def test_int_alphas_is_the_number_of_alphas_as_multitasklassocv():
    X, Y = shared_problem(seed=15, n=60, p=12, T=3)
    ours = GroupLassoRegressorCV(alphas=7, cv=3, tol=1e-8).fit(X, Y)
    sk = MultiTaskLassoCV(alphas=7, cv=3).fit(X, Y)
    np.testing.assert_allclose(ours.alphas_, sk.alphas_, rtol=1e-10)
    # An int overrides n_alphas; n_alphas alone still sets the length.
    both = GroupLassoRegressorCV(alphas=7, n_alphas=3, cv=3, tol=1e-8).fit(X, Y)
    np.testing.assert_array_equal(both.alphas_, ours.alphas_)
    old = GroupLassoRegressorCV(n_alphas=7, cv=3, tol=1e-8).fit(X, Y)
    np.testing.assert_array_equal(old.alphas_, ours.alphas_)
    # numpy ints count too, and the path functions take the same.
    path = mtl.group_lasso_path(X, Y, alphas=np.int64(7), tol=1e-8)
    np.testing.assert_allclose(path.alphas, ours.alphas_, rtol=1e-12)
    two = _m.DirtyModelRegressorCV(alphas=4, cv=3, tol=1e-6).fit(X, Y)
    assert two.alphas_.shape == (4,)


@pytest.mark.parametrize("alphas, match", [
    (0, r"alphas must be an int >= 1 \(the number of alphas\), got 0"),
    (-3, "alphas must be an int >= 1"),
    (2.5, r"alphas must be an int \(the number of alphas\) or an array-like"),
    (10.0, "for one alpha pass"),
    (float("nan"), "alphas must be an int"),
    (True, "alphas must be an int"),
    ([], "alphas is empty"),
    ([0.1, np.nan], "alphas must be finite"),
])
def test_bad_alphas_are_one_line_errors(alphas, match):
    X, Y = shared_problem(seed=16, n=40, p=6, T=2)
    for fit in (lambda: GroupLassoRegressorCV(alphas=alphas, cv=2).fit(X, Y),
                lambda: _m.RobustMTFLRegressorCV(alphas=alphas, cv=2).fit(X, Y),
                lambda: mtl.lasso_path(X, Y, alphas=alphas)):
        with pytest.raises(ValueError, match=match) as info:
            fit()
        assert "\n" not in str(info.value)


def test_verbose_one_line_per_fold_and_alpha(capsys):
    import re

    X, Y = shared_problem(seed=17, n=60, p=10, T=3)
    GroupLassoRegressorCV(alphas=4, cv=3, solver="fista", verbose=1).fit(X, Y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 * 4 + 1  # the refit's line last
    pattern = (r"\[GroupLassoRegressorCV\] fold (\d)/3 alpha (\d)/4 = [0-9.e+-]+: gap "
               r"[0-9.e+-]+, \d+ iterations, [0-9.]+ s")
    seen = {re.fullmatch(pattern, line).groups() for line in lines[:-1]}
    assert seen == {(str(f), str(a)) for f in range(1, 4) for a in range(1, 5)}
    assert lines[-1].startswith("[GroupLassoRegressorCV] refit at alpha ")
    # The solver's own lines only from verbose=2 on.
    GroupLassoRegressorCV(alphas=4, cv=3, solver="fista", tol=1e-12, verbose=2).fit(X, Y)
    assert any(line.startswith("fista iter") for line in capsys.readouterr().out.splitlines())
    with pytest.raises(ValueError, match="verbose must be an int >= 0"):
        GroupLassoRegressorCV(verbose=-1).fit(X, Y)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_convergence_warnings_of_a_cv_fit_are_one_summary(n_jobs):
    import re

    X, y = per_task_problem(seed=18)
    folds = list(StratifiedKFold(3).split(X, X[:, -1]))
    kw = dict(alphas=6, eps=1e-3, task_column=-1, solver="fista", max_iter=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cv = GroupLassoRegressorCV(cv=folds, n_jobs=n_jobs, **kw).fit(X, y)
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    summary = [m for m in messages if "path fits" in m]
    assert len(summary) == 1, messages
    found = re.search(r"GroupLassoRegressorCV: (\d+) of 18 path fits did not converge \(worst "
                      r"relative duality gap ([0-9.e+-]+) > tol=0.0001 at alpha=[0-9.e+-]+, "
                      r"fold \d/3\); increase max_iter or tol", summary[0])
    assert found, summary[0]
    # The same count, path by path: each fold's path function warns once with its share.
    expected, worst = 0, 0.0
    for train, _ in folds:
        with warnings.catch_warnings(record=True) as per_path:
            warnings.simplefilter("always")
            mtl.group_lasso_path(X[train], y[train], alphas=cv.alphas_, task_column=-1,
                                 solver="fista", max_iter=3)
        (message,) = [str(w.message) for w in per_path]
        count, gap = re.search(r": (\d+) of 6 path fits .* gap ([0-9.e+-]+)", message).groups()
        expected, worst = expected + int(count), max(worst, float(gap))
    assert int(found.group(1)) == expected > 0
    assert float(found.group(2)) == worst
    # Converged fits: no warning at all.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        GroupLassoRegressorCV(cv=folds, n_jobs=n_jobs, **dict(kw, max_iter=100000)).fit(X, y)
