"""Objective terms evaluated in the user's units, finite wherever the objective is.

The solvers work in rescaled units (``data._scaling``); the multi-stage models
report their objective in the user's, where coefficients can reach 1e200
(features scaled by 1e-100, targets by 1e100). There ``sum(W ** 2)`` overflows
though the objective does not, and ``0.0 * inf`` (no elastic term) is NaN.
"""

import numpy as np

_MAX = float(np.finfo(np.float64).max)


def elastic_value(l2_reg, W):
    """``l2_reg / 2 ||W||_F^2``: 0 for ``l2_reg = 0`` whatever ``W``; saturated at the largest float.

    The norm is taken of ``W / max |W|`` (``max |W|`` squared last), so it overflows only
    when the term itself does.
    """
    if l2_reg == 0:
        return 0.0
    W = np.asarray(W, dtype=np.float64)
    top = float(np.max(np.abs(W))) if W.size else 0.0
    if top == 0.0 or not np.isfinite(top):
        return 0.0 if top == 0.0 else _MAX
    with np.errstate(over="ignore"):
        value = 0.5 * l2_reg * top * top * float(np.sum((W / top) ** 2))
    return min(value, _MAX)


def row_norms(W):
    """Each row's Euclidean norm, finite wherever the norm is (``W[j] / max |W[j]|``, squared).

    ``np.linalg.norm`` squares the entries first, so rows of 1e155 give inf.
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim == 1:
        W = W[:, None]
    top = np.max(np.abs(W), axis=1, initial=0.0)
    safe = np.where((top > 0) & np.isfinite(top), top, 1.0)
    with np.errstate(over="ignore"):
        return np.where(np.isfinite(top), top * np.linalg.norm(W / safe[:, None], axis=1), np.inf)


def saturated(value):
    """``value`` clipped to the finite range (a value past it is as uninformative as the bound)."""
    return value if np.isnan(value) else min(max(value, -_MAX), _MAX)
