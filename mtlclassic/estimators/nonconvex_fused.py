"""Tasks in an order (time points): the non-convex fused sparse group lassos, fitted by stages.

Zhou et al.'s nFSGL (MALSAR's ``Least_NCFGLassoF1`` / ``F2``) put each
feature's l1 norm across the time points under a square root: a feature is
kept or dropped for all time points (the root's infinite slope at zero), and
a kept feature's large weights are shrunk less than by the convex fused
sparse group lasso. The square root is concave, so its tangent at the
previous stage's solution majorises it (DC programming): each stage is a
convex fused lasso with per-feature strengths
(:class:`~mtlclassic.penalties.WeightedFused`), solved to a certified
duality gap by the package's solvers, and the non-convex objective never
increases from stage to stage.
"""

import numbers

import numpy as np

from ..penalties import FusedSparseGroup, WeightedFused
from ._alpha_max import alpha_max
from ._base import MultiTaskClassifierMixin, MultiTaskRegressorMixin, Solution, store_params
from ._grids import _LOSS, Axis, Grid, _fraction_axis, format_value
from ._registry import declare
from ._terms import elastic_value, saturated
from .fused import FUSED_HIGH
from .temporal import _OrderedTasks

FORMULATIONS = ("f1", "f2")


def _row_norms(coef, order):
    """Per feature: ``(||coef[:, j]||_1, sum_i |coef[o_{i+1}, j] - coef[o_i, j]|)``."""
    coef = np.asarray(coef, dtype=np.float64)
    l1 = np.abs(coef).sum(axis=0)
    if coef.shape[0] < 2:
        return l1, np.zeros_like(l1)
    ordered = coef[np.asarray(order)]
    return l1, np.abs(np.diff(ordered, axis=0)).sum(axis=0)


def nonconvex_fused_value(coef, alpha, alpha_fused, order, formulation):
    """The non-convex penalty at ``coef`` of shape (n_tasks, n_features) (no elastic term).

    ``"f1"``: ``alpha sum_j sqrt(||coef[:, j]||_1) + alpha_fused sum_j TV_j``;
    ``"f2"``: ``sum_j sqrt(alpha^2 ||coef[:, j]||_1 + alpha_fused^2 TV_j)``,
    ``TV_j = sum_i |coef[o_{i+1}, j] - coef[o_i, j]|``.
    """
    l1, tv = _row_norms(coef, order)
    if formulation == "f1":
        return float(alpha * np.sum(np.sqrt(l1)) + alpha_fused * np.sum(tv))
    return float(np.sum(np.sqrt(alpha ** 2 * l1 + alpha_fused ** 2 * tv)))


class _NonConvexFusedGroupLasso(_OrderedTasks):
    _nonneg_params = ("alpha", "alpha_fused", "l2_reg")

    def __init__(self, alpha=0.1, *, alpha_fused=0.05, formulation="f1", task_order=None,
                 n_stages=10, l2_reg=0.0, fit_intercept=True, intercept_shrinkage=0.0,
                 task_column=None, unseen_tasks="error", task_weights=None, tol=1e-4,
                 max_iter=1000, warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        if self.alpha == 0:
            raise ValueError(
                "alpha must be > 0: the square root of each feature's l1 norm is the model "
                "(with alpha=0 use FusedSparseGroupLassoRegressor, alpha=0).")
        if self.formulation not in FORMULATIONS:
            raise ValueError(f"formulation must be one of {FORMULATIONS}, got "
                             f"{self.formulation!r}.")
        n = self.n_stages
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n_stages must be an int >= 1, got {n!r}.")
        if n > 1 and self.solver in ("bcd", "working_set", "prox_newton"):
            # Refused before stage 1 runs, not after: the stages' strengths differ by feature.
            raise ValueError(f"solver={self.solver!r} solves stage 1 only; the later stages' "
                             "per-feature strengths need 'fista' (or 'auto', 'cvxpy').")

    def _make_penalty(self, n_features, n_tasks):
        # The first stage's, a convex fused lasso: what alpha_max and the solver choice read.
        return FusedSparseGroup(self.alpha, 1.0, self.alpha_fused, self._order(n_tasks),
                                self.l2_reg)

    def _stage_penalty(self, W, order):
        """The tangent (majorising) fused lasso at ``W`` (n_features, n_tasks), user's units.

        ``sqrt(s)`` lies below its tangent at ``s0 > 0``, ``sqrt(s0) + (s -
        s0) / (2 sqrt(s0))``; at ``s0 = 0`` the tangent is vertical and the
        feature is held at zero (an infinite l1 weight).
        """
        l1, tv = _row_norms(W.T, order)
        a, af = self.alpha, self.alpha_fused
        with np.errstate(divide="ignore", invalid="ignore"):  # the held rows' entries
            if self.formulation == "f1":
                l1_w = np.where(l1 > 0, a / (2.0 * np.sqrt(l1)), np.inf)
                fused_w = np.full_like(l1, af)
            else:
                root = np.sqrt(a * a * l1 + af * af * tv)  # 0 iff l1 = 0 (alpha > 0)
                l1_w = np.where(root > 0, a * a / (2.0 * root), np.inf)
                fused_w = np.where(root > 0, af * af / (2.0 * root), 0.0)
        # As relative weights of alpha (the solvers rescale alpha with the problem).
        return WeightedFused(a, l1_w / a, fused_w / a, order, self.l2_reg)

    def _objective(self, datafit, W, b, order):
        """The non-convex objective, user's units (``W`` (n_features, n_tasks), ``b`` centered)."""
        scaling = datafit.data.scaling
        Wi, bi = scaling.to_internal(W, b)
        value = scaling.objective_to_user(float(datafit.value(Wi, bi)))
        W = np.asarray(W, dtype=np.float64)
        return saturated(value + nonconvex_fused_value(W.T, self.alpha, self.alpha_fused, order,
                                                       self.formulation)
                         + elastic_value(self.l2_reg, W))

    def _fit_solution(self, data, datafit, W, b, *, n_features, warm, xp):
        """Stage 1 the convex fused lasso (from the previous fit's ``W`` if warm); then tangents.

        Each later stage is the tangent problem at the previous solution,
        warm started there. A stage's solution is kept only if it lowers the
        non-convex objective (an exactly solved tangent problem always
        does); the stages stop after ``n_stages``, or when the objective
        falls by less than ``tol`` relatively.
        """
        order = self._order(data.n_tasks)
        # A warm start (the previous fit's W) only starts stage 1's solver: were its tangent
        # the first stage, every feature at zero there would be held at zero for good, and a
        # path walked from strong to weak strengths (compare's search) would never add one.
        first = self._make_penalty(n_features, data.n_tasks)
        W, b, n_iter, gap, solver = self._solve(datafit, first, W, b, xp=xp, stacklevel=5)
        objectives = [self._objective(datafit, W, b, order)]
        gaps = [data.scaling.objective_to_user(gap)]
        for _ in range(self.n_stages - 1):
            W1, b1, it, gap, solver1 = self._solve(datafit, self._stage_penalty(W, order), W, b,
                                                   xp=xp, stacklevel=5)
            n_iter += it
            obj = self._objective(datafit, W1, b1, order)
            if not obj <= objectives[-1]:
                break  # the stage was not solved far enough to descend: keep the last point
            W, b, solver = W1, b1, solver1
            gaps.append(data.scaling.objective_to_user(gap))
            objectives.append(obj)
            if objectives[-2] - obj <= self.tol * abs(obj):
                break
        extra = (len(objectives), np.array(objectives), np.array(gaps))
        return Solution(W, b, n_iter, gaps[-1], solver, extra=extra)

    def _set_extra(self, extra):
        self.n_stages_, self.stage_objectives_, self.stage_gaps_ = extra


class NonConvexFusedGroupLassoRegressor(MultiTaskRegressorMixin, _NonConvexFusedGroupLasso):
    """Non-convex fused sparse group lasso regression (nFSGL): tasks are time points.

    Objective, ``F`` the datafit written out in Notes, ``o_1, ..., o_T`` the
    tasks in ``task_order``, ``TV_j = sum_{i<T} |coef[o_{i+1}, j] - coef[o_i, j]|``
    the total variation of feature ``j`` along the order::

        formulation="f1":  min_{coef, b}  F(coef, b)  +  alpha * sum_j sqrt(||coef[:, j]||_1)  +  alpha_fused * sum_j TV_j  +  l2_reg / 2 ||coef||_F^2
        formulation="f2":  min_{coef, b}  F(coef, b)  +  sum_j sqrt(alpha^2 ||coef[:, j]||_1 + alpha_fused^2 TV_j)  +  l2_reg / 2 ||coef||_F^2

    The square root's infinite slope at zero keeps or drops each feature for
    all time points at once (a group selection) and its flattening shrinks
    a kept feature's large weights less than the convex fused sparse group
    lasso (:class:`~mtlclassic.FusedSparseGroupLassoRegressor`) does; the
    fused term makes each feature's weights piecewise constant along the
    order (change points). ``"f2"`` puts the change points under the root
    too: a feature's l1 norm and total variation share one concave budget.
    The two agree at ``alpha_fused = 0``.

    Non-convex; fitted by DC programming (Zhou et al.'s multi-stage
    algorithm): stage 1 is the convex fused lasso ``alpha ||coef||_1 +
    alpha_fused sum_j TV_j`` (``+ l2_reg``); stage ``l + 1`` replaces each
    square root by its tangent at stage ``l``'s solution, a fused lasso with
    per-feature strengths (``"f1"``: l1 weight ``alpha / (2
    sqrt(||coef[:, j]||_1))``, fused ``alpha_fused``; ``"f2"``: with ``s_j``
    the root at stage ``l``, l1 weight ``alpha^2 / (2 s_j)``, fused
    ``alpha_fused^2 / (2 s_j)``; a feature at zero stays at zero), see
    :class:`~mtlclassic.penalties.WeightedFused`. The tangent lies above
    the root, so the non-convex objective never increases
    (``stage_objectives_``); each stage is solved to a certified duality gap
    (``stage_gaps_``). The stages stop after ``n_stages`` or when the
    objective falls by less than ``tol`` relatively. The result is a
    stationary point, not necessarily a global minimum.

    MALSAR (``S(W)`` the half sum of squared residuals, our datafit with
    ``task_weights = n_t``, ``fit_intercept=False``; tasks in their order):
    ``Least_NCFGLassoF1(X, Y, lambda, gamma)`` minimises ``S(W) + lambda
    sum_j sqrt(||W[:, j]||_1) + gamma sum_j TV_j``: ``formulation="f1",
    alpha=lambda, alpha_fused=gamma``; ``Least_NCFGLassoF2(X, Y, lambda,
    beta)`` minimises ``S(W) + lambda sum_j sqrt(TV_j + beta ||W[:, j]||_1)``:
    ``formulation="f2", alpha=lambda sqrt(beta), alpha_fused=lambda``. Their
    stages are ``Least_Weight1FGLasso`` / ``Least_Weight2FGLasso`` (special
    cases of ``Least_FGLasso``, the fused lasso with per-feature strengths).
    MALSAR starts F2 from ``Least_FGLasso(lambda beta, lambda)``, adds a
    small constant under each root and leaves ``beta`` out of F2's root in
    its weights; here every formulation starts from the fused lasso above,
    the weights are the exact tangents and a feature at zero is held there.

    Parameters
    ----------
    alpha : float, default=0.1
        Strength of the square-root (group) term, ``> 0``. Stage 1 gives
        ``coef = 0`` for ``alpha >= alpha_max`` of the fused lasso at this
        ``alpha_fused`` (with ``alpha_fused = 0``: ``alpha_max(X, y,
        penalty="l1")``), and then so does every stage.
    alpha_fused : float, default=0.05
        Strength of the fused (total variation) term along the task order,
        ``>= 0``; ``0`` is the square-root group penalty alone.
    formulation : {"f1", "f2"}, default="f1"
        Zhou et al.'s nFSGL1 (the fused term outside the root) or nFSGL2
        (under it); MALSAR's ``Least_NCFGLassoF1`` / ``F2``.
    task_order : array-like of task labels, default=None
        The tasks (labels of ``tasks_``) in their temporal order; ``None``:
        the order of ``tasks_`` (sorted labels; the targets' columns in the
        shared layout). Checked at fit: every task exactly once.
    n_stages : int, default=10
        Largest number of stages (convex problems), ``>= 1``; 1 is the convex
        fused lasso of stage 1.
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 ||coef||_F^2`` added to the penalty, ``>= 0``.

    Attributes
    ----------
    task_order_ : ndarray of shape (n_tasks,)
        The task labels in the order used.
    n_stages_ : int
        Stages kept.
    stage_objectives_ : ndarray of shape (n_stages_,)
        The non-convex objective after each stage (non-increasing).
    stage_gaps_ : ndarray of shape (n_stages_,)
        Each stage's duality gap, for its convex problem; ``dual_gap_`` is
        the last one.

    References
    ----------
    Zhou, J., Liu, J., Narayan, V. A. and Ye, J. (2012). Modeling disease
    progression via fused sparse group lasso. KDD.
    Tao, P. D. and An, L. T. H. (1997). Convex analysis approach to d.c.
    programming: theory, algorithms and applications. Acta Math.
    Vietnamica 22(1).
    Zhang, T. (2010). Analysis of multi-stage convex relaxation for sparse
    regularization. JMLR 11.
    """


class NonConvexFusedGroupLassoClassifier(MultiTaskClassifierMixin, _NonConvexFusedGroupLasso):
    """Non-convex fused sparse group lasso logistic regression (nFSGL): tasks are time points.

    Each task is a binary problem. MALSAR has no logistic nFSGL.
    """

    # The regressor's signature with the logistic loss's default strengths (a tenth:
    # 0/1 labels covary less with a feature than standardised targets do).
    def __init__(self, alpha=0.01, *, alpha_fused=0.005, formulation="f1", task_order=None,
                 n_stages=10, l2_reg=0.0, fit_intercept=True, intercept_shrinkage=0.0,
                 task_column=None, unseen_tasks="error", task_weights=None, tol=1e-4,
                 max_iter=1000, warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())


def nonconvex_fused_grid(fractions=(0.5, 0.2, 0.08), fused_fractions=(0.3, 0.1, 0.03),
                         fused_initial=(0.1,)):
    """``alpha`` at fractions of the lasso's ``alpha_max``, then ``alpha_fused`` (secondary).

    Three ``alpha`` points at ``formulation="f1"``; the fused axis is
    secondary (the search moves along it from the best point only): each
    point is several fits (the stages). As for the convex model the axis
    reaches ``FUSED_HIGH`` times ``alpha_max`` (one value per feature for all
    tasks beyond it).
    """

    def grid(kind, X, y, task_column):
        top = alpha_max(X, y, penalty="l1", loss=_LOSS[kind], task_column=task_column)
        fused = Axis("alpha_fused", tuple(fused_fractions),
                     lambda f: {"alpha_fused": max(f * top, 1e-12)},
                     lambda f: f"alpha_fused={format_value(f)} alpha_max",
                     min(fused_fractions) / 1e2, FUSED_HIGH, saturates=("high",),
                     initial=tuple(fused_initial))
        return Grid([_fraction_axis(["alpha"], [top], fractions), fused],
                    {"formulation": "f1"}, "formulation=f1")

    return grid


NONCONVEX_FUSED_GROUP_LASSO = declare(
    "nonconvex-fused-group-lasso", NonConvexFusedGroupLassoRegressor,
    NonConvexFusedGroupLassoClassifier,
    description="non-convex fused sparse group lasso over ordered tasks, multi-stage (Zhou et "
                "al. 2012, MALSAR NCFGLassoF1)",
    grid=nonconvex_fused_grid(), fixed={"formulation": "f1"})
