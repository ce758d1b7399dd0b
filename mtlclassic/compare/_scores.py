"""Per-task test scores of a fitted model, and the inner-CV scorer built on them.

Every score is computed task by task on that task's held-out rows (its
observed entries in the shared layout) and then averaged over tasks with equal
weights, as the estimators' objectives weight tasks: a large task does not
drown a small one.
"""

import numpy as np

# Metrics by problem kind: (name, label, higher is better). The first is the main score, used
# by the inner cross-validation and to name the best model.
METRICS = {
    "regression": (("nmse", "nMSE", False), ("explained_variance", "expl. var.", True),
                   ("r2", "R^2", True)),
    "classification": (("auc", "AUC", True), ("accuracy", "accuracy", True)),
}


def metric_names(kind):
    return [name for name, _, _ in METRICS[kind]]


def metric_label(kind, name):
    return {n: label for n, label, _ in METRICS[kind]}[name]


def higher_is_better(kind, name):
    return {n: up for n, _, up in METRICS[kind]}[name]


def _task_metrics(kind, y, z, positive):
    """The metrics of one task: ``y`` its targets, ``z`` predictions (or decision values)."""
    if kind == "regression":
        from sklearn.metrics import explained_variance_score, r2_score

        var = np.var(y)
        # nMSE: the task's test MSE over its test-target variance (1 = predicting the mean).
        nmse = np.mean((y - z) ** 2) / var if var > 0 else np.nan
        return {"nmse": float(nmse), "explained_variance": float(explained_variance_score(y, z)),
                "r2": float(r2_score(y, z))}
    from sklearn.metrics import roc_auc_score

    truth = y == positive
    # AUC needs both classes among the task's held-out rows; NaN (skipped in the task
    # average) otherwise.
    auc = roc_auc_score(truth, z) if 0 < truth.sum() < truth.size else np.nan
    return {"auc": float(auc), "accuracy": float(np.mean((z > 0) == truth))}


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


def task_scores(estimator, X, y, kind, n_tasks, task=None):
    """Every metric of every task: ``{metric: array of shape (n_tasks,)}`` (NaN: no test rows).

    ``task`` gives the task (0 .. n_tasks - 1) of each row in the per-task
    layout; ``None`` for the shared layout, where ``y`` is (n, n_tasks) with
    NaN for unobserved targets.
    """
    z = predictions(estimator, X, kind, np.ndim(y))
    positive = getattr(estimator, "classes_", np.array([0, 1]))[-1]
    out = {name: np.full(n_tasks, np.nan) for name in metric_names(kind)}
    for t in range(n_tasks):
        if task is None:
            yt = y[:, t] if y.ndim == 2 else y
            zt = z[:, t] if z.ndim == 2 else z
            obs = ~np.isnan(yt.astype(np.float64)) if yt.dtype.kind == "f" else slice(None)
            yt, zt = yt[obs], zt[obs]
        else:
            rows = task == t
            yt, zt = y[rows], z[rows]
        if yt.size < 2:  # no variance (regression) or no ranking (classification)
            continue
        for name, value in _task_metrics(kind, yt, zt, positive).items():
            out[name][t] = value
    return out


def average(per_task):
    """Equal-weight mean over the tasks that have a score (NaN-skipping)."""
    per_task = np.asarray(per_task, dtype=np.float64)
    if np.all(np.isnan(per_task)):
        return np.nan
    return float(np.nanmean(per_task))


class TaskAveragedScorer:
    """Inner-CV scorer: the task-averaged main metric, negated where lower is better.

    A plain class (not a closure) so that joblib can send it to worker processes.
    """

    def __init__(self, kind, task_column, n_tasks, task_codes):
        self.kind = kind
        self.task_column = task_column
        self.n_tasks = n_tasks
        self.task_codes = task_codes  # sorted task ids -> 0 .. n_tasks - 1

    def __call__(self, estimator, X, y):
        task = None
        if self.task_column is not None:
            task = np.searchsorted(self.task_codes, np.asarray(X)[:, self.task_column])
        name = metric_names(self.kind)[0]
        value = average(task_scores(estimator, X, y, self.kind, self.n_tasks, task)[name])
        return value if higher_is_better(self.kind, name) else -value
