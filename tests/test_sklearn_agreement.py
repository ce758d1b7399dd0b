"""GroupLassoRegressor against scikit-learn's MultiTaskLasso.

In the shared layout without weights both minimise
``1/(2n) ||Y - X W^T - b||_F^2 + alpha ||W||_21``, so with the same data and
alpha the coefficients must agree up to the solvers' tolerances, whichever of
our solvers runs and whatever the storage of ``X`` (scikit-learn gets it dense).
Run with ``pytest -s`` to see the worst relative difference.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import MultiTaskLasso

from mtlclassic import GroupLassoRegressor

SEEDS = range(10)
RTOL = 1e-5


def _problem(seed):
    """n > p, so the solution is unique; columns uncentered, some exact zeros (sparse storage)."""
    rng = np.random.default_rng(seed)
    n, p, T = 40, 12, 3
    X = rng.standard_normal((n, p)) + rng.standard_normal(p)
    X[rng.random((n, p)) < 0.3] = 0.0
    W = rng.standard_normal((T, p)) * (rng.random(p) < 0.5)
    Y = X @ W.T + 0.5 * rng.standard_normal((n, T)) + rng.standard_normal(T)
    return X, Y


def _alpha(X, Y, fit_intercept, frac):
    """``frac`` times scikit-learn's alpha_max (computed here, not by mtlclassic)."""
    R = Y - Y.mean(axis=0) if fit_intercept else Y
    Xc = X - X.mean(axis=0) if fit_intercept else X
    return frac * np.max(np.linalg.norm(Xc.T @ R, axis=1)) / X.shape[0]


def _rel(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), np.finfo(float).tiny)


@pytest.fixture(scope="module")
def sklearn_fits():
    """MultiTaskLasso solutions, computed once per (seed, fit_intercept, alpha fraction)."""
    fits = {}
    for seed in SEEDS:
        X, Y = _problem(seed)
        for fit_intercept in (True, False):
            for frac in (0.05, 0.3):
                alpha = _alpha(X, Y, fit_intercept, frac)
                ref = MultiTaskLasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-12,
                                     max_iter=100_000).fit(X, Y)
                assert np.any(ref.coef_ != 0)  # a nontrivial solution to compare
                fits[seed, fit_intercept, frac] = (X, Y, alpha, ref)
    return fits


@pytest.mark.parametrize("fmt", ["dense", "csc", "csr"])
@pytest.mark.parametrize("solver", ["bcd", "fista"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_matches_multitask_lasso(sklearn_fits, worst, solver, fmt, fit_intercept):
    worst_here, where = 0.0, None
    for (seed, fi, frac), (X, Y, alpha, ref) in sklearn_fits.items():
        if fi != fit_intercept:
            continue
        Xf = X if fmt == "dense" else sp.csr_matrix(X).asformat(fmt)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            est = GroupLassoRegressor(alpha=alpha, fit_intercept=fit_intercept, solver=solver,
                                      tol=1e-10, max_iter=100_000).fit(Xf, Y)
        assert est.solver_ == solver
        assert est.coef_.shape == ref.coef_.shape == (Y.shape[1], X.shape[1])
        diff = _rel(est.coef_, ref.coef_)
        if fit_intercept:
            diff = max(diff, _rel(est.intercept_, ref.intercept_))
        else:
            assert np.all(est.intercept_ == 0)
        if diff >= worst_here:
            worst_here, where = diff, f"seed={seed}, alpha=alpha_max*{frac}"
    label = f"solver={solver}, X={fmt}, fit_intercept={fit_intercept}"
    print(f"\nworst relative difference to MultiTaskLasso ({label}): {worst_here:.3e} ({where})")
    worst.update("relative ||coef - coef_sklearn|| (and intercept)", worst_here,
                 f"{label}, {where}")
    assert worst_here <= RTOL


def test_matches_multitask_lasso_predictions():
    """Same predictions on new data (checks the intercept mapping back from centering)."""
    X, Y = _problem(123)
    alpha = _alpha(X, Y, True, 0.1)
    ref = MultiTaskLasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, Y)
    est = GroupLassoRegressor(alpha=alpha, tol=1e-10).fit(X, Y)
    X_new = np.random.default_rng(1).standard_normal((7, X.shape[1])) * 3
    np.testing.assert_allclose(est.predict(X_new), ref.predict(X_new), rtol=1e-6, atol=1e-8)


def test_single_task_matches_multitask_lasso():
    """One task given as a 1-D y: coef_ is (1, p) and equals MultiTaskLasso on Y[:, None]."""
    X, Y = _problem(7)
    y = Y[:, 0]
    alpha = _alpha(X, y[:, None], True, 0.1)
    ref = MultiTaskLasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, y[:, None])
    est = GroupLassoRegressor(alpha=alpha, tol=1e-10).fit(X, y)
    assert est.coef_.shape == (1, X.shape[1])
    assert _rel(est.coef_, ref.coef_) <= RTOL
    assert est.predict(X).shape == y.shape
