"""Recovery of planted structure by the low-rank two-part models (issue 15).

The objectives themselves are checked against cvxpy in test_family_oracle.py;
here the parts mean what their docstrings say: ``RobustLowRank`` finds the
planted outlier tasks and the rank of the shared part, ``SparseLowRank`` the
support of the sparse part and the rank of the low-rank one.
"""

import numpy as np
import pytest

import mtlclassic as m

pytestmark = pytest.mark.quick


def _rank(W):
    s = np.linalg.svd(W, compute_uv=False)
    return int(np.sum(s > 1e-6 * s[0])) if s[0] > 0 else 0


@pytest.mark.parametrize("fraction", [0.1, 0.2])
def test_robust_low_rank_finds_the_outlier_tasks_and_the_rank(fraction):
    rng = np.random.default_rng(0)
    n, p, T = 400, 30, 10
    X = rng.normal(size=(n, p))
    L = rng.normal(size=(T, 2)) @ rng.normal(size=(2, p)) / np.sqrt(2)  # rank 2
    L[[3, 7]] = 0
    S = np.zeros((T, p))
    S[[3, 7]] = 2 * rng.normal(size=(2, p))  # tasks 3 and 7 follow no shared pattern
    Y = X @ (L + S).T + 0.3 * rng.normal(size=(n, T))
    est = m.RobustLowRankRegressor(fraction * m.alpha_max(X, Y, penalty="trace"),
                                   fraction * m.alpha_max(X, Y, penalty="task_l21"),
                                   tol=1e-8, max_iter=20000).fit(X, Y)
    np.testing.assert_array_equal(est.outlier_tasks_, [3, 7])
    assert _rank(est.coef_lowrank_) == 2
    np.testing.assert_allclose(est.coef_, est.coef_lowrank_ + est.coef_outlier_, atol=1e-12)


@pytest.mark.parametrize("fraction", [0.1, 0.2])
def test_sparse_low_rank_separates_the_sparse_support_and_the_rank(fraction):
    rng = np.random.default_rng(1)
    n, p, T = 400, 30, 10
    X = rng.normal(size=(n, p))
    Q = rng.normal(size=(T, 1)) @ rng.normal(size=(1, p)) * 0.7  # rank 1
    P = np.zeros((T, p))
    P.flat[rng.choice(T * p, 15, replace=False)] = rng.choice([-3.0, 3.0], 15)
    Y = X @ (P + Q).T + 0.3 * rng.normal(size=(n, T))
    est = m.SparseLowRankRegressor(fraction * m.alpha_max(X, Y, penalty="l1"),
                                   fraction * m.alpha_max(X, Y, penalty="trace"),
                                   tol=1e-8, max_iter=20000).fit(X, Y)
    found, true = np.abs(est.coef_sparse_) > 1e-6, P != 0
    precision = (found & true).sum() / max(found.sum(), 1)
    recall = (found & true).sum() / true.sum()
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
    assert _rank(est.coef_lowrank_) == 1


@pytest.mark.parametrize("cls", [m.RobustLowRankClassifier, m.SparseLowRankClassifier])
def test_the_classifiers_fit_both_layouts(cls):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(120, 6))
    W = rng.normal(size=(1, 6)) * np.ones((3, 1)) + 0.2 * rng.normal(size=(3, 6))
    Y = (X @ W.T + 0.3 * rng.normal(size=(120, 3)) > 0).astype(int)
    assert cls().fit(X, Y).score(X, Y) > 0.8
    task = np.repeat(np.arange(3), 40)
    Xt = np.column_stack([X, task])
    y = Y[np.arange(120), task]
    assert cls(task_column=-1).fit(Xt, y).score(Xt, y) > 0.8
