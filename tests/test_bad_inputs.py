"""Bad and edge inputs over every public estimator: a finite result or a clear error, always.

Issue 18. Every class of ``mtlclassic.__all__`` with ``get_params`` (linear,
alternating, CV, neural), in both layouts (shared, ``task_column=None`` with
2-D Y; per-task, task id in the last column), against the table of
``_bad_inputs_cases.py``: the issue's reproducers (features scaled by 1e100,
1e150, 1e-100, 1e20; targets by 1e80; a task weight of 1e200, 1e300, 1e-200;
penalty strengths 1e-20 and 1e100; a task observed once) and the catalogue of
clear errors (NaN/inf, wrong lengths, bad task ids, an unknown task at
predict, one-class tasks, empty input, negative penalties, non-numeric,
complex and 3-D X, bad sample weights). Each case asserts:

- a finite result: every fitted attribute and every prediction finite; or
- a ``ValueError``/``TypeError`` whose message names the offending parameter,
  column or task (a keyword per case);
- inputs unmodified (compared with copies taken before ``fit``);
- no ``ConvergenceWarning`` reporting a NaN or infinite quantity.

Then Hypothesis draws the scales: feature exponents and target exponents in
[-100, 100], a task-weight exponent in [-200, 200]; two examples per estimator
and layout by default (profile ``bad-inputs``), 10 under ``-m slow``
(``bad-inputs-full``).

Size: 40 cases, 3,094 applicable (estimator, layout, case) triples, plus 92
drawn-scale tests; the default run takes about 100 s on two busy cores.
A failure reads ``<estimator>-<layout>-<case>: <what happened>: <detail>``.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator

from mtlclassic import neural
from mtlclassic.estimators import CLASSIFIERS, CV_ESTIMATORS, REGRESSORS
from _bad_inputs_cases import (CASES, ESTIMATORS, LAYOUTS, TW_KEYWORD, X_KEYWORD, Y_KEYWORD,
                               Case, Setup, classifier, data, features, has_task_weights,
                               make_estimator, run_case, table)

TABLE = table()

def _id(cls, layout, case):
    return f"{cls.__name__}-{layout}-{case.name}"


def _param(cls, layout, case):
    return pytest.param(cls, layout, case, id=_id(cls, layout, case))


@pytest.mark.parametrize("cls, layout, case", [_param(*row) for row in TABLE])
def test_bad_input(cls, layout, case):
    outcome = run_case(cls, layout, case)
    assert outcome.ok, f"{_id(cls, layout, case)}: {outcome.kind}: {outcome.detail}"


def test_table_covers_every_estimator_and_layout():
    """The table is not silently thin: every estimator, both layouts, the core cases each."""
    # an independent list of the public estimators: the package's registries
    listed = set(REGRESSORS + CLASSIFIERS + CV_ESTIMATORS)
    listed |= {getattr(neural, name) for name in neural.__all__}
    assert set(ESTIMATORS) == listed
    core = {"valid", "X_scale_1e100", "X_scale_1e150", "X_scale_1e-100", "strength_1e100", "X_nan",
            "empty", "negative_strength", "predict_n_features"}
    for cls in ESTIMATORS:
        for layout in LAYOUTS:
            names = {case.name for c, l, case in TABLE if c is cls and l == layout}
            assert core <= names, (cls.__name__, layout, core - names)
    assert {case.name for c, l, case in TABLE} == {case.name for case in CASES}


# -- the scales, drawn --------------------------------------------------------------------
# No shrinking and no example database: the default run stays bounded (a failing case is
# reported as drawn) and reproducible (derandomize); the full sweep draws more exponents.
settings.register_profile("bad-inputs", max_examples=2, deadline=None, derandomize=True,
                          database=None, phases=[Phase.explicit, Phase.generate],
                          suppress_health_check=[HealthCheck.too_slow])
# Derandomized too, so that CI is reproducible: a random draw found the CalibratedGroupLasso
# NaN below in one CI run of two (its draws are kept as known failures).
settings.register_profile("bad-inputs-full", max_examples=10, deadline=None, database=None,
                          derandomize=True,
                          phases=[Phase.explicit, Phase.generate],
                          suppress_health_check=[HealthCheck.too_slow])

EXPONENTS = dict(x=st.floats(-100, 100), y=st.floats(-100, 100), tw=st.floats(-200, 200))


def _scaled_case(x, y, tw):
    def build(cls, layout):
        X, Y = data(cls, layout)
        features(X, layout)[...] *= 10.0 ** x
        if not classifier(cls):
            Y = Y * 10.0 ** y
        params = {"task_weights": [1.0, 10.0 ** tw, 1.0]} if has_task_weights(cls) else {}
        return Setup(make_estimator(cls, layout, **params), X, Y)
    return Case(f"X * 1e{x:g}, Y * 1e{y:g}, task_weights[1] = 1e{tw:g}", "either", build,
                "|".join([X_KEYWORD, Y_KEYWORD, TW_KEYWORD]))


def _check_scales(cls, layout, x, y, tw):
    case = _scaled_case(x, y, tw)
    outcome = run_case(cls, layout, case)
    assert outcome.ok, f"{cls.__name__}-{layout} at {case.name}: {outcome.kind}: {outcome.detail}"


PAIRS = [pytest.param(cls, layout, id=f"{cls.__name__}-{layout}")
         for cls in ESTIMATORS for layout in LAYOUTS]


@pytest.mark.parametrize("cls, layout", PAIRS)
@settings(settings.get_profile("bad-inputs"))
@given(**EXPONENTS)
def test_scales_drawn(cls, layout, x, y, tw):
    _check_scales(cls, layout, x, y, tw)


@pytest.mark.slow
@pytest.mark.parametrize("cls, layout", PAIRS)
@settings(settings.get_profile("bad-inputs-full"))
@given(**EXPONENTS)
def test_scales_drawn_full(cls, layout, x, y, tw):
    _check_scales(cls, layout, x, y, tw)


# The draws that gave NaN: the multi-stage models' objective in the user's units, where the
# coefficients reach 1e200 (``0 * sum(W**2)``, the absent elastic term, was ``0 * inf``), and
# a gap rounded below zero in the solver's units, ``-inf`` in the user's (task weight 1e200).
STAGED = [pytest.param(cls, layout, id=f"{cls.__name__}-{layout}")
          for cls in ESTIMATORS for layout in LAYOUTS
          if cls.__name__ in ("CappedL1Regressor", "NonConvexFusedGroupLassoRegressor")]


@pytest.mark.parametrize("cls, layout", STAGED)
@pytest.mark.parametrize("x, y, tw", [(-100, 100, 0), (0, 100, 200), (-100, 100, 200)])
def test_staged_objectives_at_extreme_scales(cls, layout, x, y, tw):
    _check_scales(cls, layout, x, y, tw)


# Draws of a random run that gave a NaN duality gap for the calibrated (square-root) group lasso
# at extreme scales: coefficients of 1e155 squared to inf in ``||W[j]||`` and ``0 * ||W||^2``.
CALIBRATED_NAN = [
    pytest.param(cls, layout, x, y, tw, id=f"{cls}-{layout}-{x}-{y}-{tw}")
    for cls, layout, x, y, tw in [
        ("CalibratedGroupLassoRegressorCV", "per_task", -100.0, 54.88, -1.9),
        ("CalibratedGroupLassoRegressor", "shared", -78.935, 100.0, 195.2)]]


@pytest.mark.parametrize("cls, layout, x, y, tw", CALIBRATED_NAN)
def test_calibrated_group_lasso_at_drawn_extreme_scales(cls, layout, x, y, tw):
    _check_scales(next(c for c in ESTIMATORS if c.__name__ == cls), layout, x, y, tw)


# -- the table's own checks can fail --------------------------------------------------------
def test_checks_catch_nan_mutation_and_vague_errors():
    """The runner flags a NaN attribute, a mutated input and an error without the keyword."""
    class Bad(BaseEstimator):
        def __init__(self, mode="nan"):
            self.mode = mode

        def fit(self, X, y):
            if self.mode == "mutate":
                X[0, 0] = 1.0
            if self.mode == "vague":
                raise ValueError("something went wrong")
            if self.mode == "crash":
                raise np.linalg.LinAlgError("SVD did not converge")
            self.coef_ = np.array([np.nan])
            return self

        def predict(self, X):
            return np.zeros(len(X))

    X, y = np.zeros((4, 2)), np.zeros(4)
    either = Case("probe", "either", None, r"\bX\b")
    expected = dict(nan="NaN", mutate="mutated input", vague="wrong error",
                    crash="unclear error")
    for mode, kind in expected.items():
        out = run_case(Bad, "shared", either, Setup(Bad(mode), X.copy(), y))
        assert (out.ok, out.kind) == (False, kind), (mode, out)
    out = run_case(Bad, "shared", Case("probe", "error", None, r"\bX\b"),
                   Setup(Bad("nan"), X.copy(), y))
    assert (out.ok, out.kind) == (False, "no error")


def test_row_norms_finite_wherever_the_norm_is():
    """``row_norms`` equals numpy's norm in range and stays finite where the squares overflow."""
    from mtlclassic.estimators._terms import row_norms
    rng = np.random.default_rng(0)
    W = rng.standard_normal((5, 3))
    np.testing.assert_allclose(row_norms(W), np.linalg.norm(W, axis=1), rtol=1e-15)
    big = W * 1e200
    assert np.all(np.isinf(np.linalg.norm(big, axis=1)))  # what the old primal used
    np.testing.assert_allclose(row_norms(big) / 1e200, np.linalg.norm(W, axis=1), rtol=1e-14)
    assert row_norms(np.zeros((2, 3))).tolist() == [0.0, 0.0]
    assert np.isinf(row_norms(np.array([[np.inf, 1.0]])))[0]
