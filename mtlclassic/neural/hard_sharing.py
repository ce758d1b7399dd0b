"""Hard parameter sharing: one trunk shared by every task, one head per task."""

from .._docstrings import complete_pair
from .._prediction import store_params
from ._base import NeuralClassifierMixin, NeuralMultiTaskModel, NeuralRegressorMixin, \
    _layer_sizes
from ._networks import HardSharingNet


class _HardSharing(NeuralMultiTaskModel):
    def __init__(self, hidden_layer_sizes=(100,), *, head_layer_sizes=(), task_layers=None,
                 activation="relu",
                 dropout=0.0, alpha=1e-4, batch_size="auto", learning_rate_init=1e-3, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, task_column=None, unseen_tasks="error", task_weighting="equal",
                 dwa_temperature=2.0, gradnorm_alpha=1.5, main_tasks=None,
                 auxiliary_weight=1.0,
                 adversarial_tasks=None, adversarial_weight=1.5,
                 adversarial_steps=10, adversarial_layer_sizes=(32,),
                 adversarial_objective="confusion", adversarial_reset=1,
                 adversarial_covariance=0.5, dtype="float32",
                 verbose=False):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        _layer_sizes(self.head_layer_sizes, "head_layer_sizes", allow_empty=True)
        if self.task_layers is not None:
            _layer_sizes(self.task_layers, "task_layers", allow_empty=False)

    def _task_layers(self, n_tasks, hidden, head_hidden):
        """Each task's trunk depth (None: all read the last layer), checked against the
        architecture."""
        if self.task_layers is None:
            return None
        depths = _layer_sizes(self.task_layers, "task_layers", allow_empty=False)
        if len(depths) != n_tasks:
            raise ValueError(f"task_layers has {len(depths)} entries for {n_tasks} tasks; give "
                             "one trunk depth per task, in the order of tasks_.")
        if head_hidden:
            raise ValueError("task_layers needs linear heads: set head_layer_sizes=().")
        if max(depths) != len(hidden):
            raise ValueError(
                f"task_layers reads trunk depths up to {max(depths)}, but hidden_layer_sizes "
                f"has {len(hidden)} layer(s): every depth must be at most {len(hidden)}, and "
                "some task must read the last layer (drop the layers no task reads).")
        return depths

    def _make_net(self, buf, n_features, n_tasks):
        hidden = _layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes", allow_empty=True)
        head_hidden = _layer_sizes(self.head_layer_sizes, "head_layer_sizes", allow_empty=True)
        return HardSharingNet(buf, n_features, n_tasks, hidden, head_hidden, self.activation,
                              self.dropout, self._task_layers(n_tasks, hidden, head_hidden),
                              *self._adversary_architecture())


class HardSharingMLPRegressor(NeuralRegressorMixin, _HardSharing):
    """Multi-task MLP regressor with a shared trunk and one head per task.

    Architecture (Caruana 1997): a trunk ``h = g(x)`` of dense layers
    ``hidden_layer_sizes`` shared by all tasks, then one head per task,
    ``f_t(x) = head_t(h)``: linear (``v_t . h + c_t``) by default, or dense
    layers ``head_layer_sizes`` then a linear output. Each row trains the trunk
    and its own task's head.

    Training minimises, over mini-batches::

        sum_t w_t L_t  +  alpha/2 ||weights||^2

        L_t = 1/(2 n_t) sum_{i in t} (y~_i - f_t(x_i))^2

    ``L_t`` is task t's mean loss over its ``n_t`` rows in the batch, so
    unbalanced tasks do not silently reweight; ``y~ = (y - mean_t) / sd_t``
    are the targets standardised per task (predictions are mapped back).

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Widths of the shared trunk's layers (empty: heads read ``x``).
    head_layer_sizes : int or sequence of int, default=()
        Hidden widths of every task's head; empty: linear heads.
    task_layers : sequence of int or None, default=None
        Low supervision (Sogaard & Goldberg 2016): the trunk depth each
        task's linear head reads, one per task in the order of ``tasks_``
        (1: the first hidden layer's output; the largest must be the number
        of hidden layers). None: every head reads the last layer.
    standardize_targets : bool, default=True
        Train on each task's targets standardised by the task's mean and
        standard deviation (over its observed rows); predictions are mapped
        back. Without it, tasks with large targets dominate the summed loss.

    Attributes
    ----------
    coefs_ : list of ndarray
        Layer weights: trunk layers of shape (n_in, n_out), then head
        layers of shape (n_tasks, n_in, n_out) (linear heads: one layer of
        shape (n_tasks, hidden_layer_sizes[-1], 1); with ``task_layers``,
        of shape (n_tasks, max(hidden_layer_sizes), 1), zero past the width
        of the layer a task reads).
        ``coefs_[0]`` acts on ``X`` itself (the feature scaling is folded
        into it).
    adversary_coefs_, adversary_intercepts_ : list of ndarray
        With ``adversarial_tasks`` whose heads differ from the others
        (``adversarial_layer_sizes``): the adversarial tasks' own heads, layers
        of shape (n_adversarial, n_in, n_out) in the order of ``tasks_``
        (their entries in the heads of ``coefs_`` are then unused).
    target_mean_, target_scale_ : ndarray of shape (n_tasks,)
        Per-task target standardisation (zeros and ones when off).
    """

    def __init__(self, hidden_layer_sizes=(100,), *, head_layer_sizes=(), task_layers=None,
                 activation="relu",
                 dropout=0.0, alpha=1e-4, batch_size="auto", learning_rate_init=1e-3, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, task_column=None, unseen_tasks="error", task_weighting="equal",
                 dwa_temperature=2.0, gradnorm_alpha=1.5, main_tasks=None,
                 auxiliary_weight=1.0,
                 adversarial_tasks=None, adversarial_weight=1.5,
                 adversarial_steps=10, adversarial_layer_sizes=(32,),
                 adversarial_objective="confusion", adversarial_reset=1,
                 adversarial_covariance=0.5,
                 standardize_targets=True,
                 dtype="float32", verbose=False):
        store_params(self, locals())


class HardSharingMLPClassifier(NeuralClassifierMixin, _HardSharing):
    """Multi-task MLP binary classifier with a shared trunk and one head per task.

    Training minimises, over mini-batches::

        sum_t w_t L_t  +  alpha/2 ||weights||^2

        L_t = 1/n_t sum_{i in t} log(1 + exp(-y_i f_t(x_i)))

    ``L_t`` is task t's mean loss over its ``n_t`` rows in the batch, so
    unbalanced tasks do not silently reweight; the labels ``classes_`` map
    to ``y in {-1, +1}`` and ``f_t`` is the logit.
    """


complete_pair(HardSharingMLPRegressor, HardSharingMLPClassifier)
