"""Multi-task relationship learning (MTRL): a learned task covariance ``Omega``."""

import numbers

import numpy as np

from ..penalties import mean_separated_spectrum
from ._alternating import _AlternatingModel, scaled_gram, symmetric_eigh
from ._base import MultiTaskClassifierMixin, MultiTaskRegressorMixin, store_params
from ._grids import TASK_RELATION_LAMBDA_1, TASK_RELATION_LAMBDA_2S, fixed_grid
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


def coefficient_correlation(coef):
    """The tasks' correlation as their fitted models show it: ``coef`` rows' cosines.

    ``C[s, t] = <w_s, w_t> / (||w_s|| ||w_t||)``, uncentred: the prior of
    MTRL (and the generator of :func:`~mtlclassic.datasets.make_task_relation_regression`)
    draws each column ``coef[:, j]`` from ``N(0, Sigma)``, whose correlation
    this estimates. A task whose model is zero correlates 0 with the others
    (and 1 with itself).
    """
    coef = np.asarray(coef, dtype=np.float64)
    norms = np.linalg.norm(coef, axis=1)
    # Rows divided first: the Gram matrix of unit rows cannot overflow.
    unit = coef / np.where(norms > 0, norms, 1.0)[:, None]
    C = np.clip(unit @ unit.T, -1.0, 1.0)
    np.fill_diagonal(C, 1.0)
    return C


class _TaskRelation(_AlternatingModel):
    _nonneg_params = ("lambda_1", "lambda_2")
    # The squared loss's W-step is a linear system: solved directly (solvers/normal.py).
    _normal_w_step = True

    def __init__(self, lambda_1=0.1, lambda_2=0.1, *, eps=1e-3, lambda_mean=None,
                 fit_intercept=True, intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
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
        value = self.lambda_mean
        if value is not None and (not isinstance(value, numbers.Real) or isinstance(value, bool)
                                  or not np.isfinite(value) or value <= 0):
            # lambda_mean = 0 would leave the mean model unpenalised (a singular W-step).
            raise ValueError(f"lambda_mean must be None or a finite number > 0, got {value!r}.")

    def _centred(self, W):
        """``W_c``: ``W`` itself, or the tasks' deviations from their mean (``Pi W``)."""
        return W if self.lambda_mean is None else W - W.mean(axis=0)

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
        if self.lambda_mean is not None:
            # lambda_mean 11^T / T + Pi M Pi, built from its parts (mean_separated_spectrum).
            with np.errstate(over="ignore", invalid="ignore"):
                d, U = mean_separated_spectrum(self.lambda_mean, d, U)
        return self._task_quadratic(None, _STEP, spectrum=(d, U))

    def _structure_step(self, W):
        return _mtrl_structure(self._centred(W), self.eps)

    def _penalty_value(self, W, structure, shift=0):
        mean = 0.0
        if self.lambda_mean is not None:
            # lambda_mean / 2 T ||w_bar||^2 = lambda_mean / 2 ||sum_t w_t||^2 / T.
            G, e = scaled_gram(W.sum(axis=0)[None, :])
            with np.errstate(over="ignore"):
                mean = 0.5 * self.lambda_mean * np.ldexp(float(G[0, 0]) / len(W), 2 * e + shift)
            W = self._centred(W)
        return mean + self._relation_value(W, structure, shift)

    def _relation_value(self, W, structure, shift):
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
        self.task_correlation_ = coefficient_correlation(self._centred(self.coef_))


class TaskRelationRegressor(MultiTaskRegressorMixin, _TaskRelation):
    """Multi-task relationship learning (MTRL): regression with a learned task covariance.

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b, Omega}  F(coef, b)  +  lambda_1 / 2 ||W_c||_F^2  +  lambda_2 / 2 tr(Omega^{-1} (W_c W_c^T + eps I))  [+ lambda_mean / 2 * T ||w_bar||^2]
                       subject to  Omega positive definite,  tr(Omega) = 1,
                       lambda_mean=None (Zhang and Yeung):  W_c = coef,  no mean term,
                       lambda_mean > 0:  W_c = Pi coef,  Pi = I - 11^T / T (the tasks' deviations
                       from their mean),  w_bar = 1/T sum_t w_t

    ``coef coef^T`` is the ``(n_tasks, n_tasks)`` matrix of inner products of the
    task models; ``Omega`` is learned with ``coef`` (Zhang and Yeung 2010: the
    columns ``coef[:, j]`` are a matrix-normal prior's draws with task covariance
    ``Omega``, which may encode positive, negative or no correlation). For
    fixed ``coef`` the best ``Omega`` is ``(coef coef^T + eps I)^{1/2}`` over its
    trace (:func:`mtrl_covariance`); for fixed ``Omega`` the problem in
    ``(coef, b)`` has the penalty ``1/2 tr(coef^T (lambda_1 I + lambda_2
    Omega^{-1}) coef)``, solved to a certified duality gap (with
    ``solver="auto"`` and at most 16 tasks, as the normal equations of a
    linear system: :mod:`mtlclassic.solvers.normal`). The two steps
    alternate from ``Omega = I / n_tasks``.

    Minimising over ``Omega`` leaves ``F(coef, b) + lambda_1 / 2 ||coef||_F^2 +
    lambda_2 / 2 ||[coef, sqrt(eps) I]||_*^2`` (squared trace norm of ``coef``
    with ``sqrt(eps) I`` appended as columns): the problem is jointly
    convex, so the alternation reaches its minimum (the paper's ``eps = 0``
    is the limit). ``eps`` is this module's addition.

    With ``lambda_mean`` the relationship is learned between the tasks'
    deviations ``Pi coef`` from their mean model ``w_bar``, which is
    penalised alone (as ``ClusteredTaskRegressor``'s ``lambda_mean``, after
    Evgeniou and Pontil 2004): tasks that share a large common model no
    longer look alike to ``Omega`` merely because of it, and a small
    ``lambda_mean`` leaves that common model nearly free. The ``Omega``-step
    sees only ``Pi coef`` (``Omega``'s eigenvector ``1 / sqrt(T)`` then has
    eigenvalue ``sqrt(eps) / tr(...)``, which no longer matters: ``Pi``
    removes that direction); the W-step's matrix is ``lambda_mean 11^T / T +
    Pi (lambda_1 I + lambda_2 Omega^{-1}) Pi``. Still jointly convex.

    ``Omega`` is the square root of the tasks' Gram matrix ``W_c W_c^T``, not
    ``W_c W_c^T`` itself: its correlations are those of a matrix with the same
    eigenvectors and square-rooted eigenvalues, flatter than the correlations
    of the task models when tasks are only moderately related (they match
    when the relation is close to low rank with equal eigenvalues, e.g. one
    shared factor or tight clusters). ``task_covariance_`` is this ``Omega``,
    the model's own variable; ``task_correlation_``, the estimate of how the
    tasks relate that is meant to be read, is the correlation of the fitted
    models ``coef_`` themselves (cosines of its rows), whose shrinkage by
    ``Omega`` makes it closer to the truth than the correlation of
    independent ridge fits (``tests/test_task_relation.py``).

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
    lambda_mean : float or None, default=None
        ``None``: Zhang and Yeung's model, ``Omega`` relates the task models
        themselves, each shrunk towards zero. A float ``> 0``: the mean model
        ``w_bar`` is penalised alone, by ``lambda_mean / 2 * T ||w_bar||^2``,
        and ``lambda_1``, ``lambda_2`` and ``Omega`` act on the tasks'
        deviations from it. A small ``lambda_mean`` leaves the shared model
        nearly free.

    Attributes
    ----------
    task_covariance_ : ndarray of shape (n_tasks, n_tasks)
        ``Omega``, the model's learned task covariance (trace 1): the square
        root of the (centred, with ``lambda_mean``) tasks' Gram matrix.
    task_correlation_ : ndarray of shape (n_tasks, n_tasks)
        The tasks' correlation read from the fitted models: ``C[s, t] =
        <w_s, w_t> / (||w_s|| ||w_t||)`` over the rows of ``coef_``
        (uncentred, as the prior's columns have mean zero); with
        ``lambda_mean``, of the deviations ``coef_ - coef_.mean(axis=0)``,
        the relation the model learns. Not ``Omega`` scaled to a unit
        diagonal, which is flatter (see above).

    References
    ----------
    Zhang, Y. and Yeung, D.-Y. (2010). A convex formulation for learning task
    relationships in multi-task learning. UAI.
    Evgeniou, T. and Pontil, M. (2004). Regularized multi-task learning. KDD
    (the separate mean model of ``lambda_mean``).
    """


class TaskRelationClassifier(MultiTaskClassifierMixin, _TaskRelation):
    """Multi-task relationship learning (MTRL): logistic regression with a learned task covariance.
    """


# compare's tol=1e-3 instead of 1e-4 (the alternation's relative decrease): about 8x faster on
# School for test nMSE changes below 0.003.
TASK_RELATION = declare(
    "task-relation", TaskRelationRegressor, TaskRelationClassifier,
    description="learned task covariance (MTRL, Zhang & Yeung 2010)",
    grid=fixed_grid(lambda_2=TASK_RELATION_LAMBDA_2S),
    fixed={"lambda_1": TASK_RELATION_LAMBDA_1, "tol": 1e-3})
