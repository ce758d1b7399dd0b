"""The practitioner's baselines: one scikit-learn model over all tasks, the task as a feature.

What a practitioner fits before any multi-task model (``docs/baselines.md``):
feature augmentation (ridge or logistic regression on ``[x, e_t, c e_t (x) x]``,
Daume III's "frustratingly easy" domain adaptation) and gradient boosting
with the task as a categorical feature. Both take the package's two layouts,
task labels, ``unseen_tasks`` and ``sample_weight``, and predict, score and
classify by its conventions (:mod:`mtlclassic._prediction`).
"""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression

from .._docstrings import BASELINE, FIT_DATA, with_entries
from .._prediction import (MultiTaskClassifierMixin, MultiTaskPredictor, MultiTaskRegressorMixin,
                           store_params)
from ._augmentation import (augmented_design, augmented_ridge, long_format, split_augmented,
                            task_rows)
from ._grids import Grid, value_axis
from ._registry import declare


def _check_real(est, name, low, *, low_open=False, none=False):
    value = getattr(est, name)
    if none and value is None:
        return
    ok = (isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
          and (value > low if low_open else value >= low))
    if not ok:
        bound = f"> {low}" if low_open else f">= {low}"
        raise ValueError(f"{name} must be a finite number {bound}"
                         f"{' or None' if none else ''}, got {value!r}.")


def _check_int(est, name, low, *, none=False):
    value = getattr(est, name)
    if none and value is None:
        return
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}{' or None' if none else ''}, "
                         f"got {value!r}.")


class _FeatureAugmentation(MultiTaskPredictor):
    _doc_family = BASELINE
    _fitted_attribute = "coef_"

    def __init__(self, alpha=1.0, *, task_scale=1.0, fit_intercept=True, task_column=None,
                 unseen_tasks="error"):
        store_params(self, locals())

    def _check_params(self):
        _check_real(self, "alpha", 0.0, low_open=True)
        _check_real(self, "task_scale", 0.0)
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise ValueError(f"fit_intercept must be a bool, got {self.fit_intercept!r}.")

    @with_entries(FIT_DATA)
    def fit(self, X, y, sample_weight=None):
        """Fit the model on the augmented design of every task's rows.

        Parameters
        ----------
        """
        self._check_params()
        data = self._check_fit_input(X, y, sample_weight, task_weights=None)
        coef, intercept = self._solve(task_rows(self, data, X, sample_weight))
        self.coef_ = coef.astype(data.dtype, copy=False)
        self.intercept_ = intercept.astype(data.dtype, copy=False)
        return self


class FeatureAugmentationRegressor(MultiTaskRegressorMixin, _FeatureAugmentation):
    """Ridge regression on the augmented design ``[x, e_t, c e_t (x) x]`` (all tasks' rows).

    Objective, the sum of squares over the rows of all tasks (scikit-learn's
    ``Ridge(alpha)`` on the augmented design, whose intercept ``b`` is not
    penalised)::

        min_{w, u, v, b}  sum_t sum_{i in t} s_i (y_i - b - x_i . w - u_t - c x_i . v_t)^2
                          + alpha (||w||^2 + ||u||^2 + sum_t ||v_t||^2)

    with ``s_i`` the sample weights, ``e_t`` task t's indicator and
    ``c = task_scale``. Task t's model is ``coef_[t] = w + c v_t`` and
    ``intercept_[t] = b + u_t``: a shared model plus a task deviation, both
    shrunk, the deviations ``c^2`` times less (``c -> 0`` pools the tasks,
    ``c -> inf`` frees them). It is the mean-regularised model of Evgeniou
    and Pontil with the shared model penalised too and the task offsets
    shrunk, with the loss a sum over rows (large tasks weigh more), not the
    package's sum of task means. The solve is exact (the block structure of
    the normal equations; the augmented design is never formed).

    Parameters
    ----------
    alpha : float, default=1.0
        Ridge strength ``> 0``, in the units of the objective above: the
        squared error *summed* over the rows (scikit-learn's ``Ridge``
        units), so its effect shrinks as the number of rows grows.
        ``mtlclassic compare`` searches it from 0.01 to 1e4.
    task_scale : float, default=1.0
        ``c >= 0``, the scale of the task-specific copy of the features.
        1.0 is Daume III's choice (equal shrinkage of the shared and the task
        parts); 0 pools the tasks into one model with per-task offsets.
    fit_intercept : bool, default=True
        Fit the unpenalised shared intercept ``b``.

    Attributes
    ----------
    coef_ : ndarray of shape (n_tasks, n_features)
        Each task's weights ``w + c v_t`` (on the features without the task
        column).
    intercept_ : ndarray of shape (n_tasks,)
        Each task's intercept ``b + u_t``.

    References
    ----------
    Daume III, H. (2007). Frustratingly easy domain adaptation. ACL.
    Evgeniou, T. and Pontil, M. (2004). Regularized multi-task learning. KDD.
    """

    def _solve(self, blocks):
        return augmented_ridge(blocks, self.alpha, self.task_scale, self.fit_intercept)


class FeatureAugmentationClassifier(MultiTaskClassifierMixin, _FeatureAugmentation):
    """Logistic regression on the augmented design ``[x, e_t, c e_t (x) x]`` (all tasks' rows).

    Objective, the logistic loss summed over the rows of all tasks
    (scikit-learn's ``LogisticRegression(C=1 / alpha)`` on the augmented
    design, its lbfgs solver, the intercept ``b`` not penalised)::

        min_{w, u, v, b}  sum_t sum_{i in t} s_i log(1 + exp(-y_i z_i))
                          + alpha / 2 (||w||^2 + ||u||^2 + sum_t ||v_t||^2)

        z_i = b + x_i . w + u_t + c x_i . v_t   (row i of task t)

    with the labels ``classes_`` mapped to ``y in {-1, +1}``. Task t's model
    is ``coef_[t] = w + c v_t``, ``intercept_[t] = b + u_t``. The augmented
    design is built sparse (CSR): at most ``2 p + 1`` nonzeros a row.

    Parameters
    ----------
    alpha : float, default=1.0
        Strength ``> 0`` in the units above (the loss summed over rows):
        ``LogisticRegression``'s ``C = 1 / alpha``.
    tol : float, default=0.0001
        lbfgs's stopping tolerance (``LogisticRegression``'s ``tol``).
    max_iter : int, default=100
        lbfgs's iteration limit (``LogisticRegression``'s ``max_iter``).

    Attributes
    ----------
    n_iter_ : int
        lbfgs's iterations.
    """

    def __init__(self, alpha=1.0, *, task_scale=1.0, fit_intercept=True, task_column=None,
                 unseen_tasks="error", tol=1e-4, max_iter=100):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        _check_real(self, "tol", 0.0, low_open=True)
        _check_int(self, "max_iter", 1)

    def _solve(self, blocks):
        feats, task, y, sw = long_format(blocks)
        T, p = len(blocks), feats.shape[1]
        # Sparse always: each row has at most 2 p + 1 nonzeros of the design's p + T + T p
        # columns, and lbfgs's time is its products (Landmine's 7,400 training rows of an
        # inner fold: 0.09 s against 0.33 s dense at alpha=0.01, 0.05 s against 0.11 s at 1).
        Z = augmented_design(feats, task, T, self.task_scale, sparse=True)
        model = LogisticRegression(C=1.0 / self.alpha, fit_intercept=self.fit_intercept,
                                   tol=self.tol, max_iter=self.max_iter)
        model.fit(Z, y, sample_weight=sw)
        self.n_iter_ = int(np.max(model.n_iter_))
        coef, offsets = split_augmented(model.coef_[0].astype(np.float64), p, T, self.task_scale)
        return coef, float(model.intercept_[0]) + offsets


# -- gradient boosting -------------------------------------------------------------------
# HistGradientBoosting bins a categorical feature's values as bins 0..max_bins - 1.
_MAX_CATEGORIES = 255


class _GradientBoosting(MultiTaskPredictor):
    _doc_family = BASELINE
    _fitted_attribute = "estimator_"

    def __init__(self, *, learning_rate=0.1, max_iter=100, max_leaf_nodes=31,
                 min_samples_leaf=20, l2_regularization=0.0, early_stopping="auto",
                 validation_fraction=0.1, n_iter_no_change=10, random_state=None,
                 task_column=None, unseen_tasks="error"):
        store_params(self, locals())

    def _make(self):
        cls = HistGradientBoostingClassifier if self._classifier else \
            HistGradientBoostingRegressor
        return cls(learning_rate=self.learning_rate, max_iter=self.max_iter,
                   max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
                   l2_regularization=self.l2_regularization, early_stopping=self.early_stopping,
                   validation_fraction=self.validation_fraction,
                   n_iter_no_change=self.n_iter_no_change, random_state=self.random_state)

    @with_entries(FIT_DATA)
    def fit(self, X, y, sample_weight=None):
        """Fit one boosted model on every task's rows, the task a categorical feature.

        Parameters
        ----------
        """
        # scikit-learn's own checks of its parameters, before the data's (a bad value fails
        # with its message whatever the data).
        model = self._make()
        model._validate_params()
        data = self._check_fit_input(X, y, sample_weight, task_weights=None)
        if data.n_tasks > _MAX_CATEGORIES:
            raise ValueError(
                f"{type(self).__name__} takes at most {_MAX_CATEGORIES} tasks (the categories of "
                f"HistGradientBoosting's categorical feature), got {data.n_tasks}; use "
                "FeatureAugmentation* or group the tasks.")
        feats, task, y, sw = long_format(task_rows(self, data, X, sample_weight))
        p = feats.shape[1]
        model.set_params(categorical_features=[p])
        model.fit(self._with_task(feats, task), y, sample_weight=sw)
        self.estimator_ = model
        self.n_iter_ = model.n_iter_
        return self

    @staticmethod
    def _with_task(feats, task):
        """``[x, t]``: the features (dense: the boosting bins them) and the task code."""
        feats = feats.toarray() if sp.issparse(feats) else feats
        return np.column_stack([np.asarray(feats, dtype=np.float64), task])

    def _output_dtype(self):
        return np.dtype(np.float64)

    def _raw(self, feats, task):
        """The boosted model's output: the prediction, or the log-odds of ``classes_[1]``."""
        Z = self._with_task(feats, task)
        return (self.estimator_.decision_function(Z) if self._classifier
                else self.estimator_.predict(Z))

    def _shared_outputs(self, feats):
        n = feats.shape[0]
        return np.column_stack([self._raw(feats, np.full(n, t)) for t in range(self.n_tasks_)])

    def _task_outputs(self, feats, task_index):
        return self._raw(feats, task_index)

    def _unseen_task_outputs(self, feats):
        return self._shared_outputs(feats).mean(axis=1)


class GradientBoostingTaskRegressor(MultiTaskRegressorMixin, _GradientBoosting):
    """scikit-learn's ``HistGradientBoostingRegressor`` on all tasks' rows, the task a category.

    One boosted tree ensemble ``f(x, t)`` fitted to the rows of every task,
    the task ``t`` an extra categorical feature (trees split on sets of
    tasks), minimising the squared error summed over the rows with the
    sample weights ``s_i`` (large tasks weigh more)::

        sum_t sum_{i in t} s_i (y_i - f(x_i, t))^2 / 2

    by gradient boosting (each iteration one tree of at most
    ``max_leaf_nodes`` leaves fitted to the gradient, scaled by
    ``learning_rate``, leaves penalised by ``l2_regularization``). The
    parameters are ``HistGradientBoostingRegressor``'s, with its defaults;
    the features are binned (255 bins), sparse ``X`` densified. At most 255
    tasks (the categories a categorical feature can hold).

    Parameters
    ----------
    learning_rate : float, default=0.1
        Shrinkage of each tree's contribution.
    max_iter : int, default=100
        Maximum number of boosting iterations (trees).
    max_leaf_nodes : int or None, default=31
        Maximum leaves of each tree.
    min_samples_leaf : int, default=20
        Minimum rows in a leaf.
    l2_regularization : float, default=0.0
        L2 penalty on the leaf values.
    early_stopping : "auto" or bool, default="auto"
        Stop when the loss on ``validation_fraction`` of the rows (drawn at
        random over all tasks' rows) has not improved for
        ``n_iter_no_change`` iterations; ``"auto"``: on above 10,000 rows.
    validation_fraction : float, default=0.1
        Share of the rows held out for early stopping.
    n_iter_no_change : int, default=10
        Patience of early stopping.
    random_state : int, RandomState instance or None, default=None
        Seeds the early-stopping split (and the binning's subsample above
        200,000 rows).

    Attributes
    ----------
    estimator_ : HistGradientBoostingRegressor
        The fitted model; its last feature is the task code (the position
        of the task in ``tasks_``).
    n_iter_ : int
        Boosting iterations run (early stopping may end them before
        ``max_iter``).

    References
    ----------
    Friedman, J. H. (2001). Greedy function approximation: a gradient
    boosting machine. Annals of Statistics 29(5).
    Ke, G. et al. (2017). LightGBM: a highly efficient gradient boosting
    decision tree. NeurIPS.
    """


class GradientBoostingTaskClassifier(MultiTaskClassifierMixin, _GradientBoosting):
    """scikit-learn's ``HistGradientBoostingClassifier`` on all tasks' rows, the task a category.

    One boosted ensemble ``f(x, t)`` (the log-odds of ``classes_[1]``) fitted
    to the rows of every task, the task an extra categorical feature,
    minimising the logistic loss summed over the rows::

        sum_t sum_{i in t} s_i log(1 + exp(-y_i f(x_i, t)))

    with the labels ``classes_`` mapped to ``y in {-1, +1}``.
    ``decision_function`` is ``f``, ``predict_proba`` its logistic
    transform (as ``HistGradientBoostingClassifier``'s).

    Attributes
    ----------
    estimator_ : HistGradientBoostingClassifier
        The fitted model; its last feature is the task code.
    """


# compare's grids, measured with its protocol (seed 0) tuned by the pooled squared error
# (docs/baselines.md): feature augmentation chose task_scale 0 or 1 with alpha 10-100 on
# School (20% training), 0.1 with alpha 0.1 on Parkinsons and 0.1 with alpha 0.01 on SARCOS
# (75%), where the optimum is flat (the same 0.9688 at alpha 1, task_scale 1 on that split);
# task_scale=0 (pooled weights, shrunk task offsets) is the natural end of its axis.
# Boosting chose 3 or 15 leaves on School, 15 on Parkinsons and 63 on SARCOS (where 31,
# the largest of an earlier grid, lost 0.002 of explained variance), learning rates 0.05-0.2;
# one split's search took 4 s on School, 26 s on Parkinsons, 108 s on SARCOS (2 cores shared,
# load 4). Early stopping fixed on, at most 500 trees.
_FA_ALPHAS = (1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4)
_FA_SCALES = (0.0, 0.1, 0.3, 1.0, 3.0)
FEATURE_AUGMENTATION = declare(
    "feature-augmentation", FeatureAugmentationRegressor, FeatureAugmentationClassifier,
    family="baseline",
    description="ridge / logistic regression on [x, one-hot(task), c one-hot(task) (x) x]",
    grid=lambda kind, X, y, task_column: Grid([
        value_axis("alpha", _FA_ALPHAS),
        # 0 (no task-specific part) is an end of the axis, not an open edge.
        value_axis("task_scale", _FA_SCALES, low=0.0, high=30.0, saturates=("low",))]))
GRADIENT_BOOSTING = declare(
    "gradient-boosting", GradientBoostingTaskRegressor, GradientBoostingTaskClassifier,
    family="baseline", description="histogram gradient boosting, the task a categorical feature",
    grid=lambda kind, X, y, task_column: Grid([
        value_axis("learning_rate", (0.05, 0.2), low=0.01, high=1.0),
        value_axis("max_leaf_nodes", (3, 15, 63), low=2, high=1023, integer=True)]),
    fixed={"early_stopping": True, "max_iter": 500})
