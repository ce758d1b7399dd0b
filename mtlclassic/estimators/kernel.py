"""Multi-task kernel ridge with a learned task covariance: task-relation learning in an RKHS.

The separable multi-task kernel ``k(x, x') B[s, t]`` couples the tasks through
the task matrix ``B``: fixed (independent tasks, one shared function, or a
given matrix), or learned as in multi-task relationship learning (Zhang and
Yeung 2010), alternating the exact kernel solve of
:mod:`mtlclassic.estimators._kernel_solve` with MTRL's closed-form covariance.
With ``n_components`` the kernel is replaced by Nystroem features and the
package's linear models solve the same objective in feature space.
``task_covariance="evidence"`` is the multi-task Gaussian process of Bonilla et
al. (2008) instead: ``B``, the tasks' noise variances and the kernel's ``gamma``
maximise the marginal likelihood (:mod:`mtlclassic.estimators._kernel_evidence`).
"""

import copy
import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_approximation import Nystroem
from sklearn.metrics.pairwise import PAIRWISE_KERNEL_FUNCTIONS, pairwise_kernels
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import validate_data

from .._backend import device_namespace, to_host
from .._docstrings import FIT_DATA, KERNEL, with_entries
from .._prediction import (MultiTaskClassifierMixin, MultiTaskPredictor, MultiTaskRegressorMixin,
                           store_params)
from .._validation import is_missing, split_task_column
from ..penalties import mean_separated_spectrum
from ._grids import kernel_grid
from ._kernel_device import device_kernel
from ._kernel_evidence import Evidence, maximise_evidence
from ._kernel_functions import (MATERN_NAMES, STATIONARY, StationaryKernel, default_gamma,
                                matern_kernel, matern_nu)
from ._feature_map import apply_feature_map, check_feature_map, fit_feature_map
from ._kernel_features import feature_space_model
from ._kernel_solve import KroneckerSolve, StackedSolve, check_psd_kernel
from .kernel_cv import _KernelCV
from .task_relation import covariance_from_gram
from ._registry import declare

_COVARIANCES = ("learn", "independent", "shared", "evidence")


def mtrl_task_covariance(G, eps):
    """``Omega`` minimising ``tr(Omega^{-1} (G + eps I))`` over trace-1 ``Omega``: MTRL's step.

    ``G`` is the tasks' Gram matrix ``<f_s, f_t>`` in the RKHS (symmetric
    positive semidefinite); the step is :class:`~mtlclassic.TaskRelationRegressor`'s
    (:func:`~mtlclassic.estimators.task_relation.covariance_from_gram`).
    Returns ``(Omega, w, U)``, ``Omega = U diag(w) U^T``.
    """
    d, U = np.linalg.eigh(0.5 * (G + G.T))
    return covariance_from_gram(d, U, eps)


class _Anderson:
    """Anderson acceleration of the fixed point ``Omega = step(Omega)`` (MTRL's alternation).

    Plain alternation converges linearly and slowly (281 alternations to a
    1e-8 step on a 7-task problem, measured); mixing the last ``depth``
    steps took 48 to the same ``Omega`` (1.5e-7 apart). An extrapolated
    ``Omega`` that is not positive definite is replaced by the plain step,
    a step whose residual grew tenfold restarts the history, and one that
    raises the objective is undone by the caller (the plain step is taken).
    """

    def __init__(self, depth=5):
        self.depth = depth
        self.reset()

    def reset(self):
        self.points, self.residuals, self.best = [], [], np.inf

    def step(self, omega, new, w_new, U_new):
        """The next ``(Omega, w, U)`` after ``omega`` whose plain step is ``new``."""
        f = (new - omega).ravel()
        norm = float(np.linalg.norm(f))
        if norm > 10 * self.best:
            self.points, self.residuals = [], []
        self.best = min(self.best, norm)
        self.points.append(omega.ravel())
        self.residuals.append(f)
        del self.points[:-self.depth - 1], self.residuals[:-self.depth - 1]
        if len(self.residuals) < 2:
            return new, w_new, U_new
        dF = np.diff(np.array(self.residuals), axis=0).T
        dX = np.diff(np.array(self.points), axis=0).T
        gamma = np.linalg.lstsq(dF, f, rcond=None)[0]
        candidate = (omega.ravel() + f - (dX + dF) @ gamma).reshape(omega.shape)
        candidate = 0.5 * (candidate + candidate.T)
        lam, U = np.linalg.eigh(candidate)
        if not (np.all(np.isfinite(lam)) and lam[0] > 0):
            return new, w_new, U_new
        total = lam.sum()
        return candidate / total, lam / total, U


class _KernelTaskRelation(MultiTaskPredictor):
    _doc_family = KERNEL
    _fitted_attribute = "task_covariance_"

    def __init__(self, alpha=1e-3, *, kernel="rbf", gamma=None, degree=3, coef0=1,
                 kernel_params=None, task_covariance="learn", lambda_2=1e-3, eps=1e-3,
                 lambda_mean=None, fit_intercept=True, intercept_shrinkage=0.0, n_components=None,
                 random_state=None, task_column=None, unseen_tasks="error", task_weights=None,
                 tol=1e-4, max_iter=100, warm_start=False, device=None, verbose=0,
                 normalize_y=False, feature_map=None):
        store_params(self, locals())

    # -- parameters ---------------------------------------------------------------------
    def _check_params(self):
        for name, positive in (("alpha", True), ("lambda_2", False), ("eps", True),
                               ("tol", True), ("intercept_shrinkage", False)):
            value = getattr(self, name)
            if (not isinstance(value, numbers.Real) or isinstance(value, bool)
                    or not np.isfinite(value) or value < 0 or (positive and value == 0)):
                bound = "> 0" if positive else ">= 0"
                raise ValueError(f"{name} must be a finite number {bound}, got {value!r}.")
        if (not isinstance(self.max_iter, numbers.Integral) or isinstance(self.max_iter, bool)
                or self.max_iter < 1):
            raise ValueError(f"max_iter must be an int >= 1, got {self.max_iter!r}.")
        if not (callable(self.kernel) or self.kernel in PAIRWISE_KERNEL_FUNCTIONS
                or self.kernel in MATERN_NAMES or self.kernel == "precomputed"):
            raise ValueError(
                f"kernel must be a callable or one of "
                f"{sorted(PAIRWISE_KERNEL_FUNCTIONS) + list(MATERN_NAMES)}, got {self.kernel!r}.")
        if self.kernel in MATERN_NAMES:
            matern_nu(self.kernel, self.kernel_params)
            if self.n_components is not None:
                raise ValueError(f"kernel={self.kernel!r} has no Nystroem features here: use "
                                 "n_components=None (the exact solve) or kernel='rbf'.")
        if self.kernel == "precomputed":
            raise ValueError("kernel='precomputed' is not supported: the per-task layout reads "
                             "the task column from X; pass the kernel as a callable.")
        if isinstance(self.task_covariance, str):
            if self.task_covariance not in _COVARIANCES:
                raise ValueError(f"task_covariance must be one of {_COVARIANCES} or a (n_tasks, "
                                 f"n_tasks) array, got {self.task_covariance!r}.")
        value = self.lambda_mean
        if value is not None and (not isinstance(value, numbers.Real) or isinstance(value, bool)
                                  or not np.isfinite(value) or value <= 0):
            # lambda_mean = 0 would leave the mean function unpenalised (a singular task matrix).
            raise ValueError(f"lambda_mean must be None or a finite number > 0, got {value!r}.")
        if value is not None and not (isinstance(self.task_covariance, str)
                                      and self.task_covariance == "learn"):
            raise ValueError("lambda_mean separates a mean function from the learned covariance: "
                             "it needs task_covariance='learn' (or lambda_mean=None).")
        if self.n_components is not None and (
                not isinstance(self.n_components, numbers.Integral)
                or isinstance(self.n_components, bool) or self.n_components < 1):
            raise ValueError(f"n_components must be None or an int >= 1, got "
                             f"{self.n_components!r}.")
        if not isinstance(self.normalize_y, (bool, np.bool_)):
            raise ValueError(f"normalize_y must be True or False, got {self.normalize_y!r}.")
        if self.normalize_y and self._classifier:
            raise ValueError("normalize_y=True scales regression targets; the classifiers fit "
                             "+-1 labels: use normalize_y=False (or task_weights).")
        check_feature_gamma(self.kernel, self.gamma)
        check_feature_map(self.feature_map)
        if self.device not in (None, "cpu", "cuda", "auto"):
            raise ValueError(f"device must be None, 'cpu', 'cuda' or 'auto', got {self.device!r}.")
        if isinstance(self.task_covariance, str) and self.task_covariance == "evidence":
            self._check_evidence_params()

    def _check_evidence_params(self):
        """``task_covariance="evidence"``: what the Gaussian process's likelihood can take."""
        problem = None
        if self._classifier:
            problem = ("is the Gaussian likelihood of a regression; the classifiers fit +-1 "
                       "labels: use task_covariance='learn'")
        elif self.n_components is not None:
            problem = "needs the exact solve: use n_components=None"
        elif self.task_weights is not None:
            problem = ("learns each task's noise variance, which weighs the tasks: use "
                       "task_weights=None")
        elif self.intercept_shrinkage != 0:
            problem = "estimates the tasks' means freely: use intercept_shrinkage=0"
        elif self.device == "cuda":
            problem = "runs on the CPU: use device=None or 'cpu'"
        if problem is not None:
            raise ValueError(f"task_covariance='evidence' {problem}.")

    def _kernel_args(self):
        """The kernel's parameters, as ``pairwise_kernels`` and ``Nystroem`` take them."""
        params = dict(self.kernel_params or {})
        if not callable(self.kernel):
            # A per-feature gamma (the ARD rbf) is applied to the features (_ard_features):
            # the kernel then sees gamma 1.
            gamma = self._gamma_value()
            gamma = 1.0 if np.ndim(gamma) == 1 else gamma
            params.update(gamma=gamma, degree=self.degree, coef0=self.coef0)
        return params

    def _gamma_value(self):
        """The kernel's ``gamma``: the fitted one (learned by the evidence), else ``gamma``."""
        return self.__dict__.get("_gamma_fit", self.gamma)

    def _ard_features(self, X):
        """``X`` with column ``j`` times ``sqrt(gamma_j)`` for a per-feature gamma, else ``X``.

        ``exp(-sum_j gamma_j (x_j - x'_j)^2)`` is the rbf kernel with gamma 1
        on the scaled features (a sparse ``X`` stays sparse).
        """
        gamma = self._gamma_value()
        if np.ndim(gamma) != 1 or X is None:
            return X
        root = np.sqrt(np.asarray(gamma, dtype=np.float64))
        if root.shape[0] != X.shape[1]:
            raise ValueError(f"gamma has {root.shape[0]} entries (one per feature) but X has "
                             f"{X.shape[1]} features: give one gamma per feature, or a float.")
        return X.multiply(root).tocsr() if hasattr(X, "multiply") and not isinstance(
            X, np.ndarray) else X * root

    def _kernel(self, X, Y=None):
        params = self._kernel_args()
        # In float64 whatever the features' dtype: a float32 kernel matrix moved the exact
        # solve's predictions by 5% (linear kernel, features of scale 100, measured) and
        # gave the PSD test negative eigenvalues of 1e-6 relative from rounding alone.
        X, Y = (None if Z is None else self._ard_features(Z.astype(np.float64, copy=False))
                for Z in (X, Y))
        if self.kernel in MATERN_NAMES:
            return matern_kernel(X, Y, params["gamma"], matern_nu(self.kernel, self.kernel_params))
        return pairwise_kernels(X, Y, metric=self.kernel, filter_params=True, **params)

    def _fixed_task_matrix(self, n_tasks):
        """``B`` for a fixed ``task_covariance`` (validated), or None for ``"learn"``."""
        spec = self.task_covariance
        if isinstance(spec, str):
            return {"learn": None, "evidence": None, "independent": np.eye(n_tasks),
                    "shared": np.ones((n_tasks, n_tasks))}[spec]
        B = np.asarray(spec, dtype=np.float64)
        if B.shape != (n_tasks, n_tasks):
            raise ValueError(f"task_covariance must be of shape (n_tasks, n_tasks) = "
                             f"({n_tasks}, {n_tasks}) for the {n_tasks} tasks of the data, got "
                             f"shape {B.shape}.")
        if not np.all(np.isfinite(B)) or not np.allclose(B, B.T, rtol=1e-10, atol=0):
            raise ValueError("task_covariance must be a finite symmetric matrix.")
        lam = np.linalg.eigvalsh(B)
        if lam[0] < -1e-10 * max(lam[-1], 0.0) or lam[-1] <= 0:
            raise ValueError(f"task_covariance must be positive semi-definite and nonzero "
                             f"(smallest eigenvalue {lam[0]:.3g}).")
        return 0.5 * (B + B.T)

    # -- fit --------------------------------------------------------------------------
    @with_entries(FIT_DATA)
    def fit(self, X, y, sample_weight=None):
        """Fit the model: the exact dual solve, or a linear model on Nystroem features.
        """
        self._check_params()
        # The GPU path (xp: CuPy) computes the kernel matrix, factorises and solves on the
        # device; validation and the T x T steps run on the host, as the linear models'.
        xp = device_namespace(self.device, X, y, sample_weight)
        X, y, sample_weight = to_host(X), to_host(y), to_host(sample_weight)
        self.device_ = "cpu" if xp is None else "cuda"
        data = self._check_fit_input(X, y, sample_weight, task_weights=self.task_weights)
        T = data.n_tasks
        B = self._fixed_task_matrix(T)
        # The feature-space model of the last fit: a warm start's starting point (fold by fold,
        # compare's search refits on the same features at a neighbouring point).
        previous_linear = self.__dict__.get("_linear") if self.warm_start else None
        for name in ("coef_", "nystroem_", "dual_coef_", "X_fit_", "_dual_task", "_linear",
                     "_gamma_fit", "gamma_", "noise_variance_", "log_marginal_likelihood_"):
            self.__dict__.pop(name, None)
        self.y_mean_, self.y_scale_ = _target_scale(data, self.normalize_y)
        # The kernel sees the mapped features (fit, Nystroem landmarks and predictions alike).
        self.feature_map_ = fit_feature_map(self.feature_map, data.X)
        if self.n_components is not None:
            return self._fit_features(X, y, sample_weight, data, B, xp, previous_linear)
        data = _normalized(data, self.y_mean_, self.y_scale_)
        if self.feature_map_ is not None:
            data = copy.copy(data)
            data.X = apply_feature_map(self.feature_map_, data.X)
        if isinstance(self.task_covariance, str) and self.task_covariance == "evidence":
            self.device_ = "cpu"
            return self._fit_evidence(data)
        # Task weights arrive divided by 2^t (check_task_weights): the strengths follow.
        scale = 2.0 ** -data.scaling.t
        K = (self._kernel(data.X) if xp is None or self.kernel in MATERN_NAMES
             else device_kernel(xp, self._ard_features(data.X), None, self.kernel,
                                self._kernel_args()))
        if xp is not None and self.kernel in MATERN_NAMES:  # formed on the host, copied
            K = xp.asarray(K)
        problem = _problem(data, K, xp)
        alpha, lambda_2 = self.alpha * scale, self.lambda_2 * scale
        lambda_mean = None if self.lambda_mean is None else self.lambda_mean * scale
        # s / 2 sum_t (b_t - mean(b))^2 scales like the loss: with the task weights.
        problem.shrinkage = self.intercept_shrinkage * scale if self.fit_intercept else 0.0
        try:
            if B is not None:
                Q = B / alpha
                a, b = problem.solve(Q, self.fit_intercept)
                omega, n_iter = B, 0
            else:
                a, b, Q, omega, n_iter = self._alternate(problem, alpha, lambda_2, T,
                                                         lambda_mean)
        except np.linalg.LinAlgError as exc:  # LAPACK on entries spanning ~1e190 or overflowed
            raise ValueError(
                f"{type(self).__name__}: a linear-algebra step failed ({exc}): the data or the "
                "weights span too many orders of magnitude; rescale X, y, task_weights or "
                "sample_weight towards 1.") from None
        self._set_covariance(omega)
        self._learned_before = B is None
        self.dual_coef_ = problem.public_dual(a)
        # Back to y's units: task t's output is y_scale_[t] (f_t(x) + b_t) + y_mean_[t].
        self.intercept_ = self.y_scale_ * b + self.y_mean_
        self.n_iter_ = n_iter
        self._dual_task = problem.dual_task(a, Q) * self.y_scale_
        self.X_fit_ = data.X
        return self

    def _fit_evidence(self, data):
        """``task_covariance="evidence"``: the multi-task GP's ``B``, noise and ``gamma`` by evidence.

        :mod:`mtlclassic.estimators._kernel_evidence` maximises the log marginal
        likelihood; the fit is then the posterior mean, the dual solve with the
        task matrix ``B`` and loss weights ``w_r / sigma2_{t_r}``.
        """
        rows, task, c, y = _observation_arrays(data)
        T = data.n_tasks
        w = _relative_weights(c, task, T)
        kernel = self.kernel
        learn_gamma = not callable(kernel) and kernel in STATIONARY
        if learn_gamma:
            feats = data.X.astype(np.float64, copy=False)[rows]
            if hasattr(feats, "toarray"):
                feats = feats.toarray()
            # A per-feature gamma (ARD): the evidence learns each one.
            ard = np.ndim(self.gamma) == 1
            start = (np.asarray(self.gamma, dtype=np.float64) if ard
                     else default_gamma(self.gamma, data.X))
            if ard and np.any(start <= 0):  # log gamma: a feature left out stays out
                raise ValueError("task_covariance='evidence' learns log gamma: a per-feature "
                                 "gamma must be > 0 (drop the feature instead of gamma 0).")
            nu = matern_nu(kernel, self.kernel_params) if kernel in MATERN_NAMES else None
            source = StationaryKernel(kernel, feats, nu, ard=ard)
        else:
            source = np.ascontiguousarray(self._kernel(data.X)[np.ix_(rows, rows)])
            check_psd_kernel(source)
            start = None
        problem = Evidence(source, task, y, w, T, self.fit_intercept)
        theta0 = problem.start(start)
        previous = getattr(self, "_evidence_theta", None)
        if self.warm_start and previous is not None and previous.shape == theta0.shape:
            theta0 = previous
        result = maximise_evidence(problem, theta0, self.max_iter, self.tol)
        if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
            raise ValueError(f"{type(self).__name__}: the evidence could not be evaluated (its "
                             "covariance is not positive definite): rescale X or y towards 1.")
        if result.status == 1:
            warnings.warn(
                f"{type(self).__name__}: the evidence's L-BFGS-B did not converge in "
                f"{self.max_iter} iterations (max_iter); increase max_iter or tol.",
                ConvergenceWarning, stacklevel=3)
        L, noise, gamma = problem.unpack(result.x)
        B = L @ L.T
        if learn_gamma:
            self._gamma_fit = gamma
            self.gamma_ = gamma
        else:
            self.gamma_ = self.gamma
        self._evidence_theta = result.x
        # The posterior mean: the dual solve with Q = B, loss weights w_r / sigma2_{t_r}.
        observations = _StackedObservations(data, self._kernel(data.X), noise=noise)
        a, b = observations.solve(B, self.fit_intercept)
        self._set_covariance(B)
        self._learned_before = False
        self.noise_variance_ = noise * self.y_scale_ ** 2
        self.log_marginal_likelihood_ = -float(result.fun) * problem.N
        self.dual_coef_ = observations.public_dual(a)
        self.intercept_ = self.y_scale_ * b + self.y_mean_
        self.n_iter_ = int(result.nit)
        self._dual_task = observations.dual_task(a, B) * self.y_scale_
        self.X_fit_ = data.X
        return self

    def _set_covariance(self, omega):
        self.task_covariance_ = omega
        s = np.sqrt(np.maximum(np.diag(omega), 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            self.task_correlation_ = np.where(np.outer(s, s) > 0, omega / np.outer(s, s), 0.0)

    def _alternate(self, problem, alpha, lambda_2, T, lambda_mean=None):
        """Alternate the exact kernel solve and MTRL's ``Omega`` step (block descent).

        The objective is jointly convex in ``(f, b, Omega)``; each step solves
        its block exactly, the ``Omega`` steps are Anderson-mixed, and a mixed
        ``Omega`` that raises the objective is replaced by the plain step, so
        the objective at the accepted points decreases. The loop stops
        when an ``Omega`` step moves no entry by more than ``tol`` (relative to
        ``Omega``'s largest): the returned ``(f, b)`` is then the exact solve
        for the returned ``Omega``, which is within that step of MTRL's closed
        form for the returned ``f``.
        """
        eps = self.eps
        omega, w, U = np.eye(T) / T, np.full(T, 1.0 / T), np.eye(T)
        previous_omega = getattr(self, "task_covariance_", None)
        if (self.warm_start and previous_omega is not None
                and previous_omega.shape == (T, T) and self._learned_before):
            lam, vecs = np.linalg.eigh(previous_omega)
            if lam[0] > 0:  # else singular to float64: start cold
                omega, w, U = previous_omega / lam.sum(), lam / lam.sum(), vecs
        mixing = _Anderson()
        previous = None  # (value, the plain step from that point) of the last accepted point
        for n_iter in range(1, self.max_iter + 1):
            # The W-step: penalty 1/2 tr(M G_f), M = alpha I + lambda_2 Omega^{-1}, so the
            # task kernel of the representer is Q = M^{-1} (Omega's eigenvectors, exact).
            # With lambda_mean, M is lambda_mean 11^T / T + Pi M Pi (built from its parts, as
            # the linear model's), and Q = 11^T / (T lambda_mean) + (Pi M Pi)^+.
            d, V = alpha + lambda_2 / w, U
            if lambda_mean is not None:
                d, V = mean_separated_spectrum(lambda_mean, d, U)
            Q = (V / d) @ V.T
            Q = 0.5 * (Q + Q.T)
            a, b = problem.solve(Q, self.fit_intercept)
            H = problem.gram(a)  # A^T K A: the tasks' Gram <f_s, f_t> is Q H Q
            value = (problem.loss(a) + problem.intercept_value(b) + 0.5 * float(np.sum(H * Q))
                     + 0.5 * lambda_2 * eps * float(np.sum(1.0 / w)))
            if self.verbose:
                print(f"[{type(self).__name__}] alternation {n_iter}: objective {value:.12g}")
            if previous is not None and value > previous[0]:
                # An extrapolated Omega raised the objective: take the plain step instead
                # (plain alternation is block descent, so the accepted values decrease).
                mixing.reset()
                omega, w, U = previous[1]
                previous = None
                continue
            # The Omega-step. The objective is flat along Omega near the optimum (a relative
            # objective change of 1e-4 left Omega 3% away, measured): stop on Omega itself,
            # once the step moves no entry by more than tol (relative to Omega's largest).
            G = Q @ H @ Q
            if lambda_mean is not None:  # Omega relates the deviations: Pi G Pi
                G = G - G.mean(axis=0) - G.mean(axis=1)[:, None] + G.mean()
            plain = mtrl_task_covariance(G, eps)
            change = np.max(np.abs(plain[0] - omega)) / np.max(np.abs(omega))
            if change <= self.tol:
                break
            previous = (value, plain)
            omega, w, U = mixing.step(omega, *plain)
        else:
            warnings.warn(
                f"{type(self).__name__}: the alternation did not settle in {self.max_iter} "
                f"iterations (the last step moved Omega by {change:.2g} relative, above "
                f"tol={self.tol}); increase max_iter or tol.", ConvergenceWarning, stacklevel=3)
        return a, b, Q, omega, n_iter

    def _fit_features(self, X, y, sample_weight, data, B, xp=None, previous=None):
        """Nystroem features of rank ``n_components``, solved by a linear model of the package.

        ``previous`` (a warm start) is the last fit's feature-space model: when it is of the
        same kind and on as many features, it is refitted from its solution.
        """
        if self.n_components > data.n_samples:
            raise ValueError(
                f"n_components={self.n_components} is larger than the {data.n_samples} "
                "training rows: use n_components <= n_samples, or None for the exact solve.")
        model, omega = feature_space_model(self, B)
        self.nystroem_ = Nystroem(kernel=self.kernel, kernel_params=self._kernel_args() or None,
                                  n_components=self.n_components,
                                  random_state=self.random_state)
        Z, target, sample_weight = self._feature_problem(X, y, sample_weight, xp)
        # Nystroem takes singular values: an indefinite kernel would pass unnoticed.
        check_psd_kernel(self._kernel(self.nystroem_.components_))
        model.set_params(task_column=None if self.task_column is None else -1)
        if xp is not None:  # the features' linear model solves on the GPU too
            model.set_params(device="cuda")
        if (previous is not None and type(previous) is type(model)
                and getattr(previous, "n_features_in_", None) == Z.shape[1]):
            previous.set_params(**{**model.get_params(), "warm_start": True})
            model = previous
        model.fit(Z, target, sample_weight=sample_weight)
        self._linear = model
        self.coef_ = model.coef_ * self.y_scale_[:, None]
        self.intercept_ = self.y_scale_ * model.intercept_ + self.y_mean_
        self._set_covariance(model.task_covariance_ if omega is None else omega)
        self.n_iter_ = model.n_iter_
        return self

    def _feature_problem(self, X, y, sample_weight, xp=None):
        """The linear model's ``(X, y, sample_weight)``: features, task codes last, +-1 labels.

        In the per-task layout the rows come sorted by task (stably): the linear
        model's validation then finds them grouped and solves on these features
        as they are, instead of a task-sorted copy (two copies of the ``N x
        n_components`` features at the peak; the problem is the same, since
        that copy had this order). ``nystroem_`` is fitted on the rows as given
        (the landmarks do not depend on the sort).
        """
        order = None
        if self.task_column is None:
            feats = validate_data(self, X, accept_sparse=("csr", "csc"), reset=False)
            Z = self._nystroem_features(apply_feature_map(self.feature_map_, feats), xp)
            codes = None
        else:
            feats, labels = split_task_column(self, X, reset=False)
            codes = np.searchsorted(self.tasks_, labels)
            order = np.argsort(codes, kind="stable")
            if np.all(order[1:] > order[:-1]):  # already grouped by task
                order = None
            else:
                codes = codes[order]
            Z = self._nystroem_features(apply_feature_map(self.feature_map_, feats), xp,
                                        extra_columns=1, order=order)
            Z[:, -1] = codes
        y = np.asarray(y)
        if order is not None:
            y = y[order]
            if sample_weight is not None and np.ndim(sample_weight) > 0:
                sample_weight = np.asarray(sample_weight)[order]
        if self.normalize_y:  # each task's targets to mean 0, sd 1 (missing ones stay NaN)
            y = np.asarray(y, dtype=np.float64)
            if codes is None:
                y = (y - self.y_mean_) / self.y_scale_ if y.ndim == 2 else \
                    (y - self.y_mean_[0]) / self.y_scale_[0]
            else:
                y = (y - self.y_mean_[codes]) / self.y_scale_[codes]
        if self._classifier:
            missing = is_missing(y) if y.dtype.kind == "f" else np.zeros(y.shape, dtype=bool)
            y = np.where(missing, np.nan, np.where(y == self.classes_[1], 1.0, -1.0))
        return Z, y, sample_weight

    def _nystroem_features(self, feats, xp, extra_columns=0, order=None):
        """``nystroem_`` fitted on ``feats``, and their features: on the GPU with ``xp``.

        The features come with ``extra_columns`` more (left to the caller), of the
        rows ``feats[order]`` (``order`` None: as given). The landmarks and their
        ``m x m`` normalisation are the host's (scikit-learn's ``Nystroem.fit``, on
        ``feats`` as given); on the host the features are transformed in row chunks
        (:func:`_transform_in_chunks`); with ``xp`` the ``n x m`` kernel to the
        landmarks, the cost, is formed and projected on the device, as
        ``Nystroem.transform`` does on the host.
        """
        feats = self._ard_features(feats)
        self.nystroem_.fit(feats)
        if xp is None:
            return _transform_in_chunks(self.nystroem_, feats, extra_columns, order)
        if order is not None:
            feats = feats[order]
        K = device_kernel(xp, feats, self.nystroem_.components_, self.kernel,
                          self._kernel_args())
        Z = to_host(K @ xp.asarray(self.nystroem_.normalization_.T))
        return np.hstack([Z, np.zeros((Z.shape[0], extra_columns))]) if extra_columns else Z

    # -- outputs ----------------------------------------------------------------------
    def _output_dtype(self):
        return np.float64

    def _shared_outputs(self, feats):
        feats = apply_feature_map(self.__dict__.get("feature_map_"), feats)
        if self.n_components is not None:
            return self.nystroem_.transform(self._ard_features(feats)) @ self.coef_.T \
                + self.intercept_
        return self._kernel(feats, self.X_fit_) @ self._dual_task + self.intercept_

    def _task_outputs(self, feats, task_index):
        Z = self._shared_outputs(feats)
        return Z[np.arange(Z.shape[0]), task_index]

    def _unseen_task_outputs(self, feats):
        return self._shared_outputs(feats).mean(axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = False
        return tags


# Rows of the features transformed at once: the temporaries (the kernel against the
# components and its product with the normalisation) stay at about this many entries each.
TRANSFORM_CHUNK_ENTRIES = 2 ** 20


def _transform_in_chunks(nystroem, feats, extra_columns=0, order=None):
    """``nystroem.transform(feats[order])`` in row chunks, into one array, ``extra_columns`` wider.

    One copy of the ``N x n_components`` features at the peak (``transform`` of all rows
    makes the kernel block and then its product, and a task column appended by
    ``column_stack`` a third): 300,000 rows and 300 components are 0.7 GB each.
    ``order`` (None: the rows as given) is gathered chunk by chunk.
    """
    n, p = feats.shape[0], nystroem.normalization_.shape[0]
    out = np.empty((n, p + extra_columns), dtype=np.float64)
    step = max(1, TRANSFORM_CHUNK_ENTRIES // max(p, 1))
    for start in range(0, n, step):
        rows = slice(start, start + step) if order is None else order[start:start + step]
        out[start:start + step, :p] = nystroem.transform(feats[rows])
    return out


# -- per-feature gamma and per-task target scale -----------------------------------------
def check_feature_gamma(kernel, gamma):
    """Refuse a per-feature ``gamma`` that is not the ARD rbf's (one-line ``ValueError``)."""
    if gamma is None or np.ndim(gamma) == 0:
        return
    g = np.asarray(gamma)
    if g.ndim != 1 or g.size == 0 or g.dtype.kind not in "iuf" or not np.all(np.isfinite(g)) \
            or np.any(g < 0):
        raise ValueError(f"gamma must be a float or a 1-d array of finite numbers >= 0 (one per "
                         f"feature), got an array of shape {g.shape} and dtype {g.dtype} "
                         f"(min {np.min(g) if g.size and g.dtype.kind in 'iuf' else None}).")
    if kernel != "rbf" and kernel not in MATERN_NAMES:
        raise ValueError(f"a per-feature gamma (the ARD kernel) needs kernel='rbf' or a Matern "
                         f"kernel, got kernel={kernel!r}: give a float gamma, or kernel='rbf'.")


def _target_scale(data, normalize):
    """``(mean, sd)`` of each task's training targets (weighted by the loss weights) or (0, 1).

    Observations of weight 0 (missing targets) are left out; a task whose
    targets are constant keeps the scale 1.
    """
    T = data.n_tasks
    if not normalize:
        return np.zeros(T), np.ones(T)
    if data.layout == "stacked":
        task = np.repeat(np.arange(T), np.diff(data.offsets))
        y, c = np.asarray(data.Y, np.float64), np.asarray(data.C, np.float64)
    else:
        task = np.broadcast_to(np.arange(T), data.Y.shape).ravel()
        y, c = np.asarray(data.Y, np.float64).ravel(), np.asarray(data.C, np.float64).ravel()
    c = np.where(c > 0, c, 0.0)
    y = np.where(c > 0, y, 0.0)
    total = np.bincount(task, c, T)
    mean = np.bincount(task, c * y, T) / total
    var = np.bincount(task, c * (y - mean[task]) ** 2, T) / total
    sd = np.sqrt(np.maximum(var, 0.0))
    return mean, np.where(sd > 1e-12 * np.maximum(np.abs(mean), 1.0), sd, 1.0)


def _normalized(data, mean, scale):
    """``data`` with each task's targets ``(y - mean_t) / scale_t`` (a copy; ``data`` kept)."""
    if np.all(mean == 0) and np.all(scale == 1):
        return data
    out = copy.copy(data)
    Y = np.asarray(data.Y, dtype=np.float64)
    if data.layout == "stacked":
        task = np.repeat(np.arange(data.n_tasks), np.diff(data.offsets))
        out.Y = (Y - mean[task]) / scale[task]
    else:
        out.Y = (Y - mean) / scale
    return out


# -- the exact problems: observations, their weights, and the two solves ------------------
class _Observations:
    """What both observation layouts share: the intercepts' shrinkage (set by ``fit``)."""

    shrinkage = 0.0

    def intercept_value(self, b):
        """``s / 2 sum_t (b_t - mean(b))^2``."""
        return 0.5 * self.shrinkage * float(np.sum((b - np.mean(b)) ** 2))


def _observation_arrays(data):
    """``(rows, task, c, y)`` of the observations of weight ``c > 0``, sorted by task.

    ``rows[r]`` is the observation's row of the training features, ``task[r]``
    its task (rows of the per-task layout, observed entries of a shared ``Y``).
    """
    T = data.n_tasks
    if data.layout == "stacked":
        rows = np.arange(data.n_samples)
        task = np.repeat(np.arange(T), np.diff(data.offsets))
        c, y = data.C, data.Y
    else:
        rows, task = np.nonzero(data.C > 0)
        c, y = data.C[rows, task], data.Y[rows, task]
    # Sorted by task (the solve forms its matrix block by block); a zero weight drops out.
    keep = np.flatnonzero(c > 0)
    keep = keep[np.argsort(task[keep], kind="stable")]
    return (rows[keep], task[keep], np.asarray(c[keep], dtype=np.float64),
            np.asarray(y[keep], dtype=np.float64))


def _relative_weights(c, task, n_tasks):
    """``w_r = c_r / mean of c over r's task``: the sample weights within each task (mean 1).

    The loss weights are ``tau_t s_i / sum_{i in t} s_i``; dividing by their
    task's mean leaves ``s_i`` relative to its task's mean.
    """
    mean = np.bincount(task, c, n_tasks) / np.maximum(np.bincount(task, minlength=n_tasks), 1)
    return c / mean[task]


class _StackedObservations(_Observations):
    """Observations ``r`` as rows: the per-task layout, or a shared ``Y`` with missing entries.

    ``rows[r]`` is the observation's row of the training features, ``task[r]``
    its task; observations of weight 0 are left out (their ``a_r`` is 0).
    With ``noise`` (the Gaussian process of ``task_covariance="evidence"``, of
    shape (T,)) the loss weights are the observations' precisions
    ``w_r / noise[t_r]``, ``w`` the relative sample weights.
    """

    def __init__(self, data, K, xp=None, noise=None):
        T = data.n_tasks
        self.xp = np if xp is None else xp
        rows, task, c, y = _observation_arrays(data)
        if noise is not None:
            c = _relative_weights(c, task, T) / np.asarray(noise, dtype=np.float64)[task]
        self.rows, self.task = rows, task
        self.c = self.xp.asarray(c)
        self.y = self.xp.asarray(y)
        if len(self.rows) == K.shape[0] and np.array_equal(self.rows, np.arange(K.shape[0])):
            self.K = K  # every row, in order: no copy of the N x N kernel matrix
        else:
            rows = self.xp.asarray(self.rows)
            self.K = K[rows[:, None], rows[None, :]]
        self.shape = (data.n_samples,) if data.layout == "stacked" else (data.n_samples, T)
        self.n_rows, self.T = data.n_samples, T
        self._solver = StackedSolve(self.K, self.task, self.c, T, xp)

    def solve(self, Q, fit_intercept):
        return self._solver.solve(Q, self.y, fit_intercept, self.shrinkage)

    def loss(self, a):
        # At the solution the residuals are a_r / c_r (the first block of the saddle system).
        return 0.5 * float(self.xp.sum(a * a / self.c))

    def _matrix(self, a, xp=np):
        A = xp.zeros((len(a), self.T))
        A[xp.arange(len(a)), xp.asarray(self.task)] = a
        return A

    def gram(self, a):
        A = self._matrix(a, self.xp)
        return to_host(A.T @ (self.K @ A))

    def dual_task(self, a, Q):
        """``(n_rows, T)``: prediction is ``k(x, X_fit) @ dual_task``."""
        out = np.zeros((self.n_rows, self.T))
        np.add.at(out, self.rows, self._matrix(to_host(a)) @ Q)
        return out

    def public_dual(self, a):
        a = to_host(a)
        out = np.zeros(self.shape)
        if len(self.shape) == 1:
            out[self.rows] = a
        else:
            out[self.rows, self.task] = a
        return out


class _SharedObservations(_Observations):
    """Every target of a shared design observed, weights ``c[i, t] = r_i w_t``."""

    def __init__(self, data, K, xp=None):
        self.xp = np if xp is None else xp
        self.Y = self.xp.asarray(np.asarray(data.Y, dtype=np.float64))
        self.c = self.xp.asarray(np.outer(data.row_weights, data.task_scale).astype(np.float64))
        self.K = K
        self._solver = KroneckerSolve(K, np.asarray(data.row_weights, np.float64),
                                      np.asarray(data.task_scale, np.float64), xp)

    def solve(self, Q, fit_intercept):
        return self._solver.solve(Q, self.Y, fit_intercept, self.shrinkage)

    def loss(self, A):
        return 0.5 * float(self.xp.sum(A * A / self.c))

    def gram(self, A):
        return to_host(A.T @ (self.K @ A))

    def dual_task(self, A, Q):
        return to_host(A) @ Q

    def public_dual(self, A):
        return to_host(A)


def _problem(data, K, xp=None):
    """The Kronecker solve when every target of a shared design is observed, else rows."""
    if data.layout == "shared" and data.row_weights is not None and np.all(data.row_weights > 0):
        return _SharedObservations(data, K, xp)
    return _StackedObservations(data, K, xp)


# -- the estimators ------------------------------------------------------------------------
# The squared loss on +-1 labels estimates no probability: the classifiers do not offer one
# (hasattr(est, "predict_proba") is False, as for scikit-learn's RidgeClassifier).
_no_probabilities = available_if(lambda self: False)


class KernelTaskRelationRegressor(MultiTaskRegressorMixin, _KernelTaskRelation):
    """Multi-task kernel ridge regression with a learned (or given) task covariance.

    The model: ``f(x, t)`` in the reproducing kernel Hilbert space of the
    separable multi-task kernel ``k(x, x') B[s, t]``, plus per-task
    intercepts ``b_t``. Objective, ``F`` the datafit written out in Notes::

        fixed B:   min_{f, b}  F(f, b)  +  alpha/2 ||f||^2_{k B}
        learned:   min_{f, b, Omega}  F(f, b)  +  alpha/2 sum_t ||f_t||^2_k
                                    +  lambda_2/2 tr(Omega^{-1} (G + eps I)),
                   Omega >= 0,  tr(Omega) = 1,   G[s, t] = <f_s, f_t>_k

    ``||f||^2_{k B} = tr(B^{-1} G)`` for invertible ``B`` (a singular ``B``
    confines ``f`` to its range). The learned problem is multi-task
    relationship learning (MTRL) in the RKHS: it is the fixed-``B`` problem
    with ``B = (I + lambda_2 / alpha Omega^{-1})^{-1}`` plus the prior's
    ``eps`` term, jointly convex in ``(f, b, Omega)``.

    With ``lambda_mean`` (learned ``Omega`` only) the tasks share a mean
    function ``f_bar = 1/T sum_t f_t``, penalised alone, and ``alpha``,
    ``lambda_2`` and ``Omega`` act on the deviations ``f_t - f_bar``, as
    :class:`~mtlclassic.TaskRelationRegressor`'s ``lambda_mean``::

        min_{f, b, Omega}  F(f, b)  +  lambda_mean/2 T ||f_bar||^2_k
                           +  alpha/2 sum_t ||f_t - f_bar||^2_k
                           +  lambda_2/2 tr(Omega^{-1} (Pi G Pi + eps I)),
        Pi = I - 11^T / T

    The penalty is ``1/2 tr(M G)`` with ``M = lambda_mean 11^T / T + Pi
    (alpha I + lambda_2 Omega^{-1}) Pi``, so the task matrix of the dual
    below is ``Q = M^{-1} = 11^T / (T lambda_mean) + (Pi (alpha I +
    lambda_2 Omega^{-1}) Pi)^+``: a shared component plus the learned
    covariance's part on the deviations. The ``Omega`` step is MTRL's
    closed form of ``Pi G Pi``. The linear kernel gives
    ``TaskRelationRegressor(lambda_1=alpha, lambda_mean=lambda_mean)``; a
    small ``lambda_2`` gives the mean-regularised model of Evgeniou and
    Pontil (2004) (:class:`~mtlclassic.MeanRegularizedRegressor` with
    ``lambda_l2 = lambda_mean`` and its ``lambda_mean = alpha -
    lambda_mean``, for the linear kernel and ``alpha >= lambda_mean``).

    Dual (representer theorem): ``f(x, t) = sum_r a_r k(x_r, x) Q[t_r, t]``
    over the training observations ``r`` (rows of the per-task layout,
    entries of ``Y`` in the shared one), ``Q = B / alpha``, with ``a`` and
    ``b`` solving (``Q = M^{-1}`` of the learned ``Omega`` with ``lambda_mean``)::

        (G_Q + D^{-1}) a + P b = y,    P^T a = 0  (with intercepts)

    ``G_Q[r, r'] = k(x_r, x_r') Q[t_r, t_r']``, ``D`` the observations' loss
    weights, ``P`` their task indicators. Solved exactly: one Cholesky
    factorisation of the ``N x N`` system (``N`` observations) per fixed
    ``B``, or, for a shared design with every target observed, one
    eigendecomposition of the kernel matrix and of a ``T x T`` matrix. The
    learned ``Omega`` alternates that solve with MTRL's closed form
    ``Omega = (G + eps I)^{1/2} / tr((G + eps I)^{1/2})``. With
    ``n_components`` the kernel is replaced by Nystroem features
    (:class:`sklearn.kernel_approximation.Nystroem`) and the same objective
    is solved in feature space by the package's linear models
    (:class:`~mtlclassic.TaskRelationRegressor` for a learned ``Omega``), so
    nothing of size ``n x n`` is formed.

    ``task_covariance="independent"`` is scikit-learn's ``KernelRidge`` per
    task (``KernelRidge(alpha * n_t)`` on task t's ``n_t`` rows, without
    intercepts); ``"shared"`` is one ``KernelRidge`` on all rows, the tasks
    keeping their intercepts.

    ``task_covariance="evidence"`` (regression, exact solve) is the
    multi-task Gaussian process of Bonilla et al. (2008):
    ``y_r = f(x_r, t_r) + m_{t_r} + e_r`` with ``f ~ GP(0, k_gamma(x, x')
    B[s, t])`` and noise ``e_r ~ N(0, sigma2_{t_r} / w_r)`` (``w_r`` the sample
    weights relative to their task's mean). The task covariance ``B = L L^T``
    (any lower triangular ``L``: positive semi-definite), the noise variances
    ``sigma2_t`` and the kernel's ``gamma`` (stationary kernels: rbf,
    laplacian, Matern; others keep their parameters) maximise the log
    marginal likelihood (the evidence), by L-BFGS-B from its exact gradient::

        log p(y) = -1/2 (y - P m)^T C^{-1} (y - P m) - 1/2 log det C - N/2 log(2 pi)
        C = G_B + diag(sigma2_{t_r} / w_r),   m = (P^T C^{-1} P)^{-1} P^T C^{-1} y

    (``m`` the tasks' means, the intercepts; 0 without ``fit_intercept``).
    The fit is then the posterior mean: the dual solve above with ``Q = B``
    and loss weights ``D = diag(w_r / sigma2_{t_r})``. ``alpha``, ``lambda_2``
    and ``eps`` do not enter; ``gamma`` is the starting value
    (:mod:`mtlclassic.estimators._kernel_evidence`).

    Parameters
    ----------
    alpha : float, default=1e-3
        Strength of the RKHS penalty, ``> 0``. Each task's loss is its mean:
        ``KernelRidge``'s ``alpha`` is ``alpha * n_t``.
    kernel : str or callable, default="rbf"
        As :class:`sklearn.kernel_ridge.KernelRidge`'s: a name of
        ``sklearn.metrics.pairwise.PAIRWISE_KERNEL_FUNCTIONS`` or a callable
        ``k(x, x')`` of two rows; it must be positive semi-definite. Also
        ``"matern32"``, ``"matern52"`` and ``"matern"`` (``nu`` in
        ``kernel_params``: 0.5, 1.5 or 2.5, default 1.5): the Matern kernel
        ``(1 + sqrt(3) r) exp(-sqrt(3) r)``, resp. ``(1 + sqrt(5) r + 5 r^2 / 3)
        exp(-sqrt(5) r)``, ``r = sqrt(2 gamma) ||x - x'||``: scikit-learn's
        ``Matern(length_scale=l, nu)`` with ``gamma = 1 / (2 l^2)`` (exact
        solve only).
    gamma : float or array-like of shape (n_features,), default=None
        Parameter of the rbf, laplacian, polynomial, exponential chi2 and
        sigmoid kernels and the Matern kernels (``None``: scikit-learn's
        default, ``1 / n_features``; with ``"evidence"``, the starting value).
        An array (rbf and Matern only) gives each feature its own inverse squared
        length scale, the ARD (automatic relevance determination) kernel
        ``k(x, x') = exp(-sum_j gamma_j (x_j - x'_j)^2)``: scikit-learn's
        ``RBF(length_scale=l)`` with ``gamma_j = 1 / (2 l_j^2)``; a
        ``gamma_j`` of 0 ignores feature ``j``.
    degree : float, default=3
        Degree of the polynomial kernel.
    coef0 : float, default=1
        Zero coefficient of the polynomial and sigmoid kernels.
    kernel_params : dict, default=None
        Further parameters of a callable kernel.
    task_covariance : {"learn", "evidence", "independent", "shared"} or array-like of shape (n_tasks, n_tasks), default="learn"
        ``B``: ``"learn"`` the MTRL covariance (above), ``"evidence"`` the
        multi-task Gaussian process's (above: regression with the exact
        solve; not with ``n_components``, ``task_weights``,
        ``intercept_shrinkage`` or ``device="cuda"``, a ``ValueError``
        otherwise), ``"independent"`` the identity, ``"shared"`` all ones, or
        a fixed positive semi-definite matrix (tasks ordered as ``tasks_``).
    lambda_2 : float, default=1e-3
        Strength of the learned covariance's prior, ``>= 0`` (``"learn"``
        only; ``0`` gives independent tasks).
    eps : float, default=1e-3
        ``> 0``: keeps the learned ``Omega`` invertible.
    lambda_mean : float or None, default=None
        ``None``: Zhang and Yeung's model, ``Omega`` relates the tasks'
        functions themselves. A float ``> 0`` (``task_covariance="learn"``
        only): the tasks' mean function is penalised alone, by
        ``lambda_mean / 2 T ||f_bar||^2``, and ``alpha``, ``lambda_2`` and
        ``Omega`` act on the deviations from it (above); a small value leaves
        the shared function nearly free.
    fit_intercept : bool, default=True
        Fit one unpenalised intercept per task.
    normalize_y : bool, default=False
        Regression only. Fit each task's targets centred and scaled to unit
        standard deviation (its training mean ``m_t`` and sd ``s_t``, weighted
        by ``sample_weight``), and map the outputs back,
        ``y_hat(x, t) = s_t (f_t(x) + b_t) + m_t``. The objective above is then written for ``(y - m_t) / s_t``: every
        task weighs the same in the loss and in the learned ``Omega`` whatever
        its targets' scale (SARCOS's torque variances span 0.9 to 414; on its
        raw targets the three large torques dominate both). As
        ``GaussianProcessRegressor(normalize_y=True)``, per task.
    feature_map : {None, "quantile"}, default=None
        ``"quantile"``: the kernel sees each feature's empirical quantiles over
        the training rows mapped to a standard normal, ``Phi^{-1}(F_j(x_j))``
        (:class:`sklearn.preprocessing.QuantileTransformer`, at most 1,000
        quantiles, linear between them; dense features only), in the fit and
        in every prediction: the ranks of a feature count, not its tails
        (:mod:`mtlclassic.estimators._feature_map`). ``compare`` chooses it by
        the inner folds (docs/compare.md). Fitted: ``feature_map_``.
    n_components : int, default=None
        ``None``: the exact solve. An int: Nystroem features of that rank
        (``<=`` the training rows), drawn with ``random_state``.
    random_state : int, RandomState instance or None, default=None
        The Nystroem features' sample of rows.
    tol : float, default=1e-4
        Stop alternating when an ``Omega`` step moves no entry by more than
        ``tol`` relative to ``Omega``'s largest (with ``n_components``, the
        linear model's tolerance; with ``"evidence"``, L-BFGS-B's bound on
        the projected gradient of the log evidence per observation).
    max_iter : int, default=100
        Maximum number of alternations (``"evidence"``: of L-BFGS-B
        iterations).
    warm_start : bool, default=False
        Start the alternation from the previous fit's learned ``Omega``
        (exact solve; the cross-validation walks its grid this way).
    device : {None, "cpu", "cuda", "auto"}, default=None
        Where the fit runs, as the linear models' ``device``: ``"cuda"`` on
        the GPU with CuPy (an error saying what is missing otherwise),
        ``"auto"`` on the GPU when one is usable, else on the CPU; ``None``
        on the GPU for CuPy input. On the GPU the exact solve forms the
        kernel matrix (rbf, linear, polynomial and sigmoid kernels; others
        on the host, copied), its Cholesky factorisation and triangular
        solves there; with ``n_components`` the kernel to the Nystroem
        landmarks and the linear model's solve. The ``T x T`` steps
        (``Omega``, intercepts) and the fitted attributes are the host's
        (numpy), and predictions run on the host.

    Attributes
    ----------
    task_covariance_ : ndarray of shape (n_tasks, n_tasks)
        ``B`` as given, or the learned ``Omega`` (trace 1).
    task_correlation_ : ndarray of shape (n_tasks, n_tasks)
        ``task_covariance_`` scaled to a unit diagonal.
    dual_coef_ : ndarray of shape (n_samples,) or (n_samples, n_tasks)
        ``a``, one per training observation in the order of ``X_fit_`` (the
        per-task layout's rows sorted by task), exact solve only.
    X_fit_ : ndarray or sparse matrix of shape (n_samples, n_features)
        The training features (exact solve only; mapped, with ``feature_map``).
    feature_map_ : QuantileTransformer or None
        The fitted ``feature_map`` (None without one).
    coef_ : ndarray of shape (n_tasks, n_components)
        The tasks' weights on the Nystroem features (``n_components`` only).
    nystroem_ : Nystroem
        The fitted features (``n_components`` only).
    intercept_ : ndarray of shape (n_tasks,)
        In ``y``'s units: ``s_t b_t + m_t`` (``b_t`` with ``normalize_y=False``).
    y_mean_, y_scale_ : ndarray of shape (n_tasks,)
        ``m_t`` and ``s_t`` of ``normalize_y`` (zeros and ones without it);
        ``dual_coef_`` is in the units of the normalised targets, ``coef_``
        in ``y``'s.
    n_iter_ : int
        Alternations (0 for a fixed ``B``; the linear model's iterations
        with ``n_components``; L-BFGS-B's with ``"evidence"``).
    gamma_ : float or ndarray of shape (n_features,)
        ``"evidence"`` only: the kernel's learned ``gamma`` (the given one
        for a kernel without a length scale).
    noise_variance_ : ndarray of shape (n_tasks,)
        ``"evidence"`` only: ``sigma2_t``, in ``y``'s units.
    log_marginal_likelihood_ : float
        ``"evidence"`` only: the maximised log evidence (of the normalised
        targets with ``normalize_y``).
    device_ : {"cpu", "cuda"}
        Where the fit ran.

    References
    ----------
    Zhang, Y. and Yeung, D.-Y. (2010). A convex formulation for learning task
    relationships in multi-task learning. UAI.
    Zhang, Y. and Yeung, D.-Y. (2014). A regularization approach to learning
    task relationships in multitask learning. ACM TKDD 8(3).
    Evgeniou, T., Micchelli, C. A. and Pontil, M. (2005). Learning multiple
    tasks with kernel methods. JMLR 6.
    Evgeniou, T. and Pontil, M. (2004). Regularized multi-task learning. KDD
    (the separate mean of ``lambda_mean``).
    Bonilla, E. V., Chai, K. M. A. and Williams, C. K. I. (2008). Multi-task
    Gaussian process prediction. NIPS 20.
    """


class KernelTaskRelationClassifier(MultiTaskClassifierMixin, _KernelTaskRelation):
    """Multi-task kernel ridge classifier: the regressor fitted to +-1 labels.

    As scikit-learn's ``RidgeClassifier``, each task's labels ``classes_`` are
    mapped to ``y in {-1, +1}`` and fitted by the squared loss;
    ``decision_function`` is ``f(x, t) + b_t`` and ``predict`` its sign. There
    is no ``predict_proba`` (the squared loss gives no probabilities).
    ``task_covariance="evidence"`` (a Gaussian likelihood) is the regressor's
    only: a ``ValueError`` here.
    """

    predict_proba = _no_probabilities(MultiTaskClassifierMixin.predict_proba)
    predict_log_proba = _no_probabilities(MultiTaskClassifierMixin.predict_log_proba)


class KernelTaskRelationRegressorCV(MultiTaskRegressorMixin, _KernelCV):
    """KernelTaskRelationRegressor with ``gamma``, ``alpha`` and ``lambda_2`` chosen by CV.

    The objective is that of :class:`~mtlclassic.KernelTaskRelationRegressor`.
    The search: the folds of the linear ``*CV`` estimators (task-stratified in
    the per-task layout), every ``(gamma, alpha, lambda_2)`` of the grid fitted
    on each fold's training rows (for each ``gamma``, from strong to weak
    penalty, the learned ``Omega`` warm-started), scored on its held-out rows
    (each task's weighted mean squared error, or accuracy, averaged over
    tasks with the task weights), and a refit on all the data at the best
    mean over folds.

    Parameters
    ----------
    alphas : array-like, default=(1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
        The ``alpha`` searched, ``> 0``.
    gammas : array-like, default=None
        The kernel's ``gamma`` searched; ``None``: the median heuristic
        ``1 / median ||x - x'||^2`` (over at most 500 training rows) times
        0.25, 0.5, 1, 2 and 4.
    lambda_2s : array-like, default=(1e-6, 1e-4, 1e-2)
        The ``lambda_2`` searched (``task_covariance="learn"`` only).
    cv : int, cross-validation splitter or iterable, default=5
        As the linear ``*CV`` estimators' (:ref:`cv-estimators`).
    n_jobs : int, default=None
        ``(fold, gamma)`` pairs fitted in parallel threads.
    scoring : str or callable, default=None
        ``None``: the held-out criterion above. Otherwise any scikit-learn
        scorer (higher is better).

    Attributes
    ----------
    alpha_, gamma_, lambda_2_ : float
        The chosen values.
    gammas_, alphas_, lambda_2s_ : ndarray
        The grid (``alphas_`` and ``lambda_2s_`` decreasing).
    cv_scores_ : ndarray of shape (n_gammas, n_alphas, n_lambda_2s, n_folds)
        The held-out criterion of every point and fold.
    best_estimator_ : KernelTaskRelationRegressor
        The refit; its fitted attributes (``task_covariance_``,
        ``dual_coef_``, ...) are also this estimator's.
    """

    _estimator = KernelTaskRelationRegressor


class KernelTaskRelationClassifierCV(MultiTaskClassifierMixin, _KernelCV):
    """KernelTaskRelationClassifier with ``gamma``, ``alpha`` and ``lambda_2`` chosen by CV."""

    _estimator = KernelTaskRelationClassifier
    predict_proba = _no_probabilities(MultiTaskClassifierMixin.predict_proba)
    predict_log_proba = _no_probabilities(MultiTaskClassifierMixin.predict_log_proba)


KERNEL_TASK_RELATION = declare(
    "kernel-task-relation", KernelTaskRelationRegressor, KernelTaskRelationClassifier,
    description="kernel MTRL: RBF kernel ridge, learned task covariance (Zhang & Yeung 2010); "
                "small regressions: multi-task GP, Matern 3/2, by evidence (Bonilla et al. 2008)",
    grid=kernel_grid(task_covariance="learn", search="axes", evidence_kernel="matern32"),
    cv=(KernelTaskRelationRegressorCV, KernelTaskRelationClassifierCV))
