"""Benchmark: the logistic models' prox-Newton solver against liblinear, celer and cvxpy (issue 17).

Every solver in a section minimises the same objective; each solution's
objective is recomputed here from ``(coef_, intercept_)`` and compared to the
best one (``rel``: relative difference, which must be <= 1e-6). The
objectives:

* ``lasso``: ``sum_t mean_i log(1 + exp(-y_ti x_ti^T w_t)) + alpha ||W||_1``
  without intercepts (shared design): the tasks are independent, so
  scikit-learn's ``LogisticRegression(penalty="l1", solver="liblinear",
  C=1 / (n alpha), fit_intercept=False)`` and celer's
  ``LogisticRegression(C=1 / (n alpha), fit_intercept=False)`` solve it one
  task at a time (liblinear's and celer's objective is ``||w||_1 + C sum_i
  log(1 + exp(-y_i x_i^T w))``, i.e. ``n`` times task t's part).
* ``group``: ``sum_t mean_i log(...) + alpha sum_j ||W[j]||_2`` with
  intercepts (GroupLassoClassifier); no peer solves it except cvxpy.

Sections (``--only``):

* ``table``: n=300, p=2000, T=10 (``make_multitask_classification(...,
  n_shared=20, correlation=0.5, random_state=0)``), the issue's table;
* ``A``: problem A as classification (n=300, p=5000, T=20, the same
  generator, as ``bench_solvers.py``'s problem A);
* ``groupA``: GroupLassoClassifier on A, prox-Newton vs its FISTA inner;
* ``real``: GroupLassoClassifier on School as binary (above/below each
  school's median score) and Landmine, vs cvxpy CLARABEL;
* ``cv``: GroupLassoClassifierCV on Landmine (20 alphas, 5 folds), before
  (``solver="working_set"``, FISTA inner: the former default) and after.

Timings are the median of ``--repeats`` fits after one untimed warm-up fit
(numba compilation is cached on disk, but loading it costs once per
process), the solvers of a problem taking turns inside each repeat (the same
load for all); the slow references (our FISTA inner solver, cvxpy, the CV
estimators) are timed once, after the prox-Newton fits have loaded the code
(``groupA``: FISTA gets the same warm-up and repeats as prox-Newton). Set ``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1``
on a shared machine; the load (``uptime``) is printed. Run::

    MTLCLASSIC_DATA=/work/shared/data python benchmarks/bench_logistic.py
"""

import argparse
import os
import platform
import statistics
import subprocess
import time
import warnings

import numpy as np

TOL_OURS = 1e-8  # relative duality gap: objectives then agree with the best to ~1e-7
TOL_PEERS = 1e-8
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
BEGIN, END = "<!-- begin bench_logistic.py -->", "<!-- end bench_logistic.py -->"

LINES = []  # everything printed, for RESULTS.md
TARGETS = []  # (target, measured, wanted, met)


def say(line=""):
    print(line, flush=True)
    LINES.append(line)


def target(name, measured, wanted, met):
    TARGETS.append((name, measured, wanted, met))


def _load():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _time(fn, repeats):
    """Median time of ``fn()`` over ``repeats`` runs after one warm-up; and the last result.

    ``repeats=0``: one run, timed (no warm-up: for the slow references).
    """
    if repeats == 0:
        start = time.perf_counter()
        out = fn()
        return time.perf_counter() - start, out
    out = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def _time_cpu(fn, repeats):
    """As :func:`_time`, also the median CPU time of the process (``time.process_time``).

    On a shared machine the wall time of a long single fit (cvxpy) grows with the load
    much more than that of short ones: CPU time, counted over all threads, is the steadier
    measure of work.
    """
    runs = 1 if repeats == 0 else repeats
    if repeats > 0:
        fn()  # warm-up
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), out


def _take_turns(solvers, repeats, cpu=None):
    """``{name: (median time, last result)}``: the solvers take turns inside each repeat.

    On a shared machine the load changes during a run; taking turns exposes every
    solver to the same load (as ``bench_solvers.py`` does). One untimed warm-up round
    first; a solver whose name says "1 run" is timed once, in the first round
    (without warm-up).
    ``cpu``: a dict that gets each solver's median CPU time of the process.
    """
    out, times = {}, {name: [] for name, _ in solvers}
    cpus = {name: [] for name, _ in solvers}
    for name, fit in solvers:
        if "1 run" not in name:
            out[name] = fit()
    for k in range(repeats):
        for name, fit in solvers:
            if "1 run" in name and k > 0:
                continue
            start, start_cpu = time.perf_counter(), time.process_time()
            out[name] = fit()
            times[name].append(time.perf_counter() - start)
            cpus[name].append(time.process_time() - start_cpu)
    if cpu is not None:
        cpu.update({name: statistics.median(cpus[name]) for name, _ in solvers})
    return {name: (statistics.median(times[name]), out[name]) for name, _ in solvers}


def _logistic_loss(X, Y, W, b):
    """``sum_t mean_i log(1 + exp(-y_ti z_ti))`` (shared design, Y in {-1, 1})."""
    Z = X @ W + b
    return float(np.sum(np.mean(np.logaddexp(0.0, -Y * Z), axis=0)))


def _classification(n, p, T):
    from mtlclassic.datasets import make_multitask_classification

    X, Y, *_ = make_multitask_classification(n_samples=n, n_features=p, n_tasks=T,
                                             n_shared=20, correlation=0.5, random_state=0)
    Y = np.where(np.asarray(Y) > 0, 1.0, -1.0)
    return X, Y


def _lasso_alpha_max(X, Y):
    """Smallest alpha with W = 0 optimal, no intercept: ``max |X^T y| / (2 n)``."""
    return float(np.max(np.abs(X.T @ Y))) / (2 * X.shape[0])


def _print_rows(rows, where, check=True):
    """Print the rows; with ``check``, every objective within 1e-6 of the best is a target."""
    best = min(r[2] for r in rows)
    base = rows[0][1]
    worst = 0.0
    for name, t, obj in rows:
        rel = (obj - best) / abs(best)
        worst = max(worst, rel)
        say(f"    {name:<40s} {t:9.3f} s   objective {obj:.10f}   rel {rel:+.1e}   "
            f"time / ours {t / base:6.2f}")
    if check:
        target(f"{where}: every objective within 1e-6 of the best", f"{worst:.1e}",
               "<= 1e-6", worst <= 1e-6)
    return best


def bench_lasso(label, X, Y, repeats, defaults=False):
    """LassoClassifier (prox-Newton, FISTA inner) vs liblinear and celer per task."""
    from celer import LogisticRegression as CelerLR
    from sklearn.linear_model import LogisticRegression

    from mtlclassic import LassoClassifier

    n, T = X.shape[0], Y.shape[1]
    amax = _lasso_alpha_max(X, Y)
    for div in (10, 100):
        alpha = amax / div
        say(f"- {label}, alpha_max/{div}")

        def ours(solver, tol=TOL_OURS):
            est = LassoClassifier(alpha=alpha, fit_intercept=False, tol=tol, max_iter=100_000,
                                  solver=solver)
            return lambda: est.fit(X, Y).coef_.T

        def per_task(make):
            def fit():
                W = np.empty((X.shape[1], T))
                for t in range(T):
                    W[:, t] = make().fit(X, Y[:, t]).coef_.ravel()
                return W
            return fit

        C = 1.0 / (n * alpha)
        solvers = [
            ("ours prox_newton", ours("prox_newton")),
            ("ours working_set (FISTA inner, 1 run)", ours("working_set")),
            ("liblinear per task", per_task(lambda: LogisticRegression(
                penalty="l1", solver="liblinear", C=C, fit_intercept=False, tol=TOL_PEERS,
                max_iter=100_000))),
            ("celer per task", per_task(lambda: CelerLR(C=C, fit_intercept=False,
                                                        tol=TOL_PEERS, max_iter=1000))),
        ]
        if defaults:  # each at its own default tolerance
            solvers += [
                ("ours prox_newton, tol=1e-4 (default)", ours("prox_newton", 1e-4)),
                ("liblinear per task, default tol", per_task(lambda: LogisticRegression(
                    penalty="l1", solver="liblinear", C=C, fit_intercept=False))),
                ("celer per task, default tol", per_task(lambda: CelerLR(
                    C=C, fit_intercept=False))),
            ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            timed = _take_turns(solvers, repeats)
        rows = [(name, t, _logistic_loss(X, Y, W, 0.0) + alpha * np.abs(W).sum())
                for name, (t, W) in timed.items()]
        _print_rows(rows[:4], f"{label}, alpha_max/{div}")
        if defaults:  # each at its default tol: no common accuracy (rel: to the best here)
            say("    at their default tolerances (1e-4 each; not the same accuracy):")
            _print_rows(rows[4:], f"{label}, alpha_max/{div}, default tolerances", check=False)
        ratio = rows[0][1] / min(r[1] for r in rows[2:4])
        say(f"    ratio ours / best of liblinear and celer (tol 1e-8 all): {ratio:.2f}")
        target(f"{label}, alpha_max/{div}: LassoClassifier / best of liblinear and celer",
               f"{ratio:.2f}", "<= 0.5", ratio <= 0.5)


def bench_group_fista(X, Y, repeats):
    """GroupLassoClassifier on A: prox-Newton vs the FISTA inner solver.

    Both get the same untimed warm-up fit (the first fit of a process loads the
    compiled code and warms the caches: FISTA's first fit took 1.4 s of CPU
    against 1.0 s for the next ones), then they take turns, ``repeats`` fits
    each (the median): a single FISTA fit on a loaded machine varied by 2x
    between runs. The CPU time of the process is printed too.
    """
    from mtlclassic import GroupLassoClassifier, alpha_max

    amax = alpha_max(X, Y, penalty="l21", loss="logistic")
    for div in (10, 100):
        alpha = amax / div
        say(f"- GroupLassoClassifier on A, alpha_max/{div} (intercepts; one warm-up fit, then "
            f"the median of {repeats} fits each, taking turns)")
        ests = {solver: GroupLassoClassifier(alpha=alpha, tol=TOL_OURS, max_iter=100_000,
                                             solver=solver)
                for solver in ("prox_newton", "working_set")}
        cpu = {}
        timed = _take_turns([("prox_newton", lambda: ests["prox_newton"].fit(X, Y)),
                             ("working_set", lambda: ests["working_set"].fit(X, Y))],
                            repeats, cpu=cpu)
        rows = []
        for (name, (t, est)), solver in zip(timed.items(), ("prox_newton", "working_set")):
            W = est.coef_.T
            obj = (_logistic_loss(X, Y, W, est.intercept_)
                   + alpha * np.linalg.norm(W, axis=1).sum())
            rows.append((f"ours {solver} ({est.n_iter_} iterations)", t, obj))
        _print_rows(rows, f"GroupLassoClassifier on A, alpha_max/{div}")
        speedup = rows[1][1] / rows[0][1]
        cpu_pn, cpu_fista = cpu["prox_newton"], cpu["working_set"]
        say(f"    FISTA inner / prox-Newton: {speedup:.1f}x wall; CPU time (process) "
            f"{cpu_fista:.3f} s / {cpu_pn:.3f} s = {cpu_fista / cpu_pn:.1f}x")
        target(f"GroupLassoClassifier on A, alpha_max/{div}: FISTA inner / prox-Newton",
               f"{speedup:.1f}x", ">= 5x", speedup >= 5)


def _per_task_objective(X, y, tasks, W, b, alpha):
    loss = 0.0
    for t in range(W.shape[1]):
        rows = tasks == t
        z = X[rows] @ W[:, t] + b[t]
        loss += float(np.mean(np.logaddexp(0.0, -y[rows] * z)))
    return loss + alpha * np.linalg.norm(W, axis=1).sum()


def _cvxpy_group(X, y, tasks, alpha):
    import cvxpy as cp

    T, p = int(tasks.max()) + 1, X.shape[1]
    W, b = cp.Variable((p, T)), cp.Variable(T)
    loss = 0
    for t in range(T):
        rows = tasks == t
        z = X[rows] @ W[:, t] + b[t]
        loss = loss + cp.sum(cp.logistic(-cp.multiply(y[rows], z))) / rows.sum()
    prob = cp.Problem(cp.Minimize(loss + alpha * cp.sum(cp.norm(W, 2, axis=1))))
    prob.solve(solver=cp.CLARABEL)
    return W.value, b.value


def _real_problems():
    from mtlclassic.datasets import load_landmine, load_school

    root = os.environ.get("MTLCLASSIC_DATA", "/work/shared/data")
    school = load_school(root)
    X, y = np.asarray(school.X), np.asarray(school.y)
    tasks = X[:, -1].astype(int)
    Xf = X[:, :-1]
    med = np.array([np.median(y[tasks == t]) for t in range(tasks.max() + 1)])
    yb = np.where(y > med[tasks], 1.0, -1.0)
    out = {"School (binary)": (Xf, yb, tasks)}
    land = load_landmine(root)
    Xl = np.asarray(land.X)
    tl = Xl[:, -1].astype(int)
    out["Landmine"] = (Xl[:, :-1], np.where(np.asarray(land.y) > 0, 1.0, -1.0), tl)
    return out


def _standardise(X):
    return (X - X.mean(axis=0)) / np.maximum(X.std(axis=0), 1e-12)


def bench_real(repeats):
    """GroupLassoClassifier on School (binary) and Landmine vs cvxpy CLARABEL."""
    from mtlclassic import GroupLassoClassifier, alpha_max

    for name, (X, y, tasks) in _real_problems().items():
        X = _standardise(X)
        Xt = np.column_stack([X, tasks])
        amax = alpha_max(Xt, y, penalty="l21", loss="logistic", task_column=-1)
        alpha = amax / 10
        say(f"- GroupLassoClassifier on {name} ({X.shape[0]} rows, {X.shape[1]} features "
            f"standardised, {tasks.max() + 1} tasks), alpha_max/10, intercepts")
        rows, cpu = [], []
        # tol 1e-6: the certified solution agrees with cvxpy's to 1e-6 (checked: rel);
        # tol 1e-8 and the FISTA inner solver for comparison.
        for solver, tol in (("prox_newton", 1e-6), ("prox_newton", 1e-8), ("working_set", 1e-6)):
            est = GroupLassoClassifier(alpha=alpha, tol=tol, max_iter=100_000,
                                       solver=solver, task_column=-1)
            t, c, est = _time_cpu(lambda: est.fit(Xt, y),
                                  repeats if solver == "prox_newton" else 0)
            obj = _per_task_objective(X, y, tasks, est.coef_.T, est.intercept_, alpha)
            rows.append((f"ours {solver} tol={tol:g} ({est.n_iter_} it.)", t, obj))
            cpu.append(c)
        t, c, (W, b) = _time_cpu(lambda: _cvxpy_group(X, y, tasks, alpha), 0)
        rows.append(("cvxpy CLARABEL (one fit)", t, _per_task_objective(X, y, tasks, W, b,
                                                                       alpha)))
        cpu.append(c)
        _print_rows(rows, f"GroupLassoClassifier on {name}")
        say("    CPU time (process): " + ", ".join(
            f"{name.split(' (')[0]} {c:.3f} s" for (name, _, _), c in zip(rows, cpu)))
        speedup, speedup_cpu = rows[3][1] / rows[0][1], cpu[3] / cpu[0]
        say(f"    cvxpy / prox-Newton (tol 1e-6): {speedup:.0f}x wall, {speedup_cpu:.0f}x CPU; "
            f"at tol 1e-8: {rows[3][1] / rows[1][1]:.0f}x wall, {cpu[3] / cpu[1]:.0f}x CPU")
        target(f"GroupLassoClassifier on {name}: CLARABEL / prox-Newton (tol 1e-6), wall",
               f"{speedup:.0f}x", ">= 100x", speedup >= 100)
        target(f"GroupLassoClassifier on {name}: CLARABEL / prox-Newton (tol 1e-6), CPU",
               f"{speedup_cpu:.0f}x", ">= 100x", speedup_cpu >= 100)


def bench_cv():
    """GroupLassoClassifierCV on Landmine: FISTA inner (the former default) vs prox-Newton."""
    from mtlclassic import GroupLassoClassifierCV

    X, y, tasks = _real_problems()["Landmine"]
    Xt = np.column_stack([_standardise(X), tasks])
    say("- GroupLassoClassifierCV on Landmine (20 alphas, 5 folds, default tol; one fit each)")
    alphas, times = {}, {}
    for solver in ("working_set", "prox_newton"):
        est = GroupLassoClassifierCV(n_alphas=20, cv=5, solver=solver, task_column=-1)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(Xt, y)
        t = time.perf_counter() - start
        alphas[solver], times[solver] = est.alpha_, t
        say(f"    solver={solver:<12s} {t:8.2f} s   alpha_ {est.alpha_:.6g}")
    same = alphas["working_set"] == alphas["prox_newton"]
    say(f"    same alpha_: {same}")
    target("GroupLassoClassifierCV on Landmine: time before (FISTA inner) -> after",
           f"{times['working_set']:.1f} s -> {times['prox_newton']:.1f} s", "measured", True)
    target("GroupLassoClassifierCV on Landmine: same alpha_", str(same), "same", same)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=["table", "A", "groupA", "real", "cv"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--defaults", action="store_true",
                        help="also each solver at its own default tolerance")
    parser.add_argument("--write", action="store_true",
                        help="(re)write this script's section of benchmarks/RESULTS.md")
    args = parser.parse_args()
    start = time.perf_counter()
    say(f"- machine: {platform.machine()}, {os.cpu_count()} logical cores; load at the start: "
        f"{_load()}")
    say(f"- OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, "
        f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS')}; tol ours {TOL_OURS:g} "
        f"(relative duality gap), liblinear and celer {TOL_PEERS:g}; median of "
        f"{args.repeats} fits after a warm-up (cvxpy: one fit)")
    if "table" in args.only:
        X, Y = _classification(300, 2000, 10)
        bench_lasso("LassoClassifier, n=300 p=2000 T=10", X, Y, args.repeats, args.defaults)
    if "A" in args.only or "groupA" in args.only:
        X, Y = _classification(300, 5000, 20)
        if "A" in args.only:
            bench_lasso("LassoClassifier, A: n=300 p=5000 T=20", X, Y, args.repeats,
                        args.defaults)
        if "groupA" in args.only:
            bench_group_fista(X, Y, args.repeats)
    if "real" in args.only:
        bench_real(args.repeats)
    if "cv" in args.only:
        bench_cv()
    say(f"- load at the end: {_load()}")
    say()
    table = ["| target | measured | wanted | result |", "|---|---|---|---|"]
    for name, measured, wanted, met in TARGETS:
        table.append(f"| {name} | {measured} | {wanted} | {'**met**' if met else '**NOT met**'} |")
    print("\n".join(table))
    if args.write:
        _write_section(" ".join(["--only", *args.only, "--repeats", str(args.repeats)]
                                + (["--defaults"] if args.defaults else [])),
                       time.perf_counter() - start, table)


def _write_section(flags, seconds, table):
    """Replace this script's section of RESULTS.md (between its markers), or append it."""
    body = "\n".join([
        BEGIN, "## Logistic models: prox-Newton vs liblinear, celer, cvxpy (issue 17)", "",
        f"Generated by `OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 "
        f"MTLCLASSIC_DATA=/work/shared/data PYTHONPATH=. python benchmarks/bench_logistic.py "
        f"{flags} --write` in {seconds / 60:.1f} min on "
        f"{time.strftime('%Y-%m-%d %H:%M')}; do not edit by hand.", "",
        *table, "", "```text", *LINES, "```", END])
    text = open(RESULTS).read() if os.path.exists(RESULTS) else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + body + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    with open(RESULTS, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
