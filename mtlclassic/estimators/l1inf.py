"""The l1/l-inf (block infinity norm) multi-task regressor and classifier, its path and CV."""

from ..penalties import L1Inf
from ._base import MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin
from ._grids import alpha_max_grid
from ._path import named_path
from ._registry import declare
from .cv import _PathCV


class _L1Inf(MultiTaskLinearModel):
    def _make_penalty(self, n_features, n_tasks):
        return L1Inf(self.alpha, self.l2_reg)


class L1InfRegressor(MultiTaskRegressorMixin, _L1Inf):
    """Multi-task regression with the l1/l-inf penalty.

    Objective, with ``coef`` of shape (n_tasks, n_features) (``w_t`` its rows,
    ``coef[:, j]`` feature j across tasks), sample weights ``s_i`` and task
    weights ``tau_t``::

        min_{coef, b}  sum_t tau_t / (2 sum_{i in t} s_i) * sum_{i in t} s_i (y_i - x_i . w_t - b_t)^2
                       + alpha * sum_j max_t |coef[t, j]|  +  l2_reg / 2 ||coef||_F^2

    i.e. the sum over tasks of each task's (weighted) mean squared error, plus
    the penalty. In the shared layout missing targets (NaN in ``Y``) drop out of
    their task's mean.

    Each feature costs its largest absolute weight over tasks: features are
    selected jointly and, once selected, tasks' weights are free up to that
    size (they tend to share magnitudes). The prox projects each feature's
    weights on an l1 ball (``O(T log T)``); the dual norm is
    ``max_j ||G[:, j]||_1``.

    Parameters
    ----------
    alpha : float, default=0.1
        Strength of the l1/l-inf penalty, ``>= 0``. ``coef = 0`` for
        ``alpha >= alpha_max(X, y, penalty="l1inf")`` (see :func:`mtlclassic.alpha_max`).
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

    References
    ----------
    Quattoni, A., Carreras, X., Collins, M. and Darrell, T. (2009). An
    efficient projection for l1,inf regularization. ICML.
    Liu, H., Palatucci, M. and Zhang, J. (2009). Blockwise coordinate descent
    procedures for the multi-task lasso. ICML.
    """
    _loss = "squared"


class L1InfClassifier(MultiTaskClassifierMixin, _L1Inf):
    """Multi-task logistic regression with the l1/l-inf penalty.

    Objective, with ``coef`` of shape (n_tasks, n_features) (``w_t`` its rows,
    ``coef[:, j]`` feature j across tasks), sample weights ``s_i`` and task
    weights ``tau_t``::

        min_{coef, b}  sum_t tau_t / (sum_{i in t} s_i) * sum_{i in t} s_i log(1 + exp(-y_i (x_i . w_t + b_t)))
                       + alpha * sum_j max_t |coef[t, j]|  +  l2_reg / 2 ||coef||_F^2

    i.e. the sum over tasks of each task's (weighted) mean logistic loss, labels
    ``classes_`` mapped to ``y in {-1, +1}``, plus the penalty. In the shared
    layout missing targets (NaN in ``Y``) drop out of their task's mean.

    Each feature costs its largest absolute weight over tasks: features are
    selected jointly and, once selected, tasks' weights are free up to that
    size (they tend to share magnitudes). The prox projects each feature's
    weights on an l1 ball (``O(T log T)``); the dual norm is
    ``max_j ||G[:, j]||_1``.

    Parameters
    ----------
    alpha : float, default=0.1
        Strength of the l1/l-inf penalty, ``>= 0``. ``coef = 0`` for
        ``alpha >= alpha_max(X, y, penalty="l1inf")`` (see :func:`mtlclassic.alpha_max`).
        The default 0.1: ``coef != 0`` as soon as one feature's covariance with one
        task's 0/1 labels exceeds it (a correlation of 0.2 for balanced classes, 0.4
        at 6% positives).
        Not the other classifiers' 0.01: this ``alpha_max`` adds the tasks'
        (about ``T`` times the lasso's), so 0.1 is still a few percent of it
        from ten tasks on. One task makes this model the lasso.
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
    classes_ : ndarray of shape (2,)
        The two labels, common to all tasks.

    References
    ----------
    Quattoni, A., Carreras, X., Collins, M. and Darrell, T. (2009). An
    efficient projection for l1,inf regularization. ICML.
    Liu, H., Palatucci, M. and Zhang, J. (2009). Blockwise coordinate descent
    procedures for the multi-task lasso. ICML.
    """
    _loss = "logistic"


class L1InfRegressorCV(MultiTaskRegressorMixin, _PathCV):
    """L1InfRegressor with ``alpha`` chosen by cross-validation along its path.

    The objective is that of :class:`~mtlclassic.L1InfRegressor`; the search is
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

    See Also
    --------
    mtlclassic.L1InfRegressor : the model at a fixed alpha.
    """
    _estimator = L1InfRegressor


class L1InfClassifierCV(MultiTaskClassifierMixin, _PathCV):
    """L1InfClassifier with ``alpha`` chosen by cross-validation along its path.

    The objective is that of :class:`~mtlclassic.L1InfClassifier`; the search is
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
    classes_ : ndarray of shape (2,)

    See Also
    --------
    mtlclassic.L1InfClassifier : the model at a fixed alpha.
    """
    _estimator = L1InfClassifier


def l1inf_path(X, y, *, alphas=None, n_alphas=100, eps=1e-3, loss="squared", task_column=None,
               fit_intercept=True, task_weights=None, sample_weight=None, l2_reg=0.0, tol=1e-4,
               max_iter=1000, solver="auto"):
    """l1/l-inf regularisation path.

    :func:`~mtlclassic.regularization_path` of :class:`~mtlclassic.L1InfRegressor` (or
    ``...Classifier`` with ``loss="logistic"``): penalty ``alpha * sum_j max_t |coef[t, j]|``.

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
    return named_path(L1INF, X, y, loss=loss, alphas=alphas, n_alphas=n_alphas, eps=eps,
                      sample_weight=sample_weight, task_column=task_column,
                      fit_intercept=fit_intercept, task_weights=task_weights, l2_reg=l2_reg,
                      tol=tol, max_iter=max_iter, solver=solver)


L1INF = declare(
    "l1inf", L1InfRegressor, L1InfClassifier, description="l1/l-inf block norm",
    grid=alpha_max_grid(("alpha", "l1inf")), strengths=("alpha",),
    alpha_max_names={"l1inf": "alpha"}, path=l1inf_path, cv=(L1InfRegressorCV, L1InfClassifierCV))
