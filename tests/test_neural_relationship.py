"""RelationshipMLP (Long et al. 2017; issue 16): the matrix-normal prior's gradient and its
closed-form covariance update, and a planted head correlation recovered."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from test_neural_gradients import _data, assert_grad, numerical_grad

from mtlclassic import RelationshipMLPClassifier, RelationshipMLPRegressor
from mtlclassic.neural._data import make_batch
from mtlclassic.neural._losses import LOSSES, task_sums
from mtlclassic.neural._params import ParamBuffer
from mtlclassic.neural._relationship import (_RELATIVE_EPSILON, RelationshipNet,
                                             covariance_update, relationship_penalty)


def _spd(rng, T):
    A = rng.standard_normal((T, T))
    return A @ A.T / T + 0.5 * np.eye(T)


def test_penalty_value_and_gradient():
    rng = np.random.default_rng(0)
    V, omega = rng.standard_normal((4, 6)), _spd(rng, 4)
    inv = np.linalg.inv(omega)
    value, grad = relationship_penalty(V, inv, 0.3)
    assert_allclose(value, 0.15 * np.trace(V.T @ inv @ V))  # 0.3/2 tr(V^T Omega^-1 V)
    assert_grad(grad, numerical_grad(lambda: relationship_penalty(V, inv, 0.3)[0], V))


def test_covariance_update_is_the_minimiser():
    """MTRL's closed form: argmin over Omega > 0 with tr(Omega) = 1 of
    tr(Omega^-1 (V V^T + eps I)) is (V V^T + eps I)^(1/2) / tr(...)."""
    rng = np.random.default_rng(1)
    V = rng.standard_normal((5, 3))  # rank 3 < 5 tasks: eps makes it invertible
    omega = covariance_update(V)
    S = V @ V.T + _RELATIVE_EPSILON * np.trace(V @ V.T) / 5 * np.eye(5)
    assert_allclose(np.trace(omega), 1.0)
    # Omega^2 is proportional to V V^T + eps I
    assert_allclose(omega @ omega / np.trace(omega @ omega), S / np.trace(S), rtol=1e-10)

    def objective(om):
        return np.trace(np.linalg.solve(om, S))

    best = objective(omega)
    for _ in range(30):  # feasible perturbations (trace kept 1) do no better
        D = 0.02 * rng.standard_normal((5, 5))
        D = D + D.T
        D -= np.trace(D) / 5 * np.eye(5)
        if np.linalg.eigvalsh(omega + D).min() > 0:
            assert objective(omega + D) >= best - 1e-12


@pytest.mark.parametrize("stacked", [False, True], ids=["shared", "per_task"])
def test_network_gradient_with_the_prior(stacked):
    rng = np.random.default_rng(2)
    data = _data(rng, stacked, "squared")
    T, p = data.n_tasks, data.X.shape[1]
    buf = ParamBuffer(T, np.float64)
    net = RelationshipNet(buf, p, T, [5], "tanh", 0.0, 0.4)
    buf.build()
    net.initialize(buf, rng)
    buf.theta[:] += 0.3 * rng.standard_normal(buf.theta.size)
    net.set_covariance(_spd(rng, T))
    batch = make_batch(data, np.arange(data.n_samples), net.mode(stacked))

    def objective():
        Z, _ = net.forward(buf, batch)
        E, _ = LOSSES["squared"](Z, batch.Y, batch.C)
        return float(task_sums(E, batch.task_axis, batch.task, T).sum()) + \
            net.penalty(buf, grad=False)

    Z, cache = net.forward(buf, batch)
    _, dZ = LOSSES["squared"](Z, batch.Y, batch.C)
    net.backward(buf, batch, dZ, cache)
    net.penalty(buf)
    assert_grad(buf.grad, numerical_grad(objective, buf.theta), rtol=1e-6)


def planted(seed, n_tasks=8, n_rows=20, p=30, noise=0.5):
    """Linear tasks whose weight vectors are correlated: two clusters of four tasks,
    correlation 0.9 within, 0 across (rows of V drawn from MN(0, C, I))."""
    rng = np.random.default_rng(seed)
    C = np.kron(np.eye(2), np.full((n_tasks // 2, n_tasks // 2), 0.9))
    np.fill_diagonal(C, 1.0)
    V = 3 * np.linalg.cholesky(C) @ rng.standard_normal((n_tasks, p)) / np.sqrt(p)
    task = np.repeat(np.arange(n_tasks), n_rows)
    X = rng.standard_normal((len(task), p))
    y = np.einsum("ik,ik->i", X, V[task]) + noise * rng.standard_normal(len(task))
    return np.column_stack([X, task]), y, C


def _correlation(M):
    d = np.sqrt(np.diag(M))
    return M / np.outer(d, d)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_a_planted_head_correlation(seed):
    """The heads read the features directly (no hidden layer: with a learned trunk, heads are
    only defined up to the trunk's basis, and so is their correlation)."""
    X, y, C = planted(seed)
    params = dict(hidden_layer_sizes=(), learning_rate_init=0.01, batch_size=32, max_iter=200,
                  alpha=1e-3, random_state=0, task_column=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        related = RelationshipMLPRegressor(relationship=0.1, **params).fit(X, y)
        independent = RelationshipMLPRegressor(relationship=0.0, **params).fit(X, y)
    V = independent.coefs_[-1][..., 0]
    error = np.linalg.norm(related.task_correlation_ - C)
    baseline = np.linalg.norm(_correlation(V @ V.T) - C)
    # measured (seeds 0-2): 1.76 vs 3.00, 1.93 vs 2.51, 1.43 vs 2.63
    assert error < baseline - 0.1, (error, baseline)
    assert_allclose(np.diag(related.task_correlation_), 1.0)
    assert related.task_covariance_.shape == (8, 8)


def test_classifier():
    X, y, _ = planted(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = RelationshipMLPClassifier(hidden_layer_sizes=(8,), max_iter=30, task_column=-1,
                                        learning_rate_init=0.03, random_state=0).fit(X, y > 0)
    assert est.task_correlation_.shape == (8, 8)
    assert est.score(X, y > 0) > 0.7
    with pytest.raises(ValueError, match="relationship"):
        RelationshipMLPRegressor(relationship=-1.0, task_column=-1).fit(X, y)
