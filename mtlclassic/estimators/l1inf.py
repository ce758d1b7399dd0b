"""The l1/l-inf (block infinity norm) multi-task regressor and classifier, its path and CV."""

from ..penalties import L1Inf
from ._base import MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin
from ._grids import alpha_max_grid
from ._path import path_function
from ._registry import declare
from .cv import _PathCV


class _L1Inf(MultiTaskLinearModel):
    def _make_penalty(self, n_features, n_tasks):
        return L1Inf(self.alpha, self.l2_reg)


class L1InfRegressor(MultiTaskRegressorMixin, _L1Inf):
    """Multi-task regression with the l1/l-inf penalty.

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b}  F(coef, b)  +  alpha * sum_j max_t |coef[t, j]|  +  l2_reg / 2 ||coef||_F^2

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
        Its default, per loss: ``docs/parameters.md`` (:ref:`default-strengths`).
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 ||coef||_F^2`` added to the penalty (MALSAR's
        ``rho_L2``), ``>= 0``.

    References
    ----------
    Turlach, B. A., Venables, W. N. and Wright, S. J. (2005). Simultaneous
    variable selection. Technometrics 47(3).
    Liu, H., Palatucci, M. and Zhang, J. (2009). Blockwise coordinate descent
    procedures for the multi-task lasso. ICML.
    """


class L1InfClassifier(MultiTaskClassifierMixin, _L1Inf):
    """Multi-task logistic regression with the l1/l-inf penalty.
    """


class L1InfRegressorCV(MultiTaskRegressorMixin, _PathCV):
    _estimator = L1InfRegressor


class L1InfClassifierCV(MultiTaskClassifierMixin, _PathCV):
    _estimator = L1InfClassifier


l1inf_path = path_function(
    "l1inf_path", L1InfRegressor,
    "l1/l-inf regularisation path.",
    penalty="alpha * sum_j max_t |coef[t, j]|")


L1INF = declare(
    "l1inf", L1InfRegressor, L1InfClassifier, description="l1/l-inf block norm",
    grid=alpha_max_grid(("alpha", "l1inf")), strengths=("alpha",),
    alpha_max_names={"l1inf": "alpha"}, path=l1inf_path, cv=(L1InfRegressorCV, L1InfClassifierCV))
