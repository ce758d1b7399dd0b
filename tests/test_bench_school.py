"""benchmarks/bench_school.py on a small School subset, so the benchmark cannot rot.

Skipped when MALSAR's school.mat is absent from ``$MTLCLASSIC_DATA/malsar``
(default ``../shared/data``). Runs the script's core (splits, standardisation,
tuning, refit, scores, report) in its quick mode on 8 schools.
"""

import re

import numpy as np
import pytest
from conftest import DATA_DIR, load_benchmark, needs_data

DATA = DATA_DIR / "malsar"
pytestmark = needs_data("malsar", "school.mat")


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_school")


@pytest.fixture(scope="module")
def subset():
    from mtlclassic.datasets import load_school

    data = load_school(DATA)
    keep = data.X[:, -1] < 8  # the first 8 schools (1,000 rows or so)
    return data.X[keep], data.y[keep]


@pytest.fixture(scope="module")
def results(bench, subset):
    X, y = subset
    return bench.run_benchmark(X, y, n_splits=2, train_fraction=0.3, cv=3, seed=0, quick=True)


def test_splits_are_stratified_by_task(bench, subset, results):
    X, _ = subset
    task = X[:, -1].astype(int)
    assert len(results["splits"]) == 2
    for train, test in results["splits"]:
        assert np.intersect1d(train, test).size == 0
        assert np.array_equal(np.union1d(train, test), np.arange(task.size))
        for t in np.unique(task):
            n = np.sum(task == t)
            assert np.sum(task[train] == t) == int(np.clip(round(0.3 * n), 3, n - 1))
    a, b = results["splits"]
    assert not np.array_equal(a[0], b[0])  # two different random splits
    again = bench.make_splits(task, 2, 0.3, 0, 3)
    assert all(np.array_equal(s[0], r[0]) for s, r in zip(again, results["splits"]))


def test_standardise_uses_training_rows_only(bench, subset, results):
    X, _ = subset
    train, test = results["splits"][0]
    Z = bench.standardise(X[:, :-1], train)
    varying = X[train, :-1].std(axis=0) > 0
    assert np.allclose(Z[train].mean(axis=0), 0, atol=1e-10)
    assert np.allclose(Z[train][:, varying].std(axis=0), 1)
    assert not np.allclose(Z[test][:, varying].mean(axis=0), 0, atol=1e-3)


def test_every_model_scored_on_every_split(bench, results):
    assert set(results["models"]) == set(bench.MODELS)
    for name, rec in results["models"].items():
        for key in ("ev", "nmse", "nmse_w", "fit_time", "tune_time"):
            assert len(rec[key]) == 2 and np.all(np.isfinite(rec[key])), (name, key)
        assert all(0 < v < 1.5 for v in rec["nmse"]), name
        assert all(-1 < v < 1 for v in rec["ev"]), name


def test_scores_match_a_refit_by_hand(bench, subset, results):
    """The stored test scores of a model are those of its chosen point refitted on split 0."""
    X, y = subset
    task = X[:, -1].astype(int)
    train, test = results["splits"][0]
    Xs = np.column_stack([bench.standardise(X[:, :-1], train), task])
    for name in ("pooled", "task-relation"):
        rec = results["models"][name]
        model = bench.make_estimator(name).set_params(**rec["params"][0]).fit(Xs[train],
                                                                           y[train])
        pred = model.predict(Xs[test])
        yt = y[test]
        ev = 1 - np.sum((yt - pred) ** 2) / np.sum((yt - yt.mean()) ** 2)
        per_task = [np.mean((yt[task[test] == t] - pred[task[test] == t]) ** 2)
                    / np.var(yt[task[test] == t]) for t in np.unique(task)]
        assert np.isclose(rec["ev"][0], ev, rtol=1e-6)
        assert np.isclose(rec["nmse"][0], np.mean(per_task), rtol=1e-6)


def test_tuning_picks_the_least_held_out_error(bench, subset, results):
    X, y = subset
    task = X[:, -1].astype(int)
    train, _ = results["splits"][0]
    Xs = np.column_stack([bench.standardise(X[:, :-1], train), task])[train]
    folds = bench.inner_folds(task[train], 3, 0)
    grid = [("strong", {"alpha": 1e4}), ("mild", {"alpha": 1.0})]  # 1e4: slopes nearly 0
    best, sse = bench.tune("ridge", grid, Xs, y[train], folds)
    assert sse.shape == (2,) and best == int(np.argmin(sse))
    assert best == 1
    for fit_rows, val_rows in folds:  # every task in every inner fold
        assert np.unique(task[train][fit_rows]).size == 8
        assert np.unique(task[train][val_rows]).size == 8


def test_report_and_margins(bench, results):
    text = bench.report(results, command="cmd", machine_start="m", machine_end="e",
                        total_time=1.0, description="d")
    for label in bench.LABELS.values():
        assert f"| {label} |" in text
    assert "## Acceptance" in text
    verdict = next(line for line in text.splitlines() if line.startswith("Beats both baselines"))
    for label in ("TaskRelation", "ClusteredTask"):  # each model gets its own verdict
        assert re.search(re.escape(label) + r"[^;]* \*\*(yes|NO)\*\*", verdict), verdict
    mg = bench.margins(results, "task-relation", "pooled")
    tr, pooled = results["models"]["task-relation"], results["models"]["pooled"]
    assert np.isclose(mg["ev"]["margin"], np.mean(np.subtract(tr["ev"], pooled["ev"])))
    assert np.isclose(mg["nmse"]["margin"], np.mean(np.subtract(pooled["nmse"], tr["nmse"])))


def test_missing_data_is_a_clear_exit(bench, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--data", str(tmp_path / "nowhere"), "--quick"])
    assert exc.value.code == 2
    assert "School data is not at" in capsys.readouterr().err
