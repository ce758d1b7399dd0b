"""Task-stratified splitters: every task on both sides of every split, in scikit-learn's CV tools.

The fold layout is checked against its definition (each task's rows cut into
``n_splits`` blocks whose sizes differ by at most one) and against
scikit-learn's ``KFold`` / ``ShuffleSplit`` where they must agree (one task;
the shared layout). The School acceptance test of issue 13 skips when the
data are absent (``$MTLCLASSIC_DATA``, default ``../shared/data``).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import (GridSearchCV, KFold, ShuffleSplit, check_cv,
                                     cross_val_score, cross_validate)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from conftest import DATA_DIR, needs_data
from mtlclassic import GroupLassoRegressor, alpha_max, stack_tasks
from mtlclassic.model_selection import TaskStratifiedKFold, TaskStratifiedShuffleSplit


def _tasks_X(sizes, *, seed=0, interleave=False, n_features=2):
    """Rows grouped by task (task id in the last column), or in random order."""
    rng = np.random.default_rng(seed)
    task = np.repeat(np.arange(len(sizes)), sizes)
    if interleave:
        task = rng.permutation(task)
    return np.column_stack([rng.standard_normal((task.size, n_features)), task])


def _check_partition(splits, task, n_splits):
    """Test parts partition the rows; train = the rest; every task on both sides."""
    n = task.shape[0]
    tests = [test for _, test in splits]
    assert len(splits) == n_splits
    np.testing.assert_array_equal(np.sort(np.concatenate(tests)), np.arange(n))
    for train, test in splits:
        np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(n))
        assert np.intersect1d(train, test).size == 0
        assert set(task[train].tolist()) == set(task.tolist())
        assert set(task[test].tolist()) == set(task.tolist())


# -- TaskStratifiedKFold: the fold layout ----------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(6, 23), min_size=1, max_size=7),
       n_splits=st.integers(2, 6), shuffle=st.booleans(), interleave=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_kfold_partitions_rows_and_every_task_is_in_every_fold(sizes, n_splits, shuffle,
                                                              interleave, seed):
    X = _tasks_X(sizes, seed=seed, interleave=interleave)
    task = X[:, -1].astype(int)
    cv = TaskStratifiedKFold(n_splits, shuffle=shuffle, random_state=seed if shuffle else None)
    splits = list(cv.split(X))
    _check_partition(splits, task, n_splits)
    per_task = np.array([np.bincount(task[test], minlength=len(sizes)) for _, test in splits])
    # exact per task: each task's fold sizes are floor or ceil of n_t / k ...
    np.testing.assert_array_equal(per_task.sum(axis=0), sizes)
    assert np.all(per_task.max(axis=0) - per_task.min(axis=0) <= 1)
    # ... and the extra rows are spread, so the folds' sizes differ by at most one row
    totals = per_task.sum(axis=1)
    assert totals.max() - totals.min() <= 1
    for train, test in splits:
        assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)


@pytest.mark.parametrize("n, k", [(10, 5), (11, 3), (7, 7), (23, 4)])
def test_kfold_one_task_is_sklearn_kfold(n, k):
    X = _tasks_X([n])
    ours = list(TaskStratifiedKFold(k).split(X))
    ref = list(KFold(k).split(X))
    for (tr, te), (tr_ref, te_ref) in zip(ours, ref, strict=True):
        np.testing.assert_array_equal(tr, tr_ref)
        np.testing.assert_array_equal(te, te_ref)


def test_kfold_without_shuffle_cuts_each_task_into_consecutive_blocks():
    X = _tasks_X([9, 12, 7], interleave=True, seed=3)
    task = X[:, -1].astype(int)
    for _, test in TaskStratifiedKFold(3).split(X):
        for t in range(3):
            rows_t = np.flatnonzero(task == t)
            position = np.searchsorted(rows_t, test[task[test] == t])
            assert np.all(np.diff(position) == 1)  # a block of the task's rows, in order


def test_kfold_shuffle_is_reproducible_and_shuffles_within_tasks():
    X = _tasks_X([30, 40, 25])
    task = X[:, -1].astype(int)

    def folds(**kw):
        return [test for _, test in TaskStratifiedKFold(4, **kw).split(X)]

    a, b = folds(shuffle=True, random_state=1), folds(shuffle=True, random_state=1)
    for ta, tb in zip(a, b):
        np.testing.assert_array_equal(ta, tb)
    c, plain = folds(shuffle=True, random_state=2), folds()
    assert any(not np.array_equal(ta, tc) for ta, tc in zip(a, c))
    assert any(not np.array_equal(ta, tp) for ta, tp in zip(a, plain))
    # shuffling moves rows within a task only: the per-task fold sizes are those unshuffled
    for ta, tp in zip(a, plain):
        np.testing.assert_array_equal(np.bincount(task[ta]), np.bincount(task[tp]))
    # a RandomState instance draws new folds on every call, as in scikit-learn
    cv = TaskStratifiedKFold(4, shuffle=True, random_state=np.random.RandomState(0))
    first, second = list(cv.split(X)), list(cv.split(X))
    assert any(not np.array_equal(f[1], s[1]) for f, s in zip(first, second))


def test_kfold_does_not_modify_its_input():
    X = _tasks_X([10, 12])
    df = pd.DataFrame(X[:, :-1], columns=["a", "b"]).assign(
        school=pd.Categorical(np.where(X[:, -1] == 0, "north", "south")))
    X0, df0 = X.copy(), df.copy()
    list(TaskStratifiedKFold(3, shuffle=True, random_state=0).split(X))
    list(TaskStratifiedKFold(3, task_column="school").split(df))
    np.testing.assert_array_equal(X, X0)
    pd.testing.assert_frame_equal(df, df0)


# -- task labels and where the task column is ------------------------------------------------
def _same_folds(a, b):
    for (tr_a, te_a), (tr_b, te_b) in zip(a, b, strict=True):
        np.testing.assert_array_equal(tr_a, tr_b)
        np.testing.assert_array_equal(te_a, te_b)


def _label_variants():
    """The same tasks in every form a task column takes: ``{name: (X, task_column)}``."""
    X = _tasks_X([9, 6, 11], interleave=True, seed=5)
    ids = X[:, -1].astype(int)
    names = np.array(["school_001", "school_002", "school_003"], dtype=object)[ids]
    feats = X[:, :-1]
    df = pd.DataFrame(feats, columns=["a", "b"]).assign(school=names)
    return X, {
        "float ids": (X, -1),
        "int ids first": (np.column_stack([ids, feats]), 0),
        # a ColumnTransformer passing a string column through returns an object array
        "object strings": (np.column_stack([feats.astype(object), names]), -1),
        "object floats": (X.astype(object), 2),
        "unicode strings": (np.column_stack([feats, names.astype(str)]), -1),
        "sparse": (sp.csr_matrix(X), -1),
        "DataFrame by name": (df, "school"),
        "DataFrame by position": (df, 2),
        "categorical": (df.assign(school=pd.Categorical(names)), "school"),
        "int categorical": (df.assign(school=pd.Categorical(ids)), "school"),
        "ColumnTransformer prefix": (df.rename(columns={"school": "remainder__school"}),
                                     "school"),
        "list of rows": (X.tolist(), -1),
    }


@pytest.mark.parametrize("variant", list(_label_variants()[1]))
def test_kfold_reads_every_kind_of_task_label_and_column(variant):
    X, variants = _label_variants()
    data, column = variants[variant]
    # labels sorted the same way in every form: the same folds as the float ids
    _same_folds(list(TaskStratifiedKFold(3, task_column=column).split(data)),
                list(TaskStratifiedKFold(3).split(X)))


def test_task_column_name_errors_list_the_columns_and_the_fix():
    X = _tasks_X([6, 6])
    df = pd.DataFrame(X, columns=["a", "b", "remainder__school_id"])
    with pytest.raises(ValueError, match=r"'school' is not a column of X; its columns are "
                                         r"'a', 'b', 'remainder__school_id'\. Set task_column"):
        list(TaskStratifiedKFold(3, task_column="school").split(df))
    both = df.assign(**{"x__school": X[:, -1], "y__school": X[:, -1]})
    with pytest.raises(ValueError, match=r"matches several columns.*'x__school', 'y__school'"):
        TaskStratifiedKFold(3, task_column="school").split(both)
    with pytest.raises(ValueError, match=r"is a column name, but X is not a DataFrame.*"
                                         r"task_column=-1"):
        TaskStratifiedKFold(3, task_column="school").split(X)
    with pytest.raises(ValueError, match="out of range for X with 3 columns"):
        TaskStratifiedKFold(3, task_column=5).split(X)


def test_task_column_holding_no_task_ids_is_an_error():
    X = _tasks_X([6, 6])
    with pytest.raises(ValueError, match=r"TaskStratifiedKFold\(task_column=0\).*non-integer"):
        TaskStratifiedKFold(3, task_column=0).split(X)  # a feature, not the task column
    X[2, -1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        TaskStratifiedShuffleSplit(task_column=-1).split(X)
    df = pd.DataFrame({"a": [1.0, 2, 3, 4], "t": ["u", None, "v", "v"]})
    with pytest.raises(ValueError, match="missing values"):
        TaskStratifiedKFold(2, task_column="t").split(df)
    mixed = pd.DataFrame({"a": [1.0, 2, 3, 4], "t": ["u", 1, "u", 1]})
    with pytest.raises(ValueError, match="mix of types"):
        TaskStratifiedKFold(2, task_column="t").split(mixed)


def test_a_task_smaller_than_the_folds_is_named():
    X = _tasks_X([8, 3, 9])
    df = pd.DataFrame(X[:, :-1], columns=["a", "b"]).assign(
        subject=np.array(["patient_01", "tiny", "patient_03"])[X[:, -1].astype(int)])
    with pytest.raises(ValueError, match=r"task 'tiny' \(3 rows\) has fewer rows than folds.*"
                                         r"n_splits <= 3"):
        TaskStratifiedKFold(5, task_column="subject").split(df)
    _check_partition(list(TaskStratifiedKFold(3, task_column="subject").split(df)),
                     df["subject"].to_numpy(), 3)


@pytest.mark.parametrize("kwargs, match", [
    ({"n_splits": 1}, "at least 2 folds"),
    ({"n_splits": 2.5}, "n_splits must be an integer"),
    ({"n_splits": True}, "n_splits must be an integer"),
    ({"n_splits": "5"}, "n_splits must be an integer"),
    ({"task_column": 1.5}, "task_column must be None"),
    ({"shuffle": "yes"}, "shuffle must be True or False"),
    ({"random_state": 0}, "no effect since shuffle=False"),
])
def test_kfold_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TaskStratifiedKFold(**kwargs)


def test_protocol_repr_and_check_cv():
    cv = TaskStratifiedKFold(4, task_column="school", shuffle=True, random_state=0)
    assert cv.get_n_splits() == 4 and check_cv(cv) is cv
    assert repr(cv).startswith("TaskStratifiedKFold(") and "task_column='school'" in repr(cv)
    ss = TaskStratifiedShuffleSplit(3, test_size=0.25)
    assert ss.get_n_splits(np.zeros((5, 2))) == 3 and "test_size=0.25" in repr(ss)


# -- the shared layout (task_column=None) ----------------------------------------------------
def test_shared_layout_is_kfold_and_checks_observed_targets():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((20, 3)), rng.standard_normal((20, 3))
    for kw in ({}, {"shuffle": True, "random_state": 4}):
        _same_folds(list(TaskStratifiedKFold(4, task_column=None, **kw).split(X, Y)),
                    list(KFold(4, **kw).split(X)))
    Y[:, 1] = np.nan
    Y[[0, 10], 1] = 1.0  # task 1 observed in folds 0 and 2 only (5 rows each)
    cv = TaskStratifiedKFold(4, task_column=None)
    with pytest.raises(ValueError, match=r"task 1 \(column 1 of y\) has no observed target in "
                                         r"the test part of split 1 of 4"):
        cv.split(X, Y)
    Y[:, 1] = np.nan
    Y[:4, 1] = 1.0  # within fold 0: split 0 has none to train on
    with pytest.raises(ValueError, match=r"task 'b' .* training part of split 0"):
        cv.split(X, pd.DataFrame(Y, columns=["a", "b", "c"]))
    list(cv.split(X, Y[:, 0]))  # 1-D y: a single task, nothing to check


def test_shared_layout_shuffle_split_is_shuffle_split():
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((30, 2)), rng.standard_normal((30, 2))
    ours = list(TaskStratifiedShuffleSplit(4, test_size=0.3, task_column=None,
                                           random_state=0).split(X, Y))
    ref = ShuffleSplit(4, test_size=0.3, random_state=0).split(X)
    for (tr, te), (tr_ref, te_ref) in zip(ours, ref):
        np.testing.assert_array_equal(tr, np.sort(tr_ref))
        np.testing.assert_array_equal(te, np.sort(te_ref))
    Y[1:, 0] = np.nan  # a single observed target cannot be on both sides
    with pytest.raises(ValueError, match=r"task 0 \(column 0 of y\) has no observed target"):
        TaskStratifiedShuffleSplit(4, task_column=None, random_state=0).split(X, Y)


# -- TaskStratifiedShuffleSplit --------------------------------------------------------------
@pytest.mark.parametrize("test_size, train_size, frac_test, frac_train", [
    (None, None, 0.1, 0.9),
    (0.25, None, 0.25, 0.75),
    (None, 0.6, 0.4, 0.6),
    (0.2, 0.5, 0.2, 0.5),
    (30, None, 0.3, 0.7),  # 30 of the 100 rows
])
def test_shuffle_split_gives_every_task_the_same_fractions(test_size, train_size, frac_test,
                                                            frac_train):
    sizes = [10, 23, 2, 40, 25]
    X = _tasks_X(sizes, interleave=True, seed=2)
    task = X[:, -1].astype(int)
    cv = TaskStratifiedShuffleSplit(5, test_size=test_size, train_size=train_size,
                                    random_state=0)
    splits = list(cv.split(X))
    assert len(splits) == 5
    n = np.array(sizes)
    # ShuffleSplit's rounding per task (test up, train down), at least one row on each side
    want_train = np.maximum(np.floor(np.round(frac_train * n, 9)), 1)
    want_test = np.minimum(np.ceil(np.round(frac_test * n, 9)), n - want_train)
    for train, test in splits:
        assert np.intersect1d(train, test).size == 0
        np.testing.assert_array_equal(np.bincount(task[test], minlength=len(sizes)), want_test)
        np.testing.assert_array_equal(np.bincount(task[train], minlength=len(sizes)), want_train)
    assert len({tuple(test) for _, test in splits}) > 1  # the splits differ
    again = list(cv.split(X))
    _same_folds(splits, again)  # an int random_state: the same splits on every call


def test_shuffle_split_errors():
    X = _tasks_X([6, 1, 5])
    df = pd.DataFrame(X[:, :-1], columns=["a", "b"]).assign(
        site=np.array(["A", "lonely", "C"])[X[:, -1].astype(int)])
    with pytest.raises(ValueError, match=r"task 'lonely' \(1 row\) has a single row"):
        TaskStratifiedShuffleSplit(task_column="site").split(df)
    for kwargs, match in [({"n_splits": 0}, "at least one split"),
                          ({"test_size": 1.0}, r"must be in \(0, 1\)"),
                          ({"test_size": 0}, "at least 1 row"),
                          ({"train_size": "half"}, "must be a float"),
                          ({"test_size": 0.5, "train_size": 0.6}, "add up to more")]:
        with pytest.raises(ValueError, match=match):
            TaskStratifiedShuffleSplit(**kwargs).split(_tasks_X([10, 10]))
    with pytest.raises(ValueError, match="test_size=20 rows leaves none"):
        TaskStratifiedShuffleSplit(test_size=20).split(_tasks_X([10, 10]))


# -- in scikit-learn's model selection -------------------------------------------------------
def _grouped_problem(sizes=(30, 40, 35, 25), seed=0, p=5):
    """Per-task rows grouped by task (as stack_tasks stacks them), task-specific models."""
    rng = np.random.default_rng(seed)
    Xs = [rng.standard_normal((n, p)) for n in sizes]
    ys = [Xt @ rng.standard_normal(p) + 3 * t + 0.1 * rng.standard_normal(len(Xt))
          for t, Xt in enumerate(Xs)]
    return stack_tasks(Xs, ys)


def test_cross_val_score_finite_with_the_splitter_where_cv5_fails():
    X, y = _grouped_problem()
    est = GroupLassoRegressor(alpha=0.01, task_column=-1)
    scores = cross_val_score(est, X, y, cv=TaskStratifiedKFold(5))
    assert scores.shape == (5,) and np.all(np.isfinite(scores)) and scores.min() > 0.5
    # cv=5 (KFold on rows grouped by task) holds whole tasks out of training
    with pytest.raises(ValueError, match="not seen in fit.*TaskStratifiedKFold"):
        cross_val_score(est, X, y, cv=5, error_score="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(cross_val_score(est, X, y, cv=5)).any()


def test_grid_search_and_cross_validate_in_both_layouts():
    X, y = _grouped_problem()
    pipe = make_pipeline(
        ColumnTransformer([("scale", StandardScaler(), list(range(5)))],
                          remainder="passthrough"),
        GroupLassoRegressor(task_column=-1))
    for cv in (TaskStratifiedKFold(3, shuffle=True, random_state=0),
               TaskStratifiedShuffleSplit(3, test_size=0.25, random_state=0)):
        search = GridSearchCV(pipe, {"grouplassoregressor__alpha": [0.3, 0.01]}, cv=cv,
                              error_score="raise").fit(X, y)
        assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
        res = cross_validate(GroupLassoRegressor(alpha=0.01, task_column=-1), X, y, cv=cv,
                             error_score="raise")
        assert np.all(np.isfinite(res["test_score"]))
    # shared layout: Y with one column per task, NaN for missing targets
    rng = np.random.default_rng(1)
    Xs = rng.standard_normal((60, 4))
    Y = Xs @ rng.standard_normal((4, 3)) + 0.1 * rng.standard_normal((60, 3))
    Y[rng.random(Y.shape) < 0.2] = np.nan
    for cv in (TaskStratifiedKFold(3, task_column=None),
               TaskStratifiedShuffleSplit(3, task_column=None, random_state=0)):
        res = cross_validate(GroupLassoRegressor(alpha=0.01), Xs, Y, cv=cv, error_score="raise")
        assert np.all(np.isfinite(res["test_score"]))
        search = GridSearchCV(GroupLassoRegressor(), {"alpha": [0.1, 0.01]}, cv=cv,
                              error_score="raise").fit(Xs, Y)
        assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


# -- issue 13's acceptance test: School as a DataFrame with school names ---------------------
@needs_data("malsar", "school.mat")
@pytest.mark.parametrize("output", ["numpy", "pandas"])
def test_school_grid_search_in_a_pipeline_with_named_string_tasks(output):
    from mtlclassic.datasets import load_school

    school = load_school(DATA_DIR)
    features = list(school.feature_names)
    df = pd.DataFrame(school.X[:, :-1], columns=features)
    names = np.array([f"school_{t + 1:03d}" for t in range(school.n_tasks)], dtype=object)
    df["school"] = names[school.X[:, -1].astype(int)]
    # the grid spans alpha_max of the scaled features down by 10^1.5
    scaled = np.column_stack([StandardScaler().fit_transform(school.X[:, :-1]), school.X[:, -1]])
    grid = alpha_max(scaled, school.y, task_column=-1) * np.logspace(-0.5, -2, 4)
    scale = ColumnTransformer([("scale", StandardScaler(), features)], remainder="passthrough")
    if output == "pandas":
        scale.set_output(transform="pandas")  # the task column becomes remainder__school
        estimator = GroupLassoRegressor(task_column="school")
    else:
        # a numpy output has no column names: the passthrough task column is the last one
        estimator = GroupLassoRegressor(task_column=-1)
    search = GridSearchCV(make_pipeline(scale, estimator), {"grouplassoregressor__alpha": grid},
                          cv=TaskStratifiedKFold(5, task_column="school"), error_score="raise")
    search.fit(df, school.y)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    best = int(np.argmax(scores))
    assert 0 < best < len(grid) - 1, scores  # strictly inside the grid
    assert list(search.best_estimator_[-1].tasks_) == sorted(set(names))
