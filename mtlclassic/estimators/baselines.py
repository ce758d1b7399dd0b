"""The two baselines of every MTL comparison: independent ridge models and one pooled model."""

from ..penalties import Pooled, Ridge
from ._base import (MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin,
                    store_params)
from ._grids import RIDGE_ALPHAS, fixed_grid, per_task_grid
from ._registry import declare


class _Baseline(MultiTaskLinearModel):
    """No elastic term of their own: the penalty already is one (``alpha > 0``)."""

    _nonneg_params = ()
    _positive_params = ("alpha",)

    def __init__(self, alpha=1.0, *, fit_intercept=True, intercept_shrinkage=0.0, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=1000,
                 warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())


class _Ridge(_Baseline):
    def _make_penalty(self, n_features, n_tasks):
        return Ridge(self.alpha)


class RidgeRegressor(MultiTaskRegressorMixin, _Ridge):
    """Independent ridge regressions, one per task.

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b}  F(coef, b)  +  alpha / 2 ||coef||_F^2

    The tasks share nothing: one ridge model per task, fitted together (the
    single-task baseline). In the shared layout task t's model is
    scikit-learn's ``Ridge(alpha=n * alpha)`` on column t (its loss is a sum,
    ours a mean).

    Parameters
    ----------
    alpha : float, default=1.0
        Ridge strength, ``> 0`` (the duality gap that certifies the solution
        needs it positive). The default 1.0: a ridge penalty shrinks ``coef`` but
        never zeroes it, and strong shrinkage (scikit-learn's ``Ridge(alpha=n)``
        in mean-loss units) suits small noisy tasks (School: it beats 0.1).
    """


class RidgeClassifier(MultiTaskClassifierMixin, _Ridge):
    """Independent l2-penalised logistic regressions, one per task.

    The tasks share nothing: in the shared layout task t's model is
    scikit-learn's ``LogisticRegression(C=1 / (n * alpha))`` on column t.
    Unlike scikit-learn's ``RidgeClassifier`` (least squares on +-1
    labels), the loss is logistic, so ``predict_proba`` is available.
    """


class _Pooled(_Baseline):
    def _make_penalty(self, n_features, n_tasks):
        return Pooled(self.alpha, n_tasks)


class PooledRegressor(MultiTaskRegressorMixin, _Pooled):
    """One ridge regression shared by all tasks (per-task intercepts).

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b}  F(coef, b)  +  alpha / 2 ||w||_2^2   subject to  w_t = w for every task t

    One coefficient vector for all tasks (every row of ``coef_`` is equal),
    each task keeping its own intercept: the "pool everything" baseline.
    Each task's loss is still its mean, so a large task does not dominate.

    Parameters
    ----------
    alpha : float, default=1.0
        Ridge strength on the shared weights ``w``, ``> 0``. The default 1.0:
        it never zeroes ``w``, and every task's rows inform the one ``w``, so
        the strength matters little (School: the same fit from 0.01 to 1).
    """


class PooledClassifier(MultiTaskClassifierMixin, _Pooled):
    """One l2-penalised logistic regression shared by all tasks.
    """


RIDGE = declare("ridge", RidgeRegressor, RidgeClassifier, family="baseline",
                description="single-task ridge, one per task", grid=fixed_grid(alpha=RIDGE_ALPHAS))
POOLED = declare("pooled", PooledRegressor, PooledClassifier, family="baseline",
                 description="one ridge model pooled over tasks",
                 grid=per_task_grid("alpha", (1e-3, 1e-2, 1e-1, 1.0)))
