"""Sparse multi-task models: lasso (per-task baseline), sparse-group lasso, l1/l-inf."""

import numbers

from ..penalties import L1, L1Inf, SparseGroup
from ._base import (MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin,
                    store_params)
from ._docs import DEFAULT_ALPHA, L2_REG, default_note, estimator_doc


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


# -- l1 / l-inf -------------------------------------------------------------
_LINF_PENALTY = "alpha * sum_j max_t |W[t, j]|  +  l2_reg / 2 ||W||_F^2"
# The classifier's default is the regressor's 0.1, not the other classifiers' 0.01: this
# alpha_max adds the tasks' (dual norm max_j ||G[:, j]||_1), so it grows with T; at 0.01 FISTA
# needs 2,520 iterations on Landmine (T = 29, alpha_max 1.42), 330 at 0.1, same AUC (0.76-0.77).
_LINF_WHY = """\
        Not the other classifiers' 0.01: this ``alpha_max`` adds the tasks'
        (about ``T`` times the lasso's), so 0.1 is still a few percent of it
        from ten tasks on. One task makes this model the lasso.
"""
_LINF_NOTES = """
    Each feature costs its largest absolute weight over tasks: features are
    selected jointly and, once selected, tasks' weights are free up to that
    size (they tend to share magnitudes). The prox projects each feature's
    weights on an l1 ball (``O(T log T)``); the dual norm is
    ``max_j ||G[:, j]||_1``.
"""
_LINF_REFS = """    Quattoni, A., Carreras, X., Collins, M. and Darrell, T. (2009). An
    efficient projection for l1,inf regularization. ICML.
    Liu, H., Palatucci, M. and Zhang, J. (2009). Blockwise coordinate descent
    procedures for the multi-task lasso. ICML.
"""


def _linf_params(loss):
    if loss == "squared":
        return _alpha_doc("l1/l-inf penalty", "l1inf", loss) + L2_REG
    return _alpha_doc("l1/l-inf penalty", "l1inf", loss, default=0.1, why=_LINF_WHY) + L2_REG


class _L1Inf(MultiTaskLinearModel):
    def _make_penalty(self, n_features, n_tasks):
        return L1Inf(self.alpha, self.l2_reg)


class L1InfRegressor(MultiTaskRegressorMixin, _L1Inf):
    __doc__ = estimator_doc("Multi-task regression with the l1/l-inf penalty.", _LINF_PENALTY,
                            "squared", _linf_params("squared"), notes=_LINF_NOTES,
                            references=_LINF_REFS)
    _loss = "squared"


class L1InfClassifier(MultiTaskClassifierMixin, _L1Inf):
    __doc__ = estimator_doc("Multi-task logistic regression with the l1/l-inf penalty.",
                            _LINF_PENALTY, "logistic", _linf_params("logistic"), notes=_LINF_NOTES,
                            references=_LINF_REFS)
    _loss = "logistic"
