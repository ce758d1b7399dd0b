"""The data of a comparison: the embedded synthetic scenarios, real sets by path, user arrays.

Whatever the source, the comparison works on one :class:`Dataset`: the
feature matrix without any task column, the targets, and, in the per-task
layout, each row's task as an integer code.
"""

import os
from dataclasses import dataclass, field

import numpy as np

# The embedded default: 10 related regression tasks with fewer rows than features, so that a
# model sharing the common support across tasks has an edge over one model per task.
SYNTHETIC = dict(tasks=10, features=50, shared=5, specific=2, samples=(30, 90), snr=3.0,
                 correlation=0.3, seed=0)
# Classification needs more rows per task for the same difficulty.
SYNTHETIC_CLASSIFICATION = dict(SYNTHETIC, samples=(60, 150))

# DATA names the loaders of mtlclassic.datasets read from a path (and their options). SARCOS's
# seven torques share one design: read in the shared layout, its rows are split once for all
# tasks, so no input row is in one task's training part and another's test part. The per-task
# layout ("sarcos-per-task") is the learning-curve protocol of the multi-task GP literature
# (each torque draws its own training rows: train_size, --train-size), where an input row may
# train one torque and test another.
LOADERS = {"school": ("load_school", {}), "sarcos": ("load_sarcos", {"layout": "shared"}),
           "sarcos-per-task": ("load_sarcos", {"layout": "per_task"}),
           "parkinsons": ("load_parkinsons", {}), "landmine": ("load_landmine", {})}
# The targets a loader can read (``target=``, ``--target``), the default first.
LOADER_TARGETS = {"parkinsons": ("total_UPDRS", "motor_UPDRS")}
_SYNTHETIC_NAMES = ("synthetic", "synthetic-classification")


class DataError(ValueError):
    """A DATA specification that cannot be read (unknown name, missing path, bad option)."""


@dataclass
class Dataset:
    """One multi-task problem, as the comparison consumes it.

    Attributes
    ----------
    name : str
        Short name (``"synthetic"``, ``"school"``, ...).
    X : ndarray of shape (n_samples, n_features)
        Features (no task column).
    y : ndarray of shape (n_samples,) or (n_samples, n_tasks)
        Targets: 1-D in the per-task layout, 2-D in the shared layout (NaN
        marks a target not observed for that task).
    task : ndarray of shape (n_samples,) of int, or None
        Task code ``0 .. n_tasks - 1`` of each row (per-task layout); None in
        the shared layout.
    tasks : ndarray of shape (n_tasks,)
        The task labels (the original task ids, or column indices).
    kind : {"regression", "classification"}
    description : str
        One line for the report.
    coef : ndarray of shape (n_tasks, n_features), default=None
        The true coefficients, when known (synthetic data).
    feature_names : list of str, default=None
        Names of the columns of ``X`` (after one-hot encoding of a table).
    notes : list of str
        What was done to the data before the comparison (columns encoded or
        dropped, rows left out), for the report.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    task: object
    tasks: np.ndarray
    kind: str
    description: str = ""
    coef: object = None
    extra: dict = field(default_factory=dict)
    feature_names: object = None
    notes: list = field(default_factory=list)

    @property
    def layout(self):
        return "shared" if self.task is None else "per_task"

    @property
    def n_tasks(self):
        return len(self.tasks)

    @property
    def n_features(self):
        return self.X.shape[1]

    def task_sizes(self):
        """Rows (per-task layout) or observed targets (shared layout) of each task."""
        if self.task is not None:
            return np.bincount(self.task, minlength=self.n_tasks)
        Y = self.y.reshape(self.y.shape[0], -1)
        return np.sum(~np.isnan(Y.astype(np.float64)), axis=0)

    def summary(self):
        sizes = self.task_sizes()
        layout = "per-task rows" if self.layout == "per_task" else "shared design"
        rows = f"{sizes.min()}-{sizes.max()}" if sizes.min() != sizes.max() else f"{sizes.min()}"
        return (f"{self.name}: {self.kind}, {self.n_tasks} tasks, {self.n_features} features, "
                f"{layout}, {rows} rows per task ({self.X.shape[0]} rows in all)")


# -- the embedded scenarios ---------------------------------------------------------
def _parse_options(text, defaults):
    """The options of ``key=value,key=value`` (``samples`` may be ``lo-hi``)."""
    options = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in defaults:
            raise DataError(f"bad synthetic option {item!r}: expected key=value with key one of "
                            f"{', '.join(sorted(defaults))}")
        try:
            if key == "samples":
                lo, _, hi = value.partition("-")
                options[key] = (int(lo), int(hi or lo))
            elif key in ("snr", "correlation"):
                options[key] = float(value)
            else:
                options[key] = int(value)
        except ValueError:
            raise DataError(f"bad value in synthetic option {item!r}") from None
    return options


def _check_options(options):
    lo, hi = options["samples"]
    if options["tasks"] < 2 or options["features"] < 1 or not 4 <= lo <= hi:
        raise DataError("synthetic data needs tasks >= 2, features >= 1 and 4 <= samples "
                        f"(lo-hi, lo <= hi), got tasks={options['tasks']}, "
                        f"features={options['features']}, samples={lo}-{hi}")
    if not options["snr"] > 0 or not 0 <= options["correlation"] < 1:
        raise DataError("synthetic data needs snr > 0 and 0 <= correlation < 1")
    options["shared"] = max(0, min(options["shared"], options["features"]))
    free = options["features"] - options["shared"]
    options["specific"] = max(0, min(options["specific"], free // options["tasks"]))
    return options


def synthetic(kind="regression", **options):
    """The embedded scenario: related tasks with per-task rows of unequal sizes.

    A support of ``shared`` features common to every task (values with a
    common sign and magnitude, perturbed by about 30 % per task) and
    ``specific`` features of each task's own; Gaussian features with
    Toeplitz correlation; noise set per task to the signal-to-noise ratio
    ``snr``. See :func:`mtlclassic.datasets.make_multitask_regression`.

    Parameters
    ----------
    kind : {"regression", "classification"}, default="regression"
    **options
        ``tasks``, ``features``, ``shared``, ``specific``, ``samples``
        (``(lo, hi)`` rows per task), ``snr``, ``correlation``, ``seed``;
        defaults in ``SYNTHETIC`` (regression) and
        ``SYNTHETIC_CLASSIFICATION``.

    Returns
    -------
    Dataset
    """
    from ..datasets import make_multitask_classification, make_multitask_regression

    defaults = SYNTHETIC if kind == "regression" else SYNTHETIC_CLASSIFICATION
    unknown = set(options) - set(defaults)
    if unknown:
        raise DataError(f"unknown synthetic option(s) {sorted(unknown)}")
    opts = _check_options({**defaults, **options})
    rng = np.random.default_rng(opts["seed"])
    sizes = rng.integers(opts["samples"][0], opts["samples"][1] + 1, size=opts["tasks"])
    make = make_multitask_regression if kind == "regression" else make_multitask_classification
    X, y, coef = make(n_samples=sizes, n_features=opts["features"], n_tasks=opts["tasks"],
                      n_shared=opts["shared"], n_specific=opts["specific"], snr=opts["snr"],
                      correlation=opts["correlation"], layout="per_task",
                      random_state=opts["seed"])
    name = "synthetic" if kind == "regression" else "synthetic-classification"
    task = X[:, -1].astype(np.int64)
    desc = (f"embedded synthetic scenario: {opts['shared']} features shared by all tasks, "
            f"{opts['specific']} specific to each, SNR {opts['snr']:g}, feature correlation "
            f"{opts['correlation']:g}, data seed {opts['seed']}")
    return Dataset(name, np.ascontiguousarray(X[:, :-1]), np.asarray(y), task,
                   np.arange(opts["tasks"]), kind, desc, coef=np.asarray(coef),
                   extra={"options": opts})


# -- DATA strings, loader bunches and arrays ------------------------------------------
_TABLE_OPTIONS = ("task_column", "target", "features", "task_type")


def _table_options_refused(what, options):
    given = [k for k in _TABLE_OPTIONS if options.get(k) is not None]
    if given:
        flags = ", ".join("--" + k.replace("_", "-") for k in given)
        raise DataError(f"{', '.join(given)} (CLI: {flags}) apply only to a table (a .csv, "
                        f".tsv or .parquet file, or a DataFrame), not to {what}")


def parse_data(spec, *, task_column=None, target=None, features=None, task_type=None):
    """A :class:`Dataset` from a DATA string.

    ``synthetic`` / ``synthetic-classification`` (the embedded scenarios,
    optionally ``synthetic:tasks=5,features=20,samples=30-60,seed=1``),
    ``NAME:PATH`` for a real set read by :mod:`mtlclassic.datasets`
    (``school``, ``sarcos``, ``sarcos-per-task``, ``parkinsons``,
    ``landmine``), or the path of a
    table (``.csv``, ``.tsv``, ``.parquet``) read with the keyword
    arguments, as :func:`mtlclassic.compare.as_dataset` takes them. Raises
    :class:`DataError` with a one-line message otherwise.
    """
    import difflib

    from ._table import is_table_path, read_table, table_dataset

    options = dict(task_column=task_column, target=target, features=features,
                   task_type=task_type)
    if isinstance(spec, os.PathLike):
        spec = os.fspath(spec)
    if not isinstance(spec, str) or not spec.strip():
        raise DataError(f"DATA must be a non-empty string, got {spec!r}")
    if is_table_path(spec.strip()):
        path = spec.strip()
        frame = read_table(path)
        return table_dataset(frame, **options, name=os.path.basename(path),
                             source=os.path.basename(path),
                             description=f"table {os.path.abspath(path)}")
    name, _, rest = spec.strip().partition(":")
    name = name.strip().lower()
    if name in _SYNTHETIC_NAMES:
        _table_options_refused(f"the {name} data", options)
        kind = "regression" if name == "synthetic" else "classification"
        return synthetic(kind, **_parse_options(rest, SYNTHETIC))
    if name not in LOADERS:
        known = _SYNTHETIC_NAMES + tuple(LOADERS)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        what = "file type" if os.path.isfile(spec.strip()) else "data"
        raise DataError(f"unknown {what} {spec.strip() if what == 'file type' else name!r}"
                        f"{hint}: expected one of {', '.join(known)} (real sets as NAME:PATH) "
                        "or a table file (.csv, .tsv, .parquet)")
    loader_target = options.pop("target")
    _table_options_refused(f"the {name} data", options)
    choices = LOADER_TARGETS.get(name, ())
    if loader_target is not None and loader_target not in choices:
        what = (f"one of {', '.join(repr(c) for c in choices)}" if choices
                else "none: it has one target")
        raise DataError(f"target {loader_target!r} is not a target of the {name} data: "
                        f"choose {what}")
    path = rest.strip()
    if not path:
        raise DataError(f"{name} needs a path: {name}:PATH")
    if not os.path.exists(path):
        raise DataError(f"cannot read {name} data: {path!r} does not exist")
    if not os.access(path, os.R_OK):
        raise DataError(f"cannot read {name} data: {path!r} is not readable")
    from .. import datasets

    loader_name, loader_options = LOADERS[name]
    if choices:
        loader_options = dict(loader_options, target=loader_target or choices[0])
    loader = getattr(datasets, loader_name, None)
    if loader is None:
        raise DataError(f"mtlclassic.datasets.{loader_name} is not available in this version")
    try:
        bunch = loader(path, **loader_options)
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"cannot read {name} data from {path!r}: "
                        f"{' '.join(str(exc).split())}") from None
    if choices:  # the report names the target read
        name = f"{name} ({loader_options['target']})"
    return as_dataset(bunch, name=name)


def _kind_of(y, hint=None):
    if hint is not None:
        hint = str(hint).lower()
        if hint.startswith("class") or hint in ("binary", "logistic"):
            return "classification"
        if hint.startswith("regress") or hint in ("continuous", "squared"):
            return "regression"
        raise DataError(f"task type must be 'regression' or 'classification', got {hint!r}")
    values = np.unique(y[~np.isnan(y)] if y.dtype.kind == "f" else y)
    return "classification" if values.size <= 2 else "regression"


def _is_frame(X):
    return hasattr(X, "columns") and hasattr(X, "iloc")


def as_dataset(data, name="data", task_column=None, kind=None, *, target=None, features=None,
               task_type=None):
    """A :class:`Dataset` from a table, a loader's Bunch, a tuple, a DATA string or a Dataset.

    Parameters
    ----------
    data : DataFrame, Bunch, dict, tuple, str or Dataset
        * a pandas DataFrame: a table; ``target`` names its target
          column(s), ``task_column`` its task column (see below);
        * a Bunch or dict with ``X`` and ``y`` (``task_column``, and the
          loaders' ``task_names``, ``feature_names``, ``task_type``, read
          from it when present); ``X`` may be a DataFrame whose task column
          is given by name;
        * a tuple ``(X, y)`` (shared layout) or ``(X, y, task_column)``;
        * a DATA string (see :func:`parse_data`), including a table's path.
    name : str, default="data"
        Name of the data in the reports.
    task_column : str or int, default=None
        The column naming each row's task (per-task layout; any strings or
        numbers); None: the shared layout (one target column per task).
    kind : {"regression", "classification"}, default=None
        Alias of ``task_type``, kept for existing callers.
    target : str or list of str, default=None
        Tables only: the target column, or one column per task in the
        shared layout (``"a,b,c"`` or a list; an empty cell is a missing
        target).
    features : str or list of str, default=None
        Tables (and a DataFrame ``X``) only: the feature columns; default
        every other column. Non-numeric ones are one-hot encoded; empty and
        constant ones are dropped with a note.
    task_type : {"regression", "classification"}, default=None
        Default: classification when the targets hold two distinct values.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        One line naming the column, task or value at fault.
    """
    from ._table import frame_dataset, table_dataset, task_labels

    if kind is not None and task_type is not None and kind != task_type:
        raise DataError(f"kind={kind!r} and task_type={task_type!r} disagree; give task_type")
    task_type = task_type if task_type is not None else kind
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (str, os.PathLike)):
        return parse_data(data, task_column=task_column, target=target, features=features,
                          task_type=task_type)
    if _is_frame(data):
        return table_dataset(data, task_column=task_column, target=target, features=features,
                             task_type=task_type, name=name if name != "data" else "DataFrame",
                             source="the DataFrame")
    if target is not None:
        raise DataError("target= names the target column of a table (a DataFrame or a .csv, "
                        ".tsv or .parquet path); with X and y given, leave it out")
    description, coef, task_names, feature_names = "", None, None, None
    if isinstance(data, tuple):
        if len(data) not in (2, 3):
            raise DataError("data as a tuple is (X, y) or (X, y, task_column)")
        X, y = data[:2]
        if len(data) == 3:
            task_column = data[2]
    else:
        get = data.get if isinstance(data, dict) else lambda k, d=None: getattr(data, k, d)
        X, y = get("X"), get("y")
        if X is None or y is None:
            raise DataError("data needs X and y (a Bunch or dict with X and y, or a tuple)")
        task_column = get("task_column", task_column)
        task_type = task_type or get("task_type") or get("kind")
        name = get("name", None) or name
        # A loader's DESCR starts with the data set's title.
        description = (get("description", None) or get("DESCR", None) or "").strip()
        description = description.splitlines()[0] if description else ""
        coef = get("coef", None)
        task_names = get("task_names", None)
        feature_names = get("feature_names", None)
    if _is_frame(X):
        return frame_dataset(X, y, task_column, features=features, task_type=task_type,
                             name=str(name))
    if features is not None:
        raise DataError("features= selects columns of a table or of a DataFrame X; X is an "
                        "array here")
    if hasattr(X, "toarray"):
        X = X.toarray()
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or y.shape[0] != X.shape[0] or y.ndim not in (1, 2):
        raise DataError(f"X must be 2-D and y have as many rows: X {X.shape}, y {y.shape}")
    if not np.all(np.isfinite(X)):
        raise DataError("X contains NaN or infinity")
    if task_column is None:  # shared layout: one column of y per task
        Y = y.reshape(y.shape[0], -1)
        tasks, task, features = np.arange(Y.shape[1]), None, X
    else:
        try:
            col = int(task_column) % X.shape[1]
        except (TypeError, ValueError):
            raise DataError(f"task_column {task_column!r} is a name, but X has no column "
                            "names: pass X as a DataFrame, or the column's position") from None
        task, tasks = task_labels(X[:, col])  # whole-number labels stay ints (1, not 1.0)
        features = np.delete(X, col, axis=1)
        if y.ndim != 1:
            raise DataError("the per-task layout (task_column) needs a 1-D y")
        Y = y
    if (task_names is not None and len(task_names) == len(tasks)
            and np.array_equal(tasks, np.arange(len(tasks)))):
        tasks = np.asarray(task_names, dtype=object)  # loaders number tasks 0..T-1, and name them
    kind = _kind_of(np.asarray(Y), task_type)
    if kind == "regression":
        Y = np.asarray(Y, dtype=np.float64)
    if feature_names is not None and len(feature_names) != features.shape[1]:
        feature_names = None
    description = " ".join(str(description).split())[:200]
    dataset = Dataset(str(name), np.ascontiguousarray(features), Y, task, tasks, kind,
                      description, coef=None if coef is None else np.asarray(coef),
                      feature_names=None if feature_names is None else
                      [str(f) for f in feature_names])
    if kind == "classification" and task is not None:
        classes = np.unique(Y)
        one_class_tasks((Y == classes[-1]).astype(np.float64), task, tasks, classes)
    return dataset


def _plain(value):
    """A numpy scalar as the Python value it holds (messages show ``1``, not ``np.int64(1)``)."""
    return value.item() if isinstance(value, np.generic) else value


def one_class_tasks(codes, task, tasks, classes):
    """A DataError when a task's rows hold a single class (AUC and a classifier need both)."""
    if task is None:  # shared layout: one column per task
        for j, label in enumerate(tasks):
            seen = np.unique(codes[~np.isnan(codes[:, j]), j])
            if seen.size < 2:
                only = _plain(classes[int(seen[0])]) if seen.size else None
                raise DataError(f"task {label!r} has only class {only!r} in its observed "
                                "targets: each classification task needs both classes "
                                "(remove that target column or add rows)")
        return
    positives = np.bincount(task, weights=codes, minlength=len(tasks))
    sizes = np.bincount(task, minlength=len(tasks))
    bad = np.flatnonzero((positives == 0) | (positives == sizes))
    if bad.size:
        t = bad[0]
        only = _plain(classes[0] if positives[t] == 0 else classes[-1])
        more = f" (and {bad.size - 1} other task(s))" if bad.size > 1 else ""
        raise DataError(f"task {tasks[t]!r} has only class {only!r} in its {sizes[t]} rows"
                        f"{more}: each classification task needs both classes (remove the "
                        "task's rows or add rows of the other class)")
