"""Synthetic data generators and loaders of the classic multi-task benchmarks.

The two halves load on first use (PEP 562 ``__getattr__``): the generators
need ``scipy.signal`` (about 0.15 s to import), which a script that only
reads a benchmark file does not.
"""

import importlib
from typing import TYPE_CHECKING

# Public name -> the module defining it, imported when the name is first used.
_LAZY = {
    "make_multitask_regression": "._generators",
    "make_multitask_classification": "._generators",
    "make_task_relation_regression": "._relations",
    "make_task_relation_classification": "._relations",
    "load_school": "._loaders",
    "load_sarcos": "._loaders",
    "load_parkinsons": "._loaders",
    "load_landmine": "._loaders",
    "load_newsgroup": "._loaders",
}

__all__ = list(_LAZY)

if TYPE_CHECKING:  # static type checkers and IDEs see the eager imports; nothing runs here
    from ._generators import make_multitask_classification, make_multitask_regression
    from ._loaders import (load_landmine, load_newsgroup, load_parkinsons, load_sarcos,
                           load_school)
    from ._relations import make_task_relation_classification, make_task_relation_regression


def __getattr__(name):
    """Import a public name on first access (PEP 562)."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # later look-ups find it without calling __getattr__
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
