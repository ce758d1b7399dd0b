"""Solvers: array-generic FISTA, the numba working-set solver, cvxpy reference."""

from ._gap import DualExtrapolation, dual_at, duality_gap, profile_free, profile_intercept
from .cvxpy_solver import solve_cvxpy
from .fista import fista
from .working_set import bcd, working_set

SOLVERS = {"fista": fista, "bcd": bcd, "working_set": working_set, "cvxpy": solve_cvxpy}

__all__ = ["SOLVERS", "DualExtrapolation", "bcd", "dual_at", "duality_gap", "fista",
           "profile_free", "profile_intercept", "solve_cvxpy", "working_set"]
