"""Scorer objects for ``scoring=`` in GridSearchCV / cross_val_score, in both layouts.

A scorer is called as ``scorer(estimator, X, y, sample_weight=None)``. It
predicts with the estimator and, in the per-task layout, reads each row's
task from ``X`` through the estimator's ``task_column`` (the same rules as
the estimators: ints as in numpy, negative from the end, column names for
DataFrames; for a Pipeline, the final step's ``task_column`` read from ``X``
as transformed by the earlier steps), then applies the metric of
:mod:`mtlclassic.metrics._scores` with its ``average``.
"""

import numpy as np

from .._validation import read_tasks
from ._scores import AVERAGES, METRICS

__all__ = ["MultiTaskScorer", "make_scorer", "get_scorer", "read_tasks"]

_RESPONSES = ("predict", "decision_function", "predict_proba")


class MultiTaskScorer:
    """Score a fitted multi-task estimator with a metric of :mod:`mtlclassic.metrics`.

    Parameters
    ----------
    metric : {"mse", "rmse", "nmse", "r2", "explained_variance", "roc_auc"} or callable
        The metric; a callable must accept ``(y_true, y_pred, *, tasks,
        sample_weight, average)`` like those.
    greater_is_better : bool, default=True
        If False the score is negated (scikit-learn's ``neg_*`` convention:
        GridSearchCV maximises).
    response_method : str or tuple of str, default="predict"
        Method(s) of the estimator giving ``y_pred``, tried in order. For
        ``predict_proba`` with two columns, the positive-class column is used.
    average : str or None, default=None
        Passed to the metric; None uses the metric's default.
    task_column : "auto", int, str or None, default="auto"
        Where the task ids are: ``"auto"`` reads the estimator's (final
        step's) ``task_column`` (None means the shared layout); an int or a
        name reads that column of the untransformed ``X``; None forces the
        shared layout.
    name : str or None, default=None
        Shown by ``repr``.
    """

    def __init__(self, metric, *, greater_is_better=True, response_method="predict",
                 average=None, task_column="auto", name=None):
        if isinstance(metric, str):
            if metric not in METRICS:
                raise ValueError(f"Unknown metric {metric!r}; known: {sorted(METRICS)}.")
            metric = METRICS[metric]
        if not callable(metric):
            raise ValueError(f"metric must be a name or a callable, got {metric!r}.")
        methods = (response_method,) if isinstance(response_method, str) else tuple(
            response_method)
        if not methods or any(m not in _RESPONSES for m in methods):
            raise ValueError(f"response_method must be among {_RESPONSES}, got "
                             f"{response_method!r}.")
        if average is not None and average not in AVERAGES:
            raise ValueError(f"average must be None or one of {AVERAGES}, got {average!r}.")
        self.metric = metric
        self.sign = 1.0 if greater_is_better else -1.0
        self.response_method = methods
        self.average = average
        self.task_column = task_column
        self.name = name or getattr(metric, "__name__", "metric")

    def __repr__(self):
        return (f"MultiTaskScorer({self.name}, sign={self.sign:+.0f}, "
                f"response_method={self.response_method}, average={self.average!r})")

    def _response(self, estimator, X):
        for method in self.response_method:
            if hasattr(estimator, method):
                out = np.asarray(getattr(estimator, method)(X))
                if method == "predict_proba" and out.ndim == 2 and out.shape[1] == 2 \
                        and getattr(estimator, "_y_ndim", 1) == 1:
                    out = out[:, 1]  # [P(classes_[0]), P(classes_[1])] of a 1-D fit
                return out
        raise ValueError(f"{type(estimator).__name__} has none of the methods "
                         f"{self.response_method} needed by the {self.name} scorer.")

    def _tasks(self, estimator, X):
        if self.task_column != "auto":
            return None if self.task_column is None else read_tasks(X, self.task_column)
        final = estimator
        if hasattr(estimator, "steps"):  # Pipeline: the task column of the final step's input
            final = estimator.steps[-1][1]
            if getattr(final, "task_column", None) is not None:
                X = estimator[:-1].transform(X)
        task_column = getattr(final, "task_column", None)
        return None if task_column is None else read_tasks(X, task_column)

    def __call__(self, estimator, X, y, sample_weight=None):
        """The signed score of ``estimator`` on ``(X, y)``."""
        y_pred = self._response(estimator, X)
        tasks = self._tasks(estimator, X)
        kwargs = {} if self.average is None else {"average": self.average}
        return self.sign * self.metric(y, y_pred, tasks=tasks, sample_weight=sample_weight,
                                       **kwargs)


def make_scorer(metric, *, greater_is_better=True, response_method="predict", average=None,
                task_column="auto"):
    """Build a :class:`MultiTaskScorer` (see its parameters).

    Examples
    --------
    >>> from mtlclassic.metrics import make_scorer
    >>> weighted_nmse = make_scorer("nmse", greater_is_better=False, average="weighted")
    """
    return MultiTaskScorer(metric, greater_is_better=greater_is_better,
                           response_method=response_method, average=average,
                           task_column=task_column)


neg_mse_scorer = MultiTaskScorer("mse", greater_is_better=False, name="neg_mse")
neg_rmse_scorer = MultiTaskScorer("rmse", greater_is_better=False, name="neg_rmse")
neg_nmse_scorer = MultiTaskScorer("nmse", greater_is_better=False, name="neg_nmse")
r2_scorer = MultiTaskScorer("r2", name="r2")
explained_variance_scorer = MultiTaskScorer("explained_variance", name="explained_variance")
roc_auc_scorer = MultiTaskScorer("roc_auc", response_method=("decision_function",
                                                             "predict_proba"), name="roc_auc")

SCORERS = {s.name: s for s in (neg_mse_scorer, neg_rmse_scorer, neg_nmse_scorer, r2_scorer, explained_variance_scorer,
                               roc_auc_scorer)}


def get_scorer(name):
    """The scorer named ``name``: ``"neg_mse"``, ``"neg_rmse"``, ``"neg_nmse"``, ``"r2"``,
    ``"explained_variance"`` or ``"roc_auc"``.

    Each reads the task ids as described in :class:`MultiTaskScorer` and uses
    its metric's default average (pooled for MSE, RMSE and explained
    variance; uniform over tasks otherwise).
    """
    if name not in SCORERS:
        raise ValueError(f"Unknown scorer {name!r}; known: {sorted(SCORERS)}.")
    return SCORERS[name]
