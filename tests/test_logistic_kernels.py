"""The logistic loss's compiled passes (``mtlclassic.datafits._logistic_kernels``).

Each method of :class:`Logistic` takes the compiled pass for the stacked
layout's contiguous 1-D arrays; a strided view of the same values takes the
numpy expressions (as the shared layout always does). Both must agree,
including labels far on the flat side of the sigmoid (``|z|`` up to 800,
where ``exp`` overflows).
"""

import numpy as np
import pytest

from mtlclassic.data import StackedDesign
from mtlclassic.datafits import Logistic
from mtlclassic.datafits._losses import _flat


def _strided(a):
    """The same values, not contiguous: the numpy path."""
    out = np.empty(a.shape + (2,), dtype=a.dtype)[..., 0]
    out[...] = a
    return out


def _problems(seed, dtype):
    rng = np.random.default_rng(seed)
    n, p, T = 40, 3, 3
    X = rng.standard_normal((n, p)).astype(dtype)
    Y = np.where(rng.random((n, T)) < 0.5, 1.0, -1.0).astype(dtype)
    C = (rng.random((n, T)) / n).astype(dtype)
    C[0, 0] = 0.0  # a missing target
    Z = (rng.standard_normal((n, T)) * 5).astype(dtype)
    Z[1:4, 0] = [800.0, -800.0, 30.0]  # overflowing exp on either side
    offsets = np.array([0, 7, 25, n])
    stacked = StackedDesign(X, Y[:, 0].copy(), C[:, 0].copy(), offsets)
    return [(stacked, Z[:, 0].copy())]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_passes_match_numpy(dtype):
    # float32: the compiled passes work in float64; numpy's 1 - s in float32 cancels, so
    # tiny curvatures differ by more than their own rounding (compared against the largest).
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    scale = 0.0 if dtype == np.float64 else 1e-6
    for data, Z in _problems(0, dtype):
        f = Logistic(data)
        Zs = _strided(Z)
        # The two paths compared: compiled for Z, numpy for its strided copy.
        assert _flat(data.Y, Z, data.C) is not None and _flat(data.Y, Zs, data.C) is None
        np.testing.assert_allclose(f.value_z(Z), f.value_z(Zs), rtol=rtol)
        g_ref, h_ref = f.derivative_z(Zs), f.curvature_z(Zs)
        g_tol, h_tol = scale * np.max(np.abs(g_ref)), scale * np.max(h_ref)
        np.testing.assert_allclose(f.derivative_z(Z), g_ref, rtol=rtol, atol=g_tol)
        np.testing.assert_allclose(f.curvature_z(Z), h_ref, rtol=rtol, atol=h_tol)
        value, g, h = f.value_derivative_curvature_z(Z)
        np.testing.assert_allclose(value, f.value_z(Zs), rtol=rtol)
        np.testing.assert_allclose(g, g_ref, rtol=rtol, atol=g_tol)
        np.testing.assert_allclose(h, h_ref, rtol=rtol, atol=h_tol)
        theta = -f.derivative_z(Zs)
        assert f.in_dual_domain(theta) and f.in_dual_domain(_strided(theta))
        np.testing.assert_allclose(f.dual_value(theta), f.dual_value(_strided(theta)), rtol=rtol)
        outside = theta.copy()
        outside.flat[5] = -outside.flat[5] - 1.0  # wrong sign: u < 0
        assert not f.in_dual_domain(outside) and not f.in_dual_domain(_strided(outside))


def test_stacked_intercepts_match_numpy():
    for data, Z in _problems(1, np.float64):
        f = Logistic(data)
        b_compiled = f.optimal_intercept(Z)
        b_numpy = f.optimal_intercept(_strided(Z))
        np.testing.assert_allclose(b_compiled, b_numpy, rtol=1e-10, atol=1e-12)
        # The optimality condition: each task's derivative sums to zero.
        g = f.derivative_z(Z + data.expand(b_compiled))
        assert np.all(np.abs(data.task_sum(g)) <= 1e-12)


def _extreme_problem():
    """Entries at the ends of float64: ``|z|`` to 1e308, weights from 5e-324 to 1e300."""
    z_values = [1e308, -1e308, 1e300, -1e300, 800.0, -800.0, 1e-300, 0.0, 3.0]
    c_values = [1e300, 1e-300, 5e-324, 0.0, 1.0]
    z, c = np.meshgrid(np.array(z_values), np.array(c_values))
    z, c = z.ravel(), c.ravel()
    y = np.where(np.arange(z.size) % 3 == 0, 1.0, -1.0)
    n = z.size
    X = np.ones((n, 1))
    return StackedDesign(X, y, c.copy(), np.array([0, n // 2, n])), z.copy()


def test_compiled_passes_match_numpy_at_extreme_values():
    """Overflowing sums are inf as numpy's (a compensated sum's ``inf - inf`` once gave NaN)."""
    data, Z = _extreme_problem()
    f = Logistic(data)
    Zs = _strided(Z)
    assert _flat(data.Y, Z, data.C) is not None
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        ref = f.value_z(Zs)
        assert ref == np.inf  # the weight 1e300 on a loss of 1e308: past the range
        assert f.value_z(Z) == ref
        g_ref, h_ref = f.derivative_z(Zs), f.curvature_z(Zs)
        value, g, h = f.value_derivative_curvature_z(Z)
        np.testing.assert_allclose(f.derivative_z(Z), g_ref, rtol=1e-12, atol=0)
        np.testing.assert_allclose(f.curvature_z(Z), h_ref, rtol=1e-12, atol=0)
        assert value == ref
        np.testing.assert_allclose(g, g_ref, rtol=1e-12, atol=0)
        np.testing.assert_allclose(h, h_ref, rtol=1e-12, atol=0)
        theta = -g_ref
        np.testing.assert_allclose(f.dual_value(theta), f.dual_value(_strided(theta)), rtol=1e-12)
        # Without the products past the range (a loss of 1e300 on a weight of 1e300): terms
        # up to 1e308, their sum finite, equal to numpy's to rounding.
        keep = ~((np.abs(Z) >= 1e300) & (data.C > 1.0))
        finite = StackedDesign(np.ones((keep.sum(), 1)), data.Y[keep].copy(),
                               data.C[keep].copy(), np.array([0, keep.sum()]))
        f2, Z2 = Logistic(finite), Z[keep].copy()
        ref2 = f2.value_z(_strided(Z2))
        assert np.isfinite(ref2) and ref2 > 1e299
        np.testing.assert_allclose(f2.value_z(Z2), ref2, rtol=1e-12)
        np.testing.assert_allclose(f2.value_derivative_curvature_z(Z2)[0], ref2, rtol=1e-12)


def test_stacked_intercepts_far_on_the_flat_side():
    """Tasks with ``|y z0|`` past 500 (their row factors ``exp(y z0)`` would overflow)."""
    rng = np.random.default_rng(2)
    n = 60
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    Z = rng.standard_normal(n)
    Z[:20] *= 1e3  # task 0: a separated fit's predictor
    Z[20:25] = [800.0, -800.0, 650.0, -650.0, 1e5]  # task 1: a few rows far out
    data = StackedDesign(np.ones((n, 1)), y, np.full(n, 1.0 / n), np.array([0, 20, 40, n]))
    f = Logistic(data)
    b_compiled = f.optimal_intercept(Z)
    np.testing.assert_allclose(b_compiled, f.optimal_intercept(_strided(Z)), rtol=1e-10,
                               atol=1e-12)
    assert np.all(np.isfinite(b_compiled))
