"""Compile (or load from numba's disk cache) the solver kernels ahead of the first real fit."""

import time
import warnings


def warmup(dtypes=("float64",), sparse=True, verbose=False):
    """Compile the common numba kernels on tiny problems.

    The kernels are compiled with ``cache=True``: the first call in a fresh
    environment compiles them (seconds) and writes them to numba's cache;
    later processes load them from disk (a fraction of a second). Calling
    ``warmup()`` at start-up moves that cost out of the first timed fit.
    The neural networks' kernels are compiled too, in float32 and float64
    whatever ``dtypes`` says (the networks train in their own ``dtype`` and
    predict in float64).

    Parameters
    ----------
    dtypes : tuple of {"float64", "float32"}, default=("float64",)
        Floating types to compile for (one set of kernels each).
    sparse : bool, default=True
        Also compile the kernels for CSC/CSR designs.
    verbose : bool, default=False
        Print the time taken.

    Returns
    -------
    seconds : float
        Wall time of the warm-up.
    """
    import numpy as np
    import scipy.sparse as sp
    from sklearn.exceptions import ConvergenceWarning

    from .estimators import GroupLassoRegressor

    start = time.perf_counter()
    rng = np.random.default_rng(0)
    n, p, T = 24, 6, 2
    for dtype in dtypes:
        X = rng.standard_normal((n, p)).astype(dtype)
        Y = rng.standard_normal((n, T)).astype(dtype)
        Y_missing = Y.copy()
        Y_missing[0, 0] = np.nan  # shared design with a missing target: the general kernel
        X_tasks = np.column_stack([X, np.repeat(np.arange(T), n // T)]).astype(dtype)
        y_tasks = Y[:, 0]
        # Per-task rows weighed alike take their own epoch kernel; sample weights, the general one.
        weights = rng.uniform(0.5, 2.0, n)
        designs = [(X, Y, None, None), (X, Y_missing, None, None), (X_tasks, y_tasks, -1, None),
                   (X_tasks, y_tasks, -1, weights)]
        if sparse:
            designs += [(sp.csc_matrix(X), Y, None, None),
                        (sp.csr_matrix(X_tasks), y_tasks, -1, None)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for Xd, yd, task_column, sw in designs:
                for n_rows in (n, 5):  # Gram-form and residual-form inner loops
                    rows = slice(0, n_rows) if task_column is None else slice(None)
                    GroupLassoRegressor(alpha=0.01, task_column=task_column, max_iter=10).fit(
                        Xd[rows], yd[rows], sample_weight=sw)
    from .solvers import warmup_entry_kernels

    warmup_entry_kernels(dtypes)  # the prox-Newton models of LassoClassifier, GroupLassoClassifier
    from .neural import warmup_kernels as warmup_neural_kernels

    warmup_neural_kernels()
    seconds = time.perf_counter() - start
    if verbose:
        print(f"mtlclassic.warmup: {seconds:.2f} s")
    return seconds
