"""The direct W-step (solvers/normal.py) against a numpy oracle written from its objective.

The oracle: the objective of the module docstring,

    1/2 sum_it c_it (y_it - x_i w_t - b_t)^2 + s/2 sum_t (b_t - mean(b))^2
        + 1/2 tr(W M W^T) + l2_reg/2 ||W||^2,

is a quadratic in ``(vec W, b)``; its Hessian and linear term are assembled entry by
entry from the rows (no per-task Gram matrix, no elimination of the intercepts) and the
stationary point is ``numpy.linalg.solve``'s. Both layouts, dense and sparse features,
tasks with fewer rows than features (kept as rows) and with more (Gram matrices), free,
shrunk and absent intercepts, the dense factorisation and conjugate gradients.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from mtlclassic import TaskRelationRegressor
from mtlclassic.data import SharedDesign, StackedDesign
from mtlclassic.datafits import Quadratic
from mtlclassic.penalties import TaskQuadratic
from mtlclassic.solvers import normal

RTOL = 1e-8
# Conjugate gradients stop on the duality gap, whose rounding (~1e-16 of the objective) bounds
# the coefficients' error by its square root times the conditioning, not by 1e-8.
RTOL_CG = 1e-6


def _stacked(sizes, p, seed, sparse=False):
    rng = np.random.default_rng(seed)
    n = sum(sizes)
    X = rng.standard_normal((n, p)) + 0.5
    y = rng.standard_normal(n) + 2.0
    c = rng.uniform(0.5, 2.0, n)
    if sparse:
        X[rng.random(X.shape) < 0.5] = 0.0
        X = sp.csr_matrix(X)
    return StackedDesign(X, y, c, np.concatenate([[0], np.cumsum(sizes)]))


def _shared(n, p, T, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + 0.5
    Y = rng.standard_normal((n, T)) + 1.0
    C = rng.uniform(0.5, 2.0, (n, T))
    C[rng.random((n, T)) < 0.2] = 0.0  # missing targets
    return SharedDesign(X, Y, C)


def _rows(data):
    """``(x_i, task, y, c)`` per observation, whatever the layout."""
    X = data.X.toarray() if sp.issparse(data.X) else np.asarray(data.X)
    if data.layout == "stacked":
        task = np.repeat(np.arange(data.n_tasks), np.diff(data.offsets))
        return X, task, np.asarray(data.Y), np.asarray(data.C)
    rows, task = np.nonzero(data.C > 0)
    return X[rows], task, data.Y[rows, task], data.C[rows, task]


def _oracle(data, M, l2, fit_intercept, shrinkage):
    """Minimiser of the docstring's objective by one dense solve of its stationarity system."""
    X, task, y, c = _rows(data)
    p, T = data.n_features, data.n_tasks
    dim = p * T + (T if fit_intercept else 0)
    A, rhs = np.zeros((dim, dim)), np.zeros(dim)
    for x, t, yi, ci in zip(X, task, y, c):
        a = np.zeros(dim)  # the predictor x w_t + b_t as a linear form in (vec W, b)
        a[t * p:(t + 1) * p] = x
        if fit_intercept:
            a[p * T + t] = 1.0
        A += ci * np.outer(a, a)
        rhs += ci * yi * a
    A[:p * T, :p * T] += np.kron(M + l2 * np.eye(T), np.eye(p))
    if fit_intercept:
        A[p * T:, p * T:] += shrinkage * (np.eye(T) - 1.0 / T)
    u = np.linalg.solve(A, rhs)
    W = u[:p * T].reshape(T, p).T
    return W, (u[p * T:] if fit_intercept else np.zeros(T))


def _coupling(T, seed):
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((T, T))
    return 0.3 * (B @ B.T) / T + 0.05 * np.eye(T)


CASES = {
    "stacked, rows and Gram tasks": lambda: _stacked((3, 12, 7, 20), p=8, seed=0),
    "stacked, sparse": lambda: _stacked((15, 12, 20), p=6, seed=1, sparse=True),
    "stacked, all rows": lambda: _stacked((4, 5, 3), p=10, seed=2),
    "shared, missing targets": lambda: _shared(30, 5, 3, seed=3),
}


@pytest.mark.parametrize("route", ["dense", "conjugate gradients"])
@pytest.mark.parametrize("intercept", ["none", "free", "shrunk"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_normal_equations_match_the_oracle(case, intercept, route, monkeypatch):
    monkeypatch.setattr(normal, "DENSE_UNKNOWNS", 10 ** 6 if route == "dense" else 0)
    data = CASES[case]()
    fit_intercept = intercept != "none"
    shrinkage = 0.7 if intercept == "shrunk" else 0.0
    data.intercept_shrinkage = shrinkage
    if intercept == "free" and not data.is_sparse:
        data.center()  # as the estimators do: the same problem, reparametrised
    T = data.n_tasks
    M, l2 = _coupling(T, seed=5), 0.01
    penalty = TaskQuadratic(M, l2_reg=l2)
    datafit = Quadratic(data)
    assert normal.applies(datafit, penalty, fit_intercept)
    W0, b0 = np.zeros((data.n_features, T)), np.zeros(T)
    W, b, n_iter, gap, scale = normal.normal_equations(
        datafit, penalty, W0, b0, fit_intercept=fit_intercept, tol=1e-20, max_iter=10_000)
    W_ref, b_ref = _oracle(data, M, l2, fit_intercept, shrinkage)
    if data.X_offset is not None:  # the centered intercepts b' = b + xbar_t . w_t
        b = b - np.sum(data.X_offset * W, axis=0)
    rtol = RTOL if route == "dense" else RTOL_CG
    assert np.linalg.norm(W - W_ref) <= rtol * np.linalg.norm(W_ref)
    assert np.linalg.norm(b - b_ref) <= rtol * max(np.linalg.norm(b_ref), 1.0)
    assert abs(gap) <= 1e-12 * scale and n_iter >= 1  # rounding may leave it just below 0
    # The Gram matrices are kept on the datafit: a second coupling reuses them.
    kept = datafit._normal_equations
    W2 = normal.normal_equations(datafit, TaskQuadratic(2 * M, l2_reg=l2), W, b,
                                 fit_intercept=fit_intercept, tol=1e-20, max_iter=10_000)[0]
    assert datafit._normal_equations is kept
    W2_ref = _oracle(data, 2 * M, l2, fit_intercept, shrinkage)[0]
    assert np.linalg.norm(W2 - W2_ref) <= rtol * np.linalg.norm(W2_ref)
    if route == "dense":  # one factorisation certifies an ordinary tolerance at once
        n_iter = normal.normal_equations(datafit, penalty, W0, b0, fit_intercept=fit_intercept,
                                         tol=1e-10, max_iter=10_000)[2]
        assert n_iter == 1


def test_applies_only_to_its_problem():
    data = _stacked((10, 12, 9), p=4, seed=0)
    M = _coupling(3, seed=1)
    assert normal.applies(Quadratic(data), TaskQuadratic(M), True)
    assert not normal.applies(Quadratic(data), TaskQuadratic(M, alpha=0.1), True)  # l1 term
    singular = np.eye(3) - 1.0 / 3
    assert not normal.applies(Quadratic(data), TaskQuadratic(singular, free_null_space=True),
                              True)
    many = _stacked((5,) * (normal.MAX_TASKS + 1), p=4, seed=0)
    assert not normal.applies(Quadratic(many), TaskQuadratic(np.eye(many.n_tasks)), True)


@pytest.mark.parametrize("params", [dict(), dict(intercept_shrinkage=1.0),
                                    dict(fit_intercept=False), dict(lambda_mean=0.5)],
                         ids=["free", "shrunk", "none", "lambda_mean"])
def test_task_relation_w_step_is_fistas(params):
    """TaskRelationRegressor: the direct W-step and FISTA's reach the same fit."""
    rng = np.random.default_rng(0)
    T, p, n = 4, 6, 160
    X = rng.standard_normal((n, p))
    task = rng.integers(0, T, n)
    W = rng.standard_normal((T, p))
    y = np.einsum("ij,ij->i", X, W[task]) + 0.3 * rng.standard_normal(n) + task
    Xc = np.column_stack([X, task])
    common = dict(lambda_1=0.01, lambda_2=0.1, task_column=-1, tol=1e-9, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        direct = TaskRelationRegressor(**common).fit(Xc, y)
        reference = TaskRelationRegressor(solver="fista", max_inner_iter=100_000,
                                          **common).fit(Xc, y)
    assert direct.solver_ == "normal" and reference.solver_ == "fista"
    assert direct.n_iter_ == reference.n_iter_  # the same alternation
    scale = np.abs(reference.coef_).max()
    np.testing.assert_allclose(direct.coef_, reference.coef_, rtol=0, atol=1e-6 * scale)
    np.testing.assert_allclose(direct.intercept_, reference.intercept_, rtol=0,
                               atol=1e-6 * max(np.abs(reference.intercept_).max(), 1))
    np.testing.assert_allclose(direct.objective_[-1], reference.objective_[-1], rtol=1e-9)
    np.testing.assert_allclose(direct.task_covariance_, reference.task_covariance_,
                               rtol=0, atol=1e-6)


# -- the Nystroem rank of compare's kernel points (estimators/_grids.py) ----------------------
def test_nystroem_rank_follows_the_kernels_spectrum(monkeypatch):
    import mtlclassic.estimators._grids as grids
    from mtlclassic.estimators._grids import KERNEL_COMPONENTS, kernel_grid, nystroem_rank

    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 5))
    # The linear kernel's rank is the number of features: the smallest rank offered.
    assert nystroem_rank(X, None, "linear") == 50
    ranks = [nystroem_rank(X, None, "rbf", gamma) for gamma in (0.01, 0.1, 1.0, 10.0)]
    assert ranks == sorted(ranks) and ranks[0] < ranks[-1] == KERNEL_COMPONENTS
    # Only above KERNEL_EXACT_ROWS do compare's points take features, each at its own rank.
    small = kernel_grid()("regression", X, X[:, 0], None)
    assert all("n_components" not in params for _, params in small)
    monkeypatch.setattr(grids, "KERNEL_EXACT_ROWS", 100)
    large = kernel_grid()("regression", X, X[:, 0], None)
    assert {params["n_components"] for _, params in large if params["kernel"] == "linear"} == {50}
    assert all(params["n_components"] <= KERNEL_COMPONENTS for _, params in large)
