"""Multi-task scores in both data layouts: MSE, RMSE, nMSE, explained variance, R^2, ROC AUC.

Every function takes ``y_true`` and ``y_pred`` in one of two layouts:

* per-task: 1-D ``y_true``, ``y_pred`` and ``tasks`` (the task label of each
  row, as in the task column of ``X``);
* shared: 2-D ``y_true`` and ``y_pred`` of shape ``(n_samples, n_tasks)``,
  ``NaN`` in ``y_true`` meaning "not observed for that task" (those entries
  are skipped). A 1-D ``y_true`` without ``tasks`` is one task.

and ``average`` says how the per-task values are combined:

``"raw_values"``
    one value per task (sorted task labels in the per-task layout, columns in
    the shared layout); ``NaN`` where the score is undefined for a task;
``"uniform_average"``
    the mean over tasks, each task counting once (the estimators' objective
    and ``score`` use this convention);
``"weighted"``
    the mean over tasks weighted by each task's number of observed rows (its
    total ``sample_weight``);
``"pooled"``
    the score of all observed entries taken together as one sample.

Tasks where a score is undefined (no observed row for MSE / RMSE; fewer than
two observed rows, a constant target for nMSE / R^2, a single class for AUC) are left out of the averages
with an ``UndefinedMetricWarning``; a ``ValueError`` is raised if no task is
left.
"""

import warnings
from functools import partial

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import roc_auc_score

from .._validation import check_sample_weight

__all__ = ["mse", "rmse", "nmse", "explained_variance", "r2", "roc_auc"]

AVERAGES = ("raw_values", "uniform_average", "weighted", "pooled")


def _as_array(a, name):
    if a is None:
        raise ValueError(f"{name} is None.")
    if hasattr(a, "toarray"):
        raise ValueError(f"{name} is a sparse matrix; pass a dense array.")
    a = np.asarray(a)
    if a.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D, got shape {a.shape}.")
    return a


def _observed(Y):
    """Mask of observed entries: not NaN (any non-float dtype is fully observed)."""
    if Y.dtype.kind == "f":
        return ~np.isnan(Y)
    if Y.dtype.kind == "O":
        return ~np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in Y.ravel()],
                         dtype=bool).reshape(Y.shape)
    return np.ones(Y.shape, dtype=bool)


def _task_data(y_true, y_pred, tasks, sample_weight):
    """Split the inputs of either layout into per-task ``(y, pred, weight)`` triples.

    Returns the list of triples (observed rows only) and the task labels.
    """
    y_true = _as_array(y_true, "y_true")
    y_pred = _as_array(y_pred, "y_pred")
    n = y_true.shape[0]
    if y_pred.shape != y_true.shape:
        if y_true.ndim == 1 and y_pred.shape == (n, 1):
            y_pred = y_pred.ravel()
        else:
            raise ValueError(
                f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}; "
                "they must agree.")
    try:
        y_pred = y_pred.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError("y_pred must be numeric.") from None
    sw = check_sample_weight(sample_weight, n, np.float64)
    if y_true.ndim == 2:
        if tasks is not None:
            raise ValueError(
                "tasks= is for the per-task layout (1-D y_true); a 2-D y_true is the shared "
                "layout, one column per task.")
        observed = _observed(y_true)
        if not np.all(np.isfinite(y_pred[observed])):
            raise ValueError("y_pred holds NaN or infinite values where y_true is observed.")
        blocks = [(y_true[observed[:, t], t], y_pred[observed[:, t], t], sw[observed[:, t]])
                  for t in range(y_true.shape[1])]
        return blocks, np.arange(y_true.shape[1])
    if not _observed(y_true).all():
        raise ValueError("y_true holds NaN; missing targets are only allowed in a 2-D y_true "
                         "(shared layout), where NaN means 'not observed for that task'.")
    if not np.all(np.isfinite(y_pred)):
        raise ValueError("y_pred holds NaN or infinite values.")
    if tasks is None:
        return [(y_true, y_pred, sw)], np.arange(1)
    tasks = np.asarray(tasks)
    if tasks.ndim != 1 or tasks.shape[0] != n:
        raise ValueError(f"tasks must be 1-D with one label per row ({n}), got shape "
                         f"{tasks.shape}.")
    if not _observed(tasks).all():
        raise ValueError("tasks holds missing values (NaN/None).")
    labels, index = np.unique(tasks, return_inverse=True)
    return [(y_true[index == t], y_pred[index == t], sw[index == t])
            for t in range(labels.shape[0])], labels


def _combine(values, weights, pooled, average, labels, what):
    """Combine per-task values (NaN = undefined) as ``average`` says."""
    if average == "raw_values":
        return values
    if average == "pooled":
        if np.isnan(pooled):
            raise ValueError(f"{what} is undefined on the pooled sample (see the definitions).")
        return float(pooled)
    undefined = np.isnan(values)
    if undefined.all():
        raise ValueError(
            f"{what} is undefined for every task (each needs two or more observed rows"
            f"{', both classes' if what == 'ROC AUC' else ' and a non-constant target'}).")
    if undefined.any():
        warnings.warn(
            f"{what} is undefined for task(s) {labels[undefined][:10].tolist()} and they are "
            "left out of the average.", UndefinedMetricWarning, stacklevel=3)
    w = np.ones_like(values) if average == "uniform_average" else weights
    return float(np.average(values[~undefined], weights=w[~undefined]))


def _check_average(average):
    if not isinstance(average, str) or average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, got {average!r}.")


def _nmse_of(y, pred, w):
    """``sum w (y - pred)^2 / sum w (y - mean_w y)^2``; NaN when undefined."""
    if y.shape[0] < 2 or w.sum() <= 0:
        return np.nan
    y = y.astype(np.float64)
    total = np.sum(w * (y - np.average(y, weights=w)) ** 2)
    if total <= 0:
        return np.nan
    return float(np.sum(w * (y - pred) ** 2) / total)


def _task_values(blocks, score_of, average):
    """Each task's ``score_of(y, pred, weight)`` and total weight, and the pooled score.

    The pooled score (all rows as one sample) is computed for
    ``average="pooled"`` only, and is NaN otherwise.
    """
    values = np.array([score_of(y, p, w) for y, p, w in blocks], dtype=np.float64)
    weights = np.array([w.sum() for _, _, w in blocks])
    pooled = np.nan
    if average == "pooled":
        pooled = score_of(*(np.concatenate(parts) for parts in zip(*blocks)))
    return values, weights, pooled


def _mse_of(y, pred, w):
    """``sum w (y - pred)^2 / sum w``; NaN without a row of positive weight."""
    if y.shape[0] < 1 or w.sum() <= 0:
        return np.nan
    return float(np.sum(w * (y.astype(np.float64) - pred) ** 2) / w.sum())


def _squared_error_score(y_true, y_pred, tasks, sample_weight, average, transform, what,
                         score_of=_nmse_of):
    _check_average(average)
    blocks, labels = _task_data(y_true, y_pred, tasks, sample_weight)
    for y, _, _ in blocks:
        if y.dtype.kind not in "biuf":
            raise ValueError(f"{what} needs numeric targets, got dtype {y.dtype}.")
    values, weights, pooled = _task_values(blocks, score_of, average)
    return _combine(transform(values), weights, transform(pooled), average, labels, what)


def mse(y_true, y_pred, *, tasks=None, sample_weight=None, average="pooled"):
    """Mean squared error of each task, and its averages (pooled by default).

    For task ``t`` with observed rows ``i`` (weights ``s_i``)::

        MSE_t = sum_i s_i (y_i - yhat_i)^2 / sum_i s_i

    The default ``average="pooled"`` is the mean over all observed entries of
    all tasks together (the unit of the MALSAR and MT-GBDT tables). Unlike
    nMSE it is defined on any task with one observed row (a constant target
    included), so it is the criterion of :func:`mtlclassic.compare.compare`'s
    tuning, where a small task may keep one validation row. Parameters and
    return value as :func:`nmse`.

    Examples
    --------
    >>> mse([1.0, 2.0, 3.0, 10.0], [1.0, 2.0, 4.0, 12.0], tasks=[0, 0, 0, 1])
    1.25
    """
    return _squared_error_score(y_true, y_pred, tasks, sample_weight, average, lambda v: v,
                                "MSE", score_of=_mse_of)


def rmse(y_true, y_pred, *, tasks=None, sample_weight=None, average="pooled"):
    """Root mean squared error: the square root of :func:`mse` (per task, or of the pooled MSE).

    ``average="uniform_average"`` and ``"weighted"`` average the per-task
    RMSEs. Parameters and return value as :func:`nmse`.
    """
    return _squared_error_score(y_true, y_pred, tasks, sample_weight, average, np.sqrt,
                                "RMSE", score_of=_mse_of)


def nmse(y_true, y_pred, *, tasks=None, sample_weight=None, average="uniform_average"):
    """Normalised mean squared error of each task, and its averages.

    For task ``t`` with observed rows ``i`` (weights ``s_i``, 1 by default)::

        nMSE_t = sum_i s_i (y_i - yhat_i)^2 / sum_i s_i (y_i - ybar_t)^2
               = MSE_t / Var(y_t)          (ybar_t the weighted mean of task t)

    i.e. ``1 - R^2_t``: 0 is perfect, 1 is the error of predicting each
    task's mean. ``average="pooled"`` divides the summed squared error of all
    rows by their total variation around the overall mean.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_tasks)
        Targets: 1-D with ``tasks`` (per-task layout), or 2-D with ``NaN``
        for unobserved entries (shared layout).
    y_pred : array-like of the same shape as ``y_true``
    tasks : array-like of shape (n_samples,), default=None
        Task label of each row (per-task layout only).
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights (in the shared layout a row's weight applies to every task).
    average : {"raw_values", "uniform_average", "weighted", "pooled"}, default="uniform_average"
        See :mod:`mtlclassic.metrics`.

    Returns
    -------
    score : float or ndarray of shape (n_tasks,)
        One value per task (NaN where undefined) with
        ``average="raw_values"``, else a float.

    Raises
    ------
    ValueError
        On shapes that disagree, an unknown ``average``, non-finite
        predictions, ``NaN`` in a 1-D ``y_true``, ``tasks`` with a 2-D
        ``y_true``, or when no task has a defined score.

    Examples
    --------
    >>> import numpy as np
    >>> nmse([1.0, 2.0, 3.0, 10.0, 20.0], [1.5, 2.0, 2.5, 10.0, 20.0],
    ...      tasks=[0, 0, 0, 1, 1], average="raw_values")
    array([0.25, 0.  ])
    """
    return _squared_error_score(y_true, y_pred, tasks, sample_weight, average,
                                lambda v: v, "nMSE")


def r2(y_true, y_pred, *, tasks=None, sample_weight=None, average="uniform_average"):
    """Coefficient of determination ``R^2_t = 1 - nMSE_t`` of each task, and its averages.

    Per task it equals :func:`sklearn.metrics.r2_score` on that task's
    observed rows (undefined, hence left out, for a constant target where
    scikit-learn returns 0 or 1). The default uniform average is what the
    estimators' ``score`` returns. Parameters and return value as :func:`nmse`.
    """
    return _squared_error_score(y_true, y_pred, tasks, sample_weight, average,
                                lambda v: 1.0 - v, "R^2")


def explained_variance(y_true, y_pred, *, tasks=None, sample_weight=None, average="pooled"):
    """Explained variance as the multi-task literature reports it on the School data.

    Bakker & Heskes (2003) and Argyriou, Evgeniou & Pontil (2008) report the
    percentage of the total variance of the test targets, all tasks together,
    that the predictions explain: one minus the sum of squared test errors
    over the total sum of squares around the overall mean::

        EV = 1 - sum_t sum_i s_i (y_i - yhat_i)^2 / sum_t sum_i s_i (y_i - ybar)^2

    That is the default ``average="pooled"`` (multiply by 100 for their
    percentages). The other averages combine the per-task values
    ``1 - nMSE_t`` (= ``R^2_t``). Unlike :func:`sklearn.metrics.explained_variance_score`,
    the mean of the residuals is NOT subtracted: a biased prediction is
    penalised. Parameters and return value as :func:`nmse`.

    References
    ----------
    Bakker & Heskes, "Task clustering and gating for Bayesian multitask
    learning", JMLR 4 (2003). Argyriou, Evgeniou & Pontil, "Convex
    multi-task feature learning", Machine Learning 73 (2008).
    """
    return _squared_error_score(y_true, y_pred, tasks, sample_weight, average,
                                lambda v: 1.0 - v, "explained variance")


def _auc_of(y, score, w, positive):
    if y.shape[0] < 2 or w.sum() <= 0:
        return np.nan
    target = y == positive
    if target.all() or not target.any():
        return np.nan
    return float(roc_auc_score(target, score, sample_weight=w))


def roc_auc(y_true, y_score, *, tasks=None, sample_weight=None, average="uniform_average"):
    """Area under the ROC curve of each task (binary labels), and its averages.

    ``y_score`` is a continuous score (decision function or probability of
    the positive class); the positive class is the greater of the two labels
    found in ``y_true`` over all tasks (``classes_[1]`` of the estimators).
    Per task this is :func:`sklearn.metrics.roc_auc_score` on the task's
    observed rows; it is undefined (left out of averages) for a task with
    one class only. ``average="pooled"`` ranks all rows of all tasks
    together. Parameters and return value as :func:`nmse`, with ``y_score``
    for ``y_pred``.

    Raises
    ------
    ValueError
        As :func:`nmse`, and when ``y_true`` does not hold exactly two
        classes over all tasks.
    """
    _check_average(average)
    blocks, labels = _task_data(y_true, y_score, tasks, sample_weight)
    classes = np.unique(np.concatenate([y for y, _, _ in blocks]))
    if classes.shape[0] != 2:
        raise ValueError(f"ROC AUC needs binary labels: y_true holds {classes.shape[0]} "
                         f"class(es) over all tasks: {classes[:5].tolist()}.")
    values, weights, pooled = _task_values(blocks, partial(_auc_of, positive=classes[1]),
                                           average)
    return _combine(values, weights, pooled, average, labels, "ROC AUC")


# The metric functions by name, for the scorers.
METRICS = {"mse": mse, "rmse": rmse, "nmse": nmse, "r2": r2, "explained_variance": explained_variance, "roc_auc": roc_auc}
