"""Issue 18's acceptance figures: the reproducers' outcomes and the worst scale-equivariance error.

Run from the repository root::

    python benchmarks/report_robustness.py            # both parts (reproducers: 4 min on 2 cores)
    python benchmarks/report_robustness.py --part reproducers
    python benchmarks/report_robustness.py --part scales

``reproducers`` runs every reproducer of the issue (its data: ``rng =
default_rng(0); X (40, 5); Y = X @ B; Yc = (Y > 0) * 1.``) and prints one
markdown row each: finite (with the ConvergenceWarnings seen), or the error
raised. ``scales`` fits every linear single-solve estimator of
``tests/test_scale_equivariance.py`` (both losses, shared and stacked layouts,
dense and sparse X) at ``c`` from 1e-100 to 1e100 and task weights times ``k``
from 1e-200 to 1e200, with the penalty mapped by the rules of that file, and
prints the worst relative ``coef_`` difference from the unit-scale fit.
"""

import argparse
import pathlib
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

import mtlclassic as m
from mtlclassic import neural

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5))
    Y = X @ rng.normal(size=(5, 3))
    return X, Y, (Y > 0) * 1.0


def _reproducers():
    X, Y, Yc = _data()
    Y2 = Y.copy()
    Y2[1:, 2] = np.nan
    nn = dict(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    yield from (
        (f"{name}().fit(X * 1e150, Yc)", lambda n=name: getattr(m, n)().fit(X * 1e150, Yc))
        for name in ("GroupLassoClassifier", "LassoClassifier", "L1InfClassifier",
                     "SparseGroupLassoClassifier", "DirtyModelClassifier",
                     "RobustMTFLClassifier", "GraphRegularizedClassifier",
                     "DirtyModelClassifierCV", "RidgeClassifier", "PooledClassifier"))
    yield from (
        (f"{name}().fit(X * 1e100, Y)", lambda n=name: getattr(m, n)().fit(X * 1e100, Y))
        for name in ("DirtyModelRegressor", "RobustMTFLRegressor", "MeanRegularizedRegressor",
                     "GraphRegularizedRegressor", "DirtyModelRegressorCV",
                     "RobustMTFLRegressorCV", "TraceNormRegressor", "TaskRelationRegressor",
                     "ClusteredTaskRegressor", "SparseTaskGraphRegressor"))
    yield from (
        (f"{name}(task_weights=[1, 1e300, 1]).fit(X, Y)",
         lambda n=name: getattr(m, n)(task_weights=[1, 1e300, 1]).fit(X, Y))
        for name in ("DirtyModelRegressor", "RobustMTFLRegressor", "MeanRegularizedRegressor",
                     "GraphRegularizedRegressor", "DirtyModelRegressorCV",
                     "TraceNormRegressor", "GroupLassoRegressorCV", "L1InfRegressorCV",
                     "LassoRegressorCV", "SparseGroupLassoRegressorCV", "RobustMTFLRegressorCV"))
    yield ("SoftSharingMLPRegressor(hidden=(8,), max_iter=30).fit(X * 1e20, Y)",
           lambda: neural.SoftSharingMLPRegressor(**nn).fit(X * 1e20, Y))
    yield ("HardSharingMLPRegressor(alpha=1e100, ...).fit(X, Y)",
           lambda: neural.HardSharingMLPRegressor(alpha=1e100, **nn).fit(X, Y))
    yield ("SparseGroupLassoRegressor(alpha=0.05).fit(X * 1e80, Y * 1e80)",
           lambda: m.SparseGroupLassoRegressor(alpha=0.05).fit(X * 1e80, Y * 1e80))
    yield ("L1InfRegressor(alpha=1e-20).fit(X, Y)",
           lambda: m.L1InfRegressor(alpha=1e-20).fit(X, Y))
    yield ("ClusteredTaskClassifier(task_weights=[1, 1e300, 1]).fit(X, Yc)",
           lambda: m.ClusteredTaskClassifier(task_weights=[1, 1e300, 1]).fit(X, Yc))
    yield ("SparseGroupLassoRegressor(alpha=0.05, task_weights=[1, 1e200, 1]).fit(X, Y)",
           lambda: m.SparseGroupLassoRegressor(alpha=0.05, task_weights=[1, 1e200, 1]).fit(X, Y))
    yield ("GroupLassoClassifierCV(cv=2).fit(X * 1e150, Yc)",
           lambda: m.GroupLassoClassifierCV(cv=2).fit(X * 1e150, Yc))
    yield ("L1InfClassifierCV(cv=2).fit(X * 1e150, Yc)",
           lambda: m.L1InfClassifierCV(cv=2).fit(X * 1e150, Yc))
    yield ("SparseTaskGraphClassifier(task_weights=[1, 1e300, 1]).fit(X, Yc)",
           lambda: m.SparseTaskGraphClassifier(task_weights=[1, 1e300, 1]).fit(X, Yc))
    yield ("TaskRelationClassifier(task_weights=[1, 1e300, 1]).fit(X, Yc)",
           lambda: m.TaskRelationClassifier(task_weights=[1, 1e300, 1]).fit(X, Yc))
    yield ("GroupLassoRegressorCV(cv=2).fit(X, Y2)  (task 2 observed once)",
           lambda: m.GroupLassoRegressorCV(cv=2).fit(X, Y2))
    yield ("GroupLassoRegressorCV().fit(X, Y, sample_weight=w)",
           lambda: m.GroupLassoRegressorCV().fit(X, Y, sample_weight=np.linspace(0.5, 2, 40)))
    yield ("ClusteredTaskRegressor(lambda_cluster=1e-20, lambda_l2=0.1, lambda_mean=1e-20)",
           lambda: m.ClusteredTaskRegressor(lambda_cluster=1e-20, lambda_mean=1e-20).fit(X, Y))
    yield ("MeanRegularizedRegressor(lambda_mean=1e100).fit(X, Y)",
           lambda: m.MeanRegularizedRegressor(lambda_mean=1e100).fit(X, Y))
    yield ("TaskRelationRegressor(lambda_1=1e-20, lambda_2=1e-20).fit(X, Y)",
           lambda: m.TaskRelationRegressor(lambda_1=1e-20, lambda_2=1e-20).fit(X, Y))
    yield ("GroupLassoRegressor(task_weights=[1, 1e30, 1]).fit(float32 X, Y)",
           lambda: m.GroupLassoRegressor(task_weights=[1, 1e30, 1]).fit(
               X.astype(np.float32), Y.astype(np.float32)))
    yield ("GroupLassoRegressor().fit(X, Y * 1e300).score(X, Y * 1e300)",
           lambda: m.GroupLassoRegressor().fit(X, Y * 1e300))


def _finite(est):
    arrays = [v for k, v in vars(est).items() if k.endswith("_") and not k.startswith("_")
              and isinstance(v, (np.ndarray, float, np.floating))]
    return all(np.all(np.isfinite(np.asarray(a, dtype=float))) for a in arrays
               if np.asarray(a).dtype.kind in "fc")


def reproducers():
    print("| reproducer | outcome |\n|---|---|")
    bad = 0
    for label, run in _reproducers():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                est = run()
            except (ValueError, TypeError) as exc:
                outcome = f"clear error: {type(exc).__name__}: {str(exc)[:110]}"
            else:
                ok = _finite(est)
                bad += not ok
                conv = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
                nan = [w for w in conv if "nan" in str(w.message) or "inf" in str(w.message)]
                bad += bool(nan)
                outcome = ("finite" if ok else "NON-FINITE") + (
                    f"; ConvergenceWarning ({len(conv)})" if conv else "")
                if hasattr(est, "score"):
                    Xs, Ys = _score_data(label)
                    if Xs is not None:
                        outcome += f"; score {est.score(Xs, Ys):.4g}"
        print(f"| `{label}` | {outcome} |")
    print(f"\n{bad} outcome(s) outside 'finite' and 'clear error'.")


def _score_data(label):
    X, Y, Yc = _data()
    if "score(X, Y * 1e300)" in label:
        return X, Y * 1e300
    return None, None


def scales():
    sys.path.insert(0, str(ROOT / "tests"))
    import test_scale_equivariance as t

    worst = (0.0, None)
    start = time.perf_counter()
    n = 0
    for family, loss in t.CASES:
        for layout in ("shared", "stacked"):
            for fmt in ("dense", "sparse"):
                for c in (1e-100, 1e-60, 1e-30, 1e-6, 1e6, 1e30, 1e60, 1e100):
                    dc, _ = t.check_scale(family, loss, layout, fmt, np.float64, c=c)
                    n += 1
                    worst = max(worst, (dc, (family, loss, layout, fmt, f"c={c:g}")))
        for k in (1e-200, 1e-50, 1e50, 1e200):
            dc, _ = t.check_scale(family, loss, "shared", "dense", np.float64, k=k)
            n += 1
            worst = max(worst, (dc, (family, loss, "shared", "dense", f"k={k:g}")))
    print(f"{n} fits over {len(t.CASES)} estimators, c in 1e-100..1e100, k in 1e-200..1e200: "
          f"worst relative coef_ difference {worst[0]:.2e} at {worst[1]} "
          f"({time.perf_counter() - start:.0f} s)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["reproducers", "scales", "all"], default="all")
    args = parser.parse_args(argv)
    if args.part in ("reproducers", "all"):
        reproducers()
    if args.part in ("scales", "all"):
        scales()


if __name__ == "__main__":
    main()
