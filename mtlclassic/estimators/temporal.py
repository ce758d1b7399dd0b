"""Tasks in an order (time points): the temporal group lasso.

Each task is a time point (a visit of a disease-progression study, say):
the models keep or drop a feature for all time points at once and ask its
weights to change smoothly along the order. The penalty acts on each
feature's weights across tasks separately with an exact row prox
(:class:`~mtlclassic.penalties.TemporalL21`), so block coordinate descent
and the working-set solvers fit it, certified by the duality gap.
"""

import numpy as np

from ..penalties import TemporalL21
from ._base import (MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin,
                    store_params)
from ._grids import Axis, Grid, alpha_max_grid, format_value
from ._path import path_function
from ._registry import declare
from .cv import _PathCV


def task_positions(task_order, tasks):
    """Positions in ``tasks`` (the fitted ``tasks_``) of the labels of ``task_order``, in order.

    ``None`` is the order of ``tasks_`` (sorted labels; the targets' columns
    in the shared layout). Otherwise every task must appear exactly once.
    """
    T = len(tasks)
    if task_order is None:
        return np.arange(T)
    labels = np.asarray(task_order, dtype=object).ravel().tolist()
    index = {label: k for k, label in enumerate(np.asarray(tasks).tolist())}
    unknown = [label for label in labels if label not in index]
    positions = [index[label] for label in labels if label in index]
    if unknown or len(labels) != T or len(set(positions)) != T:
        missing = [label for label, k in index.items() if k not in set(positions)]
        raise ValueError(
            f"task_order must list each of the {T} tasks of tasks_ exactly once; got "
            f"{len(labels)} labels (unknown: {unknown[:5]}, missing: {missing[:5]}). "
            "Pass the task labels in their temporal order.")
    return np.asarray(positions, dtype=np.int64)


class _OrderedTasks(MultiTaskLinearModel):
    """Shared by the models of tasks in an order: ``task_order`` and ``task_order_``."""

    def _order(self, n_tasks):
        """The tasks' positions in their order; records ``task_order_`` (labels in order)."""
        positions = task_positions(self.task_order, self.tasks_)
        self.task_order_ = np.asarray(self.tasks_)[positions]
        return positions


class _TemporalGroupLasso(_OrderedTasks):
    _nonneg_params = ("alpha", "lambda_smooth", "l2_reg")

    def __init__(self, alpha=0.1, *, lambda_smooth=1.0, task_order=None, l2_reg=0.0,
                 fit_intercept=True, intercept_shrinkage=0.0, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=1000,
                 warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        if self.alpha == 0 and self.l2_reg == 0 and self.lambda_smooth > 0:
            raise ValueError(
                "alpha and l2_reg cannot both be 0 with lambda_smooth > 0: the smoothing term "
                "does not penalise each feature's mean over time, so the problem may have no "
                "unique solution and no finite duality gap. Use alpha > 0 or l2_reg > 0.")

    def _make_penalty(self, n_features, n_tasks):
        return TemporalL21(self.alpha, self.lambda_smooth, self._order(n_tasks), self.l2_reg)


class TemporalGroupLassoRegressor(MultiTaskRegressorMixin, _TemporalGroupLasso):
    """Temporal group lasso regression: tasks are time points, weights smooth over time.

    Objective, ``F`` the datafit written out in Notes, ``o_1, ..., o_T`` the
    tasks in ``task_order``::

        min_{coef, b}  F(coef, b)  +  lambda_smooth / 2 sum_{i<T} ||coef[o_i] - coef[o_{i+1}]||_2^2  +  alpha * sum_j ||coef[:, j]||_2  +  l2_reg / 2 ||coef||_F^2

    The group term keeps or drops each feature for every time point at once
    (as :class:`~mtlclassic.GroupLassoRegressor`); the temporal term pulls the
    weights of consecutive time points together. Every term separates over
    features, and the prox of a feature's row is exact: in the eigenbasis of
    the path Laplacian (the DCT-II basis) a weighted ridge shrinkage scaled by
    the root of a 1-D equation; block coordinate descent solves it, certified
    by the duality gap. MALSAR: ``Least_TGL`` (``l2_reg = 2 rho1``,
    ``lambda_smooth = 2 rho2``, ``alpha = rho3`` with its datafit matched, see
    ``docs/malsar.md``).

    Parameters
    ----------
    alpha : float, default=0.1
        Strength of the group (l2,1) term, ``>= 0``. ``coef = 0`` for
        ``alpha >= alpha_max(X, y)`` (the group lasso's, see
        :func:`mtlclassic.alpha_max`: the temporal term has no gradient at 0).
    lambda_smooth : float, default=1.0
        Strength of the temporal smoothness term, ``>= 0``: ``0`` is the group
        lasso; as it grows each feature's weights tend to one value for all
        time points. ``alpha`` and ``l2_reg`` cannot both be 0 when it is
        positive (``ValueError``): the term does not penalise a feature's mean
        over time.
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
    Zhou, J., Yuan, L., Liu, J. and Ye, J. (2011). A multi-task learning
    formulation for predicting disease progression. KDD.
    """


class TemporalGroupLassoClassifier(MultiTaskClassifierMixin, _TemporalGroupLasso):
    """Temporal group lasso logistic regression: tasks are time points, weights smooth over time.

    Each task is a binary problem. MALSAR: ``Logistic_TGL``.
    """

    # The regressor's signature with the logistic loss's default strength (0.01, as the
    # group lasso's classifier: tests/test_common.py::test_defaults_fit_useful_models).
    def __init__(self, alpha=0.01, *, lambda_smooth=1.0, task_order=None, l2_reg=0.0,
                 fit_intercept=True, intercept_shrinkage=0.0, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=1000,
                 warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())


class _OrderedPathCV(_PathCV):
    """CV along ``alpha`` with the model's other penalty parameters (``_own``) held fixed."""

    _own = ()

    def _model_params(self):
        params = super()._model_params()
        params.update({name: getattr(self, name) for name in self._own})
        return params


class _TemporalGroupLassoCV(_OrderedPathCV):
    _own = ("lambda_smooth", "task_order")

    def __init__(self, *, lambda_smooth=1.0, task_order=None, alphas=None, n_alphas=100,
                 eps=1e-3, cv=5, n_jobs=None, scoring=None, l2_reg=0.0, fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=1000, solver="auto", device=None,
                 verbose=0):
        store_params(self, locals())


class TemporalGroupLassoRegressorCV(MultiTaskRegressorMixin, _TemporalGroupLassoCV):
    """TemporalGroupLassoRegressor with ``alpha`` chosen by cross-validation along its path.

    The objective is that of :class:`~mtlclassic.TemporalGroupLassoRegressor`;
    the search is scikit-learn's ``LassoCV``'s (:ref:`cv-estimators` in
    ``docs/parameters.md``), ``lambda_smooth`` and ``task_order`` held fixed.

    Parameters
    ----------
    lambda_smooth : float, default=1.0
        Strength of the temporal smoothness term, as in the model.
    task_order : array-like of task labels, default=None
        The tasks in their temporal order, as in the model.
    """

    _estimator = TemporalGroupLassoRegressor


class TemporalGroupLassoClassifierCV(MultiTaskClassifierMixin, _TemporalGroupLassoCV):
    _estimator = TemporalGroupLassoClassifier


temporal_group_lasso_path = path_function(
    "temporal_group_lasso_path", TemporalGroupLassoRegressor,
    "Temporal group lasso regularisation path at a fixed ``lambda_smooth``.",
    penalty="lambda_smooth / 2 sum_i ||coef[o_i] - coef[o_{i+1}]||^2 + "
            "alpha * sum_j ||coef[:, j]||_2",
    own={"lambda_smooth": 1.0, "task_order": None},
    own_doc="; ``lambda_smooth`` and ``task_order``\n    as in the model")


def smoothness_axis(name, values=(0.1, 1.0, 10.0, 100.0), initial=(1.0,)):
    """A secondary axis of a smoothness strength: ``initial`` in the default product.

    The search moves along it from the best point; its low end (no
    smoothing) is the model without the temporal term.
    """
    return Axis(name, tuple(values), lambda v: {name: v},
                lambda v: f"{name}={format_value(v)}", min(values) / 1e3, max(values) * 1e3,
                initial=tuple(initial))


def ordered_grid(strength, penalty, smooth, **extra):
    """Fractions of ``alpha_max`` for ``strength``, then a smoothness axis ``smooth``."""
    base = alpha_max_grid((strength, penalty), **extra)

    def grid(kind, X, y, task_column):
        return Grid(base(kind, X, y, task_column).axes + (smoothness_axis(smooth),))

    return grid


TEMPORAL_GROUP_LASSO = declare(
    "temporal-group-lasso", TemporalGroupLassoRegressor, TemporalGroupLassoClassifier,
    description="group lasso smooth over ordered tasks (Zhou et al. 2011, MALSAR TGL)",
    grid=ordered_grid("alpha", "l21", "lambda_smooth"),
    strengths=("alpha",), path=temporal_group_lasso_path,
    cv=(TemporalGroupLassoRegressorCV, TemporalGroupLassoClassifierCV))
