"""First-fit time of HardSharingMLPRegressor in a fresh interpreter, with and without
``mtlclassic.warmup()`` (issue 16).

Each case is a new Python process with ``NUMBA_CACHE_DIR`` a temporary directory: "empty
cache" starts from a new directory (every kernel compiles), "warm cache" reuses the directory
an earlier process filled (kernels load from disk, the usual case). The process imports
mtlclassic, optionally calls ``mtlclassic.warmup()`` (or only its neural part,
``mtlclassic.neural.warmup_kernels``), then fits twice: the first fit pays what
warmup did not, the second is the warm-process reference.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 \\
        python benchmarks/neural_warmup.py [--repeats 3]

Problem: 10 tasks x 200 rows x 50 features in the per-task layout, default network
(100 hidden units, float32), ``max_iter=5``, then ``predict``.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

_CHILD = r"""
import json, sys, time, warnings
t0 = time.perf_counter()
import numpy as np
import mtlclassic
from mtlclassic import HardSharingMLPRegressor
out = {"import": time.perf_counter() - t0}
if sys.argv[1] == "all":
    t0 = time.perf_counter(); mtlclassic.warmup(); out["warmup"] = time.perf_counter() - t0
elif sys.argv[1] == "neural":  # the networks' share of warmup()
    from mtlclassic.neural import warmup_kernels
    t0 = time.perf_counter(); warmup_kernels(); out["warmup"] = time.perf_counter() - t0
rng = np.random.default_rng(0)
T, n, p = 10, 200, 50
X = rng.standard_normal((T * n, p)); task = np.repeat(np.arange(T), n)
y = np.tanh(X[:, :5]).sum(axis=1) * (1 + task / T) + 0.1 * rng.standard_normal(T * n)
Xt = np.column_stack([X, task])
fits = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for _ in range(2):
        t0 = time.perf_counter()
        HardSharingMLPRegressor(task_column=-1, max_iter=5, random_state=0).fit(Xt, y).predict(Xt)
        fits.append(time.perf_counter() - t0)
out["fits"] = fits
print(json.dumps(out))
"""


def _child(warmup, cache):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    res = subprocess.run([sys.executable, "-c", _CHILD, warmup], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runs = {}
    for _ in range(args.repeats):
        for warmup in ("no", "all", "neural"):
            with tempfile.TemporaryDirectory() as cache:
                runs.setdefault(("empty", warmup), []).append(_child(warmup, cache))
                runs.setdefault(("warm", warmup), []).append(_child(warmup, cache))
    print(f"median of {args.repeats} fresh processes each; load {os.getloadavg()[0]:.2f}")
    print("| cache | warm-up | import s | warm-up s | first fit s | second fit s |")
    print("|---|---|---|---|---|---|")
    for (cache, warmup), rs in runs.items():
        med = {k: statistics.median(r[k] for r in rs) for k in ("import",)}
        w = statistics.median(r["warmup"] for r in rs) if warmup != "no" else None
        first = statistics.median(r["fits"][0] for r in rs)
        second = statistics.median(r["fits"][1] for r in rs)
        what = {"no": "none", "all": "`mtlclassic.warmup()`",
                "neural": "its neural part only"}[warmup]
        print(f"| {cache} | {what} | {med['import']:.2f} | "
              f"{'' if w is None else f'{w:.2f}'} | {first:.3f} | {second:.3f} |")


if __name__ == "__main__":
    main()
