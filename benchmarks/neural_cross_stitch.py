"""Time per epoch of SoftSharingMLPRegressor(cross_stitch=True) in the per-task layout:
each row through its own task's last cross-stitch mixture and output layer (now), against
every task's (before; the shared layout's ``"all"`` batches, still in the code) (issue 16).

With cross-stitch units task t's activation at hidden layer l+1 reads every task's
activation at layer l on the same row, so every network runs on every row up to the last
hidden layer; only the last unit's mixture and the output layer can be restricted to the
row's own task, which is what the ``"own"`` batches do.  Both paths run in the same process,
taking turns, on the same network.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 \\
        python benchmarks/neural_cross_stitch.py [--tasks 139 --rows 15362 --features 27]

Problem: School's sizes (139 tasks, 15,362 rows, 27 features; task sizes drawn between 22 and
251 rows), synthetic targets; the default network (one hidden layer of 100, float32,
batch 200).
"""

import argparse
import os
import statistics
import time
import warnings

import numpy as np

from mtlclassic import SoftSharingMLPRegressor
from mtlclassic.neural._training import predict_raw


def _problem(T, n, p, seed=0):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(22, 252, T).astype(float)
    sizes = np.maximum(np.round(sizes * n / sizes.sum()), 1).astype(int)
    task = np.repeat(np.arange(T), sizes)
    X = rng.standard_normal((len(task), p))
    V = rng.standard_normal((T, p)) / np.sqrt(p)
    y = np.einsum("ij,ij->i", np.tanh(X), V[task]) + 0.3 * rng.standard_normal(len(task))
    return np.column_stack([X, task]), y


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=139)
    parser.add_argument("--rows", type=int, default=15362)
    parser.add_argument("--features", type=int, default=27)
    parser.add_argument("--hidden", type=int, nargs="+", default=[100])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per path")
    args = parser.parse_args()
    X, y = _problem(args.tasks, args.rows, args.features)
    est = SoftSharingMLPRegressor(hidden_layer_sizes=tuple(args.hidden), cross_stitch=True,
                                  task_column=-1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.partial_fit(X, y)  # initialise (and compile) before timing
    net = est._state.net
    own_mode = net.mode
    paths = {"own task (now)": own_mode, "every task (before)": lambda stacked: "all"}
    times = {name: [] for name in paths}
    pred = {name: [] for name in paths}
    feats = est._input_features(X[:, :-1])
    task = np.searchsorted(est.tasks_, X[:, -1])
    for _ in range(args.epochs):
        for name, mode in paths.items():
            net.mode = mode
            t0 = time.perf_counter()
            est.partial_fit(X, y)  # one epoch
            times[name].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            predict_raw(net, est._predict_buf, feats, est.n_tasks_, task)
            pred[name].append(time.perf_counter() - t0)
    net.mode = own_mode
    print(f"{len(y)} rows, {args.tasks} tasks, {args.features} features, hidden "
          f"{args.hidden}; median of {args.epochs}; load {os.getloadavg()[0]:.2f}")
    print("| path | s per epoch | predict s |")
    print("|---|---|---|")
    for name in paths:
        print(f"| {name} | {statistics.median(times[name]):.2f} | "
              f"{statistics.median(pred[name]):.3f} |")
    before, now = (statistics.median(times[k]) for k in ("every task (before)",
                                                           "own task (now)"))
    print(f"epoch speed-up: {before / now:.1f}x")


if __name__ == "__main__":
    main()
