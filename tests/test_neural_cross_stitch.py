"""Cross-stitch networks in the per-task layout (issue 16): every task's network runs on every
row up to the last hidden layer (the units mix every task's activations on the same row), but
only the row's own task takes the last unit's mixture and the output layer ("own" batches).
The outputs, losses and gradients are those of running every network on every row ("all"
batches, what the per-task layout did before)."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from mtlclassic import SoftSharingMLPClassifier, SoftSharingMLPRegressor
from mtlclassic.neural._data import NeuralData, make_batch
from mtlclassic.neural._kernels import own_stitch_backward, own_stitch_forward
from mtlclassic.neural._losses import LOSSES, task_sums
from mtlclassic.neural._networks import SoftSharingNet
from mtlclassic.neural._params import ParamBuffer
from mtlclassic.neural._training import predict_raw


def _per_task(rng, n=30, p=4, T=3):
    X = rng.standard_normal((n, p))
    task = rng.permutation(np.arange(n) % T)
    return X, task, X[:, 0] * (1 + task) + 0.1 * rng.standard_normal(n)


def test_own_stitch_kernels_against_numpy():
    """Forward: ``out[i] = sum_s alpha[task_i, s] A[s, i]``; backward: its exact gradients."""
    rng = np.random.default_rng(0)
    T, m, h = 4, 7, 3
    alpha, A = rng.standard_normal((T, T)), rng.standard_normal((T, m, h))
    task, dout = rng.integers(0, T, m), rng.standard_normal((m, h))
    out = np.empty((m, h))
    own_stitch_forward(alpha, A, task, out)
    assert_allclose(out, np.einsum("is,sih->ih", alpha[task], A), rtol=1e-13)
    dalpha, dA = np.empty((T, T)), np.empty((T, m, h))
    own_stitch_backward(alpha, A, task, dout, dalpha, dA)
    onehot = np.eye(T)[task]  # (m, T)
    assert_allclose(dalpha, onehot.T @ np.einsum("ih,sih->is", dout, A), rtol=1e-13)
    assert_allclose(dA, alpha[task].T[:, :, None] * dout[None], rtol=1e-13)


@pytest.mark.parametrize("hidden", [(5,), (5, 4), ()], ids=["one", "two", "none"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_own_rows_equal_every_task_on_every_row(hidden, loss):
    """Same outputs, task losses and parameter gradients (with dropout: the same masks)."""
    rng = np.random.default_rng(1)
    X, task, y = _per_task(rng)
    if loss == "logistic":
        y = np.where(y > 0, 1.0, -1.0)
    T = 3
    data = NeuralData(X, T, y=y, task=task)
    buf = ParamBuffer(T, np.float64)
    net = SoftSharingNet(buf, X.shape[1], T, list(hidden), "tanh", 0.2, 0.1, True)
    buf.build()
    net.initialize(buf, rng)
    buf.theta[:] += 0.3 * rng.standard_normal(buf.theta.size)  # off the symmetric start
    assert net.mode(True) == "own"
    rows = np.arange(len(y))
    results = {}
    for mode in ("own", "all"):
        batch = make_batch(data, rows, mode)
        Z, cache = net.forward(buf, batch, True, np.random.default_rng(2))
        E, dZ = LOSSES[loss](Z, batch.Y, batch.C)
        buf.grad[...] = 0
        net.backward(buf, batch, dZ, cache)
        out = Z if mode == "own" else Z[task, rows]
        results[mode] = (out, task_sums(E, batch.task_axis, batch.task, T), buf.grad.copy())
        if mode == "own" and hidden:  # the output layer read (m, h): one task per row
            assert cache[-1]["input"].shape == (len(y), hidden[-1])
    for own, every in zip(results["own"], results["all"]):
        assert_allclose(own, every, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", [SoftSharingMLPRegressor, SoftSharingMLPClassifier])
def test_fit_and_predict_as_before(cls, monkeypatch):
    """A whole fit (float64, early stopping) with "own" batches against the same fit with
    every network on every row ("all" batches, the per-task layout's path before)."""
    rng = np.random.default_rng(3)
    X, task, y = _per_task(rng, n=60)
    if cls is SoftSharingMLPClassifier:
        y = y > 0
    Xt = np.column_stack([X, task])
    fits = []
    for mode in ("own", "all"):
        if mode == "all":
            monkeypatch.setattr(SoftSharingNet, "mode", lambda self, stacked: "all")
        est = cls(hidden_layer_sizes=(6, 5), cross_stitch=True, task_column=-1, max_iter=4,
                  batch_size=16, early_stopping=True, dtype="float64", random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(Xt, y)
        assert est._state.net.mode(True) == mode
        raw = predict_raw(est._state.net, est._predict_buf, X, 3, task)
        fits.append((est._predict_buf.theta.copy(), raw, est.loss_curve_,
                     est.validation_loss_curve_))
    for own, every in zip(*fits):
        assert_allclose(own, every, rtol=1e-10, atol=1e-12)
