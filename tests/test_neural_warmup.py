"""``mtlclassic.warmup`` also compiles (or loads) the neural networks' numba kernels."""

import importlib
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import mtlclassic
from mtlclassic.neural import (HardSharingMLPClassifier, HardSharingMLPRegressor,
                               RelationshipMLPRegressor, SluiceMLPRegressor,
                               SoftSharingMLPRegressor)

kernels = importlib.import_module("mtlclassic.neural._kernels")
# every kernel of the module, and the float types each must be compiled for
NEEDED = {"adam_update": {"float32", "float64"}, "add_bias": {"float32", "float64"},
          "relu_grad": {"float32", "float64"}, "heads_forward": {"float32", "float64"},
          "heads_backward": {"float32", "float64"}, "soft_sharing_grad": {"float32", "float64"},
          "min_norm_frank_wolfe": {"float64"}, "own_stitch_forward": {"float32", "float64"},
          "own_stitch_backward": {"float32", "float64"}}


def _float_types(dispatcher):
    return {str(arg.dtype) for sig in dispatcher.signatures for arg in sig
            if str(getattr(arg, "dtype", "")).startswith("float")}


def _signatures():
    return {name: len(getattr(kernels, name).signatures) for name in NEEDED}


def test_every_kernel_is_a_warmed_kernel():
    """NEEDED lists the module's kernels: a new kernel must be added to the warm-up."""
    compiled = {name for name, obj in vars(kernels).items() if hasattr(obj, "signatures")}
    assert compiled == set(NEEDED)


@pytest.fixture(scope="module")
def warmed():
    mtlclassic.warmup()
    return _signatures()


def test_warmup_compiles_the_neural_kernels(warmed):
    for name, types in NEEDED.items():
        assert warmed[name] > 0, f"{name} was not compiled"
        assert types <= _float_types(getattr(kernels, name)), name


def test_a_neural_fit_after_warmup_compiles_nothing_new(warmed):
    """Default-sized networks of every kind, both layouts, both dtypes, fit and predict."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((60, 5))
    Y = X[:, :3] + 0.1 * rng.standard_normal((60, 3))
    Xt = np.column_stack([X, np.arange(60) % 3])
    fits = [(HardSharingMLPRegressor(max_iter=2), X, Y),
            (HardSharingMLPRegressor(max_iter=2, task_column=-1), Xt, Y[:, 0]),
            (HardSharingMLPClassifier(max_iter=2, task_column=-1), Xt, Y[:, 0] > 0),
            (HardSharingMLPRegressor(max_iter=2, task_weighting="mgda"), X, Y),
            (SoftSharingMLPRegressor(max_iter=2, cross_stitch=True), X, Y),
            (SoftSharingMLPRegressor(max_iter=2, task_column=-1), Xt, Y[:, 0]),
            (RelationshipMLPRegressor(max_iter=2, task_column=-1), Xt, Y[:, 0]),
            (SluiceMLPRegressor(max_iter=2), X, Y)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for dtype in ("float32", "float64"):
            for est, Xd, yd in fits:
                est.set_params(dtype=dtype).fit(Xd, yd).predict(Xd)
    assert _signatures() == warmed
