"""The kernel models' optional feature map: each feature's empirical quantiles to a normal.

``feature_map="quantile"`` of :class:`~mtlclassic.KernelTaskRelationRegressor`
and its classifier replaces feature ``j`` of every row by ``Phi^{-1}(F_j(x_j))``,
``F_j`` the empirical distribution of feature ``j`` over the training rows
(linear between its quantiles, clipped outside them; scikit-learn's
:class:`~sklearn.preprocessing.QuantileTransformer` with a normal output), and
the kernel sees the mapped features. A monotone map per feature: the ranks are
kept, heavy tails are not. Why: a stationary or linear kernel on standardised
heavy-tailed features is driven by the few extreme rows (Landmine's nine
features have kurtosis 10 to 530 and the median-heuristic distances of their
bulk are tiny next to the outliers'); after the map every feature's rows are
spread as a standard normal's.
"""

import numpy as np

FEATURE_MAPS = (None, "quantile")
# Quantiles kept per feature (scikit-learn's default); fewer when there are fewer rows.
N_QUANTILES = 1000


def check_feature_map(value):
    """A one-line ValueError unless ``value`` is one of :data:`FEATURE_MAPS`."""
    if not (value is None or (isinstance(value, str) and value in FEATURE_MAPS)):
        raise ValueError(f"feature_map must be None or 'quantile', got {value!r}.")


def fit_feature_map(kind, X):
    """The fitted map of ``kind`` on the training features ``X`` (None for ``kind=None``)."""
    if kind is None:
        return None
    if hasattr(X, "toarray") and not isinstance(X, np.ndarray):
        raise ValueError("feature_map='quantile' needs dense features: pass X as an array, "
                         "or use feature_map=None.")
    from sklearn.preprocessing import QuantileTransformer

    X = np.asarray(X, dtype=np.float64)
    return QuantileTransformer(n_quantiles=min(N_QUANTILES, X.shape[0]),
                               output_distribution="normal", subsample=None).fit(X)


def apply_feature_map(fitted, X):
    """``X`` through the fitted map (``X`` itself without one)."""
    if fitted is None:
        return X
    return fitted.transform(np.asarray(X, dtype=np.float64))
