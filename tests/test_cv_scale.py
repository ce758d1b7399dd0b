"""CV estimators at extreme scales: finite results or errors that name the cause (issue 18).

These need the internal rescaling of the fits (``_base.py``, ``data/_scaling.py``):
without it the solvers overflow before the CV layer sees a result.
"""

import warnings

import numpy as np
import pytest

import mtlclassic as mtl

from test_cv_sample_weight import _data


@pytest.mark.parametrize("cv_cls", [mtl.GroupLassoRegressorCV, mtl.L1InfRegressorCV,
                                    mtl.LassoRegressorCV, mtl.SparseGroupLassoRegressorCV,
                                    mtl.RobustMTFLRegressorCV, mtl.DirtyModelRegressorCV],
                         ids=lambda c: c.__name__)
def test_huge_task_weight_never_blames_an_alpha_the_user_did_not_set(cv_cls):
    X, Y = _data(n=40)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = cv_cls(task_weights=[1, 1e300, 1], alphas=3, cv=2).fit(X, Y)
    except ValueError as exc:  # acceptable only when it names the task weights
        assert "task_weights" in str(exc) and "alpha must be" not in str(exc), exc
    else:
        assert np.all(np.isfinite(est.alphas_)) and np.all(np.isfinite(est.coef_))
        assert not np.isnan(est.mse_path_).any()


def test_huge_targets_select_as_unit_targets():
    """Held-out errors of y ~ 1e200 are squared in y's units / 2^k: the selection survives."""
    X, Y = _data()
    unit = mtl.GroupLassoRegressorCV(alphas=5, cv=3).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        huge = mtl.GroupLassoRegressorCV(alphas=unit.alphas_ * 1e200, cv=3).fit(X, Y * 1e200)
    assert huge.alpha_ == pytest.approx(unit.alpha_ * 1e200, rel=1e-12)
    assert np.all(np.isinf(huge.mse_path_) | np.isfinite(huge.mse_path_))
    assert not np.isnan(huge.mse_path_).any()
