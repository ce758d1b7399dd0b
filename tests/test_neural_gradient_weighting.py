"""GradNorm, PCGrad and MGDA (issue 16): the min-norm weights against cvxpy, PCGrad's
projection on constructed conflicting gradients, and every combined gradient against
central differences of the task losses (float64)."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from test_neural_gradients import _data, assert_grad, numerical_grad

from mtlclassic import (HardSharingMLPClassifier, HardSharingMLPRegressor,
                        SoftSharingMLPRegressor)
from mtlclassic.neural._data import make_batch
from mtlclassic.neural._gradient_weighting import (gradnorm_objective, gradnorm_targets,
                                                   min_norm_weights, pcgrad)
from mtlclassic.neural._losses import LOSSES, task_sums
from mtlclassic.neural._networks import HardSharingNet, SoftSharingNet
from mtlclassic.neural._params import ParamBuffer
from mtlclassic.neural._weighting import TaskWeighting


# -- MGDA's min-norm problem -------------------------------------------------------------
def _cvxpy_min_norm(G):
    cp = pytest.importorskip("cvxpy")
    a = cp.Variable(G.shape[0])
    # the docstring's problem: min ||sum_t alpha_t z_t||^2 over the simplex
    problem = cp.Problem(cp.Minimize(cp.sum_squares(G.T @ a)), [a >= 0, cp.sum(a) == 1])
    problem.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    return a.value


@pytest.mark.parametrize("case", ["random", "face", "vertex", "two"])
def test_min_norm_weights_equal_cvxpy(case):
    rng = np.random.default_rng(1)
    if case == "random":  # two of the four tasks active
        G = rng.standard_normal((4, 7)) + 0.3 * rng.standard_normal(7)
    elif case == "face":  # one gradient far out: its weight is 0
        G = rng.standard_normal((5, 8))
        G[2] = 10 * (G[0] + G[1])
    elif case == "vertex":  # a short gradient inside the others' cone: it alone
        base = rng.standard_normal(6)
        G = np.array([base + rng.standard_normal(6) for _ in range(3)] + [0.05 * base])
    else:
        G = rng.standard_normal((2, 5))
    alpha = min_norm_weights(G @ G.T)
    assert np.all(alpha >= 0) and abs(alpha.sum() - 1) < 1e-12
    expected = _cvxpy_min_norm(G)
    assert_allclose(alpha, expected, atol=1e-6)
    # the certificate: no vertex improves on the point (Frank-Wolfe gap ~ 0)
    d = G.T @ alpha
    assert np.min(G @ d) >= d @ d - 1e-9 * max(d @ d, 1)


def test_min_norm_of_two_gradients_is_the_closed_form():
    # Sener & Koltun's two-task solution: alpha = clip((z2 - z1) . z2 / ||z1 - z2||^2, 0, 1)
    rng = np.random.default_rng(2)
    z1, z2 = rng.standard_normal(4), rng.standard_normal(4)
    a = np.clip((z2 - z1) @ z2 / np.sum((z1 - z2) ** 2), 0, 1)
    assert_allclose(min_norm_weights(np.array([[z1 @ z1, z1 @ z2], [z1 @ z2, z2 @ z2]])),
                    [a, 1 - a], atol=1e-10)


# -- PCGrad -------------------------------------------------------------------------------------
def test_pcgrad_projects_conflicting_gradients():
    g1, g2 = np.array([1.0, 0.0]), np.array([-1.0, 1.0])  # g1 . g2 = -1: a conflict
    # g1' = g1 - (g1.g2)/|g2|^2 g2 = (0.5, 0.5); g2' = g2 - (g2.g1)/|g1|^2 g1 = (0, 1)
    total = pcgrad(np.array([g1, g2]), np.random.default_rng(0))
    assert_allclose(total, [0.5, 1.5])
    for g, other in (([0.5, 0.5], g2), ([0.0, 1.0], g1)):
        assert abs(np.dot(g, other)) < 1e-15  # each lies on the other's normal plane
    # gradients that agree (or are orthogonal) are summed unchanged
    G = np.array([[1.0, 2.0, 0.0], [0.5, 0.0, 1.0], [0.0, 0.0, 3.0]])
    assert_allclose(pcgrad(G, np.random.default_rng(0)), G.sum(axis=0))


def test_pcgrad_three_tasks_written_out():
    rng = np.random.default_rng(3)
    G = rng.standard_normal((3, 5))
    total = pcgrad(G, np.random.default_rng(7))
    orders = np.random.default_rng(7)
    expected = np.zeros(5)
    for t in range(3):
        g = G[t].copy()
        for s in orders.permutation(3):
            if s != t and g @ G[s] < 0:
                g = g - (g @ G[s]) / (G[s] @ G[s]) * G[s]
        expected += g
    assert_allclose(total, expected, rtol=1e-12)


# -- GradNorm -----------------------------------------------------------------------------------
def test_gradnorm_objective_gradient():
    rng = np.random.default_rng(4)
    w, norms = rng.uniform(0.5, 2, 4), rng.uniform(0.1, 3, 4)
    ratios = rng.uniform(0.5, 1.5, 4)
    targets = gradnorm_targets(w, norms, ratios, alpha=1.5)
    assert_allclose(targets, np.mean(w * norms) * ratios ** 1.5)
    value, grad = gradnorm_objective(w, norms, targets)
    assert_allclose(value, np.sum(np.abs(w * norms - targets)))
    # the targets are constants of L_grad (Chen et al.'s rule)
    assert_grad(grad, numerical_grad(lambda: gradnorm_objective(w, norms, targets)[0], w))


# -- the combined gradients of whole networks -------------------------------------------------
NETS = {
    "hard": lambda buf, p, T: HardSharingNet(buf, p, T, [5, 4], [], "tanh", 0.0),
    "hard-deep-heads": lambda buf, p, T: HardSharingNet(buf, p, T, [5], [3], "tanh", 0.0),
    "hard-task-layers": lambda buf, p, T: HardSharingNet(buf, p, T, [5, 4], [], "tanh", 0.0,
                                                         task_layers=[2, 1, 2]),
    "soft-cross-stitch": lambda buf, p, T: SoftSharingNet(buf, p, T, [4], "tanh", 0.0, 0.0,
                                                           True),
}


def _setup(net_name, kind, stacked, loss="squared"):
    rng = np.random.default_rng(5)
    data = _data(rng, stacked, loss)
    T, p = data.n_tasks, data.X.shape[1]
    buf = ParamBuffer(T, np.float64)
    net = NETS[net_name](buf, p, T)
    weighting = TaskWeighting(kind, T, gradnorm_alpha=1.2)
    weighting.register(buf)
    buf.build()
    net.initialize(buf, rng)
    weighting.initialize(buf)
    buf.theta[:] += 0.3 * rng.standard_normal(buf.theta.size)
    if weighting.gradients.index is not None:
        buf.params[weighting.gradients.index][...] = [0.5, 1.0, 1.5]  # sum T: as normalised
    batch = make_batch(data, np.arange(data.n_samples), net.mode(stacked))

    def losses():
        Z, _ = net.forward(buf, batch)
        E, _ = LOSSES[loss](Z, batch.Y, batch.C)
        return task_sums(E, batch.task_axis, batch.task, T)

    return net, buf, batch, weighting, losses


def _step(net, buf, batch, weighting, loss="squared", seed=0):
    Z, cache = net.forward(buf, batch)
    E, dZ = LOSSES[loss](Z, batch.Y, batch.C)
    L = task_sums(E, batch.task_axis, batch.task, net.n_tasks)
    buf.grad[:] = np.nan  # every entry must be written
    weighting.gradients.backward(net, buf, batch, dZ, cache, L, np.random.default_rng(seed))
    return L


def _task_gradients(buf, losses, T):
    """Central differences of every L_t with respect to every parameter: (T, n_params)."""
    return np.array([numerical_grad(lambda t=t: float(losses()[t]), buf.theta)
                     for t in range(T)])


def _shared_mask(buf, net):
    mask = np.zeros(buf.theta.size, dtype=bool)
    for view in (buf.views(mask)[i] for i in net.shared_parameters()):
        view[...] = True
    return mask


@pytest.mark.parametrize("net_name", sorted(NETS))
@pytest.mark.parametrize("stacked", [False, True], ids=["shared", "per_task"])
def test_pcgrad_gradient(net_name, stacked):
    net, buf, batch, weighting, losses = _setup(net_name, "pcgrad", stacked)
    _step(net, buf, batch, weighting, seed=3)
    Gt = _task_gradients(buf, losses, net.n_tasks)
    shared = _shared_mask(buf, net)
    expected = Gt.sum(axis=0)  # task-specific parameters: their task's plain gradient
    # the shared ones: PCGrad of the task gradients on them (same draws of the orders)
    flat = np.array([np.concatenate([v.ravel() for v in (buf.views(g)[i]
                                                         for i in net.shared_parameters())])
                     for g in Gt])
    combined = pcgrad(flat, np.random.default_rng(3))
    pos = 0
    for i in net.shared_parameters():
        view = buf.views(expected)[i]
        view[...] = combined[pos:pos + view.size].reshape(view.shape)
        pos += view.size
    assert shared.any()
    assert_grad(buf.grad, expected, rtol=1e-6)


@pytest.mark.parametrize("net_name", sorted(NETS))
@pytest.mark.parametrize("stacked", [False, True], ids=["shared", "per_task"])
def test_mgda_gradient_and_weights(net_name, stacked):
    net, buf, batch, weighting, losses = _setup(net_name, "mgda", stacked)
    _step(net, buf, batch, weighting)
    weighting.end_epoch(np.ones(3))
    w = weighting.current(buf)
    assert_allclose(w.sum(), net.n_tasks)  # all three tasks in the batch
    Gt = _task_gradients(buf, losses, net.n_tasks)
    # the step descends sum_t w_t L_t
    assert_grad(buf.grad, w @ Gt, rtol=1e-6)
    if not net.has_representation:  # MGDA on the shared parameters
        shared = _shared_mask(buf, net)
        G = Gt[:, shared]
        assert_allclose(w / 3, _cvxpy_min_norm(G), atol=1e-5)


@pytest.mark.parametrize("net_name", sorted(NETS))
def test_gradnorm_gradients(net_name):
    net, buf, batch, weighting, losses = _setup(net_name, "gradnorm", stacked=False)
    gw = weighting.gradients
    w = np.array([0.5, 1.0, 1.5])
    gw.initial_losses[:] = [2.0, 1.0, 0.5]  # L_t(0)
    L = _step(net, buf, batch, weighting)
    index = gw.index
    grad_w = buf.grads[index].copy()
    buf.grads[index][...] = 0.0
    buf_w = buf.params[index].copy()
    Gt = _task_gradients(buf, losses, net.n_tasks)
    mask = np.ones(buf.theta.size, dtype=bool)
    buf.views(mask)[index][...] = False
    assert_grad(buf.grad[mask], (w @ Gt)[mask], rtol=1e-6)  # the network descends sum w_t L_t
    # n_t = ||grad_W L_t||, W the last shared layer's weights, by finite differences
    last = net.shared_parameters()[-1]
    norms = np.array([np.linalg.norm(buf.views(g)[last]) for g in Gt])
    relative = L / gw.initial_losses
    targets = gradnorm_targets(w, norms, relative / relative.mean(), 1.2)
    assert_allclose(grad_w, np.sign(w * norms - targets) * norms, rtol=1e-6)
    assert_allclose(buf_w, w)


# -- estimators ----------------------------------------------------------------------------------
def _problem(seed=0, n=120, classify=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5))
    Y = np.tanh(X @ rng.standard_normal((5, 3))) + 0.1 * rng.standard_normal((n, 3))
    return X, (Y > 0).astype(float) if classify else Y


@pytest.mark.parametrize("kind", ["gradnorm", "pcgrad", "mgda"])
@pytest.mark.parametrize("cls, extra", [(HardSharingMLPRegressor, {}),
                                        (HardSharingMLPClassifier, {}),
                                        (SoftSharingMLPRegressor, dict(cross_stitch=True))])
def test_estimators_train_with_gradient_weighting(kind, cls, extra):
    X, Y = _problem(classify=cls is HardSharingMLPClassifier)
    params = dict(hidden_layer_sizes=(8,), max_iter=40, batch_size=32, learning_rate_init=0.01,
                  random_state=0, task_weighting=kind, **extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = cls(**params).fit(X, Y)
        again = cls(**params).fit(X, Y)
    assert est.loss_curve_[-1] < 0.7 * est.loss_curve_[0]
    assert_allclose(est.task_weights_.sum(), 3)
    assert np.all(est.task_weights_ > 0) or kind == "mgda"
    assert_allclose(est.coefs_[0], again.coefs_[0])  # reproducible (PCGrad's orders too)


@pytest.mark.parametrize("kind", ["gradnorm", "pcgrad", "mgda"])
def test_gradient_weighting_needs_shared_parameters(kind):
    X, Y = _problem()
    with pytest.raises(ValueError, match="share"):
        SoftSharingMLPRegressor(task_weighting=kind, max_iter=2).fit(X, Y)
    with pytest.raises(ValueError, match="share"):
        HardSharingMLPRegressor(hidden_layer_sizes=(), task_weighting=kind, max_iter=2).fit(X, Y)
    with pytest.raises(ValueError, match="gradnorm_alpha"):
        HardSharingMLPRegressor(gradnorm_alpha=-1.0).fit(X, Y)
