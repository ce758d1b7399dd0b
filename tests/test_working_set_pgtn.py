"""The default solver (working sets, BCD) on problems with far more features than samples.

Regression test: the working set used to be ranked at the best dual point seen
so far. When ``p >> n`` the dual point at ``W = 0`` can stay the best for the
whole fit (every later residual point is rescaled hard by features left out of
the working set), so the working set was chosen from ``X^T Y`` forever, the
features violating the current dual constraint never entered it, and the gap
stalled near 0.1 until ``max_iter``. The problems below are ones that stalled so
(mtlclassic 32aff2c: 2000 epochs, relative gap about 0.1); since the fix
they converge in under 100 epochs.

The gap and the objective are recomputed here with the independent formulas of
``conftest``; FISTA (the array-generic solver, no working sets) and cvxpy are
the references.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from mtlclassic import GroupLassoRegressor, alpha_max
from conftest import Problem, duality_gap, null_objective, objective

# (n_samples, n_features, n_tasks, support, seed)
WIDE = [(60, 1200, 4, 30, 0), (60, 1200, 4, 30, 9), (200, 4000, 10, 100, 0)]
WIDE_F32 = [(60, 1200, 4, 30, 0), (200, 4000, 10, 100, 1)]


def _wide_problem(n, p, T, support, seed, dtype=np.float64):
    """Gaussian design, ``support`` nonzero rows of Gaussian weights, noise 0.5.

    The data are cast to ``dtype`` and the reference blocks hold the same
    (rounded) values in float64, so both describe one problem.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    coef = np.zeros((p, T))
    rows = rng.choice(p, support, replace=False)
    coef[rows] = rng.standard_normal((support, T))
    Y = X @ coef + 0.5 * rng.standard_normal((n, T))
    X, Y = X.astype(dtype), Y.astype(dtype)
    X64, Y64 = X.astype(np.float64), Y.astype(np.float64)
    blocks = [(X64, Y64[:, t], np.ones(n)) for t in range(T)]
    return Problem("squared", "shared", X, Y, blocks)


def _fit(pb, alpha, tol, solver="auto"):
    """Fit, failing on a ConvergenceWarning (cvxpy's 'inaccurate' warnings ignored)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        return GroupLassoRegressor(alpha=alpha, tol=tol, max_iter=2000,
                                   solver=solver).fit(pb.X, pb.y)


@pytest.mark.parametrize("case", WIDE, ids=[f"n{c[0]}-p{c[1]}-T{c[2]}-seed{c[4]}" for c in WIDE])
def test_default_solver_converges_when_features_outnumber_samples(case):
    pb = _wide_problem(*case)
    alpha = alpha_max(pb.X, pb.y) / 10
    tol = 1e-8
    null = null_objective(pb, True)
    est = _fit(pb, alpha, tol)
    assert est.solver_ == "bcd"
    assert est.n_iter_ < 2000
    assert est.dual_gap_ <= tol * null
    gap = duality_gap(pb, alpha, est.coef_, est.intercept_)
    assert gap <= tol * null * (1 + 1e-6)
    # Both solutions are within their gap (<= tol * null) of the optimum.
    ref = _fit(pb, alpha, tol, solver="fista")
    obj, obj_ref = (objective(pb, alpha, e.coef_, e.intercept_) for e in (est, ref))
    assert abs(obj - obj_ref) <= tol * null


@pytest.mark.parametrize("case", WIDE_F32,
                         ids=[f"n{c[0]}-p{c[1]}-T{c[2]}-seed{c[4]}" for c in WIDE_F32])
def test_default_solver_converges_when_features_outnumber_samples_float32(case):
    pb = _wide_problem(*case, dtype=np.float32)
    alpha = float(alpha_max(pb.X, pb.y)) / 10
    tol = 1e-4
    null = null_objective(pb, True)
    est = _fit(pb, alpha, tol)
    assert est.solver_ == "bcd" and est.coef_.dtype == np.float32
    # The solver's gap is summed in float32: allow its rounding on the recomputed one.
    gap = duality_gap(pb, alpha, est.coef_, est.intercept_)
    assert gap <= 1.1 * tol * null
    pb64 = Problem("squared", "shared", *(np.asarray(a, dtype=np.float64) for a in (pb.X, pb.y)),
                   pb.blocks)
    ref = _fit(pb64, alpha, 1e-8, solver="fista")
    obj, obj_ref = (objective(pb, alpha, e.coef_, e.intercept_) for e in (est, ref))
    assert obj - obj_ref <= 1.1 * tol * null


@pytest.mark.slow
def test_default_solver_matches_cvxpy_when_features_outnumber_samples():
    pb = _wide_problem(*WIDE[0])
    alpha = alpha_max(pb.X, pb.y) / 10
    tol = 1e-8
    null = null_objective(pb, True)
    est = _fit(pb, alpha, tol)
    ref = _fit(pb, alpha, tol, solver="cvxpy")
    obj, obj_ref = (objective(pb, alpha, e.coef_, e.intercept_) for e in (est, ref))
    # ours is within its gap of the optimum, which is below cvxpy's objective;
    # cvxpy (interior point) is trusted to 1e-6 relative, as in test_solvers.
    assert obj <= obj_ref + tol * null
    assert obj >= obj_ref - 1e-6 * abs(obj_ref)
