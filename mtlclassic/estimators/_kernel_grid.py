"""``compare``'s search of the kernel task-relation model: a pattern search on axes, warm-started.

The model's strengths are axes of :class:`~mtlclassic.estimators._grids.Grid`,
searched as the linear models' are (:func:`mtlclassic.compare._tuning.search`):
from one default point, the neighbours along each axis are scored (each
fold's fit warm-started from its nearest fit) until the best point's
neighbours all are, an axis extended past an end its best value sits at. The
axes:

- ``alpha`` with ``lambda_2 = KERNEL_LAMBDA_2_RATIO * alpha``: the strength of
  the penalty on the tasks' deviations from their mean (ridge and MTRL's
  prior together); where the kernel is a choice (below), the ratio
  ``lambda_2 / alpha`` is an axis too (``LAMBDA_2_RATIOS``, from 10);
- ``lambda_mean``: the shared mean function's own penalty
  (:class:`~mtlclassic.KernelTaskRelationRegressor`'s ``lambda_mean``; the
  tasks' mean function is what School rewards: the linear mean-regularised
  and pooled models beat the plain MTRL by 0.03 EV there);
- the kernel, a choice, when RBF fits are cheap (:func:`searches_rbf`): the
  linear kernel and the RBF kernel at ``KERNEL_GAMMA_FACTORS`` times the
  median heuristic, each with its own pattern search of the two strengths
  (a categorical primary axis), the linear kernel preferred unless an RBF
  point beats it by the standard error of its score over the folds (the
  one-standard-error rule, as :class:`~mtlclassic.estimators._grids.PreferredPoints`);
- the linear kernel's further choices, where a linear search is cheap (at most
  ``LINEAR_CHOICE_ROWS`` training rows, or where RBF points are searched): the
  linear kernel with *ordered tasks*, a fixed task covariance (no learned
  ``Omega``; :func:`ordered_task_covariance`) with the penalty
  ``lambda_mean/2 T ||f_bar||^2 + alpha/2 sum_t ||f_t - f_bar||^2 + r alpha/2
  sum_t ||f_t - f_{t+1}||^2``, neighbours in the order of the task codes pulled
  together (``r`` the ``lambda_2 / alpha`` axis): the kernel form of the linear
  models that fuse neighbouring tasks (``temporal-group-lasso``,
  ``fused-sparse-group-lasso``), whose assumption (the order of the task codes
  means something) the inner folds accept or reject, as they do for those
  models; and each linear choice again on each feature's quantiles mapped to a
  normal (``feature_map="quantile"``,
  :mod:`mtlclassic.estimators._feature_map`). All the linear choices are the
  preferred (simpler) ones of the one-standard-error rule; among them the
  best mean wins.

Why those two (benchmarks/KERNEL_RESULTS.md, section 4, Landmine): the linear
models fused over ordered tasks won Landmine (AUC 0.769-0.771 against 0.743-0.752
for the unordered ones, 5 splits), and Landmine's features are heavy-tailed
(kurtosis 10 to 530): at fixed points the ordered linear kernel gained 0.015 AUC
over the learned covariance, the quantile map 0.008 more.

RBF points are searched only where a fit is cheap: the exact solve (at most
``KERNEL_EXACT_ROWS`` training rows) or at most ``MANY_TASKS`` tasks, where the
feature-space W-step is one direct solve (``solvers/normal.py``). With more
tasks on features the W-steps are FISTA's, an RBF fit costs 0.5-18 s on
School against ~0.3 s for the linear kernel, and RBF lost to the linear
kernel on School and Landmine (benchmarks/KERNEL_RESULTS.md, section 4):
there the search is the linear kernel's, unless ``many_task_rbf=True``.
"""

import numpy as np

from . import _grids
from ._grids import (TARGET_SCALE_SPREAD, Axis, Grid, format_value, median_gamma, nystroem_rank,
                     target_spread, value_axis)

# The RBF kernel's gamma as multiples of the median heuristic (SARCOS chose 1/16 to 1/4 of it;
# School and Landmine the linear kernel).
KERNEL_GAMMA_FACTORS = (1 / 16, 1 / 4, 1.0)
# lambda_2 = ratio * alpha: SARCOS chose alpha = 1e-6 with lambda_2 = 1e-5 (30 of 30
# split-runs, KERNEL_RESULTS.md section 1); on School (one 75/25 split, linear kernel,
# lambda_mean = 0.01) test EV 0.3789 / 0.3823 / 0.3775 at alpha = 0.01 / 0.1 / 1.
KERNEL_LAMBDA_2_RATIO = 10.0
# With RBF points (cheap fits) the ratio is an axis of its own, from KERNEL_LAMBDA_2_RATIO.
LAMBDA_2_RATIOS = (1.0, 10.0, 100.0)
# The alpha searched: the linear kernel's start at 0.1 (School's best above); with RBF points
# the axis reaches SARCOS's 1e-6 (two steps of 100 down from 1e-2).
LINEAR_ALPHAS = (1e-2, 1e-1, 1.0)
RBF_ALPHAS = (1e-6, 1e-4, 1e-2, 1.0)
# lambda_mean is a per-task ridge on the mean function (its penalty lambda_mean/2 T ||f_bar||^2
# against a datafit that sums T task means): School's test EV 0.382 / 0.381 / 0.327 at
# 0.01 / 0.1 / 1 (alpha = 0.1).
LAMBDA_MEANS = (1e-3, 1e-2, 1e-1)
# Up to this many tasks the feature-space W-step is a direct solve (solvers/normal.py).
MANY_TASKS = 16
# Up to this many training rows (or where RBF points are searched) the linear kernel's further
# choices are searched: ordered tasks and the quantile feature map (four linear searches in
# place of one). Landmine (2,964 rows, 29 tasks): 1-2 min of tuning per split at load ~5;
# School (11,517 rows, 139 tasks) keeps the single learned-covariance search whose time is
# its acceptance figure (at most 3x task-relation's).
LINEAR_CHOICE_ROWS = 5000


def searches_rbf(n_rows, n_tasks, many_task_rbf=False):
    """Whether the search includes RBF points: the exact solve, few tasks, or forced."""
    return bool(many_task_rbf) or n_rows <= _grids.KERNEL_EXACT_ROWS or n_tasks <= MANY_TASKS


class KernelGrid(Grid):
    """The kernel model's axes (a :class:`~mtlclassic.estimators._grids.Grid`).

    ``kernels`` (an attribute, set by :func:`kernel_axes_grid`) names the
    kernel choices searched: ``("linear",)`` or the linear kernel and the
    RBF factors of the median heuristic.
    """

    kernels = ("linear",)

    def point(self, coords):
        """``(label, params)``, ``lambda_2 = lambda_2_ratio * alpha`` (the ratio an axis or fixed).

        At the ordered-tasks choice the ratio is the chain's ``r`` of
        :func:`ordered_task_covariance` (``lambda_mean`` does not apply).
        """
        label, params = super().point(coords)
        if "lambda_2_ratio" in params:
            params["lambda_2"] = params.pop("lambda_2_ratio") * params["alpha"]
        n_tasks = params.pop(ORDERED, None)
        if n_tasks is not None:
            alpha = params["alpha"]
            mean = params.get("lambda_mean")
            params["task_covariance"] = ordered_task_covariance(
                n_tasks, params.pop("lambda_2") / alpha, None if mean is None else mean / alpha)
            # None, not left out: a warm start copies a fit that may have had a lambda_mean
            # (the fixed covariance holds it here).
            params["lambda_mean"] = None
        return label, params

    def with_axis(self, axis):
        out = super().with_axis(axis)
        out.kernels = self.kernels
        return out


# The kernel choice's parameter (popped by KernelGrid.point) that marks the ordered-tasks
# covariance; its value is the number of tasks.
ORDERED = "ordered_tasks"
LINEAR_ORDERED = "linear, ordered tasks"


def ordered_task_covariance(n_tasks, ratio, mean_ratio=None):
    """``B = (I + ratio L)^{-1}``, ``L`` the Laplacian of the chain of ``n_tasks`` tasks.

    With the fixed-``B`` objective ``alpha/2 tr(B^{-1} G)`` the penalty is
    ``alpha/2 sum_t ||f_t||^2 + ratio alpha/2 sum_{t<T} ||f_t - f_{t+1}||^2``:
    neighbouring tasks (in the order of their codes) pulled together. With
    ``mean_ratio`` (``lambda_mean / alpha``) the mean function ``f_bar`` is
    penalised alone, as the learned covariance's ``lambda_mean``:
    ``B = (mean_ratio 11^T / T + Pi + ratio L)^{-1}`` (``Pi = I - 11^T / T``;
    ``L 1 = 0``), the penalty ``lambda_mean/2 T ||f_bar||^2 + alpha/2 sum_t
    ||f_t - f_bar||^2 + ratio alpha/2 sum_t ||f_t - f_{t+1}||^2``.
    """
    laplacian = (np.diag(np.r_[1.0, np.full(max(n_tasks - 2, 0), 2.0), 1.0][:n_tasks])
                 - np.eye(n_tasks, k=1) - np.eye(n_tasks, k=-1))
    if n_tasks == 1:
        laplacian = np.zeros((1, 1))
    if mean_ratio is None:
        return np.linalg.inv(np.eye(n_tasks) + ratio * laplacian)
    mean = np.full((n_tasks, n_tasks), 1.0 / n_tasks)
    return np.linalg.inv(mean_ratio * mean + (np.eye(n_tasks) - mean) + ratio * laplacian)


def _kernel_axis(choices):
    """A categorical axis of kernels: ``{label: params}``, the linear kernels preferred."""
    names = tuple(choices)
    return Axis("kernel", names, lambda v: dict(choices[v]), lambda v: v,
                initial=names, categorical=True, primary=True,
                preferred=tuple(n for n in names if n.startswith("linear")))


QUANTILE = ", quantile features"


def _primary_axis(name, values, start, label=None):
    """An axis of absolute values searched with the other primary axes from ``start``."""
    base = value_axis(name, values, label=label)
    return Axis(name, base.values, base.params, base.label, base.low, base.high,
                initial=(start,), primary=True)


def kernel_axes_grid(gamma_factors=KERNEL_GAMMA_FACTORS, normalize_y="auto",
                     many_task_rbf=False):
    """The search of ``kernel-task-relation`` in ``compare``: a :class:`KernelGrid` builder.

    ``grid(kind, X, y, task_column) -> KernelGrid`` with the axes of the
    module docstring: ``alpha`` (``lambda_2 = KERNEL_LAMBDA_2_RATIO alpha``)
    and ``lambda_mean`` from one default point, and the kernel choice when
    :func:`searches_rbf`. Above ``KERNEL_EXACT_ROWS`` training rows each
    kernel takes Nystroem features at the rank its spectrum asks for
    (:func:`~mtlclassic.estimators._grids.nystroem_rank`) and ``tol=1e-3``;
    ``normalize_y`` as :func:`~mtlclassic.estimators._grids.kernel_grid`.
    """

    def grid(kind, X, y, task_column):
        n_tasks = (np.unique(X[:, task_column]).size if task_column is not None
                   else np.asarray(y).reshape(len(y), -1).shape[1])
        features = X.shape[0] > _grids.KERNEL_EXACT_ROWS
        fixed = {"task_covariance": "learn"}
        if kind == "regression" and (normalize_y is True or (
                normalize_y == "auto" and target_spread(y, X, task_column) > TARGET_SCALE_SPREAD)):
            fixed["normalize_y"] = True
        if features:
            # On features the learned covariance is task-relation's alternation: compare's
            # tol for it (1e-3; School, linear kernel: 5 alternations against 39 at 1e-4).
            fixed.update(random_state=0, tol=1e-3)

        def kernel_params(kernel, gamma=None):
            # feature_map named at every choice: a warm start copies a neighbour's fit.
            params = {"kernel": kernel, "feature_map": None}
            if gamma is not None:
                params["gamma"] = gamma
            if features:
                params["n_components"] = nystroem_rank(X, task_column, kernel, gamma)
            return params

        choices = {"linear": kernel_params("linear")}
        rbf = searches_rbf(X.shape[0], n_tasks, many_task_rbf)
        if rbf or X.shape[0] <= LINEAR_CHOICE_ROWS:
            if n_tasks > 2:  # a chain of two tasks is any pair: MTRL's covariance covers it
                choices[LINEAR_ORDERED] = {**kernel_params("linear"), ORDERED: n_tasks}
            # Each linear choice on the quantile-mapped features too (the RBF ones keep the
            # standardised features: twice the RBF fits, for a map meant for linear tails).
            for name in list(choices):
                choices[name + QUANTILE] = {**choices[name], "feature_map": "quantile"}
        if rbf:
            gamma0 = median_gamma(X, task_column)
            for factor in gamma_factors:
                choices[f"rbf, gamma={format_value(factor)}*median"] = kernel_params(
                    "rbf", factor * gamma0)
        axes = [_primary_axis("alpha", RBF_ALPHAS if rbf else LINEAR_ALPHAS,
                              1e-2 if rbf else 1e-1),
                _primary_axis("lambda_mean", LAMBDA_MEANS, 1e-2)]
        if len(choices) > 1:
            # Cheap fits: the ratio lambda_2 / alpha is searched too (SARCOS, 600 rows per
            # torque, split 0, test nMSE at gamma = median/4, alpha = 1e-6: 0.0424 at ratio 1,
            # 0.0501 at 10; at 100 rows its choices were ratios of 10 and more).
            axes.insert(1, _primary_axis(
                "lambda_2_ratio", LAMBDA_2_RATIOS, KERNEL_LAMBDA_2_RATIO,
                label=lambda v: f"lambda_2={format_value(v)}*alpha"))
            axes.insert(0, _kernel_axis(choices))
            out = KernelGrid(axes, fixed)
        else:
            out = KernelGrid(axes, {**fixed, **choices["linear"],
                                    "lambda_2_ratio": KERNEL_LAMBDA_2_RATIO},
                             f"lambda_2={format_value(KERNEL_LAMBDA_2_RATIO)}*alpha, "
                             "linear kernel")
        out.kernels = tuple(choices)
        return out

    return grid


__all__ = ["KERNEL_GAMMA_FACTORS", "KernelGrid", "kernel_axes_grid", "ordered_task_covariance",
           "searches_rbf"]
