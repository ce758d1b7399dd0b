"""SluiceMLP (Ruder et al. 2019; issue 16): the alpha units, the beta layer combination and
the subspace orthogonality penalty against finite differences; sluice networks against
independent per-task networks on a planted shared-subspace problem."""

import itertools
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from test_neural import _both_layouts
from test_neural_gradients import _data, assert_grad, numerical_grad

from mtlclassic import SluiceMLPClassifier, SluiceMLPRegressor, SoftSharingMLPRegressor
from mtlclassic.neural._data import make_batch
from mtlclassic.neural._losses import LOSSES, task_sums
from mtlclassic.neural._params import ParamBuffer
from mtlclassic.neural._sluice import (SluiceNet, orthogonality_penalty, subspace_mix,
                                       subspace_mix_backward)


def test_subspace_mix_is_the_definition_and_its_gradient():
    rng = np.random.default_rng(0)
    T, m, h, S = 3, 4, 6, 2
    alpha, H, G = (rng.standard_normal(s) for s in [(T * S, T * S), (T, m, h), (T, m, h)])
    out, Hr = subspace_mix(alpha, H, S)
    k = h // S
    for t, s in itertools.product(range(T), range(S)):  # h~_{t,s} = sum alpha[(t,s),(u,r)] h_{u,r}
        expected = sum(alpha[t * S + s, u * S + r] * H[u, :, r * k:(r + 1) * k]
                       for u, r in itertools.product(range(T), range(S)))
        assert_allclose(out[t, :, s * k:(s + 1) * k], expected, atol=1e-12)
    da, dH = subspace_mix_backward(alpha, Hr, G, S)

    def f():
        return float(np.sum(G * subspace_mix(alpha, H, S)[0]))

    assert_grad(da, numerical_grad(f, alpha))
    assert_grad(dH, numerical_grad(f, H))


@pytest.mark.parametrize("S", [2, 3])
def test_orthogonality_penalty_value_and_gradient(S):
    rng = np.random.default_rng(1)
    W = rng.standard_normal((2, 5, 3 * S))
    value, grad = orthogonality_penalty(W, S, 0.7)
    blocks = [[W[t][:, 3 * s:3 * s + 3] for s in range(S)] for t in range(2)]
    expected = 0.7 * sum(np.sum((A[s].T @ A[r]) ** 2)  # sum over tasks and pairs s < r
                         for A in blocks for s, r in itertools.combinations(range(S), 2))
    assert_allclose(value, expected)
    assert_grad(grad, numerical_grad(lambda: orthogonality_penalty(W, S, 0.7)[0], W))


@pytest.mark.parametrize("stacked", [False, True], ids=["shared", "per_task"])
@pytest.mark.parametrize("loss, activation", [("squared", "tanh"), ("logistic", "relu")])
def test_network_gradient(stacked, loss, activation):
    """Whole network (two hidden layers, alphas, betas, outputs) plus the penalty."""
    rng = np.random.default_rng(2)
    data = _data(rng, stacked, loss)
    T, p = data.n_tasks, data.X.shape[1]
    buf = ParamBuffer(T, np.float64)
    net = SluiceNet(buf, p, T, [4, 4], activation, 0.0, 2, 0.3)
    buf.build()
    net.initialize(buf, rng)
    buf.theta[:] += 0.3 * rng.standard_normal(buf.theta.size)  # off the symmetric start
    batch = make_batch(data, np.arange(data.n_samples), net.mode(stacked))

    def objective():
        Z, _ = net.forward(buf, batch)
        E, _ = LOSSES[loss](Z, batch.Y, batch.C)
        return float(task_sums(E, batch.task_axis, batch.task, T).sum()) + \
            net.penalty(buf, grad=False)

    Z, cache = net.forward(buf, batch)
    _, dZ = LOSSES[loss](Z, batch.Y, batch.C)
    net.backward(buf, batch, dZ, cache)
    net.penalty(buf)
    assert_grad(buf.grad, numerical_grad(objective, buf.theta), rtol=1e-6)


def planted(seed, n_tasks=6, n_rows=30, p=20, k=2, noise=0.3, n_test=200):
    """Tasks sharing a nonlinear subspace: ``y_t = a_t . tanh(W x) + noise``, ``W`` (k x p)
    common to every task, ``a_t`` each task's own; few rows per task. Returns the training
    rows and test rows (task id in the last column)."""
    rng = np.random.default_rng(seed)
    W = 2 * rng.standard_normal((p, k)) / np.sqrt(p)
    A = rng.standard_normal((n_tasks, k))

    def draw(m):
        task = np.repeat(np.arange(n_tasks), m)
        X = rng.standard_normal((len(task), p))
        y = np.einsum("ik,ik->i", np.tanh(X @ W), A[task]) + noise * rng.standard_normal(len(task))
        return np.column_stack([X, task]), y

    return draw(n_rows), draw(n_test)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beats_independent_networks_on_a_shared_subspace(seed):
    (X, y), (X_test, y_test) = planted(seed)
    params = dict(hidden_layer_sizes=(16, 16), learning_rate_init=0.01, batch_size=32,
                  max_iter=100, alpha=1e-3, task_column=-1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sluice = SluiceMLPRegressor(**params).fit(X, y)
        independent = SoftSharingMLPRegressor(soft_sharing=0.0, **params).fit(X, y)
    error = np.mean((sluice.predict(X_test) - y_test) ** 2)
    baseline = np.mean((independent.predict(X_test) - y_test) ** 2)
    # measured (seeds 0-2): 0.813 vs 1.129, 0.366 vs 0.429, 0.730 vs 0.858
    assert error < 0.9 * baseline, (error, baseline)
    assert len(sluice.alphas_) == 2 and sluice.alphas_[0].shape == (12, 12)
    assert_allclose(sluice.betas_.sum(axis=1), 1.0)
    assert sluice.betas_.shape == (6, 2)


def test_classifier_and_parameter_errors():
    (X, y), _ = planted(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = SluiceMLPClassifier(hidden_layer_sizes=(8, 8), max_iter=30, task_column=-1,
                                  learning_rate_init=0.03, random_state=0).fit(X, y > 0)
    assert est.betas_.shape == (6, 2)
    assert est.score(X, y > 0) > 0.7
    for params, match in [(dict(orthogonality=-1.0), "orthogonality"),
                          (dict(n_subspaces=0), "n_subspaces"),
                          (dict(hidden_layer_sizes=(8, 4)), "one width"),
                          (dict(hidden_layer_sizes=(9,)), "multiple of n_subspaces"),
                          (dict(hidden_layer_sizes=()), "empty")]:
        with pytest.raises(ValueError, match=match):
            SluiceMLPRegressor(task_column=-1, **params).fit(X, y)


@pytest.mark.parametrize("cls, extra", [
    (SluiceMLPRegressor, {}),
    (SluiceMLPClassifier, dict(task_weighting="pcgrad", dropout=0.2)),
    (SluiceMLPRegressor, dict(task_weighting="gradnorm", main_tasks=[0, 1])),
    (SluiceMLPRegressor, dict(task_weighting="mgda", n_subspaces=3)),
    (SluiceMLPRegressor, dict(adversarial_tasks=[2], adversarial_weight=0.5)),
])
def test_both_layouts_give_the_same_model(cls, extra):
    """As tests/test_neural.py's check, with the options built on the shared base."""
    X, y, Xs, Y = _both_layouts(classify=cls is SluiceMLPClassifier)
    params = dict(hidden_layer_sizes=(6, 6), max_iter=10, batch_size=16, random_state=0,
                  dtype="float64", early_stopping=True, **extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        per_task = cls(task_column=-1, **params).fit(X, y)
        shared = cls(**params).fit(Xs, Y)
    assert per_task.n_iter_ == shared.n_iter_
    for W1, W2 in zip(per_task.coefs_ + per_task.intercepts_ + per_task.alphas_,
                      shared.coefs_ + shared.intercepts_ + shared.alphas_):
        assert_allclose(W1, W2, rtol=1e-9, atol=1e-12)
    assert_allclose(per_task.betas_, shared.betas_, rtol=1e-9)
    method = "decision_function" if cls is SluiceMLPClassifier else "predict"
    assert_allclose(getattr(per_task, method)(X),
                    getattr(shared, method)(Xs)[np.arange(len(y)), X[:, -1].astype(int)],
                    rtol=1e-9, atol=1e-12)


def test_partial_fit():
    (X, y), _ = planted(4, n_tasks=3, n_rows=20)
    est = SluiceMLPRegressor(hidden_layer_sizes=(4, 4), task_column=-1, random_state=0)
    est.partial_fit(X, y)
    est.partial_fit(X[:30], y[:30])
    assert est.n_iter_ == 2 and est.betas_.shape == (3, 2)


@pytest.mark.parametrize("spec", ["synthetic:tasks=3,features=8,shared=3,specific=1,samples=24-36",
                                  "synthetic-classification:tasks=3,features=8,shared=3,"
                                  "specific=1,samples=40-60"])
def test_in_the_comparison(spec):
    from mtlclassic.compare import compare

    r = compare(spec, "sluice-mlp", n_splits=1, random_state=2)
    m = r.models["sluice-mlp"]
    assert m.errors == [] and np.isfinite(m.mean(r.main_metric))
    assert m.family == "neural"
