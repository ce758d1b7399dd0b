"""numba kernels of the neural baselines (used where one fused pass beats numpy's several)."""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def adam_update(theta, grad, m, v, decay, step, beta1, beta2, eps):
    """Fused Adam step (see ``_optim``): one pass instead of about fifteen numpy passes.

    Measured on the reference network (8,074 float32 parameters): 4 us per
    step against 30 us for the same update in numpy.
    """
    c1 = 1.0 - beta1
    c2 = 1.0 - beta2
    for i in range(theta.shape[0]):
        g = grad[i] + decay[i] * theta[i]
        mi = beta1 * m[i] + c1 * g
        vi = beta2 * v[i] + c2 * g * g
        m[i] = mi
        v[i] = vi
        theta[i] -= step * mi / (np.sqrt(vi) + eps)
