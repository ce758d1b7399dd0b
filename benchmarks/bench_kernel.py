"""Benchmark of the kernel task-relation models (issue 21): accuracy, time, memory, scale.

Sub-commands (each prints a markdown table and writes ``<out>/<name>.json``):

``sarcos``
    SARCOS per-task layout (the 7 torques are the tasks), ``--rows`` training
    rows per torque drawn per task from the 4,449-row test file, the rest of
    the rows of that torque as its test rows, splits seeded 0..K-1. Features
    standardised on the stacked training rows. Compared:

    * ``KernelRidge`` per torque (scikit-learn, rbf, targets centred on the
      task's training mean), ``gamma`` and ``alpha`` by 5-fold CV on the
      task's training rows;
    * ``KernelTaskRelationRegressor`` with ``task_covariance`` "independent",
      "shared" and "learn", tuned by 5-fold
      :class:`~mtlclassic.model_selection.TaskStratifiedKFold` (a small loop:
      the same folds for every grid point). "learn" is tuned in two stages:
      ``gamma`` and ``alpha`` of the "independent" model first, then
      ``gamma`` in half/once/twice that choice x ``alpha`` x ``lambda_2``.
      By default each task's targets are standardised on its training rows
      before the multi-task fit (``--raw-targets`` turns this off): the
      torques' variances span 0.9 to 414, and an unweighted learned
      covariance otherwise serves the large torques only.

    Score: :func:`mtlclassic.metrics.nmse` (each task's test MSE over the
    variance of its test targets, averaged over the torques).

``timing``
    Fit time and peak RSS (each fit in its own process) of the exact solve and
    of ``n_components=500`` Nystroem features, for N training rows (SARCOS per
    task, N/7 rows per torque; test on the rest), with ``task_covariance``
    "learn" at one fixed grid point; the exact solve stops being run above
    ``--exact-limit`` seconds of the previous size's extrapolated time.

``scale``
    ``n_components=300``, 10 tasks, a synthetic non-linear per-task regression
    (:func:`make_nonlinear_tasks`), rows 10^4 .. 10^6: fit time and peak RSS of
    each size in its own process, and whether 200,000 rows fit under
    ``ulimit -v 3000000`` (3 GB of address space).

``compare``
    :func:`mtlclassic.compare` on School (75/25) or Landmine (20/80) with the
    kernel model and the linear models named by ``--models``.

Run from the repository root, e.g.::

    MTLCLASSIC_DATA=/work/shared/data OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
        python benchmarks/bench_kernel.py sarcos --rows 100 --splits 10
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings

import numpy as np

DATA = os.environ.get("MTLCLASSIC_DATA", "/work/shared/data")
GAMMA_FACTORS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0)
KR_ALPHAS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)  # KernelRidge's alpha (sum of squared errors)
# The learned covariance's second stage (per-task mean losses): alpha matters little once
# small (the lambda_2 prior then carries the penalty, as in MTRL), lambda_2 does.
LEARN_ALPHAS = (1e-9, 1e-7, 1e-6, 1e-5)
LEARN_LAMBDAS = (1e-7, 1e-6, 1e-5, 1e-4, 1e-3)


def _machine():
    import sklearn

    import mtlclassic
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "sklearn": sklearn.__version__,
            "mtlclassic": getattr(mtlclassic, "__version__", "?"),
            "threads": os.environ.get("OPENBLAS_NUM_THREADS", "unset")}


def _peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _write(out, name, payload):
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"{name}.json")
    with open(path, "w") as f:
        json.dump(payload, f, indent=1, default=float)
    print(f"\n(written {path})")


def _ms(values):
    values = np.asarray(values, dtype=float)
    sd = values.std(ddof=1) if values.size > 1 else float("nan")
    return f"{values.mean():.4f} +- {sd:.4f}"


# -- SARCOS -------------------------------------------------------------------------------
def sarcos_split(X, Y, n_train, seed):
    """Per-task rows: ``n_train`` training rows of each torque drawn per task, the rest test."""
    n, T = Y.shape
    rng = np.random.default_rng(seed)
    train = [np.sort(rng.choice(n, n_train, replace=False)) for _ in range(T)]
    test = [np.setdiff1d(np.arange(n), r) for r in train]
    stacked = np.concatenate(train)
    mu, sd = X[stacked].mean(axis=0), X[stacked].std(axis=0)
    Xs = (X - mu) / np.where(sd > 0, sd, 1.0)

    def layout(rows):
        Xt = np.vstack([np.column_stack([Xs[r], np.full(len(r), t)]) for t, r in enumerate(rows)])
        return Xt, np.concatenate([Y[r, t] for t, r in enumerate(rows)])

    return Xs, train, test, layout(train), layout(test)


def _cv_score(make, X, y, folds, task, scale):
    """Mean over folds of the task-averaged validation nMSE (targets unscaled)."""
    from mtlclassic.metrics import nmse
    scores = []
    for fit_rows, val_rows in folds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = make().fit(X[fit_rows], y[fit_rows])
        pred = model.predict(X[val_rows])
        s = scale[task[val_rows]]
        scores.append(nmse(y[val_rows] * s, pred * s, tasks=task[val_rows]))
    return float(np.mean(scores))


def _tune(points, make, X, y, folds, task, scale):
    results = [(_cv_score(lambda: make(p), X, y, folds, task, scale), i)
               for i, p in enumerate(points)]
    best = min(results)[1]
    return points[best], min(results)[0]


def _edge(value, grid):
    return "low" if np.isclose(value, min(grid)) else "high" if np.isclose(value, max(grid)) else ""


def run_sarcos_split(X, Y, n_train, seed, raw_targets=False, models=None, cv=5,
                     small_grid=False):
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.model_selection import GridSearchCV, KFold

    from mtlclassic import KernelTaskRelationRegressor
    from mtlclassic.estimators._grids import median_gamma
    from mtlclassic.metrics import nmse
    from mtlclassic.model_selection import TaskStratifiedKFold

    models = models or ("kernel-ridge", "independent", "shared", "learn")
    Xs, train, test, (Xtr, ytr), (Xte, yte) = sarcos_split(X, Y, n_train, seed)
    T = Y.shape[1]
    task, task_te = Xtr[:, -1].astype(int), Xte[:, -1].astype(int)
    g0 = median_gamma(Xtr, -1)
    gammas = [f * g0 for f in GAMMA_FACTORS]
    out = {"seed": seed, "median_gamma": g0}

    if "kernel-ridge" in models:
        t0, pred, chosen = time.perf_counter(), np.empty_like(yte), []
        for t in range(T):
            y_t = Y[train[t], t]
            grid = GridSearchCV(KernelRidge(kernel="rbf"), {"gamma": gammas, "alpha": KR_ALPHAS},
                                cv=KFold(cv, shuffle=True, random_state=seed),
                                scoring="neg_mean_squared_error")
            grid.fit(Xs[train[t]], y_t - y_t.mean())
            pred[task_te == t] = grid.predict(Xs[test[t]]) + y_t.mean()
            chosen.append((grid.best_params_["gamma"] / g0, grid.best_params_["alpha"]))
        out["kernel-ridge"] = {"nmse": nmse(yte, pred, tasks=task_te),
                               "per_task": nmse(yte, pred, tasks=task_te,
                                                average="raw_values").tolist(),
                               "time": time.perf_counter() - t0, "chosen": chosen}

    # Multi-task: targets standardised per task on the training rows (undone for scoring).
    mu = np.array([ytr[task == t].mean() for t in range(T)])
    sd = np.ones(T) if raw_targets else np.array([ytr[task == t].std() for t in range(T)])
    ys = (ytr - mu[task]) / sd[task]
    folds = list(TaskStratifiedKFold(cv, shuffle=True, random_state=seed).split(Xtr, ys))
    alphas = [a / n_train for a in KR_ALPHAS] + [1e-4 / n_train / 10]  # KernelRidge's / n_t

    def make(params):
        return KernelTaskRelationRegressor(task_column=-1, **params)

    def refit(name, params, t0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t1 = time.perf_counter()
            model = make(params).fit(Xtr, ys)
            fit_time = time.perf_counter() - t1
        pred = model.predict(Xte) * sd[task_te] + mu[task_te]
        chosen = {k: (v / g0 if k == "gamma" else v) for k, v in params.items()
                  if k in ("gamma", "alpha", "lambda_2")}
        out[name] = {"nmse": nmse(yte, pred, tasks=task_te),
                     "per_task": nmse(yte, pred, tasks=task_te, average="raw_values").tolist(),
                     "time": time.perf_counter() - t0, "fit_time": fit_time,
                     "chosen": chosen, "n_iter": int(model.n_iter_)}
        if name == "learn":
            out[name]["task_correlation"] = model.task_correlation_.tolist()
        return model

    base = None
    for cov in ("independent", "shared"):
        if cov not in models and not (cov == "independent" and "learn" in models):
            continue
        t0 = time.perf_counter()
        points = [{"task_covariance": cov, "gamma": g, "alpha": a} for g in gammas for a in alphas]
        best, score = _tune(points, make, Xtr, ys, folds, task, sd)
        refit(cov, best, t0)
        out[cov]["cv_nmse"] = score
        if cov == "independent":
            base = best
    if "learn" in models:
        t0 = time.perf_counter()
        g = base["gamma"]
        factors, l2s = ((1.0,), LEARN_LAMBDAS[0:3]) if small_grid else ((0.5, 1.0, 2.0),
                                                                         LEARN_LAMBDAS)
        a_grid = (1e-7,) if small_grid else LEARN_ALPHAS
        points = [{"task_covariance": "learn", "gamma": g * f, "alpha": a, "lambda_2": l2}
                  for f in factors for a in a_grid for l2 in l2s]
        best, score = _tune(points, make, Xtr, ys, folds, task, sd)
        refit("learn", best, t0 - (out["independent"]["time"] - out["independent"]["fit_time"]))
        out["learn"]["cv_nmse"] = score
        out["learn"]["edge"] = {"alpha": _edge(best["alpha"], a_grid),
                                "lambda_2": _edge(best["lambda_2"], l2s)}
    return out


def cmd_sarcos(args):
    from mtlclassic.datasets import load_sarcos
    X, Y = load_sarcos(os.path.join(DATA, "sarcos"), layout="shared", return_X_y=True)
    models = tuple(args.models.split(",")) if args.models else None
    records = []
    for seed in range(args.first_seed, args.first_seed + args.splits):
        t0 = time.perf_counter()
        rec = run_sarcos_split(X, Y, args.rows, seed, args.raw_targets, models, args.cv,
                               args.small_grid)
        records.append(rec)
        line = ", ".join(f"{k} {v['nmse']:.4f}" for k, v in rec.items() if isinstance(v, dict))
        print(f"split {seed}: {line} ({time.perf_counter() - t0:.0f} s)", flush=True)
    names = [k for k, v in records[0].items() if isinstance(v, dict)]
    print(f"\nSARCOS, {args.rows} training rows per torque, {len(records)} splits "
          f"(seeds {args.first_seed}..{args.first_seed + args.splits - 1})"
          f"{', raw targets' if args.raw_targets else ''}\n")
    print("| model | nMSE (mean +- sd) | / KernelRidge (mean of per-split ratios) | time per "
          "split (tuning + refit, s) |")
    print("|---|---|---|---|")
    for name in names:
        vals = [r[name]["nmse"] for r in records]
        ratio = ("" if "kernel-ridge" not in names else
                 f"{np.mean([r[name]['nmse'] / r['kernel-ridge']['nmse'] for r in records]):.3f}")
        print(f"| {name} | {_ms(vals)} | {ratio} | "
              f"{np.mean([r[name]['time'] for r in records]):.1f} |")
    if "learn" in names:
        per_task = np.mean([r["learn"]["per_task"] for r in records], axis=0)
        print("\nlearn, per torque (mean over splits):", np.round(per_task, 4).tolist())
        if "kernel-ridge" in names:
            kr = np.mean([r["kernel-ridge"]["per_task"] for r in records], axis=0)
            print("kernel-ridge, per torque:", np.round(kr, 4).tolist())
        print("learn, chosen:", [r["learn"]["chosen"] for r in records])
    suffix = "_raw" if args.raw_targets else ""
    _write(args.out, f"sarcos_{args.rows}{suffix}_{args.first_seed}",
           {"machine": _machine(), "rows": args.rows, "records": records})


# -- one fit in its own process (timing, memory) -------------------------------------------
def make_nonlinear_tasks(n_samples, n_tasks=10, n_features=10, seed=0, chunk=200_000,
                         row_seed=None):
    """Per-task layout ``(X, y)``: ``y = sum_k C[t, k] sin(x . v_k + phi_k) + noise``.

    Five shared non-linear directions ``v_k``; the tasks' weights ``C`` mix two
    latent patterns (so the tasks are correlated) plus a task-specific part;
    noise sd 0.1. Rows spread evenly over the tasks (task id in the last column).
    ``seed`` draws the functions (and, without ``row_seed``, the rows after
    them); ``row_seed`` draws other rows of the same functions (a test set).
    """
    rng = np.random.default_rng(seed)
    V = rng.standard_normal((5, n_features)) / np.sqrt(n_features)
    phi = rng.uniform(0, 2 * np.pi, 5)
    C = rng.standard_normal((n_tasks, 2)) @ rng.standard_normal((2, 5)) \
        + 0.3 * rng.standard_normal((n_tasks, 5))
    if row_seed is not None:
        rng = np.random.default_rng(row_seed)
    X = np.empty((n_samples, n_features + 1))
    y = np.empty(n_samples)
    X[:, -1] = np.arange(n_samples) * n_tasks // n_samples
    for start in range(0, n_samples, chunk):
        stop = min(start + chunk, n_samples)
        Xc = rng.standard_normal((stop - start, n_features))
        X[start:stop, :-1] = Xc
        t = X[start:stop, -1].astype(int)
        y[start:stop] = (np.sin(Xc @ (2 * V.T) + phi) * C[t]).sum(axis=1) \
            + 0.1 * rng.standard_normal(stop - start)
    return X, y


def cmd_one(args):
    """Worker: one fit (exact or Nystroem) on SARCOS or synthetic rows; prints JSON."""
    import mtlclassic  # noqa: F401  (import cost outside the baseline below)
    from mtlclassic import KernelTaskRelationRegressor
    from mtlclassic.estimators._grids import median_gamma
    from mtlclassic.metrics import nmse
    rss_import = _peak_rss_mb()
    spec = json.loads(args.spec)
    if spec["data"] == "sarcos":
        from mtlclassic.datasets import load_sarcos
        X, Y = load_sarcos(os.path.join(DATA, "sarcos"), layout="shared", return_X_y=True)
        per_task = spec["rows"] // Y.shape[1]
        if per_task > X.shape[0]:
            raise SystemExit("too many rows")
        _, _, _, (Xtr, ytr), (Xte, yte) = sarcos_split(X, Y, per_task, spec.get("seed", 0))
        task = Xtr[:, -1].astype(int)
        mu = np.array([ytr[task == t].mean() for t in range(Y.shape[1])])
        sd = np.array([ytr[task == t].std() for t in range(Y.shape[1])])
        ytr = (ytr - mu[task]) / sd[task]
    else:
        Xtr, ytr = make_nonlinear_tasks(spec["rows"], seed=spec.get("seed", 0))
        if spec.get("shuffle"):  # rows not grouped by task: the estimator must sort them
            perm = np.random.default_rng(1).permutation(Xtr.shape[0])
            Xtr, ytr = Xtr[perm], ytr[perm]
        Xte, yte = make_nonlinear_tasks(20_000, seed=spec.get("seed", 0), row_seed=1000)
        mu, sd = np.zeros(10), np.ones(10)
    rss_data = _peak_rss_mb()
    params = dict(spec["params"])
    params["gamma"] = params.pop("gamma_factor", 1.0) * median_gamma(Xtr, -1)
    # Warm-up (numba compilation, caches) on a few rows, outside the timing.
    small = np.concatenate([np.flatnonzero(Xtr[:, -1] == t)[:60] for t in np.unique(Xtr[:, -1])])
    warm = dict(params)
    if warm.get("n_components"):
        warm["n_components"] = min(warm["n_components"], 50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        KernelTaskRelationRegressor(task_column=-1, **warm).fit(Xtr[small], ytr[small])
    rss_warm = _peak_rss_mb()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        model = KernelTaskRelationRegressor(task_column=-1, **params).fit(Xtr, ytr)
        fit_time = time.perf_counter() - t0
    rss_fit = _peak_rss_mb()
    tt = Xte[:, -1].astype(int)
    score = nmse(yte, model.predict(Xte) * sd[tt] + mu[tt], tasks=tt)
    print(json.dumps({"rows": int(Xtr.shape[0]), "fit_time": fit_time, "nmse": score,
                      "n_iter": int(model.n_iter_), "rss_import_mb": rss_import,
                      "rss_data_mb": rss_data, "rss_warm_mb": rss_warm, "rss_fit_mb": rss_fit,
                      "warnings": sorted({type(w.message).__name__ for w in caught})}))


def _run_one(spec, timeout, vmem_kb=None):
    cmd = [sys.executable, os.path.abspath(__file__), "_one", json.dumps(spec)]
    if vmem_kb:
        cmd = ["bash", "-c", f"ulimit -v {vmem_kb} && exec \"$@\"", "bash", *cmd]
    t0, load0 = time.perf_counter(), os.getloadavg()[0]
    # The 1-minute load average at the start and the end: the machine is shared.
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"rows": spec["rows"], "error": f"over {timeout} s", "wall": timeout,
                "load": [load0, os.getloadavg()[0]]}
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"rows": spec["rows"], "error": " | ".join(tail), "rc": proc.returncode,
                "wall": time.perf_counter() - t0, "load": [load0, os.getloadavg()[0]]}
    rec = json.loads(proc.stdout.strip().splitlines()[-1])
    rec["wall"] = time.perf_counter() - t0
    rec["load"] = [load0, os.getloadavg()[0]]
    return rec


def _load(rec):
    return "{:.1f}-{:.1f}".format(*rec["load"]) if "load" in rec else "-"


def _fmt(rec, key, fmt="{:.2f}"):
    return fmt.format(rec[key]) if key in rec else rec.get("error", "-")


def cmd_timing(args):
    sizes = [int(s) for s in args.sizes.split(",")]
    point = {"task_covariance": "learn", "gamma_factor": 0.25, "alpha": 1e-7, "lambda_2": 1e-6}
    rows, exact_ok = [], True
    for n in sizes:
        rec = {"rows": n}
        for name, extra in (("exact", {}), ("nystroem", {"n_components": args.components,
                                                        "random_state": 0})):
            if name == "exact" and not exact_ok:
                rec[name] = {"error": "skipped (previous size over the limit)"}
                continue
            spec = {"data": args.data, "rows": n, "seed": 0, "params": {**point, **extra}}
            rec[name] = _run_one(spec, args.timeout)
            print(n, name, rec[name], flush=True)
            if name == "exact" and rec[name].get("fit_time", np.inf) * 2.5 > args.timeout:
                exact_ok = False  # the next size (x1.6-2) would exceed the limit (N^3)
        rows.append(rec)
    print(f"\nTiming, {args.data}, task_covariance='learn', gamma=median/4, alpha=1e-7, "
          f"lambda_2=1e-6 (targets standardised per task)\n")
    print("| N rows | exact: fit (s) | exact: alternations | exact: peak RSS (MB) | exact: nMSE "
          f"| load | Nystroem {args.components}: fit (s) | iterations | peak RSS (MB) | nMSE "
          "| load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for rec in rows:
        e, s = rec["exact"], rec["nystroem"]
        print(f"| {rec['rows']} | {_fmt(e, 'fit_time')} | {e.get('n_iter', '-')} | "
              f"{_fmt(e, 'rss_fit_mb', '{:.0f}')} | {_fmt(e, 'nmse', '{:.4f}')} | {_load(e)} | "
              f"{_fmt(s, 'fit_time')} | {s.get('n_iter', '-')} | "
              f"{_fmt(s, 'rss_fit_mb', '{:.0f}')} | {_fmt(s, 'nmse', '{:.4f}')} | {_load(s)} |")
    _write(args.out, f"timing_{args.data}", {"machine": _machine(), "point": point,
                                              "components": args.components, "rows": rows})


def cmd_scale(args):
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    point = {"task_covariance": "learn", "gamma_factor": 1.0, "alpha": 1e-4, "lambda_2": 1e-4,
             "n_components": args.components, "random_state": 0}
    data = {"data": "synthetic", "seed": 0, "shuffle": args.shuffle}
    rows, stop = [], False
    for n in sizes:
        if stop:
            rows.append({"rows": n, "error": "skipped (previous size over the limit)"})
            continue
        rec = _run_one({**data, "rows": n, "params": point}, args.timeout)
        print(n, rec, flush=True)
        rows.append(rec)
        stop = "fit_time" not in rec or rec["wall"] * 2.5 > args.timeout
    capped = (_run_one({**data, "rows": args.capped_rows, "params": point}, args.timeout,
                       vmem_kb=args.vmem_kb) if args.capped_rows else {"error": "not run"})
    print("capped", capped, flush=True)
    print(f"\nScale: synthetic, 10 tasks, n_components={args.components}, "
          "task_covariance='learn'\n")
    print("| rows | fit (s) | s per 10^5 rows | iterations | peak RSS (MB) | RSS after data "
          "(MB) | nMSE | load |")
    print("|---|---|---|---|---|---|---|---|")
    for rec in rows:
        per = (f"{rec['fit_time'] / rec['rows'] * 1e5:.2f}" if "fit_time" in rec else "-")
        print(f"| {rec['rows']} | {_fmt(rec, 'fit_time')} | {per} | {rec.get('n_iter', '-')} | "
              f"{_fmt(rec, 'rss_fit_mb', '{:.0f}')} | {_fmt(rec, 'rss_data_mb', '{:.0f}')} | "
              f"{_fmt(rec, 'nmse', '{:.4f}')} | {_load(rec)} |")
    fitted = [rec for rec in rows if "fit_time" in rec]
    if len(fitted) >= 2:  # time ~ rows^slope: 1 is linear
        slope = np.polyfit(np.log([r["rows"] for r in fitted]),
                           np.log([r["fit_time"] for r in fitted]), 1)[0]
        print(f"\nLog-log slope of fit time against rows (least squares): {slope:.2f}")
    print(f"\nUnder ulimit -v {args.vmem_kb} ({args.capped_rows} rows): "
          f"{'fits' if 'fit_time' in capped else 'FAILS: ' + capped.get('error', '')}"
          + (f", fit {capped['fit_time']:.1f} s, peak RSS {capped['rss_fit_mb']:.0f} MB"
             if "fit_time" in capped else ""))
    _write(args.out, "scale" + "_shuffled" * args.shuffle,
           {"machine": _machine(), "point": point, "shuffle": args.shuffle, "rows": rows,
            "capped": capped, "vmem_kb": args.vmem_kb})


# -- School / Landmine through compare ------------------------------------------------------
def _reduced_kernel_grid(path, name):
    """7 points of the default kernel grid (a time-boxed run; see KERNEL_RESULTS.md section 4).

    RBF ``gamma`` at 1/16, 1/4, 1 x the median heuristic x ``alpha`` in 1e-4, 1e-2, and the
    linear kernel at ``alpha = 1e-2``, all with ``lambda_2 = 10 alpha``, each at the Nystroem
    rank of :func:`~mtlclassic.estimators._grids.nystroem_rank` and ``tol=1e-3`` (as the
    default grid above ``KERNEL_EXACT_ROWS``). The median heuristic and the
    ranks are computed once on all rows' standardised features (no targets), not per split.
    """
    from mtlclassic.datasets import load_landmine, load_school
    from mtlclassic.estimators._grids import median_gamma, nystroem_rank
    X, _ = (load_school if name == "school" else load_landmine)(path, return_X_y=True)
    feats = np.asarray(X[:, :-1], dtype=np.float64)
    sd = feats.std(axis=0)
    feats = (feats - feats.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    g0 = median_gamma(feats, None)
    points = []
    for factor in (1 / 16, 1 / 4, 1.0):
        rank = nystroem_rank(feats, None, "rbf", factor * g0)
        points += [{"kernel": "rbf", "gamma": factor * g0, "alpha": a, "lambda_2": 10 * a,
                    "n_components": rank, "random_state": 0, "tol": 1e-3} for a in (1e-4, 1e-2)]
    points.append({"kernel": "linear", "alpha": 1e-2, "lambda_2": 0.1, "tol": 1e-3,
                   "n_components": nystroem_rank(feats, None, "linear"), "random_state": 0})
    return points


def cmd_compare(args):
    import mtlclassic
    paths = {"school": os.path.join(DATA, "malsar", "school.mat"),
             "landmine": os.path.join(DATA, "landmine", "LandmineData.mat")}
    fraction = args.train_fraction or {"school": 0.75, "landmine": 0.2}[args.data]
    grids = None
    if args.kernel_grid == "reduced":
        grids = {"kernel-task-relation": _reduced_kernel_grid(paths[args.data], args.data)}
        print("reduced kernel grid:", grids["kernel-task-relation"], flush=True)
    t0 = time.perf_counter()
    result = mtlclassic.compare(f"{args.data}:{paths[args.data]}", models=args.models,
                                n_splits=args.splits, train_fraction=fraction, cv=args.cv,
                                random_state=args.seed, progress=True, grids=grids)
    print(result.table())
    print(f"\n(total {time.perf_counter() - t0:.0f} s)")
    frame = result.to_frame()
    _write(args.out, f"compare_{args.data}_{args.splits}_seed{args.seed}_{args.kernel_grid}",
           {"machine": _machine(), "fraction": fraction, "splits": args.splits,
            "table": result.table(), "frame": frame.to_dict(orient="records"),
            "chosen": {name: m.chosen() for name, m in result.models.items()}
            if hasattr(next(iter(result.models.values())), "chosen") else None})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="/tmp/bench_kernel", help="folder for the JSON files")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("sarcos")
    p.add_argument("--rows", type=int, default=100)
    p.add_argument("--splits", type=int, default=10)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--cv", type=int, default=5)
    p.add_argument("--models", default=None,
                   help="subset of kernel-ridge,independent,shared,learn")
    p.add_argument("--raw-targets", action="store_true")
    p.add_argument("--small-grid", action="store_true",
                   help="learn: gamma of the independent model, alpha=1e-7, lambda_2 in "
                        "1e-7..1e-5 (for 600 rows per torque)")
    p = sub.add_parser("timing")
    p.add_argument("--data", default="sarcos", choices=("sarcos", "synthetic"))
    p.add_argument("--sizes", default="1000,2000,3000,5000,8000")
    p.add_argument("--components", type=int, default=500)
    p.add_argument("--timeout", type=int, default=300)
    p = sub.add_parser("scale")
    p.add_argument("--sizes", default="1e4,3e4,1e5,3e5,1e6")
    p.add_argument("--components", type=int, default=300)
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--capped-rows", type=int, default=200_000)
    p.add_argument("--vmem-kb", type=int, default=3_000_000)
    p.add_argument("--shuffle", action="store_true",
                   help="rows in a random order, not grouped by task")
    # --capped-rows 0: no capped run.
    p = sub.add_parser("compare")
    p.add_argument("--data", choices=("school", "landmine"), required=True)
    p.add_argument("--models", default="kernel-task-relation,task-relation,mean-regularized")
    p.add_argument("--splits", type=int, default=10)
    p.add_argument("--train-fraction", type=float, default=None)
    p.add_argument("--cv", type=int, default=3)
    p.add_argument("--seed", type=int, default=0, help="compare's random_state (the splits)")
    p.add_argument("--kernel-grid", choices=("default", "reduced"), default="default",
                   help="reduced: 7 points of the default grid (_reduced_kernel_grid)")
    p = sub.add_parser("_one")
    p.add_argument("spec")
    args = parser.parse_args(argv)
    {"sarcos": cmd_sarcos, "timing": cmd_timing, "scale": cmd_scale, "compare": cmd_compare,
     "_one": cmd_one}[args.command](args)


if __name__ == "__main__":
    main()
