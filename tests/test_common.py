"""scikit-learn's estimator checks over every public estimator (default, shared layout)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from mtlclassic import (DirtyModelClassifier, DirtyModelRegressor, GroupLassoClassifier,
                        GroupLassoClassifierCV, GroupLassoRegressor, GroupLassoRegressorCV,
                        L1InfClassifier, L1InfClassifierCV, L1InfRegressor, L1InfRegressorCV,
                        LassoClassifier, LassoClassifierCV, LassoRegressor, LassoRegressorCV,
                        PooledClassifier, PooledRegressor, RidgeClassifier, RidgeRegressor,
                        RobustMTFLClassifier, RobustMTFLRegressor, SparseGroupLassoClassifier,
                        SparseGroupLassoClassifierCV, SparseGroupLassoRegressor,
                        SparseGroupLassoRegressorCV, TraceNormClassifier, TraceNormClassifierCV,
                        TraceNormRegressor, TraceNormRegressorCV)

# Small penalties: the checks need models that fit their toy data.
ESTIMATORS = [
    GroupLassoRegressor(alpha=0.01), GroupLassoClassifier(alpha=0.01),
    LassoRegressor(alpha=0.01), LassoClassifier(alpha=0.01),
    RidgeRegressor(alpha=0.01), RidgeClassifier(alpha=0.01),
    PooledRegressor(alpha=0.01), PooledClassifier(alpha=0.01),
    SparseGroupLassoRegressor(alpha=0.01), SparseGroupLassoClassifier(alpha=0.01),
    L1InfRegressor(alpha=0.01), L1InfClassifier(alpha=0.01),
    DirtyModelRegressor(alpha_shared=0.01, alpha_sparse=0.01),
    DirtyModelClassifier(alpha_shared=0.01, alpha_sparse=0.01),
    TraceNormRegressor(alpha=0.01), TraceNormClassifier(alpha=0.01),
    RobustMTFLRegressor(alpha_features=0.01, alpha_tasks=0.01),
    RobustMTFLClassifier(alpha_features=0.01, alpha_tasks=0.01),
]
# Cross-validated estimators: a short grid, 2 folds, loose tol (the checks fit tiny data often).
_CV = dict(n_alphas=3, eps=0.1, cv=2, tol=1e-3)
ESTIMATORS += [
    GroupLassoRegressorCV(**_CV), GroupLassoClassifierCV(**_CV),
    LassoRegressorCV(**_CV), LassoClassifierCV(**_CV),
    SparseGroupLassoRegressorCV(l1_ratio=[0.2, 0.8], **_CV),
    SparseGroupLassoClassifierCV(**_CV),
    L1InfRegressorCV(**_CV), L1InfClassifierCV(**_CV),
    TraceNormRegressorCV(**_CV), TraceNormClassifierCV(**_CV),
]

# Checks declared as expected failures, each with a one-line reason (at most three).
# None is needed today: every estimator passes every check.
EXPECTED_FAILED = {}


def _expected_failed(estimator):
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed)
def test_sklearn_compatible(estimator, check):
    check(estimator)
