"""Adversarial auxiliary tasks: a gradient-reversal layer (Ganin & Lempitsky 2015) or a
confusion loss (Tzeng et al. 2015).

An adversarial task's head (its own parameters) learns to predict the task as
any other head does, but the gradient its loss sends into everything the
tasks share is multiplied by ``-lambda`` (``adversarial_weight``): the
shared layers *ascend* its loss, learning features from which it cannot be
predicted, while they descend the other tasks' losses.  With ``theta_adv``
the adversarial tasks' own parameters and ``theta_rest`` every other
parameter of the network, one step follows::

    d/d theta_adv   :  grad L_adv
    d/d theta_rest  :  grad L_rest  -  lambda grad L_adv

(``L_adv``, ``L_rest`` the weighted sums of the adversarial and of the other
tasks' losses): the reversal layer placed where the adversarial heads read
the shared layers.  It costs two backward passes per step.

The shared layers ascend the loss of the adversary *as it is*, so a lagging
adversary is fooled, not defeated: the layers move the nuisance to where
the adversary does not look (or flip its sign), and a probe fitted afresh
still reads it.  ``adversarial_steps = k`` first updates the adversarial
tasks' own parameters ``k - 1`` more times on the step's batch (Adam moments
of their own), so that the reversed gradient is that of an adversary near
its best response to the current shared layers: the min-max problem
``min_rest max_adv`` the reversal layer is meant to solve, not a chase.

Ascending a best-responding adversary's loss still rewards making it
*wrong*, which carries the task as well as making it right.  The confusion
objective (``adversarial_objective="confusion"``) replaces the shared
parameters' term by ``+ lambda grad L_conf``: the adversary's loss against
its task's uninformative prediction (the batch mean of the targets, or of
the positives for the logistic loss), whose gradient vanishes where the
adversary has nothing left to read (:func:`confusion_grad`).

The game still moves: an adversary trained afresh for an epoch reads less than
a probe fitted to convergence, and the shared layers leak what it does not
read at the moment. ``adversarial_covariance`` adds to the shared parameters'
objective the squared correlations of the shared representation's units
(each standardised over the batch) with each adversarial task's target, zero
exactly where no linear probe reads the task whatever the units' scales, and
the squared covariances of random Fourier features of the standardised units
with it, a kernel independence measure (HSIC) that covers what a nonlinear
probe reads (:func:`covariance_grad`): a gradient that waits for no adversary.

References
----------
Ganin, Y. and Lempitsky, V. (2015). Unsupervised domain adaptation by
backpropagation. ICML.
Tzeng, E., Hoffman, J., Darrell, T. and Saenko, K. (2015). Simultaneous deep
transfer across domains and tasks. ICCV.
Tzeng, E., Hoffman, J., Zhang, N., Saenko, K. and Darrell, T. (2014). Deep domain
confusion: maximizing for domain invariance. arXiv:1412.3474.
Belrose, N., Schneider-Joseph, D., Ravfogel, S., Cotterell, R., Raff, E. and
Biderman, S. (2023). LEACE: perfect linear concept erasure in closed form. NeurIPS.
Gretton, A., Bousquet, O., Smola, A. and Schoelkopf, B. (2005). Measuring statistical
dependence with Hilbert-Schmidt norms. ALT.
Rahimi, A. and Recht, B. (2007). Random features for large-scale kernel machines. NIPS.
"""

import numpy as np
from scipy.special import expit

from ._losses import LOSSES, scale_by_task, task_sums
from ._optim import Adam


def task_block_mask(buf, tasks):
    """Mask over ``theta``: the per-task parameters of ``tasks`` (their rows of the block)."""
    mask = np.zeros(buf.theta.size, dtype=bool)
    mask[:buf.n_tasks * buf.task_size].reshape(buf.n_tasks, buf.task_size)[tasks] = True
    return mask


def reversal_factors(net, buf, n_net_params, adversarial, strength):
    """The factor of the adversarial gradient on each parameter: 1 on the adversarial tasks'
    own, ``-strength`` on the network's others, 0 beyond it (weighting parameters).

    ``n_net_params``: how many of the buffer's first parameters the network registered.
    """
    tasks = np.flatnonzero(adversarial)
    net_mask = np.zeros(buf.theta.size, dtype=bool)
    for view in buf.views(net_mask)[:n_net_params]:
        view[...] = True
    own = net.owned_by(buf, tasks)
    return np.where(own, 1.0, np.where(net_mask, -float(strength), 0.0)).astype(buf.dtype)


def confusion_grad(loss, Z, batch):
    """``dZ`` of the confusion loss: every output pulled to its task's uninformative
    prediction, the batch mean of its targets (squared loss: ``(z - mean y)^2 / 2``;
    logistic: the cross-entropy of ``sigmoid(z)`` to the batch's fraction of positives
    ``p``, gradient ``sigmoid(z) - p``), each term weighted by ``C`` as the task's loss."""
    C, Y = batch.C, batch.Y
    if loss == "logistic":
        Y = (Y + 1) / 2  # labels -1/+1 as 0/1
    mean = task_sums(C * Y, batch.task_axis, batch.task, len(batch.present))  # C sums to 1
    if batch.task_axis is None:
        centre = mean[batch.task]
    elif batch.task_axis == 1:
        centre = mean[None, :]
    else:
        centre = mean[:, None]
    P = expit(Z) if loss == "logistic" else Z
    return (C * (P - centre)).astype(Z.dtype, copy=False)


def _task_entries(batch, A, task):
    """Row vector (n_rows,) of ``task``'s entries of ``A`` (``batch.Y`` or ``batch.C``, in
    the batch's layout), in the batch's row order; 0 on the rows of other tasks."""
    if batch.task_axis == 1:  # "rows": (n_rows, n_tasks)
        return A[:, task]
    if batch.mode == "all":  # (n_tasks, n_rows)
        return A[task]
    if batch.mode == "padded":  # (n_tasks, width): row order[k] at slot[k]
        rows = np.zeros(batch.n_rows, dtype=A.dtype)
        rows[batch.order] = A[batch.slot]
        return np.where(batch.task == task, rows, 0)
    return np.where(batch.task == task, A, 0)  # "gather": (n_rows,), row i of batch.task[i]


def kernel_projections(rng, width, n_projections=32, dtype=np.float64):
    """The random projections ``Omega`` (width, n_projections) of the kernel term of
    :func:`covariance_grad`: entries ``N(0, 1 / width)``, the random Fourier features of a
    Gaussian kernel of bandwidth ``sqrt(width)`` on standardised units (Rahimi & Recht 2007)."""
    return (rng.standard_normal((width, n_projections)) / np.sqrt(width)).astype(dtype)


def covariance_grad(H, batch, adversarial, strength, projections=None, eps=1e-2):
    """``dH`` and value of the scale-free covariance penalty of the shared representation
    ``H`` (n_rows, width) with each adversarial task's target.

    For an adversarial task ``t`` with row weights ``w_i = c_ti / sum_k c_tk`` (``c_ti``
    the row's weight in the task's loss, ``C``; zero on other tasks' rows)::

        m_j = sum_i w_i H_ij,   s_j = sqrt(sum_i w_i (H_ij - m_j)^2 + eps),
        Hs_ij = (H_ij - m_j) / s_j                       (each unit standardised)
        u_i = w_i (y_i - ybar) / sd(y)                    (sum_i u_i = 0)
        Phi_i = [cos(Hs_i Omega), sin(Hs_i Omega)]        (2 R random Fourier features)
        P_t = strength / 2  (|| u^T Hs ||^2  +  || u^T Phi ||^2)

    ``u^T Hs`` holds each unit's weighted correlation with the target: it vanishes exactly
    where no linear probe of the task on ``H`` does better than chance (Belrose et al.
    2023), whatever the units' scales; ``|| u^T Phi ||^2`` is ``R`` times the
    Hilbert-Schmidt independence criterion of the target and the standardised
    representation with a Gaussian kernel (Gretton et al. 2005), estimated with ``R``
    random Fourier features (Rahimi & Recht 2007): zero in expectation over ``Omega``
    only where the task is independent of ``Hs``, which removes what a nonlinear probe
    reads. ``projections`` is ``Omega`` (width, R) (:func:`kernel_projections`; None: no
    kernel term). The gradient is exact, the batch mean ``m`` and scale ``s`` included:
    with ``G = dP/dHs``, ``dP/dH_ij = (G_ij - w_i sum_k G_kj - w_i Hs_ij sum_k G_kj Hs_kj)
    / s_j``. Computed in ``H``'s dtype.

    ``eps`` (in the units of ``H``'s variance) keeps a nearly constant unit -- a ReLU
    active on a few of the batch's rows -- from turning the noise of its correlation on
    a batch into a gradient ``1 / s_j`` times larger: at ``eps`` 1e-4 the probe benchmark
    (docs/neural.md) read more and lost more main-task accuracy than at 1e-2.
    """
    dtype = H.dtype
    dH = np.zeros(H.shape, dtype=dtype)
    value = 0.0
    for task in np.flatnonzero(adversarial):
        c = _task_entries(batch, batch.C, task)
        rows = np.flatnonzero(c > 0)
        if rows.size == 0:  # the task has no row in the batch
            continue
        w = (c[rows] / c[rows].sum()).astype(dtype)
        y = _task_entries(batch, batch.Y, task)[rows].astype(dtype)
        y = y - w @ y
        u = w * y / np.sqrt(w @ (y * y) + eps)
        Ht = H[rows]
        centred = Ht - w @ Ht
        scale = np.sqrt(w @ (centred * centred) + eps)
        Hs = centred / scale
        cov = u @ Hs
        G = np.outer(u, strength * cov)
        total = float(cov @ cov)
        if projections is not None:
            Zk = Hs @ projections
            cos, sin = np.cos(Zk), np.sin(Zk)
            k_cos, k_sin = u @ cos, u @ sin
            total += float(k_cos @ k_cos + k_sin @ k_sin)
            G += (np.outer(u, strength * k_sin) * cos
                  - np.outer(u, strength * k_cos) * sin) @ projections.T
        value += 0.5 * strength * total
        dH[rows] += (G - np.outer(w, G.sum(0)) - w[:, None] * Hs * (G * Hs).sum(0)) / scale
    return dH, value


def adversarial_backward(net, buf, batch, dZ, cache, adversarial, factors, dZ_confusion=None,
                         dH_extra=None):
    """Write the step's gradients: the adversarial tasks' own parameters descend their loss;
    the shared ones ascend it (``factors``, the reversal) or, given ``dZ_confusion``,
    descend ``strength`` times the confusion loss; ``dH_extra`` (the covariance penalty's
    gradient at the shared representation) reaches the shared layers besides."""
    is_adv = adversarial.astype(dZ.dtype)
    net.backward(buf, batch, scale_by_task(dZ.copy(), is_adv, batch.task_axis, batch.task),
                 cache)
    if dZ_confusion is None:
        g_adv = buf.grad * factors  # the weighting's entries (factor 0) stay those of the step
    else:
        g_adv = np.where(factors > 0, buf.grad, 0)
        net.backward(buf, batch, scale_by_task(dZ_confusion, is_adv, batch.task_axis,
                                               batch.task), cache)
        g_adv -= np.minimum(factors, 0) * buf.grad  # +strength on the shared parameters
    rest = scale_by_task(dZ, 1 - is_adv, batch.task_axis, batch.task)
    if dH_extra is None:
        net.backward(buf, batch, rest, cache)
    else:
        net.backward(buf, batch, rest, cache, dH_extra=dH_extra)
    buf.grad += g_adv


class AdversaryUpdates:
    """The ``k - 1`` extra updates of the adversarial tasks' own parameters per step.

    ``own``: mask over ``theta`` of those parameters (factor 1 in
    :func:`reversal_factors`); they keep Adam moments of their own, so the
    network's optimizer sees one update of them per step as before.
    """

    # False: every update runs the whole network, as before the trunk's output was reused
    # (the same arithmetic without dropout; kept for the test of that and for
    # benchmarks/neural_adversarial_cost.py)
    reuse_trunk = True

    def __init__(self, own, dtype, learning_rate):
        self.index = np.flatnonzero(own)
        self.optimizer = Adam(self.index.size, dtype, learning_rate=learning_rate)

    def run(self, state, batch, decay, n_updates):
        """``n_updates`` Adam steps of the adversarial heads on ``batch`` (shared layers fixed).

        Networks whose adversaries are heads of their own (``net.adversary``, hard sharing
        and relationship) run the trunk once: every update re-runs the adversaries alone on
        its output, and the step's ``(Z, cache)`` at the updated adversaries is returned
        for the step's own pass (None for the others, which run whole networks)."""
        net, buf = state.net, state.buf
        adversarial = state.adversarial[0]
        index, opt = self.index, self.optimizer
        decay = decay[index]
        # only the adversarial tasks' losses (times auxiliary_weight, as in the step) reach
        # their heads; task_weighting's weights are left out (Adam's step is nearly
        # invariant to a positive scale of the gradient)
        scale = adversarial.astype(buf.dtype)
        if state.task_scale is not None:
            scale = scale * state.task_scale.astype(buf.dtype)
        reuse = self.reuse_trunk and getattr(net, "adversary", None) is not None
        Z, cache = net.forward(buf, batch, True, state.rng)
        for update in range(n_updates):
            if update:
                Z, cache = (net.adversary_forward(buf, batch, Z, cache, True, state.rng)
                            if reuse else net.forward(buf, batch, True, state.rng))
            _, dZ = LOSSES[state.loss](Z, batch.Y, batch.C)
            dZ = scale_by_task(dZ, scale.astype(dZ.dtype), batch.task_axis, batch.task)
            if reuse:
                # the adversarial tasks' unused rows of the other heads (in ``index``) get
                # the zero gradient a whole backward pass gives them
                buf.grad[index] = 0.0
                net.adversary_backward(buf, batch, dZ, cache)
            else:
                net.backward(buf, batch, dZ, cache)
            theta = buf.theta[index]
            opt.step(theta, buf.grad[index], decay)
            buf.theta[index] = theta
        if reuse:
            return net.adversary_forward(buf, batch, Z, cache, True, state.rng)
        return None
