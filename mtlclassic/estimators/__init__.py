"""Public estimators."""

from ._alpha_max import alpha_max
from .baselines import PooledClassifier, PooledRegressor, RidgeClassifier, RidgeRegressor
from .composite import (DirtyModelClassifier, DirtyModelRegressor, RobustMTFLClassifier,
                        RobustMTFLRegressor)
from .group_lasso import GroupLassoClassifier, GroupLassoRegressor
from .low_rank import TraceNormClassifier, TraceNormRegressor
from .sparse import (L1InfClassifier, L1InfRegressor, LassoClassifier, LassoRegressor,
                     SparseGroupLassoClassifier, SparseGroupLassoRegressor)

REGRESSORS = [GroupLassoRegressor, LassoRegressor, RidgeRegressor, PooledRegressor,
              SparseGroupLassoRegressor, L1InfRegressor, DirtyModelRegressor,
              TraceNormRegressor, RobustMTFLRegressor]
CLASSIFIERS = [GroupLassoClassifier, LassoClassifier, RidgeClassifier, PooledClassifier,
               SparseGroupLassoClassifier, L1InfClassifier, DirtyModelClassifier,
               TraceNormClassifier, RobustMTFLClassifier]

__all__ = [cls.__name__ for cls in REGRESSORS + CLASSIFIERS] + ["alpha_max"]
