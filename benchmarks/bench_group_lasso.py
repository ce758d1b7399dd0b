"""Benchmark: GroupLassoRegressor vs scikit-learn's MultiTaskLasso at the same duality gap.

Both estimators minimise, in the shared-design layout with intercepts::

    1 / (2 n) ||Y - X W^T - 1 b^T||_F^2 + alpha * sum_j ||W[:, j]||_2

so the same ``alpha`` gives the same problem. Each solver stops on its own
duality gap, in different units:

* ours: ``dual_gap_ <= tol * P0`` with ``P0 = ||Y_c||_F^2 / (2 n)``, the
  objective at ``W = 0`` with the best intercepts (``Y_c``: centered ``Y``);
* scikit-learn (``sklearn/linear_model/_cd_fast.pyx``,
  ``enet_coordinate_descent_multi_task``): the unnormalised objective
  ``1/2 ||R||^2 + n alpha ||W||_21`` is stopped when its gap is
  ``<= tol * ||Y_c||_F^2`` (``Y`` is centered by ``_pre_fit``), i.e. a gap of
  ``tol * ||Y_c||_F^2 / n = 2 tol * P0`` on the objective above (scikit-learn
  divides ``dual_gap_`` by ``n`` before storing it). The gap is only checked
  when the largest coefficient update of an epoch is below ``tol`` relative
  to the largest coefficient.

So a relative gap of ``TARGET`` needs ``tol = TARGET`` for us and
``tol = TARGET / 2`` for scikit-learn. The benchmark does not trust either
solver's report: :func:`relative_gap` recomputes the gap of both solutions
from ``(coef_, intercept_)`` alone (dual point by residual rescaling) and
prints it.

Run ``python benchmarks/bench_group_lasso.py`` (full, about 40 s on 2
cores) or ``--quick`` (small sizes, seconds).
"""

import argparse
import importlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

TARGET_GAP = 1e-6  # relative duality gap both solvers must reach
N_REPEATS = 3

# The compile-time probe run in a fresh interpreter: import, then one tiny fit.
_PROBE = """
import time
t0 = time.perf_counter()
import numpy as np
from mtlclassic import GroupLassoRegressor
t1 = time.perf_counter()
rng = np.random.default_rng(0)
X, Y = rng.standard_normal((20, 5)), rng.standard_normal((20, 2))
GroupLassoRegressor(alpha=0.01).fit(X, Y)
t2 = time.perf_counter()
print(f"{t1 - t0:.6f} {t2 - t1:.6f}")
"""


# ---------------------------------------------------------------------------
# Independent duality gap
# ---------------------------------------------------------------------------


def relative_gap(X, Y, coef, intercept, alpha):
    """Relative duality gap of ``(coef, intercept)`` for the problem above.

    Uses only numpy and the formulas below (no code from either solver)::

        P(W, b)   = 1/(2n) ||R||_F^2 + alpha sum_j ||W[:, j]||_2,  R = Y - X W^T - b
        D(theta)  = <theta, Y> - n/2 ||theta||_F^2
                    s.t. max_j ||X[:, j]^T theta||_2 <= alpha, 1^T theta = 0

    with ``theta = s * (R - mean(R)) / n`` (the residual, centered per task so
    that the intercept constraint holds, rescaled by ``s <= 1`` into the
    feasible set). Returns ``(P - D) / P0`` with ``P0 = ||Y_c||_F^2 / (2n)``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_tasks)
    coef : ndarray of shape (n_tasks, n_features)
    intercept : ndarray of shape (n_tasks,)
    alpha : float

    Returns
    -------
    gap : float
    """
    n = X.shape[0]
    R = Y - X @ coef.T - intercept
    primal = 0.5 / n * np.sum(R * R) + alpha * np.sum(np.linalg.norm(coef, axis=0))
    theta = (R - R.mean(axis=0)) / n
    dual_norm = np.max(np.linalg.norm(X.T @ theta, axis=1))
    if dual_norm > alpha:
        theta *= alpha / dual_norm
    dual = np.sum(theta * Y) - 0.5 * n * np.sum(theta * theta)
    Yc = Y - Y.mean(axis=0)
    null = 0.5 / n * np.sum(Yc * Yc)
    return (primal - dual) / null


# ---------------------------------------------------------------------------
# Solvers under test: name -> factory(alpha, target) returning an estimator
# ---------------------------------------------------------------------------


def _ours(alpha, target):
    from mtlclassic import GroupLassoRegressor

    return GroupLassoRegressor(alpha=alpha, tol=target, max_iter=100_000)


def _sklearn(alpha, target):
    from sklearn.linear_model import MultiTaskLasso

    # Its gap criterion is 2 * tol * P0 in our units (see the module docstring).
    return MultiTaskLasso(alpha=alpha, tol=target / 2.0, max_iter=100_000)


def _optional_peers():
    """Optional peers (celer, skglm) when importable, else a note each.

    Their tolerances are not in our units, so :func:`_calibrated` tightens
    ``tol`` by 10x until the independent gap reaches the target.
    """
    peers, notes = {}, []
    for module, cls in (("celer", "MultiTaskLasso"), ("skglm", "MultiTaskLasso")):
        try:
            est_cls = getattr(importlib.import_module(module), cls)
        except ImportError:
            notes.append(f"{module} not installed: skipped")
            continue
        peers[f"{module}.{cls}"] = _calibrated(est_cls)
    return peers, notes


def _calibrated(est_cls):
    state = {}

    def factory(alpha, target, X=None, Y=None):
        key = (alpha, id(X))
        if key not in state:
            tol = target
            for _ in range(6):
                est = est_cls(alpha=alpha, tol=tol, fit_intercept=True)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    est.fit(X, Y)
                if relative_gap(X, Y, est.coef_, est.intercept_, alpha) <= target:
                    break
                tol /= 10.0
            state[key] = tol
        return est_cls(alpha=alpha, tol=state[key], fit_intercept=True)

    factory.needs_data = True
    return factory


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------


def _time_fits(solvers, alpha, X, Y, repeats):
    """Median wall time of ``repeats`` fresh fits of every solver.

    The solvers take turns (ours, sklearn, ours, ...) so that a busy machine
    slows them alike; one untimed round first loads code and warms caches. Returns ``{name: (median time, last fitted estimator)}``.
    """
    times = {name: [] for name in solvers}
    fitted = {}
    for _ in range(repeats + 1):  # the first round is a warm-up, not timed
        for name, factory in solvers.items():
            if getattr(factory, "needs_data", False):
                est = factory(alpha, TARGET_GAP, X, Y)
            else:
                est = factory(alpha, TARGET_GAP)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t0 = time.perf_counter()
                est.fit(X, Y)
                times[name].append(time.perf_counter() - t0)
            fitted[name] = est
    times = {name: t[1:] for name, t in times.items()}
    return {name: (statistics.median(times[name]), fitted[name]) for name in solvers}


def first_fit_in_process():
    """Time of the first fit in this process (numba cache load, or compile if no cache)."""
    from mtlclassic import GroupLassoRegressor

    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((20, 5)), rng.standard_normal((20, 2))
    t0 = time.perf_counter()
    GroupLassoRegressor(alpha=0.01).fit(X, Y)
    return time.perf_counter() - t0


def compile_times():
    """(import, first fit) in fresh interpreters: cold (empty numba cache), then cached.

    ``NUMBA_CACHE_DIR`` points at a new temporary directory, so the cold run
    really compiles and the repository's own cache is left untouched.
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    results = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache,
                   PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        for label in ("cold", "cached"):
            out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                                 text=True, check=True, timeout=600)
            imp, fit = map(float, out.stdout.split()[-2:])
            results[label] = (imp, fit)
    return results


def problems(quick):
    """(label, kwargs of make_multitask_regression, alpha fractions)."""
    common = dict(n_shared=20, snr=3.0, correlation=0.5, random_state=0)
    if quick:
        return [
            ("A n=100 p=500 T=5", dict(n_samples=100, n_features=500, n_tasks=5, **common),
             (10, 100)),
            ("B n=400 p=100 T=5", dict(n_samples=400, n_features=100, n_tasks=5, **common),
             (20,)),
        ]
    return [
        ("A n=300 p=5000 T=20", dict(n_samples=300, n_features=5000, n_tasks=20, **common),
         (10, 100)),
        ("B n=2000 p=500 T=10", dict(n_samples=2000, n_features=500, n_tasks=10, **common),
         (20,)),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small problems (smoke run)")
    parser.add_argument("--repeats", type=int, default=N_REPEATS, help="fits per solver (median)")
    parser.add_argument("--no-compile", action="store_true",
                        help="skip the fresh-interpreter compile-time measurement")
    args = parser.parse_args(argv)

    first = first_fit_in_process()  # must come before any other fit in this process
    from sklearn import __version__ as skl_version

    from mtlclassic import __version__, alpha_max
    from mtlclassic.datasets import make_multitask_regression

    print(f"mtlclassic {__version__}, scikit-learn {skl_version}, numpy {np.__version__}, "
          f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{time.strftime('%Y-%m-%d')}")
    print(f"target relative duality gap {TARGET_GAP:g} (ours tol={TARGET_GAP:g}, "
          f"sklearn tol={TARGET_GAP / 2:g}); median of {args.repeats} fits; fit_intercept=True")
    print(f"first fit in this process (tiny problem, numba cache load or compile): {first:.3f} s")
    if not args.no_compile:
        ct = compile_times()
        print(f"fresh interpreter, empty numba cache: import {ct['cold'][0]:.2f} s, "
              f"first fit (compile) {ct['cold'][1]:.2f} s")
        print(f"fresh interpreter, cache present:     import {ct['cached'][0]:.2f} s, "
              f"first fit (cache load) {ct['cached'][1]:.2f} s")

    solvers = {"mtlclassic": _ours, "sklearn.MultiTaskLasso": _sklearn}
    peers, notes = _optional_peers()
    solvers.update(peers)
    for note in notes:
        print(f"note: {note}")

    header = (f"{'problem':<22} {'alpha':<9} {'solver':<24} {'time (s)':>9} {'rel. gap':>9} "
              f"{'own gap':>9} {'support':>7} {'n_iter':>6} {'time/ours':>9}")
    print()
    print(header)
    print("-" * len(header))
    slower = []
    for label, kwargs, fractions in problems(args.quick):
        X, Y, _ = make_multitask_regression(**kwargs)
        amax = alpha_max(X, Y)
        Yc = Y - Y.mean(axis=0)
        null = 0.5 / X.shape[0] * np.sum(Yc * Yc)  # P0: objective at W = 0
        for frac in fractions:
            alpha = amax / frac
            rows = {}
            for name, (t, est) in _time_fits(solvers, alpha, X, Y, args.repeats).items():
                gap = relative_gap(X, Y, est.coef_, est.intercept_, alpha)
                support = int(np.sum(np.linalg.norm(est.coef_, axis=0) > 0))
                n_iter = int(np.max(getattr(est, "n_iter_", -1)))
                # The solver's own report, in our units (both store the gap of
                # the 1/(2n)-normalised objective).
                own = float(np.max(getattr(est, "dual_gap_", np.nan))) / null
                rows[name] = (t, gap, own, support, n_iter)
            ours_t = rows["mtlclassic"][0]
            for name, (t, gap, own, support, n_iter) in rows.items():
                ratio = f"{t / ours_t:9.2f}" if name != "mtlclassic" else f"{'':9}"
                flag = "" if gap <= TARGET_GAP else " (gap above target)"
                print(f"{label:<22} {'amax/' + str(frac):<9} {name:<24} {t:9.3f} {gap:9.1e} "
                      f"{own:9.1e} {support:7d} {n_iter:6d} {ratio}{flag}")
            if rows["sklearn.MultiTaskLasso"][0] < ours_t:
                slower.append((label, frac, ours_t, rows["sklearn.MultiTaskLasso"][0]))
    print()
    print("rel. gap: recomputed by this script from (coef_, intercept_), relative to P0; "
          "own gap: the solver's dual_gap_ / P0; time/ours: median time over ours "
          "(> 1: ours is faster)")
    for label, frac, ours_t, skl_t in slower:
        print(f"ours is SLOWER than sklearn on {label}, alpha=amax/{frac}: "
              f"{ours_t:.3f} s vs {skl_t:.3f} s ({ours_t / skl_t:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
