"""Task labels as names (strings, categoricals, ColumnTransformer output) and new tasks.

Issue 13, points 2, 4 and 5: the README's Pipeline recipe with a named string task
column (numpy or pandas output of the ColumnTransformer, whose passthrough column is
renamed ``remainder__<name>``), ``tasks_`` holding the user's labels, and
``unseen_tasks="mean"`` predicting a task absent from fit with the mean task model,
checked against that formula for every per-task estimator.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mtlclassic
from mtlclassic import (FeatureAugmentationRegressor, GradientBoostingTaskRegressor,
                        GroupLassoClassifier, GroupLassoRegressor, GroupLassoRegressorCV,
                        HardSharingMLPClassifier, HardSharingMLPRegressor, LassoClassifier,
                        MeanRegularizedRegressor, PooledRegressor, SoftSharingMLPRegressor)

FEATURES = [f"x{j}" for j in range(4)]
NAMES = ["school_a", "school_b", "school_c"]


def _frame(seed=0, n_per_task=30, classification=False):
    rng = np.random.default_rng(seed)
    n = n_per_task * len(NAMES)
    df = pd.DataFrame(rng.normal(size=(n, len(FEATURES))) * 3 + 1, columns=FEATURES)
    df["school"] = np.repeat(NAMES, n_per_task)
    offsets = np.repeat([0.0, 0.5, -0.5], n_per_task)
    y = df["x0"].to_numpy() - 0.5 * df["x1"].to_numpy() + offsets + 0.1 * rng.normal(size=n)
    if classification:
        y = np.where(y > np.median(y), "yes", "no")
    return df, y


def _readme_pipeline(estimator, pandas_output):
    scale = ColumnTransformer([("scale", StandardScaler(), FEATURES)], remainder="passthrough")
    if pandas_output:
        scale.set_output(transform="pandas")
    return make_pipeline(scale, estimator)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("pandas_output", [False, True])
@pytest.mark.parametrize("make", [
    lambda tc: GroupLassoRegressor(alpha=0.01, task_column=tc),
    lambda tc: GroupLassoRegressorCV(n_alphas=3, cv=2, task_column=tc),
    lambda tc: HardSharingMLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0,
                                       task_column=tc),
    # the practitioner's baselines read the task column of the raw X again (sample weights)
    lambda tc: FeatureAugmentationRegressor(task_column=tc),
    lambda tc: GradientBoostingTaskRegressor(random_state=0, task_column=tc),
])
def test_readme_pipeline_with_named_string_tasks(make, pandas_output):
    """The README recipe with a DataFrame whose task column is named and holds strings."""
    df, y = _frame()
    # numpy output: the passthrough column comes last; pandas output: found by its name,
    # although the ColumnTransformer renamed it remainder__school.
    est = make("school" if pandas_output else -1)
    pipe = _readme_pipeline(est, pandas_output)
    pipe.fit(df, y)
    assert list(pipe[-1].tasks_) == NAMES
    pred = pipe.predict(df)
    assert pred.shape == (len(df),) and np.all(np.isfinite(pred))
    assert np.isfinite(pipe.score(df, y))


def test_object_array_task_column_equals_codes():
    """An object array (string task column) fits the same model as integer task codes."""
    df, y = _frame()
    X_obj = df.to_numpy(dtype=object)  # what a ColumnTransformer with a string column returns
    codes = df.assign(school=pd.Categorical(df["school"]).codes).to_numpy(dtype=float)
    a = GroupLassoRegressor(alpha=0.05, task_column=-1).fit(X_obj, y)
    b = GroupLassoRegressor(alpha=0.05, task_column=-1).fit(codes, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-12)
    assert list(a.tasks_) == NAMES and list(b.tasks_) == [0, 1, 2]
    np.testing.assert_allclose(a.predict(X_obj), b.predict(codes))
    assert X_obj[0, -1] == "school_a" and isinstance(X_obj[0, 0], float)  # not modified


def test_object_array_non_numeric_feature_is_named():
    df, y = _frame()
    X = df.assign(x2="text").to_numpy(dtype=object)
    with pytest.raises(ValueError, match="non-numeric values outside the task column.*OneHot"):
        GroupLassoRegressor(task_column=-1).fit(X, y)


def test_integer_valued_floats_in_object_array():
    df, y = _frame()
    X = df.assign(school=pd.Categorical(df["school"]).codes.astype(float)).to_numpy(dtype=object)
    est = GroupLassoRegressor(alpha=0.05, task_column=-1).fit(X, y)
    assert est.tasks_.dtype.kind == "i" and list(est.tasks_) == [0, 1, 2]


def test_categorical_task_column():
    df, y = _frame()
    cat = df.assign(school=pd.Categorical(df["school"]))
    est = GroupLassoRegressor(alpha=0.05, task_column="school").fit(cat, y)
    ref = GroupLassoRegressor(alpha=0.05, task_column="school").fit(df, y)
    assert list(est.tasks_) == NAMES
    np.testing.assert_allclose(est.coef_, ref.coef_)


def test_task_column_name_with_transformer_prefix():
    df, y = _frame()
    renamed = df.rename(columns={"school": "remainder__school"})
    est = GroupLassoRegressor(alpha=0.05, task_column="school").fit(renamed, y)
    assert list(est.tasks_) == NAMES
    ambiguous = renamed.assign(other__school=renamed["remainder__school"])
    with pytest.raises(ValueError, match="matches several columns.*remainder__school"):
        GroupLassoRegressor(task_column="school").fit(ambiguous, y)


def test_missing_task_column_lists_columns_and_fix():
    df, y = _frame()
    with pytest.raises(ValueError, match=r"'schol' is not a column of X; its columns are "
                                         r"'x0', 'x1', 'x2', 'x3', 'school'\. Set task_column"):
        GroupLassoRegressor(task_column="schol").fit(df, y)
    with pytest.raises(ValueError, match=r"not a DataFrame.*task_column=-1"):
        GroupLassoRegressor(task_column="school").fit(df.to_numpy(dtype=object), y)


def test_unseen_task_error_names_the_fixes():
    df, y = _frame()
    est = GroupLassoRegressor(alpha=0.05, task_column="school").fit(df, y)
    new = df.assign(school="school_new")
    with pytest.raises(ValueError, match=r"not seen in fit: \['school_new'\].*"
                                         r"unseen_tasks='mean'.*TaskStratifiedKFold"):
        est.predict(new)


@pytest.mark.parametrize("value", ["average", None, 1])
def test_bad_unseen_tasks_fails_at_fit(value):
    df, y = _frame()
    with pytest.raises(ValueError, match="unseen_tasks must be one of"):
        GroupLassoRegressor(task_column="school", unseen_tasks=value).fit(df, y)


def _per_task_estimators():
    """Every public per-task estimator, small and fast, with unseen_tasks='mean'."""
    out = []
    for name in mtlclassic.__all__:
        obj = getattr(mtlclassic, name)
        if not (isinstance(obj, type) and hasattr(obj, "get_params")
                and "unseen_tasks" in obj().get_params()):
            continue
        params = dict(task_column="school", unseen_tasks="mean")
        keys = obj().get_params()
        if "max_iter" in keys:
            params["max_iter"] = 20 if "MLP" in name else 200
        if "hidden_layer_sizes" in keys:
            params.update(hidden_layer_sizes=(4,), random_state=0)
        if "n_alphas" in keys:
            params.update(n_alphas=3, cv=2)
        for key in ("alpha", "alpha_shared", "alpha_sparse", "alpha_features", "alpha_tasks"):
            if key in keys and "MLP" not in name:
                params[key] = 0.01
        out.append(pytest.param(obj(**params), id=name))
    return out


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("est", _per_task_estimators())
def test_unseen_tasks_mean_formula(est):
    """A new task is predicted by the mean over the fitted tasks of their models."""
    is_classifier = "Classifier" in type(est).__name__
    df, y = _frame(classification=is_classifier)
    est = clone(est).fit(df, y)
    new = df.iloc[:7].assign(school="school_new")
    both = pd.concat([new, df.iloc[-3:]])  # unseen and seen rows in one call
    out = est.decision_function(both) if is_classifier else est.predict(both)
    # The formula: the mean over tasks of each task's model on the same rows.
    per_task = [est.decision_function(new.assign(school=t)) if is_classifier
                else est.predict(new.assign(school=t)) for t in est.tasks_]
    np.testing.assert_allclose(out[:7], np.mean(per_task, axis=0), rtol=1e-6, atol=1e-8)
    seen = est.decision_function(df.iloc[-3:]) if is_classifier else est.predict(df.iloc[-3:])
    np.testing.assert_allclose(out[7:], seen, rtol=1e-6, atol=1e-8)
    if hasattr(est, "coef_") and np.ndim(est.coef_) == 2:  # linear: mean coef_ and intercept_
        X_new = new[FEATURES].to_numpy()
        formula = X_new @ est.coef_.mean(axis=0) + est.intercept_.mean()
        np.testing.assert_allclose(out[:7], formula, rtol=1e-6, atol=1e-8)
    if is_classifier:
        assert set(est.predict(new)) <= set(est.classes_)


def test_unseen_tasks_mean_shared_parts():
    """Pooled: the shared w; mean-regularised: w_bar; both the mean of coef_."""
    df, y = _frame()
    new = df.iloc[:5].assign(school="school_new")
    X_new = new[FEATURES].to_numpy()
    pooled = PooledRegressor(alpha=0.1, task_column="school", unseen_tasks="mean").fit(df, y)
    np.testing.assert_allclose(pooled.predict(new),
                               X_new @ pooled.coef_[0] + pooled.intercept_.mean())
    mean_reg = MeanRegularizedRegressor(lambda_mean=1.0, lambda_l2=0.01, tol=1e-10,
                                        task_column="school", unseen_tasks="mean").fit(df, y)
    w_bar = mean_reg.coef_.mean(axis=0)
    assert not np.allclose(mean_reg.coef_, w_bar)  # the tasks differ: the test can fail
    np.testing.assert_allclose(mean_reg.predict(new), X_new @ w_bar + mean_reg.intercept_.mean())


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_hard_sharing_mean_head():
    """With linear heads, the unseen prediction is the trunk with the mean head (target units)."""
    df, y = _frame()
    est = HardSharingMLPRegressor(hidden_layer_sizes=(5,), max_iter=30, random_state=0,
                                  dtype="float64", task_column="school",
                                  unseen_tasks="mean").fit(df, y)
    new = df.iloc[:6].assign(school="school_new")
    H = np.maximum(new[FEATURES].to_numpy() @ est.coefs_[0] + est.intercepts_[0], 0.0)
    heads, biases = est.coefs_[1][:, :, 0], est.intercepts_[1][:, 0]  # (T, h), (T,)
    scale, mean = est._y_scale, est._y_mean
    formula = H @ (scale[:, None] * heads).mean(axis=0) + np.mean(scale * biases + mean)
    np.testing.assert_allclose(est.predict(new), formula, rtol=1e-6, atol=1e-8)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_unseen_scored_per_label_and_partial_fit_refuses():
    df, y = _frame()
    est = SoftSharingMLPRegressor(hidden_layer_sizes=(4,), max_iter=10, random_state=0,
                                  task_column="school", unseen_tasks="mean").fit(df, y)
    two_new = pd.concat([df.iloc[:10].assign(school="new_1"), df.iloc[10:20].assign(school="new_2")])
    pred = est.predict(two_new)
    y2 = y[:20]
    r2 = [1 - np.sum((y2[s] - pred[s]) ** 2) / np.sum((y2[s] - y2[s].mean()) ** 2)
          for s in (slice(0, 10), slice(10, 20))]
    assert est.score(two_new, y2) == pytest.approx(np.mean(r2))
    with pytest.raises(ValueError, match="partial_fit got rows of task"):
        est.partial_fit(two_new, y2)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_classifier_string_tasks_and_labels():
    df, y = _frame(classification=True)
    for est in (GroupLassoClassifier(alpha=0.01, task_column="school"),
                LassoClassifier(alpha=0.01, task_column="school"),
                HardSharingMLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0,
                                         task_column="school")):
        pipe = _readme_pipeline(est, pandas_output=True).fit(df, y)
        assert list(pipe[-1].tasks_) == NAMES and list(pipe[-1].classes_) == ["no", "yes"]
        assert set(pipe.predict(df)) <= {"no", "yes"}
