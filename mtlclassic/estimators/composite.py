"""Models written as a sum of two coefficient matrices, ``W = P + Q``: dirty models, robust MTFL.

Each is the ordinary problem on the design ``[X, X]`` (a view tied to ``X``,
:mod:`mtlclassic.data._tied`, never a copy) with the stacked coefficients
``[P; Q]`` and a penalty separable between the two parts
(:class:`mtlclassic.penalties.BlockSum`), solved by the same FISTA loop; the
duality gap is exact (the dual constrains ``X^T theta`` to both parts' dual
balls), so they stop on it like every other model.
"""

import numpy as np

from ..penalties import L1, L21, BlockSum, L1Inf, TaskL21
from ._base import (MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin,
                    store_params)
from ._grids import alpha_max_grid
from ._registry import declare
from .cv import _TwoPartCV


class _TwoPart(MultiTaskLinearModel):
    """``coef_ = P + Q`` with both parts kept as attributes (names in ``_part_names``)."""

    _n_blocks = 2
    _part_names = ("coef_shared_", "coef_specific_")

    def _stacked_coef(self):
        parts = [getattr(self, name, None) for name in self._part_names]
        if any(part is None for part in parts):
            return None
        return np.concatenate([part.T for part in parts], axis=0)

    def _set_coef(self, W, n_features):
        P, Q = W[:n_features], W[n_features:]
        setattr(self, self._part_names[0], np.ascontiguousarray(P.T))
        setattr(self, self._part_names[1], np.ascontiguousarray(Q.T))
        self.coef_ = np.ascontiguousarray((P + Q).T)
        if self._part_names[1] == "coef_outlier_":  # robust models: the tasks let go
            self.outlier_tasks_ = self.tasks_[np.any(Q != 0, axis=0)]


class _DirtyModel(_TwoPart):
    _nonneg_params = ("alpha_shared", "alpha_sparse", "l2_reg")
    _part_names = ("coef_shared_", "coef_specific_")

    def __init__(self, alpha_shared=0.1, alpha_sparse=0.05, *, block_norm="linf", l2_reg=0.0,
                 fit_intercept=True, intercept_shrinkage=0.0, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=1000,
                 warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        if self.block_norm not in ("linf", "l2"):
            raise ValueError(f"block_norm must be 'linf' or 'l2', got {self.block_norm!r}.")

    def _make_penalty(self, n_features, n_tasks):
        block = L1Inf if self.block_norm == "linf" else L21
        return BlockSum([block(self.alpha_shared, self.l2_reg), L1(self.alpha_sparse, self.l2_reg)],
                        [n_features, n_features])


class DirtyModelRegressor(MultiTaskRegressorMixin, _DirtyModel):
    """Dirty multi-task regression: a shared block-sparse part plus a sparse task-specific part.

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b}  F(coef, b)  +  alpha_shared * sum_j ||P[:, j]||_(inf or 2)  +  alpha_sparse * ||Q||_1  +  l2_reg / 2 (||P||_F^2 + ||Q||_F^2),   coef = P + Q

    ``P`` holds features shared by many tasks (block sparse), ``Q`` the
    entries particular to one task (elementwise sparse); neither support
    needs to explain everything, which is what makes the model "dirty".
    With ``alpha_sparse >= alpha_shared`` (``linf``) or ``alpha_sparse >=
    sqrt(T) alpha_shared`` (``l2``), ``Q = 0``: the specific part is never
    cheaper.

    Parameters
    ----------
    alpha_shared : float, default=0.1
        Strength of the block norm on the shared part ``P``, ``>= 0``.
    alpha_sparse : float, default=0.05
        Strength of the l1 norm on the task-specific part ``Q``, ``>= 0``.
        ``coef = 0`` iff ``alpha_shared >= alpha_max(X, y, penalty="l1inf")``
        (``"l21"`` for ``block_norm="l2"``) and ``alpha_sparse >=
        alpha_max(X, y, penalty="l1")``.
        The default alpha_shared 0.1, for either loss: ``coef != 0`` as soon as one
        feature's covariance with one task's target (0/1 labels) exceeds it, and
        the shared part's l1/l-inf ``alpha_max`` grows with the number of tasks
        (see :class:`L1InfClassifier`). ``alpha_sparse`` defaults to half of it,
        the ``alpha_ratio`` of the CV estimators: with ``alpha_sparse >=
        alpha_shared`` (``"linf"``) ``Q = 0``.
    block_norm : {"linf", "l2"}, default="linf"
        Norm of each feature's shared weights across tasks: ``"linf"`` as in
        Jalali et al. (2010), ``"l2"`` for a group-lasso block.
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 (||P||_F^2 + ||Q||_F^2)`` added to the penalty (MALSAR's
        ``rho_L2``), ``>= 0``.

    Attributes
    ----------
    coef_shared_ : ndarray of shape (n_tasks, n_features)
        ``P``, the block-sparse part shared across tasks.
    coef_specific_ : ndarray of shape (n_tasks, n_features)
        ``Q``, the elementwise-sparse task-specific part; ``coef_ = P + Q``.

    References
    ----------
    Jalali, A., Ravikumar, P., Sanghavi, S. and Ruan, C. (2010). A dirty model
    for multi-task learning. NeurIPS.
    """


class DirtyModelClassifier(MultiTaskClassifierMixin, _DirtyModel):
    """Dirty multi-task logistic regression (shared block-sparse plus sparse task-specific part).
    """


class _DirtyCV(_TwoPartCV):
    def __init__(self, *, alpha_ratio=0.5, block_norm="linf", alphas=None, n_alphas=100, eps=1e-3,
                 cv=5, n_jobs=None, scoring=None, l2_reg=0.0, fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=1000, solver="auto", device=None,
                 verbose=0):
        store_params(self, locals())

    def _extra_model_params(self):
        return {"block_norm": self.block_norm}


class DirtyModelRegressorCV(MultiTaskRegressorMixin, _DirtyCV):
    """DirtyModelRegressor with ``alpha`` chosen by cross-validation along its path.

    The objective is that of :class:`~mtlclassic.DirtyModelRegressor`; the search is
    scikit-learn's ``LassoCV``'s (:ref:`cv-estimators` in ``docs/parameters.md``).

    Parameters
    ----------
    alpha_ratio : float, default=0.5
        The second strength as a multiple of the first, ``> 0``: the grid
        runs over ``alpha_shared`` with ``alpha_sparse = alpha_ratio * alpha_shared``.
        Its top is the smallest value at which both parts are zero.

    Attributes
    ----------
    alpha_shared_, alpha_sparse_ : float
        The chosen strengths (``alpha_shared_ = alpha_``).
    coef_shared_, coef_specific_ : ndarray of shape (n_tasks, n_features)
        The parts of the refitted model.
    """
    _estimator = DirtyModelRegressor


class DirtyModelClassifierCV(MultiTaskClassifierMixin, _DirtyCV):
    """DirtyModelClassifier with ``alpha`` chosen by cross-validation along its path.

    The objective is that of :class:`~mtlclassic.DirtyModelClassifier`; the search is
    scikit-learn's ``LassoCV``'s (:ref:`cv-estimators` in ``docs/parameters.md``).
    """
    _estimator = DirtyModelClassifier


DIRTY_MODEL = declare(
    "dirty", DirtyModelRegressor, DirtyModelClassifier,
    description="dirty model: block-sparse + elementwise-sparse parts",
    grid=alpha_max_grid(("alpha_shared", "l1inf"), ("alpha_sparse", "l1"),
                        separate=True),
    strengths=("alpha_shared", "alpha_sparse"), cv=(DirtyModelRegressorCV, DirtyModelClassifierCV))


class _RobustMTFL(_TwoPart):
    _nonneg_params = ("alpha_features", "alpha_tasks", "l2_reg")
    _part_names = ("coef_shared_", "coef_outlier_")

    def __init__(self, alpha_features=0.1, alpha_tasks=0.05, *, l2_reg=0.0, fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=1000, warm_start=False, solver="auto",
                 device=None, verbose=0):
        store_params(self, locals())

    def _make_penalty(self, n_features, n_tasks):
        return BlockSum([L21(self.alpha_features, self.l2_reg),
                         TaskL21(self.alpha_tasks, self.l2_reg)], [n_features, n_features])


class RobustMTFLRegressor(MultiTaskRegressorMixin, _RobustMTFL):
    """Robust multi-task feature learning: joint features plus outlier tasks.

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b}  F(coef, b)  +  alpha_features * sum_j ||P[:, j]||_2  +  alpha_tasks * sum_t ||Q[t, :]||_2  +  l2_reg / 2 (||P||_F^2 + ||Q||_F^2),   coef = P + Q

    ``P`` captures the features most tasks share (row sparse in the
    features), ``Q`` whole tasks that do not follow them (column sparse in
    the tasks): the tasks with a nonzero row of ``Q`` are the outlier tasks.
    MALSAR: ``Least_rMTFL``.

    Parameters
    ----------
    alpha_features : float, default=0.1
        Strength of the group norm selecting features jointly in ``P``, ``>= 0``.
    alpha_tasks : float, default=0.05
        Strength of the norm of each task's row of ``Q``, ``>= 0``: the
        smaller, the more tasks are let go as outliers. ``coef = 0`` iff
        ``alpha_features >= alpha_max(X, y, penalty="l21")`` and
        ``alpha_tasks >= alpha_max(X, y, penalty="task_l21")``.
        The default alpha_features 0.1: ``coef != 0`` as soon as one feature's covariance
        with one task's target exceeds it (a correlation of 0.1 for standardised ``X``
        and ``y``).
        ``alpha_tasks`` defaults to half of it, the ``alpha_ratio`` of the
        CV estimators.
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 (||P||_F^2 + ||Q||_F^2)`` added to the penalty (MALSAR's
        ``rho_L2``), ``>= 0``.

    Attributes
    ----------
    coef_shared_ : ndarray of shape (n_tasks, n_features)
        ``P``, the part with jointly selected features.
    coef_outlier_ : ndarray of shape (n_tasks, n_features)
        ``Q``, nonzero only in the rows of outlier tasks; ``coef_ = P + Q``.
    outlier_tasks_ : ndarray
        Labels (from ``tasks_``) of the tasks whose row of ``Q`` is nonzero.

    References
    ----------
    Gong, P., Ye, J. and Zhang, C. (2012). Robust multi-task feature learning.
    KDD.
    """


class RobustMTFLClassifier(MultiTaskClassifierMixin, _RobustMTFL):
    """Robust multi-task feature learning, logistic loss.

    ``P`` captures the features most tasks share (row sparse in the
    features), ``Q`` whole tasks that do not follow them (column sparse in
    the tasks): the tasks with a nonzero row of ``Q`` are the outlier tasks.

    Parameters
    ----------
    alpha_features : float, default=0.01
        Strength of the group norm selecting features jointly in ``P``, ``>= 0``.
    alpha_tasks : float, default=0.005
        Strength of the norm of each task's row of ``Q``, ``>= 0``: the
        smaller, the more tasks are let go as outliers. ``coef = 0`` iff
        ``alpha_features >= alpha_max(X, y, penalty="l21")`` and
        ``alpha_tasks >= alpha_max(X, y, penalty="task_l21")``.
        The default alpha_features 0.01: ``coef != 0`` as soon as one feature's
        covariance with one task's 0/1 labels exceeds it (a correlation of 0.02 for
        balanced classes, 0.04 at 6% positives).
        ``alpha_tasks`` defaults to half of it, the ``alpha_ratio`` of the
        CV estimators.
    """

    # The regressor's signature with the logistic loss's default strengths (DEFAULT_ALPHA).
    def __init__(self, alpha_features=0.01, alpha_tasks=0.005, *, l2_reg=0.0, fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=1000, warm_start=False, solver="auto",
                 device=None, verbose=0):
        store_params(self, locals())


class RobustMTFLRegressorCV(MultiTaskRegressorMixin, _TwoPartCV):
    """RobustMTFLRegressor with ``alpha`` chosen by cross-validation along its path.

    The objective is that of :class:`~mtlclassic.RobustMTFLRegressor`; the search is
    scikit-learn's ``LassoCV``'s (:ref:`cv-estimators` in ``docs/parameters.md``).

    Parameters
    ----------
    alpha_ratio : float, default=0.5
        The second strength as a multiple of the first, ``> 0``: the grid
        runs over ``alpha_features`` with ``alpha_tasks = alpha_ratio * alpha_features``.
        Its top is the smallest value at which both parts are zero.

    Attributes
    ----------
    alpha_features_, alpha_tasks_ : float
        The chosen strengths (``alpha_features_ = alpha_``).
    coef_shared_, coef_outlier_ : ndarray of shape (n_tasks, n_features)
        The parts of the refitted model.
    outlier_tasks_ : ndarray
        Labels of the tasks with a nonzero row of ``coef_outlier_``.
    """
    _estimator = RobustMTFLRegressor


class RobustMTFLClassifierCV(MultiTaskClassifierMixin, _TwoPartCV):
    """RobustMTFLClassifier with ``alpha`` chosen by cross-validation along its path.

    The objective is that of :class:`~mtlclassic.RobustMTFLClassifier`; the search is
    scikit-learn's ``LassoCV``'s (:ref:`cv-estimators` in ``docs/parameters.md``).
    """
    _estimator = RobustMTFLClassifier


ROBUST_MTFL = declare(
    "robust-mtfl", RobustMTFLRegressor, RobustMTFLClassifier,
    description="robust multi-task feature learning (outlier tasks)",
    grid=alpha_max_grid(("alpha_features", "l21"), ("alpha_tasks", "task_l21"),
                        separate=True),
    strengths=("alpha_features", "alpha_tasks"), alpha_max_names={"task_l21": "alpha_tasks"},
    cv=(RobustMTFLRegressorCV, RobustMTFLClassifierCV))
