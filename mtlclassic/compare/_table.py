"""Users' own tables as comparison data: read a file, pick the columns, encode the features.

A table is either *per-task* (a task column names each row's task, one
target column) or *shared* (no task column; one target column per task,
an empty cell is a target not observed for that task). Features are every
other column unless chosen: numeric columns are used as they are,
non-numeric ones are one-hot encoded, and columns that carry nothing (all
empty, constant, or an identifier with a distinct text value on most rows)
are dropped with a note. Every check runs here, before the comparison
starts, and fails with a one-line :class:`DataError` naming the column,
task or value at fault and the fix.

The comparison itself works on integer task codes (what the estimators
take); the task labels, as the user wrote them, travel in
``Dataset.tasks`` to every output.
"""

import difflib
import os
import re

import numpy as np

from ._data import DataError, Dataset, _plain, one_class_tasks

TABLE_SUFFIXES = (".csv", ".tsv", ".parquet")
# A text column with more distinct values than this share of its rows (and at least
# _ID_MIN_LEVELS of them) is an identifier, not a category: one-hot encoding it would give
# one column per row.
_ID_SHARE = 0.5
_ID_MIN_LEVELS = 20
_TASK_TYPES = ("regression", "classification")


def is_table_path(spec):
    """True when ``spec`` names a table file by its suffix (``.csv``, ``.tsv``, ``.parquet``)."""
    name = os.fspath(spec).lower() if isinstance(spec, (str, os.PathLike)) else ""
    if name.endswith((".gz", ".bz2", ".zip", ".xz")):  # pandas reads compressed text tables
        name = name.rsplit(".", 1)[0]
    return name.endswith(TABLE_SUFFIXES)


def read_table(path):
    """The DataFrame of a ``.csv``, ``.tsv`` or ``.parquet`` file.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DataError
        If the file is missing, unreadable, empty or has no data rows.
    """
    import pandas as pd

    path = os.fspath(path)
    shown = os.path.basename(path)
    if not os.path.isfile(path):
        raise DataError(f"cannot read {path!r}: no such file")
    if not os.access(path, os.R_OK):
        raise DataError(f"cannot read {path!r}: not readable")
    lower = path.lower()
    try:
        if lower.endswith(".parquet"):
            frame = pd.read_parquet(path)
        else:
            sep = "\t" if ".tsv" in lower else ","
            frame = pd.read_csv(path, sep=sep)
    except pd.errors.EmptyDataError:
        raise DataError(f"{shown} is empty: a table needs a header line and data rows") from None
    except (OSError, ValueError, ImportError) as exc:  # parser, pyarrow and decoding errors
        raise DataError(f"cannot read {path!r} as a table: "
                        f"{' '.join(str(exc).split())[:200]}") from None
    if frame.shape[0] == 0:
        raise DataError(f"{shown} has a header but no data rows")
    return frame


# -- column selection -----------------------------------------------------------------
def _names(value):
    """A list of column names from None, ``"a,b"``, a name or a list of names."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _columns_text(columns, limit=20):
    shown = ", ".join(repr(c) for c in columns[:limit])
    return shown + (f", ... ({len(columns)} in all)" if len(columns) > limit else "")


def _column(frame, name, what, source):
    """``name`` as a column label of ``frame``; a DataError with a suggestion when absent."""
    columns = list(frame.columns)
    if name in columns:
        return name
    # Column labels from Python may be ints while a CLI name is text.
    by_text = {str(c): c for c in columns}
    if str(name) in by_text:
        return by_text[str(name)]
    close = difflib.get_close_matches(str(name), list(by_text), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise DataError(f"{what} {name!r} is not a column of {source}{hint}; its columns are "
                    f"{_columns_text(columns)}")


# -- targets ----------------------------------------------------------------------------
def _task_type(values, task_type, targets):
    """``"regression"`` or ``"classification"``: given, or two distinct target values."""
    if task_type is not None:
        kind = str(task_type).strip().lower()
        if kind not in _TASK_TYPES:
            raise DataError(f"task type must be 'regression' or 'classification', "
                            f"got {task_type!r}")
        return kind
    distinct = values.dropna().unique()
    if distinct.size < 2:
        raise DataError(f"target {_targets_text(targets)} holds "
                        + ("no value" if distinct.size == 0 else f"a single value "
                           f"({distinct[0]!r})") + ": there is nothing to predict")
    return "classification" if distinct.size == 2 else "regression"


def _cells(Y):
    """Every cell of the target columns as one Series (one column: the column itself)."""
    import pandas as pd

    return Y.iloc[:, 0] if Y.shape[1] == 1 else pd.Series(Y.to_numpy(dtype=object).ravel())


def _targets_text(targets):
    return repr(targets[0]) if len(targets) == 1 else "columns " + _columns_text(targets)


def _regression_targets(Y):
    """``Y`` as float64 (NaN: empty cell); a DataError naming a non-numeric value."""
    import pandas as pd

    out = np.empty(Y.shape, dtype=np.float64)
    for j, name in enumerate(Y.columns):
        col = Y[name]
        as_numbers = pd.to_numeric(col, errors="coerce")
        bad = col.notna() & as_numbers.isna()
        if bad.any():
            raise DataError(
                f"target {name!r} holds {int(bad.sum())} non-numeric value(s), e.g. "
                f"{col[bad].iloc[0]!r}: a regression target must be numbers (two classes: "
                "--task-type classification, Python task_type='classification')")
        out[:, j] = as_numbers.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isinf(out[:, j]).any():
            raise DataError(f"target {name!r} holds infinite values: remove those rows")
    return out


def _classification_targets(Y):
    """``(codes, classes)``: 0/1 targets (NaN: empty cell) and the two class labels."""
    values = _cells(Y).dropna()
    classes = _sorted_unique(values)
    if len(classes) != 2:
        shown = ", ".join(repr(c) for c in classes[:6]) + (", ..." if len(classes) > 6 else "")
        raise DataError(f"classification needs exactly 2 distinct target values, "
                        f"{_targets_text(list(Y.columns))} has {len(classes)} ({shown})")
    codes = np.full(Y.shape, np.nan)
    for j, name in enumerate(Y.columns):
        col = Y[name]
        observed = col.notna().to_numpy()
        codes[observed, j] = (col[observed] == classes[1]).to_numpy(dtype=np.float64)
    return codes, classes


def _sorted_unique(values):
    """Distinct values, sorted (as text when the types do not compare)."""
    distinct = list(values.unique())
    try:
        return sorted(distinct)
    except TypeError:  # e.g. numbers and strings in one column
        return sorted(distinct, key=str)


# -- task labels ------------------------------------------------------------------------
def task_labels(labels):
    """``(codes, tasks)``: each row's task code and the labels in code order.

    Labels keep their type: strings stay strings, whole numbers stored as
    floats become ints (``1.0`` -> ``1``), categoricals keep their category
    order (only the categories present).
    """
    import pandas as pd

    labels = pd.Series(labels).reset_index(drop=True)
    if isinstance(labels.dtype, pd.CategoricalDtype):
        labels = labels.cat.remove_unused_categories()
        codes, uniques = labels.cat.codes.to_numpy(), labels.cat.categories
    else:
        codes, uniques = pd.factorize(labels)
        if not all(isinstance(u, str) for u in uniques):
            try:
                order = np.argsort(np.asarray(uniques), kind="stable")
            except TypeError:  # labels of mixed types: as text
                uniques = pd.Index([str(u) for u in uniques])
        if all(isinstance(u, str) for u in uniques):
            # Text in natural order, so field_2 comes before field_10.
            order = sorted(range(len(uniques)), key=lambda i: _natural_key(uniques[i]))
        rank = np.empty(len(uniques), dtype=np.int64)
        rank[np.asarray(order, dtype=np.int64)] = np.arange(len(uniques))
        codes, uniques = rank[codes], np.asarray(uniques, dtype=object)[order]
    tasks = np.asarray(uniques) if not isinstance(uniques, np.ndarray) else uniques
    if tasks.dtype == object and all(isinstance(t, (int, float, np.number)) and
                                     not isinstance(t, bool) for t in tasks):
        tasks = tasks.astype(np.float64)
    if tasks.dtype.kind == "f" and np.all(tasks == np.round(tasks)):
        tasks = tasks.astype(np.int64)
    elif tasks.dtype.kind not in "iubf":
        tasks = np.array([t.item() if hasattr(t, "item") else t for t in tasks], dtype=object)
    return np.asarray(codes, dtype=np.int64), tasks


def _natural_key(text):
    """Sort key reading the digit runs of ``text`` as numbers (``a_2`` < ``a_10``)."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in re.split(r"(\d+)", text)]


# -- features ---------------------------------------------------------------------------
def _encode_features(F, source):
    """``(X, feature_names, notes)``: numeric columns as they are, text ones one-hot encoded.

    Dropped with a note: all-empty and constant columns and identifier-like
    text columns. Empty or infinite cells in a kept numeric column are an
    error (filling them would be a modelling choice the comparison should
    not make silently).
    """
    import pandas as pd

    n = F.shape[0]
    blocks, names = [], []
    empty, constant, identifiers, encoded, gaps = [], [], [], [], []
    for name in F.columns:
        col = F[name]
        present = col.dropna()
        if present.empty:
            empty.append(name)
            continue
        numeric = (pd.api.types.is_numeric_dtype(col)
                   and not pd.api.types.is_bool_dtype(col)) \
            or (pd.api.types.is_bool_dtype(col) and present.size == n)
        if numeric:
            values = col.to_numpy(dtype=np.float64, na_value=np.nan)
            bad = int(np.sum(~np.isfinite(values)))
            if bad:
                gaps.append(f"{name!r} ({bad})")
                continue
            if np.all(values == values[0]):
                constant.append(f"{name!r} (always {present.iloc[0]!r})")
                continue
            blocks.append(values[:, None])
            names.append(str(name))
            continue
        text = present.astype(str)
        levels = _sorted_unique(text)
        if len(levels) == 1 and present.size == n:
            constant.append(f"{name!r} (always {levels[0]!r})")
            continue
        if len(levels) > max(_ID_MIN_LEVELS, _ID_SHARE * n):
            identifiers.append(f"{name!r} ({len(levels)} distinct values in {n} rows)")
            continue
        as_text = col.astype(str).where(col.notna(), None).to_numpy()
        # One 0/1 column per level; an empty cell is 0 in all of them.
        blocks.append(np.column_stack([as_text == level for level in levels]).astype(np.float64))
        names += [f"{name}={level}" for level in levels]
        encoded.append(f"{name!r} ({len(levels)} levels)")
    if gaps:
        raise DataError(f"feature column(s) {', '.join(gaps)} of {source} have empty or "
                        "infinite cells (count in brackets): fill them, remove those rows, or "
                        "leave the columns out (--features / features=)")
    notes = []
    if encoded:
        notes.append("non-numeric feature columns one-hot encoded (one 0/1 column per value): "
                     + ", ".join(encoded))
    dropped = ([f"{c!r} (all empty)" for c in empty] + constant + identifiers)
    if dropped:
        notes.append("feature columns dropped, as they carry no information: "
                     + ", ".join(dropped))
    if not blocks:
        raise DataError(f"no usable feature column in {source}"
                        + (f": {', '.join(dropped)}" if dropped else "")
                        + "; choose feature columns with --features / features=")
    return np.ascontiguousarray(np.hstack(blocks)), names, notes


# -- the whole table ----------------------------------------------------------------------
def table_dataset(frame, *, task_column=None, target=None, features=None, task_type=None,
                  name="table", source=None, description=""):
    """A :class:`Dataset` from a DataFrame: the per-task or the shared layout.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; it is not modified.
    task_column : str, default=None
        Column naming each row's task (per-task layout); labels may be any
        strings or numbers. None: the shared layout.
    target : str or list of str
        The target column (per-task layout), or one column per task
        (shared layout; ``"a,b,c"`` or a list; an empty cell is a missing
        target).
    features : str or list of str, default=None
        Feature columns; default every column that is neither the task
        column nor a target.
    task_type : {"regression", "classification"}, default=None
        Default: classification when the targets hold two distinct values.
    name : str, default="table"
        Name of the data in the reports (the file name for a file).
    source : str, default=None
        How error messages name the table (default: ``name``).
    description : str, default=""
        One line for the report.

    Returns
    -------
    Dataset
        ``notes`` says what was encoded and dropped.

    Raises
    ------
    DataError
        One line naming the column, task or value at fault.
    """
    import pandas as pd

    source = source or name
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"a table must be a pandas DataFrame, got {type(frame).__name__}")
    if frame.shape[0] == 0:
        raise DataError(f"{source} has no data rows")
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()].unique().tolist()
        raise DataError(f"{source} has duplicated column names {dup}: rename them")
    targets = [_column(frame, t, "target", source) for t in _names(target)]
    if not targets:
        raise DataError(f"a table needs its target column(s): --target NAME (Python: "
                        f"target='NAME'); the columns of {source} are "
                        f"{_columns_text(list(frame.columns))}")
    if len(set(targets)) < len(targets):
        raise DataError(f"target columns listed twice: {targets}")
    task_col = None if task_column is None else _column(frame, task_column, "task column",
                                                       source)
    if task_col is None and len(targets) == 1:
        raise DataError(f"one target ({targets[0]!r}) without a task column is a single task: "
                        "give the column naming each row's task (--task-column NAME, Python: "
                        "task_column='NAME') or one target column per task "
                        "(--target A,B,C)")
    if task_col is not None and len(targets) > 1:
        raise DataError(f"with a task column ({task_col!r}) the table has one target column, "
                        f"got {len(targets)}: {targets}")
    if task_col is not None and task_col in targets:
        raise DataError(f"{task_col!r} is both the task column and the target")
    used = set(targets) | ({task_col} if task_col is not None else set())
    if features is None:
        feature_cols = [c for c in frame.columns if c not in used]
    else:
        feature_cols = [_column(frame, f, "feature", source) for f in _names(features)]
        clash = [c for c in feature_cols if c in used]
        if clash:
            raise DataError(f"feature column(s) {clash} are also the task column or a target")
        if not feature_cols:
            raise DataError("features is empty: name at least one feature column")
    if not feature_cols:
        raise DataError(f"{source} has no column besides the task column and the target(s)")

    notes = []
    Y = frame[targets]
    if task_col is not None:
        labels = frame[task_col]
        if labels.isna().any():
            raise DataError(f"task column {task_col!r} has {int(labels.isna().sum())} empty "
                            "cell(s): every row needs its task")
        keep = Y.iloc[:, 0].notna().to_numpy()
    else:
        keep = Y.notna().any(axis=1).to_numpy()  # rows without any target serve no task
    if not keep.any():
        raise DataError(f"target {_targets_text(targets)} of {source} is empty")
    if not keep.all():
        notes.append(f"{int((~keep).sum())} row(s) without a target value left out")
    rows = frame.index[keep]
    Y = Y.loc[rows]
    kind = _task_type(_cells(Y), task_type, targets)
    if kind == "regression":
        Yv, classes = _regression_targets(Y), None
    else:
        Yv, classes = _classification_targets(Y)
        notes.append(f"classes: {classes[0]!r} -> 0, {classes[1]!r} -> 1 (the positive class "
                     "of the AUC)")
    X, feature_names, feature_notes = _encode_features(frame.loc[rows, feature_cols], source)
    notes = feature_notes + notes
    if task_col is not None:
        task, tasks = task_labels(frame.loc[rows, task_col])
        y = Yv[:, 0]
    else:
        task, tasks = None, np.array([t.item() if hasattr(t, "item") else t for t in targets],
                                     dtype=object)
        y = Yv
        empty = np.flatnonzero(np.all(np.isnan(Yv), axis=0))
        if empty.size:
            raise DataError(f"target {tasks[empty[0]]!r} of {source} is empty")
    if kind == "classification":
        one_class_tasks(y if task is not None else Yv, task, tasks, classes)
        y = y.astype(np.int64) if task is not None else y
    return Dataset(str(name), X, y, task, tasks, kind, description,
                   feature_names=feature_names, notes=notes,
                   extra={"classes": classes, "task_column": task_col, "targets": targets})


def frame_dataset(X, y, task_column, *, features=None, task_type=None, name="data"):
    """A :class:`Dataset` from a DataFrame ``X`` (task column by name or position) and ``y``.

    ``y`` is 1-D with a task column (per-task layout), or of shape
    (n_samples, n_tasks) without one (a DataFrame's column names are the
    task labels). Everything else as :func:`table_dataset`.
    """
    import pandas as pd

    if task_column is not None and not isinstance(task_column, str):
        try:
            task_column = X.columns[int(task_column)]
        except (IndexError, TypeError, ValueError):
            raise DataError(f"task_column {task_column!r} is neither a column name nor a "
                            f"position of X (columns {_columns_text(list(X.columns))})") from None
    if isinstance(y, pd.DataFrame):
        Y = y
    else:
        values = np.asarray(y)
        if values.ndim == 1:
            Y = pd.DataFrame({getattr(y, "name", None) or "y": values})
        elif values.ndim == 2:
            Y = pd.DataFrame(values, columns=[f"task_{j}" for j in range(values.shape[1])])
        else:
            raise DataError(f"y must be 1-D or 2-D, got shape {values.shape}")
    if Y.shape[0] != X.shape[0]:
        raise DataError(f"X has {X.shape[0]} rows and y {Y.shape[0]}")
    clash = [c for c in Y.columns if c in X.columns]
    if clash:  # y's own names must not shadow a column of X
        Y = Y.rename(columns={c: f"{c} (y)" for c in clash})
    frame = pd.concat([X.reset_index(drop=True), Y.reset_index(drop=True)], axis=1)
    if features is None:
        features = [c for c in X.columns if c != task_column]
    return table_dataset(frame, task_column=task_column, target=list(Y.columns),
                         features=features, task_type=task_type, name=name, source="X")
