"""The models a comparison can run: name -> estimator classes, fixed parameters, small grid.

Classes are looked up by name when a comparison starts, so an entry whose
class does not exist in this version (a model family not yet written, an
optional module) is skipped rather than breaking the others. Grids are
deliberately small (3-4 points); where a model has an ``alpha_max`` (the
smallest strength giving ``W = 0``) the grid is a set of fractions of it,
computed on the training part of each split, so the same fractions suit any
data set. A two-strength model moves both strengths together (each the same
fraction of its own ``alpha_max``), keeping the grid one-dimensional.
"""

import importlib
from dataclasses import dataclass, field

import numpy as np

# Fractions of alpha_max searched by the sparse and low-rank models.
FRACTIONS = (0.5, 0.2, 0.08, 0.03)
# Ridge strengths (the features are standardised by the protocol, so absolute values suit).
RIDGE_ALPHAS = (1e-2, 1e-1, 1.0, 10.0)

_LOSS = {"regression": "squared", "classification": "logistic"}


def _fmt(value):
    return f"{value:.3g}"


def fixed_grid(**values):
    """A grid of the given absolute values (one parameter, or several zipped together)."""
    names = list(values)
    columns = [list(v) for v in values.values()]
    if len({len(c) for c in columns}) != 1:
        raise ValueError("fixed_grid: every parameter needs as many values")

    def grid(kind, X, y, task_column):
        return [(", ".join(f"{n}={_fmt(v)}" for n, v in zip(names, point)),
                 dict(zip(names, point))) for point in zip(*columns)]

    return grid


def alpha_max_grid(*params, fractions=FRACTIONS, l1_ratio=None):
    """Fractions of ``alpha_max``; ``params`` are ``(parameter, alpha_max penalty)`` pairs.

    With two pairs (the two-part models), both strengths take the same
    fraction of their own ``alpha_max``.
    """

    def grid(kind, X, y, task_column):
        from ..estimators import alpha_max

        extra = {} if l1_ratio is None else {"l1_ratio": l1_ratio}
        tops = [alpha_max(X, y, penalty=penalty, loss=_LOSS[kind], task_column=task_column,
                          **extra) for _, penalty in params]
        points = []
        for f in fractions:
            label = f"{_fmt(f)} alpha_max"
            points.append((label, {name: max(f * top, 1e-12)
                                   for (name, _), top in zip(params, tops)}))
        return points

    return grid


def product_grid(*grids):
    """Every combination of the points of several grids (labels joined by commas)."""
    import itertools

    def grid(kind, X, y, task_column):
        parts = [g(kind, X, y, task_column) for g in grids]
        return [(", ".join(label for label, _ in combo),
                 {k: v for _, params in combo for k, v in params.items()})
                for combo in itertools.product(*parts)]

    return grid


def _n_tasks(X, y, task_column):
    return np.unique(X[:, task_column]).size if task_column is not None else y.shape[1]


def per_task_grid(param, values):
    """``param = T * value``: for a penalty on one model shared by all ``T`` tasks.

    The datafit sums ``T`` task means, so a penalty on the shared part has to
    grow with ``T`` to weigh the same against it.
    """

    def grid(kind, X, y, task_column):
        n_tasks = _n_tasks(X, y, task_column)
        return [(f"{param}=T*{_fmt(v)}", {param: n_tasks * v}) for v in values]

    return grid


def graph_grid(mean_strength=1.0, fractions=(0.2, 0.05, 0.01)):
    """The complete-graph model: ``lambda_graph = mean_strength / T``, ``alpha`` a fraction.

    With the complete graph, ``lambda_graph / 2 tr(W^T L W)`` is
    ``T lambda_graph / 2 sum_t ||w_t - w_bar||^2``: dividing by ``T`` gives
    the deviations from the mean model the same cost whatever the number of
    tasks; the l1 term's ``alpha_max`` is the lasso's (the quadratic term
    has no gradient at ``W = 0``).
    """
    l1 = alpha_max_grid(("alpha", "l1"), fractions=fractions)

    def grid(kind, X, y, task_column):
        lam = mean_strength / _n_tasks(X, y, task_column)
        return [(f"{label}, lambda_graph={_fmt(mean_strength)}/T",
                 {**params, "lambda_graph": lam}) for label, params in
                l1(kind, X, y, task_column)]

    return grid


@dataclass(frozen=True)
class ModelSpec:
    """One model of the comparison.

    Attributes
    ----------
    name : str
        The name used by ``--models`` and in the tables.
    family : {"baseline", "classical", "neural"}
        Baselines (single-task and pooled ridge), classical MTL models, or
        neural networks; the per-task scatter plot pits the best classical
        model against the best neural one.
    module : str
        Module holding the classes.
    classes : tuple of str
        ``(regressor, classifier)`` class names (None where there is none).
    grid : callable
        ``grid(kind, X, y, task_column) -> [(label, params), ...]``: the
        points searched by the inner cross-validation.
    fixed : dict
        Parameters set on every fit.
    """

    name: str
    family: str
    module: str
    classes: tuple
    grid: object
    fixed: dict = field(default_factory=dict)
    description: str = ""

    def estimator_class(self, kind):
        """The class for ``kind``, or None when it does not exist in this version."""
        cls_name = self.classes[0 if kind == "regression" else 1]
        if cls_name is None:
            return None
        try:
            module = importlib.import_module(self.module)
        except ImportError:
            return None
        return getattr(module, cls_name, None)

    def make(self, kind, task_column, random_state=None):
        """An unfitted estimator with the fixed parameters (and the seed, if it takes one)."""
        cls = self.estimator_class(kind)
        if cls is None:
            raise ValueError(f"model {self.name!r} has no {kind} estimator in this version")
        est = cls(**self.fixed)
        params = est.get_params()
        if "task_column" in params:
            est.set_params(task_column=task_column)
        if "random_state" in params and random_state is not None:
            est.set_params(random_state=random_state)
        return est


_EST = "mtlclassic.estimators"
_NEURAL = "mtlclassic.neural"
_TRAINING = {"learning_rate_init": 0.01, "batch_size": 64, "max_iter": 100,
             "early_stopping": True}

MODELS = [
    ModelSpec("ridge", "baseline", _EST, ("RidgeRegressor", "RidgeClassifier"),
              fixed_grid(alpha=RIDGE_ALPHAS), description="single-task ridge, one per task"),
    ModelSpec("pooled", "baseline", _EST, ("PooledRegressor", "PooledClassifier"),
              per_task_grid("alpha", (1e-3, 1e-2, 1e-1, 1.0)),
              description="one ridge model pooled over tasks"),
    ModelSpec("lasso", "classical", _EST, ("LassoRegressor", "LassoClassifier"),
              alpha_max_grid(("alpha", "l1")), description="independent lasso per task"),
    ModelSpec("group-lasso", "classical", _EST, ("GroupLassoRegressor", "GroupLassoClassifier"),
              alpha_max_grid(("alpha", "l21")), description="joint feature selection (l2,1)"),
    ModelSpec("sparse-group-lasso", "classical", _EST,
              ("SparseGroupLassoRegressor", "SparseGroupLassoClassifier"),
              alpha_max_grid(("alpha", "sparse_group"), l1_ratio=0.5),
              fixed={"l1_ratio": 0.5}, description="sparse-group lasso, l1_ratio 0.5"),
    ModelSpec("l1inf", "classical", _EST, ("L1InfRegressor", "L1InfClassifier"),
              alpha_max_grid(("alpha", "l1inf")), description="l1/l-inf block norm"),
    ModelSpec("dirty", "classical", _EST, ("DirtyModelRegressor", "DirtyModelClassifier"),
              alpha_max_grid(("alpha_shared", "l1inf"), ("alpha_sparse", "l1")),
              description="dirty model: block-sparse + elementwise-sparse parts"),
    ModelSpec("trace-norm", "classical", _EST, ("TraceNormRegressor", "TraceNormClassifier"),
              alpha_max_grid(("alpha", "trace")), description="low rank (trace norm)"),
    ModelSpec("robust-mtfl", "classical", _EST,
              ("RobustMTFLRegressor", "RobustMTFLClassifier"),
              alpha_max_grid(("alpha_features", "l21"), ("alpha_tasks", "task_l21")),
              description="robust multi-task feature learning (outlier tasks)"),
    ModelSpec("mean-regularized", "classical", _EST,
              ("MeanRegularizedRegressor", "MeanRegularizedClassifier"),
              fixed_grid(lambda_mean=(1.0, 10.0, 100.0)), fixed={"lambda_l2": 0.1},
              description="task models pulled to their mean (Evgeniou & Pontil 2004)"),
    ModelSpec("graph-regularized", "classical", _EST,
              ("GraphRegularizedRegressor", "GraphRegularizedClassifier"), graph_grid(),
              description="complete task graph plus l1 (MALSAR SRMTL)"),
    # The learned task structures alternate W-steps and structure steps; they stop when a round
    # lowers the objective by less than tol (relative). tol=1e-3 instead of 1e-4 makes them about
    # 8x faster on School for test nMSE changes below 0.003.
    ModelSpec("task-relation", "classical", _EST,
              ("TaskRelationRegressor", "TaskRelationClassifier"),
              fixed_grid(lambda_2=(0.01, 0.1, 1.0)), fixed={"lambda_1": 0.01, "tol": 1e-3},
              description="learned task covariance (MTRL, Zhang & Yeung 2010)"),
    ModelSpec("clustered", "classical", _EST,
              ("ClusteredTaskRegressor", "ClusteredTaskClassifier"),
              fixed_grid(lambda_cluster=(10.0, 100.0, 1000.0)),
              fixed={"n_clusters": 2, "lambda_l2": 0.1, "tol": 1e-3},
              description="convex clustered MTL, 2 clusters (Jacob et al. 2008)"),
    ModelSpec("sparse-task-graph", "classical", _EST,
              ("SparseTaskGraphRegressor", "SparseTaskGraphClassifier"),
              product_grid(fixed_grid(lambda_task=(1e-3, 1e-2, 1e-1)),
                           alpha_max_grid(("alpha", "l1"), fractions=(0.1,))),
              fixed={"tol": 1e-3},
              description="learned sparse task graph plus l1 (p-MSSL, Goncalves et al. 2016)"),
    # Neural baselines: small networks trained by Adam (step 0.01, batches of 64) for at most
    # 100 epochs with early stopping on 10 % of each task's training rows; the grid is the L2
    # penalty (hard sharing) or the tie strength (soft sharing). Tuned on the embedded scenario.
    ModelSpec("hard-sharing-mlp", "neural", _NEURAL,
              ("HardSharingMLPRegressor", "HardSharingMLPClassifier"),
              fixed_grid(alpha=(0.1, 0.3, 1.0, 3.0)),
              fixed={"hidden_layer_sizes": (32,), **_TRAINING},
              description="shared trunk (32 ReLU units), one linear head per task"),
    ModelSpec("soft-sharing-mlp", "neural", _NEURAL,
              ("SoftSharingMLPRegressor", "SoftSharingMLPClassifier"),
              fixed_grid(soft_sharing=(0.1, 1.0, 10.0, 100.0)),
              fixed={"hidden_layer_sizes": (16,), "alpha": 0.1, **_TRAINING},
              description="one network (16 ReLU units) per task, tied to their mean"),
]

# Registered by name; ``--models`` accepts these names.
REGISTRY = {spec.name: spec for spec in MODELS}


def available_models(kind="regression"):
    """Names of the registered models whose ``kind`` estimator exists in this version."""
    return [spec.name for spec in MODELS if spec.estimator_class(kind) is not None]


def resolve_models(models, kind):
    """The :class:`ModelSpec` list of a comparison.

    ``models`` is None (every available model), a comma-separated string or a
    list of names and/or :class:`ModelSpec`. Unknown names, and names without
    an estimator for ``kind``, raise ``ValueError`` with a one-line message.
    """
    if models is None:
        specs = [REGISTRY[name] for name in available_models(kind)]
        if not specs:
            raise ValueError(f"no {kind} model is available")
        return specs
    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    specs = []
    for m in models:
        if isinstance(m, ModelSpec):
            spec = m
        else:
            spec = REGISTRY.get(str(m).strip().lower())
            if spec is None:
                import difflib

                close = difflib.get_close_matches(str(m).strip().lower(), list(REGISTRY), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"unknown model {m!r}{hint}; available: "
                                 f"{', '.join(available_models(kind))}")
        if spec.estimator_class(kind) is None:
            raise ValueError(f"model {spec.name!r} has no {kind} estimator in this version; "
                             f"available: {', '.join(available_models(kind))}")
        if spec.name in [s.name for s in specs]:
            raise ValueError(f"model {spec.name!r} is listed twice")
        specs.append(spec)
    if not specs:
        raise ValueError("no model given")
    return specs


def grid_points(spec, user_grid, kind, X, y, task_column):
    """``[(label, params)]`` of ``spec`` on this training data (``user_grid`` overrides).

    ``user_grid`` is a dict of lists (every combination, as
    ``GridSearchCV``'s ``param_grid``) or a list of parameter dicts (those
    points only).
    """
    if user_grid is None:
        return spec.grid(kind, X, y, task_column)
    if isinstance(user_grid, dict):
        from sklearn.model_selection import ParameterGrid

        points = list(ParameterGrid(user_grid))
    else:
        points = [dict(p) for p in user_grid]
    if not points:
        raise ValueError(f"the grid of {spec.name!r} is empty")
    return [(", ".join(f"{k}={_fmt(v) if isinstance(v, float) else v}"
                       for k, v in sorted(p.items())), p) for p in points]


__all__ = ["MODELS", "REGISTRY", "ModelSpec", "available_models", "resolve_models",
           "alpha_max_grid", "fixed_grid", "graph_grid", "per_task_grid", "product_grid",
           "grid_points"]
