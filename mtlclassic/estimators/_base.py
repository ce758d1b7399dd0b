"""Shared fit of the multi-task linear estimators (prediction: :mod:`mtlclassic._prediction`).

A concrete estimator sets ``_loss`` ("squared" or "logistic") and implements
``_make_penalty``; everything else -- both data layouts, solver choice, warm
starts, convergence warnings -- lives here once. A model that fits more than
one convex problem (the alternating models) overrides one hook,
:meth:`MultiTaskLinearModel._fit_solution`.
"""

import numbers
import warnings
from typing import Any, NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._backend import DEVICES, blas_threads_for, device_namespace, to_host
from .._docstrings import FIT_DATA, LINEAR, with_entries
from .._prediction import (MultiTaskClassifierMixin, MultiTaskPredictor,  # noqa: F401
                           MultiTaskRegressorMixin, store_params)
from ..data import to_namespace
from ..datafits import Logistic, Quadratic
from ..solvers import SOLVERS, choose_solver

_DATAFITS = {"squared": Quadratic, "logistic": Logistic}


class Solution(NamedTuple):
    """What :meth:`MultiTaskLinearModel._fit_solution` returns to ``fit``."""

    W: np.ndarray       # (n_blocks * n_features, n_tasks), the user's units
    b: np.ndarray       # (n_tasks,) centered intercepts, the user's units
    n_iter: int
    dual_gap: float     # in the user's units of the objective
    solver: str
    extra: Any = None   # what else the model learned, for :meth:`_set_extra`


class MultiTaskLinearModel(MultiTaskPredictor):
    """Base class: ``min_{W, b, b0} sum_t tau_t L_t(w_t, b_t) + penalty(W) + s/2 ||b - b0||^2``.

    ``L_t`` is task t's (sample-weighted) mean loss, so each task counts
    equally; ``tau_t`` are the ``task_weights`` (ones by default); ``s`` is
    ``intercept_shrinkage`` (0: free intercepts, and ``b0`` plays no part).
    """

    # Whose shared entries complete the docstrings (:func:`mtlclassic._docstrings.complete`).
    _doc_family = LINEAR
    # Penalty parameters checked to be finite and >= 0 (or > 0) by ``_check_params``.
    _nonneg_params = ("alpha", "l2_reg")
    _positive_params = ()
    # Checked like _nonneg_params for every model, whatever its penalty's parameters.
    _shared_nonneg_params = ("intercept_shrinkage",)
    # Coefficient matrices summed into ``coef_`` (2 for models ``W = P + Q``).
    _n_blocks = 1
    # Whether those models see [X, X] as a view of X (mtlclassic.data._tied) rather than a copy;
    # False only in the tests and benchmark that compare the two.
    _tied_design = True

    def __init__(self, alpha=0.1, *, l2_reg=0.0, fit_intercept=True, intercept_shrinkage=0.0,
                 task_column=None, unseen_tasks="error", task_weights=None, tol=1e-4,
                 max_iter=1000, warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())

    # -- parameters ---------------------------------------------------------
    def _check_params(self):
        shared = tuple(n for n in self._shared_nonneg_params if hasattr(self, n))
        for name in self._nonneg_params + self._positive_params + shared:
            value = getattr(self, name)
            if (not isinstance(value, numbers.Real) or isinstance(value, bool)
                    or not np.isfinite(value) or value < 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
            if name in self._positive_params and value == 0:
                raise ValueError(f"{name} must be > 0, got {value!r}.")
        if not isinstance(self.tol, numbers.Real) or not self.tol > 0:
            raise ValueError(f"tol must be > 0, got {self.tol!r}.")
        if (not isinstance(self.max_iter, numbers.Integral) or isinstance(self.max_iter, bool)
                or self.max_iter < 1):
            raise ValueError(f"max_iter must be an int >= 1, got {self.max_iter!r}.")
        for name in ("fit_intercept", "warm_start"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be a bool, got {getattr(self, name)!r}.")
        if self.solver not in ("auto", *SOLVERS):
            raise ValueError(f"solver must be 'auto' or one of {sorted(SOLVERS)}, got {self.solver!r}.")
        if self._device not in DEVICES:
            raise ValueError(f"device must be one of {DEVICES}, got {self._device!r}.")
        if self._device in ("cuda", "auto"):
            self._gpu_solver()  # fails before validation, not after

    def _make_penalty(self, n_features, n_tasks):
        """The penalty on the internal ``W`` of shape (n_blocks * n_features, n_tasks)."""
        raise NotImplementedError

    @property
    def _device(self):
        """``device``, or None for a subclass whose ``__init__`` does not take it."""
        return getattr(self, "device", None)

    def _gpu_solver(self):
        """The solver of a GPU solve (the array-generic FISTA); others run on the CPU only."""
        if self.solver not in ("auto", "fista"):
            raise ValueError(f"solver={self.solver!r} runs on the CPU only; the GPU solve "
                             "uses 'fista' (solver='auto' or 'fista').")
        return "fista"

    def _choose_solver(self, penalty):
        """The solver for ``penalty`` with this loss: the user's, checked, or the fastest able."""
        return choose_solver(_DATAFITS[self._loss], penalty, self.solver,
                             owner=type(self).__name__)

    def _stacked_coef(self):
        """The fitted coefficients as the solver's internal ``W`` (for warm starts), or None."""
        coef = getattr(self, "coef_", None)
        return None if coef is None else coef.T

    def _set_coef(self, W, n_features):
        """Store the solver's ``W`` (n_blocks * n_features, n_tasks) as fitted attributes."""
        self.coef_ = np.ascontiguousarray(W.T)

    # -- fit ----------------------------------------------------------------
    @with_entries(FIT_DATA)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.
        """
        self._check_params()
        xp = device_namespace(self._device, X, y, sample_weight)
        # Validation runs on the host; the validated problem goes to the GPU once, in _solve.
        X, y, sample_weight = to_host(X), to_host(y), to_host(sample_weight)
        fitted = self.warm_start and getattr(self, "coef_", None) is not None
        previous = (self._stacked_coef(), self.intercept_) if fitted else (None, None)
        data, datafit, p, T = self._prepare(X, y, sample_weight)
        self._check_n_tasks(T)
        W0, b0 = self._start(data, *previous)
        # Warm: _start took the previous solution (it does when the shapes match).
        warm = previous[0] is not None and previous[0].shape == W0.shape
        solution = self._fit_solution(data, datafit, W0, b0, n_features=p, warm=warm, xp=xp)
        self._set_coef(np.asarray(solution.W, dtype=data.dtype), p)
        self.intercept_ = self._raw_intercept(data, solution.W, solution.b)
        self.n_iter_ = int(solution.n_iter)
        self.dual_gap_ = solution.dual_gap
        self.solver_ = solution.solver
        self.device_ = "cpu" if xp is None else "cuda"
        self._set_extra(solution.extra)
        return self

    def _check_n_tasks(self, n_tasks):
        """Parameters that can only be checked once the number of tasks is known."""

    def _fit_solution(self, data, datafit, W0, b0, *, n_features, warm, xp):
        """The fitting hook: solve the validated problem from ``(W0, b0)``; a :class:`Solution`.

        Parameters
        ----------
        data : SharedDesign or StackedDesign
            The validated, possibly rescaled and centered problem (:meth:`_prepare`).
        datafit : Quadratic or Logistic
            Its datafit.
        W0 : ndarray of shape (n_blocks * n_features, n_tasks)
        b0 : ndarray of shape (n_tasks,)
            The start (:meth:`_start`), in the user's units.
        n_features : int
            Features of the user's problem (before two-part models tile it).
        warm : bool
            Whether ``(W0, b0)`` is the previous fit's solution.
        xp : module or None
            The array namespace to solve in (CuPy), or None for the host.

        Here: one solve of the penalty of :meth:`_make_penalty`. Nothing may
        be stored on the estimator: ``fit`` stores the solution.
        """
        penalty = self._make_penalty(n_features, data.n_tasks)
        W, b, n_iter, gap, solver = self._solve(datafit, penalty, W0, b0, xp=xp, stacklevel=4)
        return Solution(W, b, n_iter, data.scaling.objective_to_user(gap), solver)

    def _set_extra(self, extra):
        """Store ``Solution.extra``: what a model learns beyond ``(W, b)`` (nothing here)."""

    def _path_solve(self, datafit, W, b, n_features, *, xp):
        """One fit of a path (:func:`~mtlclassic.estimators._path.fit_path`) from ``(W, b)``.

        Returns ``(W, b, n_iter, gap, relative_gap, solver)``: the gap in the
        user's units of the objective and relative to its scale (the datafit at
        ``W = 0``), what ``tol`` bounds. Here: one solve of :meth:`_make_penalty`;
        no warning (the path summarises its fits).
        """
        W, b, n_iter, gap, solver = self._solve(
            datafit, self._make_penalty(n_features, datafit.data.n_tasks), W, b, xp=xp,
            warn=False)
        scale = max(datafit.null_value(self.fit_intercept), np.finfo(datafit.data.dtype).tiny)
        return (W, b, n_iter, datafit.data.scaling.objective_to_user(gap), float(gap) / scale,
                solver)

    def _prepare(self, X, y, sample_weight, *, solve=True):
        """Validate the input once: ``(data, datafit, n_features, n_tasks)``.

        The container is rescaled when the data's scales are far from 1
        (``data.scaling``, see :mod:`mtlclassic.data._scaling`) and, to be
        solved (``solve=True``), tiled for two-part models (a view of ``X``,
        :mod:`mtlclassic.data._tied`) and centered with intercepts; paths and
        CV reuse it for every penalty strength. Without ``solve`` (a gradient
        at ``W = 0``, for ``alpha_max``) neither is done. The datafit is that of the rescaled
        problem: its values are the user's times ``2^data.scaling.objective``.
        Coefficients and intercepts passed to and returned by :meth:`_start`,
        :meth:`_solve` and :meth:`_raw_intercept` are in the user's units.
        """
        data = self._check_fit_input(X, y, sample_weight, task_weights=self.task_weights)
        p, T = data.n_features, data.n_tasks
        # Features, targets and task weights far from 1 are rescaled by powers of two (exact),
        # so that no product overflows or underflows; _solve maps the penalty and the
        # solution (data.scaling). Labels are not magnitudes: only the squared loss's targets.
        if self.fit_intercept:  # s / 2 sum_t (b_t - b0)^2 on the user's intercepts
            data.intercept_shrinkage = float(getattr(self, "intercept_shrinkage", 0.0))
        data = data.rescaled(scale_targets=self._loss == "squared")
        if not solve:
            return data, _DATAFITS[self._loss](data), p, T
        data = data.tiled(self._n_blocks, tied=self._tied_design)  # W = P + Q: on [X, X]
        # Centering: the same problem, better conditioned; intercepts mapped back. Not with
        # shrinkage, whose term is on the user's intercepts: centered, they would depend on W.
        if self.fit_intercept and not data.intercept_shrinkage > 0:
            data.center()
        return data, _DATAFITS[self._loss](data), p, T

    def _start(self, data, W_prev=None, b_prev=None):
        """Starting point ``(W0, b0)`` of :meth:`_solve`: zeros, or a previous (raw) solution.

        In the user's units; ``b0`` is the centered intercept.
        """
        T = data.n_tasks
        W0 = np.zeros((data.n_features, T), dtype=data.dtype)
        b0 = np.zeros(T, dtype=data.dtype)
        if W_prev is not None and W_prev.shape == W0.shape:
            W0 = np.ascontiguousarray(W_prev, dtype=data.dtype)
            b0 = np.asarray(b_prev, dtype=data.dtype)
            if data.X_offset is not None:  # b' = b + xbar_t . w_t, centered parametrisation
                b0 = b0 + self._offset_term(data, W0)
        return W0, b0

    @staticmethod
    def _offset_term(data, W):
        """``xbar_t . w_t`` per task in the user's units, formed in the rescaled ones.

        ``X_offset`` is in rescaled units: the product is taken there (where it
        cannot overflow) and mapped back.
        """
        scaling = data.scaling
        return scaling.intercept_to_user(np.sum(data.X_offset * scaling.to_internal(W)[0], axis=0))

    def _solve(self, datafit, penalty, W0, b0, *, warn=True, tol=None, max_iter=None,
               verbose=None, xp=None, stacklevel=3):
        """Run the solver; returns ``(W, b, n_iter, gap, solver)`` (``b`` centered, numpy).

        ``penalty``, ``W0``, ``b0`` and the returned ``W``, ``b`` are in the
        user's units; the solver runs on the rescaled problem of ``datafit``
        (``datafit.data.scaling``) with the equivalent penalty, and ``gap`` is
        in that problem's units, as ``datafit.null_value()`` (relative gaps
        are the same in both; ``scaling.objective_to_user`` maps it).

        ``tol``, ``max_iter`` and ``verbose`` default to the estimator's;
        ``stacklevel`` is the ``ConvergenceWarning``'s (3: the caller's caller).  With
        an array namespace ``xp`` (CuPy), the problem is copied there once and
        solved by the array-generic FISTA (gradient, prox, gap, backtracking
        all on the device); the solution comes back as numpy arrays.

        Raises a ``ValueError`` rather than return non-finite coefficients.
        """
        data = datafit.data
        scaling = data.scaling
        penalty = scaling.penalty(penalty)
        W0, b0 = scaling.to_internal(W0, b0)
        tol = self.tol if tol is None else tol
        kwargs = dict(fit_intercept=self.fit_intercept, tol=tol,
                      max_iter=self.max_iter if max_iter is None else max_iter,
                      verbose=self.verbose if verbose is None else verbose)
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                if xp is not None:
                    solver = self._gpu_solver()
                    on_device = _device_datafit(datafit, xp)
                    W, b, n_iter, gap, gap_scale = SOLVERS[solver](
                        on_device, penalty, xp.asarray(W0), xp.asarray(b0), **kwargs)
                    W, b = to_host(W), to_host(b)
                else:
                    solver = self._choose_solver(penalty)
                    with blas_threads_for(data.n_samples * data.n_features * data.n_tasks):
                        W, b, n_iter, gap, gap_scale = SOLVERS[solver](datafit, penalty, W0, b0,
                                                                       **kwargs)
        except np.linalg.LinAlgError as exc:
            raise ValueError(f"{type(self).__name__}: the solver failed ({exc}); the problem is "
                             "numerically singular at this scale. Scale the features (and "
                             "targets), or raise the penalty strength.") from None
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
            raise ValueError(f"{type(self).__name__}: the solver produced non-finite values "
                             "(overflow). Scale the features (and targets), or raise the "
                             "penalty strength.")
        W, b = scaling.to_user(W, b)
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
            raise ValueError(f"{type(self).__name__}: the coefficients in the data's units "
                             f"exceed the range of {np.dtype(data.dtype).name}. Scale the "
                             "features (and targets), or fit in float64.")
        # Without a closed-form dual norm the solvers stop on a fixed-point rule (gap NaN):
        # converged when they stopped before max_iter. Else a NaN gap warns too.
        converged = (gap <= tol * gap_scale if getattr(penalty, "has_dual_norm", True)
                     else n_iter < kwargs["max_iter"])
        if warn and solver != "cvxpy" and not converged:
            warnings.warn(
                f"{type(self).__name__} did not converge in {n_iter} iterations: relative "
                f"duality gap {gap / gap_scale:.3e} > tol={self.tol:g}. Increase max_iter "
                "or tol, or scale the features.", ConvergenceWarning, stacklevel=stacklevel)
        return W, b, n_iter, gap, solver

    def _raw_intercept(self, data, W, b):
        """Intercepts of the uncentered problem, ``b_t = b'_t - xbar_t . w_t``."""
        if not self.fit_intercept:
            return np.zeros(data.n_tasks, dtype=data.dtype)
        if data.X_offset is None:  # not centered (intercept shrinkage): b is the user's
            return np.asarray(b, dtype=data.dtype)
        return np.asarray(b - self._offset_term(data, W), dtype=data.dtype)


def _device_datafit(datafit, xp):
    """``datafit`` on a copy of its problem in the namespace ``xp``, made once per datafit.

    Paths and the alternating models solve many problems on one container:
    the data goes to the GPU once, and its Lipschitz estimate is kept.
    """
    cached = datafit.__dict__.get("_on_device")
    if cached is None or cached[0] is not xp:
        cached = (xp, type(datafit)(to_namespace(datafit.data, xp)))
        datafit._on_device = cached
    return cached[1]


class _LogisticAlpha:
    """The linear models' signature with the logistic loss's default strength, ``alpha=0.01``.

    Listed before the model's base by the one-strength classifiers whose
    regressor defaults to 0.1: 0/1 labels covary less with a feature than
    standardised targets do (see
    tests/test_common.py::test_defaults_fit_useful_models for the measurements).
    """

    def __init__(self, alpha=0.01, *, l2_reg=0.0, fit_intercept=True, intercept_shrinkage=0.0,
                 task_column=None, unseen_tasks="error", task_weights=None, tol=1e-4,
                 max_iter=1000, warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())

