"""The prox-Newton working-set solver (``solver="prox_newton"``) for the logistic loss.

Objectives come from the docstring formula (``conftest.objective``, l2,1
penalty) or from the penalties written here; references are cvxpy and the
package's FISTA. Both layouts, dense and sparse designs, float32, missing
targets, sample and task weights, elastic terms.
"""

import importlib
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import mtlclassic as m
from conftest import (alpha_max_ref, datafit, make_per_task, make_shared, null_objective,
                      objective)
from mtlclassic.datafits import Logistic

newton_module = importlib.import_module("mtlclassic.solvers._newton")
ws_module = importlib.import_module("mtlclassic.solvers.working_set")


def _problem(layout, sparse, seed=0, **kw):
    if layout == "shared":
        return make_shared(seed, loss="logistic", n=60, p=30, n_tasks=3, nan_frac=0.1,
                           sparse="csc" if sparse else None, **kw)
    return make_per_task(seed, loss="logistic", sizes=(20, 35, 50), p=30,
                         sparse="csr" if sparse else None, **kw)


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        return fit()


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("layout", ["shared", "per_task"])
def test_matches_cvxpy_and_certifies(layout, sparse, fit_intercept):
    """Within 1e-6 of cvxpy, with a reported gap below tol that bounds the suboptimality."""
    pb = _problem(layout, sparse, sample_weight=True, task_weights=True)
    alpha = 0.2 * alpha_max_ref(pb, fit_intercept)
    tol = 1e-8
    est = _quiet(lambda: pb.fit(alpha=alpha, solver="prox_newton", tol=tol, max_iter=100_000,
                                fit_intercept=fit_intercept))
    ref = _quiet(lambda: pb.fit(alpha=alpha, solver="cvxpy", fit_intercept=fit_intercept))
    assert est.solver_ == "prox_newton" and np.any(est.coef_ != 0)
    obj = objective(pb, alpha, est.coef_, est.intercept_)
    obj_ref = objective(pb, alpha, ref.coef_, ref.intercept_)
    assert abs(obj - obj_ref) <= 1e-6 * abs(obj_ref)
    null = null_objective(pb, fit_intercept)
    assert 0 <= est.dual_gap_ <= tol * null
    assert obj - obj_ref <= est.dual_gap_ + 1e-12 * null


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("layout", ["shared", "per_task"])
def test_float32(layout, sparse):
    """float32 in, float32 out, converged at a float32 tolerance, near the float64 optimum."""
    pb = _problem(layout, sparse)
    X32 = pb.X.astype(np.float32)
    alpha = 0.2 * alpha_max_ref(pb, True)
    est64 = _quiet(lambda: pb.fit(alpha=alpha, solver="prox_newton", tol=1e-10,
                                  max_iter=100_000))
    est32 = _quiet(lambda: pb.estimator(alpha=alpha, solver="prox_newton", tol=1e-5)
                   .fit(X32, pb.y))
    assert est32.coef_.dtype == np.float32 and est32.intercept_.dtype == np.float32
    excess = (objective(pb, alpha, est32.coef_.astype(np.float64), est32.intercept_)
              - objective(pb, alpha, est64.coef_, est64.intercept_))
    assert excess <= 2e-5 * null_objective(pb, True)


# (estimator, extra parameters, penalty on coef (T, p) given alpha)
PENALTIES = {
    "l1 + l2": (m.LassoClassifier, {"l2_reg": 0.05},
                lambda W, a: a * np.abs(W).sum() + 0.025 * np.sum(W * W)),
    "l21 + l2": (m.GroupLassoClassifier, {"l2_reg": 0.05},
                 lambda W, a: a * np.linalg.norm(W, axis=0).sum() + 0.025 * np.sum(W * W)),
    "sparse group": (m.SparseGroupLassoClassifier, {"l1_ratio": 0.3},
                     lambda W, a: a * (0.3 * np.abs(W).sum()
                                       + 0.7 * np.linalg.norm(W, axis=0).sum())),
    "l1/linf": (m.L1InfClassifier, {}, lambda W, a: a * np.abs(W).max(axis=0).sum()),
}


@pytest.mark.parametrize("name", sorted(PENALTIES))
def test_every_row_penalty_matches_fista(name):
    cls, extra, pen = PENALTIES[name]
    pb = make_shared(3, loss="logistic", n=50, p=25, n_tasks=4, sample_weight=True)
    alpha = 0.1 * alpha_max_ref(pb, True)  # of the l2,1 penalty: a fraction for the others
    objs = {}
    for solver in ("prox_newton", "fista"):
        est = _quiet(lambda: cls(alpha=alpha, solver=solver, tol=1e-10, max_iter=100_000,
                                 **extra).fit(pb.X, pb.y, sample_weight=pb.sample_weight))
        assert est.solver_ == solver
        objs[solver] = datafit(pb, est.coef_, est.intercept_) + pen(est.coef_, alpha)
    assert abs(objs["prox_newton"] - objs["fista"]) <= 1e-7 * abs(objs["fista"]), objs


@pytest.mark.parametrize("max_iter", [1, 3, 10])
@pytest.mark.parametrize("layout", ["shared", "per_task"])
def test_gap_bounds_suboptimality_of_early_stopped_fits(layout, max_iter):
    pb = _problem(layout, sparse=False, seed=5, sample_weight=True)
    alpha = 0.05 * alpha_max_ref(pb, True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        early = pb.fit(alpha=alpha, solver="prox_newton", tol=1e-14, max_iter=max_iter)
    best = pb.fit(alpha=alpha, solver="prox_newton", tol=1e-11, max_iter=100_000)
    excess = (objective(pb, alpha, early.coef_, early.intercept_)
              - objective(pb, alpha, best.coef_, best.intercept_))
    assert early.dual_gap_ >= 0
    assert excess <= early.dual_gap_ + 1e-10


def test_newton_steps_decrease_the_objective(monkeypatch):
    """Every accepted step lowers the true objective (line search), up to rounding."""
    values = []
    original = newton_module._NewtonInner.step

    def step(self, W, b, Z, primal, max_epochs):
        out = original(self, W, b, Z, primal, max_epochs)
        values.append((primal, out[3]))
        return out

    monkeypatch.setattr(newton_module._NewtonInner, "step", step)
    pb = make_shared(4, loss="logistic", n=80, p=40, n_tasks=3)
    _quiet(lambda: pb.fit(alpha=0.05 * alpha_max_ref(pb, True), solver="prox_newton",
                          tol=1e-10, max_iter=100_000))
    assert len(values) >= 3
    for before, after in values:
        assert after <= before + 1e-13 * abs(before)


def test_curvature_is_the_derivative_of_the_gradient():
    pb = make_shared(6, loss="logistic", n=30, p=5, nan_frac=0.2, sample_weight=True)
    _, fit, _, _ = m.GroupLassoClassifier()._prepare(pb.X, pb.y, pb.sample_weight)
    data = fit.data
    assert isinstance(fit, Logistic) and set(np.unique(data.Y)) <= {-1.0, 0.0, 1.0}
    Z = np.random.default_rng(0).standard_normal(data.Y.shape) * 3
    h = 1e-6
    numeric = (fit.derivative_z(Z + h) - fit.derivative_z(Z - h)) / (2 * h)
    np.testing.assert_allclose(fit.curvature_z(Z), numeric, rtol=1e-6, atol=1e-12)


def test_ridge_forced():
    """A penalty zeroing no row: one working set of every feature, cvxpy's optimum."""
    pb = make_per_task(7, loss="logistic", sizes=(20, 30), p=10)
    fits = {s: _quiet(lambda: m.RidgeClassifier(alpha=0.05, task_column=-1, solver=s,
                                                tol=1e-12, max_iter=100_000).fit(pb.X, pb.y))
            for s in ("prox_newton", "cvxpy")}
    np.testing.assert_allclose(fits["prox_newton"].coef_, fits["cvxpy"].coef_, rtol=1e-5,
                               atol=1e-7)  # cvxpy's accuracy


def test_paths_and_cv_use_it_warm_started(monkeypatch):
    """The CV estimators' default is prox-Newton, warm-started along the path."""
    calls = []
    original = ws_module.newton_inner

    def inner(*args, **kwargs):
        out = original(*args, **kwargs)
        calls.append(out[2])
        return out

    monkeypatch.setattr(ws_module, "newton_inner", inner)
    pb = make_shared(8, loss="logistic", n=60, p=20, n_tasks=3)
    cv = m.GroupLassoClassifierCV(n_alphas=5, cv=2).fit(pb.X, pb.y)
    assert calls, "the CV path did not run the prox-Newton solver"
    path = m.GroupLassoClassifier(alpha=cv.alpha_)
    assert path.fit(pb.X, pb.y).solver_ == "prox_newton"


def test_task_grams_match_numpy():
    """The stacked design's per-task weighted Grams, compiled (Fortran X) and numpy (C X)."""
    from mtlclassic.data import StackedDesign

    rng = np.random.default_rng(3)
    offsets = np.array([0, 7, 30, 45])
    X = rng.standard_normal((45, 4))
    y, c = rng.standard_normal(45), rng.random(45)
    Q_ref, B_ref = np.empty((3, 4, 4)), np.empty((4, 3))
    for order in ("C", "F"):
        data = StackedDesign(np.array(X, order=order), y, c, offsets).center()
        for t, (s, e) in enumerate(zip(offsets[:-1], offsets[1:])):
            Xc = X[s:e] - data.X_offset[:, t]
            Q_ref[t], B_ref[:, t] = Xc.T @ (c[s:e, None] * Xc), Xc.T @ (c[s:e] * y[s:e])
        Q, B = data.task_grams()
        np.testing.assert_allclose(Q, Q_ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(B, B_ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gram_form_models_match_residual_form(monkeypatch, fit_intercept):
    """Many rows per task, few features: the models in Gram form; the optimum is the same."""
    pb = make_per_task(4, loss="logistic", sizes=(80, 120, 100), p=8, sample_weight=True)
    alpha = 0.1 * alpha_max_ref(pb, fit_intercept)
    used = []
    original = newton_module._gram_applies

    def applies(model):
        used.append(original(model))
        return used[-1]

    monkeypatch.setattr(newton_module, "_gram_applies", applies)
    gram = _quiet(lambda: pb.fit(alpha=alpha, solver="prox_newton", tol=1e-10,
                                 max_iter=100_000, fit_intercept=fit_intercept))
    assert used and all(used)
    monkeypatch.setattr(newton_module, "_gram_applies", lambda model: False)
    residual = _quiet(lambda: pb.fit(alpha=alpha, solver="prox_newton", tol=1e-10,
                                     max_iter=100_000, fit_intercept=fit_intercept))
    obj, obj_res = (objective(pb, alpha, e.coef_, e.intercept_) for e in (gram, residual))
    null = null_objective(pb, fit_intercept)
    assert abs(obj - obj_res) <= 1e-9 * null
    assert 0 <= gram.dual_gap_ <= 1e-10 * null


@pytest.mark.parametrize("centered", [False, True])
def test_restrict_reusing_the_last_copy_equals_restrict(centered):
    """The working set's columns taken partly from the last set's copy are the same columns."""
    from mtlclassic.data import SharedDesign
    from mtlclassic.solvers._newton import _restrict

    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((20, 30)), rng.standard_normal((20, 3))
    C = rng.uniform(0.5, 1.0, (20, 3))  # no row weights: the plain copy, centered or not
    data = SharedDesign(X, Y, C)
    if centered:
        data.center()
    last_ws = np.array([1, 4, 5, 9, 17, 22, 29])
    last = data.restrict(last_ws)
    for ws in (np.array([0, 4, 5, 8, 17, 29]), np.array([2, 3]), last_ws, np.arange(30)):
        sub = _restrict(data, ws, last_ws, last)
        ref = data.restrict(ws)
        assert sub.X.flags.f_contiguous
        np.testing.assert_array_equal(sub.X, ref.X)
        for name in ("X_offset", "_sums"):
            np.testing.assert_array_equal(getattr(sub, name, None), getattr(ref, name, None))
