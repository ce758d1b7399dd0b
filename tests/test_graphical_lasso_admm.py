"""The ADMM graphical lasso behind SparseTaskGraph's precision step when scikit-learn's fails.

Many tasks and few features make ``S = W W^T / p + eps I`` nearly singular;
scikit-learn's coordinate descent then raises ``FloatingPointError``.  The
fallback is checked on its optimality conditions (written here), against
scikit-learn where both work, and through a fit with more tasks than features.
"""

import numpy as np
import pytest
from sklearn.covariance import graphical_lasso

from mtlclassic import SparseTaskGraphRegressor
from mtlclassic.estimators.sparse_task_graph import graphical_lasso_admm, task_precision


def _kkt(S, theta, alpha):
    """Largest violation of ``Theta^{-1} - S in alpha * subdiff(off-diagonal l1)``, diagonal 0."""
    G = np.linalg.inv(theta) - S
    off = ~np.eye(len(S), dtype=bool)
    nz = off & (theta != 0)
    return max(np.abs(np.diag(G)).max(),
               np.max(np.abs(G[off & (theta == 0)]) - alpha, initial=0.0),
               np.max(np.abs(G[nz] - alpha * np.sign(theta[nz])), initial=0.0))


def _many_tasks_coef(T=60, p=8, seed=1):
    """Related tasks' weights, more tasks than features (seed 1: scikit-learn fails on them)."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(T, p)) * 0.3 + rng.normal(size=(1, p))


def _ill_conditioned(eps=1e-6):
    W = _many_tasks_coef()
    return W @ W.T / W.shape[1] + eps * np.eye(len(W))


def test_agrees_with_scikit_learn_when_it_works():
    rng = np.random.default_rng(0)
    S = np.cov(rng.normal(size=(200, 8)).T)
    _, ref = graphical_lasso(S, 0.1, tol=1e-10, enet_tol=1e-10, max_iter=1000)
    got = graphical_lasso_admm(S, 0.1, tol=1e-10)
    np.testing.assert_allclose(got, ref, atol=1e-6)
    assert np.array_equal(got == 0, np.abs(ref) < 1e-12)


def test_solves_what_scikit_learn_cannot():
    S = _ill_conditioned()
    with pytest.raises(FloatingPointError):
        graphical_lasso(S, 0.1, tol=1e-6, enet_tol=1e-6, max_iter=200)
    theta = graphical_lasso_admm(S, 0.1, tol=1e-8)
    assert np.linalg.eigvalsh(theta)[0] > 0
    assert np.count_nonzero(theta[~np.eye(len(S), dtype=bool)]) > 0
    assert _kkt(S, theta, 0.1) < 1e-4 * np.abs(S).max()


def test_task_precision_falls_back():
    theta = task_precision(_many_tasks_coef(), 0.1, 1e-6, tol=1e-8)
    S = _ill_conditioned()
    assert _kkt(S, theta, 0.1) < 1e-4 * np.abs(S).max()


def test_fit_with_more_tasks_than_features():
    rng = np.random.default_rng(2)
    T, p, n = 40, 6, 30
    X = rng.normal(size=(T * n, p))
    task = np.repeat(np.arange(T), n)
    coef = rng.normal(size=(1, p)) + 0.3 * rng.normal(size=(T, p))
    y = np.einsum("ij,ij->i", X, coef[task]) + 0.1 * rng.normal(size=T * n)
    est = SparseTaskGraphRegressor(task_column=-1, tol=1e-3).fit(np.column_stack([X, task]), y)
    assert est.task_precision_.shape == (T, T)
    assert np.linalg.eigvalsh(est.task_precision_)[0] > 0
    assert est.score(np.column_stack([X, task]), y) > 0.5
