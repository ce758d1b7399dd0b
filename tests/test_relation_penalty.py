"""The task-relationship penalty ``alpha ||W||_1 + 1/2 tr(W M W^T)`` against its definition.

Expected answers come from cvxpy problems written here from the formula (not
through the package's ``cvxpy_expr``), so the tests can fail: the prox, the
conjugate's supremum, the value; then Fenchel-Young, the dual rescaling for a
singular ``M``, and a full fit (FISTA, duality gap) against the cvxpy solver.
"""

import cvxpy as cp
import numpy as np
import pytest

from mtlclassic.estimators._base import MultiTaskLinearModel, MultiTaskRegressorMixin
from mtlclassic.penalties import TaskQuadratic

_CLARABEL = dict(solver=cp.CLARABEL, tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)


def _psd(T, rng, rank=None):
    A = rng.normal(size=(T, rank or T))
    return A @ A.T / T


def _laplacian(T, rng, groups=1):
    """Laplacian of a random graph with ``groups`` connected components (chains plus extra edges)."""
    adj = np.zeros((T, T))
    parts = np.array_split(rng.permutation(T), groups)
    for part in parts:
        for a, b in zip(part[:-1], part[1:]):
            adj[a, b] = adj[b, a] = rng.uniform(0.5, 2.0)
        if len(part) > 2:
            a, b = part[0], part[-1]
            adj[a, b] = adj[b, a] = 1.0
    return np.diag(adj.sum(axis=1)) - adj


def _matrices(T, rng):
    return {"pd": _psd(T, rng) + 0.1 * np.eye(T), "lowrank_l2": _psd(T, rng, rank=2),
            "laplacian": _laplacian(T, rng), "laplacian2": _laplacian(T, rng, groups=2),
            "mean": 2.0 * (np.eye(T) - np.ones((T, T)) / T)}


def _h(W, M, alpha, l2):  # the penalty written out, numpy only
    return alpha * np.abs(W).sum() + 0.5 * np.trace(W @ M @ W.T) + 0.5 * l2 * (W ** 2).sum()


def _h_cvx(U, M, alpha, l2):
    w, Q = np.linalg.eigh(M)
    R = Q * np.sqrt(np.maximum(w, 0))
    return alpha * cp.sum(cp.abs(U)) + 0.5 * cp.sum_squares(U @ R) + 0.5 * l2 * cp.sum_squares(U)


CASES = [(name, alpha, l2) for name in ("pd", "lowrank_l2", "laplacian", "laplacian2", "mean")
         for alpha in (0.0, 0.3) for l2 in (0.0, 0.4)
         # singular M with neither alpha nor l2 is refused (tested below)
         if not (name != "pd" and alpha == 0 and l2 == 0)
         and not (name == "lowrank_l2" and l2 == 0)]


@pytest.mark.parametrize("name,alpha,l2", CASES)
@pytest.mark.parametrize("step", [0.05, 1.0, 7.0])
def test_prox_matches_definition(name, alpha, l2, step):
    rng = np.random.default_rng(0)
    T, p = 6, 5
    M = _matrices(T, rng)[name]
    pen = TaskQuadratic(M, alpha=alpha, l2_reg=l2)
    V = rng.normal(size=(p, T))
    U = cp.Variable((p, T))
    cp.Problem(cp.Minimize(cp.sum_squares(U - V) / (2 * step) + _h_cvx(U, M, alpha, l2))).solve(
        **_CLARABEL)
    got = pen.prox(V, step)
    obj = lambda Z: ((Z - V) ** 2).sum() / (2 * step) + _h(Z, M, alpha, l2)  # noqa: E731
    assert obj(got) <= obj(U.value) + 1e-9 * max(1.0, abs(obj(U.value)))
    np.testing.assert_allclose(got, U.value, atol=1e-5)


@pytest.mark.parametrize("name,alpha,l2", CASES)
def test_value_and_cvxpy_expr(name, alpha, l2):
    rng = np.random.default_rng(1)
    M = _matrices(5, rng)[name]
    pen = TaskQuadratic(M, alpha=alpha, l2_reg=l2)
    W = rng.normal(size=(4, 5))
    assert pen.value(W) == pytest.approx(_h(W, M, alpha, l2), rel=1e-12)
    U = cp.Variable((4, 5))
    U.value = W
    assert pen.cvxpy_expr(U).value == pytest.approx(_h(W, M, alpha, l2), rel=1e-9)


@pytest.mark.parametrize("name,alpha,l2", CASES)
def test_conjugate_is_the_supremum(name, alpha, l2):
    """``h^*(sV) = sup_U <sV, U> - h(U)`` at the rescaled (feasible) point ``sV``."""
    rng = np.random.default_rng(2)
    T, p = 6, 4
    M = _matrices(T, rng)[name]
    pen = TaskQuadratic(M, alpha=alpha, l2_reg=l2)
    V = 3.0 * rng.normal(size=(p, T))
    s = pen.dual_scale(V)
    assert 0 < s <= 1
    if pen.dual_norm(V) > alpha > 0 and not l2:
        assert s < 1  # a singular M's null directions do need rescaling here
    Vs = s * V
    U = cp.Variable((p, T))
    prob = cp.Problem(cp.Maximize(cp.sum(cp.multiply(Vs, U)) - _h_cvx(U, M, alpha, l2)))
    prob.solve(**_CLARABEL)
    assert pen.conjugate(Vs) == pytest.approx(prob.value, rel=1e-6, abs=1e-8)
    # Fenchel-Young at random W
    for _ in range(3):
        W = rng.normal(size=(p, T))
        assert _h(W, M, alpha, l2) + pen.conjugate(Vs) >= np.sum(W * Vs) - 1e-9


@pytest.mark.parametrize("name,alpha,l2", [c for c in CASES if c[1] > 0])
def test_conjugate_upper_bound_with_rough_inner_solves(name, alpha, l2):
    """With one coordinate-descent sweep from a poor start, the conjugate is still an upper
    bound on the supremum (so a duality gap built on it is never too small); solved to
    convergence from there, it is the supremum."""
    rng = np.random.default_rng(5)
    T, p = 6, 4
    M = _matrices(T, rng)[name]
    pen = TaskQuadratic(M, alpha=alpha, l2_reg=l2, conjugate_sweeps=1)
    V = 3.0 * rng.normal(size=(p, T))
    Vs = pen.dual_scale(V) * V
    U = cp.Variable((p, T))
    prob = cp.Problem(cp.Maximize(cp.sum(cp.multiply(Vs, U)) - _h_cvx(U, M, alpha, l2)))
    prob.solve(**_CLARABEL)
    pen._last_prox = 5.0 * rng.normal(size=(p, T))  # a bad hint from "the solver"
    rough = pen.conjugate(Vs)
    assert rough >= prob.value - 1e-8 * max(1.0, abs(prob.value))
    pen._last_prox, pen.conjugate_sweeps = None, 100000
    tight = pen.conjugate(Vs)  # warm-started from the rough maximiser, solved to convergence
    assert rough >= tight >= prob.value - 1e-8 * max(1.0, abs(prob.value))
    assert tight == pytest.approx(prob.value, rel=1e-6, abs=1e-8)


def test_singular_without_l1_or_l2_is_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="singular"):
        TaskQuadratic(_laplacian(5, rng))
    with pytest.raises(ValueError, match="l2_reg > 0"):  # null space not made of task groups
        TaskQuadratic(_psd(5, rng, rank=2), alpha=0.1)


@pytest.mark.parametrize("M,match", [(np.ones((3, 4)), "square"), (np.array([[1.0, 2], [0, 1]]), "symmetric"),
                                     (-np.eye(3), "semidefinite"), (np.full((2, 2), np.nan), "finite")])
def test_bad_matrix(M, match):
    with pytest.raises(ValueError, match=match):
        TaskQuadratic(M, alpha=1.0)


def test_negative_alpha_refused():
    with pytest.raises(ValueError, match="alpha"):
        TaskQuadratic(np.eye(3), alpha=-1.0)


class _QuadModel(MultiTaskRegressorMixin, MultiTaskLinearModel):
    """A bare estimator on the penalty, to solve it through the package's solvers."""

    def __init__(self, M=None, alpha=0.0, l2_reg=0.0, *, fit_intercept=True, task_column=None,
                 task_weights=None, tol=1e-4, max_iter=1000, warm_start=False, solver="auto",
                 verbose=0):
        for k, v in locals().items():
            if k not in ("self", "__class__"):
                setattr(self, k, v)

    _loss = "squared"

    def _make_penalty(self, n_features, n_tasks):
        return TaskQuadratic(self.M, alpha=self.alpha, l2_reg=self.l2_reg)


@pytest.mark.parametrize("name,alpha,l2", [("pd", 0.0, 0.0), ("laplacian", 0.05, 0.0),
                                           ("laplacian2", 0.02, 0.0), ("mean", 0.0, 0.1)])
def test_fista_matches_cvxpy(name, alpha, l2):
    rng = np.random.default_rng(3)
    n, p, T = 30, 8, 5
    M = _matrices(T, rng)[name]
    X = rng.normal(size=(n, p))
    Y = X @ rng.normal(size=(p, T)) + rng.normal(size=(n, T))
    fits = {s: _QuadModel(M, alpha, l2, solver=s, tol=1e-10, max_iter=100000).fit(X, Y)
            for s in ("fista", "cvxpy")}

    def objective(est):
        R = Y - X @ est.coef_.T - est.intercept_
        return 0.5 * np.mean(R ** 2, axis=0).sum() + _h(est.coef_.T, M, alpha, l2)

    f, c = objective(fits["fista"]), objective(fits["cvxpy"])
    assert f <= c + 1e-7 * abs(c)
    assert fits["fista"].dual_gap_ <= 1e-10 * 0.5 * np.var(Y, axis=0).sum() * 1.0001


@pytest.mark.parametrize("c", [1e-20, 1.0, 1e100])
def test_null_space_is_judged_relative_to_m(c):
    """A Laplacian times ``c`` has the same null space (its components) at every ``c``: the
    judgement is relative to ``max |M|`` (it used to be relative to ``max(max |M|, 1)``, so
    ``c = 1e-20`` made every direction null)."""
    rng = np.random.default_rng(7)
    L = _laplacian(6, rng, groups=2)
    pen = TaskQuadratic(c * L, alpha=0.3 * c)
    ref = TaskQuadratic(L, alpha=0.3)
    assert [g.tolist() for g in pen._groups] == [g.tolist() for g in ref._groups]
    assert len(pen._groups) == 2 and pen._null.sum() == 2
    V = rng.normal(size=(4, 6))
    # pen = c ref, so prox_{s pen} = prox_{c s ref}
    np.testing.assert_allclose(pen.prox(V, 1 / c), ref.prox(V, 1.0), rtol=1e-9, atol=1e-12)


def test_spectrum_is_m():
    """``spectrum=(d, U)`` is the penalty of ``U diag(d) U^T``, and keeps eigenvalues far
    below ``1e-10 max d`` (a relative rounding test on ``M`` would zero them)."""
    rng = np.random.default_rng(8)
    T, p = 5, 4
    U, _ = np.linalg.qr(rng.normal(size=(T, T)))
    d = np.array([1e-14, 1e-3, 0.5, 1.0, 2.0])
    M = (U * d) @ U.T
    pen = TaskQuadratic(None, alpha=0.2, spectrum=(d, U))
    assert not pen._null.any() and pen._d[0] == 1e-14
    W = rng.normal(size=(p, T))
    assert pen.value(W) == pytest.approx(_h(W, M, 0.2, 0.0), rel=1e-12)
    d2 = np.array([0.01, 1e-3, 0.5, 1.0, 2.0])  # well conditioned: M's own decomposition agrees
    np.testing.assert_allclose(TaskQuadratic(None, alpha=0.2, spectrum=(d2, U)).prox(W, 0.7),
                               TaskQuadratic((U * d2) @ U.T, alpha=0.2).prox(W, 0.7), atol=1e-10)
    with pytest.raises(ValueError, match="spectrum"):
        TaskQuadratic(None, spectrum=(-d, U))


def test_mean_regularised_far_apart_strengths_is_the_pooled_model():
    """``lambda_mean = 1e100`` with ``lambda_l2 = 1``: every task at the mean, the mean
    penalised by ``T lambda_l2 / 2 ||w||^2`` -- the pooled model with ``alpha = T``. With
    ``lambda_l2`` folded into ``M`` (condition 1e100) the mean was lost to rounding."""
    from mtlclassic import MeanRegularizedRegressor, PooledRegressor

    rng = np.random.default_rng(9)
    X = rng.normal(size=(60, 4))
    Y = X @ rng.normal(size=(4, 3)) + 0.1 * rng.normal(size=(60, 3))
    mean = MeanRegularizedRegressor(lambda_mean=1e100, lambda_l2=1.0, tol=1e-10).fit(X, Y)
    pooled = PooledRegressor(alpha=3.0, tol=1e-10).fit(X, Y)
    np.testing.assert_allclose(mean.coef_, pooled.coef_, rtol=1e-6, atol=1e-9)
