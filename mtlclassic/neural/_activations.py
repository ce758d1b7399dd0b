"""Activation functions: forward in place, backward from the activation's output.

Each backward takes ``dA`` (the gradient with respect to the activation's
output ``A``) and overwrites it with the gradient with respect to its input
``Z``.  All four derivatives are functions of ``A`` alone, so the
pre-activation ``Z`` never has to be kept::

    relu:      A = max(Z, 0)          dZ = dA * [A > 0]
    tanh:      A = tanh(Z)            dZ = dA * (1 - A^2)
    logistic:  A = 1 / (1 + e^-Z)     dZ = dA * A (1 - A)
    identity:  A = Z                  dZ = dA
"""

import numpy as np
from scipy.special import expit

from ._kernels import relu_grad


def relu_forward(Z):
    return np.maximum(Z, 0, out=Z)


def relu_backward(dA, A):
    if dA.flags.c_contiguous and A.flags.c_contiguous and dA.dtype == A.dtype:
        relu_grad(dA.reshape(-1), A.reshape(-1))  # one pass (numba), 4x numpy's two
        return dA
    return np.multiply(dA, A > 0, out=dA)


def tanh_forward(Z):
    return np.tanh(Z, out=Z)


def tanh_backward(dA, A):
    dA *= 1 - A * A
    return dA


def logistic_forward(Z):
    return expit(Z, out=Z)


def logistic_backward(dA, A):
    dA *= A * (1 - A)
    return dA


def identity_forward(Z):
    return Z


def identity_backward(dA, A):
    return dA


ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "tanh": (tanh_forward, tanh_backward),
    "logistic": (logistic_forward, logistic_backward),
    "identity": (identity_forward, identity_backward),
}
