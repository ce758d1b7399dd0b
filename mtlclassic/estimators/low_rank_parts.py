"""Low rank plus a sparse part, ``W = L + S``: robust low-rank MTL and sparse + low-rank MTL.

Two-part models as :mod:`mtlclassic.estimators.composite`'s: the ordinary
problem on ``[X, X]`` with a penalty separable between the two parts
(:class:`~mtlclassic.penalties.BlockSum`), solved by FISTA (the trace norm is
not separable over features) and stopped on the exact duality gap.
"""

from ..penalties import L1, BlockSum, TaskL21, TraceNorm
from ._base import MultiTaskClassifierMixin, MultiTaskRegressorMixin, store_params
from ._grids import alpha_max_grid
from ._registry import declare
from .composite import _TwoPart
from .cv import _TwoPartCV


class _RobustLowRank(_TwoPart):
    _nonneg_params = ("alpha_lowrank", "alpha_outlier", "l2_reg")
    _part_names = ("coef_lowrank_", "coef_outlier_")

    def __init__(self, alpha_lowrank=0.1, alpha_outlier=0.05, *, l2_reg=0.0, fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=1000, warm_start=False, solver="auto",
                 device=None, verbose=0):
        store_params(self, locals())

    def _make_penalty(self, n_features, n_tasks):
        return BlockSum([TraceNorm(self.alpha_lowrank, self.l2_reg),
                         TaskL21(self.alpha_outlier, self.l2_reg)], [n_features, n_features])


class RobustLowRankRegressor(MultiTaskRegressorMixin, _RobustLowRank):
    """Robust low-rank multi-task regression: a low-rank part plus outlier tasks.

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b}  F(coef, b)  +  alpha_lowrank * ||L||_*  +  alpha_outlier * sum_t ||S[t, :]||_2  +  l2_reg / 2 (||L||_F^2 + ||S||_F^2),   coef = L + S

    ``L`` holds the tasks that share a low-dimensional subspace (trace norm,
    the sum of its singular values), ``S`` whole tasks that do not (each
    task's row of ``S`` is zero or not as a group): the tasks with a nonzero
    row of ``S`` are the outlier tasks. MALSAR: ``Least_RMTL``.

    Parameters
    ----------
    alpha_lowrank : float, default=0.1
        Strength of the trace norm of ``L``, ``>= 0``.
    alpha_outlier : float, default=0.05
        Strength of the norm of each task's row of ``S``, ``>= 0``: the
        smaller, the more tasks are let go as outliers. ``coef = 0`` iff
        ``alpha_lowrank >= alpha_max(X, y, penalty="trace")`` and
        ``alpha_outlier >= alpha_max(X, y, penalty="task_l21")``; the default
        ``alpha_outlier`` is half of ``alpha_lowrank``, the ``alpha_ratio`` of
        the CV estimators.
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 (||L||_F^2 + ||S||_F^2)`` added to the penalty,
        ``>= 0``.

    Attributes
    ----------
    coef_lowrank_ : ndarray of shape (n_tasks, n_features)
        ``L``, the low-rank part.
    coef_outlier_ : ndarray of shape (n_tasks, n_features)
        ``S``, nonzero only in the rows of outlier tasks; ``coef_ = L + S``.
    outlier_tasks_ : ndarray
        Labels (from ``tasks_``) of the tasks whose row of ``S`` is nonzero.

    References
    ----------
    Chen, J., Zhou, J. and Ye, J. (2011). Integrating low-rank and group-sparse
    structures for robust multi-task learning. KDD.
    """


class RobustLowRankClassifier(MultiTaskClassifierMixin, _RobustLowRank):
    """Robust low-rank multi-task logistic regression: a low-rank part plus outlier tasks."""


class RobustLowRankRegressorCV(MultiTaskRegressorMixin, _TwoPartCV):
    _estimator = RobustLowRankRegressor


class RobustLowRankClassifierCV(MultiTaskClassifierMixin, _TwoPartCV):
    _estimator = RobustLowRankClassifier


ROBUST_LOW_RANK = declare(
    "robust-low-rank", RobustLowRankRegressor, RobustLowRankClassifier,
    description="low rank plus outlier tasks (Chen, Zhou & Ye 2011)",
    grid=alpha_max_grid(("alpha_lowrank", "trace"), ("alpha_outlier", "task_l21")),
    strengths=("alpha_lowrank", "alpha_outlier"),
    cv=(RobustLowRankRegressorCV, RobustLowRankClassifierCV))


class _SparseLowRank(_TwoPart):
    _nonneg_params = ("alpha_sparse", "alpha_lowrank", "l2_reg")
    _part_names = ("coef_sparse_", "coef_lowrank_")

    def __init__(self, alpha_sparse=0.1, alpha_lowrank=0.05, *, l2_reg=0.0, fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=1000, warm_start=False, solver="auto",
                 device=None, verbose=0):
        store_params(self, locals())

    def _make_penalty(self, n_features, n_tasks):
        return BlockSum([L1(self.alpha_sparse, self.l2_reg),
                         TraceNorm(self.alpha_lowrank, self.l2_reg)], [n_features, n_features])


class SparseLowRankRegressor(MultiTaskRegressorMixin, _SparseLowRank):
    """Sparse plus low-rank multi-task regression: incoherent sparse and low-rank patterns.

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b}  F(coef, b)  +  alpha_sparse * ||P||_1  +  alpha_lowrank * ||Q||_*  +  l2_reg / 2 (||P||_F^2 + ||Q||_F^2),   coef = P + Q

    ``P`` holds the entries particular to one task and feature (elementwise
    sparse), ``Q`` the structure the tasks share (low rank). MALSAR's
    ``Least_SparseTrace`` solves the constrained form, ``||Q||_* <= tau``: for
    each ``tau`` there is an ``alpha_lowrank`` (its Lagrange multiplier)
    giving the same solution, so this penalised form traces the same models.

    Parameters
    ----------
    alpha_sparse : float, default=0.1
        Strength of the l1 norm of ``P``, ``>= 0``.
    alpha_lowrank : float, default=0.05
        Strength of the trace norm of ``Q``, ``>= 0``. ``coef = 0`` iff
        ``alpha_sparse >= alpha_max(X, y, penalty="l1")`` and
        ``alpha_lowrank >= alpha_max(X, y, penalty="trace")``; the default
        ``alpha_lowrank`` is half of ``alpha_sparse``, the ``alpha_ratio`` of
        the CV estimators.
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 (||P||_F^2 + ||Q||_F^2)`` added to the penalty,
        ``>= 0``.

    Attributes
    ----------
    coef_sparse_ : ndarray of shape (n_tasks, n_features)
        ``P``, the sparse part.
    coef_lowrank_ : ndarray of shape (n_tasks, n_features)
        ``Q``, the low-rank part; ``coef_ = P + Q``.

    References
    ----------
    Chen, J., Liu, J. and Ye, J. (2012). Learning incoherent sparse and
    low-rank patterns from multiple tasks. ACM TKDD 5(4).
    """


class SparseLowRankClassifier(MultiTaskClassifierMixin, _SparseLowRank):
    """Sparse plus low-rank multi-task logistic regression."""


class SparseLowRankRegressorCV(MultiTaskRegressorMixin, _TwoPartCV):
    _estimator = SparseLowRankRegressor


class SparseLowRankClassifierCV(MultiTaskClassifierMixin, _TwoPartCV):
    _estimator = SparseLowRankClassifier


SPARSE_LOW_RANK = declare(
    "sparse-low-rank", SparseLowRankRegressor, SparseLowRankClassifier,
    description="sparse plus low rank (Chen, Liu & Ye 2012)",
    grid=alpha_max_grid(("alpha_sparse", "l1"), ("alpha_lowrank", "trace")),
    strengths=("alpha_sparse", "alpha_lowrank"),
    cv=(SparseLowRankRegressorCV, SparseLowRankClassifierCV))
