"""Benchmark: two-part models (``W = P + Q``) on a tied view of ``[X, X]`` against an explicit copy.

Every two-part model of the registry (dirty, robust MTFL, robust low rank,
sparse plus low rank) solves the ordinary problem on ``[X, X]`` with FISTA
(their penalties are not separable over features). Before: ``[X, X]`` was
copied (``np.hstack`` / ``sp.hstack``); after: a view tied to ``X``
(:mod:`mtlclassic.data._tied`), each product taken once. The copy is kept
behind a private switch (``estimator._tied_design = False``), so both run
side by side, alternating, in one run.

Each case runs in fresh interpreters, after one warm-up fit on 500 rows:
one times both variants in turn (``--repeats`` fits each, so that both see
the same load; medians reported), then one per variant measures the growth
of the process's peak RSS during a fit and the peak memory traced by
``tracemalloc`` during another, both as multiples of ``size(X)`` (the data
and targets are allocated before and not counted; an RSS growth of 0 means
the fit stayed under the peak the process had already reached making the
data), and the fraction of a fit's time in the container products (cProfile
of one fit: ``linear`` and ``rmatvec``). Also printed: the iterations and
the largest difference of the two variants' coefficients.

Strengths: each part at ``--fraction`` (default 0.1) of its ``alpha_max``;
``max_iter=300`` (fits stop on the gap or there: time per iteration is what
the view changes, and the iterations are the same in both variants).
Timings need ``OPENBLAS_NUM_THREADS=1`` etc. on the shared 2-core machine;
the load (``uptime``) is printed. Run::

    PYTHONPATH=. python benchmarks/bench_two_part.py            # about 12 min
    PYTHONPATH=. python benchmarks/bench_two_part.py --quick    # n = 20,000 only
"""

import argparse
import json
import os
import subprocess
import sys

# (model, loss, layout, format, n, p, T); per-task: T tasks of n / T rows.
CASES = [
    ("dirty", "squared", "shared", "dense", 20_000, 200, 10),
    ("dirty", "squared", "per_task", "dense", 20_000, 200, 10),
    ("dirty", "logistic", "shared", "dense", 20_000, 200, 10),
    ("robust-mtfl", "squared", "shared", "dense", 20_000, 300, 10),
    ("robust-low-rank", "squared", "per_task", "dense", 20_000, 300, 10),
    ("sparse-low-rank", "logistic", "per_task", "dense", 20_000, 300, 10),
    ("dirty", "squared", "shared", "csr", 50_000, 500, 10),
    ("dirty", "logistic", "per_task", "csr", 50_000, 500, 10),
    ("dirty", "squared", "shared", "dense", 100_000, 500, 10),
    ("robust-mtfl", "squared", "per_task", "dense", 100_000, 500, 10),
]
QUICK = [case for case in CASES if case[4] == 20_000]
# alpha_max names of each model's two strengths, in order.
PENALTIES = {"dirty": ("l1inf", "l1"), "robust-mtfl": ("l21", "task_l21"),
             "robust-low-rank": ("trace", "task_l21"), "sparse-low-rank": ("l1", "trace")}

# One case, in a fresh interpreter: prints one JSON line.
_CHILD = r"""
import cProfile, json, pstats, resource, statistics, sys, time, tracemalloc, warnings
import numpy as np, scipy.sparse as sp
import mtlclassic as m
from mtlclassic.estimators._registry import MODELS
from sklearn.exceptions import ConvergenceWarning
warnings.simplefilter("ignore", ConvergenceWarning)
name, loss, layout, fmt, n, p, T, mode, repeats, fraction, penalties = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
# Sparse X (5% of entries) made in blocks of rows, never dense (nor sp.random's index draw
# over all n p entries at once): the peak RSS is then the fit's.
X = (rng.standard_normal((n, p)) if fmt == "dense" else sp.vstack(
    [sp.random(min(5000, n - a), p, density=0.05, random_state=a, data_rvs=rng.standard_normal)
     for a in range(0, n, 5000)], format=fmt))
W = np.zeros((p, T)); W[:10] = rng.standard_normal((10, T)); W[10:15, 0] = 2.0
Z = np.asarray(X @ W) + rng.standard_normal((n, T))
kw = {}
if layout == "per_task":
    task = np.repeat(np.arange(T), n // T)
    y = Z[np.arange(n), task]
    X = (np.column_stack([X, task]) if fmt == "dense"
         else sp.hstack([X, sp.csr_matrix(task[:, None] * 1.0)], format=fmt))
    kw = {"task_column": -1}
else:
    y = Z
if loss == "logistic":
    y = (y > np.median(y, axis=0)).astype(int)
del Z
size = X.nbytes if fmt == "dense" else X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
model = MODELS[name]
cls = model.regressor if loss == "squared" else model.classifier
strengths = {s: fraction * m.alpha_max(X, y, penalty=pen, loss=loss, **kw)
             for s, pen in zip(model.strengths, penalties)}


def estimator(tied):
    est = cls(**strengths, max_iter=300, **kw)
    est._tied_design = tied
    est.fit(X[:500], y[:500])  # imports and compilation outside the measurement
    return est


if mode == "time":  # both variants in turn, in one process: the same load on both
    ests = {"copy": estimator(False), "view": estimator(True)}
    times = {"copy": [], "view": []}
    for _ in range(repeats):
        for key, est in ests.items():
            t0 = time.perf_counter(); est.fit(X, y); times[key].append(time.perf_counter() - t0)
    copy, view = ests["copy"], ests["view"]
    print(json.dumps(dict(copy=statistics.median(times["copy"]),
                          view=statistics.median(times["view"]), n_iter=[copy.n_iter_, view.n_iter_],
                          diff=float(np.max(np.abs(copy.coef_ - view.coef_))),
                          scale=float(np.max(np.abs(copy.coef_))), size=size)))
    sys.exit()
est = estimator(mode == "view")
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
est.fit(X, y)
rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) * 1024
tracemalloc.start(); base = tracemalloc.get_traced_memory()[0]
est.fit(X, y)
peak = tracemalloc.get_traced_memory()[1] - base
tracemalloc.stop()
profile = cProfile.Profile(); profile.enable(); est.fit(X, y); profile.disable()
stats = pstats.Stats(profile).stats
total = max(v[3] for k, v in stats.items() if k[2] == "fit")
products = sum(v[3] for k, v in stats.items()
               if k[2] in ("linear", "rmatvec") and k[0].endswith("_containers.py"))
print(json.dumps(dict(peak=peak / size, rss=rss / size, products=products / total)))
"""


def _run(case, mode, repeats, fraction):
    """One case in a fresh interpreter: ``mode`` "time" (both variants), "copy" or "view"."""
    args = json.dumps(list(case) + [mode, repeats, fraction, PENALTIES[case[0]]])
    out = subprocess.run([sys.executable, "-c", _CHILD, args], capture_output=True, text=True,
                         env=os.environ)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _load():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the n = 20,000 cases only")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fraction", type=float, default=0.1)
    args = parser.parse_args(argv)
    print(f"load before: {_load()}")
    print("| model | loss | layout | X | n x p, T | time copy / view (s) | ratio | "
          "peak traced copy / view (x size(X)) | peak RSS growth copy / view (x size(X)) | "
          "products share copy / view | iterations | max coef diff |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for case in (QUICK if args.quick else CASES):
        timed = _run(case, "time", args.repeats, args.fraction)
        copy = _run(case, "copy", 0, args.fraction)
        view = _run(case, "view", 0, args.fraction)
        name, loss, layout, fmt, n, p, T = case
        print(f"| {name} | {loss} | {layout} | {fmt} {timed['size'] / 1e6:.0f} MB | "
              f"{n} x {p}, {T} | {timed['copy']:.2f} / {timed['view']:.2f} | "
              f"{timed['view'] / timed['copy']:.2f} | {copy['peak']:.2f} / {view['peak']:.2f} | "
              f"{copy['rss']:.2f} / {view['rss']:.2f} | "
              f"{copy['products']:.2f} / {view['products']:.2f} | "
              f"{timed['n_iter'][0]} / {timed['n_iter'][1]} | "
              f"{timed['diff']:.1e} (of {timed['scale']:.2f}) |", flush=True)
    print(f"load after: {_load()}")


if __name__ == "__main__":
    main()
