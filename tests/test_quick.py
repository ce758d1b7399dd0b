"""The quick tier (``pytest -m quick``): everything the package offers, checked once.

- every public estimator (the package's own lists, so a new model joins by
  being registered) fitted in both layouts -- shared design with 2-D ``Y``,
  and per-task rows with the task id in the last column -- on small data:
  finite coefficients and predictions of the right shape, a training score
  above the trivial per-task baseline, ``classes_`` for classifiers;
- every penalty's ``prox`` against its definition,
  ``argmin_U 1/(2 step) ||U - V||^2 + value(U)``, solved by cvxpy from the
  formula in the penalty's docstring (written here, not taken from the
  package);
- every datafit's gradient against central finite differences, in both layouts;
- one fit per solver: its duality gap nonnegative and below ``tol``, and
  bounded by the gap recomputed in ``conftest`` from the docstring formula.

The full suite checks each of these far more thoroughly; this tier is for
day-to-day work (about 25 s of tests) and runs in the full ``pytest`` too.
"""

import inspect
import warnings
import zlib

import cvxpy as cp
import numpy as np
import pytest
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning

import mtlclassic
import mtlclassic.neural
from conftest import duality_gap, make_shared, null_objective
from mtlclassic import GroupLassoRegressor, alpha_max, stack_tasks
from mtlclassic import datafits as datafits_module
from mtlclassic import penalties as penalties_module
from mtlclassic._validation import check_fit_data
from mtlclassic.estimators import CLASSIFIERS, CV_ESTIMATORS, REGRESSORS
from mtlclassic.solvers import SOLVERS

pytestmark = pytest.mark.quick

NEURAL = [getattr(mtlclassic.neural, name) for name in mtlclassic.neural.__all__]
ESTIMATORS = REGRESSORS + CLASSIFIERS + CV_ESTIMATORS + NEURAL
LAYOUTS = ("shared", "per_task")
N_FEATURES, N_TASKS = 6, 3


# -- the registries are complete -----------------------------------------------------
def test_every_public_estimator_is_in_a_registry():
    """A public estimator class missing from the lists would escape this tier (and others)."""
    public = {name for module in (mtlclassic, mtlclassic.neural) for name in module.__all__
              if inspect.isclass(obj := getattr(module, name)) and issubclass(obj, BaseEstimator)}
    registered = {cls.__name__ for cls in ESTIMATORS}
    assert public - registered == set(), "public estimators missing from the registries"
    assert registered - public == set(), "registered estimators that are not public"
    assert len(ESTIMATORS) == len(registered), "an estimator is registered twice"


# -- small problems ------------------------------------------------------------------
def make_data(layout, classifier, seed=0):
    """``(X, y, task_column, baseline)``: a small, clearly learnable problem.

    Shared layout: ``X`` (60, 6), ``Y`` (60, 3); per-task layout: tasks of
    24, 30 and 36 rows stacked with the task id last. Labels are balanced in
    every task (split at the task's median), so the trivial baseline -- the
    majority class, or the task mean for R^2 -- scores 0.5 or 0.0.
    """
    rng = np.random.default_rng(seed)
    # Related tasks (one shared model plus small task-specific parts: the pooled
    # baseline learns too), two irrelevant features.
    W = rng.choice([-1.5, 1.5], N_FEATURES) + 0.3 * rng.standard_normal((N_TASKS, N_FEATURES))
    W[:, :2] = 0.0
    sizes = (60,) * N_TASKS if layout == "shared" else (24, 30, 36)
    X_shared = rng.standard_normal((60, N_FEATURES))
    Xs, ys = [], []
    for t, n_t in enumerate(sizes):
        Xt = X_shared if layout == "shared" else rng.standard_normal((n_t, N_FEATURES))
        zt = Xt @ W[t] + 0.5 * rng.standard_normal(n_t)
        ys.append((zt > np.median(zt)).astype(float) if classifier else zt + 1.0)
        Xs.append(Xt)
    if layout == "shared":
        X, y, task_column = X_shared, np.column_stack(ys), None
    else:
        (X, y), task_column = stack_tasks(Xs, ys), -1
    if classifier:
        baseline = np.mean([max(np.mean(yt), 1.0 - np.mean(yt)) for yt in ys])
    else:
        baseline = 0.0  # R^2 of each task's mean, averaged over tasks
    return X, y, task_column, baseline


def _small_params(cls):
    """Parameters that keep one fit under a second: short CV grids, small networks."""
    names = cls().get_params()
    params = {"random_state": 0} if "random_state" in names else {}
    if "n_alphas" in names:
        # eps=1e-2: below that the logistic folds (about 15 rows) are separable and
        # the path's last points hit max_iter (ConvergenceWarning).
        params.update(n_alphas=4, cv=3, eps=1e-2)
    if cls in NEURAL:
        params.update(hidden_layer_sizes=(16,), max_iter=100)
    return params


# -- every estimator, both layouts ------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_estimator_fits_and_predicts(cls, layout):
    classifier = is_classifier(cls())
    X, y, task_column, baseline = make_data(layout, classifier)
    est = cls(task_column=task_column, **_small_params(cls))
    with warnings.catch_warnings():
        # The linear models must converge at their defaults; the networks stop at
        # max_iter epochs by design here.
        warnings.simplefilter("ignore" if cls in NEURAL else "error", ConvergenceWarning)
        assert est.fit(X, y) is est

    expected_shape = y.shape  # (n, n_tasks) shared, (n,) per task
    pred = est.predict(X)
    assert pred.shape == expected_shape
    if hasattr(est, "coef_"):
        assert est.coef_.shape == (N_TASKS, N_FEATURES)
        assert np.all(np.isfinite(est.coef_))
        assert np.all(np.isfinite(est.intercept_)) and est.intercept_.shape == (N_TASKS,)
    if classifier:
        np.testing.assert_array_equal(est.classes_, [0.0, 1.0])
        assert np.all(np.isin(pred, est.classes_))
        # Probabilities where the loss gives them (the kernel models' squared loss on +-1
        # labels does not: no predict_proba, as scikit-learn's RidgeClassifier).
        if hasattr(est, "predict_proba"):
            proba = est.predict_proba(X)
            assert np.all(np.isfinite(proba)) and np.all((proba >= 0) & (proba <= 1))
            if layout == "per_task":  # [P(classes_[0]), P(classes_[1])] per row
                assert proba.shape == (len(y), 2)
                np.testing.assert_allclose(proba.sum(axis=1), 1.0)
            else:  # P(classes_[1]) per task
                assert proba.shape == y.shape
        else:
            assert type(est).__name__.startswith("KernelTaskRelation")
    else:
        assert np.all(np.isfinite(pred))
    # Learnt something: better than the trivial per-task baseline by a clear margin
    # (each model reaches at least 0.7 here; the margin leaves room for seeds).
    score = est.score(X, y)
    assert score > baseline + 0.1, f"score {score:.3f}, trivial baseline {baseline:.3f}"


# -- every prox against its definition ------------------------------------------------
def _psd(seed=7):
    """A random positive definite task coupling ``M = B B^T`` and its factor ``B``."""
    B = np.random.default_rng(seed).standard_normal((4, 4))
    return B @ B.T, B


_M, _B = _psd()
_C = np.random.default_rng(7).standard_normal((5, 5))
_A = _C @ _C.T + 0.5 * np.eye(5)
_ORDER = [2, 0, 3, 1]

# Penalty class name -> (a penalty on W of shape (5, 4), its definition written from the
# class docstring as ``U -> (cvxpy expression, constraints)``). Strengths are chosen so
# that the prox zeroes some entries, rows or singular values and keeps others.
# Per-row strengths of WeightedFused: row 2 held at zero (infinite l1 weight).
_RWF_A = np.array([1.0, 0.5, np.inf, 2.0, 0.3])
_RWF_C = np.array([0.4, 0.0, 0.0, 0.8, 1.5])
PROXES = {
    "L1": (lambda: penalties_module.L1(0.4, l2_reg=0.3),
           lambda U: (0.4 * cp.sum(cp.abs(U)) + 0.15 * cp.sum_squares(U), [])),
    "L21": (lambda: penalties_module.L21(0.8),
            lambda U: (0.8 * cp.sum(cp.norm(U, 2, axis=1)), [])),
    "SparseGroup": (lambda: penalties_module.SparseGroup(0.7, l1_ratio=0.3, l2_reg=0.2),
                    lambda U: (0.7 * (0.3 * cp.sum(cp.abs(U))
                                      + 0.7 * cp.sum(cp.norm(U, 2, axis=1)))
                               + 0.1 * cp.sum_squares(U), [])),
    "L1Inf": (lambda: penalties_module.L1Inf(0.9),
              lambda U: (0.9 * cp.sum(cp.max(cp.abs(U), axis=1)), [])),
    "Ridge": (lambda: penalties_module.Ridge(1.5),
              lambda U: (0.75 * cp.sum_squares(U), [])),
    # alpha / 2 ||w||^2 with every column equal to w: alpha / (2 T) ||U||_F^2 on that set.
    "Pooled": (lambda: penalties_module.Pooled(2.0, n_tasks=4),
               lambda U: (2.0 / (2 * 4) * cp.sum_squares(U),
                          [U[:, t] == U[:, 0] for t in range(1, 4)])),
    "TraceNorm": (lambda: penalties_module.TraceNorm(1.2),
                  lambda U: (1.2 * cp.normNuc(U), [])),
    "TaskL21": (lambda: penalties_module.TaskL21(1.0),
                lambda U: (1.0 * cp.sum(cp.norm(U, 2, axis=0)), [])),
    # alpha ||U||_1 + 1/2 tr(U M U^T) (+ l2_reg / 2 ||U||^2), with M = B B^T.
    "TaskQuadratic": (lambda: penalties_module.TaskQuadratic(_M, alpha=0.3, l2_reg=0.1),
                      lambda U: (0.3 * cp.sum(cp.abs(U)) + 0.5 * cp.sum_squares(U @ _B)
                                 + 0.05 * cp.sum_squares(U), [])),
    # 1/2 tr(U^T A U), A = C C^T + 1/2 I over the 5 features (given by its spectrum).
    "FeatureQuadratic": (lambda: penalties_module.FeatureQuadratic(np.linalg.eigh(_A)),
                         lambda U: (0.5 * cp.sum_squares(_C.T @ U) + 0.25 * cp.sum_squares(U),
                                    [])),
    # Nested task groups {0}, {1}, {0, 1}, {0, 1, 2, 3} (leaves to root), weights c_v.
    "TreeGroup": (lambda: penalties_module.TreeGroup(
                      0.6, [np.array([0]), np.array([1]), np.array([0, 1]), np.arange(4)],
                      np.array([0.5, 0.2, 0.7, 0.3])),
                  lambda U: (0.6 * (0.5 * cp.sum(cp.abs(U[:, 0])) + 0.2 * cp.sum(cp.abs(U[:, 1]))
                                    + 0.7 * cp.sum(cp.norm(U[:, :2], 2, axis=1))
                                    + 0.3 * cp.sum(cp.norm(U, 2, axis=1))), [])),
    # alpha ||U||_2,1 + lambda_smooth / 2 sum_i ||U[:, o_{i+1}] - U[:, o_i]||^2, order o.
    "TemporalL21": (lambda: penalties_module.TemporalL21(0.5, lambda_smooth=0.8,
                                                         order=_ORDER, n_tasks=4),
                    lambda U: (0.5 * cp.sum(cp.norm(U, 2, axis=1)) + 0.4 * sum(
                        cp.sum_squares(U[:, b] - U[:, a]) for a, b in zip(_ORDER, _ORDER[1:])),
                        [])),
    "FusedSparseGroup": (lambda: penalties_module.FusedSparseGroup(
                             0.6, l1_ratio=0.4, alpha_fused=0.3, order=_ORDER, n_tasks=4),
                         lambda U: (0.6 * (0.4 * cp.sum(cp.abs(U))
                                           + 0.6 * cp.sum(cp.norm(U, 2, axis=1)))
                                    + 0.3 * sum(cp.sum(cp.abs(U[:, b] - U[:, a]))
                                                for a, b in zip(_ORDER, _ORDER[1:])), [])),
    # alpha sum_j weights_j ||U[j]||_1: a zero weight leaves the row free.
    "RowWeightedL1": (lambda: penalties_module.RowWeightedL1(0.5, np.array([1.0, 0.0, 2.0, 0.5,
                                                                            1.0])),
                      lambda U: (0.5 * cp.sum(cp.multiply(np.array([[1.0], [0.0], [2.0], [0.5],
                                                                    [1.0]]), cp.abs(U))), [])),
    # alpha sum_j (a_j ||U[j]||_1 + c_j sum_i |U[j, o_{i+1}] - U[j, o_i]|); a_j = inf: U[j] = 0.
    "WeightedFused": (lambda: penalties_module.WeightedFused(
                             0.6, _RWF_A, _RWF_C, order=_ORDER, l2_reg=0.2),
                         lambda U: (0.6 * (cp.sum(cp.multiply(np.where(np.isfinite(_RWF_A), _RWF_A,
                                                                       0.0)[:, None], cp.abs(U)))
                                           + sum(cp.sum(cp.multiply(_RWF_C,
                                                                    cp.abs(U[:, b] - U[:, a])))
                                                 for a, b in zip(_ORDER, _ORDER[1:])))
                                    + 0.1 * cp.sum_squares(U), [U[2] == 0])),
    # f_1(rows 0-1) + f_2(rows 2-4): an l2,1 norm on the first block, l1 on the second.
    "BlockSum": (lambda: penalties_module.BlockSum(
                     [penalties_module.L21(0.8), penalties_module.L1(0.4)], sizes=[2, 3]),
                 lambda U: (0.8 * cp.sum(cp.norm(U[:2], 2, axis=1)) + 0.4 * cp.sum(cp.abs(U[2:])),
                            [])),
}


def _penalty_classes():
    """Every penalty class ``mtlclassic.penalties`` exports (the abstract base excluded)."""
    Penalty = penalties_module.Penalty
    return sorted(name for name in penalties_module.__all__
                  if inspect.isclass(cls := getattr(penalties_module, name))
                  and issubclass(cls, Penalty) and cls is not Penalty)


def test_every_penalty_has_a_prox_check():
    assert set(_penalty_classes()) == set(PROXES)


@pytest.mark.parametrize("name", sorted(PROXES))
def test_prox_minimises_its_definition(name):
    make_penalty, definition = PROXES[name]
    pen = make_penalty()
    # Seeded by the name, not its place in the list: a new penalty leaves the others' data alone.
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    V = 2.0 * rng.standard_normal((5, 4))
    step = 0.7
    U = np.asarray(pen.prox(V, step))
    assert U.shape == V.shape and np.all(np.isfinite(U))

    var = cp.Variable(V.shape)
    expr, constraints = definition(var)
    problem = cp.Problem(cp.Minimize(cp.sum_squares(var - V) / (2 * step) + expr), constraints)
    with warnings.catch_warnings():
        # Clarabel may call 1e-10 "inaccurate"; the checks below measure the accuracy.
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")
        problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10,
                      tol_feas=1e-10)
    U_ref = var.value

    # The package's value is the docstring's formula (on the constraint set, if any).
    var.value = U
    assert all(np.all(c.violation() <= 1e-10) for c in constraints)
    assert pen.value(U) == pytest.approx(expr.value, rel=1e-10, abs=1e-12)
    # The objective is 1/step-strongly convex, so its minimiser is unique and
    # ||U - U*||^2 <= 2 step (obj(U) - obj*): comparing points compares objectives.
    obj = np.sum((U - V) ** 2) / (2 * step) + pen.value(U)
    assert obj <= problem.value + 1e-8 * (1.0 + abs(problem.value))
    # Clarabel's own point is accurate to about 2e-6 on some of these (its objective is not lower).
    np.testing.assert_allclose(U, U_ref, atol=1e-5)
    # and the prox does something at these strengths: neither V nor zero
    assert 1e-3 < np.linalg.norm(U - V) and np.linalg.norm(U) > 1e-3


# -- every datafit's gradient against finite differences ---------------------------------
# Datafit class name -> whether its problems are classification problems.
DATAFITS = {"Quadratic": False, "Logistic": True}


def test_every_datafit_has_a_gradient_check():
    assert set(datafits_module.__all__) == set(DATAFITS)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", sorted(DATAFITS))
def test_datafit_gradient_matches_finite_differences(name, layout):
    classifier = DATAFITS[name]
    X, y, task_column, _ = make_data(layout, classifier, seed=1)
    est = GroupLassoRegressor(task_column=task_column)  # only its layout parameters are read
    data = check_fit_data(est, X, y, None, classifier=classifier)
    datafit = getattr(datafits_module, name)(data)
    rng = np.random.default_rng(2)
    W = 0.3 * rng.standard_normal((N_FEATURES, N_TASKS))
    b = 0.3 * rng.standard_normal(N_TASKS)
    G, g = datafit.gradient(W, b)
    h = 1e-6
    for _ in range(3):  # directional derivatives along random directions of (W, b)
        dW, db = rng.standard_normal(W.shape), rng.standard_normal(b.shape)
        fd = (datafit.value(W + h * dW, b + h * db)
              - datafit.value(W - h * dW, b - h * db)) / (2 * h)
        exact = np.sum(G * dW) + np.sum(g * db)
        assert exact == pytest.approx(fd, rel=1e-6, abs=1e-9)


# -- one fit per solver: a certified, nonnegative gap below tol ---------------------------
@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_solver_duality_gap_below_tol(solver):
    problem = make_shared(4, n=40, p=8, n_tasks=3)
    alpha = 0.3 * alpha_max(problem.X, problem.y)
    tol = 1e-8
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="Solution may be inaccurate")  # cvxpy's
        est = problem.fit(alpha=alpha, solver=solver, tol=tol, max_iter=10_000)
    assert est.solver_ == solver
    assert np.any(est.coef_ != 0)  # alpha below alpha_max: a nonzero fit
    null = null_objective(problem, fit_intercept=True)
    assert 0.0 <= est.dual_gap_ <= tol * null
    # the gap recomputed from the docstring's formula (residual dual point) bounds it
    gap = duality_gap(problem, alpha, est.coef_, est.intercept_)
    assert gap >= -1e-12 * null
    assert est.dual_gap_ <= gap + 1e-11 * null
