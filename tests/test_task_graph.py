"""Mean- and graph-regularised models: their documented objectives, special cases, bad graphs.

The objectives are written here with numpy from the docstrings (the graph
term as a sum over edges, not through a Laplacian), and minimised by cvxpy
twice: through the package (``solver="cvxpy"``) and as a problem posed in
this file, so that a wrong Laplacian or penalty in the package can fail the
comparison. Run with ``pytest -s`` to see the worst relative excesses.
"""

import warnings

import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from conftest import datafit, make_per_task, make_shared, null_objective
from mtlclassic import (GraphRegularizedClassifier, GraphRegularizedRegressor, LassoClassifier,
                        LassoRegressor, MeanRegularizedClassifier, MeanRegularizedRegressor,
                        PooledClassifier, PooledRegressor, RidgeClassifier, RidgeRegressor)

TOL = 1e-8
RTOL_OBJ = 1e-6
CLASSES = {"mean": {"squared": MeanRegularizedRegressor, "logistic": MeanRegularizedClassifier},
           "graph": {"squared": GraphRegularizedRegressor, "logistic": GraphRegularizedClassifier}}
_CLARABEL = dict(solver=cp.CLARABEL, tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)


# -- the penalties, W of shape (n_tasks, n_features) as coef_ ---------------------------
def mean_penalty(W, lambda_mean, lambda_l2):
    dev = W - W.mean(axis=0)
    return 0.5 * lambda_mean * np.sum(dev ** 2) + 0.5 * lambda_l2 * np.sum(W ** 2)


def edges(adj):
    T = adj.shape[0]
    return [(s, t, adj[s, t]) for s in range(T) for t in range(s + 1, T) if adj[s, t] != 0]


def graph_penalty(W, adj, lambda_graph, alpha, l2_reg):
    smooth = sum(a * np.sum((W[s] - W[t]) ** 2) for s, t, a in edges(adj))
    return (0.5 * lambda_graph * smooth + alpha * np.sum(np.abs(W))
            + 0.5 * l2_reg * np.sum(W ** 2))


def random_graph(T, rng, components=2):
    """Symmetric nonnegative weights: a weighted chain in each component, plus one extra edge."""
    adj = np.zeros((T, T))
    for part in np.array_split(rng.permutation(T), components):
        for s, t in zip(part[:-1], part[1:]):
            adj[s, t] = adj[t, s] = rng.uniform(0.3, 2.0)
    s, t = rng.choice(T, 2, replace=False)
    if adj[s, t] == 0 and components == 1:
        adj[s, t] = adj[t, s] = 0.5
    return adj


# -- problems ----------------------------------------------------------------------------
# Two variants per model x loss x layout: (intercepts, sample weights) and (no intercepts,
# task weights, NaN targets in the shared layout), with the parameters of each model.
def build(model, loss, layout, variant):
    seed = 100 * ["mean", "graph"].index(model) + 10 * ["squared", "logistic"].index(loss) \
        + 2 * ["shared", "per_task"].index(layout) + variant
    rng = np.random.default_rng(seed)
    T, p = 4, 6
    first = variant == 0
    opts = dict(loss=loss, p=p, sample_weight=first, task_weights=not first)
    if layout == "shared":
        pb = make_shared(seed, n=40, n_tasks=T, nan_frac=0.0 if first else 0.15, **opts)
    else:
        pb = make_per_task(seed, sizes=(25, 35, 30, 40), **opts)
    if model == "mean":
        params = dict(lambda_mean=float(rng.choice([0.3, 3.0])),
                      lambda_l2=float(rng.uniform(0.01, 0.1)))
        adj = None
    else:
        adj = random_graph(T, rng, components=2 if first else 1)
        if first:  # l1 only (the Laplacian is singular: the gap needs the l1 rescaling)
            params = dict(graph=adj, lambda_graph=float(rng.uniform(0.5, 2.0)),
                          alpha=float(rng.uniform(0.01, 0.03)))
        else:  # the Laplacian itself, l2 only
            params = dict(graph=np.diag(adj.sum(axis=1)) - adj, graph_type="laplacian",
                          lambda_graph=float(rng.uniform(0.5, 2.0)), alpha=0.0,
                          l2_reg=float(rng.uniform(0.01, 0.1)))
    params["fit_intercept"] = first
    return pb, params, adj


def penalty_of(model, params, adj, W):
    if model == "mean":
        return mean_penalty(W, params["lambda_mean"], params["lambda_l2"])
    return graph_penalty(W, adj, params["lambda_graph"], params["alpha"],
                         params.get("l2_reg", 0.0))


def fit(model, pb, params, **extra):
    est = CLASSES[model][pb.loss](task_column=pb.task_column, task_weights=pb.task_weights,
                                  **params, **extra)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        return est.fit(pb.X, pb.y, sample_weight=pb.sample_weight)


def independent_cvxpy(model, pb, params, adj):
    """The documented problem posed to cvxpy here: ``(coef, intercept)``."""
    T, p = pb.n_tasks, pb.blocks[0][0].shape[1]
    W = cp.Variable((T, p))
    b = cp.Variable(T) if params["fit_intercept"] else np.zeros(T)
    terms = []
    for t, ((Xt, yt, st), tau) in enumerate(zip(pb.blocks, pb.tau)):
        c = tau * st / np.sum(st)
        z = Xt @ W[t] + b[t]
        if pb.loss == "squared":
            terms.append(0.5 * cp.sum(cp.multiply(c, cp.square(yt - z))))
        else:
            terms.append(cp.sum(cp.multiply(c, cp.logistic(cp.multiply(-yt, z)))))
    if model == "mean":
        mean = cp.sum(W, axis=0) / T
        pen = (0.5 * params["lambda_mean"] * sum(cp.sum_squares(W[t] - mean) for t in range(T))
               + 0.5 * params["lambda_l2"] * cp.sum_squares(W))
    else:
        pen = (0.5 * params["lambda_graph"] * sum(a * cp.sum_squares(W[s] - W[t])
                                                  for s, t, a in edges(adj))
               + params["alpha"] * cp.sum(cp.abs(W))
               + 0.5 * params.get("l2_reg", 0.0) * cp.sum_squares(W))
    prob = cp.Problem(cp.Minimize(cp.sum(terms) + pen))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        prob.solve(**_CLARABEL)
    assert prob.status in ("optimal", "optimal_inaccurate"), prob.status
    return np.asarray(W.value), np.asarray(b.value if params["fit_intercept"] else b)


CASES = [(m, lo, la, v) for m in ("mean", "graph") for lo in ("squared", "logistic")
         for la in ("shared", "per_task") for v in (0, 1)]


@pytest.mark.parametrize("model,loss,layout,variant", CASES)
def test_objective_at_most_cvxpy(model, loss, layout, variant, worst):
    pb, params, adj = build(model, loss, layout, variant)
    ours = fit(model, pb, params, tol=TOL, max_iter=100_000)
    ref = fit(model, pb, params, solver="cvxpy")
    assert ours.solver_ == "fista" and ref.solver_ == "cvxpy"

    def obj(coef, intercept):
        return datafit(pb, coef, intercept) + penalty_of(model, params, adj, coef)

    mine = obj(ours.coef_, ours.intercept_)
    refs = {"package cvxpy": obj(ref.coef_, ref.intercept_),
            "independent cvxpy": obj(*independent_cvxpy(model, pb, params, adj))}
    for name, value in refs.items():
        excess = (mine - value) / abs(value)
        worst.update(f"{model}/{loss}/{layout} vs {name}", excess, f"variant {variant}")
        assert excess <= RTOL_OBJ, (name, mine, value)
    assert abs(refs["package cvxpy"] - refs["independent cvxpy"]) <= RTOL_OBJ * abs(mine)
    # The reported gap certifies the fit at the requested tol (relative to the null objective).
    null = null_objective(pb, params["fit_intercept"])
    assert 0 <= ours.dual_gap_ <= TOL * null * (1 + 1e-9) + 1e-14
    # The two oracles and our fit agree on the coefficients (the problems are strongly convex
    # or, with l1, have a unique solution here).
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=2e-4)
    if model == "graph":
        L = np.diag(adj.sum(axis=1)) - adj
        np.testing.assert_allclose(ours.laplacian_, L, rtol=1e-12, atol=1e-14)


# -- special cases ---------------------------------------------------------------------
def _problem(loss, layout="shared", seed=0, T=4):
    if layout == "shared":
        return make_shared(seed, loss=loss, n=40, p=6, n_tasks=T)
    return make_per_task(seed, loss=loss, sizes=(20, 30, 25, 35)[:T], p=6)


def _fit(cls, pb, **params):
    return cls(task_column=pb.task_column, **params).fit(pb.X, pb.y)


TIGHT = dict(tol=1e-12, max_iter=100_000)


def assert_same_solution(a, b, mu):
    """Two fits of one ``mu``-strongly convex objective (in ``W``): as close as their gaps allow.

    ``mu/2 ||W - W*||^2 <= gap`` for each, so ``||W_a - W_b|| <= sqrt(2 gap_a / mu) +
    sqrt(2 gap_b / mu)``.
    """
    bound = np.sqrt(2 * a.dual_gap_ / mu) + np.sqrt(2 * b.dual_gap_ / mu)
    dist = np.linalg.norm(a.coef_ - b.coef_)
    assert dist <= bound + 1e-12, (dist, bound)
    assert bound < 1e-4  # the fits are tight enough for this to mean something


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_lambda_mean_zero_is_independent_ridge(loss):
    pb = _problem(loss, "per_task", seed=1)
    mean = _fit(CLASSES["mean"][loss], pb, lambda_mean=0.0, lambda_l2=0.05, **TIGHT)
    ridge = _fit(RidgeRegressor if loss == "squared" else RidgeClassifier, pb, alpha=0.05,
                 **TIGHT)
    assert_same_solution(mean, ridge, mu=0.05)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_large_lambda_mean_tends_to_the_pooled_model(loss):
    """``lambda_mean -> inf`` forces equal rows ``w``, penalised by
    ``lambda_l2/2 sum_t ||w||^2 = T lambda_l2/2 ||w||^2``: the pooled model."""
    pb = _problem(loss, "shared", seed=2)
    T, lam = pb.n_tasks, 0.05
    pooled = _fit(PooledRegressor if loss == "squared" else PooledClassifier, pb,
                  alpha=T * lam, **TIGHT).coef_
    dist = []
    for lambda_mean in (1.0, 1e2, 1e4):
        coef = _fit(CLASSES["mean"][loss], pb, lambda_mean=lambda_mean, lambda_l2=lam,
                    **TIGHT).coef_
        dist.append(np.abs(coef - pooled).max())
    # the distance to the pooled solution shrinks like 1 / lambda_mean
    assert dist[0] > dist[1] > dist[2] and 50 < dist[1] / dist[2] < 200
    assert dist[2] < 1e-3 * np.abs(pooled).max()


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_complete_graph_is_mean_regularised(loss):
    """Complete graph, unit weights: ``tr(W^T L W) = T sum_t ||w_t - w_bar||^2``."""
    pb = _problem(loss, "per_task", seed=3)
    T = pb.n_tasks
    rng = np.random.default_rng(0)
    W = rng.normal(size=(T, 5))
    graph = _fit(CLASSES["graph"][loss], pb, lambda_graph=0.4, alpha=0.0, l2_reg=0.03, **TIGHT)
    L = graph.laplacian_
    assert np.trace(W.T @ L @ W) == pytest.approx(T * np.sum((W - W.mean(axis=0)) ** 2),
                                                  rel=1e-12)
    mean = _fit(CLASSES["mean"][loss], pb, lambda_mean=T * 0.4, lambda_l2=0.03, **TIGHT)
    assert_same_solution(graph, mean, mu=0.03)
    # graph=None is the complete graph: the same as all ones (diagonal ignored) or its Laplacian
    for g, kind in ((np.ones((T, T)), "adjacency"), (T * np.eye(T) - 1.0, "laplacian")):
        other = _fit(CLASSES["graph"][loss], pb, graph=g, graph_type=kind, lambda_graph=0.4,
                     alpha=0.0, l2_reg=0.03, **TIGHT)
        np.testing.assert_allclose(other.coef_, graph.coef_, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_no_graph_term_is_the_lasso(loss):
    pb = _problem(loss, "shared", seed=4)
    graph = _fit(CLASSES["graph"][loss], pb, lambda_graph=0.0, alpha=0.02, **TIGHT)
    lasso = _fit(LassoRegressor if loss == "squared" else LassoClassifier, pb, alpha=0.02,
                 **TIGHT)
    # not strongly convex: compare the objective (written here), each within its gap
    objs = [datafit(pb, e.coef_, e.intercept_) + 0.02 * np.abs(e.coef_).sum()
            for e in (graph, lasso)]
    assert abs(objs[0] - objs[1]) <= graph.dual_gap_ + lasso.dual_gap_ + 1e-13 * objs[1]


def test_components_decouple():
    """Tasks in different components share nothing: fitting each component alone is the same."""
    pb = _problem("squared", "per_task", seed=5)
    adj = np.zeros((4, 4))
    adj[0, 2] = adj[2, 0] = 1.5
    adj[1, 3] = adj[3, 1] = 0.7
    full = _fit(GraphRegularizedRegressor, pb, graph=adj, lambda_graph=2.0, alpha=0.01, **TIGHT)
    X, y = pb.X, pb.y
    for comp in ([0, 2], [1, 3]):
        rows = np.isin(X[:, -1], comp)
        part = GraphRegularizedRegressor(graph=adj[np.ix_(comp, comp)], lambda_graph=2.0,
                                         alpha=0.01, task_column=-1, **TIGHT).fit(X[rows], y[rows])
        np.testing.assert_allclose(part.coef_, full.coef_[comp], atol=1e-7)
    assert np.abs(full.coef_[0] - full.coef_[2]).max() > 0  # the graph term does not fuse here


def test_graph_follows_task_order():
    """Rows of ``graph`` follow ``tasks_`` (sorted labels): relabelling permutes the fit."""
    pb = _problem("squared", "per_task", seed=6)
    adj = random_graph(4, np.random.default_rng(1), components=1)
    base = _fit(GraphRegularizedRegressor, pb, graph=adj, alpha=0.01, **TIGHT)
    perm = np.array([2, 0, 3, 1])  # task t gets label perm[t]
    X = pb.X.copy()
    X[:, -1] = perm[X[:, -1].astype(int)]
    inv = np.argsort(perm)  # label k is old task inv[k]
    moved = GraphRegularizedRegressor(graph=adj[np.ix_(inv, inv)], alpha=0.01, task_column=-1,
                                      **TIGHT).fit(X, pb.y)
    np.testing.assert_allclose(moved.coef_, base.coef_[inv], atol=1e-8)


def test_sparse_graph_and_input_untouched():
    pb = _problem("squared", "shared", seed=7)
    adj = random_graph(4, np.random.default_rng(2), components=1)
    adj[0, 0] = 5.0  # a self-loop: ignored
    before = adj.copy()
    dense = _fit(GraphRegularizedRegressor, pb, graph=adj, alpha=0.01, **TIGHT)
    assert np.array_equal(adj, before)
    sparse = _fit(GraphRegularizedRegressor, pb, graph=sp.csr_matrix(adj), alpha=0.01, **TIGHT)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-12, atol=1e-14)
    no_loop = adj - np.diag(adj.diagonal())
    np.testing.assert_allclose(dense.laplacian_, np.diag(no_loop.sum(axis=1)) - no_loop,
                               rtol=1e-14)


# -- docs/malsar.md: *_SRMTL mapped to our estimators -------------------------------------
def _incidence(adj):
    """MALSAR's usual structure matrix: one column per edge, +-sqrt(a_st) at its two tasks."""
    cols = []
    for s, t, a in edges(adj):
        c = np.zeros(adj.shape[0])
        c[s], c[t] = np.sqrt(a), -np.sqrt(a)
        cols.append(c)
    return np.column_stack(cols)


@pytest.mark.parametrize("structure,loss", [("incidence", "squared"), ("adjacency", "squared"),
                                            ("mean", "squared"), ("mean_no_l1", "squared"),
                                            ("incidence", "logistic"), ("general", "squared"),
                                            ("general_full", "squared"),
                                            ("mean_structure", "squared"),
                                            ("general", "logistic")])
def test_malsar_srmtl_mapping(structure, loss):
    """``S(W) + rho1 ||R^T W||_F^2 + rho2 ||W||_1 + rho_L2 ||W||_F^2`` (``S`` summed over samples,
    no intercept; the logistic ``L(W, c)`` a per-task mean with intercepts), posed to cvxpy in
    MALSAR's form, against the estimator the mapping in docs/malsar.md names."""
    pb = make_per_task(13, loss=loss, sizes=(20, 30, 25, 35), p=5)
    T = pb.n_tasks
    n_t = np.array([len(yt) for _, yt, _ in pb.blocks])
    rho1, rho2, rho_l2 = 0.7, (0.0 if structure == "mean_no_l1" else 0.3), 0.05
    # A structure R whose R R^T is no Laplacian: T x 2 (singular, so l2 > 0), or T x T
    # (nonsingular: MALSAR's default rho_L2 = 0 is then fine).
    if structure == "general_full":
        rho_l2 = 0.0
    if loss == "logistic":
        rho1, rho2 = 0.07, 0.01
    adj = random_graph(T, np.random.default_rng(4), components=1)
    R = np.eye(T) - 1.0 / T if structure.startswith("mean") else _incidence(adj)
    if structure.startswith("general"):
        R = np.random.default_rng(5).normal(size=(T, 2 if structure == "general" else T))
    params = dict(alpha=rho2, l2_reg=2 * rho_l2)
    if structure == "incidence":
        cls, params = CLASSES["graph"][loss], dict(params, graph=R @ R.T, graph_type="laplacian",
                                                   lambda_graph=2 * rho1)
    elif structure in ("general", "general_full", "mean_structure"):
        cls, params = CLASSES["graph"][loss], dict(params, graph=R, graph_type="structure",
                                                   lambda_graph=2 * rho1)
    elif structure == "adjacency":
        cls, params = CLASSES["graph"][loss], dict(params, graph=adj, lambda_graph=2 * rho1)
    elif structure == "mean":
        cls, params = CLASSES["graph"][loss], dict(params, lambda_graph=2 * rho1 / T)
    else:
        cls, params = CLASSES["mean"][loss], dict(lambda_mean=2 * rho1, lambda_l2=2 * rho_l2)
    least = loss == "squared"
    est = cls(task_column=-1, task_weights=n_t if least else None, fit_intercept=not least,
              tol=1e-10, max_iter=100_000, **params).fit(pb.X, pb.y)

    W, c = cp.Variable((T, 5)), cp.Variable(T)
    if least:
        fit = sum(0.5 * cp.sum_squares(yt - Xt @ W[t]) for t, (Xt, yt, _) in enumerate(pb.blocks))
    else:
        fit = sum(cp.sum(cp.logistic(cp.multiply(-yt, Xt @ W[t] + c[t]))) / len(yt)
                  for t, (Xt, yt, _) in enumerate(pb.blocks))
    prob = cp.Problem(cp.Minimize(fit + rho1 * cp.sum_squares(R.T @ W) + rho2 * cp.sum(cp.abs(W))
                                  + rho_l2 * cp.sum_squares(W)))
    prob.solve(**_CLARABEL)

    def malsar(coef, b):
        if least:
            f = sum(0.5 * np.sum((yt - Xt @ coef[t]) ** 2)
                    for t, (Xt, yt, _) in enumerate(pb.blocks))
        else:
            f = sum(np.mean(np.logaddexp(0, -yt * (Xt @ coef[t] + b[t])))
                    for t, (Xt, yt, _) in enumerate(pb.blocks))
        return (f + rho1 * np.sum((R.T @ coef) ** 2) + rho2 * np.abs(coef).sum()
                + rho_l2 * np.sum(coef ** 2))

    ours, ref = malsar(est.coef_, est.intercept_), malsar(W.value, c.value)
    assert ours <= ref + 1e-6 * abs(ref)
    np.testing.assert_allclose(est.coef_, W.value, atol=1e-4)


# -- certificates, warnings, warm starts ------------------------------------------------
@pytest.mark.parametrize("model", ["mean", "graph"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_convergence_warning(model, loss):
    pb = _problem(loss, "shared", seed=8)
    params = dict(lambda_mean=0.5) if model == "mean" else dict(alpha=0.01)
    with pytest.warns(ConvergenceWarning, match="duality gap"):
        est = _fit(CLASSES[model][loss], pb, tol=1e-14, max_iter=2, **params)
    assert est.n_iter_ == 2 and est.dual_gap_ > 1e-14 * null_objective(pb, True)


@pytest.mark.parametrize("model", ["mean", "graph"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_warm_start(model, loss):
    pb = _problem(loss, "per_task", seed=9)
    params = dict(lambda_mean=0.5, tol=1e-10) if model == "mean" else dict(alpha=0.01, tol=1e-10)
    cold = _fit(CLASSES[model][loss], pb, **params)
    est = CLASSES[model][loss](task_column=-1, warm_start=True, **params).fit(pb.X, pb.y)
    first = est.coef_.copy()
    est.fit(pb.X, pb.y)
    assert est.n_iter_ < cold.n_iter_ / 2
    np.testing.assert_allclose(est.coef_, first, atol=1e-6)
    np.testing.assert_allclose(est.coef_, cold.coef_, atol=1e-6)


def test_long_chain_is_certified():
    """An ill-conditioned Laplacian (a chain of 30 tasks) with a small l1 term: the gap, built
    on an upper bound of the conjugate, certifies a fit that cvxpy confirms."""
    T = 30
    pb = make_per_task(14, sizes=tuple(range(12, 12 + T)), p=4)
    chain = np.zeros((T, T))
    chain[np.arange(T - 1), np.arange(1, T)] = chain[np.arange(1, T), np.arange(T - 1)] = 1.0
    params = dict(graph=chain, lambda_graph=1.0, alpha=1e-3, task_column=-1)
    ours = GraphRegularizedRegressor(tol=1e-8, max_iter=20_000, **params).fit(pb.X, pb.y)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        ref = GraphRegularizedRegressor(solver="cvxpy", **params).fit(pb.X, pb.y)

    def obj(e):
        return datafit(pb, e.coef_, e.intercept_) + graph_penalty(e.coef_, chain, 1.0, 1e-3, 0.0)

    assert obj(ours) <= obj(ref) + 1e-6 * obj(ref)
    # the certificate: the reported gap bounds the distance to cvxpy's optimum
    assert obj(ours) - obj(ref) <= ours.dual_gap_ + 1e-9 * obj(ref)
    assert ours.dual_gap_ <= 1e-8 * null_objective(pb, True)


def test_fista_does_not_stall_near_convergence():
    """Regression: the extrapolated predictor's rounding made backtracking double the step
    size's inverse until it overflowed (one task, p > n, a tight tol: sklearn's
    sample-weight check)."""
    rng = np.random.RandomState(42)
    X = rng.rand(15, 30)
    y = rng.randint(0, 3, size=15).astype(float)
    sw = rng.randint(0, 5, size=15)
    X, y = X.repeat(sw, axis=0), y.repeat(sw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither overflow nor non-convergence
        est = GraphRegularizedRegressor(lambda_graph=0.1, alpha=0.01, tol=1e-9,
                                        max_iter=5_000).fit(X, y)
    assert est.dual_gap_ <= 1e-9 * 0.5 * np.var(y) * (1 + 1e-9)


# -- bad input -------------------------------------------------------------------------
def _bad_graphs(T):
    sym = random_graph(T, np.random.default_rng(3), components=1)
    lap = np.diag(sym.sum(axis=1)) - sym
    nonsym = sym.copy()
    nonsym[0, 1] += 0.5
    neg = sym.copy()
    neg[0, 1] = neg[1, 0] = -0.2
    nan = sym.copy()
    nan[1, 2] = nan[2, 1] = np.nan
    inf = sym.copy()
    inf[0, 0] = np.inf
    lap_pos = lap.copy()
    lap_pos[0, 1] = lap_pos[1, 0] = 0.3
    lap_rows = lap + np.eye(T)
    return [
        (np.ones((T + 1, T + 1)), "adjacency", "data has 4 tasks"),
        (np.ones((T, T - 1)), "adjacency", "square"),
        (np.ones(T), "adjacency", "square"),
        (nonsym, "adjacency", "symmetric"),
        (neg, "adjacency", "negative edge weight"),
        (nan, "adjacency", "NaN"),
        (inf, "adjacency", "NaN or infinite"),
        ([["a"] * T] * T, "adjacency", "numeric"),
        (lap_pos, "laplacian", "off-diagonal"),
        (lap_rows, "laplacian", "sums to"),
        (nonsym, "laplacian", "symmetric"),
        (sym, "laplacian", "off-diagonal"),  # an adjacency read as a Laplacian
        (sym, "graph", "graph_type"),
        (np.ones((T + 1, 2)), "structure", "data has 4 tasks"),
        (np.ones(T), "structure", "shape"),
        (nan[:, :2], "structure", "NaN"),
        (None, "structure", "needs graph=R"),
        # Singular R R^T (null space not task groups) with l2_reg = 0: refused, not guessed.
        (np.arange(1.0, T + 1)[:, None], "structure", "l2_reg > 0"),
    ]


@pytest.mark.parametrize("case", range(18))
@pytest.mark.parametrize("layout", ["shared", "per_task"])
def test_bad_graph(case, layout):
    pb = _problem("squared", layout, seed=10)
    graph, kind, match = _bad_graphs(pb.n_tasks)[case]
    with pytest.raises(ValueError, match=match):
        _fit(GraphRegularizedRegressor, pb, graph=graph, graph_type=kind)


@pytest.mark.parametrize("cls,params,match", [
    (GraphRegularizedRegressor, dict(alpha=0.0), "alpha and l2_reg cannot both be 0"),
    (GraphRegularizedClassifier, dict(alpha=0.0, l2_reg=0.0), "singular"),
    (GraphRegularizedRegressor, dict(lambda_graph=-1.0), "lambda_graph"),
    (GraphRegularizedRegressor, dict(alpha=np.nan), "alpha"),
    (MeanRegularizedRegressor, dict(lambda_mean=0.0, lambda_l2=0.0),
     "lambda_mean and lambda_l2 cannot both be 0"),
    (MeanRegularizedClassifier, dict(lambda_mean=0.0, lambda_l2=0), "cannot both be 0"),
    (MeanRegularizedRegressor, dict(lambda_mean=-0.1), "lambda_mean"),
    (MeanRegularizedClassifier, dict(lambda_mean=np.inf), "lambda_mean"),
])
def test_bad_parameters(cls, params, match):
    pb = _problem("squared" if "Regressor" in cls.__name__ else "logistic", "shared", seed=11)
    with pytest.raises(ValueError, match=match):
        _fit(cls, pb, **params)


@pytest.mark.parametrize("cls", [GraphRegularizedRegressor, MeanRegularizedRegressor])
def test_bcd_refused(cls):
    pb = _problem("squared", "shared", seed=12)
    with pytest.raises(ValueError, match="separable"):
        _fit(cls, pb, solver="bcd")
