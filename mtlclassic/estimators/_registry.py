"""The model registry: every model is declared once, beside its estimators.

A declaration (:func:`declare`, a :class:`Model`) names a model's regressor
and classifier, the penalty strengths that have an ``alpha_max`` (the path
and CV parameters), the public ``alpha_max(penalty=...)`` names of those
strengths, its path function and CV estimators, and the grid ``mtlclassic
compare`` searches. Everything else is derived from the registry:

- the package's lists of estimators (``REGRESSORS``, ``CLASSIFIERS``,
  ``CV_ESTIMATORS``, ``PATHS`` in :mod:`mtlclassic.estimators`);
- :func:`~mtlclassic.alpha_max`, from the estimator's own penalty (the dual
  norm of the datafit's gradient at ``W = 0``);
- :func:`~mtlclassic.estimators.regularization_path` and the CV estimators'
  grids (which strength a path runs over);
- ``mtlclassic.compare``'s registry (classes, grids, fixed parameters);
- the tests' lists of estimators, and the API documentation (generated from
  the packages' ``__all__``, which a test checks against the registry).

Adding a model is one module (its penalty, if new, its estimators and its
declaration) plus its two exports (this package's ``__init__`` imports the
module, ``mtlclassic/__init__.py`` lists the public names).
"""

from dataclasses import dataclass, field

from .._docstrings import complete, complete_pair

# name -> Model, in declaration order (the order of compare's tables and of the lists).
MODELS = {}

_FAMILIES = ("baseline", "classical")


@dataclass(frozen=True)
class Model:
    """One model of the package, as :func:`declare` registers it.

    Attributes
    ----------
    name : str
        Its name in ``mtlclassic compare`` (``--models``).
    regressor, classifier : type
        The estimators of the squared and the logistic loss; ``classifier``
        is None for a regression-only model (the calibrated group lasso).
    description : str
        One line, shown by ``mtlclassic compare --list`` and in reports.
    family : {"baseline", "classical"}
        Baselines (single-task and pooled ridge) or classical MTL models.
    strengths : tuple of str
        The penalty strengths that have an ``alpha_max``, in the order of the
        parts of the penalty (a :class:`~mtlclassic.penalties.BlockSum` has one
        per part). The first is the path's and the CV's parameter; empty for
        models without a path.
    alpha_max_names : dict
        Public ``alpha_max(penalty=...)`` name -> the strength it bounds.
    path : callable or None
        The model's public path function.
    cv : tuple of type
        ``(regressor CV, classifier CV)``, or empty.
    grid : callable
        ``grid(kind, X, y, task_column) -> [(label, params), ...]``: the points
        ``mtlclassic compare`` searches (:mod:`mtlclassic.estimators._grids`).
    fixed : dict
        Parameters ``mtlclassic compare`` sets on every fit.
    """

    name: str
    regressor: type
    classifier: type
    description: str
    grid: object
    family: str = "classical"
    strengths: tuple = ()
    alpha_max_names: dict = field(default_factory=dict)
    path: object = None
    cv: tuple = ()
    fixed: dict = field(default_factory=dict)

    @property
    def estimators(self):
        """``(regressor, classifier)``."""
        return self.regressor, self.classifier

    def estimator(self, loss):
        """The estimator class of ``loss`` ("squared" or "logistic")."""
        if loss == "squared":
            return self.regressor
        if loss == "logistic":
            if self.classifier is None:
                raise ValueError(f"model {self.name!r} has no classifier: it is defined for "
                                 "the squared loss only; use loss='squared'.")
            return self.classifier
        raise ValueError(f"loss must be 'squared' or 'logistic', got {loss!r}.")


def declare(name, regressor, classifier, *, description, grid, family="classical",
            strengths=(), alpha_max_names=None, path=None, cv=(), fixed=None):
    """Register a model (see :class:`Model`) and return its declaration.

    Each estimator class gets ``_model``, the declaration it belongs to (the
    path, CV and ``alpha_max`` code reads its strengths there).
    """
    if name in MODELS:
        raise ValueError(f"model {name!r} is declared twice.")
    if family not in _FAMILIES:
        raise ValueError(f"family must be one of {_FAMILIES}, got {family!r}.")
    alpha_max_names = dict(alpha_max_names or {})
    unknown = set(alpha_max_names.values()) - set(strengths)
    if unknown:
        raise ValueError(f"{name}: alpha_max_names names strengths {sorted(unknown)} not in "
                         f"strengths {strengths}.")
    for cls in (c for c in (regressor, classifier) if c is not None):
        missing = [s for s in strengths if s not in cls().get_params()]
        if missing:
            raise ValueError(f"{cls.__name__} has no parameter {missing[0]!r}.")
    if path is not None and not strengths:
        raise ValueError(f"{name}: a path needs a strength to run over.")
    model = Model(name, regressor, classifier, description, grid, family, tuple(strengths),
                  alpha_max_names, path, tuple(cv), dict(fixed or {}))
    for cls in (c for c in (regressor, classifier) if c is not None):
        cls._model = model
    _document(model)
    MODELS[name] = model
    return model


def _document(model):
    """Complete the docstrings of a model's estimators from what is written once.

    The classifier takes what it does not write from its regressor; a CV
    estimator from the shared CV entries and its model (see
    :mod:`mtlclassic._docstrings`).
    """
    reg, clf = model.estimators
    if clf is None:
        complete(reg, reg._doc_family)
    else:
        complete_pair(reg, clf)
    for cv, estimator in zip(model.cv, model.estimators):
        if cv is None:
            continue
        complete(cv, cv._doc_family, like=None if cv is model.cv[0] else model.cv[0],
                 model=estimator, see_also=(estimator, "the model at a fixed alpha."),
                 summary=_CV_SUMMARY.format(model=estimator.__name__,
                                            strength=(model.strengths or ("alpha",))[0]))


# The head of a CV estimator's docstring, unless it writes its own.
_CV_SUMMARY = """{model} with ``{strength}`` chosen by cross-validation along its path.

The objective is that of :class:`~mtlclassic.{model}`; the search is
scikit-learn's ``LassoCV``'s (:ref:`cv-estimators` in ``docs/parameters.md``).
"""


def model_of(estimator):
    """The declaration of an estimator (instance or class), or a ValueError."""
    model = getattr(estimator, "_model", None)
    if model is None:
        cls = estimator if isinstance(estimator, type) else type(estimator)
        raise ValueError(f"{cls.__name__} is not a declared model of mtlclassic.")
    return model


def alpha_max_names():
    """``alpha_max(penalty=...)`` name -> ``(model, strength)``, over every declared model."""
    out = {}
    for model in MODELS.values():
        for public, strength in model.alpha_max_names.items():
            if public in out:
                raise ValueError(f"alpha_max name {public!r} is declared twice.")
            out[public] = (model, strength)
    return out
