"""SARCOS: the multi-task GP (``task_covariance="evidence"``) fitted directly, on compare's splits.

For row counts above ``KERNEL_EXACT_ROWS`` (600 rows per torque: 4,200 training rows), where
``compare`` uses the penalised grid on Nystroem features, this fits the evidence point that
``compare`` uses up to that size: ``KernelTaskRelationRegressor(task_covariance="evidence",
kernel=..., gamma=<median heuristic>, normalize_y=True, max_iter=1000)`` on the split's
standardised training rows, and scores it beside scikit-learn's ``KernelRidge`` per torque tuned
as in ``bench_kernel_sarcos.py`` (the same splits: ``compare.splits(..., n_splits=10,
train_size=N, random_state=0, cv=3)``). One line per split.

Run from the repository root::

    PYTHONPATH=$PWD MTLCLASSIC_DATA=/work/shared/data OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \\
        python benchmarks/bench_kernel_evidence_sarcos.py --rows 600 --splits 0,1
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np

DATA = os.environ.get("MTLCLASSIC_DATA", "/work/shared/data")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=600, help="training rows per torque")
    parser.add_argument("--splits", default="0", help="indices of compare's 10 splits, e.g. 0,1")
    parser.add_argument("--kernel", default="matern32")
    parser.add_argument("--ard", action="store_true", help="one gamma per feature")
    parser.add_argument("--no-reference", action="store_true", help="skip the KernelRidge")
    args = parser.parse_args(argv)

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_kernel_sarcos import sklearn_kernel_ridge

    from mtlclassic import KernelTaskRelationRegressor
    from mtlclassic.compare import as_dataset, splits
    from mtlclassic.datasets import load_sarcos
    from mtlclassic.estimators._grids import EVIDENCE_MAX_ITER, median_gamma
    from mtlclassic.metrics import nmse

    data = as_dataset(load_sarcos(os.path.join(DATA, "sarcos"), layout="per_task"))
    outer = splits(data, n_splits=10, train_size=args.rows, random_state=0, cv=3)
    print("| split | evidence nMSE | KernelRidge nMSE | ratio | learned gamma / median | "
          "L-BFGS-B iterations | fit (s) |")
    print("|---|---|---|---|---|---|---|")
    for k in (int(s) for s in args.splits.split(",")):
        train, test = outer[k]
        mu, sd = data.X[train].mean(axis=0), data.X[train].std(axis=0)
        Xs = (data.X - mu) / np.where(sd > 0, sd, 1.0)  # compare's standardisation
        X = np.column_stack([Xs, data.task])
        g0 = median_gamma(Xs[train], None)
        gamma = np.full(Xs.shape[1], g0) if args.ard else g0
        est = KernelTaskRelationRegressor(task_covariance="evidence", kernel=args.kernel,
                                          gamma=gamma, normalize_y=True, task_column=-1,
                                          max_iter=EVIDENCE_MAX_ITER)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X[train], data.y[train])
        seconds = time.perf_counter() - t0
        score = nmse(data.y[test], est.predict(X[test]), tasks=data.task[test])
        ref = (float("nan") if args.no_reference
               else sklearn_kernel_ridge(data, [outer[k]])[0]["nmse"])
        print(f"| {k} | {score:.4f} | {ref:.4f} | {score / ref:.3f} | "
              f"{np.mean(est.gamma_) / g0:.3g} | {est.n_iter_} | {seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
