"""Solvers: array-generic FISTA, numba block coordinate descent, cvxpy reference."""

from ._gap import duality_gap, profile_intercept
from .bcd import bcd
from .cvxpy_solver import solve_cvxpy
from .fista import fista

SOLVERS = {"fista": fista, "bcd": bcd, "cvxpy": solve_cvxpy}

__all__ = ["SOLVERS", "bcd", "duality_gap", "fista", "profile_intercept", "solve_cvxpy"]
