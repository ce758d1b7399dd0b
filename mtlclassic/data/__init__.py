"""Internal multi-task problem containers and the user-facing layout helpers."""

from ._containers import SharedDesign, StackedDesign
from ._scaling import IDENTITY, Scaling
from ._tasks import split_tasks, stack_tasks

__all__ = ["IDENTITY", "Scaling", "SharedDesign", "StackedDesign", "split_tasks", "stack_tasks"]
