"""The alternating task-structure models at extreme scales: finite fits or one clear error.

Issue 18's reproducers (``X * 1e100``, a task weight of ``1e300``) gave a raw
``LinAlgError`` ("Eigenvalues did not converge"), graphical-lasso messages
that blamed "Input X" for an internal matrix, and a NaN ``objective_``. Here:
every fit ends finite or with a ``ValueError`` that names the step; the
structure steps are scale-covariant, so they are computed in units where
``W W^T`` cannot overflow; the objective is tracked in the units of the
rescaled problem and reported in the user's.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from mtlclassic import (ClusteredTaskClassifier, ClusteredTaskRegressor,
                        SparseTaskGraphClassifier, SparseTaskGraphRegressor,
                        TaskRelationClassifier, TaskRelationRegressor)
from mtlclassic.estimators.clustered import cluster_structure
from mtlclassic.estimators.sparse_task_graph import task_precision
from mtlclassic.estimators.task_relation import mtrl_covariance

REGRESSORS = (TaskRelationRegressor, ClusteredTaskRegressor, SparseTaskGraphRegressor)
CLASSIFIERS = (TaskRelationClassifier, ClusteredTaskClassifier, SparseTaskGraphClassifier)
# Each regressor's strengths that multiply degree-2 terms of W (every penalty term here is
# quadratic in W, or inside SparseTaskGraph's bracket, whose other terms W does not scale).
STRENGTHS = {TaskRelationRegressor: ("lambda_1", "lambda_2"),
             ClusteredTaskRegressor: ("lambda_cluster", "lambda_l2"),
             SparseTaskGraphRegressor: ("lambda_task", "l2_reg")}


@pytest.fixture(scope="module")
def problem():
    """The issue's reproducer data: 40 rows, 5 features, 3 tasks."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5))
    Y = X @ rng.normal(size=(5, 3))
    return X, Y, (Y > 0) * 1.0


def _fitted_arrays(est):
    return {k: v for k, v in vars(est).items()
            if k.endswith("_") and isinstance(v, np.ndarray) and v.dtype.kind == "f"}


def _fit_finite_or_clear(est, X, y):
    """Fit on copies; assert the inputs unchanged and a finite fit (returns the estimator)."""
    X0, y0 = X.copy(), y.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    bad = [k for k, v in _fitted_arrays(est).items() if not np.all(np.isfinite(v))]
    assert not bad, f"{type(est).__name__}: non-finite {bad}"
    assert np.isfinite(est.dual_gap_)
    return est


@pytest.mark.parametrize("cls", REGRESSORS)
@pytest.mark.parametrize("case", ["X*1e100", "weight 1e300", "Y*1e100"])
def test_regressor_reproducers_fit_finite(problem, cls, case):
    # Before: LinAlgError "Eigenvalues did not converge" (TaskRelation, ClusteredTask) and
    # "Input X contains NaN. GraphicalLasso ..." (SparseTaskGraph) for X*1e100 and the weight.
    X, Y, _ = problem
    if case == "X*1e100":
        est = _fit_finite_or_clear(cls(), X * 1e100, Y)
        # The coefficients carry the features' unit: 1e-100 times those of a plain fit.
        assert 0 < np.abs(est.coef_).max() < 1e-98
    elif case == "weight 1e300":
        _fit_finite_or_clear(cls(task_weights=[1, 1e300, 1]), X, Y)
    else:  # W W^T of ~1e200 entries: beyond float64 when formed as it is
        est = _fit_finite_or_clear(cls(), X, Y * 1e100)
        assert np.abs(est.coef_).max() > 1e99


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_classifier_heavy_task_weight_fits_finite(problem, cls):
    # Before: ClusteredTaskClassifier's objective_ NaN ("lowered the objective by nan"),
    # TaskRelationClassifier "M must be finite", SparseTaskGraphClassifier "Input X contains
    # infinity". Three alternations are enough to show each step stays finite.
    X, _, Yc = problem
    _fit_finite_or_clear(cls(task_weights=[1, 1e300, 1], max_iter=3, max_inner_iter=300), X, Yc)


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_classifier_huge_features_fit_finite(problem, cls):
    # Before: LinAlgError from SparseTaskGraphClassifier at X * 1e100 and X * 1e150.
    X, _, Yc = problem
    est = _fit_finite_or_clear(cls(max_iter=3, max_inner_iter=300), X * 1e150, Yc)
    assert 0 < np.abs(est.coef_).max() < 1e-140



@pytest.mark.parametrize("cls", REGRESSORS)
@pytest.mark.parametrize("c", [2.0 ** -120, 3e-40, 7e35, 2.0 ** 150])
def test_regressors_scale_equivariant(problem, cls, c):
    """``(c X, c Y)`` with every strength times ``c^2`` is the same model (and ``J`` times ``c^2``).

    The W-steps see a rescaled problem, the structure steps the user's ``W``,
    the stopping rule the rescaled objective: a unit slip anywhere (a penalty
    added to a datafit in other units) changes the alternation's path.
    """
    X, Y, _ = problem
    params = dict(tol=1e-8)
    ref = _fit_finite_or_clear(cls(**params), X, Y)
    scaled = {k: getattr(ref, k) * c * c for k in STRENGTHS[cls]}
    est = _fit_finite_or_clear(cls(**params, **scaled), c * X, c * Y)
    # The rescaled problems differ by rounding (the unit-scale one is not rescaled at all),
    # which the alternation's stopping rule (a relative decrease of J below tol) resolves
    # to about 1e-5.
    rtol = 1e-4
    scale = np.abs(ref.coef_).max()
    assert np.abs(est.coef_ - ref.coef_).max() <= rtol * scale
    np.testing.assert_allclose(est.intercept_ / c, ref.intercept_, rtol=0,
                               atol=rtol * np.abs(Y).max())
    np.testing.assert_allclose(est.objective_[-1], c * c * ref.objective_[-1], rtol=rtol)


@pytest.mark.parametrize("cls", REGRESSORS)
@pytest.mark.parametrize("k", [
    2.0 ** 600, 1e200, 1e-200])
def test_task_weights_scale_out(problem, cls, k):
    """Task weights times ``k`` and strengths times ``k`` give the same model."""
    X, Y, _ = problem
    tw = np.array([1.0, 3.0, 0.5])
    ref = _fit_finite_or_clear(cls(task_weights=tw, tol=1e-8), X, Y)
    scaled = {name: getattr(ref, name) * k for name in STRENGTHS[cls]}
    est = _fit_finite_or_clear(cls(task_weights=tw * k, tol=1e-8, **scaled), X, Y)
    rtol = 1e-4
    assert np.abs(est.coef_ - ref.coef_).max() <= rtol * np.abs(ref.coef_).max()
    np.testing.assert_allclose(est.objective_[-1], k * ref.objective_[-1], rtol=rtol)


# -- the structure steps on their own -----------------------------------------------------
@pytest.fixture(scope="module")
def coef():
    return np.random.default_rng(1).normal(size=(4, 6))


@pytest.mark.parametrize("c", [2.0 ** 500, 1e200, 1e-200])
def test_structure_steps_are_scale_covariant(coef, c):
    # Omega(cW, eps c^2) = Omega(W, eps); M(cW) = M(W);
    # Theta(cW, alpha c^2, eps c^2) = Theta(W, alpha, eps) / c^2.
    # At c = 1e200 the plain W W^T is inf: before, eigh raised LinAlgError.
    np.testing.assert_allclose(cluster_structure(c * coef, 2, 0.1),
                               cluster_structure(coef, 2, 0.1), rtol=1e-9, atol=1e-12)
    if np.finfo(np.float64).tiny < 1e-3 * c * c < np.finfo(np.float64).max:
        np.testing.assert_allclose(mtrl_covariance(c * coef, 1e-3 * c * c),
                                   mtrl_covariance(coef, 1e-3), rtol=1e-9, atol=1e-12)
        ref = task_precision(coef, 0.05, 1e-3, tol=1e-10)
        got = task_precision(c * coef, 0.05 * c * c, 1e-3 * c * c, tol=1e-10)
        np.testing.assert_allclose(got * c * c, ref, rtol=1e-6, atol=1e-9 * np.abs(ref).max())


def test_structure_steps_finite_for_huge_coefficients(coef):
    """``max |W| ~ 1e300``: ``W W^T`` overflows as it is, the structures do not."""
    W = coef * 1e300
    omega = mtrl_covariance(W, 1e-3)
    assert np.all(np.isfinite(omega)) and abs(np.trace(omega) - 1) < 1e-12
    M = cluster_structure(W, 2, 0.1)
    assert np.all(np.isfinite(M)) and abs(np.trace(M) - 2) < 1e-9
    # Theta ~ 1 / max|W|^2 = 1e-600 is below float64: a clear error, not a zero matrix.
    with pytest.raises(ValueError, match=r"^the task precision step \(graphical lasso\) "
                                         r"underflowed"):
        task_precision(W, 0.1, 1e-6)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_structure_steps_name_themselves_on_non_finite_coefficients(coef, bad):
    W = coef.copy()
    W[1, 2] = bad
    for step, call in (("task covariance step", lambda: mtrl_covariance(W, 1e-3)),
                       ("cluster structure step", lambda: cluster_structure(W, 2, 0.1)),
                       ("task precision step (graphical lasso)",
                        lambda: task_precision(W, 0.1, 1e-6))):
        with pytest.raises(ValueError, match=r"^the " + step.replace("(", r"\(")
                           .replace(")", r"\)")) as info:
            call()
        assert "Input X" not in str(info.value) and "\n" not in str(info.value)
