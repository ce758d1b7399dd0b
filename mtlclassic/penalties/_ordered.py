"""Penalties on tasks in an order (time points): the temporal and the fused sparse group lassos.

Both act on each feature's row ``W[j]`` (its weights across tasks)
separately, with an exact numba row prox
(:mod:`mtlclassic.penalties._ordered_kernels`), so block coordinate descent
and the working-set solvers serve them as they serve the group lasso; both
zero whole features, so screening and working sets apply; both have a
closed-form (or bisection-exact) conjugate, so the duality gap certifies
convergence. ``order`` lists the tasks (positions in ``W``'s columns) in
their temporal order.
"""

import numpy as np

from .._backend import get_namespace, to_host
from ._base import Penalty, scale_strength
from ._ordered_kernels import (fused_dual_scale, fused_row_dual_norms, fused_tv_step,
                               spectral_l21_conjugate, spectral_l21_null_norms)
from ._row_kernels import PROX_FUSED_SGL, PROX_SPECTRAL_L21


def check_order(order, n_tasks):
    """``order`` as an int array, a permutation of ``range(n_tasks)`` (None: the identity)."""
    if order is None:
        return np.arange(n_tasks)
    out = np.asarray(order)
    if out.shape != (n_tasks,) or not np.array_equal(np.sort(out), np.arange(n_tasks)):
        raise ValueError(f"order must be a permutation of range({n_tasks}), got {order!r}.")
    return out.astype(np.int64)


def path_laplacian_spectrum(order):
    """``(mu, Q)``: eigenpairs of the Laplacian of the path of tasks along ``order``.

    ``sum_i (w_{o_i} - w_{o_{i+1}})^2 = w^T L w``; for the path in its own
    order the eigenvectors are the DCT-II basis, ``v_k(i) = sqrt(2 / T) cos(pi k
    (i + 1/2) / T)`` (``1 / sqrt(T)`` for ``k = 0``), with eigenvalues ``mu_k =
    2 - 2 cos(pi k / T)``; in the tasks' own positions the rows are permuted
    (``Q[o_i] = v(i)``). ``mu_0 = 0`` exactly: the constant direction.
    """
    T = len(order)
    i = np.arange(T)[:, None] + 0.5
    k = np.arange(T)[None, :]
    V = np.sqrt(2.0 / T) * np.cos(np.pi * k * i / T)
    V[:, 0] = 1.0 / np.sqrt(T)
    mu = 2.0 - 2.0 * np.cos(np.pi * np.arange(T) / T)
    mu[0] = 0.0
    Q = np.empty_like(V)
    Q[order] = V
    return mu, Q


def _diffs(xp, W, order):
    """``W[:, o_{i+1}] - W[:, o_i]``: differences along the order, shape (p, T - 1)."""
    ordered = W[:, xp.asarray(order)] if xp is not np else W[:, order]
    return ordered[:, 1:] - ordered[:, :-1]


class TemporalL21(Penalty):
    r"""Temporal group lasso: features kept or dropped for all time points, smooth over time::

        alpha * sum_j ||W[j]||_2  +  lambda_smooth / 2 sum_j sum_i (W[j, o_{i+1}] - W[j, o_i])^2
        (+ l2_reg / 2 ||W||_F^2)

    with ``W`` of shape (n_features, n_tasks) and ``o`` the tasks in their
    order. Each row pays ``alpha ||w|| + 1/2 w^T (lambda_smooth L) w``, ``L``
    the path Laplacian, whose eigenbasis is known (:func:`path_laplacian_spectrum`).

    Prox (exact): in that basis a weighted ridge shrinkage scaled by the root
    of a 1-D secular equation (:func:`~mtlclassic.penalties._ordered_kernels.spectral_l21_prox`).
    Conjugate (closed form up to the same root): with ``l2_reg = 0`` it is
    finite iff each row's mean direction ``|sum_t V[j, t]| / sqrt(T) <=
    alpha`` (the quadratic does not penalise the constant direction), which
    :meth:`dual_scale` restores by rescaling. Features are zero at the optimum
    iff ``||X_j^T theta||_2 <= alpha``, as for the group lasso: ``alpha_max``,
    the row dual norms and screening are the group lasso's.

    References
    ----------
    Zhou, J., Yuan, L., Liu, J. and Ye, J. (2011). A multi-task learning
    formulation for predicting disease progression. KDD.
    """

    row_separable = True
    has_dual_norm = True
    row_kind = PROX_SPECTRAL_L21

    def __init__(self, alpha, lambda_smooth=0.0, order=None, l2_reg=0.0, *, n_tasks=None):
        super().__init__(alpha, l2_reg)
        if not (np.isfinite(lambda_smooth) and lambda_smooth >= 0):
            raise ValueError(f"lambda_smooth must be a finite number >= 0, got {lambda_smooth}.")
        if order is None and n_tasks is None:
            raise ValueError("TemporalL21 needs order or n_tasks.")
        self.lambda_smooth = float(lambda_smooth)
        self.order = check_order(order, n_tasks if order is None else len(order))
        self._mu, self._Q = path_laplacian_spectrum(self.order)
        self.zeroes_rows = self.alpha > 0

    def scaled(self, degree1, degree2):
        """``alpha`` of degree 1; ``lambda_smooth`` and ``l2_reg`` (quadratic) of degree 2."""
        out = super().scaled(degree1, degree2)
        out.lambda_smooth = scale_strength(self.lambda_smooth, degree2)
        return out

    @property
    def _d(self):
        """Eigenvalues of the smoothing quadratic ``lambda_smooth L`` (exact zero at k = 0)."""
        return self.lambda_smooth * self._mu

    @property
    def row_params(self):
        return np.concatenate([[self.l2_reg, self.alpha], self._d, self._Q.ravel()])

    def _value(self, W):
        xp = get_namespace(W)
        out = self.alpha * float(xp.sum(xp.sqrt(xp.sum(W * W, axis=1))))
        if self.lambda_smooth and W.shape[1] > 1:
            D = _diffs(xp, W, self.order)
            out += 0.5 * self.lambda_smooth * float(xp.sum(D * D))
        return out

    def _prox_xp(self, W, step):
        # The secular root is a numba kernel: solved on the host ((p, T), small next to
        # the data a GPU holds), the result sent back.
        xp = get_namespace(W)
        return xp.asarray(self._prox(np.asarray(to_host(W)), step))

    # -- the dual side -------------------------------------------------------------
    def dual_norm(self, V):
        """``max_j ||V[j]||_2``: ``W = 0`` is optimal iff it is ``<= alpha`` at ``X^T theta``."""
        return float(self.row_dual_norms(V).max()) if V.size else 0.0

    def row_dual_norms(self, V):
        xp = get_namespace(V)
        return xp.sqrt(xp.sum(V * V, axis=1))

    def screen(self, V, radius):
        """Zero rows: ``||V[j]|| + radius[j] < alpha`` (nonzero: ``||X_j^T theta*|| >= alpha``)."""
        return self.row_dual_norms(V) + radius < self.alpha

    def _eigen(self):
        """Eigenvalues of the whole quadratic ``lambda_smooth L + l2_reg I``, and ``Q``."""
        return self.lambda_smooth * self._mu + self.l2_reg, self._Q

    def dual_scale(self, V):
        """``s <= 1`` putting each row's unpenalised part (``e_k = 0``) in the alpha ball."""
        e, Q = self._eigen()
        if V.size == 0 or np.all(e > 0):
            return 1.0
        nrm = float(spectral_l21_null_norms(np.asarray(to_host(V), dtype=np.float64), e, Q).max())
        return 1.0 if nrm <= self.alpha else self.alpha / nrm

    def conjugate(self, V):
        """``sum_j h^*(V[j])`` in closed form up to one secular root per row (see the kernel)."""
        if V.size == 0:
            return 0.0
        e, Q = self._eigen()
        return float(spectral_l21_conjugate(np.asarray(to_host(V), dtype=np.float64),
                                            self.alpha, e, Q))

    def cvxpy_expr(self, W):
        import cvxpy as cp

        expr = self.alpha * cp.sum(cp.norm(W, 2, axis=1))
        if self.lambda_smooth and W.shape[1] > 1:
            ordered = W[:, self.order]
            steps = ordered[:, 1:] - ordered[:, :-1]
            expr = expr + 0.5 * self.lambda_smooth * cp.sum_squares(steps)
        if self.l2_reg:
            expr = expr + 0.5 * self.l2_reg * cp.sum_squares(W)
        return expr

    def __repr__(self):
        return (f"TemporalL21(alpha={self.alpha:g}, lambda_smooth={self.lambda_smooth:g}, "
                f"order={self.order.tolist()}, l2_reg={self.l2_reg:g})")


class FusedSparseGroup(Penalty):
    r"""Fused sparse-group lasso over tasks in an order::

        alpha * sum_j (l1_ratio ||W[j]||_1 + (1 - l1_ratio) ||W[j]||_2)
        + alpha_fused * sum_j sum_i |W[j, o_{i+1}] - W[j, o_i]|  (+ l2_reg / 2 ||W||_F^2)

    Prox (exact, per row): the total-variation prox along the order
    (Condat's direct algorithm), then the soft threshold, then the group
    shrinkage (see :mod:`mtlclassic.penalties._ordered_kernels`).

    Dual side: the penalty is a norm ``N`` (for ``alpha > 0``); ``v`` is in
    its dual ball iff its prox at ``v`` is zero, i.e. iff the sparse-group
    dual norm of the TV prox of ``v`` is at most ``alpha``. That quantity
    (the smallest ``alpha`` at the given ``alpha_fused``) is the row dual
    norm, so ``alpha_max`` is exact; the dual point's rescaling is a
    bisection on the same membership test (:meth:`dual_scale`, to ``2^-60``,
    the feasible end kept).

    References
    ----------
    Zhou, J., Liu, J., Narayan, V. A. and Ye, J. (2012). Modeling disease
    progression via fused sparse group lasso. KDD.
    Condat, L. (2013). A direct algorithm for 1-D total variation denoising.
    IEEE Signal Processing Letters 20(11).
    """

    row_separable = True
    has_dual_norm = True
    row_kind = PROX_FUSED_SGL

    def __init__(self, alpha, l1_ratio=0.5, alpha_fused=0.0, order=None, l2_reg=0.0, *,
                 n_tasks=None):
        super().__init__(alpha, l2_reg)
        if not 0.0 <= l1_ratio <= 1.0:
            raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio}.")
        if not (np.isfinite(alpha_fused) and alpha_fused >= 0):
            raise ValueError(f"alpha_fused must be a finite number >= 0, got {alpha_fused}.")
        if order is None and n_tasks is None:
            raise ValueError("FusedSparseGroup needs order or n_tasks.")
        self.l1_ratio = float(l1_ratio)
        self.alpha_fused = float(alpha_fused)
        self.order = check_order(order, n_tasks if order is None else len(order))
        self.zeroes_rows = self.alpha > 0

    def scaled(self, degree1, degree2):
        """``alpha`` and ``alpha_fused`` (norms) of degree 1, ``l2_reg`` of degree 2."""
        out = super().scaled(degree1, degree2)
        out.alpha_fused = scale_strength(self.alpha_fused, degree1)
        return out

    @property
    def row_params(self):
        return np.concatenate([[self.l2_reg, self.alpha, self.l1_ratio, self.alpha_fused],
                               self.order.astype(np.float64)])

    def _value(self, W):
        xp = get_namespace(W)
        r = self.l1_ratio
        out = self.alpha * (r * float(xp.sum(xp.abs(W)))
                            + (1.0 - r) * float(xp.sum(xp.sqrt(xp.sum(W * W, axis=1)))))
        if self.alpha_fused and W.shape[1] > 1:
            out += self.alpha_fused * float(xp.sum(xp.abs(_diffs(xp, W, self.order))))
        return out

    def _prox_xp(self, W, step):
        xp = get_namespace(W)
        return xp.asarray(self._prox(np.asarray(to_host(W)), step))

    def _host(self, V):
        return np.ascontiguousarray(to_host(V), dtype=np.float64)

    def row_dual_norms(self, V):
        """Per row, the smallest ``alpha`` (this ``alpha_fused``) with ``V[j]`` in the dual ball."""
        if V.shape[1] == 0:
            return np.zeros(V.shape[0])
        return fused_row_dual_norms(self._host(V), self.l1_ratio, self.alpha_fused,
                                    self.order.astype(np.float64))

    def dual_norm(self, V):
        """``max_j`` of :meth:`row_dual_norms`: ``alpha_max`` at this ``alpha_fused``."""
        return float(self.row_dual_norms(V).max()) if V.size else 0.0

    def dual_scale(self, V):
        if self.l2_reg or V.size == 0:
            return 1.0
        return float(fused_dual_scale(self._host(V), self.alpha, self.l1_ratio, self.alpha_fused,
                                      self.order.astype(np.float64)))

    def screen(self, V, radius):
        """Zero rows: the sparse-group rule (Ndiaye et al. 2016) at the TV prox of ``V[j]``.

        ``V[j] - u = D^T c`` with ``||c||_inf <= alpha_fused`` (``u`` the TV
        prox), so every point within ``radius[j]`` of ``V[j]`` is ``D^T c``
        plus a point within ``radius[j]`` of ``u``: if all of those are in the
        sparse-group ball, the row is zero at the optimum.
        """
        U = self._host(V).copy()
        if U.shape[1] == 0:
            return np.ones(U.shape[0], dtype=bool)
        if self.alpha_fused and U.shape[1] > 1:
            # The TV step at step 1 with strength alpha_fused (the other entries unused).
            params = np.concatenate([[0.0, 0.0, 0.0, self.alpha_fused],
                                     self.order.astype(np.float64)])
            for j in range(U.shape[0]):
                fused_tv_step(U[j], 1.0, params)
        r, a = self.l1_ratio, self.alpha
        upper = np.abs(U) + np.asarray(to_host(radius))[:, None]
        st = np.maximum(upper - r * a, 0.0)
        return (np.sqrt(np.sum(st * st, axis=1)) < (1.0 - r) * a) | (np.max(upper, axis=1) < r * a)

    def cvxpy_expr(self, W):
        import cvxpy as cp

        r = self.l1_ratio
        expr = self.alpha * (r * cp.sum(cp.abs(W)) + (1.0 - r) * cp.sum(cp.norm(W, 2, axis=1)))
        if self.alpha_fused and W.shape[1] > 1:
            ordered = W[:, self.order]
            expr = expr + self.alpha_fused * cp.sum(cp.abs(ordered[:, 1:] - ordered[:, :-1]))
        if self.l2_reg:
            expr = expr + 0.5 * self.l2_reg * cp.sum_squares(W)
        return expr

    def __repr__(self):
        return (f"FusedSparseGroup(alpha={self.alpha:g}, l1_ratio={self.l1_ratio:g}, "
                f"alpha_fused={self.alpha_fused:g}, order={self.order.tolist()}, "
                f"l2_reg={self.l2_reg:g})")
