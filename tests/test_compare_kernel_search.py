"""compare's search of ``kernel-task-relation`` (estimators/_kernel_grid.py): a pattern search on
axes with warm starts, the linear kernel preferred by the one-standard-error rule, RBF points
only where fits are cheap.

* the search's new axis roles (``Axis.primary``, ``Axis.preferred``) on probes with a known
  optimum: one default point moved along every primary axis to the optimum; a categorical
  choice kept at its preferred value unless beaten by a standard error;
* ``kernel_axes_grid``: which kernels are searched (``searches_rbf``), the axes, the Nystroem
  ranks above ``KERNEL_EXACT_ROWS``, and a search through ``compare`` that warm-starts.
"""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from mtlclassic.compare import compare
from mtlclassic.compare._tuning import search
from mtlclassic.estimators import _grids
from mtlclassic.estimators._grids import Axis, Grid, value_axis
from mtlclassic.estimators import _kernel_grid
from mtlclassic.estimators._kernel_grid import (KERNEL_GAMMA_FACTORS, MANY_TASKS, KernelGrid,
                                                kernel_axes_grid, searches_rbf)

# The linear kernel's choices where a linear search is cheap: learned or ordered tasks, each on
# the standardised or the quantile-mapped features.
LINEAR_CHOICES = ("linear", "linear, ordered tasks", "linear, quantile features",
                  "linear, ordered tasks, quantile features")

FOLDS = [(np.arange(0, 5), np.arange(5, 10)), (np.arange(5, 10), np.arange(0, 5))]
X10, Y10 = np.zeros((10, 1)), np.zeros(10)


class _Probe(RegressorMixin, BaseEstimator):
    def __init__(self, alpha=1.0, beta=1.0, kernel="linear", warm_start=False):
        self.alpha, self.beta, self.kernel, self.warm_start = alpha, beta, kernel, warm_start

    def fit(self, X, y):
        self.n_fits_ = getattr(self, "n_fits_", 0) + 1
        return self


def _primary(name, values, start):
    base = value_axis(name, values)
    return Axis(name, base.values, base.params, base.label, base.low, base.high,
                initial=(start,), primary=True)


def test_primary_axes_start_from_one_point_and_move_together():
    grid = Grid([_primary("alpha", (0.01, 0.1, 1.0), 0.1), _primary("beta", (1.0, 10.0), 1.0)])
    assert grid.coords() == [(0.1, 1.0)]  # one default point

    def scorer(est, X, y):  # peaked at alpha = 1e-3 (past the values), beta = 10
        return -(np.log10(est.alpha) + 3) ** 2 - (np.log10(est.beta) - 1) ** 2

    found = search(_Probe(), grid, X10, Y10, FOLDS, scorer)
    assert found["params"]["alpha"] == pytest.approx(1e-3)
    assert found["params"]["beta"] == pytest.approx(10.0)
    assert found["edges"] == []


def _kernel_choice_grid():
    kernel = Axis("kernel", ("linear", "rbf"), lambda v: {"kernel": v}, lambda v: v,
                  initial=("linear", "rbf"), categorical=True, primary=True,
                  preferred=("linear",))
    return Grid([kernel, _primary("alpha", (0.1, 1.0, 10.0), 1.0)])


@pytest.mark.parametrize("margin, chosen", [(0.1, "linear"), (0.6, "rbf")])
def test_a_preferred_choice_is_kept_unless_beaten_by_a_standard_error(margin, chosen):
    # Folds score rbf 1 and 0 + margin... : its mean beats linear's by margin / 2 with a
    # standard error of ~0.5 - margin / 2 over the two folds.
    def scorer(est, X, y):
        base = -(np.log10(est.alpha)) ** 2  # alpha = 1 best for both kernels
        if est.kernel == "linear":
            return base + 0.5
        return base + (1.0 if X[0, 0] >= 5 else margin)

    X = np.arange(10.0)[:, None]
    grid = _kernel_choice_grid()
    assert sorted(grid.coords()) == [("linear", 1.0), ("rbf", 1.0)]  # both choices scored
    found = search(_Probe(), grid, X, Y10, FOLDS, scorer)
    assert found["params"]["kernel"] == chosen
    assert found["params"]["alpha"] == pytest.approx(1.0)


def test_searches_rbf_only_where_fits_are_cheap():
    exact = _grids.KERNEL_EXACT_ROWS
    assert searches_rbf(exact, 139)  # the exact solve
    assert searches_rbf(exact + 1, MANY_TASKS)  # features, a direct W-step
    assert not searches_rbf(exact + 1, MANY_TASKS + 1)  # features, FISTA W-steps (School)
    assert searches_rbf(exact + 1, MANY_TASKS + 1, many_task_rbf=True)


def _per_task(n_rows, n_tasks, p=4, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.standard_normal((n_rows, p)),
                         np.arange(n_rows) % n_tasks])
    return X, X[:, 0] + 0.5 * np.sin(X[:, 1]) + 0.1 * rng.standard_normal(n_rows)


def test_kernel_axes_grid_many_tasks_on_features_is_the_linear_kernels(monkeypatch):
    monkeypatch.setattr(_grids, "KERNEL_EXACT_ROWS", 100)
    monkeypatch.setattr(_kernel_grid, "LINEAR_CHOICE_ROWS", 100)  # School: many rows
    X, y = _per_task(400, MANY_TASKS + 4)
    grid = kernel_axes_grid()("regression", X, y, -1)
    assert isinstance(grid, KernelGrid) and grid.kernels == ("linear",)
    assert [a.name for a in grid.axes] == ["alpha", "lambda_mean"]
    assert all(a.primary for a in grid.axes)
    ((label, params),) = grid  # one default point
    assert params["kernel"] == "linear" and params["n_components"] == 50
    assert params["lambda_2"] == pytest.approx(10 * params["alpha"])
    assert params["task_covariance"] == "learn" and params["tol"] == 1e-3
    forced = kernel_axes_grid(many_task_rbf=True)("regression", X, y, -1)
    assert forced.kernels == LINEAR_CHOICES + forced.kernels[4:]
    assert len(forced.kernels) == len(LINEAR_CHOICES) + len(KERNEL_GAMMA_FACTORS)
    # Fewer rows: the linear kernel's choices are searched, the RBF ones not.
    monkeypatch.setattr(_kernel_grid, "LINEAR_CHOICE_ROWS", 400)
    assert kernel_axes_grid()("regression", X, y, -1).kernels == LINEAR_CHOICES
    # Each kernel's Nystroem rank is its own (the rbf ones from its spectrum).
    assert all(p["n_components"] >= 50 for _, p in forced)
    # compare's secondary axes keep the grid's kind and its kernels.
    assert forced.with_axis(_primary("beta", (1.0, 2.0), 1.0)).kernels == forced.kernels


def test_kernel_axes_grid_small_data_searches_rbf_exactly():
    X, y = _per_task(120, 3)
    grid = kernel_axes_grid()("regression", X, y, -1)
    kernel = grid.axes[0]
    assert kernel.name == "kernel" and kernel.categorical and kernel.preferred == LINEAR_CHOICES
    # every kernel at the start point
    assert len(grid) == len(LINEAR_CHOICES) + len(KERNEL_GAMMA_FACTORS)
    assert all("n_components" not in p for _, p in grid)
    assert {p["kernel"] for _, p in grid} == {"linear", "rbf"}
    # Cheap fits: lambda_2 / alpha is an axis too, lambda_2 = ratio * alpha at every point.
    assert [a.name for a in grid.axes] == ["kernel", "alpha", "lambda_2_ratio", "lambda_mean"]
    coords = ("linear", 1e-4, 100.0, 1e-2)
    label, params = grid.point(coords)
    assert params["lambda_2"] == pytest.approx(1e-2) and "lambda_2_ratio" not in params
    assert "lambda_2=100*alpha" in label


def test_compare_searches_the_kernel_axes_with_warm_starts():
    # (A classification: compare's small regressions take the evidence point instead,
    # tests/test_kernel_evidence.py.)
    r = compare("synthetic-classification:tasks=3,features=8,samples=24-36",
                "kernel-task-relation", n_splits=1, random_state=2)
    m = r.models["kernel-task-relation"]
    assert m.errors == [] and np.isfinite(m.mean(r.main_metric))
    chosen = m.chosen()[0] if isinstance(m.chosen(), list) else m.chosen()
    assert "lambda_mean" in str(chosen)
    # Every kernel at the start point, then their neighbours: searched, not just scored once.
    assert m.n_points[0] > 1 + len(KERNEL_GAMMA_FACTORS)


def test_compare_searches_from_a_single_default_point(monkeypatch):
    # Many tasks on features: one default point (the linear kernel), which compare searches
    # from (Axis.primary) rather than taking as the only choice.
    monkeypatch.setattr(_grids, "KERNEL_EXACT_ROWS", 50)
    monkeypatch.setattr("mtlclassic.estimators._kernel_grid.MANY_TASKS", 2)
    monkeypatch.setattr("mtlclassic.estimators._kernel_grid.LINEAR_CHOICE_ROWS", 50)
    r = compare("synthetic:tasks=3,features=8,shared=3,specific=1,samples=40-50",
                "kernel-task-relation", n_splits=1, random_state=2)
    m = r.models["kernel-task-relation"]
    assert m.errors == [] and m.n_points[0] >= 5  # the start and its four neighbours
    assert "linear kernel" in str(m.chosen())


def test_kernel_grid_search_axes_is_the_declared_search(monkeypatch):
    from mtlclassic.estimators import kernel_grid

    monkeypatch.setattr(_grids, "KERNEL_EXACT_ROWS", 100)
    monkeypatch.setattr(_kernel_grid, "LINEAR_CHOICE_ROWS", 100)
    X, y = _per_task(400, MANY_TASKS + 4)
    assert kernel_grid(search="axes")("regression", X, y, -1).kernels == ("linear",)
    forced = kernel_grid(search="axes", many_task_rbf=True)("regression", X, y, -1)
    assert len(forced.kernels) == len(LINEAR_CHOICES) + len(KERNEL_GAMMA_FACTORS)
    with pytest.raises(ValueError, match="search must be 'points' or 'axes'"):
        kernel_grid(search="grid")
    with pytest.raises(ValueError, match="needs task_covariance='learn'"):
        kernel_grid(task_covariance="independent", search="axes")


def test_each_kernel_gets_its_own_search_of_the_strengths():
    # The linear kernel peaks at alpha = 1e-2, the rbf one at 1e-6 (SARCOS-like), where it
    # beats the linear kernel's best by far more than a standard error: a search that moved
    # the strengths from the best point only would stay at the linear kernel.
    def scorer(est, X, y):
        if est.kernel == "linear":
            return -(np.log10(est.alpha) + 2) ** 2
        return 5.0 - (np.log10(est.alpha) + 6) ** 2

    kernel = Axis("kernel", ("linear", "rbf"), lambda v: {"kernel": v}, lambda v: v,
                  initial=("linear", "rbf"), categorical=True, primary=True,
                  preferred=("linear",))
    grid = Grid([kernel, _primary("alpha", (1e-6, 1e-4, 1e-2, 1.0), 1e-2)])
    found = search(_Probe(), grid, X10, Y10, FOLDS, scorer)
    assert found["params"] == {"kernel": "rbf", "alpha": pytest.approx(1e-6)}
