"""Benchmark: our numpy hard-sharing MLP vs the same network in PyTorch (CPU).

The reference problem of issue 6: 10 tasks x 2,000 rows x 50 features in the
per-task layout (20,000 rows, a task column), trunk 50 -> 64 -> 64 (ReLU),
one linear head per task, batch 256, Adam (lr 1e-3, L2 ``alpha`` on the
weights only, in both), 50 epochs.  Both libraries train

* from the same initial weights (ours are drawn, then copied into torch),
* on the same standardised targets (torch gets the per-task standardisation
  our estimator computes),
* on the same mini-batches in the same order (torch replays our shuffles),
* with the same objective: the sum over tasks of each task's mean squared
  error over its rows in the batch, ``+ alpha/2 ||weights||^2``,

and with the same number of threads (``--threads``, default 1: BLAS via
threadpoolctl for ours, ``torch.set_num_threads`` for torch; note that our fit
runs products this small on one BLAS thread whatever the limit, see
``mtlclassic._backend.blas_threads_for``).  Reported: time
per epoch and per step (median over ``--repeats`` runs, the libraries taking
turns), their ratio, and both validation losses (``sum_t`` task mean loss on
2,000 held-out rows, standardised units).  Targets: time ratio <= 1.0 and
validation losses within 5%.

Torch is optional (``pip install torch==2.13.0``); without it only our
column is printed.

    PYTHONPATH=. python benchmarks/bench_neural.py [--epochs 50] [--repeats 3]
        [--threads 1] [--quick]
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


def make_problem(n_tasks, n_rows, n_features, seed=0, n_latent=8):
    """Tasks = different linear heads on one shared nonlinear representation."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n_features, n_latent)) / np.sqrt(n_features)
    heads = rng.standard_normal((n_tasks, n_latent))

    def draw(n):
        X = rng.standard_normal((n_tasks * n, n_features))
        task = np.repeat(np.arange(n_tasks), n)
        H = np.tanh(X @ A)
        y = np.einsum("ik,ik->i", H, heads[task]) + 0.3 * rng.standard_normal(len(task))
        return np.column_stack([X, task]), y, task

    return draw(n_rows), draw(max(n_rows // 10, 2))


def our_model(args):
    return HardSharingMLPRegressor(
        hidden_layer_sizes=(64, 64), batch_size=args.batch, max_iter=args.epochs,
        learning_rate_init=1e-3, alpha=args.alpha, tol=0.0, n_iter_no_change=args.epochs + 1,
        task_column=-1, random_state=0, dtype="float32")


def run_ours(args, X, y):
    """Train ours; returns (seconds, estimator, initial weights, rng state before training)."""
    est = our_model(args)
    est._check_params()
    data = est._prepare_fit(X, y)
    est._initialize(data)
    init = est._state.net.export(est._state.buf)
    rng0 = copy.deepcopy(est._state.rng)
    with threadpool_limits(args.threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0: never "converged", by design
        t0 = time.perf_counter()
        est._train(data, incremental=False)
        seconds = time.perf_counter() - t0
    return seconds, est, init, rng0


def torch_net(torch, init, n_features, n_tasks):
    coefs, intercepts, _ = init
    layers, width = [], n_features
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        lin = torch.nn.Linear(width, W.shape[1])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b.copy()))
        layers += [lin, torch.nn.ReLU()]
        width = W.shape[1]
    head = torch.nn.Linear(width, n_tasks)  # one output column per task: the linear heads
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(coefs[-1][:, :, 0].copy()))
        head.bias.copy_(torch.from_numpy(intercepts[-1][:, 0].copy()))
    return torch.nn.Sequential(*layers, head)


def run_torch(args, torch, init, rng, X, ystd, task, n_tasks, fused):
    """Train the same network in torch on our batches; returns (seconds, model)."""
    torch.manual_seed(0)
    net = torch_net(torch, init, X.shape[1], n_tasks)
    weights = [p for name, p in net.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in net.named_parameters() if name.endswith("bias")]
    opt = torch.optim.Adam([{"params": weights, "weight_decay": args.alpha},
                            {"params": biases, "weight_decay": 0.0}], lr=1e-3,
                           **({"fused": True} if fused else {}))
    Xt = torch.from_numpy(X.astype(np.float32))
    yt = torch.from_numpy(ystd.astype(np.float32))
    tt = torch.from_numpy(task.astype(np.int64))
    n = len(ystd)
    rows = np.arange(n)
    t0 = time.perf_counter()
    for _ in range(args.epochs):
        order = torch.from_numpy(rng.permutation(rows))
        for start in range(0, n, args.batch):
            idx = order[start:start + args.batch]
            xb, yb, tb = Xt[idx], yt[idx], tt[idx]
            z = net(xb).gather(1, tb[:, None])[:, 0]
            inv = 1.0 / torch.bincount(tb, minlength=n_tasks).clamp(min=1)
            loss = (0.5 * inv[tb] * (z - yb) ** 2).sum()  # sum_t of task means
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return time.perf_counter() - t0, net


def val_loss(z, y, task, n_tasks):
    """``sum_t`` of each task's mean ``(z - y)^2 / 2`` (standardised units)."""
    sq = 0.5 * (np.asarray(z, dtype=np.float64) - y) ** 2
    return float(np.sum(np.bincount(task, weights=sq, minlength=n_tasks)
                        / np.bincount(task, minlength=n_tasks)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--rows", type=int, default=2000, help="rows per task")
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="5 epochs, 1 repeat")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.repeats = 5, 1
    try:
        import torch
    except ImportError:
        torch = None
    (X, y, task), (Xv, yv, taskv) = make_problem(args.tasks, args.rows, args.features)
    n_steps = args.epochs * -(-len(y) // args.batch)
    print(f"{args.tasks} tasks x {args.rows} rows x {args.features} features, trunk 2x64 ReLU, "
          f"linear heads, batch {args.batch}, Adam, {args.epochs} epochs ({n_steps} steps), "
          f"torch on {args.threads} thread(s), ours on 1 BLAS thread (limit {args.threads})")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.2f}; numpy {np.__version__}"
          + (f", torch {torch.__version__}" if torch else ", torch not installed"))
    if torch:
        torch.set_num_threads(args.threads)
    # Warm-up: compile / load the numba kernel and touch every code path once.
    warm = copy.copy(args)
    warm.epochs = 1
    run_ours(warm, X[:2000], y[:2000])
    times = {"ours": [], "torch": [], "torch fused": []}
    losses = {}
    for _ in range(args.repeats):
        seconds, est, init, rng0 = run_ours(args, X, y)
        times["ours"].append(seconds)
        scale, mean = est.target_scale_, est.target_mean_
        zv = (est.predict(Xv) - mean[taskv]) / scale[taskv]
        yv_std = (yv - mean[taskv]) / scale[taskv]
        losses["ours"] = val_loss(zv, yv_std, taskv, args.tasks)
        if torch is None:
            continue
        ystd = (y - mean[task]) / scale[task]
        for name, fused in (("torch", False), ("torch fused", True)):
            seconds, net = run_torch(args, torch, init, copy.deepcopy(rng0), X[:, :-1], ystd,
                                     task, args.tasks, fused)
            times[name].append(seconds)
            with torch.no_grad():
                out = net(torch.from_numpy(Xv[:, :-1].astype(np.float32))).numpy()
            losses[name] = val_loss(out[np.arange(len(taskv)), taskv], yv_std, taskv,
                                    args.tasks)
    ours = statistics.median(times["ours"])
    print(f"\n{'':14s}{'s / epoch':>11s}{'ms / step':>11s}{'total s':>9s}{'ratio':>8s}"
          f"{'val loss':>10s}")
    for name, ts in times.items():
        if not ts:
            continue
        med = statistics.median(ts)
        print(f"{name:14s}{med / args.epochs:11.4f}{1000 * med / n_steps:11.3f}{med:9.2f}"
              f"{ours / med:8.2f}{losses[name]:10.4f}")
    print("(ratio = our time / that time; the medians of "
          f"{args.repeats} run(s): ours {', '.join(f'{t:.2f}' for t in times['ours'])} s)")
    if torch is not None:
        rel = abs(losses["ours"] - losses["torch"]) / losses["torch"]
        r = ours / statistics.median(times["torch"])
        print(f"targets: time ratio vs torch (default Adam) {r:.2f} <= 1.0: "
              f"{'met' if r <= 1.0 else 'NOT met'}; validation loss within "
              f"{100 * rel:.2f}% <= 5%: {'met' if rel <= 0.05 else 'NOT met'}")


if __name__ == "__main__":
    main()
