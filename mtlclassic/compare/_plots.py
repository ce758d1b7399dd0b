"""The comparison's figures, drawn headless (matplotlib's Agg canvas, no pyplot state).

* ``scores.png``: each model's task-averaged scores, mean +- sd over splits,
  coloured by family (legend), the best model starred, and the reference
  every score must beat (nMSE 1; chance AUC 0.5; the majority-class
  accuracy);
* ``per_task.png``: each task's main score, the best classical model against
  the best neural one (the best baseline when no neural model ran), the
  tasks farthest from the diagonal named;
* ``task_correlation.png``: how similar the tasks are, by name: the task
  correlation a model learned (``task_correlation_`` / ``task_covariance_``),
  else the correlation of the rows of the best classical model's ``coef_``;
* ``support.png``: which coefficients are nonzero, task by feature, for the
  sparse models only (a ``coef_`` with exact zeros), beside the planted
  coefficients of synthetic data.

Each ``*_figure`` function returns a matplotlib Figure (or None when it does
not apply); :func:`write_figures` saves them. Without matplotlib nothing is
drawn.
"""

import textwrap

import numpy as np

from ._scores import higher_is_better, metric_label

_COLORS = {"baseline": "#7f7f7f", "classical": "#1f77b4", "neural": "#d62728"}
_FAMILY_LABELS = {"baseline": "baseline (one model per task, or one for all)",
                  "classical": "classical multi-task model", "neural": "neural network"}
_DPI = 100
_MAX_TICKS = 45  # names written along an axis; beyond that, every k-th name
_N_NAMED = 6  # tasks named in the per-task scatter (those farthest from the diagonal)


def _figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # The constrained layout keeps titles, tick names and outside legends inside the canvas.
    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)  # headless: never touches pyplot or the user's backend
    return fig


def _wrap(text, width_in, fontsize):
    """``text`` broken into lines that fit ``width_in`` inches (so no title is cut)."""
    # An average character is about 0.55 of the font size wide (1 pt = 1/72 in).
    chars = max(20, int(0.92 * width_in * 72 / (0.55 * fontsize)))
    return "\n".join(textwrap.wrap(text, chars))


def _name_ticks(ax, axis, names, fontsize=7):
    """Write ``names`` along ``axis`` (every k-th one when there are many)."""
    step = max(1, -(-len(names) // _MAX_TICKS))
    positions = np.arange(0, len(names), step)
    labels = [str(names[i]) for i in positions]
    if axis == "x":
        ax.set_xticks(positions, labels, rotation=90, fontsize=fontsize)
    else:
        ax.set_yticks(positions, labels, fontsize=fontsize)


def _better_word(kind, metric):
    return "higher" if higher_is_better(kind, metric) else "lower"


# -- scores.png -----------------------------------------------------------------------
def _references(result, metric, lo, hi):
    """``[(value, legend label)]``: the score a useful model has to beat on this axis."""
    if metric == "auc" and result.reference is not None:
        return [(result.reference["auc"], "chance (AUC 0.5)")]
    if metric == "accuracy" and result.reference is not None:
        value = result.majority_accuracy()
        return [(value, f"majority class (accuracy {value:.3f})")]
    # nMSE 1 is predicting each task's test mean; drawn when it does not squash the models.
    if metric == "nmse" and hi > 0.5:
        return [(1.0, "predicting each task's mean (nMSE 1)")]
    return []


def scores_figure(result):
    """Each model's task-averaged scores (mean +- sd over splits); the best one starred."""
    from matplotlib.lines import Line2D

    metrics = result.metrics[:2]
    names = list(result.models)
    best = result.best()
    width = 4.6 * len(metrics) + 1.6
    fig = _figure(width, 2.6 + 0.32 * len(names))
    axes = fig.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
    ref_styles = [":", "-."]
    handles, seen_refs = {}, set()
    for ax, metric in zip(axes, metrics):
        means = np.array([result.models[n].mean(metric) for n in names])
        sds = np.array([result.models[n].sd(metric) for n in names])
        ok = ~np.isnan(means)
        lo = np.min(means[ok] - sds[ok]) if ok.any() else 0.0
        hi = np.max(means[ok] + sds[ok]) if ok.any() else 1.0
        for j, name in enumerate(names):
            r = result.models[name]
            if np.isnan(means[j]):
                ax.text(0.02, j, "failed", transform=ax.get_yaxis_transform(), va="center",
                        fontsize=8, color="k")
                continue
            colour = _COLORS.get(r.family, "k")
            star = name == best
            ax.errorbar(means[j], j, xerr=sds[j], fmt="*" if star else "o",
                        markersize=13 if star else 6, capsize=3, color=colour,
                        markeredgecolor="k" if star else colour)
            handles.setdefault(r.family, Line2D([], [], marker="o", ls="", color=colour,
                                                label=_FAMILY_LABELS.get(r.family, r.family)))
        for k, (value, label) in enumerate(_references(result, metric, lo, hi)):
            ax.axvline(value, color="#2ca02c", ls=ref_styles[k % 2], lw=1.2)
            if label not in seen_refs:
                seen_refs.add(label)
                handles[label] = Line2D([], [], color="#2ca02c", ls=ref_styles[k % 2],
                                        label=label)
        ax.set_xlabel(f"{metric_label(result.kind, metric)} ({_better_word(result.kind, metric)}"
                      " is better)")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(names)), names)
    for tick, name in zip(axes[0].get_yticklabels(), names):
        if name == best:
            tick.set_fontweight("bold")
    axes[0].invert_yaxis()
    if best is not None:
        handles["best"] = Line2D([], [], marker="*", ls="", markersize=12, color="w",
                                 markeredgecolor="k",
                                 label=f"best {metric_label(result.kind, result.main_metric)}: "
                                 f"{best}")
    fig.legend(handles=list(handles.values()), loc="outside lower center",
               ncols=min(3, len(handles)), fontsize=8, frameon=False)
    fig.suptitle(_wrap(f"{result.data}: test scores averaged over the {len(result.tasks)} "
                       f"tasks, mean +- sd over {result.n_splits} split(s)", width, 10),
                 fontsize=10)
    return fig


# -- per_task.png ---------------------------------------------------------------------
def _pair(result):
    """The two models the per-task scatter compares: best classical, best neural/baseline."""
    x_name = result.best("classical")
    y_name = result.best("neural") or result.best("baseline")
    return x_name, y_name


def per_task_figure(result):
    """Each task's main score: the best classical model against the best neural (or baseline)."""
    x_name, y_name = _pair(result)
    if x_name is None or y_name is None:
        return None
    metric = result.main_metric
    x = result.models[x_name].task_means(metric)
    y = result.models[y_name].task_means(metric)
    keep = ~np.isnan(x) & ~np.isnan(y)
    if not keep.any():
        return None
    names = np.asarray(result.tasks, dtype=object)[keep]
    x, y = x[keep], y[keep]
    up = higher_is_better(result.kind, metric)
    x_better = x > y if up else x < y
    y_better = y > x if up else y < x
    tie = ~x_better & ~y_better
    fig = _figure(6.0, 6.2)
    ax = fig.add_subplot(1, 1, 1)
    y_family = result.models[y_name].family
    for mask, colour, label in (
            (x_better, _COLORS["classical"], f"{x_name} better ({x_better.sum()} tasks)"),
            (y_better, _COLORS.get(y_family, "k"), f"{y_name} better ({y_better.sum()} tasks)"),
            (tie, "k", f"equal ({tie.sum()} tasks)")):
        if mask.any():
            ax.scatter(x[mask], y[mask], s=22, alpha=0.75, color=colour, label=label)
    lo, hi = min(x.min(), y.min()), max(x.max(), y.max())
    pad = 0.05 * (hi - lo or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="k", lw=0.8, ls="--",
            label="equal scores")
    # Name the tasks where the two models differ most: where the choice matters.
    for k, i in enumerate(np.argsort(-np.abs(x - y))[:_N_NAMED]):
        # alternate above and below the point, so that neighbouring names do not overlap
        ax.annotate(str(names[i]), (x[i], y[i]), xytext=(4, 3 if k % 2 == 0 else -10),
                    textcoords="offset points", fontsize=7)
    label = metric_label(result.kind, metric)
    better = _better_word(result.kind, metric)
    ax.set_xlabel(f"{x_name}: {label} of each task ({better} is better)")
    ax.set_ylabel(f"{y_name}: {label} of each task")
    ax.legend(fontsize=8, loc="best", title="one point per task", title_fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title(_wrap(f"Each task's test {label} (mean over {result.n_splits} split(s)): "
                       f"{x_name} (best classical) against {y_name} (best {y_family}); "
                       f"{x_name} is better on {x_better.sum()} of {x.size} tasks", 6.0, 9),
                 fontsize=9)
    return fig


# -- task_correlation.png ----------------------------------------------------------------
def _learned_correlation(result):
    """``(matrix, words)``: a learned task correlation and how it was obtained, or None."""
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
                    return M, f"task covariance learned by {r.name}, scaled to a correlation"
                return M, f"task correlation learned by {r.name}"
    best = result.best("classical")
    candidates = [best] + [n for n, r in result.models.items() if r.family == "classical"]
    for name in filter(None, candidates):
        coef = getattr(result.models[name].estimator_, "coef_", None)
        if coef is None or np.ndim(coef) != 2 or coef.shape[0] < 2:
            continue
        coef = np.asarray(coef, dtype=np.float64)
        if np.all(coef.std(axis=1) > 0):
            return np.corrcoef(coef), f"correlation between the tasks' coefficients in {name}"
    return None


def task_correlation_figure(result):
    """How similar the tasks are, with the task names on both axes."""
    found = _learned_correlation(result)
    if found is None:
        return None
    M, words = found
    T = M.shape[0]
    names = result.tasks if len(result.tasks) == T else np.arange(T)
    side = float(np.clip(3.5 + 0.12 * min(T, _MAX_TICKS), 5.5, 11.0))
    fig = _figure(side + 1.2, side + 0.6)
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(M, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="correlation (-1 to 1)")
    fontsize = 8 if T <= 20 else 6
    _name_ticks(ax, "x", names, fontsize)
    _name_ticks(ax, "y", names, fontsize)
    ax.set_xlabel("task")
    ax.set_ylabel("task")
    ax.set_title(_wrap(f"How similar the tasks are: {words} (fitted on split 0); red: related "
                       "tasks, blue: opposed", side + 1.2, 9), fontsize=9)
    return fig


# -- support.png ----------------------------------------------------------------------
def sparse_models(result):
    """``[(name, coef)]`` of the models whose ``coef_`` (split 0) has exact zeros."""
    out = []
    for name, r in result.models.items():
        coef = getattr(r.estimator_, "coef_", None)
        if r.family == "baseline" or coef is None or np.ndim(coef) != 2:
            continue
        coef = np.asarray(coef)
        if np.any(coef == 0):
            out.append((name, coef))
    return out


def support_figure(result):
    """Which coefficients are nonzero (task by feature), for the sparse models only."""
    from matplotlib.patches import Patch

    models = sparse_models(result)
    if not models:
        return None
    if result.true_coef is not None:
        models.insert(0, ("true coefficients", np.asarray(result.true_coef)))
    models = models[:12]
    T, p = models[0][1].shape
    features = (result.feature_names if result.feature_names is not None
                and len(result.feature_names) == p else np.arange(p))
    tasks = result.tasks if len(result.tasks) == T else np.arange(T)
    cols = min(3, len(models))
    rows = -(-len(models) // cols)
    panel_w = float(np.clip(2.5 + 0.1 * min(p, _MAX_TICKS), 5.0, 7.0))
    panel_h = float(np.clip(1.5 + 0.1 * min(T, _MAX_TICKS), 3.0, 6.0))
    fig = _figure(panel_w * cols, panel_h * rows + 1.2)
    small = 7 if max(T, p) <= 20 else 5
    for i, (name, coef) in enumerate(models):
        ax = fig.add_subplot(rows, cols, i + 1)
        nonzero = coef != 0
        ax.imshow(nonzero, cmap="Greys", vmin=0, vmax=1, aspect="auto",
                  interpolation="nearest")
        ax.set_title(f"{name}: {nonzero.any(axis=0).sum()} of {p} features used", fontsize=9)
        _name_ticks(ax, "x", features, small)
        if i % cols == 0:
            _name_ticks(ax, "y", tasks, small)
            ax.set_ylabel("task")
        else:
            ax.set_yticks([])
        ax.set_xlabel("feature")
    fig.legend(handles=[Patch(facecolor="k", label="nonzero coefficient"),
                        Patch(facecolor="w", edgecolor="k", label="zero (feature not used)")],
               loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    fig.suptitle(_wrap("Which coefficients are nonzero (rows: tasks, columns: features), "
                       "models fitted on split 0; sparse models only", panel_w * cols, 10),
                 fontsize=10)
    return fig


def _per_task_title(result):
    _, y_name = _pair(result)
    family = result.models[y_name].family if y_name else "neural"
    return f"Per-task scores: best classical vs best {family}"


# (title, file name, draw); the title may depend on the run (a callable of the result).
FIGURES = (("Scores per model", "scores.png", scores_figure),
           (_per_task_title, "per_task.png", per_task_figure),
           ("How similar the tasks are", "task_correlation.png", task_correlation_figure),
           ("Coefficient support of the sparse models", "support.png", support_figure))


def make_figures(result):
    """``[(title, file name, Figure)]`` of every figure that applies ([] without matplotlib)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return []
    out = []
    for title, name, draw in FIGURES:
        fig = draw(result)
        if fig is not None:
            out.append((title(result) if callable(title) else title, name, fig))
    return out


def write_figures(result, out):
    """Draw every figure that applies into folder ``out``: ``[(title, file name)]``."""
    written = []
    for title, name, fig in make_figures(result):
        fig.savefig(out / name)
        written.append((title, name))
    return written
