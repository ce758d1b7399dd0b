"""The working-set solver: same optimum as FISTA and cvxpy, safe screening, real working sets.

Objectives are computed here from the docstring formulas (``conftest.datafit``
plus the penalties written below), not by the package.
"""

import importlib
import warnings

import numpy as np
import pytest

import mtlclassic as m
from mtlclassic.datasets import make_multitask_regression
from conftest import datafit, make_per_task, make_shared

ws_module = importlib.import_module("mtlclassic.solvers.working_set")

# (penalty name for alpha_max, regressor, classifier, extra params, penalty on coef (T, p))
PENALTIES = {
    "l21": (m.GroupLassoRegressor, m.GroupLassoClassifier, {},
            lambda W, a: a * np.sum(np.linalg.norm(W, axis=0))),
    "l1": (m.LassoRegressor, m.LassoClassifier, {}, lambda W, a: a * np.sum(np.abs(W))),
    "sparse_group": (m.SparseGroupLassoRegressor, m.SparseGroupLassoClassifier,
                     {"l1_ratio": 0.4},
                     lambda W, a: a * (0.4 * np.sum(np.abs(W))
                                       + 0.6 * np.sum(np.linalg.norm(W, axis=0)))),
    "l1inf": (m.L1InfRegressor, m.L1InfClassifier, {},
              lambda W, a: a * np.sum(np.max(np.abs(W), axis=0))),
}


def _problem(loss, layout, seed, p=40):
    if layout == "shared":
        return make_shared(seed, loss=loss, n=50, p=p, n_tasks=4)
    return make_per_task(seed, loss=loss, sizes=(25, 40, 55), p=p)


def _fit(cls, pb, **params):
    est = cls(task_column=pb.task_column, **params)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        return est.fit(pb.X, pb.y)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("name", sorted(PENALTIES))
def test_working_set_matches_fista_and_cvxpy(name, loss, layout, seed):
    reg, clf, extra, pen = PENALTIES[name]
    cls = reg if loss == "squared" else clf
    pb = _problem(loss, layout, seed)
    alpha = 0.2 * m.alpha_max(pb.X, pb.y, penalty=name, loss=loss, task_column=pb.task_column,
                              **{k: v for k, v in extra.items() if k == "l1_ratio"})
    objs = {}
    solvers = ("working_set", "fista", "cvxpy") + (("prox_newton",) if loss == "logistic" else ())
    for solver in solvers:
        est = _fit(cls, pb, alpha=alpha, solver=solver, tol=1e-9, max_iter=100_000, **extra)
        assert est.solver_ == solver
        objs[solver] = datafit(pb, est.coef_, est.intercept_) + pen(est.coef_, alpha)
    best = min(objs.values())
    for solver, obj in objs.items():
        assert (obj - best) / abs(best) <= 1e-6, (solver, objs)


def _record(monkeypatch, function_name):
    """Wrap a private helper of the solver module; return the list of its results."""
    calls = []
    original = getattr(ws_module, function_name)

    def wrapper(*args, **kwargs):
        out = original(*args, **kwargs)
        calls.append(out)
        return out

    monkeypatch.setattr(ws_module, function_name, wrapper)
    return calls


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("loss, solver", [("squared", "working_set"), ("logistic", "working_set"),
                                          ("logistic", "prox_newton")])
@pytest.mark.parametrize("name", sorted(PENALTIES))
def test_screening_never_discards_a_feature_of_the_optimum(name, loss, solver, seed, monkeypatch):
    """Features screened out are zero in a tight cvxpy solution, and some are screened."""
    reg, clf, extra, _ = PENALTIES[name]
    cls = reg if loss == "squared" else clf
    pb = _problem(loss, "shared" if seed % 2 == 0 else "per_task", seed, p=80)
    alpha = 0.4 * m.alpha_max(pb.X, pb.y, penalty=name, loss=loss, task_column=pb.task_column,
                              **{k: v for k, v in extra.items() if k == "l1_ratio"})
    reference = _fit(cls, pb, alpha=alpha, solver="cvxpy", **extra).coef_
    # Interior-point solutions carry noise of up to ~1e-7 relative on zero weights.
    optimum_support = np.flatnonzero(np.max(np.abs(reference), axis=0)
                                     > 1e-4 * np.abs(reference).max())
    screened = _record(monkeypatch, "_screen")
    est = _fit(cls, pb, alpha=alpha, solver=solver, tol=1e-10, max_iter=100_000, **extra)
    discarded = set()
    for _, dropped in screened:
        discarded.update(dropped.tolist())
    assert discarded, "screening discarded nothing: the test would prove nothing"
    assert not discarded & set(optimum_support.tolist())
    assert np.all(est.coef_[:, sorted(discarded)] == 0)


def test_working_sets_are_smaller_than_the_problem(monkeypatch):
    """On a wide problem the first working sets hold a fraction of the features."""
    X, Y, _ = make_multitask_regression(n_samples=60, n_features=1000, n_tasks=3, n_shared=5,
                                        random_state=0)
    sets = _record(monkeypatch, "_working_set")
    alpha = m.alpha_max(X, Y) / 5
    m.GroupLassoRegressor(alpha=alpha, tol=1e-8).fit(X, Y)
    assert sets and sets[0][0].size <= 200 < 1000


def test_logistic_prox_newton_is_the_default_for_sparse_penalties():
    pb = make_shared(0, loss="logistic", n=40, p=10)
    assert m.GroupLassoClassifier(alpha=0.01).fit(pb.X, pb.y).solver_ == "prox_newton"
    assert m.RidgeClassifier(alpha=0.01).fit(pb.X, pb.y).solver_ == "fista"
