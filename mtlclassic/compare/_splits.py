"""Outer train/test splits stratified by task, and the inner cross-validation folds.

Per-task layout: each task's rows (for classifiers, each task's rows of each
class) are split separately with the train fraction, so every task is in
every training and test part and keeps its size ratio. Shared layout: the
rows of the common design are split at random, and every task must keep
observed targets on both sides.
"""

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold


def _strata(dataset, rows=None, min_count=1):
    """Stratum of each row: its task, or its task and class when every such pair has enough rows.

    The task-and-class strata keep both classes of a task on both sides of
    a split (AUC needs both); when a pair is too rare for that, the task
    alone is used, as in :mod:`mtlclassic.estimators.cv`.
    """
    task = dataset.task if rows is None else dataset.task[rows]
    if dataset.kind != "classification":
        return task
    y = dataset.y if rows is None else dataset.y[rows]
    positive = np.unique(dataset.y)[-1]
    pairs = 2 * task + (y == positive)
    counts = np.bincount(pairs, minlength=2 * dataset.n_tasks)
    return pairs if np.all(counts[counts > 0] >= min_count) else task


def _require_rows(dataset, needed, why):
    """A one-line ValueError naming the tasks with fewer than ``needed`` rows (``why``: the fix)."""
    sizes = dataset.task_sizes()
    small = np.flatnonzero(sizes < needed)
    if small.size:
        raise ValueError(
            f"task(s) {dataset.tasks[small][:10].tolist()} have fewer than {needed} rows "
            f"({sizes[small][:10].tolist()}): {why}")


def outer_splits(dataset, n_splits, train_fraction, rng, min_train=1, train_size=None):
    """``n_splits`` random ``(train, test)`` index pairs.

    Parameters
    ----------
    dataset : Dataset
    n_splits : int
    train_fraction : float in (0, 1)
    rng : numpy Generator
    min_train : int, default=1
        Training rows every task needs (the inner CV's number of folds).
    train_size : int, default=None
        Instead of ``train_fraction``: this many training rows drawn per task
        (per-task layout; for classifiers split over the task's classes in
        proportion, at least one of each where a class has two rows), or
        rows of the shared design; the other rows are the test part.

    Raises
    ------
    ValueError
        If a task is too small to have ``min_train`` training rows and a test row,
        or ``train_size`` rows and a test row.
    """
    if dataset.task is None:
        return [_shared_split(dataset, train_fraction, rng, min_train, train_size)
                for _ in range(n_splits)]
    if train_size is not None:
        return _sized_splits(dataset, n_splits, train_size, rng, min_train)
    _require_rows(dataset, min_train + 1,
                  f"each task needs {min_train} training rows (the {min_train} inner CV folds) "
                  "and one test row; lower --cv (cv=) or leave those tasks out")
    strata = _strata(dataset, min_count=2)
    groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    splits = []
    for _ in range(n_splits):
        train = []
        for rows in groups:
            n = rows.size
            n_train = n if n == 1 else int(np.clip(round(train_fraction * n), 1, n - 1))
            train.append(rng.permutation(rows)[:n_train])
        train = np.sort(np.concatenate(train))
        train = _top_up(dataset, train, min_train, rng)
        test = np.setdiff1d(np.arange(dataset.X.shape[0]), train)
        splits.append((train, test))
    return splits


def _sized_splits(dataset, n_splits, train_size, rng, min_train):
    """Per-task layout: ``train_size`` training rows drawn in each task, the rest to test."""
    if train_size < min_train:
        raise ValueError(f"train_size={train_size} is below the {min_train} training rows "
                         f"each task needs (the {min_train} inner CV folds); raise train_size "
                         "or lower --cv (cv=)")
    _require_rows(dataset, train_size + 1,
                  f"train_size={train_size} training rows per task and one test row are "
                  "needed; lower train_size or leave those tasks out")
    strata = _strata(dataset, min_count=2)
    rows_of = [np.flatnonzero(dataset.task == t) for t in range(dataset.n_tasks)]
    splits = []
    for _ in range(n_splits):
        train = np.sort(np.concatenate([_draw(rows, strata[rows], train_size, rng)
                                        for rows in rows_of]))
        test = np.setdiff1d(np.arange(dataset.X.shape[0]), train)
        splits.append((train, test))
    return splits


def _draw(rows, strata, n_train, rng):
    """``n_train`` of ``rows`` at random, each stratum in proportion (largest remainders)."""
    labels, counts = np.unique(strata, return_counts=True)
    if labels.size == 1:
        return rng.permutation(rows)[:n_train]
    share = n_train * counts / counts.sum()
    take = np.floor(share).astype(int)
    # Where it can, every stratum keeps a row on each side (AUC needs both classes).
    take = np.where(counts >= 2, np.clip(take, 1, counts - 1), take)
    while take.sum() != n_train:  # largest remainders first, within each stratum's rows
        room = (take < counts) if take.sum() < n_train else (take > 0)
        gap = (share - take) if take.sum() < n_train else (take - share)
        k = np.flatnonzero(room)[np.argmax(gap[room])]
        take[k] += 1 if take.sum() < n_train else -1
    return np.concatenate([rng.permutation(rows[strata == s])[:k]
                           for s, k in zip(labels, take)])


def _top_up(dataset, train, min_train, rng):
    """Move rows to ``train`` until every task has ``min_train`` of them (and one left to test)."""
    counts = np.bincount(dataset.task[train], minlength=dataset.n_tasks)
    for t in np.flatnonzero(counts < min_train):
        rest = np.setdiff1d(np.flatnonzero(dataset.task == t), train)
        extra = rng.permutation(rest)[:min_train - counts[t]]
        train = np.sort(np.concatenate([train, extra]))
    return train


def _shared_split(dataset, train_fraction, rng, min_train, train_size=None):
    n = dataset.X.shape[0]
    if train_size is not None and not min_train <= train_size < n:
        raise ValueError(f"train_size={train_size} must be at least {min_train} (the inner CV "
                         f"folds) and below the {n} rows of the shared design (one to test)")
    n_train = (train_size if train_size is not None
               else int(np.clip(round(train_fraction * n), 1, n - 1)))
    perm = rng.permutation(n)
    train, test = np.sort(perm[:n_train]), np.sort(perm[n_train:])
    observed = ~np.isnan(dataset.y.astype(np.float64))
    n_train_obs, n_test_obs = observed[train].sum(axis=0), observed[test].sum(axis=0)
    bad = np.flatnonzero((n_train_obs < min_train) | (n_test_obs < 1))
    if bad.size:
        raise ValueError(
            f"task(s) {dataset.tasks[bad][:10].tolist()} have too few observed targets for a "
            f"split with {_size_words(train_fraction, train_size)} (need {min_train} to train, 1 to "
            "test); lower --cv (cv=) or leave those target columns out")
    return train, test


def inner_folds(dataset, train, n_folds, seed):
    """``n_folds`` task-stratified ``(train, validation)`` pairs, indices into ``train``."""
    if dataset.task is None:
        splitter, strata = KFold(n_folds, shuffle=True, random_state=seed), None
    else:
        splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
        strata = _strata(dataset, train, min_count=n_folds)
    return list(splitter.split(np.zeros((train.size, 1)), strata))


def _size_words(train_fraction, train_size):
    """The protocol's training size in words, for messages and reports."""
    if train_size is not None:
        return f"{train_size} training rows"
    return f"train fraction {train_fraction:g}"
