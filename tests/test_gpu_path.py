"""The GPU code path: array-generic containers and ``device=`` on the estimators.

The path that runs on CuPy is exercised here on numpy (``cuda_namespace``
patched to return numpy), so that it runs -- and is checked against the CPU
solvers -- on every machine. The tests at the end need CuPy and a GPU and
are skipped without them.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import mtlclassic._backend as backend
from mtlclassic import (DirtyModelClassifier, DirtyModelRegressor, GraphRegularizedRegressor,
                        GroupLassoClassifier, GroupLassoRegressor, L1InfRegressor,
                        LassoClassifier, LassoRegressor, MeanRegularizedClassifier,
                        MeanRegularizedRegressor, PooledRegressor, RidgeClassifier,
                        RidgeRegressor, RobustMTFLRegressor, SparseGroupLassoRegressor,
                        TraceNormClassifier, TraceNormRegressor)
from mtlclassic import CalibratedGroupLassoRegressor
from mtlclassic.data import SharedDesign, StackedDesign
from mtlclassic.data._arrays import ArraySharedDesign, ArrayStackedDesign, to_namespace
from mtlclassic.datafits import Logistic, Quadratic


def _stacked(rng, sizes, p, sparse=False, dtype=np.float64):
    n = sum(sizes)
    X = rng.standard_normal((n, p)).astype(dtype)
    if sparse:
        X[rng.random((n, p)) < 0.6] = 0.0
        X = sp.csr_matrix(X)
    y = rng.standard_normal(n).astype(dtype)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    w = rng.random(n).astype(dtype)
    C = (w / np.repeat(np.add.reduceat(w, offsets[:-1]), sizes)).astype(dtype)
    return StackedDesign(X, y, C, offsets)


def _shared(rng, n, p, T, sparse=False, dtype=np.float64):
    X = rng.standard_normal((n, p)).astype(dtype)
    if sparse:
        X[rng.random((n, p)) < 0.6] = 0.0
        X = sp.csr_matrix(X)
    Y = rng.standard_normal((n, T)).astype(dtype)
    C = (rng.random((n, T)) * (rng.random((n, T)) > 0.2)).astype(dtype)  # missing targets
    C /= C.sum(axis=0)
    return SharedDesign(X, Y, C)


# Task sizes: very unequal (one-hot products), nearly equal (a padded stack), equal (a view).
SIZES = {"unequal": [5, 9, 1, 7], "padded": [5, 6, 5, 6], "equal": [6, 6, 6, 6]}


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("layout", ["stacked-unequal", "stacked-padded", "stacked-equal",
                                    "shared"])
def test_array_containers_match_cpu_containers(layout, center, sparse):
    rng = np.random.default_rng(0)
    if layout.startswith("stacked"):
        data = _stacked(rng, SIZES[layout.split("-")[1]], 6, sparse)
    else:
        data = _shared(rng, 17, 6, 4, sparse)
    if center:
        data.center()
    arr = to_namespace(data, np)
    assert isinstance(arr, ArrayStackedDesign if layout != "shared" else ArraySharedDesign)
    if layout != "shared":  # the batched form is used exactly where it should be
        assert (arr._X3 is not None) == (not sparse and not layout.endswith("unequal"))
    W = rng.standard_normal((6, data.n_tasks))
    b = rng.standard_normal(data.n_tasks)
    np.testing.assert_allclose(arr.linear(W, b), data.linear(W, b), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(arr.linear(W), data.linear(W), rtol=1e-12, atol=1e-12)
    D = rng.standard_normal(data.Y.shape)
    np.testing.assert_allclose(arr.rmatvec(D), data.rmatvec(D), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(arr.task_sum(D), data.task_sum(D), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(arr.expand(b) + 0 * D, data.expand(b) + 0 * D)


@pytest.mark.parametrize("datafit", [Quadratic, Logistic])
@pytest.mark.parametrize("layout", ["stacked", "shared"])
def test_array_datafit_matches_cpu_datafit(layout, datafit):
    rng = np.random.default_rng(1)
    data = _stacked(rng, [8, 5, 11], 4) if layout == "stacked" else _shared(rng, 15, 4, 3)
    if datafit is Logistic:
        data.Y = np.where(data.Y > 0, 1.0, -1.0)
    data.center()
    cpu, arr = datafit(data), datafit(to_namespace(data, np))
    W = rng.standard_normal((4, data.n_tasks))
    b = rng.standard_normal(data.n_tasks)
    assert arr.value(W, b) == pytest.approx(cpu.value(W, b), rel=1e-12)
    for g_arr, g_cpu in zip(arr.gradient(W, b), cpu.gradient(W, b)):
        np.testing.assert_allclose(g_arr, g_cpu, rtol=1e-11, atol=1e-13)
    Z0 = data.linear(W)
    np.testing.assert_allclose(arr.optimal_intercept(Z0), cpu.optimal_intercept(Z0), rtol=1e-10)
    assert arr.null_value(True) == pytest.approx(cpu.null_value(True), rel=1e-12)
    # The cheap Lipschitz estimate is from below, and near the exact constant.
    L_exact = cpu.lipschitz(True, exact=True)
    assert 0.3 * L_exact <= arr.lipschitz(True, exact=False) <= L_exact


@pytest.fixture
def numpy_as_gpu(monkeypatch):
    """Make ``device="cuda"`` run the GPU code path on numpy arrays."""
    monkeypatch.setattr(backend, "cuda_namespace", lambda: np)


def _data(loss, layout, dtype=np.float64, seed=0, sparse=False):
    """A small problem; ``layout`` "per_task" has unequal task sizes, "per_task_equal" equal ones."""
    rng = np.random.default_rng(seed)
    T, p = 4, 12
    coef = rng.standard_normal((T, p)) * (rng.random(p) < 0.4)
    if layout == "shared":
        X = rng.standard_normal((40, p))
        Z = X @ coef.T + 0.5 * rng.standard_normal((40, T))
        Y = np.sign(Z) if loss == "logistic" else Z
        task_column = None
    else:  # "per_task", "per_task_equal"
        sizes = [11, 11, 11, 11] if layout == "per_task_equal" else [12, 9, 15, 10]
        tasks = np.repeat(np.arange(T), sizes)
        Xf = rng.standard_normal((len(tasks), p))
        z = np.einsum("ij,ij->i", Xf, coef[tasks]) + 0.5 * rng.standard_normal(len(tasks))
        Y = np.sign(z) if loss == "logistic" else z
        perm = rng.permutation(len(tasks))  # rows in any order: the layout sorts them
        X, Y = np.column_stack([Xf, tasks])[perm], Y[perm]
        task_column = -1
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) < 0.3, 0.0, X))
    return X.astype(dtype), Y.astype(dtype), task_column


CASES = [
    (GroupLassoRegressor, dict(alpha=0.05)),
    (GroupLassoClassifier, dict(alpha=0.02)),
    (LassoRegressor, dict(alpha=0.02)),
    (LassoClassifier, dict(alpha=0.01)),
    (SparseGroupLassoRegressor, dict(alpha=0.05, l1_ratio=0.3)),
    (L1InfRegressor, dict(alpha=0.05)),
    (DirtyModelRegressor, dict(alpha_shared=0.05, alpha_sparse=0.03)),
    (DirtyModelClassifier, dict(alpha_shared=0.02, alpha_sparse=0.02)),
    (RobustMTFLRegressor, dict(alpha_features=0.05, alpha_tasks=0.1)),
    (TraceNormRegressor, dict(alpha=0.1)),
    (TraceNormClassifier, dict(alpha=0.05)),
    (RidgeRegressor, dict(alpha=0.1)),
    (RidgeClassifier, dict(alpha=0.1)),
    (PooledRegressor, dict(alpha=0.1)),
    (MeanRegularizedRegressor, dict(lambda_mean=1.0, lambda_l2=0.1)),
    (MeanRegularizedClassifier, dict(lambda_mean=1.0, lambda_l2=0.1)),
    (GraphRegularizedRegressor, dict(lambda_graph=1.0, alpha=0.01)),  # l1: prox on the host
]
# Alternating group-lasso solves (each on the device) with noise levels (on the host).
CASES += [(CalibratedGroupLassoRegressor, dict(alpha=0.2))]


@pytest.mark.parametrize("layout", ["shared", "per_task", "per_task_equal"])
@pytest.mark.parametrize("cls, params", CASES, ids=[c.__name__ for c, _ in CASES])
def test_gpu_path_matches_cpu_solution(numpy_as_gpu, cls, params, layout):
    loss = "logistic" if cls.__name__.endswith("Classifier") else "squared"
    X, Y, task_column = _data(loss, layout)
    kw = dict(task_column=task_column, tol=1e-10, max_iter=50000, **params)
    cpu = cls(device="cpu", **kw).fit(X, Y)
    gpu = cls(device="cuda", **kw).fit(X, Y)
    assert (cpu.device_, gpu.device_) == ("cpu", "cuda")
    assert gpu.solver_ == "fista"
    assert isinstance(gpu.coef_, np.ndarray) and isinstance(gpu.intercept_, np.ndarray)
    scale = max(np.abs(cpu.coef_).max(), 1.0)
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=2e-4 * scale)
    np.testing.assert_allclose(gpu.intercept_, cpu.intercept_, atol=2e-4 * scale)
    np.testing.assert_allclose(gpu.predict(X), cpu.predict(X), atol=1e-3 * scale)


@pytest.mark.parametrize("layout", ["shared", "per_task", "per_task_equal"])
@pytest.mark.parametrize("sparse", [False, True])
def test_gpu_path_float32_and_sparse(numpy_as_gpu, layout, sparse):
    X, Y, task_column = _data("squared", layout, dtype=np.float32, sparse=sparse)
    kw = dict(alpha=0.05, task_column=task_column, tol=1e-6, max_iter=20000)
    cpu = GroupLassoRegressor(**kw).fit(X, Y)
    gpu = GroupLassoRegressor(device="cuda", **kw).fit(X, Y)
    assert gpu.coef_.dtype == np.float32 and gpu.intercept_.dtype == np.float32
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=5e-3)


def test_gpu_path_does_not_modify_input(numpy_as_gpu):
    X, Y, task_column = _data("squared", "per_task")
    X0, Y0 = X.copy(), Y.copy()
    GroupLassoRegressor(alpha=0.05, task_column=-1, device="cuda").fit(X, Y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)


def test_gpu_path_warm_start(numpy_as_gpu):
    X, Y, _ = _data("squared", "shared")
    est = GroupLassoRegressor(alpha=0.05, device="cuda", warm_start=True, tol=1e-8).fit(X, Y)
    first = est.n_iter_
    est.fit(X, Y)
    assert est.n_iter_ < max(first, 1) or est.n_iter_ == 0


# -- errors and fallbacks ----------------------------------------------------------
def test_cuda_without_cupy_raises_import_error(monkeypatch):
    monkeypatch.setattr(backend, "_cupy_module", lambda: None)
    X, Y, _ = _data("squared", "shared")
    with pytest.raises(ImportError, match="CuPy"):
        GroupLassoRegressor(alpha=0.05, device="cuda").fit(X, Y)


class _NoGPU:
    class cuda:
        class runtime:
            @staticmethod
            def getDeviceCount():
                return 0


class _BrokenDriver:
    class cuda:
        class runtime:
            @staticmethod
            def getDeviceCount():
                raise OSError("libcuda.so.1: cannot open shared object file")


@pytest.mark.parametrize("fake", [_NoGPU, _BrokenDriver])
def test_cuda_without_gpu_raises_runtime_error(monkeypatch, fake):
    monkeypatch.setattr(backend, "_cupy_module", lambda: fake)
    X, Y, _ = _data("squared", "shared")
    with pytest.raises(RuntimeError, match="GPU"):
        GroupLassoRegressor(alpha=0.05, device="cuda").fit(X, Y)


@pytest.mark.parametrize("fake", [None, _NoGPU])
def test_auto_falls_back_to_cpu_silently(monkeypatch, recwarn, fake):
    monkeypatch.setattr(backend, "_cupy_module", lambda: fake)
    X, Y, _ = _data("squared", "shared")
    est = GroupLassoRegressor(alpha=0.05, device="auto").fit(X, Y)
    ref = GroupLassoRegressor(alpha=0.05).fit(X, Y)
    assert est.device_ == "cpu" and est.solver_ == ref.solver_
    np.testing.assert_array_equal(est.coef_, ref.coef_)
    assert not [w for w in recwarn if "device" in str(w.message).lower()]


@pytest.mark.parametrize("device", ["gpu", "CUDA", 0])
def test_unknown_device_is_a_value_error(device):
    X, Y, _ = _data("squared", "shared")
    with pytest.raises(ValueError, match="device must be one of"):
        GroupLassoRegressor(alpha=0.05, device=device).fit(X, Y)


@pytest.mark.parametrize("solver", ["bcd", "working_set", "cvxpy"])
def test_cpu_only_solver_on_gpu_is_a_value_error(numpy_as_gpu, solver):
    X, Y, _ = _data("squared", "shared")
    with pytest.raises(ValueError, match="CPU only"):
        GroupLassoRegressor(alpha=0.05, device="cuda", solver=solver).fit(X, Y)


# -- on a real GPU -----------------------------------------------------------------
def _cupy_with_gpu():
    cp = pytest.importorskip("cupy")
    try:
        backend.cuda_namespace()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    return cp


@pytest.mark.parametrize("layout", ["shared", "per_task", "per_task_equal"])
@pytest.mark.parametrize("cls, params", CASES, ids=[c.__name__ for c, _ in CASES])
def test_cupy_fit_matches_cpu(cls, params, layout):
    _cupy_with_gpu()
    loss = "logistic" if cls.__name__.endswith("Classifier") else "squared"
    X, Y, task_column = _data(loss, layout)
    kw = dict(task_column=task_column, tol=1e-8, max_iter=20000, **params)
    cpu = cls(**kw).fit(X, Y)
    gpu = cls(device="cuda", **kw).fit(X, Y)
    assert gpu.device_ == "cuda" and isinstance(gpu.coef_, np.ndarray)
    scale = max(np.abs(cpu.coef_).max(), 1.0)
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=1e-3 * scale)
    np.testing.assert_allclose(gpu.intercept_, cpu.intercept_, atol=1e-3 * scale)


@pytest.mark.parametrize("layout", ["shared", "per_task", "per_task_equal"])
@pytest.mark.parametrize("cls", [GroupLassoRegressor, GroupLassoClassifier])
def test_cupy_input_float32(cls, layout):
    """CuPy float32 input: solved on the GPU without ``device=``; predictions come back as CuPy."""
    cp = _cupy_with_gpu()
    loss = "logistic" if cls is GroupLassoClassifier else "squared"
    X, Y, task_column = _data(loss, layout, dtype=np.float32)
    kw = dict(alpha=0.03, task_column=task_column, tol=1e-5, max_iter=5000)
    cpu = cls(**kw).fit(X, Y)
    gpu = cls(**kw).fit(cp.asarray(X), cp.asarray(Y))
    assert gpu.device_ == "cuda" and gpu.coef_.dtype == np.float32
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=1e-2 * max(np.abs(cpu.coef_).max(), 1))
    pred = gpu.predict(cp.asarray(X))
    assert isinstance(pred, cp.ndarray)
    np.testing.assert_array_equal(cp.asnumpy(pred), gpu.predict(X))
    if loss == "logistic":
        proba = gpu.predict_proba(cp.asarray(X))
        assert isinstance(proba, cp.ndarray)
        np.testing.assert_allclose(cp.asnumpy(proba), gpu.predict_proba(X), rtol=1e-5)


@pytest.mark.parametrize("order", ["C", "F"])
def test_pinned_copy_to_gpu(order, monkeypatch):
    cp = _cupy_with_gpu()
    import mtlclassic.data._arrays as arrays

    monkeypatch.setattr(arrays, "_CHUNK_BYTES", 1000)  # several chunks and a partial one
    a = np.asarray(np.random.default_rng(0).standard_normal((301, 7)), order=order)
    out = arrays.pinned_copy(cp, a)
    np.testing.assert_array_equal(cp.asnumpy(out), a)


@pytest.mark.parametrize("layout, name", [("per_task", "GroupLassoRegressorCV"),
                                          ("shared", "TraceNormRegressorCV")])
def test_gpu_path_cv_estimator(numpy_as_gpu, layout, name):
    """A CV estimator with ``device="cuda"`` solves every fold's path on the GPU path."""
    import mtlclassic

    X, Y, task_column = _data("squared", layout)
    kw = dict(n_alphas=4, eps=0.1, cv=3, task_column=task_column, tol=1e-8, max_iter=20000)
    cpu = getattr(mtlclassic, name)(**kw).fit(X, Y)
    gpu = getattr(mtlclassic, name)(device="cuda", **kw).fit(X, Y)
    assert gpu.device_ == "cuda" and gpu.solver_ == "fista"
    assert gpu.alpha_ == cpu.alpha_
    np.testing.assert_allclose(gpu.mse_path_, cpu.mse_path_, rtol=1e-4)
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=1e-4 * max(np.abs(cpu.coef_).max(), 1))


ALTERNATING = [("TaskRelationRegressor", dict(lambda_1=0.1, lambda_2=0.5)),
               ("TaskRelationClassifier", dict(lambda_1=0.05, lambda_2=0.2)),
               ("ClusteredTaskRegressor", dict(n_clusters=2, lambda_cluster=1.0, lambda_l2=0.1)),
               ("ClusteredTaskRegressor", dict(n_clusters=2, lambda_cluster=1.0, lambda_l2=0.1,
                                               lambda_mean=0.05)),
               ("SparseTaskGraphRegressor", dict(lambda_task=0.1, alpha_graph=0.1, alpha=0.01))]


@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("name, params", ALTERNATING, ids=[n for n, _ in ALTERNATING])
def test_gpu_path_alternating_models(numpy_as_gpu, name, params, layout):
    """The models that learn the task structure: W-steps on the GPU path, structure on the host."""
    import mtlclassic

    cls = getattr(mtlclassic, name)
    loss = "logistic" if name.endswith("Classifier") else "squared"
    X, Y, task_column = _data(loss, layout)
    kw = dict(task_column=task_column, tol=1e-7, **params)
    cpu = cls(**kw).fit(X, Y)
    gpu = cls(device="cuda", **kw).fit(X, Y)
    assert (cpu.device_, gpu.device_) == ("cpu", "cuda")
    np.testing.assert_allclose(gpu.objective_[-1], cpu.objective_[-1], rtol=1e-5)
    np.testing.assert_allclose(gpu.coef_, cpu.coef_, atol=1e-3 * max(np.abs(cpu.coef_).max(), 1))


@pytest.mark.parametrize("name, params", ALTERNATING, ids=[n for n, _ in ALTERNATING])
def test_cupy_alternating_models(name, params):
    _cupy_with_gpu()
    import mtlclassic

    cls = getattr(mtlclassic, name)
    loss = "logistic" if name.endswith("Classifier") else "squared"
    X, Y, task_column = _data(loss, "per_task")
    kw = dict(task_column=task_column, tol=1e-7, **params)
    cpu = cls(**kw).fit(X, Y)
    gpu = cls(device="cuda", **kw).fit(X, Y)
    assert gpu.device_ == "cuda"
    np.testing.assert_allclose(gpu.objective_[-1], cpu.objective_[-1], rtol=1e-5)


def test_cupy_cv_estimator():
    cp = _cupy_with_gpu()
    from mtlclassic import GroupLassoRegressorCV

    X, Y, task_column = _data("squared", "per_task")
    kw = dict(n_alphas=4, eps=0.1, cv=3, task_column=task_column, tol=1e-8, max_iter=20000)
    cpu = GroupLassoRegressorCV(**kw).fit(X, Y)
    gpu = GroupLassoRegressorCV(**kw).fit(cp.asarray(X), cp.asarray(Y))  # CuPy input
    assert gpu.device_ == "cuda" and gpu.alpha_ == cpu.alpha_
    np.testing.assert_allclose(gpu.mse_path_, cpu.mse_path_, rtol=1e-4)
