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


def profile_intercept(datafit, W, b, fit_intercept):
    """Return the intercept optimal for ``W`` (or zeros) and the predictor ``Z``."""
    Z0 = datafit.linear(W)
    if not fit_intercept:
        return np.zeros(datafit.data.n_tasks, dtype=W.dtype), Z0
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


class DualExtrapolation:
    """Dual extrapolation (celer): an affine combination of the last dual points.

    The residual-based dual point converges more slowly than the primal
    iterates; along a converging sequence ``theta_k``, the combination
    ``sum_i c_i theta_{i+1}`` with ``c = argmin ||sum_i c_i (theta_{i+1} -
    theta_i)||, sum c = 1`` (Anderson) is often far closer to the dual
    optimum, so the gap certifies convergence many epochs earlier.

    References
    ----------
    Massias, M., Gramfort, A. and Salmon, J. (2018). Celer: a fast solver for
    the lasso with dual extrapolation. ICML.
    """

    def __init__(self, k=5):
        self.k = k
        self.points = []

    def push(self, theta):
        """Record a dual point (the last ``k + 1`` are kept)."""
        if self.k <= 0:
            return
        self.points.append(np.array(theta, dtype=np.float64, copy=True))
        if len(self.points) > self.k + 1:
            self.points.pop(0)

    def reset(self):
        self.points = []

    def extrapolate(self):
        """The extrapolated dual point, or None while fewer than ``k + 1`` are recorded."""
        if self.k <= 0 or len(self.points) < self.k + 1:
            return None
        theta = self.points[-1]
        flat = np.array([p.ravel() for p in self.points])
        U = np.diff(flat, axis=0)
        gram = U @ U.T
        gram += 1e-10 * (np.trace(gram) + 1e-300) * np.eye(self.k)  # U may be rank deficient
        try:
            z = np.linalg.solve(gram, np.ones(self.k))
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(z)) or z.sum() == 0:
            return None
        c = z / z.sum()
        return (c @ flat[1:]).reshape(self.points[-1].shape).astype(theta.dtype)
