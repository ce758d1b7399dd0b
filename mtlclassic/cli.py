"""Command-line interface: ``mtlclassic demo`` and ``mtlclassic --version``.

``mtlclassic demo`` builds a synthetic multi-task regression problem (tasks
with their own rows and unequal sizes, a support shared by all tasks), fits
the group lasso and scikit-learn baselines on a train split and prints, for
each model, the mean test R^2 over tasks, the selected features against the
true support, and the fit time. Every number is computed in the run.
"""

import argparse
import sys
import time
import warnings

import numpy as np

from . import __version__

# Default problem of the demo, and the smaller one of ``--quick``.
_DEFAULTS = dict(n_tasks=10, n_features=200, min_samples=60, max_samples=150, n_shared=10)
_QUICK = dict(n_tasks=5, n_features=50, min_samples=40, max_samples=80, n_shared=5)
_SNR = 3.0
_CORRELATION = 0.3
_N_FOLDS = 5
_N_ALPHAS = 10
_GL_CV = "group lasso (CV alpha)"

# Table columns: (header, width); cells are separated by two spaces.
_COLUMNS = (("model", 28), ("mean R^2 (test)", 15), ("support", 38), ("fit time (s)", 12))


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="mtlclassic",
        description="Classical multi-task learning as scikit-learn estimators.",
    )
    parser.add_argument("--version", action="version", version=f"mtlclassic {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="fit the group lasso and baselines on a synthetic problem",
        description="Fit the group lasso and scikit-learn baselines on a synthetic multi-task "
        "regression problem (per-task rows, unequal task sizes, a shared support) and print "
        "test R^2, support recovery and fit times.",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument("--n-tasks", type=int, default=None,
                      help=f"number of tasks (default: {_DEFAULTS['n_tasks']}, "
                      f"{_QUICK['n_tasks']} with --quick)")
    demo.add_argument("--n-features", type=int, default=None,
                      help=f"number of features (default: {_DEFAULTS['n_features']}, "
                      f"{_QUICK['n_features']} with --quick)")
    demo.add_argument("--quick", action="store_true", help="a smaller problem (a few seconds)")
    return parser


def main(argv=None):
    """Entry point of the ``mtlclassic`` command; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        for option in ("n_tasks", "n_features"):
            if getattr(args, option) is not None and getattr(args, option) < 1:
                parser.error(f"--{option.replace('_', '-')} must be >= 1")
        return _demo(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


# ---------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------


def _problem_size(args):
    size = dict(_QUICK if args.quick else _DEFAULTS)
    if args.n_tasks is not None:
        size["n_tasks"] = args.n_tasks
    if args.n_features is not None:
        size["n_features"] = args.n_features
    size["n_shared"] = min(size["n_shared"], size["n_features"])
    return size


def _first_fit_time():
    """Time of one tiny per-task fit: loads (or compiles) the numba solver kernels."""
    from .estimators import GroupLassoRegressor

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.standard_normal((20, 3)), np.repeat([0.0, 1.0], 10)])
    y = rng.standard_normal(20)
    t0 = time.perf_counter()
    GroupLassoRegressor(alpha=0.01, task_column=-1).fit(X, y)
    return time.perf_counter() - t0


def _mean_task_r2(y_true, y_pred, task):
    from sklearn.metrics import r2_score

    return float(np.mean([r2_score(y_true[task == t], y_pred[task == t])
                          for t in np.unique(task)]))


def _support_cell(selected, true_support):
    recovered = np.count_nonzero(selected & true_support)
    return (f"selected {np.count_nonzero(selected)}, true {np.count_nonzero(true_support)}, "
            f"recovered {recovered}/{np.count_nonzero(true_support)}")


class _PerTask:
    """One scikit-learn regressor per task (features only; ``task`` routes the rows)."""

    def __init__(self, make):
        self.make = make

    def fit(self, X, y, task):
        self.models_ = {t: self.make().fit(X[task == t], y[task == t]) for t in np.unique(task)}
        return self

    def predict(self, X, task):
        out = np.empty(X.shape[0])
        for t, model in self.models_.items():
            rows = task == t
            out[rows] = model.predict(X[rows])
        return out

    def selected(self):
        """Features with a nonzero weight in at least one task."""
        return np.any([m.coef_ != 0 for m in self.models_.values()], axis=0)


def _models(alpha_max_train, seed, task_train):
    """(name, fit(X, y) -> fitted, predict(model, X) -> y, selected(model) -> mask)."""
    from sklearn.linear_model import LassoCV, RidgeCV
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from .estimators import GroupLassoRegressor

    n_feat = slice(None, -1)  # every column but the task id
    alphas = alpha_max_train * np.logspace(0, -3, _N_ALPHAS)
    # K-fold over the training rows, stratified by task so that every task is
    # in every training and validation fold.
    folds = list(StratifiedKFold(_N_FOLDS, shuffle=True, random_state=seed)
                 .split(np.zeros(task_train.shape[0]), task_train))
    ridge_alphas = np.logspace(-3, 3, 13)

    def group_lasso_cv(X, y):
        search = GridSearchCV(GroupLassoRegressor(task_column=-1), {"alpha": alphas}, cv=folds)
        return search.fit(X, y).best_estimator_

    def group_lasso_fixed(X, y):
        return GroupLassoRegressor(alpha=alpha_max_train / 10, task_column=-1).fit(X, y)

    def per_task(make):
        return lambda X, y: _PerTask(make).fit(X[:, n_feat], y, X[:, -1])

    def pooled_ridge(X, y):
        return RidgeCV(alphas=ridge_alphas).fit(X[:, n_feat], y)

    def gl_selected(model):
        return np.linalg.norm(model.coef_, axis=0) > 0

    return [
        (_GL_CV, group_lasso_cv,
         lambda m, X: m.predict(X), gl_selected),
        ("group lasso (alpha_max/10)", group_lasso_fixed,
         lambda m, X: m.predict(X), gl_selected),
        ("Lasso per task (LassoCV)",
         per_task(lambda: LassoCV(cv=_N_FOLDS, random_state=seed)),
         lambda m, X: m.predict(X[:, n_feat], X[:, -1]), lambda m: m.selected()),
        ("Ridge per task (RidgeCV)", per_task(lambda: RidgeCV(alphas=ridge_alphas)),
         lambda m, X: m.predict(X[:, n_feat], X[:, -1]), lambda m: m.selected()),
        ("pooled Ridge (RidgeCV)", pooled_ridge,
         lambda m, X: m.predict(X[:, n_feat]), lambda m: m.coef_ != 0),
    ]


def _format_row(cells):
    return "  ".join(f"{c:<{w}}" if i == 0 or i == 2 else f"{c:>{w}}"
                     for i, (c, (_, w)) in enumerate(zip(cells, _COLUMNS))).rstrip()


def _demo(args):
    from sklearn.model_selection import train_test_split

    from .datasets import make_multitask_regression
    from .estimators import alpha_max

    t_start = time.perf_counter()
    size = _problem_size(args)
    compile_time = _first_fit_time()

    rng = np.random.default_rng(args.seed)
    sizes = rng.integers(size["min_samples"], size["max_samples"] + 1, size=size["n_tasks"])
    X, y, coef = make_multitask_regression(
        n_samples=sizes, n_features=size["n_features"], n_tasks=size["n_tasks"],
        n_shared=size["n_shared"], snr=_SNR, correlation=_CORRELATION, layout="per_task",
        random_state=args.seed,
    )
    true_support = np.any(coef != 0, axis=0)
    task = X[:, -1]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=task, random_state=args.seed)
    amax = alpha_max(X_train, y_train, task_column=-1)

    print(f"mtlclassic {__version__} demo: {size['n_tasks']} tasks, "
          f"{size['n_features']} features, {size['n_shared']} true features shared by all "
          f"tasks, {sizes.min()}-{sizes.max()} samples per task ({sizes.sum()} in all), "
          f"SNR {_SNR:g}, feature correlation {_CORRELATION:g}, seed {args.seed}")
    print(f"train/test split stratified by task: {X_train.shape[0]}/{X_test.shape[0]} rows; "
          f"alpha_max (train) = {amax:.4g}")
    print(f"first-call solver time (numba compile or cache load, tiny fit): "
          f"{compile_time:.2f} s")
    print()
    print(_format_row([h for h, _ in _COLUMNS]))
    print("  ".join("-" * w for _, w in _COLUMNS))

    warned, cv_alpha = [], None
    for name, fit, predict, selected in _models(amax, args.seed, X_train[:, -1]):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            model = fit(X_train, y_train)
            fit_time = time.perf_counter() - t0
        if caught:
            kinds = sorted({w.category.__name__ for w in caught})
            warned.append(f"{name}: {len(caught)} x {'/'.join(kinds)}")
        r2 = _mean_task_r2(y_test, predict(model, X_test), X_test[:, -1])
        print(_format_row([name, f"{r2:.3f}", _support_cell(selected(model), true_support),
                           f"{fit_time:.2f}"]))
        if name == _GL_CV:
            cv_alpha = model.alpha

    print()
    print(f"group lasso CV: {_N_FOLDS}-fold grid search over alpha_max * logspace(0, -3, "
          f"{_N_ALPHAS}) on the training set chose alpha = {cv_alpha:.4g} "
          f"(alpha_max/{amax / cv_alpha:.3g})")
    for line in warned:
        print(f"warnings while fitting {line}")
    print(f"total time: {time.perf_counter() - t_start:.2f} s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
