"""Kernel matrices on an array module (numpy or CuPy): the GPU path of the kernel models.

``device_kernel(xp, X, Y, kernel, params)`` is ``sklearn.metrics.pairwise_kernels(X, Y,
metric=kernel, filter_params=True, **params)`` computed with ``xp`` for the dot-product and
distance kernels below, whose cost (``n m d``) is the kernel matrix's; any other kernel (a
callable, laplacian, chi2, ...) and sparse features are computed on the host by scikit-learn
and copied to the device (the solve, ``O(n^3)``, is what the GPU is for).
"""

import numpy as np
import scipy.sparse as sp
from sklearn.metrics.pairwise import pairwise_kernels

from .._backend import to_host

DEVICE_KERNELS = ("rbf", "linear", "poly", "polynomial", "sigmoid")


def _gamma(gamma, X):
    """scikit-learn's default: ``1 / n_features``."""
    return 1.0 / X.shape[1] if gamma is None else float(gamma)


def device_kernel(xp, X, Y, kernel, params):
    """``k(X, Y)`` (``Y=None``: ``X``) as a float64 array of ``xp``.

    Parameters
    ----------
    xp : module
        numpy or cupy.
    X, Y : ndarray of shape (n, d) and (m, d), or None for ``Y``
        Host (numpy or scipy sparse) or ``xp`` arrays.
    kernel : str or callable
        As ``KernelRidge``'s ``kernel``.
    params : dict
        ``gamma``, ``degree``, ``coef0`` (string kernels) or the callable's parameters.
    """
    if callable(kernel) or kernel not in DEVICE_KERNELS or sp.issparse(X) or sp.issparse(Y):
        X, Y = to_host(X), to_host(Y)
        X, Y = (None if Z is None else Z.astype(np.float64, copy=False) for Z in (X, Y))
        return xp.asarray(pairwise_kernels(X, Y, metric=kernel, filter_params=True, **params))
    same = Y is None
    X = xp.asarray(X, dtype=xp.float64)
    Y = X if same else xp.asarray(Y, dtype=xp.float64)
    inner = X @ Y.T
    if kernel == "linear":
        return inner
    gamma = _gamma(params.get("gamma"), X)
    if kernel in ("poly", "polynomial"):
        return (gamma * inner + params.get("coef0", 1)) ** params.get("degree", 3)
    if kernel == "sigmoid":
        return xp.tanh(gamma * inner + params.get("coef0", 1))
    # rbf: exp(-gamma ||x - y||^2), the squared distances as scikit-learn forms them.
    sq_x = xp.sum(X * X, axis=1)
    sq_y = sq_x if same else xp.sum(Y * Y, axis=1)
    d2 = xp.maximum(sq_x[:, None] + sq_y[None, :] - 2.0 * inner, 0.0)
    if same:  # exactly 0 on the diagonal (rounding left ~1e-15 there)
        idx = xp.arange(X.shape[0])
        d2[idx, idx] = 0.0
    return xp.exp(-gamma * d2)
