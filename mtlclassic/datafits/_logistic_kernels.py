"""numba kernels of the logistic loss's elementwise passes, for numpy arrays.

Each pass over the samples costs one or two transcendental functions per
entry, which is most of a prox-Newton step on problems with many rows and
few features (School, Landmine): numpy's passes make several temporaries and
evaluate the sigmoid once per quantity, these make one pass and share it.
Sums are compensated (Kahan), as accurate as numpy's pairwise sums: the line
search compares objective values to a few units of rounding. A sum that
overflows is ``inf``, as numpy's (not NaN: Kahan's correction ``inf - inf``
is dropped once the running total leaves the range, see :func:`_kahan_add`).

Every kernel takes contiguous 1-D arrays of one length (the stacked layout's
``y``, ``z``, ``c``) and accumulates in float64 whatever their dtype.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, inline="always")
def _kahan_add(total, comp, v):
    """``(total + v, correction)``: one compensated step; no correction past the range."""
    yk = v - comp
    tk = total + yk
    # tk = +-inf (overflow) would make the correction inf - inf = NaN, and every later sum NaN.
    comp = (tk - total) - yk if np.isfinite(tk) else 0.0
    return tk, comp


@njit(cache=True, nogil=True)
def logistic_value(y, z, c):
    """``sum_i c_i log(1 + exp(-y_i z_i))``."""
    total, comp = 0.0, 0.0
    for i in range(y.size):
        m = -float(y[i]) * float(z[i])
        e = np.exp(-abs(m))
        v = float(c[i]) * ((m if m > 0.0 else 0.0) + np.log1p(e))
        total, comp = _kahan_add(total, comp, v)
    return total


@njit(cache=True, nogil=True)
def logistic_derivative(y, z, c, out):
    """``out_i = -c_i y_i sigmoid(-y_i z_i)``."""
    for i in range(y.size):
        m = -float(y[i]) * float(z[i])
        e = np.exp(-abs(m))
        s = 1.0 / (1.0 + e) if m > 0.0 else e / (1.0 + e)
        out[i] = -float(c[i]) * float(y[i]) * s


@njit(cache=True, nogil=True)
def logistic_curvature(y, z, c, out):
    """``out_i = c_i s_i (1 - s_i)``, ``s_i = sigmoid(-y_i z_i)``."""
    for i in range(y.size):
        m = -float(y[i]) * float(z[i])
        e = np.exp(-abs(m))
        s = 1.0 / (1.0 + e) if m > 0.0 else e / (1.0 + e)
        out[i] = float(c[i]) * s * (1.0 - s)


@njit(cache=True, nogil=True)
def logistic_all(y, z, c, g, h):
    """One pass: the value (returned), ``g = dF/dz`` and ``h = d^2F/dz^2`` (into ``g``, ``h``)."""
    total, comp = 0.0, 0.0
    for i in range(y.size):
        yi, ci = float(y[i]), float(c[i])
        m = -yi * float(z[i])
        e = np.exp(-abs(m))
        if m > 0.0:
            v, s = m + np.log1p(e), 1.0 / (1.0 + e)
        else:
            v, s = np.log1p(e), e / (1.0 + e)
        g[i] = -ci * yi * s
        h[i] = ci * s * (1.0 - s)
        total, comp = _kahan_add(total, comp, ci * v)
    return total


@njit(cache=True, nogil=True)
def _xlogx(u):
    return u * np.log(u) if u > 0.0 else 0.0


@njit(cache=True, nogil=True)
def logistic_dual_value(theta, y, c):
    """``-sum_i c_i (u_i log u_i + (1 - u_i) log(1 - u_i))``, ``u_i = theta_i y_i / c_i``.

    ``u_i`` clipped to [0, 1]; entries with ``c_i = 0`` divide by 1 (``theta_i`` is then 0).
    """
    total, comp = 0.0, 0.0
    for i in range(y.size):
        ci = float(c[i])
        u = float(theta[i]) * float(y[i]) / (ci if ci > 0.0 else 1.0)
        u = min(max(u, 0.0), 1.0)
        v = ci * (_xlogx(u) + _xlogx(1.0 - u))
        total, comp = _kahan_add(total, comp, v)
    return -total


@njit(cache=True, nogil=True)
def logistic_in_dual_domain(theta, y, c):
    """``0 <= theta_i y_i <= c_i (1 + 1e-12)`` for every i (False on NaN)."""
    for i in range(y.size):
        u = float(theta[i]) * float(y[i])
        if not (u >= 0.0 and u <= float(c[i]) * (1.0 + 1e-12)):
            return False
    return True


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def stacked_intercepts(z0, y, c, offsets, b, max_iter):
    """Per-task intercepts minimising ``sum_{i in t} c_i log(1 + exp(-y_i (z0_i + b_t)))``.

    Safeguarded Newton per task (steps clipped to [-4, 4]), from ``b`` (updated
    in place), until the step taken at ``|g_t| <= 1e-13 sum_{i in t} c_i``: the stacked layout's
    rows of task t are ``offsets[t]:offsets[t + 1]``, so each task's iterations
    stay in cache. With ``x_i = exp(y_i z0_i) exp(y_i b_t)``, ``sigmoid(-y_i (z0_i + b_t)) =
    1 / (1 + x_i)`` and its complement ``x_i / (1 + x_i)`` (no cancellation): the row
    factors ``exp(y_i z0_i)`` are taken once, and each iteration costs one exponential per
    task and a division per row (a vectorised loop) instead of an exponential per row.
    A task with ``|y_i z0_i| > 500`` somewhere (the factors would leave the range with
    ``b``) iterates on ``exp(-|y_i (z0_i + b_t)|)`` per row instead, as the numpy loop.
    """
    a = np.empty(y.size)
    for t in range(offsets.size - 1):
        s0, e0 = offsets[t], offsets[t + 1]
        at, yt, ct, zt = a[s0:e0], y[s0:e0], c[s0:e0], z0[s0:e0]
        scale, top = 0.0, 0.0
        for i in range(e0 - s0):
            scale += float(ct[i])
            top = max(top, abs(float(yt[i]) * float(zt[i])))
        bt = float(b[t])
        factored = top <= 500.0
        if factored:
            for i in range(e0 - s0):
                at[i] = np.exp(float(yt[i]) * float(zt[i]))
        for _ in range(max_iter):
            g, h = 0.0, 0.0
            if factored and abs(bt) <= 200.0:
                ep = np.exp(bt)
                em = 1.0 / ep
                for i in range(e0 - s0):
                    yi, ci = float(yt[i]), float(ct[i])
                    x = at[i] * (ep if yi > 0.0 else em)
                    s = 1.0 / (1.0 + x)
                    g -= ci * yi * s
                    h += ci * s * (x * s)
            else:
                for i in range(e0 - s0):
                    yi, ci = float(yt[i]), float(ct[i])
                    m = -yi * (float(zt[i]) + bt)
                    e = np.exp(-abs(m))
                    s = 1.0 / (1.0 + e) if m > 0.0 else e / (1.0 + e)
                    g -= ci * yi * s
                    h += ci * s * (1.0 - s)
            bt -= min(max(g / max(h, 1e-300), -4.0), 4.0)
            if abs(g) <= 1e-13 * scale:  # after the step, as the numpy loop: one more digit
                break
        b[t] = bt
