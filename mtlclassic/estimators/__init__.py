"""Public estimators."""

from ._alpha_max import alpha_max
from ._path import (PathResult, group_lasso_path, l1inf_path, lasso_path,
                    sparse_group_lasso_path, trace_norm_path)
from .baselines import PooledClassifier, PooledRegressor, RidgeClassifier, RidgeRegressor
from .composite import (DirtyModelClassifier, DirtyModelRegressor, RobustMTFLClassifier,
                        RobustMTFLRegressor)
from .cv import (CV_ESTIMATORS, DirtyModelClassifierCV, DirtyModelRegressorCV,
                 GroupLassoClassifierCV, GroupLassoRegressorCV, RobustMTFLClassifierCV,
                 RobustMTFLRegressorCV,
                 L1InfClassifierCV, L1InfRegressorCV, LassoClassifierCV, LassoRegressorCV,
                 SparseGroupLassoClassifierCV, SparseGroupLassoRegressorCV,
                 TraceNormClassifierCV, TraceNormRegressorCV)
from .group_lasso import GroupLassoClassifier, GroupLassoRegressor
from .low_rank import TraceNormClassifier, TraceNormRegressor
from .sparse import (L1InfClassifier, L1InfRegressor, LassoClassifier, LassoRegressor,
                     SparseGroupLassoClassifier, SparseGroupLassoRegressor)
from .task_graph import (GraphRegularizedClassifier, GraphRegularizedRegressor,
                         MeanRegularizedClassifier, MeanRegularizedRegressor)
from .clustered import ClusteredTaskClassifier, ClusteredTaskRegressor
from .sparse_task_graph import SparseTaskGraphClassifier, SparseTaskGraphRegressor
from .task_relation import TaskRelationClassifier, TaskRelationRegressor

REGRESSORS = [GroupLassoRegressor, LassoRegressor, RidgeRegressor, PooledRegressor,
              SparseGroupLassoRegressor, L1InfRegressor, DirtyModelRegressor,
              TraceNormRegressor, RobustMTFLRegressor]
CLASSIFIERS = [GroupLassoClassifier, LassoClassifier, RidgeClassifier, PooledClassifier,
               SparseGroupLassoClassifier, L1InfClassifier, DirtyModelClassifier,
               TraceNormClassifier, RobustMTFLClassifier]
REGRESSORS += [MeanRegularizedRegressor, GraphRegularizedRegressor]
CLASSIFIERS += [MeanRegularizedClassifier, GraphRegularizedClassifier]
REGRESSORS += [TaskRelationRegressor, ClusteredTaskRegressor, SparseTaskGraphRegressor]
CLASSIFIERS += [TaskRelationClassifier, ClusteredTaskClassifier, SparseTaskGraphClassifier]

PATHS = [group_lasso_path, lasso_path, sparse_group_lasso_path, l1inf_path, trace_norm_path]

__all__ = ([cls.__name__ for cls in REGRESSORS + CLASSIFIERS + CV_ESTIMATORS]
           + [f.__name__ for f in PATHS] + ["PathResult", "alpha_max"])
