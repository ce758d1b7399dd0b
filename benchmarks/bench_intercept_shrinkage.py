"""Issue 20.3: ``intercept_shrinkage`` on School, 20% of each school for training.

Features standardised with the training part's mean and standard deviation (as
``mtlclassic compare`` does, so that the shrinkage acts at the data's centre).

``--timing`` (default): fit time at each ``intercept_shrinkage`` for a few estimators at
fixed strengths, median of ``--repeats``, as a ratio to ``intercept_shrinkage=0`` in the
same run (0 is today's code path: its time is today's).

``--ev``: ``MeanRegularizedRegressor`` with ``lambda_mean`` and ``lambda_l2`` chosen by
3-fold CV (squared error pooled over the validation rows) at each ``intercept_shrinkage``,
and with all three chosen jointly; explained variance pooled over the held-out 80%, per
split and averaged (``--splits``, seed 0).

    MTLCLASSIC_DATA=/work/shared/data PYTHONPATH=. python benchmarks/bench_intercept_shrinkage.py
    MTLCLASSIC_DATA=/work/shared/data PYTHONPATH=. python benchmarks/bench_intercept_shrinkage.py --ev
"""

import argparse
import itertools
import os
import time
import warnings

import numpy as np
from sklearn.metrics import explained_variance_score
from sklearn.model_selection import KFold

import mtlclassic as m
from mtlclassic.datasets import load_school

SHRINKAGE = (0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
LAMBDA_MEAN = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
LAMBDA_L2 = (0.003, 0.01, 0.03, 0.1, 0.3)


def school_split(rng, fraction=0.2):
    """Standardised School and one split: round(fraction n_t) training rows per school."""
    data = load_school(os.environ.get("MTLCLASSIC_DATA", "."))
    X, y = data.X.copy(), data.y
    task = X[:, -1].astype(int)
    train = np.sort(np.concatenate([
        rng.permutation(np.flatnonzero(task == t))[:max(1, round(fraction * np.sum(task == t)))]
        for t in range(data.n_tasks)]))
    test = np.setdiff1d(np.arange(len(y)), train)
    mu, sd = X[train, :-1].mean(axis=0), X[train, :-1].std(axis=0)
    X[:, :-1] = (X[:, :-1] - mu) / np.where(sd > 0, sd, 1.0)
    return X, y, train, test


def timing(repeats):
    X, y, train, _ = school_split(np.random.default_rng(0))
    cases = [(m.MeanRegularizedRegressor, dict(lambda_mean=30.0, lambda_l2=0.03)),
             (m.RidgeRegressor, dict(alpha=0.1)),
             (m.GroupLassoRegressor, dict(alpha=0.1))]
    print(f"load: {os.getloadavg()[0]:.2f}; median of {repeats} fits (ms), ratio to s = 0, "
          "iterations, ConvergenceWarning")
    for cls, params in cases:
        base = None
        for s in (0.0, 0.1, 1.0, 10.0):
            est = cls(task_column=-1, intercept_shrinkage=s, **params)
            times = []
            for _ in range(repeats + 1):  # the first fit compiles / warms the caches
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    start = time.perf_counter()
                    est.fit(X[train], y[train])
                    times.append(time.perf_counter() - start)
            t = float(np.median(times[1:]))
            base = t if s == 0.0 else base
            print(f"{cls.__name__:26s} s={s:<5g} {1e3 * t:8.1f} ms  x{t / base:5.2f}  "
                  f"{est.solver_:11s} {est.n_iter_:5d} it  {'warned' if caught else ''}")


def explained_variance(n_splits):
    rng = np.random.default_rng(0)
    means = []
    for split in range(n_splits):
        X, y, train, test = school_split(rng)
        folds = list(KFold(3, shuffle=True, random_state=split).split(train))
        cv = {}
        for point in itertools.product(SHRINKAGE, LAMBDA_MEAN, LAMBDA_L2):
            s, lm, l2 = point
            err = 0.0
            for a, b in folds:
                est = m.MeanRegularizedRegressor(lambda_mean=lm, lambda_l2=l2,
                                                 intercept_shrinkage=s, task_column=-1,
                                                 unseen_tasks="mean")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    est.fit(X[train[a]], y[train[a]])
                err += float(np.sum((est.predict(X[train[b]]) - y[train[b]]) ** 2))
            cv[point] = err
        row = {}
        for s in SHRINKAGE + ("tuned",):
            best = min((k for k in cv if s == "tuned" or k[0] == s), key=cv.get)
            est = m.MeanRegularizedRegressor(lambda_mean=best[1], lambda_l2=best[2],
                                             intercept_shrinkage=best[0], task_column=-1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(X[train], y[train])
            row[s] = explained_variance_score(y[test], est.predict(X[test]))
            print(f"split {split}  s={s!s:6s} EV {row[s]:.4f}  (s, lambda_mean, lambda_l2) = "
                  f"{best}", flush=True)
        means.append(row)
    print("mean over splits: " + "  ".join(f"s={s}: {np.mean([r[s] for r in means]):.4f}"
                                           for s in means[0]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ev", action="store_true", help="the explained variance study")
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.ev:
        explained_variance(args.splits)
    else:
        timing(args.repeats)


if __name__ == "__main__":
    main()
