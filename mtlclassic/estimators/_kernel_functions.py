"""Stationary kernels by name, as functions of a distance and ``gamma``, with their ``gamma`` derivative.

The kernel models take scikit-learn's kernel names (``sklearn.metrics.pairwise``)
and, here, the Matern kernels of smoothness ``nu = 3/2`` and ``5/2``, which
``pairwise_kernels`` does not name. With ``r = sqrt(2 gamma) ||x - x'||``::

    matern32:  k = (1 + sqrt(3) r) exp(-sqrt(3) r)
    matern52:  k = (1 + sqrt(5) r + 5 r^2 / 3) exp(-sqrt(5) r)

so that ``gamma = 1 / (2 l^2)`` is, as for the rbf kernel
``exp(-gamma ||x - x'||^2)``, scikit-learn's ``length_scale`` ``l``
(``sklearn.gaussian_process.kernels.Matern(length_scale=l, nu=1.5)``).
``kernel="matern"`` takes ``nu`` (0.5, 1.5 or 2.5) from ``kernel_params``
(default 1.5; ``nu = 0.5`` is ``exp(-r)``).

For the evidence (:mod:`mtlclassic.estimators._kernel_evidence`) each stationary
kernel is a function of one distance matrix ``D`` (squared Euclidean for rbf and
Matern, city-block for laplacian) and of ``gamma``; :class:`StationaryKernel`
gives the matrix and its derivative in ``log gamma``.
"""

import numpy as np
from sklearn.metrics.pairwise import euclidean_distances, manhattan_distances

MATERN_NAMES = ("matern32", "matern52", "matern")
# Kernels whose gamma is a length scale the evidence can learn (a function of one distance).
STATIONARY = ("rbf", "laplacian") + MATERN_NAMES
_NU = {"matern32": 1.5, "matern52": 2.5}


def matern_nu(kernel, kernel_params=None):
    """``nu`` of a Matern kernel name (``"matern"``: ``kernel_params["nu"]``, default 1.5)."""
    if kernel in _NU:
        return _NU[kernel]
    nu = float((kernel_params or {}).get("nu", 1.5))
    if nu not in (0.5, 1.5, 2.5):
        raise ValueError(f"kernel='matern' takes nu in (0.5, 1.5, 2.5) (kernel_params), got "
                         f"nu={nu!r}.")
    return nu


def _matern(nu, s):
    """``k`` at ``s = r^2``; ``r`` as in the module docstring."""
    r = np.sqrt(s)
    if nu == 0.5:
        return np.exp(-r)
    if nu == 1.5:
        r = np.sqrt(3.0) * r
        return (1.0 + r) * np.exp(-r)
    r = np.sqrt(5.0) * r
    return (1.0 + r + r * r / 3.0) * np.exp(-r)


def _matern_dlog_s(nu, s):
    """``dk / d log s`` at ``s = r^2``: ``d k / d log gamma`` (``s`` is ``2 gamma ||x - x'||^2``)."""
    r = np.sqrt(s)
    if nu == 0.5:
        return -0.5 * r * np.exp(-r)
    if nu == 1.5:
        # dk/dr = -3 r exp(-sqrt(3) r), dr/dlog s = r / 2
        return -1.5 * s * np.exp(-np.sqrt(3.0) * r)
    # dk/dr = -(5/3) r (1 + sqrt(5) r) exp(-sqrt(5) r)
    return -(5.0 / 6.0) * s * (1.0 + np.sqrt(5.0) * r) * np.exp(-np.sqrt(5.0) * r)


def _squared(X, Y):
    d2 = euclidean_distances(X, Y, squared=True)
    if Y is None:  # exactly 0 on the diagonal (the dot-product form leaves ~1e-15 there)
        np.fill_diagonal(d2, 0.0)
    return np.maximum(d2, 0.0)


def default_gamma(gamma, X):
    """scikit-learn's default ``gamma``: ``1 / n_features``."""
    return 1.0 / X.shape[1] if gamma is None else float(gamma)


def matern_kernel(X, Y=None, gamma=None, nu=1.5):
    """The Matern kernel matrix ``k(X, Y)`` (module docstring), ``gamma = 1 / (2 l^2)``."""
    gamma = default_gamma(gamma, X)
    return _matern(nu, 2.0 * gamma * _squared(X, Y))


def _matern_dq(nu, q):
    """``dk / dq`` at ``q = gamma ||x - x'||^2`` (``r^2 = 2 q``); 0 where ``q = 0`` for ``nu = 1/2``.

    (``exp(-r)`` has no derivative in ``q`` at 0; such pairs add ``(x_j - x'_j)^2 = 0``
    to the per-feature gradient anyway.)
    """
    r = np.sqrt(2.0 * q)
    if nu == 0.5:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(r > 0, -np.exp(-r) / np.where(r > 0, r, 1.0), 0.0)
    if nu == 1.5:
        return -3.0 * np.exp(-np.sqrt(3.0) * r)
    return -(5.0 / 3.0) * (1.0 + np.sqrt(5.0) * r) * np.exp(-np.sqrt(5.0) * r)


class StationaryKernel:
    """A stationary kernel on fixed rows as a function of ``gamma``: ``K(gamma)`` and its gradient.

    ``gamma`` is a float, or with ``ard`` (rbf and Matern) one per feature,
    ``k`` then a function of ``q = sum_j gamma_j (x_j - x'_j)^2``.

    Parameters
    ----------
    kernel : {"rbf", "laplacian", "matern32", "matern52", "matern"}
    X : ndarray of shape (n, d)
    nu : float, default=None
        Matern's smoothness (``kernel="matern"``).
    ard : bool, default=False
        One ``gamma`` per feature.
    """

    def __init__(self, kernel, X, nu=None, ard=False):
        self.kernel, self.ard = kernel, ard
        self.nu = _NU.get(kernel, nu)
        if ard:
            if kernel == "laplacian":
                raise ValueError("a per-feature gamma needs kernel='rbf' or a Matern kernel.")
            self.X = np.asarray(X, dtype=np.float64)
            self.n_params = self.X.shape[1]
            return
        self.n_params = 1
        self.D = manhattan_distances(X) if kernel == "laplacian" else _squared(X, None)

    def _q(self, gamma):
        return _squared(self.X * np.sqrt(gamma), None)

    def matrix(self, gamma):
        if self.ard:
            q = self._q(gamma)
            return np.exp(-q) if self.kernel == "rbf" else _matern(self.nu, 2.0 * q)
        if self.kernel in ("rbf", "laplacian"):
            return np.exp(-gamma * self.D)
        return _matern(self.nu, 2.0 * gamma * self.D)

    def log_gamma_derivative(self, gamma, K):
        """``dK / d log gamma`` (``K`` is ``matrix(gamma)``)."""
        if self.kernel in ("rbf", "laplacian"):
            return -gamma * self.D * K
        return _matern_dlog_s(self.nu, 2.0 * gamma * self.D)

    def gradient(self, gamma, K, V):
        """``1/2 sum_{r, r'} V[r, r'] dK[r, r'] / d log gamma`` (each ``gamma_j`` with ``ard``).

        ``V`` symmetric. Per feature, with ``A = V * dk/dq``:
        ``sum A (x_j - x'_j)^2 = 2 (x_j^2)^T A 1 - 2 x_j^T A x_j``, ``O(n^2 d)``.
        """
        if not self.ard:
            return np.array([0.5 * float(np.sum(V * self.log_gamma_derivative(gamma, K)))])
        A = V * (-K if self.kernel == "rbf" else _matern_dq(self.nu, self._q(gamma)))
        X = self.X
        pair_sums = 2.0 * ((X * X).T @ A.sum(axis=1) - np.einsum("rj,rj->j", X, A @ X))
        return 0.5 * gamma * pair_sums
