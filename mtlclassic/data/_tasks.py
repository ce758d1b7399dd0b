"""Conversion between MALSAR-style lists of per-task arrays and one stacked array."""

import numpy as np
import scipy.sparse as sp


def stack_tasks(Xs, ys):
    """Stack per-task designs into one array with the task id as last column.

    Parameters
    ----------
    Xs : list of array-like, each of shape (n_t, n_features)
        One design per task (MALSAR's ``X{t}``). Sparse matrices are allowed.
    ys : list of array-like, each of shape (n_t,)
        One target vector per task (MALSAR's ``Y{t}``).

    Returns
    -------
    X : ndarray or sparse matrix of shape (sum_t n_t, n_features + 1)
        Rows of all tasks; the last column holds the task id ``0..T-1``, so
        estimators fit it with ``task_column=-1``.
    y : ndarray of shape (sum_t n_t,)
    """
    if len(Xs) != len(ys):
        raise ValueError(f"stack_tasks got {len(Xs)} designs but {len(ys)} targets.")
    if len(Xs) == 0:
        raise ValueError("stack_tasks needs at least one task.")
    blocks, targets = [], []
    n_features = None
    for t, (Xt, yt) in enumerate(zip(Xs, ys)):
        yt = np.asarray(yt)
        if yt.ndim == 2 and yt.shape[1] == 1:
            yt = yt.ravel()
        if yt.ndim != 1:
            raise ValueError(f"Target of task {t} must be 1-D, got shape {yt.shape}.")
        Xt = Xt if sp.issparse(Xt) else np.asarray(Xt)
        if Xt.ndim != 2 or Xt.shape[0] != yt.shape[0]:
            raise ValueError(
                f"Task {t}: X has shape {Xt.shape} but y has {yt.shape[0]} samples."
            )
        if Xt.shape[0] == 0:
            raise ValueError(f"Task {t} has no samples.")
        if n_features is None:
            n_features = Xt.shape[1]
        elif Xt.shape[1] != n_features:
            raise ValueError(
                f"Task {t} has {Xt.shape[1]} features, task 0 has {n_features}."
            )
        ids = np.full((Xt.shape[0], 1), t, dtype=np.float64)
        if sp.issparse(Xt):
            blocks.append(sp.hstack([Xt, sp.csr_matrix(ids)], format="csr"))
        else:
            dtype = np.result_type(Xt.dtype, np.float32)  # ints become floats
            blocks.append(np.hstack([Xt.astype(dtype), ids.astype(dtype)]))
        targets.append(yt)
    if any(sp.issparse(B) for B in blocks):
        X = sp.vstack([sp.csr_matrix(B) for B in blocks], format="csr")
    else:
        X = np.vstack(blocks)
    return X, np.concatenate(targets)


def split_tasks(X, y, task_column):
    """Split a stacked data set into per-task lists (the inverse of :func:`stack_tasks`).

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_columns)
        Rows of all tasks, one column of which names the task.
    y : array-like of shape (n_samples,)
    task_column : int
        Index of the task column (negative indices count from the end).

    Returns
    -------
    Xs : list of arrays of shape (n_t, n_columns - 1)
        Per-task designs without the task column, tasks in sorted label order.
    ys : list of arrays of shape (n_t,)
    tasks : ndarray of shape (n_tasks,)
        The task labels, in the order of the lists.
    """
    Xa = X if sp.issparse(X) else np.asarray(X)
    y = np.asarray(y)
    if Xa.ndim != 2:
        raise ValueError(f"X must be 2-D, got {Xa.ndim} dimension(s).")
    if y.shape[0] != Xa.shape[0]:
        raise ValueError(f"X has {Xa.shape[0]} rows but y has {y.shape[0]}.")
    n_cols = Xa.shape[1]
    if not -n_cols <= task_column < n_cols:
        raise ValueError(f"task_column={task_column} is out of range for {n_cols} columns.")
    col = task_column % n_cols
    ids = Xa[:, [col]].toarray().ravel() if sp.issparse(Xa) else Xa[:, col]
    keep = [k for k in range(n_cols) if k != col]
    feats = Xa[:, keep]
    tasks = np.unique(ids)
    Xs = [feats[ids == t] for t in tasks]
    ys = [y[ids == t] for t in tasks]
    return Xs, ys, tasks


def stack_sources(sources):
    """Join data sources with missing blocks into one per-task design, one task per pattern.

    Incomplete multi-source fusion (iMSF; Yuan et al. 2012, MALSAR's
    ``Least_iMSF`` / ``Logistic_iMSF``): each sample has some of the data
    sources (modalities) and not others. The samples that share a pattern of
    available sources form a task, whose model uses those sources' features
    only; a feature is selected jointly by every pattern that has it. That is
    the group lasso of the per-task layout on the design returned here
    (:class:`~mtlclassic.GroupLassoRegressor`, ``task_column=-1``): a missing
    source's features are 0 in its pattern's rows, so the data never move
    those coefficients and the group penalty holds them at exactly 0, and
    ``sum_j ||coef[:, j]||_2`` is iMSF's sum over each feature's group of
    coefficients in the patterns that have it.

    Parameters
    ----------
    sources : list of array-like, each of shape (n_samples, n_features_s)
        One array per source, rows aligned across sources (MALSAR's
        ``X_Set``). A sample missing a source has a whole row of NaN there.

    Returns
    -------
    X : ndarray of shape (n_samples, sum_s n_features_s + 1)
        The sources side by side, missing blocks set to 0; the last column is
        the sample's pattern, ``sum_s 2**s`` over the sources ``s`` it has
        (the same code for the same pattern in any data set, so that new
        samples are predicted by their pattern's model).

    Raises
    ------
    ValueError
        If the sources disagree on the number of rows, a row of a source is
        partly NaN (impute it first: iMSF only models whole missing sources),
        a value is infinite, or a sample has no source at all.
    """
    if len(sources) == 0:
        raise ValueError("stack_sources needs at least one source.")
    blocks, present = [], []
    n = None
    for s, Xs in enumerate(sources):
        Xs = np.array(Xs.toarray() if sp.issparse(Xs) else Xs, dtype=np.float64)  # a copy
        if Xs.ndim != 2:
            raise ValueError(f"Source {s} must be 2-D (n_samples, n_features), got shape "
                             f"{Xs.shape}.")
        if n is None:
            n = Xs.shape[0]
        elif Xs.shape[0] != n:
            raise ValueError(f"Source {s} has {Xs.shape[0]} rows, source 0 has {n}; the rows "
                             "of all sources must be the same samples.")
        nan = np.isnan(Xs)
        missing = nan.all(axis=1) if Xs.shape[1] else np.zeros(n, dtype=bool)
        partial = nan.any(axis=1) & ~missing
        if partial.any():
            i = int(np.flatnonzero(partial)[0])
            raise ValueError(f"Source {s}, row {i} is partly NaN: a missing source is a whole "
                             "row of NaN; impute single missing values first.")
        if np.isinf(Xs).any():
            raise ValueError(f"Source {s} contains infinite values.")
        Xs[missing] = 0.0
        blocks.append(Xs)
        present.append(~missing)
    present = np.column_stack(present)
    empty = ~present.any(axis=1)
    if empty.any():
        raise ValueError(f"Sample {int(np.flatnonzero(empty)[0])} has no source (NaN in every "
                         "source); drop it.")
    pattern = present.astype(np.float64) @ (2.0 ** np.arange(present.shape[1]))
    return np.hstack(blocks + [pattern[:, None]])
