"""The inner search of a comparison: cross-validated grid points, grids extended past their edges.

A model's grid (:class:`mtlclassic.estimators._grids.Grid`) is the product of
its axes' default values. Every point is scored by the mean over the inner
folds of the tuning criterion (:func:`._scores.tuning_scorer`), from the
strongest regularisation to the weakest (along a single path of default
points, until one scores below the best so far). Then a
pattern search (the primary axes together, then each secondary axis alone): the neighbours of the best point along each axis (one axis
moving at a time) are scored until all of them are; where the best value
sits at an end of the values searched along an axis, one value is added past
it (a step of the ratio of the axis's two outermost default values), within
the axis's range (``1e-4 alpha_max`` to ``alpha_max`` for fractions of
``alpha_max``, 1e3-fold beyond the default values for absolute strengths).
A choice still at an end when the range is exhausted is reported
(``edges``), except at an end where the model saturates (``alpha_max``:
larger strengths give the same zero model).

Warm starts: in each fold, a model with ``warm_start`` starts every fit from
the fold's fit at the nearest point already scored (a path along the axis),
as the ``*CV`` estimators walk their paths; the default points are visited
from the strongest regularisation to the weakest.
"""

import copy

import numpy as np

# At most this many extensions per axis and side (0.03 alpha_max -> 1e-4 takes 6 steps of
# 0.375; absolute strengths reach their 1e3-fold range in 3 steps of 10).
MAX_EXTENSIONS = 8


def _log(v):
    return np.log(max(float(v), 1e-300))


def _distance(a, b):
    """Between two points: squared log distance; a different choice counts as far."""
    return sum(1e6 if isinstance(u, str) or isinstance(v, str) else (_log(u) - _log(v)) ** 2
               for u, v in zip(a, b) if u != v)


def _strength(coords, axes):
    """How strongly a point regularises: the sum of its magnitudes' logs (choices left out).

    A count (components, rank, leaves: ``Axis.counts``) counts negatively: more
    of them is a richer model, not a stronger penalty.
    """
    signs = [-1.0 if axis.counts else 1.0 for axis in axes]
    return sum(s * _log(v) for s, v in zip(signs, coords) if not isinstance(v, str))


class _Folds:
    """The inner folds' data and, per fold, the fitted models by point (for warm starts)."""

    def __init__(self, estimator, X, y, folds, scorer, warm=True):
        self.estimator = estimator
        self.X, self.y, self.folds, self.scorer = X, y, folds, scorer
        self.warm = warm and "warm_start" in estimator.get_params()
        self.fits = [{} for _ in folds]  # fold -> {coords: fitted model}
        self.scores = {}  # coords -> the folds' scores (the one-standard-error rule reads them)

    def score(self, coords, params):
        """Mean score over the folds of the model at ``params`` (warm-started when it can)."""
        self.scores[coords] = self.fold_scores(coords, params)
        return float(np.mean(self.scores[coords]))

    def fold_scores(self, coords, params):
        """The scores of the model at ``params``, one per fold."""
        from sklearn.base import clone

        scores = []
        for k, (train, valid) in enumerate(self.folds):
            model = None
            if self.warm and self.fits[k]:
                nearest = min(self.fits[k], key=lambda c: _distance(c, coords))
                model = copy.deepcopy(self.fits[k][nearest]).set_params(warm_start=True)
            if model is None:
                model = clone(self.estimator)
            model.set_params(**params).fit(self.X[train], self.y[train])
            if self.warm:
                self.fits[k][coords] = model
            scores.append(float(self.scorer(model, self.X[valid], self.y[valid])))
        return scores


def _strongest_first(coords, axes):
    """The default points from the strongest regularisation to the weakest (log-sum order)."""
    return sorted(coords, key=lambda c: -_strength(c, axes))


def _is_chain(grid):
    """Whether the default points lie on one path: one axis varies, or the axes vary together.

    Choices (a categorical axis) are no path: each is scored.
    """
    varying = [a for a in grid.axes if len(a.start()) > 1]
    if any(a.categorical for a in varying):
        return False
    return grid.diagonal or len(varying) <= 1


def _one_standard_error(best, fold_scores, axes):
    """``best``, or the best point of an axis's ``preferred`` values unless ``best`` beats it.

    The one-standard-error rule (Breiman et al. 1984; Hastie, Tibshirani and
    Friedman 2009, section 7.10), as :class:`~mtlclassic.estimators._grids.PreferredPoints`:
    a point off the preferred (simpler) values is kept only when its mean
    score beats the best preferred point's by more than its standard error
    over the folds.
    """
    mean = {c: float(np.mean(s)) for c, s in fold_scores.items()}
    for i, axis in enumerate(axes):
        if not axis.preferred or best[i] in axis.preferred:
            continue
        simple = [c for c in fold_scores if c[i] in axis.preferred and np.isfinite(mean[c])]
        if not simple:
            continue
        choice = max(simple, key=lambda c: (mean[c], _strength(c, axes)))
        n_folds = len(fold_scores[best])
        se = (float(np.std(fold_scores[best], ddof=1)) / np.sqrt(n_folds)
              if n_folds > 1 else 0.0)
        if not mean[best] - mean[choice] > se:
            best = choice
    return best


def _steps(axis):
    """Multiplicative steps below and above the default values (None: not extendable)."""
    values = sorted(axis.values)
    if len(values) < 2:
        return None
    return values[0] / values[1], values[-1] / values[-2]


class _Ladder:
    """The values of one axis searched so far, sorted; extended one step at a time."""

    def __init__(self, axis):
        self.axis = axis
        self.values = list(axis.values) if axis.categorical else sorted(axis.values)
        self.steps = None if axis.categorical else _steps(axis)
        self.used = [0, 0]  # extensions made below and above

    def neighbours(self, value):
        """The values next to ``value``, the ladder first extended past an end it sits at."""
        if self.axis.categorical:
            return [v for v in self.values if v != value]
        if value == self.values[0]:
            self._extend(0)
        if value == self.values[-1]:
            self._extend(1)
        k = self.values.index(value)
        return self.values[max(k - 1, 0):k] + self.values[k + 1:k + 2]

    def _extend(self, side):
        if self.steps is None or self.used[side] >= MAX_EXTENSIONS:
            return False
        end = self.values[0] if side == 0 else self.values[-1]
        bound = self.axis.low if side == 0 else self.axis.high
        if (end <= bound * (1 + 1e-9)) if side == 0 else (end >= bound * (1 - 1e-9)):
            return False  # the range is exhausted
        value = end * self.steps[side]
        value = max(value, bound) if side == 0 else min(value, bound)
        self.used[side] += 1
        if side == 0:
            self.values.insert(0, value)
        else:
            self.values.append(value)
        return True

    def edge(self, value):
        """``"smallest"``/``"largest"`` when ``value`` is an open end of the ladder, else None."""
        if len(self.values) < 2 or self.axis.categorical:
            return None
        if value == self.values[0] and "low" not in self.axis.saturates:
            return "smallest"
        if value == self.values[-1] and "high" not in self.axis.saturates:
            return "largest"
        return None


def search(estimator, grid, X, y, folds, scorer):
    """Choose a point of ``grid`` by cross-validation; extend axes where the choice is at an edge.

    Parameters
    ----------
    estimator : estimator
        The unfitted model (its fixed parameters set).
    grid : Grid or list of (label, params)
        A :class:`~mtlclassic.estimators._grids.Grid` (searched adaptively) or
        a plain list of points (a user's grid: searched as it is).
    X, y : arrays
        The training part of the split.
    folds : list of (train, validation)
        Indices into ``X`` of the inner folds.
    scorer : callable
        ``scorer(estimator, X, y)``, greater is better.

    Returns
    -------
    dict
        ``label``, ``params`` (the choice), ``edges`` (``[(axis, "smallest" |
        "largest")]`` where the choice still sits at an open edge of what was
        searched), ``n_points`` (points scored), ``extended`` (points added
        past the default grid).

    Notes
    -----
    The default points are scored from the strongest regularisation to the
    weakest; where they lie on one path (one axis, or a diagonal), the walk
    stops at the first point scoring below the best so far, as the pattern
    search would from the strongest point. Then a pattern search: the neighbours of the best
    point along each axis (one axis moving at a time) are scored until the
    best point's neighbours all are; an axis whose best value is at an end
    of the values searched gets one more value past it, within its range.
    The primary axes are searched together first; then each secondary axis
    (one with ``initial`` values and not ``primary``: task weights,
    intercept shrinkage) alone, from the best point so far. A categorical
    primary axis (the kernel models' kernel) is not moved along: the other
    primary axes are pattern-searched from each of its values in turn. An
    axis with ``preferred`` values (the linear kernel) has the last word by
    the one-standard-error rule (:func:`_one_standard_error`).
    """
    axes = getattr(grid, "axes", None)
    # A plain list of points is scored as GridSearchCV would: cold fits, no extension.
    data = _Folds(estimator, X, y, folds, scorer, warm=bool(axes))
    if not axes:
        scores = [data.fold_scores((i + 1.0,), params) for i, (_, params) in enumerate(grid)]
        # A grid with its own rule (PreferredPoints: a simpler model unless beaten by a standard
        # error) chooses from the folds' scores; else the best mean.
        choose = getattr(grid, "choose", None)
        best = choose(scores) if choose is not None else int(np.argmax(np.mean(scores, axis=1)))
        label, params = grid[best]
        return dict(label=label, params=params, edges=_plain_edges(grid, best),
                    n_points=len(grid), extended=0)
    scored = {}
    chain = _is_chain(grid)
    for coords in _strongest_first(grid.coords(), axes):
        scored[coords] = data.score(coords, grid.point(coords)[1])
        if chain and scored[coords] < max(scored.values()):
            # Past the best along a path of default points: the weaker ones (the costliest
            # fits) are left to the pattern search, which scores them only if it must.
            break
    ladders = [_Ladder(axis) for axis in axes]
    n_default = len(scored)
    # The primary axes together, then each secondary axis alone from the best point found.
    primary = [i for i, a in enumerate(axes) if a.initial is None or a.primary]
    phases = [primary] + [[i] for i, a in enumerate(axes) if i not in primary]
    def best_point(among=None):  # ties go to the stronger regularisation (the simpler model)
        pool = scored if among is None else [c for c in scored if among(c)]
        return max(pool, key=lambda c: (scored[c], _strength(c, axes)))

    for active in phases:
        # A primary choice (the kernel models' kernel) is no direction to move in: each of its
        # values gets its own pattern search of the other axes, whose optima may lie far apart
        # (SARCOS: the linear kernel's best alpha 1e-4, the RBF kernels' 1e-6).
        choices = [i for i in active if axes[i].categorical and axes[i].primary][:1]
        moving = [i for i in active if i not in choices]
        groups = [None] if not choices else [(choices[0], v) for v in axes[choices[0]].values]
        for group in groups:
            among = None if group is None else (lambda c, g=group: c[g[0]] == g[1])
            if group is not None and not any(among(c) for c in scored):
                start = best_point()
                start = start[:group[0]] + (group[1],) + start[group[0] + 1:]
                scored[start] = data.score(start, grid.point(start)[1])
            while True:
                best = best_point(among)
                proposals = [best[:i] + (v,) + best[i + 1:]
                             for i in moving for v in ladders[i].neighbours(best[i])]
                proposals = [c for c in dict.fromkeys(proposals) if c not in scored]
                if not proposals:
                    break
                for coords in proposals:
                    scored[coords] = data.score(coords, grid.point(coords)[1])
    best = _one_standard_error(best_point(), data.scores, axes)
    label, params = grid.point(best)
    edges = [(axis.name, side) for axis, ladder, v in zip(axes, ladders, best)
             if (side := ladder.edge(v)) is not None]
    return dict(label=label, params=params, edges=edges, n_points=len(scored),
                extended=len(scored) - n_default)


def _plain_edges(points, best):
    """``[(parameter, "smallest" | "largest")]``: chosen values at an end of a plain grid.

    A parameter counts when the grid tries more than one value of it; a
    choice at the smallest or largest value tried means the best value may
    lie outside the grid.
    """
    chosen = points[best][1]
    edges = []
    for key, value in chosen.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            continue
        tried = sorted({p[key] for _, p in points if key in p})
        if len(tried) > 1 and value in (tried[0], tried[-1]):
            edges.append((key, "smallest" if value == tried[0] else "largest"))
    return edges
