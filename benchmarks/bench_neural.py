"""Benchmark: our numpy hard-sharing MLP vs the same network in PyTorch (CPU), each with its
own defaults.

The reference problem of issues 6 and 16: 10 tasks x 2,000 rows x 50 features
(different linear heads on one shared nonlinear representation), 1,600
training and 400 test rows per task, in the per-task layout (a task column).
Network: trunk 50 -> 64 -> 64 (ReLU), one linear head per task; Adam, lr
1e-3, batch 256, 20 epochs, no early stopping, no weight decay.

* **Ours**: ``HardSharingMLPRegressor`` with its defaults otherwise (its
  initialisation, its per-task target standardisation, its objective
  ``sum_t`` of each task's mean squared error in the batch); the stopping rule
  is switched off (``n_iter_no_change=epochs``) so both run every epoch.
* **PyTorch with its defaults**: ``nn.Linear`` layers (their own
  initialisation, seeded by ``torch.manual_seed``), the raw targets,
  ``nn.MSELoss()`` (the batch mean), ``torch.optim.Adam(lr=1e-3)``.  Nothing
  is copied from ours: only the mini-batches are the same (torch replays our
  shuffles), and the thread count (``--threads``, default 1:
  ``torch.set_num_threads`` for torch, threadpoolctl for ours, whose fit runs
  products this small on one BLAS thread whatever the limit).

For each data seed (``--seeds``, default 0 1 2) both train from ``--inits``
initialisations (random_state / manual_seed 0, 1, ...) and the test MSEs (in
y's units) are averaged: one network's error moves by about 5% with its
initialisation.  Reported per seed: both mean test MSEs, their ratio, and the
time per step of each (median over its fits, the libraries taking turns).
Targets (issue 16): MSE ratio <= 1.10 and time per step ratio <= 1.0 on every
seed.

Torch is optional (``pip install torch==2.13.0``); without it only our
columns are printed.

    PYTHONPATH=. python benchmarks/bench_neural.py [--seeds 0 1 2] [--inits 3]
        [--epochs 20] [--threads 1] [--quick]
"""

import argparse
import copy
import os
import platform
import statistics
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from mtlclassic import HardSharingMLPRegressor


def make_problem(seed, n_tasks=10, n_rows=2000, n_features=50, n_latent=8, test_rows=400):
    """Tasks = different linear heads on one shared nonlinear representation ``tanh(x A)``.

    Returns ``(X, y, task)`` of the training rows and of the test rows
    (``test_rows`` of each task's ``n_rows``).
    """
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n_features, n_latent)) / np.sqrt(n_features)
    heads = rng.standard_normal((n_tasks, n_latent))
    X = rng.standard_normal((n_tasks * n_rows, n_features))
    task = np.repeat(np.arange(n_tasks), n_rows)
    y = np.einsum("ik,ik->i", np.tanh(X @ A), heads[task]) \
        + 0.3 * rng.standard_normal(len(task))
    test = np.zeros(len(task), dtype=bool)
    for t in range(n_tasks):
        test[rng.permutation(np.flatnonzero(task == t))[:test_rows]] = True
    return (X[~test], y[~test], task[~test]), (X[test], y[test], task[test])


def run_ours(args, train, init_seed):
    """Train ours; returns (seconds, estimator, the generator's state before the first epoch)."""
    X, y, task = train
    est = HardSharingMLPRegressor(
        hidden_layer_sizes=(64, 64), batch_size=args.batch, max_iter=args.epochs,
        learning_rate_init=1e-3, alpha=0.0, n_iter_no_change=args.epochs,
        task_column=-1, random_state=init_seed)
    est._check_params()
    data = est._prepare_fit(np.column_stack([X, task]), y)
    est._initialize(data)
    rng0 = copy.deepcopy(est._state.rng)  # the shuffles torch replays
    with threadpool_limits(args.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no stopping rule: "not converged", by design
        t0 = time.perf_counter()
        est._train(data, incremental=False)
        seconds = time.perf_counter() - t0
    return seconds, est, rng0


def run_torch(args, torch, train, n_tasks, rng, init_seed):
    """The same architecture in torch with its defaults, on our batches; (seconds, net)."""
    X, y, task = train
    torch.manual_seed(init_seed)
    nn = torch.nn
    width = X.shape[1]
    net = nn.Sequential(nn.Linear(width, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                        nn.Linear(64, n_tasks))  # one output per task: the linear heads
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    mse = nn.MSELoss()
    Xt = torch.from_numpy(X.astype(np.float32))
    yt = torch.from_numpy(y.astype(np.float32))
    tt = torch.from_numpy(task.astype(np.int64))
    rows = np.arange(len(y))
    t0 = time.perf_counter()
    for _ in range(args.epochs):
        order = torch.from_numpy(rng.permutation(rows))  # our generator: our batches
        for start in range(0, len(rows), args.batch):
            idx = order[start:start + args.batch]
            z = net(Xt[idx]).gather(1, tt[idx][:, None])[:, 0]
            loss = mse(z, yt[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return time.perf_counter() - t0, net


def torch_predict(torch, net, X, task):
    with torch.no_grad():
        out = net(torch.from_numpy(X.astype(np.float32))).numpy()
    return out[np.arange(len(task)), task].astype(np.float64)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--inits", type=int, default=3, help="initialisations per seed")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="seed 0, 1 initialisation")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.inits = [0], 1
    try:
        import torch
    except ImportError:
        torch = None
    n_tasks = 10
    n_train = n_tasks * 1600
    n_steps = args.epochs * -(-n_train // args.batch)
    print(f"{n_tasks} tasks x 2,000 rows (1,600 train, 400 test) x 50 features, trunk 2x64 ReLU, "
          f"linear heads, Adam lr 1e-3, batch {args.batch}, {args.epochs} epochs "
          f"({n_steps} steps), alpha 0; {args.inits} initialisation(s) per seed; "
          f"torch on {args.threads} thread(s), ours on 1 BLAS thread (limit {args.threads})")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.2f}; numpy {np.__version__}"
          + (f", torch {torch.__version__}" if torch else ", torch not installed"))
    if torch:
        torch.set_num_threads(args.threads)
    # Warm-up: compile / load the numba kernels and touch every code path once.
    warm = copy.copy(args)
    warm.epochs = 1
    (X, y, task), _ = make_problem(0)
    run_ours(warm, (X[:2000], y[:2000], task[:2000]), 0)
    print(f"\n{'seed':>4s}{'ours MSE':>10s}{'torch MSE':>11s}{'ratio':>7s}"
          f"{'ours ms/step':>14s}{'torch ms/step':>15s}{'ratio':>7s}   MSE per init (ours | torch)")
    met = True
    for seed in args.seeds:
        train, (Xs, ys, tasks) = make_problem(seed)
        mse = {"ours": [], "torch": []}
        secs = {"ours": [], "torch": []}
        for init in range(args.inits):
            seconds, est, rng0 = run_ours(args, train, init)
            secs["ours"].append(seconds)
            pred = est.predict(np.column_stack([Xs, tasks]))
            mse["ours"].append(float(np.mean((pred - ys) ** 2)))
            if torch is None:
                continue
            seconds, net = run_torch(args, torch, train, n_tasks, rng0, init)
            secs["torch"].append(seconds)
            mse["torch"].append(float(np.mean((torch_predict(torch, net, Xs, tasks) - ys) ** 2)))
        ours_mse, ours_ms = np.mean(mse["ours"]), 1000 * statistics.median(secs["ours"]) / n_steps
        line = f"{seed:4d}{ours_mse:10.4f}"
        if torch is None:
            print(line + f"{'-':>11s}{'-':>7s}{ours_ms:14.3f}")
            continue
        torch_mse = np.mean(mse["torch"])
        torch_ms = 1000 * statistics.median(secs["torch"]) / n_steps
        r_mse, r_ms = ours_mse / torch_mse, ours_ms / torch_ms
        met = met and r_mse <= 1.10 and r_ms <= 1.0
        print(line + f"{torch_mse:11.4f}{r_mse:7.3f}{ours_ms:14.3f}{torch_ms:15.3f}{r_ms:7.2f}   "
              + " ".join(f"{v:.3f}" for v in mse["ours"]) + " | "
              + " ".join(f"{v:.3f}" for v in mse["torch"]), flush=True)
    if torch is not None:
        print(f"targets (every seed: MSE ratio <= 1.10, time per step ratio <= 1.0): "
              f"{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
