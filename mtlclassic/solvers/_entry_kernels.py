"""Numba kernels of the prox-Newton models: entry-level coordinate descent with active sets.

The prox-Newton model of a logistic datafit on a shared dense design is the
weighted least-squares problem (per task ``t``, residual ``R[:, t] = u_t - Xc_t
W[:, t] - b_t``, ``Xc_t = X - 1 m_t^T`` its centered design)::

    min_W  1/2 sum_it c_it R_it^2 + sum_j g(W[j]),

whose weights ``c = h`` differ per (sample, task): the row (block) steps of
:mod:`mtlclassic.solvers._kernels` then majorise the model with the largest
curvature over tasks, ``L_j = max_t L_jt``, ``L_jt = sum_i c_it Xc_ijt^2``,
and take many epochs. Here each coordinate uses its own curvature:

* ``g = alpha ||w||_1`` (``PROX_L1``): the tasks decouple, and each entry
  ``W[j, t]`` gets its exact minimiser,
  ``w <- S(L_jt w + gr_jt, alpha) / (L_jt + l2)`` with ``gr`` the negative
  gradient and ``S`` the soft threshold;
* ``g = alpha ||w||_2`` (``PROX_L21``): each row gets the exact minimiser
  of the model along it (a separable quadratic with curvatures ``L_jt``
  plus the group norm), :func:`l21_row_minimiser`.

Either way the sweeps cycle on the active set (the nonzero entries or rows,
whose number is small next to the working set's): a full sweep over the
working set finds the active set and lets entries in, then up to
``active_sweeps`` sweeps over the active set only, until one moves the
coefficients by less than ``ratio`` times the first full sweep did; and
again, until a full sweep does (Friedman, Hastie and Tibshirani 2010,
glmnet's active-set cycling).

``X`` (n, k), ``R`` and ``C`` (n, T) are Fortran-ordered (columns
contiguous), ``W`` (k, T) C-ordered, ``X_offset`` (k, T) the per-task
centering (zeros without intercepts).

References
----------
Friedman, J., Hastie, T. and Tibshirani, R. (2010). Regularization paths for
generalized linear models via coordinate descent. J. Stat. Softw. 33(1).
Yuan, G.-X., Ho, C.-H. and Lin, C.-J. (2012). An improved GLMNET for
l1-regularized logistic regression. JMLR 13.
"""

import numpy as np
from numba import njit

from ..penalties import P_ALPHA, P_L2, PROX_L1, PROX_L21

# Sums over samples may be reassociated so that LLVM vectorises them (as in _kernels).
_REDUCE = {"reassoc", "contract"}
# Newton iterations of the row minimiser's secular equation (it converges monotonically,
# quadratically once close: a dozen iterations reach rounding).
ROW_NEWTON_MAX = 60
# A division by zero at extreme scales (a strength or task weight that under- or overflows)
# gives inf/nan as numpy would, which the solver's gap reports, instead of numba's
# ZeroDivisionError out of the fit.
_ERRORS = "numpy"


@njit(cache=True, nogil=True, fastmath=_REDUCE, error_model=_ERRORS)
def entry_curvatures(X, X_offset, C):
    """``L[j, t] = sum_i c_it (x_ij - m_jt)^2``: each entry's curvature in the model (k, T)."""
    n, k = X.shape
    T = C.shape[1]
    L = np.empty((k, T))
    for j in range(k):
        for t in range(T):
            m = X_offset[j, t]
            s = 0.0
            for i in range(n):
                x = X[i, j] - m
                s += C[i, t] * x * x
            L[j, t] = s
    return L


@njit(cache=True, nogil=True, fastmath=_REDUCE, error_model=_ERRORS)
def _neg_grad(X, X_offset, R, C, j, t):
    """``sum_i (x_ij - m_jt) c_it R_it``: the model's negative gradient in ``W[j, t]``."""
    m = X_offset[j, t]
    g = 0.0
    for i in range(X.shape[0]):
        g += (X[i, j] - m) * C[i, t] * R[i, t]
    return g


@njit(cache=True, nogil=True, fastmath=_REDUCE, error_model=_ERRORS)
def _neg_grad_curvature(X, X_offset, R, C, j, t):
    """:func:`_neg_grad` and the curvature ``L[j, t]`` in one pass (the first sweep's)."""
    m = X_offset[j, t]
    g = 0.0
    s = 0.0
    for i in range(X.shape[0]):
        x = X[i, j] - m
        cx = C[i, t] * x
        g += cx * R[i, t]
        s += cx * x
    return g, s


@njit(cache=True, nogil=True, error_model=_ERRORS)
def _gradient(X, X_offset, R, C, L, j, t, fresh):
    """The negative gradient in ``W[j, t]``; with ``fresh``, ``L[j, t]`` is computed first."""
    if fresh:
        g, L[j, t] = _neg_grad_curvature(X, X_offset, R, C, j, t)
        return g
    return _neg_grad(X, X_offset, R, C, j, t)


@njit(cache=True, nogil=True, fastmath=_REDUCE, error_model=_ERRORS)
def _move(X, X_offset, R, j, t, d):
    """``R[:, t] -= (x_j - m_jt) d``: the residual after ``W[j, t]`` moved by ``d``."""
    m = X_offset[j, t]
    for i in range(X.shape[0]):
        R[i, t] -= (X[i, j] - m) * d


@njit(cache=True, nogil=True, fastmath=_REDUCE, error_model=_ERRORS)
def _move_then_gradient(X, X_offset, R, C, L, j, t, d, jn, fresh):
    """:func:`_move` of ``W[j, t]`` by ``d``, then :func:`_gradient` in ``W[jn, t]``, in one pass.

    A sweep's cost is its passes over ``R`` and ``C`` (n, T), which outgrow the
    first-level cache (problem A: 48 kB each): the residual is read once for
    the move and the next row's gradient instead of twice.
    """
    m, mn = X_offset[j, t], X_offset[jn, t]
    g = 0.0
    if fresh:
        s = 0.0
        for i in range(X.shape[0]):
            r = R[i, t] - (X[i, j] - m) * d
            R[i, t] = r
            x = X[i, jn] - mn
            cx = C[i, t] * x
            g += cx * r
            s += cx * x
        L[jn, t] = s
        return g
    for i in range(X.shape[0]):
        r = R[i, t] - (X[i, j] - m) * d
        R[i, t] = r
        g += (X[i, jn] - mn) * C[i, t] * r
    return g


@njit(cache=True, nogil=True, error_model=_ERRORS)
def _l1_sweep(X, X_offset, R, C, W, L, l2, alpha, t, features, n_features, active, fresh):
    """One pass over ``features[:n_features]`` of task t; ``active`` gets the nonzero ones.

    With ``fresh`` the curvatures ``L[:, t]`` are computed on the way (the first
    sweep). Returns ``(max |change|, number of active entries)``.
    """
    change = 0.0
    n_active = 0
    for q in range(n_features):
        j = features[q]
        grad = _gradient(X, X_offset, R, C, L, j, t, fresh)
        Ljt = L[j, t]
        if Ljt <= 0.0:
            continue
        w = W[j, t]
        v = Ljt * w + grad
        a = abs(v) - alpha
        w_new = np.sign(v) * a / (Ljt + l2) if a > 0.0 else 0.0
        d = w_new - w
        if d != 0.0:
            W[j, t] = w_new
            _move(X, X_offset, R, j, t, d)
            change = max(change, abs(d))
        if w_new != 0.0:
            active[n_active] = j
            n_active += 1
    return change, n_active


@njit(cache=True, nogil=True, error_model=_ERRORS)
def _sweep(kind, X, X_offset, R, C, W, L, l2, alpha, t, features, n_features, active, c, w_new,
           fresh):
    """:func:`_l1_sweep` of task t or :func:`_l21_sweep` (all tasks), by ``kind``."""
    if kind == PROX_L1:
        return _l1_sweep(X, X_offset, R, C, W, L, l2, alpha, t, features, n_features, active,
                         fresh)
    return _l21_sweep(X, X_offset, R, C, W, L, l2, alpha, features, n_features, active, c, w_new,
                      fresh)


@njit(cache=True, nogil=True, error_model=_ERRORS)
def _cycle(kind, X, X_offset, R, C, W, L, params, t, max_sweeps, ratio, active_sweeps, fresh):
    """Full sweeps, each followed by up to ``active_sweeps`` sweeps over the nonzero entries.

    Until a sweep moves the coefficients by at most ``ratio`` times the first
    full sweep did, or ``max_sweeps`` full sweeps; ``fresh``: the first one
    computes the curvatures. Returns the number of full sweeps.
    """
    k, T = W.shape
    l2, alpha = params[P_L2], params[P_ALPHA]
    every = np.arange(k)
    active = np.empty(k, dtype=np.int64)
    spare = np.empty(k, dtype=np.int64)
    c = np.empty(T)
    w_new = np.empty(T)
    first = -1.0
    sweeps = 0
    while sweeps < max_sweeps:
        change, n_active = _sweep(kind, X, X_offset, R, C, W, L, l2, alpha, t, every, k, active,
                                  c, w_new, fresh and sweeps == 0)
        sweeps += 1
        if first < 0.0:
            first = change
        if change <= ratio * first:
            break
        for _ in range(active_sweeps):
            moved, _n = _sweep(kind, X, X_offset, R, C, W, L, l2, alpha, t, active, n_active,
                               spare, c, w_new, False)
            if moved <= ratio * first:
                break
    return sweeps


@njit(cache=True, nogil=True, error_model=_ERRORS)
def l1_entry_solve(X, X_offset, R, C, W, L, params, max_sweeps, ratio, active_sweeps,
                   fresh=False):
    """Entry-level coordinate descent on the model with ``alpha ||W||_1 + l2/2 ||W||^2``.

    Task by task (they decouple): full sweeps over the ``k`` features, each
    followed by up to ``active_sweeps`` sweeps over the task's nonzero
    entries, until a sweep moves ``W[:, t]`` by less than ``ratio`` times the
    task's first full sweep did (or ``max_sweeps`` full sweeps). ``R`` is
    kept equal to the model's residual. Returns the largest number of full
    sweeps a task took.
    """
    most = 0
    for t in range(W.shape[1]):
        most = max(most, _cycle(PROX_L1, X, X_offset, R, C, W, L, params, t, max_sweeps, ratio,
                                active_sweeps, fresh))
    return most


@njit(cache=True, nogil=True, error_model=_ERRORS)
def l21_row_minimiser(c, L, l2, alpha, out):
    """``out <- argmin_w sum_t (L_t + l2)/2 w_t^2 - c_t w_t + alpha ||w||_2`` (exact).

    ``w = 0`` iff ``||c|| <= alpha``; otherwise ``w_t = c_t nu / (a_t nu +
    alpha)`` with ``a_t = L_t + l2`` and ``nu = ||w||`` the root of the
    secular equation ``phi(nu) = sum_t c_t^2 / (a_t nu + alpha)^2 - 1``,
    decreasing and convex on ``nu >= 0``: Newton's iterations from the lower
    bound ``(||c|| - alpha) / max_t a_t`` increase monotonically to it. (With equal ``a_t`` this is the group
    soft threshold.) Returns ``||out||``.
    """
    T = c.shape[0]
    norm2 = 0.0
    for t in range(T):
        norm2 += c[t] * c[t]
    if not np.sqrt(norm2) > alpha:
        out[:] = 0.0
        return 0.0
    if not alpha > 0.0:  # no penalty left (a strength that underflowed): the ridge step
        norm2 = 0.0
        for t in range(T):
            a = L[t] + l2
            out[t] = c[t] / a if a > 0.0 else 0.0
            norm2 += out[t] * out[t]
        return np.sqrt(norm2)
    # Start at a lower bound of the root, (||c|| - alpha) / max_t a_t (phi >= 0 there, so the
    # iterations still increase monotonically): from nu = 0 a tiny alpha makes phi overflow.
    a_max = 0.0
    for t in range(T):
        a_max = max(a_max, L[t] + l2)
    nu = (np.sqrt(norm2) - alpha) / a_max if a_max > 0.0 else 0.0
    for _ in range(ROW_NEWTON_MAX):
        phi, dphi = -1.0, 0.0
        for t in range(T):
            a = L[t] + l2
            den = a * nu + alpha
            r = c[t] / den  # not c^2 / den^2: den^2 underflows to 0 at tiny alpha
            q = r * r
            phi += q
            dphi -= 2.0 * a * q / den
        if dphi == 0.0:  # every a_t = 0: no curvature, no finite minimiser (not reached:
            break        # a column with zero curvature has a zero gradient, c = 0)
        step = phi / dphi
        nu -= step
        if abs(step) <= 1e-14 * nu:
            break
    for t in range(T):
        out[t] = c[t] * nu / ((L[t] + l2) * nu + alpha)
    return nu


@njit(cache=True, nogil=True, error_model=_ERRORS)
def _l21_sweep(X, X_offset, R, C, W, L, l2, alpha, features, n_features, active, c, w_new,
               fresh):
    """One pass of exact row minimisations over ``features[:n_features]``.

    With ``fresh`` the curvatures ``L[j]`` are computed on the way. Returns
    ``(max |change|, number of nonzero rows)``; ``active`` gets them.
    """
    T = W.shape[1]
    change = 0.0
    n_active = 0
    if n_features > 0:  # c: the negative gradient of the row at hand (the first one's here)
        for t in range(T):
            c[t] = _gradient(X, X_offset, R, C, L, features[0], t, fresh)
    for q in range(n_features):
        j = features[q]
        for t in range(T):
            c[t] = L[j, t] * W[j, t] + c[t]
        nu = l21_row_minimiser(c, L[j], l2, alpha, w_new)
        jn = features[q + 1] if q + 1 < n_features else -1
        for t in range(T):  # move row j and take the next row's gradient, task by task
            d = w_new[t] - W[j, t]
            if d != 0.0:
                W[j, t] = w_new[t]
                change = max(change, abs(d))
                if jn >= 0:
                    c[t] = _move_then_gradient(X, X_offset, R, C, L, j, t, d, jn, fresh)
                else:
                    _move(X, X_offset, R, j, t, d)
            elif jn >= 0:
                c[t] = _gradient(X, X_offset, R, C, L, jn, t, fresh)
        if nu > 0.0:
            active[n_active] = j
            n_active += 1
    return change, n_active


@njit(cache=True, nogil=True, error_model=_ERRORS)
def l21_row_solve(X, X_offset, R, C, W, L, params, max_sweeps, ratio, active_sweeps,
                  fresh=False):
    """Row-level coordinate descent on the model with ``alpha sum_j ||W[j]||_2 + l2/2 ||W||^2``.

    Exact row minimisers (:func:`l21_row_minimiser`), active-set cycling as
    in :func:`l1_entry_solve` over the nonzero rows. Returns the number of
    full sweeps.
    """
    return _cycle(PROX_L21, X, X_offset, R, C, W, L, params, 0, max_sweeps, ratio,
                  active_sweeps, fresh)


@njit(cache=True, nogil=True, error_model=_ERRORS)
def entry_solve(X, X_offset, R, C, W, L, params, kind, max_sweeps, ratio, active_sweeps,
                fresh=False):
    """:func:`l1_entry_solve` or :func:`l21_row_solve`, by the penalty's ``kind``.

    ``fresh``: ``L`` (k, T) is only allocated; the first sweep computes the
    curvatures as it reads the columns (one pass over ``X`` and ``C`` fewer
    than :func:`entry_curvatures` first).
    """
    if kind == PROX_L1:
        return l1_entry_solve(X, X_offset, R, C, W, L, params, max_sweeps, ratio, active_sweeps,
                              fresh)
    return l21_row_solve(X, X_offset, R, C, W, L, params, max_sweeps, ratio, active_sweeps,
                         fresh)


ENTRY_KINDS = (PROX_L1, PROX_L21)


def warmup_kernels(dtypes=("float64",)):
    """Compile (or load) the kernels for ``dtypes`` on a tiny problem."""
    rng = np.random.default_rng(0)
    for dtype in dtypes:
        X = np.asfortranarray(rng.standard_normal((6, 3)), dtype=dtype)
        C = np.asfortranarray(rng.uniform(0.1, 0.3, (6, 2)), dtype=dtype)
        offset = np.zeros((3, 2), dtype=dtype)
        L = entry_curvatures(X, offset, C)
        for kind in ENTRY_KINDS:
            R = np.asfortranarray(rng.standard_normal((6, 2)), dtype=dtype)
            W = np.zeros((3, 2), dtype=dtype)
            for fresh in (False, True):
                entry_solve(X, offset, R, C, W, L, np.array([0.0, 0.1]), kind, 3, 0.1, 3, fresh)
