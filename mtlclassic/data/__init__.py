"""Internal multi-task problem containers and the user-facing layout helpers."""

from ._arrays import to_namespace
from ._column_cache import WorkingColumns  # the working-set solver's column block
from ._containers import SharedDesign, StackedDesign
from ._scaling import IDENTITY, Scaling, exponent, max_abs
from ._shrinkage import PseudoRows
from ._tasks import split_tasks, stack_sources, stack_tasks

__all__ = ["to_namespace", "WorkingColumns", "IDENTITY", "PseudoRows", "Scaling", "exponent", "max_abs",
           "SharedDesign", "StackedDesign", "split_tasks", "stack_sources", "stack_tasks"]
