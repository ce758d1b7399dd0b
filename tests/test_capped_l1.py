"""Capped l1,l1 (multi-stage MTFL): each stage certified, descent of the capped objective, recovery.

* Every stage is a weighted lasso whose unpenalised rows are the features
  above the cap; the last stage's optimality conditions are checked here
  from the data alone (``conftest.gradient``), and its objective against
  cvxpy's minimum of that stage's problem, written from the docstring.
* The capped objective never rises above the first stage's (the lasso's).
* Support recovery beats the lasso's on a planted problem.
* The stage penalty's prox against its definition and the Moreau identity.
"""

import warnings

import cvxpy as cp
import numpy as np
import pytest

from conftest import datafit, gradient, make_per_task, make_shared
from mtlclassic import CappedL1Classifier, CappedL1Regressor, LassoRegressor, alpha_max
from mtlclassic.estimators.capped_l1 import capped_l1_value
from mtlclassic.penalties import RowWeightedL1

CLASSES = {"squared": CappedL1Regressor, "logistic": CappedL1Classifier}


def _problem(loss, layout, seed):
    kw = dict(loss=loss, p=10, sample_weight=seed % 2 == 1, task_weights=seed % 2 == 0)
    if layout == "shared":
        return make_shared(500 + seed, n=40, n_tasks=3, nan_frac=0.1 * (seed % 2), **kw)
    return make_per_task(500 + seed, sizes=(25, 35, 30), **kw)


def _fit(pb, **params):
    est = CLASSES[pb.loss](task_column=pb.task_column, task_weights=pb.task_weights, **params)
    return est.fit(pb.X, pb.y, sample_weight=pb.sample_weight)


def _strength(pb):
    am = alpha_max(pb.X, pb.y, penalty="l1", task_column=pb.task_column,
                   sample_weight=pb.sample_weight, task_weights=pb.task_weights,
                   loss=pb.loss)
    return 0.15 * am


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_stages_are_certified_and_never_raise_the_capped_objective(loss, layout, seed, worst):
    pb = _problem(loss, layout, seed)
    alpha = _strength(pb)
    cap = 0.3
    est = _fit(pb, alpha=alpha, cap=cap, l2_reg=0.0, tol=1e-10, max_iter=20000)
    W, b = est.coef_, est.intercept_
    # The reported capped objective is the documented one, recomputed from the data.
    ours = datafit(pb, W, b) + capped_l1_value(W, alpha, cap)
    assert abs(est.stage_objectives_[-1] - ours) <= 1e-9 * abs(ours)
    # Never above the first stage's (the lasso's), up to the stages' tolerance.
    assert np.all(est.stage_objectives_[1:] <= est.stage_objectives_[0] * (1 + 1e-8))
    assert est.n_stages_ >= 2 and len(est.unpenalized_features_) > 0
    scale = datafit(pb, np.zeros_like(W), b)
    assert np.all(est.stage_gaps_ <= 1e-9 * scale)
    # The last stage is converged (its set of free features repeated): its optimality
    # conditions, from the data. Penalised features: |G| <= alpha, = alpha sign(w) where
    # w != 0; unpenalised ones: G = 0; intercepts: g = 0.
    assert est.n_stages_ < est.n_stages
    G, g = gradient(pb, W, b)
    free = np.zeros(W.shape[1], dtype=bool)
    free[est.unpenalized_features_] = True
    # A gap eps bounds the gradient's error by about sqrt(2 L eps), not eps: 1e-3 alpha.
    atol = 1e-3 * alpha
    assert np.all(np.abs(G[:, free]) <= atol)
    assert np.all(np.abs(G[:, ~free]) <= alpha + atol)
    on = (W != 0) & ~free[None, :]
    np.testing.assert_allclose(G[on], -alpha * np.sign(W[on]), atol=atol)
    np.testing.assert_allclose(g, 0.0, atol=atol)
    # ... and its objective against cvxpy's minimum of that stage's problem.
    weights = (~free).astype(float)
    T, p = W.shape
    V, c = cp.Variable((T, p)), cp.Variable(T)
    terms = []
    for t, ((Xt, yt, st), tau) in enumerate(zip(pb.blocks, pb.tau)):
        z = Xt @ V[t] + c[t]
        k = tau * st / np.sum(st)
        terms.append(0.5 * cp.sum(cp.multiply(k, cp.square(yt - z))) if loss == "squared"
                     else cp.sum(cp.multiply(k, cp.logistic(cp.multiply(-yt, z)))))
    stage = alpha * cp.sum(cp.abs(V) @ weights)
    prob = cp.Problem(cp.Minimize(cp.sum(terms) + stage))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    mine = datafit(pb, W, b) + alpha * float(np.sum(np.abs(W) @ weights))
    excess = (mine - prob.value) / abs(prob.value)
    worst.update(f"CappedL1 {loss}: last stage (objective - cvxpy) / |cvxpy|", excess,
                 f"{layout} seed={seed}")
    assert excess <= 1e-6


def _planted(seed, n=40, p=60, T=4, k=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    W = np.zeros((T, p))
    W[:, :k] = rng.choice([-1, 1], (T, k)) * (0.5 + rng.random((T, k)))
    return X, X @ W.T + rng.standard_normal((n, T)), np.arange(p) < k


def _f1(truth, found):
    return 2 * np.sum(truth & found) / (truth.sum() + found.sum())


def test_support_recovery_beats_the_lasso(worst):
    """Feature-support F1: capped l1 above the lasso at every strength, and at the best of each.

    6 features of 60 shared by 4 tasks, 40 rows; strengths 0.5 .. 0.1 of
    ``alpha_max``, ``cap=1`` (measured: the best F1 over the grid is 0.5 to
    1.0 for the lasso, 0.86 to 1.0 for the capped penalty, never lower).
    """
    best_lasso, best_capped = [], []
    for seed in range(4):
        X, Y, truth = _planted(seed)
        am = alpha_max(X, Y, penalty="l1")
        lasso, capped = [], []
        for f in (0.5, 0.3, 0.2, 0.1):
            lasso.append(_f1(truth, np.abs(LassoRegressor(alpha=f * am).fit(X, Y).coef_)
                             .sum(axis=0) > 0))
            capped.append(_f1(truth, np.abs(CappedL1Regressor(alpha=f * am, cap=1.0).fit(X, Y)
                                            .coef_).sum(axis=0) > 0))
        assert np.all(np.array(capped) >= np.array(lasso))
        best_lasso.append(max(lasso))
        best_capped.append(max(capped))
    print(f"\n[CappedL1] best support F1 per seed: lasso {np.round(best_lasso, 2)}, "
          f"capped {np.round(best_capped, 2)}")
    worst.update("CappedL1: mean best F1 lasso - capped", np.mean(best_lasso)
                 - np.mean(best_capped), "seeds 0..3")
    assert np.mean(best_capped) > np.mean(best_lasso)


def test_one_stage_is_the_lasso():
    pb = make_shared(31, n=40, p=8, n_tasks=3)
    one = CappedL1Regressor(alpha=0.05, n_stages=1, tol=1e-10).fit(pb.X, pb.y)
    lasso = LassoRegressor(alpha=0.05, tol=1e-10).fit(pb.X, pb.y)
    np.testing.assert_allclose(one.coef_, lasso.coef_, atol=1e-8)
    assert one.n_stages_ == 1


def test_warm_start_continues_from_the_fitted_stage():
    pb = make_shared(32, n=40, p=8, n_tasks=3)
    cold = CappedL1Regressor(alpha=0.05, cap=0.3, tol=1e-10).fit(pb.X, pb.y)
    warm = CappedL1Regressor(alpha=0.05, cap=0.3, tol=1e-10, warm_start=True).fit(pb.X, pb.y)
    warm.fit(pb.X, pb.y)  # at the fixed point: one stage confirms it
    assert warm.n_stages_ == 1
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-8)


@pytest.mark.parametrize("params, match", [(dict(cap=0.0), "cap"), (dict(cap=np.nan), "cap"),
                                           (dict(n_stages=0), "n_stages"),
                                           (dict(n_stages=2.0), "n_stages")])
def test_bad_parameters_raise(params, match):
    pb = make_shared(33, n=20, p=4, n_tasks=2)
    with pytest.raises(ValueError, match=match):
        CappedL1Regressor(**params).fit(pb.X, pb.y)


@pytest.mark.parametrize("l2_reg", [0.0, 0.3])
def test_row_weighted_l1_prox(l2_reg):
    """The prox against its definition (cvxpy) and, without l2, Moreau's identity."""
    rng = np.random.default_rng(0)
    V = rng.standard_normal((6, 3))
    weights = np.array([1.0, 0.0, 2.0, 0.5, 0.0, 1.0])
    pen = RowWeightedL1(0.4, weights, l2_reg)
    step = 0.7
    U = cp.Variable(V.shape)
    cp.Problem(cp.Minimize(cp.sum_squares(U - V) / (2 * step) + pen.cvxpy_expr(U))).solve(
        solver=cp.CLARABEL)
    np.testing.assert_allclose(pen.prox(V, step), U.value, atol=1e-6)
    if not l2_reg:  # prox_f + prox_{f*} = identity; f* is the indicator of |V_j| <= alpha w_j
        box = step * 0.4 * weights[:, None]
        np.testing.assert_allclose(pen.prox(V, step) + np.clip(V, -box, box), V, atol=1e-14)
        assert list(pen.free_rows) == [1, 4]
        assert pen.dual_norm(V) == pytest.approx(np.max(np.abs(V[weights > 0]).max(axis=1)
                                                        / weights[weights > 0]))
