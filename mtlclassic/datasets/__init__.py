"""Synthetic data generators and loaders of the classic multi-task benchmarks."""

from ._generators import make_multitask_classification, make_multitask_regression
from ._loaders import load_landmine, load_newsgroup, load_parkinsons, load_sarcos, load_school
from ._relations import make_task_relation_classification, make_task_relation_regression

__all__ = [
    "make_multitask_regression",
    "make_multitask_classification",
    "make_task_relation_regression",
    "make_task_relation_classification",
    "load_school",
    "load_sarcos",
    "load_parkinsons",
    "load_landmine",
    "load_newsgroup",
]
