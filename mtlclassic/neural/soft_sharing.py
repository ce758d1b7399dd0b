"""Soft parameter sharing: one network per task, tied by a penalty (and cross-stitch units)."""

from .._docstrings import complete_pair
from .._prediction import store_params
from ._base import (NeuralClassifierMixin, NeuralMultiTaskModel, NeuralRegressorMixin,
                    _check_number, _layer_sizes)
from ._networks import SoftSharingNet


class _SoftSharing(NeuralMultiTaskModel):
    def __init__(self, hidden_layer_sizes=(100,), *, soft_sharing=0.01, cross_stitch=False,
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
        _check_number(self, "soft_sharing", 0.0)
        if not isinstance(self.cross_stitch, bool):
            raise ValueError(f"cross_stitch must be a bool, got {self.cross_stitch!r}.")

    def _make_net(self, buf, n_features, n_tasks):
        return SoftSharingNet(
            buf, n_features, n_tasks,
            _layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes", allow_empty=True),
            self.activation, self.dropout, self.soft_sharing, self.cross_stitch)

    def _sync_state(self):
        self._state.net.soft_sharing = float(self.soft_sharing)  # set_params between calls


class SoftSharingMLPRegressor(NeuralRegressorMixin, _SoftSharing):
    """Multi-task MLP regressor: one network per task, softly tied.

    Architecture: one MLP ``f_t`` per task (dense layers ``hidden_layer_sizes``
    then a linear output), all initialised alike, with parameters ``theta_t``
    tied by the penalty ``soft_sharing * sum_t ||theta_t - theta_bar||^2``
    (``theta_bar`` the mean over tasks, every layer's weights and biases):
    ``soft_sharing = 0`` gives independent networks, a large value one shared
    network. With ``cross_stitch=True`` a learned ``T x T`` unit after every
    hidden layer feeds task t's next layer ``sum_s a[t, s] h_s``, a mixture
    of every task's activations on the same row (Misra et al. 2016),
    initialised near the identity (0.9 on the diagonal, rows summing to 1).

    Training minimises, over mini-batches::

        sum_t w_t L_t  +  alpha/2 ||weights||^2
            +  soft_sharing * sum_t ||theta_t - theta_bar||^2

        L_t = 1/(2 n_t) sum_{i in t} (y~_i - f_t(x_i))^2

    ``L_t`` is task t's mean loss over its ``n_t`` rows in the batch, so
    unbalanced tasks do not silently reweight; ``y~ = (y - mean_t) / sd_t``
    are the targets standardised per task (predictions are mapped back).

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Widths of every task's network's hidden layers.
    soft_sharing : float, default=0.01
        ``lambda >= 0`` of the penalty ``lambda sum_t ||theta_t - theta_bar||^2``.
    cross_stitch : bool, default=False
        Cross-stitch units between the task networks. Every network then
        runs on every row up to the last hidden layer (each unit mixes every
        task's activations on the same row), so in the per-task layout the
        hidden layers cost T times more; the last unit's mixture and the
        output layer run for the row's own task only.
    standardize_targets : bool, default=True
        Train on each task's targets standardised by the task's mean and
        standard deviation (over its observed rows); predictions are mapped
        back. Without it, tasks with large targets dominate the summed loss.

    Attributes
    ----------
    coefs_ : list of ndarray
        Layer weights: of shape (n_tasks, n_in, n_out), one per layer.
        ``coefs_[0]`` acts on ``X`` itself (the feature scaling is folded
        into it).
    cross_stitch_ : list of ndarray of shape (n_tasks, n_tasks)
        With ``cross_stitch=True`` (and more than one task): the units, one
        per hidden layer; row t mixes the activations task t reads.
    target_mean_, target_scale_ : ndarray of shape (n_tasks,)
        Per-task target standardisation (zeros and ones when off).

    References
    ----------
    Misra, I., Shrivastava, A., Gupta, A. and Hebert, M. (2016). Cross-stitch
    networks for multi-task learning. CVPR.
    Duong, L., Cohn, T., Bird, S. and Cook, P. (2015). Low resource dependency
    parsing: cross-lingual parameter sharing in a neural network parser. ACL
    (the l2 soft-sharing penalty).
    """

    def __init__(self, hidden_layer_sizes=(100,), *, soft_sharing=0.01, cross_stitch=False,
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


class SoftSharingMLPClassifier(NeuralClassifierMixin, _SoftSharing):
    """Multi-task MLP binary classifier: one network per task, softly tied.

    Training minimises, over mini-batches::

        sum_t w_t L_t  +  alpha/2 ||weights||^2
            +  soft_sharing * sum_t ||theta_t - theta_bar||^2

        L_t = 1/n_t sum_{i in t} log(1 + exp(-y_i f_t(x_i)))

    ``L_t`` is task t's mean loss over its ``n_t`` rows in the batch, so
    unbalanced tasks do not silently reweight; the labels ``classes_`` map
    to ``y in {-1, +1}`` and ``f_t`` is the logit.
    """


complete_pair(SoftSharingMLPRegressor, SoftSharingMLPClassifier)
