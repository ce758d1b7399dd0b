"""Tensor-factorised networks (DMTRL): per-task layers sharing the Tucker factors of their
stacked weights."""

import numbers

import numpy as np

from .._docstrings import complete_pair
from .._prediction import store_params
from ._base import (NeuralClassifierMixin, NeuralMultiTaskModel, NeuralRegressorMixin,
                    _layer_sizes)
from ._tensor_factorised import TensorFactorisedNet, tucker_ranks


def _is_count(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


class _TensorFactorised(NeuralMultiTaskModel):
    def __init__(self, hidden_layer_sizes=(64,), *, rank=8, activation="relu", dropout=0.0,
                 alpha=1e-3, batch_size="auto", learning_rate_init=1e-3, max_iter=200,
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

    def _layer_ranks(self):
        """``rank`` as one entry (an int or an (r_in, r_out, r_task) triple) per layer."""
        n_layers = len(_layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes",
                                    allow_empty=True)) + 1
        rank = self.rank
        if _is_count(rank):
            return [rank] * n_layers
        fix = (f"give an int, or one entry per layer ({n_layers}: the hidden layers and the "
               "output), each an int or an (r_in, r_out, r_task) triple of ints >= 1")
        try:
            entries = list(rank)
        except TypeError:
            raise ValueError(f"rank must be an int >= 1 or a sequence, got {rank!r}; "
                             f"{fix}.") from None
        if len(entries) != n_layers:
            raise ValueError(f"rank has {len(entries)} entries for {n_layers} layers; {fix}.")
        for entry in entries:
            ok = _is_count(entry) or (not isinstance(entry, (str, bytes))
                                      and np.ndim(entry) == 1 and len(entry) == 3
                                      and all(_is_count(v) for v in entry))
            if not ok:
                raise ValueError(f"rank holds {entry!r}; {fix}.")
        return entries

    def _check_params(self):
        super()._check_params()
        self._layer_ranks()

    def _make_net(self, buf, n_features, n_tasks):
        hidden = _layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes", allow_empty=True)
        sizes = [n_features, *hidden, 1]
        ranks = [tucker_ranks(r, a, b, n_tasks)
                 for r, a, b in zip(self._layer_ranks(), sizes[:-1], sizes[1:])]
        return TensorFactorisedNet(buf, n_features, n_tasks, hidden, self.activation,
                                   self.dropout, ranks, self.alpha)

    def _sync_state(self):
        self._state.net.alpha = float(self.alpha)  # set_params between calls

    def _publish(self):
        super()._publish()
        fitted = self._state.net.fitted_from(self._predict_buf)
        U_in, U_out, U_task = fitted["factors_"][0]
        # as coefs_[0]: the first layer in the units of X (it reads X / scale)
        fitted["factors_"][0] = (U_in / self._x_scale[:, None], U_out, U_task)
        for name, value in fitted.items():
            setattr(self, name, value)

    def _discard_training(self):
        super()._discard_training()
        for name in ("cores_", "factors_", "ranks_"):
            self.__dict__.pop(name, None)


class TensorFactorisedMLPRegressor(NeuralRegressorMixin, _TensorFactorised):
    """Multi-task MLP regressor: per-task networks whose stacked layers are Tucker tensors (DMTRL).

    Architecture (Yang & Hospedales 2017, deep multi-task representation
    learning): one MLP per task (dense layers ``hidden_layer_sizes``, then a
    linear output). For every layer the task networks' weights, stacked into
    a tensor ``W`` of shape (n_tasks, d_in, d_out), are held in Tucker form::

        W[t, i, o] = sum_{a,b,c} G[a,b,c] U_in[i,a] U_out[o,b] U_task[t,c]

    i.e. ``W[t] = U_in K_t U_out^T`` with ``K_t = sum_c U_task[t,c] G[:,:,c]``:
    every task reads its layer's input through the shared basis ``U_in``
    (d_in x r_in), writes through ``U_out`` (d_out x r_out), and maps between
    them by a combination (its row of ``U_task``) of ``r_task`` shared core
    slices. Full ranks give independent networks; lower ranks share. Biases
    stay per task. The factors start from the truncated higher-order SVD of
    independently drawn per-task weights (the package's default
    initialisation), the core rescaled to the draw's norm.

    Training minimises, over mini-batches::

        sum_t w_t L_t  +  alpha/2 sum_l ||W^l||_F^2

        L_t = 1/(2 n_t) sum_{i in t} (y~_i - f_t(x_i))^2

    over the cores and factors (the decay is on the reconstructed weight
    tensors ``W^l``). ``L_t`` is task t's mean loss over its ``n_t`` rows in
    the batch; ``y~ = (y - mean_t) / sd_t`` are the targets standardised per
    task (predictions are mapped back).

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(64,)
        Widths of every task's network's hidden layers.
    rank : int or sequence, default=8
        Tucker ranks ``(r_in, r_out, r_task)`` of the layers' weight tensors:
        an int for every mode of every layer, or one entry per layer (the
        hidden layers, then the output), each an int or a triple. Each rank
        is capped at its mode's dimension (``d_in``, ``d_out``, ``n_tasks``)
        and at the product of the other two; ``ranks_`` holds the result.
    alpha : float, default=1e-3
        Strength of the weight decay ``alpha/2 sum_l ||W^l||_F^2`` on the
        reconstructed weight tensors (not on the factors). Ten times the
        other networks' default: a product of factors grows faster under
        Adam than one weight matrix, and on separable data (scikit-learn's
        multi-output check, 42 rows) the logits reached 17-33 at 1e-4
        against 14-23 at 1e-3 (12 seeds), where ``predict_proba`` rounds to
        exactly 1 beyond 37.
    standardize_targets : bool, default=True
        Train on each task's targets standardised by the task's mean and
        standard deviation (over its observed rows); predictions are mapped
        back. Without it, tasks with large targets dominate the summed loss.

    Attributes
    ----------
    coefs_ : list of ndarray
        The reconstructed layer weights, of shape (n_tasks, n_in, n_out), one
        per layer (the output's (n_tasks, h, 1)). ``coefs_[0]`` acts on ``X``
        itself (the feature scaling is folded into it).
    cores_ : list of ndarray of shape (r_in, r_out, r_task)
        Each layer's Tucker core ``G``.
    factors_ : list of tuple of ndarray
        Each layer's ``(U_in, U_out, U_task)``, of shapes (d_in, r_in),
        (d_out, r_out), (n_tasks, r_task); the first layer's ``U_in`` acts on
        ``X`` itself.
    ranks_ : list of tuple of int
        Each layer's ``(r_in, r_out, r_task)`` after capping.
    target_mean_, target_scale_ : ndarray of shape (n_tasks,)
        Per-task target standardisation (zeros and ones when off).

    References
    ----------
    Yang, Y. and Hospedales, T. (2017). Deep multi-task representation
    learning: a tensor factorisation approach. ICLR.
    Tucker, L. R. (1966). Some mathematical notes on three-mode factor
    analysis. Psychometrika.
    De Lathauwer, L., De Moor, B. and Vandewalle, J. (2000). A multilinear
    singular value decomposition. SIAM J. Matrix Anal. Appl. (HOSVD).
    """

    def __init__(self, hidden_layer_sizes=(64,), *, rank=8, activation="relu", dropout=0.0,
                 alpha=1e-3, batch_size="auto", learning_rate_init=1e-3, max_iter=200,
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


class TensorFactorisedMLPClassifier(NeuralClassifierMixin, _TensorFactorised):
    """Multi-task MLP binary classifier: per-task networks whose stacked layers are Tucker
    tensors (DMTRL).

    Training minimises, over mini-batches::

        sum_t w_t L_t  +  alpha/2 sum_l ||W^l||_F^2

        L_t = 1/n_t sum_{i in t} log(1 + exp(-y_i f_t(x_i)))

    ``L_t`` is task t's mean loss over its ``n_t`` rows in the batch; the
    labels ``classes_`` map to ``y in {-1, +1}`` and ``f_t`` is the logit.

    Parameters
    ----------
    alpha : float, default=1e-3
        Strength of the weight decay ``alpha/2 sum_l ||W^l||_F^2`` on the
        reconstructed weight tensors; ten times the other networks' default
        (see :class:`TensorFactorisedMLPRegressor`).
    """


complete_pair(TensorFactorisedMLPRegressor, TensorFactorisedMLPClassifier)
