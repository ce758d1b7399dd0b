"""Cross-validated estimators: ``alpha`` (and ``l1_ratio``) chosen along the regularisation path.

As scikit-learn's ``LassoCV``: on each fold the whole path is fitted on the
training rows (warm starts, one validation), every ``alpha`` is scored on
the held-out rows, and the model is refitted on all the data at the best
``alpha``. One generic class does the work; each public class, declared
beside its model, binds to the model's estimator (``_estimator``, as
scikit-learn's ``LinearModelCV`` binds to its model), which gives the loss,
the penalty and its ``alpha_max``.
"""

import copy
import numbers
import time
import warnings
from contextlib import nullcontext
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import KFold, StratifiedKFold, check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import indexable

from .._backend import blas_threads_for, is_cupy, to_host
from .._docstrings import CV, FIT_DATA, with_entries
from ..data import exponent, max_abs
from .._prediction import MultiTaskPredictor, store_params
from .._validation import (check_predict_data, check_sample_weight, is_missing,
                           check_task_weights)
from ._path import (alpha_grid, convergence_summary, geometric_grid, grid_spec, robust_alpha_max,
                    run_path)
from ._registry import model_of

# Parameters passed unchanged to the model fitted along the path.
_MODEL_PARAMS = ("l2_reg", "fit_intercept", "intercept_shrinkage", "task_column", "unseen_tasks",
                 "task_weights", "tol", "max_iter", "solver", "device", "verbose")


class _Holdout(NamedTuple):
    """The whole data as the held-out criteria need it (validated once per ``fit``)."""

    feats: object          # features, task column removed (CSR if sparse)
    task_index: object     # (n,) row -> position in tasks_, or None (shared layout)
    targets: np.ndarray    # float targets, or bool "is classes_[1]" for classifiers
    observed: object       # (n, n_tasks) bool in the shared layout, else None
    task_weights: np.ndarray
    sample_weight: np.ndarray  # (n,) float64, ones when the user passes none
    unit: float            # a power of two near max |y| (regressors; else 1): see _criterion


class _HeldOutFolds:
    """The folds and held-out data of the cross-validated estimators (path and kernel CV).

    Reads ``cv``, ``task_weights``, ``tasks_``, ``classes_`` and ``_loss`` of
    the estimator it is mixed into.
    """

    def _holdout(self, X, y, sample_weight):
        """Validated features, task of each row, targets and weights of the whole data."""
        feats, task_index = check_predict_data(self, X)
        if sp.issparse(feats):
            feats = feats.tocsr()  # folds take rows
        y = np.asarray(y)
        observed = None
        if task_index is None:
            y = y.reshape(y.shape[0], -1)
            observed = ~is_missing(y)
        else:
            y = y.reshape(-1)
        unit = 1.0
        if self._loss == "logistic":
            targets = y == self.classes_[1]
        else:
            targets = y.astype(np.float64)
            if observed is not None:
                targets = np.where(observed, targets, 0.0)
            # Held-out errors are squared in units of y / unit (a power of two, so exact):
            # at |y| ~ 1e200 the user's squares overflow, and selection would see inf.
            unit = float(np.ldexp(1.0, exponent(max_abs(targets), band=0)))
        sw = check_sample_weight(sample_weight, feats.shape[0], np.float64)
        sizes = (np.bincount(task_index, weights=sw, minlength=len(self.tasks_))
                 if task_index is not None else (observed * sw[:, None]).sum(axis=0))
        tau = check_task_weights(self.task_weights, len(self.tasks_), np.float64, sizes)[0]
        return _Holdout(feats, task_index, targets, observed, tau, sw, unit)

    def _folds(self, X, y, holdout):
        """The ``(train, test)`` index pairs; task-stratified by default in the per-task layout."""
        cv = 5 if self.cv is None else self.cv
        task_index = holdout.task_index
        is_int = isinstance(cv, numbers.Integral) and not isinstance(cv, bool)
        if is_int:
            n = holdout.feats.shape[0]
            if task_index is None:
                if self._loss == "logistic" and holdout.targets.shape[1] == 1:
                    splitter, strata = StratifiedKFold(cv), holdout.targets.ravel()
                else:
                    splitter, strata = KFold(cv), None
            else:
                counts = np.bincount(task_index, minlength=len(self.tasks_))
                small = np.flatnonzero(counts < cv)
                if small.size:
                    raise ValueError(
                        f"cv={cv} folds, but task(s) {self.tasks_[small][:10].tolist()} have "
                        f"fewer rows than folds ({counts[small][:10].tolist()}): the default "
                        "task-stratified split needs every task in every fold. Lower cv, or "
                        "pass a splitter or an iterable of (train, test) indices.")
                # Every task (and, for classifiers, each of its classes) in every fold.
                strata = (task_index if self._loss == "squared"
                          else 2 * task_index + holdout.targets)
                splitter = StratifiedKFold(cv)
            folds = list(splitter.split(np.zeros((n, 1)), strata))
        else:
            folds = list(check_cv(cv).split(X, y))
        check = self._check_shared_folds if task_index is None else self._check_task_folds
        check(folds, holdout, cv if is_int else None)
        return folds

    def _check_shared_folds(self, folds, holdout, cv):
        """Every task needs an observed, positively weighted target in every training fold."""
        usable = holdout.observed & (holdout.sample_weight > 0)[:, None]
        counts = usable.sum(axis=0)
        what = ("observed target" if np.all(holdout.sample_weight > 0)
                else "observed target with positive sample_weight")
        for k, (train, _) in enumerate(folds):
            empty = np.flatnonzero(~usable[train].any(axis=0))
            if not empty.size:
                continue
            t, c = int(empty[0]), int(counts[empty[0]])
            where = f"fold {k + 1}/{len(folds)}"
            others = f" (also task(s) {empty[1:10].tolist()})" if empty.size > 1 else ""
            if cv is not None and c < cv:
                raise ValueError(
                    f"task {t} has {c} {what}{'s' if c != 1 else ''}, fewer than cv={cv} "
                    f"folds: {where} holds {'it' if c == 1 else 'them all'} out, leaving the "
                    f"task nothing to train on{others}. Lower cv, or pass an iterable of "
                    "(train, test) indices that keeps one of each task's targets in every "
                    "training set.")
            raise ValueError(
                f"{where}: task {t} has no {what} among the training rows (its {c} are all "
                f"held out){others}, so the fold cannot fit it. Pass folds that keep one of "
                "each task's targets in every training set (e.g. shuffle=True, or fewer "
                "folds).")

    def _check_task_folds(self, folds, holdout, cv):
        """Every held-out task needs training rows, and every training task positive weight."""
        task_index, sw = holdout.task_index, holdout.sample_weight
        for k, (train, test) in enumerate(folds):
            where = f"Fold {k + 1}/{len(folds)}"
            missing = np.setdiff1d(task_index[test], task_index[train])
            if missing.size:
                raise ValueError(
                    f"{where}: task(s) {self.tasks_[missing][:10].tolist()} have held-out "
                    "rows but no training rows, so they cannot be predicted. Every task "
                    "must be in every training fold (the default integer cv ensures it).")
            weightless = np.setdiff1d(task_index[train], task_index[train][sw[train] > 0])
            if weightless.size:
                raise ValueError(
                    f"{where}: the training rows of task(s) "
                    f"{self.tasks_[weightless][:10].tolist()} all have sample_weight 0, so "
                    "the fold cannot fit them. Give each task a positive weight in every "
                    "training fold, or drop its zero-weight rows.")


class _PathCV(_HeldOutFolds, MultiTaskPredictor):
    """Generic cross-validated path estimator; subclasses set ``_estimator``.

    ``_estimator`` is the model's estimator class of the CV's loss (its
    ``_loss`` is the CV's); the path runs over the model's first declared
    strength.
    """

    _estimator = None
    _doc_family = CV

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_estimator") is not None:
            cls._loss = cls._estimator._loss

    def __init__(self, *, alphas=None, n_alphas=100, eps=1e-3, cv=5, n_jobs=None, scoring=None,
                 l2_reg=0.0, fit_intercept=True, intercept_shrinkage=0.0, task_column=None,
                 unseen_tasks="error", task_weights=None, tol=1e-4, max_iter=1000, solver="auto",
                 device=None, verbose=0):
        store_params(self, locals())

    # -- parameters -----------------------------------------------------------
    def _l1_ratio_grid(self):
        """``(ratios, is_list)``: the l1 ratios searched (``[None]`` without one)."""
        return [None], False

    def _alpha_params(self, alpha):
        """The model's parameters at a point ``alpha`` of the grid."""
        return {"alpha": alpha}

    def _grid(self, X, y, l1_ratio, sample_weight=None):
        """The alpha grid (per l1 ratio): the user's, or geometric below ``alpha_max``."""
        return alpha_grid(self._model_at(l1_ratio), X, y, alphas=self.alphas,
                          n_alphas=self.n_alphas, eps=self.eps, sample_weight=sample_weight)

    def _model_params(self):
        """The parameters passed to the model fitted along the path."""
        params = {name: getattr(self, name) for name in _MODEL_PARAMS}
        # verbose=1 is this class's one line per fold and alpha; the solvers' own
        # progress lines only from verbose=2 on.
        params["verbose"] = max(self._verbosity() - 1, 0)
        return params

    def _verbosity(self):
        v = self.verbose
        if not isinstance(v, numbers.Integral) or v < 0:  # True and False count as 1 and 0
            raise ValueError(f"verbose must be an int >= 0 (or a bool), got {v!r}.")
        return int(v)

    def _model_at(self, l1_ratio):
        """An unfitted model with this CV's parameters (and ``l1_ratio``)."""
        params = self._model_params()
        if l1_ratio is not None:
            params["l1_ratio"] = l1_ratio
        return self._estimator(**params)

    def _check_params(self):
        self._path_models()

    def _path_models(self):
        """Check the parameters: ``(ratios, is_list, models)``, the unfitted path models."""
        grid_spec(self.alphas, self.n_alphas, self.eps)
        ratios, is_list = self._l1_ratio_grid()
        models = [self._model_at(r) for r in ratios]
        for model in models:
            model._check_params()
        return ratios, is_list, models

    # -- fit ------------------------------------------------------------------
    @with_entries(FIT_DATA)
    def fit(self, X, y, sample_weight=None):
        """Choose ``alpha`` by cross-validation, then refit on all the data.

        Parameters
        ----------
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, as in the model's ``fit`` (each task's loss is its
            weighted mean), used consistently, as scikit-learn's
            ``LinearModelCV``: the grid's ``alpha_max`` is that of the
            weighted data, each fold's path is fitted with its training
            rows' weights, the held-out criterion of each task is the mean
            weighted by the held-out rows' weights (the ``scoring``, when
            given, receives them as ``sample_weight``), and the refit uses
            them all. The folds themselves do not depend on the weights.
        """
        ratios, is_list, models = self._path_models()
        if self.device is None and (is_cupy(X) or is_cupy(y) or is_cupy(sample_weight)):
            models = [m.set_params(device="cuda") for m in models]  # solve where the data is
        X, y = indexable(to_host(X), to_host(y))
        sample_weight = to_host(sample_weight)
        # tasks_, classes_, ...; a task left without weight fails here, before any fold.
        self._check_fit_input(X, y, sample_weight, task_weights=self.task_weights)
        holdout = self._holdout(X, y, sample_weight)
        folds = self._folds(X, y, holdout)
        grids = np.array([self._grid(X, y, r, sample_weight) for r in ratios])
        scorer = None if self.scoring is None else check_scoring(models[0], scoring=self.scoring)

        # Folds (and l1 ratios) run in threads: the solvers' kernels release the GIL.
        # One BLAS thread each avoids oversubscription, and the solvers' own
        # thread limits then nest consistently.
        parallel = effective_n_jobs(self.n_jobs) > 1
        jobs = [(k, i) for k in range(len(ratios)) for i in range(len(folds))]
        with _one_blas_thread() if parallel else nullcontext():
            results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(self._fold_path)(models[k], X, y, *folds[i], grids[k], holdout, scorer,
                                         self._progress(ratios[k] if is_list else None, i,
                                                        len(folds), grids[k]),
                                         self._where(ratios[k] if is_list else None, i,
                                                     len(folds)),
                                         sample_weight is not None)
                for k, i in jobs)
        self._warn_unconverged(results, jobs, ratios if is_list else None, len(folds), grids)
        # (n_l1_ratios, n_alphas, n_folds), as scikit-learn's ElasticNetCV.mse_path_
        paths = np.asarray([criterion for criterion, _ in results], dtype=np.float64)
        paths = paths.reshape(len(ratios), len(folds), -1).transpose(0, 2, 1)
        minimize = scorer is None and self._loss == "squared"
        paths = self._exclude_nonfinite(paths, grids, ratios if is_list else None, minimize)
        mean = paths.mean(axis=-1)
        k, a = np.unravel_index(np.argmin(mean) if minimize else np.argmax(mean), mean.shape)
        if minimize:
            # Selection ran in units of y / unit, where the squares cannot overflow; the
            # attribute is in the user's (exact: unit is a power of two).
            with np.errstate(over="ignore"):
                paths = paths * holdout.unit * holdout.unit  # arrays: inf, not OverflowError

        start = time.perf_counter()
        # The refit warns by itself if it does not converge (it is the model returned).
        refit = clone(models[k]).set_params(**self._alpha_params(float(grids[k, a])))
        refit.fit(X, y, sample_weight=sample_weight)
        if self._verbosity():
            print(f"[{type(self).__name__}] refit at alpha {a + 1}/{grids.shape[1]} = "
                  f"{grids[k, a]:.4g}{_ratio_text(ratios[k] if is_list else None)}: "
                  f"{refit.n_iter_} iterations, {time.perf_counter() - start:.2f} s", flush=True)
        for name, value in vars(refit).items():  # coef_, intercept_, n_iter_, dual_gap_, ...
            if name.endswith("_") and not name.startswith("_"):
                setattr(self, name, value)
        self.alpha_ = float(grids[k, a])
        if ratios[k] is not None:
            self.l1_ratio_ = float(ratios[k])
        self.alphas_ = grids if is_list else grids[0]
        for name in ("mse_path_", "score_path_"):
            self.__dict__.pop(name, None)  # a previous fit may have set the other one
        setattr(self, "mse_path_" if minimize else "score_path_",
                paths if is_list else paths[0])
        return self

    def _fold_path(self, model, X, y, train, test, alphas, holdout, scorer, on_fit, where,
                   weighted):
        """One fold: ``(criterion at every alpha, the path's PathFit list)``.

        The path is fitted on train (with its rows' weights when ``weighted``)
        and scored on test. Its fits do not warn: they are returned, and
        :meth:`fit` summarises them over all folds. A ``ValueError`` of the
        fold's fit says which fold it is.
        """
        X_train, y_train = _safe_indexing(X, train), _safe_indexing(y, train)
        sw = holdout.sample_weight
        try:
            path, fits = run_path(model, X_train, y_train, alphas,
                                  sample_weight=sw[train] if weighted else None,
                                  params=self._alpha_params, warn=False, on_fit=on_fit)
        except ValueError as exc:
            raise ValueError(f"{type(self).__name__}, {where}: {exc}") from exc
        if scorer is not None:
            return _scored_path(model, path, X_train, y_train, _safe_indexing(X, test),
                                _safe_indexing(y, test), scorer, self._alpha_params,
                                sw[test] if weighted else None), fits
        return self._heldout_criterion(path, holdout, train, test), fits

    @staticmethod
    def _where(l1_ratio, fold, n_folds):
        """``"fold 2/5"`` (with the l1 ratio when several are searched)."""
        return f"fold {fold + 1}/{n_folds}{_ratio_text(l1_ratio)}"

    def _exclude_nonfinite(self, paths, grids, ratios, minimize):
        """``paths`` with non-finite entries set to the worst value, after one warning.

        A NaN (or an overflowed) held-out criterion comes from a fit that left
        the float range; it is set to ``inf`` (``-inf`` for scores), so that
        selection never picks its alpha, and a ``FitFailedWarning`` names it.
        One failed fit at a small alpha does not discard the valid rest of the
        path; when every alpha failed somewhere, there is nothing to select
        from and a ``ValueError`` says so.
        """
        bad = ~np.isfinite(paths)
        if not bad.any():
            return paths
        worst = np.inf if minimize else -np.inf
        paths = np.where(bad, worst, paths)
        k, a, i = np.argwhere(bad)[0]
        place = (f"alpha={grids[k, a]:.4g} (alpha {a + 1}/{grids.shape[1]}), "
                 f"{self._where(None if ratios is None else ratios[k], i, paths.shape[2])}")
        if bad.any(axis=-1).all():
            raise ValueError(
                f"{type(self).__name__}: the held-out criterion is NaN or infinite at every "
                f"alpha in some fold (first at {place}): the fits left the float range. "
                "Scale X (and y), or pass larger alphas.")
        warnings.warn(
            f"{type(self).__name__}: {int(bad.sum())} of {bad.size} held-out criteria are "
            f"NaN or infinite (first at {place}): those fits left the float range. They are "
            f"set to {worst} in {'mse_path_' if minimize else 'score_path_'}, so that their "
            "alphas are never selected. Scale X (and y) to avoid it.",
            FitFailedWarning, stacklevel=3)
        return paths

    def _progress(self, l1_ratio, fold, n_folds, alphas):
        """``on_fit`` of one fold's path: a line per alpha at ``verbose >= 1``, else None."""
        if not self._verbosity():
            return None
        head = (f"[{type(self).__name__}]{_ratio_text(l1_ratio, sep=' ')} "
                f"fold {fold + 1}/{n_folds}")

        def on_fit(k, fit):
            # One print per line: lines of folds running in threads do not interleave.
            print(f"{head} alpha {k + 1}/{len(alphas)} = {alphas[k]:.4g}: gap "
                  f"{fit.relative_gap:.1e}, {fit.n_iter} iterations, {fit.seconds:.2f} s",
                  flush=True)

        return on_fit

    def _warn_unconverged(self, results, jobs, ratios, n_folds, grids):
        """One ``ConvergenceWarning`` for all the path fits of all folds that did not converge."""
        fits, alphas, where = [], [], []
        for (k, i), (_, fold_fits) in zip(jobs, results):
            fits += fold_fits
            alphas += list(grids[k])
            ratio = _ratio_text(None if ratios is None else ratios[k])
            where += [f", fold {i + 1}/{n_folds}{ratio}"] * len(fold_fits)
        message = convergence_summary(type(self).__name__, fits, alphas, self.tol, where)
        if message is not None:
            warnings.warn(message, ConvergenceWarning, stacklevel=3)

    def _heldout_criterion(self, path, holdout, train, test):
        """Held-out criterion at every alpha: mean over tasks of each task's weighted mean.

        Each task's squared error (regressors, in units of ``y / holdout.unit``)
        or accuracy (classifiers), weighted by the held-out rows' sample
        weights as the task's loss is in the objective, then averaged over
        the tasks present with the task weights.
        """
        A, T, p = path.coefs.shape
        with blas_threads_for(len(test) * p * A * T):  # small products: one BLAS thread
            Z, targets, entry_task, entry_row = self._heldout_predictions(path, holdout, train,
                                                                          test)
        w = holdout.sample_weight[test][entry_row]
        keep = w > 0  # a zero-weight row counts for nothing (not even a NaN prediction)
        Z, targets, entry_task, w = Z[:, keep], targets[keep], entry_task[keep], w[keep]
        if self._loss == "logistic":
            values = (Z > 0) == targets
        else:
            with np.errstate(over="ignore", invalid="ignore"):  # non-finite: _exclude_nonfinite
                values = ((Z - targets) * (1.0 / holdout.unit)) ** 2
        return task_average(values, entry_task, w, holdout.task_weights)

    def _heldout_predictions(self, path, holdout, train, test):
        """Every held-out target's linear predictor: ``(Z, targets, task, row)``.

        ``Z`` is (n_alphas, n_entries), one entry per observed target; ``task``
        and ``row`` (a position in ``test``) are each entry's.
        """
        A, T, p = path.coefs.shape
        F = holdout.feats[test]
        targets = holdout.targets[test]
        if holdout.task_index is None:  # every test row predicted for every task
            # Only features nonzero somewhere on the path contribute to the products.
            used = np.flatnonzero(np.any(path.coefs != 0, axis=(0, 1)))
            Z = np.asarray(F[:, used] @ path.coefs[:, :, used].reshape(A * T, used.size).T)
            Z = Z.reshape(len(test), A, T)
            Z = Z.transpose(1, 0, 2) + path.intercepts[:, None, :]
            observed = holdout.observed[test]
            Z, targets = Z[:, observed], targets[observed]  # (A, n_observed)
            entry_row, entry_task = np.nonzero(observed)
        else:  # row i by its task's model; the fold's tasks are a sorted subset of tasks_
            entry_task = holdout.task_index[test]
            entry_row = np.arange(len(test))
            pos = np.searchsorted(np.unique(holdout.task_index[train]), entry_task)
            Z = np.empty((A, len(test)))
            for j in np.unique(pos):
                rows = np.flatnonzero(pos == j)
                Z[:, rows] = (np.asarray(F[rows] @ path.coefs[:, j, :].T).T
                              + path.intercepts[:, j, None])
        return Z, targets, entry_task, entry_row


def _scored_path(model, path, X_train, y_train, X_test, y_test, scorer, params,
                 sample_weight=None):
    """``scorer`` of the fitted model at every alpha of the path (``params(alpha)`` set).

    ``sample_weight`` (the held-out rows') is passed to the scorer when given.
    """
    fitted = clone(model)
    # The fitted-input attributes (tasks_, classes_, n_features_in_, ...) of this fold.
    fitted._check_fit_input(X_train, y_train, task_weights=fitted.task_weights)
    scores = []
    for alpha, coef, intercept in zip(path.alphas, path.coefs, path.intercepts):
        est = copy.copy(fitted).set_params(**params(float(alpha)))
        est.coef_ = np.ascontiguousarray(coef)  # prediction needs only coef_ and intercept_
        est.intercept_ = intercept
        weights = {} if sample_weight is None else {"sample_weight": sample_weight}
        scores.append(scorer(est, X_test, y_test, **weights))
    return np.array(scores, dtype=np.float64)


def task_average(values, entry_task, w, task_weights):
    """Each task's ``w``-weighted mean of ``values`` (A, E), averaged over the tasks present.

    ``entry_task`` (E,) is each entry's task; tasks are averaged with
    ``task_weights``. Returns shape (A,). The held-out criterion of the CV
    estimators (path and kernel).
    """
    n_tasks = len(task_weights)
    # weighted[t, e] = w_e if entry e is of task t: rows of sums are per-task weighted sums.
    weighted = sp.csr_matrix((w, (entry_task, np.arange(len(entry_task)))),
                             shape=(n_tasks, len(entry_task)))
    totals = np.asarray(weighted.sum(axis=1)).ravel()
    with np.errstate(over="ignore", invalid="ignore"):
        sums = np.asarray(weighted @ values.T.astype(np.float64))  # (n_tasks, A)
    present = totals > 0
    if not present.any():
        raise ValueError("A cross-validation fold has no observed held-out target with "
                         "positive sample_weight; pass folds whose held-out rows carry "
                         "weight.")
    tau = task_weights[present]
    with np.errstate(over="ignore", invalid="ignore"):
        return (tau @ (sums[present] / totals[present, None])) / tau.sum()


def _ratio_text(l1_ratio, sep=", "):
    """``", l1_ratio 0.2"`` when several l1 ratios are searched, else ``""``."""
    return "" if l1_ratio is None else f"{sep}l1_ratio {float(l1_ratio):g}"


def _one_blas_thread():
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


class _SparseGroupCV(_PathCV):
    """Sparse-group CV: also searches ``l1_ratio`` (a float or a list)."""

    def __init__(self, *, l1_ratio=0.5, alphas=None, n_alphas=100, eps=1e-3, cv=5, n_jobs=None,
                 scoring=None, l2_reg=0.0, fit_intercept=True, intercept_shrinkage=0.0,
                 task_column=None, unseen_tasks="error", task_weights=None, tol=1e-4,
                 max_iter=1000, solver="auto", device=None, verbose=0):
        store_params(self, locals())

    def _l1_ratio_grid(self):
        if np.ndim(self.l1_ratio) == 0:
            return [self.l1_ratio], False
        ratios = list(np.asarray(self.l1_ratio, dtype=object).ravel())
        if not ratios:
            raise ValueError("l1_ratio is empty; pass a number in [0, 1] or a list of them.")
        return ratios, True


class _TwoPartCV(_PathCV):
    """CV of a two-part model ``W = P + Q`` along one strength, the other a fixed multiple.

    The grid runs over the first part's strength ``alpha`` (``alpha_shared``,
    ``alpha_features``); the second is ``alpha_ratio * alpha``. The grid's top
    is the smallest ``alpha`` at which both parts are zero. The two strengths
    are the model's declared ones, in the order of its penalty's parts.
    """

    def __init__(self, *, alpha_ratio=0.5, alphas=None, n_alphas=100, eps=1e-3, cv=5, n_jobs=None,
                 scoring=None, l2_reg=0.0, fit_intercept=True, intercept_shrinkage=0.0,
                 task_column=None, unseen_tasks="error", task_weights=None, tol=1e-4,
                 max_iter=1000, solver="auto", device=None, verbose=0):
        store_params(self, locals())

    @property
    def _parts(self):
        """The first and second strengths' names."""
        return model_of(self._estimator).strengths

    def _path_models(self):
        r = self.alpha_ratio
        if (isinstance(r, bool) or not isinstance(r, numbers.Real) or not np.isfinite(r)
                or r <= 0):
            raise ValueError(f"alpha_ratio must be a finite number > 0, got {r!r}.")
        return super()._path_models()

    def _alpha_params(self, alpha):
        first, second = self._parts
        return {first: alpha, second: self.alpha_ratio * alpha}

    def _grid(self, X, y, l1_ratio, sample_weight=None):
        spec = grid_spec(self.alphas, self.n_alphas, self.eps)
        if not isinstance(spec, int):
            return spec
        model = self._model_at(l1_ratio)
        first_name, second_name = self._parts
        first, noise1 = robust_alpha_max(model, X, y, strength=first_name,
                                         sample_weight=sample_weight)
        second, noise2 = robust_alpha_max(model, X, y, strength=second_name,
                                          sample_weight=sample_weight)
        with np.errstate(over="ignore"):
            top = max(first, second / self.alpha_ratio)
        if not np.isfinite(top):
            raise ValueError(
                f"The default alpha grid starts where both parts are zero, {second_name} "
                f"= alpha_ratio * {first_name}, which needs {first_name} >= "
                f"{second:.3g} / alpha_ratio = inf with alpha_ratio={self.alpha_ratio!r}. "
                "Raise alpha_ratio, or pass alphas explicitly.")
        noise = None if noise1 is None else max(noise1, noise2 / self.alpha_ratio)
        return geometric_grid(top, self.eps, spec, noise)

    def _model_at(self, l1_ratio):
        params = self._model_params()
        params.update(self._extra_model_params())
        return self._estimator(**params)

    def _extra_model_params(self):
        return {}

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y, sample_weight=sample_weight)
        first, second = self._parts
        setattr(self, first + "_", self.alpha_)
        setattr(self, second + "_", self.alpha_ratio * self.alpha_)
        return self

    fit.__doc__ = _PathCV.fit.__doc__
