"""Cross-validation of the kernel models over ``gamma``, ``alpha`` and ``lambda_2``.

The search of :class:`~mtlclassic.KernelTaskRelationRegressorCV` (and the
classifier): the folds of the linear ``*CV`` estimators (task-stratified in
the per-task layout, every task in every fold), each fold's fits walking the
grid from strong to weak penalty with the learned ``Omega`` warm-started, the
held-out criterion of the linear ``*CV`` estimators (each task's weighted
mean squared error, or accuracy, averaged over tasks with the task weights),
and a refit on all the data at the best point.
"""

import itertools
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.utils.parallel import Parallel, delayed

from .._prediction import MultiTaskPredictor, store_params
from ._feature_map import apply_feature_map, fit_feature_map
from ._grids import median_gamma
from .cv import _HeldOutFolds, task_average

# gamma as multiples of the median heuristic when ``gammas`` is None.
GAMMA_FACTORS = (0.25, 0.5, 1.0, 2.0, 4.0)


class _KernelCV(_HeldOutFolds, MultiTaskPredictor):
    """Grid cross-validation of a kernel model; subclasses set ``_estimator``."""

    _estimator = None
    _searched = ("alpha", "gamma", "lambda_2")
    _fitted_attribute = "best_estimator_"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_estimator") is not None:
            cls._loss = cls._estimator._loss
            cls._doc_family = cls._estimator._doc_family

    def __init__(self, *, alphas=(1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1), gammas=None,
                 lambda_2s=(1e-6, 1e-4, 1e-2),
                 cv=5, n_jobs=None, scoring=None, kernel="rbf", degree=3, coef0=1,
                 kernel_params=None, task_covariance="learn", eps=1e-3, lambda_mean=None,
                 fit_intercept=True,
                 intercept_shrinkage=0.0, n_components=None, random_state=None,
                 task_column=None, unseen_tasks="error", task_weights=None, tol=1e-4,
                 max_iter=100, device=None, verbose=0, normalize_y=False,
                 feature_map=None):
        store_params(self, locals())

    # -- the grid ---------------------------------------------------------------------
    def _grid_values(self, X):
        def values(name, given):
            arr = np.atleast_1d(np.asarray(given, dtype=np.float64))
            if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ValueError(f"{name} must be a non-empty list of finite numbers >= 0, got "
                                 f"{given!r}.")
            return arr
        alphas = np.sort(values("alphas", self.alphas))[::-1]  # strong to weak: warm starts
        if np.any(alphas <= 0):
            raise ValueError(f"alphas must be > 0, got {self.alphas!r}.")
        if self.gammas is None:
            # The heuristic on what the kernel sees: the mapped features with a feature_map.
            X = apply_feature_map(fit_feature_map(self.feature_map, X), X)
            gammas = median_gamma(X, None) * np.asarray(GAMMA_FACTORS)
        else:
            gammas = values("gammas", self.gammas)
        learn = isinstance(self.task_covariance, str) and self.task_covariance == "learn"
        lambda_2s = np.sort(values("lambda_2s", self.lambda_2s))[::-1] if learn else [0.0]
        return gammas, alphas, lambda_2s

    def _base_model(self):
        params = {k: v for k, v in self.get_params().items()
                  if k not in ("alphas", "gammas", "lambda_2s", "cv", "n_jobs", "scoring")}
        return self._estimator(**params, warm_start=True)

    # -- fit --------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Choose ``gamma``, ``alpha`` (and ``lambda_2``) by cross-validation, then refit.

        Parameters
        ----------
        sample_weight : array-like of shape (n_samples,), default=None
            As in the model's ``fit``; each fold fits with its training
            rows' weights and scores with its held-out rows' weights.

        Returns
        -------
        self : object
        """
        # Validate (and record tasks_, classes_, ...) through the model's own check.
        probe = self._base_model()
        probe._check_params()
        probe._check_fit_input(X, y, sample_weight, task_weights=self.task_weights)
        for name in ("tasks_", "n_tasks_", "n_features_in_", "feature_names_in_", "classes_",
                     "_y_ndim"):
            if hasattr(probe, name):
                setattr(self, name, getattr(probe, name))
        holdout = self._holdout(X, y, sample_weight)
        folds = self._folds(X, y, holdout)
        gammas, alphas, lambda_2s = self._grid_values(holdout.feats)
        points = list(itertools.product(alphas, lambda_2s))
        jobs = [(fold, gamma) for fold in range(len(folds)) for gamma in gammas]
        scorer = None if self.scoring is None else check_scoring(self, self.scoring)
        results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(self._fold_scores)(X, y, sample_weight, holdout, folds[fold], gamma, points,
                                       scorer)
            for fold, gamma in jobs)
        unsettled = sum(count for _, count in results)
        results = [values for values, _ in results]
        if unsettled:  # one warning for all the fold fits, as the path CV estimators
            warnings.warn(
                f"{type(self).__name__}: {unsettled} of {len(jobs) * len(points)} fold "
                "fits did not settle in max_iter alternations; increase max_iter or tol.",
                ConvergenceWarning, stacklevel=2)
        scores = np.empty((len(gammas), len(points), len(folds)))
        for (fold, k), values in zip(((f, gammas.tolist().index(g)) for f, g in jobs), results):
            scores[k, :, fold] = values
        mean = scores.mean(axis=2)
        minimize = scorer is None and self._loss == "squared"
        best = np.unravel_index(np.nanargmin(mean) if minimize else np.nanargmax(mean),
                                mean.shape)
        self.gamma_ = float(gammas[best[0]])
        self.alpha_, self.lambda_2_ = (float(v) for v in points[best[1]])
        self.gammas_, self.alphas_, self.lambda_2s_ = gammas, alphas, np.asarray(lambda_2s)
        if minimize:  # selection ran in units of y / unit (no overflow); the attribute is in y's
            scores = scores * holdout.unit * holdout.unit
        self.cv_scores_ = scores.reshape(len(gammas), len(alphas), len(lambda_2s), len(folds))
        refit = self._base_model().set_params(gamma=self.gamma_, alpha=self.alpha_,
                                              lambda_2=self.lambda_2_, warm_start=False)
        refit.fit(X, y, sample_weight=sample_weight)
        self.best_estimator_ = refit
        for name, value in vars(refit).items():
            if name.endswith("_") and not name.startswith("__"):
                setattr(self, name, value)
        return self

    # -- outputs: the refit's --------------------------------------------------------------
    def _output_dtype(self):
        return self.best_estimator_._output_dtype()

    def _shared_outputs(self, feats):
        return self.best_estimator_._shared_outputs(feats)

    def _task_outputs(self, feats, task_index):
        return self.best_estimator_._task_outputs(feats, task_index)

    def _unseen_task_outputs(self, feats):
        return self.best_estimator_._unseen_task_outputs(feats)

    def _fold_scores(self, X, y, sample_weight, holdout, fold, gamma, points, scorer):
        """The held-out criterion at each ``(alpha, lambda_2)``, warm-started along them.

        Returns the criteria and how many fits did not settle (warned once by ``fit``).
        """
        train, test = fold
        model = self._base_model().set_params(gamma=gamma)
        Xtr, ytr = _rows(X, train), _rows(y, train)
        sw = None if sample_weight is None else np.asarray(sample_weight)[train]
        out, unsettled = [], 0
        for alpha, lambda_2 in points:
            model.set_params(alpha=alpha, lambda_2=lambda_2)
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", ConvergenceWarning)
                    model.fit(Xtr, ytr, sample_weight=sw)
            except (ValueError, np.linalg.LinAlgError):
                out.append(np.nan)  # a point that cannot be fitted is not chosen
                continue
            unsettled += sum(issubclass(w.category, ConvergenceWarning) for w in caught)
            if scorer is not None:
                out.append(scorer(model, _rows(X, test), _rows(y, test)))
            else:
                out.append(_heldout(self, model, holdout, test))
        return out, unsettled


def _rows(A, index):
    """Rows ``index`` of a DataFrame, a sparse matrix or an array."""
    if hasattr(A, "iloc"):
        return A.iloc[index]
    return A.tocsr()[index] if hasattr(A, "tocsr") else np.asarray(A)[index]


def _heldout(cv, model, holdout, test):
    """Each task's weighted mean squared error (or accuracy), averaged with the task weights."""
    feats = holdout.feats[test]
    if holdout.task_index is None:
        Z = model._shared_outputs(feats)
        targets, observed = holdout.targets[test], holdout.observed[test]
        w = holdout.sample_weight[test][:, None] * observed
        task_of = np.broadcast_to(np.arange(Z.shape[1]), Z.shape)
        Z, targets, w, task_of = Z.ravel(), targets.ravel(), w.ravel(), task_of.ravel()
    else:
        task_of = holdout.task_index[test]
        Z = model._task_outputs(feats, task_of)
        targets, w = holdout.targets[test], holdout.sample_weight[test]
    if cv._loss == "logistic":
        values = ((Z > 0) == targets).astype(np.float64)
    else:
        values = ((Z - targets) / holdout.unit) ** 2
    keep = w > 0  # a zero-weight entry counts for nothing, as in the path CVs
    return float(task_average(values[None, keep], task_of[keep], w[keep],
                              holdout.task_weights)[0])

