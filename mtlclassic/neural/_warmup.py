"""Compile (or load from numba's disk cache) the networks' kernels ahead of the first fit.

:func:`mtlclassic.warmup` calls :func:`warmup_kernels`.  Tiny fits are the
surest way to meet every signature a real fit asks for (array layouts
included, which numba specialises on): one epoch of each path that reaches a
kernel of ``_kernels``, in both training dtypes.  Both, whatever the data's
dtype: the networks train in their ``dtype`` parameter (float32 by default)
and predict with a float64 copy of their parameters.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

# The training dtypes: float32 (the default ``dtype``) and float64 (``dtype="float64"``,
# and every prediction).
DTYPES = ("float32", "float64")


def warmup_kernels():
    """One epoch of the fits that reach every kernel, and their predictions.

    * hard sharing, shared layout (a NaN target): dense layers, fused bias + ReLU and its
      backward, Adam;
    * hard sharing, per-task layout: the per-row linear heads;
    * soft sharing with cross-stitch units, per-task layout: the soft-sharing penalty's
      gradient, the own-task mixture of the last unit;
    * MGDA task weighting: the min-norm Frank-Wolfe solver.
    """
    from . import HardSharingMLPRegressor, SoftSharingMLPRegressor

    rng = np.random.default_rng(0)
    n, p, T = 24, 6, 2
    X = rng.standard_normal((n, p))
    Y = rng.standard_normal((n, T))
    Y[0, 0] = np.nan
    X_tasks = np.column_stack([X, np.arange(n) % T])
    y_tasks = Y[:, 1]
    small = dict(hidden_layer_sizes=(4,), max_iter=1, batch_size=8, random_state=0)
    fits = [(HardSharingMLPRegressor(**small), X, Y),
            (HardSharingMLPRegressor(task_column=-1, **small), X_tasks, y_tasks),
            (HardSharingMLPRegressor(task_weighting="mgda", **small), X, Y),
            (SoftSharingMLPRegressor(cross_stitch=True, task_column=-1, **small), X_tasks,
             y_tasks)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for dtype in DTYPES:
            for est, Xd, yd in fits:
                est.set_params(dtype=dtype).fit(Xd, yd).predict(Xd)
