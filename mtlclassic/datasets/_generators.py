"""Synthetic multi-task regression and classification problems.

Both generators share the same model:

* **Features.** Gaussian with unit variance and Toeplitz correlation
  ``correlation ** |i - j|`` between features ``i`` and ``j``. They are drawn
  as an AR(1) recursion across columns,
  ``x_j = rho * x_{j-1} + sqrt(1 - rho**2) * e_j``, so no
  ``(n_features, n_features)`` matrix is ever formed and memory stays
  ``O(n_rows * n_features)``.
* **Coefficients.** A shared support of ``n_shared`` features, drawn at
  random, is active in every task. Each shared feature ``j`` has a common
  base value ``b_j = s_j * u_j`` (random sign ``s_j``, magnitude
  ``u_j ~ U(0.5, 1.5)``) and task ``t`` uses ``b_j * exp(0.3 * z_tj)`` with
  ``z_tj ~ N(0, 1)``: a log-normal perturbation of about 30 % that keeps the
  sign and never produces a zero, so the tasks are related but not equal.
  Each task additionally gets ``n_specific`` features of its own, drawn at
  random among the features not used by the shared support nor by any other
  task (specific supports are disjoint across tasks), with values
  ``s * u`` (``u ~ U(0.5, 1.5)``, random sign). Everything is then
  multiplied by ``coef_scale``; all other coefficients are exactly zero.
* **Planted structures (optional).** ``shared_variation`` sets the size of
  the log-normal perturbation above (``0`` gives the same value in every
  task, which is what an l1/l-inf block norm can represent without help
  from a task-specific part). ``rank=r`` replaces the shared block by a
  rank-``r`` matrix ``U diag(s) V`` (orthonormal factors ``U`` of shape
  ``(n_tasks, r)`` and ``V`` of shape ``(r, n_shared)``, singular values
  ``s_k = sqrt(n_tasks * n_shared / r) * u_k`` with ``u_k ~ U(0.75, 1.25)``,
  so that the mean squared entry is about 1 as for the default block).
  ``n_outlier_tasks=m`` picks ``m`` tasks at random and replaces their whole
  coefficient vector by a dense one, ``N(0, 1)`` on every feature (times
  ``coef_scale``): tasks unrelated to the shared support.
* **Noise.** Gaussian. Its standard deviation is ``noise`` when given,
  otherwise it is set per task to ``std(X_t @ w_t) / sqrt(snr)`` (empirical
  standard deviation of that task's signal), so that
  ``var(signal) / var(noise) = snr``.

The random draws happen in a fixed order (coefficients first, then features,
then noise), so for a given seed the coefficients do not depend on
``n_samples`` or on ``correlation``. The planted-structure options draw
nothing when left at their defaults, so the default outputs are unchanged by
their existence. With ``return_truth=True`` the generators also return the
planted parts (shared block, specific entries, outlier rows, their supports
and the rank of the shared block), so that recovery can be tested.
"""

import numbers
from string import Template

import numpy as np
from scipy.signal import lfilter
from sklearn.utils import check_random_state

__all__ = ["make_multitask_regression", "make_multitask_classification"]

_LAYOUTS = ("shared", "per_task")
# Number of noise re-draws tried before flipping one label, for a task whose
# labels all fall in a single class.
_MAX_REDRAWS = 20


# ---------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------


def _check_random_state(random_state):
    """Return a ``RandomState``; a ``Generator`` is wrapped (state is shared)."""
    if isinstance(random_state, np.random.Generator):
        return np.random.RandomState(random_state.bit_generator)
    return check_random_state(random_state)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(
        value, (bool, np.bool_)
    )


def _check_int(value, name, min_value):
    if not _is_int(value):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    if value < min_value:
        raise ValueError(f"{name} must be >= {min_value}, got {value}.")
    return int(value)


def _check_real(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}.")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}.")
    return value


def _check_sizes(n_samples, n_tasks, layout, min_per_task):
    """Validate ``n_samples``; return the per-task sizes (per_task) or an int."""
    if layout == "shared":
        if not _is_int(n_samples):
            raise ValueError(
                "n_samples must be an integer when layout='shared' (all tasks "
                f"share the same rows), got {n_samples!r}; use "
                "layout='per_task' for per-task sample sizes."
            )
        if n_samples < min_per_task:
            raise ValueError(
                f"n_samples must be >= {min_per_task}, got {n_samples}."
            )
        return int(n_samples)

    if _is_int(n_samples):
        if n_samples < min_per_task:
            if n_samples == 0:
                raise ValueError(
                    "n_samples must be >= 1: every task needs samples, got 0 "
                    "samples per task."
                )
            raise ValueError(
                f"n_samples must be >= {min_per_task} per task, got {n_samples}."
            )
        return np.full(n_tasks, int(n_samples), dtype=np.int64)

    sizes = np.asarray(n_samples)
    if sizes.ndim != 1:
        raise ValueError(
            "n_samples must be an integer or a 1-D list/array of length "
            f"n_tasks={n_tasks}, got an array of shape {sizes.shape}."
        )
    if sizes.shape[0] != n_tasks:
        raise ValueError(
            f"n_samples has length {sizes.shape[0]} but n_tasks={n_tasks}; "
            "give one sample size per task."
        )
    if not all(_is_int(s) for s in sizes.tolist()):
        raise ValueError(
            f"n_samples must contain integers only, got {list(n_samples)!r}."
        )
    sizes = sizes.astype(np.int64)
    for t, n_t in enumerate(sizes):
        if n_t < 0:
            raise ValueError(
                f"n_samples must be non-negative; task {t} has {n_t} samples."
            )
        if n_t == 0:
            raise ValueError(
                f"Every task needs samples; task {t} has 0 samples in n_samples."
            )
        if n_t < min_per_task:
            raise ValueError(
                f"Every task needs at least {min_per_task} samples; task {t} "
                f"has {n_t}."
            )
    return sizes


def _check_common(
    n_features, n_tasks, n_shared, n_specific, snr, noise, correlation,
    layout, coef_scale,
):
    if not isinstance(layout, str) or layout not in _LAYOUTS:
        raise ValueError(
            f"layout must be one of {_LAYOUTS}, got {layout!r}."
        )
    n_features = _check_int(n_features, "n_features", 1)
    n_tasks = _check_int(n_tasks, "n_tasks", 1)
    n_shared = _check_int(n_shared, "n_shared", 0)
    n_specific = _check_int(n_specific, "n_specific", 0)
    if n_shared + n_specific > n_features:
        raise ValueError(
            f"n_shared + n_specific must be <= n_features, got "
            f"{n_shared} + {n_specific} > {n_features}."
        )
    if n_shared + n_tasks * n_specific > n_features:
        raise ValueError(
            "Task-specific supports are disjoint across tasks, so "
            "n_shared + n_tasks * n_specific must be <= n_features, got "
            f"{n_shared} + {n_tasks} * {n_specific} > {n_features}."
        )
    snr, noise, correlation, coef_scale = _check_draw_params(
        snr, noise, correlation, layout, coef_scale)
    if noise is None and n_shared + n_specific == 0:
        raise ValueError(
            "n_shared + n_specific must be >= 1 when noise is None: the "
            "signal-to-noise ratio is undefined for an all-zero signal; pass "
            "noise= explicitly to generate pure noise."
        )
    return (
        n_features, n_tasks, n_shared, n_specific, snr, noise, correlation,
        coef_scale,
    )


def _check_draw_params(snr, noise, correlation, layout, coef_scale):
    """Validate the feature/noise model shared by every generator; return it normalised."""
    if not isinstance(layout, str) or layout not in _LAYOUTS:
        raise ValueError(
            f"layout must be one of {_LAYOUTS}, got {layout!r}."
        )
    correlation = _check_real(correlation, "correlation")
    if not 0.0 <= correlation < 1.0:
        raise ValueError(
            f"correlation must be in [0, 1), got {correlation}."
        )
    snr = _check_real(snr, "snr")
    if snr <= 0:
        raise ValueError(f"snr must be > 0, got {snr}.")
    if noise is not None:
        noise = _check_real(noise, "noise")
        if noise < 0:
            raise ValueError(
                f"noise (the noise standard deviation) must be >= 0, got {noise}."
            )
    coef_scale = _check_real(coef_scale, "coef_scale")
    if coef_scale <= 0:
        raise ValueError(f"coef_scale must be > 0, got {coef_scale}.")
    return snr, noise, correlation, coef_scale


def _check_structure(rank, shared_variation, n_outlier_tasks, n_tasks, n_shared):
    """Validate the planted-structure options; return them normalised."""
    if rank is not None:
        if not _is_int(rank):
            raise ValueError(f"rank must be None or an integer, got {rank!r}.")
        if rank < 1:
            raise ValueError(f"rank must be >= 1, got {rank}.")
        if rank > min(n_tasks, n_shared):
            raise ValueError(
                "rank is the rank of the (n_tasks, n_shared) shared block, so "
                "rank <= min(n_tasks, n_shared) is required, got "
                f"rank={rank} with n_tasks={n_tasks} and n_shared={n_shared}."
            )
        rank = int(rank)
    shared_variation = _check_real(shared_variation, "shared_variation")
    if shared_variation < 0:
        raise ValueError(
            f"shared_variation must be >= 0, got {shared_variation}."
        )
    n_outlier_tasks = _check_int(n_outlier_tasks, "n_outlier_tasks", 0)
    if n_outlier_tasks > n_tasks:
        raise ValueError(
            f"n_outlier_tasks must be <= n_tasks, got {n_outlier_tasks} > "
            f"{n_tasks}."
        )
    return rank, shared_variation, n_outlier_tasks


# ---------------------------------------------------------------------------
# Generation helpers
# ---------------------------------------------------------------------------


def _random_signs(rng, size):
    return np.where(rng.random_sample(size) < 0.5, -1.0, 1.0)


def _orthonormal_columns(rng, n_rows, n_cols):
    """A random (n_rows, n_cols) matrix with orthonormal columns (n_cols <= n_rows)."""
    Q, R = np.linalg.qr(rng.standard_normal((n_rows, n_cols)))
    # Fix the signs so that the factor does not depend on LAPACK's convention.
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)


def _make_coef(rng, n_tasks, n_features, n_shared, n_specific, coef_scale,
               rank=None, shared_variation=0.3, n_outlier_tasks=0):
    """Planted coefficients, see module docs.

    Returns the truth dict of the public generators (``return_truth=True``);
    ``truth["coef"]`` is the coefficient matrix of shape (n_tasks, n_features).
    """
    perm = rng.permutation(n_features)
    shared_part = np.zeros((n_tasks, n_features))
    specific_part = np.zeros((n_tasks, n_features))
    shared = np.sort(perm[:n_shared])
    if n_shared:
        if rank is None:
            base = _random_signs(rng, n_shared) * rng.uniform(0.5, 1.5, n_shared)
            z = rng.standard_normal((n_tasks, n_shared))
            # shared_variation=0.3 is the historical model, kept bit-identical.
            perturbation = np.exp(shared_variation * z)
            shared_part[:, shared] = base * perturbation
        else:
            U = _orthonormal_columns(rng, n_tasks, rank)
            V = _orthonormal_columns(rng, n_shared, rank).T
            s = np.sqrt(n_tasks * n_shared / rank) * rng.uniform(0.75, 1.25, rank)
            shared_part[:, shared] = (U * s) @ V
    if n_specific:
        for t in range(n_tasks):
            start = n_shared + t * n_specific
            specific = np.sort(perm[start:start + n_specific])
            specific_part[t, specific] = _random_signs(rng, n_specific) * (
                rng.uniform(0.5, 1.5, n_specific))
    outlier_part = np.zeros((n_tasks, n_features))
    outlier_tasks = np.zeros(0, dtype=np.int64)
    if n_outlier_tasks:
        outlier_tasks = np.sort(
            rng.permutation(n_tasks)[:n_outlier_tasks]).astype(np.int64)
        outlier_part[outlier_tasks] = rng.standard_normal(
            (n_outlier_tasks, n_features))
        # An outlier task keeps nothing of the shared or specific structure.
        shared_part[outlier_tasks] = 0.0
        specific_part[outlier_tasks] = 0.0
    shared_part *= coef_scale
    specific_part *= coef_scale
    outlier_part *= coef_scale
    # The three parts have disjoint supports, so the sum is exact.
    coef = shared_part + specific_part + outlier_part
    inlier = np.setdiff1d(np.arange(n_tasks), outlier_tasks)
    block = shared_part[np.ix_(inlier, shared)]
    return {
        "coef": coef,
        "coef_shared": shared_part,
        "coef_specific": specific_part,
        "coef_outlier": outlier_part,
        "shared_support": shared.astype(np.int64),
        "specific_support": specific_part != 0,
        "outlier_tasks": outlier_tasks,
        "rank": int(np.linalg.matrix_rank(block)) if block.size else 0,
    }


def _make_features(rng, n_rows, n_features, correlation, n_extra_cols=0):
    """Gaussian features with Toeplitz correlation via an AR(1) column filter.

    Returns an array of shape (n_rows, n_features + n_extra_cols); the extra
    columns are left uninitialised for the caller to fill.
    """
    E = rng.standard_normal((n_rows, n_features))
    if correlation > 0:
        scale = np.sqrt(1.0 - correlation ** 2)
        # x_0 = e_0 (stationary start), x_j = rho x_{j-1} + scale * e_j.
        E[:, 0] /= scale
        E = lfilter([scale], [1.0, -correlation], E, axis=1)
    if not n_extra_cols:
        return E
    X = np.empty((n_rows, n_features + n_extra_cols))
    X[:, :n_features] = E
    return X


def _noise_std(signal, snr, noise):
    """Noise standard deviation for one task's signal of shape (n,)."""
    if noise is not None:
        return noise
    return float(np.std(signal)) / np.sqrt(snr)


def _binary_labels(rng, signal, sigma):
    """Labels 1[signal + noise > 0] (int64) with both classes present."""
    n = signal.shape[0]
    latent = signal + sigma * rng.standard_normal(n)
    labels = (latent > 0).astype(np.int64)
    redraws = _MAX_REDRAWS if sigma > 0 else 0
    for _ in range(redraws):
        if 0 < labels.sum() < n:
            return labels
        latent = signal + sigma * rng.standard_normal(n)
        labels = (latent > 0).astype(np.int64)
    n_pos = labels.sum()
    if n_pos == 0 or n_pos == n:
        # Last resort: flip the label of the sample closest to the boundary.
        i = int(np.argmin(np.abs(latent)))
        labels[i] = 1 - labels[i]
    return labels


def _generate(
    kind, n_samples, n_features, n_tasks, n_shared, n_specific, snr, noise,
    correlation, layout, coef_scale, intercept, random_state, rank=None,
    shared_variation=0.3, n_outlier_tasks=0, return_truth=False,
):
    (
        n_features, n_tasks, n_shared, n_specific, snr, noise, correlation,
        coef_scale,
    ) = _check_common(
        n_features, n_tasks, n_shared, n_specific, snr, noise, correlation,
        layout, coef_scale,
    )
    rank, shared_variation, n_outlier_tasks = _check_structure(
        rank, shared_variation, n_outlier_tasks, n_tasks, n_shared)
    if not isinstance(return_truth, (bool, np.bool_)):
        raise ValueError(f"return_truth must be a bool, got {return_truth!r}.")
    min_per_task = 2 if kind == "classification" else 1
    sizes = _check_sizes(n_samples, n_tasks, layout, min_per_task)

    if kind == "regression":
        intercept = np.asarray(intercept, dtype=np.float64)
        if intercept.ndim == 0:
            intercept = np.full(n_tasks, float(intercept))
        elif intercept.shape != (n_tasks,):
            raise ValueError(
                "intercept must be a float or an array of shape "
                f"(n_tasks,)=({n_tasks},), got shape {intercept.shape}."
            )
        if not np.all(np.isfinite(intercept)):
            raise ValueError("intercept must be finite.")

    rng = _check_random_state(random_state)
    truth = _make_coef(
        rng, n_tasks, n_features, n_shared, n_specific, coef_scale, rank=rank,
        shared_variation=shared_variation, n_outlier_tasks=n_outlier_tasks)
    coef = truth.pop("coef")
    X, Y = _draw_data(kind, rng, sizes, coef, snr, noise, correlation, layout,
                      intercept)
    if return_truth:
        return X, Y, coef, truth
    return X, Y, coef


def _draw_data(kind, rng, sizes, coef, snr, noise, correlation, layout,
               intercept):
    """Features and targets for given coefficients (draws: features, noise)."""
    n_tasks, n_features = coef.shape

    if layout == "shared":
        X = _make_features(rng, sizes, n_features, correlation)
        signal = X @ coef.T
        if kind == "regression":
            Y = np.empty((sizes, n_tasks))
            for t in range(n_tasks):
                sigma = _noise_std(signal[:, t], snr, noise)
                Y[:, t] = (
                    signal[:, t] + sigma * rng.standard_normal(sizes)
                    + intercept[t]
                )
        else:
            Y = np.empty((sizes, n_tasks), dtype=np.int64)
            for t in range(n_tasks):
                sigma = _noise_std(signal[:, t], snr, noise)
                Y[:, t] = _binary_labels(rng, signal[:, t], sigma)
        return X, Y

    n_total = int(sizes.sum())
    X = _make_features(rng, n_total, n_features, correlation, n_extra_cols=1)
    X[:, n_features] = np.repeat(np.arange(n_tasks, dtype=np.float64), sizes)
    bounds = np.concatenate(([0], np.cumsum(sizes)))
    y = np.empty(n_total, dtype=np.float64 if kind == "regression" else np.int64)
    for t in range(n_tasks):
        rows = slice(int(bounds[t]), int(bounds[t + 1]))
        signal = X[rows, :n_features] @ coef[t]
        sigma = _noise_std(signal, snr, noise)
        if kind == "regression":
            y[rows] = (
                signal + sigma * rng.standard_normal(signal.shape[0])
                + intercept[t]
            )
        else:
            y[rows] = _binary_labels(rng, signal, sigma)
    return X, y


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

# The docstring entries both generators share, written once. ``_shared_doc`` puts each in
# place of its ``$NAME`` marker in the generators' docstrings.
_SIZE_AND_NOISE_PARAMETERS = """\
    n_samples : int or array-like of int of shape (n_tasks,), default=100
        With ``layout="shared"``: the number of rows of the common design (an
        int). With ``layout="per_task"``: the number of rows of each task,
        either one int (equal sizes) or one int per task (unequal sizes).
        Every task needs at least $min_rows.

    n_features : int, default=50
        Number of features ``p``.

    n_tasks : int, default=5
        Number of tasks ``T``.

    n_shared : int, default=5
        Size of the support shared by all tasks (features nonzero in every
        task).

    n_specific : int, default=0
        Number of extra features per task, nonzero in that task only.
        Specific supports are disjoint across tasks, so
        ``n_shared + n_tasks * n_specific <= n_features`` is required.

    snr : float, default=3.0
        Target signal-to-noise ratio ``var(signal) / var(noise)`` of every
        task, used when ``noise`` is None. Must be > 0.

    noise : float or None, default=None
        Noise standard deviation, the same for every task. When given,
        ``snr`` is ignored. Must be >= 0.

    correlation : float, default=0.0
        Correlation ``rho`` in ``[0, 1)``; features ``i`` and ``j`` have
        correlation ``rho ** |i - j|``.

    layout : {"shared", "per_task"}, default="shared"
        ``"shared"``: one design matrix for all tasks and a target matrix.
        ``"per_task"``: each task has its own rows; the task id is appended
        as the last column of ``X`` and the targets are stacked.

    coef_scale : float, default=1.0
        Positive factor applied to every nonzero coefficient."""

_SEED_AND_STRUCTURE_PARAMETERS = """\
    random_state : int, RandomState instance, Generator or None, default=None
        Seed or random number generator. A ``numpy.random.Generator`` is
        wrapped in a ``RandomState`` sharing its bit generator. The same
        integer seed gives bit-identical outputs.

    rank : int or None, default=None
        If given, the shared block (tasks x shared features) is a random
        matrix of exactly this rank, ``U diag(s) V`` with orthonormal
        factors and singular values ``s_k = sqrt(n_tasks * n_shared / rank)
        * u_k``, ``u_k ~ U(0.75, 1.25)`` (mean squared entry about 1), instead
        of the log-normal perturbation of a common base. Requires
        ``1 <= rank <= min(n_tasks, n_shared)``. ``coef`` itself has rank
        ``rank`` when ``n_specific=0`` and ``n_outlier_tasks=0`` (outlier
        rows are removed from the block, which can lower its rank; see
        ``truth["rank"]``).

    shared_variation : float, default=0.3
        Standard deviation ``v`` of the log-normal factor ``exp(v * z_tj)``
        applied to the shared base values; ``0`` gives the same value in
        every task. Must be >= 0. Not used when ``rank`` is given.

    n_outlier_tasks : int, default=0
        Number of tasks, chosen at random, whose coefficients are replaced
        by a dense vector with ``N(0, coef_scale**2)`` entries on every
        feature: tasks unrelated to the shared support (robust multi-task
        feature learning). Must be in ``[0, n_tasks]``.

    return_truth : bool, default=False
        If True, also return the planted structure as a dict (see Returns)."""

_X_RETURN = """\
    X : ndarray of shape (n_samples, n_features) or (N, n_features + 1)
        Design matrix. With ``layout="per_task"``, ``N = sum(n_samples)``,
        rows are grouped by task in order ``0..n_tasks-1`` and the last
        column holds the task id as a float."""

_TRUTH_RETURN = """\
    truth : dict
        Only with ``return_truth=True``. The planted structure, with
        ``coef == coef_shared + coef_specific + coef_outlier`` exactly (the
        three parts have disjoint supports):

        - ``"coef_shared"``: ndarray of shape (n_tasks, n_features), the
          shared block (nonzero on the shared support, in every task that is
          not an outlier).
        - ``"coef_specific"``: ndarray of shape (n_tasks, n_features), the
          task-specific entries.
        - ``"coef_outlier"``: ndarray of shape (n_tasks, n_features), the
          dense rows of the outlier tasks.
        - ``"shared_support"``: sorted int64 array of the ``n_shared``
          shared feature indices.
        - ``"specific_support"``: bool ndarray of shape (n_tasks,
          n_features), the nonzero entries of ``coef_specific``.
        - ``"outlier_tasks"``: sorted int64 array of the outlier task ids.
        - ``"rank"``: int, rank of the shared block restricted to the
          inlier tasks and the shared features (``rank`` when given and at
          least ``rank`` tasks are not outliers)."""


def _shared_doc(min_rows):
    """Decorator: fill the ``$NAME`` markers of a generator's docstring.

    ``min_rows`` (``"1 row"``, ``"2 rows"``) is the generator's own least task
    size, which the shared ``n_samples`` entry states.
    """
    # The marker's indentation is the first line's; the others carry their own.
    shared = {
        "SIZE_AND_NOISE_PARAMETERS": _SIZE_AND_NOISE_PARAMETERS.lstrip(),
        "SEED_AND_STRUCTURE_PARAMETERS": _SEED_AND_STRUCTURE_PARAMETERS.lstrip(),
        "X_RETURN": _X_RETURN.lstrip(),
        "TRUTH_RETURN": _TRUTH_RETURN.lstrip(),
    }

    def fill(func):
        doc = Template(func.__doc__).substitute(shared)
        func.__doc__ = Template(doc).substitute(min_rows=min_rows)
        return func

    return fill


@_shared_doc(min_rows="1 row")
def make_multitask_regression(
    n_samples=100,
    n_features=50,
    n_tasks=5,
    n_shared=5,
    n_specific=0,
    snr=3.0,
    noise=None,
    correlation=0.0,
    layout="shared",
    coef_scale=1.0,
    intercept=0.0,
    random_state=None,
    *,
    rank=None,
    shared_variation=0.3,
    n_outlier_tasks=0,
    return_truth=False,
):
    """Generate a synthetic multi-task linear regression problem.

    Task ``t`` follows ``y = X @ coef[t] + intercept[t] + eps`` with Gaussian
    noise ``eps``. The features are Gaussian with Toeplitz correlation
    ``correlation ** |i - j|`` (generated column by column as an AR(1)
    process, so memory is ``O(n_rows * n_features)``). The coefficients have
    a support of ``n_shared`` features common to every task, with related
    values (a common signed base ``b_j``, ``|b_j| ~ U(0.5, 1.5)``, times a
    per-task log-normal factor ``exp(0.3 * z_tj)``), plus ``n_specific``
    features per task active in that task only (values ``+/-U(0.5, 1.5)``);
    all values are multiplied by ``coef_scale`` and every other coefficient
    is exactly zero.

    Parameters
    ----------
    $SIZE_AND_NOISE_PARAMETERS

    intercept : float or array-like of shape (n_tasks,), default=0.0
        Intercept added to the targets of each task.

    $SEED_AND_STRUCTURE_PARAMETERS

    Returns
    -------
    $X_RETURN

    Y : ndarray of shape (n_samples, n_tasks) or (N,)
        Float64 targets: one column per task with ``layout="shared"``, one
        stacked vector with ``layout="per_task"``.

    coef : ndarray of shape (n_tasks, n_features)
        True coefficients, one row per task (intercept excluded).

    $TRUTH_RETURN

    Raises
    ------
    ValueError
        If an argument is invalid (negative or zero sizes, a task with 0
        samples, a per-task size list whose length is not ``n_tasks``, an
        unknown layout, ``correlation`` outside ``[0, 1)``, ``snr <= 0``,
        ``noise < 0``, too many support features, ``rank`` outside
        ``[1, min(n_tasks, n_shared)]``, ``shared_variation < 0``,
        ``n_outlier_tasks`` outside ``[0, n_tasks]``, ...).

    Examples
    --------
    >>> X, Y, coef = make_multitask_regression(
    ...     n_samples=20, n_features=10, n_tasks=3, n_shared=2, random_state=0)
    >>> X.shape, Y.shape, coef.shape
    ((20, 10), (20, 3), (3, 10))
    >>> X, y, coef = make_multitask_regression(
    ...     n_samples=[5, 7, 9], n_features=10, n_tasks=3, layout="per_task",
    ...     random_state=0)
    >>> X.shape, y.shape
    ((21, 11), (21,))

    Planted structures, returned with the data:

    >>> X, Y, coef, truth = make_multitask_regression(
    ...     n_samples=20, n_features=10, n_tasks=4, n_shared=3, rank=2,
    ...     n_outlier_tasks=1, return_truth=True, random_state=0)
    >>> truth["rank"], truth["outlier_tasks"].shape
    (2, (1,))
    """
    return _generate(
        "regression", n_samples, n_features, n_tasks, n_shared, n_specific,
        snr, noise, correlation, layout, coef_scale, intercept, random_state,
        rank=rank, shared_variation=shared_variation,
        n_outlier_tasks=n_outlier_tasks, return_truth=return_truth,
    )


@_shared_doc(min_rows="2 rows")
def make_multitask_classification(
    n_samples=100,
    n_features=50,
    n_tasks=5,
    n_shared=5,
    n_specific=0,
    snr=3.0,
    noise=None,
    correlation=0.0,
    layout="shared",
    coef_scale=1.0,
    random_state=None,
    *,
    rank=None,
    shared_variation=0.3,
    n_outlier_tasks=0,
    return_truth=False,
):
    """Generate a synthetic multi-task binary classification problem.

    Labels are ``1[X @ coef[t] + eps > 0]`` with Gaussian noise ``eps``
    scaled as in :func:`make_multitask_regression` (features, coefficients
    and noise follow the same model; there is no intercept). Every task is
    guaranteed to contain both classes: if a task's labels fall in a single
    class, its noise is re-drawn (up to 20 times), and as a last resort the
    label of the sample closest to the decision boundary is flipped. This is
    deterministic given ``random_state``.

    Parameters
    ----------
    $SIZE_AND_NOISE_PARAMETERS

    $SEED_AND_STRUCTURE_PARAMETERS

    Returns
    -------
    $X_RETURN

    Y : ndarray of shape (n_samples, n_tasks) or (N,)
        Int64 labels in ``{0, 1}``: one column per task with
        ``layout="shared"``, one stacked vector with ``layout="per_task"``.

    coef : ndarray of shape (n_tasks, n_features)
        True coefficients, one row per task.

    $TRUTH_RETURN

    Raises
    ------
    ValueError
        If an argument is invalid (see :func:`make_multitask_regression`);
        in addition every task needs at least 2 samples.

    Examples
    --------
    >>> X, Y, coef = make_multitask_classification(
    ...     n_samples=30, n_features=10, n_tasks=2, random_state=0)
    >>> X.shape, Y.shape, Y.dtype
    ((30, 10), (30, 2), dtype('int64'))
    """
    return _generate(
        "classification", n_samples, n_features, n_tasks, n_shared,
        n_specific, snr, noise, correlation, layout, coef_scale, 0.0,
        random_state, rank=rank, shared_variation=shared_variation,
        n_outlier_tasks=n_outlier_tasks, return_truth=return_truth,
    )
