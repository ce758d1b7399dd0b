"""The prox-Newton models' entry-level kernels (``mtlclassic.solvers._entry_kernels``).

The model is ``1/2 sum_it c_it (u_it - Xc_t W[:, t])^2 + pen(W)`` with
``Xc_t = X - 1 m_t^T`` (per-task centering) and ``pen`` the l1 or l2,1 norm
plus ``l2/2 ||W||^2``. Checked against its definition:

* the curvatures ``L_jt = sum_i c_it Xc_ijt^2``;
* the exact row minimiser of l2,1 against cvxpy, and the group soft
  threshold when all curvatures are equal;
* the solves (many sweeps, tight ratio) against cvxpy's minimiser of the
  same model, and their KKT conditions; the residual they keep equals
  ``u - Xc W``; float32 and float64.
"""

import numpy as np
import pytest

from mtlclassic.penalties._row_kernels import PROX_L1, PROX_L21
from mtlclassic.solvers._entry_kernels import (entry_curvatures, entry_solve,
                                               l21_row_minimiser, warmup_kernels)


def _model(seed, dtype, n=30, k=8, T=3, centered=True):
    rng = np.random.default_rng(seed)
    X = np.asfortranarray(rng.standard_normal((n, k)), dtype=dtype)
    C = np.asfortranarray(rng.uniform(0.01, 0.25, (n, T)) / n, dtype=dtype)
    C[0, 0] = 0.0  # a sample without weight (a missing target)
    U = np.asfortranarray(rng.standard_normal((n, T)) * 2, dtype=dtype)
    M = (np.ascontiguousarray((C.T @ X / C.sum(axis=0)[:, None]).T, dtype=dtype) if centered
         else np.zeros((k, T), dtype))
    return X, C, U, M


def _residual(X, M, U, W):
    return np.stack([U[:, t] - (X - M[:, t]) @ W[:, t] for t in range(U.shape[1])], axis=1)


def _neg_gradient(X, M, C, R):
    return np.stack([(X - M[:, t]).T @ (C[:, t] * R[:, t]) for t in range(R.shape[1])], axis=1)


def _cvxpy_model(X, C, U, M, alpha, l2, kind):
    cp = pytest.importorskip("cvxpy")
    X, C, U, M = (a.astype(np.float64) for a in (X, C, U, M))
    k, T = M.shape
    W = cp.Variable((k, T))
    fit = sum(0.5 * cp.sum(cp.multiply(C[:, t], cp.square(U[:, t] - (X - M[:, t]) @ W[:, t])))
              for t in range(T))
    pen = (cp.sum(cp.abs(W)) if kind == PROX_L1 else cp.sum(cp.norm(W, 2, axis=1)))
    problem = cp.Problem(cp.Minimize(fit + alpha * pen + 0.5 * l2 * cp.sum_squares(W)))
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    return W.value, problem.value


def _objective(X, C, U, M, W, alpha, l2, kind):
    R = _residual(X, M, U, W)
    pen = np.abs(W).sum() if kind == PROX_L1 else np.linalg.norm(W, axis=1).sum()
    return 0.5 * float(np.sum(C * R * R)) + alpha * pen + 0.5 * l2 * float(np.sum(W * W))


def _alpha(X, C, U, M, kind, fraction):
    """``fraction`` of the smallest alpha with ``W = 0`` optimal (the dual norm at zero)."""
    G = _neg_gradient(X, M, C, U)
    return fraction * (np.abs(G).max() if kind == PROX_L1 else np.linalg.norm(G, axis=1).max())


def _sparse(W, kind):
    """Whether ``W`` is neither zero nor dense (entries for l1, rows for l2,1)."""
    on = W != 0 if kind == PROX_L1 else np.any(W != 0, axis=1)
    return 0 < np.count_nonzero(on) < on.size


def _solve(X, C, U, M, alpha, l2, kind, W0=None, sweeps=5000, ratio=1e-12, fresh=False):
    k, T = M.shape
    W = np.zeros((k, T), X.dtype) if W0 is None else np.array(W0, X.dtype, order="C")
    R = np.asfortranarray(_residual(X, M, U, W), dtype=X.dtype)
    # fresh: the first sweep fills L (garbage before it, to show it is overwritten).
    L = np.full((k, T), np.nan) if fresh else entry_curvatures(X, M, C)
    entry_solve(X, M, R, C, W, L, np.array([l2, alpha]), kind, sweeps, ratio, 10, fresh)
    if fresh:
        np.testing.assert_allclose(L, entry_curvatures(X, M, C), rtol=1e-5)
    return W, R


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_curvatures_are_the_weighted_centered_squared_norms(dtype):
    X, C, _, M = _model(0, dtype)
    L = entry_curvatures(X, M, C)
    expected = np.stack([C[:, t] @ (X - M[:, t]) ** 2 for t in range(C.shape[1])], axis=1)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(L, expected, rtol=rtol)


@pytest.mark.parametrize("seed", range(4))
def test_row_minimiser_matches_cvxpy(seed):
    cp = pytest.importorskip("cvxpy")
    rng = np.random.default_rng(seed)
    T = 5
    c, L = rng.standard_normal(T) * 3, rng.uniform(0.0, 2.0, T)
    L[0] = 0.0  # a task without curvature (the l2 term still bounds the row)
    l2, alpha = 0.1, 1.0
    out = np.empty(T)
    nu = l21_row_minimiser(c, L, l2, alpha, out)
    w = cp.Variable(T)
    cp.Problem(cp.Minimize(0.5 * cp.sum(cp.multiply(L + l2, cp.square(w))) - c @ w
                           + alpha * cp.norm(w, 2))).solve(solver=cp.CLARABEL)
    np.testing.assert_allclose(out, w.value, atol=1e-4 * np.abs(out).max())
    assert nu == pytest.approx(np.linalg.norm(out), rel=1e-12)
    # Stationarity, exactly: (L + l2) w - c + alpha w / ||w|| = 0.
    np.testing.assert_allclose((L + l2) * out - c + alpha * out / nu, 0.0, atol=1e-12)


def test_row_minimiser_with_equal_curvatures_is_the_group_soft_threshold():
    rng = np.random.default_rng(1)
    c, a, alpha = rng.standard_normal(4) * 2, 1.7, 0.8
    out = np.empty(4)
    l21_row_minimiser(c, np.full(4, a), 0.0, alpha, out)
    nrm = np.linalg.norm(c)
    np.testing.assert_allclose(out, c / a * max(1.0 - alpha / nrm, 0.0), rtol=1e-12)
    l21_row_minimiser(c, np.full(4, a), 0.0, 1.01 * nrm, out)  # inside the ball: zero
    assert not np.any(out)


@pytest.mark.parametrize("kind", [PROX_L1, PROX_L21])
@pytest.mark.parametrize("l2", [0.0, 0.05])
@pytest.mark.parametrize("centered", [True, False])
def test_solve_matches_cvxpy(kind, l2, centered):
    X, C, U, M = _model(2, np.float64, centered=centered)
    alpha = _alpha(X, C, U, M, kind, 0.5)  # a sparse solution, not zero
    W_ref, value = _cvxpy_model(X, C, U, M, alpha, l2, kind)
    W, _ = _solve(X, C, U, M, alpha, l2, kind)
    ours = _objective(X, C, U, M, W, alpha, l2, kind)
    assert ours <= value + 1e-9 * abs(value)
    np.testing.assert_allclose(W, W_ref, atol=1e-5)
    assert _sparse(W, kind)


@pytest.mark.parametrize("fresh", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", [PROX_L1, PROX_L21])
def test_solve_satisfies_kkt_and_keeps_the_residual(dtype, kind, fresh):
    X, C, U, M = _model(3, dtype, n=40, k=12, T=4)
    alpha, l2 = _alpha(X, C, U, M, kind, 0.5), 0.01
    rng = np.random.default_rng(3)
    W0 = rng.standard_normal(M.shape)  # a warm start far from the solution
    W, R = _solve(X, C, U, M, alpha, l2, kind, W0=W0, fresh=fresh)
    assert W.dtype == dtype
    tol = 1e-9 if dtype == np.float64 else 2e-3
    np.testing.assert_allclose(R, _residual(X, M, U, W), atol=tol * 10 * np.abs(U).max())
    # KKT: G = Xc^T (c R) - l2 W is in alpha times the subdifferential of the norm at W.
    G = (_neg_gradient(X.astype(float), M.astype(float), C.astype(float),
                      _residual(X.astype(float), M.astype(float), U.astype(float),
                                W.astype(float))) - l2 * W)
    scale = alpha
    if kind == PROX_L1:
        on = W != 0
        np.testing.assert_allclose(G[on], alpha * np.sign(W[on]), atol=tol * scale)
        assert np.all(np.abs(G[~on]) <= alpha * (1 + tol))
    else:
        nrm = np.linalg.norm(W.astype(float), axis=1)
        on = nrm > 0
        np.testing.assert_allclose(G[on], alpha * W[on] / nrm[on, None], atol=tol * scale)
        assert np.all(np.linalg.norm(G[~on], axis=1) <= alpha * (1 + tol))
    assert _sparse(W, kind)


@pytest.mark.parametrize("kind", [PROX_L1, PROX_L21])
def test_solve_stops_at_the_ratio(kind):
    """A loose ratio takes fewer sweeps than a tight one and lowers the model all the same."""
    X, C, U, M = _model(4, np.float64)
    alpha, l2 = _alpha(X, C, U, M, kind, 0.1), 0.0
    k, T = M.shape
    L = entry_curvatures(X, M, C)
    counts, values = [], []
    for ratio in (0.3, 1e-10):
        W = np.zeros((k, T))
        R = np.asfortranarray(U.copy())
        counts.append(entry_solve(X, M, R, C, W, L, np.array([l2, alpha]), kind, 1000, ratio,
                                  10))
        values.append(_objective(X, C, U, M, W, alpha, l2, kind))
    start = _objective(X, C, U, M, np.zeros((k, T)), alpha, l2, kind)
    assert 1 <= counts[0] < counts[1]
    assert values[1] <= values[0] < start


def test_warmup_compiles_both_dtypes():
    warmup_kernels(("float64", "float32"))


@pytest.mark.parametrize("alpha", [0.0, 1e-200, 1e-300])
def test_row_minimiser_at_a_vanishing_strength_is_the_ridge_step(alpha):
    """A strength that underflowed (task weights of 1e200) leaves the ridge step, finite: it
    used to divide by zero (den^2 underflowed) and raise ZeroDivisionError out of the fit."""
    c = np.array([0.5, -2.0, 1e-3])
    L = np.array([1.0, 4.0, 0.0])
    out = np.empty(3)
    l21_row_minimiser(c, L, 0.5, alpha, out)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, c / (L + 0.5), rtol=1e-10)
