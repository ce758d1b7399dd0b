"""Penalties on the coefficient matrix ``W`` of shape (n_features, n_tasks).

A penalty is an object with ``value``, ``prox``, ``dual_norm`` and
``conjugate`` (for duality gaps) and, when it acts on each feature's row
separately, a ``kind`` naming its row prox in the numba kernels, per-row dual
norms and a screening test.  Every penalty takes an optional elastic term
``l2_reg / 2 ||W||_F^2``.  Penalties never see the data layout.
"""

from ._base import Penalty
from ._composite import BlockSum
from ._lowrank import TaskL21, TraceNorm
from ._rows import L1, L21, L1Inf, SparseGroup, project_rows_l1_ball, sparse_group_dual_norms
from ._relation import TaskQuadratic
from ._smooth import Pooled, Ridge

__all__ = ["BlockSum", "L1", "L1Inf", "L21", "Penalty", "Pooled", "Ridge", "SparseGroup",
           "TaskL21", "TaskQuadratic", "TraceNorm", "project_rows_l1_ball", "sparse_group_dual_norms"]
