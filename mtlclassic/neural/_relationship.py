"""The relationship network: hard sharing whose task heads carry a learned task covariance.

Long & Wang's relationship networks (Long, Cao, Wang, Yu 2017) put a
matrix-normal prior on the stacked weights of the task-specific layers,
``V ~ MN(0, Omega, I)`` with ``V`` of shape (n_tasks, h) (row t is task t's
linear head) and ``Omega`` the (n_tasks, n_tasks) task covariance.  As in
MTRL (Zhang & Yeung 2010), whose convex formulation bounds the covariance
by its trace, the prior adds::

    R(V, Omega) = lambda/2 * tr(V^T Omega^-1 V),     Omega > 0,  tr(Omega) = 1

and training alternates: the network's epochs descend the data term plus
``R`` at fixed ``Omega`` (gradient ``lambda Omega^-1 V``), and after each
epoch ``Omega`` takes its closed-form minimiser at fixed ``V``::

    Omega = (V V^T + epsilon I)^(1/2) / tr((V V^T + epsilon I)^(1/2))

with ``epsilon = 1e-2 * tr(V V^T) / n_tasks`` keeping it invertible (MTRL's
``epsilon``, relative here so the update does not depend on the heads'
scale).  At that ``Omega``, ``R = lambda/2 (tr (V V^T)^(1/2))^2``: the squared
trace norm of the heads, bounded below, unlike the maximum-likelihood update
with a log-determinant, whose objective falls without bound as the heads
shrink.  Tasks correlated in ``Omega`` pull each other's heads together.
"""

import numpy as np

from ._networks import HardSharingNet

# epsilon of the covariance update, relative to the mean head variance.
_RELATIVE_EPSILON = 1e-2


def covariance_update(V):
    """The closed-form ``Omega`` of the module docstring, for heads ``V`` (n_tasks, h)."""
    V = np.asarray(V, dtype=np.float64)
    S = V @ V.T
    eps = max(_RELATIVE_EPSILON * np.trace(S) / S.shape[0], np.finfo(np.float64).tiny)
    values, vectors = np.linalg.eigh(S + eps * np.eye(S.shape[0]))
    root = (vectors * np.sqrt(np.maximum(values, 0))) @ vectors.T
    return root / np.trace(root)


def relationship_penalty(V, omega_inv, strength):
    """``R(V, Omega) = strength/2 tr(V^T Omega^-1 V)`` and its gradient ``strength Omega^-1 V``."""
    V64 = np.asarray(V, dtype=np.float64)
    G = omega_inv @ V64
    return 0.5 * strength * float(np.sum(V64 * G)), strength * G


class RelationshipNet(HardSharingNet):
    """A hard-sharing network with linear heads and the relationship prior on them."""

    def __init__(self, buf, n_features, n_tasks, hidden, activation, dropout, strength,
                 adversarial=None, adversary_hidden=None):
        super().__init__(buf, n_features, n_tasks, hidden, [], activation, dropout,
                         adversarial=adversarial, adversary_hidden=adversary_hidden)
        self.strength = float(strength)
        self.set_covariance(np.eye(n_tasks) / n_tasks)

    def set_covariance(self, omega):
        self.omega = omega
        self.omega_inv = np.linalg.inv(omega)

    def end_epoch(self, buf):
        """``Omega``'s closed-form update at the current heads."""
        self.set_covariance(covariance_update(buf.params[self.heads.W]))

    def penalty(self, buf, grad=True):
        """``R(V, Omega)`` (``grad=False``), or add its gradient to the heads' (``grad=True``)."""
        if self.strength == 0:
            return 0.0
        V = buf.params[self.heads.W]
        value, dV = relationship_penalty(V, self.omega_inv, self.strength)
        if grad:
            buf.grads[self.heads.W] += dV.astype(buf.dtype)
            return None
        return value

    def fitted(self):
        """The fitted attributes of the prior: the task covariance and its correlation."""
        d = np.sqrt(np.diag(self.omega))
        return {"task_covariance_": self.omega.copy(),
                "task_correlation_": self.omega / np.outer(d, d)}
