"""Tree-guided group lasso (issue 15): its prox, dual norm, objective and recovery.

The tree norm is written here from the docstring (Kim & Xing's node weights
computed from the linkage by walking each node's ancestors, not by the
package's top-down product); cvxpy is the oracle for the prox, the dual norm
and the objective (the package's ``solver="cvxpy"`` and a model posed here).
"""

import warnings

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.cluster.hierarchy import linkage
from sklearn.exceptions import ConvergenceWarning

from conftest import best_intercepts, make_per_task, make_shared
from mtlclassic import (GroupLassoRegressor, TreeGuidedGroupLassoClassifier,
                        TreeGuidedGroupLassoRegressor, alpha_max)
from mtlclassic.penalties import TreeGroup, kim_xing_groups

CLASSES = {"squared": TreeGuidedGroupLassoRegressor, "logistic": TreeGuidedGroupLassoClassifier}


# -- the documented node weights and norm --------------------------------------------------
def documented_nodes(Z, T):
    """``[(tasks of v, c_v)]`` from the docstring: c_v = (g_v or 1) * prod_{ancestors} s_m."""
    if T == 1:
        return [([0], 1.0)]
    h = Z[:, 2] / Z[:, 2].max()
    parent, members = {}, {t: [t] for t in range(T)}
    for i, (a, b) in enumerate(Z[:, :2].astype(int)):
        parent[a] = parent[b] = T + i
        members[T + i] = members[a] + members[b]
    nodes = []
    for v in range(2 * T - 1):
        prod, m = 1.0, v
        while m in parent:
            m = parent[m]
            prod *= h[m - T]
        nodes.append((members[v], prod * (1.0 - h[v - T]) if v >= T else prod))
    return nodes


def tree_norm(W, nodes):
    """``sum_j sum_v c_v ||W[G_v, j]||_2`` with ``W`` of shape (n_tasks, n_features)."""
    return sum(c * float(np.sum(np.sqrt(np.sum(W[g] ** 2, axis=0)))) for g, c in nodes)


def c_tree_norm(W, nodes):
    return sum(c * cp.sum(cp.norm(W[g, :], 2, axis=0)) for g, c in nodes if c > 0)


def _random_tree(rng, T):
    return linkage(rng.normal(size=(T, 3)), "average")


def _penalty(Z, T, alpha=1.0, l2_reg=0.0):
    return TreeGroup(alpha, *kim_xing_groups(Z, T), l2_reg=l2_reg)


# -- the weights, the prox and the dual norm -----------------------------------------------
@pytest.mark.parametrize("T", [1, 2, 5, 7])
def test_kim_xing_weights_are_the_documented_ones(T):
    Z = _random_tree(np.random.default_rng(T), T) if T > 1 else np.zeros((0, 4))
    groups, weights = kim_xing_groups(Z, T)
    doc = documented_nodes(Z, T)
    assert [sorted(g.tolist()) for g in groups] == [sorted(g) for g, _ in doc]
    np.testing.assert_allclose(weights, [c for _, c in doc], atol=1e-15)
    path = np.zeros(T)
    for g, c in doc:
        path[g] += c
    np.testing.assert_allclose(path, 1.0, rtol=1e-12)  # each task's path weighs 1
    if T > 1:
        assert weights[-1] == 0.0  # the root, at height 1


@pytest.mark.parametrize("seed", range(3))
def test_prox_is_its_definition_and_satisfies_moreau(seed):
    rng = np.random.default_rng(seed)
    T, p, step = 6, 5, float(rng.uniform(0.2, 2.0))
    Z = _random_tree(rng, T)
    alpha, l2 = float(rng.uniform(0.3, 1.5)), [0.0, 0.4][seed % 2]
    pen = _penalty(Z, T, alpha, l2)
    V = 2 * rng.normal(size=(p, T))
    P = pen.prox(V, step)
    np.testing.assert_allclose(pen._prox_xp(V, step) if not l2 else P, P, atol=1e-12)
    U = cp.Variable((p, T))
    nodes = documented_nodes(Z, T)
    obj = (0.5 / step * cp.sum_squares(U - V) + alpha * c_tree_norm(U.T, nodes)
           + 0.5 * l2 * cp.sum_squares(U))
    prob = cp.Problem(cp.Minimize(obj))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    np.testing.assert_allclose(P, U.value, atol=1e-5)
    U.value = P  # strongly convex: a value at most cvxpy's (to its accuracy) is the minimiser
    assert obj.value <= prob.value + 1e-9 * abs(prob.value)
    if not l2:  # Moreau: V - P is in step * alpha * (dual ball), and <P, V - P> = step f(P)
        R = V - P
        assert pen.dual_norm(R) <= step * alpha * (1 + 1e-9)
        assert np.sum(P * R) == pytest.approx(step * pen.value(P), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("seed", range(2))
def test_dual_norm_is_its_definition_from_above(seed):
    rng = np.random.default_rng(10 + seed)
    T = 5
    Z = _random_tree(rng, T)
    pen = _penalty(Z, T)
    nodes = documented_nodes(Z, T)
    V = rng.normal(size=(4, T))
    ours = pen.row_dual_norms(V)
    for j in range(V.shape[0]):  # sup <v, w> over tree_norm(w) <= 1
        w = cp.Variable((T, 1))
        prob = cp.Problem(cp.Maximize(V[j] @ w[:, 0]), [c_tree_norm(w, nodes) <= 1])
        prob.solve(solver=cp.CLARABEL)
        assert ours[j] == pytest.approx(prob.value, rel=1e-6)
        # from above, to the last float: the prox at the dual norm is 0, just below it not
        assert not np.any(pen.prox(V[j:j + 1], ours[j]))
        assert np.any(pen.prox(V[j:j + 1], ours[j] * (1 - 1e-12)))


def test_screening_bound_holds():
    """``Omega^*(u) <= ||u||_2`` (path sums 1): the constant of the gap-safe test."""
    rng = np.random.default_rng(3)
    pen = _penalty(_random_tree(rng, 6), 6)
    V = rng.normal(size=(50, 6))
    assert np.all(pen.row_dual_norms(V) <= np.linalg.norm(V, axis=1) * (1 + 1e-12))


@settings(max_examples=40, deadline=None)
@given(T=st.integers(1, 7), seed=st.integers(0, 2 ** 32 - 1), step=st.floats(1e-3, 1e3),
       l2=st.sampled_from([0.0, 0.7]))
def test_prox_and_dual_norm_properties(T, seed, step, l2):
    """Nonexpansive prox, prox(0) = 0, numba = numpy, Hoelder, homogeneity, safe screening."""
    rng = np.random.default_rng(seed)
    Z = _random_tree(rng, T) if T > 1 else np.zeros((0, 4))
    pen = _penalty(Z, T, float(rng.uniform(0.1, 2.0)), l2)
    A, B = rng.normal(size=(2, 6, T)) * rng.uniform(0.01, 5.0, size=(2, 6, 1))
    PA, PB = pen.prox(A, step), pen.prox(B, step)
    assert np.linalg.norm(PA - PB) <= np.linalg.norm(A - B) * (1 + 1e-12)
    assert not np.any(pen.prox(np.zeros((2, T)), step))
    if not l2:
        np.testing.assert_allclose(pen._prox_xp(A, step), PA, rtol=1e-12, atol=1e-14)
    d = pen.row_dual_norms(A)
    omega = np.array([pen._value(B[j:j + 1]) / pen.alpha for j in range(6)])
    assert np.all(np.sum(A * B, axis=1) <= d * omega * (1 + 1e-12) + 1e-300)
    np.testing.assert_allclose(pen.row_dual_norms(3.5 * A), 3.5 * d, rtol=1e-13)
    # Screening: a row screened for radius r stays inside the dual ball within that radius.
    radius = rng.uniform(0, 1, 6)
    screened = pen.screen(A * pen.alpha / np.maximum(d, 1e-300)[:, None] * 0.5, radius)
    E = rng.normal(size=(6, T))
    E *= (radius / np.maximum(np.linalg.norm(E, axis=1), 1e-300))[:, None]
    inside = pen.row_dual_norms(A * pen.alpha / np.maximum(d, 1e-300)[:, None] * 0.5 + E)
    assert np.all(inside[screened] < pen.alpha)


# -- the objective against cvxpy ------------------------------------------------------------
def _datafit(pb, coef, intercept):
    total = 0.0
    for (Xt, yt, st), tau, w, b in zip(pb.blocks, pb.tau, coef, intercept):
        z = Xt @ w + b
        loss = 0.5 * (yt - z) ** 2 if pb.loss == "squared" else np.logaddexp(0.0, -yt * z)
        total += tau / np.sum(st) * np.sum(st * loss)
    return float(total)


def _objective(pb, est, prm, nodes):
    coef = np.asarray(est.coef_, dtype=np.float64)
    return (_datafit(pb, coef, est.intercept_) + prm["alpha"] * tree_norm(coef, nodes)
            + 0.5 * prm["l2_reg"] * float(np.sum(coef ** 2)))


def _posed_here(pb, prm, nodes):
    T, p = pb.n_tasks, pb.blocks[0][0].shape[1]
    W = cp.Variable((T, p))
    b = cp.Variable(T) if prm["fit_intercept"] else np.zeros(T)
    terms = []
    for t, ((Xt, yt, st), tau) in enumerate(zip(pb.blocks, pb.tau)):
        c = tau * st / np.sum(st)
        z = Xt @ W[t] + b[t]
        terms.append(0.5 * cp.sum(cp.multiply(c, cp.square(yt - z))) if pb.loss == "squared"
                     else cp.sum(cp.multiply(c, cp.logistic(cp.multiply(-yt, z)))))
    pen = prm["alpha"] * c_tree_norm(W, nodes) + 0.5 * prm["l2_reg"] * cp.sum_squares(W)
    prob = cp.Problem(cp.Minimize(cp.sum(terms) + pen))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    assert prob.status in ("optimal", "optimal_inaccurate"), prob.status

    class Fitted:
        coef_ = np.asarray(W.value)
        intercept_ = np.asarray(b.value if prm["fit_intercept"] else b)
    return Fitted


VARIANTS = [dict(), dict(fit_intercept=False, task_weights=True),
            dict(sample_weight=True, nan=True, l2=True), dict(sample_weight=True, sparse=True),
            dict(task_weights=True, l2=True, given_tree=True)]
CASES = [(loss, layout, seed) for loss in CLASSES for layout in ("shared", "per_task")
         for seed in range(len(VARIANTS))]


def _problem(loss, layout, seed):
    v = VARIANTS[seed]
    data_seed = 7000 + 100 * (loss == "logistic") + 10 * (layout == "shared") + seed
    rng = np.random.default_rng(data_seed)
    T, p = int(rng.integers(3, 6)), int(rng.integers(6, 11))
    common = dict(loss=loss, p=p, sample_weight=v.get("sample_weight", False),
                  task_weights=v.get("task_weights", False))
    if layout == "shared":
        pb = make_shared(data_seed, n=int(rng.integers(40, 61)), n_tasks=T,
                         nan_frac=0.15 if v.get("nan") else 0.0,
                         sparse="csc" if v.get("sparse") else None, **common)
    else:
        sizes = tuple(int(s) for s in rng.choice(np.arange(30, 61), size=T, replace=False))
        pb = make_per_task(data_seed, sizes=sizes, sparse="csr" if v.get("sparse") else None,
                           **common)
    prm = dict(fit_intercept=v.get("fit_intercept", True),
               l2_reg=float(rng.uniform(0.01, 0.2)) if v.get("l2") else 0.0,
               tree=_random_tree(rng, T) if v.get("given_tree") else "auto")
    top = alpha_max(pb.X, pb.y, penalty="tree", loss=loss, task_column=pb.task_column,
                    fit_intercept=prm["fit_intercept"], task_weights=pb.task_weights,
                    sample_weight=pb.sample_weight)
    prm["alpha"] = float(rng.uniform(0.05, 0.5)) * top
    return pb, prm


def _fit(pb, prm, **extra):
    est = CLASSES[pb.loss](task_column=pb.task_column, task_weights=pb.task_weights, **prm, **extra)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(pb.X, pb.y, sample_weight=pb.sample_weight)


@pytest.mark.parametrize("case", CASES, ids=[f"{lo}-{la}-{s}" for lo, la, s in CASES])
def test_objective_at_most_cvxpy_and_gap_certified(case):
    pb, prm = _problem(*case)
    ours = _fit(pb, prm, tol=1e-8, max_iter=100_000)
    ref = _fit(pb, prm, solver="cvxpy")
    assert np.any(ours.coef_ != 0)
    if not isinstance(prm["tree"], str):
        np.testing.assert_array_equal(ours.tree_, prm["tree"])
    np.testing.assert_array_equal(ours.tree_, ref.tree_)
    nodes = documented_nodes(ours.tree_, pb.n_tasks)
    obj = _objective(pb, ours, prm, nodes)
    best = _objective(pb, _posed_here(pb, prm, nodes), prm, nodes)
    for name, obj_ref in (("solver='cvxpy'", _objective(pb, ref, prm, nodes)), ("here", best)):
        assert (obj - obj_ref) / abs(obj_ref) <= 1e-6, (name, obj, obj_ref)
    assert obj >= best - 1e-6 * abs(best)
    # The reported gap bounds the suboptimality and meets tol relative to the null objective.
    b0 = best_intercepts(pb) if prm["fit_intercept"] else np.zeros(pb.n_tasks)
    null = _datafit(pb, np.zeros_like(ours.coef_), b0)
    assert 0 <= ours.dual_gap_ <= 1e-8 * null * (1 + 1e-6)
    assert obj - best <= ours.dual_gap_ + 1e-9 * abs(best)


def test_solvers_agree_and_warm_start():
    pb, prm = _problem("squared", "shared", 2)
    fits = {s: _fit(pb, prm, solver=s, tol=1e-10, max_iter=100_000)
            for s in ("bcd", "working_set", "fista", "prox_newton")}
    for s, est in fits.items():
        np.testing.assert_allclose(est.coef_, fits["bcd"].coef_, atol=1e-5, err_msg=s)
    est = _fit(pb, dict(prm, alpha=1.1 * prm["alpha"]), tol=1e-8, warm_start=True)
    n_cold = est.n_iter_
    est.set_params(alpha=prm["alpha"]).fit(pb.X, pb.y, sample_weight=pb.sample_weight)
    np.testing.assert_allclose(est.coef_, fits["bcd"].coef_, atol=1e-4)
    assert est.n_iter_ <= max(n_cold, 5)


# -- recovery ---------------------------------------------------------------------------------
def test_tree_guided_beats_the_flat_group_lasso_on_a_planted_hierarchy():
    """Two clusters of 4 tasks with their own supports: the flat group lasso selects the
    union for every task, the tree (learned, "auto") selects each cluster's own."""
    rng = np.random.default_rng(0)
    n, p, T = 60, 40, 8
    X = rng.normal(size=(n, p))
    W = np.zeros((T, p))
    for k, support in enumerate((np.arange(0, 5), np.arange(5, 10))):
        base = rng.normal(size=5) * 1.5
        W[4 * k:4 * k + 4, support] = base + 0.3 * rng.normal(size=(4, 5))
    Y = X @ W.T + 1.0 * rng.normal(size=(n, T))
    errors = {}
    for name, cls, penalty in (("tree", TreeGuidedGroupLassoRegressor, "tree"),
                               ("flat", GroupLassoRegressor, "l21")):
        top = alpha_max(X, Y, penalty=penalty)
        errs = [np.linalg.norm(cls(alpha=f * top).fit(X, Y).coef_ - W)
                for f in np.geomspace(0.5, 0.02, 12)]
        errors[name] = min(errs)  # each at its best strength
    est = TreeGuidedGroupLassoRegressor(alpha=0.1 * alpha_max(X, Y, penalty="tree")).fit(X, Y)
    low = est.tree_[est.tree_[:, 3] == 4]  # the two clusters are merged first, then joined
    assert len(low) == 2 and est.tree_[-1, 2] > low[:, 2].max()
    assert errors["tree"] < 0.9 * errors["flat"], errors


# -- input ----------------------------------------------------------------------------------
def test_bad_trees_are_one_line_errors():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(30, 4)), rng.normal(size=(30, 3))
    with pytest.raises(ValueError, match=r"shape \(2, 4\) for 3 tasks"):
        TreeGuidedGroupLassoRegressor(tree=np.zeros((3, 4))).fit(X, Y)
    with pytest.raises(ValueError, match="not a valid linkage"):
        TreeGuidedGroupLassoRegressor(tree=[[0, 0, 1, 2], [1, 2, 2, 3]]).fit(X, Y)
    with pytest.raises(ValueError, match="'auto' or a scipy linkage"):
        TreeGuidedGroupLassoRegressor(tree="ward").fit(X, Y)
    tree = np.array([[0, 1, 1.0, 2], [2, 3, 2.0, 3]])
    TreeGuidedGroupLassoRegressor(tree=tree).fit(X, Y)
    assert tree[0, 2] == 1.0  # the user's array is not modified


def test_one_task_is_the_lasso():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 6)), rng.normal(size=50)
    est = TreeGuidedGroupLassoRegressor(alpha=0.05, tol=1e-10).fit(X, y)
    assert est.tree_.shape == (0, 4)
    ref = GroupLassoRegressor(alpha=0.05, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, atol=1e-8)
