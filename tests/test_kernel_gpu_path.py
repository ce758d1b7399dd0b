"""``device=`` on the kernel task-relation models (issue 21, item 4).

The GPU code path (kernel matrix by ``device_kernel``, ``xp.linalg.cholesky`` and
triangular solves, ``xp.linalg.eigh``, the Nystroem kernel to the landmarks) is run
on numpy here (``cuda_namespace`` patched to return numpy), checked against the CPU
path; the tests at the end need CuPy and a GPU and are skipped without them.
"""

import numpy as np
import pytest
from sklearn.metrics.pairwise import pairwise_kernels

import mtlclassic._backend as backend
import mtlclassic.estimators._kernel_solve as kernel_solve
from mtlclassic import KernelTaskRelationClassifier, KernelTaskRelationRegressor
from mtlclassic.estimators._kernel_device import device_kernel


@pytest.fixture
def numpy_as_gpu(monkeypatch):
    """``device="cuda"`` runs the GPU code path on numpy arrays; counts its factorisations."""
    monkeypatch.setattr(backend, "cuda_namespace", lambda: np)
    calls = []
    init = kernel_solve.DeviceCholesky.__init__

    def counted(self, A, xp, what):
        calls.append(A.shape)
        init(self, A, xp, what)

    monkeypatch.setattr(kernel_solve.DeviceCholesky, "__init__", counted)
    return calls


def _data(layout, seed=0):
    rng = np.random.default_rng(seed)
    if layout == "shared":
        X = rng.standard_normal((30, 3))
        Y = np.column_stack([np.sin(X[:, 0]) * (1 + t) + 0.1 * rng.standard_normal(30)
                             for t in range(3)])
        return X, Y, None
    sizes = (9, 14, 11)
    X = rng.standard_normal((sum(sizes), 3))
    task = np.repeat(np.arange(3), sizes)
    y = np.sin(X[:, 0]) * (1 + task) + X[:, 1] ** 2 + 0.1 * rng.standard_normal(len(task))
    perm = rng.permutation(len(y))
    return np.column_stack([X, task])[perm], y[perm], -1


@pytest.mark.parametrize("kernel, params", [("rbf", dict(gamma=0.4)), ("linear", {}),
                                            ("polynomial", dict(gamma=0.3, degree=2, coef0=1)),
                                            ("sigmoid", dict(gamma=0.1, coef0=0.5)),
                                            ("laplacian", dict(gamma=0.4))])
def test_device_kernel_is_scikit_learns(kernel, params):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((7, 4)), rng.standard_normal((5, 4))
    full = {"gamma": None, "degree": 3, "coef0": 1, **params}  # as the estimators pass them
    for B in (None, Y):
        want = pairwise_kernels(X, B, metric=kernel, filter_params=True, **full)
        got = device_kernel(np, X.astype(np.float32), B, kernel, full)
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12)  # float32 input
        np.testing.assert_allclose(device_kernel(np, X, B, kernel, full), want,
                                   rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("layout", ["per_task", "shared", "shared_nan"])
@pytest.mark.parametrize("task_covariance", ["learn", "independent"])
def test_exact_solve_on_the_gpu_path_matches_cpu(numpy_as_gpu, layout, task_covariance):
    X, Y, task_column = _data(layout.split("_nan")[0])
    if layout == "shared_nan":
        Y = Y.copy()
        Y[::4, 1] = np.nan  # missing targets: the stacked solve, not the Kronecker one
    kw = dict(alpha=0.05, gamma=0.5, lambda_2=0.1, task_covariance=task_covariance,
              task_column=task_column, tol=1e-8, max_iter=500)
    cpu = KernelTaskRelationRegressor(device="cpu", **kw).fit(X, Y)
    gpu = KernelTaskRelationRegressor(device="cuda", **kw).fit(X, Y)
    assert (cpu.device_, gpu.device_) == ("cpu", "cuda")
    # The stacked solve factorises on the device (one per alternation); the Kronecker one
    # (shared design, every target observed) diagonalises instead.
    assert bool(numpy_as_gpu) == (layout != "shared")
    for name in ("dual_coef_", "intercept_", "task_covariance_"):
        got, want = getattr(gpu, name), getattr(cpu, name)
        assert isinstance(got, np.ndarray)
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10, err_msg=name)
    assert gpu.n_iter_ == cpu.n_iter_
    np.testing.assert_allclose(gpu.predict(X), cpu.predict(X), rtol=1e-8, atol=1e-10)


def test_classifier_and_intercept_shrinkage_on_the_gpu_path(numpy_as_gpu):
    X, y, task_column = _data("per_task")
    labels = np.where(y > np.median(y), "a", "b")
    kw = dict(alpha=0.05, gamma=0.5, lambda_2=0.1, intercept_shrinkage=0.5, task_column=-1,
              tol=1e-8)
    cpu = KernelTaskRelationClassifier(**kw).fit(X, labels)
    gpu = KernelTaskRelationClassifier(device="cuda", **kw).fit(X, labels)
    np.testing.assert_allclose(gpu.decision_function(X), cpu.decision_function(X), rtol=1e-8,
                               atol=1e-10)


@pytest.mark.parametrize("task_covariance", ["learn", "independent"])
def test_nystroem_features_on_the_gpu_path_match_cpu(numpy_as_gpu, task_covariance):
    X, y, _ = _data("per_task")
    kw = dict(alpha=0.05, gamma=0.5, lambda_2=0.1, task_covariance=task_covariance,
              task_column=-1, n_components=12, random_state=0, tol=1e-10, max_iter=500)
    cpu = KernelTaskRelationRegressor(**kw).fit(X, y)
    gpu = KernelTaskRelationRegressor(device="cuda", **kw).fit(X, y)
    assert gpu.device_ == "cuda" and gpu._linear.device_ == "cuda"
    np.testing.assert_allclose(gpu.nystroem_.components_, cpu.nystroem_.components_)
    scale = np.abs(cpu.coef_).max()
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=1e-4 * scale)
    np.testing.assert_allclose(gpu.predict(X), cpu.predict(X), atol=1e-4 * np.abs(y).max())


def test_indefinite_kernel_on_the_gpu_path_is_a_value_error(numpy_as_gpu):
    X, y, _ = _data("per_task")
    est = KernelTaskRelationRegressor(kernel="sigmoid", gamma=2.0, coef0=-1.0, alpha=10.0,
                                      task_covariance="independent", task_column=-1,
                                      device="cuda")
    with pytest.raises(ValueError, match="not positive semi-definite"):
        est.fit(X, y)


@pytest.mark.parametrize("fake", [None, "no-gpu"])
def test_auto_is_the_cpu_without_a_gpu(monkeypatch, fake):
    class _NoGPU:
        class cuda:
            class runtime:
                @staticmethod
                def getDeviceCount():
                    return 0

    monkeypatch.setattr(backend, "_cupy_module", lambda: None if fake is None else _NoGPU)
    X, y, _ = _data("per_task")
    est = KernelTaskRelationRegressor(alpha=0.05, device="auto", task_column=-1).fit(X, y)
    ref = KernelTaskRelationRegressor(alpha=0.05, task_column=-1).fit(X, y)
    assert est.device_ == "cpu"
    np.testing.assert_array_equal(est.dual_coef_, ref.dual_coef_)
    with pytest.raises(ImportError if fake is None else RuntimeError, match="CuPy|GPU"):
        KernelTaskRelationRegressor(alpha=0.05, device="cuda", task_column=-1).fit(X, y)


# -- on a real GPU -------------------------------------------------------------------
def _cupy_with_gpu():
    cp = pytest.importorskip("cupy")
    try:
        backend.cuda_namespace()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    return cp


@pytest.mark.parametrize("n_components", [None, 12])
@pytest.mark.parametrize("layout", ["per_task", "shared"])
def test_cupy_kernel_model_matches_cpu(layout, n_components):
    cp = _cupy_with_gpu()
    X, Y, task_column = _data(layout)
    kw = dict(alpha=0.05, gamma=0.5, lambda_2=0.1, task_column=task_column, tol=1e-10,
              max_iter=500, n_components=n_components, random_state=0)
    cpu = KernelTaskRelationRegressor(**kw).fit(X, Y)
    gpu = KernelTaskRelationRegressor(device="cuda", **kw).fit(X, Y)
    assert gpu.device_ == "cuda" and isinstance(gpu.intercept_, np.ndarray)
    np.testing.assert_allclose(gpu.predict(X), cpu.predict(X), rtol=1e-6,
                               atol=1e-4 * np.abs(np.nan_to_num(Y)).max())
    on_gpu = KernelTaskRelationRegressor(**kw).fit(cp.asarray(X), cp.asarray(Y))  # CuPy input
    assert on_gpu.device_ == "cuda"
