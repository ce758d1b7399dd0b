"""Clustered multi-task learning: the convex relaxations of Zhou, Chen and Ye (2011) and,
with a separate mean term, of Jacob, Bach and Vert (2008)."""

import numbers

import numpy as np

from ._alternating import _AlternatingModel, scaled_gram, symmetric_eigh
from ._base import MultiTaskClassifierMixin, MultiTaskRegressorMixin, store_params
from ._grids import fixed_grid, product_grid
from ._registry import declare


def _capped_simplex_weights(s, k, eta, n_bisect=200):
    """``gamma`` minimising ``sum_i s_i^2 / (eta + gamma_i)`` over the capped simplex.

    The capped simplex is ``{sum_i gamma_i = k, 0 <= gamma_i <= 1}``.
    Stationarity gives ``gamma_i = clip(mu s_i - eta, 0, 1)`` for one
    ``mu >= 0`` (``mu^{-2}`` the multiplier of the sum): ``sum_i gamma_i(mu)``
    is nondecreasing, found equal to ``k`` by bisection as in the paper, then
    made exact on the final set of free eigenvalues (it is linear there).
    """
    s = np.maximum(np.asarray(s, dtype=np.float64), 0.0)
    T = s.size
    if k == 0:  # the set is {0}
        return np.zeros(T)
    positive = s > 0
    n_pos = int(positive.sum())
    if n_pos <= k:
        # Every direction W uses gets the full weight 1 (the cheapest); the rest of the
        # trace is spread over unused directions, where it changes nothing.
        gamma = positive.astype(np.float64)
        if T > n_pos:
            gamma[~positive] = (k - n_pos) / (T - n_pos)
        return gamma
    lo, hi = 0.0, (1.0 + eta) / s[positive].min()  # at hi every positive gamma_i is 1 > k total
    for _ in range(n_bisect):
        mu = 0.5 * (lo + hi)
        if np.clip(mu * s - eta, 0.0, 1.0).sum() < k:
            lo = mu
        else:
            hi = mu
        if hi - lo <= 4 * np.finfo(np.float64).eps * hi:
            break
    mu = 0.5 * (lo + hi)
    z = mu * s - eta
    free = (z > 0) & (z < 1)
    if free.any():  # solve sum_i gamma_i = k exactly for mu on this piece
        mu = (k - np.sum(z >= 1) + eta * free.sum()) / s[free].sum()
    return np.clip(mu * s - eta, 0.0, 1.0)


def cluster_structure(W, n_clusters, eta):
    """The relaxed cluster matrix ``M`` minimising ``tr(W^T (eta I + M)^{-1} W)``.

    Over ``{M : tr M = n_clusters, 0 <= M <= I}``: ``M`` shares the
    eigenvectors of ``W W^T = Q diag(s^2) Q^T`` and its eigenvalues are
    :func:`_capped_simplex_weights` (Zhou, Chen and Ye 2011).

    Parameters
    ----------
    W : ndarray of shape (n_tasks, n_features)
    n_clusters : int
        The trace of ``M``, ``0 <= n_clusters <= n_tasks`` (``0`` gives
        ``M = 0``).
    eta : float
        ``> 0``.

    Returns
    -------
    M : ndarray of shape (n_tasks, n_tasks)

    Raises
    ------
    ValueError
        When ``W`` is not finite.
    """
    # M depends only on the direction of W (mu s_i below is invariant to its scale): W W^T
    # is formed in units where max |W| is near 1, so it neither overflows nor underflows.
    G, _ = scaled_gram(W, both_ways=True)
    d, Q = symmetric_eigh(G, f"{_STEP} (eigendecomposition of W W^T)")
    gamma = _capped_simplex_weights(np.sqrt(np.maximum(d, 0.0)), n_clusters, eta)
    return (Q * gamma) @ Q.T


_STEP = "cluster structure step"


class _ClusteredTask(_AlternatingModel):
    _positive_params = ("lambda_cluster", "lambda_l2")

    def __init__(self, n_clusters=2, lambda_cluster=1.0, lambda_l2=0.1, *, lambda_mean=None,
                 fit_intercept=True, intercept_shrinkage=0.0, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=100,
                 max_inner_iter=5000, warm_start=False, solver="auto", random_state=None,
                 device=None, verbose=0):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        if (not isinstance(self.n_clusters, numbers.Integral) or isinstance(self.n_clusters, bool)
                or self.n_clusters < 1):
            raise ValueError(f"n_clusters must be an int >= 1, got {self.n_clusters!r}.")
        value = self.lambda_mean
        if value is not None and (not isinstance(value, numbers.Real) or isinstance(value, bool)
                                  or not np.isfinite(value) or value <= 0):
            # lambda_mean = 0 would leave the mean model unpenalised (a singular W-step).
            raise ValueError(f"lambda_mean must be None or a finite number > 0, got {value!r}.")

    def _check_n_tasks(self, n_tasks):
        # One task is one cluster whatever n_clusters says (scikit-learn's common checks fit
        # every estimator having an ``n_clusters`` on one task with n_clusters=2).
        if self.n_clusters > n_tasks > 1:
            raise ValueError(f"n_clusters={self.n_clusters} is larger than the number of tasks "
                             f"({n_tasks}).")
        self._n_clusters = min(self.n_clusters, n_tasks)
        # The trace of M: centred tasks have one cluster direction fewer (the mean's).
        self._k = self._n_clusters - (self.lambda_mean is not None)

    @property
    def _eta(self):
        return self.lambda_l2 / self.lambda_cluster

    def _centred(self, W):
        """``W_c``: ``W`` itself, or the tasks centred (``Pi W``) when the mean is separate."""
        return W if self.lambda_mean is None else W - W.mean(axis=0)

    def _penalty_spectrum(self, M):
        """Eigendecomposition ``(d, U)`` of the W-step's ``1/2 tr(W^T A W)`` matrix ``A``.

        ``A = lambda_l2 (1 + eta) (eta I + M)^{-1}``, or with the separate mean
        ``lambda_mean 11^T / T + lambda_l2 (1 + eta) Pi (eta I + M)^{-1} Pi``
        (positive definite: the first term covers the null space of ``Pi``).
        Built from its parts rather than decomposed as a sum: ``lambda_mean``
        and ``lambda_l2`` may differ by any factor (``A``'s condition number
        is theirs), and a decomposition of the sum would lose the smaller one
        to rounding.
        """
        eta = self._eta
        T = len(M)
        scale = self.lambda_l2 * (1.0 + eta)
        if self.lambda_mean is None:
            gamma, Q = np.linalg.eigh(0.5 * (M + M.T))
            return scale / (eta + np.clip(gamma, 0.0, 1.0)), Q
        # An orthonormal basis of the centred directions (I - 11^T/T's unit eigenvalues),
        # then (eta I + M)^{-1} restricted to them; the mean direction is lambda_mean's.
        _, P = np.linalg.eigh(np.eye(T) - 1.0 / T)
        P = P[:, 1:]
        B = P.T @ np.linalg.inv(eta * np.eye(T) + M) @ P
        e, V = np.linalg.eigh(0.5 * (B + B.T))
        d = np.concatenate([[self.lambda_mean], scale * e])
        return d, np.column_stack([np.full(T, T ** -0.5), P @ V])

    def _initial_structure(self, n_tasks):
        if self.lambda_mean is None or n_tasks == 1:
            return self._k / n_tasks * np.eye(n_tasks)
        # Trace k, orthogonal to the mean direction that the penalty does not see.
        return self._k / (n_tasks - 1) * (np.eye(n_tasks) - 1.0 / n_tasks)

    def _previous_structure(self, n_tasks):
        M = getattr(self, "cluster_matrix_", None)
        # A warm start after n_clusters or lambda_mean changed would start from an infeasible M
        # (another trace), whose objective could pass for a decrease of the new one.
        if M is None or M.shape != (n_tasks, n_tasks) or abs(np.trace(M) - self._k) > 1e-8:
            return None
        return M

    def _coupling(self, M, n_features):
        return self._task_quadratic(None, _STEP, spectrum=self._penalty_spectrum(M))

    def _structure_step(self, W):
        return cluster_structure(self._centred(W), self._k, self._eta)

    def _penalty_value(self, W, M, shift=0):
        G, e = scaled_gram(W)  # W W^T = 2^(2e) G
        with np.errstate(over="ignore"):  # an overflow is the caller's to report
            d, U = self._penalty_spectrum(M)
            value = float(np.sum(d * np.einsum("ij,ik,kj->j", U, G, U)))  # tr(A G)
            return float(0.5 * np.ldexp(value, 2 * e + shift))

    def _set_structure(self, M):
        from sklearn.cluster import KMeans

        self.cluster_matrix_ = M
        n_clusters, k = self._n_clusters, self._k
        if n_clusters == 1:
            self.task_clusters_ = np.zeros(len(M), dtype=np.intp)
            return
        _, Q = symmetric_eigh(M, _STEP)
        # With the separate mean, M's k = n_clusters - 1 leading eigenvectors and the constant
        # vector span the clusters' indicators; a constant column moves no k-means distance.
        km = KMeans(n_clusters=n_clusters, n_init=10, random_state=self.random_state)
        self.task_clusters_ = km.fit_predict(Q[:, -k:]).astype(np.intp)


class ClusteredTaskRegressor(MultiTaskRegressorMixin, _ClusteredTask):
    """Clustered multi-task regression (convex relaxation, learned cluster structure).

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b, M}  F(coef, b)  +  lambda_cluster / 2 * eta (1 + eta) tr(W_c^T (eta I + M)^{-1} W_c)  [+ lambda_mean / 2 * T ||w_bar||^2]
                       subject to  tr(M) = k,  0 <= M <= I,   with  eta = lambda_l2 / lambda_cluster,
                       lambda_mean=None (Zhou et al.):  W_c = coef,  k = n_clusters,  no mean term,
                       lambda_mean > 0 (Jacob et al.):  W_c = Pi coef,  k = n_clusters - 1,
                       Pi = I - 11^T / T (centres the tasks),  w_bar = 1/T sum_t w_t

    ``M`` is ``(n_tasks, n_tasks)`` and ``0 <= M <= I`` is meant in the order
    of symmetric matrices. The objective is the convex relaxation of
    clustered MTL: for a partition of the tasks into ``k`` clusters with
    normalised indicator ``F`` (``F^T F = I_k``), ``M = F F^T`` turns the
    penalty into ``lambda_cluster / 2 (tr(coef^T coef) - tr(F^T coef coef^T F)) +
    lambda_l2 / 2 ||coef||_F^2``: each task's squared distance to its
    cluster's mean model, plus a ridge term. Relaxing ``M`` to the convex
    hull of such projections makes the problem jointly convex in ``(coef, M)``
    (``matrix_frac``). In ``coef``'s eigenbasis the penalty matrix
    ``lambda_l2 (1 + eta) (eta I + M)^{-1}`` lies between ``lambda_l2``
    (within clusters, ``M``'s eigenvalue 1) and ``lambda_l2 +
    lambda_cluster`` (across clusters, eigenvalue 0).

    With ``lambda_mean`` (Jacob, Bach and Vert 2008) the same relaxation
    acts on the centred tasks ``Pi coef``, whose cluster means span only
    ``n_clusters - 1`` directions (orthogonal to the all-ones vector), hence
    the trace ``n_clusters - 1``: ``M = F F^T - 11^T / T`` turns the penalty
    into ``lambda_mean / 2 * T ||w_bar||^2 + lambda_l2 / 2 sum_t ||w_t -
    w_bar||^2 + lambda_cluster / 2 sum_t ||w_t - (mean of w_t's
    cluster)||^2``, a mean, a between-cluster and a within-cluster term
    (their ``eps_M``, ``eps_B``, ``eps_W - eps_B``); the relaxed set,
    eigenvalues of ``eta I + M`` in ``[eta, 1 + eta]`` summing to ``T eta +
    n_clusters - 1``, is theirs. Still jointly convex (``matrix_frac`` of a
    linear function of ``coef``). ``n_clusters=1`` is
    ``MeanRegularizedRegressor(lambda_mean=lambda_cluster + lambda_l2 -
    lambda_mean, lambda_l2=lambda_mean)`` when that first value is ``>= 0``.

    Solved by alternating minimisation (as in Zhou, Chen and Ye 2011):
    for fixed ``M`` the problem in ``(coef, b)`` is solved to a certified
    duality gap; for fixed ``coef`` the best ``M`` has ``W_c W_c^T``'s
    eigenvectors and eigenvalues found by bisection
    (:func:`cluster_structure`; the M-step only sees ``W_c``, so centring
    changes nothing else). The start is ``M = k / n_tasks I`` (``k / (n_tasks
    - 1) Pi`` with ``lambda_mean``). ``task_clusters_`` runs k-means on the
    rows of the ``k`` leading eigenvectors of ``M`` (one row per task,
    spectral-clustering style) and is not part of the objective.

    MALSAR (``Least_CMTL``, ``Logistic_CMTL``) writes the penalty
    ``rho1 eta (1 + eta) tr(coef^T (eta I + M)^{-1} coef)`` with ``eta = rho2 /
    rho1``: ``lambda_cluster = 2 rho1``, ``lambda_l2 = 2 rho2``,
    ``n_clusters = k``, ``lambda_mean=None``, with the datafit settings of
    ``docs/malsar.md``.

    Parameters
    ----------
    n_clusters : int, default=2
        The number of task clusters, ``1 <= n_clusters <= n_tasks``; the
        trace ``k`` of ``M`` is ``n_clusters`` (``n_clusters - 1`` with
        ``lambda_mean``). With a single task, one cluster whatever its value
        (and the model is ridge regression).
    lambda_cluster : float, default=1.0
        Strength of the pull of each task towards its cluster's mean, ``> 0``.
    lambda_l2 : float, default=0.1
        Ridge strength: ``lambda_l2 / 2 ||coef||_F^2`` on all tasks (on the
        centred tasks ``Pi coef`` with ``lambda_mean``), ``> 0``. The defaults
        (0.1, and 1.0 for the pull within clusters) shrink ``coef`` but never
        zero it: both terms are quadratic.
    lambda_mean : float or None, default=None
        ``None``: Zhou, Chen and Ye's model, every task shrunk towards zero.
        A float ``> 0``: Jacob, Bach and Vert's separation of the mean model
        ``w_bar`` (penalised by ``lambda_mean / 2 * T ||w_bar||^2`` alone)
        from the tasks' deviations from it, which carry the cluster penalty.
        A small ``lambda_mean`` leaves the shared model nearly free, so
        tasks with equal models cost little.
    random_state : int, RandomState instance or None, default=None
        Seeds the k-means that turns the learned ``M`` into ``task_clusters_``
        (the fit of ``coef_`` and ``M`` is deterministic).

    Attributes
    ----------
    cluster_matrix_ : ndarray of shape (n_tasks, n_tasks)
        ``M``, the learned relaxed cluster structure (eigenvalues in
        ``[0, 1]``, trace ``k``: ``n_clusters``, or ``n_clusters - 1`` with
        ``lambda_mean``); ``M[s, t]`` is large when tasks ``s`` and ``t``
        share a cluster.
    task_clusters_ : ndarray of shape (n_tasks,)
        Cluster label of each task, ``0..n_clusters-1`` (k-means on the rows
        of ``M``'s ``k`` leading eigenvectors).

    References
    ----------
    Zhou, J., Chen, J. and Ye, J. (2011). Clustered multi-task learning via
    alternating structure optimization. NeurIPS.
    Jacob, L., Bach, F. and Vert, J.-P. (2008). Clustered multi-task learning:
    a convex formulation. NeurIPS (the ``lambda_mean`` variant).
    """


class ClusteredTaskClassifier(MultiTaskClassifierMixin, _ClusteredTask):
    """Clustered multi-task logistic regression (convex relaxation, learned cluster structure).
    """


# compare's tol=1e-3: see TASK_RELATION.
CLUSTERED_TASK = declare(
    "clustered", ClusteredTaskRegressor, ClusteredTaskClassifier,
    description="convex clustered MTL, 2 clusters (Jacob et al. 2008)",
    grid=product_grid(fixed_grid(lambda_cluster=(10.0, 100.0, 1000.0)),
                      fixed_grid(lambda_l2=(0.01, 0.1, 1.0)), diagonal=True),
    fixed={"n_clusters": 2, "tol": 1e-3})
