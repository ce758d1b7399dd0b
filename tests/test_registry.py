"""One declaration per model: every derived list holds every declared model (issue 14).

The registry (``mtlclassic.estimators._registry``) is filled by the model
modules' ``declare(...)`` calls; the estimators' lists, the CV estimators,
the paths, ``alpha_max``, ``mtlclassic compare``'s registry, the public
``__all__`` and the generated API page are derived from it or checked here
against it. Each test fails when a declared model is missing from one of
them, or when a public estimator is not declared.
"""

import importlib.util
import inspect
import pathlib

import numpy as np
import pytest

import mtlclassic
from mtlclassic import estimators
from mtlclassic.compare import REGISTRY
from mtlclassic.estimators import (CLASSIFIERS, CV_ESTIMATORS, MODELS, PATHS, REGRESSORS,
                                   alpha_max, regularization_path)
from mtlclassic.estimators._alpha_max import estimator_alpha_max
from mtlclassic.estimators._registry import declare, model_of

DECLARED = list(MODELS.values())
ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_every_declared_model_is_in_every_derived_list():
    for model in DECLARED:
        assert model.regressor in REGRESSORS, model.name
        # A regression-only model (the calibrated group lasso) declares no classifier.
        assert model.classifier is None or model.classifier in CLASSIFIERS, model.name
        for cls in model.cv:
            assert cls is None or cls in CV_ESTIMATORS, model.name
        if model.path is not None:
            assert model.path in PATHS, model.name
        spec = REGISTRY[model.name]
        assert spec.classes == (model.regressor, model.classifier), model.name
        assert spec.fixed == model.fixed and spec.family == model.family
        names = [cls.__name__ for cls in (*model.estimators, *model.cv) if cls is not None]
        names += [model.path.__name__] if model.path is not None else []
        for name in names:
            assert name in mtlclassic.__all__ and name in estimators.__all__, name
            assert getattr(mtlclassic, name) is getattr(estimators, name), name


def test_every_public_estimator_is_declared():
    """No estimator class of the package's __all__ lives outside the registry."""
    from sklearn.base import BaseEstimator

    from mtlclassic import neural

    declared = {cls for model in DECLARED for cls in (*model.estimators, *model.cv)} - {None}
    for name in mtlclassic.__all__:
        obj = getattr(mtlclassic, name)
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator) and name not in neural.__all__:
            assert obj in declared, name
    assert len(REGRESSORS) == len(set(REGRESSORS)) == len(DECLARED)


def test_the_api_page_lists_every_declared_model(tmp_path):
    """docs/conf.py writes the API page from the packages' __all__: every declared name is on it."""
    spec = importlib.util.spec_from_file_location("docs_conf", ROOT / "docs" / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    page = tmp_path / "index.rst"
    conf.write_api_reference(page)
    listed = {line.strip() for line in page.read_text().splitlines()}
    for model in DECLARED:
        for cls in (*model.estimators, *model.cv):
            assert cls is None or cls.__name__ in listed, model.name
        if model.path is not None:
            assert model.path.__name__ in listed


def test_cv_estimators_bind_to_their_model():
    for model in DECLARED:
        if not model.cv:
            continue
        reg_cv, clf_cv = model.cv
        assert reg_cv._estimator is model.regressor and reg_cv._loss == "squared"
        assert (clf_cv is None) == (model.classifier is None), model.name
        assert clf_cv is None or (clf_cv._estimator is model.classifier
                                  and clf_cv._loss == "logistic")
        # The CV takes the model's parameters, less the strengths it searches.
        searched = getattr(reg_cv, "_searched", model.strengths)
        model_params = set(model.regressor().get_params()) - set(searched) - {"warm_start"}
        assert model_params <= set(reg_cv().get_params()) | {"l1_ratio"}, model.name


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, 4))
    Y = X @ rng.normal(size=(4, 3)) + 0.1 * rng.normal(size=(30, 3))
    return X, Y


@pytest.mark.parametrize("model", [m for m in DECLARED if m.strengths], ids=lambda m: m.name)
def test_alpha_max_is_the_zero_threshold_of_each_strength(model):
    """At ``alpha_max`` of a strength (the others at theirs too) the fit is ``W = 0``; just
    below it, not: the estimator's own penalty gives the right norm for every model."""
    X, Y = _data()
    est = model.regressor(tol=1e-10, max_iter=5000)
    tops = {s: estimator_alpha_max(est, X, Y, strength=s) for s in model.strengths}
    assert np.abs(model.regressor(**tops).fit(X, Y).coef_).max() == 0
    for s in model.strengths:
        below = dict(tops, **{s: 0.9 * tops[s]})
        assert np.abs(model.regressor(**below, tol=1e-10).fit(X, Y).coef_).max() > 0, s


def test_public_alpha_max_names_come_from_the_declarations():
    X, Y = _data()
    names = {public for model in DECLARED for public in model.alpha_max_names}
    assert names == {"l21", "l1", "sparse_group", "l1inf", "trace", "task_l21", "tree",
                     "calibrated_l21"}
    for model in DECLARED:
        for public, strength in model.alpha_max_names.items():
            assert alpha_max(X, Y, penalty=public) == pytest.approx(
                estimator_alpha_max(model.regressor(), X, Y, strength=strength), rel=1e-12)
    with pytest.raises(ValueError, match="penalty must be one of"):
        alpha_max(X, Y, penalty="nope")


def test_regularization_path_is_the_named_paths():
    X, Y = _data()
    for model in DECLARED:
        if model.path is None:
            continue
        named = model.path(X, Y, alphas=4)
        generic = regularization_path(model.regressor(), X, Y, alphas=4)
        np.testing.assert_allclose(generic.alphas, named.alphas, rtol=1e-12)
        np.testing.assert_allclose(generic.coefs, named.coefs, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="a path runs over one"):
        regularization_path(mtlclassic.DirtyModelRegressor(), X, Y)
    with pytest.raises(ValueError, match="not a declared model"):
        model_of(object())


def test_declare_refuses_a_second_model_of_the_same_name():
    with pytest.raises(ValueError, match="declared twice"):
        declare("lasso", mtlclassic.LassoRegressor, mtlclassic.LassoClassifier,
                description="again", grid=None)
    assert MODELS["lasso"].regressor is mtlclassic.LassoRegressor
