"""Regularisation paths: one penalised model fitted at a decreasing sequence of ``alpha``.

Every model declared with a strength (:mod:`mtlclassic.estimators._registry`)
has a path: :func:`regularization_path` takes the estimator, and the named
path functions (``group_lasso_path``, ...) are thin aliases of it, declared
beside their models. The input is validated and centered once, the grid runs
from large to small ``alpha``, and each fit starts from the previous solution
(warm start), so that the whole path costs little more than its last, least
sparse, fit.
"""

import inspect
import numbers
import time
import warnings
from typing import NamedTuple

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from ._alpha_max import estimator_alpha_max
from ._registry import model_of


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
        raise ValueError("alphas is empty; pass at least one value (or an int: that many "
                         "alphas on the geometric grid below alpha_max).")
    if not np.all(np.isfinite(grid)) or np.any(grid < 0):
        raise ValueError("alphas must be finite and >= 0.")
    return np.sort(grid)[::-1]


def grid_spec(alphas, n_alphas, eps):
    """The user's grid sorted decreasing, or the length of the geometric grid.

    As scikit-learn 1.9's ``LinearModelCV``: an int ``alphas`` is the number
    of alphas of the default grid (it overrides ``n_alphas``); ``None``
    means ``n_alphas`` of them; anything else is the grid itself.
    """
    if alphas is None or (isinstance(alphas, numbers.Integral) and not isinstance(alphas, bool)):
        count = n_alphas if alphas is None else alphas
        name = "n_alphas" if alphas is None else "alphas"
        if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1:
            raise ValueError(f"{name} must be an int >= 1 (the number of alphas), got "
                             f"{count!r}.")
        if (isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not np.isfinite(eps)
                or eps <= 0):
            raise ValueError(f"eps must be a finite number > 0 (alpha_min / alpha_max), got "
                             f"{eps!r}.")
        return int(count)
    if np.ndim(alphas) == 0:  # a float, bool or NaN is neither a count nor a grid
        raise ValueError(f"alphas must be an int (the number of alphas) or an array-like of "
                         f"alphas, got {alphas!r}; for one alpha pass [{alphas!r}].")
    return check_alphas(alphas)


def geometric_grid(top, eps, n_alphas, reference=None):
    """``n_alphas`` values from ``top`` down to ``eps * top``, equally spaced in log.

    ``top`` at most ``reference`` (default: machine resolution) means that
    the gradient at ``W = 0`` is rounding noise -- constant targets, where
    every alpha gives ``W = 0`` -- and the grid is scikit-learn's: the
    resolution repeated. The noise level is relative to the data's units
    (:func:`robust_alpha_max`), so that data in units of ``1e-100`` is not
    taken for constant.
    """
    resolution = np.finfo(np.float64).resolution
    if not top > (resolution if reference is None else reference):
        return np.full(n_alphas, resolution)
    return np.geomspace(top, top * eps, num=n_alphas)


# Constant targets leave a gradient at W = 0 of rounding noise only: about machine epsilon
# times the same gradient without intercept (the targets' mean not removed). A top below
# this multiple of the resolution, relative to that gradient, is taken for noise.
_NOISE = 1e3


def robust_alpha_max(estimator, X, y, *, strength=None, sample_weight=None):
    """``(alpha_max, noise)``: :func:`estimator_alpha_max`, finite when representable.

    ``alpha_max`` is homogeneous of degree 1 in the task weights: when it
    overflows with the estimator's weights it is computed with the weights
    divided by their maximum and multiplied back. When the value itself
    lies beyond the float range, a ``ValueError`` names what makes it so
    (the task weights, or the scale of ``X`` and ``y``) -- never an
    ``alpha`` the user did not set. ``noise`` is the level below which
    ``alpha_max`` is rounding noise (see :func:`geometric_grid`), in the
    data's units, for the squared loss with intercept; else None.
    """
    common = dict(strength=strength, sample_weight=sample_weight)
    task_weights = estimator.task_weights
    big = None
    with np.errstate(over="ignore", invalid="ignore"):
        top = estimator_alpha_max(estimator, X, y, **common)
        if not np.isfinite(top) and task_weights is not None:
            tau = np.asarray(task_weights, dtype=np.float64)  # validated by the estimator
            big = float(tau.max())
            top = big * estimator_alpha_max(clone(estimator).set_params(task_weights=tau / big),
                                            X, y, **common)
        noise = None
        if estimator._loss == "squared" and estimator.fit_intercept and np.isfinite(top):
            # Constant targets: without intercept the gradient is X^T y, not noise.
            raw = estimator_alpha_max(clone(estimator).set_params(fit_intercept=False), X, y,
                                      **common)
            noise = _NOISE * np.finfo(np.float64).resolution * raw if np.isfinite(raw) else None
    if not np.isfinite(top):
        cause = (f"task_weights as large as {big:.3g}" if big is not None and big > 1
                 else "the scale of X and y")
        raise ValueError(
            "The default alpha grid starts at alpha_max (the smallest alpha giving W = 0), "
            f"which exceeds the float64 range here ({cause}). Divide task_weights by their "
            "maximum, or scale X (and y), or pass alphas explicitly.")
    return float(top), noise


def alpha_grid(estimator, X, y, *, alphas=None, n_alphas=100, eps=1e-3, sample_weight=None):
    """The path's ``alpha`` values: the user's sorted decreasing, or a geometric grid.

    The default grid (``alphas`` an int, or None for ``n_alphas``) runs from
    ``alpha_max`` of ``estimator``'s path strength (where the solution is
    ``W = 0``) down to ``eps * alpha_max``, equally spaced in log.
    """
    spec = grid_spec(alphas, n_alphas, eps)
    if not isinstance(spec, int):
        return spec
    top, reference = robust_alpha_max(estimator, X, y, sample_weight=sample_weight)
    return geometric_grid(top, eps, spec, reference)


class PathFit(NamedTuple):
    """One fit of a path, with what a progress line or a convergence summary needs."""

    W: np.ndarray           # the solver's internal W, (n_blocks * n_features, n_tasks)
    intercept: np.ndarray
    gap: float              # duality gap, in units of the objective
    relative_gap: float     # gap / (datafit at W = 0): what tol bounds
    n_iter: int
    seconds: float
    converged: bool


def fit_path(estimator, X, y, params_list, sample_weight=None, on_fit=None):
    """Fit ``estimator`` once per parameter set of ``params_list``, in order, warm-started.

    The input is validated and centered once. The solver never warns here:
    each :class:`PathFit` says whether it converged, so that the caller
    summarises (a path of 100 alphas, or a CV of 500 fits, gives one warning,
    not hundreds; and no ``catch_warnings``, which is not thread-safe, is
    needed when folds run in threads). ``on_fit(k, fit)`` is called after
    each fit (progress lines). ``estimator`` keeps its parameters (a clone is
    fitted).
    """
    from .._backend import device_namespace, to_host

    est = clone(estimator)
    est._check_params()
    xp = device_namespace(est._device, X, y, sample_weight)
    X, y, sample_weight = to_host(X), to_host(y), to_host(sample_weight)
    data, datafit, p, T = est._prepare(X, y, sample_weight)
    W, b = est._start(data)
    fits = []
    for k, params in enumerate(params_list):
        est.set_params(**params)._check_params()
        start = time.perf_counter()
        # The gap in the user's units (as the estimators' ``dual_gap_``) and relative to the
        # objective's scale (what tol bounds): the model's one path step.
        W, b, n_iter, gap, relative, solver = est._path_solve(datafit, W, b, p, xp=xp)
        fit = PathFit(np.array(W, dtype=data.dtype), est._raw_intercept(data, W, b),
                      float(gap), float(relative), int(n_iter), time.perf_counter() - start,
                      solver == "cvxpy" or relative <= est.tol)
        fits.append(fit)
        if on_fit is not None:
            on_fit(k, fit)
    return fits


def convergence_summary(name, fits, alphas, tol, where=None):
    """One ``ConvergenceWarning`` message for the fits that did not converge, or None.

    ``fits`` are :class:`PathFit` at ``alphas`` (same length); ``where[k]``
    optionally names the fit's fold (", fold 2/5").
    """
    bad = [k for k, fit in enumerate(fits) if not fit.converged]
    if not bad:
        return None
    worst = max(bad, key=lambda k: fits[k].relative_gap)
    place = "" if where is None else where[worst]
    return (f"{name}: {len(bad)} of {len(fits)} path fits did not converge (worst relative "
            f"duality gap {fits[worst].relative_gap:.1e} > tol={tol:g} at "
            f"alpha={float(alphas[worst]):.4g}{place}); increase max_iter or tol, or scale "
            "the features.")


def run_path(estimator, X, y, alphas, sample_weight=None, params=None, *, warn=True,
             on_fit=None):
    """Fit ``estimator`` at each of ``alphas`` (in the given order), warm-started.

    ``params`` maps an alpha to the estimator's parameters (default
    ``{"alpha": alpha}``; two-part models set both strengths from it).
    Returns a :class:`PathResult` with ``coefs`` in the user's layout and,
    with ``warn=False``, also the list of :class:`PathFit` (no warning is
    raised then: the caller summarises). With ``warn=True`` the fits that
    did not converge give one ``ConvergenceWarning``.
    """
    params = params or (lambda alpha: {"alpha": alpha})
    fits = fit_path(estimator, X, y, [params(float(a)) for a in alphas],
                    sample_weight=sample_weight, on_fit=on_fit)
    T = fits[0].W.shape[1]
    # Internal W is (n_blocks * n_features, n_tasks); coef_ sums the blocks.
    coefs = np.stack([fit.W.reshape(estimator._n_blocks, -1, T).sum(axis=0).T for fit in fits])
    result = PathResult(
        alphas=np.asarray(alphas, dtype=np.float64),
        coefs=np.ascontiguousarray(coefs),
        intercepts=np.stack([fit.intercept for fit in fits]),
        dual_gaps=np.array([fit.gap for fit in fits]),
        n_iter=np.array([fit.n_iter for fit in fits], dtype=np.int64),
    )
    if not warn:
        return result, fits
    message = convergence_summary(type(estimator).__name__, fits, result.alphas, estimator.tol)
    if message is not None:
        warnings.warn(message, ConvergenceWarning, stacklevel=4)  # the user's call
    return result


def regularization_path(estimator, X, y, *, alphas=None, n_alphas=100, eps=1e-3,
                        sample_weight=None):
    """Fit ``estimator`` along a decreasing grid of its path strength, warm-started.

    The path strength is the first of the model's declared strengths
    (``alpha`` for every one-strength model); the estimator's other
    parameters are kept as set (it is cloned, not modified).

    Parameters
    ----------
    estimator : estimator instance
        A model with a path, e.g. ``GroupLassoRegressor(l2_reg=0.1)``.
    X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_columns)
        Features; with the estimator's ``task_column`` set, one column names
        each row's task.
    y : array-like of shape (n_samples,) or (n_samples, n_tasks)
        Targets, as in the estimator's ``fit``.
    alphas : int or array-like of shape (n_alphas,), default=None
        An int: that many alphas, geometrically spaced from ``alpha_max``
        down to ``eps * alpha_max``. An array: the strengths, sorted
        decreasing before fitting. ``None``: ``n_alphas`` of them.
    n_alphas : int, default=100
        Length of the default grid when ``alphas`` is None.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the default grid, ``> 0``.
    sample_weight : array-like of shape (n_samples,), default=None
        As in the estimator's ``fit``; the default grid's ``alpha_max`` is
        the weighted data's.

    Returns
    -------
    path : PathResult
        Named tuple ``(alphas, coefs, intercepts, dual_gaps, n_iter)``.

    Warns
    -----
    ConvergenceWarning
        Once per path, when some fits did not reach ``tol``.
    """
    strengths = model_of(estimator).strengths
    if len(strengths) != 1:
        raise ValueError(
            f"{type(estimator).__name__} has {len(strengths)} penalty strengths with an "
            f"alpha_max ({', '.join(strengths) or 'none'}); a path runs over one. Use its CV "
            "estimator, or fit it at each of your strengths.")
    estimator._check_params()  # bad model parameters fail before any work
    grid = alpha_grid(estimator, X, y, alphas=alphas, n_alphas=n_alphas, eps=eps,
                      sample_weight=sample_weight)
    return run_path(estimator, X, y, grid, sample_weight,
                    params=lambda alpha: {strengths[0]: alpha})


# The named path functions' parameters after ``X, y`` and the model's own (their defaults).
_PATH_PARAMETERS = {"alphas": None, "n_alphas": 100, "eps": 1e-3, "loss": "squared",
                    "task_column": None, "fit_intercept": True, "task_weights": None,
                    "sample_weight": None, "l2_reg": 0.0, "tol": 1e-4, "max_iter": 1000,
                    "solver": "auto"}

_PATH_DOC = """{summary}

:func:`~mtlclassic.regularization_path` of :class:`~mtlclassic.{regressor}` (or
``...Classifier`` with ``loss="logistic"``): penalty
``{penalty}``.

Parameters
----------
X, y{own}, alphas, n_alphas, eps
    As in :func:`~mtlclassic.regularization_path`{own_doc}.
loss : {{"squared", "logistic"}}, default="squared"
    The datafit, hence the estimator fitted.
task_column, fit_intercept, task_weights, sample_weight, l2_reg, tol, max_iter, solver
    As in the estimator's constructor and ``fit``.

Returns
-------
path : PathResult
    As :func:`~mtlclassic.regularization_path` returns it.
"""


def path_function(name, regressor, summary, penalty, *, own=None, own_doc=""):
    """A named path function: :func:`regularization_path` of a model's estimator of ``loss``.

    Parameters
    ----------
    name : str
        The function's public name (``"lasso_path"``).
    regressor : type
        The model's regressor; the declaration it belongs to gives the classifier.
    summary, penalty : str
        The docstring's first line, and the penalty written out.
    own : dict, optional
        The model's parameters the function also takes, with their defaults
        (``{"l1_ratio": 0.5}``), placed after ``X, y``.
    own_doc : str
        What the docstring adds about them.
    """
    own = dict(own or {})
    P = inspect.Parameter
    signature = inspect.Signature(
        [P("X", P.POSITIONAL_OR_KEYWORD), P("y", P.POSITIONAL_OR_KEYWORD)]
        + [P(k, P.KEYWORD_ONLY, default=v) for k, v in {**own, **_PATH_PARAMETERS}.items()])

    def path(*args, **kwargs):
        arguments = signature.bind(*args, **kwargs)  # a TypeError names a wrong argument
        arguments.apply_defaults()
        params = dict(arguments.arguments)
        X, y, loss = params.pop("X"), params.pop("y"), params.pop("loss")
        fit = {k: params.pop(k) for k in ("alphas", "n_alphas", "eps", "sample_weight")}
        estimator = model_of(regressor).estimator(loss)(**params)
        return regularization_path(estimator, X, y, **fit)

    path.__signature__ = signature
    path.__name__ = path.__qualname__ = name
    path.__module__ = regressor.__module__
    path.__doc__ = _PATH_DOC.format(
        summary=summary, regressor=regressor.__name__, penalty=penalty,
        own="".join(f", {k}" for k in own), own_doc=own_doc)
    return path
