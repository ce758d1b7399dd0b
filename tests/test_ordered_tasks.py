"""Models of tasks in an order (time points): the temporal and fused sparse group lassos (issue 15).

Specifications checked against oracles the package does not supply:

- the row proxes of the penalties against their definitions (cvxpy); the
  1-D total-variation prox also against its optimality conditions on long
  inputs; the fused norm's prox and the projection on its dual ball (cvxpy)
  sum to the identity (Moreau), its dual scaling and per-row dual norms
  against the gauge of that ball (cvxpy); the temporal penalty's conjugate
  against ``sup_W <V, W> - h(W)`` (cvxpy) and the Fenchel-Young equality at
  the prox (``h(P) + h^*(V - P) = <P, V - P>``, ``P = prox_h(V)``: the
  conjugate's argument is a subgradient there); the DCT-II spectrum against
  ``eigh`` of the permuted path Laplacian;
- the fitted objective, written here from the docstring's formula with
  numpy, at most ``1e-6`` relatively above both ``solver="cvxpy"`` and a
  cvxpy model written here from the same formula, on 5 random problems per
  estimator x loss x layout (sample weights, task weights, NaN targets,
  ``l2_reg``, no intercept, sparse designs mixed in); the duality gap
  certifies it (also for fits stopped after one or three iterations);
- recovery: on coefficients drifting smoothly over time, the temporal group
  lasso's error is below the group lasso's; on piecewise-constant
  coefficients the fused model finds the planted change points;
- properties (hypothesis): nonexpansive prox, ``prox(0) = 0``, identity at
  ``step = 0``, Fenchel-Young at the prox, ``dual_scale`` lands in the
  domain, screening never drops a feature that is nonzero in the prox;
- ``task_order``: a permutation of the tasks with the same permutation of
  the order gives the same model; bad orders are one-line ValueErrors.
"""

import warnings

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from conftest import best_intercepts, make_per_task, make_shared
import mtlclassic as m
from mtlclassic.penalties import FusedSparseGroup, TemporalL21
from mtlclassic.penalties._ordered import path_laplacian_spectrum
from mtlclassic.penalties._ordered_kernels import tv1d_prox

RTOL_OBJ = 1e-6
TOL = 1e-8
_CLARABEL = dict(solver=cp.CLARABEL, tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)


def _solve(problem):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        problem.solve(**_CLARABEL)
    assert problem.status in ("optimal", "optimal_inaccurate"), problem.status
    return problem.value


# -- the penalty, written from the docstring: W of shape (n_tasks, n_features) -------------
def temporal_value(W, prm, order):
    """The docstring's penalty (``W`` as ``coef_``)::

        lambda_smooth / 2 sum_i ||W[o_i] - W[o_{i+1}]||^2 + alpha sum_j ||W[:, j]|| + l2 / 2 ||W||^2
    """
    Wo = W[order]
    return (0.5 * prm["lambda_smooth"] * float(np.sum((Wo[1:] - Wo[:-1]) ** 2))
            + prm["alpha"] * float(np.sum(np.sqrt(np.sum(W ** 2, axis=0))))
            + 0.5 * prm["l2_reg"] * float(np.sum(W ** 2)))


def temporal_cvx(W, prm, order):
    Wo = W[order, :] if W.shape[0] > 1 else W
    smooth = cp.sum_squares(Wo[1:] - Wo[:-1]) if W.shape[0] > 1 else 0.0
    return (0.5 * prm["lambda_smooth"] * smooth + prm["alpha"] * cp.sum(cp.norm(W, 2, axis=0))
            + 0.5 * prm["l2_reg"] * cp.sum_squares(W))


def fused_value(W, prm, order):
    """The docstring's penalty (``W`` as ``coef_``)::

        alpha (r ||W||_1 + (1 - r) sum_j ||W[:, j]||) + alpha_fused sum_i ||W[o_i] - W[o_{i+1}]||_1
        + l2 / 2 ||W||^2
    """
    r, Wo = prm["l1_ratio"], W[order]
    return (prm["alpha"] * (r * float(np.sum(np.abs(W)))
                            + (1 - r) * float(np.sum(np.sqrt(np.sum(W ** 2, axis=0)))))
            + prm["alpha_fused"] * float(np.sum(np.abs(Wo[1:] - Wo[:-1])))
            + 0.5 * prm["l2_reg"] * float(np.sum(W ** 2)))


def fused_cvx(W, prm, order):
    r = prm["l1_ratio"]
    Wo = W[order, :] if W.shape[0] > 1 else W
    fused = cp.sum(cp.abs(Wo[1:] - Wo[:-1])) if W.shape[0] > 1 else 0.0
    return (prm["alpha"] * (r * cp.sum(cp.abs(W)) + (1 - r) * cp.sum(cp.norm(W, 2, axis=0)))
            + prm["alpha_fused"] * fused + 0.5 * prm["l2_reg"] * cp.sum_squares(W))


# -- the penalty objects: prox, conjugate, spectrum -------------------------------------------
def _random_temporal(rng, T, l2=None):
    order = rng.permutation(T)
    l2 = float(rng.choice([0.0, 0.3])) if l2 is None else l2
    return TemporalL21(float(rng.uniform(0.1, 2.0)), float(rng.uniform(0.0, 3.0)), order, l2)


@pytest.mark.parametrize("T", [1, 2, 5, 8])
def test_path_laplacian_spectrum_is_the_dct(T):
    order = np.random.default_rng(T).permutation(T)
    mu, Q = path_laplacian_spectrum(order)
    D = np.zeros((max(T - 1, 0), T))
    for i in range(T - 1):
        D[i, order[i]], D[i, order[i + 1]] = -1.0, 1.0
    L = D.T @ D
    np.testing.assert_allclose(Q.T @ Q, np.eye(T), atol=1e-13)
    np.testing.assert_allclose((Q * mu) @ Q.T, L, atol=1e-13)
    assert mu[0] == 0.0


def test_temporal_prox_against_its_definition():
    rng = np.random.default_rng(0)
    for _ in range(12):
        T = int(rng.integers(1, 7))
        pen = _random_temporal(rng, T)
        V = 2.0 * rng.normal(size=(3, T))
        step = float(rng.uniform(0.2, 2.0))
        P = pen.prox(V, step)
        U = cp.Variable((3, T))
        ref = _solve(cp.Problem(cp.Minimize(cp.sum_squares(U - V) / (2 * step)
                                            + temporal_cvx(U.T, _prm(pen), pen.order))))
        ours = np.sum((P - V) ** 2) / (2 * step) + temporal_value(P.T, _prm(pen), pen.order)
        assert ours <= ref + 1e-9 * max(1.0, abs(ref)), (ours, ref)
        np.testing.assert_allclose(P, U.value, atol=1e-4)  # cvxpy to its own accuracy
    # A row below the threshold of the group term is zero whatever the smoothing.
    pen = TemporalL21(1.0, 5.0, [1, 0, 2])
    np.testing.assert_array_equal(pen.prox(np.array([[0.3, -0.2, 0.1]]), 1.0), 0.0)


def _prm(pen):
    return {"alpha": pen.alpha, "lambda_smooth": pen.lambda_smooth, "l2_reg": pen.l2_reg}


def test_temporal_conjugate_against_its_definition_and_fenchel_young():
    rng = np.random.default_rng(1)
    for _ in range(12):
        T = int(rng.integers(2, 7))
        pen = _random_temporal(rng, T)
        V = 2.0 * rng.normal(size=(3, T))
        V = V * min(0.97 * pen.dual_scale(V), 1.0)  # inside the domain (sup attained)
        U = cp.Variable((3, T))
        ref = _solve(cp.Problem(cp.Maximize(cp.sum(cp.multiply(V, U))
                                            - temporal_cvx(U.T, _prm(pen), pen.order))))
        assert abs(pen.conjugate(V) - ref) <= 1e-6 * max(1.0, abs(ref)), (pen.conjugate(V), ref)
        # Fenchel-Young at the prox: V - P is a subgradient of h at P = prox_h(V).
        P = pen.prox(V, 1.0)
        lhs = pen.value(P) + pen.conjugate(V - P)
        assert abs(lhs - np.sum(P * (V - P))) <= 1e-9 * max(1.0, abs(lhs))


def test_temporal_dual_scale_is_the_domain():
    # Without l2_reg the conjugate is finite iff each row's mean direction is within alpha.
    pen = TemporalL21(0.5, 2.0, [0, 1, 2, 3])
    V = np.array([[1.0, 1.0, 1.0, 1.0], [0.1, -0.1, 0.2, -0.2]])
    s = pen.dual_scale(V)
    assert s == pytest.approx(0.5 / 2.0)  # |sum| / sqrt(T) = 2
    assert TemporalL21(0.5, 2.0, [0, 1, 2, 3], l2_reg=0.1).dual_scale(V) == 1.0
    assert np.isfinite(pen.conjugate(s * V))


# -- the objective against cvxpy ------------------------------------------------------------
VARIANTS = [
    dict(),
    dict(fit_intercept=False, task_weights=True),
    dict(sample_weight=True, nan=True, l2=True),
    dict(sample_weight=True, task_weights=True, sparse=True),
    dict(fit_intercept=False, sample_weight=True, nan=True, l2=True),
]
LOSSES = ("squared", "logistic")
LAYOUTS = ("shared", "per_task")
MODELS = {"temporal": (m.TemporalGroupLassoRegressor, m.TemporalGroupLassoClassifier),
          "fused": (m.FusedSparseGroupLassoRegressor, m.FusedSparseGroupLassoClassifier)}


def build(model, loss, layout, seed):
    """A small random problem, the estimator's parameters and the task order."""
    v = VARIANTS[seed]
    data_seed = 7000 + 100 * list(MODELS).index(model) + 10 * (2 * LOSSES.index(loss)
                                                               + LAYOUTS.index(layout)) + seed
    rng = np.random.default_rng(data_seed)
    T, p = int(rng.integers(3, 6)), int(rng.integers(5, 9))
    common = dict(loss=loss, p=p, sample_weight=v.get("sample_weight", False),
                  task_weights=v.get("task_weights", False))
    if layout == "shared":
        pb = make_shared(data_seed, n=int(rng.integers(30, 45)), n_tasks=T,
                         nan_frac=0.15 if v.get("nan") else 0.0,
                         sparse="csc" if v.get("sparse") else None, **common)
    else:
        sizes = tuple(int(s) for s in rng.choice(np.arange(25, 45), size=T, replace=False))
        pb = make_per_task(data_seed, sizes=sizes, sparse="csr" if v.get("sparse") else None,
                           **common)
    fit_intercept = v.get("fit_intercept", True)
    order = rng.permutation(T)
    top = m.alpha_max(pb.X, pb.y, loss=loss, task_column=pb.task_column,
                      fit_intercept=fit_intercept, task_weights=pb.task_weights,
                      sample_weight=pb.sample_weight)
    params = dict(alpha=float(rng.uniform(0.05, 0.4)) * top,
                  l2_reg=float(rng.uniform(0.01, 0.2)) if v.get("l2") else 0.0,
                  fit_intercept=fit_intercept, task_order=order)
    if model == "temporal":
        params["lambda_smooth"] = float(10 ** rng.uniform(-1, 1))
    else:
        params.update(l1_ratio=float(rng.uniform(0.1, 0.9)),
                      alpha_fused=float(rng.uniform(0.02, 0.3)) * top)
    return pb, params, order


def datafit(problem, coef, intercept):
    """``sum_t tau_t / (sum_{i in t} s_i) sum_{i in t} s_i l(y_i, x_i . w_t + b_t)``."""
    total = 0.0
    for (Xt, yt, st), tau, w, b in zip(problem.blocks, problem.tau, coef, intercept):
        z = Xt @ w + b
        loss = 0.5 * (yt - z) ** 2 if problem.loss == "squared" else np.logaddexp(0.0, -yt * z)
        total += tau / np.sum(st) * np.sum(st * loss)
    return float(total)


def objective(problem, params, order, coef, intercept, penalty=temporal_value):
    return datafit(problem, coef, intercept) + penalty(np.asarray(coef), params, order)


def independent_cvxpy(problem, params, order, penalty=temporal_cvx):
    """The documented problem posed to cvxpy here: ``(coef, intercept)``."""
    T, p = problem.n_tasks, problem.blocks[0][0].shape[1]
    W = cp.Variable((T, p))
    b = cp.Variable(T) if params["fit_intercept"] else np.zeros(T)
    terms = []
    for t, ((Xt, yt, st), tau) in enumerate(zip(problem.blocks, problem.tau)):
        c = tau * st / np.sum(st)
        z = Xt @ W[t] + b[t]
        terms.append(0.5 * cp.sum(cp.multiply(c, cp.square(yt - z))) if problem.loss == "squared"
                     else cp.sum(cp.multiply(c, cp.logistic(cp.multiply(-yt, z)))))
    _solve(cp.Problem(cp.Minimize(cp.sum(terms) + penalty(W, params, order))))
    return np.asarray(W.value), np.asarray(b.value if params["fit_intercept"] else b)


def fit(cls, problem, params, **extra):
    est = cls(task_column=problem.task_column, task_weights=problem.task_weights, **params,
              **extra)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(problem.X, problem.y, sample_weight=problem.sample_weight)


CASES = [(model, loss, layout, seed) for model in MODELS for loss in LOSSES
         for layout in LAYOUTS for seed in range(len(VARIANTS))]


def check_against_cvxpy(case, value, cvx):
    model, loss, layout, seed = case
    cls = MODELS[model][LOSSES.index(loss)]
    pb, params, order = build(model, loss, layout, seed)
    ours = fit(cls, pb, params, tol=TOL, max_iter=100_000)
    ref = fit(cls, pb, params, solver="cvxpy")
    assert ref.solver_ == "cvxpy" and np.any(ours.coef_ != 0)
    obj = objective(pb, params, order, ours.coef_, ours.intercept_, value)
    refs = {"solver='cvxpy'": objective(pb, params, order, ref.coef_, ref.intercept_, value),
            "cvxpy here": objective(pb, params, order, *independent_cvxpy(pb, params, order, cvx),
                                    penalty=value)}
    for name, obj_ref in refs.items():
        assert (obj - obj_ref) / abs(obj_ref) <= RTOL_OBJ, (name, obj, obj_ref, ours.solver_)
    # The reported gap certifies tol, relative to the objective at W = 0 computed here.
    T, p = pb.n_tasks, pb.blocks[0][0].shape[1]
    b0 = best_intercepts(pb) if params["fit_intercept"] else np.zeros(T)
    null = datafit(pb, np.zeros((T, p)), b0)
    assert 0 <= ours.dual_gap_ <= TOL * null * (1 + 1e-9) + 1e-14, (ours.dual_gap_, null)
    np.testing.assert_array_equal(ours.task_order_, ours.tasks_[order])
    # Stopped early, the gap still bounds the suboptimality (a wrong conjugate or an
    # infeasible dual point would make it smaller).
    if seed == 2:
        best = min(refs.values())
        for max_iter in (1, 3):
            early = fit(cls, pb, params, tol=1e-14, max_iter=max_iter)
            excess = objective(pb, params, order, early.coef_, early.intercept_, value) - best
            assert early.dual_gap_ >= 0 and excess <= early.dual_gap_ + 1e-8 * abs(best)


@pytest.mark.parametrize("case", [c for c in CASES if c[0] == "temporal"],
                         ids=lambda c: "-".join(map(str, c)))
def test_temporal_objective_at_most_cvxpy(case):
    check_against_cvxpy(case, temporal_value, temporal_cvx)


@pytest.mark.parametrize("case", [c for c in CASES if c[0] == "fused"],
                         ids=lambda c: "-".join(map(str, c)))
def test_fused_objective_at_most_cvxpy(case):
    check_against_cvxpy(case, fused_value, fused_cvx)


@pytest.mark.parametrize("solver", ["fista", "working_set"])
def test_temporal_solvers_agree(solver):
    pb, params, order = build("temporal", "squared", "shared", 2)
    objs = [objective(pb, params, order, e.coef_, e.intercept_)
            for e in (fit(m.TemporalGroupLassoRegressor, pb, params, tol=TOL, solver=s,
                          max_iter=100_000) for s in ("bcd", solver))]
    assert abs(objs[0] - objs[1]) <= RTOL_OBJ * abs(objs[0])
    pb, params, order = build("fused", "logistic", "per_task", 2)
    objs = [objective(pb, params, order, e.coef_, e.intercept_, fused_value)
            for e in (fit(m.FusedSparseGroupLassoClassifier, pb, params, tol=TOL, solver=s,
                          max_iter=100_000) for s in ("prox_newton", solver))]
    assert abs(objs[0] - objs[1]) <= RTOL_OBJ * abs(objs[0])


# -- recovery and the task order -------------------------------------------------------------
def test_temporal_beats_group_lasso_on_drifting_coefficients():
    """Coefficients drifting smoothly over 8 time points, few rows per time point."""
    rng = np.random.default_rng(3)
    T, p, n = 8, 30, 25
    W = np.zeros((T, p))
    W[:, :6] = rng.normal(size=6) + np.cumsum(0.15 * rng.normal(size=(T, 6)), axis=0)
    X = rng.normal(size=(n, p))
    Y = X @ W.T + 1.0 * rng.normal(size=(n, T))
    errors = {}
    for name, path in (("group lasso", m.group_lasso_path),
                       ("temporal", lambda *a, **k: m.temporal_group_lasso_path(
                           *a, lambda_smooth=5.0, **k))):
        res = path(X, Y, n_alphas=12, eps=1e-2, tol=1e-6)
        errors[name] = min(np.linalg.norm(c - W) for c in res.coefs)
    assert errors["temporal"] < 0.85 * errors["group lasso"], errors  # measured: 1.35 vs 1.76


def test_task_order_permutes_with_the_tasks():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 6))
    Y = X @ np.cumsum(rng.normal(size=(4, 6)), axis=0).T + rng.normal(size=(40, 4))
    perm = np.array([2, 0, 3, 1])
    a = m.TemporalGroupLassoRegressor(0.05, lambda_smooth=3.0, tol=1e-10).fit(X, Y)
    # Column k of Y[:, perm] is task perm[k]: the temporal order 0, 1, 2, 3 is the
    # positions of 0, 1, 2, 3 in perm.
    b = m.TemporalGroupLassoRegressor(0.05, lambda_smooth=3.0, tol=1e-10,
                                      task_order=np.argsort(perm)).fit(X, Y[:, perm])
    np.testing.assert_allclose(b.coef_, a.coef_[perm], atol=1e-7)
    # Per-task layout with string labels: the order names the labels.
    task = np.repeat(np.array(["v3", "v1", "v2", "v0"]), 10)
    Xt = np.column_stack([X, task]).astype(object)
    y = Y[np.arange(40), np.repeat(np.arange(4), 10)]
    est = m.TemporalGroupLassoRegressor(0.05, task_order=["v0", "v1", "v2", "v3"],
                                        task_column=-1).fit(Xt, y)
    np.testing.assert_array_equal(est.task_order_, ["v0", "v1", "v2", "v3"])


@pytest.mark.parametrize("order, match", [([0, 1, 1], "exactly once"), ([0, 1], "exactly once"),
                                          ([0, 1, 5], "unknown")])
def test_bad_task_order(order, match):
    X, Y = np.random.default_rng(5).normal(size=(20, 3)), np.ones((20, 3))
    Y[:, 0] = np.arange(20)
    with pytest.raises(ValueError, match=match):
        m.TemporalGroupLassoRegressor(task_order=order).fit(X, Y)


def test_unpenalised_mean_is_refused():
    X, Y = np.random.default_rng(6).normal(size=(20, 3)), np.random.default_rng(7).normal(
        size=(20, 2))
    with pytest.raises(ValueError, match="alpha and l2_reg"):
        m.TemporalGroupLassoRegressor(alpha=0.0).fit(X, Y)
    m.TemporalGroupLassoRegressor(alpha=0.0, l2_reg=0.1).fit(X, Y)


# -- the fused penalty ---------------------------------------------------------------------
def _tv_kkt(y, lam, x):
    """Optimality of ``x``, the prox of ``lam TV`` at ``y``: ``y - x = lam D^T s``, ``s`` signs.

    With ``(D^T s)_k = s_{k-1} - s_k`` the partial sums ``c_i = sum_{k <= i} (y - x)_k``
    are ``-lam s_i``: within ``lam`` in absolute value, equal to ``-lam sign`` at a jump.
    """
    c = np.cumsum(y - x)[:-1]
    assert abs(np.sum(y - x)) <= 1e-10 * max(1.0, np.abs(y).sum())
    assert np.all(np.abs(c) <= lam * (1 + 1e-12) + 1e-12)
    jump = np.diff(x)
    moved = np.abs(jump) > 1e-12
    np.testing.assert_allclose(c[moved], -lam * np.sign(jump[moved]), rtol=1e-9, atol=1e-9)


def test_tv_prox_against_cvxpy_and_its_optimality_conditions():
    rng = np.random.default_rng(8)
    for it in range(10):  # small inputs against the definition
        n, lam = int(rng.integers(2, 10)), float(rng.choice([0.05, 0.5, 2.0]))
        y = rng.normal(size=n)
        if it % 3 == 0:
            y = np.round(y)  # ties
        x = np.empty(n)
        tv1d_prox(y, lam, x)
        u = cp.Variable(n)
        ref = _solve(cp.Problem(cp.Minimize(0.5 * cp.sum_squares(u - y)
                                            + lam * cp.norm1(cp.diff(u)))))
        ours = 0.5 * np.sum((x - y) ** 2) + lam * np.sum(np.abs(np.diff(x)))
        assert ours <= ref + 1e-9 * max(1.0, abs(ref))
    for it in range(60):  # long inputs, plateaus and steps: the optimality conditions
        n = int(rng.integers(2, 300))
        y = np.repeat(rng.normal(size=n // 10 + 1), 10)[:n] + 0.1 * rng.normal(size=n)
        if it % 4 == 0:
            y = np.round(3 * y)
        lam = float(10 ** rng.uniform(-3, 1))
        x = np.empty(n)
        tv1d_prox(y, lam, x)
        _tv_kkt(y, lam, x)


def _random_fused(rng, T, l2=None):
    order = rng.permutation(T)
    l2 = float(rng.choice([0.0, 0.3])) if l2 is None else l2
    return FusedSparseGroup(float(rng.uniform(0.1, 2.0)), float(rng.uniform(0.0, 1.0)),
                            float(rng.uniform(0.0, 2.0)), order, l2)


def _fused_prm(pen):
    return {"alpha": pen.alpha, "l1_ratio": pen.l1_ratio, "alpha_fused": pen.alpha_fused,
            "l2_reg": pen.l2_reg}


def _dual_ball(pen, v, t):
    """cvxpy constraints ``v in t B``, ``B`` the dual ball of the fused norm: ``a + b + D^T c``."""
    T = v.shape[0] if isinstance(v, np.ndarray) else v.shape[0]
    a, b = cp.Variable(T), cp.Variable(T)
    cons = [cp.abs(a) <= t * pen.alpha * pen.l1_ratio,
            cp.norm(b, 2) <= t * pen.alpha * (1 - pen.l1_ratio)]
    total = a + b
    if T > 1:
        c = cp.Variable(T - 1)
        cons.append(cp.abs(c) <= t * pen.alpha_fused)
        # (D^T c) in the tasks' positions: D w = w[o_{i+1}] - w[o_i].
        E = np.zeros((T, T - 1))
        for i in range(T - 1):
            E[pen.order[i + 1], i], E[pen.order[i], i] = 1.0, -1.0
        total = total + E @ c
    return cons + [v == total]


def test_fused_prox_against_its_definition_and_moreau():
    rng = np.random.default_rng(9)
    for _ in range(12):
        T = int(rng.integers(1, 7))
        pen = _random_fused(rng, T)
        V = 2.0 * rng.normal(size=(2, T))
        step = float(rng.uniform(0.2, 2.0))
        P = pen.prox(V, step)
        U = cp.Variable((2, T))
        ref = _solve(cp.Problem(cp.Minimize(cp.sum_squares(U - V) / (2 * step)
                                            + fused_cvx(U.T, _fused_prm(pen), pen.order))))
        ours = np.sum((P - V) ** 2) / (2 * step) + fused_value(P.T, _fused_prm(pen), pen.order)
        assert ours <= ref + 1e-9 * max(1.0, abs(ref)), (ours, ref)
        if pen.l2_reg == 0:
            # Moreau: prox_N(v) + P_B(v) = v, the projection on the dual ball by cvxpy.
            for v, p in zip(V, pen.prox(V, 1.0)):
                u = cp.Variable(T)
                _solve(cp.Problem(cp.Minimize(cp.sum_squares(u - v)), _dual_ball(pen, u, 1.0)))
                np.testing.assert_allclose(p + u.value, v, atol=1e-5)


def test_fused_dual_scale_and_row_dual_norms_are_the_gauge():
    rng = np.random.default_rng(10)
    for _ in range(8):
        T = int(rng.integers(2, 7))
        pen = _random_fused(rng, T, l2=0.0)
        V = 2.0 * rng.normal(size=(3, T))
        gauges = []
        for v in V:  # the smallest t with v in t B (cvxpy)
            t = cp.Variable()
            _solve(cp.Problem(cp.Minimize(t), _dual_ball(pen, v, t)))
            gauges.append(t.value)
        assert pen.dual_scale(V) == pytest.approx(min(1.0, 1.0 / max(gauges)), rel=1e-6)
        # Row dual norms: the smallest alpha (alpha_fused fixed) zeroing the row's prox.
        for v, a in zip(V, pen.row_dual_norms(V)):
            for factor, zero in ((1 + 1e-9, True), (1 - 1e-6, False)):
                P = FusedSparseGroup(a * factor, pen.l1_ratio, pen.alpha_fused,
                                     pen.order).prox(v[None], 1.0)
                assert np.all(P == 0) == zero


def test_fused_finds_planted_change_points():
    """Piecewise-constant weights over 10 time points: the jumps are found where planted."""
    rng = np.random.default_rng(11)
    T, p, n = 10, 20, 40
    W = np.zeros((T, p))
    W[:, 0] = np.where(np.arange(T) < 4, 1.5, -1.0)  # one change, between times 3 and 4
    W[:, 1] = np.where(np.arange(T) < 7, 0.0, 2.0)  # zero, then on from time 7
    W[:, 2] = 1.0  # constant
    W[:, 3] = np.select([np.arange(T) < 3, np.arange(T) < 6], [-1.0, 1.0], 0.0)
    X = rng.normal(size=(n, p))
    Y = X @ W.T + 0.3 * rng.normal(size=(n, T))
    top = m.alpha_max(X, Y, penalty="sparse_group")
    est = m.FusedSparseGroupLassoRegressor(0.05 * top, alpha_fused=0.05 * top, tol=1e-8).fit(X, Y)
    # A change point: a jump above a tenth of the planted ones (the smallest is 1). Around a
    # jump the fused estimate may take a small extra step (0.04 here): not a change point.
    jumps = np.abs(np.diff(est.coef_, axis=0)) > 0.1
    found = [np.flatnonzero(jumps[:, j]).tolist() for j in range(p)]
    assert found[:4] == [[3], [6], [], [2, 5]], found[:4]
    assert not any(found[4:])
    assert not np.any(est.coef_[:, 4:])  # the irrelevant features are dropped
    assert np.all(est.coef_[:7, 1] == 0)  # and feature 1 before it starts


# -- properties of both penalties (hypothesis) -------------------------------------------------
@st.composite
def _penalty_and_rows(draw):
    T = draw(st.integers(1, 6))
    kind = draw(st.sampled_from(["temporal", "fused"]))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    l2 = draw(st.sampled_from([0.0, 0.5]))
    pen = _random_temporal(rng, T, l2) if kind == "temporal" else _random_fused(rng, T, l2)
    scale = 10.0 ** draw(st.integers(-3, 3))
    V = scale * rng.normal(size=(3, T))
    U = scale * rng.normal(size=(3, T))
    return pen.scaled(0, 0) if scale == 1 else _rescaled(pen, scale), V, U


def _rescaled(pen, scale):
    """The same penalty for data of scale ``scale``: norms times it (powers of two only)."""
    k = int(np.round(np.log2(scale)))
    return pen.scaled(k, 0)


@settings(deadline=None, max_examples=40)
@given(case=_penalty_and_rows(), step=st.floats(0.01, 10.0))
def test_prox_and_dual_properties(case, step):
    pen, V, U = case
    P, Q = pen.prox(V, step), pen.prox(U, step)
    size = max(np.abs(V).max(), np.abs(U).max(), 1e-300)
    # Firmly nonexpansive, hence nonexpansive; zero at zero; the identity at step 0.
    assert np.linalg.norm(P - Q) <= np.linalg.norm(V - U) * (1 + 1e-9) + 1e-12 * size
    np.testing.assert_array_equal(pen.prox(np.zeros_like(V), step), 0.0)
    np.testing.assert_allclose(pen.prox(V, 0.0), V, rtol=1e-12, atol=1e-12 * size)
    # Fenchel-Young at the prox: G = (V - P) / step is a subgradient of h at P.
    G = (V - P) / step
    s = pen.dual_scale(G)
    assert s >= 1 - 1e-9, s
    lhs, rhs = pen.value(P) + pen.conjugate(G), float(np.sum(P * G))
    assert abs(lhs - rhs) <= 1e-8 * max(abs(lhs), abs(rhs), pen.value(P), 1e-300)
    # dual_scale lands in the domain: the conjugate is finite there.
    assert np.isfinite(pen.conjugate(pen.dual_scale(V) * V))
    # Screening at the dual point of the prox problem never drops a nonzero row (a radius
    # of rounding size: a nonzero row's constraint is active, equal to alpha).
    if pen.zeroes_rows:
        dropped = pen.screen(G, np.full(G.shape[0], 1e-9 * max(np.abs(G).max(), 1e-300)))
        assert not np.any(P[dropped])


def test_fused_conjugate_with_l2_against_its_definition():
    rng = np.random.default_rng(12)
    for _ in range(4):
        T = int(rng.integers(2, 6))
        pen = _random_fused(rng, T, l2=0.4)
        V = 2.0 * rng.normal(size=(2, T))
        U = cp.Variable((2, T))
        ref = _solve(cp.Problem(cp.Maximize(cp.sum(cp.multiply(V, U))
                                            - fused_cvx(U.T, _fused_prm(pen), pen.order))))
        assert abs(pen.conjugate(V) - ref) <= 1e-6 * max(1.0, abs(ref)), (pen.conjugate(V), ref)


@pytest.mark.parametrize("model, loss", [("temporal", "squared"), ("fused", "logistic")])
def test_warm_start(model, loss):
    cls = MODELS[model][LOSSES.index(loss)]
    value = temporal_value if model == "temporal" else fused_value
    pb, params, order = build(model, loss, "per_task", 2)
    cold = fit(cls, pb, params, tol=TOL, max_iter=100_000)
    stronger = {k: (1.5 * v if k.startswith("alpha") else v) for k, v in params.items()}
    est = cls(task_column=pb.task_column, task_weights=pb.task_weights, warm_start=True,
              tol=TOL, max_iter=100_000, **stronger)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(pb.X, pb.y, sample_weight=pb.sample_weight)
        est.set_params(**params).fit(pb.X, pb.y, sample_weight=pb.sample_weight)
        objs = [objective(pb, params, order, e.coef_, e.intercept_, value) for e in (cold, est)]
        assert abs(objs[1] - objs[0]) <= RTOL_OBJ * abs(objs[0]), objs
        est.fit(pb.X, pb.y, sample_weight=pb.sample_weight)  # same data: already optimal
    assert est.n_iter_ <= 2, est.n_iter_
