"""Capped l1,l1 multi-task feature learning (MSMTFL): a non-convex penalty, fitted by stages.

Each stage is a weighted lasso on the package's solvers (the first a plain
lasso); the features whose l1 norm across tasks exceeds the cap are left
unpenalised at the next stage (:class:`~mtlclassic.penalties.RowWeightedL1`).
"""

import numbers

import numpy as np

from ..penalties import L1, RowWeightedL1
from ._base import MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin, \
    Solution, store_params
from ._grids import alpha_max_grid, fixed_grid, product_grid
from ._registry import declare
from ._terms import elastic_value, saturated


def capped_l1_value(coef, alpha, cap):
    """``alpha * sum_j min(||coef[:, j]||_1, cap)`` for ``coef`` of shape (n_tasks, n_features)."""
    return float(alpha * np.sum(np.minimum(np.abs(coef).sum(axis=0), cap)))


class _CappedL1(MultiTaskLinearModel):
    _nonneg_params = ("alpha", "l2_reg")

    def __init__(self, alpha=0.1, *, cap=1.0, n_stages=10, l2_reg=0.0, fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=1000, warm_start=False, solver="auto",
                 device=None, verbose=0):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        c = self.cap
        if (not isinstance(c, numbers.Real) or isinstance(c, bool) or not np.isfinite(c)
                or not c > 0):
            raise ValueError(f"cap must be a finite number > 0, got {c!r}.")
        n = self.n_stages
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n_stages must be an int >= 1, got {n!r}.")

    def _make_penalty(self, n_features, n_tasks):
        # The first stage's (a lasso): what alpha_max and the solver choice read.
        return L1(self.alpha, self.l2_reg)

    def _stage_penalty(self, free):
        if not free.any():
            return L1(self.alpha, self.l2_reg)
        return RowWeightedL1(self.alpha, (~free).astype(np.float64), self.l2_reg)

    def _free(self, W):
        """Features above the cap (``W`` the solver's, (n_features, n_tasks), user's units)."""
        return np.abs(np.asarray(W, dtype=np.float64)).sum(axis=1) > self.cap

    def _objective(self, datafit, W, b):
        """The capped objective in the user's units (``W``, ``b`` centered, user's units)."""
        scaling = datafit.data.scaling
        Wi, bi = scaling.to_internal(W, b)
        value = scaling.objective_to_user(float(datafit.value(Wi, bi)))
        return saturated(value + capped_l1_value(np.asarray(W).T, self.alpha, self.cap)
                         + elastic_value(self.l2_reg, W))

    def _fit_solution(self, data, datafit, W, b, *, n_features, warm, xp):
        """Multi-stage reweighted lassos from ``(W, b)``: a :class:`Solution`.

        Each stage majorises the capped penalty at the previous stage's
        solution (``min(u, cap)`` is concave in ``u = ||W[j]||_1``: its tangent
        is ``u`` below the cap and constant above), so the capped objective
        never increases from one exactly solved stage to the next. The stages
        stop when the set of features above the cap repeats (the next stage
        would be the same problem).
        """
        # A cold start is a plain lasso; a warm one continues from the previous fit's set.
        free = self._free(W) if warm else np.zeros(n_features, dtype=bool)
        objectives, gaps, n_iter, solver = [], [], 0, None
        for _ in range(self.n_stages):
            W, b, it, gap, solver = self._solve(datafit, self._stage_penalty(free), W, b,
                                                xp=xp, stacklevel=5)
            n_iter += it
            gaps.append(data.scaling.objective_to_user(gap))
            objectives.append(self._objective(datafit, W, b))
            new = self._free(W)
            if np.array_equal(new, free):
                break
            free = new
        extra = (len(objectives), np.array(objectives), np.array(gaps), free)
        return Solution(W, b, n_iter, gaps[-1], solver, extra=extra)

    def _set_extra(self, extra):
        self.n_stages_, self.stage_objectives_, self.stage_gaps_, free = extra
        self.unpenalized_features_ = np.flatnonzero(free)


class CappedL1Regressor(MultiTaskRegressorMixin, _CappedL1):
    """Multi-task regression with the capped l1,l1 penalty (multi-stage MTFL).

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b}  F(coef, b)  +  alpha * sum_j min(||coef[:, j]||_1, cap)  +  l2_reg / 2 ||coef||_F^2

    Each feature pays the lasso's price on its weights across tasks until
    their l1 norm reaches ``cap``, then nothing more: large coefficients are
    not shrunk (the lasso's bias), small ones are still zeroed, and features
    tend to be kept or dropped for all tasks. Non-convex; fitted by Gong, Ye
    and Zhang's multi-stage algorithm: stage 1 is the lasso; stage ``l + 1``
    is the lasso with the features whose ``||coef[:, j]||_1 > cap`` at stage
    ``l`` left unpenalised (a majorise-minimise step: the capped objective
    never increases), warm started from stage ``l``. Every stage is solved to
    a certified duality gap (``stage_gaps_``; the unpenalised features are
    minimised out before each gap, see
    :class:`~mtlclassic.penalties.RowWeightedL1`). The stages stop after
    ``n_stages`` or when the set of features above the cap repeats. The
    result is a stationary point, not necessarily a global minimum.

    MALSAR: ``Least_msmtfl_capL1(X, Y, lambda, theta)`` minimises ``2 S(W) +
    lambda sum_j min(||W[:, j]||_1, theta)``, ``S`` the half sum of squared
    residuals: ``alpha=lambda``, ``cap=theta``, ``task_weights=2 * n_t``,
    ``fit_intercept=False``.

    Parameters
    ----------
    alpha : float, default=0.1
        Strength of the capped l1 penalty, ``>= 0``. The first stage gives
        ``coef = 0`` for ``alpha >= alpha_max(X, y, penalty="l1")``, and then
        so does every stage.
    cap : float, default=1.0
        ``> 0``, in the units of the coefficients: a feature whose weights
        across tasks sum (in absolute value) beyond ``cap`` is not penalised
        further. A large ``cap`` is the lasso; a small one leaves every
        selected feature unshrunk.
    n_stages : int, default=10
        Largest number of stages (reweighted lassos), ``>= 1``; 1 is the lasso.
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 ||coef||_F^2`` added to the penalty, ``>= 0``.
        The classifier's default is ``1e-3``: the logistic loss has no minimum
        along an unpenalised feature that separates the classes, and the
        elastic term keeps its weights finite.

    Attributes
    ----------
    n_stages_ : int
        Stages run.
    stage_objectives_ : ndarray of shape (n_stages_,)
        The capped objective after each stage (non-increasing up to the
        stages' tolerance).
    stage_gaps_ : ndarray of shape (n_stages_,)
        Each stage's duality gap, for its weighted lasso; ``dual_gap_`` is the
        last one.
    unpenalized_features_ : ndarray of int
        The features above the cap after the last stage (unpenalised at the
        next one).

    References
    ----------
    Gong, P., Ye, J. and Zhang, C. (2012). Multi-stage multi-task feature
    learning. NeurIPS.
    Zhang, T. (2010). Analysis of multi-stage convex relaxation for sparse
    regularization. JMLR 11.
    """


class CappedL1Classifier(MultiTaskClassifierMixin, _CappedL1):
    """Multi-task logistic regression with the capped l1,l1 penalty (multi-stage MTFL).
    """

    # The regressor's signature with the logistic loss's default strength (0.01, as the
    # lasso's: see tests/test_common.py::test_defaults_fit_useful_models) and an elastic term:
    # the logistic loss has no minimum along an unpenalised feature that separates the
    # classes (its weights grow without bound; scikit-learn's checks hit it at once).
    def __init__(self, alpha=0.01, *, cap=1.0, n_stages=10, l2_reg=1e-3, fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=1000, warm_start=False, solver="auto",
                 device=None, verbose=0):
        store_params(self, locals())


CAPPED_L1 = declare(
    "capped-l1", CappedL1Regressor, CappedL1Classifier,
    description="capped l1,l1, multi-stage (MSMTFL, Gong et al. 2012)",
    # The cap is searched too: a cap below the features' column l1 norms (sums over every task)
    # frees them all, and on tasks with fewer rows than features the free least squares is
    # not unique (School at 20 %: test nMSE 3e31 at the estimator's default cap=1).
    grid=product_grid(alpha_max_grid(("alpha", "l1")), fixed_grid(cap=(10.0, 100.0, 1000.0))))
