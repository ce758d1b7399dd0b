"""The practitioner's baselines' data: each task's rows, the augmented design, its ridge solve.

Both baselines (:mod:`mtlclassic.estimators.practitioner`) fit one
single-task model on the rows of every task, the task added as a feature.
:func:`task_rows` turns the package's validated problem (either layout) into
each task's rows with their raw sample weights; :func:`augmented_design`
writes the feature-augmentation design ``[x, e_t, c e_t (x) x]``;
:func:`augmented_ridge` solves ridge on that design exactly without forming
it, through the design's block structure.
"""

import numpy as np
import scipy.sparse as sp

from .._validation import check_sample_weight, read_tasks
from ..data import exponent, max_abs


def task_rows(est, data, X, sample_weight):
    """Each task's observed rows: ``[(X_t, y_t, s_t), ...]`` in the order of ``est.tasks_``.

    ``data`` is the container :func:`~mtlclassic._validation.check_fit_data`
    built from ``(X, y, sample_weight)``; ``s_t`` are the user's sample
    weights (not the container's per-task-mean loss weights). A row of the
    shared layout is a row of every task whose target it observes (NaN
    targets left out); rows of weight 0 are left out (as scikit-learn's
    estimators treat them: as absent). ``y_t`` are numbers, or -1/+1 for
    classifiers (``classes_[1]`` is +1).
    """
    # (validated by check_fit_data already: this only reads them, in float64)
    sw = check_sample_weight(sample_weight, data.n_samples, np.float64)
    if data.layout == "shared":
        Xs = data.X.tocsr() if sp.issparse(data.X) else data.X
        out = []
        for t in range(data.n_tasks):
            rows = np.flatnonzero(data.C[:, t] > 0)
            out.append((Xs[rows], data.Y[rows, t], sw[rows]))
        return out
    # The container holds the rows sorted by task (stably): the weights follow them.
    task_index = np.searchsorted(est.tasks_, read_tasks(X, est.task_column))
    sw = sw[np.argsort(task_index, kind="stable")]
    out = []
    for s, e in zip(data.offsets[:-1], data.offsets[1:]):
        keep = s + np.flatnonzero(data.C[s:e] > 0)
        out.append((data.X[keep], data.Y[keep], sw[keep]))
    return out


def long_format(blocks):
    """The rows of every task stacked: ``(features, task_index, y, sample_weight)``."""
    feats = [b[0] for b in blocks]
    feats = (sp.vstack([sp.csr_matrix(f) for f in feats], format="csr")
             if any(sp.issparse(f) for f in feats) else np.concatenate(feats))
    task = np.repeat(np.arange(len(blocks)), [b[1].shape[0] for b in blocks])
    return (feats, task, np.concatenate([b[1] for b in blocks]),
            np.concatenate([b[2] for b in blocks]))


# A dense augmented design of more entries than this (256 MB in float64) is built sparse.
DENSE_ENTRIES = 2 ** 25


def augmented_design(feats, task, n_tasks, task_scale, sparse=None):
    """``[x, e_t, c e_t (x) x]`` for each row ``x`` of task ``t`` (``e_t`` the one-hot vector).

    Columns: the ``p`` features, the ``T`` task indicators, then ``T`` blocks
    of ``p`` (block ``t`` holds ``c x`` on task t's rows, zeros elsewhere).
    Sparse (CSR) when ``feats`` is sparse, when ``sparse`` is True, or (``sparse=None``)
    when the dense array would exceed :data:`DENSE_ENTRIES` entries.
    """
    n, p = feats.shape
    width = p + n_tasks + n_tasks * p
    if sparse is None:
        sparse = sp.issparse(feats) or n * width > DENSE_ENTRIES
    dtype = feats.dtype
    if not sparse:
        Z = np.zeros((n, width), dtype=dtype)
        Z[:, :p] = feats
        Z[np.arange(n), p + task] = 1
        # the interaction block as (n, T, p): row i's slot task[i] holds c x_i
        Z[:, p + n_tasks:].reshape(n, n_tasks, p)[np.arange(n), task] = task_scale * feats
        return Z
    F = sp.csr_matrix(feats)
    F.sort_indices()
    counts = np.diff(F.indptr)
    inter = sp.csr_matrix((task_scale * F.data, F.indices + p * np.repeat(task, counts),
                           F.indptr.copy()), shape=(n, n_tasks * p))
    ind = sp.csr_matrix((np.ones(n, dtype=dtype), task, np.arange(n + 1)), shape=(n, n_tasks))
    return sp.hstack([F, ind, inter], format="csr").astype(dtype, copy=False)


def split_augmented(coef, n_features, n_tasks, task_scale):
    """Per-task models from augmented coefficients ``[w, u, v_1, ..., v_T]``.

    Task t's predictor is ``x . (w + c v_t) + u_t`` (plus the intercept):
    returns ``(coef of shape (T, p), offsets u of shape (T,))``.
    """
    p = n_features
    w, u = coef[:p], coef[p:p + n_tasks]
    V = coef[p + n_tasks:].reshape(n_tasks, p)
    return w[None, :] + task_scale * V, u


def augmented_ridge(blocks, alpha, task_scale, fit_intercept):
    """Ridge on ``[x, e_t, c e_t (x) x]`` solved exactly by its block structure, in float64.

    Minimises (scikit-learn's ``Ridge`` objective on the augmented design,
    the intercept ``b`` not penalised)::

        sum_t sum_{i in t} s_i (y_i - b - x_i . w - u_t - c x_i . v_t)^2
            + alpha (||w||^2 + ||u||^2 + sum_t ||v_t||^2)

    Each task's unknowns ``(v_t, u_t)`` meet only its own rows, so the normal
    equations are block-arrowhead: every task block ``D_t = E G_t E + alpha I``
    (``G_t = [X_t, 1]^T S_t [X_t, 1]``, ``E = diag(c, ..., c, 1)``) is
    eliminated, and the shared ``(w, b)`` solve the Schur complement (a
    ``(p + 1)``-square system). Cost ``O(T p^3 + n p^2)``; the augmented
    design is never formed.

    Returns
    -------
    coef : ndarray of shape (n_tasks, n_features)
        ``w + c v_t``.
    intercept : ndarray of shape (n_tasks,)
        ``b + u_t``.
    """
    T = len(blocks)
    p = blocks[0][0].shape[1]
    q = p + 1  # unknowns of one block: p weights and one offset
    # Solved in units where X and y are near 1 (powers of two: exact), so that the Gram
    # blocks of features near 1e100 do not overflow: with x = 2^ex x' and y = 2^ey y', the
    # objective divided by 4^ey is the same problem in (x', y') with the weights'
    # strength alpha 4^-ex (the weights w = 2^(ey - ex) w', offsets u = 2^ey u').
    ex = exponent(max(max_abs(b[0]) for b in blocks))
    ey = exponent(max(max_abs(b[1]) for b in blocks))
    alpha_w = float(np.ldexp(alpha, -2 * ex))
    E = np.concatenate([np.full(p, float(task_scale)), [1.0]])
    reg_task = np.concatenate([np.full(p, alpha_w), [float(alpha)]])
    shared = np.arange(q) if fit_intercept else np.arange(p)  # (w, b), or w alone
    reg_shared = np.full(shared.size, alpha_w)
    if fit_intercept:
        reg_shared[-1] = 0.0  # the intercept is not penalised
    A = np.diag(reg_shared)
    r_shared = np.zeros(shared.size)
    eliminated = []
    for Xt, yt, st in blocks:
        Xt = Xt.astype(np.float64)
        Xt = Xt * np.ldexp(1.0, -ex) if ex else Xt
        yt = np.ldexp(np.asarray(yt, dtype=np.float64), -ey)
        st = np.asarray(st, dtype=np.float64)
        # G = [X, 1]^T S [X, 1] and r = [X, 1]^T S y, in blocks (X may be sparse)
        SX = Xt.multiply(st[:, None]).tocsr() if sp.issparse(Xt) else Xt * st[:, None]
        G = np.empty((q, q))
        G[:p, :p] = np.asarray((Xt.T @ SX).todense() if sp.issparse(Xt) else Xt.T @ SX)
        G[:p, p] = G[p, :p] = np.asarray(SX.sum(axis=0)).ravel()
        G[p, p] = st.sum()
        r = np.concatenate([np.asarray(SX.T @ yt).ravel(), [st @ yt]])
        D = E[:, None] * G * E[None, :] + np.diag(reg_task)
        B = G[np.ix_(shared, np.arange(q))] * E[None, :]  # shared-by-task block P^T G E
        # D^{-1} [B^T, E r] in one factorisation (D is positive definite: alpha > 0)
        sol = np.linalg.solve(D, np.column_stack([B.T, E * r]))
        A += G[np.ix_(shared, shared)] - B @ sol[:, :-1]
        r_shared += r[shared] - B @ sol[:, -1]
        eliminated.append(sol)
    theta = np.linalg.solve(A, r_shared)
    w = theta[:p]
    b = theta[p] if fit_intercept else 0.0
    coef = np.empty((T, p))
    intercept = np.empty(T)
    for t, sol in enumerate(eliminated):
        phi = sol[:, -1] - sol[:, :-1] @ theta  # (v_t, u_t)
        coef[t] = w + task_scale * phi[:p]
        intercept[t] = b + phi[p]
    return np.ldexp(coef, ey - ex), np.ldexp(intercept, ey)
