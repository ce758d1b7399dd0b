"""Probes of what might lift the kernel model on SARCOS (100 rows per torque), one split.

Each probe prints the test nMSE of a few fixed settings on split ``--seed`` of
``bench_kernel.py sarcos``'s protocol (each torque's own 100 rows, features
standardised on the 700 training rows, targets standardised per torque): an
oracle view (settings compared on the test rows), not a tuned result. Used
by benchmarks/KERNEL_RESULTS.md section 1 ("Headroom of the model").

``ard``    length scales from a GP's marginal likelihood (scikit-learn
           ``ConstantKernel * RBF(21 length scales) + WhiteKernel``): per torque
           (each torque's own GP), and shared by the torques (one GP on the
           stacked rows, a block-diagonal task kernel), then the learned-
           covariance model with ``gamma_j = 1 / (2 l_j^2)`` (per-feature gamma).
``noise``  task weights ``1 / sigma_t^2`` (or their square root) from each
           torque's GP noise level, isotropic rbf.
``linear`` the kernel ``RBF + c x.x'`` (a scikit-learn kernel object) for the
           learned-covariance model.

Run from the repository root::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/sarcos_kernel_probes.py ard
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_kernel import DATA, sarcos_split  # noqa: E402


def _setup(seed):
    from mtlclassic.datasets import load_sarcos
    from mtlclassic.estimators._grids import median_gamma

    X, Y = load_sarcos(os.path.join(DATA, "sarcos"), layout="shared", return_X_y=True)
    Xs, train, test, (Xtr, ytr), (Xte, yte) = sarcos_split(X, Y, 100, seed)
    task, task_te = Xtr[:, -1].astype(int), Xte[:, -1].astype(int)
    mu = np.array([ytr[task == t].mean() for t in range(7)])
    sd = np.array([ytr[task == t].std() for t in range(7)])
    return dict(Xs=Xs, Y=Y, train=train, test=test, Xtr=Xtr, Xte=Xte, yte=yte, task=task,
                task_te=task_te, mu=mu, sd=sd, ys=(ytr - mu[task]) / sd[task],
                g0=median_gamma(Xtr, -1))


def _learned(d, label, points, Xtr=None, Xte=None, **params):
    """Test nMSE of the learned-covariance model at each ``(alpha, lambda_2)``."""
    from mtlclassic import KernelTaskRelationRegressor
    from mtlclassic.metrics import nmse

    Xtr = d["Xtr"] if Xtr is None else Xtr
    Xte = d["Xte"] if Xte is None else Xte
    for alpha, lambda_2 in points:
        model = KernelTaskRelationRegressor(task_column=-1, alpha=alpha, lambda_2=lambda_2,
                                            **params).fit(Xtr, d["ys"])
        pred = model.predict(Xte) * d["sd"][d["task_te"]] + d["mu"][d["task_te"]]
        print(f"{label}, alpha={alpha:g}, lambda_2={lambda_2:g}: "
              f"{nmse(d['yte'], pred, tasks=d['task_te']):.4f}", flush=True)


def _gp(X, y, kernel):
    from sklearn.gaussian_process import GaussianProcessRegressor
    return GaussianProcessRegressor(kernel, normalize_y=True, random_state=0).fit(X, y)


def probe_ard(d):
    from sklearn.gaussian_process.kernels import RBF, WhiteKernel
    from sklearn.gaussian_process.kernels import ConstantKernel as C

    from mtlclassic.metrics import nmse

    t0, pred = time.perf_counter(), np.empty_like(d["yte"])
    for t in range(7):
        k = C(1.0) * RBF(np.full(21, 3.0), (1e-2, 1e3)) + WhiteKernel(1e-2, (1e-6, 1))
        gp = _gp(d["Xs"][d["train"][t]], d["Y"][d["train"][t], t], k)
        pred[d["task_te"] == t] = gp.predict(d["Xs"][d["test"][t]])
    print(f"per-torque ARD GP: {nmse(d['yte'], pred, tasks=d['task_te']):.4f} "
          f"({time.perf_counter() - t0:.0f} s)")
    # One GP on the stacked rows: the task code as a 22nd input with a fixed tiny length
    # scale makes the kernel block-diagonal over the torques (independent tasks, shared
    # length scales).
    bounds = [(1e-2, 1e3)] * 21 + [(1e-3, 1e-3)]
    k = C(1.0) * RBF(np.r_[np.full(21, 3.0), 1e-3], bounds) + WhiteKernel(1e-2, (1e-6, 1))
    from sklearn.gaussian_process import GaussianProcessRegressor
    gp = GaussianProcessRegressor(k, random_state=0).fit(d["Xtr"], d["ys"])
    scale = gp.kernel_.k1.k2.length_scale[:21]
    pred = gp.predict(d["Xte"]) * d["sd"][d["task_te"]] + d["mu"][d["task_te"]]
    print(f"shared-ARD GP (independent torques): {nmse(d['yte'], pred, tasks=d['task_te']):.4f}; "
          f"length scales {np.round(scale, 2).tolist()}")
    gamma = 1 / (2 * scale ** 2)
    for f in (0.5, 1.0, 2.0):
        _learned(d, f"learned, shared ARD gamma x {f}", [(1e-7, 1e-6), (1e-7, 1e-5),
                                                          (1e-7, 1e-4)], gamma=f * gamma)


def probe_noise(d):
    from sklearn.gaussian_process.kernels import RBF, WhiteKernel
    from sklearn.gaussian_process.kernels import ConstantKernel as C

    noise = np.array([_gp(d["Xs"][d["train"][t]], d["Y"][d["train"][t], t],
                          C(1.0) * RBF(3.0, (1e-2, 1e3)) + WhiteKernel(1e-2, (1e-5, 1))
                          ).kernel_.k2.noise_level for t in range(7)])
    print("GP noise levels (standardised targets):", np.round(noise, 5).tolist())
    ratio = np.exp(np.mean(np.log(noise))) / noise
    for name, w in (("none", None), ("1/sigma^2", np.clip(ratio, 0.1, 10)),
                    ("1/sigma", np.sqrt(np.clip(ratio, 0.01, 100)))):
        for f in (1 / 8, 1 / 4):
            _learned(d, f"task weights {name}, gamma {f:g} x median",
                     [(1e-7, 3e-6), (1e-7, 1e-5), (1e-7, 3e-5)], gamma=f * d["g0"],
                     task_weights=w)


def probe_linear(d):
    from sklearn.gaussian_process.kernels import RBF, DotProduct
    from sklearn.gaussian_process.kernels import ConstantKernel as C

    for c in (0.0, 0.01, 0.03, 0.1, 0.3):
        for f in (1 / 8, 1 / 4):
            length = np.sqrt(1 / (2 * f * d["g0"]))
            kernel = RBF(length) + C(c) * DotProduct(0.0) if c else RBF(length)
            _learned(d, f"rbf (gamma {f:g} x median) + {c} x.x'",
                     [(1e-7, 1e-6), (1e-7, 1e-5), (1e-7, 1e-4)], kernel=kernel)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("probe", choices=("ard", "noise", "linear"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    {"ard": probe_ard, "noise": probe_noise, "linear": probe_linear}[args.probe](
        _setup(args.seed))


if __name__ == "__main__":
    main()
