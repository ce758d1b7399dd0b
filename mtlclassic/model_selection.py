"""Cross-validation splitters that keep every task on both sides of every split.

Rows of per-task data usually come grouped by task (``stack_tasks`` stacks
them so, and so do most tables). scikit-learn's ``KFold`` (``cv=5``) then
holds whole tasks out of a training fold, and a multi-task estimator cannot
predict a task it was not fitted on. The splitters here read the task column
of ``X`` and split each task's rows separately, so every fold trains and tests
on every task. They follow scikit-learn's splitter protocol (``split``,
``get_n_splits``), so they go wherever ``cv=`` is taken: ``GridSearchCV``,
``cross_val_score``, ``cross_validate``, with a Pipeline or an estimator.

In the shared layout (``task_column=None``: ``X`` has no task column and
``Y`` has one column per task, NaN where a target is missing), rows are split
as ``KFold`` / ``ShuffleSplit`` split them, and every task is checked to keep
observed targets on both sides of every split.
"""

import math
import numbers

import numpy as np
from sklearn.model_selection import BaseCrossValidator, KFold, ShuffleSplit
from sklearn.utils import check_random_state, indexable

from .metrics import read_tasks

__all__ = ["TaskStratifiedKFold", "TaskStratifiedShuffleSplit"]

# Task names shown in one error message (the rest are counted).
_SHOWN = 10


def _check_n_splits(n_splits, minimum, why):
    if not isinstance(n_splits, numbers.Integral) or isinstance(n_splits, bool):
        raise ValueError(f"n_splits must be an integer, got {n_splits!r}.")
    if n_splits < minimum:
        raise ValueError(f"n_splits={n_splits}: {why}")


def _check_task_column(task_column):
    if task_column is None or isinstance(task_column, str):
        return
    if not isinstance(task_column, numbers.Integral) or isinstance(task_column, bool):
        raise ValueError(
            f"task_column must be None (shared layout), an int (the column's position) or a "
            f"column name, got {task_column!r}.")


def _check_random_state_use(shuffle, random_state):
    if not isinstance(shuffle, (bool, np.bool_)):
        raise ValueError(f"shuffle must be True or False, got {shuffle!r}.")
    if not shuffle and random_state is not None:
        # As scikit-learn's KFold: a seed that changes nothing is a mistake.
        raise ValueError(
            f"random_state={random_state!r} has no effect since shuffle=False: leave "
            "random_state=None, or set shuffle=True.")


def _task_codes(splitter, X):
    """``(tasks, codes)``: the distinct task labels (sorted) and each row's index into them."""
    try:
        labels = read_tasks(X, splitter.task_column)
    except ValueError as exc:
        raise ValueError(f"{type(splitter).__name__}(task_column={splitter.task_column!r}): "
                         f"{exc}") from None
    tasks, codes = np.unique(labels, return_inverse=True)
    return tasks, codes.ravel()


def _names(tasks, counts=None):
    """The first tasks of a list as ``'a' (3 rows), 'b' (1 row) ...``."""
    shown = []
    for k, task in enumerate(tasks[:_SHOWN].tolist()):
        if counts is None:
            shown.append(repr(task))
        else:
            n = int(counts[k])
            shown.append(f"{task!r} ({n} row{'s' if n != 1 else ''})")
    more = f" and {len(tasks) - _SHOWN} more" if len(tasks) > _SHOWN else ""
    return ", ".join(shown) + more


def _task_order(codes, n_tasks, rng):
    """Rows sorted by task (in row order, or shuffled within each task) and task starts."""
    if rng is None:
        order = np.argsort(codes, kind="stable")
    else:
        # Sorting by (task, random key) shuffles every task's rows independently.
        order = np.lexsort((rng.random_sample(codes.shape[0]), codes))
    counts = np.bincount(codes, minlength=n_tasks)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return order, counts, starts


def _check_observed(splitter, y, splits):
    """Shared layout: every task (column of a 2-D ``y``) has observed targets in every part."""
    if y is None or getattr(y, "ndim", np.ndim(y)) != 2:
        return
    names = list(y.columns) if hasattr(y, "columns") else None
    try:
        Y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        return  # non-numeric targets have no NaN to mark a missing one
    observed = ~np.isnan(Y)
    for k, (train, test) in enumerate(splits):
        for part, rows in (("training", train), ("test", test)):
            empty = np.flatnonzero(~observed[rows].any(axis=0))
            if empty.size:
                task = names[empty[0]] if names is not None else int(empty[0])
                raise ValueError(
                    f"{type(splitter).__name__}: task {task!r} (column {int(empty[0])} of y) has "
                    f"no observed target in the {part} part of split {k} of {len(splits)} "
                    f"({int(observed[:, empty[0]].sum())} observed in all): use fewer splits, "
                    "shuffle the rows, or drop the task.")


class _TaskSplitter(BaseCrossValidator):
    """What both splitters share: the common parameters, ``split``, and ``n_splits``.

    A subclass stores its own parameters before calling this ``__init__`` (as
    scikit-learn's ``KFold`` and ``ShuffleSplit`` do), and supplies
    ``_check_params()``, ``_row_splitter()`` (the scikit-learn splitter of the
    shared layout) and ``_split_tasks(tasks, codes)`` (the ``(train, test)``
    pairs of the per-task layout).
    """

    def __init__(self, n_splits, *, task_column, random_state):
        # Every parameter is stored before the check, which reads them all.
        self.n_splits = n_splits
        self.task_column = task_column
        self.random_state = random_state
        self._check_params()

    def split(self, X, y=None, groups=None):
        """Generate the ``(train, test)`` row indices of every split (every fold of a K-fold).

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_columns)
            The data, task column included (unless ``task_column=None``): what
            the estimator or Pipeline receives, before any transformation.
        y : array-like of shape (n_samples,) or (n_samples, n_tasks), default=None
            Targets; read only in the shared layout, to check that every task
            keeps observed (non-NaN) targets on both sides.
        groups : object
            Ignored; present for scikit-learn's splitter protocol.

        Yields
        ------
        train : ndarray of shape (n_train,)
            Training rows of the split, sorted.
        test : ndarray of shape (n_test,)
            Test rows of the split, sorted.

        Raises
        ------
        ValueError
            If the task column cannot be read, a task has too few rows to be
            on both sides of every split (the error names it: fewer than
            ``n_splits`` for :class:`TaskStratifiedKFold`, a single row for
            :class:`TaskStratifiedShuffleSplit`), the sizes of a shuffle split
            do not fit ``X``, or (shared layout) a task has no observed target
            on one side of a split.
        """
        # Checked here, not lazily in a generator: a bad split fails where it is asked for.
        self._check_params()
        X, y, groups = indexable(X, y, groups)
        if self.task_column is None:
            # KFold's rows come sorted already, ShuffleSplit's in random order.
            splits = [(np.sort(train), np.sort(test))
                      for train, test in self._row_splitter().split(X)]
            _check_observed(self, y, splits)
            return iter(splits)
        tasks, codes = _task_codes(self, X)
        return self._split_tasks(tasks, codes)

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of splits, ``n_splits``.

        Parameters
        ----------
        X, y, groups : object
            Ignored; present for scikit-learn's splitter protocol.

        Returns
        -------
        n_splits : int
        """
        return int(self.n_splits)


class TaskStratifiedKFold(_TaskSplitter):
    """K-fold cross-validation that splits every task's rows into the K folds.

    Each task's rows are K-folded separately, so every task is in every
    training fold and every test fold (unlike ``KFold`` on rows grouped by
    task, which holds whole tasks out of training). The folds of a task
    differ in size by at most one row; the tasks' extra rows go to different
    folds in turn, so the folds' total sizes differ by at most one row too.
    Without shuffling, each task's test fold ``k`` is its ``k``-th block of
    consecutive rows, as ``KFold`` makes them.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2. Every task needs at least ``n_splits``
        rows.
    task_column : int, str or None, default=-1
        Where ``X`` holds the task labels: the column's position (numpy
        arrays, sparse matrices, DataFrames; negative counts from the end) or,
        for a DataFrame, its name. A name also finds the one column that a
        ``ColumnTransformer`` renamed with a prefix (``"school"`` finds
        ``"remainder__school"``). Labels may be integers, floats holding
        integers, strings (also in object arrays) or categoricals. None is the
        shared layout: ``X`` has no task column, rows are split as ``KFold``
        splits them, and with a 2-D ``y`` (one column per task, NaN for a
        missing target) every task must keep observed targets on both sides
        of every fold.
    shuffle : bool, default=False
        Shuffle each task's rows before cutting them into folds.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffle (only with ``shuffle=True``). An int gives the same
        folds on every call to ``split``.

    See Also
    --------
    TaskStratifiedShuffleSplit : Repeated random train/test splits of every task.
    sklearn.model_selection.StratifiedKFold : The same by task, with folds
        proportional overall rather than exact per task.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlclassic.model_selection import TaskStratifiedKFold
    >>> X = np.column_stack([np.arange(9.0), [0, 0, 0, 0, 1, 1, 1, 1, 1]])
    >>> for train, test in TaskStratifiedKFold(2).split(X):
    ...     print(test)
    [0 1 4 5 6]
    [2 3 7 8]
    """

    def __init__(self, n_splits=5, *, task_column=-1, shuffle=False, random_state=None):
        self.shuffle = shuffle
        super().__init__(n_splits, task_column=task_column, random_state=random_state)

    def _check_params(self):
        _check_n_splits(self.n_splits, 2, "cross-validation needs at least 2 folds.")
        _check_task_column(self.task_column)
        _check_random_state_use(self.shuffle, self.random_state)

    def _row_splitter(self):
        """The shared layout's splitter: ``KFold`` on the rows."""
        return KFold(self.n_splits, shuffle=self.shuffle, random_state=self.random_state)

    def _split_tasks(self, tasks, codes):
        """The ``(train, test)`` rows of every fold, each task's rows cut into the K folds."""
        k = self.n_splits
        rng = check_random_state(self.random_state) if self.shuffle else None
        order, counts, _ = _task_order(codes, len(tasks), rng)
        small = np.flatnonzero(counts < k)
        if small.size:
            raise ValueError(
                f"TaskStratifiedKFold(n_splits={k}): task {_names(tasks[small], counts[small])} "
                f"{'has' if small.size == 1 else 'have'} fewer rows than folds; every task "
                f"needs at least {k} rows to be in every fold: use n_splits <= "
                f"{int(counts.min())}, or drop or merge the small task(s).")
        base, extra = np.divmod(counts, k)
        # The first fold to get task t's extra row: the folds after the previous
        # tasks' extras, so that the folds' total sizes stay within one row.
        first = (np.cumsum(extra) - extra) % k
        sizes = base[:, None] + ((np.arange(k)[None, :] - first[:, None]) % k < extra[:, None])
        # Rows sorted by task, each task's rows in blocks of fold 0, 1, ..., k - 1.
        fold = np.empty(codes.shape[0], dtype=np.intp)
        fold[order] = np.repeat(np.tile(np.arange(k), len(tasks)), sizes.ravel())
        rows = np.arange(codes.shape[0])
        return ((rows[fold != j], rows[fold == j]) for j in range(k))


class TaskStratifiedShuffleSplit(_TaskSplitter):
    """Repeated random train/test splits of every task's rows with the same fractions.

    In each of the ``n_splits`` splits, each task's rows are shuffled and cut
    with the same test (and train) fraction, so every task is on both sides
    of every split and keeps its share of the rows. A task gets
    ``ceil(test_fraction * n_t)`` test rows and ``floor(train_fraction *
    n_t)`` training rows (as ``ShuffleSplit`` rounds), and at least one of
    each.

    Parameters
    ----------
    n_splits : int, default=10
        Number of splits, at least 1.
    test_size : float, int or None, default=None
        A float in (0, 1) is the fraction of every task's rows in the test
        part; an int is a number of rows of ``X``, made the fraction
        ``test_size / n_samples`` of every task. None is the complement of
        ``train_size``, or 0.1 when ``train_size`` is None too (as
        ``ShuffleSplit``).
    train_size : float, int or None, default=None
        The same for the training part; None is the complement of the test
        part.
    task_column : int, str or None, default=-1
        Where ``X`` holds the task labels, as in :class:`TaskStratifiedKFold`.
        None is the shared layout: rows are split as ``ShuffleSplit`` splits
        them, and with a 2-D ``y`` every task must keep observed targets on
        both sides of every split.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffles. An int gives the same splits on every call to
        ``split``.

    See Also
    --------
    TaskStratifiedKFold : K folds of every task.
    sklearn.model_selection.StratifiedShuffleSplit : The same by task, with
        fractions met overall rather than per task.

    Examples
    --------
    >>> import numpy as np
    >>> from mtlclassic.model_selection import TaskStratifiedShuffleSplit
    >>> X = np.column_stack([np.arange(20.0), np.repeat([0, 1], [10, 10])])
    >>> cv = TaskStratifiedShuffleSplit(3, test_size=0.2, random_state=0)
    >>> [np.bincount(X[test, -1].astype(int)).tolist() for _, test in cv.split(X)]
    [[2, 2], [2, 2], [2, 2]]
    """

    def __init__(self, n_splits=10, *, test_size=None, train_size=None, task_column=-1,
                 random_state=None):
        self.test_size = test_size
        self.train_size = train_size
        super().__init__(n_splits, task_column=task_column, random_state=random_state)

    def _check_params(self):
        _check_n_splits(self.n_splits, 1, "at least one split is needed.")
        for name in ("test_size", "train_size"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"{name} must be a float in (0, 1), an int or None, "
                                 f"got {value!r}.")
            if isinstance(value, numbers.Integral):
                if value < 1:
                    raise ValueError(f"{name}={value} must be at least 1 row (or a float "
                                     "fraction in (0, 1)).")
            elif not 0 < value < 1:
                raise ValueError(f"{name}={value} must be in (0, 1) as a fraction (or an int "
                                 "number of rows).")
        _check_task_column(self.task_column)

    def _fractions(self, n_samples):
        """``(test, train)`` fractions of every task's rows."""
        def fraction(name):
            value = getattr(self, name)
            if value is None or not isinstance(value, numbers.Integral):
                return value
            if value >= n_samples:
                raise ValueError(f"{name}={value} rows leaves none for the other part of X "
                                 f"with {n_samples} rows: use fewer, or a fraction.")
            return value / n_samples

        test, train = fraction("test_size"), fraction("train_size")
        if test is None:
            test = 0.1 if train is None else 1.0 - train
        if train is None:
            train = 1.0 - test
        if test + train > 1 + 1e-12:
            raise ValueError(
                f"test_size={self.test_size!r} and train_size={self.train_size!r} add up to more "
                f"than all the rows ({test:g} + {train:g} of each task): reduce one of them.")
        return test, train

    def _row_splitter(self):
        """The shared layout's splitter: ``ShuffleSplit`` on the rows."""
        return ShuffleSplit(self.n_splits, test_size=self.test_size, train_size=self.train_size,
                            random_state=self.random_state)

    def _split_tasks(self, tasks, codes):
        """The ``(train, test)`` rows of every split, each task cut with the same fractions."""
        test_fraction, train_fraction = self._fractions(codes.shape[0])
        counts = np.bincount(codes, minlength=len(tasks))
        single = np.flatnonzero(counts < 2)
        if single.size:
            raise ValueError(
                f"TaskStratifiedShuffleSplit: task {_names(tasks[single], counts[single])} "
                f"{'has' if single.size == 1 else 'have'} a single row, which cannot be on "
                "both sides of a split: drop or merge the task(s).")
        # Rounded to 9 decimals first, so that 0.7 * 10 = 7.000000000000001 is 7 rows.
        n_test = np.array([math.ceil(round(test_fraction * n, 9)) for n in counts.tolist()])
        n_train = np.array([math.floor(round(train_fraction * n, 9)) for n in counts.tolist()])
        n_train = np.maximum(n_train, 1)
        n_test = np.clip(n_test, 1, counts - n_train)
        rng = check_random_state(self.random_state)
        return self._iter_splits(codes, len(tasks), n_test, n_train, rng)

    def _iter_splits(self, codes, n_tasks, n_test, n_train, rng):
        for _ in range(self.n_splits):
            order, _, starts = _task_order(codes, n_tasks, rng)
            task = codes[order]
            position = np.arange(codes.shape[0]) - starts[task]  # rank within the task
            is_test = position < n_test[task]
            is_train = ~is_test & (position < n_test[task] + n_train[task])
            yield np.sort(order[is_train]), np.sort(order[is_test])
