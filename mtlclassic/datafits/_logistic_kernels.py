"""Kernels of the logistic loss's elementwise passes, for numpy arrays.

Each pass over the samples costs one or two transcendental functions per
entry, which is most of a prox-Newton step on problems with many rows and
few features (School, Landmine). numba calls the scalar libm ``exp``,
``log1p`` and ``log`` (no SVML here): about 13 ns an entry for two of them,
against under 2 ns for numpy's SIMD loops. So each pass is split: numpy
evaluates the transcendental functions on whole arrays, one compiled loop
does the rest (signs, the sigmoid's division, the derivatives) and writes
each entry's term of a sum, which numpy's pairwise summation adds up (as
accurate as the numpy expressions of :class:`Logistic`: the line search
compares objective values to a few units of rounding; a loop's running sum
is not, and a compensated one costs a dependent chain of additions per
entry). Landmine, 14,820 rows: value, derivative and curvature 0.22 ->
0.05 ms, the dual value 0.18 -> 0.05 ms, the intercepts 0.14 -> 0.06 ms.

Every kernel takes contiguous 1-D arrays of one length (the stacked layout's
``y``, ``z``, ``c``) and works in float64 whatever their dtype.
"""

import numpy as np
from numba import njit

# numba's default error model checks every division for a zero divisor (to raise
# ZeroDivisionError), a branch that keeps the loops scalar; numpy's (inf or NaN, as the
# numpy expressions give) lets them run in SIMD registers. No divisor here can be zero.
_ERRORS = "numpy"


def _exp_neg_abs_margin(y, z):
    """``exp(-|y_i z_i|)`` in float64 (a new array), by numpy's vectorised ``exp``."""
    e = np.empty(y.size)
    _neg_abs_product(y, z, e)
    return np.exp(e, out=e)


@njit(cache=True, nogil=True, error_model=_ERRORS)
def _neg_abs_product(y, z, out):
    for i in range(y.size):
        out[i] = -abs(float(y[i]) * float(z[i]))


@njit(cache=True, nogil=True, inline="always", error_model=_ERRORS)
def _sigmoid(m, e):
    """``sigmoid(m)`` from ``e = exp(-|m|)``, without overflow (one division: a SIMD loop)."""
    r = 1.0 / (1.0 + e)
    return r if m > 0.0 else e * r


def logistic_value(y, z, c):
    """``sum_i c_i log(1 + exp(-y_i z_i))``."""
    terms = np.log1p(_exp_neg_abs_margin(y, z))
    _value_terms(y, z, c, terms)
    return float(np.sum(terms))


@njit(cache=True, nogil=True, error_model=_ERRORS)
def _value_terms(y, z, c, terms):
    """``terms_i = c_i log(1 + exp(m_i))``, ``m_i = -y_i z_i``, from ``log1p(exp(-|m_i|))``.

    ``log(1 + exp(m)) = max(m, 0) + log1p(exp(-|m|))``.
    """
    for i in range(y.size):
        m = -float(y[i]) * float(z[i])
        terms[i] = float(c[i]) * ((m if m > 0.0 else 0.0) + terms[i])


def logistic_derivative(y, z, c, out):
    """``out_i = -c_i y_i sigmoid(-y_i z_i)``."""
    _derivative_pass(y, z, c, _exp_neg_abs_margin(y, z), out)


@njit(cache=True, nogil=True, error_model=_ERRORS)
def _derivative_pass(y, z, c, e, out):
    for i in range(y.size):
        s = _sigmoid(-float(y[i]) * float(z[i]), e[i])
        out[i] = -float(c[i]) * float(y[i]) * s


def logistic_curvature(y, z, c, out):
    """``out_i = c_i s_i (1 - s_i)``, ``s_i = sigmoid(-y_i z_i)``."""
    _curvature_pass(y, z, c, _exp_neg_abs_margin(y, z), out)


@njit(cache=True, nogil=True, error_model=_ERRORS)
def _curvature_pass(y, z, c, e, out):
    for i in range(y.size):
        s = _sigmoid(-float(y[i]) * float(z[i]), e[i])
        out[i] = float(c[i]) * s * (1.0 - s)


def logistic_all(y, z, c, g, h):
    """The value (returned), ``g = dF/dz`` and ``h = d^2F/dz^2`` (into ``g``, ``h``): one pass."""
    e = _exp_neg_abs_margin(y, z)
    terms = np.log1p(e)
    _all_pass(y, z, c, e, terms, g, h)
    return float(np.sum(terms))


@njit(cache=True, nogil=True, error_model=_ERRORS)
def _all_pass(y, z, c, e, terms, g, h):
    """:func:`_value_terms`, :func:`_derivative_pass` and :func:`_curvature_pass` in one loop."""
    for i in range(y.size):
        yi, ci = float(y[i]), float(c[i])
        m = -yi * float(z[i])
        s = _sigmoid(m, e[i])
        g[i] = -ci * yi * s
        h[i] = ci * s * (1.0 - s)
        terms[i] = ci * ((m if m > 0.0 else 0.0) + terms[i])


def logistic_dual_value(theta, y, c):
    """``-sum_i c_i (u_i log u_i + (1 - u_i) log(1 - u_i))``, ``u_i = theta_i y_i / c_i``.

    ``u_i`` clipped to [0, 1]; entries with ``c_i = 0`` divide by 1 (``theta_i`` is then 0).
    """
    u = np.empty(y.size)
    v = np.empty(y.size)
    _dual_arguments(theta, y, c, u, v)  # the logarithms' arguments, then their values
    np.log(u, out=u)
    np.log(v, out=v)
    _dual_terms(theta, y, c, u, v)
    return -float(np.sum(u))


@njit(cache=True, nogil=True, inline="always", error_model=_ERRORS)
def _dual_u(theta, y, c, i):
    ci = float(c[i])
    u = float(theta[i]) * float(y[i]) / (ci if ci > 0.0 else 1.0)
    return min(max(u, 0.0), 1.0)


@njit(cache=True, nogil=True, error_model=_ERRORS)
def _dual_arguments(theta, y, c, u_out, v_out):
    """``u_i`` and ``1 - u_i``, each 1 where not positive (its term ``x log x`` is then 0)."""
    for i in range(y.size):
        u = _dual_u(theta, y, c, i)
        u_out[i] = u if u > 0.0 else 1.0
        v_out[i] = 1.0 - u if 1.0 - u > 0.0 else 1.0


@njit(cache=True, nogil=True, error_model=_ERRORS)
def _dual_terms(theta, y, c, log_u, log_v):
    """``log_u_i = c_i (u_i log u_i + (1 - u_i) log(1 - u_i))``, from the two logarithms."""
    for i in range(y.size):
        u = _dual_u(theta, y, c, i)
        v = 1.0 - u
        xlogx = (u * log_u[i] if u > 0.0 else 0.0) + (v * log_v[i] if v > 0.0 else 0.0)
        log_u[i] = float(c[i]) * xlogx


@njit(cache=True, nogil=True, error_model=_ERRORS)
def logistic_in_dual_domain(theta, y, c):
    """``0 <= theta_i y_i <= c_i (1 + 1e-12)`` for every i (False on NaN)."""
    for i in range(y.size):
        u = float(theta[i]) * float(y[i])
        if not (u >= 0.0 and u <= float(c[i]) * (1.0 + 1e-12)):
            return False
    return True


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
    The row factors are numpy's vectorised ``exp`` (see the module docstring); past
    the range (``inf`` or 0) only in tasks that do not use them.
    """
    factors = np.multiply(y, z0, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore"):
        np.exp(factors, out=factors)
    _stacked_intercepts(z0, y, c, offsets, b, max_iter, factors)


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"}, error_model=_ERRORS)
def _stacked_intercepts(z0, y, c, offsets, b, max_iter, a):
    """:func:`stacked_intercepts` with the row factors ``a_i = exp(y_i z0_i)`` given."""
    for t in range(offsets.size - 1):
        s0, e0 = offsets[t], offsets[t + 1]
        at, yt, ct, zt = a[s0:e0], y[s0:e0], c[s0:e0], z0[s0:e0]
        scale, top = 0.0, 0.0
        for i in range(e0 - s0):
            scale += float(ct[i])
            top = max(top, abs(float(yt[i]) * float(zt[i])))
        bt = float(b[t])
        factored = top <= 500.0
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
