"""Duality gap of ``min_{W, b} F(linear(W, b)) + penalty(W)``, shared by all solvers.

With ``theta = -grad_Z F`` at the current point, the Fenchel dual objective is
``D(theta) = -F^*(-theta) - h^*(A^T theta)`` with ``h`` the penalty: for a
norm, ``h^*`` is the indicator of ``dual_norm(X^T theta) <= alpha``; with an
elastic l2 term it is finite everywhere. When intercepts are fitted, the dual
also needs ``sum_{i in task t} theta_i = 0`` for every task; with intercept
shrinkage ``s`` (the datafit's term ``s / 2 sum_t (b_t - mean(b))^2``) only
their total over tasks must vanish, and the per-task sums ``u_t`` enter the
dual as ``-||u||^2 / (2 s)`` (``datafit.intercept_conjugate``).  Rescaling
``theta`` by ``s <= 1`` restores the first constraint ("dual point by residual
rescaling"); the second holds because solvers evaluate the gap at the
intercept that is optimal for the current ``W`` (see ``profile_intercept``),
and for affine combinations of such points (dual extrapolation).
"""

import numpy as np

from .._backend import get_namespace
from ._anderson import Anderson


def profile_intercept(datafit, W, b, fit_intercept):
    """Return the intercept optimal for ``W`` (or zeros) and the predictor ``Z``."""
    Z0 = datafit.linear(W)
    if not fit_intercept:
        return get_namespace(W).zeros(datafit.data.n_tasks, dtype=W.dtype), Z0
    b = datafit.optimal_intercept(Z0, b)
    return b, Z0 + datafit.data.expand(b)


# Profile of the free directions: Newton steps stop once the decrement, the objective
# decrease still available, is below this many units of rounding of the datafit.
_FREE_DECREMENT_EPS = 64
_FREE_MAX_NEWTON = 50
# Eigenvalues of a pooled Hessian below this share of its largest count as zero: the
# directions no task's data sees (a rank-deficient pooled design), left unchanged.
_FREE_RANK_TOL = 1e-10


def profile_free(datafit, penalty, W, b, fit_intercept):
    """``(W', b', Z')``: ``W`` moved to the optimum along the penalty's free directions.

    A penalty with ``free_groups`` (index arrays of tasks) does not change
    when a common vector ``delta_g`` is added to the weights of all the tasks
    of a group (the mean of a mean-regularised model; see
    :class:`~mtlclassic.penalties.TaskQuadratic`). Its conjugate is then
    finite only where ``sum_{t in g} X_t^T theta_t = 0`` for every group: the
    optimality condition of ``delta_g`` -- as the intercept's is
    ``sum_{i in t} theta_i = 0``. So, like the intercept
    (:func:`profile_intercept`), the deltas are minimised out before a gap:
    ``W' = W + sum_g delta_g 1_g^T`` with the datafit minimal over them (and
    over the intercepts), which lowers the objective, leaves the penalty
    unchanged and makes the dual point feasible up to rounding.

    Newton's method on the deltas with the intercepts profiled out (the
    Hessian is the Schur complement of the intercepts' block), to the
    rounding level of the datafit; one step for the squared loss. Each
    group's pooled Hessian is ``sum_{t in g} X_t^T diag(h_t) X_t`` (task
    centered), built from ``n_features`` products with the data and reused
    while the curvature ``h`` does not change (always, for the squared
    loss). A singular one (a rank-deficient pooled design: collinear
    features, more features than rows, features constant within every task
    absorbed by the intercepts) is inverted on its range only: the gradient
    lies there (it is a combination of the rows of the tasks' designs), so
    the step zeroes it all the same, and the directions that no task's data
    sees are left as they are (zero from a cold start: the limit of a
    vanishing ridge term).
    """
    rows = getattr(penalty, "free_rows", ())
    if len(rows):
        return _profile_free_rows(datafit, rows, W, b, fit_intercept)
    groups = getattr(penalty, "free_groups", ())
    if not groups:
        b, Z = profile_intercept(datafit, W, b, fit_intercept)
        return W, b, Z
    xp = get_namespace(W)
    data = datafit.data
    T = data.n_tasks
    E = np.zeros((T, len(groups)))
    for k, g in enumerate(groups):
        E[g, k] = 1.0
    E = xp.asarray(E, dtype=W.dtype)
    b, Z = profile_intercept(datafit, W, b, fit_intercept)
    rounding = float(xp.finfo(xp.float64).eps)
    for _ in range(_FREE_MAX_NEWTON):
        grad = data.rmatvec(datafit.derivative_z(Z)) @ E  # (p, G): d F / d delta_g
        Hinv = _free_hessian_pinv(datafit, Z, E, fit_intercept)  # (G, p, p)
        # delta_g = -H_g^+ grad_g, every group at once.
        step = xp.stack([Hinv[k] @ grad[:, k] for k in range(len(groups))], axis=1)
        decrement = float(xp.sum(grad * step))  # 2 x the decrease the Newton model promises
        W = W - step.astype(W.dtype) @ E.T
        b, Z = profile_intercept(datafit, W, b, fit_intercept)
        if decrement <= _FREE_DECREMENT_EPS * rounding * max(abs(datafit.value_z(Z)), 1e-300):
            break
    return W, b, Z


def _profile_free_rows(datafit, rows, W, b, fit_intercept):
    """:func:`profile_free` for a penalty with ``free_rows``: unpenalised features.

    A penalty that leaves feature ``j`` unpenalised (a capped l1's stage,
    :class:`~mtlclassic.penalties.RowWeightedL1`) has a conjugate finite only
    where ``X_j^T theta = 0`` in every task: the optimality condition of the
    row ``W[j]``. As for the free task groups, those rows are moved to the
    datafit's minimum for the rest of ``W`` before a gap, by Newton's method
    with the intercepts profiled out, each task on its own (a task's free
    weights only meet its own data): per task the Hessian is ``X_t[:, F]^T
    diag(h_t) X_t[:, F]`` less the intercept's Schur term, inverted on its
    range (see :func:`_free_hessian_pinv`).
    """
    xp = get_namespace(W)
    rows = np.asarray(rows)
    b, Z = profile_intercept(datafit, W, b, fit_intercept)
    rounding = float(xp.finfo(xp.float64).eps)
    W = W.copy()
    for _ in range(_FREE_MAX_NEWTON):
        grad = datafit.data.rmatvec(datafit.derivative_z(Z))[rows]  # (k, T): dF / dW[F]
        Hinv = _free_rows_hessian_pinv(datafit, Z, rows, fit_intercept)  # (T, k, k)
        step = xp.einsum("tij,jt->it", Hinv, grad)  # per task: H_t^+ grad_t
        decrement = float(xp.sum(grad * step))
        W[rows] -= step.astype(W.dtype)
        b, Z = profile_intercept(datafit, W, b, fit_intercept)
        if decrement <= _FREE_DECREMENT_EPS * rounding * max(abs(datafit.value_z(Z)), 1e-300):
            break
    return W, b, Z


def _free_rows_hessian_pinv(datafit, Z, rows, fit_intercept):
    """Pseudo-inverse of each task's Hessian in its free rows, intercept profiled out: (T, k, k)."""
    xp = get_namespace(Z)
    data = datafit.data
    h = _curvature(datafit, Z)
    key = tuple(int(r) for r in rows)
    cache = datafit.__dict__.get("_free_rows_hessian")
    # Reused while the curvature is unchanged to 1e-3 (as _free_hessian_pinv's).
    if (cache is not None and cache[0] == key and cache[1].shape == h.shape
            and float(xp.max(xp.abs(cache[1] - h))) <= 1e-3 * float(xp.max(xp.abs(h)))):
        return cache[2]
    p, T, k = data.n_features, data.n_tasks, len(rows)
    H = xp.empty((T, k, k), dtype=xp.float64)
    for i, j in enumerate(rows):  # column i: the curvature along feature j, every task
        unit = xp.zeros((p, T), dtype=data.dtype)
        unit[j] = 1.0
        H[:, :, i] = data.rmatvec(h * data.linear(unit))[rows].T
    if fit_intercept:
        # Schur complement of each task's intercept: H_t - u_t u_t^T / a_t (with intercept
        # shrinkage its coupling across tasks is left out: Newton iterates to the same point).
        u, s = data.rmatvec(h)[rows], data.task_sum(h)
        a = s + (data.intercept_shrinkage or 0.0)
        a = xp.where(a > 0, a, xp.inf)
        H -= xp.einsum("it,jt->tij", u, u) / a[:, None, None]
    H = 0.5 * (H + xp.transpose(H, (0, 2, 1)))
    Hinv = xp.zeros_like(H)
    for t in range(T):
        d, U = xp.linalg.eigh(H[t])
        keep = d > _FREE_RANK_TOL * max(float(d[-1]), 0.0)
        if bool(xp.any(keep)):
            Hinv[t] = (U[:, keep] / d[keep]) @ U[:, keep].T
    datafit._free_rows_hessian = (key, h, Hinv)
    return Hinv


def _curvature(datafit, Z):
    """Elementwise second derivative of the datafit in ``Z`` (it is separable in ``Z``).

    A central difference of ``derivative_z``: exact for the squared loss up
    to rounding, relative error ~1e-8 for the logistic loss, which Newton's
    method on the free directions tolerates (it still converges to rounding).
    """
    xp = get_namespace(Z)
    h = 1e-4 * (1.0 + xp.abs(Z))
    return (datafit.derivative_z(Z + h) - datafit.derivative_z(Z - h)) / (2.0 * h)


def _free_hessian_pinv(datafit, Z, E, fit_intercept):
    """Pseudo-inverse of each group's pooled Hessian, intercepts profiled out: (n_groups, p, p)."""
    xp = get_namespace(Z)
    data = datafit.data
    h = _curvature(datafit, Z)
    cache = datafit.__dict__.get("_free_hessian")
    # Reused while the curvature is unchanged to 1e-3: Newton with a Hessian off by
    # that much still gains three digits a step.
    if (cache is not None and cache[0].shape == h.shape and cache[1].shape[0] == E.shape[1]
            and float(xp.max(xp.abs(cache[0] - h))) <= 1e-3 * float(xp.max(xp.abs(h)))):
        return cache[1]
    p, T = data.n_features, data.n_tasks
    H = xp.empty((E.shape[1], p, p), dtype=xp.float64)
    for j in range(p):  # column j: the pooled curvature along feature j of every task
        unit = xp.zeros((p, T), dtype=data.dtype)
        unit[j] = 1.0
        H[:, :, j] = (data.rmatvec(h * data.linear(unit)) @ E).T
    shrink = data.intercept_shrinkage if fit_intercept else 0.0
    if fit_intercept and not shrink > 0:  # Schur complement: H_g - sum_{t in g} u_t u_t^T / s_t
        u, s = data.rmatvec(h), data.task_sum(h)
        s = xp.where(s > 0, s, xp.inf)
        for k in range(E.shape[1]):
            w = E[:, k] / s
            H[k] -= (u * w) @ u.T
    elif fit_intercept:
        # The intercepts' block is diag(s) + shrink P (shrinkage): its inverse is
        # diag(1/a) + c (1/a)(1/a)^T, a = s + shrink, c = (shrink / T) / mean(s / a). Each
        # group takes its tasks' part: exact for one group; with several, the rank-one
        # coupling between groups is left out and Newton iterates to the same point.
        u, s = data.rmatvec(h), data.task_sum(h)
        a = s + shrink
        c = (shrink / T) / float(xp.mean(s / a))
        for k in range(E.shape[1]):
            w = E[:, k] / a
            v = u @ w
            H[k] -= (u * w) @ u.T + c * xp.outer(v, v)
    H = 0.5 * (H + xp.transpose(H, (0, 2, 1)))
    Hinv = xp.zeros_like(H)
    for k in range(E.shape[1]):
        d, U = xp.linalg.eigh(H[k])
        keep = d > _FREE_RANK_TOL * max(float(d[-1]), 0.0)
        if bool(xp.any(keep)):
            Hinv[k] = (U[:, keep] / d[keep]) @ U[:, keep].T
    datafit._free_hessian = (h, Hinv)
    return Hinv


def dual_at(datafit, penalty, theta, features=None):
    """Dual objective at ``theta`` rescaled into the dual domain: ``(D, X^T theta')``.

    ``theta' = s theta`` with ``s = penalty.dual_scale(X^T theta)``; with
    ``features`` the dual constraint is imposed on those features only (the
    dual of the problem restricted to them).  Returns ``(-inf, None)`` when
    ``theta`` is outside the datafit's dual domain (an extrapolated point may be).
    """
    if not datafit.in_dual_domain(theta):
        return -np.inf, None
    V = datafit.data.rmatvec(theta, features)
    scale = penalty.dual_scale(V)
    with np.errstate(over="ignore"):
        dual = datafit.dual_value(scale * theta) - penalty.conjugate(scale * V)
        if datafit.shrinks_intercepts:
            dual -= datafit.intercept_conjugate(scale * theta)
    if not dual >= 0:
        # The dual point 0 is always feasible and h^*(0) = -min h = 0 (every penalty is
        # >= 0 with h(0) = 0), so D(0) = -F^*(0) bounds the dual optimum too. It is the
        # better point when a tiny elastic term makes h^*(V) = ||V||^2 / (2 l2_reg) huge or
        # overflow (a nearly unregularised problem, as a rescaled ridge of 1e-200): the gap
        # stays finite, and never lets W = 0 pass for a solution.
        zero = 0.0 * theta
        dual0 = datafit.dual_value(zero)
        if not dual >= dual0:
            return dual0, 0.0 * V
    return dual, scale * V


def duality_gap(datafit, penalty, W, Z, *, b=None, return_correlations=False, features=None):
    """Return ``(primal, dual, gap)`` at ``W`` with predictor ``Z = linear(W, b)``.

    ``b`` (the intercepts) is needed when the datafit shrinks them
    (``datafit.shrinks_intercepts``): their term is part of the primal.

    With ``return_correlations=True`` also return ``X^T theta`` at the
    (rescaled, feasible) dual point, of shape (n_features, n_tasks), which
    gap-safe screening needs.  With ``features`` the dual constraint is
    imposed on those features only: the gap of the problem restricted to
    them (``W`` must be zero elsewhere), as working-set solvers need.
    """
    primal = datafit.value_z(Z) + penalty.value(W)
    if datafit.shrinks_intercepts:
        if b is None:
            raise ValueError("duality_gap needs the intercepts b when they are shrunk.")
        primal += datafit.intercept_value(b)
    dual, V = dual_at(datafit, penalty, -datafit.derivative_z(Z), features)
    if return_correlations:
        return primal, dual, primal - dual, V
    return primal, dual, primal - dual


class DualExtrapolation(Anderson):
    """Dual extrapolation (celer): Anderson extrapolation of the last dual points.

    The residual-based dual point converges more slowly than the primal
    iterates; along a converging sequence ``theta_k`` the extrapolated point
    can be much closer to the dual optimum, so the gap may certify
    convergence earlier. It stays a valid dual point after rescaling (and,
    with intercepts, keeps per-task sums zero: the weights sum to one), but
    may leave the datafit's dual domain (logistic), which ``dual_at`` checks.

    References
    ----------
    Massias, M., Gramfort, A. and Salmon, J. (2018). Celer: a fast solver for
    the lasso with dual extrapolation. ICML.
    """
