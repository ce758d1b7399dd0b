"""Trace-norm (low-rank) multi-task models."""

import numpy as np

from ..penalties import TraceNorm
from ._base import (MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin,
                    _LogisticAlpha)
from ._grids import alpha_max_grid
from ._path import path_function
from ._registry import declare
from .cv import _PathCV


class _TraceNorm(MultiTaskLinearModel):
    def _make_penalty(self, n_features, n_tasks):
        return TraceNorm(self.alpha, self.l2_reg)

    def _set_coef(self, W, n_features):
        super()._set_coef(W, n_features)
        s = (np.linalg.svd(W.astype(np.float64), compute_uv=False) if W.size
             else np.zeros(0))
        self.rank_ = int(np.sum(s > 1e-8 * s[0])) if s.size and s[0] > 0 else 0


class TraceNormRegressor(MultiTaskRegressorMixin, _TraceNorm):
    """Multi-task regression with a trace-norm (low-rank) penalty.

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b}  F(coef, b)  +  alpha * ||coef||_*  +  l2_reg / 2 ||coef||_F^2

    ``||coef||_*`` is the sum of the singular values of ``coef``: tasks are pushed
    to share a low-dimensional subspace of coefficient vectors. Solved by
    FISTA with singular value shrinkage as the prox; the duality gap uses
    the spectral norm as dual norm. ``rank_`` counts the singular values of
    ``coef_`` above ``1e-8`` times the largest.
    MALSAR: ``Least_Trace``.

    Parameters
    ----------
    alpha : float, default=0.1
        Strength of the trace (nuclear) norm, ``>= 0``. ``coef = 0`` for
        ``alpha >= alpha_max(X, y, penalty="trace")``.
        Its default, per loss: ``docs/parameters.md`` (:ref:`default-strengths`).
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 ||coef||_F^2`` added to the penalty (MALSAR's
        ``rho_L2``), ``>= 0``.

    Attributes
    ----------
    rank_ : int
        Numerical rank of ``coef_``.

    References
    ----------
    Argyriou, A., Evgeniou, T. and Pontil, M. (2008). Convex multi-task feature
    learning. Machine Learning 73(3).
    Ji, S. and Ye, J. (2009). An accelerated gradient method for trace norm
    minimization. ICML.
    """


class TraceNormClassifier(MultiTaskClassifierMixin, _LogisticAlpha, _TraceNorm):
    """Multi-task logistic regression with a trace-norm penalty.

    ``||coef||_*`` is the sum of the singular values of ``coef``: tasks are pushed
    to share a low-dimensional subspace of coefficient vectors. Solved by
    FISTA with singular value shrinkage as the prox; the duality gap uses
    the spectral norm as dual norm. ``rank_`` counts the singular values of
    ``coef_`` above ``1e-8`` times the largest.
    MALSAR: ``Logistic_Trace``.
    """


class TraceNormRegressorCV(MultiTaskRegressorMixin, _PathCV):
    """TraceNormRegressor with ``alpha`` chosen by cross-validation along its path.

    The objective is that of :class:`~mtlclassic.TraceNormRegressor`; the search is
    scikit-learn's ``LassoCV``'s (:ref:`cv-estimators` in ``docs/parameters.md``).

    Attributes
    ----------
    rank_ : int
        Numerical rank of ``coef_``.
    """
    _estimator = TraceNormRegressor


class TraceNormClassifierCV(MultiTaskClassifierMixin, _PathCV):
    _estimator = TraceNormClassifier


trace_norm_path = path_function(
    "trace_norm_path", TraceNormRegressor,
    "Trace-norm (low-rank) regularisation path.",
    penalty="alpha * ||coef||_*")


TRACE_NORM = declare(
    "trace-norm", TraceNormRegressor, TraceNormClassifier, description="low rank (trace norm)",
    grid=alpha_max_grid(("alpha", "trace")), strengths=("alpha",),
    alpha_max_names={"trace": "alpha"}, path=trace_norm_path,
    cv=(TraceNormRegressorCV, TraceNormClassifierCV))
