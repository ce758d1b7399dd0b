"""Tree-guided group lasso: features selected jointly by nested groups of related tasks.

A tree over the tasks (a scipy linkage matrix, given or learned from ridge
coefficients) defines nested task groups; each feature pays the l2 norm of
its weights over every group, weighted by Kim & Xing's rule
(:func:`mtlclassic.penalties.kim_xing_groups`). The penalty is separable over
features with an exact prox (:class:`~mtlclassic.penalties.TreeGroup`), so
it runs on the same block coordinate descent and working-set loops as the
group lasso, stopped on the duality gap.
"""

import numpy as np
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import squareform

from ..penalties import Ridge, TreeGroup, check_linkage, kim_xing_groups
from ..solvers import SOLVERS, choose_solver
from ._base import (MultiTaskClassifierMixin, MultiTaskLinearModel, MultiTaskRegressorMixin,
                    store_params)
from ._grids import alpha_max_grid
from ._registry import declare
from .cv import _PathCV

# The ridge strength of the "auto" tree: RidgeRegressor's default (mean-loss units).
AUTO_RIDGE = 1.0
# Its iteration cap: strongly convex, it converges in tens of iterations on standardised data;
# extreme task weights (1e200) make it ill-conditioned, where the cap bounds the cost.
AUTO_MAX_ITER = 500


def auto_tree(W):
    """Average linkage of the tasks on ``1 - corr`` of their coefficient vectors (rows of ``W.T``).

    ``W`` is (n_features, n_tasks). A task with constant coefficients (no
    correlation defined) is at distance 1 from every other.
    """
    T = W.shape[1]
    if T < 2:
        return np.zeros((0, 4))
    C = W - W.mean(axis=0)
    norms = np.sqrt(np.sum(C * C, axis=0))
    safe = np.where(norms > 0, norms, 1.0)
    corr = (C.T @ C) / np.outer(safe, safe)
    corr[norms == 0, :] = 0.0
    corr[:, norms == 0] = 0.0
    D = np.clip(1.0 - corr, 0.0, 2.0)
    np.fill_diagonal(D, 0.0)
    return linkage(squareform(0.5 * (D + D.T), checks=False), method="average")


class _TreeGuided(MultiTaskLinearModel):
    def __init__(self, alpha=0.1, *, tree="auto", l2_reg=0.0, fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=1000, warm_start=False, solver="auto",
                 device=None, verbose=0):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        if isinstance(self.tree, str) and self.tree != "auto":
            raise ValueError(f"tree must be 'auto' or a scipy linkage matrix, got {self.tree!r}.")

    def _prepare(self, X, y, sample_weight, *, solve=True):
        # The tree is part of the penalty: resolved once per validated problem (paths and
        # CV folds reuse it for every alpha), before _make_penalty is called.
        prepared = super()._prepare(X, y, sample_weight, solve=solve)
        T = prepared[3]
        if isinstance(self.tree, str):
            # From the problem as fit solves it (centered) whatever ``solve``: fit, paths and
            # alpha_max then build the very same tree.
            data, datafit = prepared[:2] if solve else super()._prepare(
                X, y, sample_weight, solve=True)[:2]
            self._tree = auto_tree(self._ridge_coef(data, datafit))
        else:
            self._tree = check_linkage(self.tree, T)
        return prepared

    def _ridge_coef(self, data, datafit):
        """Independent ridge fits (``alpha = AUTO_RIDGE``) of every task, the user's ``W``.

        By the solver ``"auto"`` picks for ridge (block coordinate descent for
        the squared loss, FISTA for the logistic), to a relative gap of 1e-6
        (plenty for the correlations the tree is built from) or
        ``AUTO_MAX_ITER`` iterations: the same computation wherever the tree
        is needed (fit, path, ``alpha_max``), so all see the same tree.
        """
        W0, b0 = self._start(data)
        scaling = data.scaling
        penalty = scaling.penalty(Ridge(AUTO_RIDGE))
        W0, b0 = scaling.to_internal(W0, b0)
        solver = choose_solver(datafit, penalty)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            W, b = SOLVERS[solver](datafit, penalty, W0, b0, fit_intercept=self.fit_intercept,
                                   tol=1e-6, max_iter=AUTO_MAX_ITER, verbose=0)[:2]
        W = np.asarray(scaling.to_user(W, b)[0], dtype=np.float64)
        return np.where(np.isfinite(W), W, 0.0)

    def _make_penalty(self, n_features, n_tasks):
        groups, weights = kim_xing_groups(self._tree, n_tasks)
        return TreeGroup(self.alpha, groups, weights, self.l2_reg)

    def _fit_solution(self, data, datafit, W0, b0, *, n_features, warm, xp):
        solution = super()._fit_solution(data, datafit, W0, b0, n_features=n_features,
                                         warm=warm, xp=xp)
        return solution._replace(extra=self._tree.copy())

    def _set_extra(self, extra):
        self.tree_ = extra


class TreeGuidedGroupLassoRegressor(MultiTaskRegressorMixin, _TreeGuided):
    """Multi-task regression with the tree-guided group lasso: nested groups of related tasks.

    Objective, ``F`` the datafit written out in Notes::

        min_{coef, b}  F(coef, b)  +  alpha * sum_j sum_v c_v ||coef[G_v, j]||_2  +  l2_reg / 2 ||coef||_F^2

    ``v`` runs over the nodes of a tree whose leaves are the tasks, ``G_v``
    the tasks below ``v`` (a leaf: its task; the root: all tasks). A feature
    is kept or dropped jointly by groups of similar tasks (merged low in the
    tree), nearly independently by dissimilar ones. The weights are Kim &
    Xing's: with ``h_v`` the height of internal node ``v`` divided by the
    tree's largest height, ``s_v = h_v``, ``g_v = 1 - h_v``,

        c_v = g_v * prod_{m ancestor of v} s_m   (internal node),   c_v = prod_{m ancestor of v} s_m   (leaf),

    so the root's group has weight 0 and each task's weights along its path
    to the root sum to 1. The prox composes the group shrinkages leaves to
    root (exact for nested groups, Jenatton et al. 2011); the dual norm of
    the tree norm, for ``alpha_max`` and the duality gap, is computed per
    feature by bisection on the prox's zero set and rounded up, so the
    reported gap stays an upper bound.

    Parameters
    ----------
    alpha : float, default=0.1
        Strength of the tree norm, ``>= 0``. ``coef = 0`` for
        ``alpha >= alpha_max(X, y, penalty="tree")`` (see
        :func:`mtlclassic.alpha_max`; the tree is the default "auto" one).
    tree : "auto" or array-like of shape (n_tasks - 1, 4), default="auto"
        The tree over the tasks, a scipy linkage matrix
        (``scipy.cluster.hierarchy.linkage``) whose leaves ``0 ... T - 1``
        are the tasks in the order of ``tasks_``; only its merges and
        heights (columns 0-2) are read. ``"auto"``: average linkage on the
        distance ``1 - corr`` between the tasks' coefficient vectors of
        independent ridge fits (:class:`~mtlclassic.RidgeRegressor`'s
        default strength, 1.0), computed on the data of each ``fit`` (each
        CV fold builds its own).
    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 ||coef||_F^2`` added to the penalty, ``>= 0``.

    Attributes
    ----------
    tree_ : ndarray of shape (n_tasks - 1, 4)
        The linkage matrix used (the given one, or the "auto" one).

    References
    ----------
    Kim, S. and Xing, E. P. (2010). Tree-guided group lasso for multi-task
    regression with structured sparsity. ICML.
    Jenatton, R., Mairal, J., Obozinski, G. and Bach, F. (2011). Proximal
    methods for hierarchical sparse coding. JMLR 12.
    """


class TreeGuidedGroupLassoClassifier(MultiTaskClassifierMixin, _TreeGuided):
    """Multi-task logistic regression with the tree-guided group lasso.

    Each task is a binary problem; the "auto" tree is built from
    independent l2-penalised logistic fits (:class:`~mtlclassic.RidgeClassifier`).
    """

    # The logistic loss's default strength (0.01), as the group lasso's classifier.
    def __init__(self, alpha=0.01, *, tree="auto", l2_reg=0.0, fit_intercept=True,
                 intercept_shrinkage=0.0, task_column=None, unseen_tasks="error",
                 task_weights=None, tol=1e-4, max_iter=1000, warm_start=False, solver="auto",
                 device=None, verbose=0):
        store_params(self, locals())


class _TreeGuidedCV(_PathCV):
    """The path CV with the model's ``tree``."""

    def __init__(self, *, tree="auto", alphas=None, n_alphas=100, eps=1e-3, cv=5, n_jobs=None,
                 scoring=None, l2_reg=0.0, fit_intercept=True, intercept_shrinkage=0.0,
                 task_column=None, unseen_tasks="error", task_weights=None, tol=1e-4,
                 max_iter=1000, solver="auto", device=None, verbose=0):
        store_params(self, locals())

    def _model_params(self):
        return {**super()._model_params(), "tree": self.tree}


class TreeGuidedGroupLassoRegressorCV(MultiTaskRegressorMixin, _TreeGuidedCV):
    """TreeGuidedGroupLassoRegressor with ``alpha`` chosen by cross-validation along its path.

    The objective is that of :class:`~mtlclassic.TreeGuidedGroupLassoRegressor`; the
    search is scikit-learn's ``LassoCV``'s (:ref:`cv-estimators` in ``docs/parameters.md``).

    Parameters
    ----------
    tree : "auto" or array-like of shape (n_tasks - 1, 4), default="auto"
        As the model's; with "auto", each fold's path uses the tree of its
        training rows, and the refit that of all the data.
    """

    _estimator = TreeGuidedGroupLassoRegressor


class TreeGuidedGroupLassoClassifierCV(MultiTaskClassifierMixin, _TreeGuidedCV):
    _estimator = TreeGuidedGroupLassoClassifier


TREE_GUIDED = declare(
    "tree-guided-group-lasso", TreeGuidedGroupLassoRegressor, TreeGuidedGroupLassoClassifier,
    description="tree-guided group lasso, auto task tree (Kim & Xing 2010)",
    grid=alpha_max_grid(("alpha", "tree")), strengths=("alpha",),
    alpha_max_names={"tree": "alpha"},
    cv=(TreeGuidedGroupLassoRegressorCV, TreeGuidedGroupLassoClassifierCV))
