"""Datafits: a loss bound to a problem container (shared or stacked layout)."""

from ._losses import Logistic, Quadratic

__all__ = ["Logistic", "Quadratic"]
