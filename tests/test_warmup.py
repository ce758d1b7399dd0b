"""``mtlclassic.warmup`` compiles (or loads) the solver kernels a first fit needs."""

import importlib

import mtlclassic

kernels = importlib.import_module("mtlclassic.solvers._kernels")

NEEDED = ["bcd_epoch_shared_separable", "bcd_epoch_shared_dense", "bcd_epoch_gram",
          "bcd_epoch_stacked_dense", "bcd_epoch_stacked_uniform", "bcd_epoch_shared_sparse",
          "bcd_epoch_stacked_sparse"]


def test_warmup_compiles_every_epoch_kernel():
    seconds = mtlclassic.warmup(dtypes=("float64", "float32"))
    assert isinstance(seconds, float) and seconds > 0
    for name in NEEDED:
        signatures = getattr(kernels, name).signatures
        dtypes = {str(arg.dtype) for sig in signatures for arg in sig
                  if hasattr(arg, "dtype") and str(getattr(arg, "dtype", "")).startswith("float")}
        assert signatures, f"{name} was not compiled"
        assert {"float64", "float32"} <= dtypes or name == "bcd_epoch_gram", (name, dtypes)


def test_a_fit_after_warmup_compiles_nothing_new():
    mtlclassic.warmup()
    before = {name: len(getattr(kernels, name).signatures) for name in NEEDED}
    from mtlclassic.datasets import make_multitask_regression

    X, Y, _ = make_multitask_regression(n_samples=40, n_features=30, n_tasks=3, random_state=0)
    mtlclassic.GroupLassoRegressor(alpha=0.01).fit(X, Y)
    mtlclassic.LassoRegressor(alpha=0.01).fit(X, Y)
    assert {name: len(getattr(kernels, name).signatures) for name in NEEDED} == before
