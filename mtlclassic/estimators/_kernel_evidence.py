"""The multi-task Gaussian process of Bonilla et al. (2008): its hyperparameters by evidence.

``task_covariance="evidence"`` of the kernel models
(:mod:`mtlclassic.estimators.kernel`). The model of the ``N`` training
observations ``(x_r, t_r, y_r)`` (sorted by task)::

    y_r = f(x_r, t_r) + m_{t_r} + e_r,     f ~ GP(0, k_gamma(x, x') B[s, t]),
    e_r ~ N(0, sigma2_{t_r} / w_r)

with ``B`` the (positive semi-definite) task covariance, ``sigma2_t`` the
tasks' noise variances, ``w_r`` the observations' relative sample weights
(1 without ``sample_weight``) and ``m_t`` the tasks' means (without
intercepts, 0). With ``C = G_B + Sigma``, ``G_B[r, r'] = k_gamma(x_r, x_r')
B[t_r, t_r']``, ``Sigma = diag(sigma2_{t_r} / w_r)`` and ``P`` the
observations' task indicators, the log marginal likelihood (the evidence),
maximised over the means (their generalised least squares estimate)::

    log p(y | theta) = -1/2 (y - P m)^T C^{-1} (y - P m) - 1/2 log det C - N/2 log(2 pi)
    m = (P^T C^{-1} P)^{-1} P^T C^{-1} y

is maximised over ``theta = (L, log sigma2, log gamma)``, ``B = L L^T`` (``L``
lower triangular: ``B`` is positive semi-definite for any ``L``), by
L-BFGS-B (scipy) from its exact gradient: ``m`` maximises the evidence for
fixed ``theta``, so (envelope theorem) with ``a = C^{-1} (y - P m)`` and
``W = a a^T - C^{-1}``::

    d log p / d theta_j = 1/2 tr(W dC/d theta_j)
    d log p / d B[s, t] = 1/2 sum_{t_r = s, t_r' = t} W[r, r'] k(x_r, x_r')   (= M[s, t] / 2)
    d log p / d L = M L
    d log p / d log sigma2_t = 1/2 sum_{t_r = t} W[r, r] sigma2_t / w_r
    d log p / d log gamma = 1/2 sum W[r, r'] B[t_r, t_r'] dk/dlog gamma (x_r, x_r')

``gamma`` is learned for the stationary kernels of
:mod:`mtlclassic.estimators._kernel_functions` (rbf, laplacian, Matern); any
other kernel keeps its parameters. The predictions are the posterior mean,
``f(x, t) = sum_r a_r k(x, x_r) B[t_r, t]``: the kernel models' dual solve
with the task matrix ``B`` and loss weights ``w_r / sigma2_{t_r}``.

Each evaluation costs one Cholesky factorisation of ``C`` and its inverse
(``O(N^3)``): the exact solve only.

References
----------
Bonilla, E. V., Chai, K. M. A. and Williams, C. K. I. (2008). Multi-task
Gaussian process prediction. NIPS 20.
Rasmussen, C. E. and Williams, C. K. I. (2006). Gaussian Processes for
Machine Learning, chapters 2 and 5 (the evidence and its gradient).
"""

import numpy as np
import scipy.linalg as la
from scipy.optimize import minimize

# The noise variances stay above this share of the task's target variance: SARCOS's targets are
# nearly noiseless (kernel ridge chose alpha down to 1e-7), and C's condition number stays
# below ~1e10 N, where float64's Cholesky factorisation is accurate.
NOISE_FLOOR = 1e-8
# log gamma stays within this many e-folds of its start (e^12: 1.6e5 either way).
LOG_GAMMA_RANGE = 12.0
# L-BFGS-B's ftol (relative decrease of the objective in an iteration): float64 noise on N terms.
EVIDENCE_FTOL = 1e-12


class Evidence:
    """The negative mean log evidence of a multi-task GP and its gradient, over ``theta``.

    Parameters
    ----------
    kernel : ndarray of shape (N, N) or StationaryKernel
        The fixed kernel matrix ``k(x_r, x_r')``, or a stationary kernel whose
        ``gamma`` is learned.
    task : ndarray of shape (N,)
        ``t_r`` in ``0..T-1``, non-decreasing.
    y : ndarray of shape (N,)
    weights : ndarray of shape (N,)
        ``w_r > 0``, the noise of observation ``r`` being ``sigma2_{t_r} / w_r``.
    n_tasks : int
    fit_intercept : bool
        Estimate the tasks' means ``m`` (else 0).
    """

    def __init__(self, kernel, task, y, weights, n_tasks, fit_intercept):
        self.fixed = isinstance(kernel, np.ndarray)
        self.kernel, self.task, self.y = kernel, np.asarray(task), np.asarray(y, np.float64)
        self.w, self.T, self.fit_intercept = np.asarray(weights, np.float64), n_tasks, fit_intercept
        self.N = len(self.y)
        self.P = np.zeros((self.N, n_tasks))
        self.P[np.arange(self.N), self.task] = 1.0
        self.tril = np.tril_indices(n_tasks)
        self.scale = self._target_variance()

    # -- theta <-> (B, sigma2, gamma) ---------------------------------------------------
    def pack(self, L, noise, gamma=None):
        theta = [np.asarray(L)[self.tril], np.log(noise)]
        if not self.fixed:
            theta.append(np.log(np.broadcast_to(np.asarray(gamma, dtype=np.float64),
                                                (self.kernel.n_params,))))
        return np.concatenate(theta)

    def unpack(self, theta):
        """``(L, sigma2, gamma)`` (``gamma`` None for a fixed kernel)."""
        T, k = self.T, len(self.tril[0])
        L = np.zeros((T, T))
        L[self.tril] = theta[:k]
        noise = np.exp(theta[k:k + T])
        if self.fixed:
            gamma = None
        elif self.kernel.ard:
            gamma = np.exp(theta[k + T:])
        else:
            gamma = float(np.exp(theta[k + T]))
        return L, noise, gamma

    # -- the objective ------------------------------------------------------------------
    def _factor(self, theta):
        L, noise, gamma = self.unpack(theta)
        B = L @ L.T
        K = self.kernel if self.fixed else self.kernel.matrix(gamma)
        Bx = B[self.task][:, self.task]
        C = K * Bx
        C[np.diag_indices_from(C)] += noise[self.task] / self.w
        factor = la.cho_factor(C, lower=True, check_finite=False, overwrite_a=True)
        return L, noise, gamma, B, K, Bx, factor

    def _residual_solve(self, factor):
        """``(a, m)``: ``a = C^{-1} (y - P m)``, ``m`` the means' GLS estimate (or 0)."""
        if not self.fit_intercept:
            return la.cho_solve(factor, self.y, check_finite=False), np.zeros(self.T)
        Z = la.cho_solve(factor, np.column_stack([self.y, self.P]), check_finite=False)
        u, V = Z[:, 0], Z[:, 1:]
        S = self.P.T @ V
        m = np.linalg.solve(0.5 * (S + S.T), self.P.T @ u)
        return u - V @ m, m

    def log_evidence(self, theta):
        """``log p(y | theta)`` (module docstring), or ``-inf`` where ``C`` is not factorised."""
        try:
            *_, factor = self._factor(theta)
        except la.LinAlgError:
            return -np.inf
        a, _ = self._residual_solve(factor)
        # y^T a = (y - P m)^T a: P^T a = 0 at the GLS means.
        return float(-0.5 * self.y @ a - np.sum(np.log(np.diag(factor[0])))
                     - 0.5 * self.N * np.log(2 * np.pi))

    def __call__(self, theta):
        """``(-log p / N, -grad log p / N)``: L-BFGS-B's objective (per observation)."""
        try:
            L, noise, gamma, B, K, Bx, factor = self._factor(theta)
        except la.LinAlgError:  # a trial step far out: L-BFGS-B's line search backs off
            return np.inf, np.zeros_like(theta)
        a, _ = self._residual_solve(factor)
        value = (0.5 * self.y @ a + np.sum(np.log(np.diag(factor[0])))
                 + 0.5 * self.N * np.log(2 * np.pi))
        # W = a a^T - C^{-1}, in place of C^{-1} (LAPACK's potri from the Cholesky factor).
        W, info = la.lapack.dpotri(factor[0], lower=1, overwrite_c=1)
        if info != 0:
            return np.inf, np.zeros_like(theta)
        W = np.tril(W) + np.tril(W, -1).T
        np.negative(W, out=W)
        W += np.outer(a, a)
        grad = []
        WK = W * K
        M = self.P.T @ WK @ self.P  # M[s, t]: sum of W k over the (s, t) block
        grad.append((M @ L)[self.tril])
        grad.append(0.5 * np.bincount(self.task, np.diag(W) * noise[self.task] / self.w,
                                      minlength=self.T))
        if not self.fixed:
            grad.append(self.kernel.gradient(gamma, K, W * Bx))
        grad = np.concatenate(grad)
        return value / self.N, -grad / self.N

    def posterior(self, theta):
        """``(a, m)`` at ``theta``: the posterior mean's dual coefficients and the tasks' means."""
        *_, factor = self._factor(theta)
        return self._residual_solve(factor)

    # -- the search ---------------------------------------------------------------------
    def _target_variance(self):
        """``v_t``: task t's weighted target variance about its mean (second moment without
        intercepts; 1 for a constant task)."""
        v = np.ones(self.T)
        for t in range(self.T):
            rows = self.task == t
            w, y = self.w[rows], self.y[rows]
            centre = np.average(y, weights=w) if self.fit_intercept else 0.0
            var = np.average((y - centre) ** 2, weights=w) if rows.any() else 0.0
            v[t] = var if var > 0 else 1.0
        return v

    def start(self, gamma=None):
        """``theta`` of independent tasks: ``B = 0.9 diag(v)``, ``sigma2 = 0.1 v``."""
        v = self.scale
        return self.pack(np.diag(np.sqrt(0.9 * v)), 0.1 * v, gamma)

    def bounds(self, theta0):
        """L-BFGS-B's bounds: ``L`` free, the noise above ``NOISE_FLOOR`` x ``v``, gamma near its start."""
        k = len(self.tril[0])
        out = [(None, None)] * k
        out += [(float(np.log(NOISE_FLOOR * v)), float(np.log(1e3 * v))) for v in self.scale]
        if not self.fixed:
            for g in theta0[k + self.T:]:
                out.append((float(g) - LOG_GAMMA_RANGE, float(g) + LOG_GAMMA_RANGE))
        return out


def maximise_evidence(problem, theta0, max_iter, tol):
    """L-BFGS-B on ``problem`` (an :class:`Evidence`) from ``theta0``: scipy's ``OptimizeResult``.

    Stops when the largest projected gradient entry of the mean log evidence
    is below ``tol``, when an iteration lowers it by less than
    ``EVIDENCE_FTOL`` relative, or after ``max_iter`` iterations.
    """
    # np.clip: a warm start may lie outside this problem's bounds.
    bounds = problem.bounds(theta0)
    low = np.array([-np.inf if b[0] is None else b[0] for b in bounds])
    high = np.array([np.inf if b[1] is None else b[1] for b in bounds])
    theta0 = np.clip(theta0, low, high)
    return minimize(problem, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                    options={"maxiter": max_iter, "gtol": tol, "ftol": EVIDENCE_FTOL})
