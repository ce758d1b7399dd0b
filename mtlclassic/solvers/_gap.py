"""Duality gap of ``min_{W, b} F(linear(W, b)) + penalty(W)``, shared by all solvers.

With ``theta = -grad_Z F`` at the current point, the Fenchel dual objective is
``D(theta) = -F^*(-theta) - h^*(A^T theta)`` with ``h`` the penalty: for a
norm, ``h^*`` is the indicator of ``dual_norm(X^T theta) <= alpha``; with an
elastic l2 term it is finite everywhere. When intercepts are fitted, the dual
also needs ``sum_{i in task t} theta_i = 0`` for every task.  Rescaling
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
    return datafit.dual_value(scale * theta) - penalty.conjugate(scale * V), scale * V


def duality_gap(datafit, penalty, W, Z, *, return_correlations=False, features=None):
    """Return ``(primal, dual, gap)`` at ``W`` with predictor ``Z = linear(W, b)``.

    With ``return_correlations=True`` also return ``X^T theta`` at the
    (rescaled, feasible) dual point, of shape (n_features, n_tasks), which
    gap-safe screening needs.  With ``features`` the dual constraint is
    imposed on those features only: the gap of the problem restricted to
    them (``W`` must be zero elsewhere), as working-set solvers need.
    """
    primal = datafit.value_z(Z) + penalty.value(W)
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
