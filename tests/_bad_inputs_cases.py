"""The table of bad and edge inputs run by ``test_bad_inputs.py`` over every public estimator.

A *case* builds, for one estimator class and one layout, the estimator and the
arguments of ``fit`` (and, for a predict-time case, the rows given to
``predict``), and states what must happen:

``"finite"``
    ``fit`` returns, every fitted attribute and every prediction is finite;
``"error"``
    a ``ValueError`` (or the exception types the case lists) whose message
    matches the case's keyword: the parameter, column or task the user got
    wrong, or the cause (``dim 3``, ``0 sample``);
``"either"``
    one of the two: at extreme but finite scales a model may refuse the
    problem, as long as it says what to change.

Whatever the outcome, the inputs (X, y, sample_weight and array-valued
parameters) must be unmodified. :func:`run_case` returns the outcome as a
record instead of asserting, so that the test and a campaign script share it.

Data: 40 x 5, three tasks (``rng = np.random.default_rng(0)``,
``Y = X @ B``, ``Yc = (Y > 0) * 1``, the issue's reproducer data). The
per-task layout gives row ``i`` to task ``i % 3`` (13 or 14 rows a task) with
the task id in the last column. Iteration limits are small (see ``FAST``): the
non-finite results and unclear errors this table catches appear in the first
iterations, not after hundreds.
"""

import copy
import functools
import inspect
import re
import traceback
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning

import mtlclassic

LAYOUTS = ("shared", "per_task")

# Every public estimator class: the names of mtlclassic.__all__ that are classes with get_params.
ESTIMATORS = [getattr(mtlclassic, name) for name in mtlclassic.__all__
              if inspect.isclass(getattr(mtlclassic, name))
              and hasattr(getattr(mtlclassic, name), "get_params")]


def _params(cls):
    return set(inspect.signature(cls.__init__).parameters) - {"self"}


def is_cv(cls):
    return "alphas" in _params(cls)


def is_neural(cls):
    return "hidden_layer_sizes" in _params(cls)


def is_alternating(cls):
    # the models that alternate a weight step and a task-structure step
    return "max_inner_iter" in _params(cls)


@functools.lru_cache(maxsize=None)
def classifier(cls):
    # scikit-learn's is_classifier reads the tags of an instance, not of a class
    return is_classifier(cls())


def has_task_weights(cls):
    return "task_weights" in _params(cls)


def takes_sample_weight(cls):
    """Whether ``fit`` should take ``sample_weight``: every model but the neural ones.

    The CV estimators are included on purpose: issue 18 asks for it (as
    scikit-learn's ``LinearModelCV.fit``).
    """
    return not is_neural(cls)


# The penalty strengths a user sets, in the order a negative value is tried (the first).
_STRENGTHS = ("alpha", "alpha_shared", "alpha_sparse", "alpha_features", "alpha_tasks",
              "alpha_lowrank", "alpha_outlier",
              "lambda_cluster", "lambda_mean", "lambda_1", "lambda_2", "lambda_graph",
              "alpha_graph", "lambda_task", "l2_regularization",
              "lambda_subspace")


def strengths(cls):
    """The penalty strengths of ``cls`` (``("alphas",)`` for a CV estimator)."""
    if is_cv(cls):
        return ("alphas",)
    names = [p for p in _STRENGTHS if p in _params(cls)]
    assert names, f"{cls.__name__}: no penalty strength among {_STRENGTHS}"
    return tuple(names)


def _strength_params(cls, value, first_only=False):
    if is_cv(cls):
        return {"alphas": [value]}
    return {p: value for p in strengths(cls)[:1 if first_only else None]}


# Small iteration limits: enough to reach the overflow (the first iterations), short enough
# that a problem at 1e150 that never converges costs milliseconds, not the 5-50 s of the
# default limits (measured on the reproducers, ClusteredTaskRegressor at X * 1e100: 29 s).
FAST_LINEAR = dict(max_iter=50)
FAST_CV = dict(alphas=3, cv=2, max_iter=50)
FAST_ALTERNATING = dict(max_iter=3, max_inner_iter=20)
FAST_NEURAL = dict(hidden_layer_sizes=(8,), max_iter=30, random_state=0)


def fast_params(cls):
    if is_neural(cls):
        return dict(FAST_NEURAL)
    if is_cv(cls):
        return dict(FAST_CV)
    if is_alternating(cls):
        return dict(FAST_ALTERNATING)
    # (the feature-augmentation regressor solves exactly: no iteration limit)
    return {k: v for k, v in FAST_LINEAR.items() if k in _params(cls)}


def make_estimator(cls, layout, **params):
    kw = fast_params(cls)
    kw.update(task_column=None if layout == "shared" else -1)
    kw.update(params)
    return cls(**kw)


# -- data ----------------------------------------------------------------------------------
N_SAMPLES, N_FEATURES, N_TASKS = 40, 5, 3


@functools.lru_cache(maxsize=None)
def _base_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    Y = X @ rng.normal(size=(N_FEATURES, N_TASKS))
    return X, Y, (Y > 0) * 1.0


def data(cls, layout):
    """Fresh copies of ``(X, y)`` for ``cls`` in ``layout`` (task id last in per_task)."""
    X, Y, Yc = _base_data()
    T = Yc if classifier(cls) else Y
    if layout == "shared":
        return X.copy(), T.copy()
    task = np.arange(N_SAMPLES) % N_TASKS
    return np.c_[X, task], T[np.arange(N_SAMPLES), task].copy()


def features(X, layout):
    """The feature columns of X (all but the task column in per_task)."""
    return X if layout == "shared" else X[:, :-1]


def task_rows(X, layout, t):
    """Boolean mask of the rows of task ``t`` (per_task layout)."""
    assert layout == "per_task"
    return X[:, -1] == t


# -- cases ---------------------------------------------------------------------------------
@dataclass
class Setup:
    estimator: object
    X: object
    y: object
    fit_params: dict = field(default_factory=dict)
    predict_X: object = None  # a predict-time case: fit on (X, y), then predict this
    shared_fit: bool = False  # the plain fit of fitted(), shared with the predict-time cases


@dataclass
class Case:
    name: str
    expect: str  # "finite", "error" or "either"
    build: object  # (cls, layout) -> Setup
    match: object = None  # regex (or (cls, layout) -> regex) the error message must match
    applies: object = lambda cls, layout: True
    errors: tuple = (ValueError, TypeError)
    reproducer: bool = False  # from issue 18's reproducers

    def keyword(self, cls, layout):
        return self.match(cls, layout) if callable(self.match) else self.match


def _plain(cls, layout, **params):
    X, y = data(cls, layout)
    return Setup(make_estimator(cls, layout, **params), X, y)


def _scaled_X(c):
    def build(cls, layout):
        s = _plain(cls, layout)
        features(s.X, layout)[...] *= c
        return s
    return build


def _scaled_Y(c):
    def build(cls, layout):
        s = _plain(cls, layout)
        s.y = s.y * c
        return s
    return build


def _task_weight(c):
    return lambda cls, layout: _plain(cls, layout, task_weights=[1.0, c, 1.0])


def _strength(value, first_only=False):
    return lambda cls, layout: _plain(cls, layout, **_strength_params(cls, value, first_only))


def _sample_weight(make):
    def build(cls, layout):
        s = _plain(cls, layout)
        s.fit_params["sample_weight"] = make(s.X.shape[0])
        return s
    return build


def _set(mutate):
    """A case that changes a fresh copy of (X, y) in place: ``mutate(X, y, layout) -> (X, y)``."""
    def build(cls, layout):
        s = _plain(cls, layout)
        s.X, s.y = mutate(s.X, s.y, layout)
        return s
    return build


def _at_predict(mutate):
    def build(cls, layout):
        s = _plain(cls, layout)
        s.predict_X = mutate(s.X.copy(), layout)
        return s
    return build


def _put(value, where):
    def mutate(X, y, layout):
        if where == "X":
            features(X, layout)[3, 1] = value
        else:
            y = y.astype(float)
            y.flat[4] = value
        return X, y
    return mutate


def _task_observed_once(X, y, layout):
    if layout == "shared":
        y = y.astype(float)
        y[1:, 2] = np.nan
        return X, y
    keep = ~task_rows(X, layout, 2)
    keep[np.flatnonzero(~keep)[0]] = True
    return X[keep], y[keep]


def _one_class_task(X, y, layout):
    if layout == "shared":
        y[:, 1] = y[0, 1]
    else:
        rows = task_rows(X, layout, 1)
        y[rows] = y[rows][0]
    return X, y


def _three_classes(X, y, layout):
    labels = np.arange(X.shape[0]) % 3
    return X, (np.tile(labels[:, None], (1, N_TASKS)) if layout == "shared" else labels)


def _strings_X(X, y, layout):
    Xs = X.astype(object)
    features(Xs, layout)[:, 0] = "a"
    return Xs, y


def _task_id(value):
    def mutate(X, y, layout):
        X[5, -1] = value
        return X, y
    return mutate


def _unknown_task(X, layout):
    X[0, -1] = 7
    return X


def _first_strength(cls, layout):
    return re.escape(strengths(cls)[0])


def _strengths_named(cls, layout):
    return "|".join(re.escape(p) for p in strengths(cls))


def _regressor(cls, layout):
    return not classifier(cls)


def _classifier(cls, layout):
    return classifier(cls)


def _weighted(cls, layout):
    return takes_sample_weight(cls)


def _task_weighted(cls, layout):
    return has_task_weights(cls)


def _shared(cls, layout):
    return layout == "shared"


def _per_task(cls, layout):
    return layout == "per_task"


TASK_2 = r"task(?:\(s\))? \[?2\b"


def _once_keyword(cls, layout):
    # A CV regressor must say why the task cannot be split ("task 2 has 1 observed target,
    # fewer than cv=2 folds"); a plain model may fit it, or name the task; a classifier
    # names the task (one observation is one class).
    if is_cv(cls) and not classifier(cls):
        return rf"{TASK_2}.*\bcv\b|\bcv\b.*{TASK_2}"
    return TASK_2


X_KEYWORD = r"\bX\b|feature|scal"
Y_KEYWORD = r"\by\b|\bY\b|target|scal"
TW_KEYWORD = r"task_weights"

CASES = [
    # -- a sanity case: the table's own data fit ----------------------------------------
    Case("valid", "finite", lambda cls, layout: replace(_plain(cls, layout), shared_fit=True)),
    Case("sample_weight_valid", "finite",
         _sample_weight(lambda n: np.linspace(0.5, 2.0, n)), applies=_weighted),
    # -- issue 18's reproducers: finite, or a clear error -------------------------------
    Case("X_scale_1e100", "either", _scaled_X(1e100), X_KEYWORD, reproducer=True),
    Case("X_scale_1e150", "either", _scaled_X(1e150), X_KEYWORD, reproducer=True),
    Case("X_scale_1e-100", "either", _scaled_X(1e-100), X_KEYWORD, reproducer=True),
    Case("X_scale_1e20", "either", _scaled_X(1e20), X_KEYWORD, reproducer=True),
    Case("Y_scale_1e80", "either", _scaled_Y(1e80), Y_KEYWORD, applies=_regressor, reproducer=True),
    Case("task_weight_1e200", "either", _task_weight(1e200), TW_KEYWORD,
         applies=_task_weighted, reproducer=True),
    Case("task_weight_1e300", "either", _task_weight(1e300), TW_KEYWORD,
         applies=_task_weighted, reproducer=True),
    Case("task_weight_1e-200", "either", _task_weight(1e-200), TW_KEYWORD,
         applies=_task_weighted, reproducer=True),
    Case("strength_1e-20", "either", _strength(1e-20), _strengths_named, reproducer=True),
    Case("strength_1e100", "either", _strength(1e100), _strengths_named, reproducer=True),
    Case("task_observed_once", "either", _set(_task_observed_once), _once_keyword,
         reproducer=True),
    # -- the catalogue of clear errors ------------------------------------------------------
    Case("X_nan", "error", _set(_put(np.nan, "X")), r"\bX\b.*NaN"),
    Case("X_inf", "error", _set(_put(np.inf, "X")), r"\bX\b.*infinity"),
    Case("y_inf", "error", _set(_put(np.inf, "y")), r"\by\b.*infinit", applies=_regressor),
    Case("y_nan_per_task", "error", _set(_put(np.nan, "y")), r"\by\b.*NaN",
         applies=_per_task),
    Case("task_all_missing", "error",
         _set(lambda X, y, layout: (X, np.where(np.arange(N_TASKS) == 1, np.nan, y))),
         r"[Tt]ask.*\b1\b", applies=_shared),
    # scikit-learn's "inconsistent numbers of samples: [40, 39]" names the cause, not y
    Case("y_too_short", "error", _set(lambda X, y, layout: (X, y[:-1])),
         r"\by\b|numbers of samples"),
    Case("X_3d", "error", _set(lambda X, y, layout: (X[:, :, None], y)), r"dim 3"),
    Case("empty", "error", _set(lambda X, y, layout: (X[:0], y[:0])), r"\b0 sample"),
    Case("X_strings", "error", _set(_strings_X), r"\bX\b|'a'"),
    Case("X_complex", "error", _set(lambda X, y, layout: (X.astype(complex), y)), r"[Cc]omplex"),
    Case("y_strings", "error",
         _set(lambda X, y, layout: (X, np.full(y.shape, "a", dtype=object))), r"\by\b",
         applies=_regressor),
    Case("one_class_task", "error", _set(_one_class_task), r"[Tt]ask 1\b.*one class",
         applies=_classifier),
    Case("three_classes", "error", _set(_three_classes), r"3 class", applies=_classifier),
    Case("negative_strength", "error", _strength(-1.0, first_only=True), _first_strength),
    Case("max_iter_0", "error", lambda cls, layout: _plain(cls, layout, max_iter=0),
         r"max_iter", applies=lambda cls, layout: "max_iter" in _params(cls)),
    Case("sample_weight_short", "error", _sample_weight(lambda n: np.ones(3)),
         r"sample_weight", applies=_weighted, errors=(ValueError,)),
    Case("sample_weight_negative", "error",
         _sample_weight(lambda n: np.where(np.arange(n) == 3, -1.0, 1.0)),
         r"sample_weight", applies=_weighted, errors=(ValueError,)),
    Case("sample_weight_nan", "error",
         _sample_weight(lambda n: np.where(np.arange(n) == 3, np.nan, 1.0)),
         r"sample_weight", applies=_weighted, errors=(ValueError,)),
    Case("task_weights_length", "error",
         lambda cls, layout: _plain(cls, layout, task_weights=[1.0, 2.0]), TW_KEYWORD,
         applies=_task_weighted),
    Case("task_weights_negative", "error", _task_weight(-1.0), TW_KEYWORD,
         applies=_task_weighted),
    Case("task_weights_nan", "error", _task_weight(np.nan), TW_KEYWORD, applies=_task_weighted),
    Case("task_id_non_integer", "error", _set(_task_id(2.5)), r"task column",
         applies=_per_task),
    Case("task_id_nan", "error", _set(_task_id(np.nan)), r"task column", applies=_per_task),
    Case("task_column_out_of_range", "error",
         lambda cls, layout: _plain(cls, layout, task_column=10), r"task_column=10",
         applies=_per_task),
    Case("predict_unknown_task", "error", _at_predict(_unknown_task), r"task.*\b7\b",
         applies=_per_task),
    Case("predict_n_features", "error",
         _at_predict(lambda X, layout: np.c_[X, X[:, :1]]), r"features"),
    Case("predict_X_nan", "error",
         _at_predict(lambda X, layout: np.where(np.arange(X.shape[1]) == 0, np.nan, X)),
         r"\bX\b.*NaN"),
]
assert len({c.name for c in CASES}) == len(CASES)


def table():
    """Every applicable ``(cls, layout, case)``: the suite's cases."""
    return [(cls, layout, case) for cls in ESTIMATORS for layout in LAYOUTS for case in CASES
            if case.applies(cls, layout)]


# -- running a case ------------------------------------------------------------------------
@dataclass
class Outcome:
    ok: bool
    kind: str  # "finite", "clear error", "NaN", "no error", "unclear error", "wrong error",
    #            "mutated input", "nan warning"
    detail: str = ""


def _snapshot(setup):
    params = {k: copy.deepcopy(v) for k, v in setup.estimator.get_params(deep=False).items()
              if isinstance(v, (list, tuple, np.ndarray))}
    return (copy.deepcopy(setup.X), copy.deepcopy(setup.y),
            copy.deepcopy(setup.fit_params), copy.deepcopy(setup.predict_X), params)


def _same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if a is None or b is None:
        return a is b
    if isinstance(a, pd.DataFrame):
        return a.equals(b)
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype == object:
        return all(x == y or (x != x and y != y) for x, y in zip(a.ravel(), b.ravel()))
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def _mutated(setup, before):
    after = (setup.X, setup.y, setup.fit_params, setup.predict_X,
             {k: setup.estimator.get_params(deep=False)[k] for k in before[4]})
    names = ("X", "y", "fit_params", "predict_X", "array parameters")
    return [n for n, a, b in zip(names, before, after) if not _same(a, b)]


def _leaves(value):
    """The arrays and numbers in ``value``, nested lists and tuples opened (``factors_``)."""
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def non_finite_attributes(estimator):
    """The fitted attributes (``name_``) holding a non-finite number, with the first one."""
    bad = []
    for name, value in vars(estimator).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        values = list(_leaves(value))
        for v in values:
            if isinstance(v, (bool, str)) or v is None:
                continue
            arr = np.asarray(v)
            if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
                first = arr.ravel()[~np.isfinite(arr.ravel())][0]
                bad.append(f"{name} (holds {first})")
                break
    return bad


def non_finite_predictions(estimator, X):
    bad = []
    for method in ("predict", "decision_function", "predict_proba"):
        if hasattr(estimator, method):
            out = np.asarray(getattr(estimator, method)(X))
            if out.dtype.kind in "fc" and not np.all(np.isfinite(out)):
                bad.append(f"{method}(X) (holds {out.ravel()[~np.isfinite(out.ravel())][0]})")
    return bad


@functools.lru_cache(maxsize=None)
def _fitted(cls, layout):
    s = _plain(cls, layout)
    before = _snapshot(s)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            estimator, exc = s.estimator.fit(s.X, s.y), None
        except Exception as e:  # noqa: BLE001 -- reported by the "valid" case
            estimator, exc = None, e
    return estimator, caught, exc, _mutated(s, before)


def fitted(cls, layout):
    """The table's plain fit, made once: the "valid" case checks it, predict-time cases use it.

    Predicting mutates nothing, so one fitted model serves every predict-time case (a fit
    of each alternating model costs ~0.3 s, of a CV classifier ~0.5 s).
    """
    estimator, caught, exc, _ = _fitted(cls, layout)
    if exc is not None:
        raise exc
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return estimator


def _short(exc):
    msg = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {msg[:200]}"


def run_case(cls, layout, case, setup=None):
    """Run one case; an :class:`Outcome` that says whether it held, and what happened."""
    setup = case.build(cls, layout) if setup is None else setup
    before = _snapshot(setup)
    estimator = setup.estimator
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if setup.shared_fit:
                estimator, predict_X = fitted(cls, layout), setup.X
            elif setup.predict_X is None:
                estimator.fit(setup.X, setup.y, **setup.fit_params)
                predict_X = setup.X
            else:
                estimator = fitted(cls, layout)
                predict_X = setup.predict_X
                estimator.predict(predict_X)
            bad = non_finite_attributes(estimator) if setup.predict_X is None else []
            bad_pred = non_finite_predictions(estimator, predict_X)
            error = None
        except case.errors as exc:
            if isinstance(exc, np.linalg.LinAlgError):
                # a ValueError subclass, but numpy's words, not the user's problem
                where = traceback.extract_tb(exc.__traceback__)[-1]
                return Outcome(False, "unclear error", f"{_short(exc)} (raw LinAlgError at "
                               f"{where.filename.split('/')[-1]}:{where.lineno})")
            error = exc
        except Exception as exc:  # noqa: BLE001 -- what escaped is the finding
            where = traceback.extract_tb(exc.__traceback__)[-1]
            return Outcome(False, "unclear error",
                           f"{_short(exc)} (at {where.filename.split('/')[-1]}:{where.lineno})")
    mutated = _fitted(cls, layout)[3] if setup.shared_fit else _mutated(setup, before)
    if mutated:
        return Outcome(False, "mutated input", ", ".join(mutated))
    nan_warnings = [str(w.message).splitlines()[0][:200] for w in caught
                    if issubclass(w.category, ConvergenceWarning)
                    and re.search(r"\bnan\b|\binf\b", str(w.message), re.I)]
    if nan_warnings:
        return Outcome(False, "nan warning", nan_warnings[0])
    if error is not None:
        if case.expect == "finite":
            return Outcome(False, "unexpected error", _short(error))
        if not re.search(case.keyword(cls, layout), str(error), re.I | re.S):
            return Outcome(False, "wrong error",
                           f"{_short(error)} (does not match {case.keyword(cls, layout)!r})")
        return Outcome(True, "clear error", _short(error))
    if case.expect == "error":
        return Outcome(False, "no error", "")
    if bad or bad_pred:
        return Outcome(False, "NaN", "non-finite " + ", ".join(bad + bad_pred))
    return Outcome(True, "finite")
