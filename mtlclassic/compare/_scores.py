"""Test scores of a fitted model, task by task and averaged, and the tuning criterion.

Test scores, from :mod:`mtlclassic.metrics`. Regression: nMSE (each task's
test MSE over its test-target variance) and R^2 (``1 - nMSE``) averaged over
tasks with equal weights, as the estimators' objectives weight tasks;
explained variance pooled over all test rows, the School literature's
convention (Bakker & Heskes 2003; Argyriou et al. 2008), so the numbers
compare with published ones; MSE and RMSE pooled over all test rows (the
unit of the MALSAR and MT-GBDT tables). Classification: ROC AUC and
accuracy, averaged over tasks. Tasks where a score is undefined (a single
class, a constant target) are left out of its average.

The tuning criterion (:func:`tuning_scorer`) is separate: by default the
squared error pooled over all validation rows (defined on any fold, however
small its tasks) and the task-averaged AUC with a fallback that is never NaN.
"""

import warnings

import numpy as np

# Metrics by problem kind: (name, label, higher is better). The first is the main score, used
# to name the best model.
METRICS = {
    "regression": (("nmse", "nMSE", False), ("explained_variance", "expl. var. (pooled)", True),
                   ("r2", "R^2", True), ("mse", "MSE (pooled)", False),
                   ("rmse", "RMSE (pooled)", False)),
    "classification": (("auc", "AUC", True), ("accuracy", "accuracy", True)),
}


def metric_names(kind):
    return [name for name, _, _ in METRICS[kind]]


def metric_label(kind, name):
    return {n: label for n, label, _ in METRICS[kind]}[name]


def higher_is_better(kind, name):
    return {n: up for n, _, up in METRICS[kind]}[name]


class AUCWithFallback:
    """Task-averaged ROC AUC that is never NaN: the default tuning criterion of classifiers.

    The mean over the validation fold's tasks that hold both classes; when
    none does, the AUC of all rows pooled; when the fold holds one class
    only, the accuracy of the decision function's sign. Undefined tasks are
    left out silently: a fold of small tasks is expected to have some.
    """

    name = "roc_auc (task-averaged, with fallback)"

    def __call__(self, estimator, X, y, sample_weight=None):
        from ..metrics import roc_auc
        from ..metrics import roc_auc_scorer

        z = roc_auc_scorer._response(estimator, X)
        tasks = roc_auc_scorer._tasks(estimator, X)
        y = np.asarray(y)
        observed = ~np.isnan(y.astype(np.float64)) if y.dtype.kind == "f" else \
            np.ones(y.shape, bool)
        if np.unique(y[observed]).size < 2:  # one class in the whole fold
            positive = getattr(estimator, "classes_", np.unique(y[observed]))[-1]
            return float(np.mean((z[observed] > 0) == (y[observed] == positive)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = roc_auc(y, z, tasks=tasks, sample_weight=sample_weight,
                             average="raw_values")
            if np.any(~np.isnan(values)):
                return float(np.nanmean(values))
            return float(roc_auc(y, z, tasks=tasks, sample_weight=sample_weight,
                                 average="pooled"))

    def __repr__(self):
        return "AUCWithFallback()"


def tuning_scorer(scoring, kind):
    """``(scorer, name)`` of the inner cross-validation.

    ``scoring`` None: the squared error pooled over all validation rows
    (regression; :data:`mtlclassic.metrics.neg_mse_scorer`) or
    :class:`AUCWithFallback` (classification). A string names a scorer of
    :mod:`mtlclassic.metrics` (``neg_mse``, ``neg_rmse``, ``neg_nmse``,
    ``r2``, ``explained_variance``, ``roc_auc``) or of scikit-learn
    (:func:`sklearn.metrics.get_scorer_names`); a callable
    ``scorer(estimator, X, y)`` is used as it is. Greater is better.
    """
    from sklearn.metrics import get_scorer, get_scorer_names

    from ..metrics import SCORERS, neg_mse_scorer

    if scoring is None:
        if kind == "regression":
            return neg_mse_scorer, "neg_mse (squared error pooled over validation rows)"
        return AUCWithFallback(), AUCWithFallback.name
    if callable(scoring):
        return scoring, getattr(scoring, "__name__", repr(scoring))
    if isinstance(scoring, str):
        if scoring in SCORERS:
            return SCORERS[scoring], scoring
        if scoring in get_scorer_names():
            return get_scorer(scoring), scoring
    raise ValueError(
        f"scoring={scoring!r} is not a known scorer: use None (the default), a callable "
        f"scorer(estimator, X, y), one of mtlclassic.metrics' {sorted(SCORERS)}, or a "
        "scikit-learn scorer name (sklearn.metrics.get_scorer_names(), e.g. "
        "'neg_mean_absolute_error')")


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
    """Every metric of a fitted model on test data: ``(per_task, averaged, predictions)``.

    ``per_task`` maps each metric to an array of shape (n_tasks,) (NaN where
    undefined); ``averaged`` to a float. ``task`` gives the task (0 ..
    n_tasks - 1) of each row in the per-task layout; None in the shared
    layout, where ``y`` is (n, n_tasks) with NaN for unobserved targets.
    """
    from ..metrics import explained_variance, mse, nmse, rmse, roc_auc

    z_all = z = predictions(estimator, X, kind, np.ndim(y))
    y, z, task = main_tasks_only(estimator, y, z, task)
    if kind == "regression":
        per_task = {"nmse": _per_task(nmse, y, z, task, n_tasks)}
        per_task["r2"] = 1.0 - per_task["nmse"]
        # Per task the (non-centred) explained variance is R^2; only its pooling differs.
        per_task["explained_variance"] = per_task["r2"]
        per_task["mse"] = _per_task(mse, y, z, task, n_tasks)
        per_task["rmse"] = np.sqrt(per_task["mse"])
        averaged = {"nmse": _mean(per_task["nmse"]), "r2": _mean(per_task["r2"]),
                    "explained_variance": _pooled(explained_variance, y, z, task),
                    "mse": _pooled(mse, y, z, task), "rmse": _pooled(rmse, y, z, task)}
    else:
        positive = getattr(estimator, "classes_", np.unique(y[~_isnan(y)]))[-1]
        per_task = {"auc": _per_task(roc_auc, y, z, task, n_tasks),
                    "accuracy": _accuracy(y, z, task, n_tasks, positive)}
        averaged = {m: _mean(v) for m, v in per_task.items()}
    return per_task, averaged, z_all


def _auxiliary_labels(estimator):
    """The task labels a model with ``main_tasks`` trains on but is not scored on (or None)."""
    params = estimator.get_params() if hasattr(estimator, "get_params") else {}
    main = params.get("main_tasks")
    if main is None:
        return None
    main = [main] if np.ndim(main) == 0 else list(main)
    return main, params.get("task_column")


def main_tasks_only(estimator, y, z, task):
    """Targets, outputs and tasks restricted to the main tasks of a model with ``main_tasks``
    (the neural models' auxiliary tasks count for no score): rows of auxiliary tasks
    dropped (per-task layout), their columns missing (shared layout)."""
    found = _auxiliary_labels(estimator)
    if found is None:
        return y, z, task
    main, _ = found
    if task is None:
        Y = np.array(y, dtype=np.float64)
        if Y.ndim == 2:
            Y[:, ~np.isin(np.arange(Y.shape[1]), main)] = np.nan
        return Y, z, task
    keep = np.isin(task, main)
    return y[keep], z[keep], task[keep]


def main_task_scorer(scorer):
    """``scorer`` on the main tasks' rows (columns) only, for models with ``main_tasks``."""

    def score(estimator, X, y):
        found = _auxiliary_labels(estimator)
        if found is None:
            return scorer(estimator, X, y)
        main, task_column = found
        if task_column is None:
            Y = np.array(y, dtype=np.float64)
            if Y.ndim == 2:
                Y[:, ~np.isin(np.arange(Y.shape[1]), main)] = np.nan
            return scorer(estimator, X, Y)
        keep = np.isin(np.asarray(X)[:, task_column], main)
        return scorer(estimator, X[keep], y[keep])

    return score


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
