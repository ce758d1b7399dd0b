"""Prox-Newton inner solver of the working-set loop, for smooth losses other than the squared loss.

On the working set, the datafit ``F(Z) = sum_it c_it l(y_it, z_it)`` is
replaced by its second-order model at the current predictor ``Z``::

    F(Z + D) ~ F(Z) + sum_it g_it D_it + 1/2 sum_it h_it D_it^2
             = const + 1/2 sum_it h_it (u_it - (Z + D)_it)^2,   u = Z - g / h

with ``g = dF/dZ`` and ``h = d^2F/dZ^2`` (logistic: ``g = -c y s``, ``h = c s
(1 - s)``, ``s = sigmoid(-y z)``), since the loss is separable in ``Z``. That
is a weighted least-squares problem -- the squared loss with weights ``h`` and
targets ``u`` -- which the numba BCD epochs of the squared loss
(:mod:`mtlclassic.solvers.bcd`) solve as they are, penalty included (its row
prox). For the l1 and l2,1 penalties on a shared dense design the model is
solved instead entry by entry (l1) or row by row (l2,1), each coordinate with
its own curvature and exactly, the sweeps cycling on the active set
(:mod:`mtlclassic.solvers._entry_kernels`): the weights ``h`` differ per
(sample, task), and the block epochs majorise them by their largest
curvature over tasks. With intercepts, the model's design is centered at the ``h``-weighted
means of each task, so that the model's best intercepts do not depend on
``W`` (as for the squared loss) and the direction includes them. A
backtracking line search on the true objective (datafit + penalty) then
takes a step along the direction, and the intercepts are profiled (exactly
minimised for the new ``W``). The restricted problem's duality gap stops the
Newton steps, at the outer loop's target.

References
----------
Lee, J. D., Sun, Y. and Saunders, M. A. (2014). Proximal Newton-type methods
for minimizing composite functions. SIAM J. Optim. 24(3).
Friedman, J., Hastie, T. and Tibshirani, R. (2010). Regularization paths for
generalized linear models via coordinate descent. J. Stat. Softw. 33(1).
Massias, M., Vaiter, S., Gramfort, A. and Salmon, J. (2020). Dual extrapolation
for sparse generalized linear models. JMLR 21.
Dembo, R. S., Eisenstat, S. C. and Steihaug, T. (1982). Inexact Newton methods.
SIAM J. Numer. Anal. 19(2).
Bertrand, Q., Klopfenstein, Q., Bannier, P.-A., Gidel, G. and Massias, M.
(2022). Beyond L1: faster and better sparse models with skglm. NeurIPS.
"""

import copy

import numpy as np

from ..penalties import PROX_L1, PROX_L21
from ._anderson import Anderson
from ._entry_kernels import ENTRY_KINDS, entry_solve
from ._gap import dual_at
from ._kernels import bcd_stacked_gram_solve
from .bcd import _subproblem_epoch

# BCD epochs on one quadratic model: at most this many (skglm's ProxNewton: 20), and
# stop once an epoch moves the coefficients by less than NEWTON_EPOCH_RATIO times the
# first epoch did (a direction need not be exact: the line search corrects it).
NEWTON_MAX_EPOCHS = 20
# Gram-form models (:func:`_gram_epochs`) take up to GRAM_MAX_EPOCHS: their epochs, without
# extrapolation, cost microseconds (Landmine: 40 a model on average).
GRAM_MAX_EPOCHS = 200
NEWTON_EPOCH_RATIO = 0.1
# Working sets of at most FEW_FEATURES features: an epoch costs little next to a step's passes
# over the samples (value, derivatives, intercepts, gap: a few exp and log per sample), so
# each model is solved further, which saves steps (CPU per fit: School 29 -> 28 ms, Landmine
# 29 -> 21 ms; on problem A's large working sets 0.03 costs more epochs than it saves steps).
FEW_FEATURES = 32
NEWTON_EPOCH_RATIO_FEW = 0.03
# Entry-level models (l1 and l2,1 on a shared dense design, :mod:`._entry_kernels`): a full
# sweep is followed by at most ENTRY_ACTIVE_SWEEPS sweeps over the active entries, and the
# model is solved until a sweep moves the coefficients by ENTRY_RATIO[kind] times the first
# did. (l1, table problem n=300 p=2000 T=10 at alpha_max/100: 0.88 -> 0.39 s per fit; l2,1 on
# problem A, whose support is most of the working set: 0.3, a looser model, saves sweeps.)
ENTRY_ACTIVE_SWEEPS = 10
ENTRY_RATIO = {PROX_L1: 0.1, PROX_L21: 0.3}
# Anderson extrapolation of the epochs' iterates every k + 1 epochs (as for the squared loss).
NEWTON_ANDERSON_K = 5
# Armijo's sufficient decrease, and the halvings of the line search before giving up.
ARMIJO = 1e-4
MAX_HALVINGS = 30
# Differences of the objective below this many units of rounding are noise.
ROUNDING_UNITS = 64


def _curvature_floor(dtype):
    """Smallest curvature kept, relative to ``c``: ``h >= c sqrt(eps)``.

    Where a sample's loss is flat (``|z|`` large), ``g / h`` grows as ``exp(|z|)``;
    the floor keeps the working response ``u = Z - g / h`` within ``1 / sqrt(eps)``
    of ``Z`` (finite in float32), with the gradient ``g`` still exact: the model
    is only more curved along those samples.
    """
    return float(np.sqrt(np.finfo(dtype).eps))


class _NewtonInner:
    """Prox-Newton steps on the problem restricted to the working set ``ws``.

    Parameters
    ----------
    datafit : Logistic
        The full problem's datafit (``value_z``, ``derivative_z``,
        ``curvature_z``, ``optimal_intercept``).
    penalty : Penalty
        Row-separable, with a dual norm.
    ws : ndarray of int
        The working set (sorted); ``W`` is zero elsewhere.
    fit_intercept : bool
    cache : dict
        The restricted container of the last working set, reused while the
        set does not change.
    """

    def __init__(self, datafit, penalty, ws, fit_intercept, cache, evaluated=None):
        data = datafit.data
        if cache.get("ws") is not None and np.array_equal(cache["ws"], ws):
            sub = cache["sub"]
        else:
            last_ws, last_sub = cache.get("ws"), cache.get("sub")
            if not _reuses(data, last_sub):
                # One restricted copy of the columns alive at a time (per-task designs'
                # memory bound, tests/test_large_data.py); a dense shared design's copy
                # is built from the last one, both alive for that moment.
                cache.clear()
                last_ws = last_sub = None
            sub = _restrict(data, ws, last_ws, last_sub)
            cache.clear()
            if sub.is_sparse and sub.X.format != "csc":
                sub = sub._with_design(sub.X.tocsc()) if sub.X_offset is None else _csc(sub)
            cache.update(ws=ws, sub=sub)
        self.cache = cache
        # The restricted problem (compact columns): values, gaps and the model's design.
        self.datafit = type(datafit)(sub)
        self.penalty, self.fit_intercept = penalty, fit_intercept
        self.rows = np.arange(ws.size, dtype=np.int64)
        self.params = penalty.row_params
        self.best_dual = -np.inf
        # The Gram-form models' epoch ratio is at most sqrt(relative restricted gap) of the
        # last step: inexact Newton with a forcing term that vanishes at the optimum
        # (superlinear convergence, Dembo, Eisenstat and Steihaug 1982); set by gap().
        self.forcing = np.inf
        self.floor = _curvature_floor(sub.dtype)
        # (Penalties zeroing no row, ridge and pooled, keep the former rule: measured on none.)
        self.epoch_ratio = (NEWTON_EPOCH_RATIO_FEW
                            if ws.size <= FEW_FEATURES and penalty.zeroes_rows
                            else NEWTON_EPOCH_RATIO)
        # (Z, (F(Z), dF/dZ, d^2F/dZ^2)) of the last evaluation; the outer loop's, to begin with
        # (the restricted datafit has the same values at the same Z).
        self._last = (None, None) if evaluated is None else evaluated

    def _evaluate(self, Z):
        """``(F(Z), dF/dZ, d^2F/dZ^2)``, remembered for the last ``Z`` (the same object).

        A step's accepted point is evaluated once: its value ends the line search,
        its derivative gives the gap, and both derivatives the next step's model.
        """
        if self._last[0] is not Z:
            fused = getattr(self.datafit, "value_derivative_curvature_z", None)
            out = (fused(Z) if fused is not None else
                   (self.datafit.value_z(Z), self.datafit.derivative_z(Z),
                    self.datafit.curvature_z(Z)))
            self._last = (Z, out)
        return self._last[1]

    def _model(self, Z):
        """The quadratic model at ``Z``: a squared-loss container, weights ``h``, targets ``u``."""
        sub = self.datafit.data
        _, g, h = self._evaluate(Z)
        g = g.astype(np.float64, copy=False)
        c = sub.C.astype(np.float64)
        h = np.maximum(h.astype(np.float64, copy=False), self.floor * c)
        u = Z - np.divide(g, h, out=np.zeros_like(g), where=h > 0)  # c = 0: no term
        model = copy.copy(sub)  # shares X (and the per-task row blocks): new Y, C, centering
        model.Y, model.C = u.astype(sub.dtype), h.astype(sub.dtype)
        model.row_weights = model.task_scale = None  # h is no outer product
        model.X_offset = None
        if self.fit_intercept:  # at the h-weighted means: the best intercepts do not depend on W
            model.center()
        elif sub.X_offset is not None:  # (not reached: containers are centered with intercepts)
            model.X_offset, model._sums = sub.X_offset, sub._sums
        return model, g

    def step(self, W, b, Z, primal, max_epochs):
        """One prox-Newton step from ``(W, b)`` with predictor ``Z`` and objective ``primal``.

        ``max_epochs``: the epochs left to the solve (each form takes at most its own
        cap of them). Returns ``(W, b, Z, primal, epochs, moved)``; ``moved`` is False
        when the line search found no decrease (the point is optimal to rounding).
        """
        model, g = self._model(Z)
        # The model's design is centered at m_h, the restricted problem's at m_c (or not at
        # all): (X - m_h) W = (X - m_c) W - delta(W), delta(W)_t = sum_j (m_h - m_c)_jt W_jt.
        # So the model's predictor needs no product with X: Z - b - delta(W).
        sub = self.datafit.data
        m_shift = (None if model.X_offset is None else model.X_offset if sub.X_offset is None
                   else model.X_offset - sub.X_offset)

        def delta(W_):
            return (np.zeros(model.n_tasks, model.dtype) if m_shift is None
                    else np.sum(m_shift * W_, axis=0).astype(model.dtype))

        if _gram_applies(model):
            # The model's intercepts are its weighted means of u - Xc W: of u (Xc is centered
            # at the h-weighted means, so sum_i h_i Xc_i = 0 in every task).
            b_model = (model.task_sum(model.C * model.Y) / model.task_sum(model.C)
                       if self.fit_intercept else np.zeros(model.n_tasks, model.dtype))
            W_new, epochs = _gram_epochs(model, self.penalty, W, self.params, self.rows,
                                         min(self.epoch_ratio, self.forcing),
                                         min(GRAM_MAX_EPOCHS, max_epochs))
            # The model's predictor moves by Xc (W_new - W) + (b_model - b - delta(W)).
            dZ = model.linear(W_new - W) + model.expand(b_model - b - delta(W))
            return self._line_search(W, b, Z, primal, g, W_new, dZ, b_model, delta, epochs)
        max_epochs = min(NEWTON_MAX_EPOCHS, max_epochs)
        if _entry_applies(model, self.penalty):
            return self._entry_step(model, W, b, Z, primal, g, delta, max_epochs)
        # The squared loss's block curvatures on the model (the solver imports no datafit).
        lipschitz = np.ascontiguousarray(model.weighted_sq_col_norms().max(axis=1),
                                         dtype=model.dtype)
        kernel, order = _subproblem_epoch(model)
        Z_model = Z - model.expand(b + delta(W))  # (X - m_h) W
        # The model's intercepts are its weighted means of u - Xc W (centered: of u).
        b_model = (model.task_sum(model.C * (model.Y - Z_model)) / model.task_sum(model.C)
                   if self.fit_intercept else np.zeros(model.n_tasks, model.dtype))
        R = np.array(model.Y - Z_model - model.expand(b_model), order=order)  # u - Xc W - b
        shift = np.zeros(model.n_tasks, model.dtype)
        W_new = np.array(W, order="C", copy=True)
        anderson = Anderson(NEWTON_ANDERSON_K)
        first, epochs = None, 0
        for epochs in range(1, max_epochs + 1):
            change = kernel(R, shift, W_new, lipschitz, self.params, self.penalty.row_kind,
                            self.rows)
            first = change if first is None else first
            if change <= self.epoch_ratio * first:
                break
            anderson.push(W_new)
            if anderson.full:  # every k + 1 epochs: extrapolate, keep it if the model is lower
                W_acc = anderson.extrapolate(W_new)
                anderson.reset()
                if W_acc is not None:
                    R_acc = _try_extrapolation(model, self.penalty, R, shift, W_new, W_acc,
                                               b_model, order)
                    if R_acc is not None:
                        R, W_new = R_acc, W_acc
                        shift[:] = 0.0
        # The model's predictor at W_new, and the direction in (W, Z).
        dZ = (model.Y - (R + model.expand(shift))) - Z
        return self._line_search(W, b, Z, primal, g, W_new, dZ, b_model, delta, epochs)

    def _entry_step(self, model, W, b, Z, primal, g, delta, max_epochs):
        """:meth:`step` by entry-level coordinate descent on the model (:mod:`._entry_kernels`).

        Each entry (l1) or row (l2,1) is minimised exactly with its own
        curvatures ``L_jt`` (the block epochs majorise with ``max_t L_jt``),
        the sweeps cycling on the active set.
        """
        cache = self.cache
        if "Xf" not in cache:  # the working set's columns, Fortran-ordered, once per set
            cache["Xf"] = np.asfortranarray(model.X, dtype=model.dtype)
        Xf = cache["Xf"]
        k, T = model.n_features, model.n_tasks
        offset = (np.zeros((k, T), model.dtype) if model.X_offset is None
                  else np.ascontiguousarray(model.X_offset, dtype=model.dtype))
        Cf = np.asfortranarray(model.C)
        L = np.empty((k, T))  # the curvatures, filled by the first sweep
        Z_model = Z - model.expand(b + delta(W))  # (X - m_h) W
        b_model = (model.task_sum(model.C * (model.Y - Z_model)) / model.task_sum(model.C)
                   if self.fit_intercept else np.zeros(T, model.dtype))
        R = np.array(model.Y - Z_model - model.expand(b_model), order="F")  # u - Xc W - b
        W_new = np.array(W, order="C", copy=True)
        epochs = entry_solve(Xf, offset, R, Cf, W_new, L, self.params, self.penalty.row_kind,
                             max_epochs, ENTRY_RATIO[self.penalty.row_kind], ENTRY_ACTIVE_SWEEPS,
                             True)
        dZ = (model.Y - R) - Z  # the model's predictor at W_new, minus Z
        return self._line_search(W, b, Z, primal, g, W_new, dZ, b_model, delta, epochs)

    def _line_search(self, W, b, Z, primal, g, W_new, dZ, b_model, delta, epochs):
        """Backtracking along ``(W_new - W, dZ)`` on the true objective; intercepts profiled.

        Returns :meth:`step`'s tuple.
        """
        sub = self.datafit.data
        dW = W_new - W
        penalty = self.penalty
        pen_new = penalty.value(W_new)
        pen_old = penalty.value(W)
        # Directional derivative bound of Lee et al. (2014): g . dZ + pen(W_new) - pen(W) < 0.
        decrease = float(np.sum(g * dZ)) + pen_new - pen_old
        rounding = ROUNDING_UNITS * float(np.finfo(sub.dtype).eps) * max(abs(primal), 1e-300)
        if not decrease < rounding:  # (NaN included)
            return W, b, Z, primal, epochs, False
        t = 1.0
        for _ in range(MAX_HALVINGS):
            W_t = W_new if t == 1.0 else W + t * dW
            Z_t = (Z + t * dZ).astype(Z.dtype, copy=False)
            value = self._evaluate(Z_t)[0] + (pen_new if t == 1.0 else penalty.value(W_t))
            if value <= primal + ARMIJO * t * decrease:
                break
            if t == 1.0 and -decrease <= rounding and value <= primal + rounding:
                # The objective cannot tell the points apart: near the optimum it is flat
                # to second order, while the duality gap still sees W move (first order).
                # The full Newton step is then taken (Newton converges there).
                break
            t *= 0.5
        else:
            return W, b, Z, primal, epochs, False
        W_t = W_t.astype(W.dtype, copy=False)
        if self.fit_intercept:
            # Profile the intercepts: exact minimisation over b for W_t (a 1-D Newton per task).
            # At the model's solution the intercepts are b_model - delta(W_new) in the
            # restricted problem's parametrisation; at t, b + t (that - b).
            b_t = b + t * ((b_model - delta(W_new)) - b)
            Z0 = Z_t - sub.expand(b_t)
            b_t = _intercept_step(sub, b_t, *self._evaluate(Z_t)[1:])
            b = self.datafit.optimal_intercept(Z0, b_t).astype(W.dtype)
            Z_t = Z0 + sub.expand(b)
            value = self._evaluate(Z_t)[0] + penalty.value(W_t)
        return W_t, b, Z_t, value, epochs, value < primal or -decrease <= rounding

    def gap(self, W, Z, primal):
        """Duality gap of the restricted problem at ``(W, Z)`` (intercepts profiled)."""
        dual = dual_at(self.datafit, self.penalty, -self._evaluate(Z)[1])[0]
        self.best_dual = max(self.best_dual, dual)
        gap = primal - self.best_dual
        self.forcing = float(np.sqrt(max(gap, 0.0) / max(abs(primal), 1e-300)))
        return gap


def _restrict(data, ws, last_ws, last_sub):
    """``data.restrict(ws)``, the columns also in the last working set taken from its copy.

    Successive working sets share most features (the support, and many of the
    candidates): rows of the last copy's transpose are gathered contiguously,
    where a gather of columns of ``X`` reads it strided (problem A, 1339
    features: 2.0 ms -> 0.5 ms a round). Dense shared designs only; the copy
    is plain or centered as :meth:`SharedDesign.restrict` makes it (the last
    copy is: its ``X_offset`` is dropped when centered), its new columns too.
    """
    if last_ws is None or not _reuses(data, last_sub):
        return data.restrict(ws)
    at = np.minimum(np.searchsorted(last_ws, ws), last_ws.size - 1)
    kept = last_ws[at] == ws
    X = np.empty((data.n_samples, ws.size), dtype=last_sub.X.dtype, order="F")
    X.T[kept] = last_sub.X.T[at[kept]]  # X.T is C-ordered: whole columns, contiguous
    if not np.all(kept):
        X.T[~kept] = data.restrict(ws[~kept]).X.T  # (Fortran-ordered: .T is C-ordered)
    sub = data._with_design(X)
    if data.X_offset is not None and last_sub.X_offset is not None:  # a plain copy
        sub.X_offset, sub._sums = data.X_offset[ws], data._sums[ws]
    return sub


def _reuses(data, last_sub):
    """Whether :func:`_restrict` builds the next copy from ``last_sub`` (dense shared)."""
    return (last_sub is not None and not last_sub.is_sparse and data.layout == "shared"
            and not data.is_sparse)


def _entry_applies(model, penalty):
    """Whether the model is solved entry by entry: l1 or l2,1 on a shared dense design."""
    return (model.layout == "shared" and not model.is_sparse
            and getattr(penalty, "row_kind", None) in ENTRY_KINDS)


def _gram_applies(model):
    """Whether the model is solved in Gram form: per-task dense blocks, many rows per feature.

    A Gram costs about ``N k^2 / 2`` products against ``2 N k`` per residual epoch (``N``
    rows, ``k`` features), and a step takes 10-20 epochs: it pays for ``k <= FEW_FEATURES``;
    its epochs, ``O(k^2 T)``, need more rows per task than features (``N >= 2 k T``).
    """
    k = model.n_features
    return (model.layout == "stacked" and not model.is_sparse and 0 < k <= FEW_FEATURES
            and model.n_samples >= 2 * k * model.n_tasks)


def _gram_epochs(model, penalty, W, params, rows, epoch_ratio, max_epochs):
    """BCD epochs on the model in Gram form (float64), in one compiled loop.

    The same stopping rule as the residual epochs: an epoch moving the
    coefficients by less than ``epoch_ratio`` times the first one did, within
    ``max_epochs``. No Anderson extrapolation: it saves epochs (Landmine: 241
    a fit without, 71 with), but its Python calls cost more than the epochs
    it saves (an epoch, ``O(k^2 T)``, takes microseconds; CPU per fit 9.3 ->
    7.9 ms).
    Returns ``(W_new, epochs)``, ``W_new`` in ``W``'s dtype.
    """
    Q, B = model.task_grams()
    # Block curvature of feature j: the largest of its tasks' weighted squared norms.
    lipschitz = np.ascontiguousarray(np.max(np.diagonal(Q, axis1=1, axis2=2), axis=0))
    W_new = np.array(W, dtype=np.float64, order="C")
    H = np.einsum("tjm,mt->jt", Q, W_new)  # H[:, t] = Q[t] W[:, t]
    epochs = bcd_stacked_gram_solve(Q, B, H, W_new, lipschitz, params, penalty.row_kind, rows,
                                    max_epochs, epoch_ratio)
    return W_new.astype(W.dtype, copy=False), epochs


def _intercept_step(data, b, g, h):
    """``b`` after the first Newton step of :meth:`optimal_intercept`, from ``g``, ``h`` at ``b``.

    The line search evaluated the derivatives at its point already: taking the
    intercepts' first step from them saves one pass over the samples.
    """
    G, H = data.task_sum(g), data.task_sum(h)
    moving = np.abs(G) > 1e-13 * data.task_sum(data.C)
    return b - np.where(moving, np.clip(G / np.maximum(H, 1e-300), -4.0, 4.0), 0.0)


def _model_value(model, penalty, R, W):
    """``1/2 sum h R^2 + pen(W)``: the quadratic model (up to a constant) at residual ``R``."""
    return 0.5 * float(np.sum(model.C * R * R)) + penalty.value(W)


def _try_extrapolation(model, penalty, R, shift, W, W_acc, b_model, order):
    """The residual at ``W_acc`` if the model is lower there than at ``W``, else None."""
    R_acc = np.array(model.Y - model.linear(W_acc, b_model), order=order)
    if (_model_value(model, penalty, R_acc, W_acc)
            < _model_value(model, penalty, R + model.expand(shift), W)):
        return R_acc
    return None


def _csc(sub):
    """``sub`` with its sparse design in CSC (the epochs read columns), centering kept."""
    out = sub._with_design(sub.X.tocsc())
    out.X_offset, out._sums = sub.X_offset, sub._sums
    return out


def newton_inner(datafit, penalty, W_ws, b, Z, ws, inner_tol, max_epochs, fit_intercept, cache,
                 evaluated=None):
    """Prox-Newton steps on the working set until the restricted gap is below ``inner_tol``.

    ``Z`` is the predictor at ``(W, b)`` (``W`` zero off ``ws``), with ``b``
    optimal for ``W`` when intercepts are fitted; ``evaluated``: ``(Z, (F(Z),
    dF/dZ, d^2F/dZ^2))`` if the caller has them. Returns ``(W_ws, b, epochs,
    Z)``: the BCD epochs spent on the quadratic models count as iterations.
    """
    inner = _NewtonInner(datafit, penalty, ws, fit_intercept, cache, evaluated)
    W = np.ascontiguousarray(W_ws)
    primal = inner._evaluate(Z)[0] + penalty.value(W)
    used = 0
    while used < max_epochs:
        W, b, Z, primal, epochs, moved = inner.step(
            W, b, Z, primal, max_epochs - used)
        used += epochs
        if not moved or inner.gap(W, Z, primal) <= inner_tol:
            break
    # The steps update Z along their directions (no product with X): formed once, exactly,
    # for the outer gap (the rounding they gathered is gone).
    Z = inner.datafit.linear(W, b)
    return W, b, used, Z
