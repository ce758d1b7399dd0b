"""Mini-batch training, evaluation and prediction of a network over its parameter buffer."""

import numpy as np

from ._adversarial import (adversarial_backward, confusion_grad, covariance_grad,
                           kernel_projections)
from ._data import NeuralData, chunks, make_batch
from ._losses import LOSSES, scale_by_task, task_sums

# Evaluation and prediction run in chunks of rows holding at most this many
# activations (tasks x rows x width), so memory stays bounded on large sets.
_CHUNK_ELEMENTS = 1 << 21


class TrainState:
    """What a fit carries between epochs and ``partial_fit`` calls."""

    def __init__(self, net, buf, optimizer, weighting, rng, loss):
        self.net = net
        self.buf = buf
        self.optimizer = optimizer
        self.weighting = weighting
        self.rng = rng
        self.loss = loss
        self.task_scale = None  # a_t: 1 on main tasks, auxiliary_weight on auxiliary ones
        self.adversarial = None  # (adversarial task mask, gradient-reversal factors)
        self.adversary = None  # AdversaryUpdates: the extra updates of adversarial_steps
        self.adversary_steps = 1
        self.adversarial_objective = "reversal"
        self.adversarial_covariance = 0.0
        self.n_net_params = None


def train_step(state, batch, decay):
    """Forward, backward and one Adam step on ``batch``; returns the task losses (n_tasks,)."""
    net, buf = state.net, state.buf
    ahead = None
    if state.adversarial is not None and state.adversary_steps > 1:
        # the adversary near its best response before the shared layers ascend its loss
        # (and, where it can, the pass of the step at the updated adversary)
        ahead = state.adversary.run(state, batch, decay, state.adversary_steps - 1)
    Z, cache = ahead if ahead is not None else net.forward(buf, batch, True, state.rng)
    E, dZ = LOSSES[state.loss](Z, batch.Y, batch.C)
    if state.task_scale is not None:  # L_t -> a_t L_t
        scale = state.task_scale.astype(dZ.dtype)
        scale_by_task(E, scale, batch.task_axis, batch.task)
        scale_by_task(dZ, scale, batch.task_axis, batch.task)
    L = task_sums(E, batch.task_axis, batch.task, net.n_tasks)
    dZ_confusion = None
    if state.adversarial is not None and state.adversarial_objective == "confusion":
        dZ_confusion = confusion_grad(state.loss, Z, batch)
        if state.task_scale is not None:  # weighted as the adversarial tasks' own losses
            scale_by_task(dZ_confusion, scale, batch.task_axis, batch.task)
    dH_covariance = None
    if state.adversarial is not None and state.adversarial_covariance > 0:
        H = net.shared_output(cache) if hasattr(net, "shared_output") else None
        if H is not None:  # the representation the heads share: its covariance penalty
            # the kernel term's random features drawn afresh every step: over the steps the
            # penalty reaches every direction of the kernel's feature space, not a fixed 2 R
            omega = kernel_projections(state.rng, H.shape[1], dtype=H.dtype)
            dH_covariance, _ = covariance_grad(H, batch, state.adversarial[0],
                                               state.adversarial_covariance, omega)
    gradients = state.weighting.gradients
    if gradients is not None:  # GradNorm, PCGrad, MGDA: they read each task's gradient
        gradients.backward(net, buf, batch, dZ, cache, L, state.rng)
    else:
        weights = state.weighting.step(buf, L, batch.present)
        if weights is not None:
            scale_by_task(dZ, weights, batch.task_axis, batch.task)
            if dZ_confusion is not None:
                scale_by_task(dZ_confusion, weights, batch.task_axis, batch.task)
        if state.adversarial is not None:  # reversal or confusion (adversarial_objective)
            adversarial_backward(net, buf, batch, dZ, cache, *state.adversarial, dZ_confusion,
                                 dH_covariance)
        else:
            net.backward(buf, batch, dZ, cache)
    net.penalty(buf)
    state.optimizer.step(buf.theta, buf.grad, decay)
    return L


def run_epoch(state, data, rows, batch_size, shuffle, decay):
    """One pass over ``rows`` in mini-batches.

    Returns the rows-weighted mean over the epoch's batches of ``sum_t L_t``
    (equal task weights) and each task's mean loss over the batches holding it.
    """
    net = state.net
    mode = net.mode(data.stacked)
    order = state.rng.permutation(rows) if shuffle else rows
    T = data.n_tasks
    task_sum = np.zeros(T)
    task_seen = np.zeros(T)
    total = 0.0
    for start in range(0, len(order), batch_size):
        batch = make_batch(data, order[start:start + batch_size], mode,
                           padded_input=net.padded_input)
        L = train_step(state, batch, decay)
        # adversarial tasks' losses are meant to stay high: not part of the training loss
        total += batch.n_rows * float(L.sum() if state.adversarial is None
                                      else L[~state.adversarial[0]].sum())
        task_sum += L
        task_seen += batch.present
    return total / len(order), task_sum / np.maximum(task_seen, 1)


def _chunk_rows(net, data, mode):
    width = max(max(s.sizes) for s in _stacks(net))
    tasks = 1 if mode in ("rows", "gather") else data.n_tasks
    return max(_CHUNK_ELEMENTS // (tasks * max(width, data.X.shape[1])), 64)


def _stacks(net):
    return [s for s in (getattr(net, "trunk", None), getattr(net, "heads", None),
                        getattr(net, "stack", None)) if s is not None]


def _eval_order(data):
    """Evaluation rows, grouped by task in the per-task layout (few tasks per chunk)."""
    rows = np.arange(data.n_samples)
    return np.argsort(data.task, kind="stable") if data.stacked else rows


def task_losses(state, buf, data, rows):
    """Each task's mean loss over ``rows`` (n_tasks,), with the parameters in ``buf``."""
    net = state.net
    mode = net.mode(data.stacked)
    if data.stacked:
        rows = rows[np.argsort(data.task[rows], kind="stable")]
    counts = data.task_counts(rows)
    L = np.zeros(data.n_tasks)
    for part in chunks(rows, _chunk_rows(net, data, mode)):
        batch = make_batch(data, part, mode, padded_input=net.padded_input, counts=counts,
                           compress=True)
        Z, _ = net.forward(buf, batch)
        E, _ = LOSSES[state.loss](Z, batch.Y, batch.C)
        if batch.task_axis is None:
            L += task_sums(E, None, batch.task, data.n_tasks)
            continue
        Lb = task_sums(E, batch.task_axis, None, None)
        if batch.tasks is not None:
            L[batch.tasks] += Lb
        else:
            L += Lb
    return L


def predict_raw(net, buf, X, n_tasks, task_index):
    """Network outputs: (n, n_tasks) without ``task_index`` (shared layout), else (n,)."""
    data = NeuralData(X, n_tasks, task=task_index)
    mode = net.mode(data.stacked)
    n = data.n_samples
    out = np.empty((n, n_tasks) if task_index is None else n, dtype=buf.dtype)
    for part in chunks(_eval_order(data), _chunk_rows(net, data, mode)):
        batch = make_batch(data, part, mode, padded_input=net.padded_input, targets=False,
                           compress=True)
        Z, _ = net.forward(buf, batch)
        if task_index is None:
            out[part] = Z if mode == "rows" else Z.T
        elif mode in ("gather", "own"):
            out[part] = Z
        elif mode == "all":
            out[part] = Z[batch.task, np.arange(len(part))]
        else:
            z = np.empty(len(part), dtype=buf.dtype)
            z[batch.order] = Z[batch.slot]
            out[part] = z
    return out
