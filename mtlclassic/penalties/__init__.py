"""Penalties on the coefficient matrix ``W`` of shape (n_features, n_tasks).

A penalty is an object with ``value``, ``prox``, ``dual_norm`` (of the norm it
scales), ``subdiff_distance`` (for optimality checks) and a ``kind`` naming
its row prox in the numba kernels.  Penalties never see the data layout.
"""

from ._group import L21

__all__ = ["L21"]
