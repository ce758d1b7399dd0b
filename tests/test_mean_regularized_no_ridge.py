"""MeanRegularized{Regressor,Classifier} with ``lambda_l2 = 0`` (MALSAR's ``Least_SRMTL``, rho2 = 0).

The oracle is cvxpy on the objective written here from the docstring formula::

    sum_t 1/n_t sum_{i in t} l(y_i, x_i . w_t + b_t)  +  lambda_mean / 2 sum_t ||w_t - w_bar||^2

(``l`` the squared loss / 2 or the logistic loss), not the package's cvxpy solver.
"""

import numpy as np
import pytest
from conftest import DATA_DIR, needs_data

from mtlclassic import MeanRegularizedClassifier, MeanRegularizedRegressor

cp = pytest.importorskip("cvxpy")


def _problem(seed, sizes, p, classify=False):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(p)
    blocks = []
    for n_t in sizes:
        # Classes overlap (noise), so the pooled classes are not separable.
        X = rng.standard_normal((n_t, p)) + (0.0 if classify else rng.standard_normal(p))
        z = X @ (w + 0.5 * rng.standard_normal(p)) + 2.0 * rng.standard_normal(n_t)
        y = np.where(z > 0, 1.0, -1.0) if classify else z + rng.standard_normal()
        blocks.append((X, y))
    return blocks


def _stacked(blocks):
    X = np.vstack([np.column_stack([X, np.full(len(X), t)]) for t, (X, _) in enumerate(blocks)])
    return X, np.concatenate([y for _, y in blocks])


def _loss(y, z, classify, lib=np):
    if lib is cp:
        return (cp.sum(cp.logistic(-cp.multiply(y, z))) if classify
                else 0.5 * cp.sum_squares(y - z))
    return np.sum(np.logaddexp(0, -y * z)) if classify else 0.5 * np.sum((y - z) ** 2)


def _objective(blocks, W, b, lam, classify, lib=np):
    """The docstring objective; ``W`` (T, p), ``b`` (T,)."""
    T = len(blocks)
    fit = sum(_loss(y, X @ W[t] + b[t], classify, lib) / len(y) for t, (X, y) in enumerate(blocks))
    if lib is cp:
        mean = sum(W[t] for t in range(T)) / T
        return fit + lam / 2 * sum(cp.sum_squares(W[t] - mean) for t in range(T))
    return fit + lam / 2 * np.sum((W - W.mean(axis=0)) ** 2)


def _cvxpy_optimum(blocks, lam, classify, fit_intercept):
    T, p = len(blocks), blocks[0][0].shape[1]
    W, b = cp.Variable((T, p)), cp.Variable(T) if fit_intercept else np.zeros(T)
    problem = cp.Problem(cp.Minimize(_objective(blocks, [W[t] for t in range(T)],
                                                [b[t] for t in range(T)] if fit_intercept else b,
                                                lam, classify, cp)))
    problem.solve(solver=cp.CLARABEL)
    return problem.value, W.value


@pytest.mark.parametrize("classify", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_no_ridge_matches_cvxpy_and_the_gap_certifies(classify, fit_intercept):
    blocks = _problem(0, (25, 40, 33, 18), p=5, classify=classify)
    X, y = _stacked(blocks)
    cls = MeanRegularizedClassifier if classify else MeanRegularizedRegressor
    est = cls(lambda_mean=0.3, lambda_l2=0.0, task_column=-1, fit_intercept=fit_intercept,
              tol=1e-10, max_iter=200000).fit(X, y)
    best, W_ref = _cvxpy_optimum(blocks, 0.3, classify, fit_intercept)
    ours = _objective(blocks, est.coef_, est.intercept_, 0.3, classify)
    assert np.isfinite(est.dual_gap_) and -1e-10 <= est.dual_gap_ <= 1e-9  # 0 up to rounding
    # The gap bounds the suboptimality (cvxpy's own optimum is exact to ~1e-8 here).
    assert ours - best <= est.dual_gap_ + 1e-8 * abs(best)
    assert abs(ours - best) <= 1e-7 * abs(best)
    np.testing.assert_allclose(est.coef_, W_ref, atol=1e-4 * np.abs(W_ref).max())


def test_no_ridge_rank_deficient_pooled_design_is_the_vanishing_ridge_limit():
    """p > n pooled: minimisers exist (least squares), the one returned has no part the data misses."""
    blocks = _problem(1, (4, 5, 3), p=15)
    X, y = _stacked(blocks)
    est = MeanRegularizedRegressor(lambda_mean=0.5, lambda_l2=0.0, task_column=-1,
                                   fit_intercept=False, tol=1e-12, max_iter=500000).fit(X, y)
    best, _ = _cvxpy_optimum(blocks, 0.5, False, False)
    ours = _objective(blocks, est.coef_, est.intercept_, 0.5, False)
    assert ours - best <= est.dual_gap_ + 1e-8 and est.dual_gap_ <= 1e-10
    # Directions no task's rows see stay zero: coef_ lies in the row space of the pooled design.
    pooled = np.vstack([Xt for Xt, _ in blocks])
    null = np.linalg.svd(pooled)[2][np.linalg.matrix_rank(pooled):]
    assert np.abs(est.coef_ @ null.T).max() <= 1e-8 * np.abs(est.coef_).max()


def test_both_strengths_zero_is_refused():
    X, y = _stacked(_problem(2, (10, 12), p=3))
    with pytest.raises(ValueError, match="lambda_mean and lambda_l2 cannot both be 0"):
        MeanRegularizedRegressor(lambda_mean=0.0, lambda_l2=0.0, task_column=-1).fit(X, y)


@needs_data("malsar", "school.mat")
def test_school_without_ridge_fits_and_the_gap_certifies():
    from mtlclassic.datasets import load_school

    X, y = load_school(DATA_DIR / "malsar", return_X_y=True)
    # Standardised features (as users fit it): unscaled, FISTA needs ~30x more iterations.
    # The pooled design stays rank-deficient (one-hot groups; school-level features that the
    # per-school intercepts absorb): the mean is fitted on the range the data see.
    F = X[:, :-1]
    X = np.column_stack([(F - F.mean(axis=0)) / F.std(axis=0), X[:, -1]])
    est = MeanRegularizedRegressor(lambda_mean=1.0, lambda_l2=0.0, task_column=-1,
                                   tol=1e-4, max_iter=10_000).fit(X, y)
    # The scale tol bounds the gap against: the datafit at W = 0 (task means as intercepts).
    task = X[:, -1].astype(int)
    n_t = np.bincount(task)
    means = np.bincount(task, y) / n_t
    null = 0.5 * np.sum((y - means[task]) ** 2 / n_t[task])
    assert np.isfinite(est.dual_gap_) and 0 <= est.dual_gap_ <= 1e-4 * null
    # The mean's optimality condition (what makes the dual finite): pooled gradient ~ 0.
    resid = y - np.einsum("ij,ij->i", X[:, :-1], est.coef_[task]) - est.intercept_[task]
    pooled_grad = X[:, :-1].T @ (resid / n_t[task])
    assert np.abs(pooled_grad).max() <= 1e-6 * np.abs(X[:, :-1].T @ (y / n_t[task])).max()
