"""Input checks shared by all estimators: both data layouts onto one internal container.

``check_fit_data`` turns what a user passes to ``fit`` into a
:class:`~mtlclassic.data.SharedDesign` or :class:`~mtlclassic.data.StackedDesign`
and records the fitted-input attributes on the estimator;
``check_predict_data`` does the same for ``predict``.  Every problem found is
a ``ValueError`` naming it; inputs are never modified (copies are made where
rows are reordered or values replaced).
"""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, validate_data

from .data import Scaling, SharedDesign, StackedDesign, exponent

FLOAT_DTYPES = (np.float64, np.float32)


def is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "iloc")


def _holds_text(X):
    """Whether ``X`` is a dense array-like of objects or strings (not a DataFrame)."""
    if sp.issparse(X) or is_dataframe(X):
        return False
    dtype = getattr(X, "dtype", None)
    if dtype is None:  # a list of rows: look at numpy's reading of it
        try:
            dtype = np.asarray(X).dtype
        except (TypeError, ValueError):
            return False
    return dtype.kind in "OUS"


def check_sample_weight(sample_weight, n_samples, dtype):
    """Validate ``sample_weight``: None (ones) or n_samples finite nonnegative values."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight)
    sw = np.asarray(sample_weight)
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must be of shape ({n_samples},), got {sw.shape}."
        )
    try:
        sw = sw.astype(dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"sample_weight must be numeric: {exc}") from None
    if not np.all(np.isfinite(sw)):
        raise ValueError("sample_weight contains NaN or infinity.")
    if np.any(sw < 0):
        raise ValueError("sample_weight must be nonnegative; negative weights found.")
    return sw


def check_task_weights(task_weights, n_tasks, dtype, sizes=None):
    """Validate ``task_weights``: ``(weights, e)``, the weights ``2^-e`` in ``dtype``.

    None gives ones; ``"size"`` each task's size ``sizes`` (its rows' total
    sample weight) over their mean, so that the datafit is the loss pooled
    over all rows (scikit-learn's and MALSAR's convention) divided by the
    mean task size. Values must be n_tasks finite positive numbers. They are
    validated in float64; in a narrower ``dtype`` (float32 ends at 3.4e38)
    they are first divided by the power of two ``2^e`` that brings the
    largest near 1, so that the cast neither overflows nor underflows; the
    caller records ``e`` as the problem's task-weight scaling
    (:class:`mtlclassic.data.Scaling`), which maps the penalty to match.
    """
    if task_weights is None:
        return np.ones(n_tasks, dtype=dtype), 0
    if isinstance(task_weights, str):
        if task_weights != "size":
            raise ValueError(f"task_weights must be None, 'size' or one positive number per "
                             f"task, got {task_weights!r}.")
        sizes = np.asarray(sizes, dtype=np.float64)
        task_weights = sizes / sizes.mean()
    tw = np.asarray(task_weights, dtype=np.float64)
    if tw.ndim != 1 or tw.shape[0] != n_tasks:
        raise ValueError(
            f"task_weights must have one value per task ({n_tasks}), got shape {tw.shape}."
        )
    if not np.all(np.isfinite(tw)):
        raise ValueError("task_weights must be finite.")
    if np.any(tw <= 0):
        # A zero weight would leave the task's model set by the penalty alone
        # (and its intercept undefined): drop the task's rows instead.
        raise ValueError(
            f"task_weights must be positive; task(s) at position(s) "
            f"{np.flatnonzero(tw <= 0).tolist()} have weight <= 0. To ignore a task, drop its rows."
        )
    if np.dtype(dtype) == np.float64:
        return tw, 0
    info = np.finfo(dtype)
    if tw.min() < tw.max() * (info.tiny / info.eps):  # the smallest would underflow to 0
        raise ValueError(
            f"task_weights span {tw.min():.3g} to {tw.max():.3g}, more than {info.dtype.name} "
            f"holds (a ratio of at most {info.eps / info.tiny:.1g}); fit on float64 features "
            "or narrow the weights.")
    e = exponent(float(tw.max()))
    return np.ldexp(tw, -e).astype(dtype), e


def _columns_hint(cols, limit=12):
    shown = ", ".join(repr(c) for c in cols[:limit])
    return shown + (f", ... ({len(cols)} columns)" if len(cols) > limit else "")


def resolve_task_column(X, task_column):
    """Index of the task column in ``X`` (ints as in numpy, names for DataFrames).

    A name also finds the one column that a ColumnTransformer renamed with a
    prefix (``"school"`` finds ``"remainder__school"``), so that the same
    ``task_column`` works before and after ``set_output(transform="pandas")``.
    """
    n_cols = X.shape[1]
    if isinstance(task_column, str):
        if not is_dataframe(X):
            raise ValueError(
                f"task_column={task_column!r} is a column name, but X is not a DataFrame "
                f"({type(X).__name__} with {n_cols} columns): pass the column's position "
                "(e.g. task_column=-1 for the last column, where a ColumnTransformer puts "
                "its passthrough columns), or a DataFrame.")
        cols = list(X.columns)
        if task_column in cols:
            return cols.index(task_column)
        suffixed = [k for k, c in enumerate(cols)
                    if isinstance(c, str) and c.endswith("__" + task_column)]
        if len(suffixed) == 1:
            return suffixed[0]
        found = _columns_hint(cols)
        if suffixed:
            raise ValueError(
                f"task_column {task_column!r} matches several columns of X "
                f"({_columns_hint([cols[k] for k in suffixed])}); set task_column to the "
                "full name of one of them.")
        raise ValueError(
            f"task_column {task_column!r} is not a column of X; its columns are {found}. "
            "Set task_column to one of them (or pass the task column through the earlier "
            "steps, e.g. ColumnTransformer(..., remainder='passthrough')).")
    if not isinstance(task_column, numbers.Integral) or isinstance(task_column, bool):
        raise ValueError(f"task_column must be None, an int or a column name, got {task_column!r}.")
    if not -n_cols <= task_column < n_cols:
        raise ValueError(f"task_column={task_column} is out of range for X with {n_cols} columns.")
    return int(task_column) % n_cols


def _task_column(X, task_column):
    """``(col, labels)``: the task column's index in ``X`` (a DataFrame or a 2-D array) and its
    raw values, unchecked (:func:`check_task_labels` checks them)."""
    col = resolve_task_column(X, task_column)
    if is_dataframe(X):
        column = X.iloc[:, col]
        if column.isna().any():
            raise ValueError("The task column holds missing values (None/NaN/NA).")
        return col, np.asarray(column.to_numpy())
    return col, X[:, [col]].toarray().ravel() if sp.issparse(X) else X[:, col]


def read_tasks(X, task_column):
    """Task label of every row of ``X``, read from its task column.

    The features are neither converted nor checked (a scorer reads the
    tasks of data that only the estimator's earlier steps make numeric).

    Parameters
    ----------
    X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_columns)
    task_column : int or str
        Column index (negative counts from the end) or, for a DataFrame, a
        column name.

    Returns
    -------
    tasks : ndarray of shape (n_samples,)
        Integer (int64) or string task labels.
    """
    if not is_dataframe(X):
        X = X if sp.issparse(X) else np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D to hold a task column, got shape {X.shape}.")
    return check_task_labels(_task_column(X, task_column)[1])


def split_task_column(est, X, reset):
    """Return ``(features, task_labels)`` for the per-task layout; records column info on fit."""
    if is_dataframe(X):
        n_cols = X.shape[1]
        col, labels = _task_column(X, est.task_column)
        names = np.asarray(X.columns, dtype=object)
        has_names = all(isinstance(c, str) for c in names)
        feats = X.iloc[:, [k for k in range(n_cols) if k != col]]
    elif _holds_text(X):
        # A ColumnTransformer passing a string task column through returns an object
        # array: the task column is read as it is, the other columns converted to floats.
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D, got an array of shape {X.shape}.")
        n_cols = X.shape[1]
        names, has_names = None, False
        col, labels = _task_column(X, est.task_column)
        feats = X[:, [k for k in range(n_cols) if k != col]]
        try:
            feats = feats.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"X holds non-numeric values outside the task column (column {col}): {exc}. "
                "Encode categorical features (e.g. OneHotEncoder) before the estimator."
            ) from None
    else:
        X = check_array(X, accept_sparse=("csr", "csc"), dtype=FLOAT_DTYPES,
                        ensure_all_finite=False, input_name="X")
        n_cols = X.shape[1]
        names, has_names = None, False
        col, labels = _task_column(X, est.task_column)
        # A first or last task column is cut off by a slice, a view: the one copy of the
        # features is then the task-sorted one made by check_fit_data.
        if col in (0, n_cols - 1) and not sp.issparse(X):
            feats = X[:, 1:] if col == 0 else X[:, :-1]
        else:
            feats = X[:, [k for k in range(n_cols) if k != col]]
    if reset:
        est.n_features_in_ = n_cols
        if has_names:
            est.feature_names_in_ = names
        elif hasattr(est, "feature_names_in_"):
            del est.feature_names_in_
    else:
        if n_cols != est.n_features_in_:
            raise ValueError(
                f"X has {n_cols} features, but {type(est).__name__} is expecting "
                f"{est.n_features_in_} features as input (task column included)."
            )
        fitted = getattr(est, "feature_names_in_", None)
        if fitted is not None and has_names and list(fitted) != list(names):
            raise ValueError("The feature names of X differ from those seen in fit.")
    feats = check_array(feats, accept_sparse=("csr", "csc"), dtype=FLOAT_DTYPES,
                        ensure_all_finite=True, ensure_min_features=0, input_name="X")
    return feats, check_task_labels(labels)


def check_task_labels(labels):
    """Task labels must be integers (numeric arrays) or integers/strings (DataFrame columns)."""
    if labels.dtype.kind in "fc":
        if np.any(~np.isfinite(labels)):
            raise ValueError("The task column holds NaN or infinite values.")
        if np.any(labels != np.round(labels)):
            raise ValueError("The task column holds non-integer values; task ids must be integers.")
        return labels.astype(np.int64)
    if labels.dtype.kind in "iub":
        return labels.astype(np.int64)
    if labels.dtype.kind in "OUS":
        if any(v is None or (isinstance(v, float) and np.isnan(v)) for v in labels):
            raise ValueError("The task column holds missing values (None/NaN).")
        kinds = {type(v) for v in labels}
        if kinds <= {str, np.str_}:
            return labels.astype(str)
        if all(isinstance(v, numbers.Integral) for v in labels):
            return labels.astype(np.int64)
        if all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in labels):
            # Integer-valued floats, as an object array from a ColumnTransformer holds them.
            return check_task_labels(labels.astype(np.float64))
        raise ValueError("The task column must hold integers or strings, not a mix of types.")
    raise ValueError(f"The task column has an unsupported dtype {labels.dtype}.")


def is_missing(Y):
    """Mask of the targets not observed: NaN in a float array (no entry of any other dtype)."""
    if Y.dtype.kind in "fc":
        return np.isnan(Y.astype(np.float64))
    return np.zeros(Y.shape, dtype=bool)


def check_target(y, n_samples, *, allow_2d_nan, classifier):
    """Return y as an array (object labels kept for 1-D classifier targets)."""
    if y is None:
        raise ValueError("requires y to be passed, but the target y is None.")
    if sp.issparse(y):
        raise ValueError("A sparse target y is not supported; pass a dense array.")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1 and not allow_2d_nan:
        y = y.ravel()
    if y.ndim not in (1, 2) or (y.ndim == 2 and not allow_2d_nan):
        raise ValueError(f"y must be 1-D{' or 2-D' if allow_2d_nan else ''}, got shape {y.shape}.")
    if y.shape[0] != n_samples:
        raise ValueError(f"X has {n_samples} samples but y has {y.shape[0]}; they must agree.")
    if y.ndim == 2 and y.shape[1] == 0:
        raise ValueError("y has no task (0 columns).")
    if y.dtype.kind in "fc" or not classifier:
        try:
            yf = y.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError("y must be numeric for a regressor.") from None
        if np.any(np.isinf(yf)):
            raise ValueError("y contains infinite values.")
        if y.ndim == 1 and np.any(np.isnan(yf)):
            raise ValueError("y contains NaN; missing targets are only allowed in a 2-D Y "
                             "(shared layout), where NaN means 'not observed for that task'.")
        if not classifier:
            return yf
    return y


def _encode_labels(est, Y, observed, reset):
    """Map binary labels to -1/+1, check two classes in every task; returns float array."""
    vals = Y[observed]
    if Y.dtype.kind == "f":
        vals = vals.astype(np.float64)
    if reset:
        classes = np.unique(vals)
        if classes.shape[0] != 2:
            raise ValueError(
                f"Only binary classification is supported. {type(est).__name__} is a binary "
                f"classifier per task: y must hold exactly 2 classes (the same in every task), "
                f"got {classes.shape[0]} class(es): {classes[:5]}."
            )
        est.classes_ = classes
    enc = np.where(Y == est.classes_[1], 1.0, -1.0)
    return np.where(observed, enc, 0.0)


def _shared_loss_weights(observed, sw, tw):
    """``c_it = tau_t s_i m_it / sum_i s_i m_it``; raises on a task with no (weighted) samples."""
    SW = sw[:, None] * observed
    denom = SW.sum(axis=0)
    empty = np.flatnonzero(denom <= 0)
    if empty.size:
        raise ValueError(
            f"Task(s) {empty.tolist()} have no samples: every target is missing (NaN) "
            "or has zero sample_weight."
        )
    return SW * (tw / denom)[None, :]


def _stacked_loss_weights(sw, tw, tasks, offsets):
    """``c_i = tau_t s_i / sum_{i' in t} s_i'`` for rows sorted by task."""
    denom = np.add.reduceat(sw, offsets[:-1])
    empty = np.flatnonzero(denom <= 0)
    if empty.size:
        raise ValueError(
            f"Task(s) {tasks[empty].tolist()} have no samples with positive sample_weight.")
    return sw * np.repeat(tw / denom, np.diff(offsets))


def check_fit_data(est, X, y, sample_weight=None, *, task_weights="estimator", classifier=False):
    """Validate fit input and build the internal problem container.

    Sets ``n_features_in_`` (and ``feature_names_in_``), ``tasks_``,
    ``n_tasks_``, ``_y_ndim`` and, for classifiers, ``classes_`` on ``est``;
    reads its ``task_column`` and ``unseen_tasks``.

    Parameters
    ----------
    est : estimator
        The estimator being fitted.
    X, y, sample_weight
        As passed to its ``fit``.
    task_weights : array-like of shape (n_tasks,), None or "estimator", default="estimator"
        The fixed weights ``tau_t`` of the tasks' losses (None: ones);
        ``"estimator"`` reads ``est.task_weights`` (the linear models'
        parameter). Estimators without that parameter pass None.
    classifier : bool, default=False
        Whether ``y`` holds labels (binary per task) rather than numbers.

    Returns
    -------
    data : SharedDesign or StackedDesign
    """
    if isinstance(task_weights, str) and task_weights == "estimator":
        task_weights = est.task_weights
    check_unseen_tasks(est)  # a bad value fails at fit, not at the first predict
    if est.task_column is None:
        X = validate_data(est, X, accept_sparse=("csr", "csc"), dtype=FLOAT_DTYPES, reset=True)
        dtype = X.dtype
        y = check_target(y, X.shape[0], allow_2d_nan=True, classifier=classifier)
        est._y_ndim = y.ndim
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        observed = ~is_missing(Y)
        n_tasks = Y.shape[1]
        sw = check_sample_weight(sample_weight, X.shape[0], dtype)
        tw, tw_exponent = check_task_weights(task_weights, n_tasks, dtype,
                                             sizes=(observed * sw[:, None]).sum(axis=0))
        C = _shared_loss_weights(observed, sw, tw).astype(dtype)
        if classifier:
            if y.ndim == 1:
                check_classification_targets(y)
            Yv = _encode_labels(est, Y, observed, reset=True)
            _check_two_classes_per_task(
                (Yv[:, t][C[:, t] > 0] for t in range(n_tasks)), np.arange(n_tasks))
        else:
            Yv = np.where(observed, Y, 0.0)
        est.tasks_ = np.arange(n_tasks)
        est.n_tasks_ = n_tasks
        if sp.issparse(X):
            X = X.tocsc()
        row_weights = task_scale = None
        if observed.all():  # C is the outer product (s_i / sum s) (x) tau_t
            row_weights, task_scale = (sw / sw.sum()).astype(dtype), tw
        return _in_units(SharedDesign(X, np.ascontiguousarray(Yv, dtype=dtype), C, row_weights,
                                      task_scale), tw_exponent)

    feats, labels = split_task_column(est, X, reset=True)
    dtype = feats.dtype
    n = feats.shape[0]
    y = check_target(y, n, allow_2d_nan=False, classifier=classifier)
    est._y_ndim = 1
    tasks, task_index = np.unique(labels, return_inverse=True)
    order = np.argsort(task_index, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(task_index, minlength=len(tasks)))])
    sw = check_sample_weight(sample_weight, n, dtype)[order]
    tw, tw_exponent = check_task_weights(task_weights, len(tasks), dtype,
                                         sizes=np.add.reduceat(sw, offsets[:-1]))
    C = _stacked_loss_weights(sw, tw, tasks, offsets).astype(dtype)
    y = y[order]
    if classifier:
        check_classification_targets(y)
        yv = _encode_labels(est, y, np.ones(n, dtype=bool), reset=True)
        # Every task has rows (np.unique): one reduction per class, not a test per task
        # (139 small tests cost School's fit 1-2 ms); the loop names the first bad task.
        weighted = C > 0
        both = (np.logical_or.reduceat((yv > 0) & weighted, offsets[:-1])
                & np.logical_or.reduceat((yv < 0) & weighted, offsets[:-1]))
        if not np.all(both):
            _check_two_classes_per_task(
                (yv[s:e][C[s:e] > 0] for s, e in zip(offsets[:-1], offsets[1:])), tasks)
    else:
        yv = y
    est.tasks_ = tasks
    est.n_tasks_ = len(tasks)
    grouped = bool(np.all(order[1:] > order[:-1]))  # rows already grouped: no gather needed
    if sp.issparse(feats):
        # CSR: the container's per-task blocks are row ranges of it.
        Xs = feats.tocsr() if grouped else feats.tocsr()[order]
    elif grouped and feats.strides[-1] == feats.itemsize:
        # Rows already grouped by task and the task column first or last: the features
        # are a strided view of the user's X (rows one column apart), which the per-task
        # products read directly; the solvers copy only working-set columns.
        Xs = feats
    else:
        Xs = np.ascontiguousarray(feats if grouped else feats[order])
    del feats  # the container is built while Xs is the only copy of the features
    return _in_units(StackedDesign(Xs, np.ascontiguousarray(yv, dtype=dtype), C, offsets),
                     tw_exponent)


def _in_units(data, tw_exponent):
    """``data`` whose task weights were divided by ``2^tw_exponent`` (:func:`check_task_weights`)."""
    if tw_exponent:
        data.scaling = Scaling(t=tw_exponent)
    return data


def _check_two_classes_per_task(task_labels, tasks):
    for t, yt in zip(np.asarray(tasks).tolist(), task_labels):
        if not (np.any(yt > 0) and np.any(yt < 0)):
            raise ValueError(
                f"Task {t!r} has labels of only one class; a binary classifier needs both "
                "classes in every task."
            )


UNSEEN_TASKS = ("error", "mean")


def check_unseen_tasks(est):
    """Validate ``unseen_tasks`` (absent on an estimator without it: ``"error"``)."""
    value = getattr(est, "unseen_tasks", "error")
    if not isinstance(value, str) or value not in UNSEEN_TASKS:
        raise ValueError(f"unseen_tasks must be one of {UNSEEN_TASKS}, got {value!r}.")
    return value


def check_predict_data(est, X, *, return_labels=False):
    """Validate predict input.

    Returns
    -------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Features only (task column removed).
    task_index : ndarray of shape (n_samples,) or None
        Row of ``coef_`` for each sample in the per-task layout; None in the
        shared layout. With ``unseen_tasks="mean"``, ``-1`` marks a row of a
        task not seen in fit.
    labels : ndarray of shape (n_samples,) or None
        Each row's task label (only with ``return_labels=True``).
    """
    if est.task_column is None:
        X = validate_data(est, X, accept_sparse=("csr", "csc"), dtype=FLOAT_DTYPES, reset=False)
        return (X, None, None) if return_labels else (X, None)
    unseen = check_unseen_tasks(est)
    feats, labels = split_task_column(est, X, reset=False)
    if not sp.issparse(feats):
        feats = np.ascontiguousarray(feats)  # the slice of a first/last task column is a view
    tasks = est.tasks_
    comparable = labels.dtype.kind == tasks.dtype.kind or (
        labels.dtype.kind in "iu" and tasks.dtype.kind in "iu")
    if not comparable:
        if unseen == "error":
            raise ValueError(f"Task ids of X ({labels.dtype}) do not match those seen in fit "
                             f"({tasks.dtype}): fitted tasks are {_tasks_hint(tasks)}.")
        idx = np.full(labels.shape[0], -1)
    else:
        idx = np.clip(np.searchsorted(tasks, labels), 0, len(tasks) - 1)
        unknown = tasks[idx] != labels
        if np.any(unknown):
            if unseen == "error":
                raise ValueError(
                    f"X holds task id(s) not seen in fit: "
                    f"{np.unique(labels[unknown])[:10].tolist()}; fitted tasks are "
                    f"{_tasks_hint(tasks)}. Set unseen_tasks='mean' to predict new tasks with "
                    "the mean task model; in cross-validation, use "
                    "mtlclassic.model_selection.TaskStratifiedKFold, which keeps every task "
                    "in every training fold.")
            idx = np.where(unknown, -1, idx)
    return (feats, idx, labels) if return_labels else (feats, idx)


def _tasks_hint(tasks):
    return f"{tasks[:10].tolist()}{' ...' if len(tasks) > 10 else ''}"
