"""Accelerated proximal gradient (FISTA) with backtracking and adaptive restart.

Written against the array namespace of its inputs: the loop uses only
arithmetic, the datafit's ``linear``/``rmatvec`` and the penalty's ``prox``,
so it runs on numpy and on CuPy arrays alike.  Any datafit with a gradient and
any penalty with a prox can be solved with it.

Stopping: on the duality gap when the penalty has a closed-form dual norm
(``penalty.has_dual_norm``); otherwise on a fixed-point rule, the relative
change of the iterate ``(W, b)`` (each step being one prox-gradient step, it
is zero exactly at a minimiser) staying below ``tol`` for ``gap_freq``
iterations in a row, and the gap returned is NaN: no certificate exists.

References
----------
Beck, A. and Teboulle, M. (2009). A fast iterative shrinkage-thresholding
algorithm for linear inverse problems. SIAM J. Imaging Sci. 2(1).
O'Donoghue, B. and Candes, E. (2015). Adaptive restart for accelerated
gradient schemes. Found. Comput. Math. 15.
"""

import math

from .._backend import get_namespace
from ._gap import duality_gap, profile_free


def fista(datafit, penalty, W0, b0, *, fit_intercept=True, tol=1e-4, max_iter=1000,
          gap_freq=10, verbose=0):
    """Minimise ``datafit(W, b) + penalty(W)`` by FISTA.

    Parameters
    ----------
    datafit, penalty : objects
        See :mod:`mtlclassic.datafits` and :mod:`mtlclassic.penalties`.
    W0 : ndarray of shape (n_features, n_tasks)
        Starting coefficients (not modified).
    b0 : ndarray of shape (n_tasks,)
        Starting intercepts (ignored when ``fit_intercept=False``).
    tol : float, default=1e-4
        Stop when the duality gap is ``<= tol * datafit.null_value()``; for a
        penalty without a dual norm (``has_dual_norm = False``), when
        ``||(W_k, b_k) - (W_{k-1}, b_{k-1})|| <= tol ||(W_k, b_k)||`` has held
        for ``gap_freq`` iterations in a row.
    max_iter : int, default=1000
    gap_freq : int, default=10
        Iterations between duality gap evaluations (the window of the
        fixed-point rule).

    Returns
    -------
    W, b, n_iter, gap, gap_scale
        ``gap`` is NaN for a penalty without a dual norm.
    """
    xp = get_namespace(W0)
    data = datafit.data
    gap_scale = max(datafit.null_value(fit_intercept), xp.finfo(W0.dtype).tiny)
    # A cheap estimate from below is enough: backtracking raises it where needed. Only a
    # zero one (X = 0) is replaced: a fixed floor would be far above the curvature of a
    # problem whose features are small, and its steps far too short.
    # The intercepts are iterated as b / s, s the intercept's column in the units where the
    # features are near 1 (data.intercept_scale, a power of two): FISTA's steps are then
    # those it takes on that rescaled problem, whatever the features' units (a single step
    # size serves W and b, and their curvatures differ by the features' squared scale).
    s = float(getattr(data, "intercept_scale", 1.0)) if fit_intercept else 1.0
    s2 = s * s
    # Shrunk intercepts (datafit.shrinks_intercepts) are not iterated but minimised out at
    # every point: FISTA runs on f(W) = min_b F(W, b) + G(b), whose gradient is grad_W F at
    # the best b (Danskin). Iterated, b's curvature (up to the shrinkage s) would set the
    # step for W too; profiled, the curvature is that of the Schur complement, bounded
    # whatever s (:meth:`profiled_lipschitz`).
    profiled = fit_intercept and datafit.shrinks_intercepts
    if profiled:
        L = datafit.profiled_lipschitz()
    else:
        L = datafit.lipschitz(fit_intercept, exact=False, intercept_scale=s)
    L = L if L > 0 else 1.0
    W = W0.copy()
    b = b0.copy() if fit_intercept else xp.zeros(data.n_tasks, dtype=W0.dtype)
    if profiled:
        b, _ = _best_intercept(datafit, W, b)
    # The gap is taken at the intercept (and, for a penalty with free directions, the
    # shift along them) optimal for W: see profile_free.
    certified = penalty.has_dual_norm  # else: the fixed-point rule, a NaN gap
    if certified:
        W_opt, b_opt, Z_opt = profile_free(datafit, penalty, W, b, fit_intercept)
        _, _, gap = duality_gap(datafit, penalty, W_opt, Z_opt, b=b_opt)
        if gap <= tol * gap_scale:  # the start is already optimal (e.g. alpha >= alpha_max)
            return W_opt, b_opt, 0, gap, gap_scale
    settled = 0  # iterations in a row whose relative change was <= tol (fixed-point rule)
    Wy, by = W, b
    Z = datafit.linear(W, b)
    Zy = Z
    t = 1.0
    # Rounding of the objective in the working precision: backtracking must
    # not chase differences below it (float32 problems).
    slack = 8 * float(xp.finfo(W0.dtype).eps)
    gap = math.inf
    n_iter = 0
    exact_y = True  # whether Zy is linear(Wy, by) computed, not extrapolated
    for n_iter in range(1, max_iter + 1):
        f_y, GW, gb = _smooth_part(datafit, Zy, by, fit_intercept)
        for _ in range(60):  # backtracking: increase L until the quadratic upper bound holds
            W_new = penalty.prox(Wy - GW / L, 1.0 / L)
            if profiled:  # b = b*(W_new); the bound is on f(W), in W alone
                b_new, Z_new = _best_intercept(datafit, W_new, by)
                dW = W_new - Wy
                bound = f_y + float(xp.sum(GW * dW)) + 0.5 * L * float(xp.sum(dW * dW))
            else:
                b_new = by - s2 * gb / L  # the step on b / s, whose gradient is s gb
                Z_new = datafit.linear(W_new, b_new)
                dW, db = W_new - Wy, b_new - by
                bound = (f_y + float(xp.sum(GW * dW)) + float(xp.sum(gb * db))
                         + 0.5 * L * (float(xp.sum(dW * dW)) + float(xp.sum(db * db)) / s2))
            f_new = datafit.value_z(Z_new) + datafit.intercept_value(b_new)  # G: shrinkage
            if f_new <= bound + slack * abs(f_y):
                break
            if not exact_y:
                # Near convergence the rounding that the extrapolated Zy has gathered can
                # exceed the bound's margin; doubling L would not help (it never comes
                # back down) and, repeated, stalls the solver. Recompute Zy, test again.
                if profiled:
                    by, Zy = _best_intercept(datafit, Wy, by)
                else:
                    Zy = datafit.linear(Wy, by)
                exact_y = True
                f_y, GW, gb = _smooth_part(datafit, Zy, by, fit_intercept)
                continue
            L *= 2.0
        # Gradient-based restart: momentum pointing uphill is dropped.
        restart = (float(xp.sum((Wy - W_new) * (W_new - W)))
                   + float(xp.sum((by - b_new) * (b_new - b))) / s2 > 0)
        t_new = 1.0 if restart else (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
        beta = 0.0 if restart else (t - 1.0) / t_new
        # The predictor is linear in (W, b), so extrapolating Z saves a product.
        Wy = W_new + beta * (W_new - W)
        by = b_new + beta * (b_new - b)
        Zy = Z_new + beta * (Z_new - Z)
        exact_y = beta == 0.0
        if profiled and not exact_y and not datafit.affine_gradient:
            # b*(W) is affine in W for the squared loss only (so is then Zy): else refit.
            by, Zy = _best_intercept(datafit, Wy, by)
            exact_y = True
        if not certified:
            step2 = float(xp.sum((W_new - W) ** 2)) + float(xp.sum((b_new - b) ** 2)) / s2
            size2 = float(xp.sum(W_new * W_new)) + float(xp.sum(b_new * b_new)) / s2
            settled = settled + 1 if step2 <= tol * tol * size2 else 0
        W, b, Z, t = W_new, b_new, Z_new, t_new
        if not certified:
            if settled >= gap_freq:
                break
            continue
        if n_iter % gap_freq == 0 or n_iter == max_iter:
            W_opt, b_opt, Z_opt = profile_free(datafit, penalty, W, b, fit_intercept)
            _, _, gap = duality_gap(datafit, penalty, W_opt, Z_opt, b=b_opt)
            if verbose:
                print(f"fista iter {n_iter}: relative gap {gap / gap_scale:.3e}")
            if gap <= tol * gap_scale:
                return W_opt, b_opt, n_iter, gap, gap_scale
    W_opt, b_opt, Z_opt = profile_free(datafit, penalty, W, b, fit_intercept)
    gap = duality_gap(datafit, penalty, W_opt, Z_opt, b=b_opt)[2] if certified else math.nan
    return W_opt, b_opt, n_iter, gap, gap_scale


def _best_intercept(datafit, W, b):
    """``(b*(W), linear(W, b*(W)))``: the best intercepts at ``W``, from ``b``."""
    Z0 = datafit.linear(W)
    b = datafit.optimal_intercept(Z0, b).astype(W.dtype)
    return b, Z0 + datafit.data.expand(b)


def _smooth_part(datafit, Zy, by, fit_intercept):
    """Datafit value and gradients ``(f, grad_W, grad_b)`` at the predictor ``Zy``.

    With intercept shrinkage, ``f`` and ``grad_b`` include its term ``G(by)``.
    """
    D = datafit.derivative_z(Zy)
    gb = datafit.data.task_sum(D) if fit_intercept else 0.0 * by
    f = datafit.value_z(Zy)
    if fit_intercept and datafit.shrinks_intercepts:
        f, gb = f + datafit.intercept_value(by), gb + datafit.intercept_gradient(by)
    return f, datafit.data.rmatvec(D), gb
