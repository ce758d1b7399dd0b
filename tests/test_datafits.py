"""Quadratic and Logistic datafits on both containers.

Gradients against central finite differences and against the formula written
in ``conftest``; Lipschitz constants against the exact curvature; the stacked
layout with one design repeated per task against the shared layout; the dual
objective against a numerically computed conjugate.
"""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import xlogy

from conftest import datafit as datafit_ref
from conftest import gradient as gradient_ref
from conftest import make_per_task, make_shared
from mtlclassic._validation import check_fit_data
from mtlclassic.data import SharedDesign, StackedDesign
from mtlclassic.datafits import Logistic, Quadratic

DATAFITS = {"squared": Quadratic, "logistic": Logistic}


def _container(problem, centered):
    est = problem.estimator()
    data = check_fit_data(est, problem.X, problem.y, problem.sample_weight,
                          classifier=problem.loss == "logistic")
    return data.center() if centered else data


def _problem(layout, loss, weighted, seed=0, **kw):
    if layout == "shared":
        return make_shared(seed, loss=loss, n=15, p=4, n_tasks=3, sample_weight=weighted,
                           task_weights=weighted, nan_frac=0.2 if weighted else 0.0, **kw)
    return make_per_task(seed, loss=loss, sizes=(4, 7, 9), p=4, sample_weight=weighted,
                         task_weights=weighted, **kw)


def _raw_intercept(data, W, b):
    """Intercepts of the uncentered parametrisation: ``b_raw = b - xbar_t . w_t``."""
    return b if data.X_offset is None else b - np.sum(data.X_offset * W, axis=0)


CASES = [(layout, loss, weighted, centered)
         for layout in ("shared", "per_task") for loss in ("squared", "logistic")
         for weighted in (False, True) for centered in (False, True)]
IDS = [f"{la}-{lo}-{'weighted' if w else 'plain'}-{'centered' if c else 'raw'}"
       for la, lo, w, c in CASES]


# -- value and gradient ------------------------------------------------------------------
@pytest.mark.parametrize("layout, loss, weighted, centered", CASES, ids=IDS)
def test_value_and_gradient_match_formula(layout, loss, weighted, centered):
    pb = _problem(layout, loss, weighted)
    data = _container(pb, centered)
    df = DATAFITS[loss](data)
    rng = np.random.default_rng(1)
    W = rng.standard_normal((data.n_features, data.n_tasks))
    b = rng.standard_normal(data.n_tasks)
    b_raw = _raw_intercept(data, W, b)
    assert df.value(W, b) == pytest.approx(datafit_ref(pb, W.T, b_raw), rel=1e-12)
    GW, gb = df.gradient(W, b)
    G_ref, g_ref = gradient_ref(pb, W.T, b_raw)
    # chain rule through b_raw = b - xbar . w: d/dW_jt picks up -xbar_jt * d/db_t
    offset = 0.0 if data.X_offset is None else data.X_offset
    np.testing.assert_allclose(GW, G_ref.T - offset * g_ref, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(gb, g_ref, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("layout, loss, weighted, centered", CASES, ids=IDS)
def test_gradient_matches_finite_differences(layout, loss, weighted, centered):
    pb = _problem(layout, loss, weighted, seed=2)
    data = _container(pb, centered)
    df = DATAFITS[loss](data)
    rng = np.random.default_rng(3)
    W = rng.standard_normal((data.n_features, data.n_tasks))
    b = rng.standard_normal(data.n_tasks)
    GW, gb = df.gradient(W, b)
    h = 1e-6
    fd_W = np.zeros_like(W)
    for j in range(W.shape[0]):
        for t in range(W.shape[1]):
            E = np.zeros_like(W)
            E[j, t] = h
            fd_W[j, t] = (df.value(W + E, b) - df.value(W - E, b)) / (2 * h)
    fd_b = np.zeros_like(b)
    for t in range(b.shape[0]):
        e = np.zeros_like(b)
        e[t] = h
        fd_b[t] = (df.value(W, b + e) - df.value(W, b - e)) / (2 * h)
    np.testing.assert_allclose(GW, fd_W, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gb, fd_b, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_derivative_z_is_gradient_in_z(layout, loss):
    """``derivative_z`` is the gradient of ``value_z`` (what dual points are made of)."""
    pb = _problem(layout, loss, True, seed=4)
    df = DATAFITS[loss](_container(pb, False))
    rng = np.random.default_rng(5)
    Z = rng.standard_normal(df.data.Y.shape)
    D = df.derivative_z(Z)
    h = 1e-6
    idx = list(np.ndindex(Z.shape))[::3]
    for k in idx:
        E = np.zeros_like(Z)
        E[k] = h
        fd = (df.value_z(Z + E) - df.value_z(Z - E)) / (2 * h)
        assert D[k] == pytest.approx(fd, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_optimal_intercept_zeroes_intercept_gradient(layout, loss):
    pb = _problem(layout, loss, True, seed=6)
    df = DATAFITS[loss](_container(pb, False))
    rng = np.random.default_rng(7)
    W = rng.standard_normal((df.data.n_features, df.data.n_tasks))
    b = df.optimal_intercept(df.linear(W))
    _, gb = df.gradient(W, b)
    np.testing.assert_allclose(gb, 0.0, atol=1e-12)
    # and it minimises: any perturbation increases the value
    for t in range(b.shape[0]):
        for eps in (1e-3, -1e-3):
            e = np.zeros_like(b)
            e[t] = eps
            assert df.value(W, b + e) > df.value(W, b)


# -- Lipschitz constants ---------------------------------------------------------------------
def _exact_lipschitz(data, fit_intercept):
    """Largest eigenvalue of the Hessian of the quadratic datafit in (W, b), built densely.

    It is block diagonal over tasks: task t's block is ``A_t^T diag(c_t) A_t`` with
    ``A_t = [X_t - xbar_t, 1]`` (the column of ones only with intercepts).
    """
    lams = []
    X = data.X.toarray() if data.is_sparse else np.asarray(data.X)
    for t in range(data.n_tasks):
        if data.layout == "shared":
            Xt, ct = X, data.C[:, t]
        else:
            s, e = data.offsets[t], data.offsets[t + 1]
            Xt, ct = X[s:e], data.C[s:e]
        if data.X_offset is not None:
            Xt = Xt - data.X_offset[:, t]
        A = np.column_stack([Xt, np.ones(len(ct))]) if fit_intercept else Xt
        lams.append(np.linalg.eigvalsh(A.T @ (ct[:, None] * A)).max())
    return max(lams)


def _exact_block_lipschitz(data):
    """Per feature j: largest eigenvalue of the (T, T) Hessian block of W[j] (dense)."""
    X = data.X.toarray() if data.is_sparse else np.asarray(data.X)
    p, T = data.n_features, data.n_tasks
    out = np.zeros(p)
    for j in range(p):
        H = np.zeros((T, T))
        for t in range(T):
            if data.layout == "shared":
                x, ct = X[:, j], data.C[:, t]
            else:
                s, e = data.offsets[t], data.offsets[t + 1]
                x, ct = X[s:e, j], data.C[s:e]
            if data.X_offset is not None:
                x = x - data.X_offset[j, t]
            H[t, t] = np.sum(ct * x * x)  # tasks do not interact: the block is diagonal
        out[j] = np.linalg.eigvalsh(H).max()
    return out


LIP_CASES = [(layout, loss, centered, sparse) for layout in ("shared", "per_task")
             for loss in ("squared", "logistic") for centered in (False, True)
             for sparse in (None, "csc")]


@pytest.mark.parametrize("layout, loss, centered, sparse", LIP_CASES)
def test_lipschitz_against_exact_curvature(layout, loss, centered, sparse):
    pb = _problem(layout, loss, True, seed=9, sparse=sparse)
    data = _container(pb, centered)
    df = DATAFITS[loss](data)
    factor = 1.0 if loss == "squared" else 0.25
    for fit_intercept in (False, True):
        exact = factor * _exact_lipschitz(data, fit_intercept)
        L = df.lipschitz(fit_intercept)
        # an upper bound, and a tight one
        assert L >= exact * (1 - 1e-12)
        assert L <= exact * (1 + 2e-3)
    # block constants: the Hessian block of W[j] is diagonal over tasks, its max entry is exact
    np.testing.assert_allclose(df.block_lipschitz(), factor * _exact_block_lipschitz(data),
                               rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_lipschitz_is_an_upper_bound(fit_intercept):
    """Shared design, centered, three tasks of nearly equal top curvature: slow power iteration."""
    pb = _problem("shared", "squared", True, seed=8)
    data = _container(pb, True)
    exact = _exact_lipschitz(data, fit_intercept)
    assert Quadratic(data).lipschitz(fit_intercept) >= exact * (1 - 1e-12)


def _random_pairs(rng, data, n_pairs, fit_intercept, block=None):
    for _ in range(n_pairs):
        scale = 10.0 ** rng.uniform(-3, 1)
        W1 = rng.standard_normal((data.n_features, data.n_tasks))
        b1 = rng.standard_normal(data.n_tasks)
        dW = scale * rng.standard_normal(W1.shape)
        db = scale * rng.standard_normal(b1.shape) if fit_intercept else np.zeros_like(b1)
        if block is not None:  # move one feature's row only
            keep = np.zeros_like(dW)
            keep[block] = dW[block]
            dW, db = keep, np.zeros_like(b1)
        yield W1, b1, W1 + dW, b1 + db


@pytest.mark.parametrize("layout, loss, centered, sparse", LIP_CASES)
def test_quadratic_upper_bound_holds(layout, loss, centered, sparse):
    """``f(y) <= f(x) + <grad f(x), y - x> + L/2 ||y - x||^2`` on random pairs."""
    pb = _problem(layout, loss, True, seed=9, sparse=sparse)
    data = _container(pb, centered)
    df = DATAFITS[loss](data)
    rng = np.random.default_rng(10)
    for fit_intercept in (False, True):
        L = df.lipschitz(fit_intercept)
        for W1, b1, W2, b2 in _random_pairs(rng, data, 30, fit_intercept):
            f1, (GW, gb) = df.value(W1, b1), df.gradient(W1, b1)
            d2 = np.sum((W2 - W1) ** 2) + np.sum((b2 - b1) ** 2)
            bound = f1 + np.sum(GW * (W2 - W1)) + np.sum(gb * (b2 - b1)) + 0.5 * L * d2
            assert df.value(W2, b2) <= bound + 1e-12 * abs(f1)
    Lj = df.block_lipschitz()
    for j in range(data.n_features):
        for W1, b1, W2, b2 in _random_pairs(rng, data, 10, False, block=j):
            f1, (GW, _) = df.value(W1, b1), df.gradient(W1, b1)
            bound = f1 + np.sum(GW * (W2 - W1)) + 0.5 * Lj[j] * np.sum((W2 - W1) ** 2)
            assert df.value(W2, b2) <= bound + 1e-12 * abs(f1)


# -- stacked layout with identical designs == shared layout --------------------------------------
def _shared_and_stacked(loss, nan_frac, seed=11):
    """One shared problem and the same problem with each task's observed rows stacked."""
    pb = make_shared(seed, loss=loss, n=12, p=4, n_tasks=3, nan_frac=nan_frac,
                     sample_weight=True, task_weights=True)
    shared = _container(pb, False)
    rows = [np.flatnonzero(shared.C[:, t] > 0) for t in range(shared.n_tasks)]
    X = np.vstack([pb.X[r] for r in rows])
    y = np.concatenate([shared.Y[r, t] for t, r in enumerate(rows)])
    C = np.concatenate([shared.C[r, t] for t, r in enumerate(rows)])
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
    stacked = StackedDesign(X, y, C, offsets)
    return shared, stacked, rows


def _shared_to_stacked(A, rows):
    return np.concatenate([A[r, t] for t, r in enumerate(rows)])


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("nan_frac", [0.0, 0.3])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_stacked_identical_designs_equal_shared(loss, nan_frac, centered):
    shared, stacked, rows = _shared_and_stacked(loss, nan_frac)
    if centered:
        shared.center()
        stacked.center()
        np.testing.assert_allclose(stacked.X_offset, shared.X_offset, rtol=1e-12)
    f_sh, f_st = DATAFITS[loss](shared), DATAFITS[loss](stacked)
    rng = np.random.default_rng(12)
    for _ in range(3):
        W = rng.standard_normal((shared.n_features, shared.n_tasks))
        b = rng.standard_normal(shared.n_tasks)
        assert f_st.value(W, b) == pytest.approx(f_sh.value(W, b), rel=1e-12)
        np.testing.assert_allclose(_shared_to_stacked(shared.linear(W, b), rows),
                                   stacked.linear(W, b), rtol=1e-12, atol=1e-12)
        for g_st, g_sh in zip(f_st.gradient(W, b), f_sh.gradient(W, b)):
            np.testing.assert_allclose(g_st, g_sh, rtol=1e-10, atol=1e-14)
        Z0_sh, Z0_st = shared.linear(W), stacked.linear(W)
        np.testing.assert_allclose(f_st.optimal_intercept(Z0_st), f_sh.optimal_intercept(Z0_sh),
                                   rtol=1e-10, atol=1e-12)
        # the dual objective at the same dual point (theta = -dF/dZ)
        theta_sh = -f_sh.derivative_z(shared.linear(W, b))
        theta_st = -f_st.derivative_z(stacked.linear(W, b))
        np.testing.assert_allclose(theta_st, _shared_to_stacked(theta_sh, rows), rtol=1e-12,
                                   atol=1e-15)
        assert f_st.dual_value(theta_st) == pytest.approx(f_sh.dual_value(theta_sh), rel=1e-12)
    np.testing.assert_allclose(f_st.block_lipschitz(), f_sh.block_lipschitz(), rtol=1e-12)
    for fit_intercept in (False, True):
        assert f_st.lipschitz(fit_intercept) == pytest.approx(f_sh.lipschitz(fit_intercept),
                                                              rel=1e-6)
        assert f_st.null_value(fit_intercept) == pytest.approx(f_sh.null_value(fit_intercept),
                                                               rel=1e-12)


# -- dual objective: -F*(-theta) ----------------------------------------------------------------
def _elementwise(loss, y, c, theta):
    """``inf_z c l(y, z) + theta z`` by 1-D numerical minimisation (the conjugate's definition)."""
    def f(z):
        return c * (0.5 * (y - z) ** 2 if loss == "squared" else np.logaddexp(0.0, -y * z)) \
            + theta * z

    res = minimize_scalar(f, bracket=(-1.0, 1.0), method="brent", tol=1e-12)
    return res.fun


def _tiny_container(layout, loss, seed):
    rng = np.random.default_rng(seed)
    if layout == "shared":
        n, T = 5, 2
        Y = rng.standard_normal((n, T)) if loss == "squared" else rng.choice([-1.0, 1.0], (n, T))
        C = rng.uniform(0.05, 0.5, (n, T))
        C[1, 0] = 0.0  # a missing target: no loss term
        return SharedDesign(rng.standard_normal((n, 3)), Y, C)
    n = 7
    y = rng.standard_normal(n) if loss == "squared" else rng.choice([-1.0, 1.0], n)
    return StackedDesign(rng.standard_normal((n, 3)), y, rng.uniform(0.05, 0.5, n), [0, 3, 7])


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_dual_value_is_negative_conjugate(loss, layout, seed):
    data = _tiny_container(layout, loss, seed)
    df = DATAFITS[loss](data)
    rng = np.random.default_rng(100 + seed)
    C, Y = data.C, data.Y
    if loss == "squared":
        theta = rng.standard_normal(Y.shape) * C
    else:  # the conjugate is finite only for u = theta y / c in [0, 1]
        theta = rng.uniform(0.05, 0.95, Y.shape) * C * Y
    theta = np.where(C > 0, theta, 0.0)
    numeric = sum(_elementwise(loss, Y[k], C[k], theta[k])
                  for k in np.ndindex(Y.shape) if C[k] > 0)
    if loss == "squared":
        closed = np.sum(theta * Y - np.divide(theta ** 2, 2 * C, out=np.zeros_like(C),
                                              where=C > 0))
    else:
        u = np.divide(theta * Y, C, out=np.zeros_like(C), where=C > 0)
        closed = -np.sum(C * (xlogy(u, u) + xlogy(1 - u, 1 - u)))
    assert closed == pytest.approx(numeric, rel=1e-8, abs=1e-10)
    assert df.dual_value(theta) == pytest.approx(closed, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("layout", ["shared", "per_task"])
def test_logistic_dual_value_at_the_ends_of_its_domain(layout):
    """``u in {0, 1}`` gives zero entropy (``0 log 0 = 0``), a finite dual value."""
    data = _tiny_container(layout, "logistic", 0)
    df = Logistic(data)
    for u in (0.0, 1.0):
        theta = u * data.C * data.Y
        assert df.dual_value(theta) == 0.0
    theta = 0.5 * data.C * data.Y
    assert df.dual_value(theta) == pytest.approx(np.log(2) * data.C.sum(), rel=1e-12)


@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_fenchel_young_inequality(layout, loss):
    """``F(Z) >= -<theta, Z> + D(theta)`` for every Z and admissible theta, equality at
    ``theta = -dF/dZ(Z)``."""
    data = _tiny_container(layout, loss, 5)
    df = DATAFITS[loss](data)
    rng = np.random.default_rng(6)
    for _ in range(20):
        Z = 2 * rng.standard_normal(data.Y.shape)
        theta = -df.derivative_z(Z)
        assert df.value_z(Z) == pytest.approx(df.dual_value(theta) - np.sum(theta * Z),
                                              rel=1e-10, abs=1e-12)
        Z2 = 2 * rng.standard_normal(data.Y.shape)
        assert df.value_z(Z2) >= df.dual_value(theta) - np.sum(theta * Z2) - 1e-12


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("features", [None, [4, 0, 2]])
def test_compiled_stacked_products_equal_the_per_task_products(order, dtype, features):
    # Many small tasks take the compiled one-pass products; they must equal the per-task BLAS
    # products (the path of large tasks), an empty task included.
    rng = np.random.default_rng(0)
    offsets = np.array([0, 3, 3, 10, 11, 20])
    n, p, T = 20, 5, 5
    X = np.asarray(rng.standard_normal((n, p)), dtype=dtype, order=order)
    y, C = rng.standard_normal(n).astype(dtype), np.ones(n, dtype=dtype)
    k = p if features is None else len(features)
    W, d = rng.standard_normal((k, T)), rng.standard_normal(n).astype(dtype)
    compiled, blas = StackedDesign(X, y, C, offsets), StackedDesign(X, y, C, offsets)
    assert compiled._compiled
    blas._compiled = False
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(compiled.linear(W, features=features),
                               blas.linear(W, features=features), rtol=rtol, atol=rtol)
    G = compiled.rmatvec(d, features=features)
    np.testing.assert_allclose(G, blas.rmatvec(d, features=features), rtol=rtol, atol=rtol)
    assert np.all(G[:, 1] == 0)  # the empty task
    cols = slice(None) if features is None else features
    np.testing.assert_allclose(G[:, 2], X[3:10][:, cols].T @ d[3:10], rtol=rtol, atol=rtol)
