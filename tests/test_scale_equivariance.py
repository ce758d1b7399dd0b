"""Results do not depend on units: every linear single-solve estimator is scale-equivariant.

Fitting ``(c X, d Y)`` (``d = c`` for regression, ``d = 1`` for classification) with
task weights ``k tau`` describes the model of ``(X, Y, tau)`` in other units: with
``coef' = coef d / c`` and ``intercept' = d intercept`` the objective is ``d^2 k``
times the original when every penalty strength is rescaled by its degree in ``W``::

    degree 1 (norms: alpha, alpha_shared, ...):          times  c d k
    degree 2 (quadratic forms: l2_reg, lambda_*, ridge):  times  c^2 k

so regressors on ``(c X, c Y)`` take every strength times ``c^2``; classifiers on
``c X`` take ``alpha`` times ``c``, ``l2_reg`` (and the ridge, pooled, mean and graph
strengths) times ``c^2``, and their ``coef_`` is divided by ``c``. The oracle is the
package's own fit at unit scale mapped by these rules, which the derivation above fixes
independently of the package's rescaling code (which uses powers of two; the scales here
are not). The alternating and CV estimators are tested elsewhere.
"""

import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

import mtlclassic as m

N_PER_TASK, P, T = 14, 5, 3

# Each estimator family with strengths giving a nontrivial model at unit scale, and the
# degree in W of each strength (1: a norm, 2: a quadratic form).
FAMILIES = {
    "GroupLasso": (dict(alpha=0.05, l2_reg=0.01), dict(alpha=1, l2_reg=2)),
    "Lasso": (dict(alpha=0.02, l2_reg=0.01), dict(alpha=1, l2_reg=2)),
    "SparseGroupLasso": (dict(alpha=0.03, l1_ratio=0.4), dict(alpha=1)),
    "L1Inf": (dict(alpha=0.05), dict(alpha=1)),
    "TraceNorm": (dict(alpha=0.05, l2_reg=0.01), dict(alpha=1, l2_reg=2)),
    "Ridge": (dict(alpha=0.3), dict(alpha=2)),
    "Pooled": (dict(alpha=0.3), dict(alpha=2)),
    "DirtyModel": (dict(alpha_shared=0.05, alpha_sparse=0.03, l2_reg=0.01),
                   dict(alpha_shared=1, alpha_sparse=1, l2_reg=2)),
    "RobustMTFL": (dict(alpha_features=0.05, alpha_tasks=0.03, l2_reg=0.01),
                   dict(alpha_features=1, alpha_tasks=1, l2_reg=2)),
    "MeanRegularized": (dict(lambda_mean=0.5, lambda_l2=0.05), dict(lambda_mean=2, lambda_l2=2)),
    "GraphRegularized": (dict(lambda_graph=0.5, alpha=0.02, l2_reg=0.01),
                         dict(lambda_graph=2, alpha=1, l2_reg=2)),
}
LOSSES = {"squared": "Regressor", "logistic": "Classifier"}
CASES = [(family, loss) for family in FAMILIES for loss in LOSSES]
# The estimators with an alpha_max (W = 0 exactly above it): alpha_max's penalty name.
ALPHA_MAX = {"GroupLasso": "l21", "Lasso": "l1", "SparseGroupLasso": "sparse_group",
             "L1Inf": "l1inf", "TraceNorm": "trace"}

# Solved far below the default tol so that two fits of the same problem agree far below
# the tolerance of the comparison (the coefficients' error goes as the root of the gap).
TOL = {np.float64: 1e-14, np.float32: 1e-6}
# The graph model's prox is itself a row lasso solved to 1e-12: a tighter outer gap
# costs eight times the iterations and gains nothing (worst difference 2.8e-7 either way).
TOL_GRAPH = 1e-12
# float32 may stop on its rounding before TOL: fewer iterations spent finding that out.
MAX_ITER = {np.float64: 50000, np.float32: 3000}
# float32: solved to a relative gap of 1e-6 (near its rounding), which leaves about
# sqrt(1e-6) of relative error in the coefficients of either fit.
RTOL = {np.float64: 1e-6, np.float32: 5e-3}
# The linear predictor (intercepts included): ten times looser; a relative gap of 1e-14
# leaves about 1e-7 of error on either.
ITOL = {dtype: 10 * rtol for dtype, rtol in RTOL.items()}


def _cls(family, loss):
    return getattr(m, family + LOSSES[loss])


def _data(loss, layout, seed=0):
    """``(X, Y, tasks)`` at unit scale; ``tasks`` labels the rows (stacked layout) or None."""
    rng = np.random.default_rng(seed)
    n = N_PER_TASK * T
    X = rng.normal(size=(n, P))
    X[rng.random(size=X.shape) < 0.2] = 0.0  # some zeros, so that the sparse format is sparse
    B = rng.normal(size=(P, T))
    Z = X @ B + 0.5 * rng.normal(size=(n, T))
    if layout == "stacked":
        tasks = np.repeat(np.arange(T), N_PER_TASK)
        Z = Z[np.arange(n), tasks]
    else:
        tasks = None
    if loss == "logistic":
        Z = (Z + rng.normal(size=Z.shape) > 0).astype(np.float64)  # noisy: not separable
    return X, Z, tasks


def _fit(family, loss, layout, fmt, dtype, c=1.0, k=1.0, task_weights=(1.0, 2.0, 0.5)):
    """Fit at scale ``c`` (task weights times ``k``) with strengths mapped by their degree."""
    base, degrees = FAMILIES[family]
    params = dict(base)
    X, Y, tasks = _data(loss, layout)
    d = c if loss == "squared" else 1.0
    for name, degree in degrees.items():
        params[name] = params[name] * (c * d * k if degree == 1 else c * c * k)
    Xc = (X * c).astype(dtype)
    Yc = (Y * d).astype(dtype) if loss == "squared" else Y
    if layout == "stacked":
        Xc = np.column_stack([Xc, tasks.astype(dtype)])
    if fmt == "sparse":
        Xc = sp.csr_matrix(Xc)
    weights = None if task_weights is None else [k * w for w in task_weights]
    tol = TOL_GRAPH if family == "GraphRegularized" and dtype == np.float64 else TOL[dtype]
    est = _cls(family, loss)(**params, tol=tol, max_iter=MAX_ITER[dtype],
                             task_weights=weights,
                             task_column=None if layout == "shared" else -1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow, underflow, 0/0 in numpy
        warnings.simplefilter("ignore", ConvergenceWarning)  # the comparison judges
        est.fit(Xc, Yc)
    return est, d


def _rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


_REFERENCE = {}


def _reference(family, loss, layout, fmt, dtype):
    key = (family, loss, layout, fmt, dtype)
    if key not in _REFERENCE:
        _REFERENCE[key] = _fit(family, loss, layout, fmt, dtype)[0]
    return _REFERENCE[key]


def check_scale(family, loss, layout, fmt, dtype, c=1.0, k=1.0):
    """Relative differences of ``coef_`` and of the linear predictor at scale ``c`` (weights ``k``).

    The predictor ``X coef^T + intercept`` on the unit-scale features, rather than the
    intercepts alone, some of which are near zero.
    """
    ref = _reference(family, loss, layout, fmt, dtype)
    est, d = _fit(family, loss, layout, fmt, dtype, c=c, k=k)
    assert np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.intercept_))
    assert est.coef_.dtype == dtype
    coef = est.coef_.astype(np.float64) * (c / d)
    intercept = est.intercept_.astype(np.float64) / d
    X = _data(loss, layout)[0]
    return (_rel(coef, ref.coef_),
            _rel(X @ coef.T + intercept, X @ ref.coef_.T.astype(np.float64) + ref.intercept_))


def _log_scales(lo, hi):
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


# -- the property: every linear single-solve estimator, any scale ----------------------
def _property(examples):
    @pytest.mark.parametrize("family,loss", CASES)
    @settings(max_examples=examples, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(log_c=_log_scales(-100, 100), layout=st.sampled_from(["shared", "stacked"]),
           fmt=st.sampled_from(["dense", "sparse"]))
    def test(family, loss, log_c, layout, fmt):
        c = 10.0 ** log_c
        dc, di = check_scale(family, loss, layout, fmt, np.float64, c=c)
        assert dc <= RTOL[np.float64] and di <= ITOL[np.float64], (c, dc, di)

    return test


test_scale_equivariance = _property(3)
test_scale_equivariance_sweep = pytest.mark.slow(_property(25))


SLOW = pytest.mark.slow


@pytest.mark.parametrize("family,loss", CASES)
@pytest.mark.parametrize("c", [1e-100, 1e100, *(pytest.param(c, marks=SLOW)
                                                for c in (1e-30, 1e-6, 1e6, 1e30))])
def test_extreme_scales_shared_dense(family, loss, c):
    """The ends of the range, and inside and just outside the band left unscaled."""
    dc, di = check_scale(family, loss, "shared", "dense", np.float64, c=c)
    assert dc <= RTOL[np.float64] and di <= ITOL[np.float64], (dc, di)


@pytest.mark.parametrize("family,loss", CASES)
@pytest.mark.parametrize("c", [1e-30, 1e30])
@pytest.mark.parametrize("layout,fmt", [("stacked", "sparse"),
                                        pytest.param("shared", "dense", marks=SLOW)])
def test_float32_scales(family, loss, c, layout, fmt):
    """float32 (range 1e+-38): X * 1e30 neither overflows in the solver nor loses its type."""
    dc, di = check_scale(family, loss, layout, fmt, np.float32, c=c)
    assert dc <= RTOL[np.float32] and di <= ITOL[np.float32], (dc, di)


@pytest.mark.parametrize("family,loss", CASES)
@pytest.mark.parametrize("k", [1e-200, 1e200, *(pytest.param(k, marks=SLOW) for k in (1e-50, 1e50))])
def test_task_weight_scales(family, loss, k):
    """Task weights ``k tau`` with every strength times ``k``: the model of ``tau``."""
    dc, di = check_scale(family, loss, "shared", "dense", np.float64, k=k)
    assert dc <= RTOL[np.float64] and di <= ITOL[np.float64], (dc, di)


# -- the zero solution is exact at every scale ------------------------------------------
@pytest.mark.parametrize("family", sorted(ALPHA_MAX))
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("c", [1e-100, 1.0, 1e80, 1e100])
def test_zero_solution_at_alpha_max(family, loss, c):
    """``W = 0`` above ``alpha_max``, a nonzero model just below it, ``alpha_max`` equivariant."""
    X, Y, _ = _data(loss, "shared")
    d = c if loss == "squared" else 1.0
    Xc, Yc = X * c, (Y * d if loss == "squared" else Y)
    kwargs = dict(l1_ratio=0.4) if family == "SparseGroupLasso" else {}
    top = m.alpha_max(Xc, Yc, penalty=ALPHA_MAX[family], loss=loss, **kwargs)
    unit = m.alpha_max(X, Y, penalty=ALPHA_MAX[family], loss=loss, **kwargs)
    assert math.isclose(top, unit * c * d, rel_tol=1e-12)
    cls = _cls(family, loss)
    above = cls(alpha=top * (1 + 1e-6), **kwargs).fit(Xc, Yc)
    assert not np.any(above.coef_) and above.n_iter_ == 0
    assert np.allclose(above.intercept_ / d,
                       cls(alpha=unit * 2, **kwargs).fit(X, Y).intercept_, rtol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Solved tightly: W = 0 is within a loose tolerance of this (tiny) solution.
        below = cls(alpha=top * (1 - 1e-3), tol=1e-12, **kwargs).fit(Xc, Yc)
    assert np.any(below.coef_)


# -- the reproducers of issue 18 ---------------------------------------------------------
def _issue_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5))
    Y = X @ rng.normal(size=(5, 3))
    return X, Y, (Y > 0) * 1.0


def _strict_fit(est, X, Y):
    """Fit with numpy's floating-point warnings as errors; ConvergenceWarnings returned."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", RuntimeWarning)
        est.fit(X, Y)
    assert np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.intercept_))
    assert np.isfinite(est.dual_gap_)
    return [w for w in caught if issubclass(w.category, ConvergenceWarning)]


CLASSIFIERS_1E150 = ["GroupLassoClassifier", "LassoClassifier", "L1InfClassifier",
                     "SparseGroupLassoClassifier", "DirtyModelClassifier",
                     "RobustMTFLClassifier", "GraphRegularizedClassifier"]
REGRESSORS_1E100 = ["DirtyModelRegressor", "RobustMTFLRegressor", "MeanRegularizedRegressor",
                    "GraphRegularizedRegressor", "TraceNormRegressor"]


def _strengths(est):
    return {name: value for name, value in est.get_params().items()
            if name.startswith(("alpha", "lambda", "l2_reg"))}


@pytest.mark.parametrize("name", CLASSIFIERS_1E150)
def test_classifiers_at_1e150(name):
    """Finite (the labels are separable and alpha negligible at this scale: the fit may
    warn that it did not converge, which is true), and with alpha scaled, the unit fit."""
    X, _, Yc = _issue_data()
    _strict_fit(getattr(m, name)(), X * 1e150, Yc)
    family = name[:-len("Classifier")]
    unit = _fit(family, "logistic", "shared", "dense", np.float64, task_weights=None)[0]
    scaled = _fit(family, "logistic", "shared", "dense", np.float64, c=1e150,
                  task_weights=None)[0]
    assert _rel(scaled.coef_ * 1e150, unit.coef_) <= RTOL[np.float64]


@pytest.mark.parametrize("name", REGRESSORS_1E100)
def test_regressors_at_1e100(name):
    """``(X 1e100, Y)`` is ``(X, Y)`` with ``coef_ / 1e100`` and degree-1 strengths times
    1e-100, degree-2 times 1e-200 (``c = 1e100``, ``d = 1``): nearly unpenalised."""
    X, Y, _ = _issue_data()
    est = getattr(m, name)(tol=1e-12, max_iter=20000)
    _strict_fit(est, X * 1e100, Y)
    family = name[:-len("Regressor")]
    degrees = FAMILIES[family][1]
    params = {key: value * (1e-100 if degrees[key] == 1 else 1e-200)
              for key, value in _strengths(est).items() if key in degrees}
    unit = getattr(m, name)(**params, tol=1e-12, max_iter=20000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        unit.fit(X, Y)
    assert _rel(est.coef_ * 1e100, unit.coef_) <= RTOL[np.float64]
    assert _rel(est.predict(X * 1e100), unit.predict(X)) <= RTOL[np.float64]


@pytest.mark.parametrize("name", ["DirtyModelRegressor", "RobustMTFLRegressor",
                                  "MeanRegularizedRegressor", "GraphRegularizedRegressor",
                                  "SparseGroupLassoRegressor", "TraceNormRegressor"])
@pytest.mark.parametrize("weight", [1e200, 1e300])
def test_huge_task_weight(name, weight):
    """``task_weights=[1, w, 1]``: finite, and the model of ``[1/w, 1, 1/w]`` with every
    strength divided by ``w`` (the same problem in other units)."""
    X, Y, _ = _issue_data()
    params = dict(alpha=0.05) if name.startswith("SparseGroup") else {}
    est = getattr(m, name)(**params, task_weights=[1, weight, 1])
    _strict_fit(est, X, Y)
    normalised = getattr(m, name)(**{key: value / weight
                                     for key, value in _strengths(est).items()},
                                  task_weights=[1 / weight, 1, 1 / weight])
    _strict_fit(normalised, X, Y)
    assert _rel(est.coef_, normalised.coef_) <= RTOL[np.float64]


def test_sparse_group_at_1e80():
    """It used to stop at W = 0 with a zero gap (the dual norm overflowed)."""
    X, Y, _ = _issue_data()
    est = m.SparseGroupLassoRegressor(alpha=0.05 * 1e160, tol=1e-12).fit(X * 1e80, Y * 1e80)
    unit = m.SparseGroupLassoRegressor(alpha=0.05, tol=1e-12).fit(X, Y)
    assert est.n_iter_ > 0 and _rel(est.coef_, unit.coef_) <= RTOL[np.float64]
    raw = m.SparseGroupLassoRegressor(alpha=0.05)
    assert not _strict_fit(raw, X * 1e80, Y * 1e80)
    assert raw.score(X * 1e80, Y * 1e80) > 0.99


def test_l1inf_tiny_alpha_fits():
    """alpha far below the rounding of the weights: the l1-ball projection keeps rho >= 1."""
    X, Y, _ = _issue_data()
    est = m.L1InfRegressor(alpha=1e-20)
    assert not _strict_fit(est, X, Y)
    assert est.score(X, Y) > 0.99
    fista = m.L1InfRegressor(alpha=1e-20, solver="fista", tol=1e-10).fit(X, Y)
    assert _rel(est.coef_, fista.coef_) <= 1e-6


def test_sparse_group_huge_task_weight_no_attribute_error():
    X, Y, _ = _issue_data()
    est = m.SparseGroupLassoRegressor(alpha=0.05, task_weights=[1, 1e200, 1])
    _strict_fit(est, X, Y)


@pytest.mark.parametrize("case", ["x1e100", "weight1e200"])
def test_trace_norm_no_linalg_error(case):
    X, Y, _ = _issue_data()
    if case == "x1e100":
        _strict_fit(m.TraceNormRegressor(), X * 1e100, Y)
    else:
        _strict_fit(m.TraceNormRegressor(task_weights=[1, 1e200, 1]), X, Y)


def test_unit_scale_untouched():
    """Data within the band is solved as given: no rescaled copy of X is made."""
    X, Y, _ = _issue_data()
    est = m.GroupLassoRegressor()
    data = est._prepare(X * 1e5, Y * 1e-5, None)[0]
    assert data.scaling.identity
    data = est._prepare(X * 1e7, Y, None)[0]
    assert data.scaling.x > 0 and data.scaling.y == 0 and data.scaling.t == 0
    assert 0.5 <= np.max(np.abs(data.X)) < 1


@pytest.mark.parametrize("name", ["RidgeClassifier", "PooledClassifier"])
@pytest.mark.parametrize("case", ["x1e100", "x1e150", "weight1e300"])
def test_logistic_ridge_nearly_unregularised(name, case):
    """A rescaled ridge of ~1e-200: it used to give ``coef_ = 0`` with ``dual_gap_ = -inf``
    (the conjugate ``||V||^2 / (2 l2_reg)`` overflowed). Now a model that separates the
    training labels, with a finite, nonnegative gap."""
    X, _, Yc = _issue_data()
    if case == "weight1e300":
        est = getattr(m, name)(task_weights=[1, 1e300, 1])
        _strict_fit(est, X, Yc)
        assert np.abs(est.coef_).max() > 0 and est.dual_gap_ >= 0
        return
    c = 1e100 if case == "x1e100" else 1e150
    est = getattr(m, name)()
    _strict_fit(est, X * c, Yc)
    assert est.dual_gap_ >= 0
    unit = getattr(m, name)().fit(X, Yc)
    # Effectively unpenalised: it fits the training labels at least as well as alpha = 1 does.
    assert est.score(X * c, Yc) >= unit.score(X, Yc)
    assert np.abs(est.coef_).max() * c > np.abs(unit.coef_).max()


@pytest.mark.parametrize("tw", [[1.0, 1e30, 1.0], [1e300] * 3, [1e-40, 3e-40, 1e-39]])
def test_float32_task_weights_beyond_its_range(tw):
    """Task weights outside float32's range (or near it) on float32 data: the model of the
    float64 fit (they are normalised in float64 before the cast; they used to become inf)."""
    X, Y, _ = _issue_data()
    est32 = m.GroupLassoRegressor(alpha=0.05, task_weights=tw, tol=1e-8)
    _strict_fit(est32, X.astype(np.float32), Y.astype(np.float32))
    est64 = m.GroupLassoRegressor(alpha=0.05, task_weights=tw, tol=1e-8).fit(X, Y)
    assert est32.coef_.dtype == np.float32
    assert _rel(est32.coef_, est64.coef_) <= 1e-4


def test_float32_task_weights_wider_than_float32_is_a_clear_error():
    X, Y, _ = _issue_data()
    with pytest.raises(ValueError, match="task_weights span .* float32"):
        m.GroupLassoRegressor(task_weights=[1, 1e300, 1]).fit(X.astype(np.float32),
                                                               Y.astype(np.float32))


@pytest.mark.parametrize("d", [1e-300, 1e300])
def test_score_is_unit_free(d):
    """R^2 of targets near 1e300 used to be NaN (the residuals' squares overflowed)."""
    X, Y, _ = _issue_data()
    unit = m.GroupLassoRegressor(alpha=0.05).fit(X, Y)
    scaled = m.GroupLassoRegressor(alpha=0.05 * d).fit(X, Y * d)  # a norm: degree 1 in Y
    assert scaled.score(X, Y * d) == pytest.approx(unit.score(X, Y), rel=1e-9)
