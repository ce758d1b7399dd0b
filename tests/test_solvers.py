"""Solutions of the group lasso estimators: cvxpy oracle, KKT conditions, duality gap, equivalences.

Every check computes what it compares against in the test (``conftest``: the
objective, its gradient, the null objective and the duality gap written from
the docstring formula), never through mtlclassic's datafits.  Run with
``pytest -s`` to see the worst cases.
"""

import warnings

import cvxpy as cp
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import MultiTaskLasso

from conftest import (ESTIMATORS, alpha_max_ref, best_intercepts, duality_gap, gradient,
                      make_per_task, make_shared, null_objective, objective)
from mtlclassic import GroupLassoRegressor, alpha_max, stack_tasks

# -- the random problems -----------------------------------------------------------------
# layout x loss x fit_intercept x variant: 24 problems.  Variants: "plain" (no weights),
# "weighted" (sample_weight and task_weights), "special" (shared: NaN targets, sample
# weights, CSC X; per task: tasks of 3, 9 and 25 rows, weights, CSR X).  Per-task sizes
# are always unequal.
CASES = [(layout, loss, fit_intercept, variant)
         for layout in ("shared", "per_task") for loss in ("squared", "logistic")
         for fit_intercept in (True, False) for variant in ("plain", "weighted", "special")]
IDS = ["-".join([la, lo, "intercept" if fi else "no_intercept", v]) for la, lo, fi, v in CASES]


def build(case):
    layout, loss, _, variant = case
    seed = CASES.index(case)
    if layout == "shared":
        return make_shared(seed, loss=loss, n=30, p=8, n_tasks=3,
                           sample_weight=variant != "plain", task_weights=variant == "weighted",
                           nan_frac=0.3 if variant == "special" else 0.0,
                           sparse="csc" if variant == "special" else None)
    sizes = (3, 9, 25) if variant == "special" else (10, 16, 24)
    return make_per_task(seed, loss=loss, sizes=sizes, p=8, sample_weight=variant != "plain",
                         task_weights=variant != "plain",
                         sparse="csr" if variant == "special" else None)


def solvers_for(loss):
    """"auto" (the default) first, then every solver the loss admits."""
    return (["auto", "bcd", "fista"] if loss == "squared"
            else ["auto", "prox_newton", "working_set", "fista"])


def fit_quiet(problem, **params):
    """Fit, failing on a ConvergenceWarning; cvxpy's 'inaccurate' warnings are ignored."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        return problem.fit(max_iter=100_000, **params)


def rel_diff(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), np.finfo(float).tiny)


# -- cvxpy oracle ------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_objective_matches_cvxpy(case, worst):
    pb = build(case)
    fit_intercept = case[2]
    alpha = 0.3 * alpha_max_ref(pb, fit_intercept)
    tol = 1e-8
    ref = fit_quiet(pb, alpha=alpha, fit_intercept=fit_intercept, solver="cvxpy")
    assert ref.solver_ == "cvxpy"
    obj_ref = objective(pb, alpha, ref.coef_, ref.intercept_)
    null = null_objective(pb, fit_intercept)
    for solver in solvers_for(pb.loss):
        est = fit_quiet(pb, alpha=alpha, fit_intercept=fit_intercept, solver=solver, tol=tol)
        assert np.any(est.coef_ != 0)
        obj = objective(pb, alpha, est.coef_, est.intercept_)
        excess = (obj - obj_ref) / abs(obj_ref)
        where = f"{IDS[CASES.index(case)]}, solver={est.solver_}"
        worst.update("relative objective excess over cvxpy", excess, where)
        worst.update("relative objective |difference| to cvxpy", abs(excess), where)
        assert obj <= obj_ref + 1e-6 * abs(obj_ref)
        # and no better than the oracle by more than its accuracy (same problem solved)
        assert obj >= obj_ref - 1e-6 * abs(obj_ref)
        # converged by the estimator's own criterion, measured in independent units
        worst.update("dual_gap_ / (tol * null objective)", est.dual_gap_ / (tol * null), where)
        assert est.dual_gap_ <= tol * null
        # The gap recomputed independently at the residual dual point bounds the
        # reported one, which may use a better dual point (the best seen, or an
        # extrapolated one); the reported gap still bounds the suboptimality.
        gap = duality_gap(pb, alpha, est.coef_, est.intercept_)
        worst.update("(dual_gap_ - gap_ref) / null objective", (est.dual_gap_ - gap) / null,
                     where)
        assert gap >= -1e-12 * null  # weak duality
        assert est.dual_gap_ <= gap + 1e-11 * null
        assert obj - obj_ref <= est.dual_gap_ + 1e-12 * null


def test_oracle_cases_cover_the_required_settings():
    """At least 20 problems, every layout / loss / intercept / weighting combination."""
    assert len(CASES) >= 20
    problems = [build(c) for c in CASES]
    assert any(p.layout == "shared" and any(np.isnan(p.y).ravel()) for p in problems
               if p.loss == "squared")
    assert any(p.layout == "shared" and any(np.isnan(p.y).ravel()) for p in problems
               if p.loss == "logistic")
    assert any(p.sample_weight is not None for p in problems)
    assert any(p.task_weights is not None for p in problems)
    assert any(p.layout == "per_task" and len({len(b[1]) for b in p.blocks}) == p.n_tasks
               for p in problems)
    assert any(sp.issparse(p.X) for p in problems)


# -- KKT conditions --------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_kkt_conditions(case, worst):
    """At the solution: ``||grad_j|| <= alpha`` on zero columns, ``grad_j = -alpha w_j/||w_j||``
    on nonzero columns, zero intercept gradient."""
    pb = build(case)
    fit_intercept = case[2]
    alpha = 0.3 * alpha_max_ref(pb, fit_intercept)
    for solver in solvers_for(pb.loss)[1:]:
        est = fit_quiet(pb, alpha=alpha, fit_intercept=fit_intercept, solver=solver, tol=1e-12)
        G, g = gradient(pb, est.coef_, est.intercept_)
        wn = np.linalg.norm(est.coef_, axis=0)
        gn = np.linalg.norm(G, axis=0)
        nz = wn > 0
        assert nz.any() and (~nz).any(), "a useful check needs zero and nonzero columns"
        where = f"{IDS[CASES.index(case)]}, solver={solver}"
        zero_excess = np.max(gn[~nz]) / alpha - 1
        residual = np.max(np.linalg.norm(G[:, nz] + alpha * est.coef_[:, nz] / wn[nz], axis=0))
        worst.update("KKT zero columns: max ||grad_j|| / alpha - 1", zero_excess, where)
        worst.update("KKT nonzero columns: max ||grad_j + alpha w_j/||w_j|| || / alpha",
                     residual / alpha, where)
        assert zero_excess <= 1e-6
        assert residual <= 1e-5 * alpha
        if fit_intercept:
            assert np.max(np.abs(g)) <= 1e-10
            worst.update("KKT intercept: max |grad_b|", np.max(np.abs(g)), where)
        else:
            assert np.all(est.intercept_ == 0)


@pytest.mark.parametrize("case", [c for c in CASES if c[1] == "squared"],
                         ids=[i for c, i in zip(CASES, IDS) if c[1] == "squared"])
def test_fista_and_bcd_agree(case, worst):
    pb = build(case)
    alpha = 0.3 * alpha_max_ref(pb, case[2])
    fits = {s: fit_quiet(pb, alpha=alpha, fit_intercept=case[2], solver=s, tol=1e-12)
            for s in ("bcd", "fista")}
    diff = rel_diff(fits["fista"].coef_, fits["bcd"].coef_)
    worst.update("relative ||coef_fista - coef_bcd||", diff, IDS[CASES.index(case)])
    assert diff <= 1e-6
    np.testing.assert_allclose(fits["fista"].intercept_, fits["bcd"].intercept_, rtol=1e-6,
                               atol=1e-8)
    # the same support (the prox gives exact zeros)
    np.testing.assert_array_equal(np.all(fits["fista"].coef_ == 0, axis=0),
                                  np.all(fits["bcd"].coef_ == 0, axis=0))


@pytest.mark.parametrize("case", CASES[::3], ids=IDS[::3])
def test_gap_matches_independent_gap_before_convergence(case):
    """Also far from the optimum (a few iterations) the reported gap is primal - dual."""
    pb = build(case)
    alpha = 0.1 * alpha_max_ref(pb, case[2])
    for solver in solvers_for(pb.loss)[1:]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = pb.fit(alpha=alpha, fit_intercept=case[2], solver=solver, max_iter=3, tol=1e-12)
        gap = duality_gap(pb, alpha, est.coef_, est.intercept_)
        assert gap > 0
        assert est.dual_gap_ == pytest.approx(gap, rel=1e-9)


# -- dtype, warm start, convergence warning ----------------------------------------------------
@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("loss, solver", [("squared", "bcd"), ("squared", "fista"),
                                          ("logistic", "fista"), ("logistic", "prox_newton")])
def test_float32_fit(layout, loss, solver):
    if layout == "shared":
        pb = make_shared(31, loss=loss, n=40, p=8)
        X32, y32 = pb.X.astype(np.float32), pb.y.astype(np.float32)
    else:
        pb = make_per_task(31, loss=loss, sizes=(15, 20, 25), p=8)
        X32, y32 = stack_tasks([X.astype(np.float32) for X in pb.extra["Xs"]],
                               [y.astype(np.float32) for y in pb.extra["ys"]])
        assert X32.dtype == np.float32
    alpha = 0.2 * alpha_max_ref(pb, True)
    est64 = fit_quiet(pb, alpha=alpha, solver=solver, tol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est32 = pb.estimator(alpha=alpha, solver=solver, tol=1e-5).fit(X32, y32)
    assert est32.coef_.dtype == np.float32
    assert est32.intercept_.dtype == np.float32
    # The gap bounds the objective, not the coefficients: the float32 solution is
    # within tol (plus float32 rounding of the data) of the optimum in objective.
    excess = (objective(pb, alpha, est32.coef_.astype(np.float64), est32.intercept_)
              - objective(pb, alpha, est64.coef_, est64.intercept_))
    assert excess <= 2e-5 * null_objective(pb, True)
    assert rel_diff(est32.coef_, est64.coef_) <= 1e-2


@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("loss, solver", [("squared", "bcd"), ("squared", "fista"),
                                          ("logistic", "fista"), ("logistic", "prox_newton")])
def test_warm_start_reuses_solution(layout, loss, solver):
    pb = (make_shared(32, loss=loss, n=40, p=10) if layout == "shared"
          else make_per_task(32, loss=loss, p=10))
    alpha = 0.05 * alpha_max_ref(pb, True)
    est = pb.estimator(alpha=alpha, solver=solver, tol=1e-10, max_iter=100_000, warm_start=True)
    est.fit(pb.X, pb.y)
    first, coef = est.n_iter_, est.coef_.copy()
    assert first > 10
    est.fit(pb.X, pb.y)
    assert est.n_iter_ <= 10  # converged at the first gap check (every 10 iterations)
    np.testing.assert_allclose(est.coef_, coef, rtol=1e-6, atol=1e-9)
    # without warm start a refit starts from zero again
    cold = pb.estimator(alpha=alpha, solver=solver, tol=1e-10, max_iter=100_000)
    cold.fit(pb.X, pb.y)
    cold.fit(pb.X, pb.y)
    assert cold.n_iter_ == first
    # along a path, the warm-started solution (intercepts mapped through the centering)
    # is the cold one
    est.set_params(alpha=1.5 * alpha).fit(pb.X, pb.y)
    cold.set_params(alpha=1.5 * alpha).fit(pb.X, pb.y)
    assert rel_diff(est.coef_, cold.coef_) <= 1e-6
    np.testing.assert_allclose(est.intercept_, cold.intercept_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("loss, solver", [("squared", "bcd"), ("squared", "fista"),
                                          ("logistic", "fista"), ("logistic", "prox_newton")])
def test_convergence_warning_names_duality_gap(layout, loss, solver):
    pb = make_shared(33, loss=loss) if layout == "shared" else make_per_task(33, loss=loss)
    alpha = 0.05 * alpha_max_ref(pb, True)
    with pytest.warns(ConvergenceWarning, match="duality gap"):
        est = pb.fit(alpha=alpha, solver=solver, max_iter=1, tol=1e-10)
    assert est.n_iter_ == 1
    assert est.dual_gap_ > 1e-10 * null_objective(pb, True)


# -- equivalences ----------------------------------------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_shared_equals_per_task_with_repeated_design(loss, fit_intercept, weighted):
    pb = make_shared(34, loss=loss, n=25, p=6, n_tasks=3, sample_weight=weighted,
                     task_weights=weighted)
    alpha = 0.2 * alpha_max_ref(pb, fit_intercept)
    shared = fit_quiet(pb, alpha=alpha, fit_intercept=fit_intercept, tol=1e-12)
    T = pb.y.shape[1]
    X, y = stack_tasks([pb.X] * T, [pb.y[:, t] for t in range(T)])
    sw = None if pb.sample_weight is None else np.tile(pb.sample_weight, T)
    per_task = ESTIMATORS[loss](alpha=alpha, fit_intercept=fit_intercept, task_column=-1,
                                task_weights=pb.task_weights, tol=1e-12, max_iter=100_000)
    per_task.fit(X, y, sample_weight=sw)
    assert per_task.coef_.shape == shared.coef_.shape
    # tol bounds the objective; coefficients then agree to about sqrt(tol).
    assert rel_diff(per_task.coef_, shared.coef_) <= 1e-5
    np.testing.assert_allclose(per_task.intercept_, shared.intercept_, rtol=1e-5, atol=1e-8)
    assert abs(objective(pb, alpha, per_task.coef_, per_task.intercept_)
               - objective(pb, alpha, shared.coef_, shared.intercept_)) <= 1e-11 * null_objective(
                   pb, fit_intercept)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_task_weights_n_t_give_unnormalised_objective(loss, fit_intercept):
    """``task_weights = n_t``: ``sum_t sum_{i in t} l(y_i, z_i) + alpha ||W||_21`` (MALSAR),
    solved here by cvxpy directly."""
    pb = make_per_task(35, loss=loss, sizes=(5, 12, 30), p=6)
    pb.task_weights = np.array([len(b[1]) for b in pb.blocks], dtype=float)
    alpha = 0.2 * alpha_max_ref(pb, fit_intercept)
    est = fit_quiet(pb, alpha=alpha, fit_intercept=fit_intercept, tol=1e-12)
    W = cp.Variable((pb.n_tasks, pb.blocks[0][0].shape[1]))
    b = cp.Variable(pb.n_tasks) if fit_intercept else np.zeros(pb.n_tasks)
    terms = []
    for t, (Xt, yt, _) in enumerate(pb.blocks):
        zt = Xt @ W[t] + b[t]
        terms.append(0.5 * cp.sum_squares(yt - zt) if loss == "squared"
                     else cp.sum(cp.logistic(-cp.multiply(yt, zt))))
    cp.Problem(cp.Minimize(cp.sum(terms) + alpha * cp.sum(cp.norm(W, 2, axis=0)))).solve(
        solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    b_ref = b.value if fit_intercept else b

    def unnormalised(coef, intercept):
        total = alpha * np.sum(np.linalg.norm(coef, axis=0))
        for t, (Xt, yt, _) in enumerate(pb.blocks):
            z = Xt @ coef[t] + intercept[t]
            total += np.sum(0.5 * (yt - z) ** 2 if loss == "squared"
                            else np.logaddexp(0.0, -yt * z))
        return total

    ours, ref = unnormalised(est.coef_, est.intercept_), unnormalised(W.value, b_ref)
    assert ours <= ref + 1e-8 * abs(ref)
    assert rel_diff(est.coef_, W.value) <= 1e-4
    assert np.any(est.coef_ != 0)


def test_task_weights_n_match_multitask_lasso_scaled_alpha():
    """Shared layout, ``task_weights = n``: ``1/2 ||Y - XW^T||^2 + alpha ||W||_21`` is
    scikit-learn's objective with ``alpha / n``, times n."""
    pb = make_shared(36, n=30, p=8, n_tasks=3)
    n, T = pb.y.shape
    ref = MultiTaskLasso(alpha=0.05, tol=1e-12, max_iter=100_000).fit(pb.X, pb.y)
    est = GroupLassoRegressor(alpha=0.05 * n, task_weights=[n] * T, tol=1e-12).fit(pb.X, pb.y)
    assert rel_diff(est.coef_, ref.coef_) <= 1e-6
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-6)


@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_integer_sample_weight_equals_repeated_rows(layout, loss):
    pb = (make_shared(37, loss=loss, nan_frac=0.2) if layout == "shared"
          else make_per_task(37, loss=loss))
    n = pb.X.shape[0]
    sw = np.random.default_rng(0).integers(0, 4, n)  # zeros drop rows
    sw[:6] = np.maximum(sw[:6], 1)  # keep both classes / observed rows of every task
    if layout == "per_task":
        starts = np.concatenate([[0], np.cumsum([len(b[1]) for b in pb.blocks])[:-1]])
        for s in starts:
            sw[s:s + 4] = np.maximum(sw[s:s + 4], 1)
    assert np.any(sw == 0) and np.any(sw > 1)
    alpha = 0.2 * alpha_max_ref(pb, True)
    weighted = pb.estimator(alpha=alpha, tol=1e-12, max_iter=100_000)
    weighted.fit(pb.X, pb.y, sample_weight=sw)
    rows = np.repeat(np.arange(n), sw)
    repeated = pb.estimator(alpha=alpha, tol=1e-12, max_iter=100_000)
    repeated.fit(pb.X[rows], pb.y[rows])
    assert np.any(weighted.coef_ != 0)
    assert rel_diff(weighted.coef_, repeated.coef_) <= 1e-7
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-7, atol=1e-10)


# -- alpha_max -----------------------------------------------------------------------------------
ALPHA_MAX_CASES = [(layout, loss, fit_intercept, weighted)
                   for layout in ("shared", "per_task") for loss in ("squared", "logistic")
                   for fit_intercept in (True, False) for weighted in (False, True)]


@pytest.mark.parametrize("layout, loss, fit_intercept, weighted", ALPHA_MAX_CASES)
def test_alpha_max(layout, loss, fit_intercept, weighted):
    if layout == "shared":
        pb = make_shared(38, loss=loss, sample_weight=weighted, task_weights=weighted,
                         nan_frac=0.2 if weighted else 0.0)
    else:
        pb = make_per_task(38, loss=loss, sample_weight=weighted, task_weights=weighted)
    a_max = alpha_max(pb.X, pb.y, loss=loss, task_column=pb.task_column,
                      fit_intercept=fit_intercept, task_weights=pb.task_weights,
                      sample_weight=pb.sample_weight)
    assert a_max == pytest.approx(alpha_max_ref(pb, fit_intercept), rel=1e-10)
    for factor in (1.0 + 1e-9, 1.5):
        est = fit_quiet(pb, alpha=factor * a_max, fit_intercept=fit_intercept, tol=1e-10)
        assert np.all(est.coef_ == 0), f"alpha = {factor} alpha_max gives nonzero coef_"
        expected_b = best_intercepts(pb) if fit_intercept else np.zeros(pb.n_tasks)
        np.testing.assert_allclose(est.intercept_, expected_b, rtol=1e-9, atol=1e-12)
    # at alpha_max itself only rounding can leave nonzeros
    est = fit_quiet(pb, alpha=a_max, fit_intercept=fit_intercept, tol=1e-10)
    assert np.max(np.abs(est.coef_)) <= 1e-12
    est = fit_quiet(pb, alpha=(1 - 1e-3) * a_max, fit_intercept=fit_intercept, tol=1e-10)
    assert np.any(est.coef_ != 0)
