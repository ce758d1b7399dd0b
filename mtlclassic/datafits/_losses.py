"""Quadratic and logistic datafits.

A datafit is ``F(W, b) = sum_it c_it l(y_it, z_it)`` with ``Z = linear(W, b)``
given by the problem container; the container holds everything that depends on
the layout, so one class per loss serves both layouts.  Methods taking ``Z``
let solvers reuse a predictor they already have.

The dual objective used for duality gaps is ``-F^*(-theta)`` evaluated at
``theta = -grad_Z F`` (rescaled by the penalty), see :func:`mtlclassic.solvers.duality_gap`.

Intercept shrinkage: a container with ``intercept_shrinkage = s > 0`` adds
``G(b) = s / 2 sum_t (b_t - mean(b))^2`` to the datafit, which is
``min_{b0} s / 2 sum_t (b_t - b0)^2`` (one shared intercept ``b0``, profiled
out). ``value``, ``gradient``, ``optimal_intercept`` and ``null_value``
include it; solvers that work on ``Z`` add :meth:`_Datafit.intercept_value`
to the primal and :meth:`_Datafit.intercept_conjugate` to the dual. Its
conjugate is ``G^*(u) = ||u||^2 / (2 s)`` on ``sum_t u_t = 0`` (``+inf``
elsewhere), ``u_t = sum_{i in t} theta_i``: the per-task dual constraints
``u_t = 0`` of free intercepts become one total constraint and a term in the
dual objective. The best intercepts given ``W`` solve ``T`` equations
coupled through ``b0``: diagonal plus rank one (:func:`_shrunk_solve`).
"""

import math

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh

from .._backend import get_namespace, special
from . import _logistic_kernels as _lk


def _shrunk_solve(h, s, g):
    """Solve ``(diag(h) + s P) x = g``, ``P = I - 1 1^T / T``: diagonal plus rank one.

    Sherman-Morrison with ``a = h + s``: ``x = g / a + (s / T) (1 / a) sum(g / a) / den``,
    ``den = 1 - (s / T) sum(1 / a)`` written as ``mean(h / a)``, which does not
    cancel when ``s >> h`` (the shared-intercept limit, ``x -> sum(g) / sum(h)``).
    Positive unless every ``h_t`` is zero.
    """
    xp = get_namespace(g)
    a = h + s
    ga = g / a
    den = xp.mean(h / a)
    return ga + (s / h.shape[0]) * xp.sum(ga) / den / a


def _normal_apply(data, W, b, intercept_scale=1.0):
    """``A^T diag(C) A (W, b)`` with ``A(W, b) = linear(W, s b)``: the pair ``(G_W, g_b)``.

    ``b=None`` leaves the intercepts out (``g_b`` is None); ``s`` is the
    intercept's column (``intercept_scale``). Runs on the container's array
    namespace.
    """
    s = intercept_scale
    if b is None:
        return data.rmatvec(data.C * data.linear(W)), None
    if s == 1.0:
        D = data.C * data.linear(W, b)
        return data.rmatvec(D), data.task_sum(D)
    D = data.C * data.linear(W, s * b)
    return data.rmatvec(D), s * data.task_sum(D)


def _joint_operator(data, fit_intercept):
    """``v -> A^T diag(C) A v`` on the flattened ``(W, b)``; returns (matvec, dim)."""
    p, T = data.n_features, data.n_tasks
    n_w = p * T

    def matvec(v):
        v = np.asarray(v, dtype=np.float64).ravel()
        G, g = _normal_apply(data, v[:n_w].reshape(p, T), v[n_w:] if fit_intercept else None)
        return G.ravel() if g is None else np.concatenate([G.ravel(), g])

    return matvec, n_w + (T if fit_intercept else 0)


def _power_iteration(data, fit_intercept, n_iter, intercept_scale=1.0):
    """A few power-iteration steps on the joint operator: an estimate from below.

    On ``(W, b)`` directly rather than a flattened vector, so that it runs on
    the container's array namespace (numpy or CuPy), where the data is.
    """
    xp = get_namespace(data.Y)
    p, T = data.n_features, data.n_tasks
    dim = p * T + (T if fit_intercept else 0)
    v = np.random.default_rng(0).standard_normal(dim)  # deterministic, generic start
    v /= np.linalg.norm(v)
    # In the data's precision: a float64 W would make every product upcast a copy of X.
    W = xp.asarray(v[:p * T].reshape(p, T), dtype=data.dtype)
    b = xp.asarray(v[p * T:], dtype=data.dtype) if fit_intercept else None
    lam = 0.0
    for _ in range(n_iter):
        W, b = _normal_apply(data, W, b, intercept_scale)
        lam = math.sqrt(float(xp.sum(W * W)) + (0.0 if b is None else float(xp.sum(b * b))))
        if lam == 0.0:
            return 0.0
        W = W / lam
        b = None if b is None else b / lam
    return lam


def _largest_eigenvalue(data, fit_intercept):
    """Largest eigenvalue of ``A^T diag(C) A`` where ``A(W, b) = linear(W, b)``.

    The operator is block diagonal over tasks, so this is the largest of the
    per-task curvatures.  Lanczos (``eigsh``) converges to it from below; the
    caller adds a relative margin far above Lanczos' tolerance, which makes the
    result an upper bound.
    """
    matvec, dim = _joint_operator(data, fit_intercept)
    if dim <= 2:  # eigsh needs k < dim
        M = np.column_stack([matvec(e) for e in np.eye(dim)])
        return float(np.linalg.eigvalsh(0.5 * (M + M.T))[-1])
    op = LinearOperator((dim, dim), matvec=matvec, dtype=np.float64)
    v0 = np.ones(dim)  # deterministic start
    return float(eigsh(op, k=1, which="LA", tol=1e-10, v0=v0,
                       return_eigenvectors=False)[0])


class _Datafit:
    """Shared plumbing: ``value``, ``gradient`` and Lipschitz constants from the elementwise loss.

    ``affine_gradient`` (a capability the solvers read): ``dF/dZ = C (Z - Y)``
    is affine in the predictor, so block coordinate descent keeps the
    residual up to date in place (or works in Gram form), and on a centered
    container the best intercepts do not depend on ``W``.
    """

    lipschitz_factor = 1.0
    affine_gradient = False

    def __init__(self, data):
        self.data = data
        # Paths, CV and the alternating models solve many problems on one (unchanging)
        # container: its curvature constants are computed once.
        self._lipschitz = {}
        self._block_lipschitz = None

    def linear(self, W, b=None, features=None):
        """The container's linear predictor (see ``SharedDesign.linear``)."""
        return self.data.linear(W, b, features)

    def value(self, W, b=None):
        """Datafit value at ``(W, b)`` (with the intercepts' shrinkage term, if any)."""
        return self.value_z(self.linear(W, b)) + self.intercept_value(b)

    def gradient(self, W, b=None):
        """Gradients ``(grad_W, grad_b)`` of the datafit, shapes (p, T) and (T,)."""
        D = self.derivative_z(self.linear(W, b))
        gb = self.data.task_sum(D)
        if b is not None and self.shrinks_intercepts:
            gb = gb + self.intercept_gradient(b)
        return self.data.rmatvec(D), gb

    def lipschitz(self, fit_intercept=False, exact=True, intercept_scale=1.0):
        """Lipschitz constant of the gradient in ``(W, b)``.

        ``exact=True``: an upper bound (Lanczos plus a 0.1% margin), which
        costs tens of products with ``X``. ``exact=False``: a 10-step power
        iteration, cheap but from below -- for solvers that backtrack; with
        ``intercept_scale = s`` it is the constant in ``(W, b / s)`` (the
        intercept's column ``s``, as FISTA takes it).
        """
        cache = self._lipschitz
        key = (bool(fit_intercept), bool(exact), float(intercept_scale))
        if key not in cache:
            if exact:
                if intercept_scale != 1.0:
                    raise ValueError("exact Lipschitz constants take intercept_scale=1 only.")
                lam = max(_largest_eigenvalue(self.data, fit_intercept), 0.0) * (1.0 + 1e-3)
            else:
                lam = _power_iteration(self.data, fit_intercept, n_iter=10,
                                       intercept_scale=intercept_scale)
            cache[key] = self.lipschitz_factor * lam
        return cache[key]

    def profiled_lipschitz(self):
        """Estimate of the curvature of ``f(W) = min_b F(W, b) + G(b)`` (intercept shrinkage).

        Ten power-iteration steps, from below (for solvers that backtrack), on
        the Schur complement ``H_WW - H_Wb H_bb^-1 H_bW`` of the squared loss
        with weights ``factor * C`` (the logistic loss's curvature bound),
        ``H_bb = diag(task sums) + s P``: bounded whatever ``s``, where the
        joint curvature in ``(W, b)`` grows with it.
        """
        if "profiled" not in self._lipschitz:
            data, xp = self.data, get_namespace(self.data.Y)
            C = self.lipschitz_factor * data.C
            S, shrink = data.task_sum(C), data.intercept_shrinkage
            W = xp.asarray(np.random.default_rng(0).standard_normal(
                (data.n_features, data.n_tasks)), dtype=data.dtype)
            lam = 0.0
            for _ in range(10):
                Z = data.linear(W)
                b = _shrunk_solve(S, shrink, data.task_sum(C * Z))  # H_bb^-1 H_bW W
                W = data.rmatvec(C * (Z - data.expand(b)))
                lam = math.sqrt(float(xp.sum(W * W)))
                if lam == 0.0:
                    break
                W = W / lam
            self._lipschitz["profiled"] = lam
        return self._lipschitz["profiled"]

    def block_lipschitz(self):
        """Per-feature Lipschitz constants for block coordinate descent, shape (p,).

        ``L_j = factor * max_t sum_i c_it x_ij^2``: the Hessian block of feature
        j is diagonal across tasks, and its largest entry bounds it.
        """
        if self._block_lipschitz is None:
            self._block_lipschitz = (self.lipschitz_factor
                                     * self.data.weighted_sq_col_norms().max(axis=1))
        return self._block_lipschitz

    def in_dual_domain(self, theta):
        """Whether ``-F^*(-theta)`` is finite (always, for the squared loss)."""
        return True

    # -- the intercepts' shrinkage term G(b) = s / 2 sum_t (b_t - mean(b))^2 ------------
    @property
    def shrinks_intercepts(self):
        """Whether the objective has the intercepts' term (``data.intercept_shrinkage > 0``).

        The best intercepts then depend on ``W`` (the container is not
        centered): solvers refit them as ``W`` changes.
        """
        return self.data.intercept_shrinkage > 0

    def intercept_value(self, b):
        """``G(b) = s / 2 sum_t (b_t - mean(b))^2`` (0 without shrinkage or intercepts)."""
        s = self.data.intercept_shrinkage
        if not s > 0 or b is None:
            return 0.0
        xp = get_namespace(b)
        d = b.astype(np.float64)
        d = d - xp.mean(d)
        return 0.5 * s * float(xp.sum(d * d))

    def intercept_gradient(self, b):
        """``grad G(b) = s (b - mean(b))``."""
        s = self.data.intercept_shrinkage
        if not s > 0:
            return 0.0 * b
        return s * (b - get_namespace(b).mean(b))

    def intercept_conjugate(self, theta):
        """``G^*(u) = ||u||^2 / (2 s)``, ``u`` the per-task sums of ``theta``.

        Finite on ``sum_t u_t = 0`` only; a dual point taken at the best
        intercepts for its ``W`` (or an affine combination of such points)
        meets it up to rounding, as free intercepts meet ``u_t = 0``.
        """
        s = self.data.intercept_shrinkage
        if not s > 0:
            return 0.0
        xp = get_namespace(theta)
        u = self.data.task_sum(theta)
        return float(xp.sum(u * u)) / (2.0 * s)

    def null_value(self, fit_intercept):
        """Datafit value at ``W = 0`` (with the best intercept if fitted): the scale of gaps."""
        cache = self.__dict__.setdefault("_null_values", {})
        if fit_intercept not in cache:
            xp = get_namespace(self.data.Y)
            W0 = xp.zeros((self.data.n_features, self.data.n_tasks), dtype=self.data.dtype)
            b0 = self.optimal_intercept(xp.zeros_like(self.data.Y)) if fit_intercept else None
            cache[fit_intercept] = self.value(W0, b0)
        return cache[fit_intercept]


class Quadratic(_Datafit):
    r"""Squared loss, each task's weighted mean::

        F(W, b) = sum_t tau_t / (2 sum_i s_i) sum_{i in task t} s_i (y_i - x_i w_t - b_t)^2
                = 1/2 sum_it c_it (y_it - z_it)^2

    Its conjugate gives the dual objective
    ``D(theta) = sum_it (theta_it y_it - theta_it^2 / (2 c_it))``.
    """

    name = "quadratic"
    lipschitz_factor = 1.0
    affine_gradient = True

    def value_z(self, Z):
        R = self.data.Y - Z
        return 0.5 * float(get_namespace(Z).sum(self.data.C * R * R))

    @staticmethod
    def cvxpy_term(y, z, c):
        """``sum_i c_i (y_i - z_i)^2 / 2`` as a cvxpy expression of ``z`` (reference solver)."""
        import cvxpy as cp

        return 0.5 * cp.sum_squares(cp.multiply(np.sqrt(c), y - z))

    def derivative_z(self, Z):
        """``dF/dZ = c (z - y)``."""
        return self.data.C * (Z - self.data.Y)

    def curvature_z(self, Z):
        """``d^2F/dZ^2 = c`` (elementwise: the datafit is separable in ``Z``)."""
        return self.data.C

    def dual_value(self, theta):
        """``-F^*(-theta)``; entries with ``c = 0`` must have ``theta = 0``."""
        xp = get_namespace(theta)
        C = self.data.C
        safe_c = xp.where(C > 0, C, 1.0)
        return float(xp.sum(theta * self.data.Y - theta * theta / (2.0 * safe_c)))

    def optimal_intercept(self, Z0, b=None):
        """Intercept minimising the datafit given ``Z0 = linear(W)``: weighted means of the residual.

        With shrinkage ``s``: ``(diag(S) + s P) b = S r``, ``S_t`` the sum of
        task t's weights and ``r_t`` its weighted mean residual (each ``b_t``
        pulled towards the shared ``b0``). ``b`` (a starting point, used by
        iterative losses) is not needed here.
        """
        C = self.data.C
        g, S = self.data.task_sum(C * (self.data.Y - Z0)), self.data.task_sum(C)
        if self.shrinks_intercepts:
            return _shrunk_solve(S, self.data.intercept_shrinkage, g).astype(g.dtype, copy=False)
        return g / S


def _flat(*arrays):
    """The contiguous 1-D numpy arrays (stacked layout) of one length; else None.

    None (the caller's numpy / CuPy expressions then apply) for CuPy arrays,
    strided views and the shared layout's (n, T) arrays: those have few rows
    next to their products with ``X`` (the passes cost little there), and the
    compiled sums round differently from numpy's, which moves the path of
    the Newton steps (LassoClassifier on n=300, p=2000, T=10 at alpha_max/100:
    349 -> 388 epochs).
    """
    n = arrays[0].shape
    if all(type(a) is np.ndarray and a.ndim == 1 and a.shape == n and a.flags.c_contiguous
           for a in arrays):
        return arrays
    return None


def _raveled(*arrays):
    """C-contiguous numpy arrays of one shape, as 1-D views; else None.

    The shared layout's (n, T) arrays, for the one pass of
    :meth:`Logistic.value_derivative_curvature_z`, which only the prox-Newton
    steps call: each step evaluates the loss two or three times (problem A,
    n=300, T=20: 0.3 ms by the numpy expressions, 0.03 ms compiled).
    """
    shape = arrays[0].shape
    if all(type(a) is np.ndarray and a.shape == shape and a.flags.c_contiguous for a in arrays):
        return tuple(a.ravel() for a in arrays)
    return None


class Logistic(_Datafit):
    r"""Logistic loss on labels ``y in {-1, +1}``, each task's weighted mean::

        F(W, b) = sum_it c_it log(1 + exp(-y_it z_it))

    Dual objective, with ``u_it = theta_it y_it / c_it in [0, 1]``:
    ``D(theta) = -sum_it c_it (u log u + (1 - u) log(1 - u))``.
    """

    name = "logistic"
    lipschitz_factor = 0.25

    def value_z(self, Z):
        flat = _flat(self.data.Y, Z, self.data.C)
        if flat is not None:  # numpy: one compiled pass (see _logistic_kernels)
            return _lk.logistic_value(*flat)
        xp = get_namespace(Z)
        return float(xp.sum(self.data.C * xp.logaddexp(0.0, -self.data.Y * Z)))

    def value_derivative_curvature_z(self, Z):
        """``(F(Z), dF/dZ, d^2F/dZ^2)``: one pass sharing each entry's exponential."""
        flat = _flat(self.data.Y, Z, self.data.C) or _raveled(self.data.Y, Z, self.data.C)
        if flat is None:
            return self.value_z(Z), self.derivative_z(Z), self.curvature_z(Z)
        g = np.empty(Z.shape, dtype=np.result_type(Z.dtype, self.data.dtype))
        h = np.empty_like(g)
        return _lk.logistic_all(*flat, g.ravel(), h.ravel()), g, h

    @staticmethod
    def cvxpy_term(y, z, c):
        """``sum_i c_i log(1 + exp(-y_i z_i))`` as a cvxpy expression of ``z``."""
        import cvxpy as cp

        return cp.sum(cp.multiply(c, cp.logistic(-cp.multiply(y, z))))

    def derivative_z(self, Z):
        """``dF/dZ = -c y sigmoid(-y z)``."""
        Y = self.data.Y
        flat = _flat(Y, Z, self.data.C)
        if flat is not None:
            out = np.empty_like(Z, dtype=np.result_type(Z.dtype, self.data.dtype))
            _lk.logistic_derivative(*flat, out)
            return out
        return -self.data.C * Y * special("expit", -Y * Z)

    def curvature_z(self, Z):
        """``d^2F/dZ^2 = c s (1 - s)``, ``s = sigmoid(-y z)`` (elementwise): Newton's weights."""
        flat = _flat(self.data.Y, Z, self.data.C)
        if flat is not None:
            out = np.empty_like(Z, dtype=np.result_type(Z.dtype, self.data.dtype))
            _lk.logistic_curvature(*flat, out)
            return out
        s = special("expit", -self.data.Y * Z)
        return self.data.C * s * (1.0 - s)

    def in_dual_domain(self, theta):
        """``u = theta y / c`` must lie in [0, 1] (and ``theta = 0`` where ``c = 0``)."""
        flat = _flat(theta, self.data.Y, self.data.C)
        if flat is not None:
            return bool(_lk.logistic_in_dual_domain(*flat))
        xp = get_namespace(theta)
        C = self.data.C
        u = theta * self.data.Y
        return bool(xp.all(u >= 0.0)) and bool(xp.all(u <= C * (1.0 + 1e-12)))

    def dual_value(self, theta):
        flat = _flat(theta, self.data.Y, self.data.C)
        if flat is not None:
            return _lk.logistic_dual_value(*flat)
        xp = get_namespace(theta)
        C = self.data.C
        safe_c = xp.where(C > 0, C, 1.0)
        u = xp.clip(theta * self.data.Y / safe_c, 0.0, 1.0)
        return float(-xp.sum(C * (special("xlogy", u, u) + special("xlogy", 1.0 - u, 1.0 - u))))

    def _null_intercepts(self, xp):
        """``b_t = log(P_t / N_t)``, the weights ``c`` of each task's positive and negative labels.

        The exact minimiser for ``Z0 = 0`` (``P_t sigmoid(-b_t) = N_t sigmoid(b_t)``), and so
        the start of :meth:`optimal_intercept` when none is given: the intercepts at ``W = 0``
        (the gaps' scale, a cold start) then take one pass to confirm instead of several.
        Without shrinkage only (the shrunk intercepts are coupled).
        """
        data = self.data
        if data.intercept_shrinkage > 0:
            return xp.zeros(data.n_tasks)
        C = data.C.astype(xp.float64)
        pos = data.task_sum(xp.where(data.Y > 0, C, 0.0))
        neg = data.task_sum(xp.where(data.Y < 0, C, 0.0))
        ok = (pos > 0) & (neg > 0)
        return xp.where(ok, xp.log(xp.where(ok, pos, 1.0) / xp.where(ok, neg, 1.0)), 0.0)

    def optimal_intercept(self, Z0, b=None, max_iter=100):
        """Per-task intercepts minimising the datafit given ``Z0``, by safeguarded Newton.

        Each task's problem is 1-D, convex and smooth; steps are clipped so
        Newton cannot overshoot on flat parts of the sigmoid. With shrinkage
        ``s`` the tasks are coupled through ``b0``: the Newton system is
        ``diag(h) + s P`` (:func:`_shrunk_solve`).
        """
        data = self.data
        xp = get_namespace(Z0)
        b = self._null_intercepts(xp) if b is None else xp.array(b, dtype=xp.float64)
        s = data.intercept_shrinkage
        if (s == 0 and data.layout == "stacked" and xp is np
                and _flat(data.Y, Z0, data.C) is not None):
            # One task at a time in a compiled loop: its rows stay in cache while it iterates.
            _lk.stacked_intercepts(Z0, data.Y, data.C, data.offsets, b, max_iter)
            return b.astype(data.dtype, copy=False)
        scale = data.task_sum(data.C) + s
        for _ in range(max_iter):
            Z = Z0 + data.expand(b)
            p = special("expit", -data.Y * Z)
            g = data.task_sum(-data.C * data.Y * p)
            h = data.task_sum(data.C * p * (1.0 - p))
            if s > 0:
                g = g + s * (b - xp.mean(b))
                step = xp.clip(_shrunk_solve(h, s, g), -4.0, 4.0)
            else:
                step = xp.clip(g / xp.maximum(h, 1e-300), -4.0, 4.0)
            b -= step
            if bool(xp.all(xp.abs(g) <= 1e-13 * scale)):
                break
        return b.astype(data.dtype, copy=False)
