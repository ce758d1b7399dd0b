"""Training rows of both layouts, mini-batches and the validation split.

The estimators validate input with ``check_fit_data`` (every estimator family's
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
* ``"own"``: as ``"gather"`` -- one output per row, its own task's network's,
  though every task's network runs on the row up to the last hidden layer
  (cross-stitch, per-task layout);
* ``"all"``: ``Y``, ``C`` of shape (T, m) -- every task's network on every row
  of the batch (shared layout; cross-stitch);
* ``"padded"``: ``Y``, ``C`` of shape (T, m_max) -- each task's network on its own
  rows only, zero-padded to the largest task count of the batch (per-task
  layout); ``slot`` maps the batch's rows to (task, position).

``C`` is ``1 / n_t`` on task t's ``n_t`` observed rows and 0 elsewhere, so each
task's loss is its mean over its rows whatever the layout.  With sample
weights ``s_i`` (``fit``'s ``sample_weight``) it is ``s_i / sum_{i' in t} s_i'``
instead, the weighted mean: the weights live in ``M`` (shared layout: the
observation mask times the row's weight) or in ``w`` (per-task layout), and
"counts" below are then those weights' totals.  Rows of weight 0 never get
here (the estimator drops them), so a zero weight is the row removed.
"""

import numpy as np
import scipy.sparse as sp

# Powers of two a feature scale may take: 2**-1022 is float64's smallest normal number, and
# 2**1023 its largest power of two, so the scales and their inverses are normal floats.
_SCALE_EXPONENTS = (-1022, 1023)


def feature_scale(X, weights=None):
    """Each column's root mean square rounded to a power of two, in float64 (ones for zero
    columns); with ``weights`` (n_samples,) the weighted root mean square
    ``sqrt(sum_i s_i x_ij^2 / sum_i s_i)`` (integer weights: the rows repeated).

    Training divides the features by these scales before casting them to the
    training dtype, so a column in any units reaches the network with a root
    mean square in ``[2**-0.5, 2**0.5)``: ``X * 1e20`` trains like ``X`` with
    each feature multiplied by a factor in ``(1/2, 2)`` instead of overflowing
    float32 (whose largest number, 3.4e38, the squared error of an output
    near 1e20 already exceeds), and tiny units do not underflow to zero in
    the cast.  Powers of two make the
    scaling exact in floating point: a column that already has unit root mean
    square (``2**-0.5 <= rms < 2**0.5``, e.g. a standardised one) keeps scale 1
    and trains bit for bit as without scaling, and ``X * 2**k`` trains exactly
    as ``X``.  The mean square is taken of the column divided by its largest
    magnitude, so it cannot overflow even for entries near 1e308.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Finite features (validated), float32 or float64.
    weights : ndarray of shape (n_samples,), default=None
        Positive row weights (None: ones).

    Returns
    -------
    scale : ndarray of shape (n_features,)
    """
    n, p = X.shape
    if sp.issparse(X):
        X = X.tocsc()
        col = np.repeat(np.arange(p), np.diff(X.indptr))  # each stored entry's column
        values = np.abs(X.data.astype(np.float64))
        top = np.zeros(p)
        np.maximum.at(top, col, values)
        unit = values / np.where(top > 0, top, 1.0)[col]
        if weights is not None:  # each stored entry's row weight
            unit = unit * np.sqrt(np.asarray(weights, dtype=np.float64)[X.indices])
        sq = np.bincount(col, weights=unit * unit, minlength=p)
    else:
        top = np.max(np.abs(X), axis=0).astype(np.float64) if n else np.zeros(X.shape[1])
        unit = X / np.where(top > 0, top, 1.0)  # float64, entries in [-1, 1]
        if weights is None:
            sq = np.einsum("ij,ij->j", unit, unit)
        else:  # sum_i s_i unit_ij^2
            sq = np.asarray(weights, dtype=np.float64) @ (unit * unit)
    total = max(n, 1) if weights is None else max(float(np.sum(weights, dtype=np.float64)),
                                                   np.finfo(np.float64).tiny)
    rms = top * np.sqrt(sq / total)
    scale = np.ones(X.shape[1])
    nz = rms > 0
    exponent = np.clip(np.round(np.log2(rms[nz])), *_SCALE_EXPONENTS)
    scale[nz] = np.ldexp(1.0, exponent.astype(int))
    return scale


def scale_features(X, scale, dtype):
    """``X / scale`` (column-wise) in ``dtype``: a new array or CSR matrix, ``X`` untouched.

    The division happens in float64 before the cast; by powers of two it is
    exact (see :func:`feature_scale`).  With every scale 1 this is the plain
    cast.
    """
    inv = 1.0 / scale  # exact: the scales are powers of two
    # In float64 even for float32 input: a float32 column of tiny or huge entries has an
    # inverse scale outside float32's range, while its scaled entries are inside it.
    if sp.issparse(X):
        X = X.tocsr()
        if np.any(scale != 1.0):
            X = X.astype(np.float64)  # a copy: the caller's matrix stays untouched
            X.data *= inv[X.indices]
        return X.astype(dtype)
    if np.any(scale != 1.0):
        X = X * inv  # float64
    return np.ascontiguousarray(X, dtype=dtype)


class NeuralData:
    """The rows of a fit, in the compute dtype (see the module docstring).

    ``M`` (shared layout) is the observation mask, or with sample weights
    each observed entry's row weight; ``w`` (per-task layout) the rows'
    sample weights, None for unweighted rows.
    """

    def __init__(self, X, n_tasks, *, Y=None, M=None, y=None, task=None, w=None):
        self.X = X
        self.n_tasks = int(n_tasks)
        self.Y, self.M, self.y, self.task, self.w = Y, M, y, task, w
        self.n_samples = X.shape[0]
        self.stacked = task is not None

    def task_counts(self, rows):
        """Observed targets of every task among ``rows`` (their total sample weight with
        weights), shape (n_tasks,)."""
        if self.stacked:
            w = None if self.w is None else self.w[rows].astype(np.float64)
            return np.bincount(self.task[rows], weights=w, minlength=self.n_tasks)
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
    # 1 / n_t, or 1 / sum_{i in t} s_i, on the tasks present
    inv = (1.0 / np.where(b.present, counts, 1)).astype(dtype)  # (weighted totals may be < 1)
    n = len(rows)
    if not data.stacked:
        Yb = np.take(data.Y, rows, axis=0)
        Cb = np.take(data.M, rows, axis=0)
        Cb *= inv
        b.Y, b.C, b.task_axis = (Yb, Cb, 1) if mode == "rows" else (Yb.T, Cb.T, 0)
        return b
    yb = data.y[rows]
    cb = inv[b.task] if data.w is None else data.w[rows] * inv[b.task]  # s_i / sum_t s
    if mode in ("gather", "own"):
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
