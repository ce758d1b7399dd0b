"""iMSF (incomplete multi-source fusion, MALSAR's ``Least_iMSF`` / ``Logistic_iMSF``) as the
per-task group lasso on ``stack_sources``'s design, against cvxpy posed in MALSAR's form."""

import warnings

import cvxpy as cp
import numpy as np
import pytest

from mtlclassic import GroupLassoClassifier, GroupLassoRegressor, stack_sources
from mtlclassic.estimators import alpha_max

SIZES = (3, 2, 4)  # features per source
# Patterns of available sources (rows of a 0/1 mask), 12 to 20 samples each.
PATTERNS = ((1, 1, 1), (1, 0, 1), (0, 1, 1), (1, 1, 0))


def _problem(seed, loss):
    rng = np.random.default_rng(seed)
    mask = np.vstack([np.tile(p, (rng.integers(12, 21), 1)) for p in PATTERNS]).astype(bool)
    n = len(mask)
    full = [rng.standard_normal((n, p)) for p in SIZES]
    w = rng.standard_normal(sum(SIZES)) * (rng.random(sum(SIZES)) < 0.6)
    z = np.hstack(full) @ w + 0.3 * rng.standard_normal(n)
    y = z if loss == "squared" else np.where(z > 0, 1.0, -1.0)
    sources = [np.where(mask[:, [s]], Xs, np.nan) for s, Xs in enumerate(full)]
    return sources, y, mask


def _malsar(sources, y, mask, z, loss):
    """iMSF as MALSAR's code states it: per pattern, a model on the available sources' features;
    ``lambda = z * lambda_max``, each feature's group = its coefficients in the patterns having it."""
    offsets = np.cumsum((0,) + SIZES)
    pats = [tuple(p) for p in np.unique(mask, axis=0)]
    feats, blocks = [], []
    for p in pats:
        rows = np.all(mask == p, axis=1)
        cols = np.concatenate([np.arange(offsets[s], offsets[s + 1]) for s in range(len(SIZES))
                               if p[s]])
        A = np.hstack(sources)[np.ix_(rows, cols)]
        feats.append(cols)
        blocks.append((A, y[rows]))
    # The gradient at zero (with the best intercepts for the logistic loss, MALSAR's b).
    grads = []
    for A, yt in blocks:
        if loss == "squared":
            grads.append(A.T @ yt)
        else:
            m1 = np.mean(yt == 1)
            b = np.where(yt == 1, 1 - m1, -m1) / len(yt)
            grads.append(A.T @ b)
    lam_max = max(np.sqrt(sum(g[list(f).index(j)] ** 2 for g, f in zip(grads, feats) if j in f))
                  for j in range(offsets[-1]))
    lam = z * lam_max
    xs = [cp.Variable(len(f)) for f in feats]
    cs = [cp.Variable() for _ in feats]
    if loss == "squared":
        fit = sum(0.5 * cp.sum_squares(A @ x - yt) for (A, yt), x in zip(blocks, xs))
    else:
        fit = sum(cp.sum(cp.logistic(cp.multiply(-yt, A @ x + c))) / len(yt)
                  for (A, yt), x, c in zip(blocks, xs, cs))
    groups = [cp.hstack([x[list(f).index(j)] for x, f in zip(xs, feats) if j in f])
              for j in range(offsets[-1])]
    pen = lam * sum(cp.norm(g, 2) for g in groups)
    prob = cp.Problem(cp.Minimize(fit + pen))
    with warnings.catch_warnings():  # Clarabel may call 1e-10 "inaccurate"; the test measures
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    coef = np.zeros((len(pats), offsets[-1]))
    for t, (x, f) in enumerate(zip(xs, feats)):
        coef[t, f] = x.value
    return lam_max, prob.value, coef, pats, blocks, feats, lam


@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("seed", [0, 1])
def test_imsf_is_the_group_lasso_on_stacked_sources(loss, seed):
    sources, y, mask = _problem(seed, loss)
    z = 0.3
    lam_max, ref, coef_ref, pats, blocks, feats, lam = _malsar(sources, y, mask, z, loss)

    X = stack_sources(sources)
    codes, counts = np.unique(X[:, -1], return_counts=True)
    # One task per pattern, coded sum_s 2**s over its sources.
    order = [sum(2 ** s for s in range(3) if p[s]) for p in pats]
    assert sorted(order) == list(codes)
    least = loss == "squared"
    kw = dict(task_column=-1, task_weights=counts if least else None, fit_intercept=not least)
    amax = alpha_max(X, y, loss=loss, **kw)
    assert amax == pytest.approx(lam_max, rel=1e-10)
    cls = GroupLassoRegressor if least else GroupLassoClassifier
    est = cls(alpha=z * amax, tol=1e-10, max_iter=100_000, **kw).fit(X, y)

    # Coefficients of a pattern's missing sources are exactly 0.
    for t, code in enumerate(est.tasks_):
        absent = [s for s in range(3) if not int(code) >> s & 1]
        for s in absent:
            assert np.all(est.coef_[t, sum(SIZES[:s]):sum(SIZES[:s + 1])] == 0)
    # MALSAR's objective at our solution, against cvxpy's optimum.
    coef = est.coef_[[list(est.tasks_).index(c) for c in order]]
    b = est.intercept_[[list(est.tasks_).index(c) for c in order]]
    value = 0.0
    for t, ((A, yt), f) in enumerate(zip(blocks, feats)):
        m = A @ coef[t, f]
        value += (0.5 * np.sum((m - yt) ** 2) if least
                  else np.mean(np.logaddexp(0, -yt * (m + b[t]))))
    value += lam * np.sum(np.linalg.norm(coef, axis=0))
    assert value <= ref + 1e-6 * abs(ref)
    np.testing.assert_allclose(coef, coef_ref, atol=1e-4)


def test_stack_sources_codes_and_bad_input():
    a = np.array([[1.0, 2.0], [np.nan, np.nan], [3.0, 4.0]])
    b = np.array([[5.0], [6.0], [np.nan]])
    X = stack_sources([a, b])
    np.testing.assert_array_equal(X, [[1, 2, 5, 3], [0, 0, 6, 2], [3, 4, 0, 1]])
    assert np.isnan(a[1]).all()  # the input is left as it was
    with pytest.raises(ValueError, match="partly NaN"):
        stack_sources([np.array([[1.0, np.nan]]), np.ones((1, 1))])
    with pytest.raises(ValueError, match="rows"):
        stack_sources([np.ones((2, 1)), np.ones((3, 1))])
    with pytest.raises(ValueError, match="no source"):
        stack_sources([np.full((1, 2), np.nan), np.full((1, 1), np.nan)])
    with pytest.raises(ValueError, match="infinite"):
        stack_sources([np.array([[np.inf]])])
    with pytest.raises(ValueError, match="at least one"):
        stack_sources([])
