"""mtlclassic: classical multi-task learning as fast, exact scikit-learn estimators."""

from .data import split_tasks, stack_tasks
from .estimators import GroupLassoClassifier, GroupLassoRegressor, alpha_max

__version__ = "0.1.0.dev0"

__all__ = [
    "GroupLassoClassifier",
    "GroupLassoRegressor",
    "alpha_max",
    "split_tasks",
    "stack_tasks",
]
