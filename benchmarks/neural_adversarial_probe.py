"""Does an adversarial task (``adversarial_tasks``, a gradient-reversal layer) make a planted
nuisance variable unpredictable from the trunk? (issue 16's acceptance point, measured.)

The main task depends on features 2-4; the nuisance ``s`` (a fair coin) shifts features 0 and
1, which the main task does not need. A logistic-regression probe, fitted afresh on the
trunk's outputs of the training rows, predicts ``s`` on test rows: near 0.5 would mean the
nuisance was removed. Printed per seed: main-task test error (MSE, or 1 - accuracy) of the
plain network and of the one with the adversarial task, their ratio, and both probes'
accuracies.

    PYTHONPATH=. python benchmarks/neural_adversarial_probe.py [adversarial_weight] [r|c] \
        [alpha] [epochs]
"""

import sys
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression

from mtlclassic import HardSharingMLPClassifier, HardSharingMLPRegressor


def data(seed, n=600, p=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    s = (rng.random(n) < 0.5).astype(float)
    X[:, 0] += 3 * (s - 0.5)
    X[:, 1] += s - 0.5
    y = np.sin(X[:, 2]) + 0.5 * X[:, 3] * X[:, 4] + 0.1 * rng.standard_normal(n)
    return X, y, s


def trunk(est, X):
    A = X
    for W, b in zip(est.coefs_, est.intercepts_):
        if W.ndim == 2:  # the shared layers
            A = np.maximum(A @ W + b, 0)
    return A


def main():
    lam = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    kind = sys.argv[2] if len(sys.argv) > 2 else "r"
    alpha = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-3
    epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 150
    warnings.simplefilter("ignore")
    params = dict(hidden_layer_sizes=(32,), learning_rate_init=0.01, batch_size=64,
                  max_iter=epochs, alpha=alpha, random_state=0)
    print("seed  main error plain / adversarial (ratio)  probe accuracy plain / adversarial")
    for seed in range(3):
        (X, y, s), (Xt, yt, st) = data(seed), data(seed + 100)
        if kind == "c":
            cut = np.median(y)
            plain = HardSharingMLPClassifier(**params).fit(X, y > cut)
            adv = HardSharingMLPClassifier(adversarial_tasks=[1], adversarial_weight=lam,
                                           **params).fit(X, np.column_stack([y > cut, s]))
            e1 = 1 - plain.score(Xt, yt > cut)
            e2 = 1 - np.mean((adv.decision_function(Xt)[:, 0] > 0) == (yt > cut))
        else:
            plain = HardSharingMLPRegressor(**params).fit(X, y)
            adv = HardSharingMLPRegressor(adversarial_tasks=[1], adversarial_weight=lam,
                                          **params).fit(X, np.column_stack([y, 2 * s - 1]))
            e1 = np.mean((plain.predict(Xt) - yt) ** 2)
            e2 = np.mean((adv.predict(Xt)[:, 0] - yt) ** 2)
        probes = [LogisticRegression(max_iter=2000).fit(trunk(e, X), s).score(trunk(e, Xt), st)
                  for e in (plain, adv)]
        print(f"{seed}  {e1:.3f} / {e2:.3f} ({e2 / e1:.2f})  {probes[0]:.3f} / {probes[1]:.3f}")


if __name__ == "__main__":
    main()
