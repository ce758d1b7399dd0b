"""Group lasso (l2,1, joint feature selection) multi-task regressor and classifier."""

from ..penalties import L21
from ._base import (MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin,
                    store_params)
from ._docs import DEFAULT_ALPHA, L2_REG, default_note, estimator_doc
from ._grids import alpha_max_grid
from ._path import named_path, path_doc
from ._registry import declare
from .cv import _PathCV, cv_doc

_PENALTY = "alpha * sum_j ||W[:, j]||_2  +  l2_reg / 2 ||W||_F^2"


def _params(loss):
    value = DEFAULT_ALPHA[loss]
    return f"""    alpha : float, default={value}
        Strength of the l2,1 penalty, ``>= 0``. ``W = 0`` for
        ``alpha >= alpha_max(X, y)`` (see :func:`mtlclassic.alpha_max`).
""" + default_note(loss) + L2_REG


_REFS = """    Obozinski, G., Taskar, B. and Jordan, M. (2010). Joint covariate selection
    and joint subspace selection for multiple classification problems.
    Statistics and Computing 20(2).
    Argyriou, A., Evgeniou, T. and Pontil, M. (2008). Convex multi-task feature
    learning. Machine Learning 73(3).
"""


class _GroupLasso(MultiTaskLinearModel):
    def _make_penalty(self, n_features, n_tasks):
        return L21(self.alpha, self.l2_reg)


class GroupLassoRegressor(MultiTaskRegressorMixin, _GroupLasso):
    __doc__ = estimator_doc(
        "Multi-task linear regression with the l2,1 (group lasso) penalty.", _PENALTY, "squared",
        _params("squared"), notes="""
    The l2 norm of each feature's weights across tasks selects features for
    all tasks jointly. In the shared layout without weights (and
    ``l2_reg=0``) this is exactly scikit-learn's ``MultiTaskLasso``
    objective ``1/(2n) ||Y - X W^T||_F^2 + alpha ||W||_21``. MALSAR:
    ``Least_L21``.
""", references=_REFS)

    _loss = "squared"


class GroupLassoClassifier(MultiTaskClassifierMixin, _GroupLasso):
    __doc__ = estimator_doc(
        "Multi-task logistic regression with the l2,1 (group lasso) penalty.", _PENALTY,
        "logistic", _params("logistic"), notes="""
    Each task is a binary problem. MALSAR: ``Logistic_L21``.
""", references=_REFS)

    _loss = "logistic"

    # The regressor's signature with the logistic loss's default strength (DEFAULT_ALPHA).
    def __init__(self, alpha=0.01, *, l2_reg=0.0, fit_intercept=True, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=1000,
                 warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())


class GroupLassoRegressorCV(MultiTaskRegressorMixin, _PathCV):
    __doc__ = cv_doc("GroupLassoRegressor", "squared")
    _estimator = GroupLassoRegressor


class GroupLassoClassifierCV(MultiTaskClassifierMixin, _PathCV):
    __doc__ = cv_doc("GroupLassoClassifier", "logistic")
    _estimator = GroupLassoClassifier


def group_lasso_path(X, y, *, alphas=None, n_alphas=100, eps=1e-3, loss="squared",
                     task_column=None, fit_intercept=True, task_weights=None,
                     sample_weight=None, l2_reg=0.0, tol=1e-4, max_iter=1000, solver="auto"):
    return named_path(GROUP_LASSO, X, y, loss=loss, alphas=alphas, n_alphas=n_alphas, eps=eps,
                      sample_weight=sample_weight, task_column=task_column,
                      fit_intercept=fit_intercept, task_weights=task_weights, l2_reg=l2_reg,
                      tol=tol, max_iter=max_iter, solver=solver)


group_lasso_path.__doc__ = path_doc(
    "Group lasso (l2,1) regularisation path.", "GroupLasso", "alpha * sum_j ||W[:, j]||_2")

GROUP_LASSO = declare(
    "group-lasso", GroupLassoRegressor, GroupLassoClassifier,
    description="joint feature selection (l2,1)", grid=alpha_max_grid(("alpha", "l21")),
    strengths=("alpha",), alpha_max_names={"l21": "alpha"}, path=group_lasso_path,
    cv=(GroupLassoRegressorCV, GroupLassoClassifierCV))
