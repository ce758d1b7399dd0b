"""Group lasso (l2,1, joint feature selection) multi-task regressor and classifier."""

import numpy as np

from .._validation import check_fit_data
from ..datafits import Logistic, Quadratic
from ..penalties import L21
from ..solvers import profile_intercept
from ._base import MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin

_COMMON_PARAMS = """
    Parameters
    ----------
    alpha : float, default=1.0
        Strength of the l2,1 penalty, ``>= 0``. See :func:`mtlclassic.alpha_max`
        for the smallest value giving an all-zero solution.
    fit_intercept : bool, default=True
        Fit one unpenalised intercept per task.
    task_column : int, str or None, default=None
        ``None``: shared design, ``y`` of shape (n_samples, n_tasks) (or 1-D
        for one task). Otherwise the column of ``X`` naming each row's task
        (an int index, negative as in numpy, or a DataFrame column name):
        per-task designs, ``y`` of shape (n_samples,).
    task_weights : array-like of shape (n_tasks,), default=None
        ``tau_t`` multiplying each task's mean loss, used as given (not
        normalised): ``task_weights = n_t`` gives MALSAR's unnormalised loss.
        Tasks are ordered as ``tasks_``.
    tol : float, default=1e-4
        Stop when the duality gap is ``<= tol`` times the objective at
        ``W = 0`` (with the best intercepts when they are fitted).
    max_iter : int, default=1000
        Maximum number of epochs (``"bcd"``) or iterations (``"fista"``).
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_`` when shapes match.
    solver : {"auto", "bcd", "fista", "cvxpy"}, default="auto"
        ``"bcd"``: numba block coordinate descent (squared loss, default);
        ``"fista"``: accelerated proximal gradient (default for logistic);
        ``"cvxpy"``: the exact reference solver (slow).
    verbose : int, default=0
        Print the duality gap as the solver runs.

    Attributes
    ----------
    coef_ : ndarray of shape (n_tasks, n_features)
        One row per task; the task column is not a feature.
    intercept_ : ndarray of shape (n_tasks,)
    tasks_ : ndarray of shape (n_tasks,)
        Task labels in the order of the rows of ``coef_`` (``0..T-1`` in the
        shared layout, the sorted labels of the task column otherwise).
    n_tasks_ : int
    n_features_in_ : int
        Number of columns of ``X`` seen in fit (task column included).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` is a DataFrame with string names.
    n_iter_ : int
        Solver iterations (epochs for ``"bcd"``).
    dual_gap_ : float
        Duality gap at the solution, in units of the objective.
    solver_ : str
        The solver used.
"""


class GroupLassoRegressor(MultiTaskRegressorMixin, MultiTaskLinearModel):
    __doc__ = r"""Multi-task linear regression with the l2,1 (group lasso) penalty.

    Objective, with ``W`` of shape (n_tasks, n_features), ``n_t`` the rows of
    task t, sample weights ``s_i`` and task weights ``tau_t``::

        min_{W, b}  sum_t tau_t / (2 sum_{i in t} s_i) * sum_{i in t} s_i (y_i - x_i . w_t - b_t)^2
                    + alpha * sum_j ||W[:, j]||_2

    i.e. the sum over tasks of each task's mean squared error, plus the l2
    norm of each feature's weights across tasks: features are selected for
    all tasks jointly. In the shared layout without weights this is exactly
    scikit-learn's ``MultiTaskLasso`` objective
    ``1/(2n) ||Y - X W^T||_F^2 + alpha ||W||_21``; missing targets (NaN in
    ``Y``) drop out of their task's mean. MALSAR: ``Least_L21``.
    """ + _COMMON_PARAMS + """
    References
    ----------
    Obozinski, G., Taskar, B. and Jordan, M. (2010). Joint covariate selection
    and joint subspace selection for multiple classification problems.
    Statistics and Computing 20(2).
    Argyriou, A., Evgeniou, T. and Pontil, M. (2008). Convex multi-task feature
    learning. Machine Learning 73(3).
    """

    _loss = "squared"

    def _make_penalty(self):
        return L21(self.alpha)


class GroupLassoClassifier(MultiTaskClassifierMixin, MultiTaskLinearModel):
    __doc__ = r"""Multi-task logistic regression with the l2,1 (group lasso) penalty.

    Each task is a binary problem with labels ``classes_`` (mapped to
    ``y in {-1, +1}``). Objective::

        min_{W, b}  sum_t tau_t / (sum_{i in t} s_i) * sum_{i in t} s_i log(1 + exp(-y_i (x_i . w_t + b_t)))
                    + alpha * sum_j ||W[:, j]||_2

    MALSAR: ``Logistic_L21``.
    """ + _COMMON_PARAMS + """    classes_ : ndarray of shape (2,)
        The two labels, common to all tasks.

    References
    ----------
    Obozinski, G., Taskar, B. and Jordan, M. (2010). Joint covariate selection
    and joint subspace selection for multiple classification problems.
    Statistics and Computing 20(2).
    """

    _loss = "logistic"

    def _make_penalty(self):
        return L21(self.alpha)


def alpha_max(X, y, *, loss="squared", task_column=None, fit_intercept=True,
              task_weights=None, sample_weight=None):
    """Smallest ``alpha`` for which the group lasso solution is ``W = 0``.

    It is ``max_j ||grad_j F(0, b*)||_2``, the l2,1 dual norm of the datafit
    gradient at zero coefficients (and the best intercepts when fitted).

    Parameters
    ----------
    X, y, task_column, task_weights, sample_weight
        As in :meth:`GroupLassoRegressor.fit`.
    loss : {"squared", "logistic"}, default="squared"
    fit_intercept : bool, default=True

    Returns
    -------
    alpha_max : float
    """
    if loss == "squared":
        est, datafit_cls = GroupLassoRegressor(task_column=task_column,
                                               task_weights=task_weights), Quadratic
    elif loss == "logistic":
        est, datafit_cls = GroupLassoClassifier(task_column=task_column,
                                                task_weights=task_weights), Logistic
    else:
        raise ValueError(f"loss must be 'squared' or 'logistic', got {loss!r}.")
    data = check_fit_data(est, X, y, sample_weight, classifier=loss == "logistic")
    datafit = datafit_cls(data)
    W0 = np.zeros((data.n_features, data.n_tasks), dtype=data.dtype)
    _, Z = profile_intercept(datafit, W0, None, fit_intercept)
    return L21(0.0).dual_norm(data.rmatvec(datafit.derivative_z(Z)))
