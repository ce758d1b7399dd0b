"""The solvers on the real MTL benchmarks (skipped when the data are absent).

The data are read from ``$MTLCLASSIC_DATA`` (default ``../shared/data``; see
``conftest.DATA_DIR``), never copied into the repository.
School (per-task regression, 139 tasks), Landmine (per-task classification,
29 tasks) and SARCOS (shared-design regression, 7 joint torques).
"""

import numpy as np
import pytest
from conftest import DATA_DIR as DATA
from conftest import Problem, duality_gap, needs_data, null_objective, objective
from sklearn.linear_model import MultiTaskLasso

from mtlclassic import GroupLassoClassifier, GroupLassoRegressor, alpha_max, stack_tasks

pytestmark = needs_data()


def _loadmat(path):
    scipy_io = pytest.importorskip("scipy.io")
    if not path.is_file():
        pytest.skip(f"{path} is absent (benchmark data from $MTLCLASSIC_DATA)")
    return scipy_io.loadmat(path)


def _standardize(Xs):
    """Z-score features with the pooled mean and std (constant columns dropped)."""
    pooled = np.vstack(Xs)
    keep = pooled.std(axis=0) > 0
    mu, sd = pooled[:, keep].mean(axis=0), pooled[:, keep].std(axis=0)
    return [(Xt[:, keep] - mu) / sd for Xt in Xs]


def _per_task_problem(loss, Xs, ys):
    X, y = stack_tasks(Xs, ys)
    blocks = [(Xt, yt if loss == "squared" else np.where(yt == 1, 1.0, -1.0), np.ones(len(yt)))
              for Xt, yt in zip(Xs, ys)]
    return Problem(loss, "per_task", X, y, blocks)


def _against_cvxpy(problem, est_cls, alpha, tol):
    ours = est_cls(alpha=alpha, task_column=-1, tol=tol, max_iter=50_000).fit(problem.X, problem.y)
    ref = est_cls(alpha=alpha, task_column=-1, solver="cvxpy").fit(problem.X, problem.y)
    f_ours = objective(problem, alpha, ours.coef_, ours.intercept_)
    f_ref = objective(problem, alpha, ref.coef_, ref.intercept_)
    scale = null_objective(problem, True)
    gap = duality_gap(problem, alpha, ours.coef_, ours.intercept_)
    print(f"\n{est_cls.__name__}: objective ours {f_ours:.10g}, cvxpy {f_ref:.10g}, "
          f"relative excess {(f_ours - f_ref) / abs(f_ref):.2e}, relative gap {gap / scale:.2e}")
    assert f_ours <= f_ref + 1e-6 * abs(f_ref)
    assert gap <= tol * scale * (1 + 1e-6)
    return ours


@pytest.mark.parametrize("fraction", [10, 100])
def test_school_matches_cvxpy(fraction):
    data = _loadmat(DATA / "malsar" / "school.mat")
    Xs = _standardize([x.astype(np.float64) for x in data["X"][0]])  # column 28 is constant
    ys = [y.ravel().astype(np.float64) for y in data["Y"][0]]
    problem = _per_task_problem("squared", Xs, ys)
    alpha = alpha_max(problem.X, problem.y, task_column=-1) / fraction
    model = _against_cvxpy(problem, GroupLassoRegressor, alpha, tol=1e-7)
    assert model.n_tasks_ == 139 and model.coef_.shape == (139, 27)


def test_sarcos_matches_sklearn():
    data = _loadmat(DATA / "sarcos" / "sarcos_inv_test.mat")["sarcos_inv_test"]
    X = data[:, :21]
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    Y = data[:, 21:]
    Y = (Y - Y.mean(axis=0)) / Y.std(axis=0)
    alpha = alpha_max(X, Y) / 5
    ours = GroupLassoRegressor(alpha=alpha, tol=1e-10, max_iter=100_000).fit(X, Y)
    ref = MultiTaskLasso(alpha=alpha, tol=1e-12, max_iter=1_000_000).fit(X, Y)
    rel = np.linalg.norm(ours.coef_ - ref.coef_) / np.linalg.norm(ref.coef_)
    print(f"\nSARCOS: relative coef difference to MultiTaskLasso {rel:.2e}")
    assert rel < 1e-5
    assert 0 < np.sum(np.any(ours.coef_ != 0, axis=0)) < 21


def test_landmine_matches_cvxpy():
    data = _loadmat(DATA / "landmine" / "LandmineData.mat")
    Xs = _standardize([f.astype(np.float64) for f in data["feature"][0]])
    ys = [lab.ravel().astype(np.float64) for lab in data["label"][0]]
    problem = _per_task_problem("logistic", Xs, ys)
    alpha = alpha_max(problem.X, problem.y, loss="logistic", task_column=-1) / 10
    model = _against_cvxpy(problem, GroupLassoClassifier, alpha, tol=1e-7)
    assert model.n_tasks_ == 29
