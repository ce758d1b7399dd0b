"""Adam on one flat parameter vector, with L2 weight decay.

With ``g = grad + alpha * mask * theta`` (the gradient of the L2 term
``alpha/2 ||W||^2`` added on the weights, ``mask`` = 0 on biases), step ``k``::

    m <- beta1 m + (1 - beta1) g
    v <- beta2 v + (1 - beta2) g^2
    theta <- theta - lr / (1 - beta1^k) * m / (sqrt(v / (1 - beta2^k)) + eps)

which is PyTorch's ``torch.optim.Adam`` with ``weight_decay=alpha`` on the
weights (Kingma & Ba 2015, Algorithm 1, with ``eps`` outside the bias
correction of ``v``).  The update is one fused pass (:func:`adam_update`).
"""

import numpy as np

from ._kernels import adam_update


class Adam:
    """Adam state (moments, step count) for a flat vector of ``size`` parameters."""

    def __init__(self, size, dtype, *, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
        self.m = np.zeros(size, dtype=dtype)
        self.v = np.zeros(size, dtype=dtype)
        self.t = 0
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps

    def step(self, theta, grad, decay):
        """One update of ``theta`` in place; ``decay = alpha * mask`` (same shape as theta)."""
        self.t += 1
        bc1 = 1.0 - self.beta1 ** self.t
        sqrt_bc2 = np.sqrt(1.0 - self.beta2 ** self.t)
        # lr/bc1 * m / (sqrt(v)/sqrt_bc2 + eps) = (lr sqrt_bc2/bc1) * m / (sqrt(v) + eps sqrt_bc2)
        adam_update(theta, grad, self.m, self.v, decay, self.learning_rate * sqrt_bc2 / bc1,
                    self.beta1, self.beta2, self.eps * sqrt_bc2)
