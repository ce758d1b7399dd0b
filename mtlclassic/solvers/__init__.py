"""Solvers: array-generic FISTA, the numba working-set solver, cvxpy reference.

Each solver declares the capabilities it needs of a datafit and a penalty
(``SOLVER_NEEDS``) and refuses the rest with a one-line ``ValueError``;
:func:`choose_solver` picks one from those capabilities.
"""

from ._contract import SOLVER_NEEDS, check_solver, choose_solver
from ._gap import DualExtrapolation, dual_at, duality_gap, profile_free, profile_intercept
from .cvxpy_solver import solve_cvxpy
from ._entry_kernels import warmup_kernels as warmup_entry_kernels  # for mtlclassic.warmup
from .fista import fista
from .working_set import bcd, prox_newton, working_set

SOLVERS = {"fista": fista, "bcd": bcd, "working_set": working_set, "prox_newton": prox_newton,
           "cvxpy": solve_cvxpy}

__all__ = ["SOLVERS", "SOLVER_NEEDS", "DualExtrapolation", "bcd", "check_solver", "choose_solver",
           "dual_at", "duality_gap", "fista", "profile_free", "profile_intercept", "prox_newton",
           "solve_cvxpy", "working_set"]
