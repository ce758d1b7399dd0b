"""mtlclassic: classical multi-task learning as fast, exact scikit-learn estimators."""

from .data import split_tasks, stack_tasks
from .estimators import (DirtyModelClassifier, DirtyModelClassifierCV, DirtyModelRegressor,
                         DirtyModelRegressorCV, RobustMTFLClassifierCV, RobustMTFLRegressorCV,
                         GroupLassoClassifier,
                         GroupLassoClassifierCV, GroupLassoRegressor, GroupLassoRegressorCV,
                         L1InfClassifier, L1InfClassifierCV, L1InfRegressor, L1InfRegressorCV,
                         LassoClassifier, LassoClassifierCV, LassoRegressor, LassoRegressorCV,
                         PathResult, PooledClassifier, PooledRegressor, RidgeClassifier,
                         RidgeRegressor, RobustMTFLClassifier, RobustMTFLRegressor,
                         SparseGroupLassoClassifier, SparseGroupLassoClassifierCV,
                         SparseGroupLassoRegressor, SparseGroupLassoRegressorCV,
                         TraceNormClassifier, TraceNormClassifierCV, TraceNormRegressor,
                         TraceNormRegressorCV, alpha_max, group_lasso_path, l1inf_path,
                         lasso_path, sparse_group_lasso_path, trace_norm_path)

from .estimators import (GraphRegularizedClassifier, GraphRegularizedRegressor,
                         MeanRegularizedClassifier, MeanRegularizedRegressor)
from ._warmup import warmup
# The function (the subpackage stays importable as mtlclassic.compare.<module>).
from .compare import compare
from .neural import (HardSharingMLPClassifier, HardSharingMLPRegressor, SoftSharingMLPClassifier,
                     SoftSharingMLPRegressor)

__version__ = "0.1.0.dev0"

__all__ = [
    "compare",
    "DirtyModelClassifier",
    "DirtyModelClassifierCV",
    "DirtyModelRegressorCV",
    "RobustMTFLClassifierCV",
    "RobustMTFLRegressorCV",
    "DirtyModelRegressor",
    "GraphRegularizedClassifier",
    "GraphRegularizedRegressor",
    "GroupLassoClassifier",
    "GroupLassoClassifierCV",
    "GroupLassoRegressor",
    "GroupLassoRegressorCV",
    "HardSharingMLPClassifier",
    "HardSharingMLPRegressor",
    "L1InfClassifier",
    "L1InfClassifierCV",
    "L1InfRegressor",
    "L1InfRegressorCV",
    "LassoClassifier",
    "LassoClassifierCV",
    "LassoRegressor",
    "LassoRegressorCV",
    "MeanRegularizedClassifier",
    "MeanRegularizedRegressor",
    "PathResult",
    "PooledClassifier",
    "PooledRegressor",
    "RidgeClassifier",
    "RidgeRegressor",
    "RobustMTFLClassifier",
    "RobustMTFLRegressor",
    "SoftSharingMLPClassifier",
    "SoftSharingMLPRegressor",
    "SparseGroupLassoClassifier",
    "SparseGroupLassoClassifierCV",
    "SparseGroupLassoRegressor",
    "SparseGroupLassoRegressorCV",
    "TraceNormClassifier",
    "TraceNormClassifierCV",
    "TraceNormRegressor",
    "TraceNormRegressorCV",
    "alpha_max",
    "group_lasso_path",
    "l1inf_path",
    "lasso_path",
    "sparse_group_lasso_path",
    "split_tasks",
    "stack_tasks",
    "trace_norm_path",
]
