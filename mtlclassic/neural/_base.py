"""fit / partial_fit / predict of the neural multi-task estimators (both architectures).

They derive from the prediction base of every estimator family
(:class:`mtlclassic._prediction.MultiTaskPredictor`): input is validated by
the same checks as the linear models', so task ids, DataFrames, NaN
targets, unknown tasks at predict time and every input error behave
identically, and ``predict`` / ``score`` route rows to tasks as theirs do;
the network's forward pass is the base's output hooks.  A concrete
estimator sets ``_loss`` and implements ``_make_net``.
"""

import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_random_state

from .._backend import blas_threads_for
from .._docstrings import FIT_DATA, NEURAL, with_entries
from .._prediction import MultiTaskClassifierMixin, MultiTaskPredictor, MultiTaskRegressorMixin
from .._validation import (check_predict_data, check_sample_weight, check_target, is_missing,
                           read_tasks)
from ._adversarial import AdversaryUpdates, reversal_factors
from ._data import NeuralData, feature_scale, scale_features, validation_split
from ._optim import Adam
from ._params import ParamBuffer
from ._training import TrainState, predict_raw, run_epoch, task_losses
from ._gradient_weighting import GRADIENT_WEIGHTINGS
from ._weighting import TaskWeighting

ACTIVATIONS = ("relu", "tanh", "logistic", "identity")
WEIGHTINGS = ("equal", "uncertainty", "dwa", *GRADIENT_WEIGHTINGS)
ADVERSARIAL_OBJECTIVES = ("confusion", "reversal")


def _layer_sizes(value, name, allow_empty):
    sizes = [value] if isinstance(value, numbers.Integral) else value
    try:
        sizes = list(sizes)
    except TypeError:
        raise ValueError(f"{name} must be an int or a sequence of ints, got {value!r}.") from None
    for s in sizes:
        if not isinstance(s, numbers.Integral) or isinstance(s, bool) or s < 1:
            raise ValueError(f"{name} must hold positive ints, got {value!r}.")
    if not sizes and not allow_empty:
        raise ValueError(f"{name} must not be empty.")
    return [int(s) for s in sizes]


def _check_number(est, name, low, high=np.inf, *, low_open=False, high_open=False,
                  integer=False):
    value = getattr(est, name)
    kind = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool) and np.isfinite(value)
    ok = ok and (value > low if low_open else value >= low)
    ok = ok and (value < high if high_open else value <= high)
    if not ok:
        lo, hi = "(" if low_open else "[", ")" if high_open else "]"
        raise ValueError(f"{name} must be {'an int' if integer else 'a number'} in "
                         f"{lo}{low}, {high}{hi}, got {value!r}.")


class NeuralMultiTaskModel(MultiTaskPredictor):
    """Shared machinery of the hard- and soft-sharing MLPs (see the public classes)."""

    _doc_family = NEURAL
    # A failed fit leaves tasks_ and n_features_in_ but not the network (_discard_training).
    _fitted_attribute = "coefs_"

    # -- parameters ---------------------------------------------------------
    def _check_params(self):
        _layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes", allow_empty=True)
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}.")
        if self.task_weighting not in WEIGHTINGS:
            raise ValueError(
                f"task_weighting must be one of {WEIGHTINGS}, got {self.task_weighting!r}.")
        _check_number(self, "alpha", 0.0)
        _check_number(self, "learning_rate_init", 0.0, low_open=True)
        _check_number(self, "max_iter", 1, integer=True)
        _check_number(self, "tol", 0.0)
        _check_number(self, "n_iter_no_change", 1, integer=True)
        _check_number(self, "validation_fraction", 0.0, 1.0, low_open=True, high_open=True)
        _check_number(self, "dropout", 0.0, 1.0, high_open=True)
        _check_number(self, "beta_1", 0.0, 1.0, high_open=True)
        _check_number(self, "beta_2", 0.0, 1.0, high_open=True)
        _check_number(self, "epsilon", 0.0, low_open=True)
        _check_number(self, "dwa_temperature", 0.0, low_open=True)
        _check_number(self, "gradnorm_alpha", 0.0)
        _check_number(self, "auxiliary_weight", 0.0)
        _check_number(self, "adversarial_weight", 0.0)
        _check_number(self, "adversarial_steps", 1, integer=True)
        _check_number(self, "adversarial_covariance", 0.0)
        if self.adversarial_reset is not None:
            _check_number(self, "adversarial_reset", 1, integer=True)
        if self.adversarial_objective not in ADVERSARIAL_OBJECTIVES:
            raise ValueError(f"adversarial_objective must be one of {ADVERSARIAL_OBJECTIVES}, "
                             f"got {self.adversarial_objective!r}.")
        _layer_sizes(self.adversarial_layer_sizes, "adversarial_layer_sizes", allow_empty=True)
        if not (self.batch_size == "auto" or (isinstance(self.batch_size, numbers.Integral)
                                              and not isinstance(self.batch_size, bool)
                                              and self.batch_size >= 1)):
            raise ValueError(f"batch_size must be 'auto' or an int >= 1, got {self.batch_size!r}.")
        for name in ("early_stopping", "shuffle"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be a bool, got {getattr(self, name)!r}.")
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            dtype = None
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype!r}.")

    def _make_net(self, buf, n_features, n_tasks):
        raise NotImplementedError

    def _adversary_architecture(self):
        """``(adversarial task mask, adversarial_layer_sizes)`` for networks whose heads read a
        shared representation (the adversarial tasks get heads of that architecture)."""
        return self._adversarial_mask(), _layer_sizes(
            self.adversarial_layer_sizes, "adversarial_layer_sizes", allow_empty=True)

    def _task_mask(self, name):
        """Mask over ``tasks_`` of the task labels of parameter ``name`` (None if unset)."""
        value = getattr(self, name)
        if value is None:
            return None
        given = [value] if np.ndim(value) == 0 else list(value)
        if not given:
            raise ValueError(f"{name} is empty; give at least one task, or None.")
        labels = np.asarray(self.tasks_).tolist()
        T = len(labels)
        mask = np.zeros(T, dtype=bool)
        for label in given:
            if label not in labels:
                raise ValueError(
                    f"{name} holds {label!r}, which is not a task of y (tasks_: "
                    f"{labels[:10]}{' ...' if T > 10 else ''}); use task labels (the shared "
                    "layout's are column positions).")
            mask[labels.index(label)] = True
        return mask

    def _adversarial_mask(self):
        """Which fitted tasks are adversarial (n_tasks,)."""
        mask = self._task_mask("adversarial_tasks")
        return np.zeros(len(self.tasks_), dtype=bool) if mask is None else mask

    def _main_task_mask(self):
        """Which fitted tasks are main tasks (n_tasks,): without ``main_tasks`` every task but
        the adversarial ones."""
        adversarial = self._adversarial_mask()
        main = self._task_mask("main_tasks")
        if main is None:
            main = ~adversarial
        if np.any(main & adversarial):
            raise ValueError("main_tasks and adversarial_tasks share task(s); a task is either "
                             "a main task or an adversarial one.")
        if not main.any():
            raise ValueError("Every task is adversarial; leave at least one task out of "
                             "adversarial_tasks.")
        return main

    # -- data -----------------------------------------------------------------
    def _prepare_fit(self, X, y, sample_weight=None):
        """Validate a first fit's input; sets the fitted-input attributes and target scaling."""
        # Tasks are weighted by ``task_weighting`` (learned or adapted), not by fixed weights.
        container = self._check_fit_input(X, y, sample_weight, task_weights=None)
        Xc, sw, keep = container.X, None, None
        if sample_weight is not None:
            sw, keep = _row_weights(self, container, X, sample_weight)
            if keep is not None:  # rows of weight 0 are removed: exactly as if absent
                Xc = Xc[keep]
        dtype = np.dtype(self.dtype)
        self._x_scale = feature_scale(Xc, sw)
        _check_scale_fits(self._x_scale, dtype)
        Xc = scale_features(Xc, self._x_scale, dtype)
        T = container.n_tasks
        if container.layout == "shared":
            M = container.C > 0
            Y = np.asarray(container.Y, dtype=np.float64)
            if keep is not None:
                M, Y = M[keep], Y[keep]
            Mw = M if sw is None else M * sw[:, None]  # each observed entry's row weight
            self._set_target_scaling(Y.T[M.T], np.nonzero(M.T)[0], T,
                                     None if sw is None else Mw.T[M.T])
            Y = np.where(M, (Y - self._y_mean) / self._y_scale, 0.0)
            return NeuralData(Xc, T, Y=Y.astype(dtype), M=Mw.astype(dtype))
        task = np.repeat(np.arange(T), np.diff(container.offsets))
        y = np.asarray(container.Y, dtype=np.float64)
        if keep is not None:
            task, y = task[keep], y[keep]
        self._set_target_scaling(y, task, T, sw)
        y = (y - self._y_mean[task]) / self._y_scale[task]
        return NeuralData(Xc, T, y=y.astype(dtype), task=task,
                          w=None if sw is None else sw.astype(dtype))

    def _set_target_scaling(self, values, task, n_tasks, weights=None):
        """Per-task mean and standard deviation of the targets (regressors; identity otherwise);
        weighted by ``weights`` (one per value) if given.

        Both are taken of the targets divided by a power of two near the task's
        largest magnitude and multiplied back: exact in floating point (the same
        numbers as without it), but targets near 1e300 (whose squares overflow)
        or 1e-300 (whose squares underflow) are standardised as any others.
        """
        self._y_mean = np.zeros(n_tasks)
        self._y_scale = np.ones(n_tasks)
        if self._classifier or not self.standardize_targets:
            return
        counts = np.bincount(task, weights=weights, minlength=n_tasks)
        top = np.zeros(n_tasks)
        np.maximum.at(top, task, np.abs(values))
        # 2**e >= top (1 for a task of zeros), capped at float64's largest power of two
        top = np.ldexp(1.0, np.minimum(np.frexp(top)[1], 1023))
        unit = values / top[task]
        s = 1.0 if weights is None else weights
        mean = np.bincount(task, weights=s * unit, minlength=n_tasks) / counts
        spread = np.bincount(task, weights=s * (unit - mean[task]) ** 2,
                             minlength=n_tasks) / counts
        scale = top * np.sqrt(spread)
        self._y_mean = top * mean
        self._y_scale = np.where(scale > 0, scale, 1.0)  # a constant task keeps its units

    def _prepare_more(self, X, y, sample_weight=None):
        """Validate a later partial_fit's input against the fitted tasks, classes and scaling."""
        feats, task_index = check_predict_data(self, X)
        if task_index is not None and np.any(task_index < 0):
            raise ValueError("partial_fit got rows of task(s) not seen in the first fit; the "
                             "networks' tasks are fixed then: refit with every task.")
        n, T = feats.shape[0], self.n_tasks_
        y = check_target(y, n, allow_2d_nan=task_index is None, classifier=self._classifier)
        sw = None
        if sample_weight is not None:
            sw = check_sample_weight(sample_weight, n, np.float64)
            if not np.any(sw > 0):
                raise ValueError("sample_weight is 0 on every row; give some rows a positive "
                                 "weight.")
            keep = np.flatnonzero(sw > 0)  # rows of weight 0 removed, as in fit
            feats, y, sw = feats[keep], y[keep], sw[keep]
            task_index = None if task_index is None else task_index[keep]
            n = len(keep)
            sw = None if np.all(sw == 1) else sw
        dtype = np.dtype(self.dtype)
        feats = scale_features(feats, self._x_scale, dtype)  # the first call's scales
        if task_index is None:
            Y = y.reshape(-1, 1) if y.ndim == 1 else y
            if Y.shape[1] != T:
                raise ValueError(f"y has {Y.shape[1]} task column(s), but {type(self).__name__} "
                                 f"was fitted with {T}.")
            observed = ~is_missing(Y)
            Y = self._encode(Y, observed)
            Y = np.where(observed, (Y - self._y_mean) / self._y_scale, 0.0)
            M = observed if sw is None else observed * sw[:, None]
            return NeuralData(feats, T, Y=Y.astype(dtype), M=M.astype(dtype))
        y = self._encode(y, np.ones(n, dtype=bool))
        y = (y - self._y_mean[task_index]) / self._y_scale[task_index]
        return NeuralData(feats, T, y=y.astype(dtype), task=task_index,
                          w=None if sw is None else sw.astype(dtype))

    def _encode(self, Y, observed):
        """Targets as floats: labels mapped to -1/+1 for classifiers (must be in ``classes_``)."""
        if not self._classifier:
            return np.asarray(Y, dtype=np.float64)
        labels = Y[observed]
        unknown = ~np.isin(labels, self.classes_)
        if np.any(unknown):
            raise ValueError(f"y holds label(s) {np.unique(labels[unknown])[:5].tolist()} not "
                             f"in classes_ {self.classes_.tolist()} seen in the first fit.")
        return np.where(observed & (Y == self.classes_[1]), 1.0, -1.0)

    # -- training -------------------------------------------------------------
    def _initialize(self, data):
        """Fresh parameters, optimiser, task weighting and random generator; empty curves."""
        T, p = data.n_tasks, data.X.shape[1]
        rng = _generator(self.random_state)
        buf = ParamBuffer(T, np.dtype(self.dtype))
        net = self._make_net(buf, p, T)
        n_net_params = len(buf.specs)
        if self.adversarial_tasks is not None:
            if self.task_weighting in GRADIENT_WEIGHTINGS:
                raise ValueError(
                    f"adversarial_tasks cannot be combined with task_weighting="
                    f"{self.task_weighting!r} (both rewrite the step's gradient); use "
                    "'equal', 'uncertainty' or 'dwa'.")
            if not net.shared_parameters():
                raise ValueError(
                    f"adversarial_tasks reverse the gradient on the parameters the tasks "
                    f"share, and this {type(self).__name__} has none (no trunk, or soft "
                    "sharing without cross_stitch); add hidden layers or set cross_stitch=True.")
        if self.task_weighting in GRADIENT_WEIGHTINGS and not net.shared_parameters():
            raise ValueError(
                f"task_weighting={self.task_weighting!r} acts on the parameters the tasks "
                f"share, and this {type(self).__name__} has none (no trunk, or soft sharing "
                "without cross_stitch); add hidden layers or cross_stitch=True, or choose "
                "another task_weighting.")
        weighting = TaskWeighting(self.task_weighting, T, self.dwa_temperature,
                                  self.gradnorm_alpha)
        weighting.register(buf)
        buf.build()
        net.initialize(buf, rng)
        weighting.initialize(buf)
        optimizer = Adam(buf.theta.size, buf.dtype, learning_rate=self.learning_rate_init)
        self._state = TrainState(net, buf, optimizer, weighting, rng, self._loss)
        self._state.n_net_params = n_net_params
        self.target_mean_ = self._y_mean
        self.target_scale_ = self._y_scale
        self.feature_scale_ = self._x_scale
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self.validation_loss_curve_ = None
        self.best_validation_loss_ = None
        self.n_iter_ = 0
        self.t_ = 0

    def _sync_state(self):
        """Carry parameters changed by ``set_params`` into the training state."""

    def _train(self, data, incremental):
        self._sync_state()
        state = self._state
        main = self._main_task_mask()
        # auxiliary tasks' losses weighted by auxiliary_weight (L_t -> a_t L_t)
        state.task_scale = None if main.all() else np.where(main, 1.0, self.auxiliary_weight)
        self.main_tasks_ = np.asarray(self.tasks_)[main]
        adversarial = self._adversarial_mask()
        state.adversarial = None
        if adversarial.any():  # the gradient-reversal layer's factors (adversarial_weight)
            state.adversarial = (adversarial, reversal_factors(
                state.net, state.buf, state.n_net_params, adversarial, self.adversarial_weight))
            own = state.net.owned_by(state.buf, np.flatnonzero(adversarial))
            if state.adversary is None or not np.array_equal(state.adversary.index,
                                                             np.flatnonzero(own)):
                state.adversary = AdversaryUpdates(own, state.buf.dtype,
                                                   self.learning_rate_init)
            adv_opt = state.adversary.optimizer
            adv_opt.learning_rate, adv_opt.beta1, adv_opt.beta2, adv_opt.eps = (
                self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon)
        state.adversary_steps = self.adversarial_steps
        # a fresh adversary every `reset` epochs (networks with adversarial heads of their own)
        reset = (self.adversarial_reset if state.adversarial is not None
                 and getattr(state.net, "adversary", None) is not None else None)
        state.adversarial_objective = self.adversarial_objective
        state.adversarial_covariance = float(self.adversarial_covariance)
        opt = state.optimizer
        opt.learning_rate, opt.beta1, opt.beta2, opt.eps = (
            self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon)
        early = self.early_stopping and not incremental
        if early:
            train, val = validation_split(data, self.validation_fraction, state.rng)
            self.validation_loss_curve_ = []
            self.best_validation_loss_ = np.inf
            best_theta = state.buf.theta.copy()
        else:
            train, val = np.arange(data.n_samples), None
        n_train = len(train)
        batch_size = min(200, n_train) if self.batch_size == "auto" else \
            min(self.batch_size, n_train)
        buf = state.buf
        top = float(np.finfo(buf.dtype).max)
        if self.alpha > top:  # the decay would be inf from the first step
            raise ValueError(f"alpha={self.alpha:g} exceeds the largest {buf.dtype} number "
                             f"({top:.3g}), so the weight decay overflows; lower alpha.")
        decay = (self.alpha * buf.decay_mask).astype(buf.dtype)
        stalled = 0
        converged = False
        # partial_fit keeps the model of the previous call if this one diverges
        saved = (buf.theta.copy(), opt.m.copy(), opt.v.copy(), opt.t) if incremental else None
        # Overflow in an epoch is judged after it (_check_finite), not warned about per operation.
        with blas_threads_for(batch_size * buf.theta.size), \
                np.errstate(over="ignore", invalid="ignore"):
            for _ in range(1 if incremental else self.max_iter):
                if reset and self.n_iter_ > 0 and self.n_iter_ % reset == 0:
                    _reset_adversary(state)
                loss, task_means = run_epoch(state, data, train, batch_size, self.shuffle, decay)
                theta = buf.theta.astype(np.float64)
                loss += 0.5 * self.alpha * float(np.sum(buf.decay_mask * theta * theta))
                loss += state.net.penalty(buf, grad=False)
                self._check_finite(loss, saved)
                state.weighting.end_epoch(task_means)
                if hasattr(state.net, "end_epoch"):  # the relationship net's covariance
                    state.net.end_epoch(buf)
                self.loss_curve_.append(loss)
                self.n_iter_ += 1
                self.t_ += n_train
                if early:
                    # only the main tasks count for early stopping
                    current = float(task_losses(state, buf, data, val)[main].sum())
                    if not np.isfinite(current):
                        raise ValueError(self._divergence(
                            f"the validation loss is {current} at epoch {self.n_iter_}"))
                    self.validation_loss_curve_.append(current)
                    best = self.best_validation_loss_
                    if current < best:
                        self.best_validation_loss_ = current
                        best_theta = buf.theta.copy()
                else:
                    current, best = loss, self.best_loss_
                self.best_loss_ = min(self.best_loss_, loss)
                stalled = stalled + 1 if current > best - self.tol else 0
                if self.verbose:
                    extra = f", validation loss = {current:.6f}" if early else ""
                    print(f"Epoch {self.n_iter_}, loss = {loss:.6f}{extra}")
                if not incremental and stalled > self.n_iter_no_change:
                    converged = True
                    break
        if early:
            buf.theta[...] = best_theta  # the parameters of the best validation loss
        if not incremental and not converged:
            what = "validation" if early else "training"
            warnings.warn(
                f"{type(self).__name__} reached max_iter={self.max_iter} epochs and the "
                f"{what} loss still improved by more than tol={self.tol:g} within the last "
                f"{self.n_iter_no_change} epochs (last {what} loss {current:.6g}). Increase "
                "max_iter or tol.", ConvergenceWarning, stacklevel=3)
        self._publish()

    def _check_finite(self, loss, saved):
        """Raise the divergence error if the epoch's loss, the parameters or Adam's second
        moments are not finite (an overflow, e.g. of the squared error or of the decay term,
        shows in one of them before it turns the parameters into NaN); ``saved`` (partial_fit)
        restores the parameters and moments of before the epoch first."""
        buf, opt = self._state.buf, self._state.optimizer
        if np.isfinite(loss) and np.isfinite(buf.theta).all() and np.isfinite(opt.v).all():
            return
        what = [f"the training loss is {loss:.3g}"]
        bad = int(np.count_nonzero(~np.isfinite(buf.theta)))
        if bad:
            what.append(f"{bad} of {buf.theta.size} parameters are not finite")
        elif not np.isfinite(opt.v).all():
            what.append("Adam's squared gradients overflow")
        if saved is not None:
            buf.theta[...], opt.m[...], opt.v[...], opt.t = saved
        raise ValueError(self._divergence(f"at epoch {self.n_iter_ + 1} " + " and ".join(what)))

    def _divergence(self, what):
        """The one-line message of a training that cannot stay finite: what happened, then
        the settings to change, with their current values."""
        knobs = [f"learning_rate_init (now {self.learning_rate_init:g})",
                 f"alpha (now {self.alpha:g})"]
        if getattr(self, "soft_sharing", 0):
            knobs.append(f"soft_sharing (now {self.soft_sharing:g})")
        fix = "scale the features or lower " + ", ".join(knobs[:-1]) + " or " + knobs[-1]
        if not self._classifier and not self.standardize_targets:
            # unstandardised targets are the likeliest cause: their squared errors overflow
            fix = "set standardize_targets=True (or scale the targets), " + fix
        return f"{type(self).__name__} training diverged: {what}; {fix}."

    def _discard_training(self):
        """Forget a training that failed: the estimator is unfitted again (a first
        ``partial_fit`` call or ``fit`` that raised leaves no half-trained state)."""
        for name in ("_state", "_predict_buf", "coefs_", "intercepts_", "cross_stitch_",
                     "task_weights_", "loss_curve_", "best_loss_", "validation_loss_curve_",
                     "best_validation_loss_", "n_iter_", "t_", "target_mean_", "target_scale_",
                     "feature_scale_", "main_tasks_", "task_covariance_", "task_correlation_",
                     "adversary_coefs_", "adversary_intercepts_"):
            self.__dict__.pop(name, None)

    def _publish(self):
        """Fitted attributes from the training state; a float64 copy of the parameters
        for prediction."""
        state = self._state
        self._predict_buf = state.buf.copy_as(np.float64)
        coefs, intercepts, stitches = state.net.export(state.buf)
        # The first layer in the units of X (it reads X / scale): W / scale along its input
        # axis, the second-to-last of every layout; exact, by powers of two.
        coefs[0] = (coefs[0] / self._x_scale[:, None]).astype(coefs[0].dtype)
        self.coefs_ = coefs
        self.intercepts_ = intercepts
        if stitches:
            self.cross_stitch_ = stitches
        elif hasattr(self, "cross_stitch_"):
            del self.cross_stitch_  # from an earlier fit with cross-stitch units
        self.task_weights_ = state.weighting.current(state.buf)
        if hasattr(state.net, "fitted"):  # the network's own fitted attributes
            for name, value in state.net.fitted().items():
                setattr(self, name, value)
        for name in ("adversary_coefs_", "adversary_intercepts_"):
            if hasattr(self, name):
                delattr(self, name)  # from an earlier fit with adversarial heads
        if getattr(state.net, "adversary", None) is not None:
            for name, value in state.net.adversary_heads(state.buf).items():
                setattr(self, name, value)

    # -- public API -----------------------------------------------------------
    @with_entries(FIT_DATA)
    def fit(self, X, y, sample_weight=None):
        """Train the network (from a fresh initialisation).

        Each task's loss is the weighted mean of its rows' losses (early
        stopping's validation loss too): integer weights train as repeated
        rows, a weight of 0 as the row removed.

        Parameters
        ----------
        """
        self._check_params()
        data = self._prepare_fit(X, y, sample_weight)
        self._initialize(data)
        try:
            self._train(data, incremental=False)
        except ValueError:
            self._discard_training()
            raise
        return self

    def _partial_fit(self, X, y, sample_weight=None):
        self._check_params()
        first = not hasattr(self, "_state")
        if first:
            data = self._prepare_fit(X, y, sample_weight)
            self._initialize(data)
        else:
            data = self._prepare_more(X, y, sample_weight)
        try:
            self._train(data, incremental=True)
        except ValueError:
            if first:
                self._discard_training()
            raise
        return self

    def _scored_tasks(self):
        """Only the main tasks are scored (the prediction base's hook)."""
        main = self._main_task_mask()
        return None if main.all() else main

    # -- the forward pass: the prediction base's output hooks ------------------------
    def _input_features(self, feats):
        """The features in the units the first layer reads (divided by ``feature_scale_``)."""
        return scale_features(feats, self._x_scale, np.float64)

    def _output_dtype(self):
        return np.dtype(np.float64)  # predictions use a float64 copy of the parameters

    def _shared_outputs(self, feats):
        """Every task's output, in the targets' units: (n_samples, n_tasks)."""
        Z = predict_raw(self._state.net, self._predict_buf, feats, self.n_tasks_, None)
        return Z * self._y_scale + self._y_mean

    def _task_outputs(self, feats, task_index):
        """Outputs of the rows' task models, in the targets' units."""
        Z = predict_raw(self._state.net, self._predict_buf, feats, self.n_tasks_, task_index)
        return Z * self._y_scale[task_index] + self._y_mean[task_index]

    def _unseen_task_outputs(self, feats):
        """The mean over tasks of the task models' outputs (``unseen_tasks="mean"``).

        With linear heads (the default) that is the shared trunk with the mean head.
        """
        return np.mean([self._task_outputs(feats, np.full(feats.shape[0], t))
                        for t in range(self.n_tasks_)], axis=0)


# With float32 training, coefs_[0] holds first-layer weights (of order 2**-20 to 2**20)
# divided by the feature scales; scales within 2**+-100 keep them among float32's normal
# numbers (2**-126 to 2**128).
_FLOAT32_SCALE_EXPONENT = 100


def _reset_adversary(state):
    """Fresh adversarial heads (``adversarial_reset``): new initial weights, Adam moments
    zeroed (those of the extra updates and the network's at their entries)."""
    state.net.adversary.initialize(state.buf, state.rng)
    extra = state.adversary.optimizer
    extra.m[:] = 0.0
    extra.v[:] = 0.0
    extra.t = 0
    own = state.adversary.index
    state.optimizer.m[own] = 0.0
    state.optimizer.v[own] = 0.0


def _check_scale_fits(scale, dtype):
    """Refuse float32 training on features whose units put ``coefs_[0]`` outside float32."""
    if dtype != np.float32:
        return
    far = np.flatnonzero(np.abs(np.log2(scale)) > _FLOAT32_SCALE_EXPONENT)
    if far.size:
        raise ValueError(
            f"Feature(s) at position(s) {far[:5].tolist()} of X's features have root mean square "
            f"{scale[far[0]]:.3g}: their weights in X's units (coefs_[0]) do not fit "
            "float32; use dtype='float64' or rescale these features.")


def _row_weights(est, container, X, sample_weight):
    """``fit``'s ``sample_weight`` for the container's rows: ``(weights, keep)``.

    ``keep`` indexes the rows of positive weight (None if all are), ``weights``
    are theirs in float64 (None if all are 1: unweighted training, bit for
    bit).  The per-task layout's container holds the rows sorted by task
    (stably); the weights follow them.  Validated by ``check_fit_data``
    already (shape, finite, nonnegative, a positive weight in every task).
    """
    sw = check_sample_weight(sample_weight, container.n_samples, np.float64)
    if container.layout == "stacked":
        task_index = np.searchsorted(est.tasks_, read_tasks(X, est.task_column))
        sw = sw[np.argsort(task_index, kind="stable")]
    keep = None
    if np.any(sw == 0):
        keep = np.flatnonzero(sw > 0)
        sw = sw[keep]
    return (None if np.all(sw == 1) else sw), keep


def _generator(random_state):
    """A numpy Generator: seeded by an int, drawn from a RandomState, fresh for None."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, numbers.Integral):
        return np.random.default_rng(int(random_state))
    return np.random.default_rng(check_random_state(random_state).randint(2 ** 31 - 1))


class NeuralRegressorMixin(MultiTaskRegressorMixin):
    """Regressor API (``predict``, mean per-task R^2 ``score``) plus ``partial_fit``."""

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``, continuing the current training (or starting one).

        The first call (or one after ``fit``) fixes the tasks, the target
        standardisation and the architecture; later calls may hold any subset
        of the tasks. Early stopping does not apply.

        Parameters
        ----------
        X, y, sample_weight : as in ``fit``

        Returns
        -------
        self : object
        """
        return self._partial_fit(X, y, sample_weight)


class NeuralClassifierMixin(MultiTaskClassifierMixin):
    """Binary classifier per task (``decision_function``, ``predict_proba``) plus ``partial_fit``."""

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``(X, y)``, continuing the current training (or starting one).

        Parameters
        ----------
        X, y : as in ``fit``
            The first call must hold both classes in every task; later calls
            may hold any subset of the tasks and of ``classes_``.
        classes : array-like of shape (2,), default=None
            The two labels, checked against those found (scikit-learn's
            ``partial_fit`` signature).
        sample_weight : as in ``fit``

        Returns
        -------
        self : object
        """
        first = not hasattr(self, "_state")
        if not first and classes is not None:
            _check_classes(classes, self.classes_)
        self._partial_fit(X, y, sample_weight)
        if first and classes is not None:
            _check_classes(classes, self.classes_)
        return self


def _check_classes(classes, fitted):
    classes = np.unique(np.asarray(classes))
    if classes.shape != fitted.shape or np.any(classes != fitted):
        raise ValueError(f"classes={classes.tolist()} differ from the labels of y "
                         f"{fitted.tolist()}; both tasks' classes must be the same two labels.")
