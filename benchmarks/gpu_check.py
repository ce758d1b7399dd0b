"""GPU check of issue 7: correctness against the CPU solver, and GPU vs CPU time to the same gap.

One prepared script for a machine with a GPU and CuPy. For each problem it

1. draws a planted row-sparse group-lasso problem (float32, on the GPU, then copied to
   the host, which is much faster than drawing it with numpy);
2. validates it once (``_prepare``: the host-side validation every fit does);
3. solves it on the CPU with the package's default solver (numba block coordinate
   descent with working sets, ``solver="auto"``) to the relative duality gap ``--tol``;
4. copies the validated problem to the GPU (timed separately) and solves it there with
   the array-generic FISTA to the same relative gap;
5. checks the two solutions: both objectives evaluated by the same (CPU, float64)
   code, their relative difference, the supports, ``||W_gpu - W_cpu|| / ||W_cpu||``;
6. prints the times and the ratio CPU solve / GPU solve (the issue's target: >= 10).

Problems (the issue's sizes):

* (a) per-task designs: n = 200,000 rows, p = 2,000 features, T = 50 tasks;
* (b) shared design: n = 50,000 rows, p = 20,000 features, T = 20 tasks.

``--small`` also checks every GPU penalty path (l2,1, l1, sparse-group, l1/l-inf,
dirty, robust MTFL, trace norm, ridge, pooled, mean-regularised, both losses) on
small problems against the CPU solutions, through the public ``device="cuda"`` API.

``--only kernel`` (also in the default run) checks the kernel task-relation models
(issue 21): the exact solve (kernel matrix, Cholesky and triangular solves on the GPU) and
the Nystroem route against the CPU fit, then times the exact solve on the CPU (one BLAS
thread per core, all cores) and on the GPU at 2,000 - 8,000 rows (``--scale`` scales them).

Run (on the GPU machine, from the repository root)::

    PYTHONPATH=. python benchmarks/gpu_check.py            # (a), (b) and --small
    PYTHONPATH=. python benchmarks/gpu_check.py --scale 0.1  # 10x fewer rows, a smoke run

The whole run is meant to take under 5 minutes on one H100/H200 with 16 CPU cores.
"""

import argparse
import os
import platform
import sys
import time
import traceback

import numpy as np


def _sync(cp):
    cp.cuda.Device().synchronize()


def planted(cp, layout, n, p, T, *, support=0.02, seed=0):
    """A planted row-sparse problem drawn on the GPU: ``(X, y, task_column)`` on the host."""
    rs = cp.random.RandomState(seed)
    k = max(1, int(support * p))
    coef = cp.zeros((p, T), dtype=cp.float32)
    rows = cp.asarray(np.random.default_rng(seed).choice(p, k, replace=False))
    coef[rows] = rs.standard_normal((k, T), dtype=cp.float32)
    X = rs.standard_normal((n, p), dtype=cp.float32)
    if layout == "shared":
        Y = X @ coef + 0.5 * rs.standard_normal((n, T), dtype=cp.float32)
        return cp.asnumpy(X), cp.asnumpy(Y), None
    tasks = cp.repeat(cp.arange(T), n // T)  # sorted rows, n // T per task
    y = cp.sum(X * coef.T[tasks], axis=1) + 0.5 * rs.standard_normal(n, dtype=cp.float32)
    Xt = cp.concatenate([X, tasks[:, None].astype(cp.float32)], axis=1)
    del X
    return cp.asnumpy(Xt), cp.asnumpy(y), -1


def objective(datafit64, penalty, W, b):
    return datafit64.value(np.asarray(W, np.float64), np.asarray(b, np.float64)) + penalty.value(
        np.asarray(W, np.float64))


def profile_ops(cp, datafit, penalty, W, b, repeats=10):
    """Median GPU time of each operation of a FISTA iteration (CUDA events)."""
    from mtlclassic.solvers import duality_gap

    data = datafit.data
    Z = data.linear(W, b)
    D = datafit.derivative_z(Z)
    ops = {"linear X W": lambda: data.linear(W, b), "rmatvec X^T D": lambda: data.rmatvec(D),
           "task_sum": lambda: data.task_sum(D), "prox": lambda: penalty.prox(W, 1e-3),
           "value_z": lambda: datafit.value_z(Z), "duality gap": lambda: duality_gap(
               datafit, penalty, W, Z)}
    line = []
    for name, op in ops.items():
        times = []
        for _ in range(repeats):
            start, end = cp.cuda.Event(), cp.cuda.Event()
            start.record()
            op()
            end.record()
            end.synchronize()
            times.append(cp.cuda.get_elapsed_time(start, end))
        line.append(f"{name} {sorted(times)[repeats // 2]:.2f}")
    print("GPU ms per op (median of 10): " + ", ".join(line))


def transfer_check(cp, X):
    """Host -> GPU copy of ``X``: ``cupy.asarray`` against a page-locked staging buffer."""
    from mtlclassic.data._arrays import pinned_copy

    times = {}
    for name, copy in (("cupy.asarray", cp.asarray), ("pinned chunks", lambda a: pinned_copy(cp, a))):
        t = time.perf_counter()
        out = copy(X)
        _sync(cp)
        times[name] = time.perf_counter() - t
        same = bool(cp.all(out[:1000] == cp.asarray(X[:1000]))) and bool(
            cp.all(out[-1000:] == cp.asarray(X[-1000:])))
        del out
        cp.get_default_memory_pool().free_all_blocks()
        times[name + " same"] = same
    gb = X.nbytes / 1e9
    print("copy to GPU: " + ", ".join(f"{k} {v:.2f} s ({gb / v:.1f} GB/s)" if not k.endswith("same")
                                      else f"{k}={v}" for k, v in times.items()))


def check_problem(cp, name, layout, n, p, T, *, tol, alpha_ratio, max_iter, cpu_max_iter):
    from mtlclassic import GroupLassoRegressor, alpha_max
    from mtlclassic.data._arrays import to_namespace
    from mtlclassic.datafits import Quadratic
    from mtlclassic.solvers import fista

    print(f"\n== ({name}) {layout}: n={n:,} p={p:,} T={T} float32, "
          f"alpha = alpha_max/{1 / alpha_ratio:g}, tol={tol:g} ==", flush=True)
    t = time.perf_counter()
    X, y, task_column = planted(cp, layout, n, p, T)
    print(f"data drawn: {time.perf_counter() - t:.1f} s, X {X.nbytes / 2**30:.2f} GiB", flush=True)
    a_max = alpha_max(X, y, task_column=task_column)
    est = GroupLassoRegressor(alpha=alpha_ratio * a_max, task_column=task_column, tol=tol,
                              max_iter=max_iter)
    est._check_params()
    t = time.perf_counter()
    data, datafit, p_, T_ = est._prepare(X, y, None)
    t_prep = time.perf_counter() - t
    W0, b0 = est._start(data)
    penalty = est._make_penalty(p_, T_)

    t = time.perf_counter()
    W_cpu, b_cpu, it_cpu, gap_cpu, solver = est._solve(datafit, penalty, W0, b0,
                                                       max_iter=cpu_max_iter)
    t_cpu = time.perf_counter() - t
    scale = datafit.null_value(True)

    try:
        transfer_check(cp, data.X)
    except Exception:  # a side measurement: report it, go on with the check
        traceback.print_exc()
    t = time.perf_counter()
    on_gpu = to_namespace(data, cp)
    _sync(cp)
    t_copy = time.perf_counter() - t
    batched = getattr(on_gpu, "_X3", None) is not None
    t = time.perf_counter()
    W_gpu, b_gpu, it_gpu, gap_gpu, _ = fista(Quadratic(on_gpu), penalty, cp.asarray(W0),
                                             cp.asarray(b0), fit_intercept=True, tol=tol,
                                             max_iter=max_iter)
    _sync(cp)
    t_gpu = time.perf_counter() - t
    profile_ops(cp, Quadratic(on_gpu), penalty, W_gpu, b_gpu)
    W_gpu, b_gpu = cp.asnumpy(W_gpu), cp.asnumpy(b_gpu)
    del on_gpu
    cp.get_default_memory_pool().free_all_blocks()

    # The public API end to end (validation on the host, one copy, solve, coef_ back).
    t = time.perf_counter()
    public = GroupLassoRegressor(alpha=est.alpha, task_column=task_column, tol=tol,
                                 max_iter=max_iter, device="cuda").fit(X, y)
    t_public = time.perf_counter() - t
    cp.get_default_memory_pool().free_all_blocks()

    P_cpu, P_gpu = objective(datafit, penalty, W_cpu, b_cpu), objective(datafit, penalty, W_gpu, b_gpu)
    supp_cpu, supp_gpu = np.any(W_cpu != 0, axis=1), np.any(W_gpu != 0, axis=1)
    rel_w = np.linalg.norm(W_gpu - W_cpu) / max(np.linalg.norm(W_cpu), 1e-30)
    print(f"validation (host, every fit): {t_prep:.2f} s")
    print(f"CPU  solve ({solver}): {t_cpu:8.3f} s, {it_cpu} epochs, relative gap {gap_cpu / scale:.2e}")
    print(f"GPU  solve (fista{', batched per-task products' if batched else ''}): "
          f"{t_gpu:8.3f} s, {it_gpu} iterations, relative gap "
          f"{gap_gpu / scale:.2e}  (+ copy to GPU {t_copy:.2f} s)")
    print(f"GPU  public fit(device='cuda') end to end: {t_public:.2f} s "
          f"(device_={public.device_}, n_iter_={public.n_iter_})")
    print(f"objective: CPU {P_cpu:.8g}, GPU {P_gpu:.8g}, relative difference "
          f"{(P_gpu - P_cpu) / abs(P_cpu):+.2e}")
    print(f"support: CPU {int(supp_cpu.sum())}, GPU {int(supp_gpu.sum())}, "
          f"agree on {int((supp_cpu == supp_gpu).sum())}/{p}; ||W_gpu - W_cpu||/||W_cpu|| = {rel_w:.2e}")
    ratio = t_cpu / t_gpu
    print(f"RATIO ({name}) CPU solve / GPU solve = {ratio:.1f}x  (target >= 10): "
          f"{'met' if ratio >= 10 else 'NOT met'}; "
          f"CPU (validation + solve) / GPU public fit = {(t_prep + t_cpu) / t_public:.1f}x", flush=True)
    ok = abs(P_gpu - P_cpu) <= 10 * tol * scale
    print(f"CORRECT ({name}): {'yes' if ok else 'NO'} (objective difference within 10 tol P0)")
    return ok


def check_small(cp):
    """Every GPU penalty path against the CPU solution, through ``device='cuda'``."""
    import mtlclassic as m

    cases = [(m.GroupLassoRegressor, dict(alpha=0.05)), (m.GroupLassoClassifier, dict(alpha=0.02)),
             (m.LassoRegressor, dict(alpha=0.02)), (m.LassoClassifier, dict(alpha=0.01)),
             (m.SparseGroupLassoRegressor, dict(alpha=0.05, l1_ratio=0.3)),
             (m.L1InfRegressor, dict(alpha=0.05)),
             (m.DirtyModelRegressor, dict(alpha_shared=0.05, alpha_sparse=0.03)),
             (m.RobustMTFLRegressor, dict(alpha_features=0.05, alpha_tasks=0.1)),
             (m.TraceNormRegressor, dict(alpha=0.1)), (m.TraceNormClassifier, dict(alpha=0.05)),
             (m.RidgeRegressor, dict(alpha=0.1)), (m.PooledRegressor, dict(alpha=0.1)),
             (m.MeanRegularizedRegressor, dict(lambda_mean=1.0, lambda_l2=0.1)),
             (m.GraphRegularizedRegressor, dict(lambda_graph=1.0, alpha=0.01))]
    rng = np.random.default_rng(0)
    T, p, n = 5, 40, 600
    coef = rng.standard_normal((T, p)) * (rng.random(p) < 0.3)
    tasks = np.repeat(np.arange(T), n // T)
    Xf = rng.standard_normal((n, p))
    z = np.einsum("ij,ij->i", Xf, coef[tasks]) + 0.5 * rng.standard_normal(n)
    worst = 0.0
    print("\n== small problems, every penalty, device='cuda' vs CPU (float64, per-task) ==")
    for cls, params in cases:
        y = np.sign(z) if cls.__name__.endswith("Classifier") else z
        X = np.column_stack([Xf, tasks])
        kw = dict(task_column=-1, tol=1e-8, max_iter=20000, **params)
        cpu = cls(**kw).fit(X, y)
        t = time.perf_counter()
        gpu = cls(device="cuda", **kw).fit(cp.asarray(X), cp.asarray(y))
        dt = time.perf_counter() - t
        err = np.abs(gpu.coef_ - cpu.coef_).max() / max(np.abs(cpu.coef_).max(), 1.0)
        pred = gpu.predict(cp.asarray(X))
        worst = max(worst, err)
        print(f"{cls.__name__:28s} max |coef diff| / max|coef| = {err:.1e}, fit {dt:.2f} s, "
              f"predict -> {type(pred).__module__}.{type(pred).__name__}")
    print(f"CORRECT (small): {'yes' if worst < 1e-3 else 'NO'} (worst {worst:.1e})", flush=True)
    return worst < 1e-3


def check_kernel(cp, scale=1.0):
    """The kernel models with device='cuda' against the CPU fit, and the exact solve's times."""
    from mtlclassic import KernelTaskRelationClassifier, KernelTaskRelationRegressor

    rng = np.random.default_rng(0)
    ok = True
    print("\n== kernel task-relation models, device='cuda' vs CPU (float64) ==")
    for n, T, n_components, cls in ((600, 4, None, KernelTaskRelationRegressor),
                                    (600, 4, None, KernelTaskRelationClassifier),
                                    (3000, 5, 200, KernelTaskRelationRegressor)):
        X = rng.standard_normal((n, 6))
        task = rng.integers(0, T, n)
        z = np.sin(2 * X[:, 0]) * (1 + 0.3 * task) + X[:, 1] * X[:, 2] + 0.1 * rng.standard_normal(n)
        y = np.sign(z) if cls is KernelTaskRelationClassifier else z
        Xt = np.column_stack([X, task])
        kw = dict(alpha=1e-2, gamma=0.3, lambda_2=1e-2, task_column=-1, tol=1e-8, max_iter=300,
                  n_components=n_components, random_state=0)
        cpu = cls(**kw).fit(Xt, y)
        t = time.perf_counter()
        gpu = cls(device="cuda", **kw).fit(Xt, y)
        dt = time.perf_counter() - t
        err = np.abs(gpu.decision_function(Xt) - cpu.decision_function(Xt)).max() / np.abs(y).max() \
            if cls is KernelTaskRelationClassifier else \
            np.abs(gpu.predict(Xt) - cpu.predict(Xt)).max() / np.abs(y).max()
        good = gpu.device_ == "cuda" and err < (1e-6 if n_components is None else 1e-3)
        ok &= good
        print(f"{cls.__name__:30s} n={n} n_components={n_components}: max |output diff| / max|y| "
              f"= {err:.1e}, GPU fit {dt:.2f} s, n_iter {gpu.n_iter_} (CPU {cpu.n_iter_}) "
              f"{'ok' if good else 'WRONG'}", flush=True)
    print("\n-- exact solve, learned covariance (5 tasks): fit time, CPU vs GPU --")
    for n in (int(2000 * scale), int(4000 * scale), int(8000 * scale)):
        X = rng.standard_normal((n, 10))
        task = rng.integers(0, 5, n)
        y = np.sin(X[:, 0]) * (1 + task) + 0.1 * rng.standard_normal(n)
        Xt = np.column_stack([X, task])
        kw = dict(alpha=1e-3, gamma=0.1, lambda_2=1e-3, task_column=-1, max_iter=20)
        t = time.perf_counter()
        cpu = KernelTaskRelationRegressor(**kw).fit(Xt, y)
        t_cpu = time.perf_counter() - t
        t = time.perf_counter()
        gpu = KernelTaskRelationRegressor(device="cuda", **kw).fit(Xt, y)
        _sync(cp)
        t_gpu = time.perf_counter() - t
        diff = np.abs(gpu.predict(Xt[:500]) - cpu.predict(Xt[:500])).max()
        print(f"n={n:6d}: CPU {t_cpu:7.2f} s ({cpu.n_iter_} alternations), GPU {t_gpu:6.2f} s "
              f"({gpu.n_iter_}), CPU / GPU = {t_cpu / t_gpu:5.1f}, max |prediction diff| "
              f"{diff:.1e}", flush=True)
    print(f"CORRECT (kernel): {'yes' if ok else 'NO'}", flush=True)
    return ok


def gpu_warmup(cp):
    """Compile (or load) the CuPy kernels of the float32 GPU path outside the timed solves."""
    from mtlclassic import GroupLassoRegressor

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 8)).astype(np.float32)
    for layout in ("shared", "per_task"):
        if layout == "shared":
            Xl, y, task_column = X, X[:, :3] @ np.ones((3, 2), np.float32), None
        else:
            Xl = np.column_stack([X, np.repeat([0, 1, 2], 20)]).astype(np.float32)
            y, task_column = X[:, 0] - X[:, 1], -1
        GroupLassoRegressor(alpha=0.01, device="cuda", task_column=task_column).fit(Xl, y)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the rows to use")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--alpha-ratio", type=float, default=0.1, help="alpha / alpha_max")
    parser.add_argument("--max-iter", type=int, default=5000, help="GPU FISTA iterations")
    parser.add_argument("--cpu-max-iter", type=int, default=400,
                        help="CPU epochs (a guard on the run's length; a healthy solve needs < 100)")
    parser.add_argument("--only", default="small,a,b,kernel")
    args = parser.parse_args(argv)
    import cupy as cp

    import mtlclassic
    from mtlclassic import warmup
    from mtlclassic._backend import cuda_namespace

    cuda_namespace()
    props = cp.cuda.runtime.getDeviceProperties(0)
    print(f"python {platform.python_version()}, numpy {np.__version__}, cupy {cp.__version__}, "
          f"GPU {props['name'].decode()}, {os.cpu_count()} CPU cores, mtlclassic from "
          f"{os.path.dirname(mtlclassic.__file__)}")
    t = time.perf_counter()
    warmup(dtypes=("float32", "float64"), sparse=False)
    print(f"numba warm-up (compile or cache load): {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    gpu_warmup(cp)
    print(f"CuPy warm-up (kernel compile or cache load, float32, both layouts): "
          f"{time.perf_counter() - t:.1f} s", flush=True)
    results = {}
    only = args.only.split(",")
    start = time.perf_counter()
    for key, func in (("small", lambda: check_small(cp)),
                      ("kernel", lambda: check_kernel(cp, args.scale)),
                      ("a", lambda: check_problem(cp, "a", "per_task", int(200_000 * args.scale),
                                                  2000, 50, tol=args.tol,
                                                  alpha_ratio=args.alpha_ratio,
                                                  max_iter=args.max_iter,
                                                  cpu_max_iter=args.cpu_max_iter)),
                      ("b", lambda: check_problem(cp, "b", "shared", int(50_000 * args.scale),
                                                  20_000, 20, tol=args.tol,
                                                  alpha_ratio=args.alpha_ratio,
                                                  max_iter=args.max_iter,
                                                  cpu_max_iter=args.cpu_max_iter))):
        if key not in only:
            continue
        try:
            results[key] = func()
        except Exception:  # report and go on: one failure must not cost the other checks
            traceback.print_exc()
            results[key] = False
    print(f"\ntotal {time.perf_counter() - start:.0f} s; correct: {results}")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
