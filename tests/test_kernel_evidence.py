"""``task_covariance="evidence"`` (the multi-task GP of Bonilla et al. 2008) and the Matern kernels.

* The Matern kernels are scikit-learn's ``Matern(length_scale, nu)`` with
  ``gamma = 1 / (2 l^2)`` (1e-12), isotropic and per feature.
* The log evidence is the multivariate normal log density of ``y`` at the
  generalised least squares means (scipy), and, for one task without
  intercepts, scikit-learn's ``GaussianProcessRegressor.log_marginal_likelihood``;
  its gradient is checked by central finite differences, in every
  parameter (``L``, the noise variances, ``log gamma``), with and without
  intercepts and sample weights, for a fixed and a learned kernel.
* The fit: its evidence is stationary and above the start's, and its
  predictions are the GP posterior mean written out with numpy; the shared
  layout equals the per-task one.
* compare's grid: one evidence point for a small regression, the grid else.
* Bad input: one-line ``ValueError``.
"""

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel

from mtlclassic import KernelTaskRelationClassifier, KernelTaskRelationRegressor
from mtlclassic.estimators._grids import KERNEL_EXACT_ROWS, PreferredPoints, kernel_grid
from mtlclassic.estimators._kernel_evidence import Evidence
from mtlclassic.estimators._kernel_functions import StationaryKernel, matern_kernel

NU = {"matern32": 1.5, "matern52": 2.5}


def _data(sizes=(15, 20, 12), seed=0, noise=0.05):
    """Per-task layout: three tasks, the second a scaled copy of the first, the third opposite."""
    rng = np.random.default_rng(seed)
    Xs = [rng.standard_normal((n, 3)) for n in sizes]
    coef = (1.0, 2.0, -1.0)
    ys = [c * (np.sin(2 * x[:, 0]) + 0.5 * x[:, 1]) + t + noise * rng.standard_normal(len(x))
          for t, (x, c) in enumerate(zip(Xs, coef))]
    X = np.vstack([np.column_stack([x, np.full(len(x), t)]) for t, x in enumerate(Xs)])
    return X, np.concatenate(ys)


# -- Matern kernels ----------------------------------------------------------------------
@pytest.mark.parametrize("kernel, params", [("matern32", None), ("matern52", None),
                                            ("matern", {"nu": 0.5}), ("matern", {"nu": 1.5}),
                                            ("matern", {"nu": 2.5})])
def test_matern_is_sklearn_matern(kernel, params):
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((30, 4)), rng.standard_normal((20, 4))
    nu = NU.get(kernel, (params or {}).get("nu"))
    for gamma in (0.01, 0.2, 3.0):
        length = 1 / np.sqrt(2 * gamma)
        est = KernelTaskRelationRegressor(kernel=kernel, kernel_params=params, gamma=gamma)
        np.testing.assert_allclose(est._kernel(X, Y), Matern(length, nu=nu)(X, Y),
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(matern_kernel(X, None, gamma, nu), Matern(length, nu=nu)(X),
                                   rtol=0, atol=1e-12)
    # one gamma per feature: the anisotropic Matern
    gamma = np.array([0.05, 0.5, 1.0, 4.0])
    est = KernelTaskRelationRegressor(kernel=kernel, kernel_params=params, gamma=gamma)
    np.testing.assert_allclose(est._kernel(X, Y), Matern(1 / np.sqrt(2 * gamma), nu=nu)(X, Y),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("kernel", ["rbf", "laplacian", "matern32", "matern52"])
def test_stationary_kernel_log_gamma_derivative(kernel):
    X = np.random.default_rng(2).standard_normal((25, 3))
    k, g, h = StationaryKernel(kernel, X), 0.3, 1e-6
    fd = (k.matrix(g * np.exp(h)) - k.matrix(g * np.exp(-h))) / (2 * h)
    np.testing.assert_allclose(k.log_gamma_derivative(g, k.matrix(g)), fd, rtol=0, atol=1e-8)


# -- the evidence --------------------------------------------------------------------------
def _problem(kernel="matern32", fit_intercept=True, weighted=True, seed=0, ard=False):
    X, y = _data(seed=seed)
    task = X[:, -1].astype(int)
    rng = np.random.default_rng(seed + 10)
    w = rng.uniform(0.5, 2.0, len(y)) if weighted else np.ones(len(y))
    source = (StationaryKernel(kernel, X[:, :-1], ard=ard) if kernel is not None
              else np.exp(-0.4 * ((X[:, None, :-1] - X[None, :, :-1]) ** 2).sum(-1)))
    return Evidence(source, task, y, w, 3, fit_intercept), X, y, task, w


def _theta(problem, seed=3):
    gamma = None if problem.fixed else (np.array([0.1, 0.3, 1.0]) if problem.kernel.ard else 0.3)
    theta = problem.start(gamma)
    return theta + np.random.default_rng(seed).normal(scale=0.4, size=theta.size)


@pytest.mark.parametrize("kernel", ["rbf", "matern32", "matern52", "laplacian", None])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
def test_evidence_gradient_by_finite_differences(kernel, fit_intercept, weighted):
    problem = _problem(kernel, fit_intercept, weighted)[0]
    theta = _theta(problem)
    value, grad = problem(theta)
    assert value == pytest.approx(-problem.log_evidence(theta) / problem.N, rel=1e-12)
    h = 1e-6
    fd = np.array([(problem(theta + h * e)[0] - problem(theta - h * e)[0]) / (2 * h)
                   for e in np.eye(theta.size)])
    np.testing.assert_allclose(grad, fd, rtol=0, atol=1e-6 * max(1.0, np.abs(fd).max()))
    assert grad.size == 6 + 3 + (kernel is not None)  # L (lower triangle), noise, log gamma


@pytest.mark.parametrize("kernel", ["rbf", "matern32", "matern52"])
def test_evidence_gradient_per_feature_gamma(kernel):
    """One gamma per feature (ARD): the gradient in each log gamma_j, by finite differences."""
    problem = _problem(kernel, ard=True)[0]
    theta = _theta(problem)
    grad = problem(theta)[1]
    h = 1e-6
    fd = np.array([(problem(theta + h * e)[0] - problem(theta - h * e)[0]) / (2 * h)
                   for e in np.eye(theta.size)])
    np.testing.assert_allclose(grad, fd, rtol=0, atol=1e-6 * max(1.0, np.abs(fd).max()))
    assert grad.size == 6 + 3 + 3


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_log_evidence_is_the_normal_density_at_the_gls_means(fit_intercept):
    problem, X, y, task, w = _problem("matern52", fit_intercept)
    theta = _theta(problem)
    L, noise, gamma = problem.unpack(theta)
    B = L @ L.T
    K = Matern(1 / np.sqrt(2 * gamma), nu=2.5)(X[:, :-1])
    C = K * B[task][:, task] + np.diag(noise[task] / w)
    P = np.eye(3)[task]
    if fit_intercept:  # generalised least squares: argmax over m of the density
        Ci = np.linalg.inv(C)
        m = np.linalg.solve(P.T @ Ci @ P, P.T @ Ci @ y)
    else:
        m = np.zeros(3)
    expected = multivariate_normal(P @ m, C).logpdf(y)
    assert problem.log_evidence(theta) == pytest.approx(expected, rel=1e-10)
    a, means = problem.posterior(theta)
    np.testing.assert_allclose(means, m, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(a, np.linalg.solve(C, y - P @ m), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("kernel, sk", [("rbf", lambda l: RBF(l)),
                                        ("matern32", lambda l: Matern(l, nu=1.5))])
def test_one_task_log_evidence_is_sklearn_gpr(kernel, sk):
    """One task, no intercept: scikit-learn's GP with ``c k + white noise``, the same theta."""
    X = np.random.default_rng(4).standard_normal((40, 2))
    y = np.sin(X[:, 0]) + 0.1 * np.random.default_rng(5).standard_normal(40)
    problem = Evidence(StationaryKernel(kernel, X), np.zeros(40, int), y, np.ones(40), 1, False)
    c, noise, gamma = 1.7, 0.03, 0.4
    theta = problem.pack(np.array([[np.sqrt(c)]]), np.array([noise]), gamma)
    gp_kernel = ConstantKernel(c) * sk(1 / np.sqrt(2 * gamma)) + WhiteKernel(noise)
    gpr = GaussianProcessRegressor(gp_kernel, alpha=0.0, optimizer=None).fit(X, y)
    assert problem.log_evidence(theta) == pytest.approx(gpr.log_marginal_likelihood_value_,
                                                         rel=1e-10)


# -- the estimator ---------------------------------------------------------------------------
@pytest.mark.parametrize("kernel", ["rbf", "matern32"])
def test_evidence_fit_is_a_stationary_point_and_predicts_the_posterior_mean(kernel):
    X, y = _data()
    est = KernelTaskRelationRegressor(kernel=kernel, task_covariance="evidence", task_column=-1,
                                      gamma=0.3, max_iter=1000, tol=1e-7).fit(X, y)
    task, feats = X[:, -1].astype(int), X[:, :-1]
    problem = Evidence(StationaryKernel(kernel, feats), task, y, np.ones(len(y)), 3, True)
    start = problem.start(0.3)
    B, noise, gamma = est.task_covariance_, est.noise_variance_, est.gamma_
    theta = est._evidence_theta  # (L, log noise, log gamma): B may be singular (rank 1 here)
    L, noise_fit, gamma_fit = problem.unpack(theta)
    np.testing.assert_allclose(L @ L.T, B, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(noise_fit, noise, rtol=1e-12)
    assert gamma_fit == pytest.approx(gamma, rel=1e-12)
    assert est.log_marginal_likelihood_ == pytest.approx(problem.log_evidence(theta), rel=1e-6)
    assert est.log_marginal_likelihood_ > problem.log_evidence(start)
    # stationary: the gradient in the free parameters is small (bounded ones may sit at a bound)
    grad = problem(theta)[1]
    free = np.r_[np.ones(6, bool), noise > 1e-6, True]
    assert np.abs(grad[free]).max() < 1e-4
    assert np.allclose(B, B.T) and np.linalg.eigvalsh(B)[0] > -1e-10
    # the GP posterior mean, written out
    k = (Matern(1 / np.sqrt(2 * gamma), nu=1.5) if kernel == "matern32"
         else RBF(1 / np.sqrt(2 * gamma)))
    C = k(feats) * B[task][:, task] + np.diag(noise[task])
    P = np.eye(3)[task]
    Ci = np.linalg.inv(C)
    m = np.linalg.solve(P.T @ Ci @ P, P.T @ Ci @ y)
    a = Ci @ (y - P @ m)
    Xt = _data(seed=7)[0]
    tt = Xt[:, -1].astype(int)
    expected = (k(Xt[:, :-1], feats) * B[tt][:, task]) @ a + m[tt]
    np.testing.assert_allclose(est.predict(Xt), expected, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(est.intercept_, m, rtol=1e-7, atol=1e-9)
    # the learned coupling: tasks 0 and 1 move together, task 2 against them
    assert est.task_correlation_[0, 1] > 0.9 and est.task_correlation_[0, 2] < -0.9


def test_evidence_shared_layout_equals_per_task_layout():
    rng = np.random.default_rng(8)
    Xs = rng.standard_normal((30, 2))
    Y = np.column_stack([np.sin(2 * Xs[:, 0]), np.sin(2 * Xs[:, 0]) + 0.3 * Xs[:, 1]])
    Y += 0.05 * rng.standard_normal(Y.shape)
    Xp = np.vstack([np.column_stack([Xs, np.full(30, t)]) for t in range(2)])
    yp = Y.T.ravel()
    params = dict(task_covariance="evidence", kernel="matern52", gamma=0.5, max_iter=500)
    shared = KernelTaskRelationRegressor(**params).fit(Xs, Y)
    stacked = KernelTaskRelationRegressor(task_column=-1, **params).fit(Xp, yp)
    np.testing.assert_allclose(shared.task_covariance_, stacked.task_covariance_, rtol=1e-6,
                               atol=1e-9)
    Xt = rng.standard_normal((10, 2))
    np.testing.assert_allclose(shared.predict(Xt),
                               np.column_stack([stacked.predict(np.column_stack(
                                   [Xt, np.full(10, t)])) for t in range(2)]),
                               rtol=1e-6, atol=1e-9)


def test_evidence_normalize_y_is_invariant_to_task_scale():
    X, y = _data()
    task = X[:, -1].astype(int)
    scale, shift = np.array([1.0, 100.0, 0.01])[task], np.array([0.0, 5.0, -3.0])[task]
    params = dict(task_covariance="evidence", kernel="matern32", gamma=0.3, task_column=-1,
                  normalize_y=True, max_iter=500)
    a = KernelTaskRelationRegressor(**params).fit(X, y)
    b = KernelTaskRelationRegressor(**params).fit(X, scale * y + shift)
    np.testing.assert_allclose(b.predict(X), scale * a.predict(X) + shift, rtol=1e-5,
                               atol=1e-6 * np.abs(scale).max())
    np.testing.assert_allclose(a.task_correlation_, b.task_correlation_, atol=1e-6)


def test_evidence_per_feature_gamma_is_learned():
    """An array gamma: the evidence learns each (the irrelevant third feature's shrinks)."""
    X, y = _data(sizes=(30, 30, 30))
    est = KernelTaskRelationRegressor(kernel="rbf", task_covariance="evidence", task_column=-1,
                                      gamma=np.full(3, 0.3), max_iter=500).fit(X, y)
    assert est.gamma_.shape == (3,) and est.gamma_[2] < 0.1 * est.gamma_[0]
    k = RBF(1 / np.sqrt(2 * est.gamma_))
    np.testing.assert_allclose(est._kernel(X[:5, :-1], X[5:9, :-1]),
                               k(X[:5, :-1], X[5:9, :-1]), rtol=0, atol=1e-12)


def test_evidence_fixed_kernel_keeps_its_parameters():
    X, y = _data()
    est = KernelTaskRelationRegressor(kernel="linear", task_covariance="evidence",
                                      task_column=-1).fit(X, y)
    assert est.gamma_ is None and np.all(est.noise_variance_ > 0)
    assert np.isfinite(est.predict(X)).all()


# -- compare's grid ------------------------------------------------------------------------
def test_kernel_grid_evidence_point():
    X, y = _data()
    grid = kernel_grid(task_covariance="learn", evidence_kernel="matern32")
    points = grid("regression", X, y, -1)
    assert len(points) == 1
    params = points[0][1]
    assert params["task_covariance"] == "evidence" and params["kernel"] == "matern32"
    assert params["gamma"] > 0
    # classification, and more rows than the exact solve takes: the grid
    assert isinstance(grid("classification", X, np.sign(y), -1), PreferredPoints)
    big = np.tile(X, (KERNEL_EXACT_ROWS // len(X) + 1, 1))
    many = grid("regression", big, np.resize(y, len(big)), -1)
    assert len(many) > 1 and all(p["task_covariance"] == "learn" for _, p in many)


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize("est, match", [
    (KernelTaskRelationClassifier(task_covariance="evidence", task_column=-1),
     "Gaussian likelihood"),
    (KernelTaskRelationRegressor(task_covariance="evidence", n_components=5, task_column=-1),
     "exact solve"),
    (KernelTaskRelationRegressor(task_covariance="evidence", task_weights="size",
                                 task_column=-1), "task_weights=None"),
    (KernelTaskRelationRegressor(task_covariance="evidence", intercept_shrinkage=1.0,
                                 task_column=-1), "intercept_shrinkage=0"),
    (KernelTaskRelationRegressor(kernel="matern32", n_components=5, task_column=-1),
     "Nystroem"),
    (KernelTaskRelationRegressor(kernel="matern", kernel_params={"nu": 2.0}, task_column=-1),
     "nu in"),
])
def test_evidence_bad_input(est, match):
    X, y = _data()
    if isinstance(est, KernelTaskRelationClassifier):
        y = (y > np.median(y)).astype(int)
    with pytest.raises(ValueError, match=match) as info:
        est.fit(X, y)
    assert "\n" not in str(info.value)


def test_evidence_sample_weights_are_relative_within_each_task():
    """The noise of row r is sigma2_t / w_r, w relative to its task's mean: scaling one task's
    weights changes nothing; unequal weights change the fit."""
    X, y = _data()
    task = X[:, -1].astype(int)
    sw = np.random.default_rng(9).uniform(0.5, 2.0, len(y))
    params = dict(task_covariance="evidence", kernel="rbf", gamma=0.3, task_column=-1,
                  max_iter=2000, tol=1e-9)
    a = KernelTaskRelationRegressor(**params).fit(X, y, sample_weight=sw)
    b = KernelTaskRelationRegressor(**params).fit(X, y, sample_weight=sw * np.array([1, 7, 0.1])[task])
    # the same objective to rounding: the same optimum, to L-BFGS-B's tolerance
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=0, atol=1e-6)
    assert a.log_marginal_likelihood_ == pytest.approx(b.log_marginal_likelihood_, rel=1e-9)
    c = KernelTaskRelationRegressor(**params).fit(X, y)
    assert np.abs(c.predict(X) - a.predict(X)).max() > 1e-4


def test_evidence_warm_start_starts_from_the_previous_fit():
    X, y = _data()
    est = KernelTaskRelationRegressor(task_covariance="evidence", kernel="matern32", gamma=0.3,
                                      task_column=-1, max_iter=500, warm_start=True).fit(X, y)
    first, lml = est.n_iter_, est.log_marginal_likelihood_
    est.fit(X, y)
    assert est.n_iter_ < first and est.log_marginal_likelihood_ == pytest.approx(lml, rel=1e-6)
