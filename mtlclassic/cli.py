"""Command-line interface: ``mtlclassic compare``, ``mtlclassic demo``, ``mtlclassic --version``.

``mtlclassic compare`` runs the comparison protocol of
:func:`mtlclassic.compare` (repeated task-stratified splits, inner grid
search, per-task test scores) on the embedded synthetic scenario, a real
data set given by path or the user's own table (``.csv``, ``.tsv``,
``.parquet``), prints a table and writes results, a report and figures into
``--out``. ``mtlclassic demo`` is a short comparison on the embedded
scenario. Every number is computed in the run.

Bad input (unknown model, data or column, unreadable or empty file, a target
or task the comparison cannot use, a fraction or a count out of range) ends
the command with a one-line message on stderr and exit status 2, never a
traceback, and nothing is written to ``--out``.

This module imports only the standard library at import time (numpy,
scikit-learn and the estimators load when a command runs), so that
``mtlclassic --help`` answers at once.
"""

import argparse
import functools
import sys

# ``mtlclassic demo``: a few models on 3 splits of the embedded scenario (a smaller one and 2
# splits with --quick).
_DEMO_MODELS = ("ridge", "pooled", "lasso", "group-lasso", "trace-norm", "dirty",
                "hard-sharing-mlp")
_DEMO_SIZE = dict(tasks=10, features=50)
_QUICK_SIZE = dict(tasks=5, features=30, samples=(30, 60))


class _Version(argparse.Action):
    """``--version``: reads the package's version only when asked."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="show the version and exit"):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"mtlclassic {_version()}")  # on stdout, as argparse's own version action
        parser.exit()


def _version():
    from . import __version__

    return __version__


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (``prog: error: message``), exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _int_at_least(low):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value

    return parse


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1), got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be strictly between 0 and 1, got {text}")
    return value


def _n_jobs(text):
    value = _int_at_least(-(2**31))(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be a positive number of processes or -1 (all "
                                         "cores), got 0")
    return value


def _build_parser():
    parser = _Parser(
        prog="mtlclassic",
        description="Classical multi-task learning as scikit-learn estimators.",
    )
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", metavar="command", required=True)

    comp = commands.add_parser(
        "compare",
        help="compare multi-task models, baselines and neural networks on one data set",
        description="Compare models with a fair protocol: K random splits stratified by task; "
        "each model tuned by an inner task-stratified grid search, refitted on the training "
        "part and scored task by task on the test part. Prints mean +- sd over splits of the "
        "task-averaged scores (nMSE, explained variance, R^2 for regression; AUC, accuracy "
        "for classification) and the fit time.",
    )
    comp.add_argument("--data", default="synthetic", metavar="DATA",
                      help="your table: a .csv, .tsv or .parquet FILE (with --target and "
                      "--task-column, below); or 'synthetic' (default), "
                      "'synthetic-classification' (options as "
                      "'synthetic:tasks=5,features=20,samples=30-60'), or NAME:PATH with NAME "
                      "one of school, sarcos, parkinsons, landmine")
    table = comp.add_argument_group(
        "your own table (--data FILE)",
        "Per-task layout: one row per observation, a task column naming its task, one "
        "target column. Shared layout: no task column, one target column per task (an empty "
        "cell is a missing target). Non-numeric feature columns are one-hot encoded; empty "
        "and constant columns are dropped; the report says which.")
    table.add_argument("--task-column", default=None, metavar="NAME",
                       help="column naming each row's task (any strings or numbers; they name "
                       "the tasks in every output)")
    table.add_argument("--target", default=None, metavar="NAME[,NAME...]",
                       help="the target column; without --task-column, one column per task "
                       "(A,B,C). Also the target of a built-in data set that has several: "
                       "parkinsons:PATH reads total_UPDRS (default) or motor_UPDRS")
    table.add_argument("--features", default=None, metavar="NAME,...",
                       help="feature columns (default: every other column)")
    table.add_argument("--task-type", default=None, choices=("regression", "classification"),
                       help="default: classification when the target holds two distinct "
                       "values, else regression")
    comp.add_argument("--models", default=None, metavar="MODEL,...",
                      help="comma-separated model names (default: every available model; see "
                      "--list-models)")
    comp.add_argument("--splits", type=_int_at_least(1), default=5, metavar="K",
                      help="number of random train/test splits (default: 5)")
    comp.add_argument("--train-fraction", type=_fraction, default=0.75, metavar="F",
                      help="share of each task's rows used for training (default: 0.75)")
    comp.add_argument("--train-size", type=_int_at_least(1), default=None, metavar="N",
                      help="instead of --train-fraction: N training rows drawn in each task "
                      "(shared layout: N rows of the design), the rest to test")
    comp.add_argument("--cv", type=_int_at_least(2), default=3, metavar="N",
                      help="folds of the inner grid search (default: 3)")
    comp.add_argument("--scoring", default=None, metavar="NAME",
                      help="the inner grid search's criterion (greater is better): neg_mse, "
                      "neg_rmse, neg_nmse, r2, explained_variance, roc_auc (mtlclassic.metrics) "
                      "or a scikit-learn scorer name (default: the squared error pooled over "
                      "all validation rows for regression, the task-averaged AUC for "
                      "classification)")
    comp.add_argument("--out", default=None, metavar="DIR",
                      help="write results.csv, results_per_task.csv, report.md and the "
                      "figures (scores.png, per_task.png, task_correlation.png, support.png) "
                      "into DIR, created at the end of the run")
    comp.add_argument("--seed", type=_int_at_least(0), default=0,
                      help="seed of the splits and models (default: 0)")
    comp.add_argument("--n-jobs", type=_n_jobs, default=None, metavar="N",
                      help="parallel (split, model) jobs: local worker processes, or cluster "
                      "jobs with --scheduler (default: 1, or -1 with --scheduler; -1: all "
                      "cores or workers)")
    comp.add_argument("--scheduler", default=None, metavar="ADDRESS",
                      help="run the jobs on the Dask cluster of this scheduler (e.g. "
                      "tcp://host:8786), through joblib's dask backend (needs the "
                      "'distributed' extra)")
    comp.add_argument("--quiet", action="store_true",
                      help="no progress line (otherwise on stderr after 2 s: jobs done, "
                      "elapsed time, time left estimated from each model's measured jobs)")
    comp.add_argument("--list-models", action="store_true",
                      help="list the available models and exit")

    demo = commands.add_parser(
        "demo",
        help="a short comparison on the embedded synthetic data",
        description="A short 'mtlclassic compare' on the embedded synthetic regression "
        "scenario (related tasks, per-task rows of unequal sizes, a support shared by all "
        "tasks): single-task and pooled ridge, a few classical MTL models and, when "
        "available, a hard-sharing neural network.",
    )
    demo.add_argument("--seed", type=_int_at_least(0), default=0,
                      help="seed of the data, splits and models (default: 0)")
    demo.add_argument("--n-tasks", type=_int_at_least(2), default=None,
                      help=f"number of tasks (default: {_DEMO_SIZE['tasks']}, "
                      f"{_QUICK_SIZE['tasks']} with --quick)")
    demo.add_argument("--n-features", type=_int_at_least(1), default=None,
                      help=f"number of features (default: {_DEMO_SIZE['features']}, "
                      f"{_QUICK_SIZE['features']} with --quick)")
    demo.add_argument("--quick", action="store_true", help="a smaller problem and 2 splits")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv=None):
    """Entry point of the ``mtlclassic`` command; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "compare":
            return _compare(args)
        return _demo(args)
    except KeyboardInterrupt:
        print(f"mtlclassic {args.command}: interrupted", file=sys.stderr)
        return 130


def _fail(command, message):
    print(f"mtlclassic {command}: error: {' '.join(str(message).split())}", file=sys.stderr)
    return 2


def _list_models():
    from .compare import REGISTRY, available_models

    for kind in ("regression", "classification"):
        names = available_models(kind)
        print(f"{kind}: {', '.join(names)}")
    missing = [n for n in REGISTRY if n not in available_models("regression")
               and n not in available_models("classification")]
    if missing:
        print(f"not available in this version: {', '.join(missing)}")
    return 0


def _run(command, data, models, *, splits, fraction, cv, seed, n_jobs, out, quiet,
         table=None, scoring=None, train_size=None):
    """Run a comparison and print it; the exit status."""
    import os

    from . import __version__
    from .compare import check_out, compare, parse_data, resolve_models
    from .compare import tuning_scorer

    try:
        # Everything is checked before any work, and --out is only created at the end: a
        # refused input leaves nothing behind.
        check_out(out, "--out")
        dataset = parse_data(data, **(table or {})) if isinstance(data, str) else data
        specs = resolve_models(models, dataset.kind)
        tuning_scorer(scoring, dataset.kind)
    except (ValueError, OSError) as exc:
        return _fail(command, exc)
    try:
        result = compare(dataset, specs, n_splits=splits, train_fraction=fraction, cv=cv,
                         random_state=seed, n_jobs=n_jobs, out=out, progress=not quiet,
                         scoring=scoring, train_size=train_size)
    except (ValueError, OSError) as exc:
        return _fail(command, exc)
    print(f"mtlclassic {__version__} {command}")
    for note in result.notes:
        print(f"note: {note}")
    print(result)
    problems = [(name, m) for name, m in result.models.items()
                if m.warnings or m.tuning_warnings or m.errors]
    if problems:
        print()
    for name, m in problems:
        for what, counts in (("fitting", m.warnings), ("tuning", m.tuning_warnings)):
            if counts:
                print(f"warnings while {what} {name}: "
                      + ", ".join(f"{n} x {k}" for k, n in sorted(counts.items())))
        for err in m.error_summary():
            print(f"{name} failed on {err}")
    edges = [f"{name} ({', '.join(m.edge_splits())})" for name, m in result.models.items()
             if m.edge_splits()]
    if edges:
        print(f"\nchosen at an edge of the searched range (the best value may lie beyond "
              f"it): {'; '.join(edges)}")
    for line in filter(None, (result.verdict(m) for m in [result.main_metric] + (
            ["explained_variance"] if result.kind == "regression" else []))):
        print(line)
    print(f"\ntotal time: {result.total_time:.1f} s")
    if out is not None:
        names = [os.path.basename(f) for f in result.files]
        figures = [n for n in names if n.endswith(".png")]
        print(f"written to {out}: {', '.join(n for n in names if not n.endswith('.png'))}"
              + (f"; figures {', '.join(figures)}" if figures else
                 "; no figure (matplotlib is not installed)"))
    failed_all = all(m.errors and len(m.errors) == result.n_splits
                     for m in result.models.values())
    return 1 if failed_all else 0


SCHEDULER_TIMEOUT = 30  # seconds to wait for a --scheduler to answer


def _compare(args):
    if args.list_models:
        return _list_models()
    n_jobs = args.n_jobs if args.n_jobs is not None else (-1 if args.scheduler else 1)
    table = dict(task_column=args.task_column, target=args.target, features=args.features,
                 task_type=args.task_type)
    run = functools.partial(_run, "compare", args.data, args.models, splits=args.splits,
                            fraction=args.train_fraction, cv=args.cv, seed=args.seed,
                            n_jobs=n_jobs, out=args.out, quiet=args.quiet, table=table,
                            scoring=args.scoring, train_size=args.train_size)
    if args.scheduler is None:
        return run()
    try:
        import joblib
        from distributed import Client
    except ImportError:
        return _fail("compare", "--scheduler needs Dask's distributed scheduler: "
                     "pip install 'mtlclassic[distributed]'")
    try:
        client = Client(args.scheduler, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        return _fail("compare", f"cannot reach the scheduler {args.scheduler!r}: {exc}")
    with client, joblib.parallel_backend("dask"):
        return run()


def _demo(args):
    from .compare import available_models, synthetic

    size = dict(_QUICK_SIZE if args.quick else _DEMO_SIZE)
    if args.n_tasks is not None:
        size["tasks"] = args.n_tasks
    if args.n_features is not None:
        size["features"] = args.n_features
    try:
        dataset = synthetic(seed=args.seed, **size)
    except ValueError as exc:
        return _fail("demo", exc)
    models = [m for m in _DEMO_MODELS if m in available_models("regression")]
    status = _run("demo", dataset, models, splits=2 if args.quick else 3, fraction=0.75, cv=3,
                  seed=args.seed, n_jobs=1, out=None, quiet=args.quiet)
    if status == 0:
        print("every available model, real data, more splits and figures: "
              "mtlclassic compare --help")
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
