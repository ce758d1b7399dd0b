"""Synthetic multi-task problems with a planted relationship between the tasks.

The coefficient matrix ``W`` (``n_tasks x n_features``) is drawn so that its
rows (the tasks) are related in one of three ways, each the generative model
behind a family of task-relationship estimators:

* ``"clusters"``: tasks fall in ``k`` clusters; a task is its cluster's
  centre plus a small deviation (clustered MTL: Jacob, Bach & Vert 2008;
  Zhou, Chen & Ye 2011).
* ``"covariance"``: the columns of ``W`` are i.i.d. ``N(0, Sigma)``, i.e. ``W``
  is matrix-normal with task covariance ``Sigma`` and identity feature
  covariance, ``Sigma`` a dense correlation matrix with positive and negative
  entries (multi-task relationship learning, Zhang & Yeung 2010).
* ``"graph"``: the same with ``Sigma = Theta^{-1}`` for a sparse task precision
  ``Theta`` (multi-task sparse structure learning, Goncalves et al. 2016): the
  task graph is the support of ``Theta``, which the graphical lasso can
  recover from the columns of ``W`` when there are enough features.

Optional outlier tasks are unrelated to every other task. Features and noise
follow :func:`make_multitask_regression` (Gaussian features with Toeplitz
correlation, per-task noise set by ``snr``), so the same code draws them.
"""

import itertools

import numpy as np
from sklearn.utils import Bunch

from ._generators import (_check_draw_params, _check_int, _check_random_state, _check_real,
                          _check_sizes, _draw_data)

__all__ = ["make_task_relation_regression", "make_task_relation_classification"]

_STRUCTURES = ("clusters", "covariance", "graph")
# Graph model: smallest eigenvalue accepted for the unit-diagonal task precision.
_MIN_EIGENVALUE = 1e-2


def _check_structure_params(structure, n_tasks, n_outlier_tasks, n_clusters, cluster_std,
                            n_factors, shared_fraction, edge_density, edge_strength):
    if not isinstance(structure, str) or structure not in _STRUCTURES:
        raise ValueError(f"structure must be one of {_STRUCTURES}, got {structure!r}.")
    n_tasks = _check_int(n_tasks, "n_tasks", 1)
    n_outlier_tasks = _check_int(n_outlier_tasks, "n_outlier_tasks", 0)
    if n_outlier_tasks > n_tasks:
        raise ValueError(f"n_outlier_tasks must be <= n_tasks, got {n_outlier_tasks} > {n_tasks}.")
    n_related = n_tasks - n_outlier_tasks
    params = {}
    if structure == "clusters":
        params["n_clusters"] = _check_int(n_clusters, "n_clusters", 1)
        if params["n_clusters"] > n_related:
            raise ValueError(
                f"n_clusters={n_clusters} is larger than the number of tasks to cluster "
                f"(n_tasks - n_outlier_tasks = {n_tasks} - {n_outlier_tasks} = {n_related}); "
                "every cluster needs at least one task.")
        params["cluster_std"] = _check_real(cluster_std, "cluster_std")
        if params["cluster_std"] <= 0:
            # 0 would make tasks of a cluster identical: a singular covariance, no precision.
            raise ValueError(f"cluster_std must be > 0, got {params['cluster_std']}.")
    elif structure == "covariance":
        params["n_factors"] = _check_int(n_factors, "n_factors", 1)
        params["shared_fraction"] = _check_real(shared_fraction, "shared_fraction")
        if not 0.0 <= params["shared_fraction"] < 1.0:
            raise ValueError(f"shared_fraction must be in [0, 1), got {shared_fraction}.")
    else:
        params["edge_density"] = _check_real(edge_density, "edge_density")
        if not 0.0 <= params["edge_density"] <= 1.0:
            raise ValueError(f"edge_density must be in [0, 1], got {edge_density}.")
        params["edge_strength"] = _check_real(edge_strength, "edge_strength")
        if not 0.0 < params["edge_strength"] < 1.0:
            raise ValueError(f"edge_strength must be in (0, 1), got {edge_strength}.")
    return n_tasks, n_outlier_tasks, params


# ---------------------------------------------------------------------------
# The three task structures, on the m related (non-outlier) tasks. Each returns the task
# correlation C (unit diagonal), its inverse P with exact structural zeros, and extras.
# ---------------------------------------------------------------------------


def _clusters(rng, m, n_clusters, cluster_std):
    # Every cluster gets at least one task (labels cycle 0..k-1, then are shuffled).
    labels = rng.permutation(np.arange(m) % n_clusters)
    same = (labels[:, None] == labels[None, :]).astype(np.float64)
    s2 = cluster_std ** 2
    # Cov(w_t, w_u) per feature = 1[same cluster] + s2 1[t = u]; divide by 1 + s2.
    C = (same + s2 * np.eye(m)) / (1.0 + s2)
    # A block J_n + s2 I_n has inverse (I_n - J_n / (s2 + n)) / s2; across blocks it is 0.
    sizes = np.bincount(labels, minlength=n_clusters)[labels]
    P = (1.0 + s2) / s2 * (np.eye(m) - same / (s2 + sizes[:, None]))
    return C, P, {"labels": labels}


def _covariance(rng, m, n_factors, shared_fraction):
    # C = a U U^T + (1 - a) I with the rows of U random unit vectors of R^k: unit diagonal,
    # off-diagonal a * cos(u_t, u_s), positive and negative, rank-k plus a task-specific part.
    U = rng.standard_normal((m, n_factors))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    C = shared_fraction * (U @ U.T) + (1.0 - shared_fraction) * np.eye(m)
    np.fill_diagonal(C, 1.0)
    return C, np.linalg.inv(C), {}


def _graph(rng, m, edge_density, edge_strength):
    pairs = np.array(list(itertools.combinations(range(m), 2)), dtype=np.int64).reshape(-1, 2)
    n_edges = int(round(edge_density * len(pairs)))
    edges = pairs[np.sort(rng.permutation(len(pairs))[:n_edges])]
    # Theta = I - r S with S the signed adjacency: every edge has partial correlation
    # -Theta_tu / sqrt(Theta_tt Theta_uu) = +/-r exactly (equal strengths keep the weakest
    # edge as detectable as the others).
    signs = np.where(rng.random_sample(n_edges) < 0.5, -1.0, 1.0)
    Theta = np.eye(m)
    Theta[edges[:, 0], edges[:, 1]] = -edge_strength * signs
    Theta[edges[:, 1], edges[:, 0]] = -edge_strength * signs
    if m and np.linalg.eigvalsh(Theta)[0] < _MIN_EIGENVALUE:
        degree = np.bincount(edges.ravel(), minlength=m).max()
        raise ValueError(
            f"edge_strength={edge_strength} is too large for the drawn graph (maximum degree "
            f"{degree}): the task precision is not positive definite. Lower edge_strength "
            f"(below 1 / max degree = {1 / degree:.3g} always works) or edge_density.")
    # Rescale to unit marginal variances: C = D^-1/2 Theta^-1 D^-1/2 has precision
    # D^1/2 Theta D^1/2, which keeps Theta's zeros and partial correlations.
    Sigma = np.linalg.inv(Theta)
    d = np.sqrt(np.diag(Sigma))
    C = Sigma / np.outer(d, d)
    np.fill_diagonal(C, 1.0)
    return C, Theta * np.outer(d, d), {}


def _make_relation_coef(rng, n_tasks, n_features, structure, n_outlier_tasks, coef_scale,
                        params):
    """Coefficients and the truth Bunch (see the public docstrings)."""
    outliers = np.sort(rng.permutation(n_tasks)[:n_outlier_tasks]).astype(np.int64)
    related = np.setdiff1d(np.arange(n_tasks), outliers)
    m = related.size
    build = {"clusters": _clusters, "covariance": _covariance, "graph": _graph}[structure]
    C, P, extra = build(rng, m, **params)

    coef = np.empty((n_tasks, n_features))
    centers = labels = None
    if structure == "clusters":
        centers = rng.standard_normal((params["n_clusters"], n_features))
        deviation = params["cluster_std"] * rng.standard_normal((m, n_features))
        coef[related] = centers[extra["labels"]] + deviation
        labels = np.full(n_tasks, -1, dtype=np.int64)
        labels[related] = extra["labels"]
        centers = coef_scale * centers
    elif m:
        # Columns of L Z are N(0, L L^T) = N(0, C): W is matrix-normal MN(0, C, I).
        coef[related] = np.linalg.cholesky(C) @ rng.standard_normal((m, n_features))
    coef[outliers] = rng.standard_normal((n_outlier_tasks, n_features))
    coef *= coef_scale

    correlation = np.eye(n_tasks)
    precision = np.eye(n_tasks)
    correlation[np.ix_(related, related)] = C
    precision[np.ix_(related, related)] = P
    graph = precision != 0
    np.fill_diagonal(graph, False)
    return coef, Bunch(
        coef=coef, structure=structure,
        task_covariance=coef_scale ** 2 * correlation,
        task_correlation=correlation,
        task_precision=precision / coef_scale ** 2,
        task_graph=graph,
        task_clusters=labels, cluster_centers=centers,
        outlier_tasks=outliers,
    )


def _generate(kind, n_samples, n_features, n_tasks, structure, n_clusters, cluster_std,
              n_factors, shared_fraction, edge_density, edge_strength, n_outlier_tasks, snr,
              noise, correlation, layout, coef_scale, random_state):
    n_tasks, n_outlier_tasks, params = _check_structure_params(
        structure, n_tasks, n_outlier_tasks, n_clusters, cluster_std, n_factors,
        shared_fraction, edge_density, edge_strength)
    n_features = _check_int(n_features, "n_features", 1)
    snr, noise, correlation, coef_scale = _check_draw_params(
        snr, noise, correlation, layout, coef_scale)
    sizes = _check_sizes(n_samples, n_tasks, layout, 2 if kind == "classification" else 1)
    rng = _check_random_state(random_state)
    coef, truth = _make_relation_coef(rng, n_tasks, n_features, structure, n_outlier_tasks,
                                      coef_scale, params)
    X, y = _draw_data(kind, rng, sizes, coef, snr, noise, correlation, layout,
                      np.zeros(n_tasks))
    return X, y, truth


_PARAMS = """
    Parameters
    ----------
    n_samples : int or array-like of int of shape (n_tasks,), default=400
        ``layout="shared"``: rows of the common design (an int).
        ``layout="per_task"``: rows of each task (one int, or one per task).
    n_features : int, default=200
        Number of features ``p``. The graph structure is learned from the
        ``p`` columns of ``W`` (the "samples" of the graphical lasso), so it
        needs ``p`` well above ``n_tasks``.
    n_tasks : int, default=10
        Number of tasks ``T``.
    structure : {"clusters", "covariance", "graph"}, default="clusters"
        The planted relationship (see the model above).
    n_clusters : int, default=3
        ``"clusters"``: number of clusters ``k``, at most ``n_tasks -
        n_outlier_tasks``; every cluster gets at least one task.
    cluster_std : float, default=0.1
        ``"clusters"``: standard deviation ``s > 0`` of a task's deviation
        from its centre, relative to the centres' unit scale.
    n_factors : int, default=2
        ``"covariance"``: rank ``k`` of the shared part of the task correlation.
    shared_fraction : float, default=0.8
        ``"covariance"``: weight ``a`` in ``[0, 1)`` of the shared part (the
        off-diagonal correlations are ``a`` times cosines).
    edge_density : float, default=0.2
        ``"graph"``: fraction of the task pairs joined by an edge (the number
        of edges is ``round(edge_density * m (m - 1) / 2)`` over the ``m``
        related tasks).
    edge_strength : float, default=0.3
        ``"graph"``: magnitude ``r`` in ``(0, 1)`` of every edge's partial
        correlation (signs random). The precision ``I - r S`` must be positive
        definite, which holds when ``r`` times the largest degree is below 1;
        otherwise it is checked and a ValueError raised.
    n_outlier_tasks : int, default=0
        Number of tasks, chosen at random, unrelated to all others: i.i.d.
        ``N(0, coef_scale**2)`` coefficients, no cluster (label -1), isolated
        in the graph, zero correlation with every other task.
    snr : float, default=10.0
        Per-task signal-to-noise ratio ``var(X w_t) / var(noise)`` (used when
        ``noise`` is None).
    noise : float or None, default=None
        Noise standard deviation for every task; overrides ``snr``.
    correlation : float, default=0.0
        Feature correlation ``rho`` in ``[0, 1)`` (Toeplitz ``rho^|i-j|``).
    layout : {"shared", "per_task"}, default="shared"
        ``"shared"``: ``X`` (n, p) and a target matrix (n, T).
        ``"per_task"``: each task its own rows, the task id as the last
        column of ``X``, stacked 1-D targets (fit with ``task_column=-1``).
    coef_scale : float, default=1.0
        Scale ``c > 0`` of the coefficients.
    random_state : int, RandomState instance, Generator or None, default=None
        Seed. Draws happen in a fixed order (structure, coefficients, then
        features and noise), so for a seed the truth does not depend on
        ``n_samples``, ``layout``, ``snr`` or ``correlation``.
"""

_TRUTH = """
    truth : sklearn.utils.Bunch
        The planted structure. Task covariances are those of the
        coefficients across features (the covariance of a column of ``coef``);
        they hold for every structure, with the outlier tasks' rows and
        columns those of the identity (times ``c^2``):

        - ``coef``: ndarray of shape (n_tasks, n_features).
        - ``structure``: the ``structure`` argument.
        - ``task_covariance``: ndarray (n_tasks, n_tasks), ``c^2 C``.
          Zhang & Yeung's ``Omega`` is it divided by its trace.
        - ``task_correlation``: ndarray (n_tasks, n_tasks), ``C`` (unit
          diagonal).
        - ``task_precision``: ndarray (n_tasks, n_tasks), the inverse of
          ``task_covariance``, with exact zeros where the structure has them
          (between clusters, non-edges of the graph, outlier tasks); dense
          for ``"covariance"``.
        - ``task_graph``: bool ndarray (n_tasks, n_tasks), the off-diagonal
          nonzeros of ``task_precision`` (symmetric, no self loops): the
          planted edges for ``"graph"``, the within-cluster pairs for
          ``"clusters"``, all related pairs for ``"covariance"``.
        - ``task_clusters``: int64 ndarray (n_tasks,) of cluster labels
          ``0..k-1`` (-1 for outlier tasks) for ``"clusters"``, else None.
        - ``cluster_centers``: ndarray (n_clusters, n_features) for
          ``"clusters"`` (times ``c``), else None.
        - ``outlier_tasks``: sorted int64 ndarray of the outlier task ids.
"""

_MODEL = """
    Coefficients (``m = n_tasks - n_outlier_tasks`` related tasks, scaled by
    ``c = coef_scale`` at the end)::

        clusters:    labels l_t uniform over the k clusters (each nonempty),
                     centres c_j ~ N(0, I_p),  w_t = c_{l_t} + s e_t,  e_t ~ N(0, I_p)
                     => task correlation C = (1[l_t = l_u] + s^2 1[t = u]) / (1 + s^2)
        covariance:  C = a U U^T + (1 - a) I_m,  rows of U (m, k) uniform on the unit sphere
                     W[:, j] ~ N(0, C) i.i.d. over features j   (matrix-normal MN(0, C, I_p))
        graph:       S signed adjacency of round(edge_density * m (m-1) / 2) random edges
                     (signs +/-1 at random), Theta = I - r S (r = edge_strength: every
                     edge's partial correlation is +/-r), rescaled to D^1/2 Theta D^1/2
                     so that C = its inverse has unit diagonal;
                     W[:, j] ~ N(0, C) i.i.d. over features j

    Outlier tasks: ``w_t ~ N(0, I_p)`` independent of everything. Features
    ``x ~ N(0, T_rho)`` with Toeplitz ``T_rho[i, j] = rho^|i-j|``; targets as
    in :func:`make_multitask_regression` (Gaussian noise of standard
    deviation ``std(X_t w_t) / sqrt(snr)`` per task, or ``noise``).
"""

_REFERENCES = """
    References
    ----------
    Jacob, Bach & Vert, "Clustered multi-task learning: a convex
    formulation", NIPS 2008. Zhou, Chen & Ye, "Clustered multi-task learning
    via alternating structure optimization", NIPS 2011. Zhang & Yeung, "A
    convex formulation for learning task relationships in multi-task
    learning", UAI 2010. Goncalves, Von Zuben & Banerjee, "Multi-task sparse
    structure learning with Gaussian copula models", JMLR 17 (2016).
"""


def _public_generator(kind, name):
    """The public generator of ``kind`` ("regression" or "classification"), named ``name``.

    Both public generators come from this one definition, so their signatures
    and defaults cannot drift apart; their docstrings are set below.
    """

    def generate(
        n_samples=400, n_features=200, n_tasks=10, *, structure="clusters", n_clusters=3,
        cluster_std=0.1, n_factors=2, shared_fraction=0.8, edge_density=0.2, edge_strength=0.3,
        n_outlier_tasks=0, snr=10.0, noise=None, correlation=0.0, layout="shared",
        coef_scale=1.0, random_state=None,
    ):
        return _generate(kind, n_samples, n_features, n_tasks, structure, n_clusters,
                         cluster_std, n_factors, shared_fraction, edge_density, edge_strength,
                         n_outlier_tasks, snr, noise, correlation, layout, coef_scale,
                         random_state)

    generate.__name__ = generate.__qualname__ = name
    return generate


make_task_relation_regression = _public_generator(
    "regression", "make_task_relation_regression")
make_task_relation_classification = _public_generator(
    "classification", "make_task_relation_classification")

make_task_relation_regression.__doc__ = f"""Multi-task linear regression with a planted task relationship.

    Task ``t`` follows ``y = X_t @ coef[t] + eps_t``; the rows of ``coef`` are
    related by a cluster structure, a dense task covariance or a sparse task
    precision (graph), returned in ``truth`` so that recovery can be tested.
{_MODEL}{_PARAMS}
    Returns
    -------
    X : ndarray of shape (n_samples, n_features) or (N, n_features + 1)
        Design; with ``layout="per_task"`` rows are grouped by task and the
        last column is the task id (float).
    y : ndarray of shape (n_samples, n_tasks) or (N,)
        Float64 targets.
{_TRUTH}
    Raises
    ------
    ValueError
        On an invalid argument: unknown ``structure`` or ``layout``,
        ``n_clusters`` larger than the number of non-outlier tasks,
        ``cluster_std <= 0``, ``shared_fraction`` outside ``[0, 1)``,
        ``edge_density`` outside ``[0, 1]``, ``n_outlier_tasks > n_tasks``,
        non-positive sizes, ``snr <= 0``, ``noise < 0``, ...
{_REFERENCES}
    Examples
    --------
    >>> X, Y, truth = make_task_relation_regression(
    ...     n_samples=50, n_features=30, n_tasks=6, n_clusters=2, random_state=0)
    >>> X.shape, Y.shape, truth.coef.shape, sorted(set(truth.task_clusters.tolist()))
    ((50, 30), (50, 6), (6, 30), [0, 1])
"""

make_task_relation_classification.__doc__ = f"""Multi-task binary classification with a planted task relationship.

    Labels are ``1[X_t @ coef[t] + eps_t > 0]`` (int64 in {{0, 1}}, both
    classes in every task, as in :func:`make_multitask_classification`);
    ``coef`` and ``truth`` follow :func:`make_task_relation_regression`.
{_MODEL}{_PARAMS}
    Returns
    -------
    X : ndarray of shape (n_samples, n_features) or (N, n_features + 1)
    y : int64 ndarray of shape (n_samples, n_tasks) or (N,)
{_TRUTH}
    Raises
    ------
    ValueError
        As :func:`make_task_relation_regression`; every task also needs at
        least 2 samples.
{_REFERENCES}"""
