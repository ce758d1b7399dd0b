"""What every fitted multi-task estimator shares: prediction, per-task scores, task bookkeeping.

scikit-learn splits ``LinearModel`` (predict from ``coef_`` and ``intercept_``)
from the ways of fitting one (``LinearRegression``, ``LassoCV``, ...). Here
:class:`MultiTaskPredictor` is that prediction base for every family: the
linear models (one convex solve), the alternating models, the
cross-validated path estimators and the neural networks. It

* validates ``fit``'s input through :func:`~mtlclassic._validation.check_fit_data`
  (:meth:`MultiTaskPredictor._check_fit_input`), which records the task
  bookkeeping: ``tasks_``, ``n_tasks_``, ``n_features_in_`` (the task column
  included), ``classes_`` for classifiers, and the targets' dimension;
* validates ``predict``'s input (:meth:`MultiTaskPredictor._check_predict_input`):
  fitted, same columns, each row's task among ``tasks_`` or, with
  ``unseen_tasks="mean"``, marked unseen;
* routes each row to its task's output (:meth:`MultiTaskPredictor._predict_outputs`);
  a subclass gives the outputs of a batch of rows through three hooks, by
  default the linear ones, from ``coef_`` of shape (n_tasks, n_features)
  and ``intercept_`` of shape (n_tasks,);
* scores as the mean over tasks of a per-task metric (R^2, accuracy).

The regressor and classifier mixins turn the outputs into ``predict``,
``decision_function``, ``predict_proba`` and ``score``.
"""

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.validation import check_is_fitted

from ._backend import get_namespace, special, to_host
from ._validation import check_fit_data, check_predict_data, is_missing
from .data import exponent, max_abs


def store_params(estimator, params):
    """Store ``__init__``'s arguments (its ``locals()``) as attributes, unchanged.

    scikit-learn wants every constructor parameter spelled out in the
    signature and stored as given; this keeps the bodies to one line.
    """
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


class MultiTaskPredictor(BaseEstimator):
    """Base class of every multi-task estimator: prediction, scoring, task bookkeeping.

    A subclass has ``_loss`` (``"squared"`` or ``"logistic"``: from
    :class:`MultiTaskRegressorMixin` or :class:`MultiTaskClassifierMixin`), has the
    parameters ``task_column`` and ``unseen_tasks``, validates ``fit``'s
    input with :meth:`_check_fit_input`, and either sets ``coef_`` and
    ``intercept_`` (linear models) or overrides the output hooks
    :meth:`_shared_outputs`, :meth:`_task_outputs` and
    :meth:`_unseen_task_outputs` (a network's forward pass).
    """

    _loss = None
    # check_is_fitted's ``attributes``: None accepts any fitted attribute.
    _fitted_attribute = None

    @property
    def _classifier(self):
        return self._loss == "logistic"

    # -- input checks -------------------------------------------------------------
    def _check_fit_input(self, X, y, sample_weight=None, *, task_weights=None):
        """Validate ``fit``'s input: the problem container (see :func:`check_fit_data`).

        Records ``tasks_``, ``n_tasks_``, ``n_features_in_`` (and
        ``feature_names_in_``), ``classes_`` for classifiers and the targets'
        dimension. ``task_weights`` are the fixed task weights of the loss
        (None: ones).
        """
        return check_fit_data(self, X, y, sample_weight, task_weights=task_weights,
                              classifier=self._classifier)

    def _check_predict_input(self, X, *, return_labels=False):
        """Check fitted, then validate ``X``: ``(features, task_index[, labels])``.

        See :func:`check_predict_data`: ``task_index`` is None in the shared
        layout, ``-1`` for a row of a task not seen in fit.
        """
        check_is_fitted(self, self._fitted_attribute)
        return check_predict_data(self, X, return_labels=return_labels)

    # -- outputs --------------------------------------------------------------------
    def _predict_outputs(self, X):
        """The model's outputs: (n_samples, n_tasks) in the shared layout, else (n_samples,).

        With 1-D targets in the shared layout the outputs are (n_samples,);
        in the per-task layout each row gets its task's output, and a row of
        an unseen task (``unseen_tasks="mean"``) that of
        :meth:`_unseen_task_outputs`. CuPy input is validated and predicted
        on the host (one transfer each way) and the result returned as a
        CuPy array.
        """
        xp = get_namespace(X)
        if xp is not np:
            return xp.asarray(self._predict_outputs(to_host(X)))
        feats, task_index = self._check_predict_input(X)
        feats = self._input_features(feats)
        if task_index is None:
            Z = self._shared_outputs(feats)
            return Z.ravel() if self._y_ndim == 1 else Z
        unseen = task_index < 0
        if not unseen.any():
            return self._task_outputs(feats, task_index)
        z = np.empty(feats.shape[0], dtype=self._output_dtype())
        seen = np.flatnonzero(~unseen)
        if seen.size:
            z[seen] = self._task_outputs(feats[seen], task_index[seen])
        rows = np.flatnonzero(unseen)
        z[rows] = self._unseen_task_outputs(feats[rows])
        return z

    def _input_features(self, feats):
        """The validated features as the output hooks read them (unchanged here)."""
        return feats

    def _output_dtype(self):
        """The dtype of the outputs (that of ``coef_`` here)."""
        return self.coef_.dtype

    def _shared_outputs(self, feats):
        """Every task's output for every row, of shape (n_samples, n_tasks)."""
        return np.asarray(feats @ self.coef_.T) + self.intercept_

    def _task_outputs(self, feats, task_index):
        """Each row's output of its task ``task_index`` (positions in ``tasks_``), (n_samples,)."""
        z = np.empty(feats.shape[0], dtype=self._output_dtype())
        for t in np.unique(task_index):
            rows = np.flatnonzero(task_index == t)
            z[rows] = np.asarray(feats[rows] @ self.coef_[t]).ravel() + self.intercept_[t]
        return z

    def _unseen_task_outputs(self, feats):
        """Outputs for rows of a task not seen in fit (``unseen_tasks="mean"``), (n_samples,)."""
        coef, intercept = self._unseen_task_model()
        return np.asarray(feats @ coef).ravel() + intercept

    def _unseen_task_model(self):
        """``(coef, intercept)`` predicting a task not seen in fit (``unseen_tasks="mean"``).

        The mean of the task models: for the pooled model its shared ``w``,
        for the mean-regularised model its ``w_bar`` (the penalty's mean is
        the plain mean over tasks).
        """
        return self.coef_.mean(axis=0), float(np.mean(self.intercept_))

    # -- scores ---------------------------------------------------------------------
    def _scored_tasks(self):
        """Mask over ``tasks_`` of the tasks ``score`` averages over; None: every task.

        The neural models' auxiliary tasks (``main_tasks``) train the model but are not
        scored.
        """
        return None

    def _per_task_scores(self, X, y, sample_weight, metric):
        """Mean over tasks of ``metric`` on each task's observed rows."""
        pred = self.predict(X)
        y = np.asarray(y)
        sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        scored = self._scored_tasks()
        if self.task_column is None:
            if pred.ndim == 1:
                return metric(y.ravel(), pred, sample_weight=sw)
            Y = y.reshape(pred.shape)
            scores = []
            for t in range(pred.shape[1]):
                if scored is not None and not scored[t]:
                    continue
                obs = ~is_missing(Y[:, t])
                if obs.sum() >= 2:
                    scores.append(metric(Y[obs, t], pred[obs, t],
                                         sample_weight=None if sw is None else sw[obs]))
            if not scores:
                raise ValueError("score needs at least one task with 2 or more observed targets.")
            return float(np.mean(scores))
        _, _, labels = self._check_predict_input(X, return_labels=True)
        skipped = [] if scored is None else np.asarray(self.tasks_)[~scored].tolist()
        scores = []
        for label in np.unique(labels):  # by label: each unseen task scored on its own
            if label in skipped:
                continue
            rows = labels == label
            if rows.sum() >= 2:  # a one-row task has no R^2
                scores.append(metric(y[rows], pred[rows],
                                     sample_weight=None if sw is None else sw[rows]))
        if not scores:
            raise ValueError("score needs at least one task with 2 or more rows in X.")
        return float(np.mean(scores))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        tags.target_tags.required = True
        return tags


class MultiTaskRegressorMixin:
    """Regressor API: ``predict`` and the mean per-task R^2 as ``score``."""

    _estimator_type = "regressor"
    _loss = "squared"

    def predict(self, X):
        """Predict targets: (n_samples, n_tasks) in the shared layout, (n_samples,) per task.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame}
            As in ``fit``; in the per-task layout each row is predicted by its task's model.

        Returns
        -------
        y_pred : ndarray
        """
        return self._predict_outputs(X)

    def score(self, X, y, sample_weight=None):
        """Mean over tasks of each task's R^2 (missing targets skipped).

        With one task this is scikit-learn's ``r2_score``.
        """
        return self._per_task_scores(X, y, sample_weight, _unit_free_r2)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        from sklearn.utils import RegressorTags

        tags.regressor_tags = RegressorTags()
        return tags


def _unit_free_r2(y_true, y_pred, sample_weight=None):
    """``r2_score`` with both arrays divided by one power of two (exact; R^2 is unit-free).

    Targets near 1e300 would overflow the squares of their residuals.
    """
    y_true, y_pred = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    e = exponent(max(max_abs(y_true), max_abs(y_pred)), band=0)
    return r2_score(np.ldexp(y_true, -e), np.ldexp(y_pred, -e), sample_weight=sample_weight)


class MultiTaskClassifierMixin:
    """Binary classifier per task: ``decision_function``, ``predict_proba``, ``predict``."""

    _estimator_type = "classifier"
    _loss = "logistic"

    def decision_function(self, X):
        """Linear predictor of each row's task; positive means ``classes_[1]``.

        ``x . w_t + b_t`` for a row ``x`` of task ``t``, of shape (n_samples,)
        or, with 2-D targets (shared layout), (n_samples, n_tasks).
        """
        return self._predict_outputs(X)

    def predict_proba(self, X):
        """Class probabilities.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2) or (n_samples, n_tasks)
            ``[P(classes_[0]), P(classes_[1])]`` per row for 1-D targets; with
            2-D targets (shared layout), ``P(classes_[1])`` for every task, as
            scikit-learn's multilabel classifiers.
        """
        z = self.decision_function(X)
        xp = get_namespace(z)
        p1 = special("expit", z)
        if z.ndim == 1:
            return xp.stack([1.0 - p1, p1], axis=1)
        return p1

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        proba = self.predict_proba(X)
        return get_namespace(proba).log(proba)

    def predict(self, X):
        """Predicted labels (from ``classes_``), shaped as :meth:`decision_function`.

        For CuPy input the labels are a CuPy array when numeric (else numpy).
        """
        z = self.decision_function(X)  # checks fitted before classes_ is read
        labels = self.classes_[to_host(z > 0).astype(int)]
        xp = get_namespace(z)
        return xp.asarray(labels) if xp is not np and labels.dtype.kind in "biuf" else labels

    def score(self, X, y, sample_weight=None):
        """Mean over tasks of each task's accuracy (missing targets skipped)."""
        return self._per_task_scores(X, y, sample_weight, accuracy_score)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        from sklearn.utils import ClassifierTags

        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags
