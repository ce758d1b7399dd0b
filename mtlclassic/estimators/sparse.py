"""Sparse multi-task models: lasso (per-task baseline) and sparse-group lasso."""

import numbers

from ..penalties import L1, SparseGroup
from ._base import (MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin,
                    store_params)
from ._docs import DEFAULT_ALPHA, L2_REG, default_note, estimator_doc
from ._grids import alpha_max_grid
from ._path import named_path, path_doc
from ._registry import declare
from .cv import L1_RATIO_DOC, _PathCV, _SparseGroupCV, cv_doc


def _alpha_doc(penalty_name, helper, loss, default=None, why=""):
    value = DEFAULT_ALPHA[loss] if default is None else default
    return f"""    alpha : float, default={value}
        Strength of the {penalty_name}, ``>= 0``. ``W = 0`` for
        ``alpha >= alpha_max(X, y, penalty="{helper}")`` (see :func:`mtlclassic.alpha_max`).
""" + default_note(loss, value) + why


# -- lasso ------------------------------------------------------------------
_LASSO_PENALTY = "alpha * sum_tj |W[t, j]|  +  l2_reg / 2 ||W||_F^2"
_LASSO_NOTES = """
    The tasks share nothing: this is one lasso (elastic net with
    ``l2_reg``) per task, fitted together -- the single-task baseline of MTL
    comparisons. Each task's loss is its mean, so in the shared layout task
    t's model is scikit-learn's ``Lasso(alpha)`` on column t.
"""


_LASSO_REFS = """    Tibshirani, R. (1996). Regression shrinkage and selection via the lasso.
    JRSS B 58(1).
"""


class _Lasso(MultiTaskLinearModel):
    def _make_penalty(self, n_features, n_tasks):
        return L1(self.alpha, self.l2_reg)


class LassoRegressor(MultiTaskRegressorMixin, _Lasso):
    __doc__ = estimator_doc("Independent lasso regressions, one per task.", _LASSO_PENALTY,
                            "squared", _alpha_doc("l1 penalty", "l1", "squared") + L2_REG,
                            notes=_LASSO_NOTES + "    MALSAR: ``Least_Lasso``.\n",
                            references=_LASSO_REFS)
    _loss = "squared"


class LassoClassifier(MultiTaskClassifierMixin, _Lasso):
    __doc__ = estimator_doc("Independent l1-penalised logistic regressions, one per task.",
                            _LASSO_PENALTY, "logistic",
                            _alpha_doc("l1 penalty", "l1", "logistic") + L2_REG,
                            notes=_LASSO_NOTES + """    MALSAR: ``Logistic_Lasso``.
""")
    _loss = "logistic"

    # The regressor's signature with the logistic loss's default strength (DEFAULT_ALPHA).
    def __init__(self, alpha=0.01, *, l2_reg=0.0, fit_intercept=True, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=1000,
                 warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())


class LassoRegressorCV(MultiTaskRegressorMixin, _PathCV):
    __doc__ = cv_doc("LassoRegressor", "squared")
    _estimator = LassoRegressor


class LassoClassifierCV(MultiTaskClassifierMixin, _PathCV):
    __doc__ = cv_doc("LassoClassifier", "logistic")
    _estimator = LassoClassifier


def lasso_path(X, y, *, alphas=None, n_alphas=100, eps=1e-3, loss="squared", task_column=None,
               fit_intercept=True, task_weights=None, sample_weight=None, l2_reg=0.0, tol=1e-4,
               max_iter=1000, solver="auto"):
    return named_path(LASSO, X, y, loss=loss, alphas=alphas, n_alphas=n_alphas, eps=eps,
                      sample_weight=sample_weight, task_column=task_column,
                      fit_intercept=fit_intercept, task_weights=task_weights, l2_reg=l2_reg,
                      tol=tol, max_iter=max_iter, solver=solver)


lasso_path.__doc__ = path_doc(
    "Lasso regularisation path of independent tasks, fitted together.", "Lasso",
    "alpha * sum_tj |W[t, j]|")

LASSO = declare(
    "lasso", LassoRegressor, LassoClassifier, description="independent lasso per task",
    grid=alpha_max_grid(("alpha", "l1")), strengths=("alpha",), alpha_max_names={"l1": "alpha"},
    path=lasso_path, cv=(LassoRegressorCV, LassoClassifierCV))


# -- sparse group lasso -----------------------------------------------------
_SGL_PENALTY = ("alpha * sum_j (l1_ratio ||W[:, j]||_1 + (1 - l1_ratio) ||W[:, j]||_2)"
                "  +  l2_reg / 2 ||W||_F^2")


def _sgl_params(loss):
    return _alpha_doc("sparse-group penalty", "sparse_group", loss) + """\
    l1_ratio : float, default=0.5
        Share of the l1 term, in ``[0, 1]``: 0 is the group lasso, 1 the lasso.
""" + L2_REG


_SGL_NOTES = """
    Features are selected jointly (the group term) and, within a selected
    feature, tasks may still have zero weights (the l1 term). The duality
    gap uses the closed-form dual norm of the sparse-group norm (Ndiaye et
    al. 2016).
"""
_SGL_REFS = """    Simon, N., Friedman, J., Hastie, T. and Tibshirani, R. (2013). A sparse-group
    lasso. J. Comput. Graph. Stat. 22(2).
    Ndiaye, E., Fercoq, O., Gramfort, A. and Salmon, J. (2016). GAP safe
    screening rules for sparse-group lasso. NeurIPS.
"""


class _SparseGroupLasso(MultiTaskLinearModel):
    def __init__(self, alpha=0.1, *, l1_ratio=0.5, l2_reg=0.0, fit_intercept=True,
                 task_column=None, unseen_tasks="error", task_weights=None, tol=1e-4,
                 max_iter=1000, warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        r = self.l1_ratio
        if isinstance(r, bool) or not isinstance(r, numbers.Real) or not 0.0 <= r <= 1.0:
            raise ValueError(f"l1_ratio must be a number in [0, 1], got {r!r}.")

    def _make_penalty(self, n_features, n_tasks):
        return SparseGroup(self.alpha, self.l1_ratio, self.l2_reg)


class SparseGroupLassoRegressor(MultiTaskRegressorMixin, _SparseGroupLasso):
    __doc__ = estimator_doc("Multi-task regression with the sparse-group lasso penalty.",
                            _SGL_PENALTY, "squared", _sgl_params("squared"), notes=_SGL_NOTES,
                            references=_SGL_REFS)
    _loss = "squared"


class SparseGroupLassoClassifier(MultiTaskClassifierMixin, _SparseGroupLasso):
    __doc__ = estimator_doc("Multi-task logistic regression with the sparse-group lasso penalty.",
                            _SGL_PENALTY, "logistic", _sgl_params("logistic"),
                            notes=_SGL_NOTES, references=_SGL_REFS)
    _loss = "logistic"

    # The regressor's signature with the logistic loss's default strength (DEFAULT_ALPHA).
    def __init__(self, alpha=0.01, *, l1_ratio=0.5, l2_reg=0.0, fit_intercept=True,
                 task_column=None, unseen_tasks="error", task_weights=None, tol=1e-4,
                 max_iter=1000, warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())


class SparseGroupLassoRegressorCV(MultiTaskRegressorMixin, _SparseGroupCV):
    __doc__ = cv_doc("SparseGroupLassoRegressor", "squared", extra_params=L1_RATIO_DOC, sgl=True)
    _estimator = SparseGroupLassoRegressor


class SparseGroupLassoClassifierCV(MultiTaskClassifierMixin, _SparseGroupCV):
    __doc__ = cv_doc("SparseGroupLassoClassifier", "logistic", extra_params=L1_RATIO_DOC,
                     sgl=True)
    _estimator = SparseGroupLassoClassifier


def sparse_group_lasso_path(X, y, *, l1_ratio=0.5, alphas=None, n_alphas=100, eps=1e-3,
                            loss="squared", task_column=None, fit_intercept=True,
                            task_weights=None, sample_weight=None, l2_reg=0.0, tol=1e-4,
                            max_iter=1000, solver="auto"):
    return named_path(SPARSE_GROUP_LASSO, X, y, loss=loss, alphas=alphas, n_alphas=n_alphas,
                      eps=eps, sample_weight=sample_weight, l1_ratio=l1_ratio,
                      task_column=task_column, fit_intercept=fit_intercept,
                      task_weights=task_weights, l2_reg=l2_reg, tol=tol, max_iter=max_iter,
                      solver=solver)


sparse_group_lasso_path.__doc__ = path_doc(
    "Sparse-group lasso regularisation path at a fixed ``l1_ratio``.", "SparseGroupLasso",
    "alpha * sum_j (l1_ratio ||W[:, j]||_1 + (1 - l1_ratio) ||W[:, j]||_2)",
    extra="""    l1_ratio : float, default=0.5
        Share of the l1 term, in ``[0, 1]``; also sets ``alpha_max``.
""")

SPARSE_GROUP_LASSO = declare(
    "sparse-group-lasso", SparseGroupLassoRegressor, SparseGroupLassoClassifier,
    description="sparse-group lasso, l1_ratio 0.5",
    grid=alpha_max_grid(("alpha", "sparse_group"), l1_ratio=0.5), fixed={"l1_ratio": 0.5},
    strengths=("alpha",), alpha_max_names={"sparse_group": "alpha"},
    path=sparse_group_lasso_path, cv=(SparseGroupLassoRegressorCV, SparseGroupLassoClassifierCV))
