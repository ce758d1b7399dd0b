"""``task_layers`` (low supervision, Sogaard & Goldberg 2016; issue 16): each task's head reads
a chosen depth of the shared trunk."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from mtlclassic import HardSharingMLPClassifier, HardSharingMLPRegressor


def _data(seed=0, n=90, p=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    task = np.arange(n) % 3
    y = np.tanh(X @ rng.standard_normal(p)) * (1 + task) + 0.1 * rng.standard_normal(n)
    return np.column_stack([X, task]), y, task


def _by_hand(est, X, task):
    """The network written out from ``coefs_``: task t's head on trunk layer task_layers[t]."""
    outs, A = [], X
    for W, b in zip(est.coefs_[:-1], est.intercepts_[:-1]):
        A = np.maximum(A @ W + b, 0)
        outs.append(A)
    V, c = est.coefs_[-1][..., 0], est.intercepts_[-1][:, 0]
    z = np.empty(len(X))
    for i, t in enumerate(task):
        H = outs[est.task_layers[t] - 1][i]
        z[i] = H @ V[t, :len(H)] + c[t]
    return z


@pytest.mark.parametrize("layout", ["per_task", "shared"])
def test_heads_read_their_trunk_depth(layout):
    X, y, task = _data()
    params = dict(hidden_layer_sizes=(6, 5, 3), task_layers=[1, 3, 2], max_iter=30,
                  learning_rate_init=0.01, batch_size=16, random_state=0, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if layout == "per_task":
            est = HardSharingMLPRegressor(task_column=-1, **params).fit(X, y)
            pred = est.predict(X)
        else:
            Y = np.full((len(y), 3), np.nan)
            Y[np.arange(len(y)), task] = y
            est = HardSharingMLPRegressor(**params).fit(X[:, :-1], Y)
            pred = est.predict(X[:, :-1])[np.arange(len(y)), task]
    z = _by_hand(est, X[:, :-1], task) * est.target_scale_[task] + est.target_mean_[task]
    assert_allclose(pred, z, rtol=1e-10, atol=1e-10)
    assert est.coefs_[-1].shape == (3, 6, 1)
    assert np.all(est.coefs_[-1][1, 3:] == 0) and np.all(est.coefs_[-1][2, 5:] == 0)
    assert est.score(X if layout == "per_task" else X[:, :-1],
                     y if layout == "per_task" else Y) > 0.5


def test_a_task_on_the_first_layer_ignores_the_deeper_ones():
    X, y, task = _data(1)
    est = HardSharingMLPClassifier(hidden_layer_sizes=(6, 4), task_layers=[1, 2, 2],
                                   task_column=-1, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y > 0)
    before = est.decision_function(X)
    W2 = est._predict_buf.params[est._state.net.trunk.W[1]]  # the float64 copy predicting
    W2 += 1.0  # change the second layer
    after = est.decision_function(X)
    assert_allclose(after[task == 0], before[task == 0], rtol=1e-12)
    assert np.all(np.abs(after - before)[task != 0] > 0)


@pytest.mark.parametrize("params, match", [
    (dict(task_layers=[1, 1]), "one trunk depth per task"),
    (dict(task_layers=[1, 0, 1]), "task_layers"),
    (dict(task_layers=[1, 1, 1]), "last layer"),
    (dict(task_layers=[1, 3, 2]), "at most 2"),
    (dict(task_layers=[1, 2, 2], head_layer_sizes=(3,)), "linear heads"),
])
def test_bad_task_layers(params, match):
    X, y, _ = _data()
    with pytest.raises(ValueError, match=match):
        HardSharingMLPRegressor(hidden_layer_sizes=(4, 4), task_column=-1, **params).fit(X, y)
