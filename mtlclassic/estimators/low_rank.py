"""Trace-norm (low-rank) multi-task models."""

import numpy as np

from ..penalties import TraceNorm
from ._base import (MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin,
                    store_params)
from ._grids import alpha_max_grid
from ._path import named_path
from ._registry import declare
from .cv import _PathCV


class _TraceNorm(MultiTaskLinearModel):
    def _make_penalty(self, n_features, n_tasks):
        return TraceNorm(self.alpha, self.l2_reg)

    def _set_coef(self, W, n_features):
        super()._set_coef(W, n_features)
        s = (np.linalg.svd(W.astype(np.float64), compute_uv=False) if W.size
             else np.zeros(0))
        self.rank_ = int(np.sum(s > 1e-8 * s[0])) if s.size and s[0] > 0 else 0


class TraceNormRegressor(MultiTaskRegressorMixin, _TraceNorm):
    """Multi-task regression with a trace-norm (low-rank) penalty.

    Objective, with ``coef`` of shape (n_tasks, n_features) (``w_t`` its rows,
    ``coef[:, j]`` feature j across tasks), sample weights ``s_i`` and task
    weights ``tau_t``::

        min_{coef, b}  sum_t tau_t / (2 sum_{i in t} s_i) * sum_{i in t} s_i (y_i - x_i . w_t - b_t)^2
                       + alpha * ||coef||_*  +  l2_reg / 2 ||coef||_F^2

    i.e. the sum over tasks of each task's (weighted) mean squared error, plus
    the penalty. In the shared layout missing targets (NaN in ``Y``) drop out of
    their task's mean.

    ``||coef||_*`` is the sum of the singular values of ``coef``: tasks are pushed
    to share a low-dimensional subspace of coefficient vectors. Solved by
    FISTA with singular value shrinkage as the prox; the duality gap uses
    the spectral norm as dual norm. ``rank_`` counts the singular values of
    ``coef_`` above ``1e-8`` times the largest.
    MALSAR: ``Least_Trace``.

    Parameters
    ----------
    alpha : float, default=0.1
        Strength of the trace (nuclear) norm, ``>= 0``. ``coef = 0`` for
        ``alpha >= alpha_max(X, y, penalty="trace")``.
        The default 0.1: ``coef != 0`` as soon as one feature's covariance with one
        task's target exceeds it (a correlation of 0.1 for standardised ``X`` and
        ``y``).
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 ||coef||_F^2`` added to the penalty (MALSAR's
        ``rho_L2``), ``>= 0``.
    fit_intercept, task_column, unseen_tasks, task_weights, tol, max_iter, warm_start
        The parameters shared by the linear estimators: see
        ``docs/parameters.md`` (:ref:`linear-estimators`).
    solver, device, verbose
        As above.

    Attributes
    ----------
    coef_, intercept_, tasks_, n_tasks_, n_features_in_, feature_names_in_, n_iter_
        The attributes shared by the linear estimators: see
        ``docs/parameters.md`` (:ref:`linear-estimators`).
    dual_gap_, solver_, device_
        As above.
    rank_ : int
        Numerical rank of ``coef_``.

    References
    ----------
    Argyriou, A., Evgeniou, T. and Pontil, M. (2008). Convex multi-task feature
    learning. Machine Learning 73(3).
    Ji, S. and Ye, J. (2009). An accelerated gradient method for trace norm
    minimization. ICML.
    """
    _loss = "squared"


class TraceNormClassifier(MultiTaskClassifierMixin, _TraceNorm):
    """Multi-task logistic regression with a trace-norm penalty.

    Objective, with ``coef`` of shape (n_tasks, n_features) (``w_t`` its rows,
    ``coef[:, j]`` feature j across tasks), sample weights ``s_i`` and task
    weights ``tau_t``::

        min_{coef, b}  sum_t tau_t / (sum_{i in t} s_i) * sum_{i in t} s_i log(1 + exp(-y_i (x_i . w_t + b_t)))
                       + alpha * ||coef||_*  +  l2_reg / 2 ||coef||_F^2

    i.e. the sum over tasks of each task's (weighted) mean logistic loss, labels
    ``classes_`` mapped to ``y in {-1, +1}``, plus the penalty. In the shared
    layout missing targets (NaN in ``Y``) drop out of their task's mean.

    ``||coef||_*`` is the sum of the singular values of ``coef``: tasks are pushed
    to share a low-dimensional subspace of coefficient vectors. Solved by
    FISTA with singular value shrinkage as the prox; the duality gap uses
    the spectral norm as dual norm. ``rank_`` counts the singular values of
    ``coef_`` above ``1e-8`` times the largest.
    MALSAR: ``Logistic_Trace``.

    Parameters
    ----------
    alpha : float, default=0.01
        Strength of the trace (nuclear) norm, ``>= 0``. ``coef = 0`` for
        ``alpha >= alpha_max(X, y, penalty="trace")``.
        The default 0.01: ``coef != 0`` as soon as one feature's covariance with one
        task's 0/1 labels exceeds it (a correlation of 0.02 for balanced classes, 0.04
        at 6% positives).
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 ||coef||_F^2`` added to the penalty (MALSAR's
        ``rho_L2``), ``>= 0``.
    fit_intercept, task_column, unseen_tasks, task_weights, tol, max_iter, warm_start
        The parameters shared by the linear estimators: see
        ``docs/parameters.md`` (:ref:`linear-estimators`).
    solver, device, verbose
        As above.

    Attributes
    ----------
    coef_, intercept_, tasks_, n_tasks_, n_features_in_, feature_names_in_, n_iter_
        The attributes shared by the linear estimators: see
        ``docs/parameters.md`` (:ref:`linear-estimators`).
    dual_gap_, solver_, device_
        As above.
    rank_ : int
        Numerical rank of ``coef_``.
    classes_ : ndarray of shape (2,)
        The two labels, common to all tasks.

    References
    ----------
    Argyriou, A., Evgeniou, T. and Pontil, M. (2008). Convex multi-task feature
    learning. Machine Learning 73(3).
    Ji, S. and Ye, J. (2009). An accelerated gradient method for trace norm
    minimization. ICML.
    """
    _loss = "logistic"

    # The regressor's signature with the logistic loss's default strength (0.01: see
    # tests/test_common.py::test_defaults_fit_useful_models for the measurements).
    def __init__(self, alpha=0.01, *, l2_reg=0.0, fit_intercept=True, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=1000,
                 warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())


class TraceNormRegressorCV(MultiTaskRegressorMixin, _PathCV):
    """TraceNormRegressor with ``alpha`` chosen by cross-validation along its path.

    The objective is that of :class:`~mtlclassic.TraceNormRegressor`; the search is
    scikit-learn's ``LassoCV``'s (:ref:`cv-estimators` in ``docs/parameters.md``).

    Parameters
    ----------
    alphas, n_alphas, eps, cv, n_jobs
        The parameters shared by the CV estimators: see ``docs/parameters.md``
        (:ref:`cv-estimators`).
    scoring : str or callable, default=None
        ``None``: the held-out mean squared error. Otherwise any scikit-learn
        scorer, evaluated on the fold's model at each alpha (higher is
        better), stored in ``score_path_``.
    l2_reg, fit_intercept, task_column, unseen_tasks, task_weights, tol, max_iter
        The parameters shared by the CV estimators: see ``docs/parameters.md``
        (:ref:`cv-estimators`).
    solver, device, verbose
        As above.

    Warns
    -----
    ConvergenceWarning
        At most one for all the path fits of all folds (:ref:`cv-estimators`).

    Attributes
    ----------
    alpha_, alphas_
        The attributes shared by the CV estimators: see ``docs/parameters.md``
        (:ref:`cv-estimators`).
    mse_path_ : ndarray of shape (n_alphas, n_folds)
        Held-out mean squared error, per alpha (and l1 ratio) and fold:
        each task's mean over its observed held-out targets, averaged over
        tasks with the task weights (with equal weights and no missing
        target, scikit-learn's ``MultiTaskLassoCV.mse_path_``). ``alpha_``
        minimises its mean over folds.
    score_path_ : ndarray
        Instead of ``mse_path_`` when ``scoring`` is given: the scorer's
        values, maximised.
    coef_, intercept_, n_iter_, dual_gap_, tasks_, n_tasks_, n_features_in_
        The attributes shared by the CV estimators: see ``docs/parameters.md``
        (:ref:`cv-estimators`).
    feature_names_in_, solver_
        As above.
    rank_ : int
        Numerical rank of ``coef_``.

    See Also
    --------
    mtlclassic.TraceNormRegressor : the model at a fixed alpha.
    """
    _estimator = TraceNormRegressor


class TraceNormClassifierCV(MultiTaskClassifierMixin, _PathCV):
    """TraceNormClassifier with ``alpha`` chosen by cross-validation along its path.

    The objective is that of :class:`~mtlclassic.TraceNormClassifier`; the search is
    scikit-learn's ``LassoCV``'s (:ref:`cv-estimators` in ``docs/parameters.md``).

    Parameters
    ----------
    alphas, n_alphas, eps, cv, n_jobs
        The parameters shared by the CV estimators: see ``docs/parameters.md``
        (:ref:`cv-estimators`).
    scoring : str or callable, default=None
        ``None``: the held-out accuracy, averaged over tasks. Otherwise any scikit-learn
        scorer, evaluated on the fold's model at each alpha (higher is
        better), stored in ``score_path_``.
    l2_reg, fit_intercept, task_column, unseen_tasks, task_weights, tol, max_iter
        The parameters shared by the CV estimators: see ``docs/parameters.md``
        (:ref:`cv-estimators`).
    solver, device, verbose
        As above.

    Warns
    -----
    ConvergenceWarning
        At most one for all the path fits of all folds (:ref:`cv-estimators`).

    Attributes
    ----------
    alpha_, alphas_
        The attributes shared by the CV estimators: see ``docs/parameters.md``
        (:ref:`cv-estimators`).
    score_path_ : ndarray of shape (n_alphas, n_folds)
        Held-out accuracy per alpha (and l1 ratio) and fold: each task's
        accuracy, averaged over tasks with the task weights (or the
        ``scoring``). ``alpha_`` maximises its mean over folds.
    coef_, intercept_, n_iter_, dual_gap_, tasks_, n_tasks_, n_features_in_
        The attributes shared by the CV estimators: see ``docs/parameters.md``
        (:ref:`cv-estimators`).
    feature_names_in_, solver_
        As above.
    rank_ : int
        Numerical rank of ``coef_``.
    classes_ : ndarray of shape (2,)

    See Also
    --------
    mtlclassic.TraceNormClassifier : the model at a fixed alpha.
    """
    _estimator = TraceNormClassifier


def trace_norm_path(X, y, *, alphas=None, n_alphas=100, eps=1e-3, loss="squared",
                    task_column=None, fit_intercept=True, task_weights=None, sample_weight=None,
                    l2_reg=0.0, tol=1e-4, max_iter=1000, solver="auto"):
    """Trace-norm (low-rank) regularisation path.

    :func:`~mtlclassic.regularization_path` of :class:`~mtlclassic.TraceNormRegressor` (or
    ``...Classifier`` with ``loss="logistic"``): penalty ``alpha * ||coef||_*``.

    Parameters
    ----------
    X, y, alphas, n_alphas, eps
        As in :func:`~mtlclassic.regularization_path`.
    loss : {"squared", "logistic"}, default="squared"
        The datafit, hence the estimator fitted.
    task_column, fit_intercept, task_weights, sample_weight, l2_reg, tol, max_iter, solver
        As in the estimator's constructor and ``fit``.

    Returns
    -------
    path : PathResult
        As :func:`~mtlclassic.regularization_path` returns it.
    """
    return named_path(TRACE_NORM, X, y, loss=loss, alphas=alphas, n_alphas=n_alphas, eps=eps,
                      sample_weight=sample_weight, task_column=task_column,
                      fit_intercept=fit_intercept, task_weights=task_weights, l2_reg=l2_reg,
                      tol=tol, max_iter=max_iter, solver=solver)


TRACE_NORM = declare(
    "trace-norm", TraceNormRegressor, TraceNormClassifier, description="low rank (trace norm)",
    grid=alpha_max_grid(("alpha", "trace")), strengths=("alpha",),
    alpha_max_names={"trace": "alpha"}, path=trace_norm_path,
    cv=(TraceNormRegressorCV, TraceNormClassifierCV))
