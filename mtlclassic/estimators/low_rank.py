"""Trace-norm (low-rank) multi-task models."""

import numpy as np

from ..penalties import TraceNorm
from ._base import (MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin,
                    store_params)
from ._docs import DEFAULT_ALPHA, L2_REG, default_note, estimator_doc
from ._grids import alpha_max_grid
from ._path import named_path, path_doc
from ._registry import declare
from .cv import _PathCV, cv_doc

_PENALTY = "alpha * ||W||_*  +  l2_reg / 2 ||W||_F^2"


def _params(loss):
    return f"""    alpha : float, default={DEFAULT_ALPHA[loss]}
        Strength of the trace (nuclear) norm, ``>= 0``. ``W = 0`` for
        ``alpha >= alpha_max(X, y, penalty="trace")``.
""" + default_note(loss) + L2_REG


_NOTES = """
    ``||W||_*`` is the sum of the singular values of ``W``: tasks are pushed
    to share a low-dimensional subspace of coefficient vectors. Solved by
    FISTA with singular value shrinkage as the prox; the duality gap uses
    the spectral norm as dual norm. ``rank_`` counts the singular values of
    ``coef_`` above ``1e-8`` times the largest.
"""
_ATTRS = """    rank_ : int
        Numerical rank of ``coef_``.
"""
_REFS = """    Argyriou, A., Evgeniou, T. and Pontil, M. (2008). Convex multi-task feature
    learning. Machine Learning 73(3).
    Ji, S. and Ye, J. (2009). An accelerated gradient method for trace norm
    minimization. ICML.
"""


class _TraceNorm(MultiTaskLinearModel):
    def _make_penalty(self, n_features, n_tasks):
        return TraceNorm(self.alpha, self.l2_reg)

    def _set_coef(self, W, n_features):
        super()._set_coef(W, n_features)
        s = (np.linalg.svd(W.astype(np.float64), compute_uv=False) if W.size
             else np.zeros(0))
        self.rank_ = int(np.sum(s > 1e-8 * s[0])) if s.size and s[0] > 0 else 0


class TraceNormRegressor(MultiTaskRegressorMixin, _TraceNorm):
    __doc__ = estimator_doc("Multi-task regression with a trace-norm (low-rank) penalty.",
                            _PENALTY, "squared", _params("squared"), notes=_NOTES + """    MALSAR: ``Least_Trace``.
""", attributes=_ATTRS, references=_REFS)
    _loss = "squared"


class TraceNormClassifier(MultiTaskClassifierMixin, _TraceNorm):
    __doc__ = estimator_doc("Multi-task logistic regression with a trace-norm penalty.",
                            _PENALTY, "logistic", _params("logistic"), notes=_NOTES + """    MALSAR: ``Logistic_Trace``.
""", attributes=_ATTRS, references=_REFS)
    _loss = "logistic"

    # The regressor's signature with the logistic loss's default strength (DEFAULT_ALPHA).
    def __init__(self, alpha=0.01, *, l2_reg=0.0, fit_intercept=True, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=1000,
                 warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())


class TraceNormRegressorCV(MultiTaskRegressorMixin, _PathCV):
    __doc__ = cv_doc("TraceNormRegressor", "squared", extra_attrs=_ATTRS)
    _estimator = TraceNormRegressor


class TraceNormClassifierCV(MultiTaskClassifierMixin, _PathCV):
    __doc__ = cv_doc("TraceNormClassifier", "logistic", extra_attrs=_ATTRS)
    _estimator = TraceNormClassifier


def trace_norm_path(X, y, *, alphas=None, n_alphas=100, eps=1e-3, loss="squared",
                    task_column=None, fit_intercept=True, task_weights=None, sample_weight=None,
                    l2_reg=0.0, tol=1e-4, max_iter=1000, solver="auto"):
    return named_path(TRACE_NORM, X, y, loss=loss, alphas=alphas, n_alphas=n_alphas, eps=eps,
                      sample_weight=sample_weight, task_column=task_column,
                      fit_intercept=fit_intercept, task_weights=task_weights, l2_reg=l2_reg,
                      tol=tol, max_iter=max_iter, solver=solver)


trace_norm_path.__doc__ = path_doc(
    "Trace-norm (low-rank) regularisation path.", "TraceNorm", "alpha * ||W||_*")

TRACE_NORM = declare(
    "trace-norm", TraceNormRegressor, TraceNormClassifier, description="low rank (trace norm)",
    grid=alpha_max_grid(("alpha", "trace")), strengths=("alpha",),
    alpha_max_names={"trace": "alpha"}, path=trace_norm_path,
    cv=(TraceNormRegressorCV, TraceNormClassifierCV))
