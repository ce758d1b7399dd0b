"""Array backends: numpy always, CuPy when installed and given CuPy arrays.

Solvers written against ``xp = get_namespace(array)`` run unchanged on both.
CuPy is probed lazily so that importing mtlclassic never imports it.
"""

import numpy as np


def _cupy_module():
    try:  # optional dependency, imported only when asked about
        import cupy
    except ImportError:
        return None
    return cupy


def get_namespace(*arrays):
    """Return ``cupy`` if any array is a CuPy array, else ``numpy``."""
    for a in arrays:
        if type(a).__module__.startswith("cupy"):
            cp = _cupy_module()
            if cp is not None:
                return cp
    return np


def to_numpy(a):
    """Return ``a`` as a numpy array (copying from the GPU when needed)."""
    if type(a).__module__.startswith("cupy"):
        return a.get()
    return np.asarray(a)
