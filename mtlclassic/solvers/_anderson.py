"""Anderson extrapolation of a converging sequence, shared by primal and dual uses.

Given the last ``k + 1`` points ``x_0..x_k`` with differences ``u_i = x_{i+1} -
x_i``, the extrapolation is ``sum_i c_i x_{i+1}`` with ``c = argmin ||U^T c||``
subject to ``sum c = 1``.  The points are kept in one preallocated buffer and
``U U^T`` is formed from their Gram matrix, so no temporary as large as the
history is made.

References
----------
Anderson, D. G. (1965). Iterative procedures for nonlinear integral equations.
J. ACM 12(4).
Bertrand, Q. and Massias, M. (2021). Anderson acceleration of coordinate
descent. AISTATS.
"""

import numpy as np


class Anderson:
    """The last ``k + 1`` points of a sequence (a ring buffer) and their extrapolation.

    Parameters
    ----------
    k : int
        Number of differences used; ``k <= 0`` disables the extrapolation.
    """

    def __init__(self, k):
        self.k = int(k)
        self.buffer = None
        self.count = 0  # points pushed since the last reset

    def push(self, x):
        """Record a point (copied)."""
        if self.k <= 0:
            return
        flat = np.asarray(x).ravel()
        if self.buffer is None or self.buffer.shape[1] != flat.size:
            self.buffer = np.empty((self.k + 1, flat.size))
            self.count = 0
        self.buffer[self.count % (self.k + 1)] = flat
        self.count += 1

    def reset(self):
        self.count = 0

    @property
    def full(self):
        return self.k > 0 and self.count >= self.k + 1

    def extrapolate(self, like):
        """The extrapolated point shaped and typed as ``like``, or None (too few, or degenerate)."""
        if not self.full:
            return None
        n = self.k + 1
        order = np.array([(self.count + i) % n for i in range(n)])  # buffer rows, oldest first
        M = (self.buffer @ self.buffer.T)[np.ix_(order, order)]
        # U U^T from the Gram of the points:
        # u_i . u_j = M[i+1, j+1] - M[i+1, j] - M[i, j+1] + M[i, j]
        gram = M[1:, 1:] - M[1:, :-1] - M[:-1, 1:] + M[:-1, :-1]
        gram = gram + 1e-10 * (np.trace(gram) + 1e-300) * np.eye(self.k)  # U may be rank deficient
        try:
            z = np.linalg.solve(gram, np.ones(self.k))
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(z)) or z.sum() == 0:
            return None
        weights = np.zeros(n)
        weights[order[1:]] = z / z.sum()  # sum_i c_i x_{i+1}, read in place from the buffer
        return (weights @ self.buffer).reshape(np.shape(like)).astype(like.dtype, copy=False)
