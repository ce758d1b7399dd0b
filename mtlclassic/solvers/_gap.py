"""Duality gap of ``min_{W, b} F(linear(W, b)) + penalty(W)``, shared by all solvers.

With ``theta = -grad_Z F`` at the current point, the Fenchel dual objective is
``D(theta) = -F^*(-theta) - h^*(A^T theta)`` with ``h`` the penalty: for a
norm, ``h^*`` is the indicator of ``dual_norm(X^T theta) <= alpha``; with an
elastic l2 term it is finite everywhere. When when intercepts are
fitted, ``sum_{i in task t} theta_i = 0`` for every task.  Rescaling ``theta``
by ``s <= 1`` restores the first constraint ("dual point by residual
rescaling"); the second holds because solvers evaluate the gap at the
intercept that is optimal for the current ``W`` (see ``profile_intercept``).
"""

import numpy as np


def profile_intercept(datafit, W, b, fit_intercept):
    """Return the intercept optimal for ``W`` (or zeros) and the predictor ``Z``."""
    Z0 = datafit.linear(W)
    if not fit_intercept:
        return np.zeros(datafit.data.n_tasks, dtype=W.dtype), Z0
    b = datafit.optimal_intercept(Z0, b)
    return b, Z0 + datafit.data.expand(b)


def duality_gap(datafit, penalty, W, Z, *, return_correlations=False, features=None):
    """Return ``(primal, dual, gap)`` at ``W`` with predictor ``Z = linear(W, b)``.

    With ``return_correlations=True`` also return ``X^T theta`` at the
    (rescaled, feasible) dual point, of shape (n_features, n_tasks), which
    gap-safe screening needs.  With ``features`` the dual constraint is
    imposed on those features only: the gap of the problem restricted to
    them (``W`` must be zero elsewhere), as working-set solvers need.
    """
    primal = datafit.value_z(Z) + penalty.value(W)
    theta = -datafit.derivative_z(Z)
    V = datafit.data.rmatvec(theta, features)
    scale = penalty.dual_scale(V)
    dual = datafit.dual_value(scale * theta) - penalty.conjugate(scale * V)
    if return_correlations:
        return primal, dual, primal - dual, scale * V
    return primal, dual, primal - dual
