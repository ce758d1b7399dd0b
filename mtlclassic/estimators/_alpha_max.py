"""The smallest penalty strength giving ``W = 0``, from the estimator's own penalty."""

import numpy as np
from sklearn.base import clone

from ..penalties import BlockSum
from ..solvers import profile_intercept
from ._registry import alpha_max_names, model_of


def estimator_alpha_max(estimator, X, y, *, strength=None, sample_weight=None):
    """``alpha_max`` of ``estimator``'s penalty strength ``strength`` on ``(X, y)``.

    ``W = 0`` is optimal iff ``-grad_W F(0, b*)`` lies in the subdifferential
    of the penalty at zero: iff the strength is at least the dual norm of
    the datafit's gradient at zero coefficients (and the best intercepts,
    when fitted). The norm is the estimator's own (``_make_penalty``; for a
    two-part model the part that ``strength`` scales), on the problem the
    estimator solves: validated, rescaled far from unit scale (where the
    gradient's products would overflow) and mapped back to the user's units
    by the same powers of two, so that ``strength >= alpha_max`` gives
    ``W = 0`` at every scale. The elastic term ``l2_reg`` does not change it.

    Parameters
    ----------
    estimator : estimator instance
        A declared model (:mod:`mtlclassic.estimators._registry`) with
        strengths; its other parameters (``task_column``, ``task_weights``,
        ``fit_intercept``, ``l1_ratio``, ...) are used as set. Not modified.
    X, y, sample_weight
        As in the estimator's ``fit``.
    strength : str, default=None
        One of the model's declared strengths; default its first.

    Returns
    -------
    alpha_max : float
    """
    strengths = model_of(estimator).strengths
    strength = strengths[0] if strength is None else strength
    if strength not in strengths:
        raise ValueError(f"{type(estimator).__name__} has no alpha_max for {strength!r}; "
                         f"its strengths are {list(strengths)}.")
    est = clone(estimator)
    est._check_params()
    # The untiled, uncentered problem: a two-part model's parts each see X itself (their
    # gradients at zero are the same G), and the profiled intercept makes centering moot.
    data, datafit, p, T = est._prepare(X, y, sample_weight, solve=False)
    W0 = np.zeros((p, T), dtype=data.dtype)
    _, Z = profile_intercept(datafit, W0, None, est.fit_intercept)
    G = data.rmatvec(datafit.derivative_z(Z)).astype(np.float64)
    penalty = est._make_penalty(p, T)
    if isinstance(penalty, BlockSum):  # one part per strength, in the order of the strengths
        penalty = penalty.penalties[strengths.index(strength)]
    return data.scaling.alpha_to_user(penalty.dual_norm(G))


def alpha_max(X, y, *, penalty="l21", l1_ratio=0.5, loss="squared", task_column=None,
              fit_intercept=True, task_weights=None, sample_weight=None):
    """Smallest ``alpha`` for which the penalised solution is ``W = 0``.

    ``W = 0`` is optimal iff ``-grad_W F(0, b*)`` lies in the subdifferential
    of the penalty at zero, i.e. iff ``alpha`` is at least the dual norm of
    the datafit gradient at zero coefficients (and the best intercepts when
    fitted). The elastic term ``l2_reg`` does not change it.

    Parameters
    ----------
    X, y
        As in the estimators' ``fit``.
    penalty : {"l21", "l1", "sparse_group", "l1inf", "trace", "task_l21", "tree"}, default="l21"
        The norm: group lasso (dual ``max_j ||G[:, j]||_2``), lasso
        (``max |G|``), sparse group with ``l1_ratio``, l1/l-inf
        (``max_j ||G[:, j]||_1``), trace norm (spectral norm of ``G``),
        or the task-group norm of robust MTFL (``max_t ||G[t, :]||_2``).
        For the two-part models: :class:`~mtlclassic.DirtyModelRegressor`
        is zero iff ``alpha_shared >= alpha_max(penalty="l1inf")`` (or
        ``"l21"`` with ``block_norm="l2"``) and ``alpha_sparse >=
        alpha_max(penalty="l1")``; :class:`~mtlclassic.RobustMTFLRegressor`
        iff ``alpha_features >= alpha_max(penalty="l21")`` and
        ``alpha_tasks >= alpha_max(penalty="task_l21")``; ``"tree"`` is the
        tree norm of :class:`~mtlclassic.TreeGuidedGroupLassoRegressor` on
        its default "auto" tree. Each name is
        declared by its model (:mod:`mtlclassic.estimators._registry`), and
        the norm is that model's own penalty.
    l1_ratio : float, default=0.5
        Only for ``penalty="sparse_group"``.
    loss : {"squared", "logistic"}, default="squared"
    task_column, fit_intercept, task_weights, sample_weight
        As in the estimators' ``fit``.

    Returns
    -------
    alpha_max : float
    """
    names = alpha_max_names()
    if penalty not in names:
        raise ValueError(f"penalty must be one of {sorted(names)}, got {penalty!r}.")
    model, strength = names[penalty]
    cls = model.estimator(loss)
    params = dict(task_column=task_column, fit_intercept=fit_intercept,
                  task_weights=task_weights)
    if "l1_ratio" in cls().get_params():
        params["l1_ratio"] = l1_ratio
    return estimator_alpha_max(cls(**params), X, y, strength=strength,
                               sample_weight=sample_weight)
