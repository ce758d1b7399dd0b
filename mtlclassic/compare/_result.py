"""What a comparison returns: plain arrays per model, a text table, records, a DataFrame."""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ._scores import higher_is_better, metric_label


def _sd(values):
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    return float(np.std(values, ddof=1)) if values.size > 1 else 0.0


def _mean(values):
    values = np.asarray(values, dtype=np.float64)
    return float(np.nanmean(values)) if np.any(~np.isnan(values)) else np.nan


@dataclass
class ModelResult:
    """One model's results over the splits.

    Attributes
    ----------
    name, family, estimator : str
        Registry name, ``"baseline"``/``"classical"``/``"neural"``, class name.
    scores : dict of str to ndarray of shape (n_splits,)
        Task-averaged test score of each split, per metric (NaN: the split failed).
    task_scores : dict of str to ndarray of shape (n_splits, n_tasks)
        Each task's test score, per metric.
    fit_time, tune_time : ndarray of shape (n_splits,)
        Seconds to refit the chosen model on the training part, and to run the
        inner grid search before it.
    params : list of dict
        The chosen grid point of each split (None where it failed).
    labels : list of str
        The same, as written in the reports (``"0.1 alpha_max"``).
    edges : list of list
        For each split, ``[(parameter, "smallest" | "largest")]``: the chosen
        values that still sit at an end of what was searched once the grid
        was extended as far as it may be (the best value may lie beyond it);
        empty when the choice is inside. An end where the model saturates
        (``alpha_max``: every larger strength gives the zero model) is not
        an edge.
    warnings : dict of str to int
        Warnings raised by the final fits on the training parts and their
        test scores (category name -> count), all splits.
    tuning_warnings : dict of str to int
        Warnings raised by the inner cross-validation's fits and scores, all
        splits.
    predictions : list of ndarray
        Each split's test predictions (decision values for classifiers,
        positive for ``classes_[1]``), in the order of the test rows of
        ``CompareResult.splits`` (None where the split failed); shape
        (n_test,) in the per-task layout, (n_test, n_tasks) in the shared one.
    n_points : ndarray of shape (n_splits,)
        Grid points scored by the inner cross-validation (the default grid
        and its extensions).
    errors : list of str
        ``"split k: message"`` for each split whose fit failed.
    support : ndarray of shape (n_splits, 3) or None
        Selected features, true features recovered, true features (when the
        true coefficients are known and the model has ``coef_``).
    estimator_ : object or None
        The model fitted on the first split (used by the figures).
    """

    name: str
    family: str
    estimator: str
    scores: dict
    task_scores: dict
    fit_time: np.ndarray
    tune_time: np.ndarray
    params: list
    labels: list
    warnings: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    support: object = None
    estimator_: object = None
    edges: list = field(default_factory=list)
    tuning_warnings: dict = field(default_factory=dict)
    predictions: list = field(default_factory=list)
    n_points: object = None

    @property
    def at_edge(self):
        """ndarray of bool, shape (n_splits,): the split's choice still sits at an open edge."""
        return np.array([bool(e) for e in self.edges], dtype=bool)

    @classmethod
    def from_records(cls, spec, records, n_splits, n_tasks, metrics, kind):
        scores = {m: np.full(n_splits, np.nan) for m in metrics}
        per_task = {m: np.full((n_splits, n_tasks), np.nan) for m in metrics}
        fit_time, tune_time = np.full(n_splits, np.nan), np.full(n_splits, np.nan)
        params, labels = [None] * n_splits, [None] * n_splits
        edges = [[] for _ in range(n_splits)]
        predictions, n_points = [None] * n_splits, np.zeros(n_splits, dtype=int)
        support, warned, errors, fitted = [None] * n_splits, Counter(), [], None
        tuning_warned = Counter()
        for r in sorted(records, key=lambda r: r["split"]):
            k = r["split"]
            warned.update(r["warnings"])
            tuning_warned.update(r.get("tuning_warnings", {}))
            if r["error"] is not None:
                errors.append(f"split {k}: {r['error']}")
                continue
            for m in metrics:
                scores[m][k] = r["scores"][m]
                per_task[m][k] = r["task_scores"][m]
            fit_time[k], tune_time[k] = r["fit_time"], r["tune_time"]
            params[k], labels[k], support[k] = r["params"], r["label"], r["support"]
            edges[k] = list(r.get("edges", []))
            predictions[k], n_points[k] = r.get("predictions"), r.get("n_points", 0)
            if r["model"] is not None:
                fitted = r["model"]
        support = (np.array(support, dtype=np.float64)
                   if all(s is not None for s in support) else None)
        estimator = spec.classes[0 if kind == "regression" else 1]
        return cls(spec.name, spec.family, estimator, scores, per_task, fit_time, tune_time,
                   params, labels, dict(warned), errors, support, fitted, edges,
                   dict(tuning_warned), predictions, n_points)

    def mean(self, metric):
        """Mean over splits of the task-averaged ``metric``."""
        return _mean(self.scores[metric])

    def sd(self, metric):
        """Standard deviation over splits (ddof=1; 0 with one split)."""
        return _sd(self.scores[metric])

    def task_means(self, metric):
        """Each task's score averaged over splits, of shape (n_tasks,)."""
        values = self.task_scores[metric]
        out = np.full(values.shape[1], np.nan)
        seen = np.any(~np.isnan(values), axis=0)
        out[seen] = np.nanmean(values[:, seen], axis=0)
        return out

    def error_summary(self):
        """The failures, one line per distinct message: ``"split(s) 0, 3: message"``."""
        by_message = {}
        for err in self.errors:
            split, _, message = err.partition(": ")
            by_message.setdefault(message, []).append(split.split()[-1])
        return [f"split{'s' if len(k) > 1 else ''} {', '.join(k)}: {m}"
                for m, k in by_message.items()]

    def edge_text(self, k):
        """Split ``k``'s grid-edge choice in words (``"smallest alpha"``), or ``""``."""
        edges = self.edges[k] if k < len(self.edges) else []
        by_side = {}
        for param, side in edges:
            by_side.setdefault(side, []).append(param)
        return "; ".join(f"{side} {' and '.join(params)}" for side, params in by_side.items())

    def chosen(self):
        """The chosen grid points with how many splits chose each, most frequent first.

        A point at an end of its grid is flagged: ``0.03 alpha_max (2/2, grid
        edge: smallest alpha)``.
        """
        counts = Counter(label for label in self.labels if label is not None)
        edge = {label: self.edge_text(k) for k, label in enumerate(self.labels)
                if label is not None}
        return ", ".join(f"{label} ({n}/{len(self.labels)}"
                         + (f", grid edge: {edge[label]})" if edge[label] else ")")
                         for label, n in counts.most_common())

    def edge_splits(self):
        """``{edge text: number of splits}`` for the splits whose choice is at a grid edge."""
        return dict(Counter(self.edge_text(k) for k in range(len(self.labels))
                            if self.labels[k] is not None and self.edge_text(k)))


@dataclass
class CompareResult:
    """Everything a comparison measured (no pandas needed; see :meth:`to_frame`).

    Attributes
    ----------
    data, description, details : str
        Data set name, a one-line summary (tasks, features, rows), its source.
    kind : {"regression", "classification"}
    layout : {"per_task", "shared"}
    tasks : ndarray of shape (n_tasks,)
        Task labels, in the column order of the per-task scores.
    n_features : int
    metrics : list of str
        Metric names; the first is the main one (``"nmse"`` or ``"auc"``).
    n_splits, train_fraction, cv, random_state
        The protocol's settings.
    train_size : int or None
        Training rows per task (shared layout: of the design) when the
        protocol drew a fixed number instead of ``train_fraction``.
    models : dict of str to ModelResult
        In the order they were given.
    total_time : float
        Wall-clock seconds of the whole comparison.
    true_coef : ndarray of shape (n_tasks, n_features) or None
        The planted coefficients (synthetic data).
    splits : list of (ndarray, ndarray)
        The ``(train, test)`` row indices of every split, to reproduce any
        number of the table.
    feature_names : list of str or None
        Names of the features (the columns of the models' ``coef_``).
    notes : list of str
        What was done to the data before the comparison (one-hot encoded and
        dropped columns, rows left out, class coding).
    scoring : str
        The tuning criterion of the inner cross-validation, in words.
    reference : dict or None
        Classification: ``"accuracy"`` of shape (n_splits,), the accuracy of
        predicting each task's majority training class (averaged over tasks
        as the models' scores), ``"accuracy_per_task"`` of shape (n_splits,
        n_tasks), and ``"auc"``, the AUC of chance (0.5). None for
        regression.
    files : list of str
        The files written into ``out`` (empty without ``out``).
    """

    data: str
    description: str
    details: str
    kind: str
    layout: str
    tasks: np.ndarray
    n_features: int
    metrics: list
    n_splits: int
    train_fraction: float
    cv: int
    random_state: object
    models: dict
    total_time: float
    true_coef: object = None
    splits: list = field(default_factory=list)
    feature_names: object = None
    notes: list = field(default_factory=list)
    reference: object = None
    train_size: object = None
    files: list = field(default_factory=list)
    scoring: str = ""

    @property
    def main_metric(self):
        return self.metrics[0]

    def best(self, family=None, metric=None):
        """Name of the model with the best mean ``metric`` (main one by default), or None.

        ``family`` restricts to ``"baseline"``, ``"classical"``, ``"neural"``
        or a tuple of them.
        """
        metric = metric or self.main_metric
        families = (family,) if isinstance(family, str) else family
        candidates = [(r.mean(metric), name) for name, r in self.models.items()
                      if (families is None or r.family in families)
                      and not np.isnan(r.mean(metric))]
        if not candidates:
            return None
        sign = -1 if higher_is_better(self.kind, metric) else 1
        return min(candidates, key=lambda c: (sign * c[0], c[1]))[1]

    def paired(self, first, second, metric=None):
        """Per-split differences ``first - second`` of ``metric``, signed so > 0 favours ``first``.

        Splits where either failed are left out (an empty array when none is left).
        """
        metric = metric or self.main_metric
        sign = 1.0 if higher_is_better(self.kind, metric) else -1.0
        diff = sign * (self.models[first].scores[metric] - self.models[second].scores[metric])
        return diff[~np.isnan(diff)]

    def verdict(self, metric=None):
        """One line: does the best multi-task model beat the best baseline, and by how much.

        Multi-task models are the ``classical`` and ``neural`` families; the
        difference of ``metric`` (the main one by default) is paired over the
        splits (mean +- sd, and on how many splits the multi-task model is
        ahead). None when either side has no result.
        """
        metric = metric or self.main_metric
        mtl, base = self.best(("classical", "neural"), metric), self.best("baseline", metric)
        if mtl is None or base is None:
            return None
        diff = self.paired(mtl, base, metric)
        if diff.size == 0:
            return None
        label = metric_label(self.kind, metric)
        mean, sd = float(diff.mean()), _sd(diff)
        ahead = int(np.sum(diff > 0))
        verb = "beats" if mean > 0 else "does not beat"
        return (f"{label}: the best multi-task model, {mtl}, {verb} the best baseline, {base}: "
                f"paired difference {abs(mean):.4f} +- {sd:.4f} "
                f"{'in its favour' if mean > 0 else 'against it'} "
                f"(ahead on {ahead} of {diff.size} splits)")

    # -- records and frames -----------------------------------------------------
    def summary(self):
        """One dict per model: mean and sd of every metric, times, chosen points, problems."""
        rows = []
        for name, r in self.models.items():
            row = {"model": name, "family": r.family, "estimator": r.estimator}
            for m in self.metrics:
                row[f"{m}_mean"], row[f"{m}_sd"] = r.mean(m), r.sd(m)
            row["fit_time_mean"] = _mean(r.fit_time)
            row["tune_time_mean"] = _mean(r.tune_time)
            row["n_failed"] = len(r.errors)
            row["n_at_edge"] = int(r.at_edge.sum())
            row["chosen"] = r.chosen()
            rows.append(row)
        return rows

    def to_records(self, per_task=False):
        """Long records: one per (model, split), or per (model, split, task)."""
        rows = []
        for name, r in self.models.items():
            for k in range(self.n_splits):
                base = {"model": name, "family": r.family, "split": k}
                if per_task:
                    for t, task in enumerate(self.tasks):
                        rows.append({**base, "task": task.item() if hasattr(task, "item")
                                     else task,
                                     **{m: r.task_scores[m][k, t] for m in self.metrics}})
                    continue
                row = {**base, **{m: r.scores[m][k] for m in self.metrics},
                       "fit_time": r.fit_time[k], "tune_time": r.tune_time[k],
                       "chosen": r.labels[k] or "", "params": _params_text(r.params[k]),
                       "at_edge": bool(r.at_edge[k]) if k < len(r.edges) else False,
                       "n_points": int(r.n_points[k]) if r.n_points is not None else 0}
                if r.support is not None:
                    row["selected"], row["recovered"], row["true_support"] = \
                        (int(v) for v in r.support[k])
                rows.append(row)
        return rows

    def to_frame(self, per_task=False, summary=False):
        """A pandas DataFrame of :meth:`to_records` (or of :meth:`summary`).

        Raises ImportError with an installation hint when pandas is absent.
        """
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("to_frame needs pandas: pip install pandas "
                              "(or use to_records() / summary())") from None
        return pd.DataFrame(self.summary() if summary else self.to_records(per_task))

    # -- text ----------------------------------------------------------------
    def size_words(self):
        """The training part's size in words: the fraction, or the rows drawn per task."""
        if self.train_size is None:
            return f"train fraction {self.train_fraction:g}"
        per = " per task" if self.layout == "per_task" else ""
        return f"{self.train_size} training rows{per}"

    def header(self):
        """Two lines: the data and the protocol."""
        return (f"{self.description}\n"
                f"{self.n_splits} split(s), {self.size_words()}, "
                f"{self.cv}-fold {'task-stratified ' if self.layout == 'per_task' else ''}"
                f"inner CV, seed {self.random_state}"
                + (f", tuned by {self.scoring}" if self.scoring else "")
                + "; test scores averaged over tasks (MSE, RMSE and expl. var. pooled), "
                "mean +- sd over splits")

    def table(self, markdown=False):
        """The results table: one row per model, the best mean of each metric starred."""
        metrics = self.table_metrics()
        best = {m: self.best(metric=m) for m in metrics}
        support = any(r.support is not None for r in self.models.values())
        head = (["model"] + [metric_label(self.kind, m) + (" (lower better)"
                                                           if not higher_is_better(self.kind, m)
                                                           else "")
                             for m in metrics]
                + ["fit (s)", "tuning (s)"] + (["support sel/rec/true"] if support else [])
                + ["chosen"])
        rows = []
        for name, r in self.models.items():
            cells = [name]
            for m in metrics:
                mean = r.mean(m)
                cells.append("failed" if np.isnan(mean) else
                             f"{mean:.3f} +- {r.sd(m):.3f}" + (" *" if best[m] == name else ""))
            cells += [f"{_mean(r.fit_time):.3f}", f"{_mean(r.tune_time):.2f}"]
            if support:
                cells.append("-" if r.support is None else
                             "{:.1f}/{:.1f}/{:.0f}".format(*np.nanmean(r.support, axis=0)))
            note = r.chosen() if len(r.labels) and r.labels[0] is not None else ""
            if r.errors:
                note = f"failed on {len(r.errors)} split(s): {r.error_summary()[0]}"
            cells.append(note)
            rows.append(cells)
        if self.reference is not None:
            rows.append(self._reference_row(support))
        if markdown:
            lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
            lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows]
            return "\n".join(lines)
        widths = [max(len(str(row[i])) for row in [head] + rows) for i in range(len(head))]
        widths[-1] = 0  # the last column is free text
        fmt = [lambda c, w: f"{c:<{w}}"] + [lambda c, w: f"{c:>{w}}"] * (len(head) - 2) \
            + [lambda c, w: c]
        out = ["  ".join(f(c, w) for f, c, w in zip(fmt, row, widths)).rstrip()
               for row in [head] + rows]
        out.insert(1, "  ".join("-" * max(w, 6) for w in widths))
        return "\n".join(out)

    def table_metrics(self):
        """The metrics of :meth:`table` (pooled MSE is left to the records: RMSE is shown)."""
        return [m for m in self.metrics if m != "mse"]

    def _reference_row(self, support):
        """The classification floor: chance AUC and the majority-class accuracy."""
        cells = [REFERENCE_ROW]
        for m in self.table_metrics():
            if m == "auc":
                cells.append(f"{self.reference['auc']:.3f} (chance)")
            elif m == "accuracy":
                acc = self.reference["accuracy"]
                cells.append(f"{_mean(acc):.3f} +- {_sd(acc):.3f}")
            else:
                cells.append("-")
        return cells + ["-", "-"] + (["-"] if support else []) + [
            "predicts each task's most frequent training class"]

    def majority_accuracy(self):
        """Mean over splits of the majority-class accuracy (None for regression)."""
        return None if self.reference is None else _mean(self.reference["accuracy"])

    def __str__(self):
        return f"{self.header()}\n\n{self.table()}"


# The name of the table's reference row (classification only).
REFERENCE_ROW = "majority class"


def _params_text(params):
    if not params:
        return ""
    return "; ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in sorted(params.items()))
