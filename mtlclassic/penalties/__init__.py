"""Penalties on the coefficient matrix ``W`` of shape (n_features, n_tasks).

A penalty is an object with ``value``, ``prox``, ``dual_norm`` and
``conjugate`` (for duality gaps) and the capability flags the solvers read
(:class:`Penalty`: ``row_separable``, ``zeroes_rows``, ``has_dual_norm``).
A row-separable penalty names its numba row prox by ``row_kind`` (the kernels
live here, in :mod:`mtlclassic.penalties._row_kernels`, beside the penalties
that own them) and, when it zeroes rows, has per-row dual norms and a
screening test.  Every penalty takes an optional elastic term
``l2_reg / 2 ||W||_F^2``.  Penalties never see the data layout, and import
nothing from the solvers or the estimators.
"""

from ._base import Penalty
from ._composite import BlockSum
from ._features import FeatureQuadratic
from ._lowrank import TaskL21, TraceNorm
from ._ordered import FusedSparseGroup, TemporalL21
from ._relation import TaskQuadratic, mean_separated_spectrum  # the latter for TaskRelation
# The numba row proxes and their kinds and parameter slots, for the solvers' epoch and entry
# kernels (internal: not in __all__).
from ._row_kernels import P_ALPHA, P_L2, PROX_L1, PROX_L21, row_prox
from ._rows import L1, L21, L1Inf, SparseGroup, project_rows_l1_ball, sparse_group_dual_norms
from ._smooth import Pooled, Ridge
from ._tree import TreeGroup, check_linkage, kim_xing_groups  # the last two for tree_guided
from ._weighted import RowWeightedL1

__all__ = ["BlockSum", "FeatureQuadratic", "FusedSparseGroup", "L1", "L1Inf", "L21", "Penalty",
           "Pooled", "Ridge", "RowWeightedL1", "SparseGroup", "TaskL21", "TaskQuadratic",
           "TemporalL21", "TraceNorm", "TreeGroup", "project_rows_l1_ball",
           "sparse_group_dual_norms"]
from ._weighted_fused import WeightedFused  # one stage of the non-convex fused models

__all__ += ["WeightedFused"]
