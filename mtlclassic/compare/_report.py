"""The files of a comparison: results.csv, results_per_task.csv, report.md (and figures)."""

import csv
import os
import pathlib

import numpy as np

from ._scores import metric_label


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


def _report(result, figures):
    r = result
    lines = [f"# mtlclassic compare: {r.data}", "", f"Data: {r.description}."]
    if r.details:
        lines += ["", f"Source: {r.details}"]
    lines += [
        "", "## Protocol", "",
        f"* {r.n_splits} random train/test split(s), stratified by task: "
        + ("each task's rows split with train fraction "
           if r.layout == "per_task" else "rows of the shared design split with train fraction ")
        + f"{r.train_fraction:g}, so every task is in the training and test parts.",
        "* Features standardised with the training part's mean and standard deviation.",
        f"* Each model tuned by a {r.cv}-fold task-stratified grid search inside the training "
        f"part (criterion: task-averaged {metric_label(r.kind, r.main_metric)}), refitted on "
        "the whole training part (the fit time), scored on the test part.",
        ("* nMSE and R^2 computed per task on its test rows and averaged over tasks with equal "
         "weights; explained variance pooled over all test rows (Bakker & Heskes 2003)"
         if r.kind == "regression" else
         "* ROC AUC and accuracy computed per task on its test rows and averaged over tasks with "
         "equal weights")
        + "; the table gives mean +- sd over splits (sd with ddof=1), `*` marks the best mean.",
        f"* Seed {r.random_state}; total wall time {r.total_time:.1f} s.",
        "", "## Results", "", r.table(markdown=True), "",
    ]
    problems = [(name, m) for name, m in r.models.items() if m.errors or m.warnings]
    if problems:
        lines += ["## Warnings and failures", ""]
        for name, m in problems:
            if m.warnings:
                lines.append(f"* {name}: " + ", ".join(f"{n} x {k}" for k, n in
                                                       sorted(m.warnings.items())))
            for e in m.error_summary():
                lines.append(f"* {name} failed on {e}")
        lines.append("")
    lines += ["## Per-task scores", "",
              f"Each task's {metric_label(r.kind, r.main_metric)}, mean over splits, is in "
              "`results_per_task.csv` (one row per model, split and task); `results.csv` has "
              "one row per model and split (task-averaged scores, times, chosen parameters).", ""]
    if figures:
        lines += ["## Figures", ""]
        for title, name in figures:
            lines += [f"### {title}", "", f"![{title}]({name})", ""]
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
