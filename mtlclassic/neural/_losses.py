"""Per-task mean losses and their gradients with respect to the network output.

``Z``, ``Y`` and ``C`` have the same shape, either (m, n_tasks) ("rows": one
output column per task) or (n_tasks, m) ("tasks"); ``task_axis`` says which.
``C`` holds the weight of each term: ``1 / n_t`` on the ``n_t`` observed rows of
task t (in the batch, or in the data), ``0`` on missing or padding entries.
Every function returns ``(L, dZ)`` with::

    L_t  = sum_i C_it loss(y_it, z_it)      (task t's mean loss)
    dZ   = d(sum_t L_t) / dZ  = C * loss'(y, z)

    squared:   loss(y, z) = (y - z)^2 / 2                 loss' = z - y
    logistic:  loss(y, z) = log(1 + exp(-y z)),  y = +-1   loss' = -y / (1 + exp(y z))

Entries with ``C = 0`` contribute nothing to either, whatever ``Y`` holds there.
"""

import numpy as np
from scipy.special import expit


def squared_loss(Z, Y, C, task_axis):
    R = Z - Y
    dZ = np.multiply(C, R)
    R *= dZ
    return 0.5 * np.sum(R, axis=1 - task_axis), dZ


def logistic_loss(Z, Y, C, task_axis):
    margin = -Y * Z
    L = np.sum(C * np.logaddexp(0, margin), axis=1 - task_axis)
    dZ = expit(margin, out=margin)
    dZ *= Y
    np.negative(dZ, out=dZ)
    dZ *= C
    return L, dZ


LOSSES = {"squared": squared_loss, "logistic": logistic_loss}
