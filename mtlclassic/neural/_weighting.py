"""Weighting of the task losses: equal, learned uncertainty (Kendall et al.), DWA (Liu et al.).

Every scheme combines the task mean losses ``L_t`` of a mini-batch into
``sum_t w_t L_t`` (plus, for uncertainty, a term of its own); only tasks with
rows in the batch take part.

* ``"equal"``: ``w_t = 1``.
* ``"uncertainty"`` (Kendall, Gal, Cipolla 2018): one learned log-variance
  ``s_t = log sigma_t^2`` per task, trained with the network::

      sum_t  exp(-s_t) L_t + s_t / 2

  For the squared loss this is the Gaussian negative log-likelihood with
  variance ``sigma_t^2`` (up to a constant); for the logistic loss it is the
  paper's approximation ``L_t / sigma_t^2 + log sigma_t``.  At the optimum
  ``exp(-s_t) = 1 / (2 L_t)``: noisy tasks are down-weighted.
* ``"dwa"``, dynamic weight averaging (Liu, Johns, Davison 2019): with
  ``Lbar_t(k)`` task t's mean loss over epoch k and temperature ``K``::

      r_t = Lbar_t(k-1) / Lbar_t(k-2),   w_t(k) = T exp(r_t / K) / sum_s exp(r_s / K)

  and ``w_t = 1`` for the first two epochs: tasks whose loss falls slowly get
  more weight.  The weights sum to ``T``, as the equal ones do.

``"gradnorm"``, ``"pcgrad"`` and ``"mgda"`` read the task gradients, not only
the losses: :mod:`._gradient_weighting`.
"""

import numpy as np

from ._gradient_weighting import GRADIENT_WEIGHTINGS, GradientWeighting


def uncertainty_objective(log_var, losses, present):
    """``sum_{t present} exp(-s_t) L_t + s_t / 2`` and its gradients.

    Returns
    -------
    value : float
    weights : ndarray of shape (n_tasks,)
        ``d value / d L_t = exp(-s_t)`` (0 for absent tasks): the weights that
        multiply each task's loss gradient.
    dlog_var : ndarray of shape (n_tasks,)
        ``d value / d s_t = 1/2 - exp(-s_t) L_t`` (0 for absent tasks).
    """
    weights = np.exp(-log_var) * present
    value = float(np.sum(weights * losses + 0.5 * log_var * present))
    dlog_var = (0.5 * present - weights * losses).astype(log_var.dtype)
    return value, weights.astype(log_var.dtype), dlog_var


def dwa_weights(last, before_last, temperature):
    """DWA weights from the two previous epochs' mean task losses (sum to ``n_tasks``)."""
    ratio = last / np.maximum(before_last, np.finfo(np.float64).tiny)
    e = np.exp((ratio - ratio.max()) / temperature)  # shifted: same weights, no overflow
    return len(last) * e / e.sum()


class TaskWeighting:
    """Task weights for each step, for one of ``"equal"``, ``"uncertainty"``, ``"dwa"``.

    The uncertainty scheme's log-variances are parameters of the network's
    buffer (trained by the same Adam step); register them with
    :meth:`register` before the buffer is built.
    """

    def __init__(self, kind, n_tasks, temperature=2.0, gradnorm_alpha=1.5):
        self.kind = kind
        self.n_tasks = n_tasks
        self.temperature = temperature
        self.epoch_weights = np.ones(n_tasks)
        self.history = []  # mean task losses of past epochs (for dwa)
        self.index = None
        # the schemes that read the task gradients (they replace the backward pass)
        self.gradients = (GradientWeighting(kind, n_tasks, gradnorm_alpha)
                          if kind in GRADIENT_WEIGHTINGS else None)

    def register(self, buf):
        if self.kind == "uncertainty":
            self.index = buf.add((self.n_tasks,), decay=False)
        if self.gradients is not None:
            self.gradients.register(buf)

    def initialize(self, buf):
        """Starting values of the weighting's parameters (after ``buf.build()``)."""
        if self.gradients is not None:
            self.gradients.initialize(buf)

    def step(self, buf, losses, present):
        """Weights ``d objective / d L_t`` for this batch, None if all ones (writes the
        log-variance gradients)."""
        if self.kind == "uncertainty":
            _, weights, dlog_var = uncertainty_objective(buf.params[self.index], losses, present)
            buf.grads[self.index][...] = dlog_var
            return weights
        if self.kind == "dwa":
            return self.epoch_weights.astype(buf.dtype)
        return None

    def end_epoch(self, epoch_losses):
        """Record the epoch's mean task losses; DWA sets the next epoch's weights from them."""
        self.history = (self.history + [np.asarray(epoch_losses, dtype=np.float64)])[-2:]
        if self.gradients is not None:
            self.gradients.end_epoch()
        if self.kind == "dwa" and len(self.history) == 2:
            self.epoch_weights = dwa_weights(self.history[1], self.history[0], self.temperature)

    def current(self, buf):
        """The weights in use now, shape (n_tasks,)."""
        if self.kind == "uncertainty":
            return np.exp(-buf.params[self.index].astype(np.float64))
        if self.gradients is not None:
            return self.gradients.current(buf)
        return np.asarray(self.epoch_weights, dtype=np.float64).copy()
