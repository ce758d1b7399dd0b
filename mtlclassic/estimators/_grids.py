"""Search grids of the models: functions ``grid(kind, X, y, task_column) -> [(label, params)]``.

A model's declaration (:mod:`mtlclassic.estimators._registry`) names the grid
that ``mtlclassic compare`` searches for it. Grids are deliberately small
(3-4 points); where a model has an ``alpha_max`` (the smallest strength
giving ``W = 0``) the grid is a set of fractions of it, computed on the
training part of each split, so the same fractions suit any data set. A
two-strength model moves both strengths together (each the same fraction of
its own ``alpha_max``), keeping the grid one-dimensional.
"""

import itertools

import numpy as np

from ._alpha_max import alpha_max

# Fractions of alpha_max searched by the sparse and low-rank models.
FRACTIONS = (0.5, 0.2, 0.08, 0.03)
# Ridge strengths (the features are standardised by the protocol, so absolute values suit).
RIDGE_ALPHAS = (1e-2, 1e-1, 1.0, 10.0)

_LOSS = {"regression": "squared", "classification": "logistic"}


def format_value(value):
    """A grid value as its label shows it (3 significant digits)."""
    return f"{value:.3g}"


def fixed_grid(**values):
    """A grid of the given absolute values (one parameter, or several zipped together)."""
    names = list(values)
    columns = [list(v) for v in values.values()]
    if len({len(c) for c in columns}) != 1:
        raise ValueError("fixed_grid: every parameter needs as many values")

    def grid(kind, X, y, task_column):
        return [(", ".join(f"{n}={format_value(v)}" for n, v in zip(names, point)),
                 dict(zip(names, point))) for point in zip(*columns)]

    return grid


def alpha_max_grid(*params, fractions=FRACTIONS, l1_ratio=None):
    """Fractions of ``alpha_max``; ``params`` are ``(parameter, alpha_max penalty)`` pairs.

    With two pairs (the two-part models), both strengths take the same
    fraction of their own ``alpha_max``.
    """

    def grid(kind, X, y, task_column):
        extra = {} if l1_ratio is None else {"l1_ratio": l1_ratio}
        tops = [alpha_max(X, y, penalty=penalty, loss=_LOSS[kind], task_column=task_column,
                          **extra) for _, penalty in params]
        points = []
        for f in fractions:
            label = f"{format_value(f)} alpha_max"
            points.append((label, {name: max(f * top, 1e-12)
                                   for (name, _), top in zip(params, tops)}))
        return points

    return grid


def product_grid(*grids):
    """Every combination of the points of several grids (labels joined by commas)."""

    def grid(kind, X, y, task_column):
        parts = [g(kind, X, y, task_column) for g in grids]
        return [(", ".join(label for label, _ in combo),
                 {k: v for _, params in combo for k, v in params.items()})
                for combo in itertools.product(*parts)]

    return grid


def _n_tasks(X, y, task_column):
    return np.unique(X[:, task_column]).size if task_column is not None else y.shape[1]


def per_task_grid(param, values):
    """``param = T * value``: for a penalty on one model shared by all ``T`` tasks.

    The datafit sums ``T`` task means, so a penalty on the shared part has to
    grow with ``T`` to weigh the same against it.
    """

    def grid(kind, X, y, task_column):
        n_tasks = _n_tasks(X, y, task_column)
        return [(f"{param}=T*{format_value(v)}", {param: n_tasks * v}) for v in values]

    return grid


def graph_grid(mean_strength=1.0, fractions=(0.2, 0.05, 0.01)):
    """The complete-graph model: ``lambda_graph = mean_strength / T``, ``alpha`` a fraction.

    With the complete graph, ``lambda_graph / 2 tr(W^T L W)`` is
    ``T lambda_graph / 2 sum_t ||w_t - w_bar||^2``: dividing by ``T`` gives
    the deviations from the mean model the same cost whatever the number of
    tasks; the l1 term's ``alpha_max`` is the lasso's (the quadratic term
    has no gradient at ``W = 0``).
    """
    l1 = alpha_max_grid(("alpha", "l1"), fractions=fractions)

    def grid(kind, X, y, task_column):
        lam = mean_strength / _n_tasks(X, y, task_column)
        return [(f"{label}, lambda_graph={format_value(mean_strength)}/T",
                 {**params, "lambda_graph": lam}) for label, params in
                l1(kind, X, y, task_column)]

    return grid


# The kernel models solve exactly up to this many training rows, and on Nystroem features of
# rank KERNEL_COMPONENTS above it. Measured on SARCOS (learned Omega, benchmarks/
# KERNEL_RESULTS.md): the exact solve is the faster one up to 8,000 rows (45 s against 86 s for
# 500 features) but its memory grows as N^2 (peak RSS 1.0 GB at 5,000 rows, 2.7 GB at 8,000),
# so the switch is set by memory.
KERNEL_EXACT_ROWS = 5000
KERNEL_COMPONENTS = 500


def median_gamma(X, task_column, max_rows=500, seed=0):
    """``1 / median ||x - x'||^2`` over pairs of (at most ``max_rows``) training rows.

    The median heuristic for the rbf kernel's ``gamma``: the kernel's typical
    value on a pair of rows is then ``exp(-1)``, whatever the features' scale.
    """
    feats = np.asarray(X if task_column is None else np.delete(X, task_column, axis=1),
                       dtype=np.float64)
    rng = np.random.default_rng(seed)
    if feats.shape[0] > max_rows:
        feats = feats[rng.choice(feats.shape[0], max_rows, replace=False)]
    sq = np.sum(feats * feats, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * feats @ feats.T, 0.0)
    med = np.median(d2[np.triu_indices_from(d2, k=1)])
    return 1.0 / med if med > 0 else 1.0


def kernel_grid(task_covariance="learn", gamma_factors=(1 / 16, 1 / 4, 1.0),
                alphas=(1e-6, 1e-4, 1e-2, 1.0), lambda_2_ratios=(0.1, 10.0, 1000.0),
                linear_alphas=(1e-4, 1e-2, 1.0)):
    """The kernel models' grid: RBF ``gamma`` around the median heuristic, and the linear kernel.

    ``lambda_2`` (learned covariance only) is a multiple of ``alpha``: the
    coupling grows with ``lambda_2 / alpha`` (SARCOS chose ratios of 100 and
    more, with ``alpha`` down to 1e-7 on its nearly noiseless targets, and
    ``gamma`` down to 1/16 of the median heuristic). The linear kernel's
    points (``linear_alphas``) make the linear special case part of the
    search: on Landmine the RBF points lost to the linear models and chose
    the widest kernels. Above ``KERNEL_EXACT_ROWS`` training rows the points
    add ``n_components=KERNEL_COMPONENTS`` (Nystroem features).
    """

    def grid(kind, X, y, task_column):
        gamma0 = median_gamma(X, task_column)
        fixed = {"task_covariance": task_covariance}
        if X.shape[0] > KERNEL_EXACT_ROWS:
            fixed.update(n_components=KERNEL_COMPONENTS, random_state=0)
        ratios = lambda_2_ratios if task_covariance == "learn" else (None,)
        kernels = [("rbf", g * gamma0, f"gamma={format_value(g)}*median, ", a)
                   for g, a in itertools.product(gamma_factors, alphas)]
        kernels += [("linear", None, "linear, ", a) for a in linear_alphas]
        points = []
        for (kernel, gamma, label, a), r in itertools.product(kernels, ratios):
            params = {**fixed, "kernel": kernel, "alpha": a}
            if gamma is not None:
                params["gamma"] = gamma
            label += f"alpha={format_value(a)}"
            if r is not None:
                params["lambda_2"] = r * a
                label += f", lambda_2={format_value(r)}*alpha"
            points.append((label, params))
        return points

    return grid
