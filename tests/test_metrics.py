"""Multi-task metrics and scorers: against scikit-learn per task, the two layouts agree,
GridSearchCV with every scorer in both layouts, bad input."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mtlclassic import GroupLassoClassifier, GroupLassoRegressor
from mtlclassic.datasets import (make_multitask_classification, make_multitask_regression,
                                 make_task_relation_classification)
from mtlclassic.metrics import (MultiTaskScorer, explained_variance, explained_variance_scorer,
                                get_scorer, make_scorer, neg_nmse_scorer, nmse, r2, r2_scorer,
                                read_tasks, roc_auc, roc_auc_scorer)

AVERAGES = ["raw_values", "uniform_average", "weighted", "pooled"]


def _regression_per_task(seed=0, sizes=(8, 15, 11, 20)):
    rng = np.random.default_rng(seed)
    tasks = np.repeat([3, 7, 1, 5], sizes)  # unsorted labels: results follow sorted labels
    y = rng.normal(size=tasks.size) * np.repeat([1.0, 5.0, 0.5, 2.0], sizes) + tasks
    pred = y + rng.normal(size=tasks.size)
    w = rng.uniform(0.2, 3.0, tasks.size)
    return y, pred, tasks, w


def _binary_per_task(seed=0, sizes=(12, 20, 16)):
    rng = np.random.default_rng(seed)
    tasks = np.repeat(np.arange(len(sizes)), sizes)
    y = rng.integers(0, 2, tasks.size)
    for t in range(len(sizes)):  # both classes in every task
        y[np.flatnonzero(tasks == t)[:2]] = [0, 1]
    score = y + rng.normal(size=tasks.size)
    return y, score, tasks, rng.uniform(0.2, 3.0, tasks.size)


# ---------------------------------------------------------------------------
# Definitions, against scikit-learn and by hand
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
def test_per_task_values_match_sklearn(weighted):
    y, pred, tasks, w = _regression_per_task()
    w = w if weighted else None
    labels = np.unique(tasks)
    ref_r2 = np.array([r2_score(y[tasks == t], pred[tasks == t],
                                sample_weight=None if w is None else w[tasks == t])
                       for t in labels])
    np.testing.assert_allclose(r2(y, pred, tasks=tasks, sample_weight=w, average="raw_values"),
                               ref_r2, rtol=1e-12)
    np.testing.assert_allclose(nmse(y, pred, tasks=tasks, sample_weight=w, average="raw_values"),
                               1 - ref_r2, rtol=1e-12)
    # nMSE_t = MSE_t / Var(y_t), written out
    t = labels[1]
    yt, pt = y[tasks == t], pred[tasks == t]
    wt = np.ones(yt.size) if w is None else w[tasks == t]
    mse = np.average((yt - pt) ** 2, weights=wt)
    var = np.average((yt - np.average(yt, weights=wt)) ** 2, weights=wt)
    assert nmse(y, pred, tasks=tasks, sample_weight=w, average="raw_values")[1] == \
        pytest.approx(mse / var, rel=1e-12)
    # averages: uniform, weighted by task size (sum of weights), pooled
    size = np.array([(np.ones(y.size) if w is None else w)[tasks == t].sum() for t in labels])
    assert r2(y, pred, tasks=tasks, sample_weight=w) == pytest.approx(ref_r2.mean(), rel=1e-12)
    assert r2(y, pred, tasks=tasks, sample_weight=w, average="weighted") == pytest.approx(
        np.sum(size * ref_r2) / size.sum(), rel=1e-12)
    assert r2(y, pred, tasks=tasks, sample_weight=w, average="pooled") == \
        pytest.approx(r2_score(y, pred, sample_weight=w), rel=1e-12)
    # explained variance (Bakker & Heskes): 1 - SSE / total sum of squares around the overall mean
    ww = np.ones(y.size) if w is None else w
    ev = 1 - np.sum(ww * (y - pred) ** 2) / np.sum(ww * (y - np.average(y, weights=ww)) ** 2)
    assert explained_variance(y, pred, tasks=tasks, sample_weight=w) == pytest.approx(ev,
                                                                                      rel=1e-12)
    assert nmse(y, pred, tasks=tasks, sample_weight=w, average="pooled") == pytest.approx(
        1 - ev, rel=1e-12)
    np.testing.assert_allclose(
        explained_variance(y, pred, tasks=tasks, sample_weight=w, average="raw_values"), ref_r2)


def test_explained_variance_penalises_bias_unlike_sklearn():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    pred = y + 1.0  # perfectly correlated, biased
    assert explained_variance(y, pred) == pytest.approx(1 - 4 / 5)
    from sklearn.metrics import explained_variance_score
    assert explained_variance_score(y, pred) == pytest.approx(1.0)


@pytest.mark.parametrize("weighted", [False, True])
def test_roc_auc_matches_sklearn(weighted):
    y, score, tasks, w = _binary_per_task()
    w = w if weighted else None
    ref = np.array([roc_auc_score(y[tasks == t], score[tasks == t],
                                  sample_weight=None if w is None else w[tasks == t])
                    for t in range(3)])
    np.testing.assert_allclose(roc_auc(y, score, tasks=tasks, sample_weight=w,
                                       average="raw_values"), ref, rtol=1e-12)
    assert roc_auc(y, score, tasks=tasks, sample_weight=w) == pytest.approx(ref.mean())
    assert roc_auc(y, score, tasks=tasks, sample_weight=w, average="pooled") == pytest.approx(
        roc_auc_score(y, score, sample_weight=w))
    # string labels: the greater one ("yes") is the positive class
    labels = np.where(y == 1, "yes", "no")
    np.testing.assert_allclose(roc_auc(labels, score, tasks=tasks, average="raw_values"),
                               roc_auc(y, score, tasks=tasks, average="raw_values"))


def test_one_task_without_tasks_is_sklearn():
    y, pred, _, _ = _regression_per_task()
    assert r2(y, pred) == pytest.approx(r2_score(y, pred))
    assert nmse(y, pred, average="raw_values").shape == (1,)


# ---------------------------------------------------------------------------
# The two layouts give the same numbers
# ---------------------------------------------------------------------------


def _shared_and_stacked(Y, P):
    """The observed entries of a shared (n, T) problem as per-task rows (task = column)."""
    rows, cols = np.nonzero(~np.isnan(Y))
    return Y[rows, cols], P[rows, cols], cols, rows


@pytest.mark.parametrize("metric", [nmse, r2, explained_variance])
@pytest.mark.parametrize("average", AVERAGES)
def test_layouts_agree_regression(metric, average):
    rng = np.random.default_rng(1)
    Y = rng.normal(size=(30, 4)) * [1.0, 3.0, 0.5, 2.0]
    P = Y + rng.normal(size=Y.shape)
    Y[rng.random(Y.shape) < 0.3] = np.nan
    P[np.isnan(Y)] = 123.0  # predictions where the target is missing are ignored
    w = rng.uniform(0.5, 2.0, 30)
    y, p, tasks, rows = _shared_and_stacked(Y, P)
    shared = metric(Y, P, sample_weight=w, average=average)
    per_task = metric(y, p, tasks=tasks, sample_weight=w[rows], average=average)
    np.testing.assert_allclose(shared, per_task, rtol=1e-12)


@pytest.mark.parametrize("average", AVERAGES)
def test_layouts_agree_auc(average):
    rng = np.random.default_rng(2)
    Y = rng.integers(0, 2, size=(40, 3)).astype(float)
    S = Y + rng.normal(size=Y.shape)
    Y[rng.random(Y.shape) < 0.2] = np.nan
    y, s, tasks, _ = _shared_and_stacked(Y, S)
    np.testing.assert_allclose(roc_auc(Y, S, average=average),
                               roc_auc(y, s, tasks=tasks, average=average), rtol=1e-12)


# ---------------------------------------------------------------------------
# Undefined tasks and bad input
# ---------------------------------------------------------------------------


def test_undefined_tasks_are_left_out_with_a_warning():
    y = np.array([1.0, 1.0, 1.0, 2.0, 4.0, 3.0])
    pred = np.array([1.0, 2.0, 0.0, 2.0, 3.0, 3.0])
    tasks = np.array([0, 0, 0, 1, 1, 1])  # task 0: constant target
    raw = nmse(y, pred, tasks=tasks, average="raw_values")
    assert np.isnan(raw[0]) and raw[1] == pytest.approx(1 / 2)
    with pytest.warns(UndefinedMetricWarning, match=r"task\(s\) \[0\]"):
        assert r2(y, pred, tasks=tasks) == pytest.approx(1 / 2)
    with pytest.raises(ValueError, match="undefined for every task"):
        nmse(y[:3], pred[:3], tasks=tasks[:3])
    labels = np.array([0, 0, 1, 0, 1, 1])
    with pytest.warns(UndefinedMetricWarning, match=r"task\(s\) \[2\]"):  # one class only
        auc = roc_auc(labels, pred, tasks=np.array([0, 0, 0, 1, 1, 2]))
    assert auc == pytest.approx(np.mean([roc_auc_score([0, 0, 1], pred[:3]),
                                         roc_auc_score([0, 1], pred[3:5])]))


@pytest.mark.parametrize("call, message", [
    (lambda: nmse([1.0, 2.0, 3.0], [1.0, 2.0]), r"shape \(3,\) but y_pred has shape \(2,\)"),
    (lambda: nmse([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], tasks=[0, 1]), "one label per row"),
    (lambda: nmse([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], average="macro"), "average must be one of"),
    (lambda: r2(np.ones((3, 2)), np.ones((3, 2)), tasks=[0, 1, 1]), "shared layout"),
    (lambda: r2([1.0, np.nan, 3.0], [1.0, 2.0, 3.0]), "y_true holds NaN"),
    (lambda: r2([1.0, 2.0, 3.0], [1.0, np.inf, 3.0]), "y_pred holds NaN or infinite"),
    (lambda: r2(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]]),
                np.array([[1.0, np.nan], [3.0, 4.0], [5.0, 7.0]])), "where y_true is observed"),
    (lambda: r2([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], sample_weight=[1.0, 2.0]),
     r"sample_weight must be of shape \(3,\)"),
    (lambda: r2([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], tasks=[0, None, 1]), "missing values"),
    (lambda: roc_auc([0, 1, 2, 1], [0.1, 0.2, 0.3, 0.4]), "holds 3 class"),
    (lambda: nmse(["a", "b", "c"], [1.0, 2.0, 3.0]), "numeric targets"),
    (lambda: nmse([1.0, 2.0], ["x", "y"]), "y_pred must be numeric"),
    (lambda: nmse(np.ones((2, 2, 2)), np.ones((2, 2, 2))), "1-D or 2-D"),
    (lambda: nmse(sp.csr_matrix(np.ones((2, 2))), np.ones((2, 2))), "sparse"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------------
# Scorers
# ---------------------------------------------------------------------------


def _per_task_regression(seed=0):
    return make_multitask_regression(n_samples=[25, 30, 35], n_features=6, n_tasks=3,
                                     layout="per_task", random_state=seed)[:2]


def test_scorers_are_the_metrics_on_predictions_shared():
    X, Y, _ = make_multitask_regression(n_samples=40, n_features=6, n_tasks=3, random_state=0)
    Y = Y.copy()
    Y[::5, 1] = np.nan
    model = GroupLassoRegressor(alpha=0.05).fit(X, Y)
    P = model.predict(X)
    assert neg_nmse_scorer(model, X, Y) == pytest.approx(-nmse(Y, P))
    assert r2_scorer(model, X, Y) == pytest.approx(model.score(X, Y), rel=1e-12)
    assert explained_variance_scorer(model, X, Y) == pytest.approx(explained_variance(Y, P))
    w = np.linspace(0.5, 2.0, 40)
    assert r2_scorer(model, X, Y, sample_weight=w) == pytest.approx(r2(Y, P, sample_weight=w))


@pytest.mark.parametrize("as_frame", [False, True])
@pytest.mark.parametrize("task_column", [-1, 6])
def test_scorers_read_the_task_column(as_frame, task_column):
    X, y = _per_task_regression()
    tasks = X[:, -1].astype(int)
    if as_frame:
        pd = pytest.importorskip("pandas")
        X = pd.DataFrame(X[:, :6], columns=[f"f{j}" for j in range(6)]).assign(
            school=np.array(["a", "b", "c"])[tasks])
        task_column = "school" if task_column == 6 else task_column
    model = GroupLassoRegressor(alpha=0.05, task_column=task_column).fit(X, y)
    pred = model.predict(X)
    assert r2_scorer(model, X, y) == pytest.approx(model.score(X, y), rel=1e-12)
    assert neg_nmse_scorer(model, X, y) == pytest.approx(
        -nmse(y, pred, tasks=tasks), rel=1e-12)
    np.testing.assert_array_equal(np.unique(read_tasks(X, task_column), return_inverse=True)[1],
                                  tasks)


def test_scorer_sparse_pipeline_and_explicit_column():
    X, y = _per_task_regression(1)
    tasks = X[:, -1]
    model = GroupLassoRegressor(alpha=0.05, task_column=-1).fit(sp.csr_matrix(X), y)
    assert r2_scorer(model, sp.csr_matrix(X), y) == pytest.approx(model.score(X, y), rel=1e-12)
    # the task column is first in the raw X; the scaler leaves it out and puts it last
    Xraw = np.column_stack([tasks, X[:, :-1]])
    pipe = make_pipeline(ColumnTransformer([("scale", StandardScaler(), list(range(1, 7)))],
                                           remainder="passthrough"),
                         GroupLassoRegressor(alpha=0.05, task_column=-1)).fit(Xraw, y)
    pred = pipe.predict(Xraw)
    assert neg_nmse_scorer(pipe, Xraw, y) == pytest.approx(-nmse(y, pred, tasks=tasks))
    explicit = make_scorer("nmse", greater_is_better=False, task_column=0)
    assert explicit(pipe, Xraw, y) == pytest.approx(neg_nmse_scorer(pipe, Xraw, y))
    # task_column=None forces one task over all rows
    pooled = make_scorer("r2", task_column=None)
    assert pooled(pipe, Xraw, y) == pytest.approx(r2_score(y, pred))


def test_roc_auc_scorer_response_methods():
    X, y, _ = make_task_relation_classification([30, 40, 35], 6, 3, n_clusters=2,
                                                layout="per_task", random_state=0)
    model = GroupLassoClassifier(alpha=0.01, task_column=-1).fit(X, y)
    tasks = X[:, -1]
    ref = roc_auc(y, model.decision_function(X), tasks=tasks)
    assert roc_auc_scorer(model, X, y) == pytest.approx(ref)
    proba = make_scorer("roc_auc", response_method="predict_proba")
    assert proba(model, X, y) == pytest.approx(ref)  # sigmoid is monotone: same ranking
    # a scikit-learn classifier without task_column: one task, predict_proba fallback
    lr = LogisticRegression().fit(X[:, :-1], y)
    assert make_scorer("roc_auc", response_method=("predict_proba",))(lr, X[:, :-1], y) == \
        pytest.approx(roc_auc_score(y, lr.predict_proba(X[:, :-1])[:, 1]))
    with pytest.raises(ValueError, match="has none of the methods"):
        roc_auc_scorer(GroupLassoRegressor().fit(X, y), X, y)


def test_get_and_make_scorer_validation():
    assert get_scorer("neg_nmse") is neg_nmse_scorer
    assert "neg_nmse" in repr(neg_nmse_scorer)
    for bad, message in [(lambda: get_scorer("nmse"), "Unknown scorer"),
                         (lambda: make_scorer("mae"), "Unknown metric"),
                         (lambda: make_scorer(3), "name or a callable"),
                         (lambda: make_scorer("r2", average="macro"), "average must be"),
                         (lambda: make_scorer("r2", response_method="transform"),
                          "response_method must be")]:
        with pytest.raises(ValueError, match=message):
            bad()
    assert isinstance(make_scorer(r2), MultiTaskScorer)


# ---------------------------------------------------------------------------
# GridSearchCV with every scorer, both layouts
# ---------------------------------------------------------------------------


def _manual_cv(est, X, y, cv, score):
    out = []
    for train, test in cv:
        fitted = est.fit(X[train], y[train])
        out.append(score(fitted, X[test], y[test]))
    return np.mean(out)


@pytest.mark.parametrize("name", ["neg_nmse", "r2", "explained_variance"])
@pytest.mark.parametrize("layout", ["shared", "per_task"])
def test_grid_search_regression(name, layout):
    if layout == "shared":
        X, y, _ = make_multitask_regression(n_samples=60, n_features=8, n_tasks=3,
                                            random_state=0)
        cv = list(KFold(3, shuffle=True, random_state=0).split(X))
        est = GroupLassoRegressor()
    else:
        X, y, _ = make_multitask_regression(n_samples=[20, 25, 30], n_features=8, n_tasks=3,
                                            layout="per_task", random_state=0)
        cv = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, X[:, -1]))
        est = GroupLassoRegressor(task_column=-1)
    scorer = get_scorer(name)
    search = GridSearchCV(est, {"alpha": [0.01, 0.3]}, scoring=scorer, cv=cv).fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    metric = {"neg_nmse": lambda t, p, **k: -nmse(t, p, **k), "r2": r2,
              "explained_variance": explained_variance}[name]

    def score(model, Xt, yt):
        tasks = None if layout == "shared" else Xt[:, -1]
        return metric(yt, model.predict(Xt), tasks=tasks)

    for k, alpha in enumerate([0.01, 0.3]):
        ref = _manual_cv(GroupLassoRegressor(alpha=alpha, task_column=est.task_column), X, y, cv,
                         score)
        assert search.cv_results_["mean_test_score"][k] == pytest.approx(ref, rel=1e-10)
    # cross_val_score takes it as well
    scores = cross_val_score(est.set_params(alpha=0.3), X, y, cv=cv, scoring=scorer)
    assert np.mean(scores) == pytest.approx(search.cv_results_["mean_test_score"][1], rel=1e-10)


@pytest.mark.parametrize("layout", ["shared", "per_task"])
def test_grid_search_roc_auc(layout):
    if layout == "shared":
        X, y, _ = make_multitask_classification(n_samples=90, n_features=6, n_tasks=3,
                                                random_state=0)
        cv = list(KFold(3, shuffle=True, random_state=0).split(X))
        est = GroupLassoClassifier()
    else:
        X, y, _ = make_multitask_classification(n_samples=[30, 36, 40], n_features=6,
                                                n_tasks=3, layout="per_task", random_state=0)
        cv = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, X[:, -1]))
        est = GroupLassoClassifier(task_column=-1)
    search = GridSearchCV(est, {"alpha": [0.005, 0.05]}, scoring=roc_auc_scorer, cv=cv)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a failed scoring would warn
        search.fit(X, y)

    def score(model, Xt, yt):
        tasks = None if layout == "shared" else Xt[:, -1]
        return roc_auc(yt, model.decision_function(Xt), tasks=tasks)

    ref = _manual_cv(GroupLassoClassifier(alpha=0.005, task_column=est.task_column), X, y, cv,
                     score)
    assert search.cv_results_["mean_test_score"][0] == pytest.approx(ref, rel=1e-10)
    assert 0.5 < search.best_score_ <= 1.0
