"""Does an adversarial task (``adversarial_tasks``) make a planted nuisance variable
unpredictable from the trunk? (issue 16's acceptance point, measured.)

The main task depends on features 2-4 only; the nuisance ``s`` (a fair coin) shifts features 0
and 1 (by 3 and 1 standard deviations), which the main task does not need, so the raw features
carry ``s`` strongly (a probe on ``X`` reads it at about 0.93). A logistic-regression probe,
fitted afresh on the trunk's outputs of the training rows, predicts ``s`` on held-out rows:
near 0.5 means the nuisance was removed. Printed per seed: main-task test error (MSE, or 1 -
accuracy) of the plain network and of the one with the adversarial task, their ratio, and both
probes' accuracies.

    PYTHONPATH=. python benchmarks/neural_adversarial_probe.py [--weight W] [--steps K] \
        [--adv-head [WIDTH ...]] [--objective confusion|reversal] [--reset N] [--covariance MU] \
        [--head 0] [--kind r|c] [--noise 0.5] [--lr 0.01] [--epochs 150] [--seeds 5] [--first 0] \
        [--patience 10]

Without ``--weight``, ``--steps``, ``--adv-head``, ``--objective``, ``--reset`` or
``--covariance`` the estimator's defaults (``adversarial_weight``, ``adversarial_steps``,
``adversarial_layer_sizes``, ``adversarial_objective``, ``adversarial_reset``;
``--reset 0`` is None; ``adversarial_covariance``) are used: only ``adversarial_tasks`` is set.
Seeds ``--first`` to ``--first + --seeds - 1`` (test rows: seed + 100). ``--adv-head`` with
no width is a linear adversary; ``--head`` gives every head (plain network included) a hidden
layer. ``--objective reversal --steps 1 --adv-head --weight 1 --reset 0 --covariance 0`` is the
adversary before ``adversarial_steps`` (Ganin & Lempitsky's scheme). The last line counts the
seeds meeting the target: probe below 0.6 (chance + 0.1), main error at most 1.1 times the plain
network's. ``--probe standardised`` (standardised features, C=1e4) or ``mlp`` (an MLP probe, 64
ReLU units) read the trunk with stronger probes than the target's; ``--probe all`` runs the
three on the same fits (one summary line each).
"""

import argparse
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mtlclassic import HardSharingMLPClassifier, HardSharingMLPRegressor


def data(seed, n=600, p=6, noise=0.5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    s = (rng.random(n) < 0.5).astype(float)
    X[:, 0] += 3 * (s - 0.5)
    X[:, 1] += s - 0.5
    y = np.sin(X[:, 2]) + 0.5 * X[:, 3] * X[:, 4] + noise * rng.standard_normal(n)
    return X, y, s


def trunk(est, X):
    """The shared layers' output (what every head reads)."""
    A = X
    for W, b in zip(est.coefs_, est.intercepts_):
        if W.ndim == 2:  # the shared layers
            A = np.maximum(A @ W + b, 0)
    return A


PROBES = {  # the target is set on "logistic"; the others read harder
    "logistic": lambda: LogisticRegression(max_iter=2000),
    "standardised": lambda: make_pipeline(StandardScaler(),
                                          LogisticRegression(C=1e4, max_iter=5000)),
    "mlp": lambda: make_pipeline(StandardScaler(),
                                 MLPClassifier((64,), max_iter=2000, random_state=0)),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weight", type=float, help="adversarial_weight (default: the estimator's)")
    ap.add_argument("--steps", type=int, help="adversarial_steps (default: the estimator's)")
    ap.add_argument("--adv-head", type=int, nargs="*",
                    help="adversarial_layer_sizes (no value: linear; default: the estimator's)")
    ap.add_argument("--objective", choices=["confusion", "reversal"],
                    help="adversarial_objective (default: the estimator's)")
    ap.add_argument("--reset", type=int,
                    help="adversarial_reset (0: None; default: the estimator's)")
    ap.add_argument("--covariance", type=float,
                    help="adversarial_covariance (default: the estimator's)")
    ap.add_argument("--head", type=int, default=0, help="head_layer_sizes (0: linear heads)")
    ap.add_argument("--copies", type=int, default=1, help="adversarial tasks, all on s")
    ap.add_argument("--kind", default="r", choices=["r", "c"])
    ap.add_argument("--noise", type=float, default=0.5, help="noise sd of the main task")
    ap.add_argument("--alpha", type=float, default=1e-3)
    ap.add_argument("--lr", type=float, default=0.01, help="learning_rate_init")
    ap.add_argument("--epochs", type=int, default=150)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first", type=int, default=0, help="first seed")
    ap.add_argument("--patience", type=int, default=10, help="n_iter_no_change")
    ap.add_argument("--probe", default="logistic", choices=sorted(PROBES) + ["all"],
                    help="logistic (C=1, raw units), standardised (C=1e4), mlp (64 ReLU) or "
                         "all three on the same fits")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    params = dict(hidden_layer_sizes=(32,), head_layer_sizes=(args.head,) if args.head else (),
                  learning_rate_init=args.lr, batch_size=64, max_iter=args.epochs,
                  alpha=args.alpha, n_iter_no_change=args.patience, random_state=0)
    adversarial = dict(adversarial_tasks=list(range(1, 1 + args.copies)))
    for name, value in [("adversarial_weight", args.weight), ("adversarial_steps", args.steps),
                        ("adversarial_layer_sizes", args.adv_head),
                        ("adversarial_objective", args.objective),
                        ("adversarial_reset", args.reset),
                        ("adversarial_covariance", args.covariance)]:
        if value is not None:
            adversarial[name] = tuple(value) if name == "adversarial_layer_sizes" else value
    if adversarial.get("adversarial_reset") == 0:
        adversarial["adversarial_reset"] = None
    names = sorted(PROBES) if args.probe == "all" else [args.probe]
    print("seed  main error plain / adversarial (ratio)  probe accuracy plain / adversarial"
          + ("" if len(names) == 1 else f" ({', '.join(names)})"))
    results = []
    for seed in range(args.first, args.first + args.seeds):
        X, y, s = data(seed, noise=args.noise)
        Xt, yt, st = data(seed + 100, noise=args.noise)
        if args.kind == "c":
            cut = np.median(y)
            plain = HardSharingMLPClassifier(**params).fit(X, y > cut)
            adv = HardSharingMLPClassifier(**adversarial, **params).fit(
                X, np.column_stack([y > cut] + [s] * args.copies))
            e1 = 1 - plain.score(Xt, yt > cut)
            e2 = 1 - np.mean((adv.decision_function(Xt)[:, 0] > 0) == (yt > cut))
        else:
            plain = HardSharingMLPRegressor(**params).fit(X, y)
            adv = HardSharingMLPRegressor(**adversarial, **params).fit(
                X, np.column_stack([y] + [2 * s - 1] * args.copies))
            e1 = np.mean((plain.predict(Xt) - yt) ** 2)
            e2 = np.mean((adv.predict(Xt)[:, 0] - yt) ** 2)
        probes = [[PROBES[name]().fit(trunk(e, X), s).score(trunk(e, Xt), st)
                   for e in (plain, adv)] for name in names]
        print(f"{seed}  {e1:.3f} / {e2:.3f} ({e2 / e1:.2f})  "
              + "  ".join(f"{a:.3f} / {b:.3f}" for a, b in probes), flush=True)
        results.append([e2 / e1] + [b for _, b in probes])
    ratio, *probe = np.array(results).T
    for name, read in zip(names, probe):
        print(f"{name}: probe < 0.6 on {np.sum(read < 0.6)} of {len(read)} seeds (max "
              f"{read.max():.3f}), error ratio <= 1.1 on {np.sum(ratio <= 1.1)} (max "
              f"{ratio.max():.3f}), both on {np.sum((read < 0.6) & (ratio <= 1.1))}")

if __name__ == "__main__":
    main()
