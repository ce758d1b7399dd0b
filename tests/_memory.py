"""Peak memory of one fit, for the memory-bound tests (large data, tied view, kernels)."""

import tracemalloc
import warnings


def peak_fit(est, X, y, warmup_rows):
    """Peak memory traced during ``est.fit(X, y)`` (X itself, allocated before, not counted).

    A first fit on ``warmup_rows`` rows loads the imports and compiled kernels outside the
    measurement. Warnings are silenced: memory, not convergence, is measured.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X[:warmup_rows], y[:warmup_rows])
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            est.fit(X, y)
            return tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
