"""Training rows of both layouts, mini-batches and the validation split.

The estimators validate input with ``check_fit_data`` (the linear models'
checks, so both layouts behave identically) and keep the rows here in one of
two forms:

* shared layout: ``Y`` (n, T) and an observation mask ``M`` (n, T) (0 where
  the target is NaN);
* per-task layout: one target ``y`` (n,) and the row's task ``task`` (n,).

A mini-batch is cut from either form in the layout the network's output has:

* ``"rows"``: ``Y``, ``C`` of shape (m, T) -- one output column per task
  (hard sharing with linear heads, shared layout);
* ``"gather"``: ``Y``, ``C`` of shape (m,) -- one output per row, from its own
  task's head (hard sharing with linear heads, per-task layout);
* ``"all"``: ``Y``, ``C`` of shape (T, m) -- every task's network on every row
  of the batch (shared layout; cross-stitch);
* ``"padded"``: ``Y``, ``C`` of shape (T, m_max) -- each task's network on its own
  rows only, zero-padded to the largest task count of the batch (per-task
  layout); ``slot`` maps the batch's rows to (task, position).

``C`` is ``1 / n_t`` on task t's ``n_t`` observed rows and 0 elsewhere, so each
task's loss is its mean over its rows whatever the layout.
"""

import numpy as np
import scipy.sparse as sp


class NeuralData:
    """The rows of a fit, in the compute dtype (see the module docstring)."""

    def __init__(self, X, n_tasks, *, Y=None, M=None, y=None, task=None):
        self.X = X
        self.n_tasks = int(n_tasks)
        self.Y, self.M, self.y, self.task = Y, M, y, task
        self.n_samples = X.shape[0]
        self.stacked = task is not None

    def task_counts(self, rows):
        """Observed targets of every task among ``rows``, shape (n_tasks,)."""
        if self.stacked:
            return np.bincount(self.task[rows], minlength=self.n_tasks)
        return self.M[rows].sum(axis=0)

    def strata(self):
        """Row groups for the validation split: the task (per-task layout), else the first
        observed task of the row (so a per-task problem written in the shared layout with
        NaNs is split exactly as in the per-task layout)."""
        if self.stacked:
            return self.task
        return np.argmax(self.M > 0, axis=1)

    def gather_X(self, rows):
        if sp.issparse(self.X):
            return self.X[rows].toarray()
        return np.take(self.X, rows, axis=0)


class Batch:
    """One mini-batch: inputs, and targets ``Y`` and weights ``C`` in the network's layout."""

    __slots__ = ("X", "Xp", "Y", "C", "present", "task_axis", "mode", "slot", "order",
                 "task", "n_rows", "width", "tasks")


def make_batch(data, rows, mode, *, padded_input=False, counts=None, targets=True,
               compress=False):
    """Cut the mini-batch ``rows`` (an index array) in layout ``mode``.

    ``counts`` (n_tasks,) normalises ``C`` by given per-task totals instead of
    the batch's own counts (a chunk of a larger evaluation set).
    ``padded_input`` also builds ``Xp`` (T, m_max, p) in the padded mode.
    ``compress`` (padded mode, evaluation only) pads only the tasks present,
    listed in ``tasks``: the first axis of ``Xp``, ``Y`` and ``C`` runs over them.
    """
    b = Batch()
    b.mode = mode
    b.n_rows = len(rows)
    b.X = data.gather_X(rows)
    dtype = b.X.dtype
    T = data.n_tasks
    b.task = data.task[rows] if data.stacked else None
    b.slot = b.order = b.Xp = b.width = b.tasks = None
    if mode == "padded":
        if compress:
            b.tasks, local = np.unique(b.task, return_inverse=True)
            _pad(b, len(b.tasks), padded_input, local)
        else:
            _pad(b, T, padded_input, b.task)
    if not targets:
        return b
    if counts is None:
        counts = data.task_counts(rows)
    b.present = counts > 0
    inv = (1.0 / np.maximum(counts, 1)).astype(dtype)
    n = len(rows)
    if not data.stacked:
        Yb = np.take(data.Y, rows, axis=0)
        Cb = np.take(data.M, rows, axis=0)
        Cb *= inv
        b.Y, b.C, b.task_axis = (Yb, Cb, 1) if mode == "rows" else (Yb.T, Cb.T, 0)
        return b
    yb = data.y[rows]
    cb = inv[b.task]
    if mode == "gather":
        b.Y, b.C, b.task_axis = yb, cb, None
        return b
    if b.tasks is not None:
        b.present = b.present[b.tasks]
        T = len(b.tasks)
    if mode == "rows":
        b.Y = np.zeros((n, T), dtype=dtype)
        b.C = np.zeros((n, T), dtype=dtype)
        ar = np.arange(n)
        b.Y[ar, b.task] = yb
        b.C[ar, b.task] = cb
        b.task_axis = 1
    elif mode == "all":
        b.Y = np.zeros((T, n), dtype=dtype)
        b.C = np.zeros((T, n), dtype=dtype)
        ar = np.arange(n)
        b.Y[b.task, ar] = yb
        b.C[b.task, ar] = cb
        b.task_axis = 0
    else:
        b.Y = np.zeros((T, b.width), dtype=dtype)
        b.C = np.zeros((T, b.width), dtype=dtype)
        b.Y[b.slot] = yb[b.order]
        b.C[b.slot] = cb[b.order]
        b.task_axis = 0
    return b


def _pad(b, T, padded_input, task):
    """Group the batch's rows by task: ``slot = (task, position)`` of row ``order[k]``."""
    order = np.argsort(task, kind="stable")
    ts = task[order]
    counts = np.bincount(ts, minlength=T)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(len(ts)) - starts[ts]
    b.order = order
    b.slot = (ts, pos)
    b.width = int(counts.max()) if len(ts) else 0
    if padded_input:
        b.Xp = np.zeros((T, b.width, b.X.shape[1]), dtype=b.X.dtype)
        b.Xp[b.slot] = b.X[order]


def validation_split(data, fraction, rng):
    """Split row indices into (train, validation), stratified by :meth:`NeuralData.strata`.

    Each stratum gives ``floor(fraction * n_s)`` rows (at most ``n_s - 1``) to
    validation, so every task keeps training rows.
    """
    strata = data.strata()
    val = []
    for s in np.unique(strata):
        rows = np.flatnonzero(strata == s)
        k = min(int(fraction * len(rows)), len(rows) - 1)
        if k > 0:
            val.append(rng.permutation(rows)[:k])
    val = np.sort(np.concatenate(val)) if val else np.empty(0, dtype=np.int64)
    if val.size == 0:
        raise ValueError(
            f"validation_fraction={fraction} leaves no validation rows with "
            f"{data.n_samples} samples; increase it or set early_stopping=False.")
    train = np.setdiff1d(np.arange(data.n_samples), val)
    missing = np.flatnonzero(data.task_counts(train) == 0)
    if missing.size:
        raise ValueError(
            f"The validation split leaves task(s) at position(s) {missing.tolist()} without "
            "training targets; lower validation_fraction or set early_stopping=False.")
    return train, val


def chunks(rows, size):
    """Consecutive pieces of ``rows`` of at most ``size`` (evaluation in bounded memory)."""
    return [rows[i:i + size] for i in range(0, len(rows), max(int(size), 1))]
