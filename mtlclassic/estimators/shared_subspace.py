"""Shared subspace (convex alternating structure optimisation, cASO): a low-dimensional
subspace of the features learned with the tasks' models.

The convex relaxation of Ando and Zhang's ASO (Chen, Tang, Liu and Ye 2009)
is clustered MTL's relaxation (:mod:`mtlclassic.estimators.clustered`) turned
on the features: the same penalty ``tr(W (eta I + M)^{-1} W^T)`` with ``M``
over features instead of tasks, so the same machinery serves: the M-step is
:func:`~mtlclassic.estimators.clustered.cluster_structure` of ``coef^T`` and
the W-step's penalty is the feature-side quadratic
(:class:`~mtlclassic.penalties.FeatureQuadratic`, TaskQuadratic on the
transpose), solved by FISTA to a certified duality gap.
"""

import numbers

import numpy as np

from ..penalties import FeatureQuadratic
from ._alternating import _AlternatingModel, scaled_gram, symmetric_eigh
from ._base import MultiTaskClassifierMixin, MultiTaskRegressorMixin, store_params
from ._grids import fixed_grid, product_grid
from ._registry import declare
from .clustered import _capped_simplex_weights

_STEP = "shared subspace step"


def subspace_structure(W, k, eta):
    """The relaxed projection ``M`` minimising ``tr(W (eta I + M)^{-1} W^T)``.

    Over ``{M : tr M = k, 0 <= M <= I}``, ``M`` of shape (n_features,
    n_features): clustered MTL's M-step (Zhou, Chen and Ye 2011) on the
    transpose. ``M`` shares the eigenvectors of ``W^T W`` and its
    eigenvalues are :func:`~mtlclassic.estimators.clustered._capped_simplex_weights`
    of ``W``'s singular values. Only the singular directions of ``W`` (at
    most ``n_tasks``, from an SVD of the small side) are formed: the
    complement, where the penalty does not depend on ``M``, gets the
    uniform remainder of the trace, which is also what makes the minimiser
    unique there (singular values at rounding level count as zero, else
    their directions would take arbitrary weight).

    Parameters
    ----------
    W : ndarray of shape (n_tasks, n_features)
    k : int
        ``1 <= k <= n_features``.
    eta : float
        ``> 0``.

    Returns
    -------
    M : ndarray of shape (n_features, n_features)
    """
    p = W.shape[1]
    # M depends on W's direction only: work in units where max |W| is near 1.
    top = float(np.max(np.abs(W), initial=0.0))
    V = np.ldexp(W, -int(np.frexp(top)[1])) if top > 0 else W
    try:
        _, s, Vt = np.linalg.svd(V, full_matrices=False)
    except np.linalg.LinAlgError as exc:
        raise ValueError(f"the {_STEP} failed: the SVD of coef did not converge ({exc}); "
                         "scale the features, targets or task_weights towards 1.") from None
    s = np.where(s > max(V.shape) * np.finfo(np.float64).eps * s.max(initial=0.0), s, 0.0)
    Vt = Vt[s > 0]
    s = s[s > 0]
    r = s.size
    gamma = _capped_simplex_weights(np.concatenate([s, np.zeros(p - r)]), k, eta)
    rest = gamma[r] if r < p else 0.0  # the complement's common eigenvalue
    return (Vt.T * (gamma[:r] - rest)) @ Vt + rest * np.eye(p)


class _SharedSubspace(_AlternatingModel):
    _positive_params = ("lambda_subspace", "lambda_l2")

    def __init__(self, n_components=2, lambda_subspace=1.0, lambda_l2=0.1, *,
                 fit_intercept=True, intercept_shrinkage=0.0, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=100,
                 max_inner_iter=5000, warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        k = self.n_components
        if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
            raise ValueError(f"n_components must be an int >= 1, got {k!r}.")

    @property
    def _eta(self):
        return self.lambda_l2 / self.lambda_subspace

    def _fit_solution(self, data, datafit, W, b, *, n_features, warm, xp):
        # M is (n_features, n_features): the hooks below read the number of features here.
        if self.n_components > n_features > 1:
            raise ValueError(f"n_components={self.n_components} is larger than the number of "
                             f"features ({n_features}).")
        self._k = min(self.n_components, n_features)
        self._p = n_features
        return super()._fit_solution(data, datafit, W, b, n_features=n_features, warm=warm,
                                     xp=xp)

    def _penalty_spectrum(self, M):
        """``(d, U)`` with ``U diag(d) U^T = lambda_l2 (1 + eta) (eta I + M)^{-1}``, the W-step."""
        eta = self._eta
        gamma, Q = symmetric_eigh(0.5 * (M + M.T), _STEP)
        return self.lambda_l2 * (1.0 + eta) / (eta + np.clip(gamma, 0.0, 1.0)), Q

    def _initial_structure(self, n_tasks):
        # M = I (outside the feasible set, trace n_features): the first W-step is the ridge
        # fit lambda_l2 / 2 ||coef||^2, and the first M-step the ridge's principal
        # directions, as ASO starts (Ando and Zhang 2005). A cold start has coef = 0, where J
        # does not depend on M, so the alternation's objective is that of feasible M
        # throughout. With n_tasks <= n_components the ridge fit is the solution (M then
        # covers coef's row space, where the penalty is lambda_l2 / 2 ||coef||^2).
        return np.eye(self._p)

    def _previous_structure(self, n_tasks):
        M = getattr(self, "subspace_matrix_", None)
        # Another n_components (trace) or number of features: start afresh.
        if M is None or M.shape != (self._p, self._p) or abs(np.trace(M) - self._k) > 1e-8:
            return None
        return M

    def _coupling(self, M, n_features):
        d, U = self._penalty_spectrum(M)
        if not np.all(np.isfinite(d)):
            raise ValueError("the W-step's feature coupling matrix overflowed; scale the "
                             "features, targets or task_weights towards 1.")
        return FeatureQuadratic((d, U))

    def _structure_step(self, W):
        return subspace_structure(W, self._k, self._eta)

    def _penalty_value(self, W, M, shift=0):
        G, e = scaled_gram(W.T)  # W^T W = 2^(2e) G, (n_features, n_features)
        with np.errstate(over="ignore"):
            d, U = self._penalty_spectrum(M)
            value = float(np.sum(d * np.einsum("ij,ik,kj->j", U, G, U)))  # tr(A W^T W)
            return float(0.5 * np.ldexp(value, 2 * e + shift))

    def _set_structure(self, M):
        self.subspace_matrix_ = M
        _, Q = symmetric_eigh(M, _STEP)
        self.subspace_ = np.ascontiguousarray(Q[:, ::-1][:, :self._k])


class SharedSubspaceRegressor(MultiTaskRegressorMixin, _SharedSubspace):
    """Multi-task regression with a shared feature subspace learned (convex ASO).

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b, M}  F(coef, b)  +  lambda_subspace / 2 * eta (1 + eta) tr(coef (eta I + M)^{-1} coef^T)
                       subject to  tr(M) = n_components,  0 <= M <= I,   with  eta = lambda_l2 / lambda_subspace

    ``M`` is ``(n_features, n_features)`` and ``0 <= M <= I`` is meant in
    the order of symmetric matrices. This is the convex relaxation (Chen,
    Tang, Liu and Ye 2009) of alternating structure optimisation (Ando and
    Zhang 2005), where each task's model is ``w_t = u_t + Theta^T v_t``,
    ``Theta`` (``n_components x n_features``, orthonormal rows) a subspace
    shared by the tasks: for ``M = Theta^T Theta`` the penalty is
    ``lambda_subspace / 2 sum_t ||w_t - P w_t||^2 + lambda_l2 / 2 ||coef||_F^2``
    (``P = Theta^T Theta`` the projection on the subspace): each task's
    distance to the shared subspace plus a ridge term; relaxing ``M`` to the
    convex hull of such projections makes the problem jointly convex. It is
    :class:`~mtlclassic.ClusteredTaskRegressor`'s penalty with ``M`` over
    features instead of tasks, and ``eta`` has the same meaning: in
    ``coef``'s eigenbasis the penalty matrix ``lambda_l2 (1 + eta) (eta I +
    M)^{-1}`` lies between ``lambda_l2`` (inside the subspace) and
    ``lambda_l2 + lambda_subspace`` (across it).

    Solved by alternating minimisation, as ClusteredTask: for fixed ``M``
    the problem in ``(coef, b)`` (a quadratic coupling of the features) is
    solved by FISTA to a certified duality gap; for fixed ``coef`` the best
    ``M`` has the eigenvectors of ``coef^T coef`` and eigenvalues on the
    capped simplex (:func:`~mtlclassic.estimators.clustered.cluster_structure`).
    The first W-step is the ridge fit (``M = I``), as ASO starts; with
    ``n_tasks <= n_components`` it is the solution (``M`` then holds
    ``coef``'s row space, where the penalty is ``lambda_l2 / 2
    ||coef||_F^2``). ``M`` is ``n_features x n_features``: for thousands of
    features, reduce them first.

    MALSAR (``Least_CASO``, ``Logistic_CASO``) writes the penalty ``rho1
    eta (1 + eta) tr(coef (eta I + M)^{-1} coef^T)`` with ``eta = rho2 /
    rho1``: ``lambda_subspace = 2 rho1``, ``lambda_l2 = 2 rho2``,
    ``n_components = k``, with the datafit settings of ``docs/malsar.md``.

    Parameters
    ----------
    n_components : int, default=2
        The dimension ``k`` of the shared subspace (the trace of ``M``),
        ``1 <= n_components <= n_features``.
    lambda_subspace : float, default=1.0
        Strength of the pull of each task's model towards the shared
        subspace, ``> 0``.
    lambda_l2 : float, default=0.1
        Ridge strength, ``lambda_l2 / 2 ||coef||_F^2``, ``> 0``. The defaults
        (0.1, and 1.0 across the subspace) shrink ``coef`` but never zero
        it: both terms are quadratic.

    Attributes
    ----------
    subspace_matrix_ : ndarray of shape (n_features, n_features)
        ``M``, the learned relaxed projection (eigenvalues in ``[0, 1]``,
        trace ``n_components``).
    subspace_ : ndarray of shape (n_features, n_components)
        An orthonormal basis of the shared subspace: the ``n_components``
        leading eigenvectors of ``M``, largest eigenvalue first (``Theta^T``).

    References
    ----------
    Ando, R. K. and Zhang, T. (2005). A framework for learning predictive
    structures from multiple tasks and unlabeled data. JMLR 6.
    Chen, J., Tang, L., Liu, J. and Ye, J. (2009). A convex formulation for
    learning shared structures from multiple tasks. ICML.
    """


class SharedSubspaceClassifier(MultiTaskClassifierMixin, _SharedSubspace):
    """Multi-task logistic regression with a shared feature subspace learned (convex ASO).
    """


# compare's tol=1e-3: see TASK_RELATION. lambda_subspace as ClusteredTask's lambda_cluster:
# on School (2 splits) the search starting at (0.1, 1, 10) ran up to 1e4.
SHARED_SUBSPACE = declare(
    "shared-subspace", SharedSubspaceRegressor, SharedSubspaceClassifier,
    description="convex ASO, a shared 2-dimensional feature subspace (Chen et al. 2009)",
    grid=product_grid(fixed_grid(lambda_subspace=(10.0, 100.0, 1000.0)),
                      fixed_grid(lambda_l2=(0.01, 0.1, 1.0)), diagonal=True),
    fixed={"n_components": 2, "tol": 1e-3})
