"""Sparse task graph learning (MSSL-style): a task precision learned by the graphical lasso."""

import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._alternating import _AlternatingModel, scaled_gram
from ._base import MultiTaskClassifierMixin, MultiTaskRegressorMixin, store_params
from ._grids import alpha_max_grid, fixed_grid, product_grid
from ._registry import declare


def task_precision(W, alpha_graph, eps, *, tol=1e-6, max_iter=200):
    """The graphical lasso on the tasks: sparse ``Theta`` from the rows of ``W``.

    Minimises ``tr(Theta S) - log det Theta + alpha_graph sum_{s != t}
    |Theta[s, t]|`` with ``S = W W^T / n_features + eps I`` (each feature's
    weights across tasks, ``W[:, j]``, one sample; no centering) by
    :func:`sklearn.covariance.graphical_lasso`, or by :func:`graphical_lasso_admm`
    when that raises ``FloatingPointError`` (many tasks, few features).

    Parameters
    ----------
    W : ndarray of shape (n_tasks, n_features)
        Finite.
    alpha_graph : float
        ``>= 0``.
    eps : float
        ``> 0``, keeps ``S`` positive definite.

    Returns
    -------
    Theta : ndarray of shape (n_tasks, n_tasks)
        Symmetric positive definite, exact zeros off the selected edges.

    Raises
    ------
    ValueError
        When ``W`` is not finite, or ``S`` is singular to float64 precision
        (``eps`` negligible against ``max |W|^2``) so that no finite
        ``Theta`` is found; the message names the step and the fix.
    """
    from sklearn.covariance import graphical_lasso

    W = np.asarray(W, dtype=np.float64)
    T, p = W.shape
    if not np.all(np.isfinite(W)):
        raise ValueError(f"the {_STEP} got non-finite coefficients W; scale the features, "
                         "targets or task_weights towards 1.")
    # The graphical lasso is scale-covariant: with S = 2^(2e) S', Theta(S, alpha) =
    # 2^(-2e) Theta(S', alpha 2^(-2e)). S' is formed from W / 2^e (scaled_gram), so no
    # product of W overflows, and the powers of two change no significant bit.
    G, e = scaled_gram(W)
    S = G / max(p, 1) + np.ldexp(eps, -2 * e) * np.eye(T)
    alpha_s = np.ldexp(float(alpha_graph), -2 * e)
    try:
        if T == 1 or alpha_graph == 0:  # no off-diagonal penalty: the inverse
            theta = np.linalg.inv(S)
        else:
            try:
                with warnings.catch_warnings():
                    # The alternation judges convergence on its own objective.
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    _, theta = graphical_lasso(S, alpha_s, tol=tol, enet_tol=tol,
                                               max_iter=max_iter)
            except FloatingPointError:
                # scikit-learn's coordinate descent breaks down on the ill-conditioned S of
                # many tasks and few features (School: 139 tasks, 27 features); ADMM does not.
                theta = graphical_lasso_admm(S, alpha_s, tol=tol)
    except (np.linalg.LinAlgError, FloatingPointError) as exc:
        raise ValueError(f"the {_STEP} failed on W W^T / n_features + eps I with max |W| = "
                         f"{np.abs(W).max():.3g} and eps={eps:g} "
                         f"({exc}); increase eps or alpha_graph, or scale the features, targets "
                         "or task_weights towards 1.") from None
    theta = np.ldexp(0.5 * (theta + theta.T), -2 * e)
    if e and not np.all(np.diag(theta) > 0):  # Theta ~ 1 / max|W|^2 fell below float64
        raise ValueError(f"the {_STEP} underflowed: the task precision ~ 1 / max|W|^2 is below "
                         f"the range of float64 at max |W| = {np.abs(W).max():.3g}; scale the "
                         "features, targets or task_weights towards 1.")
    if not np.all(np.isfinite(theta)):
        raise ValueError(f"the {_STEP} returned a non-finite precision from W W^T / n_features "
                         f"+ eps I (eps={eps:g}, singular to float64 at this scale of W); "
                         "increase eps, or scale the features, targets or task_weights "
                         "towards 1.")
    return theta


_STEP = "task precision step (graphical lasso)"


def graphical_lasso_admm(S, alpha, *, rho=1.0, tol=1e-8, max_iter=5000):
    """The graphical lasso by ADMM, robust to an ill-conditioned ``S``.

    Minimises ``tr(S Theta) - log det Theta + alpha sum_{s != t} |Theta[s, t]|``
    (the diagonal unpenalised, as :func:`sklearn.covariance.graphical_lasso`)
    with the splitting ``Theta = Z``: the ``Theta``-step is a closed form in
    the eigenbasis of ``rho (Z - U) - S``, the ``Z``-step a soft-threshold of
    the off-diagonal.  Stops when the primal and dual residuals are below
    ``tol`` relative to ``||Z||_F`` (``rho`` adapted by
    residual balancing); returns ``Z`` (exact zeros off the
    selected edges), positive definite at convergence.

    References
    ----------
    Boyd, S. et al. (2011). Distributed optimization and statistical learning
    via the alternating direction method of multipliers. Found. Trends Mach.
    Learn. 3(1), section 6.5.
    """
    S = np.asarray(S, dtype=np.float64)
    T = S.shape[0]
    off = ~np.eye(T, dtype=bool)
    Z = np.diag(1.0 / np.diag(S))
    U = np.zeros_like(S)
    theta = Z
    for _ in range(max_iter):
        lam, Q = np.linalg.eigh(rho * (Z - U) - S)
        theta = (Q * ((lam + np.sqrt(lam * lam + 4.0 * rho)) / (2.0 * rho))) @ Q.T
        V = theta + U
        Z_old = Z
        Z = np.where(off, np.sign(V) * np.maximum(np.abs(V) - alpha / rho, 0.0), V)
        U = V - Z
        scale = max(np.linalg.norm(Z), 1e-300)
        primal = np.linalg.norm(theta - Z)
        dual = rho * np.linalg.norm(Z - Z_old)
        if primal <= tol * scale and dual <= tol * scale:
            break
        # Residual balancing (Boyd et al., 3.4.1): the scaled dual U follows rho.
        if primal > 10.0 * dual:
            rho, U = 2.0 * rho, 0.5 * U
        elif dual > 10.0 * primal:
            rho, U = 0.5 * rho, 2.0 * U
    return Z if np.linalg.eigvalsh(0.5 * (Z + Z.T))[0] > 0 else theta


class _SparseTaskGraph(_AlternatingModel):
    _nonneg_params = ("alpha_graph", "alpha", "l2_reg")
    _positive_params = ("lambda_task",)

    def __init__(self, lambda_task=0.001, alpha_graph=0.1, *, alpha=0.0, l2_reg=0.01, eps=1e-6,
                 fit_intercept=True, intercept_shrinkage=0.0, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=100,
                 max_inner_iter=5000, warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        if (not isinstance(self.eps, numbers.Real) or isinstance(self.eps, bool)
                or not np.isfinite(self.eps) or not self.eps > 0):
            raise ValueError(f"eps must be a finite number > 0, got {self.eps!r}.")

    def _initial_structure(self, n_tasks):
        return np.eye(n_tasks)

    def _previous_structure(self, n_tasks):
        theta = getattr(self, "task_precision_", None)
        return theta if theta is not None and theta.shape == (n_tasks, n_tasks) else None

    def _coupling(self, theta, n_features):
        return self._task_quadratic(self.lambda_task * theta, _STEP, alpha=self.alpha,
                                    l2_reg=self.l2_reg)

    def _structure_step(self, W):
        # The graphical lasso's own tolerance follows the alternation's.
        return task_precision(W, self.alpha_graph, self.eps, tol=min(1e-4, self.tol))

    def _penalty_value(self, W, theta, shift=0):
        T, p = W.shape
        sign, logdet = np.linalg.slogdet(theta)
        if sign <= 0:
            return np.inf
        off = float(np.sum(np.abs(theta)) - np.sum(np.abs(np.diag(theta))))
        G, e = scaled_gram(W)  # W W^T = 2^(2e) G
        l1 = float(np.sum(np.abs(np.ldexp(W, -e))))  # ||W||_1 2^-e
        with np.errstate(over="ignore"):  # an overflow is the caller's to report
            bracket = (np.ldexp(float(np.sum(theta * G)), 2 * e + shift)
                       + np.ldexp(p * self.eps * float(np.trace(theta)) - p * logdet
                                  + p * self.alpha_graph * off, shift))
            return float(self.alpha * np.ldexp(l1, e + shift)
                         + 0.5 * self.l2_reg * np.ldexp(float(np.trace(G)), 2 * e + shift)
                         + 0.5 * self.lambda_task * bracket)

    def _set_structure(self, theta):
        self.task_precision_ = theta
        graph = theta != 0
        np.fill_diagonal(graph, False)
        self.task_graph_ = graph


class SparseTaskGraphRegressor(MultiTaskRegressorMixin, _SparseTaskGraph):
    """Multi-task regression with a learned sparse task graph (precision of the tasks' weights).

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b, Theta}  F(coef, b)  +  alpha ||coef||_1  +  l2_reg / 2 ||coef||_F^2
                       + lambda_task / 2 [tr(coef^T Theta coef) + p eps tr(Theta) - p log det(Theta)
                                       + p alpha_graph sum_{s != t} |Theta[s, t]|]

    ``p`` is ``n_features``, ``Theta`` a positive definite ``(n_tasks,
    n_tasks)`` precision. The bracket is ``p`` times the graphical lasso's
    objective at the empirical covariance ``S = coef coef^T / p + eps I``: the
    ``p`` columns ``coef[:, j]`` (each feature's weights across tasks) are read as
    draws of a zero-mean Gaussian over tasks with precision ``Theta``, whose
    zero pattern is the task graph (Goncalves et al. 2016, p-MSSL, with a
    sparse precision step). For fixed ``Theta`` the problem in ``(coef, b)``
    has the penalty ``alpha ||coef||_1 + 1/2 tr(coef^T (lambda_task Theta +
    l2_reg I) coef)``,
    solved to a certified duality gap; for fixed ``coef`` the best ``Theta`` is
    :func:`sklearn.covariance.graphical_lasso` (diagonal unpenalised, as
    there) on ``S`` (:func:`task_precision`). The alternation starts from
    ``Theta = I``.

    The objective is *not* jointly convex (``tr(coef^T Theta coef)`` is bilinear
    and, minimised over ``Theta``, leaves ``p/2 lambda_task log det(S)``, a
    concave function of ``coef coef^T``): the fit is a stationary point reached
    from that start, not a certified minimum, and ``lambda_task`` too large
    for the data drives ``coef`` towards zero (bounded by ``eps``). Differences
    with MSSL: its ``l1`` penalty on ``Theta`` includes the diagonal, and its
    weights are ``lambda_task = 1``, ``alpha_graph = 2 lambda / p``.

    Parameters
    ----------
    lambda_task : float, default=0.001
        Strength of the task-precision prior (the bracket), ``> 0``.
    alpha_graph : float, default=0.1
        Graphical-lasso strength on the off-diagonal of ``Theta`` (the
        ``alpha`` of :func:`sklearn.covariance.graphical_lasso`), ``>= 0``:
        larger values give sparser task graphs.
    alpha : float, default=0.0
        Strength of the l1 penalty on ``coef``, ``>= 0``. The default 0: no l1
        term, so nothing zeroes ``coef`` (the model is a ridge with a learned
        task prior); see :class:`LassoRegressor` for the scale of ``alpha``.
    l2_reg : float, default=0.01
        Ridge strength ``l2_reg / 2 ||coef||_F^2``, ``>= 0``. The prior alone
        grows only logarithmically with the scale of ``coef`` (``Theta`` scales
        down as ``coef`` scales up), so without it a classifier on separable
        data has no minimiser and its weights grow without bound.
    eps : float, default=1e-6
        ``> 0``: added to the empirical task covariance ``coef coef^T / p`` so
        that ``Theta`` stays bounded (and the objective bounded below) when
        ``coef`` is (nearly) rank deficient. In the units of squared coefficients.

    Attributes
    ----------
    task_precision_ : ndarray of shape (n_tasks, n_tasks)
        ``Theta``, the learned sparse task precision.
    task_graph_ : ndarray of shape (n_tasks, n_tasks), dtype=bool
        Adjacency of the task graph: ``Theta[s, t] != 0`` for ``s != t``
        (symmetric, no diagonal).

    References
    ----------
    Goncalves, A. R., Von Zuben, F. J. and Banerjee, A. (2016). Multi-task
    sparse structure learning with Gaussian copula models. JMLR 17(33).
    Friedman, J., Hastie, T. and Tibshirani, R. (2008). Sparse inverse
    covariance estimation with the graphical lasso. Biostatistics 9(3).
    """


class SparseTaskGraphClassifier(MultiTaskClassifierMixin, _SparseTaskGraph):
    """Multi-task logistic regression with a learned sparse task graph.
    """


# compare's tol=1e-3: see TASK_RELATION.
SPARSE_TASK_GRAPH = declare(
    "sparse-task-graph", SparseTaskGraphRegressor, SparseTaskGraphClassifier,
    description="learned sparse task graph plus l1 (p-MSSL, Goncalves et al. 2016)",
    grid=product_grid(fixed_grid(lambda_task=(1e-3, 1e-2, 1e-1)),
                      alpha_max_grid(("alpha", "l1"), fractions=(0.1,))),
    fixed={"tol": 1e-3})
