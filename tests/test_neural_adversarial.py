"""Adversarial auxiliary tasks through a gradient-reversal layer (``adversarial_tasks``, issue
16): the step's gradient against central differences, and what adversarial tasks count for."""

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from test_neural_gradients import _data, assert_grad, numerical_grad

from mtlclassic import (HardSharingMLPClassifier, HardSharingMLPRegressor,
                        RelationshipMLPRegressor, SoftSharingMLPRegressor)
from mtlclassic.neural._adversarial import (AdversaryUpdates, adversarial_backward,
                                            confusion_grad, covariance_grad,
                                            kernel_projections, reversal_factors)
from mtlclassic.neural._data import make_batch
from mtlclassic.neural._losses import LOSSES, task_sums
from mtlclassic.neural._networks import HardSharingNet, SoftSharingNet
from mtlclassic.neural._params import ParamBuffer
from mtlclassic.neural._training import TrainState

NETS = {
    "hard": lambda buf, p, T: HardSharingNet(buf, p, T, [5, 4], [], "tanh", 0.0),
    "hard-deep-heads": lambda buf, p, T: HardSharingNet(buf, p, T, [5], [3], "tanh", 0.0),
    "hard-task-layers": lambda buf, p, T: HardSharingNet(buf, p, T, [5, 4], [], "tanh", 0.0,
                                                         task_layers=[2, 1, 2]),
    # the adversarial task (1) on a head of its own architecture (adversarial_layer_sizes)
    "hard-adversary-head": lambda buf, p, T: HardSharingNet(
        buf, p, T, [5, 4], [], "tanh", 0.0, adversarial=[False, True, False],
        adversary_hidden=[3]),
    "hard-deep-heads-adversary-head": lambda buf, p, T: HardSharingNet(
        buf, p, T, [5], [3], "tanh", 0.0, adversarial=[False, True, False],
        adversary_hidden=[4, 2]),
    "soft-cross-stitch": lambda buf, p, T: SoftSharingNet(buf, p, T, [4], "tanh", 0.0, 0.0,
                                                           True),
}


@pytest.mark.parametrize("net_name", sorted(NETS))
@pytest.mark.parametrize("stacked", [False, True], ids=["shared", "per_task"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_reversed_gradient(net_name, stacked, loss):
    """The adversarial task's own parameters descend its loss; every other parameter descends
    the other tasks' losses and ascends lambda times the adversarial one."""
    rng = np.random.default_rng(0)
    data = _data(rng, stacked, loss)
    T, p = data.n_tasks, data.X.shape[1]
    buf = ParamBuffer(T, np.float64)
    net = NETS[net_name](buf, p, T)
    n_net = len(buf.specs)
    buf.add((T,), decay=False)  # a weighting parameter: its gradient must be left alone
    buf.build()
    net.initialize(buf, rng)
    buf.theta[:] += 0.3 * rng.standard_normal(buf.theta.size)
    batch = make_batch(data, np.arange(data.n_samples), net.mode(stacked))
    adversarial = np.array([False, True, False])
    factors = reversal_factors(net, buf, n_net, adversarial, 0.7)

    def losses():
        Z, _ = net.forward(buf, batch)
        return task_sums(LOSSES[loss](Z, batch.Y, batch.C)[0], batch.task_axis, batch.task, T)

    Z, cache = net.forward(buf, batch)
    _, dZ = LOSSES[loss](Z, batch.Y, batch.C)
    buf.grad[:] = 0.0
    buf.grads[-1][...] = [1.0, 2.0, 3.0]
    adversarial_backward(net, buf, batch, dZ, cache, adversarial, factors)
    rest = numerical_grad(lambda: float(losses()[[0, 2]].sum()), buf.theta)
    adv = numerical_grad(lambda: float(losses()[1]), buf.theta)
    own = net.owned_by(buf, [1])
    expected = rest + np.where(own, adv, -0.7 * adv)
    buf.views(expected)[-1][...] = [1.0, 2.0, 3.0]
    assert own.any() and not own[buf.views(np.arange(buf.theta.size))[-1]].any()
    assert_grad(buf.grad, expected, rtol=1e-6)


@pytest.mark.parametrize("net_name", ["hard", "hard-adversary-head", "soft-cross-stitch"])
@pytest.mark.parametrize("stacked", [False, True], ids=["shared", "per_task"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_confusion_gradient(net_name, stacked, loss):
    """adversarial_objective="confusion": the adversarial task's own parameters descend its
    loss; the others descend the other tasks' losses plus lambda times the confusion loss,
    written here from its docstring: each adversarial output pulled to the batch mean of its
    task's targets (squared), or to its fraction of positives by cross-entropy (logistic)."""
    rng = np.random.default_rng(2)
    data = _data(rng, stacked, loss)
    T, p = data.n_tasks, data.X.shape[1]
    buf = ParamBuffer(T, np.float64)
    net = NETS[net_name](buf, p, T)
    n_net = len(buf.specs)
    buf.build()
    net.initialize(buf, rng)
    buf.theta[:] += 0.3 * rng.standard_normal(buf.theta.size)
    batch = make_batch(data, np.arange(data.n_samples), net.mode(stacked))
    adversarial = np.array([False, True, False])
    factors = reversal_factors(net, buf, n_net, adversarial, 0.7)
    C = batch.C
    targets = (batch.Y + 1) / 2 if loss == "logistic" else batch.Y
    mean = task_sums(C * targets, batch.task_axis, batch.task, T)  # C sums to 1 per task
    centre = (mean[batch.task] if batch.task_axis is None
              else np.expand_dims(mean, 1 - batch.task_axis))

    def losses():
        Z, _ = net.forward(buf, batch)
        return task_sums(LOSSES[loss](Z, batch.Y, batch.C)[0], batch.task_axis, batch.task, T)

    def confusion():
        Z, _ = net.forward(buf, batch)
        if loss == "squared":
            E = C * (Z - centre) ** 2 / 2
        else:
            E = C * (-centre * np.log(expit(Z)) - (1 - centre) * np.log(expit(-Z)))
        return float(task_sums(E, batch.task_axis, batch.task, T)[1])

    Z, cache = net.forward(buf, batch)
    _, dZ = LOSSES[loss](Z, batch.Y, batch.C)
    buf.grad[:] = 0.0
    adversarial_backward(net, buf, batch, dZ, cache, adversarial, factors,
                         confusion_grad(loss, Z, batch))
    rest = numerical_grad(lambda: float(losses()[[0, 2]].sum()), buf.theta)
    adv = numerical_grad(lambda: float(losses()[1]), buf.theta)
    conf = numerical_grad(confusion, buf.theta)
    own = net.owned_by(buf, [1])
    assert_grad(buf.grad, rest + np.where(own, adv, 0.7 * conf), rtol=1e-6)


def _scale_free_penalty(H, y, w, strength, omega, eps=1e-2):
    """The penalty of ``covariance_grad`` written from its definition for one task: rows
    weighted by ``w`` (summing to 1), each unit and the target standardised, the squared
    correlations plus the squared covariances of the random Fourier features."""
    Hs = (H - w @ H) / np.sqrt(w @ (H - w @ H) ** 2 + eps)
    u = w * (y - w @ y) / np.sqrt(w @ (y - w @ y) ** 2 + eps)
    total = np.sum((u @ Hs) ** 2)
    if omega is not None:
        total += np.sum((u @ np.cos(Hs @ omega)) ** 2) + np.sum((u @ np.sin(Hs @ omega)) ** 2)
    return 0.5 * strength * total


@pytest.mark.parametrize("kernel", [False, True], ids=["linear", "kernel"])
def test_covariance_gradient_at_the_representation(kernel):
    """The scale-free penalty's gradient in ``H`` against central differences, the terms
    through the batch's mean and variance of each unit included: rows of unequal weights
    (one of weight 0, another task's), units of very different scales and a dead unit
    (constant: standardised to 0, ``eps`` keeping its scale positive; its gradient is not
    0, it is that of the unit's correlation with the target should it start to move), a
    fixed draw of the kernel's projections."""
    rng = np.random.default_rng(5)
    n, width = 11, 5
    H = rng.standard_normal((n, width)) * np.array([1.0, 10.0, 0.01, 1.0, 1.0])
    H[:, 3] = 0.7  # a dead unit
    C = np.column_stack([np.full(n, 1.0 / n), rng.random(n)])
    C[4, 1] = 0.0
    C[:, 1] /= C[:, 1].sum()
    Y = np.column_stack([rng.standard_normal(n), rng.choice([-1.0, 1.0], n)])
    batch = SimpleNamespace(task_axis=1, C=C, Y=Y)
    omega = kernel_projections(rng, width) if kernel else None
    rows = C[:, 1] > 0

    def penalty():
        return _scale_free_penalty(H[rows], Y[rows, 1], C[rows, 1], 1.3, omega)

    dH, value = covariance_grad(H, batch, np.array([False, True]), 1.3, omega)
    assert_allclose(value, penalty(), rtol=1e-12)
    numeric = numerical_grad(penalty, H)
    assert not dH[~rows].any()  # the rows of other tasks (or of weight 0)
    assert_grad(dH, numeric, rtol=1e-6)


@pytest.mark.parametrize("net_name", ["hard-adversary-head", "hard-deep-heads-adversary-head"])
@pytest.mark.parametrize("stacked", [False, True], ids=["shared", "per_task"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("kernel", [False, True], ids=["linear", "kernel"])
def test_covariance_gradient(net_name, stacked, loss, kernel):
    """adversarial_covariance: the shared layers also descend the scale-free penalty of the
    trunk's output with the adversarial task's target over its rows (each unit standardised
    over them; the kernel term at a fixed draw), written here from the data (each row's
    weight 1/n_t; the shared layout's missing targets left out), not from the batch's
    layout; nothing else changes."""
    rng = np.random.default_rng(3)
    data = _data(rng, stacked, loss)
    T, p = data.n_tasks, data.X.shape[1]
    buf = ParamBuffer(T, np.float64)
    net = NETS[net_name](buf, p, T)
    n_net = len(buf.specs)
    buf.build()
    net.initialize(buf, rng)
    buf.theta[:] += 0.3 * rng.standard_normal(buf.theta.size)
    batch = make_batch(data, np.arange(data.n_samples), net.mode(stacked))
    adversarial = np.array([False, True, False])
    factors = reversal_factors(net, buf, n_net, adversarial, 0.7)
    if stacked:
        rows, y = data.task == 1, data.y
    else:
        rows, y = data.M[:, 1] > 0, data.Y[:, 1]
    Z, cache = net.forward(buf, batch)
    omega = kernel_projections(rng, net.shared_output(cache).shape[1]) if kernel else None

    def penalty():
        Z, cache = net.forward(buf, batch)
        H = net.shared_output(cache)[rows]
        return _scale_free_penalty(H, y[rows], np.full(rows.sum(), 1 / rows.sum()), 1.3,
                                   omega)

    _, dZ = LOSSES[loss](Z, batch.Y, batch.C)
    dH, value = covariance_grad(net.shared_output(cache), batch, adversarial, 1.3, omega)
    assert_allclose(value, penalty(), rtol=1e-12)
    buf.grad[:] = 0.0
    adversarial_backward(net, buf, batch, dZ.copy(), cache, adversarial, factors)
    without = buf.grad.copy()
    adversarial_backward(net, buf, batch, dZ.copy(), cache, adversarial, factors, None, dH)
    cov = numerical_grad(penalty, buf.theta)
    own = net.owned_by(buf, [1])
    assert not cov[own].any()  # the adversary's own parameters do not reach H
    assert np.abs(cov).max() > 1e-3  # the penalty moves the shared layers
    assert_grad(buf.grad, without + cov, rtol=1e-6)


@pytest.mark.parametrize("net_name", ["hard-deep-heads", "soft-cross-stitch"])
def test_adversary_updates_move_only_the_adversary(net_name):
    """``adversarial_steps``' extra updates descend the adversarial task's loss with only its
    own parameters moving (the shared layers and the other tasks' heads stay put)."""
    rng = np.random.default_rng(1)
    data = _data(rng, False, "squared")
    T, p = data.n_tasks, data.X.shape[1]
    buf = ParamBuffer(T, np.float64)
    net = NETS[net_name](buf, p, T)
    buf.build()
    net.initialize(buf, rng)
    batch = make_batch(data, np.arange(data.n_samples), net.mode(False))
    adversarial = np.array([False, True, False])
    state = TrainState(net, buf, None, None, rng, "squared")
    state.adversarial = (adversarial, None)
    own = net.owned_by(buf, [1])
    updates = AdversaryUpdates(own, buf.dtype, learning_rate=0.01)

    def adversary_loss():
        Z, _ = net.forward(buf, batch)
        E = LOSSES["squared"](Z, batch.Y, batch.C)[0]
        return task_sums(E, batch.task_axis, batch.task, T)[1]

    before, loss = buf.theta.copy(), adversary_loss()
    updates.run(state, batch, np.zeros_like(buf.theta), 20)
    assert_allclose(buf.theta[~own], before[~own], rtol=0, atol=0)
    assert np.all(buf.theta[own] != before[own])
    assert adversary_loss() < loss


@pytest.mark.parametrize("cls, params, per_task", [
    (HardSharingMLPRegressor, {}, False),
    (HardSharingMLPRegressor, {}, True),
    (HardSharingMLPRegressor, {"head_layer_sizes": (3,)}, False),
    (HardSharingMLPClassifier, {"head_layer_sizes": (3,)}, True),
    (RelationshipMLPRegressor, {}, False),
], ids=["linear-shared", "linear-per-task", "deep-shared", "deep-per-task-clf", "relationship"])
def test_adversary_updates_reuse_the_trunk(cls, params, per_task, monkeypatch):
    """The extra updates run the adversarial heads alone on the trunk's output of the step
    (the trunk does not move during them): the fit is the one that runs the whole network
    for every update, to the last bit. The per-task fits, unshuffled on rows sorted by task,
    have batches without a row of the adversarial task, which its heads must pass over."""
    X, y, s = _nuisance(n=200)
    Y = np.column_stack([y, 2.0 * s - 1, -y])
    if cls is HardSharingMLPClassifier:
        Y = Y > 0
    if per_task:
        task = np.repeat([0, 1, 2], [80, 60, 60])
        X, Y, params = np.column_stack([X, task]), Y[np.arange(len(Y)), task], \
            {**params, "task_column": -1, "shuffle": False}
    fits = []
    for reuse in (True, False):
        monkeypatch.setattr(AdversaryUpdates, "reuse_trunk", reuse)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = cls((8,), max_iter=4, batch_size=32, random_state=0, adversarial_tasks=[1],
                      **params).fit(X, Y)
        fits.append(est._state.buf.theta)
    assert_array_equal(fits[0], fits[1])


def _nuisance(seed=0, n=300, p=6, noise=0.1):
    """y depends on features 2-4; the nuisance s shifts features 0 and 1."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    s = rng.random(n) < 0.5
    X[:, 0] += 3 * (s - 0.5)
    X[:, 1] += s - 0.5
    y = np.sin(X[:, 2]) + 0.5 * X[:, 3] * X[:, 4] + noise * rng.standard_normal(n)
    return X, y, s


def _trunk(est, X):
    """The shared layer's output (what every head reads)."""
    return np.maximum(X @ est.coefs_[0] + est.intercepts_[0], 0.0)


@pytest.mark.parametrize("cls, seed", [(HardSharingMLPRegressor, 2),
                                       (HardSharingMLPClassifier, 3)])
def test_adversarial_task_removes_a_planted_nuisance(cls, seed):
    """Issue 16's acceptance point on its planted problem, at the adversarial defaults (only
    ``adversarial_tasks`` set): the raw features carry the coin s strongly (a 3-sd shift of
    feature 0), the main task does not need it. Probes fitted afresh on the trunk's features
    of the training rows read s on held-out rows at about 0.91-0.94 without the adversarial
    task and near chance with it (below 0.5 + 0.1), while the main task's test error (MSE;
    1 - accuracy for the classifier, on y above its median) stays within 10% of the plain
    network's. Two probes: a logistic regression on the raw units (the target's) and an MLP
    (64 ReLU units on standardised units), which reads what the trunk carries nonlinearly
    and in units of small scale. As benchmarks/neural_adversarial_probe.py --probe all (seed
    2 regressor, seed 3 classifier): logistic probes 0.462 and 0.513, MLP probes 0.530 and
    0.520, error ratios 1.02 and 0.97; the benchmark meets the target with every probe on
    seeds 0-9 for both kinds (docs/neural.md).

    These two seeds are ones the previous penalty failed: with the raw covariance of the
    units (``adversarial_covariance=20`` before the scale-free penalty) the MLP probe read
    0.692 and 0.627.
    """
    (X, y, s), (Xt, yt, st) = (_nuisance(seed, 600, noise=0.5),
                               _nuisance(seed + 100, 600, noise=0.5))
    params = dict(hidden_layer_sizes=(32,), learning_rate_init=0.01, batch_size=64,
                  max_iter=150, alpha=1e-3, random_state=0)
    if cls is HardSharingMLPClassifier:
        cut = np.median(y)
        y, yt = y > cut, yt > cut
    main = 2.0 * s - 1.0 if cls is HardSharingMLPRegressor else s
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = cls(**params).fit(X, y)
        adv = cls(adversarial_tasks=[1], **params).fit(X, np.column_stack([y, main]))

    def probe(est, kind="logistic"):
        model = (LogisticRegression(max_iter=2000) if kind == "logistic" else
                 make_pipeline(StandardScaler(),
                               MLPClassifier((64,), max_iter=2000, random_state=0)))
        return model.fit(_trunk(est, X), s).score(_trunk(est, Xt), st)

    if cls is HardSharingMLPRegressor:
        error_plain = np.mean((plain.predict(Xt) - yt) ** 2)
        error_adv = np.mean((adv.predict(Xt)[:, 0] - yt) ** 2)
    else:
        error_plain = 1 - plain.score(Xt, yt)
        error_adv = 1 - np.mean((adv.decision_function(Xt)[:, 0] > 0) == yt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for kind in ("logistic", "mlp"):
            assert probe(plain, kind) > 0.85
            assert probe(adv, kind) < 0.6, kind
    assert error_adv < 1.1 * error_plain


@pytest.mark.parametrize("cls", [HardSharingMLPRegressor, HardSharingMLPClassifier])
def test_adversarial_tasks_count_for_nothing_but_training(cls):
    X, y, s = _nuisance()
    Y = np.column_stack([y > 0 if cls is HardSharingMLPClassifier else y, s])
    params = dict(hidden_layer_sizes=(8,), max_iter=6, batch_size=64, random_state=0,
                  early_stopping=True, n_iter_no_change=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = cls(adversarial_tasks=[1], **params).fit(X, Y)
        alone = cls(main_tasks=[0], **params).fit(X, Y)  # task 1 a plain auxiliary task
    assert_allclose(est.main_tasks_, [0])
    # score and the validation loss are those of task 0 alone
    assert_allclose(est.score(X, Y), est.score(X, np.column_stack([Y[:, 0], s[::-1]])))
    assert len(est.validation_loss_curve_) == 6
    assert alone.loss_curve_[0] != est.loss_curve_[0]  # the adversarial loss is left out


def test_adversarial_task_settings_are_checked():
    X, y, s = _nuisance()
    Y = np.column_stack([y, s])
    with pytest.raises(ValueError, match="either"):
        HardSharingMLPRegressor(adversarial_tasks=[1], main_tasks=[0, 1]).fit(X, Y)
    with pytest.raises(ValueError, match="Every task is adversarial"):
        HardSharingMLPRegressor(adversarial_tasks=[0, 1]).fit(X, Y)
    with pytest.raises(ValueError, match="cannot be combined"):
        HardSharingMLPRegressor(adversarial_tasks=[1], task_weighting="pcgrad").fit(X, Y)
    with pytest.raises(ValueError, match="share"):
        SoftSharingMLPRegressor(adversarial_tasks=[1]).fit(X, Y)
    with pytest.raises(ValueError, match="adversarial_weight"):
        HardSharingMLPRegressor(adversarial_tasks=[1], adversarial_weight=-1.0).fit(X, Y)
    with pytest.raises(ValueError, match="adversarial_covariance"):
        HardSharingMLPRegressor(adversarial_tasks=[1], adversarial_covariance=-1.0).fit(X, Y)
    with pytest.raises(ValueError, match="adversarial_steps"):
        HardSharingMLPRegressor(adversarial_tasks=[1], adversarial_steps=0).fit(X, Y)
    with pytest.raises(ValueError, match="adversarial_reset"):
        HardSharingMLPRegressor(adversarial_tasks=[1], adversarial_reset=0).fit(X, Y)
    with pytest.raises(ValueError, match="adversarial_objective"):
        HardSharingMLPRegressor(adversarial_tasks=[1], adversarial_objective="flip").fit(X, Y)
    with pytest.raises(ValueError, match="adversarial_layer_sizes"):
        HardSharingMLPRegressor(adversarial_tasks=[1], adversarial_layer_sizes=[0]).fit(X, Y)
    with pytest.raises(ValueError, match="adversarial_layer_sizes=()"):
        HardSharingMLPRegressor((4, 3), adversarial_tasks=[1], task_layers=[2, 1]).fit(X, Y)
    with pytest.raises(ValueError, match="not a task"):
        HardSharingMLPRegressor(adversarial_tasks=[2]).fit(X, Y)


def test_adversarial_reset_gives_a_fresh_adversary():
    """``adversarial_reset``: the adversarial heads get new initial weights (within the
    initialisation's bound) and zero Adam moments; nothing else moves."""
    from mtlclassic.neural._base import _reset_adversary
    X, y, s = _nuisance()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = HardSharingMLPRegressor((8,), max_iter=3, adversarial_tasks=[1],
                                      random_state=0).fit(X, np.column_stack([y, s]))
    state = est._state
    adversary = state.net.adversary
    own = np.zeros(state.buf.theta.size, dtype=bool)
    own[state.adversary.index] = True
    theta = state.buf.theta.copy()
    _reset_adversary(state)
    for W, fan_in in zip(adversary.W, adversary.sizes[:-1]):
        assert np.abs(state.buf.params[W]).max() <= 1 / np.sqrt(fan_in)
    moved = state.buf.theta != theta
    assert moved.any() and not moved[~own].any()
    assert not state.optimizer.m[own].any() and not state.optimizer.v[own].any()
    assert not state.adversary.optimizer.m.any() and state.adversary.optimizer.t == 0
