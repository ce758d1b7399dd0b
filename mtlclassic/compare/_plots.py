"""The comparison's figures, drawn headless (matplotlib's Agg canvas, no pyplot state).

* ``scores.png``: each model's task-averaged scores, mean +- sd over splits;
* ``per_task.png``: each task's main score, the best classical model against
  the best neural one (the best baseline when no neural model ran);
* ``task_correlation.png``: the task correlation a model learned
  (``task_correlation_`` / ``task_covariance_`` when a model has one, else
  the correlation of the rows of the best classical model's ``coef_``);
* ``support.png``: which coefficients are nonzero, task by feature, for each
  classical linear model (and the planted coefficients of synthetic data).

Every function is a no-op returning ``[]`` when matplotlib is not installed.
"""

import numpy as np

from ._scores import higher_is_better, metric_label

_COLORS = {"baseline": "#7f7f7f", "classical": "#1f77b4", "neural": "#d62728"}
_DPI = 100


def _figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=_DPI)
    FigureCanvasAgg(fig)  # headless: never touches pyplot or the user's backend
    return fig


def _scores(result, path):
    metrics = result.metrics[:2]
    names = list(result.models)
    fig = _figure(5.0 * len(metrics), 1.2 + 0.35 * len(names))
    for i, metric in enumerate(metrics):
        ax = fig.add_subplot(1, len(metrics), i + 1)
        for j, name in enumerate(names):
            r = result.models[name]
            mean, sd = r.mean(metric), r.sd(metric)
            if np.isnan(mean):
                continue
            ax.errorbar(mean, j, xerr=sd, fmt="o", capsize=3, color=_COLORS.get(r.family, "k"))
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(names if i == 0 else [""] * len(names))
        ax.invert_yaxis()
        better = "higher" if higher_is_better(result.kind, metric) else "lower"
        ax.set_xlabel(f"{metric_label(result.kind, metric)} ({better} is better)")
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"{result.data}: test scores averaged over tasks, mean +- sd over "
                 f"{result.n_splits} split(s)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    return True


def _per_task(result, path):
    x_name = result.best("classical")
    y_name = result.best("neural") or result.best("baseline")
    if x_name is None or y_name is None:
        return False
    metric = result.main_metric
    x = result.models[x_name].task_means(metric)
    y = result.models[y_name].task_means(metric)
    keep = ~np.isnan(x) & ~np.isnan(y)
    if not keep.any():
        return False
    x, y = x[keep], y[keep]
    fig = _figure(5.0, 5.0)
    ax = fig.add_subplot(1, 1, 1)
    ax.scatter(x, y, s=18, alpha=0.7, color=_COLORS.get(result.models[y_name].family, "k"))
    lo, hi = min(x.min(), y.min()), max(x.max(), y.max())
    pad = 0.05 * (hi - lo or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="k", lw=0.8, ls="--")
    label = metric_label(result.kind, metric)
    ax.set_xlabel(f"{x_name} ({label})")
    ax.set_ylabel(f"{y_name} ({label})")
    x_wins = np.sum(x < y) if not higher_is_better(result.kind, metric) else np.sum(x > y)
    ax.set_title(f"per-task {label}, mean over splits: {x_name} better on {x_wins} of "
                 f"{x.size} tasks", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    return True


def _learned_correlation(result):
    """``(matrix, source)``: a learned task correlation, or None."""
    order = sorted(result.models.values(), key=lambda r: r.family != "classical")
    for r in order:
        model = r.estimator_
        for attr in ("task_correlation_", "task_covariance_"):
            M = getattr(model, attr, None)
            if M is not None and np.ndim(M) == 2:
                M = np.asarray(M, dtype=np.float64)
                if attr == "task_covariance_":
                    d = np.sqrt(np.clip(np.diag(M), 1e-300, None))
                    M = M / np.outer(d, d)
                return M, f"{r.name}.{attr}"
    best = result.best("classical")
    candidates = [best] + [n for n, r in result.models.items() if r.family == "classical"]
    for name in filter(None, candidates):
        coef = getattr(result.models[name].estimator_, "coef_", None)
        if coef is None or np.ndim(coef) != 2 or coef.shape[0] < 2:
            continue
        coef = np.asarray(coef, dtype=np.float64)
        if np.all(coef.std(axis=1) > 0):
            return np.corrcoef(coef), f"correlation of {name}'s coef_ rows"
    return None


def _task_correlation(result, path):
    found = _learned_correlation(result)
    if found is None:
        return False
    M, source = found
    fig = _figure(5.5, 4.6)
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(M, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xlabel("task")
    ax.set_ylabel("task")
    ax.set_title(f"task correlation: {source} (split 0)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    return True


def _support(result, path):
    # Baselines are dense by construction; the planted support, when known, comes first.
    models = [(name, np.asarray(r.estimator_.coef_)) for name, r in result.models.items()
              if r.family != "baseline" and r.estimator_ is not None
              and np.ndim(getattr(r.estimator_, "coef_", None)) == 2]
    if not models:
        return False
    if result.true_coef is not None:
        models.insert(0, ("true coefficients", np.asarray(result.true_coef)))
    models = models[:12]
    cols = min(3, len(models))
    rows = -(-len(models) // cols)
    fig = _figure(4.0 * cols, 2.6 * rows + 0.6)
    for i, (name, coef) in enumerate(models):
        ax = fig.add_subplot(rows, cols, i + 1)
        nonzero = coef != 0
        ax.imshow(nonzero, cmap="Greys", vmin=0, vmax=1, aspect="auto",
                  interpolation="nearest")
        ax.set_title(f"{name}: {nonzero.any(axis=0).sum()} features used", fontsize=9)
        ax.set_xlabel("feature")
        ax.set_ylabel("task")
    fig.suptitle("coefficient support (black: nonzero), models fitted on split 0", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    return True


FIGURES = (("Scores per model", "scores.png", _scores),
           ("Per-task scores: best classical vs best neural", "per_task.png", _per_task),
           ("Learned task correlation", "task_correlation.png", _task_correlation),
           ("Coefficient support", "support.png", _support))


def write_figures(result, out):
    """Draw every figure that applies into folder ``out``: ``[(title, file name)]``."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return []
    written = []
    for title, name, draw in FIGURES:
        if draw(result, out / name):
            if name == "per_task.png" and result.best("neural") is None:
                title = "Per-task scores: best classical vs best baseline"
            written.append((title, name))
    return written
