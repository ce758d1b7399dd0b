"""Relationship networks: a shared trunk, task heads tied by a learned task covariance."""

from .._docstrings import complete_pair
from .._prediction import store_params
from ._base import (NeuralClassifierMixin, NeuralMultiTaskModel, NeuralRegressorMixin,
                    _check_number, _layer_sizes)
from ._relationship import RelationshipNet


class _Relationship(NeuralMultiTaskModel):
    def __init__(self, hidden_layer_sizes=(100,), *, relationship=0.01, activation="relu",
                 dropout=0.0, alpha=1e-4, batch_size="auto", learning_rate_init=1e-3, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, task_column=None, unseen_tasks="error", task_weighting="equal",
                 dwa_temperature=2.0, gradnorm_alpha=1.5, main_tasks=None,
                 auxiliary_weight=1.0, adversarial_tasks=None, adversarial_weight=1.5,
                 adversarial_steps=10, adversarial_layer_sizes=(32,),
                 adversarial_objective="confusion", adversarial_reset=1,
                 adversarial_covariance=0.5,
                 dtype="float32", verbose=False):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        _check_number(self, "relationship", 0.0)

    def _make_net(self, buf, n_features, n_tasks):
        return RelationshipNet(
            buf, n_features, n_tasks,
            _layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes", allow_empty=True),
            self.activation, self.dropout, self.relationship, *self._adversary_architecture())

    def _sync_state(self):
        self._state.net.strength = float(self.relationship)  # set_params between calls


class RelationshipMLPRegressor(NeuralRegressorMixin, _Relationship):
    """Multi-task MLP regressor: a shared trunk, linear task heads with a learned task covariance.

    Architecture (Long et al. 2017, relationship networks): a trunk
    ``h = g(x)`` of dense layers ``hidden_layer_sizes`` shared by all tasks,
    then a linear head per task, ``f_t(x) = v_t . h + c_t``. The heads'
    stacked weights ``V`` (n_tasks, h) carry a matrix-normal prior
    ``MN(0, Omega, I)`` whose task covariance ``Omega`` (trace 1, as in MTRL)
    is learned: after every epoch it takes its closed-form value at the
    current heads, ``Omega = (V V^T + epsilon I)^(1/2) / tr(...)`` with
    ``epsilon`` 1% of the mean squared head norm. Tasks correlated in
    ``Omega`` pull their heads together.

    Training minimises, over mini-batches::

        sum_t w_t L_t  +  alpha/2 ||weights||^2  +  relationship/2 * tr(V^T Omega^-1 V)

        L_t = 1/(2 n_t) sum_{i in t} (y~_i - f_t(x_i))^2

    ``L_t`` is task t's mean loss over its ``n_t`` rows in the batch;
    ``y~ = (y - mean_t) / sd_t`` are the targets standardised per task
    (predictions are mapped back).

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Widths of the shared trunk's layers (empty: heads read ``x``).
    relationship : float, default=0.01
        ``lambda >= 0``, the strength of the heads' matrix-normal prior
        (0: independent heads on the shared trunk, hard sharing).
    standardize_targets : bool, default=True
        Train on each task's targets standardised by the task's mean and
        standard deviation (over its observed rows); predictions are mapped
        back. Without it, tasks with large targets dominate the summed loss.

    Attributes
    ----------
    coefs_ : list of ndarray
        Layer weights: trunk layers of shape (n_in, n_out), then the heads,
        of shape (n_tasks, hidden_layer_sizes[-1], 1). ``coefs_[0]`` acts on
        ``X`` itself (the feature scaling is folded into it).
    task_covariance_ : ndarray of shape (n_tasks, n_tasks)
        The learned task covariance ``Omega`` of the heads (trace 1).
    task_correlation_ : ndarray of shape (n_tasks, n_tasks)
        ``Omega`` scaled to unit diagonal.
    adversary_coefs_, adversary_intercepts_ : list of ndarray
        With ``adversarial_tasks`` whose heads differ from the others
        (``adversarial_layer_sizes``): the adversarial tasks' own heads, layers
        of shape (n_adversarial, n_in, n_out) in the order of ``tasks_``
        (their entries in the heads of ``coefs_`` are then unused).
    target_mean_, target_scale_ : ndarray of shape (n_tasks,)
        Per-task target standardisation (zeros and ones when off).

    References
    ----------
    Long, M., Cao, Z., Wang, J. and Yu, P. S. (2017). Learning multiple tasks
    with multilinear relationship networks. NeurIPS.
    Zhang, Y. and Yeung, D.-Y. (2010). A convex formulation for learning task
    relationships in multi-task learning. UAI (MTRL: the trace-1 covariance
    and its alternating closed-form update).
    """

    def __init__(self, hidden_layer_sizes=(100,), *, relationship=0.01, activation="relu",
                 dropout=0.0, alpha=1e-4, batch_size="auto", learning_rate_init=1e-3, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, task_column=None, unseen_tasks="error", task_weighting="equal",
                 dwa_temperature=2.0, gradnorm_alpha=1.5, main_tasks=None,
                 auxiliary_weight=1.0, adversarial_tasks=None, adversarial_weight=1.5,
                 adversarial_steps=10, adversarial_layer_sizes=(32,),
                 adversarial_objective="confusion", adversarial_reset=1,
                 adversarial_covariance=0.5,
                 standardize_targets=True, dtype="float32", verbose=False):
        store_params(self, locals())


class RelationshipMLPClassifier(NeuralClassifierMixin, _Relationship):
    """Multi-task MLP binary classifier: a shared trunk, linear task heads with a learned task
    covariance.

    Training minimises, over mini-batches::

        sum_t w_t L_t  +  alpha/2 ||weights||^2  +  relationship/2 * tr(V^T Omega^-1 V)

        L_t = 1/n_t sum_{i in t} log(1 + exp(-y_i f_t(x_i)))

    ``L_t`` is task t's mean loss over its ``n_t`` rows in the batch; the
    labels ``classes_`` map to ``y in {-1, +1}`` and ``f_t`` is the logit.
    """


complete_pair(RelationshipMLPRegressor, RelationshipMLPClassifier)
