"""scikit-learn's estimator checks over every public estimator (default, shared layout)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from mtlclassic import GroupLassoClassifier, GroupLassoRegressor

ESTIMATORS = [GroupLassoRegressor(alpha=0.01), GroupLassoClassifier(alpha=0.01)]

# Checks declared as expected failures, each with a one-line reason (at most three).
# None is needed today: both estimators pass every check.
EXPECTED_FAILED = {}


def _expected_failed(estimator):
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed)
def test_sklearn_compatible(estimator, check):
    check(estimator)
