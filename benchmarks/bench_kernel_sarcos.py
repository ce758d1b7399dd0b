"""SARCOS through ``mtlclassic.compare``: N training rows per torque, the kernel models vs KernelRidge.

Issue 21's acceptance protocol: the 4,449-row test file in the per-task
layout (the seven torques are the tasks, each with its own copy of the
inputs), ``compare(..., train_size=N)`` drawing ``N`` training rows in each
torque (the rest of that torque's rows are its test rows), features
standardised on the split's training rows, each model tuned by compare's
inner task-stratified CV. Beside compare's own models, the same splits are
scored with scikit-learn's ``KernelRidge(kernel="rbf")`` per torque tuned by
``GridSearchCV`` (5-fold ``KFold(shuffle=True)``, MSE; targets centred on the
torque's training mean), over ``gamma = g0 x {1/32 .. 1}`` (``g0`` the median
heuristic on the training features) and ``alpha in {1e-4 .. 1}``, as
benchmarks/KERNEL_RESULTS.md section 1 does: the "tuned independent
KernelRidge" of the acceptance. Prints one markdown table and writes
``<out>/sarcos_compare_<N>.json``.

Run from the repository root::

    MTLCLASSIC_DATA=/work/shared/data OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \\
        python benchmarks/bench_kernel_sarcos.py --rows 100 --splits 10
"""

import argparse
import json
import os
import time
import warnings

import numpy as np

DATA = os.environ.get("MTLCLASSIC_DATA", "/work/shared/data")
GAMMA_FACTORS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0)
KR_ALPHAS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)


def sklearn_kernel_ridge(dataset, splits, seed=0, cv=5):
    """Per split: nMSE of scikit-learn's KernelRidge per task, tuned by GridSearchCV per task."""
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.model_selection import GridSearchCV, KFold

    from mtlclassic.estimators._grids import median_gamma
    from mtlclassic.metrics import nmse

    out = []
    for k, (train, test) in enumerate(splits):
        t0 = time.perf_counter()
        X = dataset.X
        mu, sd = X[train].mean(axis=0), X[train].std(axis=0)
        Xs = (X - mu) / np.where(sd > 0, sd, 1.0)  # compare's standardisation
        g0 = median_gamma(Xs[train], None)
        task_tr, task_te = dataset.task[train], dataset.task[test]
        pred, chosen = np.empty(test.size), []
        for t in range(dataset.n_tasks):
            rows, rows_te = train[task_tr == t], test[task_te == t]
            y = dataset.y[rows]
            search = GridSearchCV(KernelRidge(kernel="rbf"),
                                  {"gamma": [f * g0 for f in GAMMA_FACTORS], "alpha": KR_ALPHAS},
                                  cv=KFold(cv, shuffle=True, random_state=seed + k),
                                  scoring="neg_mean_squared_error")
            search.fit(Xs[rows], y - y.mean())
            pred[task_te == t] = search.predict(Xs[rows_te]) + y.mean()
            chosen.append([search.best_params_["gamma"] / g0, search.best_params_["alpha"]])
        out.append({"nmse": float(nmse(dataset.y[test], pred, tasks=task_te)),
                    "per_task": nmse(dataset.y[test], pred, tasks=task_te,
                                     average="raw_values").tolist(),
                    "time": time.perf_counter() - t0, "chosen": chosen})
    return out


def with_gamma_factors(names, factors, ratios=None):
    """The named models, the kernel ones with ``kernel_grid(gamma_factors=factors)``.

    ``ratios``: the grid's ``lambda_2_ratios`` (None: the default).
    """
    from dataclasses import replace

    from mtlclassic.compare import REGISTRY
    from mtlclassic.estimators import kernel_grid

    covariance = {"kernel-task-relation": "learn", "kernel-ridge": "independent"}
    extra = {} if ratios is None else {"lambda_2_ratios": ratios}
    return [replace(REGISTRY[n], grid=kernel_grid(task_covariance=covariance[n],
                                                  gamma_factors=factors, **extra))
            if n in covariance else n for n in names.split(",")]


def small_grids(data, args):
    """compare's ``grids``: the default grids' points that SARCOS chooses, and their neighbours."""
    from mtlclassic.compare import as_dataset, splits
    from mtlclassic.estimators._grids import median_gamma

    train = splits(data, n_splits=1, train_size=args.rows, cv=args.cv)[0][0]
    X = as_dataset(data).X[train]
    g0 = median_gamma((X - X.mean(axis=0)) / X.std(axis=0), None)
    gammas = [g0 / 16, g0 / 4]
    fixed = {"kernel": "rbf", "normalize_y": True}
    learn = [dict(fixed, task_covariance="learn", gamma=g, alpha=1e-6, lambda_2=l2)
             for g in gammas for l2 in (1e-6, 1e-5)]
    ridge = [dict(fixed, task_covariance="independent", gamma=g, alpha=a)
             for g in gammas for a in (1e-6, 1e-4, 1e-2)]
    return {name: grid for name, grid in (("kernel-task-relation", learn),
                                           ("kernel-ridge", ridge))
            if name in args.models.split(",")}


def _ms(values):
    values = np.asarray(values, dtype=float)
    sd = values.std(ddof=1) if values.size > 1 else float("nan")
    return f"{values.mean():.4f} +- {sd:.4f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100, help="training rows per torque")
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--cv", type=int, default=3, help="compare's inner folds")
    parser.add_argument("--models", default="kernel-task-relation,kernel-ridge")
    parser.add_argument("--scoring", default=None, help="compare's tuning criterion")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--gamma-factors", default=None, metavar="F,...",
                        help="the kernel models' grid with these multiples of the median "
                        "heuristic (kernel_grid(gamma_factors=...)) instead of the default "
                        "(1/16, 1/4, 1); e.g. 0.0625,0.125,0.25,0.5")
    parser.add_argument("--lambda-ratios", default=None, metavar="R,...",
                        help="with --gamma-factors: kernel_grid(lambda_2_ratios=...) instead of "
                        "the default (0.1, 10, 1000)")
    parser.add_argument("--small-grid", action="store_true",
                        help="a few points around SARCOS's choices instead of the default grids "
                        "(gamma = {1/16, 1/4} x the median heuristic of split 0's training rows; "
                        "the exact solve on 7 x 600 rows makes the default grid take hours)")
    parser.add_argument("--out", default="bench_out")
    args = parser.parse_args(argv)

    from mtlclassic.compare import as_dataset, compare
    from mtlclassic.datasets import load_sarcos

    data = load_sarcos(os.path.join(DATA, "sarcos"), layout="per_task")
    grids = small_grids(data, args) if args.small_grid else None
    models = args.models
    if args.gamma_factors:
        ratios = (None if args.lambda_ratios is None
                  else tuple(float(r) for r in args.lambda_ratios.split(",")))
        models = with_gamma_factors(args.models,
                                    tuple(float(f) for f in args.gamma_factors.split(",")),
                                    ratios)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compare(data, models, n_splits=args.splits, train_size=args.rows,
                         cv=args.cv, random_state=0, scoring=args.scoring, n_jobs=args.n_jobs,
                         grids=grids)
    compare_time = time.perf_counter() - t0
    reference = sklearn_kernel_ridge(as_dataset(data), result.splits)
    kr = np.array([r["nmse"] for r in reference])

    print(f"SARCOS (per-task layout), {args.rows} training rows per torque, {args.splits} "
          f"splits of compare(random_state=0), {args.cv}-fold inner CV"
          f"{', scoring ' + args.scoring if args.scoring else ''}; compare took "
          f"{compare_time:.0f} s\n")
    print("| model | nMSE (mean +- sd) | / sklearn KernelRidge (mean of per-split ratios) | "
          "tuning + fit per split (s) | chosen (per split) |")
    print("|---|---|---|---|---|")
    print(f"| sklearn KernelRidge per torque (GridSearchCV, 5-fold) | {_ms(kr)} | 1.000 | "
          f"{np.mean([r['time'] for r in reference]):.1f} | per torque |")
    records = {"sklearn-kernel-ridge": reference}
    for name, m in result.models.items():
        scores = np.asarray(m.scores["nmse"], dtype=float)
        times = np.asarray(m.tune_time) + np.asarray(m.fit_time)
        print(f"| {name} | {_ms(scores)} | {np.mean(scores / kr):.3f} | "
              f"{np.nanmean(times):.1f} | {'; '.join(map(str, m.labels))} |")
        records[name] = {"nmse": scores.tolist(), "labels": list(map(str, m.labels)),
                         "per_task": np.asarray(m.task_scores["nmse"]).tolist(),
                         "time": times.tolist(), "errors": list(map(str, m.errors))}
    if "kernel-task-relation" in result.models:
        per = np.nanmean(np.asarray(result.models["kernel-task-relation"].task_scores["nmse"]),
                         axis=0)
        print("\nkernel-task-relation per torque (mean over splits):", np.round(per, 4).tolist())
        print("sklearn KernelRidge per torque:",
              np.round(np.mean([r["per_task"] for r in reference], axis=0), 4).tolist())
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"sarcos_compare_{args.rows}.json"), "w") as f:
        json.dump({"rows": args.rows, "splits": args.splits, "cv": args.cv,
                   "scoring": args.scoring, "records": records,
                   "compare_time": compare_time}, f, indent=1)


if __name__ == "__main__":
    main()
