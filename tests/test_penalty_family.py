"""Every penalty of :mod:`mtlclassic.penalties` against its definition.

Each case below is described by *blocks* ``(norm, alpha, l1_ratio, l2_reg)``
acting on row slices of ``W`` (n_features, n_tasks); one block is a plain
penalty, two blocks a :class:`BlockSum` (rows split ``[p // 2, p - p // 2]``).
All the expected answers (cvxpy objectives, values, dual norms, projections
onto dual balls, l1-ball projections, the sparse-group dual norm) are written
here from the formulas, without calling the package, so that the tests can
fail:

1. ``prox`` against ``argmin_U 1/2 ||U - V||^2 + step h(U)`` solved by cvxpy;
   ``cvxpy_expr`` and ``value`` against the hand-written objective;
2. Moreau's identity ``prox_{step f}(V) + step P(V / step) = V`` (``P`` the
   projection onto the dual ball of radius ``alpha``);
3. properties (hypothesis): nonexpansive prox, ``prox(0) = 0``, identity at
   ``step = 0``, dual norm positively homogeneous and Hölder, Fenchel-Young,
   ``dual_scale`` lands in the dual ball; sup over the penalty ball and the
   conjugate's supremum checked by cvxpy;
4. the numba row prox (what ``prox`` runs on numpy arrays) equals the
   array-namespace formula (what it runs on CuPy arrays) row by row (float64
   and float32);
5. ``sparse_group_dual_norms``, ``project_rows_l1_ball``, ``row_dual_norms``
   and the safety of ``screen``.
"""

from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mtlclassic.penalties import (L1, L21, BlockSum, L1Inf, Pooled, Ridge, SparseGroup, TaskL21,
                                  TraceNorm, project_rows_l1_ball, sparse_group_dual_norms)
from mtlclassic.penalties._row_kernels import (PROX_CONSENSUS, PROX_L1, PROX_L1INF, PROX_L21,
                                              PROX_NONE, PROX_SGL, row_prox)

_CLARABEL = dict(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
# The sparse-group cone programs are degenerate (an entry's l1 and the row's l2 terms are both
# active at once) and Clarabel's argmin then converges like sqrt(tolerance): at 1e-10 its prox
# is off by up to 6e-6 (its objective is 3e-11 above the package's), at 1e-12 by < 4e-7.
_CLARABEL_SGL = dict(_CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
# Clarabel sometimes stops at "almost solved" with these tolerances; the answers are checked to
# 1e-6 anyway.
_INACCURATE = pytest.mark.filterwarnings("ignore:Solution may be inaccurate")


# -- the cases -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    norm: str  # l1, l21, sgl, l1inf, trace, task_l21, ridge, pooled
    alpha: float
    l1_ratio: float = 0.0
    l2: float = 0.0


@dataclass(frozen=True)
class Case:
    id: str
    blocks: tuple

    @property
    def is_norm(self):
        """Every block a norm without elastic term (Moreau identity, dual ball)."""
        return all(b.norm not in ("ridge", "pooled") and b.l2 == 0 for b in self.blocks)

    @property
    def strongly_convex(self):
        return all(b.norm in ("ridge", "pooled") or b.l2 > 0 for b in self.blocks)

    @property
    def row_separable(self):
        return len(self.blocks) == 1 and self.blocks[0].norm in _KINDS

    @property
    def sparse_rows(self):
        return self.row_separable and self.blocks[0].norm not in ("ridge", "pooled")

    @property
    def needs_tasks(self):
        """Cases that do not run on ``n_tasks = 0``: the pooled model is undefined there."""
        return any(b.norm == "pooled" for b in self.blocks)


_KINDS = {"l1": PROX_L1, "l21": PROX_L21, "sgl": PROX_SGL, "l1inf": PROX_L1INF,
          "ridge": PROX_NONE, "pooled": PROX_CONSENSUS}

CASES = [
    Case("l1", (Block("l1", 0.7),)),
    Case("l1-l2", (Block("l1", 0.7, l2=0.6),)),
    Case("l21", (Block("l21", 0.9),)),
    Case("l21-l2", (Block("l21", 0.9, l2=1.3),)),
    Case("sgl0", (Block("sgl", 0.8, 0.0),)),
    Case("sgl0.3", (Block("sgl", 0.8, 0.3),)),
    Case("sgl0.5", (Block("sgl", 0.8, 0.5),)),
    Case("sgl0.85", (Block("sgl", 0.8, 0.85),)),
    Case("sgl1", (Block("sgl", 0.8, 1.0),)),
    Case("sgl0-l2", (Block("sgl", 0.8, 0.0, l2=0.4),)),
    Case("sgl0.5-l2", (Block("sgl", 0.8, 0.5, l2=0.7),)),
    Case("sgl1-l2", (Block("sgl", 0.8, 1.0, l2=2.0),)),
    Case("l1inf", (Block("l1inf", 0.6),)),
    Case("l1inf-l2", (Block("l1inf", 0.6, l2=0.5),)),
    Case("trace", (Block("trace", 0.8),)),
    Case("trace-l2", (Block("trace", 0.8, l2=0.9),)),
    Case("task_l21", (Block("task_l21", 0.7),)),
    Case("task_l21-l2", (Block("task_l21", 0.7, l2=0.8),)),
    Case("ridge", (Block("ridge", 0.8),)),
    Case("pooled", (Block("pooled", 1.3),)),
    Case("sum-l1inf-l1", (Block("l1inf", 0.8), Block("l1", 0.4))),
    Case("sum-l1inf-l1-l2", (Block("l1inf", 0.8, l2=0.5), Block("l1", 0.4, l2=0.3))),
    Case("sum-l21-task_l21", (Block("l21", 0.6), Block("task_l21", 0.9))),
    Case("sum-l21-task_l21-l2", (Block("l21", 0.6, l2=0.4), Block("task_l21", 0.9, l2=1.1))),
]
_IDS = [c.id for c in CASES]
NORM_CASES = [c for c in CASES if c.is_norm]
SMOOTH_CASES = [c for c in CASES if c.strongly_convex]
ROW_CASES = [c for c in CASES if c.row_separable]
SPARSE_ROW_CASES = [c for c in CASES if c.sparse_rows]
# cases with a ``dual_norm`` method (BlockSum has none: it rescales part by part)
DUAL_NORM_CASES = [c for c in CASES if len(c.blocks) == 1 and c.blocks[0].norm not in
                   ("ridge", "pooled")]


def _ids(cases):
    return [c.id for c in cases]


def _row_slices(case, p):
    if len(case.blocks) == 1:
        return [slice(0, p)]
    return [slice(0, p // 2), slice(p // 2, p)]


def _block_alpha(block, scale):
    """The norms' weights follow the scale of the data; ridge / pooled weights do not."""
    return block.alpha if block.norm in ("ridge", "pooled") else block.alpha * scale


def _block_penalty(block, n_tasks, scale):
    a = _block_alpha(block, scale)
    if block.norm == "ridge":
        return Ridge(a)
    if block.norm == "pooled":
        return Pooled(a, n_tasks)
    if block.norm == "sgl":
        return SparseGroup(a, l1_ratio=block.l1_ratio, l2_reg=block.l2)
    cls = {"l1": L1, "l21": L21, "l1inf": L1Inf, "trace": TraceNorm, "task_l21": TaskL21}
    return cls[block.norm](a, l2_reg=block.l2)


def make_penalty(case, p, T, scale=1.0):
    if len(case.blocks) == 1:
        return _block_penalty(case.blocks[0], T, scale)
    return BlockSum([_block_penalty(b, T, scale) for b in case.blocks], [p // 2, p - p // 2])


def to_domain(case, W):
    """The pooled penalty is finite only on matrices with equal columns: average the rows."""
    if case.blocks[0].norm == "pooled" and W.shape[1]:
        return np.repeat(W.mean(axis=1, keepdims=True), W.shape[1], axis=1)
    return W


# -- reference formulas (numpy) ------------------------------------------------------------------
def _soft(v, c):
    return np.sign(v) * np.maximum(np.abs(v) - c, 0.0)


def ref_sgl_dual_rows(V, r, n_iter=100):
    """Per-row root ``s`` of ``||ST(v, r s)||_2 = (1 - r) s`` by bisection on ``[0, ||v||_2]``.

    ``g(s) = ||ST(v, r s)|| - (1 - r) s`` decreases; the dual norm is its smallest zero
    (``r l1 + (1 - r) l2 >= l2`` bounds it by ``||v||_2``)."""
    A = np.abs(np.asarray(V, dtype=np.float64))
    lo = np.zeros(A.shape[0])
    hi = np.sqrt(np.sum(A * A, axis=1))
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        g = np.sqrt(np.sum(np.maximum(A - r * mid[:, None], 0.0) ** 2, axis=1)) - (1 - r) * mid
        neg = g <= 0
        hi = np.where(neg, mid, hi)
        lo = np.where(neg, lo, mid)
    return hi


def ref_project_l1_rows(V, radius, n_iter=100):
    """Each row of V onto ``{||u||_1 <= radius}`` by bisection on the threshold ``theta``."""
    A = np.abs(V)
    inside = A.sum(axis=1) <= radius
    lo = np.zeros(V.shape[0])
    hi = A.max(axis=1, initial=0.0)
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        big = np.maximum(A - mid[:, None], 0.0).sum(axis=1) > radius
        lo = np.where(big, mid, lo)
        hi = np.where(big, hi, mid)
    P = np.sign(V) * np.maximum(A - hi[:, None], 0.0)
    return np.where(inside[:, None], V, P)


def ref_row_dual(block, V):
    """Per-row dual norm of the row penalty ``block`` (without its weight alpha)."""
    A = np.abs(V)
    if block.norm == "l1":
        return A.max(axis=1, initial=0.0)
    if block.norm == "l21":
        return np.sqrt(np.sum(V * V, axis=1))
    if block.norm == "l1inf":
        return A.sum(axis=1)
    if block.norm == "sgl":
        return ref_sgl_dual_rows(V, block.l1_ratio)
    raise ValueError(block.norm)


def ref_dual_norm(block, V):
    if V.size == 0:
        return 0.0
    if block.norm == "trace":
        return np.linalg.norm(V, 2)
    if block.norm == "task_l21":
        return np.sqrt(np.sum(V * V, axis=0)).max()
    return ref_row_dual(block, V).max()


def ref_project_dual_ball(block, V, a):
    """Projection onto ``{U : dual norm(U) <= a}``."""
    if block.norm == "l1":
        return np.clip(V, -a, a)
    if block.norm == "l21":
        n = np.sqrt(np.sum(V * V, axis=1, keepdims=True))
        return V * np.minimum(1.0, a / np.maximum(n, a))
    if block.norm == "task_l21":
        n = np.sqrt(np.sum(V * V, axis=0, keepdims=True))
        return V * np.minimum(1.0, a / np.maximum(n, a))
    if block.norm == "l1inf":
        return ref_project_l1_rows(V, a)
    if block.norm == "trace":
        U, s, Vt = np.linalg.svd(V, full_matrices=False)
        return (U * np.minimum(s, a)) @ Vt
    if block.norm == "sgl":
        return cvx_project_sgl_dual_ball(V, block.l1_ratio, a)
    raise ValueError(block.norm)


def ref_f(block, W, scale=1.0):
    """The block's penalty value without its elastic term (numpy)."""
    a = _block_alpha(block, scale)
    if W.size == 0:
        return 0.0
    rn = np.sqrt(np.sum(W * W, axis=1))
    f = {"l1": lambda: np.abs(W).sum(),
         "l21": lambda: rn.sum(),
         "sgl": lambda: block.l1_ratio * np.abs(W).sum() + (1 - block.l1_ratio) * rn.sum(),
         "l1inf": lambda: np.abs(W).max(axis=1).sum(),
         "trace": lambda: np.linalg.svd(W, compute_uv=False).sum(),
         "task_l21": lambda: np.sqrt(np.sum(W * W, axis=0)).sum(),
         "ridge": lambda: 0.5 * np.sum(W * W),
         "pooled": lambda: 0.5 * np.sum(W[:, 0] ** 2)}[block.norm]()  # W in the domain
    return a * f


def ref_value(case, W, scale=1.0):
    out = 0.0
    for block, rows in zip(case.blocks, _row_slices(case, W.shape[0])):
        out += ref_f(block, W[rows], scale) + 0.5 * block.l2 * np.sum(W[rows] ** 2)
    return out


# -- reference formulas (cvxpy) --------------------------------------------------------------------
def cvx_f(block, U, scale=1.0):
    """The block's nonsmooth term of a cvxpy expression ``U``, from its definition."""
    a = _block_alpha(block, scale)
    p = U.shape[0]
    if block.norm == "l1":
        return a * cp.sum(cp.abs(U))
    if block.norm == "l21":
        return a * sum(cp.norm(U[j, :], 2) for j in range(p))
    if block.norm == "sgl":
        # terms with a zero weight are left out: they only slow Clarabel's convergence down
        r, rows = block.l1_ratio, range(p)
        l1 = r * sum(cp.norm(U[j, :], 1) for j in rows) if r > 0 else 0
        l2 = (1 - r) * sum(cp.norm(U[j, :], 2) for j in rows) if r < 1 else 0
        return a * (l1 + l2)
    if block.norm == "l1inf":
        return a * sum(cp.norm(U[j, :], "inf") for j in range(p))
    if block.norm == "trace":
        return a * cp.normNuc(U)
    if block.norm == "task_l21":
        return a * sum(cp.norm(U[:, t], 2) for t in range(U.shape[1]))
    if block.norm == "ridge":
        return 0.5 * a * cp.sum_squares(U)
    raise ValueError(block.norm)


def cvx_penalty(case, p, T, scale=1.0):
    """A cvxpy expression ``U`` (p, T) ranging over the penalty's domain, and ``h(U)``."""
    block = case.blocks[0]
    if block.norm == "pooled":  # all tasks share w: U = w 1^T, alpha / 2 ||w||^2
        w = cp.Variable((p, 1))
        return w @ np.ones((1, T)), 0.5 * block.alpha * cp.sum_squares(w)
    U = cp.Variable((p, T))
    h = 0
    for block, rows in zip(case.blocks, _row_slices(case, p)):
        if rows.stop > rows.start:
            h = h + cvx_f(block, U[rows], scale) + 0.5 * block.l2 * cp.sum_squares(U[rows])
    return U, h


def _solve(objective, constraints=(), sgl=False):
    prob = cp.Problem(objective, list(constraints))
    prob.solve(**(_CLARABEL_SGL if sgl else _CLARABEL))
    assert prob.status in ("optimal", "optimal_inaccurate"), prob.status
    return prob.value


def cvx_prox(case, V, step, scale=1.0):
    U, h = cvx_penalty(case, *V.shape, scale)
    _solve(cp.Minimize(0.5 * cp.sum_squares(U - V) + step * h),
           sgl=any(b.norm == "sgl" for b in case.blocks))
    return U.value


def cvx_project_sgl_dual_ball(V, r, a, n_polish=300):
    """Rows onto ``{u : ||ST(u, r a)||_2 <= (1 - r) a}`` = (box of half-width r a) + (l2 ball of
    radius (1 - r) a): the l2 distance of u to the box is ``||ST(u, r a)||_2``.

    Solved by cvxpy as ``min ||V - E - B||^2`` over ``|E| <= r a``, ``||B[j]|| <= (1 - r) a``,
    then polished by exact block minimisation (E = clip, B = scaling into the ball): Clarabel
    stops at "optimal_inaccurate" ~1e-6 away on this degenerate problem, and a few sweeps from
    there reach rounding level.
    """
    U, E = cp.Variable(V.shape), cp.Variable(V.shape)
    cons = [cp.abs(E) <= r * a] + [cp.norm(U[j, :] - E[j, :], 2) <= (1 - r) * a
                                   for j in range(V.shape[0])]
    _solve(cp.Minimize(cp.sum_squares(U - V)), cons)
    E, B = E.value, U.value - E.value
    for _ in range(n_polish):
        E = np.clip(V - B, -r * a, r * a)
        D = V - E
        n = np.sqrt(np.sum(D * D, axis=1, keepdims=True))
        rad = (1 - r) * a
        B = D * np.where(n > rad, rad / np.where(n > rad, n, 1.0), 1.0)
    return E + B


def _random_matrix(rng, shape, spread=3.0):
    """Gaussian entries with rows of different sizes (some prox rows zero, some not)."""
    return rng.standard_normal(shape) * rng.uniform(0.1, spread, (shape[0], 1))


# -- 1. prox against its definition, value against the objective ----------------------------------
_PROX_SHAPES = [(4, 3), (1, 4), (5, 1), (3, 3)]


@_INACCURATE
@pytest.mark.parametrize("shape", _PROX_SHAPES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_prox_matches_cvxpy_definition(case, shape):
    rng = np.random.default_rng([CASES.index(case), _PROX_SHAPES.index(shape)])
    V = _random_matrix(rng, shape)
    step = rng.uniform(0.3, 2.0)
    U = make_penalty(case, *shape).prox(V, step)
    assert U.shape == V.shape
    np.testing.assert_allclose(U, cvx_prox(case, V, step), atol=1e-6)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_value_and_cvxpy_expr_match_the_definition(case, seed):
    rng = np.random.default_rng(seed)
    shape = [(4, 3), (1, 5), (6, 1)][seed]
    W = to_domain(case, _random_matrix(rng, shape))
    pen = make_penalty(case, *shape)
    expected = ref_value(case, W)
    assert pen.value(W) == pytest.approx(expected, rel=1e-12, abs=1e-14)
    # the hand-written cvxpy objective, evaluated at W
    U, h = cvx_penalty(case, *shape)
    if isinstance(U, cp.Variable):
        U.value = W
    else:  # pooled: U = w 1^T
        h.variables()[0].value = W[:, :1]
    assert float(h.value) == pytest.approx(expected, rel=1e-10, abs=1e-12)
    # the package's cvxpy expression and constraints at the same W
    Wv = cp.Variable(shape)
    Wv.value = W
    assert float(pen.cvxpy_expr(Wv).value) == pytest.approx(expected, rel=1e-10, abs=1e-12)
    assert all(np.all(c.value()) for c in pen.cvxpy_constraints(Wv))


def test_pooled_constraints_reject_unequal_columns():
    Wv = cp.Variable((3, 2))
    Wv.value = np.array([[1.0, 1.0], [2.0, 2.5], [0.0, 0.0]])
    cons = Pooled(1.0, 2).cvxpy_constraints(Wv)
    assert cons and not all(np.all(c.value()) for c in cons)


@_INACCURATE
@pytest.mark.parametrize("case", SMOOTH_CASES, ids=_ids(SMOOTH_CASES))
def test_prox_with_large_step_on_a_hand_made_matrix(case):
    """Rows shrunk to zero and rows kept in one matrix, large step (the l2 term dominates)."""
    V = np.array([[3.0, -4.0, 0.5], [0.01, 0.02, -0.01], [0.0, 0.0, 0.0], [-2.0, 1.0, 7.0]])
    step = 25.0
    np.testing.assert_allclose(make_penalty(case, 4, 3).prox(V, step), cvx_prox(case, V, step),
                               atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=_IDS)
@settings(deadline=None, max_examples=40)
@given(data=st.data())
def test_prox_satisfies_its_optimality_conditions(case, data):
    """A certificate without a solver: ``U = prox_{step h}(V)`` iff, block by block,
    ``Z = (V - (1 + step l2) U) / step`` is a subgradient of the norm ``f`` at ``U``, i.e. lies
    in the dual ball of radius alpha and ``<Z, U> = f(U)`` (the duality gap of the prox problem
    is then zero).  Ridge and pooled have closed forms:
    ``V / (1 + step alpha)`` and ``mean_t V[:, t] / (1 + step alpha / T)`` in every column."""
    shape, scale = data.draw(shapes(case)), data.draw(_scales)
    V = data.draw(matrix(shape, scale))
    step = data.draw(st.floats(1e-2, 1e2))
    U = make_penalty(case, *shape, scale).prox(V, step)
    assert U.shape == V.shape
    block = case.blocks[0]
    if block.norm == "ridge":
        np.testing.assert_allclose(U, V / (1 + step * block.alpha), rtol=1e-14)
        return
    if block.norm == "pooled":
        w = V.sum(axis=1, keepdims=True) / (shape[1] + step * block.alpha)
        np.testing.assert_allclose(U, np.broadcast_to(w, shape), rtol=1e-13,
                                   atol=1e-15 * scale)
        return
    for block, rows in zip(case.blocks, _row_slices(case, shape[0])):
        Vb, Ub = V[rows], U[rows]
        a = _block_alpha(block, scale)
        Z = (Vb - (1 + step * block.l2) * Ub) / step
        # rounding of V - U, divided by the step
        err = 1e-14 * np.abs(Vb).max(initial=0.0) * (1 + step * block.l2) / step
        assert ref_dual_norm(block, Z) <= a * (1 + 1e-10) + Vb.shape[1] * err
        f = ref_f(block, Ub, scale)
        inner = float(np.sum(Z * Ub))
        assert inner == pytest.approx(f, rel=1e-9, abs=Ub.size * err * np.abs(Ub).max(initial=0))


# -- 2. Moreau identity --------------------------------------------------------------------------
def ref_project_dual(case, V, scale=1.0):
    """Projection onto the product of the blocks' dual balls of radius alpha."""
    return np.concatenate([ref_project_dual_ball(b, V[rows], _block_alpha(b, scale))
                           for b, rows in zip(case.blocks, _row_slices(case, V.shape[0]))],
                          axis=0)


@_INACCURATE
@pytest.mark.parametrize("step", [1.0, 0.3, 3.5])
@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("case", NORM_CASES, ids=_ids(NORM_CASES))
def test_moreau_identity(case, seed, step):
    """``prox_{step f}(V) + step P(V / step) = V``, ``P`` onto the dual ball of radius alpha
    (``f^*`` is its indicator, and ``prox_{f^*/step}(V/step) = P(V/step)``)."""
    rng = np.random.default_rng(seed)
    shape = [(5, 4), (6, 2)][seed]
    V = _random_matrix(rng, shape, spread=2.0)
    pen = make_penalty(case, *shape)
    np.testing.assert_allclose(pen.prox(V, step) + step * ref_project_dual(case, V / step), V,
                               rtol=0, atol=1e-12)


# -- 3. properties ---------------------------------------------------------------------------
# Entries of magnitude below 1e-9 are set to 0: squares of ~1e-160 underflow into subnormals,
# where no l2 norm (the package's or the references') keeps its relative accuracy.
_unit = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False, allow_subnormal=False).map(
    lambda x: x if abs(x) >= 1e-9 else 0.0)
_scales = st.integers(-3, 3).map(lambda k: 10.0 ** k)
_PROPS = settings(deadline=None, max_examples=30)


@st.composite
def shapes(draw, case, max_p=5, max_T=4):
    min_T = 1 if case.needs_tasks else 0
    return draw(st.integers(0, max_p)), draw(st.integers(min_T, max_T))


@st.composite
def matrix(draw, shape, scale):
    """Entries in [-1, 1] times ``scale``, some rows zeroed (all-zero matrices included)."""
    V = draw(arrays(np.float64, shape, elements=_unit))
    V[draw(arrays(np.bool_, (shape[0],)))] = 0.0
    return V * scale


def _fro(A):
    return float(np.sqrt(np.sum(A * A)))


@pytest.mark.parametrize("case", CASES, ids=_IDS)
@_PROPS
@given(data=st.data())
def test_prox_is_nonexpansive(case, data):
    shape, scale = data.draw(shapes(case)), data.draw(_scales)
    A, B = data.draw(matrix(shape, scale)), data.draw(matrix(shape, scale))
    step = data.draw(st.floats(1e-3, 1e3))
    pen = make_penalty(case, *shape, scale)
    PA, PB = pen.prox(A, step), pen.prox(B, step)
    assert PA.shape == A.shape and np.all(np.isfinite(PA))
    # rounding floor: an SVD or a mean is exact only to eps * ||A||
    slack = 1e-12 * max(_fro(A), _fro(B))
    assert _fro(PA - PB) <= _fro(A - B) * (1 + 1e-9) + slack


@pytest.mark.parametrize("case", CASES, ids=_IDS)
@_PROPS
@given(data=st.data())
def test_prox_of_zero_is_zero_and_zero_step_is_identity(case, data):
    shape, scale = data.draw(shapes(case)), data.draw(_scales)
    pen = make_penalty(case, *shape, scale)
    step = data.draw(st.floats(0.0, 1e3))
    Z = pen.prox(np.zeros(shape), step)
    assert Z.shape == shape and np.all(Z == 0.0)
    # at step 0 the prox is the identity on the penalty's domain (the pooled model is the
    # indicator of equal columns: its prox is a projection for every step)
    V = to_domain(case, data.draw(matrix(shape, scale)))
    P = pen.prox(V, 0.0)
    if any(b.norm in ("trace", "pooled") for b in case.blocks):  # SVD / mean: up to rounding
        np.testing.assert_allclose(P, V, rtol=1e-13, atol=1e-13 * scale)
    else:
        np.testing.assert_array_equal(P, V)


@pytest.mark.parametrize("case", DUAL_NORM_CASES, ids=_ids(DUAL_NORM_CASES))
@_PROPS
@given(data=st.data())
def test_dual_norm_homogeneous_and_hoelder(case, data):
    """``dual_norm(c V) = c dual_norm(V)`` and ``<V, W> <= dual_norm(V) f(W) / alpha``."""
    shape, scale = data.draw(shapes(case)), data.draw(_scales)
    block = case.blocks[0]
    pen = make_penalty(case, *shape, scale)
    V, W = data.draw(matrix(shape, scale)), data.draw(matrix(shape, 1.0))
    c = data.draw(st.floats(1e-3, 1e3))
    d = pen.dual_norm(V)
    assert d == pytest.approx(ref_dual_norm(block, V), rel=1e-9, abs=1e-300)
    assert pen.dual_norm(c * V) == pytest.approx(c * d, rel=1e-12, abs=1e-300)
    f = pen.value(W) - 0.5 * pen.l2_reg * np.sum(W * W)  # the norm part
    inner = float(np.sum(V * W))
    assert inner <= d * f / pen.alpha + 1e-12 * (abs(inner) + d * f / pen.alpha) + 1e-300


@pytest.mark.parametrize("case", CASES, ids=_IDS)
@_PROPS
@given(data=st.data())
def test_dual_scale_lands_in_the_dual_ball(case, data):
    shape, scale = data.draw(shapes(case)), data.draw(_scales)
    pen = make_penalty(case, *shape, scale)
    V = data.draw(matrix(shape, scale)) * data.draw(st.floats(0.0, 10.0))
    s = pen.dual_scale(V)
    assert 0.0 < s <= 1.0
    sV = s * V
    for block, rows in zip(case.blocks, _row_slices(case, shape[0])):
        if block.norm in ("ridge", "pooled") or block.l2 > 0:
            continue  # finite conjugate everywhere: nothing to rescale for this block
        a = _block_alpha(block, scale)
        assert ref_dual_norm(block, sV[rows]) <= a * (1 + 1e-12)
    if case.strongly_convex:
        assert s == 1.0
    else:
        # the largest such s: 1 inside the ball, else some block lands on its boundary
        gaps = [ref_dual_norm(b, V[rows]) / _block_alpha(b, scale)
                for b, rows in zip(case.blocks, _row_slices(case, shape[0])) if b.l2 == 0]
        worst = max(gaps, default=0.0)
        assert s == (1.0 if worst <= 1.0 else pytest.approx(1.0 / worst, rel=1e-9))
    if case.is_norm:
        assert pen.conjugate(sV) == 0.0
        # Fenchel-Young for a norm: <sV, W> <= f(W) on the dual ball
        W = data.draw(matrix(shape, 1.0))
        inner, f = float(np.sum(sV * W)), pen.value(W)
        assert inner <= f + 1e-9 * (abs(inner) + f) + 1e-300


@pytest.mark.parametrize("case", SMOOTH_CASES, ids=_ids(SMOOTH_CASES))
@_PROPS
@given(data=st.data())
def test_fenchel_young_inequality(case, data):
    """``h^*(V) >= <V, W> - h(W)`` for every W in the domain."""
    shape, scale = data.draw(shapes(case)), data.draw(_scales)
    pen = make_penalty(case, *shape, scale)
    V = data.draw(matrix(shape, scale))
    conj = pen.conjugate(V)
    assert np.isfinite(conj) and conj >= -1e-12 * scale ** 2
    for _ in range(3):
        W = to_domain(case, data.draw(matrix(shape, data.draw(_scales))))
        inner, h = float(np.sum(V * W)), pen.value(W)
        assert conj >= inner - h - 1e-10 * (abs(inner) + abs(h) + abs(conj)) - 1e-300


@_INACCURATE
@pytest.mark.parametrize("case", SMOOTH_CASES, ids=_ids(SMOOTH_CASES))
def test_conjugate_is_the_supremum(case):
    """Equality in Fenchel-Young at the maximiser: ``h^*(V) = max_W <V, W> - h(W)`` (cvxpy)."""
    rng = np.random.default_rng(3)
    for shape in [(4, 3), (1, 3), (3, 1)]:
        V = _random_matrix(rng, shape)
        U, h = cvx_penalty(case, *shape)
        sup = _solve(cp.Maximize(cp.sum(cp.multiply(V, U)) - h))
        pen = make_penalty(case, *shape)
        assert pen.conjugate(V) == pytest.approx(sup, rel=1e-7, abs=1e-7)
        W = U.value  # the maximiser attains it
        assert float(np.sum(V * W)) - pen.value(W) == pytest.approx(pen.conjugate(V), abs=1e-6)


@_INACCURATE
@pytest.mark.parametrize("case", DUAL_NORM_CASES, ids=_ids(DUAL_NORM_CASES))
def test_dual_norm_is_the_sup_over_the_penalty_ball(case):
    """``dual_norm(V) = max { <V, W> : f(W) <= alpha }`` (cvxpy, f without its l2 term)."""
    rng = np.random.default_rng(5)
    block = case.blocks[0]
    for shape in [(4, 3), (1, 4), (3, 1)]:
        V = _random_matrix(rng, shape)
        U = cp.Variable(shape)
        sup = _solve(cp.Maximize(cp.sum(cp.multiply(V, U))), [cvx_f(block, U) <= block.alpha])
        assert make_penalty(case, *shape).dual_norm(V) == pytest.approx(sup, rel=1e-7)


# -- 4. numba row prox == the array-namespace prox -------------------------------------------
def xp_prox(pen, V, step):
    """``prox`` by the array formula a CuPy array takes (``_prox_xp``), here on numpy."""
    shrink = 1.0 / (1.0 + step * pen.l2_reg)
    return pen._prox_xp(V * shrink, step * shrink)


@pytest.mark.parametrize("case", ROW_CASES, ids=_ids(ROW_CASES))
@settings(deadline=None, max_examples=40)
@given(data=st.data())
def test_numba_row_prox_equals_numpy_prox(case, data):
    shape, scale = data.draw(shapes(case)), data.draw(_scales)
    assume(shape[1] > 0)  # a kernel row has at least one task
    pen = make_penalty(case, *shape, scale)
    assert pen.row_separable and pen.row_kind == _KINDS[case.blocks[0].norm]
    V = data.draw(matrix(shape, scale))
    step = data.draw(st.floats(1e-3, 1e3))
    U = xp_prox(pen, V, step)
    V32 = V.astype(np.float32)
    U32 = xp_prox(pen, V32.astype(np.float64), step)  # the same float32 numbers, in float64
    for j in range(shape[0]):
        w = V[j].copy()
        row_prox(w, step, pen.row_kind, pen.row_params)
        amax = np.abs(V[j]).max()
        np.testing.assert_allclose(w, U[j], rtol=1e-12, atol=1e-13 * amax)
        w32 = V32[j].copy()
        row_prox(w32, step, pen.row_kind, pen.row_params)
        assert w32.dtype == np.float32
        np.testing.assert_allclose(w32, U32[j], rtol=2e-6, atol=2e-6 * amax)


def test_numba_row_prox_acts_in_place_on_matrix_rows():
    """BCD hands the kernel ``W[j]`` views of a C-ordered matrix."""
    for case in ROW_CASES:
        rng = np.random.default_rng(0)
        W = rng.standard_normal((4, 3))
        pen = make_penalty(case, 4, 3)
        expected = xp_prox(pen, W, 0.7)
        expected[2] = W[2]
        for j in (0, 1, 3):
            row_prox(W[j], 0.7, pen.row_kind, pen.row_params)
        np.testing.assert_allclose(W, expected, rtol=1e-13, atol=1e-15, err_msg=case.id)


# -- 5. sparse-group dual norms, l1-ball projection, row dual norms, screening --------------------
@pytest.mark.parametrize("r", [0.0, 1e-3, 0.2, 0.5, 0.8, 0.999, 1.0])
@settings(deadline=None, max_examples=40)
@given(V=st.integers(0, 6).flatmap(lambda p: st.integers(1, 6).flatmap(
    lambda T: arrays(np.float64, (p, T), elements=st.sampled_from([0.0, 0.5, -0.5]) | _unit))),
    scale=_scales)
def test_sparse_group_dual_norms_equal_bisection(r, V, scale):
    """Ties, zeros and zero rows included (``sampled_from`` makes repeated entries)."""
    V = V * scale
    got = sparse_group_dual_norms(V, r)
    assert got.shape == (V.shape[0],)
    np.testing.assert_allclose(got, ref_sgl_dual_rows(V, r), rtol=1e-10, atol=1e-300)


def test_sparse_group_dual_norms_hand_made():
    v = np.array([[3.0, -4.0], [0.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(sparse_group_dual_norms(v, 0.0), [5.0, 0.0, np.sqrt(2)])
    np.testing.assert_allclose(sparse_group_dual_norms(v, 1.0), [4.0, 0.0, 1.0])
    # r = 1/2, v = (1, 1): ||(1 - s/2) (1, 1)|| = s / 2  ->  s = 2 sqrt(2) / (1 + sqrt(2))
    np.testing.assert_allclose(sparse_group_dual_norms(v[2:], 0.5),
                               [2 * np.sqrt(2) / (1 + np.sqrt(2))], rtol=1e-14)


@_INACCURATE
@pytest.mark.parametrize("radius", [0.0, 0.05, 0.5, 1.7, 100.0])
@pytest.mark.parametrize("shape", [(5, 4), (3, 1), (1, 6)], ids=str)
def test_project_rows_l1_ball_matches_cvxpy(shape, radius):
    rng = np.random.default_rng(shape[0] * 7 + shape[1])
    V = _random_matrix(rng, shape, spread=1.5)
    V[0] = 0.0 if shape[0] > 2 else V[0]
    P = project_rows_l1_ball(V, radius)
    U = cp.Variable(shape)
    _solve(cp.Minimize(cp.sum_squares(U - V)),
           [cp.norm(U[j, :], 1) <= radius for j in range(shape[0])])
    np.testing.assert_allclose(P, U.value, atol=1e-6)
    assert np.all(np.abs(P).sum(axis=1) <= radius * (1 + 1e-12) + 1e-300)


@settings(deadline=None, max_examples=60)
@given(V=st.integers(0, 6).flatmap(lambda p: st.integers(1, 6).flatmap(
    lambda T: arrays(np.float64, (p, T), elements=st.sampled_from([0.0, 0.5, -0.5]) | _unit))),
    scale=_scales, radius=st.floats(0.0, 3.0))
def test_project_rows_l1_ball_equals_bisection(V, scale, radius):
    V, radius = V * scale, radius * scale
    np.testing.assert_allclose(project_rows_l1_ball(V, radius), ref_project_l1_rows(V, radius),
                               rtol=1e-12, atol=1e-12 * scale)


@pytest.mark.parametrize("case", SPARSE_ROW_CASES, ids=_ids(SPARSE_ROW_CASES))
@_PROPS
@given(data=st.data())
def test_row_dual_norms_match_reference(case, data):
    shape, scale = data.draw(shapes(case)), data.draw(_scales)
    pen = make_penalty(case, *shape, scale)
    V = data.draw(matrix(shape, scale))
    got = pen.row_dual_norms(V)
    assert got.shape == (shape[0],)
    np.testing.assert_allclose(got, ref_row_dual(case.blocks[0], V), rtol=1e-10, atol=1e-300)


def _perturbations(rng, v, rad):
    """Points of the l2 ball of radius ``rad`` around v: random ones, and the worst cases of
    the l2 norm (along v), of the l-inf norm (on the largest entry) and of the l1 norm (along
    sign(v)), which the screening tests of the respective penalties must survive."""
    T = v.shape[0]
    dirs = [rng.standard_normal(T) for _ in range(4)]
    nv = np.linalg.norm(v)
    if nv > 0:
        dirs.append(v / nv)
    e = np.zeros(T)
    e[np.argmax(np.abs(v))] = 1.0 if v[np.argmax(np.abs(v))] >= 0 else -1.0
    dirs.append(e)
    dirs.append(np.where(v >= 0, 1.0, -1.0))
    for d in dirs:
        yield v + rad * d / np.linalg.norm(d)


@pytest.mark.parametrize("case", SPARSE_ROW_CASES, ids=_ids(SPARSE_ROW_CASES))
@settings(deadline=None, max_examples=40)
@given(data=st.data())
def test_screen_flags_only_rows_zero_for_every_dual_point_in_the_sphere(case, data):
    """A flagged row must satisfy the dual constraint ``row dual norm < alpha`` at every V'
    with ``||V'[j] - V[j]||_2 <= radius[j]`` (the optimum lies somewhere in that ball).

    And the rule must not be vacuous: rows with ``dual(V[j]) + sqrt(T) radius[j] < alpha``
    are flagged by every rule here (the triangle inequality, with the dual norm of
    ``radius * 1_T`` at most ``sqrt(T) radius``, since each dual norm is at most l2).
    """
    p, T = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 5))
    scale = data.draw(_scales)
    pen = make_penalty(case, p, T, scale)
    block = case.blocks[0]
    V = data.draw(matrix((p, T), scale)) * data.draw(st.floats(0.0, 2.0))
    radius = data.draw(arrays(np.float64, (p,), elements=st.floats(0.0, 1.0))) * scale
    flagged = pen.screen(V, radius)
    assert flagged.shape == (p,) and flagged.dtype == np.bool_
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    moved = [v for j in np.flatnonzero(flagged) for v in _perturbations(rng, V[j], radius[j])]
    if moved:
        # strictly inside, up to the rounding of the perturbed points
        assert np.all(ref_row_dual(block, np.array(moved)) < pen.alpha * (1 + 1e-13))
    must = ref_row_dual(block, V) + np.sqrt(T) * radius < pen.alpha * (1 - 1e-12)
    assert np.all(flagged[must])


def test_screen_hand_made():
    V = np.array([[0.1, -0.2, 0.0], [0.5, 0.5, 0.5], [0.0, 0.0, 0.0]])
    radius = np.array([0.1, 0.0, 0.95])
    # l1: max|V| + r: 0.3, 0.5, 0.95 ; l21: ||V|| + r: 0.32, 0.87, 0.95 ; l1inf: ||V||_1 +
    # sqrt(3) r: 0.47, 1.5, 1.65
    np.testing.assert_array_equal(L1(0.9).screen(V, radius), [True, True, False])
    np.testing.assert_array_equal(L21(0.9).screen(V, radius), [True, True, False])
    np.testing.assert_array_equal(L1Inf(0.9).screen(V, radius), [True, False, False])
    np.testing.assert_array_equal(SparseGroup(0.9, 1.0).screen(V, radius), [True, True, False])


@pytest.mark.parametrize("pen, v, rad", [
    (L1(1.0), [0.5, -0.25], 0.5),             # V' = (1, -0.25): max |V'| = alpha
    (SparseGroup(1.0, 1.0), [0.5, -0.25], 0.5),
    (L21(1.0), [0.3, -0.4], 0.5),             # ||V|| + radius = alpha
    (SparseGroup(1.0, 0.0), [-0.5], 0.5),     # (one task: the entrywise bound is tight)
    (SparseGroup(1.0, 0.5), [0.75], 0.25),    # ST(1, 1/2) = 1/2 = (1 - r) alpha
    (L1Inf(1.0), [0.125, 0.125, -0.125, 0.125], 0.25),  # ||V||_1 + sqrt(4) radius = alpha
], ids=["l1", "sgl1", "l21", "sgl0", "sgl0.5", "l1inf"])
def test_screen_keeps_rows_whose_dual_constraint_can_be_active(pen, v, rad):
    """On the boundary of the rule the optimal dual point may reach ``alpha`` (the row may be
    nonzero): the test must be strict."""
    V = np.array([v])
    assert not pen.screen(V, np.array([rad]))[0]
    assert pen.screen(V, np.array([rad * (1 - 1e-6)]))[0]


# -- zero-size inputs ---------------------------------------------------------------------------
_EMPTY_SHAPES = [(0, 3), (3, 0), (0, 0)]
_METHODS = ["value", "prox", "dual_norm", "dual_scale", "conjugate", "row_dual_norms", "screen"]


def _empty_params():
    out = []
    for case in CASES:
        for shape in _EMPTY_SHAPES:
            if shape[1] == 0 and case.blocks[0].norm == "pooled":
                continue  # the pooled model needs at least one task (alpha / n_tasks)
            for method in _METHODS:
                if method == "dual_norm" and case not in DUAL_NORM_CASES:
                    continue
                if method in ("row_dual_norms", "screen") and not case.sparse_rows:
                    continue
                out.append(pytest.param(case, shape, method,
                                        id=f"{case.id}-{shape[0]}x{shape[1]}-{method}"))
    return out


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("case, shape, method", _empty_params())
def test_zero_size_inputs(case, shape, method):
    """No features, or no tasks: values 0, empty proxes, zero dual norms, nothing to screen."""
    pen = make_penalty(case, shape[0], max(shape[1], 1) if case.blocks[0].norm == "pooled"
                       else shape[1])
    V = np.zeros(shape)
    if method == "value":
        assert pen.value(V) == 0.0
    elif method == "prox":
        assert pen.prox(V, 1.3).shape == shape
    elif method == "dual_norm":
        assert pen.dual_norm(V) == 0.0
    elif method == "dual_scale":
        assert pen.dual_scale(V) == 1.0
    elif method == "conjugate":
        assert pen.conjugate(V) == 0.0
    elif method == "row_dual_norms":
        got = pen.row_dual_norms(V)
        assert got.shape == (shape[0],) and np.all(got == 0.0)
    else:
        got = pen.screen(V, np.zeros(shape[0]))
        assert got.shape == (shape[0],) and np.all(got)  # V = 0 is strictly inside
