"""Tensor-factorised networks (DMTRL): test error against independent per-task networks on the
planted shared-subspace problem of tests/test_neural_sluice.py, and the time per epoch of
compare's ``tensor-factorised-mlp`` network against ``sluice-mlp``'s and
``soft-sharing-mlp``'s on School and Landmine (one thread).

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 PYTHONPATH=. \\
        python benchmarks/neural_tensor_factorised.py [planted] [epochs]
"""

import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from test_neural_sluice import planted  # noqa: E402

from mtlclassic import (SluiceMLPClassifier, SluiceMLPRegressor,  # noqa: E402
                        SoftSharingMLPClassifier, SoftSharingMLPRegressor,
                        TensorFactorisedMLPClassifier, TensorFactorisedMLPRegressor)
from mtlclassic.datasets import load_landmine, load_school  # noqa: E402

warnings.simplefilter("ignore")
DATA = os.environ.get("MTLCLASSIC_DATA", "/work/shared/data")


def planted_errors(alphas=(1e-3, 1e-2), ranks=(2, 3, 4, 8, 99), inits=3):
    """Test MSE per seed (0-2), mean over ``inits`` initialisations, at the test's settings."""
    params = dict(hidden_layer_sizes=(16, 16), learning_rate_init=0.01, batch_size=32,
                  max_iter=100, task_column=-1)
    for alpha in alphas:
        rows = {"independent": []} | {f"rank={r}": [] for r in ranks}
        for seed in range(3):
            (X, y), (Xt, yt) = planted(seed)
            errors = {name: [] for name in rows}
            for rs in range(inits):
                common = dict(alpha=alpha, random_state=rs, **params)
                models = {"independent": SoftSharingMLPRegressor(soft_sharing=0.0, **common)}
                models |= {f"rank={r}": TensorFactorisedMLPRegressor(rank=r, **common)
                           for r in ranks}
                for name, m in models.items():
                    errors[name].append(np.mean((m.fit(X, y).predict(Xt) - yt) ** 2))
            for name in rows:
                rows[name].append(np.mean(errors[name]))
        print(f"planted shared subspace, alpha={alpha:g}: test MSE, seeds 0/1/2 "
              f"(mean of {inits} inits)")
        for name, v in rows.items():
            print(f"  {name:12s} " + " / ".join(f"{e:.3f}" for e in v))


def epoch_times(epochs=3):
    """CPU seconds per epoch at compare's settings (2 x 16 ReLU units per task, batches of
    64; rank 8, the largest of compare's grid)."""
    params = dict(hidden_layer_sizes=(16, 16), batch_size=64, learning_rate_init=0.01,
                  alpha=1e-3, task_column=-1, random_state=0)
    for name, load, models in [
            ("School", load_school, (TensorFactorisedMLPRegressor, SluiceMLPRegressor,
                                     SoftSharingMLPRegressor)),
            ("Landmine", load_landmine, (TensorFactorisedMLPClassifier, SluiceMLPClassifier,
                                         SoftSharingMLPClassifier))]:
        X, y = load(DATA, return_X_y=True)
        X = np.asarray(X, dtype=np.float64)
        times = {}
        for cls in models:
            extra = ({"soft_sharing": 1.0} if cls.__name__.startswith("Soft") else
                     {"rank": 8} if cls.__name__.startswith("Tensor") else {})
            cls(max_iter=1, **params, **extra).fit(X, y)  # compile / warm caches
            start = time.process_time()
            cls(max_iter=epochs, n_iter_no_change=epochs, **params, **extra).fit(X, y)
            times[cls.__name__] = (time.process_time() - start) / epochs
        base = times[models[0].__name__]
        print(f"{name} ({X.shape[0]} rows): CPU s per epoch " + ", ".join(
            f"{k} {v:.3f} (x{v / base:.2f})" for k, v in times.items()))


if __name__ == "__main__":
    what = sys.argv[1:] or ["planted", "epochs"]
    if "planted" in what:
        planted_errors()
    if "epochs" in what:
        epoch_times()
