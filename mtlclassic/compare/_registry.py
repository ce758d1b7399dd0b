"""The models a comparison can run: name -> estimator classes, fixed parameters, small grid.

The classical models and the baselines are those declared by
:mod:`mtlclassic.estimators` (each beside its estimators, with its grid and
fixed parameters); the neural baselines are added here. Grids are built by
:mod:`mtlclassic.estimators._grids` (re-exported here): deliberately small
(3-4 points), fractions of ``alpha_max`` where a model has one.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from ..estimators import MODELS as _DECLARED
from ..estimators import (FRACTIONS, RIDGE_ALPHAS, KernelTaskRelationClassifier,
                          KernelTaskRelationRegressor, alpha_max_grid, fixed_grid, format_value,
                          graph_grid, kernel_grid, per_task_grid, product_grid)
from ..estimators import Grid, intercept_shrinkage_axis, task_weighting_axis
from ..neural import (HardSharingMLPClassifier, HardSharingMLPRegressor,
                      SoftSharingMLPClassifier, SoftSharingMLPRegressor)
from ..neural import RelationshipMLPClassifier, RelationshipMLPRegressor
from ..neural import SluiceMLPClassifier, SluiceMLPRegressor
from ..neural import TensorFactorisedMLPClassifier, TensorFactorisedMLPRegressor


def _tucker_rank_grid(kind, X, y, task_column):
    """``rank`` in 2, 4, 8 for ``tensor-factorised-mlp``'s 2 x 16 units, extended no further
    than the full rank: past the largest of the features, the 16 units and the tasks every rank
    is capped to the same model (an unbounded axis went on to rank 2048 on Landmine, refitting
    one model seven times)."""
    n_tasks = np.unique(X[:, task_column]).size if task_column is not None else y.shape[1]
    full = max(X.shape[1], 16, n_tasks)
    grid = fixed_grid(rank=(2, 4, 8))(kind, X, y, task_column)
    return Grid([replace(axis, high=float(max(full, 8)), saturates=("high",))
                 for axis in grid.axes])


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
    classes : tuple of type
        ``(regressor, classifier)`` classes (None where there is none).
    grid : callable
        ``grid(kind, X, y, task_column) -> [(label, params), ...]``: the
        points searched by the inner cross-validation.
    fixed : dict
        Parameters set on every fit.
    """

    name: str
    family: str
    classes: tuple
    grid: object
    fixed: dict = field(default_factory=dict)
    description: str = ""

    def estimator_class(self, kind):
        """The class for ``kind`` ("regression" or "classification"), or None."""
        return self.classes[0 if kind == "regression" else 1]

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


_TRAINING = {"learning_rate_init": 0.01, "batch_size": 64, "max_iter": 100,
             "early_stopping": True}

MODELS = [ModelSpec(model.name, model.family, model.estimators, model.grid, model.fixed,
                    model.description) for model in _DECLARED.values()] + [
    # Neural baselines: small networks trained by Adam (step 0.01, batches of 64) for at most
    # 100 epochs with early stopping on 10 % of each task's training rows; the grid is the L2
    # penalty (hard sharing) or the tie strength (soft sharing). Tuned on the embedded scenario.
    # Independent kernel ridge per task, tuned as the kernel model is: the non-linear
    # single-task baseline of kernel-task-relation.
    ModelSpec("kernel-ridge", "baseline",
              (KernelTaskRelationRegressor, KernelTaskRelationClassifier),
              kernel_grid(task_covariance="independent"),
              fixed={"task_covariance": "independent"},
              description="independent RBF kernel ridge per task (median-heuristic gamma)"),
    ModelSpec("hard-sharing-mlp", "neural", (HardSharingMLPRegressor, HardSharingMLPClassifier),
              fixed_grid(alpha=(0.1, 0.3, 1.0, 3.0)),
              fixed={"hidden_layer_sizes": (32,), **_TRAINING},
              description="shared trunk (32 ReLU units), one linear head per task"),
    ModelSpec("soft-sharing-mlp", "neural", (SoftSharingMLPRegressor, SoftSharingMLPClassifier),
              fixed_grid(soft_sharing=(0.1, 1.0, 10.0, 100.0)),
              fixed={"hidden_layer_sizes": (16,), "alpha": 0.1, **_TRAINING},
              description="one network (16 ReLU units) per task, tied to their mean"),
    ModelSpec("relationship-mlp", "neural",
              (RelationshipMLPRegressor, RelationshipMLPClassifier),
              fixed_grid(relationship=(0.001, 0.01, 0.1)),
              fixed={"hidden_layer_sizes": (32,), "alpha": 0.1, **_TRAINING},
              description="shared trunk (32 ReLU units), linear heads with a learned task "
                          "covariance (matrix-normal prior)"),
    ModelSpec("sluice-mlp", "neural", (SluiceMLPRegressor, SluiceMLPClassifier),
              fixed_grid(orthogonality=(0.001, 0.01, 0.1)),
              fixed={"hidden_layer_sizes": (16, 16), "alpha": 0.1, **_TRAINING},
              description="one network (2 x 16 ReLU units, 2 subspaces) per task, subspaces "
                          "mixed across tasks by learned alphas, layers combined by betas"),
    ModelSpec("tensor-factorised-mlp", "neural",
              (TensorFactorisedMLPRegressor, TensorFactorisedMLPClassifier),
              _tucker_rank_grid,
              # alpha=0.1 (the other per-task nets') reduced School's networks to the task
              # means (as it does independent ones); the factorised ones already at 0.01
              fixed={"hidden_layer_sizes": (16, 16), "alpha": 1e-3, **_TRAINING},
              description="one network (2 x 16 ReLU units) per task, each layer's weights "
                          "over the tasks a Tucker tensor with shared factors (DMTRL)"),
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


# Intercept shrinkage is searched when the median task has at most this many training rows:
# a task's free intercept then rests on few rows (School at 20 % training: 4-50 rows, EV of
# pooled 0.357 -> 0.362 and of mean-regularized 0.358 -> 0.363 with it); on larger tasks it is
# estimated well, and the search, several times slower per fit with the shrinkage on (the
# solvers can no longer centre the data), would cost time for nothing.
SMALL_TASK_ROWS = 50


def _median_task_rows(X, y, task_column):
    if task_column is None:
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        return float(np.median(np.sum(~np.isnan(Y), axis=0)))
    return float(np.median(np.unique(X[:, task_column], return_counts=True)[1]))


def _with_secondary_axes(spec, kind, grid, X, y, task_column):
    """A default grid of a linear model, with the secondary axes its estimator takes.

    ``task_weights``: equal (the estimators' default) or by task size (the
    loss pooled over rows, as the default tuning criterion pools the
    validation rows); ``intercept_shrinkage``: free per-task intercepts, or
    shrunk towards a shared one, where tasks are small (``SMALL_TASK_ROWS``).
    Each starts at the estimators' default and is searched after the
    model's own strengths, from the best point (a few points each).
    """
    if not isinstance(grid, Grid) or spec.family == "neural":
        return grid
    params = spec.estimator_class(kind)().get_params()
    axes = [("task_weights", task_weighting_axis)]
    if _median_task_rows(X, y, task_column) <= SMALL_TASK_ROWS:
        axes.append(("intercept_shrinkage", intercept_shrinkage_axis))
    for name, axis in axes:
        if name in params and name not in spec.fixed:
            grid = grid.with_axis(axis())
    return grid


def grid_points(spec, user_grid, kind, X, y, task_column):
    """``[(label, params)]`` of ``spec`` on this training data (``user_grid`` overrides).

    ``user_grid`` is a dict of lists (every combination, as
    ``GridSearchCV``'s ``param_grid``) or a list of parameter dicts (those
    points only).
    """
    if user_grid is None:
        return _with_secondary_axes(spec, kind, spec.grid(kind, X, y, task_column), X, y,
                                    task_column)
    if isinstance(user_grid, dict):
        from sklearn.model_selection import ParameterGrid

        points = list(ParameterGrid(user_grid))
    else:
        points = [dict(p) for p in user_grid]
    if not points:
        raise ValueError(f"the grid of {spec.name!r} is empty")
    return [(", ".join(f"{k}={format_value(v) if isinstance(v, float) else v}"
                       for k, v in sorted(p.items())), p) for p in points]


__all__ = ["MODELS", "REGISTRY", "ModelSpec", "available_models", "resolve_models",
           "alpha_max_grid", "fixed_grid", "graph_grid", "per_task_grid", "product_grid",
           "grid_points", "FRACTIONS", "RIDGE_ALPHAS"]
