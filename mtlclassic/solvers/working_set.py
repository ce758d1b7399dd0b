"""Working-set solver: exact outer duality gap, gap-safe screening, small inner problems.

One outer loop serves every loss and every penalty separable over features:
the inner problem, restricted to a working set of features, is solved by
numba block coordinate descent epochs for the squared loss
(:mod:`mtlclassic.solvers.bcd`), and for other losses by prox-Newton steps
whose weighted least-squares models those same epochs solve
(:mod:`mtlclassic.solvers._newton`, ``prox_newton``) or by FISTA
(``working_set``).

References
----------
Massias, M., Gramfort, A. and Salmon, J. (2018). Celer: a fast solver for the
lasso with dual extrapolation. ICML.
Ndiaye, E., Fercoq, O., Gramfort, A. and Salmon, J. (2017). Gap safe screening
rules for sparsity enforcing penalties. JMLR 18.
Bertrand, Q. and Massias, M. (2021). Anderson acceleration of coordinate
descent. AISTATS.
"""

import numpy as np

from ..data import PseudoRows, WorkingColumns
from ._anderson import Anderson
from ._contract import check_solver
from ._gap import DualExtrapolation, dual_at
from ._newton import FEW_FEATURES, newton_inner
from .bcd import _GramInner, _ResidualInner
from .fista import fista

# The inner problem is solved to this fraction of the outer gap (celer uses 0.3).
INNER_GAP_RATIO = 0.3
# Working sets hold the nonzero features plus as many candidates (celer's rule,
# WS_GROWTH = 2), but at most WS_EXTRA_MAX candidates: once the support is in the
# thousands, zero features in the working set cost an epoch more than they save
# (measured on n=300, p=5000, T=20 at alpha_max/100: 210 -> 190 epochs, 1.40 -> 0.92 s).
WS_GROWTH = 2
WS_EXTRA_MAX = 500
# Prox-Newton: once a round changes the support by at most STABLE_SUPPORT_CHANGE of its
# features (entered or left), the working set is settled: its problem is then solved to
# STABLE_GAP_RATIO times the outer gap, several Newton steps in one round, each with the
# restricted gap only (an outer round costs a product with all of X: 4 ms of a 20 ms round
# on problem A, whose Newton steps cut the gap 10x each; GroupLassoClassifier on A at
# alpha_max/10: 12 -> 9 rounds, CPU 0.275 -> 0.250 s).
STABLE_GAP_RATIO = 0.01
STABLE_SUPPORT_CHANGE = 0.01
# The inner gap is checked every ``gap_freq`` epochs; with ``gap_freq = anderson_k + 1``
# each check falls right after an Anderson extrapolation, at the best point of the cycle
# (path on n=300, p=5000, T=20: 950 -> 882 epochs, median 4.28 -> 3.88 s vs gap_freq=5).


def working_set(datafit, penalty, W0, b0, *, fit_intercept=True, tol=1e-4, max_iter=1000,
                gap_freq=6, screening=True, use_working_set=True, anderson_k=5,
                dual_extrapolation=False, verbose=0):
    """Minimise ``datafit(W, b) + penalty(W)`` over growing working sets of features.

    Same parameters and returns as :func:`mtlclassic.solvers.fista`; requires
    a penalty separable over features with a dual norm (``row_separable``,
    ``has_dual_norm``). ``max_iter`` counts inner epochs (datafits with an
    affine gradient: the squared loss) or inner FISTA iterations (see
    :func:`prox_newton` for prox-Newton inner steps, the default for the
    logistic loss).

    Outer loop: the exact duality gap over all features, with the best dual
    point seen so far (the residual point, or with ``dual_extrapolation`` the
    inner solver's extrapolated one, each rescaled into the dual domain);
    gap-safe screening (``screening``); then a working set
    (``use_working_set``): the nonzero features plus those closest to
    violating their dual constraint at this round's dual point (not the best
    seen, which may be stale), twice the support in size (at least
    100, at most 500 zero features, never shrinking). The inner problem on
    the working set is solved until its own gap is below 0.3 times the outer
    gap: by BCD epochs with Anderson extrapolation of the iterates (a datafit
    with ``affine_gradient``, the squared loss; with ``fit_intercept`` the
    container must be centered, which makes the optimal intercepts
    independent of ``W``), or by FISTA on the restricted problem (other
    losses). Penalties that zero no feature (``zeroes_rows = False``: ridge,
    pooled) skip screening and working sets.

    Intercept shrinkage (``datafit.shrinks_intercepts``: the container is
    then not centered, and the best intercepts depend on ``W``): the gap is
    that of the problem itself, at the best intercepts for ``W``; the BCD
    inner problem is the ordinary one with one pseudo-row per task
    (:class:`mtlclassic.data.PseudoRows`), centered, its shared intercept
    ``b0`` one more block of the descent (an exact step after each epoch).
    """
    check_solver("working_set", datafit, penalty)
    return _solve(datafit, penalty, W0, b0, fit_intercept=fit_intercept, tol=tol,
                  max_iter=max_iter, gap_freq=gap_freq, screening=screening,
                  use_working_set=use_working_set, anderson_k=anderson_k,
                  dual_extrapolation=dual_extrapolation, verbose=verbose)


def bcd(datafit, penalty, W0, b0, **kwargs):
    """The working-set solver with BCD inner epochs: datafits with an affine gradient only.

    See :func:`working_set` for the parameters.
    """
    check_solver("bcd", datafit, penalty)
    return _solve(datafit, penalty, W0, b0, **kwargs)


def prox_newton(datafit, penalty, W0, b0, **kwargs):
    """The working-set solver with prox-Newton inner steps (:mod:`mtlclassic.solvers._newton`).

    For a datafit without an affine gradient (the logistic loss), the
    problem restricted to each working set is solved by prox-Newton steps:
    a weighted least-squares model of the loss at the current predictor
    (weights ``h = d^2F/dZ^2``), solved by the squared loss's numba BCD
    epochs (l1 and l2,1 on a shared dense design: entry-level coordinate
    descent with active-set cycling, :mod:`mtlclassic.solvers._entry_kernels`),
    then a backtracking line search on the true objective. For the
    squared loss the model is the loss itself: this is :func:`bcd`. Same
    parameters as :func:`working_set`; ``max_iter`` counts BCD epochs.
    """
    check_solver("prox_newton", datafit, penalty)
    return _solve(datafit, penalty, W0, b0, newton=not datafit.affine_gradient, **kwargs)


def _solve(datafit, penalty, W0, b0, *, fit_intercept=True, tol=1e-4, max_iter=1000,
           gap_freq=6, screening=True, use_working_set=True, anderson_k=5,
           dual_extrapolation=False, verbose=0, newton=False):
    """The outer loop of :func:`working_set` (the solver's needs already checked).

    The inner solver: BCD epochs for a datafit with an affine gradient, else
    prox-Newton steps (``newton``) or FISTA.
    """
    data = datafit.data
    residual_epochs = datafit.affine_gradient  # BCD epochs on the residual, else inner FISTA
    shrink = fit_intercept and datafit.shrinks_intercepts
    # Shrinkage with BCD: the inner problems are ordinary ones on pseudo-rows, centered once.
    pseudo = PseudoRows(data) if shrink and residual_epochs else None
    if residual_epochs and fit_intercept and data.X_offset is None and pseudo is None:
        raise ValueError("bcd with intercepts needs a centered container (data.center()).")
    screening = screening and penalty.zeroes_rows
    use_working_set = use_working_set and penalty.zeroes_rows
    dtype = data.dtype
    gap_scale = max(datafit.null_value(fit_intercept), np.finfo(dtype).tiny)
    W = np.array(W0, dtype=dtype, order="C", copy=True)
    b = np.array(b0, dtype=dtype) if fit_intercept else np.zeros(data.n_tasks, dtype)
    if residual_epochs and fit_intercept:  # centered: the best intercept does not depend on W
        b = datafit.optimal_intercept(datafit.linear(W)).astype(dtype)
    lipschitz = datafit.block_lipschitz().astype(dtype)
    if pseudo is not None:  # the inner problems' curvatures (centered with the pseudo-rows)
        inner_lipschitz = type(datafit)(pseudo.base).block_lipschitz().astype(dtype)
    candidates = np.arange(data.n_features, dtype=np.int64)
    ws_size = max(100, int(WS_GROWTH * np.sum(np.any(W != 0, axis=1))))
    best_dual, best_V, inner_theta = -np.inf, None, None
    # Dual points live in sample space, whatever the working set: one history.
    extrapolation = DualExtrapolation(anderson_k if dual_extrapolation else 0)
    gram_cache = {}  # the Gram of the last working set (Gram-form inner solver)
    newton_cache = {}  # the columns of the last working set (prox-Newton inner solver)
    # The columns of the last working set (residual-form BCD on a dense stacked design).
    columns = (WorkingColumns(data) if residual_epochs and pseudo is None
               and WorkingColumns.applies(data) else None)
    n_iter = 0
    Z = None  # the predictor, when the inner solver hands it back
    last_support = None  # the support (a mask) at the start of the last prox-Newton round
    while True:
        if Z is None:
            b, Z = _profile(datafit, W, b, fit_intercept)
        fused = getattr(datafit, "value_derivative_curvature_z", None) if newton else None
        if fused is not None:  # one pass; the Newton steps start from the same evaluation
            evaluated = (Z, fused(Z))
            loss_value, derivative = evaluated[1][:2]
        else:
            evaluated, loss_value, derivative = None, datafit.value_z(Z), datafit.derivative_z(Z)
        primal = loss_value + penalty.value(W)
        if shrink:
            primal += datafit.intercept_value(b)
        theta = -derivative
        points = [theta]
        # The inner solver's best dual point is usually the residual point of its last
        # gap check, i.e. this very theta: one product X^T theta over all features, not two.
        if inner_theta is not None and not np.array_equal(inner_theta, theta):
            points.append(inner_theta)
        # The gap and screening use the best dual point seen; the working set is ranked at
        # this round's (celer's rule). Ranked at the best one, it can freeze when p >> n:
        # the point at W = 0 may stay the best for the whole fit (every later residual is
        # rescaled hard by the features left out), the set is then drawn from X^T Y again
        # and again, the violators of the current residual never enter and the gap stalls.
        round_dual, round_V = -np.inf, None
        for point in points:
            dual, V = dual_at(datafit, penalty, point)
            if dual > round_dual:
                round_dual, round_V = dual, V
        if round_dual > best_dual:
            best_dual, best_V = round_dual, round_V
        if round_V is None:  # every point left the dual domain (not the residual one, in theory)
            round_V = best_V
        # The best dual point may come from an earlier iterate: at the optimum, rounding
        # can put it a few ulps above the primal. The gap is never below zero.
        gap = max(primal - best_dual, 0.0)
        if verbose:
            print(f"working set, iteration {n_iter}: relative gap {gap / gap_scale:.3e}, "
                  f"{candidates.size} features left")
        if gap <= tol * gap_scale or n_iter >= max_iter:
            break
        # No dual point in the domain yet (none should, but non-finite data may): no
        # screening and no ranking, which both need one; every candidate is worked on.
        if screening and best_V is not None:
            candidates, screened = _screen(penalty, best_V, lipschitz, gap, candidates)
            if screened.size and np.any(W[screened]):
                W[screened] = 0.0
                b, Z = _profile(datafit, W, b, fit_intercept)
        if candidates.size == 0:
            break  # every feature is proven zero: W = 0 is optimal, the gap is rounding
        if use_working_set and round_V is not None:
            ws, ws_size = _working_set(penalty, W, round_V, lipschitz, candidates, ws_size)
        else:
            ws = candidates
        if verbose:
            print(f"    working set of {ws.size} features")
        inner_tol = max(INNER_GAP_RATIO * gap, tol * gap_scale)
        if pseudo is not None:
            # The ordinary problem at b0 = mean(b), b the best intercepts at W: for this
            # b0 its best (centered) intercepts are b's, moved by the centering.
            inner = type(datafit)(pseudo.at(np.mean(b)))
            b_in = inner.optimal_intercept(inner.linear(W)).astype(dtype)
            W_ws, k, _, _ = _bcd_inner(inner, penalty, W[ws], b_in, inner.linear(W, b_in), ws,
                                       inner_lipschitz[ws], inner_tol, max_iter - n_iter,
                                       gap_freq, anderson_k, DualExtrapolation(0), {},
                                       after_epoch=_b0_block(pseudo))
            inner_theta, Z = None, None  # in the pseudo-rows' space: b and Z refitted here
        elif residual_epochs:
            W_ws, k, inner_theta, Z = _bcd_inner(datafit, penalty, W[ws], b, Z, ws,
                                                 lipschitz[ws], inner_tol, max_iter - n_iter,
                                                 gap_freq, anderson_k, extrapolation,
                                                 gram_cache, columns=columns)
        elif newton and not shrink:
            # (With intercept shrinkage the Newton model's intercept step would need the
            # coupled T x T system: FISTA, which profiles the intercepts exactly, solves it.)
            if ws.size == candidates.size and (not screening or ws.size <= FEW_FEATURES):
                # Every feature left is in, and none can be screened (ridge, pooled) or
                # too few are left for screening to pay (FEW_FEATURES; Landmine, 9 features:
                # 7 rounds of 10 Newton steps, each an outer gap, for nothing to screen): an
                # outer round would mostly redo the restricted gap; go to the final tolerance.
                inner_tol = tol * gap_scale
            support = np.any(W != 0, axis=1)
            if (last_support is not None and np.count_nonzero(support != last_support)
                    <= STABLE_SUPPORT_CHANGE * np.count_nonzero(support)):
                inner_tol = min(inner_tol, max(STABLE_GAP_RATIO * gap, tol * gap_scale))
            last_support = support
            W_ws, b, k, Z = newton_inner(datafit, penalty, W[ws], b, Z, ws, inner_tol,
                                         max_iter - n_iter, fit_intercept, newton_cache,
                                         evaluated)
            inner_theta = None  # its dual point is the residual point at Z: the outer one
        else:
            # W is zero outside the working set: the restricted problem has the same
            # objective, on a container with only those columns (freed before the next
            # round copies its own: one copy of the columns alive at a time). A working
            # set of every feature (ridge, pooled) is the problem itself: no copy.
            sub = (datafit if ws.size == data.n_features
                   else type(datafit)(data.restrict(ws)))
            W_ws, b, k, _, _ = fista(sub, penalty, W[ws], b, fit_intercept=fit_intercept,
                                     tol=inner_tol / gap_scale, max_iter=max_iter - n_iter)
            del sub
            inner_theta, Z = None, None
        n_iter += max(k, 1)
        W[ws] = W_ws
    return W, b, n_iter, gap, gap_scale


def _profile(datafit, W, b, fit_intercept):
    """Best intercept and predictor at ``W``, through its nonzero rows only.

    For a datafit with an affine gradient (the squared loss) on a centered
    container the best intercept does not depend on ``W``: ``b`` is kept as it is
    (not with intercept shrinkage, whose container is not centered).
    """
    support = np.flatnonzero(np.any(W != 0, axis=1))
    # In chunks of columns: the product skips zero rows of W without copying
    # more than a sliver of X.
    Z0 = datafit.linear(W[:0], features=support[:0])
    for start in range(0, support.size, 256):
        chunk = support[start:start + 256]
        Z0 = Z0 + datafit.linear(W[chunk], features=chunk)
    if fit_intercept and (not datafit.affine_gradient or datafit.shrinks_intercepts):
        # At W = 0 the datafit's own start (logistic: its exact minimiser there), not b.
        b = datafit.optimal_intercept(Z0, b if support.size else None).astype(W.dtype)
    return b, Z0 + datafit.data.expand(b)


def _b0_block(pseudo):
    """The step in ``b0`` after each epoch on pseudo-rows (:meth:`PseudoRows.b0_step`)."""
    def step(inner):
        data = inner.datafit.data
        delta, a = pseudo.b0_step(data.Y, inner.R + data.expand(inner.shift))
        if delta != 0.0:
            inner.R -= data.expand(a)  # R = Y - Z: Z moves by a_t on task t's rows
            pseudo.add(inner.R, delta)
            pseudo.add(data.Y, delta)  # the pseudo-rows' target b0 (this solve's own copy)
            inner.b = inner.b + a
            inner.best_dual = -np.inf  # a new problem (b0): earlier dual points do not bound it
    return step


def _bcd_inner(datafit, penalty, W_ws, b, Z, ws, lipschitz, inner_tol, max_epochs, gap_freq,
               anderson_k, extrapolation, gram_cache, after_epoch=None, columns=None):
    """BCD epochs on the working set; ``after_epoch(inner)`` runs after each (residual form).

    ``columns``: the :class:`~mtlclassic.data._column_cache.WorkingColumns` of
    ``datafit.data`` that the residual form takes its copy of the columns from.

    Returns ``(W_ws, epochs, best dual point or None, predictor or None)``.
    """
    if after_epoch is None and _GramInner.applies(datafit.data, ws):
        inner = _GramInner(datafit, penalty, ws, b, lipschitz, cache=gram_cache)
    else:
        inner = _ResidualInner(datafit, penalty, ws, b, Z, lipschitz, extrapolation, columns)
    W_ws = inner.start(W_ws)
    anderson = Anderson(anderson_k)
    k = 0
    for k in range(1, max_epochs + 1):
        inner.epoch(W_ws)
        if after_epoch is not None:
            after_epoch(inner)
        anderson.push(W_ws)
        if anderson.full:  # every k + 1 epochs: extrapolate, then start over
            W_acc = anderson.extrapolate(W_ws)
            anderson.reset()
            if W_acc is not None and inner.try_extrapolation(W_ws, W_acc):
                extrapolation.reset()  # the residual jumped: its history no longer extrapolates
        inner.record()
        if k % gap_freq == 0 and inner.gap(W_ws) <= inner_tol:
            break
    return W_ws, k, inner.best_theta, inner.predictor()


def _working_set(penalty, W, V, lipschitz, candidates, ws_size):
    """Nonzero features plus the candidates closest to violating their dual constraint.

    Priority of feature j: ``(alpha - ||V_j||_*) / sqrt(L_j)`` with ``||.||_*``
    the penalty's dual norm on row j, the distance of the dual point to
    feature j's constraint (celer's rule); nonzero features always enter.
    Returns the sorted set and the size for the next round.
    """
    nonzero = np.any(W[candidates] != 0, axis=1)
    n_nonzero = int(nonzero.sum())
    size = min(candidates.size, max(ws_size, n_nonzero + min(int((WS_GROWTH - 1) * n_nonzero),
                                                             WS_EXTRA_MAX)))
    norms = penalty.row_dual_norms(V[candidates])
    priority = (penalty.alpha - norms) / np.sqrt(np.maximum(lipschitz[candidates], 1e-300))
    priority[nonzero] = -np.inf
    if size < candidates.size:
        chosen = np.argpartition(priority, size - 1)[:size]
    else:
        chosen = np.arange(candidates.size)
    return np.sort(candidates[chosen]), size


def _screen(penalty, V, lipschitz, gap, features):
    """Gap-safe screening (Ndiaye et al. 2017): drop features proven zero at the optimum.

    The dual objective is strongly concave in ``||theta||_C^2 = sum theta^2 /
    c``: with modulus 1 for the squared loss, 4 for the logistic loss, whose
    block Lipschitz constants carry the factor 1/4, so in both cases
    ``||X_j^T (theta - theta*)||_2 <= sqrt(2 gap L_j)`` with ``L_j`` the
    datafit's block Lipschitz constant (Cauchy-Schwarz per task).
    """
    radius = np.sqrt(2.0 * max(gap, 0.0) * lipschitz.astype(np.float64))
    zero = penalty.screen(V, radius)
    return features[~zero[features]], features[zero[features]]
