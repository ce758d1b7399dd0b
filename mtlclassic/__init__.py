"""mtlclassic: classical multi-task learning as fast, exact scikit-learn estimators.

The public names are loaded on first use (PEP 562 ``__getattr__``), so that
``import mtlclassic`` and ``mtlclassic --help`` do not pay for numba, the
solvers, cvxpy or the comparison code: ``from mtlclassic import
GroupLassoRegressor`` imports the estimators then, and
``mtlclassic.compare(...)`` the comparison. Subpackages
(``mtlclassic.datasets``, ``mtlclassic.metrics``, ...) are reachable as
attributes too, as when this module imported them eagerly.
"""

import importlib
import sys
import types
from typing import TYPE_CHECKING

__version__ = "0.1.0.dev0"

_ESTIMATORS = [
    "CappedL1Classifier", "CappedL1Regressor",
    "ClusteredTaskClassifier", "ClusteredTaskRegressor",
    "DirtyModelClassifier", "DirtyModelClassifierCV", "DirtyModelRegressor",
    "DirtyModelRegressorCV",
    "FeatureAugmentationClassifier", "FeatureAugmentationRegressor",
    "GradientBoostingTaskClassifier", "GradientBoostingTaskRegressor",
    "GraphRegularizedClassifier", "GraphRegularizedRegressor",
    "GroupLassoClassifier", "GroupLassoClassifierCV", "GroupLassoRegressor",
    "GroupLassoRegressorCV",
    "KernelTaskRelationClassifier", "KernelTaskRelationClassifierCV",
    "KernelTaskRelationRegressor", "KernelTaskRelationRegressorCV",
    "LatentBasisClassifier", "LatentBasisRegressor",
    "L1InfClassifier", "L1InfClassifierCV", "L1InfRegressor", "L1InfRegressorCV",
    "LassoClassifier", "LassoClassifierCV", "LassoRegressor", "LassoRegressorCV",
    "MeanRegularizedClassifier", "MeanRegularizedRegressor",
    "PathResult", "PooledClassifier", "PooledRegressor", "RidgeClassifier", "RidgeRegressor",
    "RobustLowRankClassifier", "RobustLowRankClassifierCV", "RobustLowRankRegressor",
    "RobustLowRankRegressorCV",
    "RobustMTFLClassifier", "RobustMTFLClassifierCV", "RobustMTFLRegressor",
    "RobustMTFLRegressorCV",
    "SparseGroupLassoClassifier", "SparseGroupLassoClassifierCV", "SparseGroupLassoRegressor",
    "SparseGroupLassoRegressorCV",
    "SparseLowRankClassifier", "SparseLowRankClassifierCV", "SparseLowRankRegressor",
    "SparseLowRankRegressorCV",
    "SharedSubspaceClassifier", "SharedSubspaceRegressor",
    "SparseTaskGraphClassifier", "SparseTaskGraphRegressor",
    "TaskRelationClassifier", "TaskRelationRegressor",
    "TraceNormClassifier", "TraceNormClassifierCV", "TraceNormRegressor",
    "TraceNormRegressorCV",
    "TreeGuidedGroupLassoClassifier", "TreeGuidedGroupLassoClassifierCV",
    "TreeGuidedGroupLassoRegressor", "TreeGuidedGroupLassoRegressorCV",
    "alpha_max", "group_lasso_path", "l1inf_path", "lasso_path", "regularization_path",
    "sparse_group_lasso_path", "trace_norm_path",
]
# Regression only: each task's rms residual (MALSAR's MTFLC).
_ESTIMATORS += ["CalibratedGroupLassoRegressor", "CalibratedGroupLassoRegressorCV",
                "calibrated_group_lasso_path"]
# Tasks in an order (time points).
_ESTIMATORS += ["TemporalGroupLassoClassifier", "TemporalGroupLassoClassifierCV",
                "TemporalGroupLassoRegressor", "TemporalGroupLassoRegressorCV",
                "temporal_group_lasso_path"]
_ESTIMATORS += ["FusedSparseGroupLassoClassifier", "FusedSparseGroupLassoClassifierCV",
                "FusedSparseGroupLassoRegressor", "FusedSparseGroupLassoRegressorCV",
                "fused_sparse_group_lasso_path"]
_ESTIMATORS += ["NonConvexFusedGroupLassoClassifier", "NonConvexFusedGroupLassoRegressor"]
_NEURAL = ["HardSharingMLPClassifier", "HardSharingMLPRegressor", "SoftSharingMLPClassifier",
           "SoftSharingMLPRegressor"]
_NEURAL += ["RelationshipMLPClassifier", "RelationshipMLPRegressor"]
_NEURAL += ["SluiceMLPClassifier", "SluiceMLPRegressor"]
_NEURAL += ["TensorFactorisedMLPClassifier", "TensorFactorisedMLPRegressor"]

# Public name -> the subpackage (or module) it is taken from on first use.
_LAZY = {
    **dict.fromkeys(_ESTIMATORS, ".estimators"),
    **dict.fromkeys(_NEURAL, ".neural"),
    "split_tasks": ".data",
    "stack_tasks": ".data",
    "stack_sources": ".data",
    "warmup": "._warmup",
    # The function; the subpackage stays importable as mtlclassic.compare.<module>.
    "compare": ".compare",
}

__all__ = ["compare", *_ESTIMATORS, *_NEURAL, "split_tasks", "stack_sources", "stack_tasks", "warmup"]

if TYPE_CHECKING:  # static type checkers and IDEs see the eager imports; nothing runs here
    from ._warmup import warmup
    from .compare import compare
    from .data import split_tasks, stack_sources, stack_tasks
    from .estimators import (ClusteredTaskClassifier, ClusteredTaskRegressor,
                             DirtyModelClassifier, DirtyModelClassifierCV, DirtyModelRegressor,
                             DirtyModelRegressorCV, FeatureAugmentationClassifier,
                             FeatureAugmentationRegressor, GradientBoostingTaskClassifier,
                             GradientBoostingTaskRegressor, GraphRegularizedClassifier,
                             GraphRegularizedRegressor, GroupLassoClassifier,
                             GroupLassoClassifierCV, GroupLassoRegressor, GroupLassoRegressorCV,
                             KernelTaskRelationClassifier, KernelTaskRelationClassifierCV,
                             KernelTaskRelationRegressor, KernelTaskRelationRegressorCV,
                             L1InfClassifier, L1InfClassifierCV, L1InfRegressor,
                             L1InfRegressorCV, LassoClassifier, LassoClassifierCV,
                             LassoRegressor, LassoRegressorCV, MeanRegularizedClassifier,
                             MeanRegularizedRegressor, PathResult, PooledClassifier,
                             PooledRegressor, RidgeClassifier, RidgeRegressor,
                             RobustLowRankClassifier, RobustLowRankClassifierCV,
                             RobustLowRankRegressor, RobustLowRankRegressorCV,
                             RobustMTFLClassifier, RobustMTFLClassifierCV, RobustMTFLRegressor,
                             RobustMTFLRegressorCV, SparseGroupLassoClassifier,
                             SparseGroupLassoClassifierCV, SparseGroupLassoRegressor,
                             SparseGroupLassoRegressorCV, SparseLowRankClassifier,
                             SparseLowRankClassifierCV, SparseLowRankRegressor,
                             SparseLowRankRegressorCV, SparseTaskGraphClassifier,
                             SparseTaskGraphRegressor, TaskRelationClassifier,
                             TaskRelationRegressor, TraceNormClassifier, TraceNormClassifierCV,
                             TraceNormRegressor, TraceNormRegressorCV, alpha_max,
                             group_lasso_path, l1inf_path, lasso_path, regularization_path,
                             sparse_group_lasso_path, trace_norm_path)
    from .estimators import (TemporalGroupLassoClassifier, TemporalGroupLassoClassifierCV,
                             TemporalGroupLassoRegressor, TemporalGroupLassoRegressorCV,
                             temporal_group_lasso_path)
    from .estimators import (FusedSparseGroupLassoClassifier, FusedSparseGroupLassoClassifierCV,
                             FusedSparseGroupLassoRegressor, FusedSparseGroupLassoRegressorCV,
                             fused_sparse_group_lasso_path)
    from .estimators import (TreeGuidedGroupLassoClassifier, TreeGuidedGroupLassoClassifierCV,
                             TreeGuidedGroupLassoRegressor, TreeGuidedGroupLassoRegressorCV)
    from .estimators import SharedSubspaceClassifier, SharedSubspaceRegressor
    from .estimators import CappedL1Classifier, CappedL1Regressor
    from .estimators import LatentBasisClassifier, LatentBasisRegressor
    from .estimators import NonConvexFusedGroupLassoClassifier, NonConvexFusedGroupLassoRegressor
    from .estimators import (CalibratedGroupLassoRegressor, CalibratedGroupLassoRegressorCV,
                             calibrated_group_lasso_path)
    from .neural import (HardSharingMLPClassifier, HardSharingMLPRegressor,
                         SoftSharingMLPClassifier, SoftSharingMLPRegressor)
    from .neural import RelationshipMLPClassifier, RelationshipMLPRegressor
    from .neural import SluiceMLPClassifier, SluiceMLPRegressor
    from .neural import TensorFactorisedMLPClassifier, TensorFactorisedMLPRegressor


def __getattr__(name):
    """Import a public name, or a subpackage, on first access (PEP 562)."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # later look-ups find it without calling __getattr__
        return value
    if not name.startswith("__"):
        # ``mtlclassic.datasets`` and the like worked after a bare ``import mtlclassic``
        # when this module imported everything; keep that.
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise  # the submodule exists but a dependency of it is missing
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """This package's module type: the attribute ``compare`` is always the function."""

    def __setattr__(self, name, value):
        # Importing the subpackage (``import mtlclassic.compare._data``, or the CLI's
        # ``from .compare import parse_data``) makes the import system bind the attribute
        # ``compare`` of this package to the subpackage once it has run; the public name is
        # the function, as when this module imported it eagerly.
        if name == "compare" and isinstance(value, types.ModuleType):
            value = value.compare
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
