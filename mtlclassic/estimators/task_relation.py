"""Multi-task relationship learning (MTRL): a learned task covariance ``Omega``."""

import numbers

import numpy as np

from ._alternating import _AlternatingModel, scaled_gram, symmetric_eigh
from ._base import MultiTaskClassifierMixin, MultiTaskRegressorMixin, store_params
from ._grids import fixed_grid
from ._registry import declare


def mtrl_covariance(W, eps):
    """The task covariance minimising ``tr(Omega^{-1} (W W^T + eps I))`` over trace-1 ``Omega``.

    ``Omega = (W W^T + eps I)^{1/2} / tr((W W^T + eps I)^{1/2})`` (Zhang and
    Yeung 2010, with ``eps`` keeping it invertible); the minimum is
    ``(tr (W W^T + eps I)^{1/2})^2``.

    Parameters
    ----------
    W : ndarray of shape (n_tasks, n_features)
        Finite.
    eps : float
        ``> 0``.

    Returns
    -------
    Omega : ndarray of shape (n_tasks, n_tasks)

    Raises
    ------
    ValueError
        When ``W`` is not finite.
    """
    return _mtrl_structure(W, eps)[0]


_STEP = "task covariance step"


def _mtrl_structure(W, eps):
    """``Omega`` of :func:`mtrl_covariance` and its eigendecomposition ``(w, U)``.

    ``Omega = U diag(w) U^T`` is finite for every finite ``W``: it depends only
    on the direction of ``W`` and on ``eps / max|W|^2``, so ``W W^T`` is
    formed in units where ``max |W|`` is near 1 (:func:`scaled_gram`) and
    cannot overflow. ``Omega^{-1}`` is used through the same eigenvectors
    (``U diag(1 / w) U^T``: an explicit inverse would lose ``Omega``'s small
    eigenvalues to rounding); ``1 / w`` may overflow when ``eps`` is
    negligible against ``max |W|^2``, which the W-step reports.
    """
    G, e = scaled_gram(W)
    d, U = symmetric_eigh(G, f"{_STEP} (eigendecomposition of W W^T)")
    return covariance_from_gram(d, U, eps, e)


def covariance_from_gram(d, U, eps, e=0):
    """MTRL's ``Omega = (G' + eps I)^{1/2} / tr(...)`` from ``G = U diag(d) U^T``, ``G' = 2^(2e) G``.

    Returns ``(Omega, w, U)`` with ``Omega = U diag(w) U^T``, trace 1. The
    task Gram matrix is given in units of ``2^e`` (:func:`scaled_gram`), so
    that it cannot overflow; the kernel models pass it as it is (``e = 0``).
    """
    d = np.maximum(d, 0.0)
    if e == 0:
        r = np.sqrt(d + eps)
    else:
        # W W^T + eps I = 2^(2e) (G + eps 2^(-2e) I): the square roots in units of 2^e, by
        # hypot because eps 2^(-2e) can underflow where sqrt(eps) 2^-e does not.
        r = np.hypot(np.sqrt(d), np.ldexp(np.sqrt(eps), -e))
    w = r / r.sum()
    omega = (U * w) @ U.T
    return 0.5 * (omega + omega.T), w, U


def _correlation(C):
    s = np.sqrt(np.diag(C))
    return C / np.outer(s, s)


class _TaskRelation(_AlternatingModel):
    _nonneg_params = ("lambda_1", "lambda_2")

    def __init__(self, lambda_1=0.1, lambda_2=0.1, *, eps=1e-3, fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=100, max_inner_iter=5000, warm_start=False,
                 solver="auto", device=None, verbose=0):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        if self.lambda_1 + self.lambda_2 == 0:
            raise ValueError("lambda_1 + lambda_2 must be > 0 (with both zero nothing couples "
                             "or bounds the tasks' models).")
        if (not isinstance(self.eps, numbers.Real) or isinstance(self.eps, bool)
                or not np.isfinite(self.eps) or not self.eps > 0):
            raise ValueError(f"eps must be a finite number > 0, got {self.eps!r}.")

    # The structure is Omega with its eigendecomposition (w, U): Omega^{-1} = U diag(1/w) U^T.
    def _initial_structure(self, n_tasks):
        return np.eye(n_tasks) / n_tasks, np.full(n_tasks, 1.0 / n_tasks), np.eye(n_tasks)

    def _previous_structure(self, n_tasks):
        omega = getattr(self, "task_covariance_", None)
        if omega is None or omega.shape != (n_tasks, n_tasks):
            return None
        lam, U = symmetric_eigh(omega, _STEP)
        if not lam[0] > 0:  # not invertible in float64: start cold
            return None
        return omega, lam, U

    def _coupling(self, structure, n_features):
        # M = lambda_1 I + lambda_2 Omega^{-1}, given to the penalty by its eigendecomposition
        # (exact: M's condition number follows eps and may exceed any rounding threshold).
        _, w, U = structure
        with np.errstate(over="ignore", divide="ignore"):
            d = self.lambda_1 + self.lambda_2 / w
        return self._task_quadratic(None, _STEP, spectrum=(d, U))

    def _structure_step(self, W):
        return _mtrl_structure(W, self.eps)

    def _penalty_value(self, W, structure, shift=0):
        _, w, U = structure
        G, e = scaled_gram(W)  # W W^T = 2^(2e) G
        with np.errstate(over="ignore", divide="ignore"):  # an overflow is the caller's to report
            rot = np.einsum("ij,ik,kj->j", U, G, U)  # diag(U^T G U)
            ridge = np.ldexp(float(np.trace(G)), 2 * e + shift)
            prior = (np.ldexp(float(np.sum(rot / w)), 2 * e + shift)
                     + np.ldexp(self.eps * float(np.sum(1.0 / w)), shift))
            return float(0.5 * self.lambda_1 * ridge + 0.5 * self.lambda_2 * prior)

    def _set_structure(self, structure):
        omega = structure[0]
        self.task_covariance_ = omega
        self.task_correlation_ = _correlation(omega)


class TaskRelationRegressor(MultiTaskRegressorMixin, _TaskRelation):
    """Multi-task relationship learning (MTRL): regression with a learned task covariance.

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b, Omega}  F(coef, b)  +  lambda_1 / 2 ||coef||_F^2  +  lambda_2 / 2 tr(Omega^{-1} (coef coef^T + eps I))
                       subject to  Omega positive definite,  tr(Omega) = 1

    ``coef coef^T`` is the ``(n_tasks, n_tasks)`` matrix of inner products of the
    task models; ``Omega`` is learned with ``coef`` (Zhang and Yeung 2010: the
    columns ``coef[:, j]`` are a matrix-normal prior's draws with task covariance
    ``Omega``, which may encode positive, negative or no correlation). For
    fixed ``coef`` the best ``Omega`` is ``(coef coef^T + eps I)^{1/2}`` over its
    trace (:func:`mtrl_covariance`); for fixed ``Omega`` the problem in
    ``(coef, b)`` has the penalty ``1/2 tr(coef^T (lambda_1 I + lambda_2
    Omega^{-1}) coef)``, solved to a certified duality gap. The two steps
    alternate from ``Omega = I / n_tasks``.

    Minimising over ``Omega`` leaves ``F(coef, b) + lambda_1 / 2 ||coef||_F^2 +
    lambda_2 / 2 ||[coef, sqrt(eps) I]||_*^2`` (squared trace norm of ``coef``
    with ``sqrt(eps) I`` appended as columns): the problem is jointly
    convex, so the alternation reaches its minimum (the paper's ``eps = 0``
    is the limit). ``eps`` is this module's addition.

    ``Omega`` is the square root of the tasks' Gram matrix ``coef coef^T``, not
    ``coef coef^T`` itself: its correlations are those of a matrix with the same
    eigenvectors and square-rooted eigenvalues, flatter than the correlations
    of the task models when tasks are only moderately related. They match
    the models' when the relation is (close to) low rank with equal
    eigenvalues, e.g. one shared factor or tight clusters.

    The alternation's stopping rule bounds the last decrease of ``J``, not
    the distance to its minimum; the alternation converges linearly, at a
    rate that slows as ``eps`` decreases: on small problems the objective
    reached was about 5 times ``tol`` above cvxpy's minimum with
    ``eps=1e-3`` and up to 230 times with ``eps=1e-6``.

    Parameters
    ----------
    lambda_1 : float, default=0.1
        Ridge strength ``lambda_1 / 2 ||coef||_F^2``, ``>= 0``.
    lambda_2 : float, default=0.1
        Strength of the task-covariance prior ``lambda_2 / 2 tr(coef^T
        Omega^{-1} coef)``, ``>= 0`` (``lambda_1 + lambda_2 > 0``). Both default
        to 0.1, the sparse regressors' ``alpha``: these quadratic terms shrink
        ``coef`` but never zero it.
    eps : float, default=1e-3
        ``> 0``: the covariance step uses ``coef coef^T + eps I``, which keeps
        ``Omega`` invertible when ``coef`` has rank below ``n_tasks``; in the
        units of squared coefficients. Smaller values come closer to the
        paper's model (``eps = 0``) but slow the alternation down when
        ``coef`` is (nearly) rank deficient.

    Attributes
    ----------
    task_covariance_ : ndarray of shape (n_tasks, n_tasks)
        ``Omega``, the learned task covariance (trace 1).
    task_correlation_ : ndarray of shape (n_tasks, n_tasks)
        ``Omega`` scaled to unit diagonal.

    References
    ----------
    Zhang, Y. and Yeung, D.-Y. (2010). A convex formulation for learning task
    relationships in multi-task learning. UAI.
    """


class TaskRelationClassifier(MultiTaskClassifierMixin, _TaskRelation):
    """Multi-task relationship learning (MTRL): logistic regression with a learned task covariance.
    """


# compare's tol=1e-3 instead of 1e-4 (the alternation's relative decrease): about 8x faster on
# School for test nMSE changes below 0.003.
TASK_RELATION = declare(
    "task-relation", TaskRelationRegressor, TaskRelationClassifier,
    description="learned task covariance (MTRL, Zhang & Yeung 2010)",
    grid=fixed_grid(lambda_2=(0.01, 0.1, 1.0)), fixed={"lambda_1": 0.01, "tol": 1e-3})
