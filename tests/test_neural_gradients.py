"""Finite-difference checks (float64) of every backward pass of the neural baselines.

Each piece -- dense layers (shared, per task, broadcast input), activations,
losses, dropout with a fixed mask, cross-stitch units, the soft-sharing
penalty, the uncertainty weighting -- and then whole networks in every batch
layout are compared with central differences of a scalar objective written
from the forward pass alone.
"""

import numpy as np
import pytest

from mtlclassic.neural._activations import ACTIVATIONS
from mtlclassic.neural._data import NeuralData, make_batch
from mtlclassic.neural._layers import (cross_stitch_backward, cross_stitch_forward,
                                       dense_backward, dense_forward, dropout_backward,
                                       dropout_forward, dropout_mask)
from mtlclassic.neural._losses import LOSSES, scale_by_task, task_sums
from mtlclassic.neural._networks import HardSharingNet, SoftSharingNet
from mtlclassic.neural._optim import Adam
from mtlclassic.neural._params import ParamBuffer
from mtlclassic.neural._weighting import TaskWeighting, dwa_weights, uncertainty_objective

EPS = 1e-6


def numerical_grad(f, x, eps=EPS):
    """Central differences of the scalar ``f()`` with respect to every entry of ``x``
    (modified in place and restored)."""
    g = np.zeros(x.shape)
    flat = x.reshape(-1)  # a view: x is contiguous in every use below
    assert np.shares_memory(flat, x)
    gf = g.reshape(-1)
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + eps
        up = f()
        flat[k] = old - eps
        down = f()
        flat[k] = old
        gf[k] = (up - down) / (2 * eps)
    return g


def assert_grad(analytic, numeric, rtol=1e-6):
    scale = max(np.max(np.abs(numeric)), 1e-8)
    err = np.max(np.abs(np.asarray(analytic) - numeric)) / scale
    assert err < rtol, f"relative gradient error {err:.2e}"


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# -- dense layers --------------------------------------------------------------
@pytest.mark.parametrize("shape", ["rows", "per_task", "broadcast"])
def test_dense_layer_gradients(rng, shape):
    T, m, i, o = 3, 5, 4, 2
    if shape == "rows":
        A, W, b, G = (rng.standard_normal(s) for s in [(m, i), (i, o), (o,), (m, o)])
    elif shape == "per_task":
        A, W, b, G = (rng.standard_normal(s) for s in [(T, m, i), (T, i, o), (T, o), (T, m, o)])
    else:  # one input read by every task's layer
        A, W, b, G = (rng.standard_normal(s) for s in [(m, i), (T, i, o), (T, o), (T, m, o)])

    def f():
        return float(np.sum(G * dense_forward(A, W, b)))

    dW, db, dA = np.empty(W.shape), np.empty(b.shape), np.empty(A.shape)
    dense_backward(A, W, G, dW, db, dA)
    assert_grad(dW, numerical_grad(f, W))
    assert_grad(db, numerical_grad(f, b))
    assert_grad(dA, numerical_grad(f, A))


def test_dense_forward_is_the_affine_map(rng):
    A, W, b = rng.standard_normal((3, 5, 4)), rng.standard_normal((3, 4, 2)), rng.standard_normal((3, 2))
    Z = dense_forward(A, W, b)
    for t in range(3):
        np.testing.assert_allclose(Z[t], A[t] @ W[t] + b[t], rtol=1e-12)


# -- activations -----------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_gradients(rng, name):
    forward, backward = ACTIVATIONS[name]
    Z = rng.standard_normal((6, 4))
    Z[np.abs(Z) < 0.05] = 0.5  # away from relu's kink
    G = rng.standard_normal(Z.shape)

    def f():
        return float(np.sum(G * forward(Z.copy())))

    A = forward(Z.copy())
    analytic = backward(G.copy(), A)
    assert_grad(analytic, numerical_grad(f, Z))


def test_activation_values(rng):
    Z = rng.standard_normal(7)
    np.testing.assert_allclose(ACTIVATIONS["relu"][0](Z.copy()), np.maximum(Z, 0))
    np.testing.assert_allclose(ACTIVATIONS["tanh"][0](Z.copy()), np.tanh(Z))
    np.testing.assert_allclose(ACTIVATIONS["logistic"][0](Z.copy()), 1 / (1 + np.exp(-Z)))


# -- losses ---------------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("task_axis", [0, 1, None])
def test_loss_values_and_gradients(rng, loss, task_axis):
    """Task mean losses (``task_sums`` of the weighted terms) written out task by task, and
    the gradient of their sum; ``task_axis=None``: one output per row, ``task`` gives its task."""
    T, m = 3, 7
    shape = {0: (T, m), 1: (m, T), None: (m,)}[task_axis]
    Z = rng.standard_normal(shape)
    Y = rng.standard_normal(shape) if loss == "squared" else rng.choice([-1.0, 1.0], shape)
    observed = rng.random(shape) < 0.7
    if task_axis is None:
        task = rng.integers(0, T, m)
        counts = np.bincount(task[observed], minlength=T)
        C = observed / np.maximum(counts, 1)[task]
        blocks = [(Z[task == t], Y[task == t], observed[task == t]) for t in range(T)]
    else:
        task = None
        counts = observed.sum(axis=1 - task_axis)
        C = observed / np.expand_dims(np.maximum(counts, 1), 1 - task_axis)
        blocks = [tuple(np.take(a, t, axis=task_axis) for a in (Z, Y, observed))
                  for t in range(T)]
    Y = np.where(observed, Y, 123.0)  # whatever a missing entry holds must not matter
    blocks = [(z, np.where(obs, y, 0.0), obs) for z, y, obs in blocks]

    def losses(Zc):
        E, dZ = LOSSES[loss](Zc, Y, C)
        return task_sums(E, task_axis, task, T), dZ

    L, dZ = losses(Z.copy())
    for t, (z, y, obs) in enumerate(blocks):
        per_row = 0.5 * (y - z) ** 2 if loss == "squared" else np.log1p(np.exp(-y * z))
        expected = per_row[obs].mean() if obs.any() else 0.0
        np.testing.assert_allclose(L[t], expected, rtol=1e-12)
    assert_grad(dZ, numerical_grad(lambda: float(np.sum(losses(Z.copy())[0])), Z))
    assert np.all(dZ[~observed] == 0)
    w = rng.uniform(0.5, 2.0, T)
    weighted = scale_by_task(dZ.copy(), w, task_axis, task)
    assert_grad(weighted, numerical_grad(lambda: float(w @ losses(Z.copy())[0]), Z))


# -- dropout, cross-stitch ---------------------------------------------------------------
def test_dropout_with_a_fixed_mask(rng):
    A = rng.standard_normal((50, 40))
    mask = dropout_mask(rng, A.shape, 0.3, A.dtype)
    assert set(np.unique(mask)) <= {0.0, 1 / 0.7}
    assert abs((mask == 0).mean() - 0.3) < 0.05
    G = rng.standard_normal(A.shape)

    def f():
        return float(np.sum(G * dropout_forward(A, mask)))

    assert_grad(dropout_backward(G.copy(), mask), numerical_grad(f, A))


def test_cross_stitch_gradients(rng):
    T, m, h = 3, 4, 5
    alpha = rng.standard_normal((T, T))
    A = rng.standard_normal((T, m, h))
    G = rng.standard_normal((T, m, h))
    out = cross_stitch_forward(alpha, A)
    for t in range(T):
        np.testing.assert_allclose(out[t], sum(alpha[t, s] * A[s] for s in range(T)))

    def f():
        return float(np.sum(G * cross_stitch_forward(alpha, A)))

    dalpha = np.empty_like(alpha)
    dA = cross_stitch_backward(alpha, A, G, dalpha)
    assert_grad(dalpha, numerical_grad(f, alpha))
    assert_grad(dA, numerical_grad(f, A))


# -- task weighting ---------------------------------------------------------------------------
def test_uncertainty_weighting_gradients(rng):
    s = rng.standard_normal(4)
    L = rng.uniform(0.1, 2.0, 4)
    present = np.array([1.0, 1.0, 0.0, 1.0])
    value, weights, ds = uncertainty_objective(s, L, present)
    expected = sum(np.exp(-s[t]) * L[t] + s[t] / 2 for t in range(4) if present[t])
    np.testing.assert_allclose(value, expected)

    def f():
        return uncertainty_objective(s, L, present)[0]

    assert_grad(ds, numerical_grad(f, s))
    assert_grad(weights, numerical_grad(f, L))
    assert ds[2] == 0 and weights[2] == 0  # an absent task is left alone


def test_uncertainty_optimum_is_half_inverse_loss():
    L = np.array([0.05, 0.5, 2.0])
    s = np.log(2 * L)  # claimed optimum: exp(-s) = 1 / (2 L)
    _, _, ds = uncertainty_objective(s, L, np.ones(3))
    np.testing.assert_allclose(ds, 0.0, atol=1e-12)


def test_dwa_weights():
    last, before = np.array([1.0, 0.5, 0.9]), np.array([1.0, 1.0, 1.0])
    w = dwa_weights(last, before, temperature=2.0)
    e = np.exp(last / before / 2.0)
    np.testing.assert_allclose(w, 3 * e / e.sum())
    assert w[0] > w[2] > w[1]  # the slowest-falling loss gets the most weight
    weighting = TaskWeighting("dwa", 3, temperature=2.0)
    weighting.end_epoch(before)
    np.testing.assert_array_equal(weighting.epoch_weights, np.ones(3))  # first epochs: equal
    weighting.end_epoch(last)
    np.testing.assert_allclose(weighting.epoch_weights, w)


# -- Adam ------------------------------------------------------------------------------------------
def test_adam_matches_the_written_out_update(rng):
    theta = rng.standard_normal(6)
    decay = np.array([1e-2] * 4 + [0.0] * 2)  # alpha on "weights", not on "biases"
    opt = Adam(6, np.float64, learning_rate=0.01, beta1=0.8, beta2=0.9, eps=1e-3)
    ref, m, v = theta.copy(), np.zeros(6), np.zeros(6)
    for k in range(1, 4):
        grad = rng.standard_normal(6)
        opt.step(theta, grad, decay)
        g = grad + decay * ref
        m = 0.8 * m + 0.2 * g
        v = 0.9 * v + 0.1 * g * g
        ref = ref - 0.01 * (m / (1 - 0.8 ** k)) / (np.sqrt(v / (1 - 0.9 ** k)) + 1e-3)
        np.testing.assert_allclose(theta, ref, rtol=1e-12)


# -- whole networks ------------------------------------------------------------------------------------
def _data(rng, stacked, loss, n=13, p=4, T=3):
    X = rng.standard_normal((n, p))
    if stacked:
        task = rng.integers(0, T, n)
        task[:T] = np.arange(T)
        y = rng.standard_normal(n) if loss == "squared" else rng.choice([-1.0, 1.0], n)
        return NeuralData(X, T, y=y, task=task)
    Y = rng.standard_normal((n, T)) if loss == "squared" else rng.choice([-1.0, 1.0], (n, T))
    M = (rng.random((n, T)) < 0.7).astype(float)
    M[0] = 1.0
    return NeuralData(X, T, Y=np.where(M > 0, Y, 0.0), M=M)


NETWORKS = {
    "hard-linear-heads": lambda buf, p, T, act: HardSharingNet(buf, p, T, [5, 4], [], act, 0.0),
    "hard-deep-heads": lambda buf, p, T, act: HardSharingNet(buf, p, T, [5], [3], act, 0.0),
    "hard-no-trunk": lambda buf, p, T, act: HardSharingNet(buf, p, T, [], [3], act, 0.0),
    "hard-linear-no-trunk": lambda buf, p, T, act: HardSharingNet(buf, p, T, [], [], act, 0.0),
    "hard-task-layers": lambda buf, p, T, act: HardSharingNet(buf, p, T, [5, 4, 3], [], act, 0.0,
                                                              task_layers=[1, 3, 1]),
    "soft": lambda buf, p, T, act: SoftSharingNet(buf, p, T, [5, 3], act, 0.0, 0.3, False),
    "soft-cross-stitch": lambda buf, p, T, act: SoftSharingNet(buf, p, T, [5, 3], act, 0.0, 0.3,
                                                                True),
}


@pytest.mark.parametrize("net_name", sorted(NETWORKS))
@pytest.mark.parametrize("stacked", [False, True], ids=["shared", "per_task"])
@pytest.mark.parametrize("loss, activation, weighting", [
    ("squared", "tanh", "equal"), ("logistic", "tanh", "uncertainty"),
    ("squared", "relu", "uncertainty"), ("squared", "logistic", "equal")])
def test_network_gradients(rng, net_name, stacked, loss, activation, weighting):
    """The backward pass of a whole network equals central differences of the objective
    ``sum_t w_t L_t (+ uncertainty terms) + penalty`` over every parameter."""
    data = _data(rng, stacked, loss)
    T, p = data.n_tasks, data.X.shape[1]
    buf = ParamBuffer(T, np.float64)
    net = NETWORKS[net_name](buf, p, T, activation)
    weights = TaskWeighting(weighting, T)
    weights.register(buf)
    buf.build()
    net.initialize(buf, rng)
    buf.theta[:] += 0.3 * rng.standard_normal(buf.theta.size)  # off the symmetric start
    batch = make_batch(data, np.arange(data.n_samples), net.mode(stacked),
                       padded_input=net.padded_input)

    def task_losses(Z):
        E, dZ = LOSSES[loss](Z, batch.Y, batch.C)
        return task_sums(E, batch.task_axis, batch.task, T), dZ

    def objective():
        Z, _ = net.forward(buf, batch)
        L, _ = task_losses(Z)
        value = float(np.sum(L))
        if weighting == "uncertainty":
            value = uncertainty_objective(buf.params[weights.index], L, batch.present)[0]
        return value + net.penalty(buf, grad=False)

    Z, cache = net.forward(buf, batch)
    L, dZ = task_losses(Z)
    w = weights.step(buf, L, batch.present)
    if w is not None:
        scale_by_task(dZ, w, batch.task_axis, batch.task)
    net.backward(buf, batch, dZ, cache)
    net.penalty(buf)
    numeric = numerical_grad(objective, buf.theta)
    assert_grad(buf.grad, numeric, rtol=1e-5 if activation == "relu" else 1e-6)


def test_soft_sharing_penalty_value_and_gradient(rng):
    buf = ParamBuffer(3, np.float64)
    net = SoftSharingNet(buf, 4, 3, [5], "tanh", 0.0, 0.7, False)
    buf.build()
    net.initialize(buf, rng)
    buf.theta[:] = rng.standard_normal(buf.theta.size)
    coefs, intercepts, _ = net.export(buf)
    # theta_t: every layer's weights and biases of task t.
    thetas = [np.concatenate([c[t].ravel() for c in coefs] + [b[t].ravel() for b in intercepts])
              for t in range(3)]
    mean = np.mean(thetas, axis=0)
    expected = 0.7 * sum(np.sum((th - mean) ** 2) for th in thetas)
    np.testing.assert_allclose(net.penalty(buf, grad=False), expected, rtol=1e-12)
    buf.grad[:] = 0.0
    net.penalty(buf)
    assert_grad(buf.grad, numerical_grad(lambda: net.penalty(buf, grad=False), buf.theta))
