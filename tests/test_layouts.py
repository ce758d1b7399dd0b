"""The per-task layout, its helpers, and both layouts under scikit-learn tooling.

Two ways to give the same estimators data:

* shared layout (``task_column=None``): ``fit(X, Y)`` with ``Y`` (n, T), NaN
  marking a target not observed for that task;
* per-task layout (``task_column`` set): one column of ``X`` names each row's
  task, ``y`` is (n,) and ``coef_`` rows follow ``tasks_`` (sorted labels).

The tests check that the two agree where they describe the same problem, that
:func:`stack_tasks` / :func:`split_tasks` convert between MALSAR-style lists
and the stacked array, and that the layout passes through scikit-learn's
splitters, ``cross_val_score``, ``GridSearchCV`` and ``Pipeline`` unchanged.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.compose import ColumnTransformer
from sklearn.metrics import r2_score
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from mtlclassic import (
    GroupLassoClassifier,
    GroupLassoRegressor,
    alpha_max,
    split_tasks,
    stack_tasks,
)
from mtlclassic.datasets import make_multitask_classification, make_multitask_regression

# Tight enough that two fits of the same problem agree to ~1e-8.
TIGHT = dict(tol=1e-12, max_iter=20000)


@pytest.fixture(scope="module")
def shared_reg():
    X, Y, coef = make_multitask_regression(
        n_samples=40, n_features=6, n_tasks=3, n_shared=2, random_state=0)
    return X, Y, coef


@pytest.fixture(scope="module")
def per_task_reg():
    # Unequal task sizes, task id 0..2 in the last column.
    X, y, coef = make_multitask_regression(
        n_samples=[10, 14, 18], n_features=6, n_tasks=3, n_shared=2,
        layout="per_task", random_state=1)
    return X, y, coef


@pytest.fixture(scope="module")
def per_task_clf():
    X, y, coef = make_multitask_classification(
        n_samples=[20, 24, 28], n_features=5, n_tasks=3, n_shared=2,
        layout="per_task", random_state=2)
    return X, y, coef


def _shuffled(X, y, seed=0):
    perm = np.random.RandomState(seed).permutation(X.shape[0])
    return X[perm], y[perm]


# ---------------------------------------------------------------------------
# stack_tasks / split_tasks
# ---------------------------------------------------------------------------


def _task_lists(sizes, n_features=4, seed=0, sparse=False):
    rng = np.random.RandomState(seed)
    Xs, ys = [], []
    for n_t in sizes:
        Xt = rng.standard_normal((n_t, n_features))
        if sparse:
            Xt[rng.rand(*Xt.shape) < 0.6] = 0.0
            Xt = sp.csr_matrix(Xt)
        Xs.append(Xt)
        ys.append(rng.standard_normal(n_t))
    return Xs, ys


@pytest.mark.parametrize("sizes", [[5, 5, 5], [3, 8, 1, 6]])
def test_stack_split_round_trip_dense(sizes):
    Xs, ys = _task_lists(sizes)
    X, y = stack_tasks(Xs, ys)
    assert X.shape == (sum(sizes), 5)
    assert y.shape == (sum(sizes),)
    assert_array_equal(X[:, -1], np.repeat(np.arange(len(sizes)), sizes))
    Xs2, ys2, tasks = split_tasks(X, y, task_column=-1)
    assert_array_equal(tasks, np.arange(len(sizes)))
    assert len(Xs2) == len(ys2) == len(sizes)
    for a, b, ya, yb in zip(Xs, Xs2, ys, ys2):
        assert_array_equal(a, b)
        assert_array_equal(ya, yb)


@pytest.mark.parametrize("sizes", [[4, 4], [2, 7, 3]])
def test_stack_split_round_trip_sparse(sizes):
    Xs, ys = _task_lists(sizes, sparse=True)
    X, y = stack_tasks(Xs, ys)
    assert sp.issparse(X)
    assert_array_equal(X[:, [-1]].toarray().ravel(), np.repeat(np.arange(len(sizes)), sizes))
    Xs2, ys2, tasks = split_tasks(X, y, task_column=-1)
    assert_array_equal(tasks, np.arange(len(sizes)))
    for a, b, ya, yb in zip(Xs, Xs2, ys, ys2):
        assert sp.issparse(b)
        assert_array_equal(a.toarray(), b.toarray())
        assert_array_equal(ya, yb)


def test_stack_tasks_mixed_sparse_dense_gives_sparse():
    Xs, ys = _task_lists([3, 4])
    Xs[1] = sp.csr_matrix(Xs[1])
    X, y = stack_tasks(Xs, ys)
    assert sp.issparse(X)
    assert_array_equal(X.toarray()[:, :-1], np.vstack([Xs[0], Xs[1].toarray()]))


def test_stack_tasks_column_vector_targets():
    Xs, ys = _task_lists([3, 4])
    X, y = stack_tasks(Xs, [yt.reshape(-1, 1) for yt in ys])
    assert y.shape == (7,)
    assert_array_equal(y, np.concatenate(ys))


def test_split_tasks_other_column_and_unsorted_rows():
    Xs, ys = _task_lists([3, 5, 2])
    X, y = stack_tasks(Xs, ys)
    X = np.c_[X[:, -1], X[:, :-1]]  # task column first
    X, y = _shuffled(X, y)
    Xs2, ys2, tasks = split_tasks(X, y, task_column=0)
    assert_array_equal(tasks, [0, 1, 2])
    for t, (Xt, yt) in enumerate(zip(Xs2, ys2)):
        # The rows were shuffled: compare each task's rows as a set.
        order_a = np.lexsort(Xs[t].T)
        order_b = np.lexsort(Xt.T)
        assert_array_equal(Xs[t][order_a], Xt[order_b])
        assert_array_equal(ys[t][order_a], yt[order_b])


@pytest.mark.parametrize("Xs, ys, match", [
    ([np.ones((2, 3))], [np.ones(2), np.ones(2)], r"1 designs but 2 targets"),
    ([], [], r"at least one task"),
    ([np.ones((2, 3)), np.ones((2, 4))], [np.ones(2), np.ones(2)], r"Task 1 has 4 features.*3"),
    ([np.ones((2, 3)), np.ones((3, 3))], [np.ones(2), np.ones(2)],
     r"Task 1.*shape \(3, 3\).*2 samples"),
    ([np.ones((2, 3)), np.ones((0, 3))], [np.ones(2), np.ones(0)], r"Task 1 has no samples"),
    ([np.ones((2, 3))], [np.ones((2, 2))], r"Target of task 0 must be 1-D"),
])
def test_stack_tasks_errors(Xs, ys, match):
    with pytest.raises(ValueError, match=match):
        stack_tasks(Xs, ys)


@pytest.mark.parametrize("X, y, col, match", [
    (np.ones((4, 3)), np.ones(3), -1, r"4 rows but y has 3"),
    (np.ones((4, 3)), np.ones(4), 3, r"task_column=3 is out of range"),
    (np.ones((4, 3)), np.ones(4), -4, r"task_column=-4 is out of range"),
    (np.ones(4), np.ones(4), -1, r"X must be 2-D"),
])
def test_split_tasks_errors(X, y, col, match):
    with pytest.raises(ValueError, match=match):
        split_tasks(X, y, task_column=col)


def test_stack_tasks_output_fits_with_last_column(shared_reg):
    """Identical designs stacked per task describe the shared-layout problem exactly."""
    X, Y, _ = shared_reg
    T = Y.shape[1]
    Xst, yst = stack_tasks([X] * T, list(Y.T))
    per_task = GroupLassoRegressor(alpha=0.05, task_column=-1, **TIGHT).fit(Xst, yst)
    shared = GroupLassoRegressor(alpha=0.05, **TIGHT).fit(X, Y)
    assert_array_equal(per_task.tasks_, np.arange(T))
    assert per_task.n_features_in_ == X.shape[1] + 1
    assert_allclose(per_task.coef_, shared.coef_, atol=1e-8)
    assert_allclose(per_task.intercept_, shared.intercept_, atol=1e-8)


@pytest.mark.parametrize("position", [0, 2, 6])
def test_task_column_position_positive_and_negative(per_task_reg, position):
    X, y, _ = per_task_reg
    ref = GroupLassoRegressor(alpha=0.05, task_column=-1, **TIGHT).fit(X, y)
    feats, ids = X[:, :-1], X[:, -1]
    Xm = np.insert(feats, position, ids, axis=1)
    n_cols = Xm.shape[1]
    pos = GroupLassoRegressor(alpha=0.05, task_column=position, **TIGHT).fit(Xm, y)
    neg = GroupLassoRegressor(alpha=0.05, task_column=position - n_cols, **TIGHT).fit(Xm, y)
    # Same numbers in the same order: the result must be bit-identical.
    assert_array_equal(pos.coef_, neg.coef_)
    assert_array_equal(pos.intercept_, neg.intercept_)
    assert_allclose(pos.coef_, ref.coef_, atol=1e-10)
    assert_allclose(pos.predict(Xm), ref.predict(X), atol=1e-10)


def test_row_order_does_not_matter(per_task_reg):
    X, y, _ = per_task_reg
    ref = GroupLassoRegressor(alpha=0.05, task_column=-1, **TIGHT).fit(X, y)
    Xs, ys = _shuffled(X, y, seed=3)
    m = GroupLassoRegressor(alpha=0.05, task_column=-1, **TIGHT).fit(Xs, ys)
    assert_allclose(m.coef_, ref.coef_, atol=1e-10)
    assert_allclose(m.predict(Xs), ref.predict(Xs), atol=1e-10)


def test_sample_weight_follows_rows_when_shuffled(per_task_reg):
    """Rows are sorted by task internally; their weights must move with them."""
    X, y, _ = per_task_reg
    sw = np.random.RandomState(0).uniform(0.2, 3.0, X.shape[0])
    ref = GroupLassoRegressor(alpha=0.05, task_column=-1, **TIGHT).fit(X, y, sample_weight=sw)
    perm = np.random.RandomState(1).permutation(X.shape[0])
    m = GroupLassoRegressor(alpha=0.05, task_column=-1, **TIGHT).fit(
        X[perm], y[perm], sample_weight=sw[perm])
    assert_allclose(m.coef_, ref.coef_, atol=1e-10)
    assert_allclose(m.intercept_, ref.intercept_, atol=1e-10)


def test_integer_sample_weight_equals_repeated_rows(per_task_reg):
    X, y, _ = per_task_reg
    sw = np.ones(X.shape[0], dtype=int)
    sw[[0, 5, 20, 41]] = [3, 2, 2, 4]
    weighted = GroupLassoRegressor(alpha=0.05, task_column=-1, **TIGHT).fit(X, y, sample_weight=sw)
    Xr, yr = np.repeat(X, sw, axis=0), np.repeat(y, sw)
    Xr, yr = _shuffled(Xr, yr, seed=2)
    repeated = GroupLassoRegressor(alpha=0.05, task_column=-1, **TIGHT).fit(Xr, yr)
    assert_allclose(weighted.coef_, repeated.coef_, atol=1e-9)
    assert_allclose(weighted.intercept_, repeated.intercept_, atol=1e-9)


# ---------------------------------------------------------------------------
# DataFrames and task labels
# ---------------------------------------------------------------------------


def _frame(X, labels, task_pos=2):
    df = pd.DataFrame(X[:, :-1], columns=[f"f{j}" for j in range(X.shape[1] - 1)])
    df.insert(task_pos, "task", labels)
    return df


@pytest.mark.parametrize("label_map", [
    np.array(["gamma", "alpha", "beta"]),  # strings, not in sorted order
    np.array([30, 10, 20]),                 # integers, not in sorted order
])
def test_dataframe_task_labels(per_task_reg, label_map):
    X, y, _ = per_task_reg
    ids = X[:, -1].astype(int)
    df = _frame(X, label_map[ids])
    m = GroupLassoRegressor(alpha=0.05, task_column="task", **TIGHT).fit(df, y)
    ref = GroupLassoRegressor(alpha=0.05, task_column=-1, **TIGHT).fit(X, y)

    assert_array_equal(m.tasks_, np.sort(label_map))
    assert m.n_tasks_ == 3
    assert m.n_features_in_ == df.shape[1]
    assert_array_equal(m.feature_names_in_, df.columns)
    # coef_ rows follow tasks_: row k is the model of label tasks_[k].
    for k, label in enumerate(m.tasks_):
        t = int(np.flatnonzero(label_map == label)[0])
        assert_allclose(m.coef_[k], ref.coef_[t], atol=1e-10)
        assert_allclose(m.intercept_[k], ref.intercept_[t], atol=1e-10)

    pred = m.predict(df)
    assert pred.shape == (X.shape[0],)
    row_task = np.searchsorted(m.tasks_, df["task"].to_numpy())
    manual = np.einsum("ij,ij->i", df.drop(columns="task").to_numpy(), m.coef_[row_task])
    assert_allclose(pred, manual + m.intercept_[row_task], atol=1e-12)


def test_predict_routes_rows_shuffled_subset(per_task_reg):
    """predict on a few shuffled rows of mixed tasks uses each row's own task."""
    X, y, _ = per_task_reg
    m = GroupLassoRegressor(alpha=0.05, task_column=-1).fit(X, y)
    rows = np.array([40, 0, 15, 3, 27, 11])
    Xq = X[rows]
    t = Xq[:, -1].astype(int)
    expected = np.einsum("ij,ij->i", Xq[:, :-1], m.coef_[t]) + m.intercept_[t]
    assert_allclose(m.predict(Xq), expected, atol=1e-12)
    # A single row works too.
    assert_allclose(m.predict(Xq[:1]), expected[:1], atol=1e-12)


def test_task_weights_follow_sorted_labels(per_task_reg):
    """task_weights are ordered as tasks_ (sorted labels), not as labels first appear."""
    X, y, _ = per_task_reg
    names = np.array(["gamma", "alpha", "beta"])  # task id t -> label names[t]
    df = _frame(X, names[X[:, -1].astype(int)])
    tw_by_id = np.array([0.5, 2.0, 1.0])
    tw_sorted = tw_by_id[np.argsort(names)]  # weights of alpha, beta, gamma
    m = GroupLassoRegressor(alpha=0.05, task_column="task", task_weights=tw_sorted,
                            **TIGHT).fit(df, y)
    ref = GroupLassoRegressor(alpha=0.05, task_column=-1, task_weights=tw_by_id,
                              **TIGHT).fit(X, y)
    assert_allclose(m.coef_, ref.coef_[np.argsort(names)], atol=1e-10)
    assert_allclose(m.predict(df), ref.predict(X), atol=1e-10)


def test_unseen_task_at_predict(per_task_reg):
    X, y, _ = per_task_reg
    m = GroupLassoRegressor(alpha=0.05, task_column=-1).fit(X, y)
    Xq = X[:3].copy()
    Xq[1, -1] = 7
    with pytest.raises(ValueError, match=r"task id\(s\) not seen in fit.*7"):
        m.predict(Xq)

    df = _frame(X, np.array(["a", "b", "c"])[X[:, -1].astype(int)])
    mdf = GroupLassoRegressor(alpha=0.05, task_column="task").fit(df, y)
    dq = df.iloc[:3].copy()
    dq.loc[dq.index[0], "task"] = "zeta"
    with pytest.raises(ValueError, match=r"not seen in fit.*zeta"):
        mdf.predict(dq)


def test_string_task_label_when_fit_had_ints(per_task_reg):
    X, y, _ = per_task_reg
    ids = X[:, -1].astype(int)
    m = GroupLassoRegressor(alpha=0.05, task_column="task").fit(_frame(X, ids), y)
    assert m.tasks_.dtype.kind in "iu"
    with pytest.raises(ValueError, match=r"[Tt]ask ids.*do not match.*fit"):
        m.predict(_frame(X, np.array(["0", "1", "2"])[ids]))
    # and the other way round
    ms = GroupLassoRegressor(alpha=0.05, task_column="task").fit(
        _frame(X, np.array(["0", "1", "2"])[ids]), y)
    with pytest.raises(ValueError, match=r"[Tt]ask ids.*do not match.*fit"):
        ms.predict(_frame(X, ids))


def test_numpy_fit_has_no_feature_names(per_task_reg):
    X, y, _ = per_task_reg
    df = _frame(X, X[:, -1].astype(int))
    m = GroupLassoRegressor(alpha=0.05, task_column="task").fit(df, y)
    assert hasattr(m, "feature_names_in_")
    m.set_params(task_column=-1).fit(X, y)
    assert not hasattr(m, "feature_names_in_")


def test_dataframe_shared_layout(shared_reg):
    X, Y, _ = shared_reg
    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    m = GroupLassoRegressor(alpha=0.05, **TIGHT).fit(df, pd.DataFrame(Y))
    ref = GroupLassoRegressor(alpha=0.05, **TIGHT).fit(X, Y)
    assert_array_equal(m.feature_names_in_, df.columns)
    assert_allclose(m.coef_, ref.coef_, atol=1e-10)
    assert_allclose(m.predict(df), ref.predict(X), atol=1e-10)


# ---------------------------------------------------------------------------
# scikit-learn model selection, both layouts
# ---------------------------------------------------------------------------


def test_train_test_split_both_layouts(shared_reg, per_task_reg):
    X, Y, _ = shared_reg
    Xtr, Xte, Ytr, Yte = train_test_split(X, Y, test_size=0.25, random_state=0)
    m = GroupLassoRegressor(alpha=0.05).fit(Xtr, Ytr)
    assert m.predict(Xte).shape == Yte.shape
    assert np.isfinite(m.score(Xte, Yte))

    Xp, yp, _ = per_task_reg
    Xtr, Xte, ytr, yte = train_test_split(
        Xp, yp, test_size=0.3, random_state=0, stratify=Xp[:, -1])
    m = GroupLassoRegressor(alpha=0.05, task_column=-1).fit(Xtr, ytr)
    assert_array_equal(m.tasks_, [0, 1, 2])
    assert m.predict(Xte).shape == yte.shape
    assert np.isfinite(m.score(Xte, yte))


def test_kfold_cross_val_score_both_layouts(shared_reg, per_task_reg):
    X, Y, _ = shared_reg
    cv = KFold(4, shuffle=True, random_state=0)
    scores = cross_val_score(GroupLassoRegressor(alpha=0.05), X, Y, cv=cv, error_score="raise")
    assert scores.shape == (4,)
    assert np.all(np.isfinite(scores))
    # cross_val_score uses estimator.score: recompute the first fold by hand.
    train, test = next(cv.split(X))
    m = GroupLassoRegressor(alpha=0.05).fit(X[train], Y[train])
    assert scores[0] == pytest.approx(m.score(X[test], Y[test]))

    Xp, yp, _ = per_task_reg
    scores = cross_val_score(GroupLassoRegressor(alpha=0.05, task_column=-1), Xp, yp,
                             cv=KFold(3, shuffle=True, random_state=0), error_score="raise")
    assert np.all(np.isfinite(scores))
    # Folds stratified by task keep every task in every training set.
    strat = list(StratifiedKFold(3, shuffle=True, random_state=0).split(Xp, Xp[:, -1]))
    scores = cross_val_score(GroupLassoRegressor(alpha=0.05, task_column=-1), Xp, yp,
                             cv=strat, error_score="raise")
    assert np.all(np.isfinite(scores))


def test_group_kfold_by_task_leaves_whole_tasks_out(per_task_reg):
    """Grouping folds by the task column: the held-out task is unseen, and says so."""
    X, y, _ = per_task_reg
    groups = X[:, -1]
    for train, test in GroupKFold(3).split(X, y, groups):
        m = GroupLassoRegressor(alpha=0.05, task_column=-1).fit(X[train], y[train])
        held_out = np.unique(groups[test]).astype(int)
        assert_array_equal(m.tasks_, np.setdiff1d([0, 1, 2], held_out))
        with pytest.raises(ValueError, match=rf"not seen in fit: \[{held_out[0]}\]"):
            m.predict(X[test])
    with pytest.raises(ValueError, match=r"not seen in fit"):
        cross_val_score(GroupLassoRegressor(alpha=0.05, task_column=-1), X, y,
                        groups=groups, cv=GroupKFold(3), error_score="raise")


def test_group_kfold_shared_layout(shared_reg):
    X, Y, _ = shared_reg
    groups = np.arange(X.shape[0]) % 5
    scores = cross_val_score(GroupLassoRegressor(alpha=0.05), X, Y, groups=groups,
                             cv=GroupKFold(5), error_score="raise")
    assert scores.shape == (5,)
    assert np.all(np.isfinite(scores))


def _per_task_scaling_pipeline(n_features, **params):
    scale = ColumnTransformer([("scale", StandardScaler(), list(range(n_features)))],
                              remainder="passthrough")
    return Pipeline([("scale", scale),
                     ("model", GroupLassoRegressor(task_column=-1, **params))])


def test_grid_search_pipeline_both_layouts(shared_reg, per_task_reg):
    X, Y, _ = shared_reg
    pipe = make_pipeline(StandardScaler(), GroupLassoRegressor())
    grid = {"grouplassoregressor__alpha": [0.01, 0.1]}
    gs = GridSearchCV(pipe, grid, cv=3, error_score="raise").fit(X, Y)
    assert gs.best_params_["grouplassoregressor__alpha"] in (0.01, 0.1)
    assert gs.predict(X).shape == Y.shape
    assert gs.best_estimator_[-1].coef_.shape == (3, X.shape[1])

    Xp, yp, _ = per_task_reg
    pipe = _per_task_scaling_pipeline(Xp.shape[1] - 1)
    cv = list(StratifiedKFold(3, shuffle=True, random_state=0).split(Xp, Xp[:, -1]))
    gs = GridSearchCV(pipe, {"model__alpha": [0.01, 0.1]}, cv=cv, error_score="raise").fit(Xp, yp)
    best = gs.best_estimator_[-1]
    assert_array_equal(best.tasks_, [0, 1, 2])
    assert best.coef_.shape == (3, Xp.shape[1] - 1)
    assert gs.predict(Xp).shape == yp.shape


def test_grid_search_per_task_dataframe(per_task_reg):
    X, y, _ = per_task_reg
    df = _frame(X, np.array(["a", "b", "c"])[X[:, -1].astype(int)])
    cv = list(StratifiedKFold(3, shuffle=True, random_state=0).split(df, df["task"]))
    gs = GridSearchCV(GroupLassoRegressor(task_column="task"), {"alpha": [0.01, 0.1]},
                      cv=cv, error_score="raise").fit(df, y)
    assert_array_equal(gs.best_estimator_.tasks_, ["a", "b", "c"])
    assert gs.predict(df).shape == y.shape


def test_grid_search_picks_a_sensible_alpha():
    X, Y, coef = make_multitask_regression(
        n_samples=80, n_features=40, n_tasks=4, n_shared=4, snr=4.0, random_state=0)
    alphas = alpha_max(X, Y) * np.logspace(-3, 0, 7)
    gs = GridSearchCV(GroupLassoRegressor(), {"alpha": alphas},
                      cv=KFold(4, shuffle=True, random_state=0), error_score="raise").fit(X, Y)
    scores = gs.cv_results_["mean_test_score"]
    assert 0 < gs.best_index_ < len(alphas) - 1
    assert gs.best_score_ > scores[-1] + 0.3  # alpha_max: the all-zero model
    assert gs.best_score_ > scores[0] + 0.1   # barely regularised: overfits

    true_support = np.any(coef != 0, axis=0)

    def fit(alpha):
        return GroupLassoRegressor(alpha=alpha).fit(X, Y)

    best, small, large = gs.best_estimator_, fit(alphas[0]), fit(alphas[-1])
    # The refit model finds the whole true support, unlike the largest alpha, ...
    assert np.all(np.any(best.coef_ != 0, axis=0)[true_support])
    assert not np.any(large.coef_)
    # ... with fewer false positives than the smallest alpha ...
    def false_pos(m):
        return np.sum(np.any(m.coef_ != 0, axis=0) & ~true_support)

    assert false_pos(best) < false_pos(small)
    # ... and estimates the coefficients better than both extremes.
    err = [np.linalg.norm(m.coef_ - coef) for m in (best, small, large)]
    assert err[0] < min(err[1], err[2])


# ---------------------------------------------------------------------------
# Scaling features without scaling the task column
# ---------------------------------------------------------------------------


def test_column_transformer_scaler_per_task(per_task_reg):
    X, y, _ = per_task_reg
    p = X.shape[1] - 1
    pipe = _per_task_scaling_pipeline(p, alpha=0.05, **TIGHT).fit(X, y)
    scaled = np.c_[StandardScaler().fit_transform(X[:, :p]), X[:, -1]]
    manual = GroupLassoRegressor(alpha=0.05, task_column=-1, **TIGHT).fit(scaled, y)
    model = pipe[-1]
    assert_array_equal(model.tasks_, [0, 1, 2])
    assert_allclose(model.coef_, manual.coef_, atol=1e-10)
    assert_allclose(model.intercept_, manual.intercept_, atol=1e-10)
    assert_allclose(pipe.predict(X), manual.predict(scaled), atol=1e-10)


@pytest.mark.parametrize("labels", [np.array(["a", "b", "c"]), np.array([5, 6, 7])])
def test_column_transformer_scaler_per_task_dataframe(per_task_reg, labels):
    X, y, _ = per_task_reg
    df = _frame(X, labels[X[:, -1].astype(int)], task_pos=0)
    feats = [c for c in df.columns if c != "task"]
    scale = ColumnTransformer([("scale", StandardScaler(), feats)], remainder="passthrough",
                              verbose_feature_names_out=False).set_output(transform="pandas")
    pipe = Pipeline([("scale", scale),
                     ("model", GroupLassoRegressor(alpha=0.05, task_column="task", **TIGHT))])
    pipe.fit(df, y)

    scaled = df.copy()
    scaled[feats] = StandardScaler().fit_transform(df[feats])
    manual = GroupLassoRegressor(alpha=0.05, task_column="task", **TIGHT).fit(scaled, y)
    model = pipe[-1]
    assert_array_equal(model.tasks_, labels)
    # The scaler moves the task column last; coef_ columns follow the features' order.
    assert list(model.feature_names_in_) == feats + ["task"]
    assert_allclose(model.coef_, manual.coef_, atol=1e-10)
    assert_allclose(model.intercept_, manual.intercept_, atol=1e-10)
    assert_allclose(pipe.predict(df), manual.predict(scaled), atol=1e-10)


# ---------------------------------------------------------------------------
# Output shapes and scores
# ---------------------------------------------------------------------------


def test_prediction_shapes(shared_reg, per_task_reg):
    X, Y, _ = shared_reg
    assert GroupLassoRegressor(alpha=0.05).fit(X, Y).predict(X).shape == (40, 3)
    assert GroupLassoRegressor(alpha=0.05).fit(X, Y[:, 0]).predict(X).shape == (40,)
    assert GroupLassoRegressor(alpha=0.05).fit(X, Y[:, :1]).predict(X).shape == (40, 1)
    Xp, yp, _ = per_task_reg
    assert GroupLassoRegressor(alpha=0.05, task_column=-1).fit(Xp, yp).predict(Xp).shape == (42,)


def test_score_is_mean_per_task_r2(shared_reg, per_task_reg):
    X, Y, _ = shared_reg
    m = GroupLassoRegressor(alpha=0.05).fit(X, Y)
    P = m.predict(X)
    expected = np.mean([r2_score(Y[:, t], P[:, t]) for t in range(3)])
    assert m.score(X, Y) == pytest.approx(expected, rel=1e-12)
    # Not sklearn's default on 2-D targets in general, but equal here (uniform average).
    assert m.score(X, Y) == pytest.approx(r2_score(Y, P), rel=1e-12)

    m1 = GroupLassoRegressor(alpha=0.05).fit(X, Y[:, 0])
    assert m1.score(X, Y[:, 0]) == pytest.approx(r2_score(Y[:, 0], m1.predict(X)))

    Xp, yp, _ = per_task_reg
    mp = GroupLassoRegressor(alpha=0.05, task_column=-1).fit(Xp, yp)
    pred = mp.predict(Xp)
    ids = Xp[:, -1]
    per_task = [r2_score(yp[ids == t], pred[ids == t]) for t in range(3)]
    assert mp.score(Xp, yp) == pytest.approx(np.mean(per_task), rel=1e-12)
    # ... which differs from the pooled R^2 of the stacked vector.
    assert mp.score(Xp, yp) != pytest.approx(r2_score(yp, pred), rel=1e-6)


def test_score_shared_layout_skips_missing_targets(shared_reg):
    X, Y, _ = shared_reg
    m = GroupLassoRegressor(alpha=0.05).fit(X, Y)
    Ym = Y.copy()
    Ym[:10, 1] = np.nan
    P = m.predict(X)
    expected = np.mean([r2_score(Y[:, 0], P[:, 0]), r2_score(Y[10:, 1], P[10:, 1]),
                        r2_score(Y[:, 2], P[:, 2])])
    assert m.score(X, Ym) == pytest.approx(expected, rel=1e-12)


def test_score_without_any_scorable_task_is_an_error(shared_reg):
    X, Y, _ = shared_reg
    m = GroupLassoRegressor(alpha=0.05).fit(X, Y)
    Ym = np.full(Y.shape, np.nan)
    Ym[0] = Y[0]  # one observed target per task: no R^2 anywhere
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match=r"at least one task with 2 or more"):
            m.score(X, Ym)


def test_classifier_shapes_per_task(per_task_clf):
    X, y, _ = per_task_clf
    clf = GroupLassoClassifier(alpha=0.01, task_column=-1).fit(X, y)
    n = X.shape[0]
    proba = clf.predict_proba(X)
    assert proba.shape == (n, 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    z = clf.decision_function(X)
    assert z.shape == (n,)
    pred = clf.predict(X)
    assert pred.shape == (n,)
    assert_array_equal(pred, np.where(z > 0, clf.classes_[1], clf.classes_[0]))
    assert_array_equal(proba[:, 1] > 0.5, z > 0)
    # accuracy averaged over tasks
    ids = X[:, -1]
    acc = np.mean([np.mean(pred[ids == t] == y[ids == t]) for t in range(3)])
    assert clf.score(X, y) == pytest.approx(acc)


def test_classifier_shapes_shared():
    X, Y, _ = make_multitask_classification(
        n_samples=60, n_features=5, n_tasks=3, n_shared=2, random_state=4)
    n = X.shape[0]
    clf = GroupLassoClassifier(alpha=0.01).fit(X, Y)
    proba = clf.predict_proba(X)
    assert proba.shape == (n, 3)
    z = clf.decision_function(X)
    assert z.shape == (n, 3)
    assert_array_equal(clf.predict(X), np.where(z > 0, clf.classes_[1], clf.classes_[0]))
    assert_array_equal(proba > 0.5, z > 0)

    clf1 = GroupLassoClassifier(alpha=0.01).fit(X, Y[:, 0])
    assert clf1.predict_proba(X).shape == (n, 2)
    z1 = clf1.decision_function(X)
    assert z1.shape == (n,)
    assert_array_equal(clf1.predict(X), clf1.classes_[(z1 > 0).astype(int)])
    assert_array_equal(np.sign(z1) > 0, clf1.predict(X) == clf1.classes_[1])


def test_classifier_string_labels_per_task_dataframe(per_task_clf):
    X, y, _ = per_task_clf
    df = _frame(X, np.array(["u", "v", "w"])[X[:, -1].astype(int)])
    ys = np.array(["neg", "pos"])[(y == y.max()).astype(int)]
    clf = GroupLassoClassifier(alpha=0.01, task_column="task").fit(df, ys)
    assert_array_equal(clf.classes_, ["neg", "pos"])
    assert_array_equal(clf.tasks_, ["u", "v", "w"])
    z = clf.decision_function(df)
    assert_array_equal(clf.predict(df), np.where(z > 0, "pos", "neg"))


# ---------------------------------------------------------------------------
# Missing targets in the shared layout
# ---------------------------------------------------------------------------


def test_missing_targets_equal_per_task_layout_of_observed_entries(shared_reg):
    X, Y, _ = shared_reg
    rng = np.random.RandomState(0)
    Ym = Y.copy()
    Ym[rng.rand(*Y.shape) < 0.3] = np.nan
    shared = GroupLassoRegressor(alpha=0.05, **TIGHT).fit(X, Ym)

    Xs, ys = [], []
    for t in range(Y.shape[1]):
        obs = ~np.isnan(Ym[:, t])
        Xs.append(X[obs])
        ys.append(Ym[obs, t])
    Xst, yst = stack_tasks(Xs, ys)
    per_task = GroupLassoRegressor(alpha=0.05, task_column=-1, **TIGHT).fit(Xst, yst)
    assert_allclose(shared.coef_, per_task.coef_, atol=1e-8)
    assert_allclose(shared.intercept_, per_task.intercept_, atol=1e-8)


def test_missing_target_in_one_task_equals_dropping_the_row(shared_reg):
    """With one task, a NaN target is the same as removing that row."""
    X, Y, _ = shared_reg
    y = Y[:, :1].copy()
    y[::4] = np.nan
    obs = ~np.isnan(y[:, 0])
    masked = GroupLassoRegressor(alpha=0.05, **TIGHT).fit(X, y)
    dropped = GroupLassoRegressor(alpha=0.05, **TIGHT).fit(X[obs], y[obs])
    assert_allclose(masked.coef_, dropped.coef_, atol=1e-10)
    assert_allclose(masked.intercept_, dropped.intercept_, atol=1e-10)
    # The masked rows do matter when observed.
    full = GroupLassoRegressor(alpha=0.05, **TIGHT).fit(X, Y[:, :1])
    assert not np.allclose(masked.coef_, full.coef_, atol=1e-6)
