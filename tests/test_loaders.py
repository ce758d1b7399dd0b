"""Benchmark loaders: the real files of ``$MTLCLASSIC_DATA`` (default ``../shared/data``;
skipped when absent) and every error path on small synthetic files written to tmp_path."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import DATA_DIR as DATA
from conftest import needs_data
from scipy.io import savemat
from sklearn.exceptions import ConvergenceWarning

from mtlclassic import GroupLassoRegressor
from mtlclassic.datasets import (load_landmine, load_newsgroup, load_parkinsons, load_sarcos,
                                 load_school)

real = needs_data()


def _cell(arrays):
    cell = np.empty((1, len(arrays)), dtype=object)
    for t, a in enumerate(arrays):
        cell[0, t] = a
    return cell


def _task_sizes(bunch):
    return np.bincount(bunch.X[:, -1].astype(int)) if not sp.issparse(bunch.X) else \
        np.bincount(bunch.X[:, [-1]].toarray().ravel().astype(int))


# ---------------------------------------------------------------------------
# Real data: the documented shapes (PROVENANCE.md of the data folder)
# ---------------------------------------------------------------------------


@real
def test_school_real_shapes_and_fit():
    data = load_school(DATA / "malsar")
    assert data.X.shape == (15362, 28) and data.y.shape == (15362,)
    assert data.n_tasks == 139 and len(data.task_names) == 139
    assert len(data.feature_names) == 27 and data.task_column == -1
    sizes = _task_sizes(data)
    assert sizes.min() == 22 and sizes.max() == 251
    assert data.X.dtype == np.float64 and data.y.dtype == np.float64
    # the bias column is gone: no constant feature column is left
    assert np.all(data.X[:, :-1].std(axis=0) > 0)
    assert 1 <= data.y.min() and data.y.max() <= 70
    assert abs(data.y.mean() - 20.60) < 0.01
    assert "bias" in data.DESCR and "Bakker" in data.DESCR
    # the file itself gives the same arrays as its folder
    again = load_school(DATA / "malsar" / "school.mat")
    np.testing.assert_array_equal(again.X, data.X)
    X, y = load_school(str(DATA), return_X_y=True)  # the data root also works (malsar/ searched)
    np.testing.assert_array_equal(y, data.y)
    X = data.X.copy()
    X[:, :-1] = (X[:, :-1] - X[:, :-1].mean(axis=0)) / X[:, :-1].std(axis=0)  # not the task ids
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = GroupLassoRegressor(alpha=0.05, task_column=-1, tol=1e-6).fit(X, data.y)
    assert model.coef_.shape == (139, 27) and model.n_tasks_ == 139
    assert model.score(X, data.y) > 0.1


@real
def test_landmine_real_shapes():
    data = load_landmine(DATA)
    assert data.X.shape == (14820, 10) and data.n_tasks == 29
    sizes = _task_sizes(data)
    assert sizes[:3].tolist() == [690, 690, 689] and sizes.min() == 445 and sizes.max() == 690
    assert set(np.unique(data.y)) == {0, 1} and data.y.dtype == np.int64
    rates = [data.y[data.X[:, -1] == t].mean() for t in range(29)]
    assert 0.028 < min(rates) and max(rates) < 0.095
    assert len(data.feature_names) == 9


@real
def test_sarcos_real_both_layouts():
    shared = load_sarcos(DATA / "sarcos", layout="shared")
    assert shared.X.shape == (4449, 21) and shared.Y.shape == (4449, 7)
    assert shared.task_column is None and shared.y is shared.Y
    np.testing.assert_allclose(shared.Y.std(axis=0, ddof=1)[[0, 4]], [20.35, 0.97], atol=0.01)
    per_task = load_sarcos(DATA / "sarcos" / "sarcos_inv_test.mat")
    assert per_task.X.shape == (7 * 4449, 22) and per_task.n_tasks == 7
    for t in range(7):
        rows = per_task.X[:, -1] == t
        np.testing.assert_array_equal(per_task.X[rows, :-1], shared.X)
        np.testing.assert_array_equal(per_task.y[rows], shared.Y[:, t])
    if not (DATA / "sarcos" / "sarcos_inv.mat").exists():  # not in ../shared/data
        with pytest.raises(FileNotFoundError, match="sarcos_inv.mat"):
            load_sarcos(DATA, split="train")


@real
@pytest.mark.parametrize("target", ["total_UPDRS", "motor_UPDRS"])
def test_parkinsons_real_shapes(target):
    data = load_parkinsons(DATA, target=target)
    assert data.X.shape == (5875, 19) and data.n_tasks == 42
    sizes = _task_sizes(data)
    assert sizes.min() == 101 and sizes.max() == 168
    assert data.feature_names[:2] == ["age", "sex"] and len(data.feature_names) == 18
    assert "test_time" not in data.feature_names and "subject#" not in data.feature_names
    # age and sex are constant within a patient
    for t in range(42):
        assert np.ptp(data.X[data.X[:, -1] == t, :2], axis=0).max() == 0
    assert data.target == target
    timed = load_parkinsons(DATA / "parkinsons" / "parkinsons_updrs.data", target=target,
                            include_test_time=True)
    assert timed.X.shape == (5875, 20) and timed.feature_names[2] == "test_time"
    np.testing.assert_array_equal(timed.y, data.y)


@real
def test_parkinsons_targets_differ():
    total = load_parkinsons(DATA).y
    motor = load_parkinsons(DATA, target="motor_UPDRS").y
    assert np.all(total >= motor)  # total UPDRS includes the motor part


@real
@pytest.mark.parametrize("pair, sizes", [("comp.vs.sci", [1875, 1827]),
                                         ("rec.vs.talk", [1844, 1545])])
def test_newsgroup_real_shapes(pair, sizes):
    data = load_newsgroup(DATA, pair=pair)
    assert sp.issparse(data.X) and data.X.shape == (sum(sizes), 2001)
    assert _task_sizes(data).tolist() == sizes
    assert set(np.unique(data.y)) == {0, 1}
    same = load_newsgroup(DATA / "malsar" / "Newsgroup" / pair / ("task1.mat" if pair[0] == "c"
                                                                    else "Task1.mat"))
    assert (same.X != data.X).nnz == 0


# ---------------------------------------------------------------------------
# Synthetic files: the happy path and every error path
# ---------------------------------------------------------------------------


def _school_arrays(rng, sizes=(5, 7)):
    Xs, Ys = [], []
    for n in sizes:
        Xt = rng.integers(0, 2, size=(n, 28)).astype(np.uint8)
        Xt[:, 27] = 1
        Xs.append(Xt)
        Ys.append(rng.integers(1, 70, size=(n, 1)).astype(np.uint8))
    return Xs, Ys


def test_school_synthetic_file(tmp_path):
    Xs, Ys = _school_arrays(np.random.default_rng(0))
    savemat(tmp_path / "school.mat", {"X": _cell(Xs), "Y": _cell(Ys)})
    data = load_school(tmp_path)
    assert data.X.shape == (12, 28) and data.n_tasks == 2
    np.testing.assert_array_equal(data.X[:5, :27], Xs[0][:, :27].astype(float))
    np.testing.assert_array_equal(data.X[:, -1], [0] * 5 + [1] * 7)
    np.testing.assert_array_equal(data.y[5:], Ys[1].ravel())


def test_missing_path_and_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"does not exist.*school\.mat"):
        load_school(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"no file 'school\.mat' in"):
        load_school(tmp_path)
    with pytest.raises(FileNotFoundError, match="LandmineData.mat"):
        load_landmine(tmp_path)
    with pytest.raises(FileNotFoundError, match="parkinsons_updrs.data"):
        load_parkinsons(tmp_path)
    with pytest.raises(FileNotFoundError, match="sarcos_inv_test.mat"):
        load_sarcos(tmp_path)
    with pytest.raises(FileNotFoundError, match="task1.mat"):
        load_newsgroup(tmp_path)
    with pytest.raises(TypeError, match="path must be"):
        load_school(None)


def test_garbage_bytes(tmp_path):
    (tmp_path / "school.mat").write_bytes(b"\x00\x01garbage" * 50)
    with pytest.raises(ValueError, match="not a readable MATLAB .mat file"):
        load_school(tmp_path)
    (tmp_path / "parkinsons_updrs.data").write_bytes(b"\xff\xfe\x00\x81" * 10)
    with pytest.raises(ValueError, match="not a text CSV file"):
        load_parkinsons(tmp_path)


@pytest.mark.parametrize("change, message", [
    (lambda X, Y: {"X": _cell(X)}, r"lacks the variable\(s\) \['Y'\]"),
    (lambda X, Y: {"X": X[0], "Y": _cell(Y)}, "must be a non-empty cell array"),
    (lambda X, Y: {"X": _cell(X), "Y": _cell(Y[:1])}, "2 X entries but 1 Y entries"),
    (lambda X, Y: {"X": _cell([X[0][:, :20], X[1]]), "Y": _cell(Y)}, r"\(n_t, 28\)"),
    (lambda X, Y: {"X": _cell(X), "Y": _cell([Y[0][:3], Y[1]])}, "5 rows in X but 3 values"),
    (lambda X, Y: {"X": _cell([X[0] * 0, X[1]]), "Y": _cell(Y)}, "constant bias column"),
    (lambda X, Y: {"X": _cell([np.full((5, 28), "a"), X[1]]), "Y": _cell(Y)}, "not numeric"),
    (lambda X, Y: {"X": _cell(X), "Y": _cell([np.full((5, 1), np.nan), Y[1]])},
     "NaN or infinite"),
    (lambda X, Y: {"X": _cell(X), "Y": _cell([np.ones((5, 2)), Y[1]])}, "a vector was expected"),
])
def test_school_malformed(tmp_path, change, message):
    Xs, Ys = _school_arrays(np.random.default_rng(1))
    savemat(tmp_path / "school.mat", change(Xs, Ys))
    with pytest.raises(ValueError, match=message):
        load_school(tmp_path / "school.mat")


def test_landmine_synthetic_and_malformed(tmp_path):
    rng = np.random.default_rng(2)
    feats = [rng.normal(size=(6, 9)), rng.normal(size=(4, 9))]
    labels = [np.array([[0], [1], [0], [0], [1], [0]], dtype=np.uint8),
              np.array([[1], [0], [0], [0]], dtype=np.uint8)]
    savemat(tmp_path / "LandmineData.mat", {"feature": _cell(feats), "label": _cell(labels)})
    data = load_landmine(tmp_path)
    assert data.X.shape == (10, 10) and data.y.tolist() == [0, 1, 0, 0, 1, 0, 1, 0, 0, 0]
    bad = [labels[0] + 1, labels[1]]
    savemat(tmp_path / "LandmineData.mat", {"feature": _cell(feats), "label": _cell(bad)})
    with pytest.raises(ValueError, match=r"labels of task 1 must be in \[0.0, 1.0\]"):
        load_landmine(tmp_path)
    savemat(tmp_path / "LandmineData.mat", {"feature": _cell([f[:, :8] for f in feats]),
                                            "label": _cell(labels)})
    with pytest.raises(ValueError, match=r"\(n_t, 9\)"):
        load_landmine(tmp_path)
    savemat(tmp_path / "LandmineData.mat", {"feature": _cell(feats), "label": _cell(labels[::-1])})
    with pytest.raises(ValueError, match="task 1 has 6 rows in feature but 4 values in label"):
        load_landmine(tmp_path)


def test_sarcos_synthetic_and_malformed(tmp_path):
    data = np.random.default_rng(3).normal(size=(8, 28))
    savemat(tmp_path / "sarcos_inv_test.mat", {"sarcos_inv_test": data})
    X, Y = load_sarcos(tmp_path, layout="shared", return_X_y=True)
    np.testing.assert_array_equal(X, data[:, :21])
    np.testing.assert_array_equal(Y, data[:, 21:])
    X, y = load_sarcos(tmp_path, return_X_y=True)
    assert X.shape == (56, 22) and y.shape == (56,)
    np.testing.assert_array_equal(y[8:16], data[:, 22])
    savemat(tmp_path / "sarcos_inv.mat", {"sarcos_inv": data[:, :27]})
    with pytest.raises(ValueError, match=r"shape \(8, 27\); \(n, 28\) was expected"):
        load_sarcos(tmp_path, split="train")
    savemat(tmp_path / "sarcos_inv.mat", {"other": data})
    with pytest.raises(ValueError, match=r"lacks the variable\(s\) \['sarcos_inv'\]"):
        load_sarcos(tmp_path / "sarcos_inv.mat", split="train")
    with pytest.raises(ValueError, match="split must be"):
        load_sarcos(tmp_path, split="valid")
    with pytest.raises(ValueError, match="layout must be"):
        load_sarcos(tmp_path, layout="stacked")


_PARKINSONS_HEADER = ("subject#,age,sex,test_time,motor_UPDRS,total_UPDRS,Jitter(%),Jitter(Abs),"
                      "Jitter:RAP,Jitter:PPQ5,Jitter:DDP,Shimmer,Shimmer(dB),Shimmer:APQ3,"
                      "Shimmer:APQ5,Shimmer:APQ11,Shimmer:DDA,NHR,HNR,RPDE,DFA,PPE")


def _parkinsons_rows(rng, subjects=(2, 2, 7, 7, 7, 2)):
    rows = []
    for s in subjects:
        vals = [s, 60 + s, s % 2, rng.uniform(0, 100), rng.uniform(10, 30), rng.uniform(30, 50)]
        rows.append(",".join(str(v) for v in vals + list(rng.uniform(0, 1, 16))))
    return rows


def test_parkinsons_synthetic(tmp_path):
    rows = _parkinsons_rows(np.random.default_rng(4))
    (tmp_path / "parkinsons_updrs.data").write_text("\n".join([_PARKINSONS_HEADER, *rows]) + "\n")
    data = load_parkinsons(tmp_path, target="motor_UPDRS")
    assert data.task_names == ["subject_2", "subject_7"]
    assert data.X.shape == (6, 19)
    np.testing.assert_array_equal(data.X[:, -1], [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(data.X[:3, 0], [62, 62, 62])  # age of subject 2
    expected = [float(rows[i].split(",")[4]) for i in (0, 1, 5, 2, 3, 4)]  # grouped by subject
    np.testing.assert_allclose(data.y, expected)
    with pytest.raises(ValueError, match="target must be one of"):
        load_parkinsons(tmp_path, target="UPDRS")


@pytest.mark.parametrize("edit, message", [
    (lambda h, r: [h.replace(",PPE", "")] + [x.rsplit(",", 1)[0] for x in r],
     r"lacks the column\(s\) \['PPE'\]"),
    (lambda h, r: [h] + [r[0] + ",1.0"] + r[1:], "data row 1 .* has 23 fields"),
    (lambda h, r: [h] + r[:2] + [r[2].replace(",", ",abc,", 1).rsplit(",", 1)[0]] + r[3:],
     "data row 3 .* non-numeric"),
    (lambda h, r: [h] + [r[0].replace("2,", "2.5,", 1)] + r[1:], "non-integers"),
    (lambda h, r: [h] + [r[0].replace("2,", "nan,", 1)] + r[1:], "NaN or infinite"),
    (lambda h, r: [h], "no data rows"),
    (lambda h, r: [], "is empty"),
])
def test_parkinsons_malformed(tmp_path, edit, message):
    rows = _parkinsons_rows(np.random.default_rng(5))
    (tmp_path / "parkinsons_updrs.data").write_text("\n".join(edit(_PARKINSONS_HEADER, rows)))
    with pytest.raises(ValueError, match=message):
        load_parkinsons(tmp_path)


def test_newsgroup_synthetic_and_malformed(tmp_path):
    rng = np.random.default_rng(6)
    folder = tmp_path / "Newsgroup" / "rec.vs.talk"
    folder.mkdir(parents=True)
    feas = [sp.random(5, 2000, density=0.01, format="csc", random_state=1),
            sp.random(3, 2000, density=0.01, format="csc", random_state=2)]
    gnds = [rng.integers(1, 3, size=(5, 1)).astype(np.uint8), np.array([[1], [2], [2]], np.uint8)]
    savemat(folder / "Task1.mat", {"fea": feas[0], "gnd": gnds[0]})  # capital T, as in MALSAR
    savemat(folder / "task2.mat", {"fea": feas[1], "gnd": gnds[1]})
    data = load_newsgroup(tmp_path, pair="rec.vs.talk")
    assert sp.issparse(data.X) and data.X.shape == (8, 2001)
    np.testing.assert_array_equal(data.X[:5, :2000].toarray(), feas[0].toarray())
    assert data.y[5:].tolist() == [0, 1, 1]
    with pytest.raises(FileNotFoundError, match="task1.mat"):
        load_newsgroup(tmp_path)  # comp.vs.sci is not there
    with pytest.raises(ValueError, match="pair must be one of"):
        load_newsgroup(tmp_path, pair="sci.vs.rec")
    savemat(folder / "task2.mat", {"fea": feas[1], "gnd": gnds[1] + 1})
    with pytest.raises(ValueError, match=r"labels of task 2 must be in \[1.0, 2.0\]"):
        load_newsgroup(folder)
    savemat(folder / "task2.mat", {"fea": feas[1][:, :1999], "gnd": gnds[1]})
    with pytest.raises(ValueError, match=r"\(n_t, 2000\)"):
        load_newsgroup(folder / "Task1.mat")
