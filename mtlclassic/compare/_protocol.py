"""The comparison protocol: outer splits, inner grid search, refit, per-task test scores.

For each of ``n_splits`` random splits stratified by task (see
:mod:`._splits`):

1. the features are standardised with the mean and standard deviation of
   the split's training rows (the task column is left alone);
2. every model's grid is computed on the training rows (fractions of
   ``alpha_max`` where the model has one);
3. the grid point is chosen by ``cv``-fold task-stratified cross-validation
   inside the training rows, scored by the tuning criterion (``scoring``;
   by default the squared error pooled over all validation rows for
   regression, the task-averaged AUC for classification), the grid extended
   past an edge where the choice sits at one (:mod:`._tuning`);
4. the chosen model is refitted on all the training rows (timed: the fit
   time) and scored task by task on the test rows.
"""

import os
import time
import warnings
from collections import Counter

import numpy as np

from ._data import as_dataset, synthetic
from ._registry import grid_points, resolve_models
from ._result import CompareResult, ModelResult
from ._scores import metric_names, task_scores, tuning_scorer
from ._scores import main_task_scorer
from ._splits import inner_folds, outer_splits
from ._tuning import search


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


def _check_train_size(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"train_size must be None or an integer >= 1 (training rows per "
                         f"task), got {value!r}")
    return int(value)


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
             truth, keep, scorer):
    """Tune, refit and score one model on one split; a dict (errors are recorded, not raised).

    Warnings are counted apart for the tuning (the inner folds' fits) and for
    the final fit on the training part and its test scores.
    """
    from sklearn.base import clone

    out = {"split": split, "name": name, "error": None, "warnings": {}, "tuning_warnings": {},
           "model": None}
    _warm_up(name, estimator, points[0][1], X[train], y[train])
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as tuning_caught:
        warnings.simplefilter("always")
        try:
            # Nothing to choose: one point, unless it is the start of a search along axes
            # (Axis.primary: the kernel model's single default point).
            if len(points) == 1 and not any(a.primary for a in getattr(points, "axes", ())):
                chosen = dict(label=points[0][0], params=points[0][1], edges=[], n_points=1,
                              extended=0)
            else:
                chosen = search(estimator, points, X[train], y[train], folds,
                                main_task_scorer(scorer))
        except Exception as exc:  # one failing model must not lose the others' results
            chosen = exc
    out["tuning_warnings"] = dict(Counter(w.category.__name__ for w in tuning_caught))
    tune_time = time.perf_counter() - t0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if isinstance(chosen, Exception):
                raise chosen
            t1 = time.perf_counter()
            model = clone(estimator).set_params(**chosen["params"]).fit(X[train], y[train])
            fit_time = time.perf_counter() - t1
            test_task = None if task is None else task[test]
            per_task, averaged, predicted = task_scores(model, X[test], y[test], kind, n_tasks,
                                                        test_task)
        except Exception as exc:
            out["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
            out["warnings"] = dict(Counter(w.category.__name__ for w in caught))
            out["job_time"] = time.perf_counter() - t0
            return out
    out.update(label=chosen["label"], params=chosen["params"], fit_time=fit_time,
               tune_time=tune_time, task_scores=per_task, scores=averaged,
               edges=chosen["edges"], n_points=chosen["n_points"],
               extended=chosen["extended"], predictions=predicted,
               support=_support(model, truth),
               warnings=dict(Counter(w.category.__name__ for w in caught)),
               job_time=time.perf_counter() - t0)
    if keep:
        out["model"] = model
    return out


def majority_reference(dataset, splits):
    """Accuracy of predicting each task's majority training class, per split and task.

    The floor a classifier's accuracy has to beat: ``(averaged, per_task)``
    with ``averaged`` of shape (n_splits,) (equal-weight mean over tasks, as
    the models' scores) and ``per_task`` of shape (n_splits, n_tasks).
    """
    per_task = np.full((len(splits), dataset.n_tasks), np.nan)
    Y = dataset.y.astype(np.float64)
    for k, (train, test) in enumerate(splits):
        for t in range(dataset.n_tasks):
            if dataset.task is None:
                y_train, y_test = Y[train, t], Y[test, t]
                y_train, y_test = y_train[~np.isnan(y_train)], y_test[~np.isnan(y_test)]
            else:
                y_train = Y[train][dataset.task[train] == t]
                y_test = Y[test][dataset.task[test] == t]
            if y_train.size and y_test.size:
                values, counts = np.unique(y_train, return_counts=True)
                # a tie goes to the larger label: a fixed rule, so the reference is reproducible
                majority = values[np.flatnonzero(counts == counts.max())[-1]]
                per_task[k, t] = np.mean(y_test == majority)
    averaged = np.array([np.nanmean(row) if np.any(~np.isnan(row)) else np.nan
                         for row in per_task])
    return averaged, per_task


def check_out(out, name="out"):
    """Refuse an ``out`` that cannot become a folder, before any work (nothing is created).

    ``name`` is how the message calls it (``"--out"`` on the command line).
    """
    if out is None:
        return None
    path = os.path.abspath(os.fspath(out))
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{name} {os.fspath(out)!r} exists and is not a folder")
    parent = path
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write into {os.fspath(out)!r}: {parent!r} is not a writable "
                         "folder")
    return out


def _check_protocol(n_splits, train_fraction, cv, random_state, train_size=None):
    n_splits = _check_int(n_splits, "n_splits", 1)
    cv = _check_int(cv, "cv", 2)
    train_fraction = _check_fraction(train_fraction)
    if random_state is not None:
        random_state = _check_int(random_state, "random_state", 0)
    return n_splits, train_fraction, cv, random_state, _check_train_size(train_size)


def _protocol_splits(dataset, n_splits, train_fraction, cv, random_state, train_size=None):
    """The outer splits and, per split, the seeds of its inner folds and models."""
    rng = np.random.default_rng(random_state)
    splits = outer_splits(dataset, n_splits, train_fraction, rng, min_train=cv,
                          train_size=train_size)
    return splits, rng.integers(0, 2**31 - 1, size=(n_splits, 2))


def splits(data, n_splits=5, train_fraction=0.75, random_state=0, *, cv=3, task_column=None,
           target=None, features=None, task_type=None, train_size=None):
    """The ``(train, test)`` row indices :func:`compare` uses for these settings.

    Same arguments (and defaults) as :func:`compare`; ``cv`` matters because
    every task keeps ``cv`` training rows. Indices are positions in the rows
    of the data as :func:`compare` reads it (for a table: after rows without
    a target are left out; see ``CompareResult.notes``), so
    ``compare(...).splits`` equals ``splits(...)``.

    Returns
    -------
    list of (ndarray, ndarray)
        One ``(train, test)`` pair per split, sorted indices.

    Examples
    --------
    >>> from mtlclassic.compare import splits
    >>> train, test = splits("synthetic", n_splits=2)[0]
    """
    n_splits, train_fraction, cv, random_state, train_size = _check_protocol(
        n_splits, train_fraction, cv, random_state, train_size)
    table = dict(task_column=task_column, target=target, features=features,
                 task_type=task_type)
    dataset = as_dataset(data, **table)
    return _protocol_splits(dataset, n_splits, train_fraction, cv, random_state, train_size)[0]


def compare(data=None, models=None, *, task_column=None, target=None, features=None,
            task_type=None, n_splits=5, train_fraction=0.75, cv=3, random_state=0,
            n_jobs=None, grids=None, scoring=None, out=None, progress=False, train_size=None):
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
    data : DataFrame, str, Dataset, Bunch, dict or tuple, default=None
        ``None``: the embedded synthetic regression scenario. A pandas
        DataFrame or the path of a ``.csv``, ``.tsv`` or ``.parquet`` file:
        a table, read with ``task_column``, ``target``, ``features`` and
        ``task_type``. Another string: ``"synthetic"``,
        ``"synthetic-classification"`` (options as
        ``"synthetic:tasks=5,features=20,samples=30-60"``) or
        ``"NAME:PATH"`` for ``school``, ``sarcos``, ``parkinsons``,
        ``landmine`` (read by :mod:`mtlclassic.datasets`). Or a loader's
        Bunch, a dict with ``X``, ``y`` (and ``task_column``; ``X`` may be a
        DataFrame with the task column named), or a tuple ``(X, y)``
        (shared layout) / ``(X, y, task_column)`` (per-task).
    models : str or list, default=None
        Model names (see :func:`available_models`), comma-separated or a
        list; ``None`` runs every available model of the data's kind.
    task_column : str or int, default=None
        The column naming each row's task (per-task layout); its labels
        (any strings or numbers) name the tasks in every output.
    target : str or list of str, default=None
        Tables only: the target column, or one column per task without a
        task column (shared layout; an empty cell is a missing target).
    features : str or list of str, default=None
        Tables only: the feature columns (default every other column).
        Non-numeric columns are one-hot encoded, empty and constant ones
        dropped; the report says which.
    task_type : {"regression", "classification"}, default=None
        Default: classification when the targets hold two distinct values.
    n_splits : int, default=5
        Number of random outer splits (``>= 1``).
    train_fraction : float, default=0.75
        Share of each task's rows in the training part, in ``(0, 1)``.
        Not used when ``train_size`` is given.
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
        dict of lists (every combination) or a list of parameter dicts,
        searched as given (default grids are extended past an edge where the
        choice sits at one; a given grid is not).
    scoring : str or callable, default=None
        The tuning criterion of the inner cross-validation (greater is
        better): a scorer of :mod:`mtlclassic.metrics` (``"neg_mse"``,
        ``"neg_rmse"``, ``"neg_nmse"``, ``"r2"``, ``"explained_variance"``,
        ``"roc_auc"``), a scikit-learn scorer name, or a callable
        ``scorer(estimator, X, y)``. None: the squared error pooled over all
        validation rows (regression; defined on any fold, however small its
        tasks) or the task-averaged ROC AUC, falling back to the pooled AUC
        when no task of a fold holds both classes (classification).
    out : str or path, default=None
        Folder to write ``results.csv``, ``results_per_task.csv``,
        ``report.md`` and the figures into; created at the end of the run,
        so nothing is written when the input is refused.
    progress : bool, default=False
        Show progress on stderr once the run takes more than a couple of
        seconds: jobs done of all, elapsed time, and the time left estimated
        from each model's measured job times (refreshed every second on a
        terminal, every 10 s otherwise).
    train_size : int, default=None
        A fixed number of training rows instead of ``train_fraction``: in the
        per-task layout, ``train_size`` rows drawn at random in each task
        (classification: split over the task's classes in proportion), the
        rest of the task's rows as its test part -- the protocol of the
        learning-curve literature, e.g. SARCOS with 100 rows per torque
        (``compare(load_sarcos(path, layout="per_task"), train_size=100)``);
        in the shared layout, rows of the common design. At least ``cv``,
        and every task needs one row more.

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
    n_splits, train_fraction, cv, random_state, train_size = _check_protocol(
        n_splits, train_fraction, cv, random_state, train_size)
    check_out(out)
    table = dict(task_column=task_column, target=target, features=features,
                 task_type=task_type)
    if data is None and any(v is not None for v in table.values()):
        raise ValueError("task_column, target, features and task_type select the columns of "
                         "data: give data (a DataFrame or a table's path)")
    dataset = synthetic() if data is None else as_dataset(data, **table)
    specs = resolve_models(models, dataset.kind)
    scorer, scoring_name = tuning_scorer(scoring, dataset.kind)
    grids = dict(grids or {})
    unknown = set(grids) - {s.name for s in specs}
    if unknown:
        raise ValueError(f"grids given for model(s) not compared: {sorted(unknown)}")

    outer, seeds = _protocol_splits(dataset, n_splits, train_fraction, cv, random_state,
                                    train_size)

    def jobs():
        for k, (train, test) in enumerate(outer):
            X, task_column = _design(dataset, train)
            folds = inner_folds(dataset, train, cv, int(seeds[k, 0]))
            for spec in specs:
                estimator = spec.make(dataset.kind, task_column, int(seeds[k, 1]))
                points = grid_points(spec, grids.get(spec.name), dataset.kind, X[train],
                                     dataset.y[train], task_column)
                yield delayed(_run_one)(k, spec.name, estimator, points, X, dataset.y, train,
                                        test, folds, dataset.task, dataset.kind,
                                        dataset.n_tasks, dataset.coef, k == 0, scorer)

    n_jobs = effective_n_jobs(n_jobs)
    from ._progress import progress_bar

    bar = progress_bar(n_splits * len(specs), enabled=progress, desc="compare",
                       jobs={spec.name: n_splits for spec in specs}, n_workers=n_jobs)
    records = []
    try:
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        for record in parallel(jobs()):
            records.append(record)
            bar.update(1, name=record["name"], seconds=record.get("job_time"))
    finally:
        bar.close()
    reference = None
    if dataset.kind == "classification":
        averaged, per_task = majority_reference(dataset, outer)
        reference = {"accuracy": averaged, "accuracy_per_task": per_task, "auc": 0.5}

    result = CompareResult(
        data=dataset.name, description=dataset.summary(), details=dataset.description,
        kind=dataset.kind, layout=dataset.layout, tasks=dataset.tasks,
        n_features=dataset.n_features, metrics=metric_names(dataset.kind),
        n_splits=n_splits, train_fraction=train_fraction, cv=cv, random_state=random_state,
        train_size=train_size,
        models={spec.name: ModelResult.from_records(
            spec, [r for r in records if r["name"] == spec.name], n_splits, dataset.n_tasks,
            metric_names(dataset.kind), dataset.kind) for spec in specs},
        total_time=time.perf_counter() - t_start, true_coef=dataset.coef, splits=outer,
        scoring=scoring_name,
        feature_names=dataset.feature_names, notes=list(dataset.notes), reference=reference)
    if out is not None:
        from ._report import write_outputs

        result.files = write_outputs(result, out)
    return result
