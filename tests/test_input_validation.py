"""Input handling: bad input is a ValueError whose message names the problem.

Also: inputs are never modified, dtypes (float32, int) and sparse formats are
handled in both layouts, and non-convergence warns with the gap reached.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from mtlclassic import GroupLassoClassifier, GroupLassoRegressor
from mtlclassic.datasets import make_multitask_classification, make_multitask_regression

TIGHT = dict(tol=1e-12, max_iter=20000)
ESTIMATORS = [GroupLassoRegressor, GroupLassoClassifier]


def _shared(kind="regression"):
    make = make_multitask_regression if kind == "regression" else make_multitask_classification
    X, Y, _ = make(n_samples=30, n_features=5, n_tasks=3, n_shared=2, random_state=0)
    return X, Y


def _per_task(kind="regression"):
    make = make_multitask_regression if kind == "regression" else make_multitask_classification
    X, y, _ = make(n_samples=[10, 12, 14], n_features=5, n_tasks=3, n_shared=2,
                   layout="per_task", random_state=1)
    return X, y


def _data(est_cls, layout):
    kind = "regression" if est_cls is GroupLassoRegressor else "classification"
    if layout == "shared":
        X, Y = _shared(kind)
        return est_cls(alpha=0.01), X, Y
    X, y = _per_task(kind)
    return est_cls(alpha=0.01, task_column=-1), X, y


LAYOUTS = ["shared", "per_task"]


# ---------------------------------------------------------------------------
# Non-finite values
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("est_cls", ESTIMATORS)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("value, match", [(np.nan, r"X contains NaN"),
                                          (np.inf, r"X contains infinity")])
def test_non_finite_X_fit_and_predict(est_cls, layout, value, match):
    est, X, y = _data(est_cls, layout)
    Xbad = X.copy()
    Xbad[3, 1] = value
    with pytest.raises(ValueError, match=match):
        est.fit(Xbad, y)
    est.fit(X, y)
    with pytest.raises(ValueError, match=match):
        est.predict(Xbad)
    with pytest.raises(ValueError, match=match):
        est.fit(sp.csr_matrix(Xbad), y)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_nan_in_1d_y(layout):
    if layout == "shared":
        X, Y = _shared()
        y, est = Y[:, 0].copy(), GroupLassoRegressor()
    else:
        (X, y), est = _per_task(), GroupLassoRegressor(task_column=-1)
        y = y.copy()
    y[2] = np.nan
    with pytest.raises(ValueError, match=r"y contains NaN.*2-D Y"):
        est.fit(X, y)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_inf_in_y(layout, value):
    est, X, y = _data(GroupLassoRegressor, layout)
    y = y.astype(float)
    y.flat[4] = value
    with pytest.raises(ValueError, match=r"y contains infinite"):
        est.fit(X, y)


# ---------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("est_cls", ESTIMATORS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_shapes_that_disagree(est_cls, layout):
    est, X, y = _data(est_cls, layout)
    n = X.shape[0]
    with pytest.raises(ValueError, match=rf"X has {n} samples but y has {n - 1}"):
        est.fit(X, y[:-1])
    with pytest.raises(ValueError, match=rf"sample_weight must be of shape \({n},\).*\(3,\)"):
        est.fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError,
                       match=r"task_weights must have one value per task \(3\).*\(2,\)"):
        est.set_params(task_weights=[1.0, 2.0]).fit(X, y)


def test_y_too_many_dimensions():
    X, Y = _shared()
    with pytest.raises(ValueError, match=r"y must be 1-D or 2-D"):
        GroupLassoRegressor().fit(X, Y[:, :, None])
    Xp, yp = _per_task()
    with pytest.raises(ValueError, match=r"y must be 1-D, got shape"):
        GroupLassoRegressor(task_column=-1).fit(Xp, np.c_[yp, yp])


@pytest.mark.parametrize("est_cls", ESTIMATORS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_wrong_number_of_features_at_predict(est_cls, layout):
    est, X, y = _data(est_cls, layout)
    est.fit(X, y)
    p = X.shape[1]
    with pytest.raises(ValueError, match=rf"X has {p - 1} features.*expecting {p} features"):
        est.predict(X[:, :-1])
    with pytest.raises(ValueError, match=rf"X has {p + 1} features.*expecting {p} features"):
        est.predict(np.c_[X, X[:, :1]])


# ---------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("est_cls", ESTIMATORS)
@pytest.mark.parametrize("params, match", [
    (dict(alpha=-0.1), r"alpha must be a finite number >= 0.*-0\.1"),
    (dict(alpha=np.nan), r"alpha must be a finite number >= 0.*nan"),
    (dict(alpha=np.inf), r"alpha must be a finite number >= 0.*inf"),
    (dict(tol=0.0), r"tol must be > 0"),
    (dict(tol=-1e-4), r"tol must be > 0"),
    (dict(max_iter=0), r"max_iter must be an int >= 1.*0"),
    (dict(solver="newton"), r"solver must be 'auto' or one of.*'newton'"),
])
def test_bad_parameters(est_cls, params, match):
    est, X, y = _data(est_cls, "shared")
    with pytest.raises(ValueError, match=match):
        est.set_params(**params).fit(X, y)


def test_bcd_solver_with_classifier():
    X, Y = _shared("classification")
    with pytest.raises(ValueError, match=r"solver='bcd' supports the squared loss only"):
        GroupLassoClassifier(solver="bcd").fit(X, Y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_alpha_zero_is_allowed():
    X, Y = _shared()
    m = GroupLassoRegressor(alpha=0.0, max_iter=50).fit(X, Y)
    assert np.all(m.coef_ != 0)


# ---------------------------------------------------------------------------
# Tasks without samples, the task column
# ---------------------------------------------------------------------------


def test_task_with_all_missing_targets():
    X, Y = _shared()
    Y = Y.copy()
    Y[:, 1] = np.nan
    with pytest.raises(ValueError, match=r"Task\(s\) \[1\] have no samples.*missing"):
        GroupLassoRegressor().fit(X, Y)


def test_task_with_all_zero_sample_weights():
    X, Y = _shared()
    sw = np.ones(X.shape[0])
    Y = Y.copy()
    Y[: X.shape[0] // 2, 2] = np.nan  # task 2 observed only where the weights are zero
    sw[X.shape[0] // 2:] = 0.0
    with pytest.raises(ValueError, match=r"Task\(s\) \[2\] have no samples.*zero sample_weight"):
        GroupLassoRegressor().fit(X, Y, sample_weight=sw)

    Xp, yp = _per_task()
    sw = np.where(Xp[:, -1] == 1, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"Task\(s\) \[1\] have no samples with positive "
                                         r"sample_weight"):
        GroupLassoRegressor(task_column=-1).fit(Xp, yp, sample_weight=sw)


@pytest.mark.parametrize("est_cls", ESTIMATORS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_zero_task_weight(est_cls, layout):
    """A zero weight would leave a task undetermined: rejected, naming task_weights."""
    est, X, y = _data(est_cls, layout)
    est.set_params(task_weights=[1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"task_weights must be positive.*\[1\]"):
        est.fit(X, y)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_task_column_non_finite(value):
    X, y = _per_task()
    X = X.copy()
    X[5, -1] = value
    with pytest.raises(ValueError, match=r"task column holds NaN or infinite"):
        GroupLassoRegressor(task_column=-1).fit(X, y)


def test_task_column_missing_in_dataframe():
    X, y = _per_task()
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1] - 1)] + ["task"])
    df["task"] = np.array(["a", "b", "c"])[X[:, -1].astype(int)]
    df = df.astype({"task": object})
    df.loc[3, "task"] = None
    with pytest.raises(ValueError, match=r"task column holds missing values"):
        GroupLassoRegressor(task_column="task").fit(df, y)


def test_task_column_pd_na_in_string_dtype():
    X, y = _per_task()
    df = pd.DataFrame(X[:, :-1], columns=[f"f{j}" for j in range(X.shape[1] - 1)])
    df["task"] = pd.array(np.array(["a", "b", "c"])[X[:, -1].astype(int)], dtype="string")
    df.loc[3, "task"] = pd.NA
    with pytest.raises(ValueError, match=r"task column holds missing values"):
        GroupLassoRegressor(task_column="task").fit(df, y)


def test_task_column_non_integer():
    X, y = _per_task()
    X = X.copy()
    X[5, -1] = 2.5
    with pytest.raises(ValueError, match=r"task column holds non-integer values"):
        GroupLassoRegressor(task_column=-1).fit(X, y)
    model = GroupLassoRegressor(task_column=-1).fit(*_per_task())
    with pytest.raises(ValueError, match=r"task column holds non-integer values"):
        model.predict(X)


@pytest.mark.parametrize("task_column", [6, 100, -7])
def test_task_column_out_of_range(task_column):
    X, y = _per_task()
    with pytest.raises(ValueError, match=rf"task_column={task_column} is out of range.*6 columns"):
        GroupLassoRegressor(task_column=task_column).fit(X, y)


def test_task_column_name_with_numpy_X():
    X, y = _per_task()
    with pytest.raises(ValueError, match=r"task_column='task' is a column name, but X is not a "
                                         r"DataFrame"):
        GroupLassoRegressor(task_column="task").fit(X, y)
    df = pd.DataFrame(X, columns=list("abcdef"))
    with pytest.raises(ValueError, match=r"task_column 'task' is not a column of X"):
        GroupLassoRegressor(task_column="task").fit(df, y)


@pytest.mark.parametrize("task_column", [1.0, True, [0]])
def test_task_column_of_wrong_type(task_column):
    X, y = _per_task()
    with pytest.raises(ValueError, match=r"task_column must be None, an int or a column name"):
        GroupLassoRegressor(task_column=task_column).fit(X, y)


# ---------------------------------------------------------------------------
# Classifier labels
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_classifier_three_classes(layout):
    est, X, y = _data(GroupLassoClassifier, layout)
    y3 = np.arange(y.shape[0]) % 3
    if layout == "shared":
        y3 = np.tile(y3[:, None], (1, 3))
    with pytest.raises(ValueError, match=r"binary.*exactly 2 classes.*got 3 class"):
        est.fit(X, y3)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_classifier_task_with_one_class(layout):
    est, X, y = _data(GroupLassoClassifier, layout)
    y = y.copy()
    if layout == "shared":
        y[:, 1] = y[0, 0]
    else:
        y[X[:, -1] == 1] = y[0]
    with pytest.raises(ValueError, match=r"Task 1 has labels of only one class"):
        est.fit(X, y)


def test_classifier_one_class_after_masking():
    """Task 2 has both classes, but all rows of one class are missing (NaN)."""
    X, Y = _shared("classification")
    Yf = Y.astype(float)
    Yf[Yf[:, 2] == Yf[:, 2].max(), 2] = np.nan
    with pytest.raises(ValueError, match=r"Task 2 has labels of only one class"):
        GroupLassoClassifier().fit(X, Yf)


def test_classifier_continuous_target():
    X, Y = _shared()
    with pytest.raises(ValueError, match=r"[Uu]nknown label type|continuous"):
        GroupLassoClassifier().fit(X, Y[:, 0])


# ---------------------------------------------------------------------------
# Sample weights
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_negative_sample_weight(layout):
    est, X, y = _data(GroupLassoRegressor, layout)
    sw = np.ones(X.shape[0])
    sw[3] = -1.0
    with pytest.raises(ValueError, match=r"sample_weight must be nonnegative"):
        est.fit(X, y, sample_weight=sw)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_sample_weight(value):
    est, X, y = _data(GroupLassoRegressor, "shared")
    sw = np.ones(X.shape[0])
    sw[3] = value
    with pytest.raises(ValueError, match=r"sample_weight contains NaN or infinity"):
        est.fit(X, y, sample_weight=sw)


def test_bad_task_weights():
    est, X, y = _data(GroupLassoRegressor, "shared")
    with pytest.raises(ValueError, match=r"task_weights must be positive"):
        est.set_params(task_weights=[1.0, -1.0, 1.0]).fit(X, y)
    with pytest.raises(ValueError, match=r"task_weights must be finite"):
        est.set_params(task_weights=[1.0, np.inf, 1.0]).fit(X, y)


def test_sparse_target():
    X, Y = _shared()
    with pytest.raises(ValueError, match=r"sparse target y is not supported"):
        GroupLassoRegressor().fit(X, sp.csr_matrix(Y))


# ---------------------------------------------------------------------------
# Inputs are never modified
# ---------------------------------------------------------------------------


def _copy(a):
    if isinstance(a, pd.DataFrame):
        return a.copy(deep=True)
    return a.copy() if sp.issparse(a) else a.copy(order="K")


def _assert_same(a, b):
    if sp.issparse(a):
        assert a.format == b.format
        assert_array_equal(a.indptr, b.indptr)
        assert_array_equal(a.indices, b.indices)
        assert_array_equal(a.data, b.data)
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    else:
        assert a.dtype == b.dtype
        assert a.flags.c_contiguous == b.flags.c_contiguous
        assert a.flags.f_contiguous == b.flags.f_contiguous
        assert_array_equal(a, b)


def _inputs(layout, container, est_cls):
    est, X, y = _data(est_cls, layout)
    y = y.astype(float) if est_cls is GroupLassoRegressor else y
    if layout == "shared" and est_cls is GroupLassoRegressor:
        y = y.copy()
        y[::5, 1] = np.nan  # missing targets must stay NaN
    if container == "fortran":
        X = np.asfortranarray(X)
    elif container == "float32":
        X = X.astype(np.float32)
    elif container in ("csr", "csc"):
        X = X.copy()
        X[:, :-1][np.abs(X[:, :-1]) < 0.5] = 0.0  # task id 0 is an implicit zero too
        X = sp.csr_matrix(X).asformat(container)
    elif container == "dataframe":
        X = pd.DataFrame(X, columns=[f"c{j}" for j in range(X.shape[1])])
        if layout == "per_task":
            est.set_params(task_column=X.columns[-1])
    return est, X, y


@pytest.mark.parametrize("est_cls", ESTIMATORS)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("container", ["dense", "fortran", "float32", "csr", "csc", "dataframe"])
def test_inputs_not_modified(est_cls, layout, container):
    est, X, y = _inputs(layout, container, est_cls)
    sw = np.linspace(0.5, 2.0, X.shape[0])
    X0, y0, sw0 = _copy(X), _copy(y), _copy(sw)
    est.fit(X, y, sample_weight=sw)
    assert np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.intercept_))
    _assert_same(X, X0)
    _assert_same(y, y0)
    _assert_same(sw, sw0)
    est.predict(X)
    if est_cls is GroupLassoClassifier:
        est.predict_proba(X)
    est.score(X, y if layout == "per_task" or est_cls is GroupLassoClassifier else y0)
    _assert_same(X, X0)
    _assert_same(y, y0)


def test_task_weights_param_not_modified():
    X, Y = _shared()
    tw = np.array([1.0, 2.0, 0.5])
    est = GroupLassoRegressor(task_weights=tw).fit(X, Y)
    assert est.task_weights is tw
    assert_array_equal(tw, [1.0, 2.0, 0.5])


def test_per_task_rows_not_reordered_in_place():
    """Unsorted task ids: fitting sorts internally, never the caller's arrays."""
    X, y = _per_task()
    perm = np.random.RandomState(0).permutation(X.shape[0])
    Xs, ys = X[perm], y[perm]
    Xs0, ys0 = Xs.copy(), ys.copy()
    GroupLassoRegressor(task_column=-1).fit(Xs, ys, sample_weight=np.arange(1.0, 37.0))
    assert_array_equal(Xs, Xs0)
    assert_array_equal(ys, ys0)


# ---------------------------------------------------------------------------
# Dtypes and sparse formats
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("est_cls", ESTIMATORS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_float32_preserved(est_cls, layout):
    est, X, y = _data(est_cls, layout)
    X32 = X.astype(np.float32)
    # Two fits at the default tol=1e-4 may differ by ~1e-2 (each is that close to the
    # optimum); at 1e-6 the float32 and float64 solutions must agree.
    est.set_params(tol=1e-6)
    est.fit(X32, y)
    assert est.coef_.dtype == np.float32
    assert est.intercept_.dtype == np.float32
    if est_cls is GroupLassoRegressor:
        assert est.predict(X32).dtype == np.float32
    else:
        assert est.decision_function(X32).dtype == np.float32
        assert est.predict_proba(X32).dtype == np.float32
    # close to the float64 fit
    ref = est_cls(**est.get_params()).fit(X, y)
    assert ref.coef_.dtype == np.float64
    assert_allclose(est.coef_, ref.coef_, atol=2e-3)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_int_X(layout):
    est, X, y = _data(GroupLassoRegressor, layout)
    Xi = np.round(X * 4).astype(np.int64)
    est.set_params(**TIGHT)
    m_int = est.fit(Xi, y)
    coef_int = m_int.coef_.copy()
    assert coef_int.dtype == np.float64
    pred_int = m_int.predict(Xi)
    m_float = GroupLassoRegressor(**est.get_params()).fit(Xi.astype(float), y)
    assert_array_equal(coef_int, m_float.coef_)
    assert_allclose(pred_int, m_float.predict(Xi.astype(float)), atol=1e-12)
    if layout == "per_task":
        assert_array_equal(m_int.tasks_, np.unique(Xi[:, -1]))


@pytest.mark.parametrize("est_cls", ESTIMATORS)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_equals_dense(est_cls, layout, fmt):
    est, X, y = _data(est_cls, layout)
    X = X.copy()
    # A genuinely sparse design (task column untouched).
    X[:, :-1][np.abs(X[:, :-1]) < 0.6] = 0.0
    params = dict(TIGHT, max_iter=20000 if est_cls is GroupLassoRegressor else 50000)
    est.set_params(**params)
    dense = est_cls(**est.get_params()).fit(X, y)
    Xs = sp.csr_matrix(X).asformat(fmt)
    sparse = est_cls(**est.get_params()).fit(Xs, y)
    assert sparse.solver_ == dense.solver_
    assert_allclose(sparse.coef_, dense.coef_, atol=1e-8)
    assert_allclose(sparse.intercept_, dense.intercept_, atol=1e-8)
    assert_allclose(sparse.decision_function(Xs) if est_cls is GroupLassoClassifier
                    else sparse.predict(Xs),
                    dense.decision_function(X) if est_cls is GroupLassoClassifier
                    else dense.predict(X), atol=1e-8)


def test_sparse_per_task_task_column_first():
    X, y = _per_task()
    X = np.c_[X[:, -1], X[:, :-1]]
    X[:, 1:][np.abs(X[:, 1:]) < 0.6] = 0.0
    dense = GroupLassoRegressor(alpha=0.01, task_column=0, **TIGHT).fit(X, y)
    for fmt in ("csr", "csc"):
        sparse = GroupLassoRegressor(alpha=0.01, task_column=0, **TIGHT).fit(
            sp.csr_matrix(X).asformat(fmt), y)
        assert_array_equal(sparse.tasks_, [0, 1, 2])
        assert_allclose(sparse.coef_, dense.coef_, atol=1e-8)
    # Sparse at predict time only.
    assert_allclose(dense.predict(sp.csc_matrix(X)), dense.predict(X), atol=1e-12)


# ---------------------------------------------------------------------------
# Convergence warning
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("est_cls", ESTIMATORS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_convergence_warning_names_gap(est_cls, layout):
    est, X, y = _data(est_cls, layout)
    est.set_params(alpha=1e-4, max_iter=1, tol=1e-12)
    with pytest.warns(ConvergenceWarning, match=r"did not converge in 1 iterations") as record:
        est.fit(X, y)
    msgs = [str(w.message) for w in record if issubclass(w.category, ConvergenceWarning)]
    assert len(msgs) == 1
    m = re.search(r"relative duality gap ([0-9.eE+-]*[0-9]) > tol=([0-9.eE+-]*[0-9])", msgs[0])
    assert m is not None, msgs[0]
    gap, tol = float(m.group(1)), float(m.group(2))
    assert tol == 1e-12
    assert np.isfinite(gap) and gap > tol
    assert est.dual_gap_ > 0  # the absolute gap reached is kept too


def test_convergence_warning_relative_gap_value():
    """Squared loss, intercepts: the scale is sum_t var_t / 2 (objective at W=0, b=mean)."""
    X, Y = _shared()
    est = GroupLassoRegressor(alpha=1e-4, max_iter=1, tol=1e-12)
    with pytest.warns(ConvergenceWarning) as record:
        est.fit(X, Y)
    msg = str([w for w in record if issubclass(w.category, ConvergenceWarning)][0].message)
    gap = float(re.search(r"duality gap ([0-9.eE+-]+)", msg).group(1))
    scale = 0.5 * np.sum(np.var(Y, axis=0))
    assert gap == pytest.approx(est.dual_gap_ / scale, rel=1e-3)


def test_no_warning_when_converged():
    X, Y = _shared()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        GroupLassoRegressor(alpha=0.01).fit(X, Y)


@pytest.mark.parametrize("param, value", [("fit_intercept", "no"), ("warm_start", 1),
                                          ("alpha", True)])
def test_bool_and_type_params(param, value):
    est, X, y = _data(GroupLassoRegressor, "shared")
    with pytest.raises(ValueError, match=param):
        est.set_params(**{param: value}).fit(X, y)
