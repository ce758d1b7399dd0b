"""Multi-task scores (MSE, RMSE, nMSE, explained variance, R^2, ROC AUC) and scorers, in both layouts.

See :mod:`mtlclassic.metrics._scores` for the layouts and averages, and
docs/metrics.md for the definitions and the literature they follow.
"""

from ._scorer import (SCORERS, MultiTaskScorer, explained_variance_scorer, get_scorer,
                      make_scorer, neg_mse_scorer, neg_nmse_scorer, neg_rmse_scorer, r2_scorer,
                      read_tasks, roc_auc_scorer)
from ._scores import explained_variance, mse, nmse, r2, rmse, roc_auc

__all__ = [
    "mse",
    "rmse",
    "nmse",
    "r2",
    "explained_variance",
    "roc_auc",
    "MultiTaskScorer",
    "make_scorer",
    "get_scorer",
    "read_tasks",
    "neg_mse_scorer",
    "neg_rmse_scorer",
    "neg_nmse_scorer",
    "r2_scorer",
    "explained_variance_scorer",
    "roc_auc_scorer",
    "SCORERS",
]
