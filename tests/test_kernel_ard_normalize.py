"""The kernel task-relation models' per-feature ``gamma`` (ARD rbf) and ``normalize_y``.

* A per-feature ``gamma`` is scikit-learn's anisotropic ``RBF(length_scale)``
  with ``gamma_j = 1 / (2 l_j^2)``: the kernel matrix equals it, and the
  independent model without intercepts equals ``KernelRidge`` with that
  kernel per task (1e-8 relative), exact and through Nystroem features of
  full rank; ``gamma_j = 0`` ignores feature ``j``.
* ``normalize_y=True`` is the model fitted to each task's targets
  standardised by hand, outputs mapped back (fixed covariances: 1e-10;
  learned: to the alternation's tolerance), in both layouts and both routes,
  and it makes the fit invariant to each task's target scale and offset.
* Bad input: one-line ``ValueError``.
"""

import numpy as np
import pytest
from sklearn.gaussian_process.kernels import RBF
from sklearn.kernel_ridge import KernelRidge

from mtlclassic import KernelTaskRelationClassifier, KernelTaskRelationRegressor

LENGTH = np.array([0.5, 1.0, 2.0, 4.0])
GAMMA = 1 / (2 * LENGTH ** 2)


def _rel(a, b):
    return np.linalg.norm(np.ravel(a - b)) / max(np.linalg.norm(np.ravel(b)), 1e-300)


def _per_task(sizes=(20, 25, 15), seed=0, scales=(1.0, 1.0, 1.0), offsets=(0.0, 0.0, 0.0)):
    rng = np.random.default_rng(seed)
    Xs = [rng.standard_normal((n, 4)) for n in sizes]
    ys = [s * (np.sin(2 * x[:, 0]) + (0.5 + 0.3 * t) * x[:, 1] + 0.1 * rng.standard_normal(len(x)))
          + o for t, (x, s, o) in enumerate(zip(Xs, scales, offsets))]
    X = np.vstack([np.column_stack([x, np.full(len(x), t)]) for t, x in enumerate(Xs)])
    return Xs, ys, X, np.concatenate(ys)


def test_ard_kernel_is_sklearn_anisotropic_rbf():
    Xs, _, X, y = _per_task()
    model = KernelTaskRelationRegressor(gamma=GAMMA, task_column=-1)
    A, B = Xs[0], Xs[1]
    assert _rel(model._kernel(A, B), RBF(LENGTH)(A, B)) < 1e-12


@pytest.mark.parametrize("n_components", [None, 60])
def test_ard_independent_is_kernel_ridge_per_task(n_components):
    Xs, ys, X, y = _per_task()
    model = KernelTaskRelationRegressor(
        alpha=0.01, gamma=GAMMA, task_covariance="independent", fit_intercept=False,
        task_column=-1, n_components=n_components, random_state=0, tol=1e-12,
        max_iter=100000).fit(X, y)
    rng = np.random.default_rng(1)
    Xnew = rng.standard_normal((30, 4))
    for t, (x, yt) in enumerate(zip(Xs, ys)):
        ref = KernelRidge(alpha=0.01 * len(x), kernel=RBF(LENGTH)).fit(x, yt).predict(Xnew)
        got = model.predict(np.column_stack([Xnew, np.full(30, t)]))
        # Nystroem of full rank (60 = all rows) spans the kernel's range; its linear solve
        # stops at its own tolerance
        assert _rel(got, ref) < (1e-8 if n_components is None else 1e-5)


def test_zero_gamma_ignores_the_feature():
    Xs, _, X, y = _per_task()
    g = np.array([0.3, 0.2, 0.0, 0.0])
    a = KernelTaskRelationRegressor(gamma=g, task_column=-1).fit(X, y)
    b = KernelTaskRelationRegressor(gamma=0.3 / 0.3, task_column=-1)
    Xb = X.copy()
    Xb[:, :4] *= np.sqrt(g)  # the isotropic rbf (gamma 1) on the scaled features
    b.fit(Xb, y)
    Xn = X.copy()
    Xn[:, 2:4] = 99.0  # the ignored features
    assert _rel(a.predict(Xn), b.predict(Xb)) < 1e-10


@pytest.mark.parametrize("layout", ["per-task", "shared"])
@pytest.mark.parametrize("task_covariance", ["independent", "fixed", "learn"])
@pytest.mark.parametrize("n_components", [None, 40])
def test_normalize_y_is_the_fit_on_standardised_targets(layout, task_covariance, n_components):
    B = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.3], [0.2, 0.3, 1.0]])
    cov = B if task_covariance == "fixed" else task_covariance
    kw = dict(alpha=1e-2, gamma=0.4, lambda_2=1e-2, task_covariance=cov, tol=1e-12,
              max_iter=5000, n_components=n_components, random_state=0)
    if layout == "per-task":
        _, _, X, y = _per_task(scales=(1.0, 30.0, 0.1), offsets=(0.0, 5.0, -2.0))
        task = X[:, -1].astype(int)
        mu = np.array([y[task == t].mean() for t in range(3)])
        sd = np.array([y[task == t].std() for t in range(3)])
        scaled, kw["task_column"] = (y - mu[task]) / sd[task], -1
        back = lambda z: z * sd[task] + mu[task]  # noqa: E731
    else:
        rng = np.random.default_rng(3)
        X = rng.standard_normal((50, 4))
        y = np.column_stack([np.sin(X[:, 0]), 30 * X[:, 1] + 5, 0.1 * X[:, 0] * X[:, 2] - 2])
        mu, sd = y.mean(axis=0), y.std(axis=0)
        scaled, back = (y - mu) / sd, (lambda z: z * sd + mu)
    y_in = y.copy()
    a = KernelTaskRelationRegressor(normalize_y=True, **kw).fit(X, y)
    b = KernelTaskRelationRegressor(**kw).fit(X, scaled)
    np.testing.assert_array_equal(y, y_in)  # the input is not modified
    np.testing.assert_allclose(a.y_mean_, mu, rtol=1e-12)
    np.testing.assert_allclose(a.y_scale_, sd, rtol=1e-12)
    tol = 1e-10 if n_components is None else 1e-6
    assert _rel(a.predict(X), back(b.predict(X))) < tol
    assert _rel(a.task_covariance_, b.task_covariance_) < max(tol, 1e-8)


def test_normalize_y_is_invariant_to_each_tasks_scale():
    _, _, X, y = _per_task()
    _, _, _, y2 = _per_task(scales=(1.0, 100.0, 0.01), offsets=(3.0, -50.0, 0.5))
    task = X[:, -1].astype(int)
    scale, offset = np.array([1.0, 100.0, 0.01]), np.array([3.0, -50.0, 0.5])
    kw = dict(alpha=1e-3, gamma=0.5, lambda_2=1e-3, task_column=-1, normalize_y=True,
              tol=1e-12, max_iter=5000)
    a = KernelTaskRelationRegressor(**kw).fit(X, y)
    b = KernelTaskRelationRegressor(**kw).fit(X, y2)
    assert _rel(b.predict(X), a.predict(X) * scale[task] + offset[task]) < 1e-8
    # without it the learned covariance follows the large task
    c = KernelTaskRelationRegressor(**dict(kw, normalize_y=False)).fit(X, y2)
    assert c.task_covariance_[1, 1] > 0.9
    assert a.task_covariance_[1, 1] < 0.6


@pytest.mark.parametrize("params, message", [
    (dict(gamma=np.array([0.1, 0.2])), "one per feature"),
    (dict(gamma=np.array([0.1, -0.2, 0.1, 0.1])), "finite numbers >= 0"),
    (dict(gamma=np.array([0.1, np.nan, 0.1, 0.1])), "finite numbers >= 0"),
    (dict(gamma=np.ones((2, 2))), "1-d array"),
    (dict(gamma=GAMMA, kernel="laplacian"), "needs kernel='rbf'"),
    (dict(normalize_y="yes"), "normalize_y must be True or False"),
])
def test_bad_input_one_line_value_error(params, message):
    _, _, X, y = _per_task()
    with pytest.raises(ValueError, match=message) as info:
        KernelTaskRelationRegressor(task_column=-1, **params).fit(X, y)
    assert "\n" not in str(info.value)


def test_classifier_refuses_normalize_y():
    _, _, X, y = _per_task()
    with pytest.raises(ValueError, match="normalize_y=True scales regression targets") as info:
        KernelTaskRelationClassifier(task_column=-1, normalize_y=True).fit(X, y > 0)
    assert "\n" not in str(info.value)


def test_compare_grid_normalizes_regression_targets_of_different_scales():
    """``normalize_y="auto"``: set for regressors whose tasks' target variances span more than
    ``TARGET_SCALE_SPREAD`` (SARCOS-like), not for tasks of one scale (School-like) nor for
    classifiers; True and False force it."""
    from mtlclassic.estimators import kernel_grid
    from mtlclassic.estimators._grids import TARGET_SCALE_SPREAD, target_spread

    _, _, X, y_same = _per_task()
    _, _, _, y_apart = _per_task(scales=(1.0, 30.0, 0.3))
    assert target_spread(y_same, X, -1) < TARGET_SCALE_SPREAD < target_spread(y_apart, X, -1)
    Y = np.column_stack([np.arange(10.0), 1000 * np.arange(10.0)])
    Y[0, 1] = np.nan
    assert target_spread(Y, None, None) > TARGET_SCALE_SPREAD  # shared layout, a missing entry
    for task_covariance in ("learn", "independent"):
        grid = kernel_grid(task_covariance=task_covariance)
        assert all(p["normalize_y"] for _, p in grid("regression", X, y_apart, -1))
        assert not any("normalize_y" in p for _, p in grid("regression", X, y_same, -1))
        assert not any("normalize_y" in p for _, p in grid("classification", X, y_apart > 0, -1))
        forced = kernel_grid(task_covariance=task_covariance, normalize_y=True)
        assert all(p["normalize_y"] for _, p in forced("regression", X, y_same, -1))
        off = kernel_grid(task_covariance=task_covariance, normalize_y=False)
        assert not any("normalize_y" in p for _, p in off("regression", X, y_apart, -1))
