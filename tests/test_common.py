"""scikit-learn's estimator checks over every public estimator (default, shared layout)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from mtlclassic import (DirtyModelClassifier, DirtyModelRegressor, GroupLassoClassifier,
                        GroupLassoRegressor, L1InfClassifier, L1InfRegressor, LassoClassifier,
                        LassoRegressor, PooledClassifier, PooledRegressor, RidgeClassifier,
                        RidgeRegressor, RobustMTFLClassifier, RobustMTFLRegressor,
                        SparseGroupLassoClassifier, SparseGroupLassoRegressor,
                        TraceNormClassifier, TraceNormRegressor)

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

# Checks declared as expected failures, each with a one-line reason (at most three).
# None is needed today: every estimator passes every check.
EXPECTED_FAILED = {}


def _expected_failed(estimator):
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed)
def test_sklearn_compatible(estimator, check):
    check(estimator)
