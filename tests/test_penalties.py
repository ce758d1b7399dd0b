"""The l2,1 penalty: prox against its definition, Moreau identity, properties, numba row prox."""

import warnings

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mtlclassic.penalties import L21
from mtlclassic.penalties._row_kernels import PROX_L21, row_prox


def subdiff_distance(pen, W, G):
    """Per-feature distance of ``-G`` to the subdifferential of the l2,1 penalty ``pen`` at ``W``.

    For a zero row it is ``max(||G[j]|| - alpha, 0)``; for a nonzero row,
    ``||G[j] + alpha W[j] / ||W[j]|| + l2_reg W[j]||`` (zero at optimality).
    """
    G = G + pen.l2_reg * W
    wn, gn = np.linalg.norm(W, axis=1), np.linalg.norm(G, axis=1)
    nz = wn > 0
    dist = np.maximum(gn - pen.alpha, 0.0)
    dist[nz] = np.linalg.norm(G[nz] + pen.alpha * W[nz] / wn[nz, None], axis=1)
    return dist


def _project_dual_ball(V, radius):
    """Projection onto ``{U : max_j ||U[j]||_2 <= radius}``: each row scaled into its ball."""
    norms = np.linalg.norm(V, axis=1, keepdims=True)
    return V * np.minimum(1.0, radius / np.maximum(norms, radius))  # rows inside: factor 1


def _prox_cvxpy(V, threshold):
    """``argmin_U 1/2 ||U - V||_F^2 + threshold * sum_j ||U[j]||_2`` solved by cvxpy."""
    U = cp.Variable(V.shape)
    obj = 0.5 * cp.sum_squares(U - V) + threshold * cp.sum(cp.norm(U, 2, axis=1))
    cp.Problem(cp.Minimize(obj)).solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10,
                                       tol_feas=1e-10)
    return U.value


# -- prox against its definition ---------------------------------------------------
@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")  # checked to 1e-6 anyway
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("shape", [(6, 3), (1, 4), (5, 1), (1, 1)])
def test_prox_matches_cvxpy_definition(seed, shape):
    rng = np.random.default_rng(seed)
    V = rng.standard_normal(shape) * rng.uniform(0.1, 3.0, (shape[0], 1))
    alpha, step = rng.uniform(0.2, 1.5), rng.uniform(0.3, 2.0)
    U = L21(alpha).prox(V, step)
    U_ref = _prox_cvxpy(V, step * alpha)
    assert U.shape == V.shape
    np.testing.assert_allclose(U, U_ref, atol=1e-6)


def test_prox_mixed_rows_hand_made():
    """Rows above, below and exactly at the threshold (and a zero row) in one matrix."""
    V = np.array([[3.0, 4.0], [0.3, 0.4], [0.6, 0.8], [0.0, 0.0], [-2.0, 0.0]])
    U = L21(0.5).prox(V, 2.0)  # threshold 1: row norms 5, 0.5, 1, 0, 2
    np.testing.assert_allclose(U, [[2.4, 3.2], [0, 0], [0, 0], [0, 0], [-1.0, 0.0]],
                               rtol=1e-15, atol=1e-16)
    assert np.all(U[1:4] == 0.0)  # exact zeros, not tiny values
    keep = [0, 1, 3, 4]  # interior-point accuracy degrades exactly at the kink: skip row 2
    np.testing.assert_allclose(U[keep], _prox_cvxpy(V[keep], 1.0), atol=1e-6)


def test_prox_zero_rows_emit_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        U = L21(1.0).prox(np.zeros((2, 3)), 10.0)
    assert np.all(U == 0.0)


# -- Moreau identity ---------------------------------------------------------------
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("step", [1.0, 0.37, 4.0])
def test_moreau_identity(seed, step):
    """``prox_{step f}(V) + step prox_{f*/step}(V / step) = V``; with f = alpha ||.||_21, f* is
    the indicator of the dual-norm ball of radius alpha, so the second term is the
    projection of V onto the ball of radius ``step * alpha``."""
    rng = np.random.default_rng(seed)
    V = rng.standard_normal((7, 4)) * rng.uniform(0.0, 2.0, (7, 1))
    alpha = rng.uniform(0.1, 2.0)
    np.testing.assert_allclose(L21(alpha).prox(V, step) + _project_dual_ball(V, step * alpha), V,
                               rtol=1e-13, atol=1e-14)


def test_dual_scale_lands_on_dual_ball():
    pen = L21(0.7)
    rng = np.random.default_rng(0)
    V = 5 * rng.standard_normal((6, 3))
    s = pen.dual_scale(V)
    assert 0 < s < 1
    np.testing.assert_allclose(pen.dual_norm(s * V), 0.7, rtol=1e-14)
    inside = _project_dual_ball(V, 0.5)
    assert pen.dual_scale(inside) == 1.0


# -- properties (hypothesis) -------------------------------------------------------------
# L21.prox overflows (harmlessly) on zero rows with a large threshold; tracked by
# test_prox_zero_rows_emit_no_warning, silenced in the property tests.
_OVERFLOW = pytest.mark.filterwarnings("ignore:overflow encountered in divide:RuntimeWarning")
_finite = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False, allow_subnormal=False)


@st.composite
def _matrices(draw):
    """Shapes from 1 x 1, entries in [-1, 1] times a scale 1e-8..1e8, some rows zero."""
    p = draw(st.integers(1, 6))
    T = draw(st.integers(1, 5))
    V = draw(arrays(np.float64, (p, T), elements=_finite))
    zero_rows = draw(arrays(np.bool_, (p,)))
    V[zero_rows] = 0.0
    scale = 10.0 ** draw(st.integers(-8, 8))
    return V * scale, scale


@_OVERFLOW
@settings(deadline=None, max_examples=150)
@given(_matrices(), st.floats(1e-3, 1e3), st.floats(1e-3, 1e3))
def test_prox_rows_are_shrunken_copies(Vs, alpha_rel, step):
    """Each output row is ``c_j V[j]`` with ``c_j = max(0, 1 - step alpha / ||V[j]||)``."""
    V, scale = Vs
    alpha = alpha_rel * scale
    U = L21(alpha).prox(V, step)
    assert U.shape == V.shape and np.all(np.isfinite(U))
    vn = np.linalg.norm(V, axis=1)
    un = np.linalg.norm(U, axis=1)
    expected = np.maximum(vn - step * alpha, 0.0)
    np.testing.assert_allclose(un, expected, rtol=1e-12, atol=1e-12 * vn.max(initial=0.0))
    # same direction: U[j] = c_j V[j], c_j in [0, 1]
    c = np.divide(un, vn, out=np.zeros_like(vn), where=vn > 0)
    np.testing.assert_allclose(U, c[:, None] * V, rtol=1e-12, atol=1e-300)
    assert np.all((c >= 0) & (c <= 1))
    assert np.all(U[vn <= step * alpha] == 0.0)


@_OVERFLOW
@settings(deadline=None, max_examples=100)
@given(_matrices(), st.sampled_from([(0.0, 1.0), (1.0, 0.0), (0.0, 0.0)]))
def test_prox_with_zero_threshold_is_identity(Vs, alpha_step):
    V, _ = Vs
    alpha, step = alpha_step
    np.testing.assert_array_equal(L21(alpha).prox(V, step), V)


@_OVERFLOW
@settings(deadline=None, max_examples=100)
@given(_matrices(), st.floats(1e-3, 1e3))
def test_moreau_identity_property(Vs, alpha_rel):
    V, scale = Vs
    alpha = alpha_rel * scale
    np.testing.assert_allclose(L21(alpha).prox(V, 1.0) + _project_dual_ball(V, alpha), V,
                               rtol=1e-12, atol=1e-12 * scale)


@_OVERFLOW
@settings(deadline=None, max_examples=100)
@given(_matrices(), st.floats(1e-3, 1e3), st.floats(1e-3, 1e3))
def test_numba_row_prox_equals_numpy_prox(Vs, alpha_rel, step):
    V, scale = Vs
    alpha = alpha_rel * scale
    U = L21(alpha)._prox_xp(V, step)  # the array formula (what a CuPy array takes)
    for j in range(V.shape[0]):
        w = V[j].copy()
        row_prox(w, step, PROX_L21, L21(alpha).row_params)  # in place
        # equal up to rounding of the row (1 - thresh/norm cancels near the threshold)
        np.testing.assert_allclose(w, U[j], rtol=1e-13, atol=1e-13 * np.linalg.norm(V[j]))


def test_row_prox_works_on_rows_of_a_matrix_in_place():
    """BCD applies it to ``W[j]`` views: the matrix itself must change, other rows not."""
    W = np.array([[3.0, 4.0], [0.1, 0.1], [6.0, 8.0]])
    params = L21(2.5).row_params
    row_prox(W[0], 1.0, PROX_L21, params)
    row_prox(W[1], 1.0, PROX_L21, params)
    np.testing.assert_allclose(W, [[1.5, 2.0], [0.0, 0.0], [6.0, 8.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prox_keeps_dtype(dtype):
    V = np.arange(6, dtype=dtype).reshape(3, 2)
    assert L21(0.5).prox(V, 1.0).dtype == dtype


# -- value, dual norm, subdifferential distance on hand-made examples --------------------
def test_value_hand_made():
    W = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0], [-6.0, -8.0]])
    assert L21(2.0).value(W) == pytest.approx(2.0 * (5 + 0 + 1 + 10), rel=1e-15)
    assert L21(0.0).value(W) == 0.0
    assert L21(1.0).value(np.zeros((3, 2))) == 0.0


def test_dual_norm_hand_made():
    G = np.array([[3.0, 4.0], [0.0, -7.0], [1.0, 1.0]])
    assert L21(1.0).dual_norm(G) == pytest.approx(7.0, rel=1e-15)
    assert L21(5.0).dual_norm(G) == pytest.approx(7.0, rel=1e-15)  # alpha-free
    assert L21(1.0).dual_norm(np.zeros((0, 3))) == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_dual_norm_is_dual_of_value(seed):
    """``<G, W> <= dual_norm(G) * ||W||_21`` with equality at W = the maximising row."""
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((5, 3))
    pen = L21(1.0)
    for _ in range(20):
        W = rng.standard_normal((5, 3))
        assert np.sum(G * W) <= pen.dual_norm(G) * pen.value(W) + 1e-12
    j = np.argmax(np.linalg.norm(G, axis=1))
    W = np.zeros_like(G)
    W[j] = G[j]
    assert np.sum(G * W) == pytest.approx(pen.dual_norm(G) * pen.value(W), rel=1e-14)


def test_subdiff_distance_hand_made():
    alpha = 2.0
    W = np.array([[3.0, 4.0],    # nonzero, G = -alpha * w/||w||: optimal
                  [3.0, 4.0],    # nonzero, G = 0: distance alpha
                  [0.0, 0.0],    # zero, ||G|| = 1 < alpha: optimal
                  [0.0, 0.0],    # zero, ||G|| = 5: distance 5 - alpha
                  [1.0, 0.0]])   # nonzero, G = (1, 1): ||(1 + 2, 1)|| = sqrt(10)
    G = np.array([[-1.2, -1.6], [0.0, 0.0], [0.6, 0.8], [3.0, -4.0], [1.0, 1.0]])
    d = subdiff_distance(L21(alpha), W, G)
    np.testing.assert_allclose(d, [0.0, 2.0, 0.0, 3.0, np.sqrt(10.0)], atol=1e-15)


def test_subdiff_distance_zero_at_prox_fixed_point():
    """A fixed point of the prox-gradient map has zero distance: W = prox(W - G, 1) iff
    -G in alpha * d||W||_21."""
    rng = np.random.default_rng(4)
    pen = L21(0.8)
    V = 2 * rng.standard_normal((6, 3))
    V[:2] *= 0.1  # rows that the prox zeroes
    W = pen.prox(V, 1.0)
    G = W - V  # optimality of the prox: -G = V - W lies in alpha * d||W||_21
    assert np.any(np.all(W == 0, axis=1)) and np.any(np.any(W != 0, axis=1))
    np.testing.assert_allclose(subdiff_distance(pen, W, G), 0.0, atol=1e-14)
    assert np.max(subdiff_distance(pen, W, -G)) > 0.1  # the wrong sign is not optimal


def test_negative_alpha_rejected():
    with pytest.raises(ValueError, match="alpha"):
        L21(-1.0)
    with pytest.raises(ValueError, match="alpha"):
        L21(np.nan)


def test_cvxpy_expr_equals_value():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((4, 3))
    Wv = cp.Variable((4, 3))
    Wv.value = W
    assert L21(1.3).cvxpy_expr(Wv).value == pytest.approx(L21(1.3).value(W), rel=1e-12)
