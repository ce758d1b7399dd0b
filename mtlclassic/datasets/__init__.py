"""Synthetic data generators for multi-task learning."""

from ._generators import make_multitask_classification, make_multitask_regression

__all__ = ["make_multitask_regression", "make_multitask_classification"]
