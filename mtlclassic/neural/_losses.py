"""Losses of the network outputs: the weighted terms and their gradients.

``Z``, ``Y`` and ``C`` have the same shape, one of the batch layouts of
``_data`` ((m, T), (T, m) or (m,) with a task per row). ``C`` holds the weight
of each term: ``1 / n_t`` on the ``n_t`` observed rows of task t (in the batch,
or in the data), ``0`` on missing or padding entries. Every function returns
``(E, dZ)``::

    E   = C * loss(y, z)              (summed per task: L_t, task t's mean loss)
    dZ  = d(sum E) / dZ = C * loss'(y, z)

    squared:   loss(y, z) = (y - z)^2 / 2                 loss' = z - y
    logistic:  loss(y, z) = log(1 + exp(-y z)),  y = +-1   loss' = -y / (1 + exp(y z))

Entries with ``C = 0`` contribute nothing to either, whatever ``Y`` holds there.
:func:`task_sums` turns ``E`` into the task losses ``L_t``.
"""

import numpy as np
from scipy.special import expit


def squared_loss(Z, Y, C):
    R = Z - Y
    dZ = np.multiply(C, R)
    R *= dZ
    R *= 0.5
    return R, dZ


def logistic_loss(Z, Y, C):
    margin = -Y * Z
    E = C * np.logaddexp(0, margin)
    dZ = expit(margin, out=margin)
    dZ *= Y
    np.negative(dZ, out=dZ)
    dZ *= C
    return E, dZ


LOSSES = {"squared": squared_loss, "logistic": logistic_loss}


def task_sums(E, task_axis, task, n_tasks):
    """``L_t``: the entries of ``E`` summed per task.

    ``task_axis`` is the axis of ``E`` that runs over tasks, or None for a
    1-D ``E`` whose entry ``i`` belongs to task ``task[i]``.
    """
    if task_axis is None:
        return np.bincount(task, weights=E, minlength=n_tasks)
    return np.sum(E, axis=1 - task_axis)


def scale_by_task(dZ, weights, task_axis, task):
    """``dZ`` times each entry's task weight, in place."""
    if task_axis is None:
        dZ *= weights[task]
    elif task_axis == 1:
        dZ *= weights[None, :]
    else:
        dZ *= weights[:, None]
    return dZ
