"""Soft parameter sharing: one network per task, tied by a penalty (and cross-stitch units)."""

from .._prediction import store_params
from ._base import (NeuralClassifierMixin, NeuralMultiTaskModel, NeuralRegressorMixin,
                    _check_number, _layer_sizes)
from ._docs import neural_doc
from ._networks import SoftSharingNet

_ARCHITECTURE = """
    Architecture: one MLP ``f_t`` per task (dense layers ``hidden_layer_sizes``
    then a linear output), all initialised alike, with parameters ``theta_t``
    tied by the penalty ``soft_sharing * sum_t ||theta_t - theta_bar||^2``
    (``theta_bar`` the mean over tasks, every layer's weights and biases):
    ``soft_sharing = 0`` gives independent networks, a large value one shared
    network. With ``cross_stitch=True`` a learned ``T x T`` unit after every
    hidden layer feeds task t's next layer ``sum_s a[t, s] h_s``, a mixture
    of every task's activations on the same row (Misra et al. 2016),
    initialised near the identity (0.9 on the diagonal, rows summing to 1).
"""
_HIDDEN = "Widths of every task's network's hidden layers."
_PARAMS = """    soft_sharing : float, default=0.01
        ``lambda >= 0`` of the penalty ``lambda sum_t ||theta_t - theta_bar||^2``.
    cross_stitch : bool, default=False
        Cross-stitch units between the task networks (every network then
        runs on every row, so training costs T times more in the per-task
        layout).
"""
_COEFS = "of shape (n_tasks, n_in, n_out), one per layer."
_STITCH = """    cross_stitch_ : list of ndarray of shape (n_tasks, n_tasks)
        With ``cross_stitch=True`` (and more than one task): the units, one
        per hidden layer; row t mixes the activations task t reads.
"""
_PENALTY = "\n            +  soft_sharing * sum_t ||theta_t - theta_bar||^2"
_REFS = """    Misra, I., Shrivastava, A., Gupta, A. and Hebert, M. (2016). Cross-stitch
    networks for multi-task learning. CVPR.
    Duong, L., Cohn, T., Bird, S. and Cook, P. (2015). Low resource dependency
    parsing: cross-lingual parameter sharing in a neural network parser. ACL
    (the l2 soft-sharing penalty).
"""


class _SoftSharing(NeuralMultiTaskModel):
    def __init__(self, hidden_layer_sizes=(100,), *, soft_sharing=0.01, cross_stitch=False,
                 activation="relu", dropout=0.0, alpha=1e-4, batch_size="auto",
                 learning_rate_init=1e-3, max_iter=200, shuffle=True, random_state=None, tol=1e-4,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, task_column=None, unseen_tasks="error",
                 task_weighting="equal", dwa_temperature=2.0, dtype="float32", verbose=False):
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


_DOC = dict(architecture=_ARCHITECTURE, hidden=_HIDDEN, params=_PARAMS, coefs=_COEFS,
            penalty=_PENALTY,
            extra_attributes=_STITCH, references=_REFS)


class SoftSharingMLPRegressor(NeuralRegressorMixin, _SoftSharing):
    __doc__ = neural_doc("Multi-task MLP regressor: one network per task, softly tied.",
                         "squared", **_DOC)
    _loss = "squared"

    def __init__(self, hidden_layer_sizes=(100,), *, soft_sharing=0.01, cross_stitch=False,
                 activation="relu", dropout=0.0, alpha=1e-4, batch_size="auto",
                 learning_rate_init=1e-3, max_iter=200, shuffle=True, random_state=None, tol=1e-4,
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, task_column=None, unseen_tasks="error",
                 task_weighting="equal", dwa_temperature=2.0, standardize_targets=True,
                 dtype="float32", verbose=False):
        store_params(self, locals())


class SoftSharingMLPClassifier(NeuralClassifierMixin, _SoftSharing):
    __doc__ = neural_doc("Multi-task MLP binary classifier: one network per task, softly tied.",
                         "logistic", **_DOC)
    _loss = "logistic"
