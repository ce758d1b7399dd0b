"""Sluice networks: one network per task, subspaces mixed across tasks, layers combined."""

from .._docstrings import complete_pair
from .._prediction import store_params
from ._base import (NeuralClassifierMixin, NeuralMultiTaskModel, NeuralRegressorMixin,
                    _check_number, _layer_sizes)
from ._sluice import SluiceNet


class _Sluice(NeuralMultiTaskModel):
    def __init__(self, hidden_layer_sizes=(64, 64), *, n_subspaces=2, orthogonality=0.01,
                 activation="relu", dropout=0.0, alpha=1e-4, batch_size="auto",
                 learning_rate_init=1e-3, max_iter=200, shuffle=True, random_state=None, tol=1e-4,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, task_column=None, unseen_tasks="error",
                 task_weighting="equal", dwa_temperature=2.0, gradnorm_alpha=1.5,
                 main_tasks=None, auxiliary_weight=1.0,
                 adversarial_tasks=None, adversarial_weight=1.5,
                 adversarial_steps=10, adversarial_layer_sizes=(32,),
                 adversarial_objective="confusion", adversarial_reset=1,
                 adversarial_covariance=0.5, dtype="float32",
                 verbose=False):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        _check_number(self, "orthogonality", 0.0)
        _check_number(self, "n_subspaces", 1, integer=True)
        sizes = _layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes", allow_empty=False)
        if len(set(sizes)) > 1:
            raise ValueError(
                f"hidden_layer_sizes must be one width repeated (the betas add the hidden "
                f"layers' outputs), got {self.hidden_layer_sizes!r}; e.g. ({sizes[0]}, "
                f"{sizes[0]}).")
        if sizes[0] % self.n_subspaces:
            raise ValueError(
                f"The hidden width {sizes[0]} is not a multiple of n_subspaces="
                f"{self.n_subspaces}; choose a width divisible by it.")

    def _make_net(self, buf, n_features, n_tasks):
        return SluiceNet(
            buf, n_features, n_tasks,
            _layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes", allow_empty=False),
            self.activation, self.dropout, self.n_subspaces, self.orthogonality)

    def _sync_state(self):
        self._state.net.orthogonality = float(self.orthogonality)  # set_params between calls

    def _publish(self):
        super()._publish()
        for name, value in self._state.net.fitted_from(self._predict_buf).items():
            setattr(self, name, value)

    def _discard_training(self):
        super()._discard_training()
        for name in ("alphas_", "betas_"):
            self.__dict__.pop(name, None)


class SluiceMLPRegressor(NeuralRegressorMixin, _Sluice):
    """Multi-task MLP regressor: sluice networks (one network per task, learned sharing).

    Architecture (Ruder et al. 2019): one MLP per task (dense layers
    ``hidden_layer_sizes``, all of one width ``h``). Each hidden layer's
    output ``h_t^l`` is split into ``n_subspaces`` subspaces of ``h / S``
    units, and a learned alpha unit (a ``(T S) x (T S)`` matrix per layer,
    initialised near the identity: 0.9 on the diagonal, rows summing to 1)
    feeds every (task, subspace) pair a mixture of all of them on the same
    row, ``h~_{t,s} = sum_{u,r} alpha[(t,s), (u,r)] h_{u,r}``. Task t's
    linear output reads a learned convex combination of its mixed hidden
    layers, ``f_t(x) = v_t . sum_l beta_{t,l} h~_t^l + c_t`` with
    ``beta_t = softmax(b_t)`` (initially uniform).

    Training minimises, over mini-batches::

        sum_t w_t L_t  +  alpha/2 ||weights||^2
            +  orthogonality * sum_t sum_l sum_{s<r} ||A_{t,l,s}^T A_{t,l,r}||_F^2

        L_t = 1/(2 n_t) sum_{i in t} (y~_i - f_t(x_i))^2

    ``A_{t,l,s}`` are the columns of task t's layer-l weights computing
    subspace s (the penalty pushes the subspaces to be orthogonal). ``L_t``
    is task t's mean loss over its ``n_t`` rows in the batch;
    ``y~ = (y - mean_t) / sd_t`` are the targets standardised per task
    (predictions are mapped back). Every task's network runs on every row
    (the alphas mix activations of the same row), so training costs T times
    a single network's in the per-task layout too.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(64, 64)
        Widths of every task's network's hidden layers: one width, repeated
        (the betas add the layers' outputs), a multiple of ``n_subspaces``.
    n_subspaces : int, default=2
        Subspaces per hidden layer, mixed by the alphas.
    orthogonality : float, default=0.01
        Strength of the subspace orthogonality penalty (0: none).
    standardize_targets : bool, default=True
        Train on each task's targets standardised by the task's mean and
        standard deviation (over its observed rows); predictions are mapped
        back. Without it, tasks with large targets dominate the summed loss.

    Attributes
    ----------
    coefs_ : list of ndarray
        Layer weights: of shape (n_tasks, n_in, n_out), one per hidden layer,
        then the outputs (n_tasks, h, 1). ``coefs_[0]`` acts on ``X`` itself
        (the feature scaling is folded into it).
    alphas_ : list of ndarray of shape (n_tasks * n_subspaces, n_tasks * n_subspaces)
        The alpha units, one per hidden layer; row ``t * n_subspaces + s`` is
        the mixture task t's subspace s reads.
    betas_ : ndarray of shape (n_tasks, n_hidden_layers)
        Each task's layer-combination weights (rows sum to 1).
    target_mean_, target_scale_ : ndarray of shape (n_tasks,)
        Per-task target standardisation (zeros and ones when off).

    References
    ----------
    Ruder, S., Bingel, J., Augenstein, I. and Sogaard, A. (2019). Latent
    multi-task architecture learning. AAAI (sluice networks).
    Misra, I., Shrivastava, A., Gupta, A. and Hebert, M. (2016). Cross-stitch
    networks for multi-task learning. CVPR.
    """

    def __init__(self, hidden_layer_sizes=(64, 64), *, n_subspaces=2, orthogonality=0.01,
                 activation="relu", dropout=0.0, alpha=1e-4, batch_size="auto",
                 learning_rate_init=1e-3, max_iter=200, shuffle=True, random_state=None, tol=1e-4,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, task_column=None, unseen_tasks="error",
                 task_weighting="equal", dwa_temperature=2.0, gradnorm_alpha=1.5,
                 main_tasks=None, auxiliary_weight=1.0,
                 adversarial_tasks=None, adversarial_weight=1.5,
                 adversarial_steps=10, adversarial_layer_sizes=(32,),
                 adversarial_objective="confusion", adversarial_reset=1,
                 adversarial_covariance=0.5,
                 standardize_targets=True,
                 dtype="float32", verbose=False):
        store_params(self, locals())


class SluiceMLPClassifier(NeuralClassifierMixin, _Sluice):
    """Multi-task MLP binary classifier: sluice networks (one network per task, learned sharing).

    Training minimises, over mini-batches::

        sum_t w_t L_t  +  alpha/2 ||weights||^2
            +  orthogonality * sum_t sum_l sum_{s<r} ||A_{t,l,s}^T A_{t,l,r}||_F^2

        L_t = 1/n_t sum_{i in t} log(1 + exp(-y_i f_t(x_i)))

    ``L_t`` is task t's mean loss over its ``n_t`` rows in the batch; the
    labels ``classes_`` map to ``y in {-1, +1}`` and ``f_t`` is the logit.
    """


complete_pair(SluiceMLPRegressor, SluiceMLPClassifier)
