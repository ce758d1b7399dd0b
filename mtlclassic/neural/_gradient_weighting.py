"""Gradient-based task weighting: GradNorm, PCGrad and MGDA-UB.

Each scheme reads the gradients of the task losses ``L_t`` of a mini-batch
separately, where the equal, uncertainty and DWA schemes (``_weighting``)
only read their values.  ``g_t`` below is task t's gradient with respect to
the *shared* parameters (the trunk of a hard-sharing network, the
cross-stitch units of a soft-sharing one); every task-specific parameter only
gets its own task's gradient, which the schemes scale but never mix.

* ``"gradnorm"`` (Chen et al. 2018): learned weights ``w_t`` (summing to
  the number of tasks ``T``) that balance the norms
  ``G_t = ||grad_W (w_t L_t)||`` of the weighted losses' gradients with respect
  to the weights ``W`` of the last shared layer (for a trunk, from the heads'
  backward pass and that one layer's, per task).  With ``Ltilde_t = L_t / L_t(0)``
  (the loss relative to the task's first batch) and ``r_t = Ltilde_t / mean_s
  Ltilde_s`` its relative inverse training rate, the weights descend::

      L_grad(w) = sum_t | G_t(w) - mean_s G_s * r_t^a |

  where the targets ``mean_s G_s r_t^a`` are held constant (the paper's rule)
  and ``a = gradnorm_alpha`` sets how strongly tasks training slowly are
  pushed.  The network descends ``sum_t w_t L_t``; after each step the
  weights are renormalised to sum to ``T``.
* ``"pcgrad"`` (Yu et al. 2020), projecting conflicting gradients: for every
  task t, in a random order of the other tasks s, whenever
  ``g_t' . g_s < 0``, ``g_t' <- g_t' - (g_t' . g_s) / ||g_s||^2 g_s``
  (starting from ``g_t' = g_t``); the shared parameters descend
  ``sum_t g_t'``, the task-specific ones their plain gradients.
* ``"mgda"`` (Sener & Koltun 2018, MGDA-UB): the min-norm point of the convex
  hull of the task gradients, the common descent direction of multiple-gradient
  descent::

      alpha = argmin_{alpha >= 0, sum_t alpha_t = 1} || sum_t alpha_t z_t ||^2

  where ``z_t`` is the gradient of ``L_t`` with respect to the trunk's output
  ``H`` on the batch (the "upper bound" variant: one backward pass through the
  heads per task instead of through the whole network; networks without a
  shared representation use ``g_t``).  The step descends ``sum_t m alpha_t L_t``
  with ``m`` the number of tasks in the batch (weights summing to ``m``, as
  the equal ones do).  The min-norm problem is solved by Frank-Wolfe
  (:func:`min_norm_weights`).

References
----------
Chen, Z., Badrinarayanan, V., Lee, C.-Y. and Rabinovich, A. (2018). GradNorm:
gradient normalization for adaptive loss balancing in deep multitask
networks. ICML.
Yu, T., Kumar, S., Gupta, A., Levine, S., Hausman, K. and Finn, C. (2020).
Gradient surgery for multi-task learning. NeurIPS.
Sener, O. and Koltun, V. (2018). Multi-task learning as multi-objective
optimization. NeurIPS.
Lacoste-Julien, S. and Jaggi, M. (2015). On the global linear convergence of
Frank-Wolfe optimization variants. NeurIPS (the away steps).
"""

import numpy as np

from ._kernels import min_norm_frank_wolfe
from ._losses import scale_by_task

GRADIENT_WEIGHTINGS = ("gradnorm", "pcgrad", "mgda")


def min_norm_weights(gram, tol=1e-10, max_iter=1000):
    """``argmin_{alpha in simplex} alpha^T K alpha`` by Frank-Wolfe with away steps.

    ``K`` is the Gram matrix ``z_s . z_t`` of the task gradients.  Plain
    Frank-Wolfe (Sener & Koltun's Algorithm 2) moves towards the vertex
    ``e_s`` of smallest ``(K alpha)_s`` with an exact line search; the away
    steps (moving mass off the active vertex of largest ``(K alpha)_v``) make
    the convergence linear, so the weights are exact to rounding rather than
    to ``O(1/k)``.  Stops when the Frank-Wolfe gap
    ``alpha^T K alpha - min_s (K alpha)_s`` (an upper bound on half the
    suboptimality) falls below ``tol`` times ``alpha^T K alpha``.

    Parameters
    ----------
    gram : ndarray of shape (n_tasks, n_tasks)
        Symmetric positive semidefinite.

    Returns
    -------
    alpha : ndarray of shape (n_tasks,)
        Non-negative, summing to 1.
    """
    return min_norm_frank_wolfe(np.ascontiguousarray(gram, dtype=np.float64), float(tol),
                                int(max_iter))


def pcgrad(grads, rng):
    """PCGrad's projected gradients summed: ``sum_t g_t'`` (see the module docstring).

    Parameters
    ----------
    grads : ndarray of shape (n_tasks, n_params)
        One task's gradient per row (each projected against the others' unmodified ones).
    rng : numpy Generator
        Draws each task's order of the other tasks.

    Returns
    -------
    ndarray of shape (n_params,)
    """
    grads = np.asarray(grads, dtype=np.float64)
    T = grads.shape[0]
    squares = np.einsum("ij,ij->i", grads, grads)
    total = np.zeros(grads.shape[1])
    for t in range(T):
        g = grads[t].copy()
        for s in rng.permutation(T):
            if s == t or squares[s] == 0:
                continue
            dot = float(g @ grads[s])
            if dot < 0:  # conflicting: remove the component along g_s
                g -= dot / squares[s] * grads[s]
        total += g
    return total


def gradnorm_targets(weights, norms, ratios, alpha):
    """``mean_s G_s * r_t^a``, the GradNorm targets, with ``G_t = w_t ||grad_W L_t||``."""
    return np.mean(weights * norms) * ratios ** alpha


def gradnorm_objective(weights, norms, targets):
    """``L_grad = sum_t |w_t n_t - target_t|`` and its gradient ``sign(.) n_t`` in ``w``
    (targets held constant), with ``n_t = ||grad_W L_t||``."""
    diff = weights * norms - targets
    return float(np.sum(np.abs(diff))), np.sign(diff) * norms


class GradientWeighting:
    """The per-step work of one gradient-based scheme; :class:`~._weighting.TaskWeighting`
    delegates to it.

    ``backward`` replaces the network's single backward pass: it writes the
    combined parameter gradient into ``buf.grad`` (and, for GradNorm, the
    weights' gradient) and records the step's task weights.
    """

    def __init__(self, kind, n_tasks, gradnorm_alpha=1.5):
        self.kind = kind
        self.n_tasks = n_tasks
        self.gradnorm_alpha = float(gradnorm_alpha)
        self.index = None  # GradNorm's weights in the buffer
        self.initial_losses = np.full(n_tasks, np.nan)  # L_t(0), GradNorm
        self._sum = np.zeros(n_tasks)
        self._seen = np.zeros(n_tasks)
        self.epoch_weights = np.ones(n_tasks)

    def register(self, buf):
        if self.kind == "gradnorm":
            self.index = buf.add((self.n_tasks,), decay=False)

    def initialize(self, buf):
        if self.index is not None:
            buf.params[self.index][...] = 1.0

    def current(self, buf):
        if self.kind == "gradnorm":
            return self._gradnorm_weights(buf)
        return self.epoch_weights.copy()

    def end_epoch(self):
        """The epoch's mean weights (per task, over the batches holding it)."""
        if self.kind == "mgda":
            self.epoch_weights = np.where(self._seen > 0, self._sum / np.maximum(self._seen, 1),
                                          self.epoch_weights)
        self._sum[...] = 0.0
        self._seen[...] = 0.0

    def _gradnorm_weights(self, buf):
        """GradNorm's weights renormalised to sum to ``T`` (positive)."""
        w = np.maximum(buf.params[self.index].astype(np.float64), 1e-6)
        return self.n_tasks * w / w.sum()

    # -- one step -------------------------------------------------------------------
    def backward(self, net, buf, batch, dZ, cache, losses, rng):
        """Write the step's parameter gradients (in place of ``net.backward``)."""
        present = np.flatnonzero(batch.present)
        if self.kind == "mgda" and net.has_representation:
            # MGDA-UB: the Gram matrix of the gradients of the trunk's output
            Z = np.array([net.representation_grad(buf, batch, _task_part(dZ, t, batch), cache)
                          .astype(np.float64).ravel() for t in present])
            weights = len(present) * min_norm_weights(Z @ Z.T)
            self._weighted_backward(net, buf, batch, dZ, cache, present, weights)
            return
        if self.kind == "gradnorm" and net.has_representation:
            # ||grad_W L_t|| from the heads' pass alone: W is the trunk's last layer
            norms = np.array([np.linalg.norm(net.trunk.last_weight_grad(
                buf, net.representation_grad(buf, batch, _task_part(dZ, t, batch), cache),
                cache[0]).astype(np.float64)) for t in present])
            weights, grad_w = self._gradnorm_step(buf, norms, present, losses)
            self._weighted_backward(net, buf, batch, dZ, cache, present, weights)
            buf.grads[self.index][...] = grad_w
            return
        shared = net.shared_parameters()
        full = []  # each present task's whole gradient: one backward pass per task
        for t in present:
            net.backward(buf, batch, _task_part(dZ, t, batch), cache)
            full.append(buf.grad.astype(np.float64))
        full = np.array(full)
        flat_shared = np.array([np.concatenate([v.ravel() for v in
                                                (buf.views(g)[i] for i in shared)])
                                for g in full])
        if self.kind == "pcgrad":
            buf.grad[...] = full.sum(axis=0)
            _scatter(buf, shared, pcgrad(flat_shared, rng))
            return
        if self.kind == "mgda":
            weights = len(present) * min_norm_weights(flat_shared @ flat_shared.T)
            buf.grad[...] = weights @ full
        else:
            last = shared[-1]  # n_t = ||grad_W L_t||, W the last shared layer's weights
            norms = np.array([np.linalg.norm(buf.views(g)[last]) for g in full])
            weights, grad_w = self._gradnorm_step(buf, norms, present, losses)
            buf.grad[...] = weights @ full
            buf.grads[self.index][...] = grad_w  # after: full holds stale values there
        self._record(present, weights)

    def _weighted_backward(self, net, buf, batch, dZ, cache, present, weights):
        """One backward pass of ``sum_t w_t L_t`` (the present tasks' ``weights``)."""
        self._record(present, weights)
        w = np.zeros(self.n_tasks, dtype=dZ.dtype)
        w[present] = weights
        net.backward(buf, batch, scale_by_task(dZ, w, batch.task_axis, batch.task), cache)

    def _record(self, present, weights):
        self._sum[present] += weights
        self._seen[present] += 1

    def _gradnorm_step(self, buf, norms, present, losses):
        """This step's weights of the present tasks, and the gradient of ``L_grad`` in all
        the weights; ``norms`` are the present tasks' ``||grad_W L_t||``."""
        w = self._gradnorm_weights(buf)
        buf.params[self.index][...] = w  # the renormalised weights are the parameters
        first = np.isnan(self.initial_losses[present])
        self.initial_losses[present[first]] = losses[present[first]]
        tiny = np.finfo(np.float64).tiny
        relative = losses[present] / np.maximum(self.initial_losses[present], tiny)
        ratios = relative / max(relative.mean(), tiny)
        wp = w[present]
        targets = gradnorm_targets(wp, norms, ratios, self.gradnorm_alpha)
        grad_w = np.zeros(self.n_tasks)
        grad_w[present] = gradnorm_objective(wp, norms, targets)[1]
        return wp, grad_w


def _task_part(dZ, t, batch):
    """``dZ`` restricted to task ``t``'s entries (a copy): the gradient of ``L_t`` alone."""
    onehot = np.zeros(batch.present.shape[0], dtype=dZ.dtype)
    onehot[t] = 1
    return scale_by_task(dZ.copy(), onehot, batch.task_axis, batch.task)


def _scatter(buf, indices, flat):
    """Write the concatenated ``flat`` into the gradients of parameters ``indices``."""
    pos = 0
    for i in indices:
        g = buf.grads[i]
        g[...] = flat[pos:pos + g.size].reshape(g.shape)
        pos += g.size
