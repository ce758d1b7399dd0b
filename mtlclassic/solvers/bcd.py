"""Block coordinate descent over features for the squared loss (numba epochs).

Each epoch takes, for every feature j, one prox-gradient step on the row
``W[j]`` with step ``1 / L_j``, ``L_j = max_t sum_i c_it x_ij^2``: when all
tasks weigh rows alike this is the exact block minimiser, otherwise a
majorisation step.  Intercepts are refitted in closed form after each epoch,
which also keeps the residual of every task weighted-mean zero, as the dual
needs.

References
----------
Ndiaye, E., Fercoq, O., Gramfort, A. and Salmon, J. (2017). Gap safe screening
rules for sparsity enforcing penalties. JMLR 18.
Tseng, P. and Yun, S. (2009). A coordinate gradient descent method for
nonsmooth separable minimization. Math. Program. 117.
"""

import numpy as np
import scipy.sparse as sp

from . import _kernels
from ._gap import duality_gap


def _epoch_function(data, dtype):
    """Bind the epoch kernel for this container.

    Returns ``(epoch, order)``: ``epoch(R, shift, W, L, alpha, kind, features)``
    and the memory order the kernel wants the residual in.
    """
    X = data.X
    p, T = data.n_features, data.n_tasks
    offset = np.zeros((p, T), dtype) if data.X_offset is None else data.X_offset.astype(dtype)
    if sp.issparse(X):
        Xc = X.tocsc()
        sums = (np.zeros((p, T), dtype) if data.X_offset is None
                else data.raw_weighted_sums().astype(dtype))
        if data.layout == "shared":
            return (lambda R, shift, *a: _kernels.bcd_epoch_shared_sparse(
                Xc.data, Xc.indices, Xc.indptr, offset, sums, R, shift, data.C, *a)), "C"
        row_task = np.repeat(np.arange(T), data.task_sizes)
        return (lambda r, shift, *a: _kernels.bcd_epoch_stacked_sparse(
            Xc.data, Xc.indices, Xc.indptr, row_task, offset, sums, r, shift, data.C, *a)), "C"
    if data.layout == "shared" and data.row_weights is not None:
        # C = a (x) tau and every task shares the offsets: center once, densely.
        Xc = np.asfortranarray(X - offset[:, 0], dtype=dtype)
        a, tau = data.row_weights.astype(dtype), data.task_scale.astype(dtype)
        return (lambda R, shift, *args: _kernels.bcd_epoch_shared_separable(
            Xc, a, tau, R, *args)), "F"
    Xf = np.asfortranarray(X)
    if data.layout == "shared":
        Cf = np.asfortranarray(data.C)
        return (lambda R, shift, *a: _kernels.bcd_epoch_shared_dense(
            Xf, offset, R, Cf, *a)), "F"
    return (lambda r, shift, *a: _kernels.bcd_epoch_stacked_dense(
        Xf, data.offsets, offset, r, data.C, *a)), "C"


def bcd(datafit, penalty, W0, b0, *, fit_intercept=True, tol=1e-4, max_iter=1000,
        gap_freq=5, screening=True, verbose=0):
    """Minimise ``1/2 sum_it c_it (y_it - z_it)^2 + penalty(W)`` by block coordinate descent.

    Same parameters and returns as :func:`mtlclassic.solvers.fista`; requires
    a quadratic datafit and a penalty with a numba row prox (``penalty.kind``).
    ``max_iter`` counts epochs.  Every ``gap_freq`` epochs the duality gap is
    evaluated on the residual kept by the epochs (one product ``X^T theta``);
    convergence is confirmed on a residual recomputed from scratch.
    ``screening`` drops, at every gap evaluation, the features the gap-safe
    rule proves zero.  With ``fit_intercept`` the container must be centered
    (``data.center()``): the optimal intercepts are then the weighted target
    means, whatever ``W``.
    """
    if datafit.name != "quadratic":
        raise ValueError("bcd solves the squared loss only; use solver='fista'.")
    data = datafit.data
    if fit_intercept and data.X_offset is None:
        raise ValueError("bcd with intercepts needs a centered container (data.center()).")
    dtype = data.dtype
    gap_scale = max(datafit.null_value(fit_intercept), np.finfo(dtype).tiny)
    W = np.array(W0, dtype=dtype, order="C", copy=True)
    b = (datafit.optimal_intercept(datafit.linear(W)).astype(dtype) if fit_intercept
         else np.zeros(data.n_tasks, dtype))
    lipschitz = datafit.block_lipschitz().astype(dtype)
    features = np.arange(data.n_features, dtype=np.int64)
    epoch, order = _epoch_function(data, dtype)
    R = np.array(data.Y - datafit.linear(W, b), order=order)
    shift = np.zeros(data.n_tasks, dtype)
    # The start may already be optimal (alpha >= alpha_max from zero, a warm
    # start): then no epoch runs and exact zeros stay exact.
    _, _, gap = duality_gap(datafit, penalty, W, data.Y - R)
    if gap <= tol * gap_scale:
        return W, b, 0, gap, gap_scale
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        epoch(R, shift, W, lipschitz, penalty.alpha, penalty.kind, features)
        if n_iter % gap_freq and n_iter != max_iter:
            continue
        Z = data.Y - (R + data.expand(shift))  # the predictor the kept residual stands for
        _, _, gap, V = duality_gap(datafit, penalty, W, Z, return_correlations=True)
        if gap <= tol * gap_scale:
            # Confirm on an exact residual: the kept one accumulates rounding.
            Z = datafit.linear(W, b)
            _, _, gap, V = duality_gap(datafit, penalty, W, Z, return_correlations=True)
            R = np.array(data.Y - Z, order=order)
            shift[:] = 0.0
        if verbose:
            print(f"bcd epoch {n_iter}: relative gap {gap / gap_scale:.3e}, "
                  f"{features.size} features left")
        if gap <= tol * gap_scale:
            break
        if screening:
            features, screened = _screen(penalty, V, lipschitz, gap, features)
            if screened.size and np.any(W[screened]):
                W[screened] = 0.0
                R = np.array(data.Y - datafit.linear(W, b), order=order)
                shift[:] = 0.0
    return W, b, n_iter, gap, gap_scale


def _screen(penalty, V, lipschitz, gap, features):
    """Gap-safe screening (Ndiaye et al. 2017): drop features proven zero at the optimum.

    The quadratic dual ``sum theta y - theta^2 / (2c)`` is 1-strongly concave
    in the norm ``||theta||_C^2 = sum theta^2 / c``, so
    ``||theta - theta*||_C <= sqrt(2 gap)`` and, by Cauchy-Schwarz,
    ``||X_j^T (theta - theta*)||_2 <= sqrt(L_j) sqrt(2 gap)``.
    """
    radius = np.sqrt(2.0 * max(gap, 0.0) * lipschitz.astype(np.float64))
    zero = penalty.screen(V, radius)
    return features[~zero[features]], features[zero[features]]
