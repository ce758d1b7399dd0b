"""The l1/l-inf (block infinity norm) multi-task regressor and classifier, its path and CV."""

from ..penalties import L1Inf
from ._base import MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin
from ._docs import L2_REG, estimator_doc
from ._grids import alpha_max_grid
from ._path import named_path, path_doc
from ._registry import declare
from .cv import _PathCV, cv_doc

_LINF_PENALTY = "alpha * sum_j max_t |W[t, j]|  +  l2_reg / 2 ||W||_F^2"
# The classifier's default is the regressor's 0.1, not the other classifiers' 0.01: this
# alpha_max adds the tasks' (dual norm max_j ||G[:, j]||_1), so it grows with T; at 0.01 FISTA
# needs 2,520 iterations on Landmine (T = 29, alpha_max 1.42), 330 at 0.1, same AUC (0.76-0.77).
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


_LINF_ALPHA = """    alpha : float, default=0.1
        Strength of the l1/l-inf penalty, ``>= 0``. ``W = 0`` for
        ``alpha >= alpha_max(X, y, penalty="l1inf")`` (see :func:`mtlclassic.alpha_max`).
"""
_LINF_PARAMS = {"squared": _LINF_ALPHA + """\
        The default 0.1: ``W != 0`` as soon as one feature's covariance with one
        task's target exceeds it (a correlation of 0.1 for standardised ``X`` and
        ``y``).
""" + L2_REG, "logistic": _LINF_ALPHA + """\
        The default 0.1: ``W != 0`` as soon as one feature's covariance with one
        task's 0/1 labels exceeds it (a correlation of 0.2 for balanced classes, 0.4
        at 6% positives).
        Not the other classifiers' 0.01: this ``alpha_max`` adds the tasks'
        (about ``T`` times the lasso's), so 0.1 is still a few percent of it
        from ten tasks on. One task makes this model the lasso.
""" + L2_REG}


class _L1Inf(MultiTaskLinearModel):
    def _make_penalty(self, n_features, n_tasks):
        return L1Inf(self.alpha, self.l2_reg)


class L1InfRegressor(MultiTaskRegressorMixin, _L1Inf):
    __doc__ = estimator_doc("Multi-task regression with the l1/l-inf penalty.", _LINF_PENALTY,
                            "squared", _LINF_PARAMS["squared"], notes=_LINF_NOTES,
                            references=_LINF_REFS)
    _loss = "squared"


class L1InfClassifier(MultiTaskClassifierMixin, _L1Inf):
    __doc__ = estimator_doc("Multi-task logistic regression with the l1/l-inf penalty.",
                            _LINF_PENALTY, "logistic", _LINF_PARAMS["logistic"], notes=_LINF_NOTES,
                            references=_LINF_REFS)
    _loss = "logistic"


class L1InfRegressorCV(MultiTaskRegressorMixin, _PathCV):
    __doc__ = cv_doc("L1InfRegressor", "squared")
    _estimator = L1InfRegressor


class L1InfClassifierCV(MultiTaskClassifierMixin, _PathCV):
    __doc__ = cv_doc("L1InfClassifier", "logistic")
    _estimator = L1InfClassifier


def l1inf_path(X, y, *, alphas=None, n_alphas=100, eps=1e-3, loss="squared", task_column=None,
               fit_intercept=True, task_weights=None, sample_weight=None, l2_reg=0.0, tol=1e-4,
               max_iter=1000, solver="auto"):
    return named_path(L1INF, X, y, loss=loss, alphas=alphas, n_alphas=n_alphas, eps=eps,
                      sample_weight=sample_weight, task_column=task_column,
                      fit_intercept=fit_intercept, task_weights=task_weights, l2_reg=l2_reg,
                      tol=tol, max_iter=max_iter, solver=solver)


l1inf_path.__doc__ = path_doc(
    "l1/l-inf regularisation path.", "L1Inf", "alpha * sum_j max_t |W[t, j]|")

L1INF = declare(
    "l1inf", L1InfRegressor, L1InfClassifier, description="l1/l-inf block norm",
    grid=alpha_max_grid(("alpha", "l1inf")), strengths=("alpha",),
    alpha_max_names={"l1inf": "alpha"}, path=l1inf_path, cv=(L1InfRegressorCV, L1InfClassifierCV))
