"""Shared helpers of the correctness tests: random problems and an independent objective.

It also says where the benchmark data are: ``DATA_DIR``, from the environment
variable ``MTLCLASSIC_DATA`` (default ``../shared/data`` next to the
repository), and ``needs_data``, the skip marker of the tests that read them.
Test files import both (``from conftest import DATA_DIR, needs_data``: pytest
puts this folder on ``sys.path``, ``tests/`` being no package).

Nothing here calls mtlclassic's datafits, penalties or solvers.  The objective,
its gradient, the objective at ``W = 0`` and the duality gap are written
straight from the formula in the estimators' docstrings::

    sum_t tau_t / (sum_{i in t} s_i) * sum_{i in t} s_i l(y_i, x_i . w_t + b_t)
        + alpha * sum_j ||coef[:, j]||_2

with ``l(y, z) = (y - z)^2 / 2`` (squared) or ``log(1 + exp(-y z))``
(logistic, ``y in {-1, +1}``), so that a test comparing them with the package
can fail.  A problem is kept as a list of per-task blocks ``(X_t, y_t, s_t)``
whatever layout it is fitted in.
"""

import os
import pathlib

# Under pytest-xdist (the default run: ``-n auto``) each worker is one process per
# core; BLAS or numba threads on top would oversubscribe the cores and slow every
# worker down, so each worker computes on one thread.  Set before numpy loads.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(_var, "1")
from dataclasses import dataclass, field

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import brentq
from scipy.special import expit, xlogy

from mtlclassic import GroupLassoClassifier, GroupLassoRegressor, stack_tasks

ESTIMATORS = {"squared": GroupLassoRegressor, "logistic": GroupLassoClassifier}


# -- random problems ---------------------------------------------------------
@dataclass
class Problem:
    """One random multi-task problem, in the form ``fit`` takes and as per-task blocks."""

    loss: str
    layout: str  # "shared" or "per_task"
    X: object  # what fit gets (task id in the last column for "per_task")
    y: np.ndarray
    blocks: list  # [(X_t dense float64, y_t in R or {-1, +1}, s_t)], in the order of tasks_
    sample_weight: np.ndarray = None
    task_weights: np.ndarray = None
    extra: dict = field(default_factory=dict)

    @property
    def task_column(self):
        return None if self.layout == "shared" else -1

    @property
    def n_tasks(self):
        return len(self.blocks)

    @property
    def tau(self):
        return np.ones(self.n_tasks) if self.task_weights is None else np.asarray(self.task_weights)

    def estimator(self, **params):
        """An estimator for this problem (layout and task weights set)."""
        return ESTIMATORS[self.loss](task_column=self.task_column,
                                     task_weights=self.task_weights, **params)

    def fit(self, **params):
        return self.estimator(**params).fit(self.X, self.y, sample_weight=self.sample_weight)


def _labels(rng, z):
    """Binary 0/1 labels from a noisy linear predictor, both classes present."""
    lab = (z + rng.logistic(size=z.shape) > 0).astype(np.float64)
    if lab.min() == lab.max():
        lab[0] = 1.0 - lab[0]
    return lab


def _pm1(labels):
    """Labels 0/1 as the package maps them: ``classes_[1] = 1 -> +1``."""
    return np.where(labels == 1, 1.0, -1.0)


def _coef(rng, n_tasks, n_features, scale):
    W = scale * rng.standard_normal((n_tasks, n_features))
    W[:, rng.random(n_features) < 0.4] = 0.0  # row-sparse truth
    return W


def make_shared(seed, *, loss="squared", n=30, p=8, n_tasks=3, nan_frac=0.0,
                sample_weight=False, task_weights=False, sparse=None, dtype=np.float64):
    """Shared design ``X`` (n, p) and ``Y`` (n, T) (NaN = missing when ``nan_frac > 0``)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + rng.standard_normal(p)  # uncentered columns
    W = _coef(rng, n_tasks, p, 1.0 if loss == "squared" else 0.7)
    Z = X @ W.T + rng.standard_normal(n_tasks)
    if loss == "squared":
        Y = Z + 0.5 * rng.standard_normal(Z.shape)
    else:
        Y = np.column_stack([_labels(rng, Z[:, t]) for t in range(n_tasks)])
    if nan_frac > 0:
        miss = rng.random(Y.shape) < nan_frac
        for t in range(n_tasks):  # keep at least 4 observed rows (of both classes)
            miss[:4, t] = False
            if loss == "logistic":
                Y[0, t], Y[1, t] = 0.0, 1.0
        Y = np.where(miss, np.nan, Y)
    sw = rng.uniform(0.2, 3.0, n) if sample_weight else None
    tw = rng.uniform(0.3, 2.0, n_tasks) if task_weights else None
    s = np.ones(n) if sw is None else sw
    blocks = []
    for t in range(n_tasks):
        obs = ~np.isnan(Y[:, t])
        yt = Y[obs, t] if loss == "squared" else _pm1(Y[obs, t])
        blocks.append((X[obs], yt, s[obs]))
    Xfit = X.astype(dtype)
    if sparse is not None:
        Xfit = sp.csr_matrix(Xfit).asformat(sparse)
    return Problem(loss, "shared", Xfit, Y.astype(dtype) if loss == "squared" else Y, blocks,
                   sw, tw)


def make_per_task(seed, *, loss="squared", sizes=(12, 20, 30), p=8, sample_weight=False,
                  task_weights=False, sparse=None):
    """Per-task designs of unequal sizes, stacked with ``stack_tasks`` (task id last)."""
    rng = np.random.default_rng(seed)
    T = len(sizes)
    W = _coef(rng, T, p, 1.0 if loss == "squared" else 0.7)
    b = rng.standard_normal(T)
    Xs, ys = [], []
    for t, n_t in enumerate(sizes):
        Xt = rng.standard_normal((n_t, p)) + rng.standard_normal(p)  # task-specific means
        zt = Xt @ W[t] + b[t]
        yt = zt + 0.5 * rng.standard_normal(n_t) if loss == "squared" else _labels(rng, zt)
        Xs.append(Xt)
        ys.append(yt)
    sw = rng.uniform(0.2, 3.0, sum(sizes)) if sample_weight else None
    tw = rng.uniform(0.3, 2.0, T) if task_weights else None
    s = np.ones(sum(sizes)) if sw is None else sw
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    blocks = [(Xs[t], ys[t] if loss == "squared" else _pm1(ys[t]), s[bounds[t]:bounds[t + 1]])
              for t in range(T)]
    X, y = stack_tasks([sp.csr_matrix(Xt) for Xt in Xs] if sparse else Xs, ys)
    if sparse is not None:
        X = X.asformat(sparse)
    return Problem(loss, "per_task", X, y, blocks, sw, tw, extra={"Xs": Xs, "ys": ys})


# -- the objective, written independently -------------------------------------
def _loss(loss, y, z):
    return 0.5 * (y - z) ** 2 if loss == "squared" else np.logaddexp(0.0, -y * z)


def _dloss(loss, y, z):
    """Derivative of the loss in z."""
    return z - y if loss == "squared" else -y * expit(-y * z)


def _task_scale(problem):
    """``tau_t / sum_{i in t} s_i`` for every task."""
    return [tau / np.sum(s) for tau, (_, _, s) in zip(problem.tau, problem.blocks)]


def datafit(problem, coef, intercept):
    coef = np.asarray(coef, dtype=np.float64)
    intercept = np.asarray(intercept, dtype=np.float64)
    total = 0.0
    for t, ((Xt, yt, st), k) in enumerate(zip(problem.blocks, _task_scale(problem))):
        total += k * np.sum(st * _loss(problem.loss, yt, Xt @ coef[t] + intercept[t]))
    return total


def penalty(coef, alpha):
    return alpha * np.sum(np.linalg.norm(np.asarray(coef, dtype=np.float64), axis=0))


def objective(problem, alpha, coef, intercept):
    """The estimators' objective at ``coef_`` (T, p) and ``intercept_`` (T,)."""
    return datafit(problem, coef, intercept) + penalty(coef, alpha)


def gradient(problem, coef, intercept):
    """Gradient of the datafit: ``(G, g)`` of shapes (T, p) (like coef_) and (T,)."""
    coef = np.asarray(coef, dtype=np.float64)
    G = np.zeros(coef.shape)
    g = np.zeros(coef.shape[0])
    for t, ((Xt, yt, st), k) in enumerate(zip(problem.blocks, _task_scale(problem))):
        d = k * st * _dloss(problem.loss, yt, Xt @ coef[t] + intercept[t])
        G[t] = Xt.T @ d
        g[t] = d.sum()
    return G, g


def best_intercepts(problem, coef=None):
    """Intercepts minimising the datafit for fixed ``coef`` (zeros by default)."""
    T, p = problem.n_tasks, problem.blocks[0][0].shape[1]
    coef = np.zeros((T, p)) if coef is None else np.asarray(coef, dtype=np.float64)
    b = np.zeros(T)
    for t, (Xt, yt, st) in enumerate(problem.blocks):
        z0 = Xt @ coef[t]
        if problem.loss == "squared":  # the weighted mean of the residual
            b[t] = np.sum(st * (yt - z0)) / np.sum(st)
        else:  # 1-D smooth convex problem: the root of its (increasing) derivative
            def deriv(c, z0=z0, yt=yt, st=st):
                return np.sum(-st * yt * expit(-yt * (z0 + c)))

            lo, hi = -1.0, 1.0
            while deriv(lo) > 0:
                lo *= 2.0
            while deriv(hi) < 0:
                hi *= 2.0
            b[t] = brentq(deriv, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps)
    return b


def null_objective(problem, fit_intercept):
    """Objective at ``W = 0``, with the best intercepts when they are fitted."""
    T, p = problem.n_tasks, problem.blocks[0][0].shape[1]
    b = best_intercepts(problem) if fit_intercept else np.zeros(T)
    return datafit(problem, np.zeros((T, p)), b)


def alpha_max_ref(problem, fit_intercept):
    """``max_j ||grad_j F(0, b*)||``: the smallest alpha with an all-zero solution."""
    T, p = problem.n_tasks, problem.blocks[0][0].shape[1]
    b = best_intercepts(problem) if fit_intercept else np.zeros(T)
    G, _ = gradient(problem, np.zeros((T, p)), b)
    return float(np.max(np.linalg.norm(G, axis=0)))


def duality_gap(problem, alpha, coef, intercept):
    """Primal minus dual, with the dual point ``theta = -dF/dz`` rescaled to feasibility.

    Valid at intercepts optimal for ``coef`` (then every task's ``theta``
    sums to zero, the dual constraint of an unpenalised intercept).
    """
    primal = objective(problem, alpha, coef, intercept)
    thetas, cs = [], []
    XtT = []
    for t, ((Xt, yt, st), k) in enumerate(zip(problem.blocks, _task_scale(problem))):
        c = k * st
        thetas.append(-c * _dloss(problem.loss, yt, Xt @ coef[t] + intercept[t]))
        cs.append(c)
        XtT.append(Xt.T @ thetas[-1])
    norms = np.linalg.norm(np.column_stack(XtT), axis=1)  # one per feature
    scale = min(1.0, alpha / norms.max()) if norms.max() > 0 else 1.0
    dual = 0.0
    for (Xt, yt, st), theta, c in zip(problem.blocks, thetas, cs):
        theta = scale * theta
        pos = c > 0
        if problem.loss == "squared":  # -F*(-theta) = sum theta y - theta^2 / (2 c)
            dual += np.sum(theta[pos] * yt[pos] - theta[pos] ** 2 / (2 * c[pos]))
        else:  # u = theta y / c in [0, 1]: -sum c (u log u + (1 - u) log(1 - u))
            u = theta[pos] * yt[pos] / c[pos]
            dual -= np.sum(c[pos] * (xlogy(u, u) + xlogy(1 - u, 1 - u)))
    return primal - dual


# -- reporting ------------------------------------------------------------------
class Worst:
    """Keeps the worst value of named figures, printed when the module ends (``pytest -s``)."""

    def __init__(self, title):
        self.title = title
        self.values = {}

    def update(self, name, value, where):
        if name not in self.values or value > self.values[name][0]:
            self.values[name] = (float(value), where)

    def report(self):
        lines = [f"\n[{self.title}] worst cases:"]
        for name, (value, where) in sorted(self.values.items()):
            lines.append(f"  {name}: {value:.3e} ({where})")
        return "\n".join(lines)


@pytest.fixture(scope="module")
def worst(request):
    w = Worst(request.module.__name__)
    yield w
    if w.values:
        print(w.report())


def load_benchmark(name):
    """The script ``benchmarks/<name>.py`` imported as a module (benchmarks/ is no package)."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the quick tier (``pytest -m quick``) --------------------------------------------
# Tests of other files that join the tier: cheap, and checking what test_quick.py does
# not (every fitted estimator survives pickling, as joblib's workers need).
# "file::function" -> every parametrization of that test function.
QUICK = ("test_pickle.py::test_fitted_model_round_trip",)


def pytest_collection_modifyitems(config, items):
    """Mark the ``QUICK`` tests ``quick`` (before ``-m`` selects); a renamed one is an error."""
    wanted = {}
    for entry in QUICK:
        filename, function = entry.split("::")
        wanted.setdefault(filename, set()).add(function)
    for item in items:
        functions = wanted.get(pathlib.Path(str(item.fspath)).name)
        module = getattr(item, "module", None)
        if not functions or module is None:
            continue
        missing = sorted(f for f in functions if not hasattr(module, f))
        if missing:
            raise pytest.UsageError(f"conftest.QUICK names {missing} in {module.__name__}, "
                                    "which no longer defines them.")
        if getattr(item, "originalname", None) in functions:
            item.add_marker(pytest.mark.quick)


# -- the benchmark data ----------------------------------------------------------
ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA_ENV = "MTLCLASSIC_DATA"


def _data_dir():
    """``$MTLCLASSIC_DATA`` (relative to the working directory), else ``../shared/data``."""
    value = os.environ.get(DATA_ENV, "").strip()
    if value:
        # resolved now, so that a test changing the working directory still finds it
        return pathlib.Path(value).expanduser().resolve()
    return ROOT.parent / "shared" / "data"


DATA_DIR = _data_dir()


def needs_data(*parts):
    """A ``skipif`` marker: skip unless ``DATA_DIR / parts`` exists, saying how to point to it.

    ``needs_data()`` needs the folder; ``needs_data("malsar", "school.mat")`` one file.
    """
    path = DATA_DIR.joinpath(*parts)
    where = (f"${DATA_ENV}={os.environ[DATA_ENV]}" if os.environ.get(DATA_ENV, "").strip()
             else f"${DATA_ENV} is unset, default ../shared/data")
    return pytest.mark.skipif(not path.exists(),
                              reason=f"benchmark data absent: no {path} ({where}; set "
                              f"{DATA_ENV} to the folder holding malsar/, landmine/, ...)")
