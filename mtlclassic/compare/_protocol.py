"""The comparison protocol: outer splits, inner grid search, refit, per-task test scores.

For each of ``n_splits`` random splits stratified by task (see
:mod:`._splits`):

1. the features are standardised with the mean and standard deviation of
   the split's training rows (the task column is left alone);
2. every model's grid is computed on the training rows (fractions of
   ``alpha_max`` where the model has one);
3. ``GridSearchCV`` chooses the grid point by ``cv``-fold task-stratified
   cross-validation inside the training rows, scored by the task-averaged
   main metric (nMSE for regression, AUC for classification);
4. the chosen model is refitted on all the training rows (timed: the fit
   time) and scored task by task on the test rows.
"""

import time
import warnings
from collections import Counter

import numpy as np

from ._data import as_dataset, synthetic
from ._registry import grid_points, resolve_models
from ._result import CompareResult, ModelResult
from ._scores import inner_scorer, metric_names, task_scores
from ._splits import inner_folds, outer_splits


def _check_int(value, name, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _check_fraction(value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not 0 < value < 1:
        raise ValueError(f"train_fraction must be a number strictly between 0 and 1, "
                         f"got {value!r}")
    return float(value)


def _standardised(X, train):
    """``X`` scaled by its training rows' mean and sd (constant columns only centred)."""
    mean = X[train].mean(axis=0)
    sd = X[train].std(axis=0)
    return (X - mean) / np.where(sd > 0, sd, 1.0)


def _design(dataset, train):
    """What ``fit`` takes for this split: standardised features (+ the task code column)."""
    Xs = _standardised(dataset.X, train)
    if dataset.task is None:
        return Xs, None
    return np.column_stack([Xs, dataset.task.astype(np.float64)]), -1


def _support(model, truth):
    """``(selected, recovered, true)`` feature counts against the planted support."""
    coef = getattr(model, "coef_", None)
    if truth is None or coef is None or np.shape(coef) != np.shape(truth):
        return None
    selected = np.any(np.asarray(coef) != 0, axis=0)
    true = np.any(truth != 0, axis=0)
    return (int(selected.sum()), int((selected & true).sum()), int(true.sum()))


# Models already fitted once in this process (their numba kernels loaded or compiled).
_WARM = set()


def _warm_up(name, estimator, params, X, y):
    """One untimed fit on a few rows, so that no timed fit pays numba's first-call cost."""
    from sklearn.base import clone

    if name in _WARM:
        return
    _WARM.add(name)
    rows = np.linspace(0, X.shape[0] - 1, min(X.shape[0], 200)).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            clone(estimator).set_params(**params).fit(X[rows], y[rows])
        except Exception:  # a subset may miss a class; the timed fits report real errors
            pass


def _run_one(split, name, estimator, points, X, y, train, test, folds, task, kind, n_tasks,
             truth, keep):
    """Tune, refit and score one model on one split; a dict (errors are recorded, not raised)."""
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV

    out = {"split": split, "name": name, "error": None, "warnings": {}, "model": None}
    _warm_up(name, estimator, points[0][1], X[train], y[train])
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if len(points) == 1:  # nothing to choose
                best = 0
                t1 = time.perf_counter()
                model = clone(estimator).set_params(**points[0][1]).fit(X[train], y[train])
                fit_time = time.perf_counter() - t1
            else:
                search = GridSearchCV(estimator, [{k: [v] for k, v in p.items()}
                                                  for _, p in points],
                                      scoring=inner_scorer(kind), cv=folds, refit=True,
                                      error_score="raise")
                search.fit(X[train], y[train])
                best, model, fit_time = search.best_index_, search.best_estimator_, \
                    search.refit_time_
            total = time.perf_counter() - t0
            test_task = None if task is None else task[test]
            per_task, averaged = task_scores(model, X[test], y[test], kind, n_tasks, test_task)
        except Exception as exc:  # one failing model must not lose the others' results
            out["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
            return out
    out.update(label=points[best][0], params=points[best][1], fit_time=fit_time,
               tune_time=total - fit_time, task_scores=per_task,
               scores=averaged,
               support=_support(model, truth),
               warnings=dict(Counter(w.category.__name__ for w in caught)))
    if keep:
        out["model"] = model
    return out


def _progress(total, enabled):
    from ._progress import progress_bar

    return progress_bar(total, enabled=enabled, desc="compare")


def compare(data=None, models=None, *, n_splits=5, train_fraction=0.75, cv=3,
            random_state=0, n_jobs=None, grids=None, out=None, progress=False):
    """Compare multi-task models on one data set with a fair, repeated protocol.

    For each of ``n_splits`` random train/test splits stratified by task
    (every task on both sides, each task's rows split with
    ``train_fraction``), each model is tuned by a ``cv``-fold
    task-stratified grid search inside the training part, refitted on it
    and scored task by task on the test part. Features are standardised
    with the training part's statistics. Scores (:mod:`mtlclassic.metrics`):
    regression -- nMSE (each task's test MSE over its test-target variance)
    and R^2 (``1 - nMSE``) averaged over tasks with equal weights, and the
    explained variance pooled over all test rows (the School literature's
    figure); classification -- ROC AUC and accuracy averaged over tasks.
    Each is reported as mean and sd over splits.

    Parameters
    ----------
    data : str, Dataset, Bunch, dict or tuple, default=None
        ``None``: the embedded synthetic regression scenario. A string:
        ``"synthetic"``, ``"synthetic-classification"`` (options as
        ``"synthetic:tasks=5,features=20,samples=30-60"``) or
        ``"NAME:PATH"`` for ``school``, ``sarcos``, ``parkinsons``,
        ``landmine`` (read by :mod:`mtlclassic.datasets`). Or a loader's
        Bunch, a dict with ``X``, ``y`` (and ``task_column``), or a tuple
        ``(X, y)`` (shared layout) / ``(X, y, task_column)`` (per-task).
    models : str or list, default=None
        Model names (see :func:`available_models`), comma-separated or a
        list; ``None`` runs every available model of the data's kind.
    n_splits : int, default=5
        Number of random outer splits (``>= 1``).
    train_fraction : float, default=0.75
        Share of each task's rows in the training part, in ``(0, 1)``.
    cv : int, default=3
        Folds of the inner grid search (``>= 2``).
    random_state : int, default=0
        Seed of the splits, the inner folds and the models that take one;
        the same seed gives the same scores.
    n_jobs : int, default=None
        ``(split, model)`` jobs run in this many worker processes (joblib);
        ``None`` means 1, ``-1`` all cores.
    grids : dict, default=None
        ``{model name: grid}`` replacing a model's default grid; a grid is a
        dict of lists (every combination) or a list of parameter dicts.
    out : str or path, default=None
        Folder to write ``results.csv``, ``results_per_task.csv``,
        ``report.md`` and (with matplotlib) the figures into.
    progress : bool, default=False
        Show a progress bar on stderr (tqdm when installed) once the run
        takes more than a couple of seconds.

    Returns
    -------
    CompareResult
        Per model: mean and sd over splits of each task-averaged score,
        per-task scores, fit and tuning times, the chosen grid point of every
        split; ``.table()`` formats it, ``.to_frame()`` gives a pandas
        DataFrame.
    """
    from joblib import Parallel, delayed, effective_n_jobs

    t_start = time.perf_counter()
    n_splits = _check_int(n_splits, "n_splits", 1)
    cv = _check_int(cv, "cv", 2)
    train_fraction = _check_fraction(train_fraction)
    if random_state is not None:
        random_state = _check_int(random_state, "random_state", 0)
    dataset = synthetic() if data is None else as_dataset(data)
    specs = resolve_models(models, dataset.kind)
    grids = dict(grids or {})
    unknown = set(grids) - {s.name for s in specs}
    if unknown:
        raise ValueError(f"grids given for model(s) not compared: {sorted(unknown)}")

    rng = np.random.default_rng(random_state)
    splits = outer_splits(dataset, n_splits, train_fraction, rng, min_train=cv)
    seeds = rng.integers(0, 2**31 - 1, size=(n_splits, 2))  # inner folds, model seeds

    def jobs():
        for k, (train, test) in enumerate(splits):
            X, task_column = _design(dataset, train)
            folds = inner_folds(dataset, train, cv, int(seeds[k, 0]))
            for spec in specs:
                estimator = spec.make(dataset.kind, task_column, int(seeds[k, 1]))
                points = grid_points(spec, grids.get(spec.name), dataset.kind, X[train],
                                     dataset.y[train], task_column)
                yield delayed(_run_one)(k, spec.name, estimator, points, X, dataset.y, train,
                                        test, folds, dataset.task, dataset.kind,
                                        dataset.n_tasks, dataset.coef, k == 0)

    n_jobs = effective_n_jobs(n_jobs)
    bar = _progress(n_splits * len(specs), progress)
    records = []
    try:
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        for record in parallel(jobs()):
            records.append(record)
            bar.update(1)
    finally:
        bar.close()

    result = CompareResult(
        data=dataset.name, description=dataset.summary(), details=dataset.description,
        kind=dataset.kind, layout=dataset.layout, tasks=dataset.tasks,
        n_features=dataset.n_features, metrics=metric_names(dataset.kind),
        n_splits=n_splits, train_fraction=train_fraction, cv=cv, random_state=random_state,
        models={spec.name: ModelResult.from_records(
            spec, [r for r in records if r["name"] == spec.name], n_splits, dataset.n_tasks,
            metric_names(dataset.kind), dataset.kind) for spec in specs},
        total_time=time.perf_counter() - t_start, true_coef=dataset.coef, splits=splits)
    if out is not None:
        from ._report import write_outputs

        write_outputs(result, out)
    return result
