"""Numba kernels of the penalties on tasks in an order (time points): one feature's row at a time.

Two row penalties, ``w = W[j]`` a feature's weights across the ``T`` tasks:

- the temporal group lasso's ``alpha ||w||_2 + 1/2 w^T M w`` with ``M = Q
  diag(d) Q^T`` given by its eigendecomposition (``lambda_smooth`` times the
  Laplacian of the path of tasks, whose eigenvectors are the DCT-II basis):
  in ``M``'s eigenbasis the prox is a weighted ridge shrinkage whose scale
  is the root of a 1-D secular equation (:func:`secular_root`);
- the fused sparse-group lasso's ``alpha (r ||w||_1 + (1 - r) ||w||_2) +
  alpha_fused sum_i |w_{o_i} - w_{o_{i+1}}|`` (``o`` the task order): the 1-D
  total-variation prox along the order (Condat's direct algorithm,
  :func:`tv1d_prox`), then the soft threshold, then the group shrinkage --
  exact, because the prox of ``l1 + TV`` is the soft threshold of the TV prox
  (Friedman et al. 2007) and the subdifferential of a norm at ``c u`` (``c >
  0``) is the one at ``u``, which makes the group shrinkage commute into the
  composition (Jenatton et al. 2011; Zhou et al. 2012).

The row proxes are dispatched by :func:`mtlclassic.penalties._row_kernels.row_prox`
(kinds ``PROX_SPECTRAL_L21``, ``PROX_FUSED_SGL``); the dual-side kernels
(conjugate, dual scaling, per-row dual norms) are called by the penalties
(:mod:`mtlclassic.penalties._ordered`).

References
----------
Condat, L. (2013). A direct algorithm for 1-D total variation denoising.
IEEE Signal Processing Letters 20(11).
Friedman, J., Hastie, T., Hoefling, H. and Tibshirani, R. (2007). Pathwise
coordinate optimization. Ann. Appl. Stat. 1(2).
Jenatton, R., Mairal, J., Obozinski, G. and Bach, F. (2011). Proximal methods
for hierarchical sparse coding. JMLR 12.
"""

import numpy as np
from numba import njit

# Parameter layouts after the elastic term params[0] (see _row_kernels' table):
#   spectral l21: params[1] = alpha, params[2:2+T] = d, params[2+T:2+T+T*T] = Q (row-major)
#   fused sgl:    params[1] = alpha, params[2] = l1_ratio, params[3] = alpha_fused,
#                 params[4:4+T] = the task order (task indices as floats)
S_D = 2
F_FUSED, F_ORDER = 3, 4

# Newton iterations of the secular equation: it converges quadratically from the bracket
# (often in 3-6 steps); the cap only guards against a stall at rounding level.
_MAX_NEWTON = 100


@njit(cache=True, nogil=True)
def _psi(c2, a, tau, r):
    """``sum_k c2_k / (a_k r + tau)^2`` and its derivative in ``r``."""
    val = 0.0
    der = 0.0
    for k in range(c2.shape[0]):
        den = a[k] * r + tau
        q = c2[k] / (den * den)
        val += q
        der -= 2.0 * q * a[k] / den
    return val, der


@njit(cache=True, nogil=True)
def _norm(c):
    """``||c||_2`` without under- or overflow of the squares (scaled by ``max |c|``)."""
    big = 0.0
    for k in range(c.shape[0]):
        big = max(big, abs(c[k]))
    if big == 0.0 or not np.isfinite(big):
        return big
    acc = 0.0
    for k in range(c.shape[0]):
        q = c[k] / big
        acc += q * q
    return big * np.sqrt(acc)


@njit(cache=True, nogil=True)
def secular_root(c, a, tau):
    """The ``r > 0`` with ``sum_k c_k^2 / (a_k r + tau)^2 = 1``, or ``inf`` if there is none.

    ``||c|| > tau > 0``, ``a >= 0``. The left side decreases from ``||c||^2 /
    tau^2 > 1`` to ``sum_{a_k = 0} c_k^2 / tau^2``: when that limit is ``>= 1``
    there is no root (``inf``). Solved in units of ``max |c|`` (the equation
    is homogeneous in ``(c, tau, r)``), so that no square under- or
    overflows; safeguarded Newton on ``g(r) = psi(r)^(-1/2) - 1`` (linear in
    ``r`` when the ``a_k`` are equal) within the bracket ``[(||c|| - tau) /
    max a, (||c|| - tau) / min a]``.
    """
    K = c.shape[0]
    big = 0.0
    for k in range(K):
        big = max(big, abs(c[k]))
    u2 = np.empty(K)
    t = tau / big
    total = 0.0
    null = 0.0
    amax = 0.0
    amin = np.inf
    for k in range(K):
        q = c[k] / big
        u2[k] = q * q
        total += u2[k]
        if a[k] > amax:
            amax = a[k]
        if u2[k] > 0.0 and a[k] < amin:
            amin = a[k]
        if a[k] == 0.0:
            null += u2[k]
    if np.sqrt(null) >= t:
        return np.inf
    nc = np.sqrt(total)
    lo = (nc - t) / amax
    if amin > 0.0:
        hi = (nc - t) / amin
    else:
        hi = max(2.0 * lo, 1.0)
        for _ in range(2000):
            if _psi(u2, a, t, hi)[0] < 1.0:
                break
            hi *= 2.0
    r = 0.5 * (lo + hi)
    for _ in range(_MAX_NEWTON):
        val, der = _psi(u2, a, t, r)
        if val > 1.0:
            lo = r
        else:
            hi = r
        s = 1.0 / np.sqrt(val)
        g = s - 1.0
        gp = -0.5 * s * s * s * der
        step = -g / gp if gp > 0.0 else 0.0
        new = r + step
        if not (lo < new < hi):
            new = 0.5 * (lo + hi)
        if abs(new - r) <= 4e-16 * new or hi - lo <= 4e-16 * hi:
            return new * big
        r = new
    return r * big


@njit(cache=True, nogil=True)
def spectral_l21_prox(w, step, params):
    """In place: ``w <- prox_{step g}(w)``, ``g(w) = alpha ||w||_2 + 1/2 w^T Q diag(d) Q^T w``.

    With ``c = Q^T w`` and ``z = Q^T u`` the problem is ``min_z 1/(2 step) ||z -
    c||^2 + step-scaled (alpha ||z|| + 1/2 sum d_k z_k^2)`` (``Q`` orthogonal):
    ``z = 0`` if ``||c|| <= step alpha``, else ``z_k = c_k r / ((1 + step d_k) r
    + step alpha)`` with ``r = ||z||`` the root of ``sum_k c_k^2 / ((1 + step
    d_k) r + step alpha)^2 = 1``.
    """
    T = w.shape[0]
    tau = step * params[1]
    c = np.empty(T)
    a = np.empty(T)
    for k in range(T):
        acc = 0.0
        for t in range(T):
            acc += params[S_D + T + t * T + k] * w[t]  # c = Q^T w
        c[k] = acc
        a[k] = 1.0 + step * params[S_D + k]
    if tau > 0.0:
        if _norm(c) <= tau:
            w[:] = 0.0
            return
        r = secular_root(c, a, tau)
        for k in range(T):
            c[k] = c[k] * r / (a[k] * r + tau)
    else:
        for k in range(T):
            c[k] = c[k] / a[k]
    for t in range(T):
        acc = 0.0
        for k in range(T):
            acc += params[S_D + T + t * T + k] * c[k]  # w = Q z
        w[t] = acc


@njit(cache=True, nogil=True)
def spectral_l21_conjugate(V, alpha, e, Q):
    """``sum_j h^*(V[j])`` for ``h(w) = alpha ||w||_2 + 1/2 w^T Q diag(e) Q^T w``, ``e >= 0``.

    With ``c = Q^T v``: ``0`` if ``||c|| <= alpha``; else the maximiser is
    ``z_k = c_k r / (e_k r + alpha)`` with ``r`` the secular root and ``h^*(v)
    = 1/2 sum_k e_k z_k^2`` (substituting the root's equation in ``<c, z> -
    alpha ||z|| - 1/2 sum e_k z_k^2``). Without a root (``V`` on the boundary
    of the domain, the components in ``e``'s null space of norm ``alpha``)
    it is the limit ``1/2 sum_{e_k > 0} c_k^2 / e_k``, an upper bound for a
    point inside. ``alpha = 0`` is the quadratic's conjugate ``1/2 sum_{e_k >
    0} c_k^2 / e_k`` (``V`` in its range). Points outside the domain are the
    caller's to rescale (:func:`spectral_l21_null_norms`).
    """
    p, T = V.shape
    c = np.empty(T)
    out = 0.0
    for j in range(p):
        for k in range(T):
            acc = 0.0
            for t in range(T):
                acc += Q[t, k] * V[j, t]
            c[k] = acc
        if alpha > 0.0 and _norm(c) <= alpha:
            continue
        r = secular_root(c, e, alpha) if alpha > 0.0 else np.inf
        for k in range(T):
            if e[k] > 0.0:
                if r == np.inf:
                    out += 0.5 * (c[k] / e[k]) * c[k]
                else:
                    z = c[k] * r / (e[k] * r + alpha)
                    out += 0.5 * e[k] * z * z
    return out


@njit(cache=True, nogil=True)
def spectral_l21_null_norms(V, e, Q):
    """Per row, the norm of ``Q^T V[j]``'s components where ``e_k = 0`` (unsmoothed directions)."""
    p, T = V.shape
    out = np.zeros(p)
    c = np.zeros(T)
    for j in range(p):
        for k in range(T):
            c[k] = 0.0
            if e[k] == 0.0:
                acc = 0.0
                for t in range(T):
                    acc += Q[t, k] * V[j, t]
                c[k] = acc
        out[j] = _norm(c)
    return out


@njit(cache=True, nogil=True)
def tv1d_prox(y, lam, x):
    """``x <- argmin_x 1/2 ||x - y||^2 + lam sum_i |x_{i+1} - x_i|``: Condat's direct algorithm.

    Exact, ``O(n)`` in practice (``O(n^2)`` worst case); a transcription of
    the author's reference C code (version 2, 2013). ``x`` may not alias ``y``.
    """
    n = y.shape[0]
    if n == 0:
        return
    if lam <= 0.0 or n == 1:
        x[:] = y
        return
    k = 0
    k0 = 0
    kplus = 0
    kminus = 0
    umin = lam
    umax = -lam
    vmin = y[0] - lam
    vmax = y[0] + lam
    twolam = 2.0 * lam
    minlam = -lam
    while True:
        while k == n - 1:
            if umin < 0.0:
                while True:
                    x[k0] = vmin
                    k0 += 1
                    if k0 > kminus:
                        break
                k = k0
                kminus = k0
                vmin = y[k0]
                umin = lam
                umax = vmin + umin - vmax
            elif umax > 0.0:
                while True:
                    x[k0] = vmax
                    k0 += 1
                    if k0 > kplus:
                        break
                k = k0
                kplus = k0
                vmax = y[k0]
                umax = minlam
                umin = vmax + umax - vmin
            else:
                vmin += umin / (k - k0 + 1)
                while True:
                    x[k0] = vmin
                    k0 += 1
                    if k0 > k:
                        break
                return
        umin += y[k + 1] - vmin
        if umin < minlam:
            while True:
                x[k0] = vmin
                k0 += 1
                if k0 > kminus:
                    break
            k = k0
            kminus = k0
            kplus = k0
            vmin = y[k0]
            vmax = vmin + twolam
            umin = lam
            umax = minlam
        else:
            umax += y[k + 1] - vmax
            if umax > lam:
                while True:
                    x[k0] = vmax
                    k0 += 1
                    if k0 > kplus:
                        break
                k = k0
                kminus = k0
                kplus = k0
                vmax = y[k0]
                vmin = vmax - twolam
                umin = lam
                umax = minlam
            else:
                k += 1
                if umin >= lam:
                    kminus = k
                    vmin += (umin - lam) / (kminus - k0 + 1)
                    umin = lam
                if umax <= minlam:
                    kplus = k
                    vmax += (umax + lam) / (kplus - k0 + 1)
                    umax = minlam


@njit(cache=True, nogil=True)
def _ordered_tv(w, lam, order, buf, out):
    """``w <-`` the TV prox of ``w`` along the task order (``buf``, ``out``: scratch, length T)."""
    T = w.shape[0]
    for i in range(T):
        buf[i] = w[int(order[i])]
    tv1d_prox(buf, lam, out)
    for i in range(T):
        w[int(order[i])] = out[i]


@njit(cache=True, nogil=True)
def fused_tv_step(w, step, params):
    """In place: the TV part of the fused sparse-group prox (the l1 and group steps follow)."""
    T = w.shape[0]
    lam = step * params[F_FUSED]
    if lam > 0.0 and T > 1:
        buf = np.empty(T)
        out = np.empty(T)
        _ordered_tv(w, lam, params[F_ORDER:F_ORDER + T], buf, out)


@njit(cache=True, nogil=True)
def _sgl_dual(u, r):
    """Dual norm of ``r ||.||_1 + (1 - r) ||.||_2`` at ``u``: ``||ST(u, r s)|| = (1 - r) s``.

    The root ``s``, in closed form over the sorted ``|u|`` (as
    :func:`mtlclassic.penalties.sparse_group_dual_norms` finds it, for one row).
    """
    T = u.shape[0]
    if T == 0:
        return 0.0
    a = np.sort(np.abs(u))[::-1]
    if r == 0.0:
        return np.sqrt(np.sum(a * a))
    if r == 1.0:
        return a[0]
    S1 = 0.0
    S2 = 0.0
    n_active = 1
    s1 = a[0]
    s2 = a[0] * a[0]
    for k in range(T):
        S1 += a[k]
        S2 += a[k] * a[k]
        # phi at the breakpoint s = a_k / r: only the entries before k are active.
        phi = S2 - 2.0 * a[k] * S1 + (k + 1) * a[k] * a[k] - ((1.0 - r) * a[k] / r) ** 2
        if phi <= 0.0:
            n_active = k + 1
            s1 = S1
            s2 = S2
    quad = n_active * r * r - (1.0 - r) ** 2
    disc = max(r * r * s1 * s1 - quad * s2, 0.0)
    den = r * s1 + np.sqrt(disc)
    return s2 / den if den > 0.0 else 0.0


@njit(cache=True, nogil=True)
def fused_row_dual_norms(V, r, alpha_fused, order):
    """Per row: the smallest ``alpha`` with ``V[j]`` in the fused sparse-group dual ball.

    ``v`` is in the ball of ``alpha (r ||.||_1 + (1 - r) ||.||_2) + alpha_fused
    TV`` iff the prox of that norm at ``v`` is zero (Moreau), iff
    ``||ST(u, alpha r)||_2 <= alpha (1 - r)`` with ``u`` the TV prox of ``v``
    (which does not depend on ``alpha``): the sparse-group dual norm of ``u``.
    """
    p, T = V.shape
    out = np.zeros(p)
    row = np.empty(T)
    buf = np.empty(T)
    tv = np.empty(T)
    for j in range(p):
        for t in range(T):
            row[t] = V[j, t]
        if alpha_fused > 0.0 and T > 1:
            _ordered_tv(row, alpha_fused, order, buf, tv)
        out[j] = _sgl_dual(row, r)
    return out


@njit(cache=True, nogil=True)
def _in_fused_ball(v, s, alpha, r, alpha_fused, order, row, buf, tv):
    """Whether ``s v`` lies in the fused sparse-group dual ball."""
    T = v.shape[0]
    for t in range(T):
        row[t] = s * v[t]
    if alpha_fused > 0.0 and T > 1:
        _ordered_tv(row, alpha_fused, order, buf, tv)
    return _sgl_dual(row, r) <= alpha


# Bisection steps of the dual scaling: the bracket [s_lo, 1] shrinks to 2^-60 of itself.
_SCALE_BISECTIONS = 60


@njit(cache=True, nogil=True)
def fused_dual_scale(V, alpha, r, alpha_fused, order):
    """The largest ``s <= 1`` (to 2^-60) with every ``s V[j]`` in the fused sparse-group dual ball.

    The ball is convex and contains 0, so membership of ``s v`` is monotone
    in ``s``: bisection on ``[s_lo, 1]`` with ``s_lo = alpha / SGL^*(v)``
    (inside: the ball contains the sparse-group one). The feasible end is
    returned, so the dual point is feasible.
    """
    p, T = V.shape
    s = 1.0
    row = np.empty(T)
    buf = np.empty(T)
    tv = np.empty(T)
    vj = np.empty(T)
    for j in range(p):
        for t in range(T):
            vj[t] = V[j, t]
        if _in_fused_ball(vj, s, alpha, r, alpha_fused, order, row, buf, tv):
            continue
        base = _sgl_dual(vj, r)
        lo = min(alpha / base, s) if base > 0.0 else s
        hi = s
        for _ in range(_SCALE_BISECTIONS):
            mid = 0.5 * (lo + hi)
            if _in_fused_ball(vj, mid, alpha, r, alpha_fused, order, row, buf, tv):
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-16 * hi:
                break
        s = lo
    return s
