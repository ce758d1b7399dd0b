"""Hard parameter sharing: one trunk shared by every task, one head per task."""

from .._prediction import store_params
from ._base import NeuralClassifierMixin, NeuralMultiTaskModel, NeuralRegressorMixin, \
    _layer_sizes
from ._docs import neural_doc
from ._networks import HardSharingNet

_ARCHITECTURE = """
    Architecture (Caruana 1997): a trunk ``h = g(x)`` of dense layers
    ``hidden_layer_sizes`` shared by all tasks, then one head per task,
    ``f_t(x) = head_t(h)``: linear (``v_t . h + c_t``) by default, or dense
    layers ``head_layer_sizes`` then a linear output. Each row trains the trunk
    and its own task's head.
"""
_HIDDEN = "Widths of the shared trunk's layers (empty: heads read ``x``)."
_PARAMS = """    head_layer_sizes : int or sequence of int, default=()
        Hidden widths of every task's head; empty: linear heads.
"""
_COEFS = """trunk layers of shape (n_in, n_out), then head
        layers of shape (n_tasks, n_in, n_out) (linear heads: one layer of
        shape (n_tasks, hidden_layer_sizes[-1], 1))."""


class _HardSharing(NeuralMultiTaskModel):
    def __init__(self, hidden_layer_sizes=(100,), *, head_layer_sizes=(), activation="relu",
                 dropout=0.0, alpha=1e-4, batch_size="auto", learning_rate_init=1e-3, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, task_column=None, unseen_tasks="error", task_weighting="equal",
                 dwa_temperature=2.0, dtype="float32", verbose=False):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        _layer_sizes(self.head_layer_sizes, "head_layer_sizes", allow_empty=True)

    def _make_net(self, buf, n_features, n_tasks):
        return HardSharingNet(
            buf, n_features, n_tasks,
            _layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes", allow_empty=True),
            _layer_sizes(self.head_layer_sizes, "head_layer_sizes", allow_empty=True),
            self.activation, self.dropout)


class HardSharingMLPRegressor(NeuralRegressorMixin, _HardSharing):
    __doc__ = neural_doc("Multi-task MLP regressor with a shared trunk and one head per task.",
                         "squared", architecture=_ARCHITECTURE, hidden=_HIDDEN, params=_PARAMS,
                         coefs=_COEFS)
    _loss = "squared"

    def __init__(self, hidden_layer_sizes=(100,), *, head_layer_sizes=(), activation="relu",
                 dropout=0.0, alpha=1e-4, batch_size="auto", learning_rate_init=1e-3, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, task_column=None, unseen_tasks="error", task_weighting="equal",
                 dwa_temperature=2.0, standardize_targets=True, dtype="float32", verbose=False):
        store_params(self, locals())


class HardSharingMLPClassifier(NeuralClassifierMixin, _HardSharing):
    __doc__ = neural_doc("Multi-task MLP binary classifier with a shared trunk and one head "
                         "per task.", "logistic", architecture=_ARCHITECTURE, hidden=_HIDDEN,
                         params=_PARAMS, coefs=_COEFS)
    _loss = "logistic"
