"""Time and peak memory of one per-task group-lasso fit as the number of rows grows.

Issue 7 ("Large data on one machine"): for n = 10^4 .. 10^6 rows in the
per-task layout (p = 500 features, T = 100 tasks of n / T rows each, the task
id in the last column of X, ``task_column=-1``), one
:class:`~mtlclassic.GroupLassoRegressor` fit (the working-set BCD solver) at
``alpha = alpha_max / 10`` on a planted row-sparse truth.  For every n it
prints the fit time, the peak memory traced by ``tracemalloc`` during the fit
(numpy's buffers are traced; the input X, allocated before, is not), that
peak divided by the size of X, and the peak resident-set increase during the
fit (``VmHWM`` after minus ``VmRSS`` before, the peak reset through
``/proc/self/clear_refs``; it also counts numba's allocations), then the
log-log slopes of time and memory against n.

Targets: time and memory linear in n (slope <= 1.1), peak memory during the
fit at most 2x the size of X.

Usage::

    PYTHONPATH=. python benchmarks/bench_scale.py                # 10^4 .. 10^6 rows (~4 GB X)
    PYTHONPATH=. python benchmarks/bench_scale.py --max-n 100000
    PYTHONPATH=. python benchmarks/bench_scale.py --quick        # 10^4 .. 10^5, seconds
    PYTHONPATH=. python benchmarks/bench_scale.py --output benchmarks/SCALE.md

The data is generated task by task straight into the stacked array, so the
script itself holds one X (plus y) at a time.
"""

import argparse
import gc
import platform
import sys
import time
import tracemalloc

import numpy as np

SIZES = (10_000, 30_000, 100_000, 300_000, 1_000_000)
QUICK_SIZES = (10_000, 30_000, 100_000)
TARGET_RATIO = 2.0  # peak memory during the fit / size of X
TARGET_SLOPE = 1.1  # log-log slope of time and memory against n ("linear")


# -- data ---------------------------------------------------------------------
def make_data(n, n_features, n_tasks, *, n_support=20, dtype=np.float64, seed=0):
    """Per-task rows stacked by task, task id in the last column; planted row-sparse truth.

    Returns ``(X, y, W)`` with ``X`` of shape (n, n_features + 1), ``y`` (n,)
    and ``W`` (n_features, n_tasks): ``n_support`` features active in every
    task (values ``+-U(0.5, 1.5)`` perturbed by 30 % per task), noise of unit
    variance. Each task's block is drawn in place, so no second copy of X is made.
    """
    rng = np.random.default_rng(seed)
    support = rng.choice(n_features, size=n_support, replace=False)
    base = rng.choice([-1.0, 1.0], n_support) * rng.uniform(0.5, 1.5, n_support)
    W = np.zeros((n_features, n_tasks))
    W[support] = base[:, None] * np.exp(0.3 * rng.standard_normal((n_support, n_tasks)))
    X = np.empty((n, n_features + 1), dtype=dtype)
    y = np.empty(n, dtype=dtype)
    bounds = np.linspace(0, n, n_tasks + 1).astype(np.int64)
    for t in range(n_tasks):
        s, e = bounds[t], bounds[t + 1]
        block = rng.standard_normal((e - s, n_features), dtype=np.float64)
        X[s:e, :-1] = block
        X[s:e, -1] = t
        y[s:e] = block @ W[:, t] + rng.standard_normal(e - s)
    return X, y, W


# -- measurements ---------------------------------------------------------------
def _status(field):
    """A field of /proc/self/status in bytes, or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_peak_rss():
    """Reset VmHWM (peak RSS) to the current RSS; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure(X, y, alpha, *, tol=1e-4, repeats=1):
    """``repeats`` timed fits (the fastest kept, and the largest RSS peak) and one fit
    under tracemalloc; returns a dict."""
    from mtlclassic import GroupLassoRegressor

    def make():
        return GroupLassoRegressor(alpha=alpha, task_column=-1, tol=tol)

    seconds, rss = [], None
    for _ in range(repeats):
        gc.collect()
        before = _status("VmRSS") if _reset_peak_rss() else None
        t0 = time.perf_counter()
        est = make().fit(X, y)
        seconds.append(time.perf_counter() - t0)
        if before is not None:
            rss = max(rss or 0, _status("VmHWM") - before)
        del est
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    est = make().fit(X, y)
    traced = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return {"seconds": min(seconds), "traced": traced, "rss": rss, "n_iter": est.n_iter_,
            "gap": est.dual_gap_, "support": int(np.sum(np.any(est.coef_ != 0, axis=0))),
            "solver": est.solver_}


def run(sizes, n_features, n_tasks, *, frac=10.0, tol=1e-4, dtype=np.float64, repeats=1,
        log=print):
    """Generate and fit at every n of ``sizes``; returns a list of result dicts."""
    from mtlclassic import GroupLassoRegressor, alpha_max

    # Warm-up: numba kernels loaded (or compiled) before anything is timed.
    Xw, yw, _ = make_data(max(20 * n_tasks, 200), n_features, n_tasks, dtype=dtype, seed=1)
    GroupLassoRegressor(alpha=alpha_max(Xw, yw, task_column=-1) / frac, task_column=-1,
                        tol=tol).fit(Xw, yw)
    del Xw, yw
    rows = []
    for n in sizes:
        X, y, W = make_data(n, n_features, n_tasks, dtype=dtype)
        amax = alpha_max(X, y, task_column=-1)
        res = measure(X, y, amax / frac, tol=tol, repeats=repeats)
        res.update(n=n, x_bytes=X.nbytes, true_support=int(np.sum(np.any(W != 0, axis=1))))
        rows.append(res)
        log(_row(res))
        del X, y
        gc.collect()
    return rows


def slope(xs, ys):
    """Least-squares slope of log(ys) against log(xs) (nan with fewer than two points)."""
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    keep = (xs > 0) & (ys > 0)
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(xs[keep]), np.log(ys[keep]), 1)[0])


# -- report ----------------------------------------------------------------------
HEADER = ("| n | size(X) MB | time s | traced peak MB | traced / size(X) | RSS peak MB "
          "| RSS / size(X) | epochs | support | solver |\n"
          "|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|")


def _row(r):
    rss = "n/a" if r["rss"] is None else f"{r['rss'] / 1e6:.0f}"
    rss_ratio = "n/a" if r["rss"] is None else f"{r['rss'] / r['x_bytes']:.2f}"
    return (f"| {r['n']:,} | {r['x_bytes'] / 1e6:.0f} | {r['seconds']:.2f} | "
            f"{r['traced'] / 1e6:.0f} | {r['traced'] / r['x_bytes']:.2f} | {rss} | {rss_ratio} | "
            f"{r['n_iter']} | {r['support']} / {r['true_support']} | {r['solver']} |")


def summary(rows):
    """Slopes and the targets, as markdown lines."""
    ns = [r["n"] for r in rows]
    s_time = slope(ns, [r["seconds"] for r in rows])
    s_mem = slope(ns, [r["traced"] for r in rows])
    rss = [r["rss"] for r in rows]
    s_rss = slope(ns, rss) if all(v is not None for v in rss) else float("nan")
    worst = max(r["traced"] / r["x_bytes"] for r in rows)
    worst_rss = max((r["rss"] / r["x_bytes"] for r in rows if r["rss"] is not None),
                    default=float("nan"))

    def verdict(ok):
        return "**met**" if ok else "**NOT met**"

    return [
        f"- log-log slope of time vs n: {s_time:.2f} "
        f"(target <= {TARGET_SLOPE}: {verdict(s_time <= TARGET_SLOPE)})",
        f"- log-log slope of traced peak memory vs n: {s_mem:.2f} "
        f"(target <= {TARGET_SLOPE}: {verdict(s_mem <= TARGET_SLOPE)}); "
        f"of the RSS peak: {s_rss:.2f}",
        f"- largest traced peak / size(X): {worst:.2f} "
        f"(target <= {TARGET_RATIO}: {verdict(worst <= TARGET_RATIO)}); "
        f"largest RSS peak / size(X): {worst_rss:.2f}",
    ], {"slope_time": s_time, "slope_memory": s_mem, "slope_rss": s_rss,
        "max_ratio": worst, "max_rss_ratio": worst_rss}


def machine():
    import os

    import scipy

    import mtlclassic

    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(
            f"{i['internal_api']} of {os.path.basename(os.path.dirname(i['filepath']))} "
            f"({i['num_threads']} thread{'s' if i['num_threads'] > 1 else ''})"
            for i in threadpool_info() if i["user_api"] == "blas")
    except Exception:  # threadpoolctl is optional here: the report only names BLAS
        blas = "unknown"
    total = None
    try:
        with open("/proc/meminfo") as f:
            total = int(f.readline().split()[1]) * 1024
    except OSError:
        pass
    mem = "" if total is None else f", {total / 2 ** 30:.0f} GiB RAM"
    return (f"{platform.platform()}, {os.cpu_count()} CPUs{mem}; python "
            f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
            f"BLAS {blas}; mtlclassic {getattr(mtlclassic, '__version__', '?')}")


def report(rows, *, command, n_features, n_tasks, frac, tol, dtype, repeats, total_seconds):
    lines, figures = summary(rows)
    text = "\n".join([
        "# bench_scale: one per-task group-lasso fit as n grows",
        "",
        "Written by `benchmarks/bench_scale.py` (do not edit by hand: rerun it).",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine()}  ",
        f"Problem: per-task layout, p = {n_features}, T = {n_tasks} tasks of n / T rows, "
        f"task id in the last column (`task_column=-1`), {np.dtype(dtype).name}; "
        f"`GroupLassoRegressor(alpha=alpha_max/{frac:g}, tol={tol:g})` (BCD with working sets) "
        f"on a planted row-sparse truth. Total run time {total_seconds:.0f} s.",
        "",
        f"size(X): the array passed to `fit` (task column included). Time: the fastest of "
        f"{repeats} fit(s), validation included. Traced peak: `tracemalloc` peak during one "
        "more fit, X itself excluded. RSS peak: VmHWM after a timed fit minus VmRSS before it "
        "(counts numba's allocations too; the largest over the timed fits). Epochs: BCD "
        "epochs; support: nonzero features found / planted.",
        "",
        HEADER,
        *[_row(r) for r in rows],
        "",
        "## Targets",
        "",
        *lines,
        "",
    ])
    return text, figures


def _blas_limit(n_threads):
    if n_threads is None:
        import contextlib

        return contextlib.nullcontext()
    import scipy.linalg  # noqa: F401  (every BLAS loaded first, so that the limit covers it)
    from threadpoolctl import threadpool_limits

    import mtlclassic  # noqa: F401

    return threadpool_limits(limits=n_threads, user_api="blas")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-n", type=int, default=None, help="largest n (default 10^6)")
    parser.add_argument("--quick", action="store_true", help="n = 10^4 .. 10^5 only")
    parser.add_argument("--sizes", default=None,
                        help="comma-separated n values (overrides the default grid)")
    parser.add_argument("--features", type=int, default=500)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--frac", type=float, default=10.0, help="alpha = alpha_max / FRAC")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--float32", action="store_true", help="X in float32")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed fits per n, the fastest reported (default 3)")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit BLAS to this many threads (default: BLAS's own setting)")
    parser.add_argument("--output", default=None, help="also write the report to this file")
    args = parser.parse_args(argv)
    if args.sizes:
        sizes = [int(float(s)) for s in args.sizes.split(",")]
    else:
        sizes = list(QUICK_SIZES if args.quick else SIZES)
    if args.max_n is not None:
        sizes = [n for n in sizes if n <= args.max_n]
    if not sizes:
        parser.error("no size left: --max-n is below the smallest n")
    dtype = np.float32 if args.float32 else np.float64
    command = "PYTHONPATH=. python benchmarks/bench_scale.py" + "".join(
        f" {a}" for a in (sys.argv[1:] if argv is None else argv))
    print(f"per-task layout, p={args.features}, T={args.tasks}, alpha_max/{args.frac:g}, "
          f"{np.dtype(dtype).name}")
    print(HEADER)
    t0 = time.perf_counter()
    with _blas_limit(args.blas_threads):
        rows = run(sizes, args.features, args.tasks, frac=args.frac, tol=args.tol, dtype=dtype,
                   repeats=args.repeats, log=lambda line: print(line, flush=True))
        text, figures = report(rows, command=command, n_features=args.features,
                               n_tasks=args.tasks, frac=args.frac, tol=args.tol, dtype=dtype,
                               repeats=args.repeats, total_seconds=time.perf_counter() - t0)
    print()
    print(text.split("## Targets\n\n", 1)[1])
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    return rows, figures


if __name__ == "__main__":
    main()
