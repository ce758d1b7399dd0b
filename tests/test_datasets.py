import numpy as np
import pytest

from mtlclassic.datasets import (
    make_multitask_classification,
    make_multitask_regression,
)

GENERATORS = [make_multitask_regression, make_multitask_classification]


def _split_per_task(X, y):
    """Split a per_task (X, y) into per-task feature blocks and targets."""
    tasks = X[:, -1]
    n_tasks = int(tasks.max()) + 1
    return [(X[tasks == t, :-1], y[tasks == t]) for t in range(n_tasks)]


# ---------------------------------------------------------------------------
# Shapes and dtypes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", GENERATORS)
def test_shapes_shared_layout(make):
    X, Y, coef = make(n_samples=30, n_features=12, n_tasks=4, n_shared=3,
                      random_state=0)
    assert X.shape == (30, 12)
    assert Y.shape == (30, 4)
    assert coef.shape == (4, 12)
    assert X.dtype == np.float64
    assert coef.dtype == np.float64
    expected = np.float64 if make is make_multitask_regression else np.int64
    assert Y.dtype == expected


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("n_samples, sizes", [
    (7, [7, 7, 7]),
    ([5, 11, 2], [5, 11, 2]),
    (np.array([3, 4, 9]), [3, 4, 9]),
])
def test_shapes_per_task_layout(make, n_samples, sizes):
    X, y, coef = make(n_samples=n_samples, n_features=10, n_tasks=3,
                      n_shared=2, layout="per_task", random_state=0)
    n_total = sum(sizes)
    assert X.shape == (n_total, 11)
    assert y.shape == (n_total,)
    assert coef.shape == (3, 10)
    assert X.dtype == np.float64
    expected = np.float64 if make is make_multitask_regression else np.int64
    assert y.dtype == expected
    # Last column: task ids 0..T-1 as floats, rows grouped by task in order.
    expected_ids = np.repeat(np.arange(3, dtype=np.float64), sizes)
    np.testing.assert_array_equal(X[:, -1], expected_ids)


def test_per_task_targets_follow_own_coefficients():
    # Without noise, task t's targets are exactly X_t @ coef[t] + intercept[t].
    intercept = np.array([1.0, -2.0, 0.5])
    X, y, coef = make_multitask_regression(
        n_samples=[4, 6, 5], n_features=8, n_tasks=3, n_shared=2,
        n_specific=1, noise=0.0, intercept=intercept, layout="per_task",
        random_state=1)
    for t, (X_t, y_t) in enumerate(_split_per_task(X, y)):
        np.testing.assert_allclose(y_t, X_t @ coef[t] + intercept[t])


def test_shared_targets_follow_coefficients_without_noise():
    X, Y, coef = make_multitask_regression(
        n_samples=20, n_features=8, n_tasks=3, n_shared=2, noise=0.0,
        intercept=3.0, random_state=2)
    np.testing.assert_allclose(Y, X @ coef.T + 3.0)


# ---------------------------------------------------------------------------
# Coefficient support structure
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("n_tasks, n_shared, n_specific", [
    (5, 4, 3),
    (3, 6, 0),
    (4, 0, 2),
    (1, 3, 0),
    (2, 1, 5),
])
def test_support_structure(make, n_tasks, n_shared, n_specific):
    n_features = 40
    _, _, coef = make(n_samples=10, n_features=n_features, n_tasks=n_tasks,
                      n_shared=n_shared, n_specific=n_specific,
                      random_state=3)
    nz = coef != 0
    n_tasks_active = nz.sum(axis=0)
    # Exactly n_shared columns are nonzero in every task ...
    if n_tasks > 1:
        assert np.sum(n_tasks_active == n_tasks) == n_shared
        # ... the specific features are active in exactly one task ...
        assert np.sum(n_tasks_active == 1) == n_tasks * n_specific
        # ... and nothing is active in an intermediate number of tasks.
        assert np.all((n_tasks_active == 0) | (n_tasks_active == 1)
                      | (n_tasks_active == n_tasks))
    else:
        assert np.sum(n_tasks_active == 1) == n_shared + n_specific
    # Each task has n_shared + n_specific nonzeros; the rest are exactly 0.
    np.testing.assert_array_equal(nz.sum(axis=1), n_shared + n_specific)
    assert np.sum(n_tasks_active == 0) == (
        n_features - n_shared - n_tasks * n_specific)


def test_shared_coefficients_are_related_across_tasks():
    _, _, coef = make_multitask_regression(
        n_samples=5, n_features=100, n_tasks=8, n_shared=30, random_state=4)
    shared = np.all(coef != 0, axis=0)
    assert shared.sum() == 30
    values = coef[:, shared]
    # Same sign in every task, and different values across tasks.
    assert np.all(np.sign(values) == np.sign(values[0]))
    assert not np.allclose(values, values[0])
    # Tasks are strongly correlated on the shared support.
    corr = np.corrcoef(values)
    assert corr[np.triu_indices(8, 1)].min() > 0.5


def test_coef_scale_scales_coefficients():
    kwargs = dict(n_samples=10, n_features=20, n_tasks=3, n_shared=4,
                  n_specific=2, random_state=5)
    _, _, coef1 = make_multitask_regression(coef_scale=1.0, **kwargs)
    _, _, coef3 = make_multitask_regression(coef_scale=3.0, **kwargs)
    np.testing.assert_allclose(coef3, 3.0 * coef1)
    nonzero = np.abs(coef1[coef1 != 0])
    assert nonzero.min() >= 0.5 * np.exp(-0.3 * 6) - 1e-12


# ---------------------------------------------------------------------------
# Randomness
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("layout, n_samples", [("shared", 25),
                                                ("per_task", [5, 9, 4])])
def test_determinism_and_seed_dependence(make, layout, n_samples):
    kwargs = dict(n_samples=n_samples, n_features=15, n_tasks=3, n_shared=3,
                  n_specific=2, correlation=0.4, layout=layout)
    out1 = make(random_state=42, **kwargs)
    out2 = make(random_state=42, **kwargs)
    out3 = make(random_state=np.random.RandomState(42), **kwargs)
    for a, b, c in zip(out1, out2, out3):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
        assert a.dtype == b.dtype
    other = make(random_state=43, **kwargs)
    assert not np.array_equal(out1[0], other[0])
    assert not np.array_equal(out1[2], other[2])


def test_generator_random_state_is_accepted():
    kwargs = dict(n_samples=10, n_features=6, n_tasks=2, n_shared=2)
    X1, Y1, c1 = make_multitask_regression(
        random_state=np.random.default_rng(0), **kwargs)
    X2, Y2, c2 = make_multitask_regression(
        random_state=np.random.default_rng(0), **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)
    np.testing.assert_array_equal(c1, c2)


def test_coefficients_do_not_depend_on_sample_size():
    kwargs = dict(n_features=20, n_tasks=3, n_shared=3, n_specific=1,
                  random_state=7)
    _, _, c1 = make_multitask_regression(n_samples=10, **kwargs)
    _, _, c2 = make_multitask_regression(n_samples=50, correlation=0.5,
                                         **kwargs)
    np.testing.assert_array_equal(c1, c2)


# ---------------------------------------------------------------------------
# Feature correlation and signal-to-noise ratio
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_feature_correlation(rho):
    X, _, _ = make_multitask_regression(
        n_samples=20000, n_features=8, n_tasks=2, n_shared=2,
        correlation=rho, random_state=8)
    C = np.corrcoef(X.T)
    adjacent = np.diag(C, 1)
    np.testing.assert_allclose(adjacent, rho, atol=0.03)
    np.testing.assert_allclose(np.diag(C, 2), rho ** 2, atol=0.03)
    np.testing.assert_allclose(np.diag(C, 5), rho ** 5, atol=0.03)
    # Unit variance for every column (including the first: stationary start).
    np.testing.assert_allclose(X.var(axis=0), 1.0, atol=0.05)


def test_feature_correlation_per_task_layout():
    X, _, _ = make_multitask_regression(
        n_samples=[6000, 4000], n_features=5, n_tasks=2, n_shared=1,
        correlation=0.7, layout="per_task", random_state=9)
    C = np.corrcoef(X[:, :-1].T)
    np.testing.assert_allclose(np.diag(C, 1), 0.7, atol=0.03)


@pytest.mark.parametrize("snr", [0.5, 3.0, 20.0])
def test_achieved_snr_shared(snr):
    intercept = np.array([0.0, 5.0, -1.0])
    X, Y, coef = make_multitask_regression(
        n_samples=20000, n_features=20, n_tasks=3, n_shared=4, n_specific=2,
        snr=snr, correlation=0.3, intercept=intercept, random_state=10)
    signal = X @ coef.T
    residual = Y - signal - intercept
    achieved = signal.var(axis=0) / residual.var(axis=0)
    np.testing.assert_allclose(achieved, snr, rtol=0.05)
    np.testing.assert_allclose(residual.mean(axis=0), 0.0,
                               atol=4 * residual.std(axis=0).max() / 100)


def test_achieved_snr_per_task():
    X, y, coef = make_multitask_regression(
        n_samples=[15000, 8000], n_features=10, n_tasks=2, n_shared=3,
        snr=2.0, layout="per_task", random_state=11)
    for t, (X_t, y_t) in enumerate(_split_per_task(X, y)):
        signal = X_t @ coef[t]
        achieved = signal.var() / (y_t - signal).var()
        assert achieved == pytest.approx(2.0, rel=0.06)


def test_explicit_noise_level():
    X, Y, coef = make_multitask_regression(
        n_samples=20000, n_features=10, n_tasks=3, n_shared=3, noise=0.7,
        snr=100.0, random_state=12)
    residual = Y - X @ coef.T
    np.testing.assert_allclose(residual.std(axis=0), 0.7, rtol=0.03)


# ---------------------------------------------------------------------------
# Classification labels
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [
    dict(n_samples=50, n_tasks=6),
    dict(n_samples=2, n_tasks=100),
    dict(n_samples=3, n_tasks=20, noise=0.0),
    dict(n_samples=[2, 3, 2, 40], n_tasks=4, layout="per_task"),
    dict(n_samples=2, n_tasks=50, layout="per_task", noise=0.0),
    dict(n_samples=5, n_tasks=5, n_shared=0, noise=0.0),
])
def test_classification_labels_binary_with_both_classes(kwargs):
    kwargs = dict(dict(n_features=10, n_shared=2, random_state=13), **kwargs)
    X, Y, _ = make_multitask_classification(**kwargs)
    assert Y.dtype == np.int64
    assert set(np.unique(Y)) == {0, 1}
    if kwargs.get("layout", "shared") == "shared":
        columns = Y.T
    else:
        columns = [y_t for _, y_t in _split_per_task(X, Y)]
    for labels in columns:
        assert set(np.unique(labels)) == {0, 1}


def test_classification_labels_follow_the_signal():
    X, Y, coef = make_multitask_classification(
        n_samples=4000, n_features=10, n_tasks=3, n_shared=3, snr=50.0,
        random_state=14)
    agreement = np.mean(Y == (X @ coef.T > 0))
    assert agreement > 0.9
    # Noiseless labels are exactly the sign of the signal.
    X, Y, coef = make_multitask_classification(
        n_samples=500, n_features=10, n_tasks=3, n_shared=3, noise=0.0,
        random_state=15)
    np.testing.assert_array_equal(Y, (X @ coef.T > 0).astype(np.int64))


# ---------------------------------------------------------------------------
# Argument validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("kwargs, match", [
    (dict(n_samples=-1), "n_samples must be >="),
    (dict(n_samples=0), "n_samples must be >="),
    (dict(n_samples=2.5), "n_samples must be an integer"),
    (dict(n_samples=[10, 10, 10, 10, 10]), "layout='shared'"),
    (dict(n_features=0), "n_features must be >= 1"),
    (dict(n_features=-3), "n_features must be >= 1"),
    (dict(n_tasks=0), "n_tasks must be >= 1"),
    (dict(n_shared=-1), "n_shared must be >= 0"),
    (dict(n_specific=-2), "n_specific must be >= 0"),
    (dict(n_features=10, n_shared=8, n_specific=3),
     r"n_shared \+ n_specific must be <= n_features"),
    (dict(n_features=10, n_tasks=3, n_shared=4, n_specific=3),
     r"n_shared \+ n_tasks \* n_specific must be <= n_features"),
    (dict(n_shared=0, n_specific=0), "noise is None"),
    (dict(layout="stacked"), "layout must be one of"),
    (dict(layout=None), "layout must be one of"),
    (dict(correlation=1.0), r"correlation must be in \[0, 1\)"),
    (dict(correlation=-0.1), r"correlation must be in \[0, 1\)"),
    (dict(correlation=np.nan), "correlation must be finite"),
    (dict(snr=0.0), "snr must be > 0"),
    (dict(snr=-1.0), "snr must be > 0"),
    (dict(noise=-0.5), "noise .* must be >= 0"),
    (dict(coef_scale=0.0), "coef_scale must be > 0"),
    (dict(layout="per_task", n_samples=[10, 10]), "n_samples has length 2"),
    (dict(layout="per_task", n_samples=[10, 0, 10, 10, 10]),
     "task 1 has 0 samples"),
    (dict(layout="per_task", n_samples=[10, 10, -4, 10, 10]),
     "task 2 has -4 samples"),
    (dict(layout="per_task", n_samples=0), "every task needs samples"),
    (dict(layout="per_task", n_samples=[10.5] * 5),
     "n_samples must contain integers"),
    (dict(layout="per_task", n_samples=[[10] * 5]), "1-D"),
])
def test_invalid_arguments(make, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(random_state=0, **kwargs)


@pytest.mark.parametrize("intercept", [[1.0, 2.0], np.ones((5, 1))])
def test_invalid_intercept(intercept):
    with pytest.raises(ValueError, match=r"intercept must be a float or an "
                                         r"array of shape \(n_tasks,\)"):
        make_multitask_regression(intercept=intercept, random_state=0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_samples=1), "n_samples must be >= 2"),
    (dict(n_samples=[5, 1, 5], n_tasks=3, layout="per_task"),
     "at least 2 samples; task 1 has 1"),
])
def test_classification_needs_two_samples_per_task(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_multitask_classification(random_state=0, **kwargs)
    # A single row per task is fine for regression.
    make_multitask_regression(random_state=0, **kwargs)


# ---------------------------------------------------------------------------
# Backward compatibility: frozen outputs
# ---------------------------------------------------------------------------


def test_default_outputs_frozen():
    # Numbers printed by the generators at commit 96aacd1, before the
    # planted-structure options (rank, shared_variation, n_outlier_tasks,
    # return_truth) existed: the options must not change the default draws.
    X, Y, coef = make_multitask_regression(
        n_samples=6, n_features=5, n_tasks=2, n_shared=2, n_specific=1,
        correlation=0.3, random_state=0)
    np.testing.assert_allclose(coef, [
        [1.2282736590962435, 1.0288949197529045, 1.095025942270855, 0.0, 0.0],
        [0.8954915205598164, 0.0, 1.2961064963066786, 1.425596638292661, 0.0],
    ], rtol=1e-14)
    np.testing.assert_allclose(Y[:3], [
        [1.8880733212297927, 1.3035280544070666],
        [-4.733891944368254, 0.7439792791803158],
        [-0.16505668655902084, 0.6292515306638689],
    ], rtol=1e-13)
    X, y, _ = make_multitask_classification(
        n_samples=[4, 5], n_features=5, n_tasks=2, n_shared=2,
        layout="per_task", random_state=1)
    np.testing.assert_array_equal(y, [1, 0, 0, 0, 1, 1, 1, 0, 1])
    np.testing.assert_allclose(X[:2, :3], [
        [-1.5078076574393642, -0.31529206891625516, 0.8581788594815808],
        [-1.4155524881441905, 0.8858294019971026, 0.6319018703788793],
    ], rtol=1e-14)


# ---------------------------------------------------------------------------
# Planted structures (return_truth, rank, shared_variation, outlier tasks)
# ---------------------------------------------------------------------------

TRUTH_KEYS = {"coef_shared", "coef_specific", "coef_outlier", "shared_support",
              "specific_support", "outlier_tasks", "rank"}


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("layout, n_samples", [("shared", 12),
                                                ("per_task", [4, 6, 5, 7])])
def test_return_truth_leaves_data_unchanged(make, layout, n_samples):
    kwargs = dict(n_samples=n_samples, n_features=20, n_tasks=4, n_shared=3,
                  n_specific=2, layout=layout, random_state=20)
    X, Y, coef = make(**kwargs)
    X2, Y2, coef2, truth = make(return_truth=True, **kwargs)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(Y, Y2)
    np.testing.assert_array_equal(coef, coef2)
    assert set(truth) == TRUTH_KEYS


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("kwargs", [
    dict(n_tasks=5, n_shared=4, n_specific=2),
    dict(n_tasks=5, n_shared=4, n_specific=2, n_outlier_tasks=2),
    dict(n_tasks=6, n_shared=5, n_specific=1, rank=2, n_outlier_tasks=1),
    dict(n_tasks=3, n_shared=0, n_specific=3),
    dict(n_tasks=4, n_shared=3, n_outlier_tasks=4),
])
def test_truth_parts_and_supports(make, kwargs):
    n_features = 40
    _, _, coef, truth = make(n_samples=10, n_features=n_features,
                             random_state=21, return_truth=True, **kwargs)
    n_tasks, n_shared = kwargs["n_tasks"], kwargs["n_shared"]
    n_specific = kwargs["n_specific"] if "n_specific" in kwargs else 0
    n_out = kwargs["n_outlier_tasks"] if "n_outlier_tasks" in kwargs else 0
    P, S, O = truth["coef_shared"], truth["coef_specific"], truth["coef_outlier"]
    for part in (P, S, O):
        assert part.shape == (n_tasks, n_features)
        assert part.dtype == np.float64
    # The parts have disjoint supports and add up to coef exactly.
    assert not np.any((P != 0) & (S != 0))
    assert not np.any((P != 0) & (O != 0))
    assert not np.any((S != 0) & (O != 0))
    np.testing.assert_array_equal(P + S + O, coef)

    outliers = truth["outlier_tasks"]
    assert outliers.dtype == np.int64
    assert len(outliers) == n_out == len(set(outliers.tolist()))
    assert np.all(np.diff(outliers) > 0)
    inliers = np.setdiff1d(np.arange(n_tasks), outliers)
    # Outlier rows are dense and carry nothing else; inlier rows have no
    # outlier part.
    assert np.all(O[outliers] != 0)
    assert not np.any(O[inliers])
    assert not np.any(P[outliers]) and not np.any(S[outliers])

    shared = truth["shared_support"]
    assert shared.dtype == np.int64 and len(shared) == n_shared
    assert np.all(np.diff(shared) > 0)
    # Shared block: nonzero on the shared columns of every inlier, zero
    # elsewhere.
    np.testing.assert_array_equal(
        np.flatnonzero(np.any(P != 0, axis=0)), shared if len(inliers) else [])
    assert np.all(P[np.ix_(inliers, shared)] != 0)
    # Specific entries: n_specific per inlier task, off the shared support,
    # never two tasks on the same feature.
    mask = truth["specific_support"]
    assert mask.dtype == bool and mask.shape == (n_tasks, n_features)
    np.testing.assert_array_equal(mask, S != 0)
    np.testing.assert_array_equal(mask[inliers].sum(axis=1), n_specific)
    assert not np.any(mask[:, shared])
    assert mask.sum(axis=0).max() <= 1


@pytest.mark.parametrize("layout", ["shared", "per_task"])
@pytest.mark.parametrize("n_tasks, n_shared, rank", [(6, 10, 1), (6, 10, 3),
                                                     (4, 9, 4), (8, 3, 3)])
def test_rank_option(layout, n_tasks, n_shared, rank):
    _, _, coef, truth = make_multitask_regression(
        n_samples=5, n_features=15, n_tasks=n_tasks, n_shared=n_shared,
        rank=rank, layout=layout, random_state=22, return_truth=True)
    assert truth["rank"] == rank
    s = np.linalg.svd(coef, compute_uv=False)
    # Exactly `rank` singular values well away from 0, the rest at rounding
    # level (n_specific=0, no outliers: coef is the shared block).
    assert s[rank - 1] > 0.3 * s[0]
    if rank < len(s):
        assert s[rank] < 1e-10 * s[0]
    # Singular values s_k = sqrt(T * n_shared / rank) * U(0.75, 1.25).
    scale = np.sqrt(n_tasks * n_shared / rank)
    assert np.all(s[:rank] >= 0.75 * scale - 1e-9)
    assert np.all(s[:rank] <= 1.25 * scale + 1e-9)
    # Support: the shared columns only, where every entry is nonzero.
    np.testing.assert_array_equal(
        np.flatnonzero(np.any(coef != 0, axis=0)), truth["shared_support"])
    assert np.all(coef[:, truth["shared_support"]] != 0)


def test_rank_with_specific_and_outliers():
    _, _, coef, truth = make_multitask_regression(
        n_samples=5, n_features=40, n_tasks=7, n_shared=8, n_specific=2,
        rank=2, n_outlier_tasks=2, random_state=23, return_truth=True)
    inliers = np.setdiff1d(np.arange(7), truth["outlier_tasks"])
    block = truth["coef_shared"][np.ix_(inliers, truth["shared_support"])]
    s = np.linalg.svd(block, compute_uv=False)
    assert truth["rank"] == 2
    assert s[1] > 1e-3 * s[0] and s[2] < 1e-10 * s[0]
    # The extra parts make the whole coefficient matrix full rank.
    assert np.linalg.matrix_rank(coef) == 7


def test_shared_variation():
    kwargs = dict(n_samples=5, n_features=30, n_tasks=6, n_shared=5,
                  n_specific=1, random_state=24)
    _, _, c0 = make_multitask_regression(shared_variation=0.0, **kwargs)
    _, _, c3 = make_multitask_regression(**kwargs)
    _, _, c3b = make_multitask_regression(shared_variation=0.3, **kwargs)
    _, _, c9 = make_multitask_regression(shared_variation=0.9, **kwargs)
    np.testing.assert_array_equal(c3, c3b)  # 0.3 is the default model
    shared = np.all(c0 != 0, axis=0)
    assert shared.sum() == 5
    # Variation 0: the same value in every task on the shared columns.
    np.testing.assert_array_equal(c0[:, shared], np.tile(c0[0, shared], (6, 1)))
    # The same base values and draws: log-ratios scale with the variation.
    np.testing.assert_allclose(np.log(c9[:, shared] / c0[:, shared]),
                               3.0 * np.log(c3[:, shared] / c0[:, shared]))
    # Specific entries do not depend on the variation.
    np.testing.assert_array_equal(c0[:, ~shared], c9[:, ~shared])


def test_outlier_tasks_follow_their_own_coefficients():
    # Per-task layout without noise: outlier tasks' targets follow their
    # dense rows; the other tasks keep the sparse shared model.
    X, y, coef, truth = make_multitask_regression(
        n_samples=[8, 9, 10, 11, 12], n_features=12, n_tasks=5, n_shared=3,
        n_outlier_tasks=2, noise=0.0, layout="per_task", random_state=25,
        return_truth=True)
    for t, (X_t, y_t) in enumerate(_split_per_task(X, y)):
        np.testing.assert_allclose(y_t, X_t @ coef[t])
        nnz = np.count_nonzero(coef[t])
        assert nnz == (12 if t in truth["outlier_tasks"] else 3)


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("layout, n_samples", [("shared", 15),
                                                ("per_task", [5, 9, 4, 6])])
def test_planted_structures_deterministic(make, layout, n_samples):
    kwargs = dict(n_samples=n_samples, n_features=20, n_tasks=4, n_shared=4,
                  n_specific=1, rank=2, n_outlier_tasks=1, layout=layout,
                  return_truth=True)
    out1 = make(random_state=3, **kwargs)
    out2 = make(random_state=np.random.RandomState(3), **kwargs)
    for a, b in zip(out1[:3], out2[:3]):
        np.testing.assert_array_equal(a, b)
    for key in TRUTH_KEYS:
        np.testing.assert_array_equal(out1[3][key], out2[3][key])
    other = make(random_state=4, **kwargs)
    assert not np.array_equal(out1[2], other[2])
    # The coefficients do not depend on the number of samples.
    sizes = 40 if layout == "shared" else [7, 7, 7, 7]
    again = make(random_state=3, **dict(kwargs, n_samples=sizes))
    np.testing.assert_array_equal(out1[2], again[2])


def test_classification_with_planted_structures():
    X, Y, coef, truth = make_multitask_classification(
        n_samples=300, n_features=20, n_tasks=5, n_shared=4, rank=2,
        n_outlier_tasks=1, noise=0.0, random_state=26, return_truth=True)
    assert truth["rank"] == 2
    np.testing.assert_array_equal(Y, (X @ coef.T > 0).astype(np.int64))


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("kwargs, match", [
    (dict(rank=0), "rank must be >= 1"),
    (dict(rank=-1), "rank must be >= 1"),
    (dict(rank=2.0), "rank must be None or an integer"),
    (dict(rank="2"), "rank must be None or an integer"),
    (dict(n_tasks=3, n_shared=5, rank=4), r"rank <= min\(n_tasks, n_shared\)"),
    (dict(n_tasks=5, n_shared=2, rank=3), r"rank <= min\(n_tasks, n_shared\)"),
    (dict(n_shared=0, n_specific=1, rank=1), r"rank <= min"),
    (dict(shared_variation=-0.1), "shared_variation must be >= 0"),
    (dict(shared_variation=np.inf), "shared_variation must be finite"),
    (dict(shared_variation="big"), "shared_variation must be a real number"),
    (dict(n_outlier_tasks=-1), "n_outlier_tasks must be >= 0"),
    (dict(n_outlier_tasks=6), "n_outlier_tasks must be <= n_tasks"),
    (dict(n_outlier_tasks=1.5), "n_outlier_tasks must be an integer"),
    (dict(return_truth="yes"), "return_truth must be a bool"),
])
def test_invalid_structure_arguments(make, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(random_state=0, **kwargs)


@pytest.mark.parametrize("make", GENERATORS)
def test_structure_options_are_keyword_only(make):
    # All the historical parameters positionally, then one more (rank=1).
    args = [10, 5, 2, 1, 0, 3.0, None, 0.0, "shared", 1.0]
    if make is make_multitask_regression:
        args.append(0.0)  # intercept
    args.append(0)  # random_state
    make(*args)
    with pytest.raises(TypeError):
        make(*args, 1)
