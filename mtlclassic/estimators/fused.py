"""Tasks in an order (time points): the fused sparse-group lasso.

Features are selected jointly (the group term), sparse within a kept feature
(the l1 term), and each feature's weights are piecewise constant along the
order of the tasks (the fused term: change points). The penalty acts on each
feature's weights across tasks separately with an exact row prox
(:class:`~mtlclassic.penalties.FusedSparseGroup`: total-variation prox,
soft threshold, group shrinkage), so block coordinate descent and the
working-set solvers fit it, certified by the duality gap.
"""

import numbers

from ..penalties import FusedSparseGroup
from ._alpha_max import alpha_max
from ._base import MultiTaskClassifierMixin, MultiTaskRegressorMixin, store_params
from ._grids import _LOSS, FRACTIONS, Axis, Grid, _fraction_axis, format_value
from ._path import path_function
from ._registry import declare
from .temporal import _OrderedPathCV, _OrderedTasks


class _FusedSparseGroupLasso(_OrderedTasks):
    _nonneg_params = ("alpha", "alpha_fused", "l2_reg")

    def __init__(self, alpha=0.1, *, l1_ratio=0.5, alpha_fused=0.05, task_order=None,
                 l2_reg=0.0, fit_intercept=True, intercept_shrinkage=0.0, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=1000,
                 warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        r = self.l1_ratio
        if isinstance(r, bool) or not isinstance(r, numbers.Real) or not 0.0 <= r <= 1.0:
            raise ValueError(f"l1_ratio must be a number in [0, 1], got {r!r}.")
        if self.alpha == 0 and self.l2_reg == 0 and self.alpha_fused > 0:
            raise ValueError(
                "alpha and l2_reg cannot both be 0 with alpha_fused > 0: the fused term does "
                "not penalise each feature's mean over the tasks, so the problem may have no "
                "unique solution and no finite duality gap. Use alpha > 0 or l2_reg > 0.")

    def _make_penalty(self, n_features, n_tasks):
        return FusedSparseGroup(self.alpha, self.l1_ratio, self.alpha_fused,
                                self._order(n_tasks), self.l2_reg)


class FusedSparseGroupLassoRegressor(MultiTaskRegressorMixin, _FusedSparseGroupLasso):
    """Fused sparse-group lasso regression: tasks are time points, weights piecewise constant.

    Objective, ``F`` the datafit written out in Notes, ``o_1, ..., o_T`` the
    tasks in ``task_order``::

        min_{coef, b}  F(coef, b)  +  alpha * (l1_ratio ||coef||_1 + (1 - l1_ratio) sum_j ||coef[:, j]||_2)  +  alpha_fused * sum_{i<T} ||coef[o_i] - coef[o_{i+1}]||_1  +  l2_reg / 2 ||coef||_F^2

    The group term selects features for all time points at once, the l1
    term lets a kept feature be zero at some time points, and the fused term
    makes each feature's weights change at few time points (change points).
    The prox of a feature's row is exact: the 1-D total-variation prox along
    the order (Condat's direct algorithm), then the soft threshold, then the
    group shrinkage (Friedman et al. 2007; Jenatton et al. 2011); block
    coordinate descent solves it, certified by the duality gap. MALSAR:
    ``Least_CFGLasso`` (``alpha = rho1 + rho3``, ``l1_ratio = rho1 / (rho1 +
    rho3)``, ``alpha_fused = rho2`` with its datafit matched, see
    ``docs/malsar.md``).

    Parameters
    ----------
    alpha : float, default=0.1
        Strength of the sparse-group term, ``>= 0``. ``coef = 0`` iff ``alpha
        >= alpha_max`` at this ``alpha_fused`` (the model's path and CV grid
        start there: ``regularization_path``); with ``alpha_fused = 0`` it is
        ``alpha_max(X, y, penalty="sparse_group", l1_ratio=l1_ratio)``.
    l1_ratio : float, default=0.5
        Share of the l1 term, in ``[0, 1]``: 0 is the group lasso's term, 1
        the lasso's.
    alpha_fused : float, default=0.05
        Strength of the fused (total variation) term along the task order,
        ``>= 0``: ``0`` is the sparse-group lasso; as it grows each
        feature's weights tend to one value for all time points. ``alpha``
        and ``l2_reg`` cannot both be 0 when it is positive (``ValueError``):
        the term does not penalise a feature's mean over the tasks.
    task_order : array-like of task labels, default=None
        The tasks (labels of ``tasks_``) in their temporal order; ``None``:
        the order of ``tasks_`` (sorted labels; the targets' columns in the
        shared layout). Checked at fit: every task exactly once.
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 ||coef||_F^2`` added to the penalty, ``>= 0``.

    Attributes
    ----------
    task_order_ : ndarray of shape (n_tasks,)
        The task labels in the order used.

    References
    ----------
    Zhou, J., Liu, J., Narayan, V. A. and Ye, J. (2012). Modeling disease
    progression via fused sparse group lasso. KDD.
    Condat, L. (2013). A direct algorithm for 1-D total variation denoising.
    IEEE Signal Processing Letters 20(11).
    Friedman, J., Hastie, T., Hoefling, H. and Tibshirani, R. (2007).
    Pathwise coordinate optimization. Ann. Appl. Stat. 1(2).
    Jenatton, R., Mairal, J., Obozinski, G. and Bach, F. (2011). Proximal
    methods for hierarchical sparse coding. JMLR 12.
    """


class FusedSparseGroupLassoClassifier(MultiTaskClassifierMixin, _FusedSparseGroupLasso):
    """Fused sparse-group lasso logistic regression: tasks are time points, piecewise constant.

    Each task is a binary problem. MALSAR: ``Logistic_CFGLasso``.
    """

    # The regressor's signature with the logistic loss's default strengths (a tenth:
    # 0/1 labels covary less with a feature than standardised targets do).
    def __init__(self, alpha=0.01, *, l1_ratio=0.5, alpha_fused=0.005, task_order=None,
                 l2_reg=0.0, fit_intercept=True, intercept_shrinkage=0.0, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=1000,
                 warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())


class _FusedSparseGroupLassoCV(_OrderedPathCV):
    _own = ("l1_ratio", "alpha_fused", "task_order")

    def __init__(self, *, l1_ratio=0.5, alpha_fused=0.05, task_order=None, alphas=None,
                 n_alphas=100, eps=1e-3, cv=5, n_jobs=None, scoring=None, l2_reg=0.0,
                 fit_intercept=True, intercept_shrinkage=0.0, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=1000,
                 solver="auto", device=None, verbose=0):
        store_params(self, locals())


class FusedSparseGroupLassoRegressorCV(MultiTaskRegressorMixin, _FusedSparseGroupLassoCV):
    """FusedSparseGroupLassoRegressor with ``alpha`` chosen by cross-validation along its path.

    The objective is that of :class:`~mtlclassic.FusedSparseGroupLassoRegressor`;
    the search is scikit-learn's ``LassoCV``'s (:ref:`cv-estimators` in
    ``docs/parameters.md``), ``l1_ratio``, ``alpha_fused`` and ``task_order``
    held fixed; the grid starts at ``alpha_max`` at that ``alpha_fused``.

    Parameters
    ----------
    l1_ratio : float, default=0.5
        Share of the l1 term, in ``[0, 1]``, as in the model.
    alpha_fused : float, default=0.05
        Strength of the fused term, as in the model.
    task_order : array-like of task labels, default=None
        The tasks in their temporal order, as in the model.
    """

    _estimator = FusedSparseGroupLassoRegressor


class FusedSparseGroupLassoClassifierCV(MultiTaskClassifierMixin, _FusedSparseGroupLassoCV):
    _estimator = FusedSparseGroupLassoClassifier


fused_sparse_group_lasso_path = path_function(
    "fused_sparse_group_lasso_path", FusedSparseGroupLassoRegressor,
    "Fused sparse-group lasso regularisation path at fixed ``l1_ratio`` and ``alpha_fused``.",
    penalty="alpha * (l1_ratio ||coef||_1 + (1 - l1_ratio) sum_j ||coef[:, j]||_2) + "
            "alpha_fused * sum_i ||coef[o_i] - coef[o_{i+1}]||_1",
    own={"l1_ratio": 0.5, "alpha_fused": 0.05, "task_order": None},
    own_doc="; ``l1_ratio``, ``alpha_fused`` and\n    ``task_order`` as in the model "
            "(``alpha_max`` is taken at that ``alpha_fused``)")


# The largest alpha_fused the search may reach, a multiple of the sparse-group alpha_max: far
# beyond the gradient's scale every feature's weights are one value for all tasks (the fused
# term saturates: a pooled sparse-group model). On School the search went to the former end,
# 1 alpha_max (tasks ordered by label, two splits).
FUSED_HIGH = 100.0


def fused_grid(l1_ratio=0.5, fractions=FRACTIONS, fused_fractions=(0.3, 0.1, 0.03, 0.01),
               fused_initial=(0.1,)):
    """``alpha`` as fractions of the sparse-group ``alpha_max``, then ``alpha_fused`` likewise.

    The fused axis is secondary (its ``fused_initial`` values in the default
    product; the search moves along it from the best point, up to
    ``FUSED_HIGH`` times ``alpha_max``).
    """

    def grid(kind, X, y, task_column):
        top = alpha_max(X, y, penalty="sparse_group", l1_ratio=l1_ratio, loss=_LOSS[kind],
                        task_column=task_column)
        fused = Axis("alpha_fused", tuple(fused_fractions),
                     lambda f: {"alpha_fused": max(f * top, 1e-12)},
                     lambda f: f"alpha_fused={format_value(f)} alpha_max",
                     min(fused_fractions) / 1e2, FUSED_HIGH, saturates=("high",),
                     initial=tuple(fused_initial))
        return Grid([_fraction_axis(["alpha"], [top], fractions), fused],
                    {"l1_ratio": l1_ratio}, f"l1_ratio={format_value(l1_ratio)}")

    return grid


FUSED_SPARSE_GROUP_LASSO = declare(
    "fused-sparse-group-lasso", FusedSparseGroupLassoRegressor, FusedSparseGroupLassoClassifier,
    description="sparse group lasso fused over ordered tasks (Zhou et al. 2012, MALSAR CFGLasso)",
    grid=fused_grid(), fixed={"l1_ratio": 0.5}, strengths=("alpha",),
    path=fused_sparse_group_lasso_path,
    cv=(FusedSparseGroupLassoRegressorCV, FusedSparseGroupLassoClassifierCV))
