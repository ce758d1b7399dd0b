"""Regularisation paths: one penalised model fitted at a decreasing sequence of ``alpha``.

Every penalty with an ``alpha_max`` (:func:`mtlclassic.alpha_max`) has a path
function. They share one private implementation: the input is validated and
centered once, the grid runs from large to small ``alpha``, and each fit
starts from the previous solution (warm start), so that the whole path
costs little more than its last, least sparse, fit.
"""

import numbers
from typing import NamedTuple

import numpy as np

from ._alpha_max import alpha_max
from .group_lasso import GroupLassoClassifier, GroupLassoRegressor
from .low_rank import TraceNormClassifier, TraceNormRegressor
from .sparse import (L1InfClassifier, L1InfRegressor, LassoClassifier, LassoRegressor,
                     SparseGroupLassoClassifier, SparseGroupLassoRegressor)

# alpha_max penalty name -> estimators fitted along its path, by loss.
MODELS = {
    "l21": {"squared": GroupLassoRegressor, "logistic": GroupLassoClassifier},
    "l1": {"squared": LassoRegressor, "logistic": LassoClassifier},
    "sparse_group": {"squared": SparseGroupLassoRegressor, "logistic": SparseGroupLassoClassifier},
    "l1inf": {"squared": L1InfRegressor, "logistic": L1InfClassifier},
    "trace": {"squared": TraceNormRegressor, "logistic": TraceNormClassifier},
}


class PathResult(NamedTuple):
    """A regularisation path, one entry per ``alpha`` (decreasing).

    Attributes
    ----------
    alphas : ndarray of shape (n_alphas,)
        The penalty strengths, sorted decreasing.
    coefs : ndarray of shape (n_alphas, n_tasks, n_features)
        ``coefs[k]`` is the ``coef_`` of the model fitted at ``alphas[k]``.
    intercepts : ndarray of shape (n_alphas, n_tasks)
    dual_gaps : ndarray of shape (n_alphas,)
        Duality gap of each solution, in units of the objective.
    n_iter : ndarray of shape (n_alphas,)
        Solver iterations of each fit (after the warm start).
    """

    alphas: np.ndarray
    coefs: np.ndarray
    intercepts: np.ndarray
    dual_gaps: np.ndarray
    n_iter: np.ndarray


def check_alphas(alphas):
    """A user grid as a finite, nonnegative float array sorted decreasing."""
    try:
        grid = np.asarray(alphas, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"alphas must be an array of numbers, got {alphas!r}.") from None
    if grid.ndim != 1:
        raise ValueError(f"alphas must be 1-D, got shape {grid.shape}.")
    if grid.size == 0:
        raise ValueError("alphas is empty; pass at least one value (or alphas=None for a "
                         "geometric grid below alpha_max).")
    if not np.all(np.isfinite(grid)) or np.any(grid < 0):
        raise ValueError("alphas must be finite and >= 0.")
    return np.sort(grid)[::-1]


def check_grid_params(n_alphas, eps):
    """``n_alphas`` an int >= 1 and ``eps`` a finite number > 0."""
    if (isinstance(n_alphas, bool) or not isinstance(n_alphas, numbers.Integral)
            or n_alphas < 1):
        raise ValueError(f"n_alphas must be an int >= 1, got {n_alphas!r}.")
    if (isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not np.isfinite(eps)
            or eps <= 0):
        raise ValueError(f"eps must be a finite number > 0 (alpha_min / alpha_max), got {eps!r}.")


def alpha_grid(X, y, *, penalty, l1_ratio=None, alphas=None, n_alphas=100, eps=1e-3,
               loss="squared", task_column=None, fit_intercept=True, task_weights=None,
               sample_weight=None):
    """The path's ``alpha`` values: the user's sorted decreasing, or a geometric grid.

    The default grid has ``n_alphas`` values from ``alpha_max`` (where the
    solution is ``W = 0``) down to ``eps * alpha_max``, equally spaced in log.
    """
    if alphas is not None:
        return check_alphas(alphas)
    check_grid_params(n_alphas, eps)
    top = alpha_max(X, y, penalty=penalty, l1_ratio=0.5 if l1_ratio is None else l1_ratio,
                    loss=loss, task_column=task_column, fit_intercept=fit_intercept,
                    task_weights=task_weights, sample_weight=sample_weight)
    resolution = np.finfo(np.float64).resolution
    if top <= resolution:  # constant targets: every alpha gives W = 0
        return np.full(n_alphas, resolution)
    return np.geomspace(top, top * eps, num=n_alphas)


def run_path(estimator, X, y, alphas, sample_weight=None, params=None):
    """Fit ``estimator`` at each of ``alphas`` (in the given order), warm-started.

    ``params`` maps an alpha to the estimator's parameters (default
    ``{"alpha": alpha}``; two-part models set both strengths from it).
    Returns a :class:`PathResult` with ``coefs`` in the user's layout.
    """
    params = params or (lambda alpha: {"alpha": alpha})
    fits = estimator._fit_path(X, y, [params(float(a)) for a in alphas],
                               sample_weight=sample_weight)
    T = fits[0][0].shape[1]
    # Internal W is (n_blocks * n_features, n_tasks); coef_ sums the blocks.
    coefs = np.stack([W.reshape(estimator._n_blocks, -1, T).sum(axis=0).T for W, *_ in fits])
    return PathResult(
        alphas=np.asarray(alphas, dtype=np.float64),
        coefs=np.ascontiguousarray(coefs),
        intercepts=np.stack([b for _, b, _, _ in fits]),
        dual_gaps=np.array([gap for _, _, gap, _ in fits]),
        n_iter=np.array([n for *_, n in fits], dtype=np.int64),
    )


def _path(penalty, X, y, *, alphas, n_alphas, eps, loss, task_column, fit_intercept,
          task_weights, sample_weight, l2_reg, tol, max_iter, solver, **model_params):
    """The path of the model of ``MODELS[penalty][loss]``: grid, then warm-started fits."""
    if loss not in ("squared", "logistic"):
        raise ValueError(f"loss must be 'squared' or 'logistic', got {loss!r}.")
    estimator = MODELS[penalty][loss](
        l2_reg=l2_reg, fit_intercept=fit_intercept, task_column=task_column,
        task_weights=task_weights, tol=tol, max_iter=max_iter, solver=solver, **model_params)
    estimator._check_params()  # bad model parameters fail before any work
    grid = alpha_grid(X, y, penalty=penalty, l1_ratio=model_params.get("l1_ratio"),
                      alphas=alphas, n_alphas=n_alphas, eps=eps, loss=loss,
                      task_column=task_column, fit_intercept=fit_intercept,
                      task_weights=task_weights, sample_weight=sample_weight)
    return run_path(estimator, X, y, grid, sample_weight)


_PARAMS = """
    Parameters
    ----------
    X : {{array-like, sparse matrix, DataFrame}} of shape (n_samples, n_columns)
        Features; with ``task_column`` set, one column names each row's task.
    y : array-like of shape (n_samples,) or (n_samples, n_tasks)
        Targets, as in the estimators' ``fit`` (labels for ``loss="logistic"``).
{extra}    alphas : array-like of shape (n_alphas,), default=None
        Penalty strengths, sorted decreasing before fitting. ``None``: a
        geometric grid of ``n_alphas`` values from ``alpha_max`` down to
        ``eps * alpha_max``.
    n_alphas : int, default=100
        Length of the default grid.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the default grid, ``> 0``.
    loss : {{"squared", "logistic"}}, default="squared"
        The datafit: :class:`~mtlclassic.{name}Regressor` or
        :class:`~mtlclassic.{name}Classifier`.
    task_column, fit_intercept, task_weights, l2_reg, tol, max_iter, solver
        As in :class:`~mtlclassic.{name}Regressor`.
    sample_weight : array-like of shape (n_samples,), default=None
        Reweights rows within their task.

    Returns
    -------
    path : PathResult
        Named tuple ``(alphas, coefs, intercepts, dual_gaps, n_iter)``;
        ``coefs`` of shape (n_alphas, n_tasks, n_features) holds ``coef_``
        at each alpha, tasks in the order of the estimator's ``tasks_``
        (the sorted task labels in the per-task layout).

    See Also
    --------
    mtlclassic.alpha_max : the top of the default grid.
    mtlclassic.{name}RegressorCV, mtlclassic.{name}ClassifierCV :
        ``alpha`` chosen by cross-validation along this path.

    Notes
    -----
    The input is validated once; each fit starts from the solution at the
    previous (larger) alpha. At ``alpha_max`` the solution is ``W = 0``.
"""


def _path_doc(summary, name, penalty, extra=""):
    return f"""{summary}

    Fits :class:`~mtlclassic.{name}Regressor` (or ``...Classifier``) with
    penalty ``{penalty}`` at each ``alpha`` of a decreasing grid, each fit
    warm-started from the previous one.
""" + _PARAMS.format(extra=extra, name=name)


def group_lasso_path(X, y, *, alphas=None, n_alphas=100, eps=1e-3, loss="squared",
                     task_column=None, fit_intercept=True, task_weights=None,
                     sample_weight=None, l2_reg=0.0, tol=1e-4, max_iter=1000, solver="auto"):
    return _path("l21", X, y, alphas=alphas, n_alphas=n_alphas, eps=eps, loss=loss,
                 task_column=task_column, fit_intercept=fit_intercept, task_weights=task_weights,
                 sample_weight=sample_weight, l2_reg=l2_reg, tol=tol, max_iter=max_iter,
                 solver=solver)


def lasso_path(X, y, *, alphas=None, n_alphas=100, eps=1e-3, loss="squared", task_column=None,
               fit_intercept=True, task_weights=None, sample_weight=None, l2_reg=0.0, tol=1e-4,
               max_iter=1000, solver="auto"):
    return _path("l1", X, y, alphas=alphas, n_alphas=n_alphas, eps=eps, loss=loss,
                 task_column=task_column, fit_intercept=fit_intercept, task_weights=task_weights,
                 sample_weight=sample_weight, l2_reg=l2_reg, tol=tol, max_iter=max_iter,
                 solver=solver)


def sparse_group_lasso_path(X, y, *, l1_ratio=0.5, alphas=None, n_alphas=100, eps=1e-3,
                            loss="squared", task_column=None, fit_intercept=True,
                            task_weights=None, sample_weight=None, l2_reg=0.0, tol=1e-4,
                            max_iter=1000, solver="auto"):
    return _path("sparse_group", X, y, alphas=alphas, n_alphas=n_alphas, eps=eps, loss=loss,
                 task_column=task_column, fit_intercept=fit_intercept, task_weights=task_weights,
                 sample_weight=sample_weight, l2_reg=l2_reg, tol=tol, max_iter=max_iter,
                 solver=solver, l1_ratio=l1_ratio)


def l1inf_path(X, y, *, alphas=None, n_alphas=100, eps=1e-3, loss="squared", task_column=None,
               fit_intercept=True, task_weights=None, sample_weight=None, l2_reg=0.0, tol=1e-4,
               max_iter=1000, solver="auto"):
    return _path("l1inf", X, y, alphas=alphas, n_alphas=n_alphas, eps=eps, loss=loss,
                 task_column=task_column, fit_intercept=fit_intercept, task_weights=task_weights,
                 sample_weight=sample_weight, l2_reg=l2_reg, tol=tol, max_iter=max_iter,
                 solver=solver)


def trace_norm_path(X, y, *, alphas=None, n_alphas=100, eps=1e-3, loss="squared",
                    task_column=None, fit_intercept=True, task_weights=None, sample_weight=None,
                    l2_reg=0.0, tol=1e-4, max_iter=1000, solver="auto"):
    return _path("trace", X, y, alphas=alphas, n_alphas=n_alphas, eps=eps, loss=loss,
                 task_column=task_column, fit_intercept=fit_intercept, task_weights=task_weights,
                 sample_weight=sample_weight, l2_reg=l2_reg, tol=tol, max_iter=max_iter,
                 solver=solver)


group_lasso_path.__doc__ = _path_doc(
    "Group lasso (l2,1) regularisation path.", "GroupLasso", "alpha * sum_j ||W[:, j]||_2")
lasso_path.__doc__ = _path_doc(
    "Lasso regularisation path of independent tasks, fitted together.", "Lasso",
    "alpha * sum_tj |W[t, j]|")
sparse_group_lasso_path.__doc__ = _path_doc(
    "Sparse-group lasso regularisation path at a fixed ``l1_ratio``.", "SparseGroupLasso",
    "alpha * sum_j (l1_ratio ||W[:, j]||_1 + (1 - l1_ratio) ||W[:, j]||_2)",
    extra="""    l1_ratio : float, default=0.5
        Share of the l1 term, in ``[0, 1]``; also sets ``alpha_max``.
""")
l1inf_path.__doc__ = _path_doc(
    "l1/l-inf regularisation path.", "L1Inf", "alpha * sum_j max_t |W[t, j]|")
trace_norm_path.__doc__ = _path_doc(
    "Trace-norm (low-rank) regularisation path.", "TraceNorm", "alpha * ||W||_*")
