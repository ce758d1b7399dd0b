"""The adversarial game along training: a fresh probe of the planted nuisance every few epochs
(the problem and probe of neural_adversarial_probe.py), and how well the adversary itself reads
the nuisance on the training rows at the epoch's end.

    PYTHONPATH=. python benchmarks/neural_adversarial_trajectory.py --kind r --seed 9 \
        [--every 2] [--epochs 150] [--patience 1000] [--covariance MU] [--weight LAMBDA]

Prints the probe per sampled epoch, then its mean, min and max from epoch 20 on, and the
adversary's mean training accuracy (its output's sign against the coin).
"""

import argparse
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression

import mtlclassic.neural._base as neural_base
from mtlclassic import HardSharingMLPClassifier, HardSharingMLPRegressor
from mtlclassic.neural._training import predict_raw
from neural_adversarial_probe import data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", default="r", choices=["r", "c"])
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--every", type=int, default=2, help="probe every this many epochs")
    ap.add_argument("--epochs", type=int, default=150)
    ap.add_argument("--patience", type=int, default=1000, help="n_iter_no_change")
    ap.add_argument("--covariance", type=float, help="adversarial_covariance")
    ap.add_argument("--weight", type=float, help="adversarial_weight")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    X, y, s = data(args.seed)
    Xt, _, st = data(args.seed + 100)
    params = dict(hidden_layer_sizes=(32,), learning_rate_init=0.01, batch_size=64,
                  max_iter=args.epochs, alpha=1e-3, n_iter_no_change=args.patience,
                  random_state=0, adversarial_tasks=[1])
    if args.covariance is not None:
        params["adversarial_covariance"] = args.covariance
    if args.weight is not None:
        params["adversarial_weight"] = args.weight
    cls = HardSharingMLPClassifier if args.kind == "c" else HardSharingMLPRegressor
    est = cls(**params)
    Y = np.column_stack([y > np.median(y), s] if args.kind == "c" else [y, 2 * s - 1])
    record = []
    run_epoch = neural_base.run_epoch

    def trunk(state, rows):  # the trunk's output on rows in X's units
        H, _ = state.net.trunk.forward(state.buf, (rows / est.feature_scale_).astype(
            state.buf.dtype))
        return H

    def observed(state, data_, rows, batch_size, shuffle, decay):
        out = run_epoch(state, data_, rows, batch_size, shuffle, decay)
        epoch = len(est.loss_curve_) + 1
        if epoch % args.every == 0:
            probe = LogisticRegression(max_iter=2000).fit(trunk(state, X), s).score(
                trunk(state, Xt), st)
            Z = predict_raw(state.net, state.buf, (X / est.feature_scale_).astype(
                state.buf.dtype), 2, None)
            adversary = np.mean((Z[:, 1] > 0) == (s > 0))
            record.append((epoch, probe, adversary))
            print(f"epoch {epoch:3d}  probe {probe:.3f}  adversary (training rows) "
                  f"{adversary:.3f}", flush=True)
        return out

    neural_base.run_epoch = observed  # the fit's epochs, observed
    try:
        est.fit(X, Y)
    finally:
        neural_base.run_epoch = run_epoch
    late = np.array([r for r in record if r[0] >= 20])
    print(f"epochs 20-{est.n_iter_}: probe mean {late[:, 1].mean():.3f}, min "
          f"{late[:, 1].min():.3f}, max {late[:, 1].max():.3f}; adversary mean "
          f"{late[:, 2].mean():.3f}")


if __name__ == "__main__":
    main()
