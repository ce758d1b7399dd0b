"""Group lasso (l2,1, joint feature selection) multi-task regressor and classifier."""

from ..penalties import L21
from ._base import (MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin,
                    _LogisticAlpha)
from ._grids import alpha_max_grid
from ._path import path_function
from ._registry import declare
from .cv import _PathCV


class _GroupLasso(MultiTaskLinearModel):
    def _make_penalty(self, n_features, n_tasks):
        return L21(self.alpha, self.l2_reg)


class GroupLassoRegressor(MultiTaskRegressorMixin, _GroupLasso):
    """Multi-task linear regression with the l2,1 (group lasso) penalty.

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b}  F(coef, b)  +  alpha * sum_j ||coef[:, j]||_2  +  l2_reg / 2 ||coef||_F^2

    The l2 norm of each feature's weights across tasks selects features for
    all tasks jointly. In the shared layout without weights (and
    ``l2_reg=0``) this is exactly scikit-learn's ``MultiTaskLasso``
    objective ``1/(2n) ||Y - X coef^T||_F^2 + alpha ||coef||_21``. MALSAR:
    ``Least_L21``.

    Parameters
    ----------
    alpha : float, default=0.1
        Strength of the l2,1 penalty, ``>= 0``. ``coef = 0`` for
        ``alpha >= alpha_max(X, y)`` (see :func:`mtlclassic.alpha_max`).
        Its default, per loss: ``docs/parameters.md`` (:ref:`default-strengths`).
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 ||coef||_F^2`` added to the penalty (MALSAR's
        ``rho_L2``), ``>= 0``.

    References
    ----------
    Obozinski, G., Taskar, B. and Jordan, M. (2010). Joint covariate selection
    and joint subspace selection for multiple classification problems.
    Statistics and Computing 20(2).
    Argyriou, A., Evgeniou, T. and Pontil, M. (2008). Convex multi-task feature
    learning. Machine Learning 73(3).
    """



class GroupLassoClassifier(MultiTaskClassifierMixin, _LogisticAlpha, _GroupLasso):
    """Multi-task logistic regression with the l2,1 (group lasso) penalty.

    Each task is a binary problem. MALSAR: ``Logistic_L21``.
    """



class GroupLassoRegressorCV(MultiTaskRegressorMixin, _PathCV):
    _estimator = GroupLassoRegressor


class GroupLassoClassifierCV(MultiTaskClassifierMixin, _PathCV):
    _estimator = GroupLassoClassifier


group_lasso_path = path_function(
    "group_lasso_path", GroupLassoRegressor,
    "Group lasso (l2,1) regularisation path.",
    penalty="alpha * sum_j ||coef[:, j]||_2")


GROUP_LASSO = declare(
    "group-lasso", GroupLassoRegressor, GroupLassoClassifier,
    description="joint feature selection (l2,1)", grid=alpha_max_grid(("alpha", "l21")),
    strengths=("alpha",), alpha_max_names={"l21": "alpha"}, path=group_lasso_path,
    cv=(GroupLassoRegressorCV, GroupLassoClassifierCV))
