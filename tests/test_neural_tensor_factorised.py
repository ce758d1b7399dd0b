"""TensorFactorisedMLP (DMTRL, Yang & Hospedales 2017; issue 16): the Tucker layer's gradient
in every factor against finite differences, the reconstruction identity at full rank, the
whole network's gradient, and tensor-factorised against independent per-task networks on a
planted shared-subspace problem."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from test_neural import _both_layouts
from test_neural_gradients import _data, assert_grad, numerical_grad
from test_neural_sluice import planted

from mtlclassic import (SoftSharingMLPRegressor, TensorFactorisedMLPClassifier,
                        TensorFactorisedMLPRegressor)
from mtlclassic.neural._data import NeuralData, make_batch
from mtlclassic.neural._losses import LOSSES, task_sums
from mtlclassic.neural._params import ParamBuffer
from mtlclassic.neural._tensor_factorised import (TensorFactorisedNet, hosvd, tucker_backward,
                                                  tucker_ranks, tucker_weights)


def test_tucker_weights_are_the_definition_and_their_gradient():
    rng = np.random.default_rng(0)
    T, n_in, n_out, ranks = 4, 5, 3, (2, 3, 2)
    core = rng.standard_normal(ranks)
    U_in, U_out, U_task = (rng.standard_normal(s) for s in [(n_in, 2), (n_out, 3), (T, 2)])
    G = rng.standard_normal((T, n_in, n_out))
    W, K, Q = tucker_weights(core, U_in, U_out, U_task)
    expected = np.zeros((T, n_in, n_out))  # W[t,i,o] = sum G[a,b,c] U_in[i,a] U_out[o,b] U_task[t,c]
    for t, i, o, a, b, c in np.ndindex(T, n_in, n_out, *ranks):
        expected[t, i, o] += core[a, b, c] * U_in[i, a] * U_out[o, b] * U_task[t, c]
    assert_allclose(W, expected, atol=1e-12)
    grads = tucker_backward(G, core, U_in, U_out, U_task, K, Q)

    def f():
        return float(np.sum(G * tucker_weights(core, U_in, U_out, U_task)[0]))

    for analytic, factor in zip(grads, (core, U_in, U_out, U_task)):
        assert_grad(analytic, numerical_grad(f, factor))


@pytest.mark.parametrize("shape", [(3, 5, 4), (6, 4, 1), (1, 7, 2)])
def test_full_rank_reproduces_any_per_task_weights(shape):
    """HOSVD at full ranks is exact: every stack of per-task weights is a Tucker tensor, so the
    factorised network can be any set of independent networks."""
    W = np.random.default_rng(1).standard_normal(shape)
    T, n_in, n_out = shape
    ranks = tucker_ranks(max(shape), n_in, n_out, T)
    core, U_in, U_out, U_task = hosvd(W, ranks)
    assert_allclose(tucker_weights(core, U_in, U_out, U_task)[0], W, atol=1e-12)
    for U in (U_in, U_out, U_task):  # orthonormal columns
        assert_allclose(U.T @ U, np.eye(U.shape[1]), atol=1e-12)


def test_full_rank_network_is_independent_per_task_networks():
    """With every factor from the HOSVD of given per-task weights, the network's outputs are
    the plain per-task MLPs' (the forward pass written out here)."""
    rng = np.random.default_rng(2)
    T, p, hidden = 3, 4, [5]
    buf = ParamBuffer(T, np.float64)
    sizes = [p, *hidden, 1]
    ranks = [tucker_ranks(99, a, b, T) for a, b in zip(sizes[:-1], sizes[1:])]
    net = TensorFactorisedNet(buf, p, T, hidden, "tanh", 0.0, ranks, 0.0)
    buf.build()
    Ws = [rng.standard_normal((T, a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [rng.standard_normal((T, b)) for b in sizes[1:]]
    for layer, W, b in zip(net.layers, Ws, bs):
        for index, value in zip((layer.core, layer.U_in, layer.U_out, layer.U_task, layer.b),
                                (*hosvd(W, layer.ranks), b)):
            buf.params[index][...] = value
    X = rng.standard_normal((7, p))
    data = NeuralData(X, T, Y=np.zeros((7, T)), M=np.ones((7, T)))
    Z, _ = net.forward(buf, make_batch(data, np.arange(7), "all"))
    for t in range(T):
        expected = np.tanh(X @ Ws[0][t] + bs[0][t]) @ Ws[1][t][:, 0] + bs[1][t, 0]
        assert_allclose(Z[t], expected, atol=1e-10)


def test_ranks_are_capped():
    assert tucker_ranks(8, 20, 16, 6) == (8, 8, 6)
    assert tucker_ranks(8, 16, 1, 6) == (6, 1, 6)  # r_in <= r_out r_task
    assert tucker_ranks((2, 9, 3), 4, 4, 5) == (2, 4, 3)
    assert tucker_ranks(5, 3, 2, 1) == (2, 2, 1)


@pytest.mark.parametrize("stacked", [False, True], ids=["shared", "per_task"])
@pytest.mark.parametrize("loss, activation", [("squared", "tanh"), ("logistic", "relu")])
def test_network_gradient(stacked, loss, activation):
    """Whole network (two hidden layers and the output, every factor) plus the decay on W."""
    rng = np.random.default_rng(3)
    data = _data(rng, stacked, loss)
    T, p = data.n_tasks, data.X.shape[1]
    buf = ParamBuffer(T, np.float64)
    sizes = [p, 4, 3, 1]
    ranks = [tucker_ranks(2, a, b, T) for a, b in zip(sizes[:-1], sizes[1:])]
    net = TensorFactorisedNet(buf, p, T, sizes[1:-1], activation, 0.0, ranks, 0.3)
    buf.build()
    net.initialize(buf, rng)
    buf.theta[:] += 0.3 * rng.standard_normal(buf.theta.size)
    batch = make_batch(data, np.arange(data.n_samples), net.mode(stacked),
                       padded_input=net.padded_input)

    def objective():
        Z, _ = net.forward(buf, batch)
        E, _ = LOSSES[loss](Z, batch.Y, batch.C)
        return float(task_sums(E, batch.task_axis, batch.task, T).sum()) + \
            net.penalty(buf, grad=False)

    Z, cache = net.forward(buf, batch, True, rng)  # a training pass: the penalty reuses its W
    _, dZ = LOSSES[loss](Z, batch.Y, batch.C)
    net.backward(buf, batch, dZ, cache)
    net.penalty(buf)
    assert_grad(buf.grad, numerical_grad(objective, buf.theta), rtol=1e-6)


def test_initialisation_has_the_default_scale():
    """Truncated HOSVD of independent draws, rescaled: the reconstructed weights' mean square
    is the default initialisation's, 1 / (3 d_in)."""
    T, p, h = 10, 40, 32
    buf = ParamBuffer(T, np.float64)
    sizes = [p, h, 1]
    ranks = [tucker_ranks(4, a, b, T) for a, b in zip(sizes[:-1], sizes[1:])]
    net = TensorFactorisedNet(buf, p, T, [h], "relu", 0.0, ranks, 0.0)
    buf.build()
    net.initialize(buf, np.random.default_rng(4))
    for layer in net.layers:
        W = layer.weights(buf)[0]
        assert_allclose(np.mean(W ** 2), 1 / (3 * layer.shape[1]), rtol=0.05)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beats_independent_networks_on_a_shared_subspace(seed):
    """The sluice test's planted problem: ``y_t = a_t . tanh(W x) + noise``, ``W`` common."""
    (X, y), (X_test, y_test) = planted(seed)
    params = dict(hidden_layer_sizes=(16, 16), learning_rate_init=0.01, batch_size=32,
                  max_iter=100, alpha=1e-2, task_column=-1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        factorised = TensorFactorisedMLPRegressor(rank=3, **params).fit(X, y)
        independent = SoftSharingMLPRegressor(soft_sharing=0.0, **params).fit(X, y)
    error = np.mean((factorised.predict(X_test) - y_test) ** 2)
    baseline = np.mean((independent.predict(X_test) - y_test) ** 2)
    # measured (seeds 0-2): 0.36 vs 0.92, 0.31 vs 0.38, 0.48 vs 0.76
    assert error < 0.9 * baseline, (error, baseline)
    assert factorised.ranks_ == [(3, 3, 3)] * 2 + [(3, 1, 3)]
    assert [c.shape for c in factorised.cores_] == [(3, 3, 3)] * 2 + [(3, 1, 3)]
    U_in, U_out, U_task = factorised.factors_[0]
    assert U_in.shape == (20, 3) and U_out.shape == (16, 3) and U_task.shape == (6, 3)
    # coefs_ are the reconstructed tensors, in X's units
    assert_allclose(factorised.coefs_[0], tucker_weights(factorised.cores_[0], U_in, U_out,
                                                         U_task)[0], rtol=1e-5, atol=1e-6)


def test_classifier_and_parameter_errors():
    (X, y), _ = planted(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = TensorFactorisedMLPClassifier(hidden_layer_sizes=(8,), rank=[4, (2, 1, 3)],
                                            max_iter=30, task_column=-1,
                                            learning_rate_init=0.03, random_state=0).fit(X, y > 0)
    assert est.ranks_ == [(4, 4, 4), (2, 1, 2)]
    assert est.score(X, y > 0) > 0.7
    for rank, match in [(0, "rank"), (2.5, "rank"), ((2, 2, 2), "3 entries for 2 layers"),
                        ([2, (1, 2)], "triple"), ([2, (1, 0, 2)], "triple"), ("a", "rank")]:
        with pytest.raises(ValueError, match=match):
            TensorFactorisedMLPRegressor((8,), rank=rank, task_column=-1).fit(X, y)


@pytest.mark.parametrize("cls, extra", [
    (TensorFactorisedMLPRegressor, {}),
    # (no dropout: its masks are drawn over padded per-task rows in one layout, all rows in
    # the other, as soft sharing's)
    (TensorFactorisedMLPClassifier, dict(task_weighting="pcgrad")),
    (TensorFactorisedMLPRegressor, dict(task_weighting="gradnorm", main_tasks=[0, 1])),
    (TensorFactorisedMLPRegressor, dict(task_weighting="mgda", rank=2)),
    (TensorFactorisedMLPRegressor, dict(adversarial_tasks=[2], adversarial_weight=0.5)),
])
def test_both_layouts_give_the_same_model(cls, extra):
    """As tests/test_neural.py's check, with the options built on the shared base."""
    X, y, Xs, Y = _both_layouts(classify=cls is TensorFactorisedMLPClassifier)
    params = dict(hidden_layer_sizes=(6, 5), max_iter=10, batch_size=16, random_state=0,
                  dtype="float64", early_stopping=True, **extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        per_task = cls(task_column=-1, **params).fit(X, y)
        shared = cls(**params).fit(Xs, Y)
    assert per_task.n_iter_ == shared.n_iter_
    for W1, W2 in zip(per_task.coefs_ + per_task.intercepts_ + per_task.cores_,
                      shared.coefs_ + shared.intercepts_ + shared.cores_):
        assert_allclose(W1, W2, rtol=1e-9, atol=1e-12)
    assert_allclose(per_task.loss_curve_, shared.loss_curve_, rtol=1e-9)
    method = "decision_function" if cls is TensorFactorisedMLPClassifier else "predict"
    assert_allclose(getattr(per_task, method)(X),
                    getattr(shared, method)(Xs)[np.arange(len(y)), X[:, -1].astype(int)],
                    rtol=1e-9, atol=1e-10)  # the per-task layout reconstructs W[tasks] alone


def test_partial_fit_and_no_hidden_layer():
    (X, y), _ = planted(4, n_tasks=3, n_rows=20)
    est = TensorFactorisedMLPRegressor(hidden_layer_sizes=(4, 4), task_column=-1, random_state=0)
    est.partial_fit(X, y)
    est.alpha = 0.5  # set_params between calls reaches the net's decay
    est.partial_fit(X[:30], y[:30])
    assert est.n_iter_ == 2 and est._state.net.alpha == 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        linear = TensorFactorisedMLPRegressor((), rank=2, max_iter=5, task_column=-1).fit(X, y)
        dropped = TensorFactorisedMLPRegressor((4,), dropout=0.5, max_iter=5, task_column=-1,
                                               random_state=0).fit(X, y)
    assert linear.ranks_ == [(2, 1, 2)] and linear.coefs_[0].shape == (3, 20, 1)
    assert np.all(np.isfinite(dropped.predict(X)))


@pytest.mark.parametrize("spec", ["synthetic:tasks=3,features=8,shared=3,specific=1,samples=24-36",
                                  "synthetic-classification:tasks=3,features=8,shared=3,"
                                  "specific=1,samples=40-60"])
def test_in_the_comparison(spec):
    from mtlclassic.compare import compare

    r = compare(spec, "tensor-factorised-mlp", n_splits=1, random_state=2)
    m = r.models["tensor-factorised-mlp"]
    assert m.errors == [] and np.isfinite(m.mean(r.main_metric))
    assert m.family == "neural"
