"""Neural multi-task baselines in numpy: hard- and soft-parameter-sharing MLPs.

No deep-learning framework is imported; see ``docs/neural.md``.
"""

from .hard_sharing import HardSharingMLPClassifier, HardSharingMLPRegressor
from .soft_sharing import SoftSharingMLPClassifier, SoftSharingMLPRegressor
from .relationship import RelationshipMLPClassifier, RelationshipMLPRegressor

__all__ = ["HardSharingMLPClassifier", "HardSharingMLPRegressor", "SoftSharingMLPClassifier",
           "SoftSharingMLPRegressor"]
__all__ += ["RelationshipMLPClassifier", "RelationshipMLPRegressor"]
from .sluice import SluiceMLPClassifier, SluiceMLPRegressor
__all__ += ["SluiceMLPClassifier", "SluiceMLPRegressor"]
from .tensor_factorised import TensorFactorisedMLPClassifier, TensorFactorisedMLPRegressor
__all__ += ["TensorFactorisedMLPClassifier", "TensorFactorisedMLPRegressor"]
from ._warmup import warmup_kernels  # mtlclassic.warmup() calls it (not public)
