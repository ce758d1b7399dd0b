"""GPU check of the kernel task-relation models (issue 21): ``device="cuda"`` vs the CPU.

Run on the lent GPU machine from the repository root (CuPy needed)::

    PYTHONPATH=. python3 benchmarks/gpu_kernel_check.py

Problems from ``bench_kernel.make_nonlinear_tasks`` (10 tasks, 10 features, per-task
layout): the exact solve at a few thousand rows and Nystroem features
(``n_components=300``) at up to 10^6 rows, ``task_covariance="learn"``, fixed
``alpha = lambda_2 = 1e-4`` and ``gamma`` (no tuning), so both devices solve the same
problem. Prints fit times, the speed-up and the largest prediction difference relative
to the targets' scale on 20,000 fresh rows.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_kernel import make_nonlinear_tasks  # noqa: E402

from mtlclassic import KernelTaskRelationRegressor  # noqa: E402


def _fit(device, X, y, n_components):
    model = KernelTaskRelationRegressor(
        alpha=1e-4, lambda_2=1e-4, gamma=0.05, task_column=-1, device=device,
        n_components=n_components, random_state=0)
    start = time.perf_counter()
    model.fit(X, y)
    if device == "cuda":
        import cupy
        cupy.cuda.Device().synchronize()
    return model, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exact", default="2000,4000,8000")
    parser.add_argument("--nystroem", default="1e5,1e6")
    args = parser.parse_args(argv)
    cases = [(int(float(n)), None) for n in args.exact.split(",") if n]
    cases += [(int(float(n)), 300) for n in args.nystroem.split(",") if n]
    X_test, y_test = make_nonlinear_tasks(20_000, row_seed=1)
    scale = np.abs(y_test).max()
    _fit("cuda", *make_nonlinear_tasks(500), None)  # warm-up: CuPy kernels compile once
    _fit("cpu", *make_nonlinear_tasks(500), None)
    print("| rows | solve | CPU fit (s) | GPU fit (s) | CPU / GPU | max |pred diff| / max |y| |")
    print("|---:|:---|---:|---:|---:|---:|")
    for n, rank in cases:
        X, y = make_nonlinear_tasks(n)
        cpu, t_cpu = _fit("cpu", X, y, rank)
        gpu, t_gpu = _fit("cuda", X, y, rank)
        diff = np.abs(cpu.predict(X_test) - gpu.predict(X_test)).max() / scale
        solve = "exact" if rank is None else f"Nystroem {rank}"
        print(f"| {n:,} | {solve} | {t_cpu:.2f} | {t_gpu:.2f} | {t_cpu / t_gpu:.1f}x "
              f"| {diff:.1e} |", flush=True)


if __name__ == "__main__":
    main()
