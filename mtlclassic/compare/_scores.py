"""Test scores of a fitted model, task by task and averaged, from :mod:`mtlclassic.metrics`.

Regression: nMSE (each task's test MSE over its test-target variance) and
R^2 (``1 - nMSE``) averaged over tasks with equal weights, as the
estimators' objectives weight tasks; explained variance pooled over all test
rows, the School literature's convention (Bakker & Heskes 2003; Argyriou et
al. 2008), so the numbers compare with published ones. Classification: ROC
AUC and accuracy, averaged over tasks. Tasks where a score is undefined (a
single class, a constant target) are left out of its average.
"""

import numpy as np

# Metrics by problem kind: (name, label, higher is better). The first is the main score, used
# by the inner cross-validation and to name the best model.
METRICS = {
    "regression": (("nmse", "nMSE", False), ("explained_variance", "expl. var. (pooled)", True),
                   ("r2", "R^2", True)),
    "classification": (("auc", "AUC", True), ("accuracy", "accuracy", True)),
}


def metric_names(kind):
    return [name for name, _, _ in METRICS[kind]]


def metric_label(kind, name):
    return {n: label for n, label, _ in METRICS[kind]}[name]


def higher_is_better(kind, name):
    return {n: up for n, _, up in METRICS[kind]}[name]


def inner_scorer(kind):
    """The scorer of the inner grid search: the task-averaged main metric."""
    from ..metrics import neg_nmse_scorer, roc_auc_scorer

    return neg_nmse_scorer if kind == "regression" else roc_auc_scorer


def predictions(estimator, X, kind, y_ndim=1):
    """Predicted targets (regression) or decision values, positive for ``classes_[1]``."""
    if kind == "regression":
        return np.asarray(estimator.predict(X), dtype=np.float64)
    if hasattr(estimator, "decision_function"):
        return np.asarray(estimator.decision_function(X), dtype=np.float64)
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    # 1-D targets: columns [P(classes_[0]), P(classes_[1])]; 2-D: P(classes_[1]) per task.
    p1 = proba[:, 1] if y_ndim == 1 else proba
    return p1 - 0.5  # the sign convention of a decision function


def _per_task(metric, y, z, task, n_tasks, **kwargs):
    """``metric(..., average="raw_values")`` as an array over all ``n_tasks`` (NaN: absent)."""
    values = metric(y, z, tasks=task, average="raw_values", **kwargs)
    if task is None:
        return np.asarray(values, dtype=np.float64)
    out = np.full(n_tasks, np.nan)
    out[np.unique(task)] = values
    return out


def _accuracy(y, z, task, n_tasks, positive):
    hit = (z > 0) == (y == positive)
    if task is None:  # shared layout: NaN targets are not observed
        observed = ~np.isnan(y.astype(np.float64))
        return np.array([hit[observed[:, t], t].mean() if observed[:, t].any() else np.nan
                         for t in range(y.shape[1])])
    return np.array([hit[task == t].mean() if np.any(task == t) else np.nan
                     for t in range(n_tasks)])


def task_scores(estimator, X, y, kind, n_tasks, task=None):
    """Every metric of a fitted model on test data: ``(per_task, averaged)``.

    ``per_task`` maps each metric to an array of shape (n_tasks,) (NaN where
    undefined); ``averaged`` to a float. ``task`` gives the task (0 ..
    n_tasks - 1) of each row in the per-task layout; None in the shared
    layout, where ``y`` is (n, n_tasks) with NaN for unobserved targets.
    """
    from ..metrics import explained_variance, nmse, roc_auc

    z = predictions(estimator, X, kind, np.ndim(y))
    if kind == "regression":
        per_task = {"nmse": _per_task(nmse, y, z, task, n_tasks)}
        per_task["r2"] = 1.0 - per_task["nmse"]
        # Per task the (non-centred) explained variance is R^2; only its pooling differs.
        per_task["explained_variance"] = per_task["r2"]
        averaged = {"nmse": _mean(per_task["nmse"]), "r2": _mean(per_task["r2"]),
                    "explained_variance": _pooled(explained_variance, y, z, task)}
    else:
        positive = getattr(estimator, "classes_", np.unique(y[~_isnan(y)]))[-1]
        per_task = {"auc": _per_task(roc_auc, y, z, task, n_tasks),
                    "accuracy": _accuracy(y, z, task, n_tasks, positive)}
        averaged = {m: _mean(v) for m, v in per_task.items()}
    return per_task, averaged


def _isnan(y):
    return np.isnan(y.astype(np.float64)) if y.dtype.kind == "f" else np.zeros(y.shape, bool)


def _pooled(metric, y, z, task):
    try:
        return float(metric(y, z, tasks=task, average="pooled"))
    except ValueError:  # undefined (a constant target over all test rows)
        return np.nan


def _mean(values):
    """Equal-weight mean over the tasks that have a score (NaN when none has)."""
    values = np.asarray(values, dtype=np.float64)
    return float(np.nanmean(values)) if np.any(~np.isnan(values)) else np.nan
