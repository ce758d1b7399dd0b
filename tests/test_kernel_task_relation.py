"""The kernel task-relation models (issue 21) against scikit-learn and their written objective.

* Exact against ``KernelRidge`` (1e-8 relative): ``task_covariance="independent"``
  without intercepts is ``KernelRidge(alpha * n_t)`` per task, an all-ones
  ``task_covariance`` is ``KernelRidge`` on all rows pooled; sample weights
  and task weights enter as the docstring's datafit says. Several kernels.
* The learned ``Omega`` and the fitted functions are a stationary point (and
  a minimum) of the objective written in this file from the docstring:
  ``G`` is recomputed from ``dual_coef_`` and ``X_fit_``, ``Omega`` is MTRL's
  closed form of it, the W-step's first-order conditions hold, and random
  perturbations of the coefficients, intercepts and ``Omega`` do not lower it.
* Nystroem features converge to the exact solve as ``n_components`` grows to N,
  and form no kernel matrix of size n x n.
* Layouts, missing targets, unseen tasks, float32 features, pickling and warm
  starts, the classifier's labels, bad input (one-line ``ValueError``), and
  useful defaults.
"""

import re
import warnings

import numpy as np
import pytest
import scipy.linalg as la
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_ridge import KernelRidge
from sklearn.metrics.pairwise import rbf_kernel

from mtlclassic import KernelTaskRelationClassifier, KernelTaskRelationRegressor

RTOL = 1e-8


def _rel(a, b):
    return np.linalg.norm(np.ravel(a - b)) / max(np.linalg.norm(np.ravel(b)), 1e-300)


def _row_rbf(x, z, gamma=0.7):
    """A callable kernel of two rows (as ``KernelRidge`` takes it)."""
    return np.exp(-gamma * np.sum((x - z) ** 2))


KERNELS = {
    "rbf": ("rbf", dict(gamma=0.5)),
    "linear": ("linear", {}),
    "polynomial": ("polynomial", dict(gamma=0.3, degree=2, coef0=1.0)),
    "laplacian": ("laplacian", dict(gamma=0.4)),
    "callable": (_row_rbf, dict(kernel_params={"gamma": 0.7})),
}


def _sk_params(kernel, params):
    """The same kernel as ``KernelRidge``'s parameters."""
    params = dict(params)
    return dict(kernel=kernel, **params.pop("kernel_params", {}), **params)


def _target(X, t):
    return np.sin(1.5 * X[:, 0]) * (1 + 0.5 * t) + X[:, 1] ** 2 * (0.5 - 0.3 * t) + 0.3 * t


def _per_task(sizes=(7, 12, 9), p=3, seed=0, noise=0.1):
    """Per-task data: lists ``(Xs, ys)`` and the stacked ``(X, y)``, task codes last, shuffled."""
    rng = np.random.default_rng(seed)
    Xs = [rng.standard_normal((n, p)) for n in sizes]
    ys = [_target(x, t) + noise * rng.standard_normal(len(x)) for t, x in enumerate(Xs)]
    X = np.vstack([np.column_stack([x, np.full(len(x), t)]) for t, x in enumerate(Xs)])
    y = np.concatenate(ys)
    perm = rng.permutation(len(y))
    return Xs, ys, X[perm], y[perm]


def _shared(n=20, p=3, T=3, seed=1, noise=0.1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    Y = np.column_stack([_target(X, t) for t in range(T)]) + noise * rng.standard_normal((n, T))
    return X, Y


def _with_task(X, t):
    return np.column_stack([X, np.full(len(X), t)])


# -- 1. exact against scikit-learn ------------------------------------------------------
@pytest.mark.parametrize("name", KERNELS)
def test_independent_is_kernel_ridge_per_task(name):
    kernel, params = KERNELS[name]
    Xs, ys, X, y = _per_task()
    alpha = 0.05
    model = KernelTaskRelationRegressor(alpha, kernel=kernel, task_covariance="independent",
                                        fit_intercept=False, task_column=-1, **params).fit(X, y)
    Xq = np.random.default_rng(5).standard_normal((6, 3))
    order = np.argsort(X[:, -1], kind="stable")  # X_fit_'s rows: sorted by task
    for t in range(3):
        mine = X[order, -1] == t
        Xt, yt = X[order[mine], :-1], y[order[mine]]
        ref = KernelRidge(alpha=alpha * len(yt), **_sk_params(kernel, params)).fit(Xt, yt)
        for Z in (Xq, Xt):
            assert _rel(model.predict(_with_task(Z, t)), ref.predict(Z)) < RTOL
        # The documented dual: f = sum_r a_r k(x_r, .) Q, with Q = I / alpha.
        assert _rel(model.dual_coef_[mine] / alpha, ref.dual_coef_) < RTOL
    assert model.n_iter_ == 0
    np.testing.assert_array_equal(model.task_covariance_, np.eye(3))


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "nan"])
def test_independent_is_kernel_ridge_shared_layout(missing):
    # Complete targets take the Kronecker solve, missing ones the stacked solve.
    X, Y = _shared()
    if missing:
        Y[[0, 3, 4], 1] = np.nan
        Y[[2, 7], 2] = np.nan
    alpha = 0.02
    model = KernelTaskRelationRegressor(alpha, kernel="rbf", gamma=0.5,
                                        task_covariance="independent",
                                        fit_intercept=False).fit(X, Y)
    Xq = np.random.default_rng(5).standard_normal((6, 3))
    P = model.predict(Xq)
    for t in range(Y.shape[1]):
        seen = ~np.isnan(Y[:, t])
        ref = KernelRidge(alpha=alpha * seen.sum(), kernel="rbf", gamma=0.5)
        ref.fit(X[seen], Y[seen, t])
        assert _rel(P[:, t], ref.predict(Xq)) < RTOL


@pytest.mark.parametrize("name", KERNELS)
@pytest.mark.parametrize("spec", ["shared", "ones"])
def test_all_ones_covariance_is_pooled_kernel_ridge(name, spec):
    kernel, params = KERNELS[name]
    Xs, ys, X, y = _per_task(sizes=(10, 10, 10), seed=2)
    alpha = 0.03
    cov = "shared" if spec == "shared" else np.ones((3, 3))
    model = KernelTaskRelationRegressor(alpha, kernel=kernel, task_covariance=cov,
                                        fit_intercept=False, task_column=-1, **params).fit(X, y)
    ref = KernelRidge(alpha=alpha * 10, **_sk_params(kernel, params)).fit(np.vstack(Xs),
                                                                          np.concatenate(ys))
    Xq = np.random.default_rng(6).standard_normal((6, 3))
    for t in range(3):
        assert _rel(model.predict(_with_task(Xq, t)), ref.predict(Xq)) < RTOL


def test_all_ones_covariance_is_pooled_kernel_ridge_shared_layout():
    X, Y = _shared(n=15)
    alpha = 0.01
    model = KernelTaskRelationRegressor(alpha, kernel="laplacian", gamma=0.3,
                                        task_covariance=np.ones((3, 3)),
                                        fit_intercept=False).fit(X, Y)
    ref = KernelRidge(alpha=alpha * 15, kernel="laplacian", gamma=0.3)
    ref.fit(np.tile(X, (3, 1)), Y.T.ravel())
    Xq = np.random.default_rng(6).standard_normal((6, 3))
    P = model.predict(Xq)
    for t in range(3):
        assert _rel(P[:, t], ref.predict(Xq)) < RTOL


def test_sample_weight_is_kernel_ridge_sample_weight():
    # Each task's loss is its weighted mean: KernelRidge(alpha * sum_t s_i, sample_weight=s).
    Xs, ys, X, y = _per_task(seed=3)
    w = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    alpha = 0.05
    model = KernelTaskRelationRegressor(alpha, kernel="polynomial", degree=2, gamma=0.5,
                                        task_covariance="independent", fit_intercept=False,
                                        task_column=-1).fit(X, y, sample_weight=w)
    Xq = np.random.default_rng(5).standard_normal((6, 3))
    for t in range(3):
        rows = X[:, -1] == t
        ref = KernelRidge(alpha=alpha * w[rows].sum(), kernel="polynomial", degree=2, gamma=0.5)
        ref.fit(X[rows, :-1], y[rows], sample_weight=w[rows])
        assert _rel(model.predict(_with_task(Xq, t)), ref.predict(Xq)) < RTOL


def test_task_weights_scale_each_tasks_loss():
    # tau_t multiplies task t's mean loss: KernelRidge(alpha * n_t / tau_t) for independent tasks.
    Xs, ys, X, y = _per_task(seed=4)
    tau = np.array([0.5, 2.0, 4.0])
    alpha = 0.05
    model = KernelTaskRelationRegressor(alpha, gamma=0.5, task_covariance="independent",
                                        fit_intercept=False, task_column=-1,
                                        task_weights=tau).fit(X, y)
    Xq = np.random.default_rng(5).standard_normal((6, 3))
    for t in range(3):
        ref = KernelRidge(alpha=alpha * len(ys[t]) / tau[t], kernel="rbf", gamma=0.5)
        ref.fit(Xs[t], ys[t])
        assert _rel(model.predict(_with_task(Xq, t)), ref.predict(Xq)) < RTOL


@pytest.mark.parametrize("task_covariance", ["learn", "fixed"])
def test_integer_sample_weights_are_repeated_rows(task_covariance):
    Xs, ys, X, y = _per_task(seed=5)
    w = np.random.default_rng(1).integers(0, 4, len(y))
    cov = "learn" if task_covariance == "learn" else np.array(
        [[1.0, 0.5, 0.2], [0.5, 1.0, 0.3], [0.2, 0.3, 1.0]])
    params = dict(alpha=0.01, lambda_2=0.05, gamma=0.5, task_covariance=cov, task_column=-1,
                  tol=1e-12, max_iter=500)
    weighted = KernelTaskRelationRegressor(**params).fit(X, y, sample_weight=w)
    repeated = KernelTaskRelationRegressor(**params).fit(np.repeat(X, w, axis=0),
                                                         np.repeat(y, w))
    Xq = np.vstack([_with_task(np.random.default_rng(5).standard_normal((4, 3)), t)
                    for t in range(3)])
    assert _rel(weighted.predict(Xq), repeated.predict(Xq)) < 1e-7
    assert _rel(weighted.task_covariance_, repeated.task_covariance_) < 1e-6


@pytest.mark.parametrize("kernel", ["linear", "polynomial"])
def test_float32_features_fit_as_float64(kernel):
    # The kernel and its solves run in float64: a float32 kernel matrix moved these
    # predictions by 5% (ill-conditioned: features of scale 100, small alpha) and made the
    # polynomial kernel fail the PSD test from rounding alone.
    rng = np.random.default_rng(19)
    X = (100 * rng.standard_normal((150, 3))).astype(np.float32)
    Y = np.column_stack([X[:, 0], X[:, 1] ** 2 / 100, X[:, 2] - X[:, 0]]).astype(np.float32)
    for cov in ("independent", "learn"):
        # An ill-conditioned problem: the alternation's steps settle at ~1e-6 (solve noise).
        params = dict(alpha=1e-3, kernel=kernel, gamma=1e-4, tol=1e-5, task_covariance=cov)
        m32 = KernelTaskRelationRegressor(**params).fit(X, Y)
        m64 = KernelTaskRelationRegressor(**params).fit(X.astype(np.float64),
                                                        Y.astype(np.float64))
        assert _rel(m32.predict(X), m64.predict(X.astype(np.float64))) < 1e-5


# -- 2. the written objective: stationarity and a minimum ----------------------------------
class _Objective:
    """The docstring's objective, written here, over ``f_t = sum_j C[j, t] k(X_fit_[j], .)``.

    ``F(f, b) = sum_t tau_t / (2 sum_{i in t} s_i) sum_{i in t} s_i (y_i - f(x_i, t) - b_t)^2``;
    learned: ``F + alpha/2 tr(G) + lambda_2/2 tr(Omega^{-1} (G + eps I))``; fixed ``B``:
    ``F + alpha/2 tr(B^{-1} G)``; ``G = C^T K C`` the tasks' RKHS Gram.
    """

    def __init__(self, model, K, rows, task, y, s, tau):
        self.model, self.K = model, K
        self.rows, self.task, self.y = rows, task, y
        T = len(tau)
        S = np.bincount(task, weights=s, minlength=T)
        self.c = tau[task] * s / S[task]  # each observation's loss weight
        self.T = T

    def residual(self, C, b):
        f = (self.K @ C)[self.rows, self.task] + b[self.task]
        return self.y - f

    def datafit(self, C, b):
        return 0.5 * np.sum(self.c * self.residual(C, b) ** 2)

    def penalty_matrix(self, omega):
        m = self.model
        if isinstance(m.task_covariance, str) and m.task_covariance == "learn":
            return m.alpha * np.eye(self.T) + m.lambda_2 * np.linalg.inv(omega)
        return m.alpha * np.linalg.inv(omega)

    def __call__(self, C, b, omega):
        m = self.model
        G = C.T @ self.K @ C
        value = self.datafit(C, b) + 0.5 * np.sum(self.penalty_matrix(omega) * G)
        if isinstance(m.task_covariance, str) and m.task_covariance == "learn":
            value += 0.5 * m.lambda_2 * m.eps * np.trace(np.linalg.inv(omega))
        return value

    def gradient(self, C, b, omega):
        """``(dJ/dC, dJ/db)``: ``K (C M - R)`` and ``-P^T c r`` (``R`` the weighted residuals)."""
        cr = self.c * self.residual(C, b)
        R = np.zeros_like(C)
        np.add.at(R, (self.rows, self.task), cr)
        return self.K @ (C @ self.penalty_matrix(omega) - R), -np.bincount(
            self.task, weights=cr, minlength=self.T)


def _fitted_objective(layout, task_covariance, seed=0, verbose=0):
    """A fitted model, its objective (written here) and ``(C, b, Omega)`` read from it."""
    rng = np.random.default_rng(seed)
    tau = np.array([1.0, 2.5, 0.7])
    if task_covariance == "learn":
        cov = "learn"
    else:
        cov = np.array([[1.0, 0.6, -0.2], [0.6, 1.5, 0.1], [-0.2, 0.1, 0.8]])
    model = KernelTaskRelationRegressor(
        0.02, kernel="rbf", gamma=0.4, task_covariance=cov, lambda_2=0.05, eps=1e-2,
        task_weights=tau, tol=1e-13, max_iter=3000, verbose=verbose,
        task_column=-1 if layout == "per-task" else None)
    if layout == "per-task":
        Xs, ys, X, y = _per_task(sizes=(9, 14, 11), seed=seed)
        # Correlated tasks, so that Omega is far from diagonal.
        y = y + 0.8 * np.sin(2 * X[:, 1])
        s = rng.uniform(0.3, 2.0, len(y))
        model.fit(X, y, sample_weight=s)
        order = np.argsort(X[:, -1], kind="stable")
        np.testing.assert_array_equal(model.X_fit_, X[order, :-1])  # documented order
        rows, task = np.arange(len(y)), X[order, -1].astype(int)
        yo, so = y[order], s[order]
        A = np.zeros((len(y), 3))
        A[rows, task] = model.dual_coef_
    else:
        X, Y = _shared(n=18, seed=seed)
        Y = Y + 0.8 * np.sin(2 * X[:, [1]])
        s = rng.uniform(0.3, 2.0, len(Y))
        if layout == "shared-nan":
            Y[[1, 4, 9], 0] = np.nan
            Y[[2, 3], 2] = np.nan
        model.fit(X, Y, sample_weight=s)
        np.testing.assert_array_equal(model.X_fit_, X)
        rows, task = np.nonzero(~np.isnan(Y))
        yo, so = Y[rows, task], s[rows]
        A = model.dual_coef_
        assert np.all(A[np.isnan(Y)] == 0)
    omega = model.task_covariance_
    objective = _Objective(model, rbf_kernel(model.X_fit_, gamma=0.4), rows, task, yo, so, tau)
    # The docstring's dual: f(x, t) = sum_r a_r k(x_r, x) Q[t_r, t], Q = B / alpha, with
    # B = (I + lambda_2 / alpha Omega^{-1})^{-1} when Omega is learned.
    Q = np.linalg.inv(objective.penalty_matrix(omega))
    C = A @ Q
    Xq = rng.standard_normal((5, 3))
    expected = rbf_kernel(Xq, model.X_fit_, gamma=0.4) @ C + model.intercept_
    if layout == "per-task":
        got = np.column_stack([model.predict(_with_task(Xq, t)) for t in range(3)])
    else:
        got = model.predict(Xq)
    assert _rel(got, expected) < 1e-10
    return model, objective, C, model.intercept_.copy(), omega


def _mtrl_closed_form(G, eps):
    root = np.real(la.sqrtm(G + eps * np.eye(len(G))))
    return root / np.trace(root)


@pytest.mark.parametrize("layout", ["per-task", "shared", "shared-nan"])
def test_learned_omega_is_a_stationary_point(layout, capsys):
    model, objective, C, b, omega = _fitted_objective(layout, "learn", verbose=1)
    assert model.n_iter_ >= 2
    # The objective the fit reports (verbose) is the one written here.
    printed = float(re.findall(r"objective (\S+)", capsys.readouterr().out)[-1])
    assert abs(printed - objective(C, b, omega)) < 1e-10 * printed
    assert np.isclose(np.trace(omega), 1.0)
    # Omega-step: MTRL's closed form of the fitted functions' Gram.
    G = C.T @ objective.K @ C
    assert _rel(omega, _mtrl_closed_form(G, model.eps)) < 1e-5
    assert np.max(np.abs(omega - np.diag(np.diag(omega)))) > 0.05  # the coupling is real
    # W-step: the objective's gradient in (C, b) vanishes at that Omega.
    gC, gb = objective.gradient(C, b, omega)
    scale = np.linalg.norm(objective.K @ (C @ objective.penalty_matrix(omega)))
    assert np.linalg.norm(gC) < 1e-8 * scale
    assert np.linalg.norm(gb) < 1e-8 * np.linalg.norm(objective.c)


@pytest.mark.parametrize("layout", ["per-task", "shared", "shared-nan"])
@pytest.mark.parametrize("task_covariance", ["learn", "fixed"])
def test_fit_is_a_minimum_of_the_written_objective(layout, task_covariance):
    model, objective, C, b, omega = _fitted_objective(layout, task_covariance, seed=1)
    J0 = objective(C, b, omega)
    gC, gb = objective.gradient(C, b, omega)
    assert np.linalg.norm(gC) < 1e-8 * np.linalg.norm(objective.K @ C)
    rng = np.random.default_rng(0)
    learn = task_covariance == "learn"
    for step in (1e-1, 1e-2, 1e-3):
        for _ in range(10):
            dC = rng.standard_normal(C.shape) * step * np.abs(C).max()
            db = rng.standard_normal(b.shape) * step * max(np.abs(b).max(), 1e-3)
            omega2 = omega
            if learn:  # a PSD, trace-1 neighbour of Omega
                E = rng.standard_normal(omega.shape)
                omega2 = omega + step * np.linalg.eigvalsh(omega)[0] * (E + E.T) / 4
                omega2 /= np.trace(omega2)
            assert objective(C + dC, b + db, omega2) >= J0 * (1 - 1e-12)
            # Coefficients alone, at the returned Omega (the W-step's minimum).
            assert objective(C + dC, b, omega) >= J0 * (1 - 1e-12)
            if learn:  # Omega alone (the Omega-step's minimum)
                assert objective(C, b, omega2) >= J0 * (1 - 1e-12)


def test_alternation_ends_at_its_lowest_objective_and_warns_when_cut_short(capsys):
    Xs, ys, X, y = _per_task(seed=7)
    params = dict(alpha=0.02, gamma=0.5, lambda_2=0.05, task_column=-1, tol=1e-14)
    with pytest.warns(ConvergenceWarning, match="alternation did not settle in 2 iterations"):
        KernelTaskRelationRegressor(max_iter=2, **params).fit(X, y)
    capsys.readouterr()
    model = KernelTaskRelationRegressor(max_iter=3000, verbose=1, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, y)
    values = [float(v) for v in re.findall(r"objective (\S+)", capsys.readouterr().out)]
    assert len(values) == model.n_iter_ >= 3
    # Jointly convex: the last iterate is the best one (the Anderson-mixed Omega steps need not
    # decrease the objective at every alternation), well below the first, and settled.
    assert values[-1] <= min(values) + 1e-10 * values[0]
    assert values[-1] < 0.99 * values[0]
    assert abs(values[-1] - values[-2]) < 1e-10 * values[0]


# -- 3. Nystroem converges to the exact solve ------------------------------------------------
@pytest.mark.parametrize("layout", ["per-task", "shared"])
@pytest.mark.parametrize("task_covariance", ["learn", "independent", "shared", "fixed"])
def test_nystroem_converges_to_the_exact_solve(task_covariance, layout):
    cov = task_covariance if task_covariance != "fixed" else np.array(
        [[1.0, 0.5, 0.2], [0.5, 1.0, 0.3], [0.2, 0.3, 1.0]])
    params = dict(alpha=0.01, gamma=0.3, lambda_2=0.02, task_covariance=cov, tol=1e-10,
                  max_iter=2000, random_state=0)
    Xq = np.random.default_rng(9).uniform(-2, 2, (30, 3))
    if layout == "per-task":
        Xs, ys, X, y = _per_task(sizes=(25, 30, 20), seed=8)
        params["task_column"] = -1
        Xq = np.vstack([_with_task(Xq, t) for t in range(3)])
    else:
        X, y = _shared(n=60, seed=8)
    N = len(y)
    exact = KernelTaskRelationRegressor(**params).fit(X, y).predict(Xq)
    errors = {}
    for m in (5, 20, N):
        model = KernelTaskRelationRegressor(n_components=m, **params).fit(X, y)
        assert model.coef_.shape == (3, m) and not hasattr(model, "dual_coef_")
        errors[m] = _rel(model.predict(Xq), exact)
    print(layout, task_covariance, errors)
    assert errors[N] < 1e-4, errors
    assert errors[N] < errors[20] < errors[5], errors
    if task_covariance == "learn":
        assert _rel(model.task_covariance_,
                    KernelTaskRelationRegressor(**params).fit(X, y).task_covariance_) < 1e-3


def test_nystroem_forms_nothing_of_size_n_by_n(monkeypatch):
    import sklearn.kernel_approximation as ka

    import mtlclassic.estimators.kernel as kernel_module
    Xs, ys, X, y = _per_task(sizes=(40, 50, 30), seed=8)
    shapes = []

    def spy(original):
        def wrapped(A, B=None, *args, **kwargs):
            out = original(A, B, *args, **kwargs)
            shapes.append(out.shape)
            return out
        return wrapped
    monkeypatch.setattr(kernel_module, "pairwise_kernels", spy(kernel_module.pairwise_kernels))
    monkeypatch.setattr(ka, "pairwise_kernels", spy(ka.pairwise_kernels))
    model = KernelTaskRelationRegressor(gamma=0.3, task_column=-1, n_components=25,
                                        random_state=0).fit(X, y)
    model.predict(X)
    assert shapes and max(min(shape) for shape in shapes) == 25, shapes


def test_pickle_round_trip_and_warm_start():
    import pickle
    Xs, ys, X, y = _per_task(seed=18)
    params = dict(alpha=0.02, gamma=0.4, lambda_2=0.05, task_column=-1, tol=1e-9,
                  max_iter=1000)
    for n_components in (None, 12):
        model = KernelTaskRelationRegressor(n_components=n_components, random_state=0,
                                            **params).fit(X, y)
        clone = pickle.loads(pickle.dumps(model))
        np.testing.assert_array_equal(clone.predict(X), model.predict(X))
    cold = KernelTaskRelationRegressor(**params).fit(X, y)
    warm = KernelTaskRelationRegressor(warm_start=True, **params).fit(X, y)
    warm.fit(X, y)  # restarts from its own Omega: the same solution, fewer alternations
    assert warm.n_iter_ < cold.n_iter_
    assert _rel(warm.task_covariance_, cold.task_covariance_) < 1e-6
    assert _rel(warm.predict(X), cold.predict(X)) < 1e-6


# -- 4. layouts, missing targets, unseen tasks ------------------------------------------------
@pytest.mark.parametrize("task_covariance", ["learn", "independent", "shared"])
def test_layouts_agree(task_covariance):
    # Exact solve only: Nystroem draws its rows from the rows it is given, and the stacked
    # design repeats each row T times, so the two layouts' features differ by design.
    X, Y = _shared(n=16, seed=10)
    params = dict(alpha=0.02, gamma=0.4, lambda_2=0.05, task_covariance=task_covariance,
                  tol=1e-12, max_iter=2000)
    shared = KernelTaskRelationRegressor(**params).fit(X, Y)
    Xst = np.vstack([_with_task(X, t) for t in range(3)])
    per_task = KernelTaskRelationRegressor(task_column=-1, **params).fit(Xst, Y.T.ravel())
    Xq = np.random.default_rng(0).standard_normal((7, 3))
    P = shared.predict(Xq)
    for t in range(3):
        assert _rel(per_task.predict(_with_task(Xq, t)), P[:, t]) < 1e-8
    assert _rel(per_task.task_covariance_, shared.task_covariance_) < 1e-8
    assert _rel(per_task.intercept_, shared.intercept_) < 1e-8


def test_nan_targets_drop_out():
    X, Y = _shared(n=20, seed=11)
    Y[[0, 5, 6, 11], 0] = np.nan
    Y[[3, 12], 2] = np.nan
    params = dict(alpha=0.02, gamma=0.4, lambda_2=0.05, tol=1e-10, max_iter=2000)
    shared = KernelTaskRelationRegressor(**params).fit(X, Y)
    # A missing target's dual coefficient is zero (it is no observation).
    assert np.all(shared.dual_coef_[np.isnan(Y)] == 0)
    # The per-task layout without those rows: the same model (no kernel column changes).
    Xst = np.vstack([_with_task(X, t) for t in range(3)])
    keep = ~np.isnan(Y.T.ravel())
    per_task = KernelTaskRelationRegressor(task_column=-1, **params)
    per_task.fit(Xst[keep], Y.T.ravel()[keep])
    Xq = np.random.default_rng(0).standard_normal((7, 3))
    P = shared.predict(Xq)
    for t in range(3):
        assert _rel(per_task.predict(_with_task(Xq, t)), P[:, t]) < 1e-8
    # Nystroem features of every row (n_components = n) solve the same problem.
    features = KernelTaskRelationRegressor(n_components=20, random_state=0, **params).fit(X, Y)
    assert _rel(features.predict(Xq), P) < 1e-4


@pytest.mark.parametrize("n_components", [None, 10])
def test_unseen_tasks_mean(n_components):
    Xs, ys, X, y = _per_task(seed=12)
    params = dict(alpha=0.02, gamma=0.4, task_column=-1, n_components=n_components,
                  random_state=0)
    model = KernelTaskRelationRegressor(unseen_tasks="mean", **params).fit(X, y)
    Xq = np.random.default_rng(0).standard_normal((5, 3))
    each = np.column_stack([model.predict(_with_task(Xq, t)) for t in range(3)])
    mixed = np.vstack([_with_task(Xq, 7), _with_task(Xq, 1)])
    got = model.predict(mixed)
    np.testing.assert_allclose(got[:5], each.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(got[5:], each[:, 1], rtol=1e-12)
    strict = KernelTaskRelationRegressor(**params).fit(X, y)
    with pytest.raises(ValueError, match="7"):
        strict.predict(_with_task(Xq, 7))


# -- 5. the classifier ------------------------------------------------------------------
@pytest.mark.parametrize("n_components", [None, 20])
def test_classifier_is_the_regressor_on_signed_labels(n_components):
    Xs, ys, X, y = _per_task(sizes=(20, 25, 15), seed=13)
    labels = np.where(y > np.median(y), "yes", "no")
    params = dict(alpha=0.02, gamma=0.4, lambda_2=0.05, task_column=-1, tol=1e-10,
                  n_components=n_components, random_state=0)
    clf = KernelTaskRelationClassifier(**params).fit(X, labels)
    reg = KernelTaskRelationRegressor(**params).fit(X, np.where(labels == "yes", 1.0, -1.0))
    np.testing.assert_array_equal(clf.classes_, ["no", "yes"])
    Xq = np.vstack([_with_task(np.random.default_rng(1).standard_normal((10, 3)), t)
                    for t in range(3)])
    d = clf.decision_function(Xq)
    np.testing.assert_allclose(d, reg.predict(Xq), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(clf.predict(Xq), np.where(d > 0, "yes", "no"))
    assert not hasattr(clf, "predict_proba")
    assert not hasattr(clf, "predict_log_proba")
    assert clf.score(X, labels) > 0.8


def test_classifier_shared_layout():
    X, Y = _shared(n=40, seed=14)
    labels = np.where(Y > np.median(Y, axis=0), "b", "a")
    clf = KernelTaskRelationClassifier(alpha=0.01, gamma=0.4).fit(X, labels)
    reg = KernelTaskRelationRegressor(alpha=0.01, gamma=0.4).fit(X, np.where(labels == "b",
                                                                             1.0, -1.0))
    d = clf.decision_function(X)
    assert d.shape == (40, 3)
    np.testing.assert_allclose(d, reg.predict(X), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), np.where(d > 0, "b", "a"))
    assert np.mean(clf.predict(X) == labels) > 0.8


# -- 6. bad input: one-line ValueErrors naming the problem ------------------------------------
def _neg_rbf(x, z):
    return -np.exp(-0.5 * np.sum((x - z) ** 2))


BAD = {
    "callable not PSD": (dict(kernel=_neg_rbf), "positive semi-definite"),
    "callable not PSD, large alpha": (dict(kernel=_neg_rbf, alpha=100.0),
                                      "positive semi-definite"),
    "callable not PSD, Nystroem": (dict(kernel=_neg_rbf, n_components=10),
                                   "positive semi-definite"),
    "sigmoid indefinite": (dict(kernel="sigmoid", gamma=2.0, coef0=-1.0),
                           "positive semi-definite"),
    "sigmoid indefinite, fixed": (dict(kernel="sigmoid", gamma=2.0, coef0=-1.0,
                                       task_covariance="independent"), "positive semi-definite"),
    "covariance shape": (dict(task_covariance=np.eye(2)), r"shape .*\(3, 3\)"),
    "covariance not PSD": (dict(task_covariance=np.array(
        [[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]])), "positive semi-definite"),
    "covariance NaN": (dict(task_covariance=np.array(
        [[1.0, np.nan, 0.0], [np.nan, 1.0, 0.0], [0.0, 0.0, 1.0]])), "finite"),
    "covariance not symmetric": (dict(task_covariance=np.array(
        [[1.0, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])), "symmetric"),
    "covariance name": (dict(task_covariance="diagonal"), "task_covariance"),
    "n_components": (dict(n_components=1000), "n_components=1000 is larger than"),
    "negative alpha": (dict(alpha=-1.0), "alpha"),
    "zero alpha": (dict(alpha=0.0), "alpha"),
    "negative lambda_2": (dict(lambda_2=-0.1), "lambda_2"),
    "unknown kernel": (dict(kernel="gaussian"), "kernel"),
}


@pytest.mark.parametrize("layout", ["per-task", "shared"])
@pytest.mark.parametrize("case", BAD)
def test_bad_input_one_line_value_error(case, layout):
    params, message = BAD[case]
    if layout == "per-task":
        Xs, ys, X, y = _per_task(sizes=(10, 12, 9), seed=15)
        model = KernelTaskRelationRegressor(task_column=-1, **params)
    else:
        X, y = _shared(n=20, seed=15)
        model = KernelTaskRelationRegressor(**params)
    with pytest.raises(ValueError, match=message) as info:
        model.fit(X, y)
    assert "\n" not in str(info.value)


# -- 7. the defaults fit useful models ------------------------------------------------------
def test_defaults_fit_useful_models():
    Xs, ys, X, y = _per_task(sizes=(80, 80, 80), seed=16, noise=0.2)
    _, _, Xt, yt = _per_task(sizes=(200, 200, 200), seed=17, noise=0.0)
    model = KernelTaskRelationRegressor(task_column=-1).fit(X, y)
    tasks = Xt[:, -1].astype(int)
    means = np.array([y[X[:, -1] == t].mean() for t in range(3)])
    sse = np.sum((model.predict(Xt) - yt) ** 2)
    sse_null = np.sum((means[tasks] - yt) ** 2)
    assert sse < 0.3 * sse_null, (sse, sse_null)

    labels = np.where(y > np.median(y), 1, 0)
    test_labels = np.where(yt > np.median(y), 1, 0)
    clf = KernelTaskRelationClassifier(task_column=-1).fit(X, labels)
    majority = max(test_labels.mean(), 1 - test_labels.mean())
    assert clf.score(Xt, test_labels) > majority + 0.15


def test_linear_kernel_is_the_linear_task_relation_model():
    """``kernel="linear"`` with a learned covariance is ``TaskRelationRegressor`` (lambda_1 =
    alpha): the point of compare's kernel grid that reproduces the linear model."""
    from mtlclassic import TaskRelationRegressor

    _, _, X, y = _per_task(sizes=(15, 22, 18), p=4)
    kw = dict(lambda_2=0.1, task_column=-1, max_iter=2000)
    kernel = KernelTaskRelationRegressor(0.01, kernel="linear", tol=1e-10, **kw).fit(X, y)
    linear = TaskRelationRegressor(lambda_1=0.01, tol=1e-12, max_inner_iter=50000,
                                   **kw).fit(X, y)
    np.testing.assert_allclose(kernel.task_covariance_, linear.task_covariance_, atol=1e-5)
    np.testing.assert_allclose(kernel.predict(X), linear.predict(X), rtol=0, atol=2e-5)
