"""``mtlclassic.compare`` and ``mtlclassic compare``: protocol, results, files, figures, errors.

The problems are tiny (3 tasks, a few features) so that the whole module runs
in seconds; the real-data tests skip when the data ($MTLCLASSIC_DATA, default
../shared/data) are absent.
"""

import csv
import importlib.util
import io
import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from conftest import DATA_DIR

import mtlclassic
from mtlclassic import GroupLassoRegressor, RidgeRegressor, alpha_max
from mtlclassic.cli import main
from mtlclassic.compare import (REGISTRY, CompareResult, DataError, Dataset, ModelSpec,
                                as_dataset, available_models, compare, parse_data, synthetic)
from mtlclassic.compare._progress import Progress, progress_bar
from mtlclassic.compare._registry import FRACTIONS, alpha_max_grid, fixed_grid
from mtlclassic.estimators import kernel_grid
from mtlclassic.compare._splits import inner_folds, outer_splits

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = DATA_DIR  # $MTLCLASSIC_DATA, default ../shared/data
TINY = "synthetic:tasks=3,features=8,shared=3,specific=1,samples=24-36"
TINY_CLF = "synthetic-classification:tasks=3,features=8,shared=3,specific=1,samples=40-60"
MODELS = "ridge,pooled,group-lasso"


@pytest.fixture(scope="module")
def tiny_result(tmp_path_factory):
    """One regression comparison with files written, shared by several tests."""
    out = tmp_path_factory.mktemp("compare")
    return compare(TINY, MODELS, n_splits=2, random_state=3, out=out), out


# -- data ---------------------------------------------------------------------------
def test_default_data_is_the_embedded_regression_scenario():
    data = synthetic()
    assert data.kind == "regression" and data.layout == "per_task"
    assert data.n_tasks == 10 and data.n_features == 50
    sizes = data.task_sizes()
    assert sizes.sum() == data.X.shape[0] == data.y.shape[0]
    assert 30 <= sizes.min() and sizes.max() <= 90
    assert data.coef.shape == (10, 50)
    # a support shared by every task: what the MTL models can exploit
    assert np.sum(np.all(data.coef != 0, axis=0)) == 5


def test_parse_synthetic_options():
    data = parse_data("synthetic:tasks=4,features=12,samples=20-25,seed=2")
    assert (data.n_tasks, data.n_features) == (4, 12)
    assert 20 <= data.task_sizes().min() and data.task_sizes().max() <= 25
    again = parse_data("synthetic:tasks=4,features=12,samples=20-25,seed=2")
    np.testing.assert_array_equal(data.X, again.X)
    other = parse_data("synthetic:tasks=4,features=12,samples=20-25,seed=3")
    assert not np.array_equal(data.X[:10], other.X[:10])
    clf = parse_data("synthetic-classification:tasks=3,features=5")
    assert clf.kind == "classification" and set(np.unique(clf.y)) == {0, 1}


@pytest.mark.parametrize("spec, match", [
    ("nonsense", "unknown data"),
    ("school", "needs a path"),
    ("school:/no/such/folder", "does not exist"),
    ("synthetic:tasks=1", "tasks >= 2"),
    ("synthetic:colour=red", "bad synthetic option"),
    ("synthetic:tasks=many", "bad value"),
    ("", "non-empty"),
])
def test_bad_data_specs(spec, match):
    with pytest.raises(DataError, match=match):
        parse_data(spec)


def test_unreadable_data_file_is_a_data_error(tmp_path):
    bad = tmp_path / "school.mat"
    bad.write_bytes(b"not a MATLAB file")
    with pytest.raises(DataError, match="cannot read school data"):
        parse_data(f"school:{bad}")


def test_as_dataset_from_a_loader_bunch_and_tuples():
    from sklearn.utils import Bunch

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.standard_normal((12, 3)), np.repeat([0.0, 1.0, 2.0], 4)])
    y = (rng.random(12) > 0.5).astype(int)
    bunch = Bunch(X=X, y=y, task_column=-1, task_names=["a", "b", "c"],
                  DESCR="Title line\n=====\nmore")
    data = as_dataset(bunch, name="toy")
    assert data.kind == "classification" and data.layout == "per_task"
    assert list(data.tasks) == ["a", "b", "c"]
    assert data.description == "Title line"
    np.testing.assert_array_equal(data.X, X[:, :3])  # the task column removed
    np.testing.assert_array_equal(data.task, np.repeat([0, 1, 2], 4))
    shared = as_dataset((X[:, :3], rng.standard_normal((12, 2))))
    assert shared.layout == "shared" and shared.n_tasks == 2 and shared.kind == "regression"
    with pytest.raises(DataError, match="X and y"):
        as_dataset({"X": X})


# -- splits -------------------------------------------------------------------------
@pytest.mark.parametrize("spec", [TINY, TINY_CLF])
def test_outer_splits_are_stratified_by_task(spec):
    data = parse_data(spec)
    splits = outer_splits(data, 4, 0.7, np.random.default_rng(0), min_train=3)
    n = data.X.shape[0]
    for train, test in splits:
        assert np.intersect1d(train, test).size == 0
        assert np.union1d(train, test).size == n
        for t in range(data.n_tasks):
            rows = np.flatnonzero(data.task == t)
            n_train = np.isin(rows, train).sum()
            # each task's own rows are split with the fraction (+-1 per class stratum)
            assert abs(n_train - 0.7 * rows.size) <= 2
            assert np.isin(rows, test).any()
            if data.kind == "classification":  # both classes on both sides
                for side in (train, test):
                    assert np.unique(data.y[np.intersect1d(rows, side)]).size == 2
    assert not np.array_equal(splits[0][0], splits[1][0])


def test_inner_folds_keep_every_task_in_every_training_fold():
    data = parse_data(TINY)
    train, _ = outer_splits(data, 1, 0.75, np.random.default_rng(1), min_train=3)[0]
    folds = inner_folds(data, train, 3, seed=0)
    assert len(folds) == 3
    for fit_rows, val_rows in folds:
        for rows in (fit_rows, val_rows):
            assert set(data.task[train][rows]) == set(range(data.n_tasks))


def test_too_small_task_is_a_clear_error():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.standard_normal((14, 2)), np.r_[np.zeros(11), np.ones(3)]])
    # the label 1.0 of a float column is the task 1 (whole numbers are shown as ints)
    with pytest.raises(ValueError, match=r"task\(s\) \[1\] have fewer than 4 rows"):
        compare((X, rng.standard_normal(14), -1), "ridge", n_splits=1, cv=3)


# -- results ------------------------------------------------------------------------
def test_result_structure(tiny_result):
    result, _ = tiny_result
    assert isinstance(result, CompareResult)
    assert list(result.models) == MODELS.split(",")
    assert result.metrics == ["nmse", "explained_variance", "r2", "mse", "rmse"]
    assert result.main_metric == "nmse" and result.kind == "regression"
    assert len(result.splits) == result.n_splits == 2
    for name, r in result.models.items():
        assert r.errors == []
        for m in result.metrics:
            assert r.scores[m].shape == (2,) and np.all(np.isfinite(r.scores[m]))
            assert r.task_scores[m].shape == (2, 3)
            assert r.sd(m) >= 0
        for m in ("nmse", "r2"):  # averaged over tasks with equal weights
            np.testing.assert_allclose(r.scores[m], r.task_scores[m].mean(axis=1))
        np.testing.assert_allclose(r.scores["r2"], 1 - r.scores["nmse"])  # R^2 = 1 - nMSE
        assert np.all(r.fit_time > 0) and np.all(r.tune_time > 0)
        assert all(label is not None for label in r.labels) and len(r.params) == 2
        assert r.estimator_ is not None and r.estimator_.coef_.shape == (3, 8)
    assert result.models["group-lasso"].support.shape == (2, 3)
    assert result.best() in result.models
    rows = result.summary()
    assert [row["model"] for row in rows] == list(result.models)
    assert len(result.to_records()) == 6 and len(result.to_records(per_task=True)) == 18
    text = result.table()
    for name in result.models:
        assert name in text
    assert text.count(" *") >= 3  # the best mean of each metric is starred


def test_scores_match_an_independent_recomputation(tiny_result):
    """Refit ridge with the chosen alpha on split 0 by hand and recompute every score."""
    result, _ = tiny_result
    data = parse_data(TINY)
    train, test = result.splits[0]
    mean, sd = data.X[train].mean(axis=0), data.X[train].std(axis=0)
    Xs = np.column_stack([(data.X - mean) / sd, data.task])
    # Every parameter compare chose (alpha, and the secondary axes: task_weights,
    # intercept_shrinkage).
    params = result.models["ridge"].params[0]
    model = RidgeRegressor(**params, task_column=-1).fit(Xs[train], data.y[train])
    pred = model.predict(Xs[test])
    nmse = []
    for t in range(3):
        rows = data.task[test] == t
        yt, pt = data.y[test][rows], pred[rows]
        nmse.append(np.mean((yt - pt) ** 2) / np.var(yt))
    # explained variance as Bakker & Heskes / Argyriou et al.: pooled over all test rows
    y_test = data.y[test]
    ev = 1 - np.sum((y_test - pred) ** 2) / np.sum((y_test - y_test.mean()) ** 2)
    r = result.models["ridge"]
    np.testing.assert_allclose(r.task_scores["nmse"][0], nmse, rtol=1e-6)
    np.testing.assert_allclose(r.scores["nmse"][0], np.mean(nmse), rtol=1e-6)
    np.testing.assert_allclose(r.scores["explained_variance"][0], ev, rtol=1e-6)


def test_default_grid_is_fractions_of_alpha_max(tiny_result):
    result, _ = tiny_result
    data = parse_data(TINY)
    train, _ = result.splits[1]
    Xs = np.column_stack([(data.X - data.X[train].mean(0)) / data.X[train].std(0), data.task])
    top = alpha_max(Xs[train], data.y[train], penalty="l21", task_column=-1)
    chosen = result.models["group-lasso"].params[1]["alpha"]
    assert min(abs(chosen / (f * top) - 1) for f in FRACTIONS) < 1e-9
    grid = REGISTRY["group-lasso"].grid("regression", Xs[train], data.y[train], -1)
    np.testing.assert_allclose([p["alpha"] for _, p in grid], np.array(FRACTIONS) * top)


def test_same_seed_same_results_other_seed_other_splits():
    a = compare(TINY, "ridge,group-lasso", n_splits=2, random_state=5)
    b = compare(TINY, "ridge,group-lasso", n_splits=2, random_state=5)
    c = compare(TINY, "ridge,group-lasso", n_splits=2, random_state=6)
    for name in a.models:
        for m in a.metrics:
            np.testing.assert_array_equal(a.models[name].task_scores[m],
                                          b.models[name].task_scores[m])
        assert a.models[name].params == b.models[name].params
    assert not np.array_equal(a.splits[0][0], c.splits[0][0])
    assert not np.array_equal(a.models["ridge"].scores["nmse"], c.models["ridge"].scores["nmse"])


def test_worker_processes_give_the_same_results():
    serial = compare(TINY, "ridge,group-lasso", n_splits=2, random_state=4)
    parallel = compare(TINY, "ridge,group-lasso", n_splits=2, random_state=4, n_jobs=2)
    for name in serial.models:
        np.testing.assert_array_equal(serial.models[name].task_scores["nmse"],
                                      parallel.models[name].task_scores["nmse"])
        assert serial.models[name].params == parallel.models[name].params


def test_user_grid_overrides_the_default():
    r = compare(TINY, "ridge,group-lasso", n_splits=2,
                grids={"ridge": {"alpha": [0.37]}, "group-lasso": [{"alpha": 0.01},
                                                                   {"alpha": 0.02}]})
    assert [p["alpha"] for p in r.models["ridge"].params] == [0.37, 0.37]
    assert {p["alpha"] for p in r.models["group-lasso"].params} <= {0.01, 0.02}
    with pytest.raises(ValueError, match="not compared"):
        compare(TINY, "ridge", n_splits=1, grids={"lasso": {"alpha": [1.0]}})


def test_classification_scores():
    r = compare(TINY_CLF, "ridge,group-lasso", n_splits=2, random_state=1)
    assert r.kind == "classification" and r.metrics == ["auc", "accuracy"]
    data = parse_data(TINY_CLF)
    train, test = r.splits[0]
    Xs = np.column_stack([(data.X - data.X[train].mean(0)) / data.X[train].std(0), data.task])
    model = r.models["group-lasso"].estimator_
    z = model.decision_function(Xs[test])
    aucs = [roc_auc_score(data.y[test][data.task[test] == t], z[data.task[test] == t])
            for t in range(3)]
    np.testing.assert_allclose(r.models["group-lasso"].task_scores["auc"][0], aucs)
    for m in r.models.values():
        assert np.all((m.scores["auc"] > 0.5) & (m.scores["auc"] <= 1))  # better than chance
        assert np.all((m.scores["accuracy"] >= 0) & (m.scores["accuracy"] <= 1))


def test_shared_layout_with_missing_targets():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5))
    Y = X @ rng.standard_normal((5, 3)) + 0.5 * rng.standard_normal((60, 3))
    Y[rng.random(Y.shape) < 0.2] = np.nan
    r = compare((X, Y), "ridge,group-lasso", n_splits=2)
    assert r.layout == "shared"
    for m in r.models.values():
        assert m.task_scores["nmse"].shape == (2, 3)
        assert np.all(np.isfinite(m.task_scores["nmse"]))
        assert np.all(m.scores["nmse"] < 0.5)  # the signal is found


class _Broken(RidgeRegressor):
    """A model whose fit always fails (the comparison must record it and go on)."""

    def fit(self, X, y, sample_weight=None):
        raise RuntimeError("boom")


class _BrokenClassifier(_Broken):
    pass


def test_a_failing_model_is_recorded_not_fatal():
    broken = ModelSpec("broken", "classical", (_Broken, _BrokenClassifier),
                       fixed_grid(alpha=[1.0, 2.0]))
    r = compare(TINY, ["ridge", broken], n_splits=2)
    assert len(r.models["broken"].errors) == 2 and "boom" in r.models["broken"].errors[0]
    assert np.all(np.isnan(r.models["broken"].scores["nmse"]))
    assert np.all(np.isfinite(r.models["ridge"].scores["nmse"]))
    assert "failed on 2 split(s)" in r.table()
    assert r.models["broken"].error_summary() == ["splits 0, 1: RuntimeError: boom"]
    assert r.best() == "ridge"


@pytest.mark.parametrize("kwargs, match", [
    (dict(models="ridge,nope"), "unknown model 'nope'"),
    (dict(models="ridge,ridge"), "listed twice"),
    (dict(train_fraction=1.0), "train_fraction"),
    (dict(train_fraction=0), "train_fraction"),
    (dict(n_splits=0), "n_splits"),
    (dict(cv=1), "cv"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        compare(TINY, **{"models": "ridge", **kwargs})


def test_registry_lists_every_classical_estimator():
    """Every declared model, the kernel-ridge baseline (the kernel model with independent
    tasks) and both neural baselines, with their own classes (derived from the estimators'
    registry, so a new model cannot be left out)."""
    from mtlclassic.estimators import CLASSIFIERS, MODELS, REGRESSORS
    from mtlclassic.neural import (HardSharingMLPClassifier, HardSharingMLPRegressor,
                                   RelationshipMLPClassifier, RelationshipMLPRegressor,
                                   SluiceMLPClassifier, SluiceMLPRegressor,
                                   SoftSharingMLPClassifier, SoftSharingMLPRegressor,
                                   TensorFactorisedMLPClassifier, TensorFactorisedMLPRegressor)

    for kind in ("regression", "classification"):
        names = available_models(kind)
        # A regression-only model (the calibrated group lasso) is not offered for classification.
        declared = [name for name, model in MODELS.items()
                    if kind == "regression" or model.classifier is not None]
        assert names == [*declared, "kernel-ridge", "hard-sharing-mlp", "soft-sharing-mlp",
                         "relationship-mlp", "sluice-mlp", "tensor-factorised-mlp"]
        listed = {REGISTRY[name].estimator_class(kind) for name in names}
        neural = ({HardSharingMLPRegressor, SoftSharingMLPRegressor, RelationshipMLPRegressor}
                  if kind == "regression" else
                  {HardSharingMLPClassifier, SoftSharingMLPClassifier, RelationshipMLPClassifier})
        neural |= {SluiceMLPRegressor if kind == "regression" else SluiceMLPClassifier}
        neural |= {TensorFactorisedMLPRegressor if kind == "regression"
                   else TensorFactorisedMLPClassifier}
        assert listed == set(REGRESSORS if kind == "regression" else CLASSIFIERS) | neural
    assert REGISTRY["group-lasso"].make("regression", -1).get_params()["task_column"] == -1
    assert isinstance(REGISTRY["group-lasso"].make("regression", -1), GroupLassoRegressor)
    missing = ModelSpec("missing", "neural", (None, None), fixed_grid(alpha=[1.0]))
    assert missing.estimator_class("regression") is None


def test_to_frame(tiny_result):
    pd = pytest.importorskip("pandas")
    result, _ = tiny_result
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 6
    assert {"model", "split", "nmse", "fit_time", "chosen"} <= set(frame.columns)
    assert len(result.to_frame(per_task=True)) == 18
    summary = result.to_frame(summary=True)
    assert list(summary["model"]) == MODELS.split(",")


def test_kernel_models_in_the_comparison():
    """The kernel models run in compare on both kinds; kernel-ridge is the kernel model with
    independent tasks, the grid centred on the median heuristic of the training rows."""
    for spec in (TINY, TINY_CLF):
        r = compare(spec, "kernel-task-relation,kernel-ridge", n_splits=1, random_state=2)
        for name in ("kernel-task-relation", "kernel-ridge"):
            m = r.models[name]
            assert m.errors == [] and np.isfinite(m.mean(r.main_metric)), (spec, name)
        assert r.models["kernel-ridge"].family == "baseline"
    spec = REGISTRY["kernel-ridge"]
    assert spec.make("regression", -1).get_params()["task_covariance"] == "independent"
    points = [p for _, p in spec.grid("regression", *_tiny_xy(), -1)]
    assert all(p["task_covariance"] == "independent" for p in points)
    assert all(p["gamma"] > 0 for p in points if p["kernel"] == "rbf")
    assert {p["kernel"] for p in points} == {"rbf", "linear"}  # the linear case is searched


def _tiny_xy():
    data = parse_data(TINY)
    return np.column_stack([data.X, data.task]), data.y


@pytest.mark.parametrize("spec, models", [
    (TINY, "group-lasso,hard-sharing-mlp,soft-sharing-mlp"),
    (TINY_CLF, "ridge,hard-sharing-mlp"),
])
def test_neural_models_in_the_comparison(tmp_path, spec, models):
    r = compare(spec, models, n_splits=1, random_state=2, out=tmp_path)
    for name in models.split(","):
        m = r.models[name]
        assert m.errors == [] and np.isfinite(m.mean(r.main_metric))
    assert r.models["hard-sharing-mlp"].family == "neural"
    assert r.best("neural") in ("hard-sharing-mlp", "soft-sharing-mlp")
    if "group-lasso" in models and importlib.util.find_spec("matplotlib") is not None:
        # The scatter of best classical vs best neural is a figure: with matplotlib only.
        assert "best classical vs best neural" in (tmp_path / "report.md").read_text()
    again = compare(spec, models, n_splits=1, random_state=2)
    for name in models.split(","):  # seeded networks: bit-identical scores
        np.testing.assert_array_equal(again.models[name].task_scores[r.main_metric],
                                      r.models[name].task_scores[r.main_metric])


# -- files and figures ----------------------------------------------------------------
def test_result_files(tiny_result):
    result, out = tiny_result
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6
    assert {r["model"] for r in rows} == set(result.models)
    ridge0 = [r for r in rows if r["model"] == "ridge" and r["split"] == "0"][0]
    assert float(ridge0["nmse"]) == pytest.approx(result.models["ridge"].scores["nmse"][0])
    with open(out / "results_per_task.csv") as f:
        assert len(list(csv.DictReader(f))) == 18
    report = (out / "report.md").read_text()
    assert "## Protocol" in report and "| group-lasso |" in report


def test_figures_are_written_and_not_blank(tiny_result):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    from mtlclassic.compare._plots import sparse_models

    result, out = tiny_result
    report = (out / "report.md").read_text()
    names = ["scores.png", "per_task.png", "task_correlation.png"]
    # support.png only when a model's coef_ has exact zeros (a dense model shows nothing)
    assert (out / "support.png").is_file() == bool(sparse_models(result))
    for name in names + (["support.png"] if sparse_models(result) else []):
        image = imread(out / name)
        height, width = image.shape[:2]
        assert height >= 200 and width >= 200, name
        assert np.var(image[..., :3]) > 0, f"{name} is blank"
        assert f"({name})" in report
    assert [os.path.basename(f) for f in result.files if f.endswith(".png")] == [
        n for n in names + ["support.png"] if (out / n).is_file()]


def test_figures_read_without_the_docs(tiny_result):
    """Legends where models are compared, the best model marked, task names, full titles."""
    pytest.importorskip("matplotlib")
    from mtlclassic.compare._plots import (per_task_figure, scores_figure,
                                           task_correlation_figure)

    result, _ = tiny_result
    best = result.best()
    fig = scores_figure(result)
    legend = fig.legends[0]
    texts = [t.get_text() for t in legend.get_texts()]
    assert f"best nMSE: {best}" in texts
    assert any("classical" in t for t in texts) and any("baseline" in t for t in texts)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == list(result.models)
    bold = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == [best]
    fig = per_task_figure(result)
    assert fig.axes[0].get_legend() is not None
    assert "better on" in fig.axes[0].get_title()
    fig = task_correlation_figure(result)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(t) for t in result.tasks]
    assert "How similar the tasks are" in ax.get_title()
    # no title is cut: every title's text lies inside the canvas
    for fig in (scores_figure(result), per_task_figure(result), task_correlation_figure(result)):
        fig.canvas.draw()
        canvas = fig.bbox
        titles = [fig._suptitle] + [a.title for a in fig.axes]
        for title in filter(None, titles):
            if title.get_text():
                box = title.get_window_extent()
                assert box.x0 >= canvas.x0 - 1 and box.x1 <= canvas.x1 + 1, title.get_text()


def test_support_figure_shows_only_sparse_models(tmp_path):
    pytest.importorskip("matplotlib")
    from mtlclassic.compare._plots import support_figure

    sparse = ModelSpec("lasso-strong", "classical",
                       (mtlclassic.LassoRegressor, mtlclassic.LassoClassifier),
                       alpha_max_grid(("alpha", "l1"), fractions=(0.5,)))
    r = compare(TINY, ["ridge", "pooled", sparse], n_splits=1, out=tmp_path)
    assert np.any(r.models["lasso-strong"].estimator_.coef_ == 0)
    fig = support_figure(r)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("true coefficients") and titles[1].startswith("lasso-strong")
    assert len(titles) == 2  # the dense baselines are left out
    assert (tmp_path / "support.png").is_file()
    assert fig.legends and "nonzero coefficient" in [t.get_text()
                                                     for t in fig.legends[0].get_texts()]


def test_no_figures_without_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    compare(TINY, "ridge", n_splits=1, out=tmp_path)
    assert (tmp_path / "results.csv").is_file() and (tmp_path / "report.md").is_file()
    assert not list(tmp_path.glob("*.png"))


# -- progress -----------------------------------------------------------------------
def test_progress_line_and_estimate_from_per_model_costs():
    """The estimate: each model's remaining jobs times its measured mean job time."""
    buf = io.StringIO()
    now = [0.0]
    bar = Progress(6, jobs={"fast": 3, "slow": 3}, file=buf, delay=0.0, interval=60,
                   clock=lambda: now[0])
    assert bar.estimate() is None
    assert "estimated once a job has finished" in bar.line()
    bar.update(1, name="fast", seconds=1.0)
    # slow is not measured yet: it counts the mean over measured models (1 s)
    assert bar.estimate() == pytest.approx(2 * 1.0 + 3 * 1.0)
    bar.update(1, name="slow", seconds=10.0)
    assert bar.estimate() == pytest.approx(2 * 1.0 + 2 * 10.0)
    now[0] = 4.0  # 4 s later, no job finished: the estimate counts down
    assert bar.estimate() == pytest.approx(22.0 - 4.0)
    assert "2/6 jobs, 4 s elapsed, ~18 s left" in bar.line()
    now[0] = 40.0
    assert "longer than estimated" in bar.line()
    for name in ("fast", "fast", "slow", "slow"):
        bar.update(1, name=name, seconds=1.0)
    bar.close()
    assert "6/6 jobs" in buf.getvalue() and buf.getvalue().endswith("done\n")
    # two workers share the work left
    two = Progress(4, jobs={"a": 4}, n_workers=2, file=io.StringIO(), delay=60,
                   clock=lambda: 0.0)
    two.update(1, name="a", seconds=2.0)
    assert two.estimate() == pytest.approx(3 * 2.0 / 2)
    two.close()


def test_progress_redraws_while_no_job_finishes():
    buf = io.StringIO()
    bar = progress_bar(3, file=buf, delay=0.0, interval=0.02, jobs={"m": 3})
    time.sleep(0.3)
    bar.close()
    lines = buf.getvalue().splitlines()
    assert len(lines) >= 3 and all("0/3 jobs" in line for line in lines)


def test_progress_short_runs_and_disabled_print_nothing():
    buf = io.StringIO()
    bar = progress_bar(4, file=buf, delay=60.0)  # a short run shows nothing
    bar.update(4)
    bar.close()
    assert buf.getvalue() == ""
    bar = progress_bar(4, enabled=False)
    bar.update(1, name="x", seconds=1.0)
    bar.close()


def test_progress_off_prints_nothing(capsys):
    compare(TINY, "ridge", n_splits=1, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


# -- the command line ---------------------------------------------------------------
def test_cli_compare(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["compare", "--data", TINY, "--models", "ridge,group-lasso", "--splits", "2",
                 "--out", str(out), "--seed", "1", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    header = [line for line in lines if line.startswith("model")]
    assert len(header) == 1 and "nMSE" in header[0] and "fit (s)" in header[0]
    for name in ("ridge", "group-lasso"):
        row = [line for line in lines if line.startswith(name + " ")]
        assert len(row) == 1 and " +- " in row[0]
    assert (out / "results.csv").is_file() and (out / "report.md").is_file()
    api = compare(TINY, "ridge,group-lasso", n_splits=2, random_state=1)
    assert f"{api.models['ridge'].mean('nmse'):.3f} +- {api.models['ridge'].sd('nmse'):.3f}" \
        in captured.out


def test_cli_compare_classification(capsys):
    assert main(["compare", "--data", TINY_CLF, "--models", "ridge", "--splits", "1",
                 "--quiet"]) == 0
    assert "AUC" in capsys.readouterr().out


def test_cli_list_models(capsys):
    assert main(["compare", "--list-models"]) == 0
    out = capsys.readouterr().out
    assert "regression:" in out and "group-lasso" in out


@pytest.mark.parametrize("args, message", [
    (["--models", "ridge,nope"], "unknown model 'nope'"),
    (["--data", "school:/no/such/path"], "does not exist"),
    (["--data", "nonsense"], "unknown data"),
    (["--train-fraction", "1.5"], "--train-fraction"),
    (["--train-fraction", "0"], "--train-fraction"),
    (["--train-fraction", "abc"], "--train-fraction"),
    (["--splits", "0"], "--splits"),
    (["--splits", "two"], "--splits"),
    (["--cv", "1"], "--cv"),
    (["--n-jobs", "0"], "--n-jobs"),
])
def test_cli_bad_input_one_line_no_traceback(capsys, args, message):
    try:
        status = main(["compare", "--data", TINY, "--quiet", *args]
                      if "--data" not in args else ["compare", "--quiet", *args])
    except SystemExit as exc:  # argparse errors
        status = exc.code
    assert status == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert "Traceback" not in captured.err + captured.out


def test_cli_unreadable_file_and_out_is_a_file(tmp_path, capsys):
    bad = tmp_path / "school.mat"
    bad.write_bytes(b"garbage")
    assert main(["compare", "--data", f"school:{bad}", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot read school data" in err
    assert main(["compare", "--data", TINY, "--models", "ridge", "--out", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a folder" in err


def test_cli_bad_input_in_a_subprocess():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-m", "mtlclassic", "compare", "--models", "nope"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"mtlclassic compare: error: unknown model 'nope'; available: "
        f"{', '.join(available_models('regression'))}"]
    assert proc.stdout == ""


def test_public_api():
    assert mtlclassic.compare is compare
    assert isinstance(parse_data(TINY), Dataset)


# -- real data ------------------------------------------------------------------------
@pytest.mark.parametrize("spec, kind, layout, n_tasks", [
    ("school:malsar", "regression", "per_task", 139),
    ("landmine:landmine/LandmineData.mat", "classification", "per_task", 29),
    ("parkinsons:parkinsons", "regression", "per_task", 42),
    ("sarcos:sarcos", "regression", "shared", 7),
    ("sarcos-per-task:sarcos", "regression", "per_task", 7),
])
def test_real_data_specs(spec, kind, layout, n_tasks):
    name, path = spec.split(":")
    if not (DATA / path).exists():
        pytest.skip(f"{DATA / path} is absent")
    data = parse_data(f"{name}:{DATA / path}")
    # A data set with several targets is named with the one read (parkinsons' default).
    named = f"{name} (total_UPDRS)" if name == "parkinsons" else name
    assert (data.name, data.kind, data.layout, data.n_tasks) == (named, kind, layout, n_tasks)
    assert data.X.shape[0] == data.y.shape[0] and np.all(np.isfinite(data.X))



@pytest.mark.skipif(not (DATA / "malsar" / "school.mat").is_file(),
                    reason=f"{DATA / 'malsar' / 'school.mat'} is absent ($MTLCLASSIC_DATA)")
def test_school_runs():
    r = compare(f"school:{DATA / 'malsar'}", "ridge,group-lasso", n_splits=1)
    assert len(r.tasks) == 139
    for m in r.models.values():
        assert m.errors == []
        # the published range of explained variance on School (Argyriou et al. 2008: ~0.2-0.3)
        assert 0.2 < m.mean("explained_variance") < 0.45


def test_kernel_grids_linear_points_are_the_linear_models_grids():
    """The kernel models' linear-kernel points are task-relation's and ridge's compare grids
    (with the squared loss, those models' objectives), preferred by the one-standard-error
    rule; every other point is an RBF one."""
    from mtlclassic.estimators import kernel_grid
    from mtlclassic.estimators._kernel_grid import KernelGrid

    X, y = _tiny_xy()
    # compare's kernel-task-relation searches axes (tests/test_compare_kernel_search.py) where
    # its evidence point (a regression on at most KERNEL_EXACT_ROWS rows,
    # tests/test_kernel_evidence.py) does not apply; the list of points stays
    # kernel_grid's search="points".
    assert isinstance(kernel_grid(task_covariance="learn", search="axes")("regression", X, y, -1),
                      KernelGrid)
    assert REGISTRY["kernel-task-relation"].grid("regression", X, y, -1)[0][1][
        "task_covariance"] == "evidence"
    for covariance, linear_name, key in (("learn", "task-relation", "lambda_2"),
                                         ("independent", "ridge", "alpha")):
        linear_spec = REGISTRY[linear_name]
        wanted = sorted(p[key] for _, p in linear_spec.grid("regression", X, y, -1))
        points = kernel_grid(task_covariance=covariance)("regression", X, y, -1)
        linear = [points[i][1] for i in sorted(points.preferred)]
        assert all(p["kernel"] == "linear" for p in linear)
        assert all(p["kernel"] == "rbf" for i, (_, p) in enumerate(points)
                   if i not in points.preferred)
        assert sorted(p[key] for p in linear) == wanted, covariance
        if key == "lambda_2":
            assert {p["alpha"] for p in linear} == {linear_spec.fixed["lambda_1"]}
