"""Shared subspace (convex ASO, issue 15): objective, structure step, prox and recovery.

The joint problem (coefficients *and* ``M`` as variables, ``matrix_frac``) is
written here from the docstring and solved by cvxpy; the fits must reach its
minimum, as must the fits with ``solver="cvxpy"`` (each W-step by cvxpy).
"""

import warnings

import cvxpy as cp
import numpy as np
import pytest
from scipy.linalg import subspace_angles
from sklearn.exceptions import ConvergenceWarning

from conftest import datafit, make_per_task, make_shared
from mtlclassic import (RidgeRegressor, SharedSubspaceClassifier, SharedSubspaceRegressor)
from mtlclassic.estimators.shared_subspace import subspace_structure
from mtlclassic.penalties import FeatureQuadratic

CLASSES = {"squared": SharedSubspaceRegressor, "logistic": SharedSubspaceClassifier}
_CLARABEL = dict(solver=cp.CLARABEL, tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)


def penalty(W, M, prm):
    """``lambda_subspace/2 eta (1 + eta) tr(W (eta I + M)^{-1} W^T)``, W (n_tasks, n_features)."""
    eta = prm["lambda_l2"] / prm["lambda_subspace"]
    A = np.linalg.inv(eta * np.eye(W.shape[1]) + M)
    return 0.5 * prm["lambda_subspace"] * eta * (1 + eta) * np.trace(W @ A @ W.T)


def checked_penalty(est, prm):
    M = est.subspace_matrix_
    gamma = np.linalg.eigvalsh(M)
    assert np.allclose(M, M.T) and abs(np.trace(M) - prm["n_components"]) < 1e-9
    assert gamma[0] >= -1e-10 and gamma[-1] <= 1 + 1e-10
    return penalty(est.coef_, M, prm)


def joint_minimum(pb, prm, fit_intercept):
    T, p = pb.n_tasks, pb.blocks[0][0].shape[1]
    W = cp.Variable((T, p))
    b = cp.Variable(T) if fit_intercept else np.zeros(T)
    terms = []
    for t, ((Xt, yt, st), tau) in enumerate(zip(pb.blocks, pb.tau)):
        c = tau * st / np.sum(st)
        z = Xt @ W[t] + b[t]
        terms.append(0.5 * cp.sum(cp.multiply(c, cp.square(yt - z))) if pb.loss == "squared"
                     else cp.sum(cp.multiply(c, cp.logistic(cp.multiply(-yt, z)))))
    eta = prm["lambda_l2"] / prm["lambda_subspace"]
    M = cp.Variable((p, p), symmetric=True)
    pen = (0.5 * prm["lambda_subspace"] * eta * (1 + eta)
           * cp.matrix_frac(W.T, eta * np.eye(p) + M))
    prob = cp.Problem(cp.Minimize(cp.sum(terms) + pen),
                      [M >> 0, np.eye(p) - M >> 0, cp.trace(M) == prm["n_components"]])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        prob.solve(**_CLARABEL)
    assert prob.status in ("optimal", "optimal_inaccurate"), prob.status
    return float(prob.value)


VARIANTS = [dict(), dict(fit_intercept=False, task_weights=True),
            dict(sample_weight=True, nan=True), dict(sample_weight=True, sparse=True),
            dict(task_weights=True, k=1)]
CASES = [(loss, layout, seed) for loss in CLASSES for layout in ("shared", "per_task")
         for seed in range(len(VARIANTS))]


def build(loss, layout, seed):
    v = VARIANTS[seed]
    rng = np.random.default_rng(500 + seed)
    common = dict(loss=loss, p=5, sample_weight=v.get("sample_weight", False),
                  task_weights=v.get("task_weights", False))
    if layout == "shared":
        pb = make_shared(500 + seed, n=40, n_tasks=4, nan_frac=0.15 if v.get("nan") else 0.0,
                         sparse="csc" if v.get("sparse") else None, **common)
    else:
        pb = make_per_task(500 + seed, sizes=(25, 35, 30, 40),
                           sparse="csr" if v.get("sparse") else None, **common)
    prm = dict(n_components=v.get("k", 2), lambda_subspace=float(rng.uniform(0.1, 0.5)),
               lambda_l2=float(rng.uniform(0.005, 0.05)))
    return pb, prm, v.get("fit_intercept", True)


def _fit(pb, prm, fit_intercept, **extra):
    est = CLASSES[pb.loss](task_column=pb.task_column, task_weights=pb.task_weights,
                           fit_intercept=fit_intercept, **prm, **extra)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(pb.X, pb.y, sample_weight=pb.sample_weight)


@pytest.mark.parametrize("case", CASES, ids=[f"{lo}-{la}-{s}" for lo, la, s in CASES])
def test_objective_at_most_the_cvxpy_minimum(case):
    pb, prm, fit_intercept = build(*case)
    ref = joint_minimum(pb, prm, fit_intercept)
    fits = {"default": _fit(pb, prm, fit_intercept, tol=1e-10, max_iter=3000),
            "cvxpy": _fit(pb, prm, fit_intercept, tol=1e-7, max_iter=200, solver="cvxpy")}
    assert fits["cvxpy"].solver_ == "cvxpy"
    objs = {name: datafit(pb, est.coef_, est.intercept_) + checked_penalty(est, prm)
            for name, est in fits.items()}
    # against the fit with solver="cvxpy" (each W-step by cvxpy) ...
    assert objs["default"] <= objs["cvxpy"] + 1e-6 * abs(objs["cvxpy"]), objs
    # ... and against the joint problem posed here
    for name, est in fits.items():
        ours = objs[name]
        excess = (ours - ref) / abs(ref)
        assert excess <= 1e-6, (name, ours, ref, excess)
        assert ours >= ref - 1e-6 * abs(ref)
        assert np.all(np.diff(est.objective_) <= 1e-12 * abs(ours))  # never increases
        assert abs(est.objective_[-1] - ours) <= 1e-9 * abs(ours)
    est = fits["default"]
    # the last W-step's certified gap (FISTA): at its target 0.1 tol |J| (or the few ulps of
    # |J| below which no gap is certified), never negative beyond rounding
    assert abs(est.dual_gap_) <= 1e-10 * abs(est.objective_[-1])
    np.testing.assert_allclose(est.subspace_.T @ est.subspace_, np.eye(prm["n_components"]),
                               atol=1e-10)


@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")
@pytest.mark.parametrize("seed", range(3))
def test_structure_step_is_its_definition(seed):
    rng = np.random.default_rng(seed)
    T, p, k, eta = [(3, 6, 2, 0.1), (5, 4, 1, 0.5), (2, 5, 3, 0.05)][seed]
    W = rng.normal(size=(T, p))
    M = subspace_structure(W, k, eta)
    Mv = cp.Variable((p, p), symmetric=True)
    prob = cp.Problem(cp.Minimize(cp.matrix_frac(W.T, eta * np.eye(p) + Mv)),
                      [Mv >> 0, np.eye(p) - Mv >> 0, cp.trace(Mv) == k])
    prob.solve(**_CLARABEL)
    ours = np.trace(W @ np.linalg.inv(eta * np.eye(p) + M) @ W.T)
    assert ours <= prob.value * (1 + 1e-7)
    gamma = np.linalg.eigvalsh(M)
    assert abs(np.trace(M) - k) < 1e-10 and gamma[0] > -1e-12 and gamma[-1] < 1 + 1e-12


@pytest.mark.parametrize("step", [0.3, 4.0])
def test_feature_quadratic_prox_is_its_definition(step):
    rng = np.random.default_rng(1)
    p, T = 5, 3
    B = rng.normal(size=(p, p))
    A = B @ B.T + 0.1 * np.eye(p)
    d, U = np.linalg.eigh(A)
    pen = FeatureQuadratic((d, U))
    V = rng.normal(size=(p, T))
    P = pen.prox(V, step)
    np.testing.assert_allclose(P, np.linalg.solve(np.eye(p) + step * A, V), atol=1e-12)
    X = cp.Variable((p, T))
    cp.Problem(cp.Minimize(0.5 / step * cp.sum_squares(X - V) + pen.cvxpy_expr(X))).solve(
        **_CLARABEL)
    np.testing.assert_allclose(P, X.value, atol=1e-6)
    assert pen.value(P) == pytest.approx(0.5 * np.trace(P.T @ A @ P), rel=1e-12)
    # conjugate: 1/2 tr(V^T A^{-1} V), and Fenchel-Young is tight at V = A P
    assert pen.conjugate(V) == pytest.approx(0.5 * np.trace(V.T @ np.linalg.solve(A, V)),
                                             rel=1e-10)


def test_recovers_a_planted_subspace():
    """Tasks whose models lie in a planted 2-dimensional subspace: principal angles < 10 deg."""
    rng = np.random.default_rng(0)
    n, p, T, k = 100, 12, 15, 2
    X = rng.normal(size=(n, p))
    theta = np.linalg.qr(rng.normal(size=(p, k)))[0]
    W = (theta @ rng.normal(size=(k, T))).T
    Y = X @ W.T + 0.5 * rng.normal(size=(n, T))
    est = SharedSubspaceRegressor(n_components=k, lambda_subspace=1.0, lambda_l2=0.01).fit(X, Y)
    angles = np.degrees(subspace_angles(est.subspace_, theta))
    assert angles.max() < 10, angles  # measured: 3.0 (seeds 0-4 of this problem: 1.6 to 3.2)


def test_at_most_n_components_tasks_is_ridge_and_bad_n_components():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 6)), rng.normal(size=(40, 2))
    est = SharedSubspaceRegressor(n_components=2, lambda_l2=0.1, tol=1e-10).fit(X, Y)
    ridge = RidgeRegressor(alpha=0.1, tol=1e-12).fit(X, Y)
    np.testing.assert_allclose(est.coef_, ridge.coef_, atol=1e-7)
    with pytest.raises(ValueError, match="n_components=7 is larger than the number of features"):
        SharedSubspaceRegressor(n_components=7).fit(X, Y)
    with pytest.raises(ValueError, match="n_components must be an int >= 1"):
        SharedSubspaceRegressor(n_components=0).fit(X, Y)


def test_warm_start_continues_from_the_fitted_subspace():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(60, 6)), rng.normal(size=(60, 5))
    cold = SharedSubspaceRegressor(tol=1e-8).fit(X, Y)
    warm = SharedSubspaceRegressor(tol=1e-8, warm_start=True).fit(X, Y)
    n_first = warm.n_iter_
    warm.fit(X, Y)
    assert warm.n_iter_ < n_first
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-4)


@pytest.mark.filterwarnings("ignore:Solution may be inaccurate")
def test_malsar_least_caso_correspondence():
    """docs/malsar.md: ``Least_CASO(rho1, rho2, k)`` is ``SharedSubspaceRegressor(n_components=k,
    lambda_subspace=2 rho1, lambda_l2=2 rho2, task_weights=n_t, fit_intercept=False)``; MALSAR's
    ``sum_t 1/2 ||y_t - X_t w_t||^2 + rho1 eta (1 + eta) tr(W (eta I + M)^{-1} W^T)`` posed here."""
    rng = np.random.default_rng(7)
    sizes, p, k, rho1, rho2 = (20, 30, 25), 5, 2, 3.0, 0.5
    Xs = [rng.standard_normal((n, p)) for n in sizes]
    ys = [Xt @ rng.standard_normal(p) + 0.3 * rng.standard_normal(len(Xt)) for Xt in Xs]
    T, eta = len(sizes), rho2 / rho1
    W = cp.Variable((T, p))
    M = cp.Variable((p, p), symmetric=True)
    loss = sum(0.5 * cp.sum_squares(yt - Xt @ W[t]) for t, (Xt, yt) in enumerate(zip(Xs, ys)))
    pen = rho1 * eta * (1 + eta) * cp.matrix_frac(W.T, eta * np.eye(p) + M)
    prob = cp.Problem(cp.Minimize(loss + pen), [M >> 0, np.eye(p) - M >> 0, cp.trace(M) == k])
    prob.solve(**_CLARABEL)
    X = np.vstack([np.column_stack([Xt, np.full(len(Xt), t)]) for t, Xt in enumerate(Xs)])
    est = SharedSubspaceRegressor(n_components=k, lambda_subspace=2 * rho1, lambda_l2=2 * rho2,
                                  task_column=-1, task_weights=np.array(sizes, float),
                                  fit_intercept=False, tol=1e-12, max_iter=5000)
    est.fit(X, np.concatenate(ys))
    np.testing.assert_allclose(est.coef_, W.value, atol=1e-4)
    ours = (sum(0.5 * np.sum((yt - Xt @ w) ** 2) for Xt, yt, w in zip(Xs, ys, est.coef_))
            + rho1 * eta * (1 + eta) * np.trace(
                est.coef_ @ np.linalg.inv(eta * np.eye(p) + est.subspace_matrix_) @ est.coef_.T))
    assert ours <= prob.value * (1 + 1e-6)
