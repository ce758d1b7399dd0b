"""``compare``'s tuning (issue 20): the criterion, grids extended past their edges, ``at_edge``,
the two-strength searches, predictions, MSE/RMSE, the public splits and the baseline verdict.

Tiny problems: the module runs in seconds.
"""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.metrics import mean_squared_error

from mtlclassic.compare import compare, splits
from mtlclassic.compare._scores import AUCWithFallback, tuning_scorer
from mtlclassic.compare._tuning import search
from mtlclassic.estimators._grids import Grid, value_axis
from mtlclassic.metrics import mse, rmse

TINY = "synthetic:tasks=3,features=8,shared=3,specific=1,samples=24-36"


# -- the search, on a criterion with a known optimum ------------------------------------
class _Probe(RegressorMixin, BaseEstimator):
    """Fits nothing; counts its fits and whether they were warm-started."""

    def __init__(self, alpha=1.0, beta=1.0, warm_start=False):
        self.alpha, self.beta, self.warm_start = alpha, beta, warm_start

    def fit(self, X, y):
        self.n_fits_ = getattr(self, "n_fits_", 0) + 1
        return self


def _peaked(alpha_opt, beta_opt=None):
    """A scorer peaked at ``alpha_opt`` (and ``beta_opt``) on a log scale."""
    def scorer(est, X, y):
        score = -(np.log10(est.alpha) - np.log10(alpha_opt)) ** 2
        if beta_opt is not None:
            score -= (np.log10(est.beta) - np.log10(beta_opt)) ** 2
        return score
    return scorer


FOLDS = [(np.arange(0, 5), np.arange(5, 10)), (np.arange(5, 10), np.arange(0, 5))]
X10, Y10 = np.zeros((10, 1)), np.zeros(10)


def test_search_extends_the_grid_to_an_optimum_outside_it():
    grid = Grid([value_axis("alpha", (0.1, 1.0, 10.0))])
    found = search(_Probe(), grid, X10, Y10, FOLDS, _peaked(1e-3))
    assert found["params"]["alpha"] == pytest.approx(1e-3)
    assert found["edges"] == [] and found["extended"] >= 2
    found = search(_Probe(), grid, X10, Y10, FOLDS, _peaked(3e3))
    assert found["params"]["alpha"] == pytest.approx(1e3) or \
        found["params"]["alpha"] == pytest.approx(1e4)
    assert found["edges"] == []


def test_search_inside_the_grid_adds_nothing():
    grid = Grid([value_axis("alpha", (0.1, 1.0, 10.0))])
    found = search(_Probe(), grid, X10, Y10, FOLDS, _peaked(1.0))
    assert found["params"] == {"alpha": 1.0} and found["extended"] == 0
    assert found["n_points"] == 3 and found["edges"] == []


def test_an_optimum_past_the_range_is_flagged_at_the_edge():
    grid = Grid([value_axis("alpha", (0.1, 1.0, 10.0))])  # may go down to 1e-4
    found = search(_Probe(), grid, X10, Y10, FOLDS, _peaked(1e-9))
    assert found["params"]["alpha"] == pytest.approx(1e-4)
    assert found["edges"] == [("alpha", "smallest")]


def test_two_axes_are_both_searched():
    grid = Grid([value_axis("alpha", (0.1, 1.0, 10.0)), value_axis("beta", (0.1, 1.0, 10.0))])
    assert len(grid) == 9
    found = search(_Probe(), grid, X10, Y10, FOLDS, _peaked(100.0, 1e-2))
    assert found["params"] == pytest.approx({"alpha": 100.0, "beta": 1e-2})
    assert found["edges"] == []


def test_a_plain_grid_is_searched_as_given():
    points = [("a=0.1", {"alpha": 0.1}), ("a=1", {"alpha": 1.0})]
    found = search(_Probe(), points, X10, Y10, FOLDS, _peaked(1e-3))
    assert found["params"] == {"alpha": 0.1} and found["extended"] == 0
    assert found["edges"] == [("alpha", "smallest")]


def test_warm_starts_continue_the_nearest_fit():
    grid = Grid([value_axis("alpha", (0.1, 1.0, 10.0))])
    fits = []

    def scorer(est, X, y):
        fits.append((est.alpha, est.warm_start, est.n_fits_))
        return -abs(np.log10(est.alpha))

    search(_Probe(), grid, X10, Y10, FOLDS, scorer)
    assert [a for a, _, _ in fits[::2]] == [10.0, 1.0, 0.1]  # strongest first
    assert fits[0][1:] == (False, 1)  # the first fit of a fold is cold
    assert all(warm and n > 1 for _, warm, n in fits[2:])  # the next ones continue it


# -- the criterion ----------------------------------------------------------------------
def test_scoring_errors_name_the_valid_choices():
    with pytest.raises(ValueError, match="neg_mse.*scikit-learn scorer name"):
        tuning_scorer("nope", "regression")
    with pytest.raises(ValueError, match="not a known scorer"):
        compare(TINY, "ridge", n_splits=1, scoring="nope")


def test_scoring_choices():
    assert tuning_scorer(None, "regression")[0].name == "neg_mse"
    assert isinstance(tuning_scorer(None, "classification")[0], AUCWithFallback)
    assert tuning_scorer("r2", "regression")[1] == "r2"
    assert callable(tuning_scorer("neg_mean_absolute_error", "regression")[0])
    r = compare(TINY, "ridge", n_splits=1, scoring="neg_mean_absolute_error")
    assert r.scoring == "neg_mean_absolute_error" and not r.models["ridge"].errors


def test_auc_fallback_is_never_nan():
    from mtlclassic import RidgeClassifier

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=(40, 3)), np.repeat([0, 1], 20)])
    y = (X[:, 0] > 0).astype(int)
    model = RidgeClassifier(task_column=-1).fit(X, y)
    score = AUCWithFallback()
    one_class_each = np.r_[np.flatnonzero((X[:, -1] == 0) & (y == 1)),
                           np.flatnonzero((X[:, -1] == 1) & (y == 0))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and silent
        pooled = score(model, X[one_class_each], y[one_class_each])
        single = score(model, X[y == 1], y[y == 1])
    assert np.isfinite(pooled) and 0 <= pooled <= 1
    assert np.isfinite(single) and 0 <= single <= 1


def test_no_undefined_metric_warning_from_tuning_on_tiny_tasks():
    rng = np.random.default_rng(1)
    task = np.repeat(np.arange(6), 5)  # 5 rows per task: a validation fold keeps 1 or 2
    X = rng.normal(size=(30, 4))
    y = X[:, 0] + 0.1 * rng.normal(size=30)
    r = compare((np.column_stack([X, task]), y, -1), "ridge,mean-regularized", n_splits=1,
                train_fraction=0.8)
    for m in r.models.values():
        assert not m.errors
        assert "UndefinedMetricWarning" not in m.tuning_warnings


# -- what the comparison returns --------------------------------------------------------
@pytest.fixture(scope="module")
def tiny():
    return compare(TINY, "ridge,group-lasso,mean-regularized,dirty", n_splits=2,
                   random_state=1)


def test_predictions_mse_and_rmse(tiny):
    data_splits = splits(TINY, n_splits=2, random_state=1)
    from mtlclassic.compare import parse_data

    data = parse_data(TINY)
    for name, m in tiny.models.items():
        for k, (train, test) in enumerate(tiny.splits):
            assert np.array_equal(train, data_splits[k][0])
            assert np.array_equal(test, data_splits[k][1])
            z = m.predictions[k]
            assert z.shape == test.shape
            assert m.scores["mse"][k] == pytest.approx(mean_squared_error(data.y[test], z))
            assert m.scores["rmse"][k] == pytest.approx(np.sqrt(m.scores["mse"][k]))
        assert m.at_edge.shape == (2,) and m.at_edge.dtype == bool


def test_two_strength_models_search_both(tiny):
    for name, params in (("mean-regularized", ("lambda_mean", "lambda_l2")),
                         ("dirty", ("alpha_shared", "alpha_sparse"))):
        m = tiny.models[name]
        assert all(set(params) <= set(p) for p in m.params)
        assert all(n >= 4 for n in m.n_points)  # the diagonal, then each axis moved


def test_verdict_and_report_lines(tiny, tmp_path):
    line = tiny.verdict()
    assert line.startswith("nMSE: the best multi-task model, ")
    assert "the best baseline, ridge" in line and "paired difference" in line
    from mtlclassic.compare._report import write_outputs

    report = open([f for f in write_outputs(tiny, tmp_path) if f.endswith("report.md")][0]).read()
    assert line in report and "criterion: neg_mse" in report


def test_adaptive_grid_end_to_end_finds_a_small_alpha():
    """n >> p, little noise: the best lasso strength lies far below the default 0.03 alpha_max."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 5))
    Y = X @ rng.normal(size=(5, 2)) + 0.01 * rng.normal(size=(600, 2))
    r = compare((X, Y), "lasso", n_splits=1)
    m = r.models["lasso"]
    fraction = float(m.labels[0].split()[0])
    assert fraction < 0.03 and not m.at_edge[0]
    assert m.n_points[0] > 4


# -- the metrics ------------------------------------------------------------------------
def test_mse_and_rmse_against_scikit_learn():
    rng = np.random.default_rng(2)
    y, z = rng.normal(size=12), rng.normal(size=12)
    tasks = np.repeat(["a", "b", "c"], 4)
    w = rng.uniform(0.5, 2, size=12)
    assert mse(y, z, tasks=tasks) == pytest.approx(mean_squared_error(y, z))
    assert mse(y, z, tasks=tasks, sample_weight=w) == pytest.approx(
        mean_squared_error(y, z, sample_weight=w))
    raw = mse(y, z, tasks=tasks, average="raw_values")
    assert raw == pytest.approx([mean_squared_error(y[tasks == t], z[tasks == t])
                                 for t in "abc"])
    assert rmse(y, z, tasks=tasks, average="raw_values") == pytest.approx(np.sqrt(raw))
    assert rmse(y, z, tasks=tasks) == pytest.approx(np.sqrt(mean_squared_error(y, z)))
    Y = np.array([[1.0, np.nan], [2.0, 3.0]])
    assert mse(Y, np.zeros((2, 2))) == pytest.approx((1 + 4 + 9) / 3)
    # defined on a one-row task with a constant target, unlike nMSE
    assert mse([1.0], [0.5], tasks=["a"]) == pytest.approx(0.25)


def test_secondary_axes_cost_a_point_or_two():
    from mtlclassic.estimators._grids import Axis

    choice = Axis("mode", ("a", "b"), lambda v: {"beta": 1.0 if v == "a" else 2.0},
                  lambda v: f"mode {v}", initial=("a",), categorical=True)
    grid = Grid([value_axis("alpha", (0.1, 1.0, 10.0)), choice])
    assert len(grid) == 3  # the secondary axis adds nothing to the default product

    def scorer(est, X, y):  # peaked at alpha = 1, and "b" is better
        return -abs(np.log10(est.alpha)) + (0.5 if est.beta == 2.0 else 0.0)

    found = search(_Probe(), grid, X10, Y10, FOLDS, scorer)
    assert found["params"] == {"alpha": 1.0, "beta": 2.0}
    assert found["edges"] == [] and found["n_points"] <= 6


def test_compare_adds_the_secondary_axes_to_linear_models_only():
    from mtlclassic.compare import REGISTRY
    from mtlclassic.compare._registry import grid_points

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=(30, 3)), np.repeat([0, 1, 2], 10)])
    y = rng.normal(size=30)
    lasso = grid_points(REGISTRY["lasso"], None, "regression", X, y, -1)
    assert [a.name for a in lasso.axes][:2] == ["alpha", "task_weights"]
    assert len(lasso) == 4  # the fractions of alpha_max, at the defaults of the rest
    mine = grid_points(REGISTRY["lasso"], {"alpha": [0.1]}, "regression", X, y, -1)
    assert mine == [("alpha=0.1", {"alpha": 0.1})]
    mlp = grid_points(REGISTRY["hard-sharing-mlp"], None, "regression", X, y, -1)
    assert [a.name for a in mlp.axes] == ["alpha"]


def test_a_diagonal_grid_starts_tied_and_moves_each_axis():
    grid = Grid([value_axis("alpha", (0.1, 1.0, 10.0)), value_axis("beta", (0.1, 1.0, 10.0))],
                diagonal=True)
    assert [p for _, p in grid] == [{"alpha": v, "beta": v} for v in (0.1, 1.0, 10.0)]
    found = search(_Probe(), grid, X10, Y10, FOLDS, _peaked(100.0, 1e-2))
    assert found["params"] == pytest.approx({"alpha": 100.0, "beta": 1e-2})


def test_tuning_and_final_fit_warnings_are_counted_apart():
    from mtlclassic import LassoClassifier, LassoRegressor
    from mtlclassic.compare import ModelSpec
    from mtlclassic.estimators._grids import alpha_max_grid

    one_epoch = ModelSpec("lasso-1-epoch", "classical", (LassoRegressor, LassoClassifier),
                          alpha_max_grid(("alpha", "l1"), fractions=(0.1, 0.01)),
                          fixed={"max_iter": 1, "tol": 1e-12})
    r = compare(TINY, [one_epoch], n_splits=1, cv=2)
    m = r.models["lasso-1-epoch"]
    assert m.warnings.get("ConvergenceWarning") == 1  # the final fit
    # every fold's fit of every point scored
    assert m.tuning_warnings.get("ConvergenceWarning") == 2 * m.n_points[0]


def test_target_of_a_built_in_data_set():
    from mtlclassic.compare import DataError, parse_data

    with pytest.raises(DataError, match="choose one of 'total_UPDRS', 'motor_UPDRS'"):
        parse_data("parkinsons:/nowhere", target="UPDRS")
    with pytest.raises(DataError, match="it has one target"):
        parse_data("school:/nowhere", target="score")


def test_a_path_of_default_points_stops_past_its_best():
    # One axis: scored from the strongest value down, stopping at the first worse point; the
    # weaker default values (the costliest fits) are never fitted when the optimum is strong.
    grid = Grid([value_axis("alpha", (0.01, 0.1, 1.0, 10.0))])
    fits = []

    def scorer(est, X, y):
        fits.append(est.alpha)
        return -abs(np.log10(est.alpha) - 1.0)  # best at 10

    found = search(_Probe(), grid, X10, Y10, FOLDS, scorer)
    assert found["params"]["alpha"] == pytest.approx(10.0)
    assert 0.1 not in fits and 0.01 not in fits
    # An optimum at the weak end is still reached through every default point.
    found = search(_Probe(), grid, X10, Y10, FOLDS, _peaked(0.01))
    assert found["params"]["alpha"] == pytest.approx(0.01) and found["n_points"] >= 4
    # A product of two axes is not a path: all its default points are scored.
    grid2 = Grid([value_axis("alpha", (0.1, 1.0, 10.0)), value_axis("beta", (0.1, 1.0, 10.0))])
    found = search(_Probe(), grid2, X10, Y10, FOLDS, _peaked(10.0, 10.0))
    assert found["n_points"] >= 9


def test_an_axis_of_counts_stays_integer():
    # n_components = 2, 4: the points and every extension are ints >= 1 (a float 4.0 is refused
    # by the estimators that take a count).
    from mtlclassic.estimators._grids import fixed_grid

    class Counts(RegressorMixin, BaseEstimator):
        def __init__(self, n_components=2):
            self.n_components = n_components

        def fit(self, X, y):
            assert isinstance(self.n_components, int) and self.n_components >= 1
            return self

    grid = fixed_grid(n_components=(2, 4))("regression", None, None, None)
    assert [p["n_components"] for _, p in grid] == [2, 4]
    found = search(Counts(), grid, X10, Y10, FOLDS,
                   lambda est, X, y: -abs(np.log(est.n_components / 8.0)))
    assert found["params"] == {"n_components": 8}
    found = search(Counts(), grid, X10, Y10, FOLDS, lambda est, X, y: -est.n_components)
    assert found["params"] == {"n_components": 1}


def test_ties_go_to_fewer_components_and_the_stronger_penalty():
    # A flat criterion (every point the same model, e.g. all coefficients zero): the choice is
    # the simplest point, the strongest alpha with the fewest components, and a count axis is
    # not walked upwards (it once grew to 1,024 components on a flat score).
    from mtlclassic.estimators._grids import fixed_grid, product_grid

    class Counts(RegressorMixin, BaseEstimator):
        def __init__(self, alpha=1.0, n_components=2):
            self.alpha, self.n_components = alpha, n_components

        def fit(self, X, y):
            return self

    grid = product_grid(fixed_grid(alpha=(0.1, 1.0)),
                        fixed_grid(n_components=(2, 4)))("regression", None, None, None)
    found = search(Counts(), grid, X10, Y10, FOLDS, lambda est, X, y: 0.0)
    assert found["params"]["n_components"] == 1  # the count axis's lower end
    assert found["params"]["alpha"] >= 1.0


# -- the kernel grids' rule: the linear kernel unless beaten by a standard error -----------
def test_preferred_points_take_the_simpler_model_unless_beaten_by_a_standard_error():
    from mtlclassic.estimators._grids import PreferredPoints

    points = PreferredPoints([(name, {}) for name in ("rbf a", "rbf b", "lin a", "lin b")],
                             preferred=[2, 3])
    scores = [[0.70, 0.70, 0.70], [0.77, 0.80, 0.83], [0.60, 0.60, 0.60], [0.79, 0.79, 0.79]]
    # rbf b: mean 0.80, se 0.03 / sqrt(3) = 0.017 > 0.01 ahead of the best linear point.
    assert points.choose(scores) == 3
    scores[1] = [0.84, 0.85, 0.86]  # 0.06 ahead, se 0.006: the flexible point wins
    assert points.choose(scores) == 1
    scores[3] = [0.90, 0.90, np.nan]  # a point that failed on a fold is never chosen
    assert points.choose(scores) == 1
    scores[2] = [0.95, 0.95, 0.95]  # the best point is linear: chosen
    assert points.choose(scores) == 2


def test_search_applies_the_grids_rule_to_the_folds_scores():
    from mtlclassic.estimators._grids import PreferredPoints

    X = np.arange(10.0)[:, None]

    def scorer(est, X, y):  # alpha=0.1 wins on average, by one fold only
        if est.alpha == 0.1:
            return 1.0 if X[0, 0] >= 5 else 0.0
        return 0.45

    plain = [("flexible", {"alpha": 0.1}), ("simple", {"alpha": 1.0})]
    assert search(_Probe(), plain, X, Y10, FOLDS, scorer)["params"] == {"alpha": 0.1}
    # mean 0.5 vs 0.45, but the standard error over the two folds is 0.5: the simple point.
    found = search(_Probe(), PreferredPoints(plain, preferred=[1]), X, Y10, FOLDS, scorer)
    assert found["params"] == {"alpha": 1.0} and found["n_points"] == 2
