"""``lambda_mean`` of the kernel task-relation models: a shared mean function, penalised alone.

The objective (``KernelTaskRelationRegressor``'s docstring), written here::

    F(f, b) + lambda_mean/2 T ||f_bar||^2 + alpha/2 sum_t ||f_t - f_bar||^2
            + lambda_2/2 tr(Omega^{-1} (Pi G Pi + eps I)),   Pi = I - 11^T / T

* the linear kernel is :class:`~mtlclassic.TaskRelationRegressor` with the same
  ``lambda_mean`` (``lambda_1 = alpha``), both layouts, to 1e-8; with
  ``lambda_2 = 0`` it is :class:`~mtlclassic.MeanRegularizedRegressor`;
* the fitted ``(f, b, Omega)`` of an rbf kernel is a stationary point of the
  objective above, recomputed from ``dual_coef_`` and ``X_fit_``;
* Nystroem features converge to the exact solve as ``n_components`` grows to N;
* bad values: a one-line ``ValueError``.
"""

import numpy as np
import pytest
import scipy.linalg as la
from sklearn.metrics.pairwise import rbf_kernel

from mtlclassic import (KernelTaskRelationRegressor, MeanRegularizedRegressor,
                        TaskRelationRegressor)


def _rel(a, b):
    return np.linalg.norm(np.ravel(a - b)) / max(np.linalg.norm(np.ravel(b)), 1e-300)


def _per_task(sizes=(15, 22, 18), p=4, seed=0):
    rng = np.random.default_rng(seed)
    Xs = [rng.standard_normal((n, p)) for n in sizes]
    X = np.vstack([np.column_stack([x, np.full(len(x), t)]) for t, x in enumerate(Xs)])
    # A large common model plus task-specific parts: what the mean term is for.
    y = (2 * X[:, 0] + np.sin(X[:, 1]) * (1 + 0.4 * X[:, -1]) + 0.3 * X[:, -1]
         + 0.1 * rng.standard_normal(len(X)))
    perm = rng.permutation(len(y))
    return X[perm], y[perm]


def _shared(n=30, p=4, T=3, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    Y = np.column_stack([2 * X[:, 0] + np.sin(X[:, 1]) * (1 + 0.4 * t) for t in range(T)])
    return X, Y + 0.1 * rng.standard_normal(Y.shape)


@pytest.mark.parametrize("layout", ["per-task", "shared"])
@pytest.mark.parametrize("lambda_mean", [0.05, 3.0])
def test_linear_kernel_is_task_relation_with_its_mean_term(layout, lambda_mean):
    X, y = _per_task() if layout == "per-task" else _shared()
    column = -1 if layout == "per-task" else None
    kw = dict(lambda_2=0.1, eps=0.1, lambda_mean=lambda_mean, task_column=column,
              max_iter=5000)
    kernel = KernelTaskRelationRegressor(0.01, kernel="linear", tol=1e-13, **kw).fit(X, y)
    linear = TaskRelationRegressor(lambda_1=0.01, tol=1e-15, max_inner_iter=50000,
                                   **kw).fit(X, y)
    assert _rel(kernel.predict(X), linear.predict(X)) < 1e-8
    assert _rel(kernel.intercept_, linear.intercept_) < 1e-8
    # Omega is flat in the objective near its optimum: the alternations stop ~1e-8 apart.
    assert _rel(kernel.task_covariance_, linear.task_covariance_) < 1e-6
    # The mean term changes the model (it is not ignored).
    plain = KernelTaskRelationRegressor(0.01, kernel="linear", tol=1e-13,
                                        **{**kw, "lambda_mean": None}).fit(X, y)
    assert _rel(plain.predict(X), kernel.predict(X)) > 1e-3


def test_without_lambda_2_it_is_mean_regularized():
    # M = lambda_mean 11^T / T + alpha Pi = MeanRegularized's lambda_MR Pi + lambda_l2 I with
    # lambda_l2 = lambda_mean and lambda_MR = alpha - lambda_mean.
    X, y = _per_task(seed=3)
    alpha, lambda_mean = 0.5, 0.02
    kernel = KernelTaskRelationRegressor(alpha, kernel="linear", lambda_2=0.0,
                                         lambda_mean=lambda_mean, task_column=-1).fit(X, y)
    mr = MeanRegularizedRegressor(lambda_mean=alpha - lambda_mean, lambda_l2=lambda_mean,
                                  task_column=-1, tol=1e-15, max_iter=100000).fit(X, y)
    assert _rel(kernel.predict(X), mr.predict(X)) < 1e-8


def _penalty_matrix(model, omega, T):
    """``M = lambda_mean 11^T / T + Pi (alpha I + lambda_2 Omega^{-1}) Pi`` (dense)."""
    Pi = np.eye(T) - 1.0 / T
    inner = model.alpha * np.eye(T) + model.lambda_2 * np.linalg.inv(omega)
    return model.lambda_mean * np.ones((T, T)) / T + Pi @ inner @ Pi


@pytest.mark.parametrize("lambda_mean", [0.01, 1.0])
def test_fit_is_a_stationary_point_of_the_written_objective(lambda_mean):
    X, y = _per_task(seed=5)
    T, gamma = 3, 0.4
    model = KernelTaskRelationRegressor(0.02, kernel="rbf", gamma=gamma, lambda_2=0.05, eps=1e-2,
                                        lambda_mean=lambda_mean, task_column=-1, tol=1e-13,
                                        max_iter=3000).fit(X, y)
    order = np.argsort(X[:, -1], kind="stable")
    task, yo = X[order, -1].astype(int), y[order]
    n = len(y)
    c = 1.0 / np.bincount(task)[task]  # each task's loss is its mean
    K = rbf_kernel(model.X_fit_, gamma=gamma)
    omega = model.task_covariance_
    M = _penalty_matrix(model, omega, T)
    # The docstring's dual: f(x, t) = sum_r a_r k(x_r, x) Q[t_r, t], Q = M^{-1}.
    A = np.zeros((n, T))
    A[np.arange(n), task] = model.dual_coef_
    C = A @ np.linalg.inv(M)
    b = model.intercept_
    Xq = np.random.default_rng(2).standard_normal((5, 4))
    got = np.column_stack([model.predict(np.column_stack([Xq, np.full(5, t)]))
                           for t in range(T)])
    assert _rel(got, rbf_kernel(Xq, model.X_fit_, gamma=gamma) @ C + b) < 1e-10

    def objective(C, b, omega):
        r = yo - (K @ C)[np.arange(n), task] - b[task]
        G = C.T @ K @ C
        Pi = np.eye(T) - 1.0 / T
        fbar = C.mean(axis=1)
        value = 0.5 * np.sum(c * r * r) + 0.5 * lambda_mean * T * fbar @ K @ fbar
        value += 0.5 * model.alpha * np.trace(Pi @ G @ Pi)
        inv = np.linalg.inv(omega)
        return value + 0.5 * model.lambda_2 * np.sum(inv * (Pi @ G @ Pi + model.eps * np.eye(T)))

    # The written objective is the penalty 1/2 tr(M G): the two forms agree.
    r = yo - (K @ C)[np.arange(n), task] - b[task]
    direct = (0.5 * np.sum(c * r * r) + 0.5 * np.sum(M * (C.T @ K @ C))
              + 0.5 * model.lambda_2 * model.eps * np.trace(np.linalg.inv(omega)))
    assert abs(direct - objective(C, b, omega)) < 1e-12 * direct
    # Omega-step: MTRL's closed form of the deviations' Gram Pi G Pi.
    Pi = np.eye(T) - 1.0 / T
    root = np.real(la.sqrtm(Pi @ C.T @ K @ C @ Pi + model.eps * np.eye(T)))
    assert _rel(omega, root / np.trace(root)) < 1e-6
    # W-step: the gradient in (C, b) vanishes.
    R = np.zeros((n, T))
    R[np.arange(n), task] = c * r
    gC = K @ (C @ M - R)
    gb = -np.bincount(task, weights=c * r, minlength=T)
    assert np.linalg.norm(gC) < 1e-8 * np.linalg.norm(K @ C @ M)
    assert np.linalg.norm(gb) < 1e-8 * np.linalg.norm(c)
    # And no nearby point is lower (jointly convex: a minimum).
    J0 = objective(C, b, omega)
    rng = np.random.default_rng(0)
    for step in (1e-1, 1e-2, 1e-3):
        for _ in range(5):
            dC = rng.standard_normal(C.shape) * step * np.abs(C).max()
            E = rng.standard_normal((T, T))
            omega2 = omega + step * np.linalg.eigvalsh(omega)[0] * (E + E.T) / 4
            omega2 /= np.trace(omega2)
            assert objective(C + dC, b, omega) >= J0 * (1 - 1e-12)
            assert objective(C, b, omega2) >= J0 * (1 - 1e-12)


@pytest.mark.parametrize("layout", ["per-task", "shared"])
def test_nystroem_converges_to_the_exact_solve(layout):
    params = dict(alpha=0.01, gamma=0.3, lambda_2=0.02, lambda_mean=0.05, tol=1e-10,
                  max_iter=2000, random_state=0)
    Xq = np.random.default_rng(9).uniform(-2, 2, (30, 4))
    if layout == "per-task":
        X, y = _per_task(sizes=(25, 30, 20), seed=8)
        params["task_column"] = -1
        Xq = np.vstack([np.column_stack([Xq, np.full(30, t)]) for t in range(3)])
    else:
        X, y = _shared(n=60, seed=8)
    exact_model = KernelTaskRelationRegressor(**params).fit(X, y)
    exact = exact_model.predict(Xq)
    errors = {}
    for m in (5, 20, len(y)):
        model = KernelTaskRelationRegressor(n_components=m, **params).fit(X, y)
        assert model._linear.lambda_mean == 0.05  # the linear model's mean term
        errors[m] = _rel(model.predict(Xq), exact)
    assert errors[len(y)] < 1e-4, errors
    assert errors[len(y)] < errors[20] < errors[5], errors
    assert _rel(model.task_covariance_, exact_model.task_covariance_) < 1e-3


def test_warm_start_on_features_reaches_the_cold_fit():
    # compare's search refits each fold's model at a neighbouring point (warm_start=True).
    X, y = _per_task(sizes=(40, 50, 30), seed=4)
    params = dict(kernel="linear", lambda_2=0.1, lambda_mean=0.1, n_components=4,
                  random_state=0, task_column=-1, tol=1e-10, max_iter=2000)
    warm = KernelTaskRelationRegressor(1.0, warm_start=True, **params).fit(X, y)
    first = warm._linear
    warm.set_params(alpha=0.01).fit(X, y)
    assert warm._linear is first  # refitted from its solution
    cold = KernelTaskRelationRegressor(0.01, **params).fit(X, y)
    assert _rel(warm.predict(X), cold.predict(X)) < 1e-6


@pytest.mark.parametrize("params, message", [
    (dict(lambda_mean=0.0), "lambda_mean must be None or a finite number > 0"),
    (dict(lambda_mean=-1.0), "lambda_mean must be None or a finite number > 0"),
    (dict(lambda_mean=np.inf), "lambda_mean must be None or a finite number > 0"),
    (dict(lambda_mean=0.1, task_covariance="independent"), "needs task_covariance='learn'"),
])
def test_bad_lambda_mean_one_line_value_error(params, message):
    X, y = _per_task()
    with pytest.raises(ValueError, match=message) as info:
        KernelTaskRelationRegressor(task_column=-1, **params).fit(X, y)
    assert "\n" not in str(info.value)


def test_cv_estimator_passes_lambda_mean_to_its_fits():
    from mtlclassic import KernelTaskRelationRegressorCV

    X, y = _per_task(sizes=(20, 24, 22), seed=6)
    cv = KernelTaskRelationRegressorCV(alphas=(1e-2, 1e-1), gammas=(0.3,), lambda_2s=(1e-2,),
                                       lambda_mean=0.05, cv=2, task_column=-1).fit(X, y)
    assert cv.best_estimator_.lambda_mean == 0.05
    ref = KernelTaskRelationRegressor(cv.alpha_, gamma=0.3, lambda_2=cv.lambda_2_,
                                      lambda_mean=0.05, task_column=-1).fit(X, y)
    assert _rel(cv.predict(X), ref.predict(X)) < 1e-6
