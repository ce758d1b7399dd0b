"""Task relations given in advance: tasks pulled to their mean, or to their neighbours in a graph.

Both penalise each feature's weights across tasks by a fixed quadratic form
(:class:`mtlclassic.penalties.TaskQuadratic`), so both are convex problems
solved by FISTA and certified by the duality gap. The models that *learn* the
relation between tasks build on the same penalty elsewhere.
"""

import numpy as np
import scipy.sparse as sp

from ..penalties import TaskQuadratic
from ._base import (MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin,
                    store_params)
from ._grids import fixed_grid, graph_grid, product_grid
from ._registry import declare

GRAPH_TYPES = ("adjacency", "laplacian", "structure")


def task_laplacian(graph, n_tasks, graph_type="adjacency"):
    """Validate a task graph and return its Laplacian, of shape (n_tasks, n_tasks).

    For ``graph_type="structure"`` it returns ``R R^T`` instead, ``R`` the
    task-structure matrix of MALSAR's SRMTL (positive semidefinite, a
    Laplacian only for some ``R``).

    Parameters
    ----------
    graph : array-like or sparse matrix of shape (n_tasks, n_tasks), or None
        ``"adjacency"``: symmetric nonnegative edge weights ``a_st`` (the
        diagonal is ignored: a self-loop does not couple anything).
        ``"laplacian"``: ``L = D - A``, symmetric, off-diagonal entries
        ``<= 0``, rows summing to zero. ``"structure"``: any real matrix ``R``
        of shape (n_tasks, k). ``None``: the complete graph with unit weights.
    n_tasks : int
    graph_type : {"adjacency", "laplacian", "structure"}, default="adjacency"

    Returns
    -------
    L : ndarray of shape (n_tasks, n_tasks)
        ``diag(A 1) - A`` with ``A`` the adjacency (zero diagonal), so that
        ``tr(W^T L W) = sum_{s < t} a_st ||w_s - w_t||^2`` exactly.
    """
    if graph_type not in GRAPH_TYPES:
        raise ValueError(f"graph_type must be one of {GRAPH_TYPES}, got {graph_type!r}.")
    if graph_type == "structure":
        return _structure_quadratic(graph, n_tasks)
    if graph is None:
        A = np.ones((n_tasks, n_tasks))
    else:
        G = graph.toarray() if sp.issparse(graph) else graph
        try:
            G = np.array(G, dtype=np.float64)  # a copy: the user's matrix is never modified
        except (TypeError, ValueError) as exc:
            raise ValueError(f"graph must be a numeric matrix: {exc}") from None
        if G.ndim != 2 or G.shape[0] != G.shape[1]:
            raise ValueError(f"graph must be a square matrix, got shape {G.shape}.")
        if G.shape[0] != n_tasks:
            raise ValueError(
                f"graph is {G.shape[0]} x {G.shape[0]} but the data has {n_tasks} tasks; "
                "its rows and columns follow the order of tasks_.")
        if not np.all(np.isfinite(G)):
            raise ValueError("graph contains NaN or infinite values.")
        scale = max(float(np.max(np.abs(G), initial=0.0)), np.finfo(np.float64).tiny)
        asym = float(np.max(np.abs(G - G.T), initial=0.0))
        if asym > 1e-10 * scale:
            raise ValueError(f"graph must be symmetric (an undirected task graph); "
                             f"max |graph - graph.T| = {asym:.3g}.")
        G = 0.5 * (G + G.T)
        off = ~np.eye(n_tasks, dtype=bool)
        if graph_type == "adjacency":
            A = G
            if np.any(A[off] < 0):
                s, t = np.argwhere((A < 0) & off)[0]
                raise ValueError(f"graph has a negative edge weight: graph[{s}, {t}] = "
                                 f"{A[s, t]:.3g}; adjacency weights must be >= 0.")
        else:
            A = -G
            if np.any(A[off] < 0):
                s, t = np.argwhere((A < 0) & off)[0]
                raise ValueError(
                    f"graph is not a Laplacian: off-diagonal entry graph[{s}, {t}] = "
                    f"{G[s, t]:.3g} > 0 (a Laplacian's off-diagonal entries are minus the "
                    "edge weights, so <= 0).")
            row_sums = G.sum(axis=1)
            worst = int(np.argmax(np.abs(row_sums)))
            if abs(row_sums[worst]) > 1e-8 * scale:
                raise ValueError(f"graph is not a Laplacian: row {worst} sums to "
                                 f"{row_sums[worst]:.3g}, not 0.")
    A = np.where(np.eye(n_tasks, dtype=bool), 0.0, A)
    # Rebuilt from the weights so that rows sum to zero exactly: the penalty finds the
    # unpenalised task groups (the graph's components) from that.
    return np.diag(A.sum(axis=1)) - A


def _structure_quadratic(R, n_tasks):
    """``R R^T`` for MALSAR's task-structure matrix ``R`` of shape (n_tasks, k), validated."""
    if R is None:
        raise ValueError('graph_type="structure" needs graph=R, a matrix of shape (n_tasks, k) '
                         "(MALSAR's task-structure matrix); None is only defined for a graph.")
    R = R.toarray() if sp.issparse(R) else R
    try:
        R = np.array(R, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"graph must be a numeric matrix: {exc}") from None
    if R.ndim != 2 or R.shape[1] == 0:
        raise ValueError(f'graph_type="structure" needs graph of shape (n_tasks, k), k >= 1; '
                         f"got shape {R.shape}.")
    if R.shape[0] != n_tasks:
        raise ValueError(f"graph has {R.shape[0]} rows but the data has {n_tasks} tasks; "
                         "its rows follow the order of tasks_.")
    if not np.all(np.isfinite(R)):
        raise ValueError("graph contains NaN or infinite values.")
    M = R @ R.T
    return 0.5 * (M + M.T)


class _MeanRegularized(MultiTaskLinearModel):
    _nonneg_params = ("lambda_mean", "lambda_l2")

    def __init__(self, lambda_mean=1.0, lambda_l2=0.1, *, fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=1000, warm_start=False, solver="auto",
                 device=None, verbose=0):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        if self.lambda_l2 == 0 and self.lambda_mean == 0:
            raise ValueError(
                "lambda_mean and lambda_l2 cannot both be 0: nothing would be penalised "
                "(independent unregularised fits); use lambda_mean > 0 or lambda_l2 > 0.")

    def _make_penalty(self, n_features, n_tasks):
        T = n_tasks
        # lambda_l2 is the elastic term, not folded into M: M's null space (the mean
        # direction) then stays exact whatever lambda_l2's size next to lambda_mean.
        # lambda_l2 = 0: the mean direction W + delta 1^T is unpenalised; the solvers
        # profile it out before each duality gap (solvers.profile_free).
        M = self.lambda_mean * (np.eye(T) - 1.0 / T)
        return TaskQuadratic(M, 0.0, self.lambda_l2, free_null_space=self.lambda_l2 == 0)


class MeanRegularizedRegressor(MultiTaskRegressorMixin, _MeanRegularized):
    """Multi-task regression with every task pulled to the tasks' mean.

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b}  F(coef, b)  +  lambda_mean / 2 sum_t ||w_t - w_bar||^2  +  lambda_l2 / 2 sum_t ||w_t||^2,   w_bar = 1/T sum_t w_t

    Regularised multi-task learning (Evgeniou and Pontil, 2004): each task's
    model is the mean model plus a small task-specific deviation. In terms of
    each feature's weights across tasks the penalty is
    ``1/2 coef[:, j]^T M coef[:, j]`` with ``M = lambda_mean (I - 11^T / T) +
    lambda_l2 I``, positive definite; FISTA solves it (the prox is linear).
    Evgeniou and Pontil's ``lambda_1 / T sum_t ||v_t||^2 + lambda_2 ||w_0||^2``
    (``w_t = w_0 + v_t``, minimised over ``w_0``) is this penalty with
    ``lambda_l2 = 2 lambda_1 lambda_2 / (T (lambda_1 + lambda_2))`` and
    ``lambda_mean = 2 lambda_1 / T - lambda_l2``. For an l1 term as well
    (MALSAR's mean-regularised ``*_SRMTL``) use
    :class:`~mtlclassic.GraphRegularizedRegressor` (or ``...Classifier``)
    with the default complete graph: ``tr(coef^T L coef) = T sum_t ||w_t -
    w_bar||^2`` there.

    Parameters
    ----------
    lambda_mean : float, default=1.0
        Strength of the pull of each task's model towards the tasks' mean
        ``w_bar``, ``>= 0``. ``0`` gives independent ridge models
        (:class:`~mtlclassic.RidgeRegressor`,
        :class:`~mtlclassic.RidgeClassifier` with ``alpha=lambda_l2``); as it
        grows every row of ``coef_`` tends to the pooled model
        (:class:`~mtlclassic.PooledRegressor`,
        :class:`~mtlclassic.PooledClassifier` with ``alpha=T * lambda_l2``).
    lambda_l2 : float, default=0.1
        Ridge strength on every task's model, ``>= 0``. It is the only term
        that penalises the mean ``w_bar`` itself (``sum_t ||w_t||^2 =
        sum_t ||w_t - w_bar||^2 + T ||w_bar||^2``). ``0`` leaves the mean an
        unpenalised pooled fit, as MALSAR's ``Least_SRMTL`` with ``rho2 =
        0``: well posed iff the pooled problem is. Checked exactly at fit:
        the pooled, task-centered design must have full column rank (else
        the mean is not unique: ``p`` above the number of rows, collinear
        features) -- a ``ValueError``. Not checked: separable pooled classes
        (a classifier's mean then has no finite optimum; an exact test is a
        linear program): the fit does not converge and a
        ``ConvergenceWarning`` says so. ``lambda_mean`` must then be ``> 0``.
        The duality gap stays finite and certifies the solution: before each
        gap the solver minimises the datafit exactly along the mean (Newton
        on the pooled problem, as for the intercepts), where the penalty is
        flat, so the dual point satisfies the pooled optimality condition.

    References
    ----------
    Evgeniou, T. and Pontil, M. (2004). Regularized multi-task learning. KDD.
    """


class MeanRegularizedClassifier(MultiTaskClassifierMixin, _MeanRegularized):
    """Multi-task logistic regression with every task pulled to the tasks' mean.
    """


class _GraphRegularized(MultiTaskLinearModel):
    _nonneg_params = ("lambda_graph", "alpha", "l2_reg")

    def __init__(self, graph=None, lambda_graph=1.0, *, alpha=0.01, graph_type="adjacency",
                 l2_reg=0.0, fit_intercept=True, intercept_shrinkage=0.0, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=1000,
                 warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        if self.graph_type not in GRAPH_TYPES:
            raise ValueError(f"graph_type must be one of {GRAPH_TYPES}, got {self.graph_type!r}.")
        # A structure R R^T may be nonsingular; the penalty refuses a singular one itself.
        if self.alpha == 0 and self.l2_reg == 0 and self.graph_type != "structure":
            raise ValueError(
                "alpha and l2_reg cannot both be 0: a graph Laplacian is singular (the mean "
                "model of each connected group of tasks is not penalised by tr(W^T L W)), so "
                "the problem may have no unique or finite solution and no finite duality gap. "
                "Use alpha > 0 or l2_reg > 0.")

    def _make_penalty(self, n_features, n_tasks):
        L = task_laplacian(self.graph, n_tasks, self.graph_type)
        self.laplacian_ = L
        return TaskQuadratic(self.lambda_graph * L, self.alpha, self.l2_reg)


class GraphRegularizedRegressor(MultiTaskRegressorMixin, _GraphRegularized):
    """Multi-task regression with tasks pulled together along a task graph.

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b}  F(coef, b)  +  lambda_graph / 2 tr(coef^T L coef)  +  alpha * sum_tj |coef[t, j]|  +  l2_reg / 2 ||coef||_F^2,
                      tr(coef^T L coef) = sum_{s < t} a_st ||w_s - w_t||^2

    Tasks joined by an edge are pulled towards each other, weight by weight
    (graph Laplacian regularisation, as MALSAR's ``Least_SRMTL`` /
    ``Logistic_SRMTL`` with ``R R^T = L``: ``lambda_graph = 2 rho1``,
    ``alpha = rho2``, see docs/malsar.md). With ``lambda_graph = 0`` this is
    the lasso model of the same loss (:class:`~mtlclassic.LassoRegressor`,
    :class:`~mtlclassic.LassoClassifier`); with the default complete graph
    and ``alpha = 0`` it is the mean-regularised model
    (:class:`~mtlclassic.MeanRegularizedRegressor`,
    :class:`~mtlclassic.MeanRegularizedClassifier`) with ``lambda_mean = T *
    lambda_graph`` and ``lambda_l2 = l2_reg``. The penalty couples the tasks
    within each feature; FISTA solves it, the prox being one small lasso
    over the tasks per feature (exact coordinate descent).

    Parameters
    ----------
    graph : array-like or sparse matrix of shape (n_tasks, n_tasks), default=None
        The task graph, rows and columns in the order of ``tasks_``; read as
        ``graph_type`` says. An adjacency holds symmetric, nonnegative edge
        weights ``a_st`` (its diagonal is ignored); a Laplacian is ``L = D -
        A``; a task structure (MALSAR's ``R``) is any matrix of shape
        ``(n_tasks, k)``. ``None`` means the complete graph with unit weights (every pair
        of tasks related equally, the only graph defined for any number of
        tasks): then ``tr(coef^T L coef) = T sum_t ||w_t - w_bar||^2``, the
        mean-regularised penalty. Checked at fit: a graph of the wrong size,
        not symmetric, with a negative weight (for a Laplacian: a positive
        off-diagonal entry or a row not summing to 0), or with NaN or inf is
        a ``ValueError``.
    lambda_graph : float, default=1.0
        Strength of the graph term, ``>= 0``: each edge pulls its two tasks'
        models together with force ``lambda_graph * a_st``.
    alpha : float, default=0.01
        Strength of the l1 term, ``>= 0``. ``alpha`` and ``l2_reg`` cannot
        both be 0 (``ValueError``): every Laplacian is singular -- the mean
        model of each connected component of the graph is not penalised by
        ``tr(coef^T L coef)`` -- so without an l1 or l2 term the problem may have no
        finite or unique solution and no finite duality gap. With
        ``alpha > 0`` the gap stays finite (the dual point is rescaled per
        component) and certifies the solution as usual.
    graph_type : {"adjacency", "laplacian", "structure"}, default="adjacency"
        How ``graph`` is read (stated, not guessed: a zero matrix, say, is
        both). ``"structure"``: ``graph`` is MALSAR's task-structure matrix
        ``R``, and ``L = R R^T`` in the objective (``lambda_graph / 2
        ||R^T coef||_F^2``), any positive semidefinite coupling of the tasks.
        If ``R R^T`` is singular and ``l2_reg = 0``, its null space must be
        spanned by indicators of groups of tasks (as a Laplacian's), else the
        fit raises a ``ValueError`` asking for ``l2_reg > 0``: the solvers'
        duality gap has a closed form only then.
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 ||coef||_F^2`` added to the penalty (MALSAR's
        ``rho_L2``), ``>= 0``.

    Attributes
    ----------
    laplacian_ : ndarray of shape (n_tasks, n_tasks)
        The Laplacian ``L`` used (rows in the order of ``tasks_``); ``R R^T``
        for ``graph_type="structure"``.

    References
    ----------
    Zhou, J., Chen, J. and Ye, J. (2012). MALSAR: Multi-tAsk Learning via
    StructurAl Regularization. Arizona State University.
    Evgeniou, T., Micchelli, C. A. and Pontil, M. (2005). Learning multiple
    tasks with kernel methods. JMLR 6.
    """


class GraphRegularizedClassifier(MultiTaskClassifierMixin, _GraphRegularized):
    """Multi-task logistic regression with tasks pulled together along a task graph.
    """


MEAN_REGULARIZED = declare(
    "mean-regularized", MeanRegularizedRegressor, MeanRegularizedClassifier,
    description="task models pulled to their mean (Evgeniou & Pontil 2004)",
    grid=product_grid(fixed_grid(lambda_mean=(1.0, 10.0, 100.0)),
                      fixed_grid(lambda_l2=(0.01, 0.1, 1.0)), diagonal=True))
GRAPH_REGULARIZED = declare(
    "graph-regularized", GraphRegularizedRegressor, GraphRegularizedClassifier,
    description="complete task graph plus l1 (MALSAR SRMTL)", grid=graph_grid())
