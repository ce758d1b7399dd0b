"""The two inner solvers of BCD (residual form, Gram form) agree with each other and the truth."""

import importlib

import numpy as np
import pytest
from sklearn.linear_model import MultiTaskLasso

from mtlclassic import GroupLassoRegressor, alpha_max
from mtlclassic._validation import check_fit_data
from mtlclassic.datafits import Quadratic
from mtlclassic.penalties import L21
from mtlclassic.solvers import profile_intercept

# The module, not the function of the same name that mtlclassic.solvers exports.
bcd_module = importlib.import_module("mtlclassic.solvers.bcd")
DualExtrapolation = importlib.import_module("mtlclassic.solvers._gap").DualExtrapolation


def _problem(seed, n=120, p=25, T=4, fit_intercept=True, sample_weight=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + rng.standard_normal(p)
    W = np.zeros((p, T))
    W[:5] = rng.standard_normal((5, T))
    Y = X @ W + 0.3 * rng.standard_normal((n, T)) + rng.standard_normal(T)
    sw = rng.uniform(0.5, 2.0, n) if sample_weight else None
    est = GroupLassoRegressor(task_weights=rng.uniform(0.5, 2.0, T))
    data = check_fit_data(est, X, Y, sw)
    if fit_intercept:
        data.center()
    return X, Y, sw, est.task_weights, data


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sample_weight", [False, True])
def test_gram_and_residual_inner_gaps_agree(seed, fit_intercept, sample_weight):
    """At the same point, both inner solvers report the same restricted duality gap."""
    _, _, _, _, data = _problem(seed, fit_intercept=fit_intercept, sample_weight=sample_weight)
    datafit = Quadratic(data)
    rng = np.random.default_rng(100 + seed)
    W = np.zeros((data.n_features, data.n_tasks))
    ws = np.sort(rng.choice(data.n_features, 8, replace=False))
    W[ws] = 0.3 * rng.standard_normal((8, data.n_tasks))
    b, Z = profile_intercept(datafit, W, None, fit_intercept)
    penalty = L21(0.05)
    lips = datafit.block_lipschitz()
    assert bcd_module._GramInner.applies(data, ws)
    gram = bcd_module._GramInner(datafit, penalty, ws, b, lips[ws])
    resid = bcd_module._ResidualInner(datafit, penalty, ws, b, Z, lips[ws],
                                      DualExtrapolation(0))
    W_g, W_r = gram.start(W[ws]), resid.start(W[ws])
    np.testing.assert_allclose(gram.gap(W_g), resid.gap(W_r), rtol=1e-9, atol=1e-12)
    for _ in range(3):  # and the same epochs (same iterates)
        gram.epoch(W_g)
        resid.epoch(W_r)
    np.testing.assert_allclose(W_g, W_r, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gram.gap(W_g), resid.gap(W_r), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_both_inner_solvers_reach_the_same_solution(seed, monkeypatch):
    X, Y, _, _, _ = _problem(seed)
    alpha = alpha_max(X, Y) / 8
    ref = MultiTaskLasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, Y)
    gram = GroupLassoRegressor(alpha=alpha, tol=1e-10).fit(X, Y)
    monkeypatch.setattr(bcd_module._GramInner, "applies", staticmethod(lambda data, ws: False))
    resid = GroupLassoRegressor(alpha=alpha, tol=1e-10).fit(X, Y)
    for model in (gram, resid):
        rel = np.linalg.norm(model.coef_ - ref.coef_) / np.linalg.norm(ref.coef_)
        assert rel < 1e-6
        np.testing.assert_allclose(model.intercept_, ref.intercept_, rtol=1e-6, atol=1e-8)


def _stacked(sizes, p, weights, seed=0):
    from mtlclassic.data import StackedDesign

    rng = np.random.default_rng(seed)
    n = sum(sizes)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    task = np.repeat(np.arange(len(sizes)), sizes)
    tau = rng.uniform(0.5, 2.0, len(sizes))
    c = (tau[task] / np.maximum(np.array(sizes), 1)[task] if weights is None
         else weights / np.add.reduceat(weights, offsets[:-1])[task] * tau[task])
    X = rng.standard_normal((n, p)) + rng.standard_normal(p)
    y = rng.standard_normal(n)
    return StackedDesign(X, y, c, offsets).center()


@pytest.mark.parametrize("sizes", [[30, 45, 12], [20, 0, 33]])
def test_uniform_stacked_epoch_is_the_general_one(sizes):
    """Rows weighed alike in each task: the specialised epoch takes the general one's steps."""
    data = _stacked(sizes, 15, None)
    sub = data.restrict(np.arange(15))  # a centered copy, as the working-set solver makes
    c_task = bcd_module._task_constants(sub)
    assert c_task is not None
    bound = bcd_module._bind_stacked_dense(sub, np.zeros((15, len(sizes))))
    assert "bcd_epoch_stacked_uniform" in bound.__code__.co_names  # the binder picks it
    kernels = importlib.import_module("mtlclassic.solvers._kernels")
    L = Quadratic(sub).block_lipschitz()
    pen = L21(0.02)
    rows = np.arange(15, dtype=np.int64)
    out = []
    for epoch in (kernels.bcd_epoch_stacked_uniform, kernels.bcd_epoch_stacked_dense):
        r, W = sub.Y.copy(), np.zeros((15, len(sizes)))
        for _ in range(5):
            if epoch is kernels.bcd_epoch_stacked_uniform:
                epoch(sub.X, sub.offsets, r, c_task, W, L, pen.row_params, pen.row_kind, rows)
            else:
                epoch(sub.X, sub.offsets, np.zeros((15, len(sizes))), r, sub.C, W, L,
                      pen.row_params, pen.row_kind, rows)
        out.append((W, r))
    assert np.any(out[0][0] != 0)
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-12, atol=1e-14)


def test_task_constants_only_without_sample_weights():
    data = _stacked([10, 0, 7], 3, None)
    np.testing.assert_array_equal(bcd_module._task_constants(data), data.C[[0, 10, 10]] * [1, 0, 1])
    weights = np.random.default_rng(1).uniform(0.5, 2.0, 17)
    data = _stacked([10, 7], 3, weights)
    assert bcd_module._task_constants(data) is None
    bound = bcd_module._bind_stacked_dense(data.restrict(np.arange(3)), np.zeros((3, 2)))
    assert "bcd_epoch_stacked_dense" in bound.__code__.co_names
