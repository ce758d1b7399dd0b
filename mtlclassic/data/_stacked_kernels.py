"""numba kernels of the stacked design's products for many small dense task blocks.

With many small tasks (School: 139 tasks of 4-50 rows at 20 % training) one
BLAS product per task is mostly Python and call overhead: the products below
do every task in one compiled pass, row by row. They are used only where
every task's block is small (``COMPILED_BLOCK_ENTRIES`` in ``_containers``),
so a block stays in cache whatever ``X``'s memory order; large blocks go to
BLAS. ``reassoc`` lets the sums vectorise, as BLAS reorders its sums too.
"""

import numpy as np
from numba import njit

_FAST = {"reassoc", "contract"}


@njit(cache=True, nogil=True, fastmath=_FAST)
def stacked_linear(X, features, W, offsets, out):
    """``out[i] = X[i, features] . W[:, t(i)]`` for the rows ``i`` of every task ``t``.

    ``features`` None: every column (``W`` of shape (n_features, n_tasks)).
    """
    p = X.shape[1] if features is None else features.size
    for t in range(offsets.size - 1):
        w = np.ascontiguousarray(W[:, t])
        for i in range(offsets[t], offsets[t + 1]):
            acc = 0.0
            if features is None:
                for k in range(p):
                    acc += X[i, k] * w[k]
            else:
                for k in range(p):
                    acc += X[i, features[k]] * w[k]
            out[i] = acc


@njit(cache=True, nogil=True, fastmath=_FAST)
def stacked_rmatvec(X, features, d, offsets, G):
    """``G[k, t] = sum_{i in t} X[i, features[k]] d[i]``: column t is ``X_t[:, features]^T d_t``."""
    p = X.shape[1] if features is None else features.size
    g = np.empty(p, dtype=G.dtype)
    for t in range(offsets.size - 1):
        g[:] = 0.0
        for i in range(offsets[t], offsets[t + 1]):
            di = d[i]
            if features is None:
                for k in range(p):
                    g[k] += X[i, k] * di  # g_t += x_i d_i
            else:
                for k in range(p):
                    g[k] += X[i, features[k]] * di
        G[:, t] = g


@njit(cache=True, nogil=True, fastmath=_FAST)
def stacked_sq_rmatvec(X, d, offsets, G):
    """``G[k, t] = sum_{i in t} X[i, k]^2 d[i]``: each task's weighted squared column norms."""
    p = X.shape[1]
    g = np.empty(p, dtype=G.dtype)
    for t in range(offsets.size - 1):
        g[:] = 0.0
        for i in range(offsets[t], offsets[t + 1]):
            di = d[i]
            for k in range(p):
                g[k] += X[i, k] * X[i, k] * di
        G[:, t] = g


@njit(cache=True, nogil=True, fastmath=_FAST)
def stacked_linear_f(X, W, offsets, out):
    """:func:`stacked_linear` (every column) for a Fortran-ordered ``X``: columns read in order."""
    p = X.shape[1]
    for t in range(offsets.size - 1):
        s, e = offsets[t], offsets[t + 1]
        ot = out[s:e]
        ot[:] = 0.0
        for k in range(p):
            w = W[k, t]
            if w != 0.0:
                xk = X[s:e, k]
                for i in range(e - s):
                    ot[i] += xk[i] * w


@njit(cache=True, nogil=True, fastmath=_FAST)
def stacked_rmatvec_f(X, d, offsets, G):
    """:func:`stacked_rmatvec` (every column) for a Fortran-ordered ``X``."""
    p = X.shape[1]
    for t in range(offsets.size - 1):
        s, e = offsets[t], offsets[t + 1]
        dt = d[s:e]
        for k in range(p):
            xk = X[s:e, k]
            acc = 0.0
            for i in range(e - s):
                acc += xk[i] * dt[i]
            G[k, t] = acc


@njit(cache=True, nogil=True)
def stacked_centered_copy(X, features, offsets, X_offset, out):
    """``out[i, k] = X[i, features[k]] - X_offset[features[k], t(i)]``, ``out`` Fortran-ordered."""
    for k in range(features.size):
        j = features[k]
        for t in range(offsets.size - 1):
            m = X_offset[j, t]
            for i in range(offsets[t], offsets[t + 1]):
                out[i, k] = X[i, j] - m


@njit(cache=True, nogil=True, fastmath=_FAST)
def stacked_weighted_gram(X, offsets, X_offset, c, u, Q, B):
    """Each task's weighted Gram of the centered columns, and their products with ``u``.

    ``Q[t] = Xc_t^T diag(c_t) Xc_t`` (k, k) and ``B[:, t] = Xc_t^T diag(c_t) u_t``
    with ``Xc_t = X_t - X_offset[:, t]`` (rows ``offsets[t]:offsets[t + 1]``);
    ``X`` Fortran-ordered (a working set's copy), so every sum runs down two
    contiguous columns. Accumulated in float64 (``Q``, ``B``).
    """
    k = X.shape[1]
    for t in range(offsets.size - 1):
        s, e = offsets[t], offsets[t + 1]
        ct, ut = c[s:e], u[s:e]
        for j in range(k):
            xj, mj = X[s:e, j], float(X_offset[j, t])
            acc = 0.0
            for i in range(e - s):
                acc += (xj[i] - mj) * ct[i] * ut[i]
            B[j, t] = acc
            for m in range(j + 1):
                xm, mm = X[s:e, m], float(X_offset[m, t])
                acc = 0.0
                for i in range(e - s):
                    acc += (xj[i] - mj) * ct[i] * (xm[i] - mm)
                Q[t, j, m] = acc
                Q[t, m, j] = acc
