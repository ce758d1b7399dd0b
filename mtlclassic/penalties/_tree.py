"""The tree-structured group norm of the tree-guided group lasso: nested groups of tasks.

For each feature ``j``, its weights across tasks ``w = W[j]`` pay
``sum_v c_v ||w[G_v]||_2`` over the nodes ``v`` of a tree whose leaves are the
tasks (``G_v`` the tasks below ``v``). Groups are nested or disjoint, so the
prox is exact: the group shrinkages composed leaves to root (Jenatton et al.
2011); the numba kernel is ``PROX_TREE`` of
:mod:`mtlclassic.penalties._row_kernels`.

References
----------
Kim, S. and Xing, E. P. (2010). Tree-guided group lasso for multi-task
regression with structured sparsity. ICML.
Jenatton, R., Mairal, J., Obozinski, G. and Bach, F. (2011). Proximal methods
for hierarchical sparse coding. JMLR 12.
"""

import numpy as np

from .._backend import get_namespace
from ._row_kernels import P_TREE, PROX_TREE, tree_dual_norms
from ._rows import _RowPenalty


def check_linkage(tree, n_tasks):
    """A scipy linkage matrix over ``n_tasks`` leaves, as a float64 copy, or a ValueError."""
    try:
        Z = np.array(tree, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"tree must be 'auto' or a scipy linkage matrix, got {tree!r}.") from None
    if Z.ndim != 2 or Z.shape != (max(n_tasks - 1, 0), 4):
        raise ValueError(f"tree must be a linkage matrix of shape ({max(n_tasks - 1, 0)}, 4) "
                         f"for {n_tasks} tasks (scipy.cluster.hierarchy.linkage over the "
                         f"tasks, in the order of tasks_), got shape {Z.shape}.")
    if not np.all(np.isfinite(Z)) or np.any(Z[:, 2] < 0):
        raise ValueError("tree's heights (column 2) must be finite and >= 0.")
    used = np.zeros(2 * n_tasks - 1, dtype=bool)
    for i, (a, b) in enumerate(Z[:, :2]):
        for c in (a, b):
            if c != int(c) or not 0 <= c < n_tasks + i or used[int(c)]:
                raise ValueError(f"tree is not a valid linkage: row {i} merges cluster {c:g}, "
                                 f"which is not a leaf or an earlier row's cluster not yet "
                                 "merged. Build it with scipy.cluster.hierarchy.linkage.")
            used[int(c)] = True
    return Z


def kim_xing_groups(Z, n_tasks):
    """The nodes of the linkage ``Z`` as ``(groups, weights)``, leaves to root.

    ``groups[v]`` holds the tasks below node ``v`` (the leaves first, one
    task each, then the rows of ``Z`` in order: each group comes before the
    groups containing it). The weights are Kim & Xing's (2010, section 3):
    an internal node of height ``h_v`` (``Z[:, 2]`` divided by the largest
    height, so in ``[0, 1]``) has ``s_v = h_v`` and ``g_v = 1 - h_v``, and

        c_v = g_v * prod_{m ancestor of v} s_m   (internal node)
        c_v = prod_{m ancestor of v} s_m         (leaf)

    so the root, at height 1, has weight 0, and the weights along each path
    from a leaf to the root sum to 1. Tasks merged low (similar tasks) share
    a strongly weighted group; tasks merged near the root are nearly
    independent.
    """
    T = n_tasks
    groups = [np.array([t]) for t in range(T)]
    if T == 1:
        return groups, np.ones(1)
    top = float(Z[:, 2].max())
    h = Z[:, 2] / top if top > 0 else np.zeros(T - 1)
    for a, b in Z[:, :2].astype(np.int64):
        groups.append(np.concatenate([groups[a], groups[b]]))
    above = np.ones(2 * T - 1)  # product of s over the strict ancestors
    for i in range(T - 2, -1, -1):  # root down: a row's children come from earlier rows
        for c in Z[i, :2].astype(np.int64):
            above[c] = above[T + i] * h[i]
    weights = above.copy()
    weights[T:] *= 1.0 - h
    return groups, weights


class TreeGroup(_RowPenalty):
    r"""Tree-structured group norm over tasks (tree-guided group lasso)::

        alpha * sum_j sum_v c_v ||W[j, G_v]||_2  (+ l2_reg / 2 ||W||_F^2)

    ``W`` of shape (n_features, n_tasks); ``groups`` the task sets ``G_v``
    of a tree, leaves to root, ``weights`` the ``c_v >= 0``. The prox
    composes the group shrinkages leaves to root (exact for a tree); the
    dual norm per feature is found by bisection on the prox's zero set
    (:func:`~mtlclassic.penalties._row_kernels.tree_dual_norms`), returned
    from above, so that duality gaps stay upper bounds.
    """

    row_kind = PROX_TREE

    def __init__(self, alpha, groups, weights, l2_reg=0.0):
        super().__init__(alpha, l2_reg)
        weights = np.asarray(weights, dtype=np.float64)
        if (len(groups) != weights.shape[0] or np.any(weights < 0)
                or not np.all(np.isfinite(weights))):
            raise ValueError("TreeGroup needs one finite weight >= 0 per group.")
        self.groups = [np.asarray(g, dtype=np.int64) for g in groups]
        self.weights = weights
        n_tasks = 1 + max((int(g.max()) for g in self.groups if g.size), default=-1)
        # Path sums: with the weights of every group containing task t summing to P_t,
        # the ball of radius min_t P_t lies in the dual ball (split u_t over the groups
        # of t in proportion to their weights), so Omega^*(u) <= ||u||_2 / min_t P_t.
        path = np.zeros(n_tasks)
        for g, c in zip(self.groups, weights):
            path[g] += c
        if n_tasks and not path.min() > 0:
            raise ValueError("TreeGroup: every task needs a group of positive weight.")
        self._bound = 1.0 / path.min() if n_tasks else 1.0
        kept = [(g, c) for g, c in zip(self.groups, weights) if c > 0]
        code = [float(len(kept))]
        for g, c in kept:
            code += [float(c), float(g.size), *map(float, g)]
        self._code = np.array(code)

    @property
    def row_params(self):
        """``[l2_reg, alpha, n_nodes, (c_v, |G_v|, G_v)...]``: the kernel's layout."""
        return np.concatenate([[self.l2_reg, self.alpha], self._code])

    def _value(self, W):
        xp = get_namespace(W)
        total = 0.0
        for g, c in zip(self.groups, self.weights):
            if c > 0:
                total += c * float(xp.sum(xp.sqrt(xp.sum(W[:, g] ** 2, axis=1))))
        return self.alpha * total

    def _prox_xp(self, W, step):
        xp = get_namespace(W)
        out = xp.array(W, copy=True)
        for g, c in zip(self.groups, self.weights):
            th = step * self.alpha * c
            if th > 0:
                block = out[:, g]
                norms = xp.sqrt(xp.sum(block * block, axis=1, keepdims=True))
                denom = xp.maximum(norms, max(th, float(xp.finfo(W.dtype).tiny)))
                out[:, g] = block * xp.maximum(1.0 - th / denom, 0.0)
        return out

    def row_dual_norms(self, V):
        """Per feature, ``Omega^*(V[j])`` from above (bisection to the last float)."""
        xp = get_namespace(V)
        host = np.ascontiguousarray(np.asarray(V.get() if hasattr(V, "get") else V),
                                    dtype=np.float64)
        out = tree_dual_norms(host, self.row_params, P_TREE, self._bound)
        return out if xp is np else xp.asarray(out)

    def screen(self, V, radius):
        """Zero rows: ``Omega^*(V[j]) + radius[j] / min_t P_t < alpha`` (dual norm's triangle
        inequality, ``Omega^* <= ||.||_2 / min_t P_t``)."""
        return self.row_dual_norms(V) + self._bound * radius < self.alpha

    def _cvxpy(self, W):
        import cvxpy as cp

        return self.alpha * sum(c * cp.sum(cp.norm(W[:, g], 2, axis=1))
                                for g, c in zip(self.groups, self.weights) if c > 0)

    def __repr__(self):
        extra = "" if not self.l2_reg else f", l2_reg={self.l2_reg:g}"
        return f"TreeGroup(alpha={self.alpha:g}, n_groups={len(self.groups)}{extra})"
