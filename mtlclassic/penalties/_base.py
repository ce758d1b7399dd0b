"""What every penalty shares: the optional elastic l2 term and the Fenchel conjugate.

A penalty is ``h(W) = f(W) + l2_reg / 2 ||W||_F^2`` with ``f`` a (scaled)
norm, an indicator or zero.  Subclasses implement ``f`` through ``_value``,
``_prox`` and ``dual_norm``; the l2 term, the conjugate needed by the duality
gap and the dual-point rescaling are written once here.
"""

import copy

import numpy as np

from .._backend import get_namespace
from ._row_kernels import P_L2, prox_rows

# Largest strength a rescaled penalty takes: a strength so far above the data's scale
# that it leaves the float range means W = 0 all the same; it stays finite.
_MAX_STRENGTH = float(np.finfo(np.float64).max)


def scale_strength(value, k):
    """``value * 2^k`` (exact unless it leaves the float64 range: then 0, or the largest float)."""
    if k == 0:
        return value
    with np.errstate(over="ignore", under="ignore"):
        return min(float(np.ldexp(np.float64(value), k)), _MAX_STRENGTH)


def _prox_on_rows(W, step, kind, params):
    """The numba row prox ``kind`` on every row of the numpy ``W``: a new array of its dtype."""
    dtype = W.dtype if W.dtype in (np.float32, np.float64) else np.float64
    out = np.array(W, dtype=dtype, order="C", copy=True)
    if out.size:  # a row of no task has nothing to shrink (nor a mean to take)
        prox_rows(out, float(step), kind, params)
    return out


class Penalty:
    """Base class of the penalties on ``W`` of shape (n_features, n_tasks).

    Subclasses set ``alpha`` and declare what the solvers may rely on; the
    solvers read these flags, never a penalty's name:

    ``row_separable``
        ``f`` acts on each feature's row ``W[j]`` separately, with a numba row
        prox named by ``row_kind`` (:mod:`mtlclassic.penalties._row_kernels`)
        taking the parameters ``row_params``: block coordinate descent and
        the working-set solver apply. Otherwise only the array-generic FISTA
        (and cvxpy) solve it.
    ``zeroes_rows``
        ``f`` zeroes whole rows at the optimum (``row_dual_norms`` and
        ``screen`` exist): gap-safe screening and working sets apply.
    ``has_dual_norm``
        ``dual_norm`` and ``conjugate`` are available in closed form, so a
        duality gap certifies convergence; without it FISTA stops on a
        fixed-point rule and reports a NaN gap.
    """

    row_separable = False
    zeroes_rows = False
    has_dual_norm = False
    row_kind = None
    # Attributes handed to the row prox after the elastic term, in the kernel's order.
    row_param_names = ()

    def __init__(self, alpha, l2_reg=0.0):
        for name, value in (("alpha", alpha), ("l2_reg", l2_reg)):
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value}.")
        self.alpha = float(alpha)
        self.l2_reg = float(l2_reg)

    def scaled(self, degree1, degree2):
        """The same penalty with its degree-1 strengths times ``2^degree1``, degree-2 ``2^degree2``.

        Degree 1: terms homogeneous of degree 1 in ``W`` (norms: ``alpha``);
        degree 2: quadratic terms (``l2_reg``). The equivalent penalty of a
        rescaled problem (:class:`mtlclassic.data.Scaling`); powers of two
        keep it exact. Subclasses with other strengths override this.
        """
        out = copy.copy(self)
        out.alpha = scale_strength(self.alpha, degree1)
        out.l2_reg = scale_strength(self.l2_reg, degree2)
        return out

    @property
    def row_params(self):
        """``[l2_reg, *row_param_names]`` as the numba row prox reads them (float64)."""
        return np.array([self.l2_reg, *(getattr(self, name) for name in self.row_param_names)],
                        dtype=np.float64)

    @property
    def kind(self):
        """``row_kind`` if the penalty is row-separable, else None (read by the estimators)."""
        return self.row_kind if self.row_separable else None

    @property
    def sparse(self):
        """Alias of ``zeroes_rows``."""
        return self.zeroes_rows

    # -- the nonsmooth part f, implemented by subclasses --------------------
    def _value(self, W):
        raise NotImplementedError

    def _prox(self, W, step):
        """``prox_{step f}(W)``: a row-separable penalty's numba row prox on numpy arrays.

        Other array namespaces (CuPy) take ``_prox_xp``, the same prox written
        with array operations, so that a GPU solve stays on the device.
        """
        if self.row_separable and isinstance(W, np.ndarray):
            params = self.row_params
            params[P_L2] = 0.0
            return _prox_on_rows(W, step, self.row_kind, params)
        return self._prox_xp(W, step)

    def _prox_xp(self, W, step):
        """``prox_{step f}(W)`` in ``W``'s array namespace."""
        raise NotImplementedError

    def dual_norm(self, V):
        """The dual norm of ``f / alpha`` at ``V``: ``f^*(V) = 0`` iff it is ``<= alpha``."""
        raise NotImplementedError

    def _cvxpy(self, W):
        raise NotImplementedError

    # -- the penalty h = f + l2_reg/2 ||.||^2 ------------------------------
    def value(self, W):
        xp = get_namespace(W)
        out = self._value(W)
        if self.l2_reg:
            out += 0.5 * self.l2_reg * float(xp.sum(W * W))
        return out

    def prox(self, W, step):
        """``argmin_U 1/(2 step) ||U - W||^2 + h(U)``.

        ``prox_{s h}(V) = prox_{s' f}(V / (1 + s l2_reg))`` with
        ``s' = s / (1 + s l2_reg)``: completing the square.
        """
        if self.row_separable and isinstance(W, np.ndarray):  # the l2 term folded in the kernel
            return _prox_on_rows(W, step, self.row_kind, self.row_params)
        if self.l2_reg:
            shrink = 1.0 / (1.0 + step * self.l2_reg)
            return self._prox(W * shrink, step * shrink)
        return self._prox(W, step)

    def dual_scale(self, V):
        """Factor ``s in (0, 1]`` making the dual point ``s * theta`` feasible (``h^*(s V) < inf``).

        With ``l2_reg > 0`` the conjugate is finite everywhere and ``s = 1``.
        """
        if self.l2_reg:
            return 1.0
        nrm = self.dual_norm(V)
        return 1.0 if nrm <= self.alpha else self.alpha / nrm

    def conjugate(self, V):
        """``h^*(V) = sup_W <V, W> - h(W)``, at a ``V`` made feasible by :meth:`dual_scale`.

        Zero for a norm (``V`` is in its dual ball); with ``l2_reg = r > 0``
        the supremum is attained at ``U = prox_{f/r}(V / r)``, so
        ``h^*(V) = <V, U> - f(U) - r/2 ||U||^2``. ``f`` is positively
        homogeneous (a norm, or the indicator of a cone), so ``U = P / r``
        with ``P = prox_f(V)`` and ``h^*(V) = (<V, P> - f(P) - ||P||^2 / 2) / r``:
        formed in ``V``'s units and divided once, it is finite whenever the
        value is (a tiny ``r``, as a rescaled ridge of 1e-200, would overflow
        ``U``'s square first). Penalties with other ``f`` override this.
        """
        if not self.l2_reg:
            return 0.0
        xp = get_namespace(V)
        P = self._prox(V, 1.0)
        with np.errstate(over="ignore"):  # beyond the float range: inf, the dual's -inf
            return (float(xp.sum(V * P)) - self._value(P) - 0.5 * float(xp.sum(P * P))) / self.l2_reg

    def cvxpy_expr(self, W):
        """The penalty as a cvxpy expression of a variable ``W`` (reference solver)."""
        import cvxpy as cp

        expr = self._cvxpy(W)
        if self.l2_reg:
            expr = expr + 0.5 * self.l2_reg * cp.sum_squares(W)
        return expr

    def cvxpy_constraints(self, W):
        """Constraints on ``W`` the penalty imposes (indicator penalties), for cvxpy."""
        return []

    # -- row-separable penalties: screening and working sets ----------------
    def row_dual_norms(self, V):
        """Per-feature dual norms, shape (n_features,): row j is feasible iff ``<= alpha``."""
        raise NotImplementedError(f"{type(self).__name__} zeroes no rows.")

    def screen(self, V, radius):
        """Features proven zero at the optimum (gap-safe rule), boolean of shape (n_features,).

        ``V`` is ``X^T theta`` at a feasible dual point and ``radius[j]``
        bounds ``||X_j^T (theta - theta*)||_2``.
        """
        raise NotImplementedError(f"{type(self).__name__} zeroes no rows.")

    def __repr__(self):
        extra = "" if not self.l2_reg else f", l2_reg={self.l2_reg:g}"
        return f"{type(self).__name__}(alpha={self.alpha:g}{extra})"
