"""Loaders for the classic multi-task learning benchmarks, read from a path the user gives.

Nothing is downloaded: every loader takes ``path``, either the data file itself
or a folder holding it (searched directly, then in the sub-folder named after
the data set, so ``load_school("shared/data")`` works as well as
``load_school("shared/data/malsar/school.mat")``).

Every loader returns a :class:`sklearn.utils.Bunch` in the per-task layout:
``X`` holds the features and, as its LAST column, the task id ``0..T-1`` (so
estimators take ``task_column=-1``), ``y`` is 1-D. SARCOS, whose tasks share
one design, can also be returned in the shared layout (``X`` of shape
``(n, p)``, ``Y`` of shape ``(n, T)``).

A missing file raises ``FileNotFoundError`` naming the path and the file
expected; a file that cannot be read, lacks a variable or column, has
non-numeric or non-finite values, or per-task designs and targets of
different lengths raises ``ValueError`` naming the problem.
"""

import csv
import os
import pathlib

import numpy as np
import scipy.sparse as sp
from sklearn.utils import Bunch

from ..data import stack_tasks

__all__ = ["load_school", "load_sarcos", "load_parkinsons", "load_landmine", "load_newsgroup"]


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def _find_file(path, filenames, subdirs, loader):
    """The data file: ``path`` itself, or the first of ``filenames`` found under it.

    Folders searched, in order: ``path``, then ``path / sub`` for each of
    ``subdirs``. File names are matched case-insensitively, because the
    copies in circulation differ (``task1.mat`` / ``Task1.mat``).
    """
    if isinstance(path, (str, bytes, os.PathLike)):
        path = pathlib.Path(os.fsdecode(path))
    else:
        raise TypeError(f"{loader}: path must be a str or os.PathLike, got {type(path).__name__}.")
    expected = " or ".join(repr(f) for f in filenames)
    if path.is_file():
        return path
    if not path.exists():
        raise FileNotFoundError(
            f"{loader}: {str(path)!r} does not exist; give the file {expected} or a "
            "folder holding it (nothing is downloaded).")
    wanted = [f.lower() for f in filenames]
    for folder in [path, *(path / s for s in subdirs)]:
        if not folder.is_dir():
            continue
        found = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
        for name in wanted:
            if name in found:
                return found[name]
    where = ", ".join(repr(str(path / s)) for s in subdirs)
    raise FileNotFoundError(
        f"{loader}: no file {expected} in {str(path)!r}"
        f"{' nor in ' + where if subdirs else ''}.")


def _loadmat(file, variables, loader):
    """Read ``variables`` from a MATLAB v5 file; any reading error is a ValueError."""
    from scipy.io import loadmat

    try:
        data = loadmat(file)
    except Exception as exc:  # scipy raises many types on a corrupt or non-.mat file
        raise ValueError(
            f"{loader}: {str(file)!r} is not a readable MATLAB .mat file "
            f"({type(exc).__name__}: {exc}).") from exc
    missing = [v for v in variables if v not in data]
    if missing:
        present = sorted(k for k in data if not k.startswith("__"))
        raise ValueError(
            f"{loader}: {str(file)!r} lacks the variable(s) {missing}; it holds {present}.")
    return data


def _cells(value, name, file, loader):
    """The elements of a MATLAB cell array (object ndarray) as a list."""
    if not (isinstance(value, np.ndarray) and value.dtype == object and value.size > 0):
        raise ValueError(
            f"{loader}: variable {name!r} of {str(file)!r} must be a non-empty cell array "
            f"(one entry per task), got {type(value).__name__}"
            f"{' of dtype ' + str(value.dtype) if isinstance(value, np.ndarray) else ''}.")
    return list(value.ravel())


def _numeric(a, what, loader, *, allow_sparse=False):
    """``a`` as a finite float64 array (or sparse matrix); ValueError otherwise."""
    if sp.issparse(a):
        if not allow_sparse:
            raise ValueError(f"{loader}: {what} is a sparse matrix; a dense array was expected.")
        a = sp.csr_matrix(a, dtype=np.float64) if a.dtype.kind in "biuf" else None
        if a is None or not np.all(np.isfinite(a.data)):
            raise ValueError(f"{loader}: {what} holds non-numeric or non-finite values.")
        return a
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{loader}: {what} is not numeric (dtype {a.dtype}).")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{loader}: {what} holds NaN or infinite values.")
    return a


def _per_task_lists(Xcells, ycells, n_columns, loader, names=("X", "Y")):
    """Check per-task designs ``(n_t, n_columns)`` and targets ``(n_t,)``; return two lists."""
    if len(Xcells) != len(ycells):
        raise ValueError(
            f"{loader}: {len(Xcells)} {names[0]} entries but {len(ycells)} {names[1]} "
            "entries; there must be one of each per task.")
    Xs, ys = [], []
    for t, (Xt, yt) in enumerate(zip(Xcells, ycells)):
        Xt = _numeric(Xt, f"{names[0]}{{{t + 1}}}", loader, allow_sparse=True)
        yt = _numeric(yt, f"{names[1]}{{{t + 1}}}", loader)
        if Xt.ndim != 2 or Xt.shape[1] != n_columns:
            raise ValueError(
                f"{loader}: {names[0]}{{{t + 1}}} has shape {Xt.shape}; "
                f"(n_t, {n_columns}) was expected.")
        if yt.ndim > 2 or (yt.ndim == 2 and 1 not in yt.shape):
            raise ValueError(
                f"{loader}: {names[1]}{{{t + 1}}} has shape {yt.shape}; a vector was expected.")
        yt = yt.ravel()
        if yt.shape[0] != Xt.shape[0]:
            raise ValueError(
                f"{loader}: task {t + 1} has {Xt.shape[0]} rows in {names[0]} but "
                f"{yt.shape[0]} values in {names[1]}.")
        if Xt.shape[0] == 0:
            raise ValueError(f"{loader}: task {t + 1} has no samples.")
        Xs.append(Xt)
        ys.append(yt)
    return Xs, ys


def _binary01(ys, loader, values=(0.0, 1.0)):
    """Check labels take values in ``values`` and map them to int64 0/1."""
    out = []
    for t, yt in enumerate(ys):
        bad = ~np.isin(yt, values)
        if bad.any():
            raise ValueError(
                f"{loader}: labels of task {t + 1} must be in {list(values)}, found "
                f"{np.unique(yt[bad])[:5].tolist()}.")
        out.append((yt == values[1]).astype(np.int64))
    return out


def _describe(title, body, X, n_tasks, sizes):
    shape = (f"X {X.shape} (the last column is the task id 0..{n_tasks - 1}), "
             f"{n_tasks} tasks, {int(np.sum(sizes))} rows, "
             f"{int(np.min(sizes))} to {int(np.max(sizes))} per task.")
    return f"{title}\n{'=' * len(title)}\n\nLoaded: {shape}\n\n{body.strip()}\n"


def _per_task_bunch(Xs, ys, *, feature_names, task_names, descr, file, return_X_y, **extra):
    X, y = stack_tasks(Xs, ys)
    if return_X_y:
        return X, y
    sizes = [len(yt) for yt in ys]
    return Bunch(X=X, y=y, task_column=-1, feature_names=list(feature_names),
                 task_names=list(task_names), n_tasks=len(Xs), filename=str(file),
                 DESCR=_describe(descr[0], descr[1], X, len(Xs), sizes), **extra)


# ---------------------------------------------------------------------------
# School
# ---------------------------------------------------------------------------

_SCHOOL_FEATURES = (
    [f"exam_year_{k}" for k in (1, 2, 3)]
    + ["school_pct_free_meals", "school_pct_vr_band_1"]
    + [f"gender_{k}" for k in (1, 2)]
    + [f"vr_band_{k}" for k in (1, 2, 3)]
    + [f"ethnic_group_{k}" for k in range(1, 12)]
    + [f"school_gender_{k}" for k in (1, 2, 3)]
    + [f"school_denomination_{k}" for k in (1, 2, 3)]
)

_SCHOOL_DESCR = """
Inner London Education Authority exam scores (Goldstein 1991), first used for
multi-task learning by Bakker & Heskes (2003); the copy read here is MALSAR's
``data/school.mat`` (variables ``X`` and ``Y``, 1 x 139 cell arrays; MALSAR's
manual names Argyriou, Evgeniou & Pontil's MTL-FEAT page as its source).
One task per school (139 schools, 15,362 students, 22 to 251 per school); the
target is the exam score (1 to 70).

Preprocessing: the file stores uint8; features and targets are cast to
float64. The file's column 28 is a constant bias column (all ones) and is
dropped, leaving 27 features; nothing is scaled (MALSAR's example z-scores
every column; do it inside your cross-validation). The 27 columns come in
one-hot groups (they sum to one within each group): exam year (3), two
integer school-level percentages, gender (2), verbal-reasoning band (3),
ethnic group (11), school gender (3), school denomination (3). The file does
not name them: the names of the two percentages (free school meals, VR band
1) follow Bakker & Heskes' attribute list and the order is our inference.

References: Bakker & Heskes, "Task clustering and gating for Bayesian
multitask learning", JMLR 4 (2003); Argyriou, Evgeniou & Pontil, "Convex
multi-task feature learning", Machine Learning 73 (2008); Zhou, Chen & Ye,
MALSAR (2012), http://www.MALSAR.org.
"""


def load_school(path, *, return_X_y=False):
    """Load the School data (139 per-school regression tasks) from MALSAR's ``school.mat``.

    Parameters
    ----------
    path : str or os.PathLike
        The file ``school.mat`` or a folder holding it (directly or in a
        ``malsar/`` sub-folder). Nothing is downloaded.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : sklearn.utils.Bunch
        - ``X``: ndarray of shape (15362, 28), float64: the 27 features
          (the file's constant bias column 28 dropped) and the task id
          ``0..138`` as the last column.
        - ``y``: ndarray of shape (15362,), the exam scores.
        - ``task_column``: ``-1``.
        - ``feature_names``: the 27 feature names (task column excluded).
        - ``task_names``: ``"school_1"`` ... ``"school_139"`` (file order;
          task id ``t`` is ``task_names[t]``).
        - ``n_tasks``: 139. ``filename``: the file read. ``DESCR``: source,
          citation, shapes and preprocessing.

    Raises
    ------
    FileNotFoundError
        If no ``school.mat`` is found at ``path``.
    ValueError
        If the file is unreadable or malformed (missing ``X``/``Y``, not 28
        columns, column 28 not a constant 1, non-numeric values, designs and
        targets of different lengths).

    Examples
    --------
    >>> data = load_school("../shared/data/malsar")        # doctest: +SKIP
    >>> data.X.shape, data.n_tasks                          # doctest: +SKIP
    ((15362, 28), 139)
    """
    loader = "load_school"
    file = _find_file(path, ["school.mat"], ["malsar"], loader)
    mat = _loadmat(file, ["X", "Y"], loader)
    Xs, ys = _per_task_lists(_cells(mat["X"], "X", file, loader),
                             _cells(mat["Y"], "Y", file, loader), 28, loader)
    for t, Xt in enumerate(Xs):
        if np.any(Xt[:, 27] != 1.0):
            raise ValueError(
                f"{loader}: column 28 of X{{{t + 1}}} is not the constant bias column "
                "(all ones) of MALSAR's school.mat; is this the right file?")
    Xs = [Xt[:, :27] for Xt in Xs]
    return _per_task_bunch(
        Xs, ys, feature_names=_SCHOOL_FEATURES,
        task_names=[f"school_{t + 1}" for t in range(len(Xs))],
        descr=("School data (ILEA exam scores)", _SCHOOL_DESCR), file=file,
        return_X_y=return_X_y)


# ---------------------------------------------------------------------------
# Landmine
# ---------------------------------------------------------------------------

_LANDMINE_FEATURES = ["moment_1", "moment_2", "moment_3", "moment_4", "correlation_1",
                      "correlation_2", "correlation_3", "energy_ratio", "spatial_variance"]

_LANDMINE_DESCR = """
Landmine detection from airborne radar images (Xue, Liao, Carin &
Krishnapuram 2007): 29 binary classification tasks, one per mine field
(tasks 1 to 15 from highly foliated regions, 16 to 29 from bare earth or
desert), 14,820 objects, 445 to 690 per task. Each object has 9 features
(four moment-based, three correlation-based, an energy ratio and a spatial
variance); label 1 is a landmine, 0 clutter. Positives are rare (2.9% to
9.4% per task): the usual score is the per-task ROC AUC, averaged over tasks.
The file is ``LandmineData.mat`` (variables ``feature`` and ``label``, 1 x 29
cell arrays) from the Duke (Carin lab) release.

Preprocessing: features cast to float64, labels to int64 in {0, 1}; nothing
else (scale inside your cross-validation).

Reference: Xue, Liao, Carin & Krishnapuram, "Multi-task learning for
classification with Dirichlet process priors", JMLR 8 (2007).
"""


def load_landmine(path, *, return_X_y=False):
    """Load the Landmine data (29 per-field binary classification tasks).

    Parameters
    ----------
    path : str or os.PathLike
        The file ``LandmineData.mat`` or a folder holding it (directly or in
        a ``landmine/`` sub-folder). Nothing is downloaded.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : sklearn.utils.Bunch
        - ``X``: ndarray of shape (14820, 10): the 9 features and the task id
          ``0..28`` as the last column.
        - ``y``: int64 ndarray of shape (14820,), 1 = landmine, 0 = clutter.
        - ``task_column`` (-1), ``feature_names`` (9), ``task_names``
          (``"field_1"`` ... ``"field_29"``), ``n_tasks`` (29),
          ``filename``, ``DESCR``.

    Raises
    ------
    FileNotFoundError
        If no ``LandmineData.mat`` is found at ``path``.
    ValueError
        If the file is unreadable or malformed (missing ``feature``/``label``,
        not 9 features, labels outside {0, 1}, non-numeric values, designs
        and labels of different lengths).
    """
    loader = "load_landmine"
    file = _find_file(path, ["LandmineData.mat"], ["landmine"], loader)
    mat = _loadmat(file, ["feature", "label"], loader)
    Xs, ys = _per_task_lists(_cells(mat["feature"], "feature", file, loader),
                             _cells(mat["label"], "label", file, loader), 9, loader,
                             names=("feature", "label"))
    return _per_task_bunch(
        Xs, _binary01(ys, loader), feature_names=_LANDMINE_FEATURES,
        task_names=[f"field_{t + 1}" for t in range(len(Xs))],
        descr=("Landmine detection data", _LANDMINE_DESCR), file=file,
        return_X_y=return_X_y)


# ---------------------------------------------------------------------------
# SARCOS
# ---------------------------------------------------------------------------

_SARCOS_FEATURES = [f"{kind}_{j}" for kind in ("position", "velocity", "acceleration")
                    for j in range(1, 8)]

_SARCOS_DESCR = """
SARCOS anthropomorphic robot arm, inverse dynamics (Vijayakumar & Schaal
2000; distributed with Rasmussen & Williams' GPML book): 21 inputs (7 joint
positions, 7 velocities, 7 accelerations) and 7 joint torques, the 7 tasks.
All tasks share the same inputs. ``split="test"`` reads ``sarcos_inv_test.mat``
(variable ``sarcos_inv_test``, 4,449 x 28); ``split="train"`` reads
``sarcos_inv.mat`` (variable ``sarcos_inv``, 44,484 x 28) if you have it.
Columns 1 to 21 are the inputs, 22 to 28 the torques.

Preprocessing: none (float64 as stored). The torques have very different
scales (standard deviations 0.97 to 20.35 in the test split): normalise per
task or use scale-free scores (nMSE). Per-task layout: the 7 tasks' rows
are the same inputs repeated, task id last.

References: Vijayakumar & Schaal, "Locally weighted projection regression",
ICML 2000; Rasmussen & Williams, Gaussian Processes for Machine Learning,
MIT Press (2006), http://www.gaussianprocess.org/gpml/data/.
"""


def load_sarcos(path, *, split="test", layout="per_task", return_X_y=False):
    """Load the SARCOS inverse-dynamics data (7 torque regression tasks, one shared design).

    Parameters
    ----------
    path : str or os.PathLike
        The file (``sarcos_inv_test.mat`` or ``sarcos_inv.mat``) or a folder
        holding it (directly or in a ``sarcos/`` sub-folder). Nothing is
        downloaded.
    split : {"test", "train"}, default="test"
        Which file to look for in a folder: ``sarcos_inv_test.mat`` (4,449
        rows) or ``sarcos_inv.mat`` (44,484 rows). When ``path`` is a file,
        the variable read is ``sarcos_inv_test`` or ``sarcos_inv`` accordingly.
    layout : {"per_task", "shared"}, default="per_task"
        ``"per_task"``: ``X`` of shape (7 n, 22) (the inputs repeated once per
        task, task id last) and ``y`` of shape (7 n,). ``"shared"``: ``X`` of
        shape (n, 21) and ``Y`` of shape (n, 7) (``y`` is the same array),
        ``task_column=None``.
    return_X_y : bool, default=False
        Return ``(X, y)`` (``(X, Y)`` with ``layout="shared"``).

    Returns
    -------
    data : sklearn.utils.Bunch
        ``X``, ``y`` (and ``Y`` in the shared layout), ``task_column``,
        ``feature_names`` (21), ``task_names`` (``"torque_1"`` ...
        ``"torque_7"``), ``n_tasks`` (7), ``filename``, ``DESCR``.

    Raises
    ------
    FileNotFoundError
        If the file is not found at ``path``.
    ValueError
        If ``split`` or ``layout`` is unknown, or the file is unreadable or
        malformed (missing variable, not 28 columns, non-numeric or
        non-finite values).
    """
    loader = "load_sarcos"
    names = {"test": "sarcos_inv_test", "train": "sarcos_inv"}
    if split not in names:
        raise ValueError(f"{loader}: split must be 'test' or 'train', got {split!r}.")
    if layout not in ("per_task", "shared"):
        raise ValueError(f"{loader}: layout must be 'per_task' or 'shared', got {layout!r}.")
    var = names[split]
    file = _find_file(path, [var + ".mat"], ["sarcos"], loader)
    data = _numeric(_loadmat(file, [var], loader)[var], f"variable {var!r}", loader)
    if data.ndim != 2 or data.shape[1] != 28 or data.shape[0] == 0:
        raise ValueError(
            f"{loader}: variable {var!r} has shape {data.shape}; (n, 28) was expected "
            "(21 inputs, then 7 torques).")
    X, Y = data[:, :21].copy(), data[:, 21:].copy()
    task_names = [f"torque_{j}" for j in range(1, 8)]
    if layout == "per_task":
        return _per_task_bunch(
            [X] * 7, list(Y.T), feature_names=_SARCOS_FEATURES, task_names=task_names,
            descr=("SARCOS inverse dynamics", _SARCOS_DESCR), file=file,
            return_X_y=return_X_y)
    if return_X_y:
        return X, Y
    title = "SARCOS inverse dynamics"
    descr = (f"{title}\n{'=' * len(title)}\n\nLoaded (shared layout): X {X.shape}, "
             f"Y {Y.shape}, 7 tasks.\n\n{_SARCOS_DESCR.strip()}\n")
    return Bunch(X=X, y=Y, Y=Y, task_column=None, feature_names=list(_SARCOS_FEATURES),
                 task_names=task_names, n_tasks=7, filename=str(file), DESCR=descr)


# ---------------------------------------------------------------------------
# Parkinson's telemonitoring
# ---------------------------------------------------------------------------

_PARKINSONS_VOICE = ["Jitter(%)", "Jitter(Abs)", "Jitter:RAP", "Jitter:PPQ5", "Jitter:DDP",
                     "Shimmer", "Shimmer(dB)", "Shimmer:APQ3", "Shimmer:APQ5", "Shimmer:APQ11",
                     "Shimmer:DDA", "NHR", "HNR", "RPDE", "DFA", "PPE"]
_PARKINSONS_TARGETS = ("total_UPDRS", "motor_UPDRS")

_PARKINSONS_DESCR = """
Parkinson's telemonitoring (UCI; Tsanas, Little, McSharry & Ramig 2009):
5,875 voice recordings of 42 early-stage Parkinson's patients over six
months, 101 to 168 per patient. One regression task per patient (task id
``t`` is subject ``task_names[t]``); the target is the clinician's
``{target}`` score (linearly interpolated between visits).

Features kept: age, sex and the 16 voice measures{time}. Dropped: the
subject number (it defines the tasks), the other UPDRS score (a target, not
an input){dropped_time}. Age and sex are constant within a patient, so in the
per-task layout they only matter to models that share coefficients across
tasks. Values are float64 as stored; nothing is scaled.

Reference: Tsanas, Little, McSharry & Ramig, "Accurate telemonitoring of
Parkinson's disease progression by non-invasive speech tests", IEEE Trans.
Biomed. Eng. 57(4) (2010; the .names file cites it as 2009, to appear).
"""


def _read_csv(file, required, loader):
    """Header and float rows of a CSV file; ValueError naming the first bad line."""
    try:
        with open(file, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{loader}: {str(file)!r} is not a text CSV file ({exc}).") from exc
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"{loader}: {str(file)!r} is empty.")
    header = [c.strip() for c in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise ValueError(f"{loader}: the header of {str(file)!r} lacks the column(s) {missing}.")
    if len(rows) == 1:
        raise ValueError(f"{loader}: {str(file)!r} has a header but no data rows.")
    values = np.empty((len(rows) - 1, len(header)))
    for i, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise ValueError(
                f"{loader}: data row {i + 1} of {str(file)!r} has {len(row)} fields, the "
                f"header has {len(header)}.")
        try:
            values[i] = [float(c) for c in row]
        except ValueError:
            raise ValueError(
                f"{loader}: data row {i + 1} of {str(file)!r} holds a non-numeric value: "
                f"{row!r}.") from None
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{loader}: {str(file)!r} holds NaN or infinite values.")
    return header, values


def load_parkinsons(path, *, target="total_UPDRS", include_test_time=False,
                    return_X_y=False):
    """Load the Parkinson's telemonitoring data (42 per-patient regression tasks).

    Parameters
    ----------
    path : str or os.PathLike
        The file ``parkinsons_updrs.data`` (UCI's CSV with a header) or a
        folder holding it (directly or in a ``parkinsons/`` sub-folder).
        Nothing is downloaded.
    target : {"total_UPDRS", "motor_UPDRS"}, default="total_UPDRS"
        The score to predict.
    include_test_time : bool, default=False
        Also keep ``test_time`` (days since recruitment) as a feature, the
        19-feature setup of part of the literature. Off by default: the
        UPDRS targets are interpolated in time, so within a patient the time
        alone predicts them.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : sklearn.utils.Bunch
        - ``X``: ndarray of shape (5875, 19) (or (5875, 20) with
          ``include_test_time``): age, sex, the 16 voice measures
          (``test_time`` after sex when included) and the task id ``0..41``
          as the last column. Rows are grouped by patient.
        - ``y``: ndarray of shape (5875,), the chosen UPDRS score.
        - ``task_column`` (-1), ``feature_names``, ``task_names``
          (``"subject_1"`` ... ``"subject_42"``, sorted by subject number),
          ``n_tasks`` (42), ``target``, ``filename``, ``DESCR``.

    Raises
    ------
    FileNotFoundError
        If no ``parkinsons_updrs.data`` is found at ``path``.
    ValueError
        If ``target`` is unknown, or the file is malformed (missing columns,
        rows of the wrong length, non-numeric or non-finite values, a
        non-integer subject number).
    """
    loader = "load_parkinsons"
    if target not in _PARKINSONS_TARGETS:
        raise ValueError(f"{loader}: target must be one of {list(_PARKINSONS_TARGETS)}, "
                         f"got {target!r}.")
    file = _find_file(path, ["parkinsons_updrs.data"], ["parkinsons"], loader)
    features = ["age", "sex"] + (["test_time"] if include_test_time else []) + _PARKINSONS_VOICE
    header, values = _read_csv(file, ["subject#", *_PARKINSONS_TARGETS, "test_time", *features],
                               loader)
    col = {name: header.index(name) for name in header}
    subject = values[:, col["subject#"]]
    if np.any(subject != np.round(subject)):
        raise ValueError(f"{loader}: the subject# column of {str(file)!r} holds non-integers.")
    subjects = np.unique(subject)
    F = values[:, [col[f] for f in features]]
    y = values[:, col[target]]
    Xs = [F[subject == s] for s in subjects]
    ys = [y[subject == s] for s in subjects]
    descr = _PARKINSONS_DESCR.format(
        target=target, time=", plus test_time" if include_test_time else "",
        dropped_time="" if include_test_time else
        ", and test_time (pass include_test_time=True to keep it)")
    return _per_task_bunch(
        Xs, ys, feature_names=features,
        task_names=[f"subject_{int(s)}" for s in subjects],
        descr=("Parkinson's telemonitoring data", descr), file=file,
        return_X_y=return_X_y, target=target)


# ---------------------------------------------------------------------------
# 20 Newsgroups pairs (MALSAR's multi-task clustering data)
# ---------------------------------------------------------------------------

_NEWSGROUP_PAIRS = ("comp.vs.sci", "rec.vs.talk")

_NEWSGROUP_DESCR = """
Two-task text data from MALSAR's ``data/Newsgroup/{pair}/``, "a part of the
20 Newsgroups" prepared for multi-task clustering (Gu & Zhou, "Learning the
shared subspace for multi-task clustering and transductive transfer
classification", ICDM 2009). Each task file holds ``fea`` (sparse,
n_t x 2000 term features) and ``gnd`` (labels 1 and 2). The two tasks share
the label semantics ({pair}), so they also serve as two related binary
classification tasks.

Preprocessing: ``X`` is a scipy CSR matrix (float64; the term features as
stored, plus the task id as the last column); labels 1 / 2 become 0 / 1.

Reference: Zhou, Chen & Ye, MALSAR (2012), http://www.MALSAR.org.
"""


def load_newsgroup(path, *, pair="comp.vs.sci", return_X_y=False):
    """Load one of MALSAR's two-task 20 Newsgroups pairs (sparse text, binary labels).

    Parameters
    ----------
    path : str or os.PathLike
        The pair's folder (holding ``task1.mat`` and ``task2.mat``, any
        letter case) or a folder above it (``.../<pair>``,
        ``.../Newsgroup/<pair>`` or ``.../malsar/Newsgroup/<pair>``).
    pair : {"comp.vs.sci", "rec.vs.talk"}, default="comp.vs.sci"
        Which pair to read when ``path`` is a folder above the pair's folder.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : sklearn.utils.Bunch
        - ``X``: scipy.sparse CSR matrix of shape (n, 2001): 2000 term
          features and the task id (0 or 1) as the last column.
        - ``y``: int64 ndarray of shape (n,), labels 0 / 1 (the file's 1 / 2).
        - ``task_column`` (-1), ``feature_names`` (``"term_1"`` ...),
          ``task_names`` (``"task1"``, ``"task2"``), ``n_tasks`` (2),
          ``filename`` (the pair's folder), ``DESCR``.

    Raises
    ------
    FileNotFoundError
        If the pair's task files are not found.
    ValueError
        If ``pair`` is unknown, or a file is unreadable or malformed (missing
        ``fea``/``gnd``, not 2000 features, labels outside {1, 2}, different
        numbers of rows in ``fea`` and ``gnd``).
    """
    loader = "load_newsgroup"
    if pair not in _NEWSGROUP_PAIRS:
        raise ValueError(f"{loader}: pair must be one of {list(_NEWSGROUP_PAIRS)}, got {pair!r}.")
    if isinstance(path, (str, bytes, os.PathLike)) and pathlib.Path(os.fsdecode(path)).is_file():
        path = pathlib.Path(os.fsdecode(path)).parent  # one task file: read the pair's folder
    subdirs = [pair, f"Newsgroup/{pair}", f"malsar/Newsgroup/{pair}"]
    files = [_find_file(path, [f"task{k}.mat"], subdirs, loader) for k in (1, 2)]
    if files[0].parent != files[1].parent:
        raise FileNotFoundError(
            f"{loader}: task1.mat and task2.mat were found in different folders "
            f"({str(files[0].parent)!r}, {str(files[1].parent)!r}); give the pair's folder.")
    feas, gnds = [], []
    for file in files:
        mat = _loadmat(file, ["fea", "gnd"], loader)
        feas.append(mat["fea"])
        gnds.append(mat["gnd"])
    Xs, ys = _per_task_lists(feas, gnds, 2000, loader, names=("fea", "gnd"))
    folder = files[0].parent
    return _per_task_bunch(
        Xs, _binary01(ys, loader, values=(1.0, 2.0)),
        feature_names=[f"term_{j}" for j in range(1, 2001)], task_names=["task1", "task2"],
        descr=(f"20 Newsgroups, {folder.name}", _NEWSGROUP_DESCR.format(pair=folder.name)),
        file=folder, return_X_y=return_X_y)
