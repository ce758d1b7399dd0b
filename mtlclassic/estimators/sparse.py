"""Sparse multi-task models: lasso (per-task baseline) and sparse-group lasso."""

import numbers

from ..penalties import L1, SparseGroup
from ._base import (MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin,
                    _LogisticAlpha, store_params)
from ._grids import alpha_max_grid
from ._path import path_function
from ._registry import declare
from .cv import _PathCV, _SparseGroupCV


class _Lasso(MultiTaskLinearModel):
    def _make_penalty(self, n_features, n_tasks):
        return L1(self.alpha, self.l2_reg)


class LassoRegressor(MultiTaskRegressorMixin, _Lasso):
    """Independent lasso regressions, one per task.

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b}  F(coef, b)  +  alpha * sum_tj |coef[t, j]|  +  l2_reg / 2 ||coef||_F^2

    The tasks share nothing: this is one lasso (elastic net with
    ``l2_reg``) per task, fitted together -- the single-task baseline of MTL
    comparisons. Each task's loss is its mean, so in the shared layout task
    t's model is scikit-learn's ``Lasso(alpha)`` on column t.
    MALSAR: ``Least_Lasso``.

    Parameters
    ----------
    alpha : float, default=0.1
        Strength of the l1 penalty, ``>= 0``. ``coef = 0`` for
        ``alpha >= alpha_max(X, y, penalty="l1")`` (see :func:`mtlclassic.alpha_max`).
        Its default, per loss: ``docs/parameters.md`` (:ref:`default-strengths`).
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 ||coef||_F^2`` added to the penalty (MALSAR's
        ``rho_L2``), ``>= 0``.

    References
    ----------
    Tibshirani, R. (1996). Regression shrinkage and selection via the lasso.
    JRSS B 58(1).
    """


class LassoClassifier(MultiTaskClassifierMixin, _LogisticAlpha, _Lasso):
    """Independent l1-penalised logistic regressions, one per task.

    The tasks share nothing: this is one lasso (elastic net with
    ``l2_reg``) per task, fitted together -- the single-task baseline of MTL
    comparisons. Each task's loss is its mean, so in the shared layout task
    t's model is scikit-learn's ``Lasso(alpha)`` on column t.
    MALSAR: ``Logistic_Lasso``.
    """


class LassoRegressorCV(MultiTaskRegressorMixin, _PathCV):
    _estimator = LassoRegressor


class LassoClassifierCV(MultiTaskClassifierMixin, _PathCV):
    _estimator = LassoClassifier


lasso_path = path_function(
    "lasso_path", LassoRegressor,
    "Lasso regularisation path of independent tasks, fitted together.",
    penalty="alpha * sum_tj |coef[t, j]|")


LASSO = declare(
    "lasso", LassoRegressor, LassoClassifier, description="independent lasso per task",
    grid=alpha_max_grid(("alpha", "l1")), strengths=("alpha",), alpha_max_names={"l1": "alpha"},
    path=lasso_path, cv=(LassoRegressorCV, LassoClassifierCV))


class _SparseGroupLasso(MultiTaskLinearModel):
    def __init__(self, alpha=0.1, *, l1_ratio=0.5, l2_reg=0.0, fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=1000, warm_start=False, solver="auto",
                 device=None, verbose=0):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        r = self.l1_ratio
        if isinstance(r, bool) or not isinstance(r, numbers.Real) or not 0.0 <= r <= 1.0:
            raise ValueError(f"l1_ratio must be a number in [0, 1], got {r!r}.")

    def _make_penalty(self, n_features, n_tasks):
        return SparseGroup(self.alpha, self.l1_ratio, self.l2_reg)


class SparseGroupLassoRegressor(MultiTaskRegressorMixin, _SparseGroupLasso):
    """Multi-task regression with the sparse-group lasso penalty.

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b}  F(coef, b)  +  alpha * sum_j (l1_ratio ||coef[:, j]||_1 + (1 - l1_ratio) ||coef[:, j]||_2)  +  l2_reg / 2 ||coef||_F^2

    Features are selected jointly (the group term) and, within a selected
    feature, tasks may still have zero weights (the l1 term). The duality
    gap uses the closed-form dual norm of the sparse-group norm (Ndiaye et
    al. 2016).

    Parameters
    ----------
    alpha : float, default=0.1
        Strength of the sparse-group penalty, ``>= 0``. ``coef = 0`` for
        ``alpha >= alpha_max(X, y, penalty="sparse_group")`` (see :func:`mtlclassic.alpha_max`).
        Its default, per loss: ``docs/parameters.md`` (:ref:`default-strengths`).
    l1_ratio : float, default=0.5
        Share of the l1 term, in ``[0, 1]``: 0 is the group lasso, 1 the lasso.
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 ||coef||_F^2`` added to the penalty (MALSAR's
        ``rho_L2``), ``>= 0``.

    References
    ----------
    Simon, N., Friedman, J., Hastie, T. and Tibshirani, R. (2013). A sparse-group
    lasso. J. Comput. Graph. Stat. 22(2).
    Ndiaye, E., Fercoq, O., Gramfort, A. and Salmon, J. (2016). GAP safe
    screening rules for sparse-group lasso. NeurIPS.
    """


class SparseGroupLassoClassifier(MultiTaskClassifierMixin, _SparseGroupLasso):
    """Multi-task logistic regression with the sparse-group lasso penalty.
    """

    # The regressor's signature with the logistic loss's default strength (0.01: see
    # tests/test_common.py::test_defaults_fit_useful_models for the measurements).
    def __init__(self, alpha=0.01, *, l1_ratio=0.5, l2_reg=0.0, fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=1000, warm_start=False, solver="auto",
                 device=None, verbose=0):
        store_params(self, locals())


class SparseGroupLassoRegressorCV(MultiTaskRegressorMixin, _SparseGroupCV):
    """SparseGroupLassoRegressor with ``alpha`` chosen by cross-validation along its path.

    The objective is that of :class:`~mtlclassic.SparseGroupLassoRegressor`; the search is
    scikit-learn's ``LassoCV``'s (:ref:`cv-estimators` in ``docs/parameters.md``).

    Parameters
    ----------
    l1_ratio : float or list of float, default=0.5
        Share of the l1 term, in ``[0, 1]``. With a list, every value is
        cross-validated (each with its own alpha grid, since ``alpha_max``
        depends on it) and the best ``(l1_ratio, alpha)`` pair is kept.

    Attributes
    ----------
    l1_ratio_ : float
        The chosen l1 ratio.
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        The grid (one row per l1 ratio when ``l1_ratio`` is a list).
    """
    _estimator = SparseGroupLassoRegressor


class SparseGroupLassoClassifierCV(MultiTaskClassifierMixin, _SparseGroupCV):
    _estimator = SparseGroupLassoClassifier


sparse_group_lasso_path = path_function(
    "sparse_group_lasso_path", SparseGroupLassoRegressor,
    "Sparse-group lasso regularisation path at a fixed ``l1_ratio``.",
    penalty="alpha * sum_j (l1_ratio ||coef[:, j]||_1 + (1 - l1_ratio) ||coef[:, j]||_2)",
    own={"l1_ratio": 0.5},
    own_doc="; ``l1_ratio`` (default 0.5,\n    in ``[0, 1]``) also sets ``alpha_max``")


SPARSE_GROUP_LASSO = declare(
    "sparse-group-lasso", SparseGroupLassoRegressor, SparseGroupLassoClassifier,
    description="sparse-group lasso, l1_ratio 0.5",
    grid=alpha_max_grid(("alpha", "sparse_group"), l1_ratio=0.5), fixed={"l1_ratio": 0.5},
    strengths=("alpha",), alpha_max_names={"sparse_group": "alpha"},
    path=sparse_group_lasso_path, cv=(SparseGroupLassoRegressorCV, SparseGroupLassoClassifierCV))
