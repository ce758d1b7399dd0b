"""``mtlclassic.compare``: classical multi-task models against baselines and neural networks.

One protocol (repeated task-stratified splits, inner grid search, per-task
test scores) behind a Python function and the ``mtlclassic compare``
command; see ``docs/compare.md``.
"""

from ._data import Dataset, DataError, as_dataset, parse_data, synthetic
from ._protocol import check_out, compare, splits
from ._registry import (MODELS, REGISTRY, ModelSpec, alpha_max_grid, available_models,
                        fixed_grid, resolve_models)
from ._result import CompareResult, ModelResult
from ._scores import tuning_scorer

__all__ = ["compare", "splits", "CompareResult", "ModelResult", "Dataset", "DataError", "ModelSpec",
           "MODELS", "REGISTRY", "available_models", "alpha_max_grid", "fixed_grid",
           "as_dataset", "parse_data", "synthetic", "tuning_scorer"]
