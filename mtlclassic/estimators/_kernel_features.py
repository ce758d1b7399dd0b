"""The kernel task-relation objective in Nystroem feature space, solved by the linear models.

With features ``z(x)`` of rank ``n_components`` (``k(x, x') ~ z(x) . z(x')``),
``f_t(x) = w_t . z(x)`` and the RKHS penalty becomes a penalty on the rows
``w_t`` of ``W``: ``alpha/2 tr(W^T B^{-1} W)`` for a fixed task matrix ``B``, and
``alpha/2 ||W||_F^2 + lambda_2/2 tr(Omega^{-1} (W W^T + eps I))`` when ``Omega``
is learned. Each is one of the package's linear models, fitted as it is:

- ``"learn"``: :class:`~mtlclassic.TaskRelationRegressor` (``lambda_1 = alpha``, and
  its ``lambda_mean``: the mean of the rows ``w_t`` penalised alone);
- ``B = c I``: :class:`~mtlclassic.RidgeRegressor` (``alpha / c``);
- ``B = c 11^T``: :class:`~mtlclassic.PooledRegressor` (``alpha / c``);
- any other positive definite ``B``: the quadratic task coupling
  ``M = alpha B^{-1}`` (:class:`~mtlclassic.penalties.TaskQuadratic`, given its
  exact eigendecomposition).
"""

import numpy as np

from ..penalties import TaskQuadratic
from ._base import MultiTaskLinearModel, MultiTaskRegressorMixin, store_params
from .baselines import PooledRegressor, RidgeRegressor
from .task_relation import TaskRelationRegressor


class _FixedTaskCoupling(MultiTaskRegressorMixin, MultiTaskLinearModel):
    """``1/2 tr(W M W^T)`` with ``M = alpha B^{-1}`` given by ``B``'s eigendecomposition."""

    _nonneg_params = ()

    def __init__(self, alpha=1.0, *, task_matrix=None, fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=1000, warm_start=False, solver="auto",
                 device=None, verbose=0):
        store_params(self, locals())

    def _make_penalty(self, n_features, n_tasks):
        sigma, V = np.linalg.eigh(self.task_matrix)
        return TaskQuadratic(None, spectrum=(self.alpha / sigma, V))


def _multiple(B, pattern):
    """``c`` when ``B = c * pattern`` (``c > 0``), else None."""
    c = B[0, 0] / pattern[0, 0]
    return c if c > 0 and np.allclose(B, c * pattern, rtol=1e-12, atol=0) else None


def feature_space_model(est, B):
    """``(linear model, task covariance)`` solving ``est``'s objective on features.

    ``B`` is the fixed task matrix, or None when it is learned (the covariance
    is then the model's ``task_covariance_`` after fitting, returned as None).
    """
    common = dict(fit_intercept=est.fit_intercept, intercept_shrinkage=est.intercept_shrinkage,
                  task_column=None, task_weights=est.task_weights, tol=est.tol)
    if B is None:
        return TaskRelationRegressor(lambda_1=est.alpha, lambda_2=est.lambda_2, eps=est.eps,
                                     lambda_mean=est.lambda_mean, max_iter=est.max_iter,
                                     **common), None
    T = B.shape[0]
    c = _multiple(B, np.eye(T))
    if c is not None:
        return RidgeRegressor(alpha=est.alpha / c, **common), B
    c = _multiple(B, np.ones((T, T)))
    if c is not None:
        return PooledRegressor(alpha=est.alpha / c, **common), B
    if np.linalg.eigvalsh(B)[0] <= 1e-12 * np.abs(B).max():
        raise ValueError(
            "task_covariance is singular: with n_components (Nystroem features) it must be "
            "positive definite, a multiple of the identity ('independent') or of all-ones "
            "('shared'); add a small multiple of the identity, or use n_components=None.")
    return _FixedTaskCoupling(alpha=est.alpha, task_matrix=B, **common), B
