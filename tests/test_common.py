"""scikit-learn's estimator checks over every public estimator, constructed with its defaults.

The defaults must fit a useful model on the checks' own data (standardised, 200 rows): a
default-constructed estimator is checked as it is. The few that still get parameters say
why in one line each; ``test_defaults_fit_useful_models`` checks every estimator's
defaults directly (non-null coefficients, a score above the null model's).
"""

import ast
import inspect
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import is_classifier
from sklearn.datasets import make_blobs, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from sklearn.utils import shuffle
from sklearn.utils.estimator_checks import parametrize_with_checks

from mtlclassic import CalibratedGroupLassoRegressorCV
from mtlclassic import (ClusteredTaskClassifier, ClusteredTaskRegressor,
                        DirtyModelClassifierCV, DirtyModelRegressorCV, GroupLassoClassifierCV,
                        GroupLassoRegressorCV, KernelTaskRelationClassifierCV,
                        KernelTaskRelationRegressorCV, L1InfClassifierCV, L1InfRegressorCV,
                        LassoClassifierCV, LassoRegressorCV, RobustLowRankClassifierCV,
                        RobustLowRankRegressorCV, RobustMTFLClassifierCV,
                        RobustMTFLRegressorCV, SparseGroupLassoClassifierCV,
                        SparseGroupLassoRegressorCV, SparseLowRankClassifierCV,
                        SparseLowRankRegressorCV, TraceNormClassifierCV, TraceNormRegressorCV)
from mtlclassic.estimators import CLASSIFIERS, CV_ESTIMATORS, REGRESSORS
from mtlclassic.neural import (HardSharingMLPClassifier, HardSharingMLPRegressor,
                               SoftSharingMLPClassifier, SoftSharingMLPRegressor)
from mtlclassic.neural import RelationshipMLPClassifier, RelationshipMLPRegressor
from mtlclassic.neural import SluiceMLPClassifier, SluiceMLPRegressor
from mtlclassic.neural import TensorFactorisedMLPClassifier, TensorFactorisedMLPRegressor

NEURAL = [HardSharingMLPRegressor, HardSharingMLPClassifier, SoftSharingMLPRegressor,
          SoftSharingMLPClassifier]
NEURAL += [RelationshipMLPRegressor, RelationshipMLPClassifier]
NEURAL += [SluiceMLPRegressor, SluiceMLPClassifier]
NEURAL += [TensorFactorisedMLPRegressor, TensorFactorisedMLPClassifier]
# Every public estimator class except the cross-validated ones (below).
PLAIN = REGRESSORS + CLASSIFIERS + NEURAL
assert not set(PLAIN) & set(CV_ESTIMATORS)

# Default-constructed: no per-estimator parameters at all.
ESTIMATORS = [cls() for cls in PLAIN]
# Estimators that still get parameters, one line why each.
# The CV estimators: only for time. Their default grid (100 alphas x 5 folds) costs 2-10 s
# a fit on the checks' data and the checks fit about 100 times: GroupLassoClassifierCV()
# passes every check, in 6 minutes. At their defaults they fit useful models
# (test_cv_defaults_fit_useful_models, marked slow).
_CV = dict(alphas=3, eps=0.1, cv=2, tol=1e-3)
ESTIMATORS += [
    GroupLassoRegressorCV(**_CV), GroupLassoClassifierCV(**_CV),
    LassoRegressorCV(**_CV), LassoClassifierCV(**_CV),
    # a list of l1_ratio is a second search axis, checked once
    SparseGroupLassoRegressorCV(l1_ratio=[0.2, 0.8], **_CV),
    SparseGroupLassoClassifierCV(**_CV),
    L1InfRegressorCV(**_CV), L1InfClassifierCV(**_CV),
    TraceNormRegressorCV(**_CV), TraceNormClassifierCV(**_CV),
    DirtyModelRegressorCV(**_CV), DirtyModelClassifierCV(**_CV),
    RobustMTFLRegressorCV(**_CV), RobustMTFLClassifierCV(**_CV),
    RobustLowRankRegressorCV(**_CV), RobustLowRankClassifierCV(**_CV),
    SparseLowRankRegressorCV(**_CV), SparseLowRankClassifierCV(**_CV),
    # the kernel models' grid CV: a small grid, for time
    KernelTaskRelationRegressorCV(alphas=(1e-3, 1e-1), lambda_2s=(1e-3,), gammas=(0.1,), cv=2),
    KernelTaskRelationClassifierCV(alphas=(1e-3, 1e-1), lambda_2s=(1e-3,), gammas=(0.1,), cv=2),
]
# The calibrated group lasso's CV (regression only): the same small grid, for time.
ESTIMATORS += [CalibratedGroupLassoRegressorCV(**_CV)]
# lambda_mean switches ClusteredTask to another model (Jacob et al.'s, with a mean task),
# which the defaults (lambda_mean=None) do not reach.
ESTIMATORS += [ClusteredTaskRegressor(lambda_mean=0.1), ClusteredTaskClassifier(lambda_mean=0.01)]

# Checks declared as expected failures, each with a one-line reason.
# The sparse regressors' CV (at the checks' tol=1e-3, set above for time) picks a small alpha
# where weighted and repeated-row fits agree to ~1e-5, not the check's 1e-7; at tol=1e-12 they
# pass (tests/test_cv_sample_weight.py::test_sklearn_sample_weight_equivalence_at_a_tight_tol).
_SW_TOL = ("solved to tol=1e-3 for time: weighted vs repeated rows agree to ~1e-5; passes at "
           "tol=1e-12 in test_cv_sample_weight")
EXPECTED_FAILED = {name: {"check_sample_weight_equivalence_on_dense_data": _SW_TOL,
                          "check_sample_weight_equivalence_on_sparse_data": _SW_TOL}
                   for name in ("GroupLassoRegressorCV", "LassoRegressorCV",
                                "SparseGroupLassoRegressorCV", "L1InfRegressorCV")}

# The networks train in float32 (their default dtype): weighted and repeated rows give the same
# gradients to float32 rounding, which 200 Adam steps carry to ~1e-7 absolute, ~2e-5 relative in
# the predictions, not the check's 1e-7 relative (a few pass by the luck of the rounding: XPASS).
# In float64 every network passes the check
# (tests/test_neural_sample_weight.py::test_sklearn_sample_weight_equivalence_in_float64).
_NEURAL_SW = ("float32 training: weighted vs repeated rows agree to float32 rounding carried "
              "by Adam (~2e-5 relative); passes in float64 in test_neural_sample_weight")
EXPECTED_FAILED.update({cls.__name__: {"check_sample_weight_equivalence_on_dense_data": _NEURAL_SW,
                                       "check_sample_weight_equivalence_on_sparse_data": _NEURAL_SW}
                        for cls in NEURAL})


# The calibrated group lasso stops on its certified gap (tol=1e-4): weighted and repeated-row
# fits agree to ~3e-7 there; at tol=1e-8 both checks pass (test_calibrated.py).
_SW_CALIBRATED = ("stops on the square-root problem's gap at tol=1e-4: weighted vs repeated rows "
                  "agree to ~3e-7; both checks pass at tol=1e-8 in test_calibrated")
EXPECTED_FAILED["CalibratedGroupLassoRegressorCV"] = EXPECTED_FAILED["GroupLassoRegressorCV"]
EXPECTED_FAILED["CalibratedGroupLassoRegressor"] = {
    "check_sample_weight_equivalence_on_dense_data": _SW_CALIBRATED,
    "check_sample_weight_equivalence_on_sparse_data": _SW_CALIBRATED}


def _expected_failed(estimator):
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# -- the defaults fit useful models ------------------------------------------
def _classification(n_tasks):
    """scikit-learn's ``check_classifiers_train`` data (T = 1), or T tasks of that size."""
    if n_tasks == 1:
        X, y = make_blobs(n_samples=300, random_state=0)
        X, y = shuffle(X, y, random_state=7)
        X = StandardScaler().fit_transform(X)
        return X[y != 2], y[y != 2]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5))
    # Each task its own direction, with label noise: separable by no single model.
    scores = X @ rng.standard_normal((5, n_tasks)) + 0.5 * rng.standard_normal((200, n_tasks))
    return X, (scores > 0).astype(int)


def _regression(n_tasks):
    """scikit-learn's ``check_regressors_train`` data (standardised X and y) with T targets."""
    X, y = make_regression(n_samples=200, n_features=10, n_informative=1 + (n_tasks > 1),
                           n_targets=n_tasks, bias=5.0, noise=20, random_state=42)
    X = StandardScaler().fit_transform(X)
    y = StandardScaler().fit_transform(y.reshape(len(y), -1))
    return X, y.ravel() if n_tasks == 1 else y


def _scores(estimator, X, Y):
    """(score, null model's score), both averaged over tasks: accuracy or R^2 on the fit data."""
    Y = Y.reshape(len(Y), -1)
    pred = estimator.predict(X).reshape(Y.shape)
    if is_classifier(estimator):
        majority = np.maximum(Y.mean(axis=0), 1 - Y.mean(axis=0))
        return np.mean(pred == Y), np.mean(majority)
    r2 = 1 - ((Y - pred) ** 2).sum(axis=0) / ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
    return np.mean(r2), 0.0  # the null model (each task's mean) has R^2 = 0 on its fit data


def _check_useful(cls, n_tasks):
    estimator = cls()
    X, Y = (_classification if is_classifier(estimator) else _regression)(n_tasks)
    with warnings.catch_warnings():
        # The neural defaults (200 epochs) do not meet tol on 200 rows; their fit is fine.
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, Y)
    # Linear models' coef_, networks' coefs_, the exact kernel models' dual coefficients;
    # gradient boosting has trees (estimator_), checked by its score alone.
    coefs = ([estimator.coef_] if hasattr(estimator, "coef_")
             else [estimator.dual_coef_] if hasattr(estimator, "dual_coef_")
             else [np.ones(1)] if hasattr(estimator, "estimator_")
             else estimator.coefs_)
    assert any(np.any(c != 0) for c in coefs), f"{cls.__name__}() fits W = 0"
    if hasattr(estimator, "n_iter_"):
        assert np.all(np.asarray(estimator.n_iter_) >= 1)
    score, null = _scores(estimator, X, Y)
    # scikit-learn's own bars (accuracy > 0.83, R^2 > 0.5) on the single task; the
    # three-task problems are harder (label noise, two informative features).
    margin = (0.33 if n_tasks == 1 else 0.15) if is_classifier(estimator) else 0.5
    assert score > null + margin, f"{cls.__name__}(): score {score:.3f}, null {null:.3f}"


@pytest.mark.parametrize("n_tasks", [1, 3])
@pytest.mark.parametrize("cls", PLAIN, ids=lambda c: c.__name__)
def test_defaults_fit_useful_models(cls, n_tasks):
    _check_useful(cls, n_tasks)


@pytest.mark.slow
@pytest.mark.parametrize("cls", CV_ESTIMATORS, ids=lambda c: c.__name__)
def test_cv_defaults_fit_useful_models(cls):
    _check_useful(cls, 1)


_DEFAULT = re.compile(r"^(\w+) : [^\n]*?default=([^\n]+)$", re.M)


def _shared_defaults(ref):
    """``{name: default text}`` of ``docs/parameters.md``'s section ``ref`` (its text blocks)."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "parameters.md").read_text()
    section = re.split(r"^\([\w-]+\)=$", text.split(f"({ref})=", 1)[1], maxsplit=1, flags=re.M)[0]
    blocks = re.findall(r"```text\n(.*?)```", section, re.S)
    return dict(_DEFAULT.findall("".join(blocks)))


@pytest.mark.parametrize("cls", PLAIN + CV_ESTIMATORS, ids=lambda c: c.__name__)
def test_documented_defaults_are_the_signature_defaults(cls):
    # Every "name : type, default=VALUE" line of the docstring, and of the shared entries'
    # page for the parameters the docstring points there (docs/parameters.md), against
    # __init__.
    signature = inspect.signature(cls.__init__).parameters
    documented = _DEFAULT.findall(inspect.getdoc(cls))
    shared = _shared_defaults(cls._doc_family.ref)
    pointed = [(name, shared[name]) for name in signature
               if name in shared and name not in dict(documented)]
    assert documented + pointed
    for name, text in documented + pointed:
        assert name in signature, f"{cls.__name__} documents {name}, not in __init__"
        assert ast.literal_eval(text.strip()) == signature[name].default, (
            f"{cls.__name__}: {name} documented default={text}, "
            f"__init__ has {signature[name].default!r}")
