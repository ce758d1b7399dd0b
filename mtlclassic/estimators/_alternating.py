"""Alternating minimisation for the models that learn how tasks relate.

Each model minimises a joint objective over the coefficients ``(W, b)`` and
a task-structure matrix ``S`` (a task covariance, a relaxed cluster
structure, a sparse task precision)::

    J(W, b, S) = F(W, b) + alpha ||W||_1 + 1/2 tr(W^T M(S) W) + g(S)

For fixed ``S`` the problem in ``(W, b)`` is the linear MTL problem with the
penalty :class:`mtlclassic.penalties.TaskQuadratic` (``M(S)`` a positive
definite task x task matrix), solved by the package's solvers to a certified
duality gap; for fixed ``W`` the best ``S`` has a closed form or is one
library call.  Alternating the two exact steps never increases ``J``; the
loop stops when an alternation lowers ``J`` by at most ``tol`` relatively.

A model is a subclass that implements the six hooks at the end of
:class:`_AlternatingModel`. Validation, both layouts, intercepts, weights,
the warm start and storing the result are :meth:`MultiTaskLinearModel.fit`'s,
as for every linear model; the alternation, its stopping rule and its warning
are here, in the one fitting hook that :class:`_AlternatingModel` overrides
(:meth:`_AlternatingModel._fit_solution`).
"""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from .._backend import blas_threads_for, get_namespace
from .._docstrings import ALTERNATING
from ..penalties import TaskQuadratic
from ..solvers import normal
from ._base import MultiTaskLinearModel, Solution, _device_datafit

# The W-steps are solved to a duality gap this fraction of the stopping
# threshold ``tol * |J|``, so that rounding in a W-step cannot pass for (or
# hide) a decrease of the joint objective.
INNER_FRACTION = 0.1
# Exponents ``e`` of ``max |W| ~ 2^e`` within which the structure steps form ``W W^T`` as
# it is: its entries stay below 2^(2 BAND + 1) times n_features, far inside float64, and
# the ordinary case runs the plain formula. Beyond, ``W`` is divided by the power of two
# ``2^e`` (exact) so that ``W W^T`` cannot overflow.
GRAM_BAND = 20


def scaled_gram(W, *, both_ways=False):
    """``(G, e)`` with ``W W^T = 2^(2e) G``, formed without overflow.

    ``W`` (finite, of shape (n_tasks, n_features)) is divided by ``2^e``,
    the power of two that brings ``max |W|`` into ``[1/2, 1)``, when
    ``max |W| >= 2^GRAM_BAND`` (and, with ``both_ways``, when it is below
    ``2^-GRAM_BAND``: for structures that do not depend on the scale of ``W``
    at all, so that ``W W^T`` cannot underflow either); else ``e = 0``.
    Powers of two are exact: ``G`` is ``W W^T`` to the last bit, in other units.
    """
    W = np.asarray(W, dtype=np.float64)
    top = float(np.max(np.abs(W), initial=0.0))
    e = int(np.frexp(top)[1]) if top > 0 else 0
    if e <= GRAM_BAND and not (both_ways and e <= -GRAM_BAND):
        e = 0
    V = np.ldexp(W, -e) if e else W
    return V @ V.T, e


def symmetric_eigh(A, step):
    """``np.linalg.eigh(A)`` of a finite symmetric matrix, or a ValueError naming ``step``."""
    if not np.all(np.isfinite(A)):
        raise ValueError(f"the {step} got a non-finite matrix; scale the features, targets or "
                         "task_weights towards 1.")
    try:
        return np.linalg.eigh(A)
    except np.linalg.LinAlgError as exc:  # LAPACK's QR iterations failed on a finite matrix
        raise ValueError(f"the {step} failed: the eigendecomposition of its {len(A)} x "
                         f"{len(A)} matrix did not converge ({exc}); scale the features, "
                         "targets or task_weights towards 1.") from None

def _max_abs(A):
    """``max |A|`` over the finite entries of a dense or sparse array (0 when empty)."""
    A = A.data if sp.issparse(A) else np.asarray(A)
    A = np.abs(A[np.isfinite(A)])  # NaN marks a missing target in the shared layout
    return float(A.max(initial=0.0))


class _AlternatingModel(MultiTaskLinearModel):
    """Base class: alternate an exact W-step and an exact task-structure step.

    Subclasses implement ``_initial_structure``, ``_previous_structure``,
    ``_coupling``, ``_structure_step``, ``_penalty_value`` and
    ``_set_structure`` (the structure ``S`` is whatever object they choose).
    """

    _doc_family = ALTERNATING
    _nonneg_params = ()
    # Whether the W-step may be the direct solve of the normal equations (squared loss, a
    # quadratic coupling without l1 term, solver="auto", on the host): see _normal_solve.
    _normal_w_step = False

    def _check_params(self):
        super()._check_params()
        if (not isinstance(self.max_inner_iter, numbers.Integral)
                or isinstance(self.max_inner_iter, bool) or self.max_inner_iter < 1):
            raise ValueError(f"max_inner_iter must be an int >= 1, got {self.max_inner_iter!r}.")

    def _fit_solution(self, data, datafit, W, b, *, n_features, warm, xp):
        """Alternate W-steps and task-structure steps from ``(W, b)``: a :class:`Solution`.

        The fitting hook of :meth:`MultiTaskLinearModel.fit` (which validates,
        starts and stores); ``Solution.extra`` is ``(structure, objective)``,
        stored by :meth:`_set_extra`.
        """
        p, T = n_features, data.n_tasks
        # The objective is evaluated where the W-steps run (one product with X each).
        objective_fit = datafit if xp is None else _device_datafit(datafit, xp)
        structure = self._previous_structure(T) if warm else None
        if structure is None:
            structure = self._initial_structure(T)
        # The problem may be rescaled (features, targets, task weights far from 1): J and the
        # W-steps' gaps are in its units, the coefficients and structures in the user's.
        scaling = getattr(data, "scaling", None)
        J = self._objective(objective_fit, W, b, structure, scaling)
        if not np.isfinite(J):
            raise ValueError(self._overflow_message(data, "the objective at the start", J))
        scale = max(datafit.null_value(self.fit_intercept), np.finfo(np.float64).tiny)
        tiny = np.finfo(np.float64).tiny
        # Gaps below a few ulps of the objective cannot be certified in the data's precision.
        floor = 10 * float(np.finfo(data.dtype).eps) * scale
        curve = []
        decrease = np.inf
        for _ in range(self.max_iter):
            # A W-step: J in (W, b) for the current structure, to a gap << tol |J|.
            target = max(INNER_FRACTION * self.tol * abs(J), floor)
            W, b, gap, solver = self._w_step(datafit, self._checked_coupling(structure, p), W,
                                             b, target / scale, xp)
            if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
                # Checked here: a NaN W would reach the structure step's eigendecomposition,
                # whose LinAlgError names neither the cause nor the fix.
                raise ValueError(self._overflow_message(
                    data, f"the W-step of alternation {len(curve) + 1} (the coefficients for a "
                    "fixed task structure)", "non-finite coefficients"))
            # Structure steps are small (T x T) eigendecompositions and inverses: BLAS
            # threads cost more than they save there (5-14 ms vs 1.2 ms per 139 x 139
            # eigendecomposition on a busy 2-core machine).
            with blas_threads_for(T ** 3):
                try:
                    structure = self._structure_step(self._user_coef(W))
                except ValueError as exc:  # the step's own message: name the estimator
                    raise ValueError(f"{type(self).__name__}: {exc}") from None
            J_new = self._objective(objective_fit, W, b, structure, scaling)
            if not np.isfinite(J_new):
                raise ValueError(self._overflow_message(
                    data, f"the objective after alternation {len(curve) + 1}", J_new))
            curve.append(J_new)
            decrease = (J - J_new) / max(abs(J_new), tiny)
            J = J_new
            if self.verbose:
                print(f"{type(self).__name__} alternation {len(curve)}: objective {J:.10g}, "
                      f"relative decrease {decrease:.3e}, W-step gap {gap:.3e}")
            if decrease <= self.tol:
                break
        else:
            warnings.warn(
                f"{type(self).__name__} did not converge in {self.max_iter} alternations: the "
                f"last one lowered the objective by {decrease:.3e} relatively > tol="
                f"{self.tol:g}. Increase max_iter or tol.", ConvergenceWarning, stacklevel=3)
        # J and the gaps back in the user's units.
        to_user = float if scaling is None else scaling.objective_to_user
        if gap > target:
            warnings.warn(
                f"{type(self).__name__}: the last W-step stopped at duality gap "
                f"{to_user(gap):.3e} > {to_user(target):.3e} (0.1 tol |J|) after max_inner_iter={self.max_inner_iter} "
                "iterations. Increase max_inner_iter or tol.", ConvergenceWarning, stacklevel=3)
        # Checked before any attribute is set.
        objective = np.array([to_user(v) for v in curve], dtype=np.float64)
        if not np.all(np.isfinite(objective)):
            raise ValueError(self._overflow_message(
                data, "the objective in the data's units", objective[-1]))
        return Solution(W, b, len(curve), to_user(gap), solver, extra=(structure, objective))

    def _set_extra(self, extra):
        """Store the fitted task structure and ``objective_`` (``Solution.extra``)."""
        structure, objective = extra
        self._set_structure(structure)
        self.objective_ = objective

    def _checked_coupling(self, structure, n_features):
        """:meth:`_coupling`, its ValueErrors prefixed with the estimator's name."""
        try:
            return self._coupling(structure, n_features)
        except ValueError as exc:
            raise ValueError(f"{type(self).__name__}: {exc}") from None

    @staticmethod
    def _task_quadratic(M, step, **kwargs):
        """``TaskQuadratic(M, **kwargs)``, or a ValueError naming ``step`` when ``M`` overflowed."""
        spectrum = kwargs.get("spectrum")
        if not np.all(np.isfinite(M if spectrum is None else spectrum[0])):
            raise ValueError(
                f"the W-step's task coupling matrix (from the {step}) overflowed: the learned "
                "task structure is singular to float64 precision at this scale; scale the "
                "features, targets or task_weights towards 1.")
        return TaskQuadratic(M, **kwargs)

    def _overflow_message(self, data, where, value):
        """One line: ``where`` gave ``value`` (non-finite), the data's scales, and the fix."""
        scales = [f"max |X| = {_max_abs(data.X):.3g}"]
        if self._loss == "squared":
            scales.append(f"max |y| = {_max_abs(data.Y):.3g}")
        if self.task_weights is not None:
            tw = np.asarray(self.task_weights, dtype=np.float64)
            scales.append(f"task_weights from {tw.min():.3g} to {tw.max():.3g}")
        return (f"{type(self).__name__}: {where} gave {value}: the problem overflows float64 "
                f"at this scale ({', '.join(scales)}); rescale the features (e.g. "
                "StandardScaler), the targets or task_weights towards 1.")

    def _w_step(self, datafit, penalty, W, b, rel_tol, xp=None):
        """Solve the problem in ``(W, b)``; returns ``(W, b, gap, solver)`` (``b`` centered).

        As :meth:`MultiTaskLinearModel._solve`, but to the relative gap
        ``rel_tol`` and at most ``max_inner_iter`` iterations; the caller
        judges the gap against the alternation's own threshold.
        """
        if self._normal_w_step and xp is None and self.solver == "auto":
            solved = self._normal_solve(datafit, penalty, W, b, rel_tol)
            if solved is not None:
                return solved
        W, b, _, gap, solver = self._solve(datafit, penalty, W, b, warn=False, tol=rel_tol,
                                           max_iter=self.max_inner_iter,
                                           verbose=max(self.verbose - 1, 0), xp=xp)
        return W, b, float(gap), solver

    def _normal_solve(self, datafit, penalty, W, b, rel_tol):
        """The W-step by the normal equations (:mod:`mtlclassic.solvers.normal`), or None.

        None when they do not apply (another loss, an l1 term, a singular
        coupling, many tasks, Gram matrices too large). A solve not certified
        to ``rel_tol`` (rounding, or a system conjugate gradients converge on
        slowly) is finished by the usual solver from where it stopped.
        """
        data = datafit.data
        scaling = data.scaling
        internal = scaling.penalty(penalty)
        if not normal.applies(datafit, internal, self.fit_intercept):
            return None
        W0, b0 = scaling.to_internal(W, b)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            W1, b1, n_iter, gap, gap_scale = normal.normal_equations(
                datafit, internal, W0, b0, fit_intercept=self.fit_intercept, tol=rel_tol,
                max_iter=self.max_inner_iter, verbose=max(self.verbose - 1, 0))
        if not (np.all(np.isfinite(W1)) and np.all(np.isfinite(b1))):
            return None
        W1, b1 = scaling.to_user(W1, b1)
        if gap <= rel_tol * gap_scale:
            return W1, b1, float(gap), "normal"
        W1, b1, _, gap, solver = self._solve(
            datafit, penalty, W1, b1, warn=False, tol=rel_tol,
            max_iter=max(self.max_inner_iter - n_iter, 1), verbose=max(self.verbose - 1, 0))
        return W1, b1, float(gap), solver

    def _objective(self, datafit, W, b, structure, scaling=None):
        """The joint objective ``J(W, b, S)`` in the units of ``datafit``'s (rescaled) problem.

        ``W``, ``b`` are in the user's units; ``datafit`` (on the host or on
        the GPU) is the problem rescaled by ``scaling`` (:meth:`_prepare`),
        whose objective is the user's times ``2^scaling.objective``: the
        penalty is scaled alike, term by term, so that neither overflows where
        the user's value would.
        """
        xp = get_namespace(datafit.data.Y)
        shift = 0
        if scaling is not None:
            W, b = scaling.to_internal(W, b)
            shift = scaling.objective
        value = datafit.value(xp.asarray(W), xp.asarray(b))
        W_user = self._user_coef(W if scaling is None else scaling.to_user(W)[0])
        return float(value) + self._penalty_value(W_user, structure, shift)

    @staticmethod
    def _user_coef(W):
        """The solver's ``W`` (n_features, n_tasks) as float64 ``(n_tasks, n_features)``."""
        return np.asarray(W, dtype=np.float64).T

    # -- hooks of the concrete models ---------------------------------------
    def _initial_structure(self, n_tasks):
        """The structure used by the first W-step of a cold start."""
        raise NotImplementedError

    def _previous_structure(self, n_tasks):
        """The fitted structure (for warm starts), or None when absent or of another size."""
        raise NotImplementedError

    def _coupling(self, structure, n_features):
        """The W-step penalty (a :class:`TaskQuadratic`) for a fixed structure."""
        raise NotImplementedError

    def _structure_step(self, W):
        """The structure minimising ``J`` for fixed ``W`` of shape (n_tasks, n_features)."""
        raise NotImplementedError

    def _penalty_value(self, W, structure, shift=0):
        """``(J - F) 2^shift``: every term but the datafit, ``W`` as in ``coef_`` (user's units).

        Each term is scaled by ``2^shift`` before the sum (:func:`np.ldexp`,
        exact), so that the value does not overflow where the rescaled
        problem's objective does not; ``inf`` when it does.
        """
        raise NotImplementedError

    def _set_structure(self, structure):
        """Store the fitted structure as attributes."""
        raise NotImplementedError
