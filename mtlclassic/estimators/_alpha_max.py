"""The smallest penalty strength giving ``W = 0``, for every penalty with a dual norm."""

import numpy as np

from .._validation import check_fit_data
from ..datafits import Logistic, Quadratic
from ..penalties import L1, L21, L1Inf, SparseGroup, TaskL21, TraceNorm
from ..solvers import profile_intercept

_PENALTIES = {
    "l21": lambda r: L21(1.0),
    "l1": lambda r: L1(1.0),
    "sparse_group": lambda r: SparseGroup(1.0, l1_ratio=r),
    "l1inf": lambda r: L1Inf(1.0),
    "trace": lambda r: TraceNorm(1.0),
    "task_l21": lambda r: TaskL21(1.0),
}


def alpha_max(X, y, *, penalty="l21", l1_ratio=0.5, loss="squared", task_column=None,
              fit_intercept=True, task_weights=None, sample_weight=None):
    """Smallest ``alpha`` for which the penalised solution is ``W = 0``.

    ``W = 0`` is optimal iff ``-grad_W F(0, b*)`` lies in the subdifferential
    of the penalty at zero, i.e. iff ``alpha`` is at least the dual norm of
    the datafit gradient at zero coefficients (and the best intercepts when
    fitted). The elastic term ``l2_reg`` does not change it.

    Parameters
    ----------
    X, y, task_column, task_weights, sample_weight
        As in the estimators' ``fit``.
    penalty : {"l21", "l1", "sparse_group", "l1inf", "trace", "task_l21"}, default="l21"
        The norm: group lasso (dual ``max_j ||G[:, j]||_2``), lasso
        (``max |G|``), sparse group with ``l1_ratio``, l1/l-inf
        (``max_j ||G[:, j]||_1``), trace norm (spectral norm of ``G``),
        or the task-group norm of robust MTFL (``max_t ||G[t, :]||_2``).
        For the two-part models: :class:`~mtlclassic.DirtyModelRegressor`
        is zero iff ``alpha_shared >= alpha_max(penalty="l1inf")`` (or
        ``"l21"`` with ``block_norm="l2"``) and ``alpha_sparse >=
        alpha_max(penalty="l1")``; :class:`~mtlclassic.RobustMTFLRegressor`
        iff ``alpha_features >= alpha_max(penalty="l21")`` and
        ``alpha_tasks >= alpha_max(penalty="task_l21")``.
    l1_ratio : float, default=0.5
        Only for ``penalty="sparse_group"``.
    loss : {"squared", "logistic"}, default="squared"
    fit_intercept : bool, default=True

    Returns
    -------
    alpha_max : float
    """
    from .group_lasso import GroupLassoClassifier, GroupLassoRegressor

    if penalty not in _PENALTIES:
        raise ValueError(f"penalty must be one of {sorted(_PENALTIES)}, got {penalty!r}.")
    if loss == "squared":
        est, datafit_cls = GroupLassoRegressor(task_column=task_column,
                                               task_weights=task_weights), Quadratic
    elif loss == "logistic":
        est, datafit_cls = GroupLassoClassifier(task_column=task_column,
                                                task_weights=task_weights), Logistic
    else:
        raise ValueError(f"loss must be 'squared' or 'logistic', got {loss!r}.")
    data = check_fit_data(est, X, y, sample_weight, classifier=loss == "logistic")
    # On the problem the estimators solve (rescaled far from unit scale, where the
    # gradient's products would overflow), mapped back to the user's units: the same
    # powers of two, so alpha >= alpha_max gives W = 0 at every scale.
    data = data.rescaled(scale_targets=loss == "squared")
    datafit = datafit_cls(data)
    W0 = np.zeros((data.n_features, data.n_tasks), dtype=data.dtype)
    _, Z = profile_intercept(datafit, W0, None, fit_intercept)
    G = data.rmatvec(datafit.derivative_z(Z)).astype(np.float64)
    return data.scaling.alpha_to_user(_PENALTIES[penalty](l1_ratio).dual_norm(G))
