"""Multi-task feature learning with calibration (MTFLC): the square-root group lasso.

Each task's datafit is its root mean squared residual, not its mean squared
residual, which calibrates the penalty to each task's noise level. The model
is fitted on the package's solvers through its concomitant form::

    sqrt(2 L_t) = min_{sigma_t > 0}  L_t / sigma_t + sigma_t / 2

(``L_t`` task t's halved mean squared residual): for fixed noise levels
``sigma`` the problem is the group lasso with task weights
``tau_t / sigma_t``; for fixed coefficients the best ``sigma_t`` is the task's
root mean squared residual. The joint objective is convex, so alternating
the two exact steps converges to the minimum; every stop is certified by a
duality gap of the square-root problem itself (:func:`calibrated_gap`).
"""

import math
import warnings
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..datafits import Quadratic
from ..penalties import L21
from ..solvers import profile_intercept
from ._base import MultiTaskLinearModel, MultiTaskRegressorMixin, Solution, store_params
from ._grids import alpha_max_grid
from ._path import path_function
from ._registry import declare
from .cv import _MODEL_PARAMS, _PathCV
from ._terms import elastic_value, row_norms, saturated

# The group-lasso step of each alternation is solved to a relative gap of COARSE_FRACTION times
# the alternation's current relative gap (at most COARSE_CAP): early steps need not be exact,
# the noise levels are still moving. The steps get no looser than INNER_FRACTION times ``tol``,
# so that their error cannot hide the alternation's progress at the end; once the noise levels
# stop moving (relative change below ``tol``) with the certified gap still above ``tol``, the
# steps are tightened by INNER_TIGHTENING, down to INNER_FLOOR.
COARSE_FRACTION = 1e-2
COARSE_CAP = 1e-3
INNER_FRACTION = 0.1
INNER_TIGHTENING = 10.0
INNER_FLOOR = 1e-13
# Alternations at most: on the tests' and benchmarks' problems the gap reaches tol=1e-4 in
# 3-8 of them (the noise levels converge linearly, as the scaled lasso's).
MAX_ROUNDS = 100
# Largest secant extrapolation of the noise levels, as a multiple of the plain step: a slope of
# 0.99 is extrapolated 99 steps ahead, a steeper one no further.
MAX_EXTRAPOLATION = 100.0


class _Calibration(NamedTuple):
    """The square-root problem at one point, in the user's units (:func:`calibrated_gap`)."""

    gap: float           # certified duality gap (NaN when alpha = l2_reg = 0)
    primal: float        # the objective
    rms: np.ndarray      # (T,) each task's root mean squared residual
    noise: np.ndarray    # (T,) max(rms, floor): the best noise levels for these coefficients


def _smoothed_norm(rms, floor):
    """``h(rho) = min_{sigma >= floor} rho^2 / (2 sigma) + sigma / 2``, elementwise.

    ``rho`` itself when ``rho >= floor``; below, the quadratic that meets it
    with the same slope at ``floor`` (``rho^2 / (2 floor) + floor / 2``).
    """
    return np.where(rms >= floor, rms, rms * rms / (2.0 * floor) + floor / 2.0)


def task_rms(datafit, W, fit_intercept):
    """Each task's root mean squared residual at ``W`` (user's units) with its best intercept.

    ``datafit`` is the quadratic datafit of the problem the estimator solves
    (possibly rescaled and centered); returns ``(rms, R, weights, b)`` with
    the residual ``R`` in that problem's units, the per-task normalised loss
    weights and the centered intercepts (the rescaled problem's units).
    """
    data = datafit.data
    Wi, _ = data.scaling.to_internal(np.asarray(W))
    b, Z = profile_intercept(datafit, Wi.astype(data.dtype, copy=False), None, fit_intercept)
    R = (data.Y - Z).astype(np.float64)
    C = np.asarray(data.C, dtype=np.float64)
    totals = data.task_sum(C)
    weights = C / data.expand(np.where(totals > 0, totals, 1.0))
    R = np.where(weights > 0, R, 0.0)  # missing targets: any finite value, weight 0
    rms = np.sqrt(np.maximum(data.task_sum(weights * R * R), 0.0))
    return data.scaling.intercept_to_user(rms), R, weights, b


def calibrated_gap(datafit, W, alpha, l2_reg, floor, fit_intercept):
    """Duality gap of the calibrated group lasso at ``W`` (its intercepts profiled out).

    The primal, with ``rho_t`` task t's root mean squared residual and ``h``
    the floored norm of :func:`_smoothed_norm`::

        P(W) = sum_t tau_t h_t(rho_t) + alpha sum_j ||W[j]||_2 + l2_reg / 2 ||W||_F^2

    Its Fenchel dual, over ``theta`` shaped as the residual (``c_i`` the
    normalised loss weights of task t's rows, ``sum_{i in t} c_i = 1``)::

        D(theta) = <theta, y> - sum_t tau_t floor_t (v_t^2 - 1) / 2 - Omega^*(X^T theta),
        v_t = sqrt(sum_{i in t} theta_i^2 / c_i) / tau_t <= 1,

    with ``sum_{i in t} theta_i = 0`` when intercepts are fitted, and
    ``Omega^*(G) = sum_j (||G[j]|| - alpha)_+^2 / (2 l2_reg)`` (the indicator
    of ``||G[j]|| <= alpha`` when ``l2_reg = 0``). ``h^*(v) = floor (v^2 - 1) / 2``
    on ``[0, 1]`` is the conjugate of the floored norm (0 without a floor: the
    square-root lasso's dual). The dual point is the datafit's gradient in
    the residual, ``theta_i = tau_t c_i r_i / sigma_t`` (``v_t = rho_t /
    sigma_t <= 1``), rescaled by ``min(1, alpha / max_j ||(X^T theta)[j]||)``
    when ``l2_reg = 0``. At the best intercepts ``theta`` sums to zero over
    each task (their optimality condition). Everything is formed in the
    solvers' units and mapped to the user's by the scaling's powers of two.

    Returns a :class:`_Calibration`. ``alpha = l2_reg = 0`` (no penalty) has
    no feasible rescaling: the gap is NaN.
    """
    data = datafit.data
    sc = data.scaling
    rms, R, weights, _ = task_rms(datafit, W, fit_intercept)
    tau = math.ldexp(1.0, sc.t) * data.task_sum(np.asarray(data.C, dtype=np.float64))
    noise = np.maximum(rms, floor)
    # At extreme scales (coefficients of 1e155) ||W||^2 overflows though the objective does
    # not, and 0 * inf (no elastic term) is NaN: both terms are formed overflow-safe.
    groups = row_norms(W)
    primal = saturated(float(tau @ _smoothed_norm(rms, floor) + alpha * groups.sum())
                       + elastic_value(l2_reg, W))
    # theta in the user's units: r = R 2^y, so theta = tau c R 2^y / sigma;
    # X^T theta = 2^x X'^T theta.
    theta = data.expand(tau / noise) * weights * R * math.ldexp(1.0, sc.y)
    G = math.ldexp(1.0, sc.x) * np.asarray(data.rmatvec(theta.astype(np.float64)),
                                           dtype=np.float64)
    norms = np.linalg.norm(G, axis=1)
    v = rms / noise
    if l2_reg > 0:
        s, conj = 1.0, float(np.sum(np.maximum(norms - alpha, 0.0) ** 2) / (2.0 * l2_reg))
    elif alpha > 0:
        top = float(norms.max(initial=0.0))
        s, conj = (min(1.0, alpha / top) if top > 0 else 1.0), 0.0
    else:
        return _Calibration(float("nan"), primal, rms, noise)
    Y = np.where(weights > 0, np.asarray(data.Y, dtype=np.float64), 0.0)
    # <theta, y>: y = Y' 2^y; the centered problem's y is the user's less per-task constants,
    # which theta (summing to zero over each task) does not see.
    inner = s * math.ldexp(float(np.sum(theta * Y)), sc.y)
    dual = inner - float(np.sum(tau * floor * ((s * v) ** 2 - 1.0) / 2.0)) - conj
    return _Calibration(max(primal - dual, 0.0), primal, rms, noise)


def _secant_levels(previous, last, floor):
    """Next noise levels: per task, the fixed point of the secant of ``g`` through two rounds.

    ``previous`` and ``last`` are ``(sigma, g(sigma))`` pairs (``previous``
    None: the plain step ``g``). Where ``g``'s secant slope ``c`` lies in
    ``[0, 1)`` (a contraction, the ordinary case) its fixed point is
    ``g + c / (1 - c) (g - sigma)``, the extrapolation factor capped at
    MAX_EXTRAPOLATION; elsewhere the plain step.
    """
    sigma, g = last
    if previous is None:
        return g
    ds = sigma - previous[0]
    dg = g - previous[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(np.abs(ds) > 0, dg / ds, np.nan)
        factor = np.where((slope >= 0) & (slope < 1), slope / (1.0 - slope), 0.0)
    factor = np.minimum(np.nan_to_num(factor), MAX_EXTRAPOLATION)
    return np.maximum(g + factor * (g - sigma), floor)


class _CalibratedGroupLasso(MultiTaskLinearModel):
    _nonneg_params = ("alpha", "l2_reg")
    _positive_params = ("sigma_min",)

    def __init__(self, alpha=0.1, *, l2_reg=0.0, sigma_min=1e-3, fit_intercept=True,
                 task_column=None, unseen_tasks="error", task_weights=None, tol=1e-4,
                 max_iter=1000, warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())

    def _make_penalty(self, n_features, n_tasks):
        return L21(self.alpha, self.l2_reg)

    def _floors(self, datafit):
        """``sigma_min`` times each task's target spread (its rms residual at ``W = 0``).

        A task with constant targets (spread 0) takes the largest spread of the
        others (or 1): its floor only has to be positive.
        """
        W0 = np.zeros((datafit.data.n_features, datafit.data.n_tasks))
        spread = task_rms(datafit, W0, self.fit_intercept)[0]
        top = float(spread.max(initial=0.0))
        return self.sigma_min * np.where(spread > 0, spread, top if top > 0 else 1.0)

    def _prepare(self, X, y, sample_weight, *, solve=True):
        """The validated problem; without ``solve`` (``alpha_max``), calibrated at ``W = 0``.

        At ``W = 0`` the noise levels are the tasks' spreads, and the gradient
        of the square-root datafit is that of the group lasso with task
        weights ``tau_t / sigma_t``: ``alpha_max`` reads the latter.
        """
        data, datafit, p, T = super()._prepare(X, y, sample_weight, solve=solve)
        if solve:
            return data, datafit, p, T
        W0 = np.zeros((data.n_features, T))
        noise = np.maximum(task_rms(datafit, W0, self.fit_intercept)[0], self._floors(datafit))
        calibrated = data.reweighted(1.0 / noise)
        return calibrated, Quadratic(calibrated), p, T

    def _calibrate(self, datafit, W, b, *, xp, warn=True, stacklevel=5):
        """Alternate group-lasso solves and noise levels from ``(W, b)`` to a certified gap.

        Each round solves the group lasso at noise levels ``sigma`` and reads
        the best levels for its solution, ``g(sigma) = max(rho, floor)``. The
        plain alternation sets ``sigma = g(sigma)``, which never raises the
        objective but crawls where a task's residual is mostly the
        penalty's shrinkage (``g`` then has a slope near 1: a nearly
        noiseless task). So each task's next level is the fixed point of the
        secant through its last two rounds (:func:`_secant_levels`), and a
        round that would raise the objective is redone at the plain levels.

        Returns ``(W, b, n_iter, calibration, relative_gap, rounds, solver)``.
        """
        floor = self._floors(datafit)
        args = (self.alpha, self.l2_reg, floor, self.fit_intercept)
        W0 = np.zeros_like(np.asarray(W, dtype=np.float64))
        scale = max(calibrated_gap(datafit, W0, *args).primal, np.finfo(np.float64).tiny)
        state = calibrated_gap(datafit, W, *args)
        penalty = self._make_penalty(datafit.data.n_features, datafit.data.n_tasks)
        finest, tightening = INNER_FRACTION * self.tol, 1.0
        n_iter, solver, converged = 0, None, False
        sigma, last = state.noise, None  # last: (sigma, g(sigma)) of the previous round

        def solve_at(levels, W, b):
            # For fixed sigma: the group lasso with task weights tau_t / sigma_t.
            stage = Quadratic(datafit.data.reweighted(1.0 / levels))
            W, b, it, _, used = self._solve(stage, penalty, W, b, xp=xp, warn=False, tol=inner)
            return W, b, it, used, calibrated_gap(datafit, W, *args)

        for rounds in range(1, MAX_ROUNDS + 1):
            progress = state.gap / scale if np.isfinite(state.gap) else 0.0
            inner = max(max(finest, min(COARSE_CAP, COARSE_FRACTION * progress)) / tightening,
                        INNER_FLOOR)
            W1, b1, it, solver, new = solve_at(sigma, W, b)
            n_iter += it
            plain = state.noise
            if new.primal > state.primal and not np.array_equal(sigma, plain):
                # The extrapolated levels raised the objective: the plain step cannot.
                W1, b1, it, solver, new = solve_at(plain, W1, b1)
                n_iter += it
                sigma = plain
            moved = float(np.max(np.abs(new.noise - sigma) / sigma))
            last, current = (sigma, new.noise), last
            W, b, state = W1, b1, new
            if state.gap <= self.tol * scale or solver == "cvxpy":
                converged = True
                break
            if np.isnan(state.gap) and moved <= self.tol:  # no dual: the fixed-point rule
                converged = True
                break
            if it >= self.max_iter and inner <= finest:  # the finest steps run out of iterations
                break
            if moved <= self.tol:  # sigma settled, gap not: the inner error dominates
                if inner <= INNER_FLOOR:  # the gap is at the resolution of its certificate
                    break
                tightening *= INNER_TIGHTENING
            sigma = _secant_levels(current, last, floor)
        if warn and not converged:
            warnings.warn(
                f"{type(self).__name__} did not converge in {rounds} calibrations: relative "
                f"duality gap {state.gap / scale:.3e} > tol={self.tol:g}. Increase max_iter "
                "or tol, or raise sigma_min.", ConvergenceWarning, stacklevel=stacklevel)
        return W, b, n_iter, state, state.gap / scale, rounds, solver

    def _fit_solution(self, data, datafit, W, b, *, n_features, warm, xp):
        W, b, n_iter, state, _, rounds, solver = self._calibrate(datafit, W, b, xp=xp)
        return Solution(W, b, n_iter, state.gap, solver, extra=(state.noise, rounds))

    def _path_solve(self, datafit, W, b, n_features, *, xp):
        W, b, n_iter, state, relative, _, solver = self._calibrate(datafit, W, b, xp=xp,
                                                                   warn=False)
        return W, b, n_iter, state.gap, relative, solver

    def _set_extra(self, extra):
        self.noise_level_, self.n_calibrations_ = extra


class CalibratedGroupLassoRegressor(MultiTaskRegressorMixin, _CalibratedGroupLasso):
    """Multi-task feature learning with calibration: the square-root (scaled) group lasso.

    Objective, ``rho_t`` task t's root mean squared residual::

        min_{coef, b}  sum_t tau_t rho_t(coef[t], b_t)  +  alpha * sum_j ||coef[:, j]||_2
                       +  l2_reg / 2 ||coef||_F^2

        rho_t(w, b) = sqrt( sum_{i in task t} s_i (y_i - x_i . w - b)^2 / sum_{i in task t} s_i )

    with ``tau_t`` the ``task_weights`` and ``s_i`` the ``sample_weight``
    (missing targets skipped). Each task's datafit is the root of its mean
    squared residual rather than half the mean squared residual of
    :class:`GroupLassoRegressor`: its gradient is divided by the task's
    residual level, so the same ``alpha`` is calibrated to every task's
    noise -- a noisy task is not overfitted, a clean one not over-shrunk --
    and ``alpha`` does not depend on the scale of the targets (the
    square-root lasso's pivotal property, here per task). With one task it
    is the square-root lasso (skglm's ``SqrtLasso`` objective,
    ``||y - X w||_2 / sqrt(n) + alpha ||w||_1``, for one feature per group).

    Solved through the concomitant (scaled lasso) form, jointly convex in
    ``(coef, b, sigma)``::

        min_{coef, b, sigma >= sigma_floor}  sum_t tau_t (L_t / sigma_t + sigma_t / 2)  +  penalty

    ``L_t = rho_t^2 / 2`` the package's squared datafit of task t. For fixed
    ``sigma`` it is :class:`GroupLassoRegressor` with task weights
    ``tau_t / sigma_t``, solved by the package's solvers; for fixed
    coefficients ``sigma_t = max(rho_t, sigma_floor_t)``. The two exact steps
    alternate (warm-started) until the duality gap of the square-root
    problem, certified at every stop, is below ``tol`` times the objective
    at ``coef = 0``. The floor ``sigma_floor_t = sigma_min *`` (task t's
    target spread) keeps the weights finite on noiseless tasks; while every
    ``rho_t`` at the solution lies above it (``noise_level_`` then equals
    the residual levels, the ordinary case), the objective above is solved
    exactly; below it, task t's term is ``rho_t^2 / (2 floor_t) + floor_t / 2``
    (the concomitant form with ``sigma_t`` held at the floor).

    MALSAR: ``MTFLC_*`` (repository functions; Gong, Ye and Zhang 2014)
    minimise ``sum_t ||y_t - X_t w_t||_2 + lambda1 sum_j ||W[:, j]||_2 +
    lambda2 / 2 ||W||_F^2`` without intercepts: here ``task_weights =
    sqrt(n_t)`` (``sqrt(n_t) rho_t = ||y_t - X_t w_t||_2``), ``alpha =
    lambda1``, ``l2_reg = lambda2``, ``fit_intercept=False``.

    There is no classifier: the calibration estimates a Gaussian residual's
    noise level, which the logistic loss does not have (its scale is fixed
    by the labels).

    Parameters
    ----------
    alpha : float, default=0.1
        Strength of the l2,1 penalty, ``>= 0``. ``coef = 0`` for ``alpha >=
        alpha_max`` (:func:`~mtlclassic.estimators.regularization_path`'s
        grid top: the group-lasso ``alpha_max`` with task weights
        ``tau_t / spread_t``). Unitless: with standardised features the
        gradient of a task's datafit is its features' correlations with the
        residual, so the default suits any target scale.
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 ||coef||_F^2``, ``>= 0``.
    sigma_min : float, default=1e-3
        Floor of each task's noise level relative to the task's target
        spread (the root mean square of its targets about their weighted
        mean, or about 0 without intercept), ``> 0``. Only a task fitted to a
        relative rms residual below it (``R^2 > 1 - sigma_min^2``) meets the
        floor. Tasks with fewer rows than the model needs are interpolated
        and meet it; their weights ``tau_t / floor_t`` then slow the
        group-lasso steps: raise ``sigma_min`` (``0.1``, as ``mtlclassic
        compare`` sets it) on data with tasks of a few rows.

    Attributes
    ----------
    noise_level_ : ndarray of shape (n_tasks,)
        Each task's noise level ``sigma_t`` at the solution: its root mean
        squared (training) residual, or its floor.
    n_calibrations_ : int
        Alternations run (group-lasso solves).
    dual_gap_ : float
        Duality gap of the square-root problem at the solution, in units of
        the objective (NaN when ``alpha = l2_reg = 0``, where the
        alternation stops on the noise levels' fixed point instead).

    References
    ----------
    Gong, P., Ye, J. and Zhang, C. (2014). Efficient multi-task feature
    learning with calibration. KDD.
    Belloni, A., Chernozhukov, V. and Wang, L. (2011). Square-root lasso:
    pivotal recovery of sparse signals via conic programming. Biometrika 98(4).
    Sun, T. and Zhang, C.-H. (2012). Scaled sparse linear regression.
    Biometrika 99(4).
    """


class CalibratedGroupLassoRegressorCV(MultiTaskRegressorMixin, _PathCV):
    """CalibratedGroupLassoRegressor with ``alpha`` chosen by cross-validation along its path.

    The objective is that of :class:`~mtlclassic.CalibratedGroupLassoRegressor`;
    the search is scikit-learn's ``LassoCV``'s (:ref:`cv-estimators` in
    ``docs/parameters.md``): each fold's path runs from ``alpha_max`` down,
    every fit (a full calibration) warm-started from the previous one.

    Parameters
    ----------
    sigma_min : float, default=1e-3
        As in :class:`~mtlclassic.CalibratedGroupLassoRegressor`.
    """

    _estimator = CalibratedGroupLassoRegressor

    # The path CV's signature with the model's sigma_min, and no intercept_shrinkage (the
    # model has none: its intercepts are free).
    def __init__(self, *, alphas=None, n_alphas=100, eps=1e-3, cv=5, n_jobs=None, scoring=None,
                 l2_reg=0.0, sigma_min=1e-3, fit_intercept=True, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=1000,
                 solver="auto", device=None, verbose=0):
        store_params(self, locals())

    def _model_params(self):
        params = {name: getattr(self, name) for name in _MODEL_PARAMS
                  if name != "intercept_shrinkage"}
        params["sigma_min"] = self.sigma_min
        params["verbose"] = max(self._verbosity() - 1, 0)
        return params


calibrated_group_lasso_path = path_function(
    "calibrated_group_lasso_path", CalibratedGroupLassoRegressor,
    "Calibrated (square-root) group lasso regularisation path.",
    penalty="alpha * sum_j ||coef[:, j]||_2, each task's datafit its rms residual")


CALIBRATED_GROUP_LASSO = declare(
    "calibrated-group-lasso", CalibratedGroupLassoRegressor, None,
    description="l2,1 with calibrated (square-root) task losses (MTFLC, Gong et al. 2014)",
    grid=alpha_max_grid(("alpha", "calibrated_l21")), strengths=("alpha",),
    alpha_max_names={"calibrated_l21": "alpha"}, path=calibrated_group_lasso_path,
    cv=(CalibratedGroupLassoRegressorCV, None),
    # Benchmark data has tasks of a few rows (School at 20 %: 2-50), which the square-root loss
    # interpolates: their noise levels fall to the floor, and at sigma_min=1e-3 their weights
    # (1000 x the others') stall the group-lasso steps (no convergence in max_iter=1000);
    # at 0.1 a fit takes 5 rounds, 0.2-0.6 s.
    fixed={"sigma_min": 0.1})
