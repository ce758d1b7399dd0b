"""scikit-learn's estimator checks over every public estimator (default, shared layout)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from mtlclassic import GroupLassoClassifier, GroupLassoRegressor

ESTIMATORS = [GroupLassoRegressor(alpha=0.01), GroupLassoClassifier(alpha=0.01)]

# Each expected failure carries its reason; keep this list at most three long.
EXPECTED_FAILED = {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILED.get(type(est).__name__, {}))
def test_sklearn_compatible(estimator, check):
    check(estimator)
