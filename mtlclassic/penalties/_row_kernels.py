"""The numba row proxes: one feature's weights across tasks, ``w = W[j]`` of length n_tasks.

A penalty separable over features (``row_separable``) names its row prox by
an integer code (``row_kind``) and hands its parameters as a float64 array
(``row_params``); the codes below are the only place the integers are
spelled out.  The solvers' block coordinate descent epochs call
:func:`row_prox` on ``W[j]`` in place, and the penalties' own ``prox`` calls
:func:`prox_rows` on numpy arrays: each row prox is written once, here.

Parameter layout: ``params[0]`` is the elastic term ``l2`` (``l2 / 2
||w||^2``), the kind's own parameters follow:

=================  ======================  ==========================================
kind               params                  row penalty ``g(w)`` (plus ``l2/2 ||w||^2``)
=================  ======================  ==========================================
``PROX_L21``       ``l2, alpha``           ``alpha ||w||_2``
``PROX_L1``        ``l2, alpha``           ``alpha ||w||_1``
``PROX_SGL``       ``l2, alpha, r``        ``alpha (r ||w||_1 + (1 - r) ||w||_2)``
``PROX_L1INF``     ``l2, alpha``           ``alpha ||w||_inf``
``PROX_NONE``      ``l2``                  ``0`` (ridge: the elastic term alone)
``PROX_CONSENSUS`` ``l2``                  indicator of equal entries (pooled model)
``PROX_TREE``      ``l2, alpha, tree``     ``alpha sum_v c_v ||w[G_v]||_2`` (nested groups)
=================  ======================  ==========================================

Tasks in an order (the kernels in :mod:`mtlclassic.penalties._ordered_kernels`):

- ``PROX_SPECTRAL_L21``, params ``l2, alpha, d, Q`` (``Q`` row-major):
  ``alpha ||w||_2 + 1/2 w^T Q diag(d) Q^T w``;
- ``PROX_FUSED_SGL``, params ``l2, alpha, r, af, o`` (``o`` the order):
  ``alpha (r ||w||_1 + (1 - r) ||w||_2) + af sum_i |w_{o_i} - w_{o_{i+1}}|``.
A tree (``PROX_TREE``) is encoded from ``params[P_TREE]`` on as ``n_nodes``
then, per node, ``c_v, |G_v|`` and the task indices of ``G_v``, the nodes
ordered leaves to root (every group before the groups containing it).

Plain ``@njit(cache=True, nogil=True)`` functions over arrays and scalars:
compiled once, then loaded from numba's disk cache.
"""

import numpy as np
from numba import njit

# numba's disk cache keys row_prox on this file alone, not on the kernels it calls: after a
# change to _ordered_kernels, clear the cache (or touch this file) or row_prox runs the old code.
from ._ordered_kernels import fused_tv_step, spectral_l21_prox

PROX_L21 = 0  # group lasso: ||w||_2
PROX_L1 = 1  # lasso: ||w||_1
PROX_SGL = 2  # sparse group: l1_ratio ||w||_1 + (1 - l1_ratio) ||w||_2
PROX_L1INF = 3  # ||w||_inf
PROX_NONE = 4  # no nonsmooth term (ridge: only the l2 term)
PROX_CONSENSUS = 5  # indicator of equal entries (pooled model)
PROX_SPECTRAL_L21 = 10  # temporal group lasso: ||w||_2 + a quadratic in M's eigenbasis
PROX_FUSED_SGL = 11  # fused sparse group: sparse group + total variation along an order
PROX_TREE = 7  # tree-structured groups: sum_v c_v ||w[G_v]||_2 (tree-guided group lasso)

# Positions in the ``params`` array (see the table above).
P_L2, P_ALPHA, P_L1_RATIO = 0, 1, 2
P_TREE = 2  # a tree's encoding starts here (after l2, alpha)


@njit(cache=True, nogil=True)
def project_l1_ball(w, radius, out):
    """``out <- argmin_{||u||_1 <= radius} ||u - w||``, by sorting (Duchi et al. 2008)."""
    T = w.shape[0]
    total = 0.0
    for t in range(T):
        total += abs(w[t])
    if total <= radius:
        out[:] = w
        return
    if radius <= 0.0:
        out[:] = 0.0
        return
    a = np.sort(np.abs(w))[::-1]
    # The largest entry is always above the threshold (rho >= 1): for a radius below its
    # rounding, a[0] > a[0] - radius fails in floating point and would leave theta = 0,
    # i.e. the projection w itself instead of (nearly) zero.
    css = a[0]
    theta = a[0] - radius
    for k in range(1, T):
        css += a[k]
        th = (css - radius) / (k + 1)
        if a[k] > th:
            theta = th
        else:
            break
    for t in range(T):
        v = abs(w[t]) - theta
        out[t] = np.sign(w[t]) * v if v > 0.0 else 0.0


@njit(cache=True, nogil=True)
def row_prox(w, step, kind, params):
    """In place: ``w <- prox_{step * g}(w)`` for the row penalty ``g`` named by ``kind``.

    ``g = alpha * base(w) + l2 / 2 ||w||^2`` with the parameters laid out as
    in the module's table.  The l2 term folds into the base prox: for any
    ``f``, ``prox_{s (f + l2/2 ||.||^2)}(v) = prox_{s' f}(v / (1 + s l2))``
    with ``s' = s / (1 + s l2)``.
    """
    T = w.shape[0]
    l2 = params[P_L2]
    if l2 > 0.0:
        shrink = 1.0 / (1.0 + step * l2)
        for t in range(T):
            w[t] *= shrink
        step *= shrink
    if kind == PROX_NONE:
        return
    if kind == PROX_CONSENSUS:
        mean = 0.0
        for t in range(T):
            mean += w[t]
        w[:] = mean / T
        return
    if kind == PROX_SPECTRAL_L21:
        spectral_l21_prox(w, step, params)
        return
    if kind == PROX_FUSED_SGL:
        # TV along the order first; the sparse-group steps below complete the exact prox.
        fused_tv_step(w, step, params)
        kind = PROX_SGL
    thresh = step * params[P_ALPHA]
    if kind == PROX_SGL or kind == PROX_L1:
        l1 = thresh if kind == PROX_L1 else thresh * params[P_L1_RATIO]
        for t in range(T):
            v = abs(w[t]) - l1
            w[t] = np.sign(w[t]) * v if v > 0.0 else 0.0
        if kind == PROX_SGL:
            thresh = thresh * (1.0 - params[P_L1_RATIO])
    # A zero threshold is the identity: a row whose squared norm underflows is kept as it is.
    if (kind == PROX_L21 or kind == PROX_SGL) and thresh > 0.0:
        nrm = 0.0
        for t in range(T):
            nrm += w[t] * w[t]
        nrm = np.sqrt(nrm)
        if nrm <= thresh:
            w[:] = 0.0
        else:
            scale = 1.0 - thresh / nrm
            for t in range(T):
                w[t] *= scale
    elif kind == PROX_L1INF:
        # Moreau: prox of thresh * ||.||_inf is w - projection on the l1 ball of radius thresh.
        proj = np.empty(T, dtype=w.dtype)
        project_l1_ball(w, thresh, proj)
        for t in range(T):
            w[t] -= proj[t]
    elif kind == PROX_TREE:
        tree_shrink(w, thresh, params, P_TREE)


@njit(cache=True, nogil=True)
def prox_rows(W, step, kind, params):
    """In place: :func:`row_prox` on every row of the C-ordered ``W`` (n_rows, n_tasks)."""
    for j in range(W.shape[0]):
        row_prox(W[j], step, kind, params)


@njit(cache=True, nogil=True)
def tree_shrink(w, thresh, params, start):
    """In place: ``w <- prox`` of ``thresh * sum_v c_v ||w[G_v]||_2`` (groups coded from ``start``).

    For groups that are nested or disjoint (a tree), the prox is the
    composition of the group shrinkages ``w[G] *= max(1 - thresh c_v /
    ||w[G]||, 0)`` taken leaves to root (Jenatton et al. 2011, Prop. 2):
    each group's shrinkage sees its subgroups already shrunk.
    """
    n_nodes = int(params[start])
    pos = start + 1
    for _ in range(n_nodes):
        th = thresh * params[pos]
        size = int(params[pos + 1])
        pos += 2
        if th > 0.0:
            nrm = 0.0
            for k in range(size):
                v = w[int(params[pos + k])]
                nrm += v * v
            nrm = np.sqrt(nrm)
            scale = 0.0 if nrm <= th else 1.0 - th / nrm
            for k in range(size):
                w[int(params[pos + k])] *= scale
        pos += size


@njit(cache=True, nogil=True)
def tree_dual_norms(V, params, start, bound):
    """Per row of ``V``: the dual norm of ``sum_v c_v ||w[G_v]||_2``, from above.

    ``Omega^*(u) <= s`` iff the prox of ``s Omega`` maps ``u`` to zero (``u``
    is then in the dual ball ``s B*``, and ``prox = u - P_{s B*}(u)``): the
    smallest such ``s`` is found by bisection on :func:`tree_shrink`, from
    ``s = bound ||u||_2`` (``bound >= max_{||u|| = 1} Omega^*(u)``) down to
    the last float, and the upper end is returned, so that a dual point
    rescaled by it stays feasible and a duality gap an upper bound.
    """
    n, T = V.shape
    out = np.zeros(n)
    z = np.empty(T)
    for j in range(n):
        nrm = 0.0
        for t in range(T):
            nrm += V[j, t] * V[j, t]
        hi = bound * np.sqrt(nrm)
        if hi == 0.0:
            continue
        lo = 0.0
        for _ in range(2000):  # the bound holds in exact arithmetic; rounding may need more
            for t in range(T):
                z[t] = V[j, t]
            tree_shrink(z, hi, params, start)
            if not np.any(z):
                break
            lo = hi
            hi *= 2.0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if not (lo < mid < hi):
                break
            for t in range(T):
                z[t] = V[j, t]
            tree_shrink(z, mid, params, start)
            if np.any(z):
                lo = mid
            else:
                hi = mid
        out[j] = hi
    return out
