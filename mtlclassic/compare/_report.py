"""The files of a comparison: results.csv, results_per_task.csv, report.md (and figures)."""

import csv
import os
import pathlib

import numpy as np

from ._result import REFERENCE_ROW
from ._scores import higher_is_better, metric_label


def _write_csv(path, rows):
    columns = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})


def _cell(value):
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else repr(float(value))
    return value


# How each figure reads, for the report (keyed by file name).
_CAPTIONS = {
    "scores.png": "Each model's test scores averaged over tasks (dot: mean over splits, bar: "
                  "+- sd), coloured by family; the star marks the best model by the main score, "
                  "the green line the score a useful model has to beat.",
    "per_task.png": "One point per task: its test score under the best classical model "
                    "(x) and under the best neural network or baseline (y), mean over splits; "
                    "the tasks where they differ most are named.",
    "task_correlation.png": "How similar the tasks' fitted models are (split 0), by task name.",
    "support.png": "For each sparse model (one whose coefficients have exact zeros), which "
                   "coefficients are nonzero: rows are tasks, columns features.",
}
_MAX_TASK_ROWS = 50  # per-task table in full up to this many tasks, else the extremes


def _chosen_words(r):
    """The paragraph explaining the ``chosen`` column, and the grid-edge flags in words."""
    lines = [
        "The `chosen` column lists the grid point the inner cross-validation picked on each "
        "split, with how many splits picked it (`(3/5)`: 3 of 5 splits). `0.2 alpha_max` means "
        "the penalty strength was 0.2 times `alpha_max`, the smallest strength at which every "
        "coefficient is zero, computed on each split's training part (smaller fractions: "
        "weaker penalty, more features used); `alpha=T*0.1` means 0.1 times the number of "
        "tasks; `name=value` is that parameter's value. `grid edge: smallest alpha` flags a "
        "choice still at an end of what was searched after the grid was extended as far as "
        "it may be: the best value may lie beyond the values tried, so widen that model's "
        "grid (Python: `grids=`) before trusting its score.", ""]
    flagged = [(name, m.edge_splits()) for name, m in r.models.items() if m.edge_splits()]
    if flagged:
        lines += ["Choices still at an edge of the searched range in this run:", ""]
        for name, edges in flagged:
            for words, n in edges.items():
                lines.append(f"* {name}: the {words} searched, on {n} of {r.n_splits} "
                             "split(s)")
        lines.append("")
    else:
        lines += ["No model's choice sits at an edge of its searched range.", ""]
    return lines


def _reference_words(r):
    """Classification: the majority-class accuracy and chance AUC beside the best scores."""
    if r.reference is None:
        return []
    majority = r.majority_accuracy()
    lines = [f"Reference scores (the `{REFERENCE_ROW}` row): predicting each task's most "
             f"frequent training class gives an accuracy of **{majority:.3f}** (averaged over "
             "tasks and splits as the models' scores); an AUC of **0.5** is chance."]
    for metric, floor in (("accuracy", majority), ("auc", r.reference["auc"])):
        best = r.best(metric=metric)
        if best is None:
            continue
        value = r.models[best].mean(metric)
        lines.append(f"The best {metric_label(r.kind, metric)}, {value:.3f} ({best}), is "
                     f"{value - floor:+.3f} from the reference {floor:.3f}"
                     + (" -- barely above it: the classes are unbalanced, judge the models "
                        "by their AUC." if metric == "accuracy" and value - floor < 0.02
                        else "."))
    return [" ".join(lines), ""]


def _per_task_table(r):
    """The main score of each task by name (mean over splits) for every model."""
    metric = r.main_metric
    label = metric_label(r.kind, metric)
    names = [n for n, m in r.models.items() if not np.all(np.isnan(m.task_means(metric)))]
    if not names:
        return []
    means = np.column_stack([r.models[n].task_means(metric) for n in names])
    rows = list(range(len(r.tasks)))
    lines = []
    best = r.best()
    if len(rows) > _MAX_TASK_ROWS and best in names:
        j = names.index(best)
        order = [t for t in np.argsort(means[:, j]) if not np.isnan(means[t, j])]
        if higher_is_better(r.kind, metric):
            order = order[::-1]
        rows = order[:10] + order[-10:]
        lines += [f"The 10 tasks where {best} (the best model) scores best, then the 10 where "
                  f"it scores worst ({len(r.tasks)} tasks in all, each in "
                  "`results_per_task.csv`):", ""]
    head = ["task"] + names
    lines += ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for t in rows:
        cells = [str(r.tasks[t])] + ["-" if np.isnan(v) else f"{v:.3f}" for v in means[t]]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return [f"Each task's test {label} ({'higher' if higher_is_better(r.kind, metric) else 'lower'}"
            " is better), mean over splits:", ""] + lines + [""]


def _report(result, figures):
    r = result
    lines = [f"# mtlclassic compare: {r.data}", "", f"Data: {r.description}."]
    if r.details:
        lines += ["", f"Source: {r.details}"]
    if r.notes:
        lines += ["", "Prepared for the comparison:", ""] + [f"* {note}" for note in r.notes]
    lines += [
        "", "## Protocol", "",
        f"* {r.n_splits} random train/test split(s), stratified by task: "
        + ("each task's rows split with " if r.layout == "per_task"
           else "rows of the shared design split with ")
        + f"{r.size_words()}, so every task is in the training and test parts.",
        "* Features standardised with the training part's mean and standard deviation.",
        f"* Each model tuned by a {r.cv}-fold task-stratified grid search inside the training "
        f"part (criterion: {r.scoring or 'the default'}); a default grid whose choice sits at "
        "an edge is extended past it (down to 1e-4 alpha_max, up to alpha_max; absolute "
        "strengths up to 1e3-fold past their default values); the chosen model is refitted on "
        "the whole training part (the fit time) and scored on the test part.",
        ("* nMSE and R^2 computed per task on its test rows and averaged over tasks with equal "
         "weights (nMSE: the test MSE over the variance of the task's test targets, so 0 is "
         "perfect and 1 is predicting the task's mean); explained variance, MSE and RMSE "
         "pooled over all test rows (explained variance as Bakker & Heskes 2003)"
         if r.kind == "regression" else
         "* ROC AUC and accuracy computed per task on its test rows and averaged over tasks with "
         "equal weights")
        + "; the table gives mean +- sd over splits (sd with ddof=1), `*` marks the best mean.",
        f"* Seed {r.random_state}; total wall time {r.total_time:.1f} s.",
        "", "## Results", "", r.table(markdown=True), "",
    ]
    lines += _reference_words(r)
    best = r.best()
    if best is not None:
        lines += [f"Best model by {metric_label(r.kind, r.main_metric)}: **{best}** "
                  f"({r.models[best].mean(r.main_metric):.3f}).", ""]
    metrics = [r.main_metric] + (["explained_variance"] if r.kind == "regression" else [])
    verdicts = [v for v in (r.verdict(m) for m in metrics) if v is not None]
    if verdicts:
        lines += ["Multi-task models against the baselines, paired over splits:", ""]
        lines += [f"* {v}" for v in verdicts] + [""]
    lines += ["### The `chosen` column", ""] + _chosen_words(r)
    problems = [(name, m) for name, m in r.models.items()
                if m.errors or m.warnings or m.tuning_warnings]
    if problems:
        lines += ["## Warnings and failures", ""]
        for name, m in problems:
            for what, counts in (("final fits", m.warnings), ("tuning", m.tuning_warnings)):
                if counts:
                    lines.append(f"* {name} ({what}): " + ", ".join(
                        f"{n} x {k}" for k, n in sorted(counts.items())))
            for e in m.error_summary():
                lines.append(f"* {name} failed on {e}")
        lines.append("")
    lines += ["## Per-task scores", ""] + _per_task_table(r) + [
        "`results_per_task.csv` has one row per model, split and task (the task by its name); "
        "`results.csv` one row per model and split (task-averaged scores, times, chosen "
        "parameters).", ""]
    if figures:
        lines += ["## Figures", ""]
        for title, name in figures:
            lines += [f"### {title}", "", _CAPTIONS.get(name, ""), "", f"![{title}]({name})", ""]
    return "\n".join(lines)


def write_outputs(result, out):
    """Write the result files into folder ``out`` (created); the list of paths written."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    path = out / "results.csv"
    _write_csv(path, result.to_records())
    written.append(path)
    path = out / "results_per_task.csv"
    _write_csv(path, result.to_records(per_task=True))
    written.append(path)
    from ._plots import write_figures

    figures = write_figures(result, out)  # [] without matplotlib
    written += [out / name for _, name in figures]
    path = out / "report.md"
    path.write_text(_report(result, figures))
    written.append(path)
    return [os.fspath(p) for p in written]
