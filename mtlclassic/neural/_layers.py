"""Dense layers, dropout and cross-stitch units: forward and backward passes.

A dense layer maps ``A`` to ``Z = A W + b``.  The same two functions serve

* a layer shared by all rows (``W`` of shape (n_in, n_out), ``A`` (m, n_in)),
* per-task layers (``W`` of shape (n_tasks, n_in, n_out), ``A`` of shape
  (n_tasks, m, n_in), or (m, n_in) when every task's network reads the same
  rows -- numpy's ``matmul`` broadcasts the 2-D input over tasks).

Backward, with ``dZ`` the gradient of the objective with respect to ``Z``::

    dW = A^T dZ,    db = sum_rows dZ,    dA = dZ W^T

(for a broadcast 2-D input, ``dA = sum_t dZ_t W_t^T``).  Gradients are written
into preallocated arrays (``out=``): the parameter gradients are views into one
flat buffer (see ``_params``).
"""

import numpy as np

from ._kernels import add_bias


def dense_forward(A, W, b, out=None, relu=False):
    """``Z = A W + b`` (``b`` broadcast over rows, per task if ``W`` is 3-D).

    ``relu=True`` applies ``max(Z, 0)`` in the same pass as the bias.
    """
    out = np.matmul(A, W, out=out)
    # one fused pass (numba); no rows (a batch without an adversarial task's rows) cannot be
    # reshaped to rows of the bias's width
    if out.size and out.flags.c_contiguous and out.dtype == b.dtype:
        add_bias(out.reshape((-1,) + out.shape[-2:]), b.reshape(-1, b.shape[-1]), relu)
    else:
        out += b[..., None, :]
        if relu:
            np.maximum(out, 0, out=out)
    return out


def dense_backward(A, W, dZ, dW, db, dA=None):
    """Write ``dW = A^T dZ`` and ``db = sum_rows dZ``; return ``dZ W^T`` into ``dA`` if given.

    ``A`` may be 2-D while ``dZ`` is 3-D (one input read by every task's
    network); ``dA`` is then the sum over tasks, of shape ``A.shape``.
    """
    np.matmul(np.swapaxes(A, -1, -2), dZ, out=dW)
    # Column sums as a matrix-vector product: 3x faster than np.sum(axis=-2) here.
    np.matmul(_ones(dZ.shape[-2], dZ.dtype), dZ, out=db)
    if dA is None:
        return None
    if A.ndim < dZ.ndim:
        np.sum(np.matmul(dZ, np.swapaxes(W, -1, -2)), axis=0, out=dA)
    else:
        np.matmul(dZ, np.swapaxes(W, -1, -2), out=dA)
    return dA


def dropout_mask(rng, shape, rate, dtype):
    """Inverted-dropout mask: ``0`` with probability ``rate``, else ``1 / (1 - rate)``.

    Multiplying by it keeps every unit's expectation, so nothing changes at
    prediction time (no mask).
    """
    keep = rng.random(shape, dtype=np.float32) >= rate
    return keep.astype(dtype) * dtype.type(1.0 / (1.0 - rate))


def dropout_forward(A, mask):
    """``A * mask`` (the backward pass is the same product with ``dA``)."""
    return A * mask


def dropout_backward(dA, mask):
    return np.multiply(dA, mask, out=dA)


def cross_stitch_forward(alpha, A, out=None):
    """Cross-stitch unit: ``out_t = sum_s alpha[t, s] A_s`` for activations ``A`` (T, m, h).

    Each task's next layer reads a learned mixture of every task's
    activations on the same rows (Misra et al. 2016); ``alpha = I`` leaves the
    networks independent.
    """
    T = A.shape[0]
    res = np.matmul(alpha, A.reshape(T, -1), out=None if out is None else out.reshape(T, -1))
    return res.reshape(A.shape)


def cross_stitch_backward(alpha, A, dOut, dalpha, dA=None):
    """``dalpha = dOut A^T`` and ``dA = alpha^T dOut`` (on the (T, m*h) reshapes)."""
    T = A.shape[0]
    D = dOut.reshape(T, -1)
    np.matmul(D, A.reshape(T, -1).T, out=dalpha)
    res = np.matmul(alpha.T, D, out=None if dA is None else dA.reshape(T, -1))
    return res.reshape(A.shape)


_ONES = {}


def _ones(n, dtype):
    """A cached read-only vector of ``n`` ones."""
    key = (n, np.dtype(dtype))
    if key not in _ONES:
        if len(_ONES) > 64:
            _ONES.clear()
        ones = np.ones(n, dtype=dtype)
        ones.flags.writeable = False
        _ONES[key] = ones
    return _ONES[key]
