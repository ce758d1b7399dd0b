"""Intercept shrinkage as rows of data: the ordinary problem that BCD solves for a fixed ``b0``.

The term ``s / 2 sum_t (b_t - b0)^2`` of a container with
``intercept_shrinkage = s`` is the loss of one more row per task: ``x = 0``,
target ``b0``, weight ``s`` (its prediction is ``0 . w_t + b_t = b_t``). For a
fixed ``b0``, the problem with these *pseudo-rows* is an ordinary one, with
free intercepts and the squared loss: it can be centered (with the
pseudo-rows, so that the best intercepts no longer depend on ``W``) and
solved by the block coordinate descent epochs unchanged. ``b0`` is one more
block of the descent: after each epoch it moves to its exact minimiser at
the current ``W`` (:meth:`PseudoRows.b0_step`), a closed form in the
residual. The working-set solver certifies the gap of the problem itself
(see :func:`mtlclassic.solvers.working_set`).
"""

import numpy as np
import scipy.sparse as sp


class PseudoRows:
    """The pseudo-rows of ``data``'s intercept shrinkage, centered once; :meth:`at` sets ``b0``.

    Parameters
    ----------
    data : SharedDesign or StackedDesign
        Uncentered, with ``intercept_shrinkage > 0`` (the solvers' units).
    """

    def __init__(self, data):
        s = self.s = data.intercept_shrinkage
        self.S = data.task_sum(data.C).astype(np.float64)  # each task's (real) weight
        X, T = data.X, data.n_tasks
        if data.layout == "shared":
            # One zero row shared by every task: weight s for each task.
            zero = sp.csr_matrix((1, data.n_features), dtype=X.dtype)
            X_aug = (sp.vstack([X, zero], format=X.format) if sp.issparse(X)
                     else np.vstack([X, np.zeros((1, data.n_features), dtype=X.dtype)]))
            C = np.vstack([data.C, np.full((1, T), s, dtype=data.C.dtype)])
            self._rows = data.n_samples  # the pseudo-row's index in Y
            row_weights = task_scale = None
            tau = data.task_scale
            if data.row_weights is not None and np.all(tau == tau[0]):
                # C = a (x) tau still: the pseudo-row's a is s / tau.
                row_weights = np.append(data.row_weights, s / tau[0]).astype(data.row_weights.dtype)
                task_scale = tau
            self._make = lambda Y: type(data)(X_aug, Y, C, row_weights, task_scale)
            self._Y = np.vstack([data.Y, np.zeros((1, T), dtype=data.Y.dtype)])
        else:
            # One zero row at the end of each task's block (rows stay sorted by task).
            n, ends = data.n_samples, data.offsets[1:]
            real = np.arange(n) + np.searchsorted(ends, np.arange(n), side="right")
            self._rows = ends + np.arange(T)  # the pseudo-rows' indices
            select = sp.csr_matrix((np.ones(n), (real, np.arange(n))), shape=(n + T, n))
            X_aug = select @ X
            X_aug = X_aug.tocsr() if sp.issparse(X_aug) else np.asarray(X_aug, dtype=X.dtype)
            C = np.zeros(n + T, dtype=data.C.dtype)
            C[real], C[self._rows] = data.C, s
            offsets = data.offsets + np.arange(T + 1)
            self._make = lambda Y: type(data)(X_aug, Y, C, offsets)
            self._Y = np.zeros(n + T, dtype=data.Y.dtype)
            self._Y[real] = data.Y
        base = data._carry(self._make(self._Y))
        base.intercept_shrinkage = 0.0  # an ordinary problem: the term is in its rows
        base.center()
        self.base = base

    def pseudo(self, A):
        """The pseudo-rows' entries of ``A`` (shaped like the problem's ``Y``), one per task."""
        return A[self._rows]

    def add(self, A, delta):
        """Add ``delta`` to the pseudo-rows' entries of ``A``, in place."""
        A[self._rows] += delta

    def b0_step(self, Y, R):
        """The exact step of ``b0`` at fixed ``W``: ``(delta, a)``.

        ``Y`` and ``R`` (the residual, true values) are those of :meth:`at`'s
        problem. With ``b'`` refitted, task t's loss in ``b0`` is
        ``k_t / 2 (b0 - q_t)^2``, ``k_t = S_t s / (S_t + s)`` and ``q_t`` the
        intercept its real rows alone want, read from its pseudo-row's
        prediction ``p_t = (S_t q_t + s b0) / (S_t + s)``: so the best
        ``b0`` is the ``k``-weighted mean of ``q``. The caller moves ``b0``
        by ``delta`` (targets and residual of the pseudo-rows) and each
        centered intercept by ``a_t = s delta / (S_t + s)`` (the residual of
        each task's rows, pseudo-row included, by ``-a_t``).
        """
        S, s = self.S, self.s
        b0 = float(self.pseudo(Y).ravel()[0])
        p = self.pseudo(Y).ravel() - self.pseudo(R).ravel()  # pseudo-rows' predictions: b_t
        seen = S > 0
        q = ((S[seen] + s) * p[seen] - s * b0) / S[seen]
        k = S[seen] * s / (S[seen] + s)
        delta = float(k @ q / k.sum()) - b0 if seen.any() else 0.0
        return delta, (s * delta / (S + s)).astype(Y.dtype)

    def at(self, b0):
        """The ordinary, centered problem whose pseudo-rows have the target ``b0``."""
        Y = self._Y.copy()
        Y[self._rows] = b0
        out = self.base._carry(self._make(Y))
        out.intercept_shrinkage = 0.0
        out.X_offset, out._sums = self.base.X_offset, self.base._sums
        return out
