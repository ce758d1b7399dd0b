"""Linear task heads that read different depths of the shared trunk (low supervision).

Sogaard & Goldberg (2016) supervise low-level tasks at lower layers of a
shared network and high-level tasks at its top.  Here task t's head reads
the output ``h^(d_t)`` of trunk layer ``d_t`` (``task_layers[t]``, 1 the
first hidden layer)::

    f_t(x) = v_t . h^(d_t)(x) + c_t

Tasks reading the same depth form one group whose heads are one
:class:`~._networks.LinearHeads` over that layer's width; the trunk's
backward pass then receives, at every layer's output, the gradient of the
heads reading it (``Stack.backward``'s ``extra``).
"""

import numpy as np


class _SubBatch:
    """What :class:`~._networks.LinearHeads` reads of a batch: its mode and row tasks."""

    __slots__ = ("mode", "task")

    def __init__(self, mode, task):
        self.mode = mode
        self.task = task


class LayeredLinearHeads:
    """One group of linear heads per trunk depth read by some task.

    Parameters
    ----------
    buf : ParamBuffer
    widths : sequence of int
        The trunk layers' output widths (depth ``d`` has width ``widths[d - 1]``).
    task_layers : ndarray of shape (n_tasks,)
        The depth each task's head reads.
    """

    def __init__(self, buf, widths, task_layers):
        from ._networks import LinearHeads  # the one head kind every group uses

        self.task_layers = np.asarray(task_layers, dtype=np.intp)
        T = len(self.task_layers)
        self.depths = np.unique(self.task_layers)
        self.groups = [np.flatnonzero(self.task_layers == d) for d in self.depths]
        self.group_of = np.empty(T, dtype=np.intp)  # task -> its group
        self.local = np.empty(T, dtype=np.intp)  # task -> its position in the group
        for k, g in enumerate(self.groups):
            self.group_of[g] = k
            self.local[g] = np.arange(len(g))
        self.heads = [LinearHeads(buf, widths[d - 1], len(g))
                      for d, g in zip(self.depths, self.groups)]
        self.widths = [int(w) for w in widths]
        self.sizes = [max(self.widths), T]

    def initialize(self, buf, rng):
        for head in self.heads:
            head.initialize(buf, rng)

    def _rows(self, batch, k):
        """The batch rows of group ``k``'s tasks (gather mode) and their local tasks."""
        rows = np.flatnonzero(self.group_of[batch.task] == k)
        return rows, self.local[batch.task[rows]]

    def forward(self, buf, Hs, batch):
        """Outputs from the trunk's layer outputs ``Hs`` (``Hs[d - 1]`` is depth d's)."""
        H = Hs[-1]
        if batch.mode == "gather":
            z = np.empty(H.shape[0], dtype=H.dtype)
            for k, (d, head) in enumerate(zip(self.depths, self.heads)):
                rows, local = self._rows(batch, k)
                z[rows] = head.forward(buf, Hs[d - 1][rows], _SubBatch("gather", local))
            return z
        Z = np.empty((H.shape[0], len(self.task_layers)), dtype=H.dtype)
        for d, g, head in zip(self.depths, self.groups, self.heads):
            Z[:, g] = head.forward(buf, Hs[d - 1], _SubBatch("rows", None))
        return Z

    def backward(self, buf, Hs, batch, dZ):
        """Write the heads' gradients; return ``{depth: gradient of that layer's output}``."""
        grads = {}
        for k, (d, g, head) in enumerate(zip(self.depths, self.groups, self.heads)):
            H = Hs[d - 1]
            if batch.mode == "gather":
                rows, local = self._rows(batch, k)
                dH = np.zeros(H.shape, dtype=dZ.dtype)
                dH[rows] = head.backward(buf, H[rows], _SubBatch("gather", local),
                                         np.ascontiguousarray(dZ[rows]), True)
            else:
                dH = head.backward(buf, H, _SubBatch("rows", None),
                                   np.ascontiguousarray(dZ[:, g]), True)
            grads[int(d)] = dH
        return grads

    def export(self, buf):
        """The heads as one (n_tasks, max width, 1) array (zeros past a task's layer width)
        and the biases (n_tasks, 1)."""
        T = len(self.task_layers)
        W = np.zeros((T, self.sizes[0], 1), dtype=buf.dtype)
        b = np.zeros((T, 1), dtype=buf.dtype)
        for g, head in zip(self.groups, self.heads):
            Wg = buf.params[head.W]
            W[g, :Wg.shape[1], 0] = Wg
            b[g, 0] = buf.params[head.b]
        return W, b
