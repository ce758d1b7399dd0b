"""Reference solver: the same objective handed to cvxpy (interior point, Clarabel).

Slow but exact to the conic solver's precision; tests use it as the oracle.
"""

import numpy as np
import scipy.sparse as sp

from ._gap import duality_gap, profile_free


def _task_blocks(data):
    """Yield ``(t, rows, X_t, y_t, c_t)`` for each task, in both layouts."""
    X = data.explicit().X  # a two-part model's view of [X, X]: the reference takes the copy
    X = X.tocsr() if sp.issparse(X) else X
    if data.layout == "shared":
        for t in range(data.n_tasks):
            keep = data.C[:, t] > 0  # missing targets carry no loss term
            yield t, X[keep], data.Y[keep, t], data.C[keep, t]
    else:
        for t, (s, e) in enumerate(zip(data.offsets[:-1], data.offsets[1:])):
            yield t, X[s:e], data.Y[s:e], data.C[s:e]


def solve_cvxpy(datafit, penalty, W0, b0, *, fit_intercept=True, tol=1e-4, max_iter=None,
                verbose=0):
    """Minimise ``datafit(W, b) + penalty(W)`` with cvxpy. Same returns as ``fista``."""
    import cvxpy as cp

    data = datafit.data
    p, T = data.n_features, data.n_tasks
    W = cp.Variable((p, T))
    b = cp.Variable(T) if fit_intercept else np.zeros(T)
    terms = []
    for t, Xt, yt, ct in _task_blocks(data):
        Xt = Xt.astype(np.float64)
        zt = Xt @ W[:, t] + b[t]
        terms.append(datafit.cvxpy_term(yt, zt, np.asarray(ct, dtype=np.float64)))
    shrink = data.intercept_shrinkage if fit_intercept else 0.0
    if shrink > 0:  # s / 2 sum_t (b_t - b0)^2 with b0 free (its minimiser is mean(b))
        terms.append(0.5 * shrink * cp.sum_squares(b - cp.sum(b) / T))
    problem = cp.Problem(cp.Minimize(cp.sum(terms) + penalty.cvxpy_expr(W)),
                         penalty.cvxpy_constraints(W))
    try:
        problem.solve(solver=cp.CLARABEL, verbose=bool(verbose),
                      tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    except (cp.error.SolverError, TypeError):  # Clarabel absent or rejected options
        problem.solve(verbose=bool(verbose))
    if W.value is None:
        raise RuntimeError(f"cvxpy failed to solve the problem (status {problem.status}).")
    W_opt = np.asarray(W.value, dtype=data.dtype)
    W_opt, b_opt, Z = profile_free(datafit, penalty, W_opt, None, fit_intercept)
    # No certificate without a dual norm (see fista): the conic solver's own accuracy stands.
    gap = (duality_gap(datafit, penalty, W_opt, Z, b=b_opt)[2] if penalty.has_dual_norm
           else np.nan)
    gap_scale = max(datafit.null_value(fit_intercept), np.finfo(data.dtype).tiny)
    n_iter = problem.solver_stats.num_iters or 0
    return W_opt, b_opt, n_iter, gap, gap_scale
