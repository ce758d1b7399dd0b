"""Time per training step of an adversarial task (``adversarial_tasks`` at the defaults) with
and without the reuse of the trunk's output in ``adversarial_steps``' extra updates (the
shared layers do not move during them, so only the adversarial heads run again; the fitted
parameters are the same, tests/test_neural_adversarial.py), beside the network without an
adversarial task, and without the covariance penalty (``adversarial_covariance=0``). Peers
take turns within each repeat; the best of the repeats is printed.

* probe: the planted problem of neural_adversarial_probe.py (600 rows x 6 features, trunk 32
  ReLU, batch 64, shared layout, 2 tasks);
* reference: bench_neural.py's network (10 tasks x 1,600 rows x 50 features, trunk 2 x 64 ReLU,
  batch 256, per-task layout, task 9 adversarial).

    OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1 PYTHONPATH=. \
        python benchmarks/neural_adversarial_cost.py
"""

import time
import warnings

import numpy as np

from mtlclassic import HardSharingMLPRegressor
from mtlclassic.neural._adversarial import AdversaryUpdates


def problems():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 6))
    s = rng.random(600) < 0.5
    X[:, 0] += 3 * (s - 0.5)
    y = np.sin(X[:, 2]) + 0.5 * X[:, 3] * X[:, 4] + 0.5 * rng.standard_normal(600)
    yield ("probe", dict(hidden_layer_sizes=(32,), batch_size=64, learning_rate_init=0.01),
           X, np.column_stack([y, 2.0 * s - 1]), 20)
    T, n, p = 10, 16000, 50
    X = rng.standard_normal((n, p))
    task = np.repeat(np.arange(T), n // T)
    y = np.tanh(X @ rng.standard_normal(p) / 7) + 0.1 * rng.standard_normal(n)
    yield ("reference", dict(hidden_layer_sizes=(64, 64), batch_size=256, task_column=-1),
           np.column_stack([X, task]), y, 2)


def step_ms(params, X, Y, epochs):
    est = HardSharingMLPRegressor(max_iter=epochs, random_state=0, n_iter_no_change=epochs,
                                  **params)
    t = time.perf_counter()
    est.fit(X, Y)
    steps = est.n_iter_ * int(np.ceil(X.shape[0] / params["batch_size"]))
    return 1000 * (time.perf_counter() - t) / steps


def main(repeats=3):
    warnings.simplefilter("ignore")
    for name, params, X, Y, epochs in problems():
        adversarial = dict(adversarial_tasks=[1 if name == "probe" else 9])
        peers = {"no adversarial task": ({}, True),
                 "adversarial, whole network per update": (adversarial, False),
                 "adversarial, trunk reused": (adversarial, True),
                 "adversarial, trunk reused, covariance 0": (
                     {**adversarial, "adversarial_covariance": 0.0}, True)}
        best = dict.fromkeys(peers, np.inf)
        for peer, (extra, reuse) in peers.items():  # compile / warm up
            AdversaryUpdates.reuse_trunk = reuse
            step_ms({**params, **extra}, X, Y, 1)
        for _ in range(repeats):
            for peer, (extra, reuse) in peers.items():
                AdversaryUpdates.reuse_trunk = reuse
                best[peer] = min(best[peer], step_ms({**params, **extra}, X, Y, epochs))
        AdversaryUpdates.reuse_trunk = True
        plain = best["no adversarial task"]
        for peer, ms in best.items():
            print(f"{name:10s} {peer:42s} {ms:7.3f} ms/step  {ms / plain:5.2f} x plain")


if __name__ == "__main__":
    main()
