"""Units: the solvers' problem is the user's with features, targets and task weights rescaled.

Fitting ``(c X, c Y)`` describes the same model as ``(X, Y)`` in other units,
but at ``c = 1e150`` the products the solvers form (``X^T X``, the loss) leave
the floating-point range, and at ``c = 1e-150`` they sink below it. So a
problem whose features, targets or task weights lie far from 1 is solved in
rescaled units::

    X' = X 2^-x,   Y' = Y 2^-y (squared loss only),   tau' = tau 2^-t

with the exponents chosen so that ``max |X'|``, ``max |Y'|`` and
``max tau'`` lie in ``[1/2, 1)``. With ``W' = W 2^(x - y)`` and
``b' = b 2^-y`` the predictor is ``Z' = Z 2^-y``, each task's squared loss
is divided by ``2^(2y)`` and its weight by ``2^t``: the whole objective by
``2^(2y + t)``. The penalty on ``W'`` that keeps the problems equivalent
scales its degree-1 strengths (norms: ``alpha``) by ``2^-(x + y + t)`` and
its degree-2 strengths (quadratic forms: ``l2_reg``, ``lambda_mean``, the
relation matrix ``M``) by ``2^-(2x + t)`` (:meth:`Penalty.scaled`).

Powers of two are exact in binary floating point: rescaling changes no
significant bit, so the internal problem is the user's, not an approximation
of it. Data whose scales already lie within ``2^+-BAND`` of 1 is left as it
is -- no copy of ``X``, and results bit-for-bit those of the unscaled code.
"""

import numpy as np
import scipy.sparse as sp

# Exponents of max |X|, max |Y| and max tau left alone: within 2^+-20 (about 1e+-6) the
# solvers' products stay far inside the range of float32 and float64 (squares below
# 2^80, times n < 2^40 rows), and ordinary data is solved as given, with no copy of X.
BAND = 20
# The intercept's column in gradient methods (FISTA): a problem whose features are far
# from 1 is conditioned by their scale against the intercept's constant column (the
# step size serves both). ``intercept_scale`` (a power of two) is what that column would
# be, were the features rescaled to [1/2, 1): FISTA then takes the same steps as on the
# rescaled problem. Features within 2^+-4 of 1 (standardised data) keep the column 1.
INTERCEPT_BAND = 4
# Rows of a dense X read at a time for max |X| (np.abs(X) would copy all of X).
_CHUNK_ENTRIES = 2 ** 16


def _ldexp(a, k):
    """``a * 2^k``, exact unless it leaves the range of ``a``'s dtype (then 0 or inf)."""
    if k == 0 or a is None:
        return a
    with np.errstate(over="ignore", under="ignore"):
        return np.ldexp(a, k)


class Scaling:
    """The powers of two between the user's problem and the solvers': ``X' = X 2^-x``, ...

    Parameters
    ----------
    x, y, t : int, default=0
        Exponents of the features, the targets and the task weights.
    """

    def __init__(self, x=0, y=0, t=0):
        self.x, self.y, self.t = int(x), int(y), int(t)

    @property
    def identity(self):
        return self.x == self.y == self.t == 0

    @property
    def degree1(self):
        """Exponent of the degree-1 penalty strengths (norms): ``-(x + y + t)``."""
        return -(self.x + self.y + self.t)

    @property
    def degree2(self):
        """Exponent of the degree-2 penalty strengths (quadratic forms): ``-(2x + t)``."""
        return -(2 * self.x + self.t)

    @property
    def objective(self):
        """Exponent of the objective (and of a duality gap): ``-(2y + t)``."""
        return -(2 * self.y + self.t)

    def to_internal(self, W, b=None):
        """``(W 2^(x - y), b 2^-y)``: user coefficients and intercepts in solver units."""
        return _ldexp(W, self.x - self.y), _ldexp(b, -self.y)

    def to_user(self, W, b=None):
        """Inverse of :meth:`to_internal`."""
        return _ldexp(W, self.y - self.x), _ldexp(b, self.y)

    def intercept_to_user(self, b):
        """Solver intercepts (or any predictor-unit value) in the user's units."""
        return _ldexp(b, self.y)

    def objective_to_user(self, value):
        """An objective value or duality gap of the solvers' problem in the user's units.

        Saturates at the largest float64 in magnitude: a gap that large certifies nothing
        either way, and a fitted attribute stays finite (a gap rounded below zero in the
        solver's units, -1e-20, is -inf in the user's at 2^1100).
        """
        out = float(_ldexp(np.float64(value), -self.objective))
        top = float(np.finfo(np.float64).max)
        return out if np.isnan(out) else min(max(out, -top), top)

    def penalty(self, penalty):
        """The penalty of the solvers' problem equivalent to the user's ``penalty``."""
        return penalty if self.identity else penalty.scaled(self.degree1, self.degree2)

    def alpha_to_user(self, alpha):
        """A degree-1 strength of the solvers' problem (an ``alpha_max``) in the user's units."""
        return float(_ldexp(np.float64(alpha), -self.degree1))

    def __mul__(self, other):
        return Scaling(self.x + other.x, self.y + other.y, self.t + other.t)

    def __repr__(self):
        return f"Scaling(x={self.x}, y={self.y}, t={self.t})"


IDENTITY = Scaling()


def max_abs(A):
    """``max |A|`` of a dense or sparse array without a full temporary copy (0 if empty)."""
    if A is None:
        return 0.0
    if sp.issparse(A):
        A = A.data
    A = np.asarray(A)
    if A.size == 0:
        return 0.0
    if A.ndim < 2:
        return float(max(A.max(), -A.min()))
    step = max(1, _CHUNK_ENTRIES // max(A.shape[1], 1))
    out = 0.0
    for start in range(0, A.shape[0], step):
        block = A[start:start + step]
        out = max(out, float(block.max()), -float(block.min()))
    return out


def exponent(value, band=BAND):
    """``e`` with ``value 2^-e`` in ``[1/2, 1)``, or 0 when ``value`` lies within ``2^+-band``."""
    if not (np.isfinite(value) and value > 0):
        return 0
    e = int(np.frexp(np.float64(value))[1])
    return 0 if -band < e <= band else e


def intercept_scale(X):
    """``2^e`` with ``max |X| 2^-e`` in ``[1/2, 1)``, or 1 within ``2^+-INTERCEPT_BAND``."""
    return float(np.ldexp(1.0, exponent(max_abs(X), INTERCEPT_BAND)))


def rescale(data, scale_targets=True):
    """The problem ``data`` in units where features, targets and task weights are near 1.

    Returns ``data`` itself when every scale lies within ``2^+-BAND`` of 1;
    otherwise a new container (the user's arrays are never modified) whose
    ``scaling`` (a :class:`Scaling`) records the exponents. Targets are
    rescaled only with ``scale_targets`` (the squared loss: labels are not
    magnitudes). Call before ``tiled`` and ``center``.
    """
    tau = data.task_sum(data.C.astype(np.float64))  # tau_t: each task's weights sum to it
    x_max = max_abs(data.X)
    s = Scaling(exponent(x_max),
                exponent(max_abs(data.Y)) if scale_targets else 0,
                exponent(float(np.max(tau, initial=0.0))))
    if s.identity:
        if data._intercept_scale is None:  # what intercept_scale(data.X) is: one pass, not two
            data._intercept_scale = float(np.ldexp(1.0, exponent(x_max, INTERCEPT_BAND)))
        return data
    X = data.X
    if s.x:
        if sp.issparse(X):
            X = X.copy()
            X.data = _ldexp(X.data, -s.x)
        else:
            X = _ldexp(X, -s.x)
    Y, C = _ldexp(data.Y, -s.y), _ldexp(data.C, -s.t)
    if data.layout == "shared":
        out = type(data)(X, Y, C, data.row_weights, _ldexp(data.task_scale, -s.t))
    else:
        out = type(data)(X, Y, C, data.offsets)
    out.scaling = data.scaling * s
    # s / 2 ||P b||^2 on b' = b 2^-y: the objective's 2^-(2y + t) needs s' = s 2^-t.
    out.intercept_shrinkage = float(_ldexp(np.float64(data.intercept_shrinkage), -s.t))
    return out
