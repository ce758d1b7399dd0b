"""Every trainable array of a network as a view of one flat vector.

One flat ``theta`` (and one flat ``grad``) lets Adam update all parameters in
one fused pass and lets weight decay be a mask, instead of a Python loop over
layers every step.  Per-task arrays (leading axis ``n_tasks``) are laid out
task-major in one ``(n_tasks, K)`` block, so that everything task ``t`` owns is
the row ``task_block[t]``: the soft-sharing penalty
``sum_t ||theta_t - theta_bar||^2`` is then three array operations on that block.
"""

import numpy as np


class ParamBuffer:
    """Registry of parameter shapes, then one flat buffer holding them all.

    Parameters
    ----------
    n_tasks : int
        Length of the leading axis of per-task parameters.
    dtype : numpy dtype
    """

    def __init__(self, n_tasks, dtype):
        self.n_tasks = int(n_tasks)
        self.dtype = np.dtype(dtype)
        self.specs = []  # (shape, per_task, decay)
        self.theta = None

    def add(self, shape, *, per_task=False, decay=True):
        """Register a parameter; returns its index into :attr:`params` / :attr:`grads`.

        ``shape`` excludes the task axis of a per-task parameter; ``decay``
        says whether the L2 weight decay applies to it (weights yes, biases
        and weighting parameters no).
        """
        if self.theta is not None:
            raise RuntimeError("ParamBuffer.add after build().")
        self.specs.append((tuple(int(s) for s in shape), bool(per_task), bool(decay)))
        return len(self.specs) - 1

    @property
    def task_size(self):
        """``K``: the number of parameters one task owns in the per-task block."""
        return sum(int(np.prod(s)) for s, per_task, _ in self.specs if per_task)

    def build(self):
        """Allocate ``theta`` and ``grad`` (zeros) and their per-parameter views."""
        T, K = self.n_tasks, self.task_size
        n_other = sum(int(np.prod(s)) for s, per_task, _ in self.specs if not per_task)
        self.theta = np.zeros(T * K + n_other, dtype=self.dtype)
        self.grad = np.zeros_like(self.theta)
        self.decay_mask = np.zeros_like(self.theta)
        for view, (_, _, decay) in zip(self._views(self.decay_mask), self.specs):
            view[...] = 1.0 if decay else 0.0
        self._bind()
        return self

    def _bind(self):
        self.params = self._views(self.theta)
        self.grads = self._views(self.grad)
        n_block = self.n_tasks * self.task_size
        self.task_block = self.theta[:n_block].reshape(self.n_tasks, self.task_size)
        self.task_block_grad = self.grad[:n_block].reshape(self.n_tasks, self.task_size)

    def _views(self, flat):
        T, K = self.n_tasks, self.task_size
        block = flat[:T * K].reshape(T, K)
        views, col, pos = [], 0, T * K
        for shape, per_task, _ in self.specs:
            size = int(np.prod(shape))
            if per_task:
                # (T, size) columns of the block, split into (T, *shape): a view because
                # only the contiguous last axis is split.
                view = block[:, col:col + size].reshape((T,) + shape)
                col += size
            else:
                view = flat[pos:pos + size].reshape(shape)
                pos += size
            assert np.shares_memory(view, flat) or size == 0
            views.append(view)
        return views

    def views(self, flat):
        """The parameters' views into ``flat``, any vector of ``theta``'s layout."""
        return self._views(flat)

    def copy_as(self, dtype):
        """A new buffer with the same layout and values cast to ``dtype`` (grads zero)."""
        new = ParamBuffer(self.n_tasks, dtype)
        new.specs = list(self.specs)
        new.theta = self.theta.astype(dtype)
        new.grad = np.zeros_like(new.theta)
        new.decay_mask = self.decay_mask.astype(dtype)
        new._bind()
        return new

    def __getstate__(self):
        state = self.__dict__.copy()
        for key in ("params", "grads", "task_block", "task_block_grad"):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self.theta is not None:
            self._bind()  # views must point into the unpickled flat arrays
