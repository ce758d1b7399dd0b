"""Block coordinate descent over features for the squared loss (numba epochs).

Each epoch takes, for every feature j, one prox-gradient step on the row
``W[j]`` with step ``1 / L_j``, ``L_j = max_t sum_i c_it x_ij^2``: when all
tasks weigh rows alike this is the exact block minimiser, otherwise a
majorisation step.  Intercepts are refitted in closed form after each epoch,
which also keeps the residual of every task weighted-mean zero, as the dual
needs.

References
----------
Tseng, P. and Yun, S. (2009). A coordinate gradient descent method for
nonsmooth separable minimization. Math. Program. 117.
"""

import numpy as np
import scipy.sparse as sp

from . import _kernels
from ._gap import duality_gap


def _epoch_function(data):
    """Bind the epoch kernel for this container; returns ``epoch(R, W, L, alpha, kind, features)``."""
    X = data.X
    if data.layout == "shared":
        if sp.issparse(X):
            Xc = X.tocsc()
            return lambda R, *a: _kernels.bcd_epoch_shared_sparse(
                Xc.data, Xc.indices, Xc.indptr, R, data.C, *a)
        Xf = np.asfortranarray(X)
        return lambda R, *a: _kernels.bcd_epoch_shared_dense(Xf, R, data.C, *a)
    if sp.issparse(X):
        Xc = X.tocsc()
        row_task = np.repeat(np.arange(data.n_tasks), data.task_sizes)
        return lambda r, *a: _kernels.bcd_epoch_stacked_sparse(
            Xc.data, Xc.indices, Xc.indptr, row_task, r, data.C, *a)
    Xf = np.asfortranarray(X)
    return lambda r, *a: _kernels.bcd_epoch_stacked_dense(Xf, data.offsets, r, data.C, *a)


def bcd(datafit, penalty, W0, b0, *, fit_intercept=True, tol=1e-4, max_iter=1000,
        gap_freq=10, verbose=0):
    """Minimise ``1/2 sum_it c_it (y_it - z_it)^2 + penalty(W)`` by block coordinate descent.

    Same parameters and returns as :func:`mtlclassic.solvers.fista`; requires
    a quadratic datafit and a penalty with a numba row prox (``penalty.kind``).
    ``max_iter`` counts epochs.
    """
    if datafit.name != "quadratic":
        raise ValueError("bcd solves the squared loss only; use solver='fista'.")
    data = datafit.data
    dtype = data.dtype
    gap_scale = max(datafit.null_value(fit_intercept), np.finfo(dtype).tiny)
    W = np.array(W0, dtype=dtype, order="C", copy=True)
    b = np.array(b0, dtype=dtype, copy=True) if fit_intercept else np.zeros(data.n_tasks, dtype)
    if fit_intercept:
        b = datafit.optimal_intercept(datafit.linear(W)).astype(dtype)
    R = data.Y - datafit.linear(W, b)
    lipschitz = datafit.block_lipschitz().astype(dtype)
    features = np.arange(data.n_features, dtype=np.int64)
    epoch = _epoch_function(data)
    C_task = data.task_sum(data.C)
    gap = np.inf
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        epoch(R, W, lipschitz, penalty.alpha, penalty.kind, features)
        if fit_intercept:
            db = data.task_sum(data.C * R) / C_task
            b += db
            R -= data.expand(db)  # residual of each task back to weighted mean zero
        if n_iter % gap_freq == 0 or n_iter == max_iter:
            # Recompute from scratch: the in-place residual accumulates rounding.
            Z = datafit.linear(W, b)
            R = data.Y - Z
            _, _, gap = duality_gap(datafit, penalty, W, Z)
            if verbose:
                print(f"bcd epoch {n_iter}: relative gap {gap / gap_scale:.3e}")
            if gap <= tol * gap_scale:
                break
    return W, b, n_iter, gap, gap_scale
