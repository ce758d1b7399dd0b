"""Public estimators."""

from .group_lasso import GroupLassoClassifier, GroupLassoRegressor, alpha_max

__all__ = ["GroupLassoClassifier", "GroupLassoRegressor", "alpha_max"]
