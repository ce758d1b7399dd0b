"""The solver contract: capabilities declared, incapable pairs refused, dispatch by capability.

* every solver refuses a datafit or penalty lacking what it declares it needs, with a one-line
  ``ValueError`` naming the capability and the solvers that would do;
* ``choose_solver`` makes the estimators' choice, from capabilities alone;
* FISTA stops on a fixed-point rule for a penalty without a dual norm, reports a NaN gap, and
  lands where the same penalty solved to a certified gap lands;
* the epoch-kernel table covers every container;
* the layering: nothing under ``penalties/`` or ``datafits/`` imports the solvers or the
  estimators.
"""

import ast
import importlib
import math
import pathlib

import numpy as np
import pytest
import scipy.sparse as sp

import mtlclassic
from mtlclassic import GroupLassoRegressor
from mtlclassic._validation import check_fit_data
from mtlclassic.datafits import Logistic, Quadratic
from mtlclassic.penalties import (L1, L21, BlockSum, L1Inf, Pooled, Ridge, SparseGroup, TaskL21,
                                  TaskQuadratic, TraceNorm)
from mtlclassic.solvers import SOLVER_NEEDS, SOLVERS, check_solver, choose_solver, fista

bcd_module = importlib.import_module("mtlclassic.solvers.bcd")
PACKAGE = pathlib.Path(mtlclassic.__file__).parent


class L21NoDual(L21):
    """The l2,1 norm declared without a dual norm: no duality gap, FISTA's fixed-point rule."""

    has_dual_norm = False


class TaskQuadraticRows(TaskQuadratic):
    """Not row-separable, whatever the rest: the flags alone decide."""


def _penalties(T=3):
    M = np.eye(T) - np.ones((T, T)) / T
    return [L21(0.1), L1(0.1), SparseGroup(0.1, 0.3), L1Inf(0.1), Ridge(0.1), Pooled(0.1, T),
            TraceNorm(0.1), TaskL21(0.1), BlockSum([L21(0.1), L1(0.2)], [2, 2]),
            TaskQuadratic(M, alpha=0.1), TaskQuadratic(M, l2_reg=0.1), L21NoDual(0.1)]


def _data(seed=0, n=40, p=6, T=3, loss="squared", sparse=False, missing=False, stacked=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    Y = X @ rng.standard_normal((p, T)) + 0.1 * rng.standard_normal((n, T))
    if loss == "logistic":  # labels as the logistic datafit reads them
        Y = np.where(Y > 0, 1.0, -1.0)
    if missing:
        Y[0, 0] = np.nan
    task_column = None
    if stacked:
        X = np.column_stack([X, np.arange(n) % T])
        Y = Y[:, 0]
        task_column = -1
    if sparse:
        X = sp.csr_matrix(X)
    return check_fit_data(GroupLassoRegressor(task_column=task_column), X, Y, None)


# -- refusals ------------------------------------------------------------------------------
def test_bcd_refuses_a_penalty_not_separable_over_features():
    data = _data().center()
    M = np.eye(3) - np.ones((3, 3)) / 3
    W0, b0 = np.zeros((data.n_features, 3)), np.zeros(3)
    with pytest.raises(ValueError) as info:
        SOLVERS["bcd"](Quadratic(data), TaskQuadratic(M, alpha=0.1), W0, b0)
    message = str(info.value)
    assert message == ("solver 'bcd' needs a penalty separable over features (row_separable); "
                       "TaskQuadratic is not. Use 'fista'.")
    assert "\n" not in message


def test_bcd_refuses_a_datafit_without_an_affine_gradient():
    data = _data(loss="logistic")
    with pytest.raises(ValueError, match=r"^solver 'bcd' needs the squared loss .*; Logistic is "
                                         r"not\. Use 'prox_newton', 'working_set' or "
                                         r"'fista'\.$"):
        SOLVERS["bcd"](Logistic(data), L21(0.1), np.zeros((6, 3)), np.zeros(3))


@pytest.mark.parametrize("solver", ["bcd", "working_set", "prox_newton"])
def test_working_sets_refuse_a_penalty_without_a_dual_norm(solver):
    data = _data().center()
    with pytest.raises(ValueError, match=r"needs a penalty with a closed-form dual norm "
                                         r"\(has_dual_norm\); L21NoDual has none\. Use 'fista'\.$"):
        SOLVERS[solver](Quadratic(data), L21NoDual(0.1), np.zeros((6, 3)), np.zeros(3))


@pytest.mark.parametrize("penalty", _penalties(), ids=lambda p: type(p).__name__)
@pytest.mark.parametrize("datafit", [Quadratic, Logistic], ids=lambda d: d.__name__)
@pytest.mark.parametrize("solver", sorted(SOLVER_NEEDS))
def test_check_solver_refuses_exactly_what_is_not_declared(solver, datafit, penalty):
    needs = SOLVER_NEEDS[solver]
    capable = (all(getattr(penalty, flag) for flag in needs.penalty)
               and all(getattr(datafit, flag) for flag in needs.datafit))
    if capable:
        check_solver(solver, datafit, penalty)
    else:
        with pytest.raises(ValueError, match=rf"^solver {solver!r} needs .*\. Use '[a-z_]+'"):
            check_solver(solver, datafit, penalty)


def test_flags_not_names_decide():
    """A subclass is judged by its flags: a TaskQuadratic declared row-separable passes."""
    M = np.eye(3)
    pen = TaskQuadraticRows(M, alpha=0.1)
    with pytest.raises(ValueError, match="row_separable"):
        check_solver("working_set", Quadratic, pen)
    pen.row_separable = True
    check_solver("working_set", Quadratic, pen)


# -- choose_solver == the estimators' choice -------------------------------------------------
def _estimator_choice(loss, penalty, requested):
    """The estimators' choice before the contract (their ``_choose_solver``), frozen as the oracle."""
    separable = penalty.row_separable
    if requested != "auto":
        if requested == "bcd" and loss != "squared":
            return ValueError, "solver='bcd' supports the squared loss only"
        if requested in ("bcd", "working_set", "prox_newton") and not separable:
            return ValueError, f"solver={requested!r} needs a penalty separable over features"
        return requested
    if not separable:
        return "fista"
    if loss == "squared":
        return "bcd"
    # Issue 17: prox-Newton inner steps for the logistic loss (benchmarks/bench_logistic.py).
    return "prox_newton" if penalty.zeroes_rows else "fista"


@pytest.mark.parametrize("penalty", _penalties()[:-1], ids=lambda p: type(p).__name__)
@pytest.mark.parametrize("loss, datafit", [("squared", Quadratic), ("logistic", Logistic)])
@pytest.mark.parametrize("requested", ["auto", *sorted(SOLVERS)])
def test_choose_solver_makes_the_estimators_choice(loss, datafit, penalty, requested):
    expected = _estimator_choice(loss, penalty, requested)
    try:
        got = choose_solver(datafit, penalty, requested, owner="SimpleNamespace")
    except ValueError as exc:
        got = ValueError, str(exc).split(";")[0]
    if isinstance(expected, tuple):
        assert isinstance(got, tuple), (expected, got)
        # the same sentence up to the capability named (``with a dual norm``)
        assert got[1].replace(" with a dual norm", "") == expected[1]
    else:
        assert got == expected
    if got in SOLVERS:  # and the solver chosen accepts the pair
        check_solver(got, datafit, penalty)


def test_choose_solver_takes_fista_without_a_dual_norm():
    assert choose_solver(Quadratic, L21NoDual(0.1)) == "fista"
    assert choose_solver(Quadratic, L21(0.1)) == "bcd"
    assert choose_solver(Logistic(None), L21(0.1)) == "prox_newton"  # an instance serves too
    with pytest.raises(ValueError, match="solver must be"):
        choose_solver(Quadratic, L21(0.1), "newton")


# -- the fixed-point rule ---------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_fista_without_a_dual_norm_stops_on_the_fixed_point_rule(loss, fit_intercept):
    data = _data(seed=3, n=60, p=8, loss=loss)
    datafit = (Quadratic if loss == "squared" else Logistic)(data)
    W0, b0 = np.zeros((data.n_features, data.n_tasks)), np.zeros(data.n_tasks)
    alpha = 0.3 * L21(1.0).dual_norm(datafit.gradient(W0, b0)[0])
    W_ref, b_ref, _, gap_ref, scale = fista(datafit, L21(alpha), W0, b0,
                                            fit_intercept=fit_intercept, tol=1e-13,
                                            max_iter=100_000)
    assert gap_ref <= 1e-13 * scale
    W, b, n_iter, gap, _ = fista(datafit, L21NoDual(alpha), W0, b0,
                                 fit_intercept=fit_intercept, tol=1e-10, max_iter=100_000)
    assert math.isnan(gap)
    assert n_iter < 100_000  # stopped by the rule, not by max_iter
    assert np.any(np.all(W == 0, axis=1)) and np.any(W != 0)  # the solution is row-sparse
    np.testing.assert_allclose(W, W_ref, rtol=0, atol=1e-7 * np.abs(W_ref).max())
    np.testing.assert_allclose(b, b_ref, rtol=0, atol=1e-7 * max(np.abs(b_ref).max(), 1.0))
    # A loose tol stops earlier, at a worse point: the rule is what stopped it.
    _, _, n_loose, gap_loose, _ = fista(datafit, L21NoDual(alpha), W0, b0,
                                        fit_intercept=fit_intercept, tol=1e-3)
    assert math.isnan(gap_loose) and n_loose < n_iter


def test_cvxpy_reports_no_gap_without_a_dual_norm():
    data = _data(seed=1)
    W, _, _, gap, _ = SOLVERS["cvxpy"](Quadratic(data), L21NoDual(0.05), np.zeros((6, 3)),
                                       np.zeros(3), fit_intercept=False)
    assert math.isnan(gap) and np.all(np.isfinite(W))


# -- the epoch kernel table -------------------------------------------------------------------
# Missing targets exist in the shared layout only (NaN in a 2-D Y).
_CONTAINERS = pytest.mark.parametrize("stacked, missing", [(False, False), (False, True),
                                                           (True, False)],
                                      ids=["shared", "shared-missing", "stacked"])


@_CONTAINERS
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_every_container_has_an_epoch_kernel(stacked, sparse, missing):
    data = _data(sparse=sparse, missing=missing, stacked=stacked)
    key = bcd_module.epoch_key(data)
    assert key in bcd_module.EPOCH_KERNELS
    assert key[:2] == (data.layout, "sparse" if sparse else "dense")
    # the separable-weights kernel only where C = a (x) tau holds
    if key[2] == "a (x) tau":
        np.testing.assert_array_equal(data.C, np.outer(data.row_weights, data.task_scale))


@_CONTAINERS
def test_one_dense_epoch_is_one_block_prox_gradient_step_per_feature(stacked, missing):
    """The shared dense kernel (any weights) and the stacked one: each step is
    ``W[j] <- prox_{g/L_j}(W[j] - grad_j F / L_j)``, with the residual kept up to date."""
    data = _data(seed=2, missing=missing, stacked=stacked)
    if not stacked:
        data.row_weights = data.task_scale = None  # force the general-weights kernel
    key = bcd_module.epoch_key(data)
    assert bcd_module.EPOCH_KERNELS[key][0] in (bcd_module._bind_shared_dense,
                                                bcd_module._bind_stacked_dense)
    datafit, pen = Quadratic(data), L21(0.05)
    epoch, order = bcd_module._subproblem_epoch(data)
    L = datafit.block_lipschitz().astype(data.dtype)
    W = np.zeros((data.n_features, data.n_tasks))
    R = np.array(data.Y - datafit.linear(W), order=order)
    W_ref = W.copy()
    epoch(R, np.zeros(data.n_tasks), W, L, pen.row_params, pen.row_kind,
          np.arange(data.n_features, dtype=np.int64))
    for j in range(data.n_features):  # the same cyclic pass, in numpy
        G = datafit.gradient(W_ref)[0]
        step = W_ref.copy()
        step[j] -= G[j] / L[j]
        W_ref[j] = pen.prox(step[j:j + 1], 1.0 / L[j])[0]
    np.testing.assert_allclose(W, W_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(R, data.Y - datafit.linear(W), rtol=1e-10, atol=1e-12)


# -- layering -------------------------------------------------------------------------------
def _imported_modules(path, package):
    """Absolute names of the modules ``path`` (a module of ``package``) imports."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            yield name
            yield from (f"{name}.{alias.name}" for alias in node.names)


@pytest.mark.parametrize("layer", ["penalties", "datafits"])
def test_lower_layers_import_no_solver_nor_estimator(layer):
    upward = ("mtlclassic.solvers", "mtlclassic.estimators")
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files
    for path in files:
        package = "mtlclassic." + ".".join(path.relative_to(PACKAGE).parent.parts)
        for name in _imported_modules(path, package):
            assert not name.startswith(upward), f"{path.relative_to(PACKAGE)} imports {name}"


def test_the_import_walk_sees_relative_imports():
    """The walk above would catch ``from ..solvers import x`` (the test can fail)."""
    src = PACKAGE / "penalties" / "_base.py"
    names = list(_imported_modules(src, "mtlclassic.penalties"))
    assert "mtlclassic._backend" in names and "mtlclassic.penalties._row_kernels" in names
