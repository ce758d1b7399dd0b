"""Search grids of the models: functions ``grid(kind, X, y, task_column) -> Grid``.

A model's declaration (:mod:`mtlclassic.estimators._registry`) names the grid
that ``mtlclassic compare`` searches for it. A :class:`Grid` is the list of
its points ``[(label, params)]``, the product of its :class:`Axis` objects:
each axis is one searched dimension with a small default set of values (3-4)
and the range the search may extend it to when the best value sits at an
edge (:mod:`mtlclassic.compare._tuning`). Where a model has an ``alpha_max``
(the smallest strength giving ``W = 0``) the axis is a fraction of it,
computed on the training part of each split, so the same fractions suit any
data set, extended down to ``1e-4 alpha_max`` and up to ``alpha_max``.
"""

import itertools
from dataclasses import dataclass

import numpy as np

from ._alpha_max import alpha_max

# Fractions of alpha_max searched by the sparse and low-rank models.
FRACTIONS = (0.5, 0.2, 0.08, 0.03)
# Ridge strengths (the features are standardised by the protocol, so absolute values suit).
RIDGE_ALPHAS = (1e-2, 1e-1, 1.0, 10.0)
# How far an axis of absolute values may be extended past its default values, each way.
EXTENSION_RANGE = 1e3
# The smallest fraction of alpha_max an adaptive search tries (issue 20's bound).
MIN_FRACTION = 1e-4

_LOSS = {"regression": "squared", "classification": "logistic"}


def format_value(value):
    """A grid value as its label shows it (3 significant digits)."""
    return f"{value:.3g}"


@dataclass(frozen=True)
class Axis:
    """One searched dimension of a grid.

    Attributes
    ----------
    name : str
        What the reports call it (a parameter name, or the parameters it sets).
    values : tuple of float
        The default values (positive: the search moves on a log scale).
    params : callable
        ``params(value) -> dict``: the estimator parameters at ``value``.
    label : callable
        ``label(value) -> str``: the value as the reports write it.
    low, high : float
        The range the search may extend the axis to (``low <= values <=
        high``).
    saturates : tuple of str
        The ends (``"low"``, ``"high"``) past which nothing changes (the
        strength ``alpha_max`` zeroes the model: larger strengths give the
        same fit), so a choice there is not an open edge.
    initial : tuple or None
        The values of the default product (None: all of ``values``); the
        others are reached by the search from the best point only (a
        secondary axis costs a point or two, not a factor).
    categorical : bool
        The values are choices, not magnitudes: every other value is a
        neighbour, nothing is extended.
    counts : bool
        Larger values make a richer model (counts: components, ranks,
        leaves), where for a strength they make a simpler one; the search's
        ties go to the simpler model, so this sets which way is simpler.
    primary : bool
        An axis with ``initial`` values that is nevertheless searched with
        the primary axes (together, moving from its initial values), not
        alone afterwards: a default product of one point per axis that the
        pattern search moves along every axis (the kernel models' strengths).
    preferred : tuple
        Values (of a categorical axis) that are the simpler model: the search
        keeps the best point with one of them unless the best point overall
        beats it by more than the standard error of its fold scores (the
        one-standard-error rule; the kernel models' linear kernel against
        the RBF kernels, :class:`PreferredPoints`).
    """

    name: str
    values: tuple
    params: object
    label: object
    low: float = 0.0
    high: float = 0.0
    saturates: tuple = ()
    initial: tuple = None
    categorical: bool = False
    counts: bool = False
    primary: bool = False
    preferred: tuple = ()

    def start(self):
        """The values of the default product."""
        return self.values if self.initial is None else self.initial


class Grid(list):
    """The points ``[(label, params)]`` of a product of axes, with the axes (``.axes``).

    ``fixed`` parameters (and their ``fixed_label``) are added to every point.
    With ``diagonal``, the default points are the axes' values taken
    together (the first of each, the second of each, ...: as many points as
    one axis has values) rather than every combination: the search then
    moves each axis from the best of them. A plain list of points (a user's
    grid) has no axes and is searched as it is.
    """

    def __init__(self, axes, fixed=None, fixed_label="", diagonal=False):
        self.axes = tuple(axes)
        self.fixed = dict(fixed or {})
        self.fixed_label = fixed_label
        self.diagonal = diagonal
        super().__init__(self.point(c) for c in self.coords())

    def point(self, coords):
        """``(label, params)`` at one value per axis."""
        labels = [axis.label(v) for axis, v in zip(self.axes, coords)]
        if self.fixed_label:
            labels.append(self.fixed_label)
        params = {}
        for axis, v in zip(self.axes, coords):
            params.update(axis.params(v))
        params.update(self.fixed)
        return ", ".join(labels), params

    def coords(self):
        """The default points' coordinates, in the order of the list."""
        starts = [a.start() for a in self.axes]
        if self.diagonal:
            primary = [s for s in starts if len(s) > 1]
            n = len(primary[0]) if primary else 1
            return list(zip(*(s if len(s) > 1 else s * n for s in starts)))
        return list(itertools.product(*starts))

    def with_axis(self, axis):
        """This grid with one more axis."""
        return type(self)(self.axes + (axis,), self.fixed, self.fixed_label, self.diagonal)


def value_axis(name, values, scale=1.0, label=None, *, low=None, high=None, integer=False,
               saturates=()):
    """An axis of absolute values of parameter ``name`` (times ``scale``).

    It extends 1e3-fold past its default values each way unless ``low`` or
    ``high`` bound it (a value 0 is an end that cannot be extended: the
    model without that term); ``integer`` rounds the values (leaf counts).
    """
    values = tuple(float(v) for v in values)
    positive = [v for v in values if v > 0]
    low = min(positive) / EXTENSION_RANGE if low is None else low
    high = max(values) * EXTENSION_RANGE if high is None else high

    def params(v):
        return {name: int(round(scale * v)) if integer else scale * v}

    return Axis(name, values, params,
                label or (lambda v: f"{name}={params(v)[name]:.3g}" if not integer
                          else f"{name}={params(v)[name]}"),
                low, high, saturates=tuple(saturates), counts=integer)


def intercept_shrinkage_axis():
    """A secondary axis of ``intercept_shrinkage``: 0 (free intercepts) first, then 1, 10, ...

    Only 0 is in the default product: the search moves up the values while
    shrinking the per-task intercepts helps (small tasks), in steps of 10.
    Both ends saturate: 0 is the free-intercept model, and beyond 1e4 the
    intercepts are tied. (No 0.1: on School at 20 % training the linear
    models chose it in 4 of 140 model-splits, where 1 scored within noise,
    and each point of this axis is a slow fit.)
    """
    return Axis("intercept_shrinkage", (0.0, 1.0, 10.0),
                lambda v: {"intercept_shrinkage": v},
                lambda v: f"intercept_shrinkage={format_value(v)}", 0.0, 1e4,
                saturates=("low", "high"), initial=(0.0,))


def task_weighting_axis():
    """A secondary, categorical axis: tasks weighted equally (the default) or by their size."""
    return Axis("task_weights", ("equal", "size"),
                lambda v: {"task_weights": None if v == "equal" else "size"},
                lambda v: f"{v} task weights", initial=("equal",), categorical=True)


def fixed_grid(**values):
    """A grid of the given absolute values (one parameter, or several zipped together).

    One parameter gives an extendable axis; zipped parameters are searched
    as given.
    """
    names = list(values)
    columns = [list(v) for v in values.values()]
    if len({len(c) for c in columns}) != 1:
        raise ValueError("fixed_grid: every parameter needs as many values")

    def grid(kind, X, y, task_column):
        if len(names) == 1 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                   and v > 0 for v in columns[0]):
            if all(isinstance(v, int) for v in columns[0]):  # counts (components): stay ints
                return Grid([value_axis(names[0], columns[0], integer=True, low=1)])
            return Grid([value_axis(names[0], columns[0])])
        return [(", ".join(f"{n}={format_value(v)}" for n, v in zip(names, point)),
                 dict(zip(names, point))) for point in zip(*columns)]

    return grid


def _fraction_axis(params, tops, fractions, name=None):
    """Fractions ``f`` of ``alpha_max``: every ``(parameter, top)`` pair set to ``f * top``."""
    prefix = "" if name is None else f"{name}="
    return Axis(name or "alpha", tuple(fractions),
                lambda f: {p: max(f * top, 1e-12) for p, top in zip(params, tops)},
                lambda f: f"{prefix}{format_value(f)} alpha_max",
                MIN_FRACTION, 1.0, saturates=("high",))


def _alpha_max_of(kind, X, y, task_column, penalty, extra):
    return alpha_max(X, y, penalty=penalty, loss=_LOSS[kind], task_column=task_column, **extra)


def alpha_max_grid(*params, fractions=FRACTIONS, l1_ratio=None, separate=False):
    """Fractions of ``alpha_max``; ``params`` are ``(parameter, alpha_max penalty)`` pairs.

    With two pairs (the two-part models), both strengths take the same
    fraction of their own ``alpha_max`` (one axis), or, with ``separate``,
    each its own fraction (one axis each, searched in product).
    """

    def grid(kind, X, y, task_column):
        extra = {} if l1_ratio is None else {"l1_ratio": l1_ratio}
        tops = [_alpha_max_of(kind, X, y, task_column, penalty, extra) for _, penalty in params]
        names = [name for name, _ in params]
        if separate:  # both tied first, then each moved on its own by the search
            axes = [_fraction_axis([n], [top], fractions, name=n) for n, top in zip(names, tops)]
            return Grid(axes, diagonal=True)
        return Grid([_fraction_axis(names, tops, fractions)])

    return grid


def product_grid(*grids, diagonal=False):
    """Every combination of the points of several grids (labels joined by commas).

    With ``diagonal`` (grids of axes only), the default points are the
    axes' values taken together and the search moves each axis from the
    best of them (see :class:`Grid`).
    """

    def grid(kind, X, y, task_column):
        parts = [g(kind, X, y, task_column) for g in grids]
        if all(isinstance(p, Grid) for p in parts):
            fixed = {k: v for p in parts for k, v in p.fixed.items()}
            label = ", ".join(p.fixed_label for p in parts if p.fixed_label)
            return Grid([a for p in parts for a in p.axes], fixed, label, diagonal)
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
        return Grid([value_axis(param, values, scale=n_tasks,
                                label=lambda v: f"{param}=T*{format_value(v)}")])

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
        return Grid(l1(kind, X, y, task_column).axes, {"lambda_graph": lam},
                    f"lambda_graph={format_value(mean_strength)}/T")

    return grid


# The kernel models solve exactly up to this many training rows, and on Nystroem features of
# rank at most KERNEL_COMPONENTS above it. Measured on SARCOS (7 tasks, learned Omega, 500
# features, benchmarks/KERNEL_RESULTS.md section 2, the feature-space W-step solved directly;
# load 11-14 on 2 cores): exact 2.2 s against 1.6 s at 1,000 rows, 10.5 against 1.0 at 2,000,
# 70 against 3.2 at 5,000, with nMSE 0.2-4 % higher on the features. Landmine (29 tasks, 2,968
# rows, FISTA W-steps): exact 32-108 s per fit against 0.4-6.2 s on features of the spectral
# rank (nystroem_rank), AUC within +-0.005 (one point +0.015). (Was 5,000, set by memory while
# the feature route was the slower one.)
KERNEL_EXACT_ROWS = 1000
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


# Above KERNEL_EXACT_ROWS each kernel point's Nystroem rank is the smallest that keeps this
# share of the kernel's trace on the median heuristic's sample of rows, rounded up to a multiple
# of 50 (at least 50, at most KERNEL_COMPONENTS): the kernel's own spectrum says how many
# components it has. School (27 features): 150, 200 and 350 for gamma at 1/16, 1/4 and 1 x the
# median heuristic, 50 for the linear kernel (its rank is the number of features), against 500
# each, and a fit's cost grows as the rank (FISTA) or its square (normal equations).
NYSTROEM_TRACE_SHARE = 1 - 1e-4


def nystroem_rank(X, task_column, kernel, gamma=None, max_rows=500, seed=0):
    """The Nystroem rank of a kernel point of :func:`kernel_grid` (``NYSTROEM_TRACE_SHARE``)."""
    from sklearn.metrics.pairwise import pairwise_kernels

    feats = np.asarray(X if task_column is None else np.delete(X, task_column, axis=1),
                       dtype=np.float64)
    rng = np.random.default_rng(seed)
    if feats.shape[0] > max_rows:
        feats = feats[rng.choice(feats.shape[0], max_rows, replace=False)]
    params = {} if gamma is None else {"gamma": gamma}
    lam = np.clip(np.linalg.eigvalsh(pairwise_kernels(feats, metric=kernel, **params)),
                  0.0, None)[::-1]
    share = np.cumsum(lam) / max(lam.sum(), np.finfo(np.float64).tiny)
    rank = int(np.searchsorted(share, NYSTROEM_TRACE_SHARE)) + 1
    return int(min(max(50 * -(-rank // 50), 50), KERNEL_COMPONENTS))


# The kernel models standardise each task's targets (normalize_y) in compare when the tasks'
# training target variances span more than this factor (90th over 10th percentile: robust to
# the few small tasks whose sample variances stray; School at 20 % training has max / min
# 8-63 over its splits). Measured spreads (5 splits each): SARCOS 100 rows per torque 340-450,
# Parkinsons (75 %) 19-21 -- standardised; School 2.3-2.6 (75 %), 3.3-3.9 (20 %) -- raw. SARCOS (torque variances 0.9 to 414,
# spread ~460): on the raw torques the three large ones set both the fit and the choice (100
# rows per torque, 1 split: nMSE 0.132 -> 0.104 with it, the kernel-ridge baseline 0.159 ->
# 0.114; benchmarks/KERNEL_RESULTS.md section 1). School keeps the raw targets the kernel
# models were measured on there.
TARGET_SCALE_SPREAD = 10.0


def target_spread(y, X, task_column):
    """90th over 10th percentile of the tasks' training target variances (1 below 2 tasks).

    The percentiles are taken without interpolation (the 10th rounded down,
    the 90th up), so with fewer than about ten tasks they are the smallest
    and the largest variance.

    Tasks with a constant target (variance 0) are left out.
    """
    if task_column is None:
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        var = np.array([np.nanvar(c) if np.sum(~np.isnan(c)) > 1 else 0.0 for c in Y.T])
    else:
        task = X[:, task_column]
        y = np.asarray(y, dtype=np.float64)
        var = np.array([np.var(y[task == t]) for t in np.unique(task)])
    var = var[var > 0]
    if var.size < 2:
        return 1.0
    # Without interpolation: with a few tasks these are the smallest and the largest.
    low = np.percentile(var, 10, method="lower")
    high = np.percentile(var, 90, method="higher")
    return float(high / low)


# The linear task-relation model's compare grid (its declaration in task_relation.py uses them):
# the kernel models search the linear kernel at these points, so that their linear special case
# is the linear model of the comparison.
TASK_RELATION_LAMBDA_1 = 0.01
TASK_RELATION_LAMBDA_2S = (0.01, 0.1, 1.0)


class PreferredPoints(list):
    """Grid points ``[(label, params)]`` searched as given, some of them a preferred simpler model.

    ``preferred`` holds the indices of the simpler model's points (the kernel
    models' linear kernel). The choice follows the one-standard-error rule
    (Breiman et al. 1984; Hastie, Tibshirani and Friedman 2009, section 7.10)
    between the two families: the best other point is chosen only when its
    mean score over the folds beats the best preferred point's by more than
    its standard error over the folds, ``sd / sqrt(n_folds)``; otherwise the
    best preferred point. Among many flexible points scored on a few noisy
    folds (Landmine: 3 folds, 6 % positives), the best mean is biased up by
    the selection itself; the rule asks the flexible model to win by more
    than that noise.
    """

    def __init__(self, points, preferred):
        super().__init__(points)
        self.preferred = frozenset(int(i) for i in preferred)

    def choose(self, fold_scores):
        """Index of the chosen point, from the scores (n_points, n_folds), greater is better."""
        scores = np.asarray(fold_scores, dtype=np.float64)
        mean = np.where(np.all(np.isfinite(scores), axis=1), scores.mean(axis=1), -np.inf)
        best = int(np.argmax(mean))
        simple = [i for i in range(len(self)) if i in self.preferred]
        if best in self.preferred or not simple or not np.isfinite(mean[best]):
            return best
        choice = max(simple, key=lambda i: mean[i])
        n_folds = scores.shape[1]
        se = float(np.std(scores[best], ddof=1)) / np.sqrt(n_folds) if n_folds > 1 else 0.0
        return best if mean[best] - mean[choice] > se else choice


def _linear_kernel_points(task_covariance, linear_alphas, fixed):
    """The kernel grid's linear-kernel points: the linear models' grids of the comparison."""
    if task_covariance == "learn":
        return [(f"linear, alpha={format_value(TASK_RELATION_LAMBDA_1)}, "
                 f"lambda_2={format_value(l2)}",
                 {**fixed, "kernel": "linear", "alpha": TASK_RELATION_LAMBDA_1, "lambda_2": l2})
                for l2 in TASK_RELATION_LAMBDA_2S]
    return [(f"linear, alpha={format_value(a)}", {**fixed, "kernel": "linear", "alpha": a})
            for a in (RIDGE_ALPHAS if linear_alphas is None else linear_alphas)]


# L-BFGS-B iterations of compare's evidence point (the estimator's default, 100, is sized for
# the "learn" alternation): SARCOS's evidence (7 torques, 100 rows each, Matern 3/2) took 91, 103,
# 155 and 204 iterations on 4 splits (to tol=1e-4; 1e-7 took 352-855 for the same test nMSE).
EVIDENCE_MAX_ITER = 1000


def evidence_point(kernel, gamma, normalize_y):
    """The one point of :func:`kernel_grid`'s ``evidence_kernel``: a multi-task GP by evidence."""
    params = {"task_covariance": "evidence", "kernel": kernel, "gamma": gamma,
              "max_iter": EVIDENCE_MAX_ITER}
    if normalize_y:
        params["normalize_y"] = True
    return [(f"{kernel}, evidence (gamma from {format_value(gamma)})", params)]


def kernel_grid(task_covariance="learn", gamma_factors=(1 / 16, 1 / 4, 1.0),
                alphas=(1e-6, 1e-4, 1e-2, 1.0), lambda_2_ratios=(0.1, 10.0, 1000.0),
                linear_alphas=None, normalize_y="auto", search="points", many_task_rbf=False,
                evidence_kernel=None):
    """The kernel models' grid: RBF ``gamma`` around the median heuristic, and the linear kernel.

    ``search="axes"`` (learned covariance only; ``kernel-task-relation``'s
    declaration): the pattern search on axes of
    :func:`~mtlclassic.estimators._kernel_grid.kernel_axes_grid` (``alpha``,
    ``lambda_mean`` and, where RBF fits are cheap or ``many_task_rbf``, the
    kernel at ``gamma_factors`` times the median heuristic) instead of the
    list of points below; ``alphas``, ``lambda_2_ratios`` and
    ``linear_alphas`` are then the axes' own.

    ``lambda_2`` (learned covariance only) is a multiple of ``alpha``: the
    coupling grows with ``lambda_2 / alpha`` (SARCOS chose ratios of 100 and
    more, with ``alpha`` down to 1e-7 on its nearly noiseless targets, and
    ``gamma`` down to 1/16 of the median heuristic). The linear kernel's
    points (``linear_alphas``) make the linear special case part of the
    search: on Landmine the RBF points lost to the linear models and chose
    the widest kernels. They are the linear models' own grids of the
    comparison: for a learned covariance ``alpha = TASK_RELATION_LAMBDA_1``
    and ``lambda_2`` in ``TASK_RELATION_LAMBDA_2S`` (``task-relation``'s), for
    independent tasks ``alpha`` in ``linear_alphas`` (default ``RIDGE_ALPHAS``,
    ``ridge``'s): with the squared loss on raw targets these are those
    models' objectives. The points are a :class:`PreferredPoints`: an RBF
    point is chosen only when it beats the best linear one by a standard
    error of its score over the folds. Above ``KERNEL_EXACT_ROWS`` training
    rows the points add ``n_components`` (Nystroem features) at the rank
    their kernel's spectrum asks for (:func:`nystroem_rank`, at most
    ``KERNEL_COMPONENTS``). With ``normalize_y`` (True, or ``"auto"``: when
    the tasks' training target variances span more than
    ``TARGET_SCALE_SPREAD``) the regressors fit each task's targets
    standardised (``normalize_y=True``): one ``alpha`` then suits tasks of
    any target scale, and the learned covariance weighs every task the same.

    With ``evidence_kernel`` (a kernel name, e.g. ``"matern32"``) a regression
    on at most ``KERNEL_EXACT_ROWS`` training rows gets one point instead:
    the multi-task Gaussian process of that kernel
    (``task_covariance="evidence"``), whose task covariance, noise variances
    and ``gamma`` (started at the median heuristic) maximise the evidence,
    so nothing is left to cross-validate. Classification and larger data
    keep the grid above.
    """

    if search not in ("points", "axes"):
        raise ValueError(f"search must be 'points' or 'axes', got {search!r}")
    if search == "axes" and task_covariance != "learn":
        raise ValueError("search='axes' searches the learned covariance's lambda_mean: it needs "
                         "task_covariance='learn'")

    def grid(kind, X, y, task_column):
        gamma0 = median_gamma(X, task_column)
        fixed = {"task_covariance": task_covariance}
        if kind == "regression" and (normalize_y is True or (
                normalize_y == "auto" and target_spread(y, X, task_column) > TARGET_SCALE_SPREAD)):
            fixed["normalize_y"] = True
        if evidence_kernel is not None and kind == "regression" and X.shape[0] <= KERNEL_EXACT_ROWS:
            return evidence_point(evidence_kernel, gamma0, fixed.get("normalize_y", False))
        # The evidence point (above) comes first: the search is for what it does not cover.
        if search == "axes":
            from ._kernel_grid import kernel_axes_grid  # it builds on this module's helpers

            return kernel_axes_grid(gamma_factors, normalize_y, many_task_rbf)(
                kind, X, y, task_column)
        if X.shape[0] > KERNEL_EXACT_ROWS:
            # On features the learned covariance is task-relation's alternation: compare's
            # tol for it (1e-3). School, linear kernel: 5 alternations (2.2 s) against 39
            # (11 s) at the estimator's 1e-4, test EV 0.3700 against 0.3708.
            fixed.update(n_components=KERNEL_COMPONENTS, random_state=0, tol=1e-3)
        ratios = lambda_2_ratios if task_covariance == "learn" else (None,)
        kernels = [("rbf", g * gamma0, f"gamma={format_value(g)}*median, ", a)
                   for g, a in itertools.product(gamma_factors, alphas)]
        points, ranks = [], {}
        for (kernel, gamma, label, a), r in itertools.product(kernels, ratios):
            params = {**fixed, "kernel": kernel, "alpha": a}
            if gamma is not None:
                params["gamma"] = gamma
            label += f"alpha={format_value(a)}"
            if r is not None:
                params["lambda_2"] = r * a
                label += f", lambda_2={format_value(r)}*alpha"
            if X.shape[0] > KERNEL_EXACT_ROWS:  # the rank the kernel's spectrum asks for
                key = (kernel, gamma)
                if key not in ranks:
                    ranks[key] = nystroem_rank(X, task_column, kernel, gamma)
                params["n_components"] = ranks[key]
            points.append((label, params))
        linear = _linear_kernel_points(task_covariance, linear_alphas, fixed)
        if X.shape[0] > KERNEL_EXACT_ROWS:  # the linear kernel's rank: the features'
            rank = nystroem_rank(X, task_column, "linear")
            linear = [(label, {**params, "n_components": rank}) for label, params in linear]
        return PreferredPoints(points + linear, range(len(points), len(points) + len(linear)))

    return grid
