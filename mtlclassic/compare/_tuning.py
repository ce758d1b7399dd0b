"""The inner search of a comparison: cross-validated grid points, grids extended past their edges.

A model's grid (:class:`mtlclassic.estimators._grids.Grid`) is the product of
its axes' default values. Every point is scored by the mean over the inner
folds of the tuning criterion (:func:`._scores.tuning_scorer`). Then, while
the best point sits at the smallest or largest value tried along an axis (the
other axes at the best point's values), that axis is extended one step past
the edge (the ratio of its two outermost default values), within its range
(``1e-4 alpha_max`` to ``alpha_max`` for fractions of ``alpha_max``, 1e3-fold
beyond the default values for absolute strengths), and the new point is
scored. A choice still at an edge when the range is exhausted is reported
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


class _Folds:
    """The inner folds' data and, per fold, the fitted models by point (for warm starts)."""

    def __init__(self, estimator, X, y, folds, scorer, warm=True):
        self.estimator = estimator
        self.X, self.y, self.folds, self.scorer = X, y, folds, scorer
        self.warm = warm and "warm_start" in estimator.get_params()
        self.fits = [{} for _ in folds]  # fold -> {coords: fitted model}

    def score(self, coords, params):
        """Mean score over the folds of the model at ``params`` (warm-started when it can)."""
        from sklearn.base import clone

        scores = []
        for k, (train, valid) in enumerate(self.folds):
            model = None
            if self.warm and self.fits[k]:
                nearest = min(self.fits[k], key=lambda c: sum(
                    (_log(a) - _log(b)) ** 2 for a, b in zip(c, coords)))
                model = copy.deepcopy(self.fits[k][nearest]).set_params(warm_start=True)
            if model is None:
                model = clone(self.estimator)
            model.set_params(**params).fit(self.X[train], self.y[train])
            if self.warm:
                self.fits[k][coords] = model
            scores.append(float(self.scorer(model, self.X[valid], self.y[valid])))
        return float(np.mean(scores))


def _strongest_first(coords):
    """The default points from the strongest regularisation to the weakest (log-sum order)."""
    return sorted(coords, key=lambda c: -sum(_log(v) for v in c))


def _line(scored, best, i):
    """Values of axis ``i`` scored with every other axis at ``best``'s value."""
    return sorted({c[i] for c in scored if all(c[j] == best[j] for j in range(len(c)) if j != i)})


def _steps(axis):
    """Multiplicative steps below and above the default values (None: not extendable)."""
    values = sorted(axis.values)
    if len(values) < 2:
        return None, None
    return values[0] / values[1], values[-1] / values[-2]


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
    """
    axes = getattr(grid, "axes", None)
    # A plain list of points is scored as GridSearchCV would: cold fits, no extension.
    data = _Folds(estimator, X, y, folds, scorer, warm=bool(axes))
    if not axes:
        scores = [data.score((i + 1.0,), params) for i, (_, params) in enumerate(grid)]
        best = int(np.argmax(scores))
        label, params = grid[best]
        return dict(label=label, params=params, edges=_plain_edges(grid, best),
                    n_points=len(grid), extended=0)
    scored = {}
    for coords in _strongest_first(grid.coords()):
        scored[coords] = data.score(coords, grid.point(coords)[1])
    steps = [_steps(axis) for axis in axes]
    used = [[0, 0] for _ in axes]  # extensions made per axis and side
    n_default = len(scored)
    while True:
        # Ties go to the stronger regularisation (the simpler model).
        best = max(scored, key=lambda c: (scored[c], sum(_log(v) for v in c)))
        proposals = []
        for i, axis in enumerate(axes):
            line = _line(scored, best, i)
            if len(line) < 2 or steps[i][0] is None:
                continue
            for side, edge_value, bound, step in ((0, line[0], axis.low, steps[i][0]),
                                                  (1, line[-1], axis.high, steps[i][1])):
                if best[i] != edge_value or used[i][side] >= MAX_EXTENSIONS:
                    continue
                value = best[i] * step
                value = max(value, bound) if side == 0 else min(value, bound)
                if value == best[i]:  # the bound reached
                    continue
                used[i][side] += 1
                proposals.append(best[:i] + (value,) + best[i + 1:])
        if not proposals:
            break
        for coords in proposals:
            if coords not in scored:
                scored[coords] = data.score(coords, grid.point(coords)[1])
    label, params = grid.point(best)
    return dict(label=label, params=params, edges=_open_edges(axes, scored, best),
                n_points=len(scored), extended=len(scored) - n_default)


def _open_edges(axes, scored, best):
    """``[(axis name, side)]`` where ``best`` is at an end of its line that is not saturated."""
    edges = []
    for i, axis in enumerate(axes):
        line = _line(scored, best, i)
        if len(line) < 2:
            continue
        if best[i] == line[0] and "low" not in axis.saturates:
            edges.append((axis.name, "smallest"))
        elif best[i] == line[-1] and "high" not in axis.saturates:
            edges.append((axis.name, "largest"))
    return edges


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
