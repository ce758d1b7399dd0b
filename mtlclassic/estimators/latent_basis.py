"""GO-MTL: task models drawn from a shared latent basis with sparse codes (Kumar & Daume 2012).

``coef = S B^T``: a basis ``B`` of ``n_components`` latent models shared by
the tasks, and sparse codes ``S``. Fitted by alternating two exact convex
steps, each one of the package's own models on a transformed design: the
S-step is a lasso per task on ``X B`` (:class:`LassoRegressor`), the B-step
one ridge model pooled over the tasks on the features ``x (x) s_t``
(:class:`PooledRegressor`: ``x^T B s_t = <vec B, x (x) s_t>``). Both are solved
to a certified duality gap; the joint objective never increases.
"""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_array

from .._docstrings import FIT_DATA, with_entries
from .._validation import is_missing, split_task_column
from ._base import (MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin,
                    Solution, store_params)
from ._grids import alpha_max_grid, fixed_grid, product_grid
from ._registry import declare
from .baselines import (PooledClassifier, PooledRegressor, RidgeClassifier, RidgeRegressor)
from .sparse import LassoClassifier, LassoRegressor

# The steps are solved to a duality gap this fraction of the alternation's tol (relative).
INNER_FRACTION = 0.1


def _dense(X):
    return X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)


class _LatentBasis(MultiTaskLinearModel):
    _nonneg_params = ("alpha",)
    _positive_params = ("lambda_basis",)
    _fitted_attribute = "coef_"

    def __init__(self, n_components=2, alpha=0.1, lambda_basis=0.1, *, n_init=3,
                 fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=100, max_inner_iter=5000,
                 warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        k = self.n_components
        if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
            raise ValueError(f"n_components must be an int >= 1, got {k!r}.")
        n = self.n_init
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n_init must be an int >= 1, got {n!r}.")
        m = self.max_inner_iter
        if not isinstance(m, numbers.Integral) or isinstance(m, bool) or m < 1:
            raise ValueError(f"max_inner_iter must be an int >= 1, got {m!r}.")
        if self._device == "cuda" or self.solver == "cvxpy":
            raise ValueError("LatentBasis models run on the CPU with the package's own solvers "
                             "(device=None or 'auto', solver='auto', 'fista', 'bcd', "
                             "'working_set' or 'prox_newton').")

    def _make_penalty(self, n_features, n_tasks):  # what a generic alpha_max would read
        from ..penalties import L1
        return L1(self.alpha)

    @with_entries(FIT_DATA)
    def fit(self, X, y, sample_weight=None):
        """Fit the model.
        """
        # The steps are fits of the package's models on transformed designs, built from the
        # input as given (their own validation applies every convention: NaN targets,
        # weights, labels, intercepts).
        self._raw = (X, y, sample_weight)
        try:
            return super().fit(X, y, sample_weight)
        finally:
            del self._raw

    # -- the problem as the steps see it -----------------------------------------------
    def _split(self):
        """``(features (n, p) dense, y, sample_weight, task labels or None)`` of the raw input."""
        X, y, sw = self._raw
        if self.task_column is None:
            return _dense(check_array(X, accept_sparse=("csr", "csc"), dtype=np.float64)), \
                y, sw, None
        feats, labels = split_task_column(self, X, reset=False)
        feats = _dense(check_array(feats, accept_sparse=("csr", "csc"), dtype=np.float64))
        return feats, y, sw, np.asarray(labels)

    def _step_estimator(self, kind, alpha):
        classes = {"lasso": (LassoRegressor, LassoClassifier),
                   "pooled": (PooledRegressor, PooledClassifier),
                   "ridge": (RidgeRegressor, RidgeClassifier)}[kind]
        cls = classes[self._loss == "logistic"]
        params = dict(alpha=alpha, fit_intercept=self.fit_intercept,
                      intercept_shrinkage=self.intercept_shrinkage,
                      task_weights=self.task_weights, tol=INNER_FRACTION * self.tol,
                      max_iter=self.max_inner_iter, warm_start=True)
        if self.solver != "auto" and kind == "lasso":
            params["solver"] = self.solver
        return cls(**params)

    def _fit_step(self, est, Z, y, sw, labels, task_ids):
        """Fit a step's estimator on the design ``Z`` (per-task layout: task ids appended)."""
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            try:
                if labels is None:
                    est.set_params(task_column=None).fit(Z, y, sample_weight=sw)
                else:
                    est.set_params(task_column=-1).fit(np.column_stack([Z, task_ids]), y,
                                                       sample_weight=sw)
            except ConvergenceWarning:
                # Kept to report once, at the end, like the alternating models.
                self._step_warned = True
                warnings.simplefilter("ignore", ConvergenceWarning)
                if labels is None:
                    est.fit(Z, y, sample_weight=sw)
                else:
                    est.fit(np.column_stack([Z, task_ids]), y, sample_weight=sw)
        return est

    def _b_design(self, feats, y, sw, labels, task_ids, S):
        """The B-step's per-task problem: rows ``x_i (x) s_t`` of each task, stacked."""
        p, k = feats.shape[1], S.shape[1]
        if labels is not None:
            rows = (feats[:, :, None] * S[task_ids][:, None, :]).reshape(len(feats), p * k)
            return rows, y, sw, task_ids
        Y = np.asarray(y)
        Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
        observed = ~is_missing(Y)
        blocks, ys, sws, ids = [], [], [], []
        for t in range(Y.shape[1]):
            keep = observed[:, t]
            blocks.append((feats[keep][:, :, None] * S[t][None, None, :]).reshape(-1, p * k))
            ys.append(Y[keep, t])
            sws.append(np.ones(keep.sum()) if sw is None else np.asarray(sw)[keep])
            ids.append(np.full(keep.sum(), t))
        return np.vstack(blocks), np.concatenate(ys), np.concatenate(sws), np.concatenate(ids)

    def _initial_basis(self, Wr, k, p, first):
        """``k`` independent ridge task models, far apart in direction, as the first basis.

        Farthest-point selection on the unit directions of the ridge fits
        (up to sign), from the ``first``-largest model: a basis made of actual task
        models gives those tasks one-hot codes at once, which the l1 term
        keeps; the top singular vectors of the fits (Kumar and Daume's start)
        span the same space but as mixtures, and the alternation is slow to
        rotate them towards sparse codes (measured: code support F1 about 0.7
        against 0.9 on the planted problems of tests/test_latent_basis.py).
        Components beyond the fits' rank are filled by the remaining right
        singular vectors, scaled small (a zero column would stay zero).
        """
        norms = np.linalg.norm(Wr, axis=1)
        top = float(norms.max()) if norms.size and norms.max() > 0 else 1.0
        U = Wr / np.where(norms > 0, norms, 1.0)[:, None]
        order = np.argsort(-norms, kind="stable")
        chosen = [int(order[first % len(order)])] if norms.max() > 0 else []
        while len(chosen) < min(k, int(np.sum(norms > 0))):
            # distance of each direction to the chosen ones, up to sign: 1 - max |cos|
            far = 1.0 - np.max(np.abs(U @ U[chosen].T), axis=1)
            far[chosen] = -1.0
            chosen.append(int(np.argmax(far)))
        B = Wr[chosen].T
        if B.shape[1] < k:
            _, _, Vt = np.linalg.svd(np.vstack([Wr, np.zeros((1, p))]), full_matrices=True)
            B = np.column_stack([B, 1e-2 * top * Vt[len(chosen):k].T])
        return B

    def _objective(self, datafit, data, W, b_raw, S, B):
        """The joint objective in the user's units (``W`` of shape (n_features, n_tasks))."""
        scaling = data.scaling
        b = b_raw + (self._offset_term(data, W) if data.X_offset is not None else 0.0)
        Wi, bi = scaling.to_internal(W.astype(data.dtype), np.asarray(b, dtype=data.dtype))
        value = scaling.objective_to_user(float(datafit.value(Wi, bi)))
        return (value + self.alpha * float(np.abs(S).sum())
                + 0.5 * self.lambda_basis * float(np.sum(B * B))), b

    def _fit_solution(self, data, datafit, W, b, *, n_features, warm, xp):
        feats, y, sw, labels = self._split()
        p = n_features
        k = min(self.n_components, p)
        task_ids = None
        if labels is not None:  # tasks as 0..T-1 in the order of tasks_
            task_ids = np.searchsorted(self.tasks_, labels)
        problem = (feats, y, sw, labels, task_ids)
        self._step_warned = False
        B = getattr(self, "basis_", None) if warm else None
        if B is not None and B.shape == (p, k):
            starts = [B]
        else:
            ridge = self._fit_step(self._step_estimator("ridge", 1.0), feats, y, sw, labels,
                                   task_ids)
            Wr = np.asarray(ridge.coef_, dtype=np.float64)  # (T, p)
            starts = [self._initial_basis(Wr, k, p, i) for i in range(self.n_init)]
        best = None
        for B in starts:
            run = self._alternate(data, datafit, problem, B, p, k)
            if best is None or run[-1][-1][-1] < best[-1][-1][-1]:  # the final objective
                best = run
        W, b, n_iter, gap, solver, decrease, extra = best
        if decrease > self.tol:
            warnings.warn(
                f"{type(self).__name__} did not converge in {self.max_iter} alternations: the "
                f"last one lowered the objective by {decrease:.3e} relatively > tol="
                f"{self.tol:g}. Increase max_iter or tol.", ConvergenceWarning, stacklevel=4)
        if self._step_warned:
            warnings.warn(f"{type(self).__name__}: a step stopped at max_inner_iter="
                          f"{self.max_inner_iter} before its duality gap reached "
                          f"{INNER_FRACTION} tol. Increase max_inner_iter or tol.",
                          ConvergenceWarning, stacklevel=4)
        return Solution(W.astype(data.dtype), np.asarray(b), n_iter, gap, solver, extra=extra)

    def _balance(self, S, B):
        """The exact minimum over each component's scale: ``(s_c g, b_c / g)`` leaves ``coef`` as it is.

        ``alpha g ||s_c||_1 + lambda_basis / (2 g^2) ||b_c||^2`` is least at
        ``g^3 = lambda_basis ||b_c||^2 / (alpha ||s_c||_1)``. The S- and B-steps
        each fix one factor, so they move along this direction only slowly
        (measured: 100 alternations were 2.8e-3 relatively from converged
        without it on a 3-task problem).
        """
        if self.alpha == 0:
            return S, B
        l1, sq = np.abs(S).sum(axis=0), np.sum(B * B, axis=0)
        ok = (l1 > 0) & (sq > 0)
        g = np.ones_like(l1)
        g[ok] = np.cbrt(self.lambda_basis * sq[ok] / (self.alpha * l1[ok]))
        return S * g, B / g

    def _alternate(self, data, datafit, problem, B, p, k):
        """S-steps and B-steps from the basis ``B``, to the stopping rule."""
        feats, y, sw, labels, task_ids = problem
        lasso = self._step_estimator("lasso", self.alpha)
        pooled = self._step_estimator("pooled", self.lambda_basis)
        curve, J, decrease = [], np.inf, np.inf
        for _ in range(self.max_iter):
            # S-step: a lasso per task on X B (codes of shape (T, k)).
            self._fit_step(lasso, feats @ B, y, sw, labels, task_ids)
            S = np.asarray(lasso.coef_, dtype=np.float64)
            # B-step: one ridge model pooled over the tasks on x (x) s_t. A component no task
            # uses has the minimum b_c = 0 (only the ridge term sees it), set here: its zero
            # columns are left out of the pooled problem.
            active = np.any(S != 0, axis=0)
            B = np.zeros((p, k))
            intercept = lasso.intercept_
            if active.any():
                Zb, yb, swb, ids = self._b_design(feats, y, sw, labels, task_ids, S[:, active])
                self._fit_step(pooled, Zb, yb, swb, ids, ids)
                B[:, active] = np.asarray(pooled.coef_[0], dtype=np.float64).reshape(p, -1)
                intercept = pooled.intercept_
            W = (S @ B.T).T  # (p, T)
            S, B = self._balance(S, B)
            J_new, b = self._objective(datafit, data, W, intercept, S, B)
            curve.append(J_new)
            decrease = (J - J_new) / max(abs(J_new), np.finfo(np.float64).tiny)
            J = J_new
            if self.verbose:
                print(f"{type(self).__name__} alternation {len(curve)}: objective {J:.10g}")
            if decrease <= self.tol:
                break
        last = pooled if hasattr(pooled, "dual_gap_") else lasso
        return (W, b, len(curve), last.dual_gap_, last.solver_, decrease,
                (S, B, np.array(curve)))

    def _set_extra(self, extra):
        self.codes_, self.basis_, self.objective_ = extra


class LatentBasisRegressor(MultiTaskRegressorMixin, _LatentBasis):
    """GO-MTL: regression with task models in a shared latent basis, sparse codes.

    Objective, ``F`` the datafit written out in Notes::

        min_{S, B, b}  F(S B^T, b)  +  alpha * ||S||_1  +  lambda_basis / 2 ||B||_F^2,   coef = S B^T

    ``B`` (``basis_``, of shape (n_features, n_components)) holds latent
    models shared by the tasks; each task's model is a sparse combination of
    them, its row of ``S`` (``codes_``, of shape (n_tasks, n_components)).
    Tasks that share a latent model overlap; tasks whose codes have
    disjoint supports share nothing (Kumar and Daume 2012's grouping and
    overlap). Not jointly convex (bilinear); fitted by alternating exact
    steps from ``B`` = the top right singular vectors of independent ridge
    fits: the S-step is ``LassoRegressor(alpha)`` on the features ``X B``
    (a lasso per task), the B-step ``PooledRegressor(lambda_basis)`` on the
    features ``x (x) s_t`` (a ridge problem in ``vec B`` shared by the tasks,
    each task's rows scaled by its codes), each to a certified duality gap
    of ``0.1 tol`` relatively, then each component's scale (``s_c g`` and
    ``b_c / g`` leave ``coef`` unchanged) set to its exact minimum,
    ``g^3 = lambda_basis ||b_c||^2 / (alpha ||s_c||_1)``; the joint objective never increases
    (``objective_``), and the loop stops when an alternation lowers it by at
    most ``tol`` relatively: a stationary point, which depends on the start.
    The scale is shared between the factors (``S c``, ``B / c``); the
    penalties fix it.

    Parameters
    ----------
    n_components : int, default=2
        Number of latent basis models, ``>= 1`` (at most ``n_features`` are used).
    alpha : float, default=0.1
        Strength of the l1 penalty on the codes, ``>= 0``.
    lambda_basis : float, default=0.1
        Strength of the ridge penalty on the basis, ``> 0``.
    n_init : int, default=3
        Number of starts; the fit of lowest objective is kept. Start ``i``
        builds the basis from independent ridge fits, beginning with the
        ``i``-th largest task model (farthest directions after it): the
        alternation only finds a stationary point near its start.
    max_iter : int, default=100
        Largest number of alternations, ``>= 1``.
    max_inner_iter : int, default=5000
        Iterations of each step's solver.

    Attributes
    ----------
    basis_ : ndarray of shape (n_features, n_components)
        ``B``, the latent basis.
    codes_ : ndarray of shape (n_tasks, n_components)
        ``S``, each task's sparse code; ``coef_ = codes_ @ basis_.T``.
    objective_ : ndarray of shape (n_iter_,)
        The joint objective after each alternation (non-increasing).

    References
    ----------
    Kumar, A. and Daume III, H. (2012). Learning task grouping and overlap in
    multi-task learning. ICML.
    """


class LatentBasisClassifier(MultiTaskClassifierMixin, _LatentBasis):
    """GO-MTL: logistic regression with task models in a shared latent basis, sparse codes.

    Parameters
    ----------
    max_iter : int, default=100
        Largest number of alternations, ``>= 1``.
    """

    def __init__(self, n_components=2, alpha=0.01, lambda_basis=0.1, *, n_init=3,
                 fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=100, max_inner_iter=5000,
                 warm_start=False, solver="auto", device=None, verbose=0):
        store_params(self, locals())


LATENT_BASIS = declare(
    "latent-basis", LatentBasisRegressor, LatentBasisClassifier,
    description="shared latent basis, sparse codes (GO-MTL, Kumar & Daume 2012)",
    # One start per fit in a search (n_init=1): the search's folds already pay for restarts.
    # alpha as fractions of the l1 model's alpha_max, so that the grid follows the data's scale:
    # School (alpha_max about 32 on compare's scaled features, 20 % training) scored best at 1-10
    # (0.03-0.3 alpha_max); Landmine (alpha_max 0.21) needs about 1e-3 (0.005 alpha_max: AUC
    # 0.76 in one fit, 0.64 at 0.03 alpha_max), where the fixed strengths 10/1/0.1 zeroed every
    # code (AUC 0.5).
    grid=product_grid(alpha_max_grid(("alpha", "l1"), fractions=(0.3, 0.03, 0.003)),
                      fixed_grid(n_components=(2, 4))),
    fixed={"tol": 1e-3, "n_init": 1})
