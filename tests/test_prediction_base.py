"""The prediction base shared by every estimator family, and the rule on private imports.

* Every public estimator -- linear, alternating, cross-validated, neural -- predicts and
  scores through :class:`mtlclassic._prediction.MultiTaskPredictor`: the same routing of
  rows to tasks (unseen tasks by the mean of the task models' outputs), the same mean
  per-task score.
* The alternating models override one fitting hook, not ``fit``.
* No module of ``mtlclassic`` imports a private name of another package (an ``ast`` walk).
"""

import ast
import inspect
import pathlib
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score

import mtlclassic
from mtlclassic import (HardSharingMLPClassifier, HardSharingMLPRegressor, LassoClassifier,
                        LassoRegressor, LassoRegressorCV, SoftSharingMLPRegressor,
                        TaskRelationClassifier, TaskRelationRegressor)
from mtlclassic._prediction import (MultiTaskClassifierMixin, MultiTaskPredictor,
                                    MultiTaskRegressorMixin)
from mtlclassic._validation import check_fit_data, read_tasks, split_task_column
from mtlclassic.estimators._alternating import _AlternatingModel
from mtlclassic.estimators._base import MultiTaskLinearModel

PUBLIC = [getattr(mtlclassic, name) for name in mtlclassic.__all__]
ESTIMATORS = [c for c in PUBLIC if inspect.isclass(c) and issubclass(c, BaseEstimator)]


def test_the_public_estimators_are_found():
    families = {"linear": MultiTaskLinearModel, "alternating": _AlternatingModel}
    assert all(any(issubclass(c, base) for c in ESTIMATORS) for base in families.values())
    assert any(c.__name__.endswith("CV") for c in ESTIMATORS)
    assert any("MLP" in c.__name__ for c in ESTIMATORS)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_every_estimator_predicts_and_scores_through_the_base(cls):
    assert issubclass(cls, MultiTaskPredictor)
    mixin = MultiTaskClassifierMixin if issubclass(cls, MultiTaskClassifierMixin) else \
        MultiTaskRegressorMixin
    assert issubclass(cls, mixin)
    # Nothing re-spelled on the way: predict / score and the routing are the base's.
    for name in ("predict", "score"):
        assert getattr(cls, name) is getattr(mixin, name), name
    for name in ("_predict_outputs", "_per_task_scores", "_check_predict_input",
                 "_check_fit_input"):
        assert getattr(cls, name) is getattr(MultiTaskPredictor, name), name


def test_neural_estimators_have_no_task_weights():
    """The neural models weight tasks by ``task_weighting``: no fake ``task_weights``."""
    for cls in (HardSharingMLPRegressor, SoftSharingMLPRegressor):
        assert not hasattr(cls(), "task_weights")
        assert not issubclass(cls, MultiTaskLinearModel)


def test_check_fit_data_takes_the_task_weights_it_is_given():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(12, 3)), rng.normal(size=(12, 2))
    weighted = check_fit_data(LassoRegressor(task_weights=[1.0, 3.0]), X, Y)
    given = check_fit_data(LassoRegressor(), X, Y, task_weights=[1.0, 3.0])
    plain = check_fit_data(LassoRegressor(task_weights=[1.0, 3.0]), X, Y, task_weights=None)
    np.testing.assert_array_equal(given.C, weighted.C)
    np.testing.assert_allclose(plain.C.sum(axis=0), [1.0, 1.0])
    np.testing.assert_allclose(given.C.sum(axis=0), [1.0, 3.0])


# -- one fitted estimator per family, in the per-task layout -----------------------------
def _per_task(classifier, seed=0, sizes=(25, 30, 20)):
    rng = np.random.default_rng(seed)
    task = np.repeat(np.arange(len(sizes)), sizes)
    X = rng.normal(size=(task.size, 4))
    coef = rng.normal(size=(len(sizes), 4)) + 1.0
    y = np.einsum("ij,ij->i", X, coef[task]) + 0.3 * rng.normal(size=task.size)
    if classifier:
        y = np.where(y > 0, "yes", "no")
    return np.column_stack([X, task]), y


FAMILIES = {
    "linear": LassoRegressor(alpha=0.01),
    "linear-classifier": LassoClassifier(alpha=0.01),
    "alternating": TaskRelationRegressor(),
    "alternating-classifier": TaskRelationClassifier(),
    "cv": LassoRegressorCV(alphas=3, eps=0.1, cv=2),
    "neural": HardSharingMLPRegressor(hidden_layer_sizes=(8,), max_iter=30, random_state=0),
    "neural-classifier": HardSharingMLPClassifier(hidden_layer_sizes=(8,), max_iter=30,
                                                  random_state=0),
}


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def fitted(request):
    est = clone(FAMILIES[request.param]).set_params(task_column=-1, unseen_tasks="mean")
    X, y = _per_task(classifier=est._loss == "logistic")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a short training is enough here
        est.fit(X, y)
    return est, X, y


def _outputs(est, X):
    return est.decision_function(X) if hasattr(est, "decision_function") else est.predict(X)


def test_rows_of_an_unseen_task_get_the_mean_of_the_task_models(fitted):
    est, X, _ = fitted
    rows = X[::7].copy()
    rows[:, -1] = 99  # a task not seen in fit
    relabelled = []
    for t in est.tasks_:
        rows_t = rows.copy()
        rows_t[:, -1] = t
        relabelled.append(_outputs(est, rows_t))
    np.testing.assert_allclose(_outputs(est, rows), np.mean(relabelled, axis=0),
                               rtol=1e-10, atol=1e-12)
    # Seen and unseen rows in one call: each gets what it gets alone.
    mixed = np.vstack([X[:5], rows])
    np.testing.assert_allclose(_outputs(est, mixed),
                               np.concatenate([_outputs(est, X[:5]), _outputs(est, rows)]),
                               rtol=1e-12, atol=1e-12)


def test_the_rows_of_a_task_are_predicted_by_that_task_alone(fitted):
    est, X, _ = fitted
    order = np.random.default_rng(1).permutation(X.shape[0])
    np.testing.assert_allclose(_outputs(est, X[order]), _outputs(est, X)[order],
                               rtol=1e-12, atol=1e-12)
    if hasattr(est, "coef_"):  # linear families: x . w_t + b_t
        task = X[:, -1].astype(int)
        expected = np.einsum("ij,ij->i", X[:, :-1], est.coef_[task]) + est.intercept_[task]
        np.testing.assert_allclose(_outputs(est, X), expected, rtol=1e-12, atol=1e-12)


def test_score_is_the_mean_of_the_per_task_scores(fitted):
    est, X, y = fitted
    metric = accuracy_score if est._loss == "logistic" else r2_score
    pred = est.predict(X)
    task = X[:, -1]
    expected = np.mean([metric(y[task == t], pred[task == t]) for t in np.unique(task)])
    assert est.score(X, y) == pytest.approx(expected, rel=1e-12)


# -- the alternating models: one fitting hook -----------------------------------------------
def test_alternating_models_override_the_fitting_hook_not_fit():
    assert "fit" not in vars(_AlternatingModel)
    assert "_fit_solution" in vars(_AlternatingModel)
    alternating = [c for c in ESTIMATORS if issubclass(c, _AlternatingModel)]
    assert alternating
    for cls in alternating:
        assert cls.fit is MultiTaskLinearModel.fit, cls.__name__


@pytest.mark.parametrize("est", [LassoRegressor(alpha=1e-3, max_iter=1, solver="fista"),
                                 TaskRelationRegressor(max_iter=1)],
                         ids=["linear", "alternating"])
def test_convergence_warnings_point_at_the_caller(est):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5))
    Y = X @ rng.normal(size=(5, 3)) + 0.1 * rng.normal(size=(40, 3))
    with pytest.warns(ConvergenceWarning) as record:
        clone(est).fit(X, Y)
    assert {w.filename for w in record if w.category is ConvergenceWarning} == {__file__}


# -- the task column: one reader ---------------------------------------------------------------
def test_metrics_read_tasks_is_the_validation_reader():
    assert mtlclassic.metrics.read_tasks is read_tasks


class _Est:
    def __init__(self, task_column):
        self.task_column = task_column


@pytest.mark.parametrize("kind", ["array", "sparse", "frame", "text"])
def test_read_tasks_agrees_with_the_estimators_split(kind):
    rng = np.random.default_rng(0)
    feats, task = rng.normal(size=(9, 2)), np.array([3, 1, 3, 2, 1, 1, 2, 3, 3])
    X, column = np.column_stack([feats[:, :1], task, feats[:, 1:]]), 1
    if kind == "sparse":
        X = sp.csr_matrix(X)
    elif kind == "frame":
        X, column = pd.DataFrame({"a": feats[:, 0], "t": task, "b": feats[:, 1]}), "t"
    elif kind == "text":
        X = np.column_stack([feats[:, :1], np.array([f"s{t}" for t in task]), feats[:, 1:]])
        X = X.astype(object)
        X[:, 0], X[:, 2] = feats[:, 0], feats[:, 1]
    _, labels = split_task_column(_Est(column), X, reset=True)
    np.testing.assert_array_equal(read_tasks(X, column), labels)


# -- no private import across packages ----------------------------------------------------------
def _is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _within(module, scope):
    return module == scope or module.startswith(scope + ".")


def private_imports(root):
    """``(file, line, imported)`` for each import of a private name from another package.

    The rule (Python's convention, made exact):

    * a private module ``pkg._mod`` serves ``pkg`` and everything below it (the top-level
      ``mtlclassic._validation`` serves the whole library; ``penalties._base`` only
      ``penalties``);
    * a private name ``_f`` of a module serves that module's own package (its sibling
      modules), not subpackages or other packages.
    """
    root = pathlib.Path(root)
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
            package = ".".join(parts)
        else:
            package = ".".join(parts[:-1])
        me = ".".join(parts)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                imports = [(target, [alias.name for alias in node.names])]
            elif isinstance(node, ast.Import):
                imports = [(alias.name, []) for alias in node.names]
            else:
                continue
            for target, names in imports:
                if not _within(target, root.name):
                    continue
                bad = []
                modules = target.split(".")
                for k, part in enumerate(modules):
                    if _is_private(part) and not _within(me, ".".join(modules[:k])):
                        bad.append(target)
                is_package = (root.parent.joinpath(*modules) / "__init__.py").exists()
                namespace = target if is_package else target.rpartition(".")[0]
                bad += [f"{target}.{name}" for name in names
                        if _is_private(name) and package != namespace]
                found += [(str(path.relative_to(root.parent)), node.lineno, b) for b in bad]
    return found


def test_the_private_import_rule(tmp_path):
    """The walker itself, on a small package: what it flags and what it lets pass."""
    files = {
        "pkg/__init__.py": "",
        "pkg/_shared.py": "def helper(): pass\ndef _secret(): pass\n",
        "pkg/a/__init__.py": "from ._x import f\n",
        "pkg/a/_x.py": "def f(): pass\ndef _g(): pass\n",
        "pkg/a/y.py": "from ._x import _g\nfrom . import _x\nfrom .._shared import helper\n",
        "pkg/a/sub/__init__.py": "",
        "pkg/a/sub/z.py": "from .._x import f\nfrom .._x import _g\n",
        "pkg/b/__init__.py": "",
        "pkg/b/w.py": ("from ..a._x import f\nfrom ..a import _x\nimport pkg.a._x\n"
                       "from .._shared import _secret\nfrom ..a import f\nimport os._x\n"),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = {(f.replace("\\", "/"), line, what)
             for f, line, what in private_imports(tmp_path / "pkg")}
    assert found == {
        ("pkg/a/sub/z.py", 2, "pkg.a._x._g"),  # a private name, from a subpackage
        ("pkg/b/w.py", 1, "pkg.a._x"),         # another package's private module
        ("pkg/b/w.py", 2, "pkg.a._x"),
        ("pkg/b/w.py", 3, "pkg.a._x"),
        ("pkg/b/w.py", 4, "pkg._shared._secret"),
    }


ROOT = pathlib.Path(mtlclassic.__file__).parent
# Today's private imports across packages, in files this step did not own; each is the
# lead's to fix (named in the step's report).
PENDING = set()


def test_private_imports_only_where_pending():
    """No new private import across packages: only the files still pending have any."""
    found = private_imports(ROOT)
    assert {f for f, _, _ in found} <= PENDING, [x for x in found if x[0] not in PENDING]


def test_no_private_import_across_packages():
    assert private_imports(ROOT) == []


def test_cv_estimators_derive_from_the_prediction_base_only():
    cv = [c for c in ESTIMATORS if c.__name__.endswith("CV")]
    assert cv
    assert not any(issubclass(c, MultiTaskLinearModel) for c in cv)
