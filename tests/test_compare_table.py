"""``mtlclassic compare`` on users' own tables: reading, layouts, task names, bad input.

The end-to-end tests write Parkinsons and Landmine (``$MTLCLASSIC_DATA``,
default ``../shared/data``; skipped when absent) as tables with string task
names and run the command in a subprocess, as a user would. The other tests
use small tables built here, so they run in seconds.
"""

import csv
import os
import pathlib
import re
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from conftest import DATA_DIR, needs_data

from mtlclassic.cli import main
from mtlclassic.compare import DataError, as_dataset, compare, parse_data
from mtlclassic.compare._protocol import majority_reference
from mtlclassic.compare._table import read_table, table_dataset, task_labels

ROOT = pathlib.Path(__file__).resolve().parents[1]
FIGURES = ("scores.png", "per_task.png", "task_correlation.png", "support.png")


def _run_cli(*args, timeout=300):
    """``python -m mtlclassic ARGS`` in a subprocess: (exit status, stdout, stderr, seconds)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mtlclassic", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - t0


def _figures_in_report(out):
    """The PNG files the report shows; each must exist and not be blank."""
    from matplotlib.image import imread

    report = (out / "report.md").read_text()
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", report)
    assert shown, "the report shows no figure"
    for name in shown:
        image = imread(out / name)
        assert image.shape[0] >= 200 and image.shape[1] >= 200, name
        assert np.std(image[..., :3]) > 0, f"{name} is blank"
    return report, shown


def _toy_table(n_tasks=4, rows=30, seed=0, names="site_{}"):
    """A per-task regression table: string task names, a text feature, a constant column."""
    rng = np.random.default_rng(seed)
    n = n_tasks * rows
    frame = pd.DataFrame({
        "site": [names.format(t + 1) for t in np.repeat(np.arange(n_tasks), rows)],
        "x1": rng.standard_normal(n), "x2": rng.standard_normal(n),
        "colour": rng.choice(["red", "green", "blue"], size=n),
        "batch": "A",  # constant: carries nothing
        "empty": np.nan,  # all empty
    })
    shift = frame["colour"].map({"red": 1.0, "green": 0.0, "blue": -1.0})
    frame["y"] = 2 * frame["x1"] - frame["x2"] + shift + 0.3 * rng.standard_normal(n)
    return frame


# -- end to end: the acceptance of the issue ----------------------------------------------
@needs_data("parkinsons")
def test_parkinsons_csv_end_to_end(tmp_path):
    from mtlclassic.datasets import load_parkinsons

    bunch = load_parkinsons(DATA_DIR / "parkinsons", target="motor_UPDRS")
    frame = pd.DataFrame(bunch.X[:, :-1], columns=bunch.feature_names)
    subjects = [f"patient_{int(t) + 1:02d}" for t in bunch.X[:, -1]]
    frame.insert(0, "subject", subjects)
    frame["motor_UPDRS"] = bunch.y
    path = tmp_path / "parkinsons.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "run"
    status, stdout, stderr, seconds = _run_cli(
        "compare", "--data", str(path), "--task-column", "subject", "--target", "motor_UPDRS",
        "--models", "pooled,group-lasso,hard-sharing-mlp", "--splits", "2", "--out", str(out))
    assert status == 0, stderr
    assert "Traceback" not in stderr
    print(f"parkinsons e2e: {seconds:.1f} s")
    with open(out / "results_per_task.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["task"] for r in rows} == set(subjects)  # the user's names, never 1.0, 2.0
    assert len(rows) == 3 * 2 * 42
    report, shown = _figures_in_report(out)
    assert report.startswith("# mtlclassic compare: parkinsons.csv")
    assert {"scores.png", "per_task.png", "task_correlation.png"} <= set(shown)
    for name in FIGURES:  # what was drawn is what the report shows
        assert (out / name).is_file() == (name in shown)
    assert "patient_01" in report
    assert re.search(r"written to .*: results\.csv, results_per_task\.csv, report\.md; "
                     r"figures scores\.png", stdout)


@needs_data("landmine", "LandmineData.mat")
def test_landmine_csv_classification_end_to_end(tmp_path):
    from mtlclassic.datasets import load_landmine

    bunch = load_landmine(DATA_DIR / "landmine")
    # 8 of the 29 fields keep the test fast; the labels as words, the fields by name
    keep = bunch.X[:, -1] < 8
    frame = pd.DataFrame(bunch.X[keep, :-1], columns=bunch.feature_names)
    frame.insert(0, "field", [bunch.task_names[int(t)] for t in bunch.X[keep, -1]])
    frame["label"] = np.where(bunch.y[keep] == 1, "mine", "clutter")
    path = tmp_path / "landmine.tsv"
    frame.to_csv(path, index=False, sep="\t")
    out = tmp_path / "run"
    status, stdout, stderr, seconds = _run_cli(
        "compare", "--data", str(path), "--task-column", "field", "--target", "label",
        "--models", "pooled,group-lasso,hard-sharing-mlp", "--splits", "2", "--cv", "2",
        "--out", str(out), "--quiet")
    assert status == 0, stderr
    assert stderr == ""
    print(f"landmine e2e: {seconds:.1f} s")
    assert "classes: 'clutter' -> 0, 'mine' -> 1" in stdout
    with open(out / "results_per_task.csv") as f:
        assert {r["task"] for r in csv.DictReader(f)} == {f"field_{t}" for t in range(1, 9)}
    report, shown = _figures_in_report(out)
    assert "| majority class | 0.500 (chance) |" in report
    majority = float(re.search(r"accuracy of \*\*(\d\.\d{3})\*\*", report).group(1))
    # the fields hold about 6 % mines: the majority rate is the floor accuracy must beat
    assert 0.85 < majority < 1.0
    assert "majority class" in stdout


# -- tables in Python -----------------------------------------------------------------
def test_compare_a_dataframe_with_named_tasks(tmp_path):
    frame = _toy_table()
    before = frame.copy()
    r = compare(frame, "ridge,group-lasso", task_column="site", target="y", n_splits=2,
                out=tmp_path)
    pd.testing.assert_frame_equal(frame, before)  # the input is not modified
    assert list(r.tasks) == ["site_1", "site_2", "site_3", "site_4"]
    assert r.kind == "regression" and r.layout == "per_task"
    with open(tmp_path / "results_per_task.csv") as f:
        assert {row["task"] for row in csv.DictReader(f)} == set(r.tasks)
    # colour one-hot encoded, batch (constant) and empty (all empty) dropped, with notes
    assert r.feature_names == ["x1", "x2", "colour=blue", "colour=green", "colour=red"]
    notes = " ".join(r.notes)
    assert "'colour' (3 levels)" in notes
    assert "'batch' (always 'A')" in notes and "'empty' (all empty)" in notes
    report = (tmp_path / "report.md").read_text()
    assert "'colour' (3 levels)" in report and "| site_1 |" in report
    assert np.all(r.models["ridge"].scores["nmse"] < 0.3)  # the signal (with colour) is found


def test_dict_and_tuple_with_a_dataframe_X():
    frame = _toy_table(names="patient_{:02d}")
    X, y = frame.drop(columns="y"), frame["y"].to_numpy()
    a = compare({"X": X, "y": y, "task_column": "site"}, "ridge", n_splits=1)
    b = compare((X, y, "site"), "ridge", n_splits=1)
    c = compare(frame, "ridge", task_column="site", target="y", n_splits=1)
    assert list(a.tasks) == list(b.tasks) == list(c.tasks) == [f"patient_{t:02d}"
                                                               for t in range(1, 5)]
    np.testing.assert_array_equal(a.models["ridge"].task_scores["nmse"],
                                  c.models["ridge"].task_scores["nmse"])
    # the task column by position works too
    d = as_dataset((X, y, 0))
    assert list(d.tasks) == list(a.tasks)


def test_csv_tsv_and_parquet_read_the_same(tmp_path):
    frame = _toy_table()
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_csv(tmp_path / "t.tsv", index=False, sep="\t")
    frame.to_parquet(tmp_path / "t.parquet", index=False)
    sets = [parse_data(str(tmp_path / f"t.{ext}"), task_column="site", target="y")
            for ext in ("csv", "tsv", "parquet")]
    for d in sets[1:]:
        np.testing.assert_allclose(d.X, sets[0].X)
        np.testing.assert_array_equal(d.task, sets[0].task)
        assert list(d.tasks) == list(sets[0].tasks)
    assert [d.name for d in sets] == ["t.csv", "t.tsv", "t.parquet"]


def test_shared_layout_table_with_empty_cells():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 4))
    Y = X @ rng.standard_normal((4, 3)) + 0.2 * rng.standard_normal((80, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    for j, name in enumerate(["joint_1", "joint_2", "joint_3"]):
        col = Y[:, j].copy()
        col[rng.random(80) < 0.2] = np.nan  # missing targets
        frame[name] = col
    data = table_dataset(frame, target="joint_1,joint_2,joint_3")
    assert data.layout == "shared" and list(data.tasks) == ["joint_1", "joint_2", "joint_3"]
    assert data.feature_names == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(np.isnan(data.y), frame[["joint_1", "joint_2",
                                                          "joint_3"]].isna().to_numpy())
    r = compare(frame, "ridge", target=["joint_1", "joint_2", "joint_3"], n_splits=1)
    assert np.all(r.models["ridge"].task_scores["nmse"] < 0.3)


def test_task_type_inferred_and_forced():
    frame = _toy_table()
    frame["y2"] = np.where(frame["y"] > 0, "yes", "no")
    clf = table_dataset(frame.drop(columns="y"), task_column="site", target="y2")
    assert clf.kind == "classification" and set(np.unique(clf.y)) == {0, 1}
    assert clf.y[frame["y2"].to_numpy() == "yes"].min() == 1  # 'yes' sorts after 'no'
    frame["y3"] = (frame["y"] > 0).astype(int)
    reg = table_dataset(frame, task_column="site", target="y3", features="x1,x2",
                        task_type="regression")
    assert reg.kind == "regression" and reg.feature_names == ["x1", "x2"]


def test_numeric_task_labels_stay_numbers(tmp_path):
    frame = _toy_table()
    frame["site"] = frame["site"].str.replace("site_", "").astype(float)  # 1.0, 2.0, ...
    path = tmp_path / "numbers.csv"
    frame.to_csv(path, index=False)
    r = compare(str(path), "ridge", task_column="site", target="y", n_splits=1, out=tmp_path)
    assert list(r.tasks) == [1, 2, 3, 4]
    with open(tmp_path / "results_per_task.csv") as f:
        assert {row["task"] for row in csv.DictReader(f)} == {"1", "2", "3", "4"}


def test_task_labels_natural_order_and_categoricals():
    codes, tasks = task_labels(["f_10", "f_2", "f_1", "f_2"])
    assert list(tasks) == ["f_1", "f_2", "f_10"] and list(codes) == [2, 1, 0, 1]
    cat = pd.Series(pd.Categorical(["b", "a", "b"], categories=["b", "a", "z"]))
    codes, tasks = task_labels(cat)
    assert list(tasks) == ["b", "a"] and list(codes) == [0, 1, 0]


def test_majority_reference_against_a_direct_count():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"task": np.repeat(["a", "b"], 40), "x": rng.standard_normal(80)})
    frame["y"] = np.r_[rng.random(40) < 0.8, rng.random(40) < 0.3].astype(int)
    data = table_dataset(frame, task_column="task", target="y")
    train, test = np.arange(0, 80, 2), np.arange(1, 80, 2)
    averaged, per_task = majority_reference(data, [(train, test)])
    expected = []
    for t in (0, 1):
        y_train = data.y[train][data.task[train] == t]
        y_test = data.y[test][data.task[test] == t]
        majority = 1 if y_train.mean() >= 0.5 else 0
        expected.append(np.mean(y_test == majority))
    np.testing.assert_allclose(per_task[0], expected)
    assert averaged[0] == pytest.approx(np.mean(expected))


def test_edges_of_the_grid_are_flagged():
    r = compare(_toy_table(), "ridge", task_column="site", target="y", n_splits=2,
                grids={"ridge": {"alpha": [1e-8, 1e-7]}})  # both tiny: the smallest wins
    m = r.models["ridge"]
    assert all(e in ([("alpha", "smallest")], [("alpha", "largest")]) for e in m.edges)
    assert "grid edge:" in m.chosen()
    inside = compare(_toy_table(), "ridge", task_column="site", target="y", n_splits=1,
                     grids={"ridge": {"alpha": [1e-8, 1.0, 1e8]}})
    if inside.models["ridge"].params[0]["alpha"] == 1.0:
        assert inside.models["ridge"].edges == [[]]
        assert "grid edge" not in inside.models["ridge"].chosen()


# -- bad input: one line, exit 2, nothing written -------------------------------------------
def _write(tmp_path, frame, name="data.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return str(path)


def _bad_tables(tmp_path):
    frame = _toy_table()
    text_target = frame.copy()
    text_target["y"] = text_target["y"].astype(str)
    text_target.loc[5, "y"] = "high"  # (pandas reads "n/a" as an empty cell)
    one_class = frame.copy()
    one_class["y"] = np.where(one_class["x1"] > 0, "mine", "clutter")
    one_class.loc[one_class["site"] == "site_3", "y"] = "clutter"
    small = pd.concat([frame, frame.iloc[:2].assign(site="site_tiny")])
    useless = frame[["site", "batch", "empty", "y"]]
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("site,x1,y\n")
    return [
        # (arguments after --data, what the message must name)
        ([_write(tmp_path, frame), "--task-column", "sitte", "--target", "y"],
         "task column 'sitte' is not a column of data.csv (did you mean 'site'?)"),
        ([_write(tmp_path, frame), "--task-column", "site", "--target", "why"],
         "target 'why' is not a column"),
        ([_write(tmp_path, frame), "--task-column", "site", "--target", "y",
          "--features", "x1,x9"], "feature 'x9' is not a column"),
        ([str(tmp_path / "empty.csv"), "--task-column", "site", "--target", "y"],
         "empty.csv is empty"),
        ([str(tmp_path / "header.csv"), "--task-column", "site", "--target", "y"],
         "header.csv has a header but no data rows"),
        ([str(tmp_path / "missing.csv"), "--task-column", "site", "--target", "y"],
         "no such file"),
        ([_write(tmp_path, text_target, "text.csv"), "--task-column", "site", "--target", "y",
          "--task-type", "regression"],
         "target 'y' holds 1 non-numeric value(s), e.g. 'high'"),
        ([_write(tmp_path, one_class, "oneclass.csv"), "--task-column", "site", "--target",
          "y"], "task 'site_3' has only class 'clutter'"),
        ([_write(tmp_path, small, "small.csv"), "--task-column", "site", "--target", "y"],
         "task(s) ['site_tiny'] have fewer than 4 rows"),
        ([_write(tmp_path, useless, "useless.csv"), "--task-column", "site", "--target", "y"],
         "no usable feature column in useless.csv: 'empty' (all empty), 'batch' (always 'A')"),
        ([_write(tmp_path, frame), "--target", "y"], "without a task column is a single task"),
        (["school:" + str(tmp_path), "--task-column", "site"], "apply only to a table"),
        (["schol:/x"], "unknown data 'schol' (did you mean 'school'?)"),
    ]


def test_bad_tables_are_one_line_errors_and_write_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    for args, message in _bad_tables(tmp_path):
        status = main(["compare", "--data", *args, "--models", "ridge", "--splits", "1",
                       "--quiet", "--out", str(out)])
        captured = capsys.readouterr()
        err = captured.err.strip()
        assert status == 2, (args, err)
        assert len(err.splitlines()) == 1, err
        assert err.startswith("mtlclassic compare: error: ") and message in err, (message, err)
        assert "Traceback" not in captured.err + captured.out
        assert not out.exists(), f"{args} wrote {out}"


def test_bad_table_in_a_subprocess_exit_2_no_traceback(tmp_path):
    frame = _toy_table()
    path = _write(tmp_path, frame)
    out = tmp_path / "out"
    status, stdout, stderr, _ = _run_cli("compare", "--data", path, "--task-column", "site",
                                         "--target", "y", "--models", "grup-lasso", "--out",
                                         str(out))
    assert status == 2 and stdout == ""
    assert stderr.strip().splitlines() == [
        stderr.strip()] and "unknown model 'grup-lasso' (did you mean 'group-lasso'?)" in stderr
    assert not out.exists()


def test_python_errors_name_the_problem():
    frame = _toy_table()
    with pytest.raises(DataError, match="needs its target column"):
        compare(frame, "ridge", task_column="site")
    with pytest.raises(DataError, match="target= names the target column of a table"):
        compare((frame[["x1", "x2"]].to_numpy(), frame["y"].to_numpy()), target="y")
    with pytest.raises(ValueError, match="give data"):
        compare(None, "ridge", target="y")
    with pytest.raises(DataError, match="'site' is both the task column and the target"):
        table_dataset(frame, task_column="site", target="site")
    with pytest.raises(DataError, match=r"'x1' \(1\) of table have empty or infinite cells"):
        gap = frame.copy()
        gap.loc[3, "x1"] = np.nan
        table_dataset(gap, task_column="site", target="y")
    with pytest.raises(DataError, match="exactly 2 distinct target values"):
        table_dataset(frame.assign(y=frame["site"]), task_column="x1", target="y",
                      task_type="classification")


def test_read_table_refuses_unknown_formats(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="unknown file type .*data.xlsx.*table file"):
        parse_data(str(path))
    with pytest.raises(DataError, match="no such file"):
        read_table(tmp_path / "absent.csv")


# -- the command's start --------------------------------------------------------------
def test_cli_module_imports_nothing_heavy():
    code = ("import sys, mtlclassic.cli; print(','.join(m for m in ('numpy', 'sklearn', "
            "'pandas', 'matplotlib', 'mtlclassic.estimators', 'mtlclassic.compare') "
            "if m in sys.modules))")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_help_documents_the_table_options(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--task-column NAME", "--target NAME[,NAME...]", "--features NAME,...",
                   "--task-type {regression,classification}", ".csv, .tsv or .parquet"):
        assert option in text
