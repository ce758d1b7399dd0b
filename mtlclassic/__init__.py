"""mtlclassic: classical multi-task learning as fast, exact scikit-learn estimators."""

from .data import split_tasks, stack_tasks
from .estimators import (DirtyModelClassifier, DirtyModelRegressor, GroupLassoClassifier,
                         GroupLassoRegressor, L1InfClassifier, L1InfRegressor, LassoClassifier,
                         LassoRegressor, PooledClassifier, PooledRegressor, RidgeClassifier,
                         RidgeRegressor, RobustMTFLClassifier, RobustMTFLRegressor,
                         SparseGroupLassoClassifier, SparseGroupLassoRegressor,
                         TraceNormClassifier, TraceNormRegressor, alpha_max)

__version__ = "0.1.0.dev0"

__all__ = [
    "DirtyModelClassifier",
    "DirtyModelRegressor",
    "GroupLassoClassifier",
    "GroupLassoRegressor",
    "L1InfClassifier",
    "L1InfRegressor",
    "LassoClassifier",
    "LassoRegressor",
    "PooledClassifier",
    "PooledRegressor",
    "RidgeClassifier",
    "RidgeRegressor",
    "RobustMTFLClassifier",
    "RobustMTFLRegressor",
    "SparseGroupLassoClassifier",
    "SparseGroupLassoRegressor",
    "TraceNormClassifier",
    "TraceNormRegressor",
    "alpha_max",
    "split_tasks",
    "stack_tasks",
]
