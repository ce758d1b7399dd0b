"""Public estimators.

Each model module declares its models (:mod:`mtlclassic.estimators._registry`);
the lists below are derived from those declarations, in declaration order
(the order of ``mtlclassic compare``'s tables).
"""

from ._alpha_max import alpha_max
# The grid builders of the declarations, for mtlclassic.compare (not in __all__).
from ._grids import (FRACTIONS, RIDGE_ALPHAS, Grid, alpha_max_grid, fixed_grid, format_value,
                     graph_grid, intercept_shrinkage_axis, kernel_grid, per_task_grid,
                     product_grid, task_weighting_axis)
from ._kernel_grid import KernelGrid, kernel_axes_grid
from ._path import PathResult, regularization_path
from ._registry import MODELS
from .baselines import PooledClassifier, PooledRegressor, RidgeClassifier, RidgeRegressor
from .practitioner import (FeatureAugmentationClassifier, FeatureAugmentationRegressor,
                           GradientBoostingTaskClassifier, GradientBoostingTaskRegressor)
from .sparse import (LassoClassifier, LassoClassifierCV, LassoRegressor, LassoRegressorCV,
                     SparseGroupLassoClassifier, SparseGroupLassoClassifierCV,
                     SparseGroupLassoRegressor, SparseGroupLassoRegressorCV, lasso_path,
                     sparse_group_lasso_path)
from .l1inf import L1InfClassifier, L1InfClassifierCV, L1InfRegressor, L1InfRegressorCV, l1inf_path
from .group_lasso import (GroupLassoClassifier, GroupLassoClassifierCV, GroupLassoRegressor,
                          GroupLassoRegressorCV, group_lasso_path)
from .composite import (DirtyModelClassifier, DirtyModelClassifierCV, DirtyModelRegressor,
                        DirtyModelRegressorCV, RobustMTFLClassifier, RobustMTFLClassifierCV,
                        RobustMTFLRegressor, RobustMTFLRegressorCV)
from .low_rank import (TraceNormClassifier, TraceNormClassifierCV, TraceNormRegressor,
                       TraceNormRegressorCV, trace_norm_path)
from .low_rank_parts import (RobustLowRankClassifier, RobustLowRankClassifierCV,
                             RobustLowRankRegressor, RobustLowRankRegressorCV,
                             SparseLowRankClassifier, SparseLowRankClassifierCV,
                             SparseLowRankRegressor, SparseLowRankRegressorCV)
from .task_graph import (GraphRegularizedClassifier, GraphRegularizedRegressor,
                         MeanRegularizedClassifier, MeanRegularizedRegressor)
from .task_relation import TaskRelationClassifier, TaskRelationRegressor
from .clustered import ClusteredTaskClassifier, ClusteredTaskRegressor
from .sparse_task_graph import SparseTaskGraphClassifier, SparseTaskGraphRegressor
from .kernel import (KernelTaskRelationClassifier, KernelTaskRelationClassifierCV,
                     KernelTaskRelationRegressor, KernelTaskRelationRegressorCV)
from .temporal import (TemporalGroupLassoClassifier, TemporalGroupLassoClassifierCV,
                       TemporalGroupLassoRegressor, TemporalGroupLassoRegressorCV,
                       temporal_group_lasso_path)
from .fused import (FusedSparseGroupLassoClassifier, FusedSparseGroupLassoClassifierCV,
                    FusedSparseGroupLassoRegressor, FusedSparseGroupLassoRegressorCV,
                    fused_sparse_group_lasso_path)
from .tree_guided import (TreeGuidedGroupLassoClassifier, TreeGuidedGroupLassoClassifierCV,
                          TreeGuidedGroupLassoRegressor, TreeGuidedGroupLassoRegressorCV)
from .shared_subspace import SharedSubspaceClassifier, SharedSubspaceRegressor
from .capped_l1 import CappedL1Classifier, CappedL1Regressor
from .latent_basis import LatentBasisClassifier, LatentBasisRegressor
from .nonconvex_fused import NonConvexFusedGroupLassoClassifier, NonConvexFusedGroupLassoRegressor
from .calibrated import (CalibratedGroupLassoRegressor, CalibratedGroupLassoRegressorCV,
                         calibrated_group_lasso_path)

REGRESSORS = [model.regressor for model in MODELS.values()]
CLASSIFIERS = [model.classifier for model in MODELS.values() if model.classifier is not None]
CV_ESTIMATORS = [cls for model in MODELS.values() for cls in model.cv if cls is not None]
PATHS = [model.path for model in MODELS.values() if model.path is not None]

__all__ = ([cls.__name__ for cls in REGRESSORS + CLASSIFIERS + CV_ESTIMATORS]
           + [f.__name__ for f in PATHS] + ["PathResult", "alpha_max", "regularization_path"])
