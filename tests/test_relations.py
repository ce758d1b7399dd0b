"""Generators with a planted task relationship: shapes, seeds, a consistent truth, the
generative model checked on many features, and argument validation."""

import numpy as np
import pytest

from mtlclassic.datasets import (make_task_relation_classification,
                                 make_task_relation_regression)

STRUCTURES = ["clusters", "covariance", "graph"]
MAKERS = [make_task_relation_regression, make_task_relation_classification]


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize("structure", STRUCTURES)
def test_shapes_both_layouts(make, structure):
    X, Y, truth = make(n_samples=30, n_features=12, n_tasks=5, n_clusters=2,
                       structure=structure, random_state=0)
    assert X.shape == (30, 12) and Y.shape == (30, 5) and truth.coef.shape == (5, 12)
    assert Y.dtype == (np.float64 if make is make_task_relation_regression else np.int64)
    for key in ("task_covariance", "task_correlation", "task_precision", "task_graph"):
        assert truth[key].shape == (5, 5)
    assert truth.task_graph.dtype == bool and truth.structure == structure
    X, y, truth2 = make(n_samples=[4, 6, 5, 3, 7], n_features=12, n_tasks=5, n_clusters=2,
                        structure=structure, layout="per_task", random_state=0)
    assert X.shape == (25, 13) and y.shape == (25,)
    np.testing.assert_array_equal(X[:, -1], np.repeat(np.arange(5.0), [4, 6, 5, 3, 7]))
    np.testing.assert_array_equal(truth2.coef, truth.coef)  # the truth ignores the layout


@pytest.mark.parametrize("structure", STRUCTURES)
def test_reproducible_and_truth_independent_of_sampling(structure):
    kw = dict(n_features=20, n_tasks=6, n_clusters=2, structure=structure)
    X1, Y1, t1 = make_task_relation_regression(n_samples=40, random_state=3, **kw)
    X2, Y2, t2 = make_task_relation_regression(n_samples=40, random_state=3, **kw)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)
    for key in t1:
        if isinstance(t1[key], np.ndarray):
            np.testing.assert_array_equal(t1[key], t2[key])
    _, _, t3 = make_task_relation_regression(n_samples=90, snr=0.5, correlation=0.5,
                                             random_state=3, **kw)
    np.testing.assert_array_equal(t3.coef, t1.coef)
    _, Y4, t4 = make_task_relation_regression(n_samples=40, random_state=4, **kw)
    assert not np.allclose(t4.coef, t1.coef) and not np.allclose(Y4, Y1)
    _, _, t5 = make_task_relation_regression(n_samples=40, random_state=np.random.RandomState(3),
                                             **kw)
    np.testing.assert_array_equal(t5.coef, t1.coef)


def _check_consistent(truth, coef_scale):
    C, S, P, G = (truth.task_correlation, truth.task_covariance, truth.task_precision,
                  truth.task_graph)
    n = C.shape[0]
    np.testing.assert_allclose(np.diag(C), 1.0)
    np.testing.assert_allclose(C, C.T)
    assert np.linalg.eigvalsh(C).min() > 0
    np.testing.assert_allclose(S, coef_scale ** 2 * C)
    np.testing.assert_allclose(P @ S, np.eye(n), atol=1e-10)
    np.testing.assert_array_equal(G, G.T)
    assert not G.diagonal().any()
    off = ~np.eye(n, dtype=bool)
    np.testing.assert_array_equal(G[off], (P != 0)[off])
    for t in truth.outlier_tasks:  # unrelated to every other task
        assert not G[t].any()
        np.testing.assert_array_equal(C[t, off[t]], 0.0)


@pytest.mark.parametrize("n_outlier_tasks", [0, 2])
@pytest.mark.parametrize("coef_scale", [1.0, 2.5])
def test_clusters_truth(n_outlier_tasks, coef_scale):
    X, Y, truth = make_task_relation_regression(
        n_samples=20, n_features=4000, n_tasks=9, n_clusters=3, cluster_std=0.2,
        n_outlier_tasks=n_outlier_tasks, coef_scale=coef_scale, random_state=1)
    _check_consistent(truth, coef_scale)
    labels = truth.task_clusters
    outliers = truth.outlier_tasks
    assert outliers.size == n_outlier_tasks and np.all(labels[outliers] == -1)
    related = np.setdiff1d(np.arange(9), outliers)
    assert sorted(set(labels[related])) == [0, 1, 2]  # every cluster nonempty
    same = (labels[:, None] == labels[None, :]) & (labels[:, None] >= 0)
    np.fill_diagonal(same, False)
    np.testing.assert_array_equal(truth.task_graph, same)
    # the precision is exactly zero across clusters (not merely small)
    assert np.all(truth.task_precision[(labels[:, None] != labels[None, :])] == 0)
    # each task is its centre plus a deviation of standard deviation cluster_std * coef_scale
    dev = truth.coef[related] - truth.cluster_centers[labels[related]]
    np.testing.assert_allclose(dev.std(axis=1), 0.2 * coef_scale, rtol=0.05)
    np.testing.assert_allclose(truth.cluster_centers.std(axis=1), coef_scale, rtol=0.05)
    # the empirical correlation over 4000 features matches the model's
    np.testing.assert_allclose(np.corrcoef(truth.coef), truth.task_correlation, atol=0.06)


@pytest.mark.parametrize("n_outlier_tasks", [0, 1])
def test_covariance_truth(n_outlier_tasks):
    _, _, truth = make_task_relation_regression(
        n_samples=10, n_features=20000, n_tasks=8, structure="covariance", n_factors=2,
        shared_fraction=0.7, n_outlier_tasks=n_outlier_tasks, random_state=2)
    _check_consistent(truth, 1.0)
    assert truth.task_clusters is None and truth.cluster_centers is None
    related = np.setdiff1d(np.arange(8), truth.outlier_tasks)
    C = truth.task_correlation[np.ix_(related, related)]
    # C - (1 - a) I = a U U^T has rank n_factors; both signs occur off the diagonal
    eig = np.linalg.eigvalsh(C - 0.3 * np.eye(len(related)))
    assert np.sum(eig > 1e-10) == 2 and np.all(eig > -1e-10)
    off = C[~np.eye(len(related), dtype=bool)]
    assert off.min() < -0.2 and off.max() > 0.2 and np.abs(off).max() <= 0.7 + 1e-12
    # coefficients are matrix-normal: the columns' covariance is the truth
    emp = truth.coef @ truth.coef.T / truth.coef.shape[1]
    np.testing.assert_allclose(emp, truth.task_covariance, atol=0.03)


@pytest.mark.parametrize("n_outlier_tasks", [0, 2])
def test_graph_truth(n_outlier_tasks):
    _, _, truth = make_task_relation_regression(
        n_samples=10, n_features=20000, n_tasks=12, structure="graph", edge_density=0.2,
        edge_strength=0.25, n_outlier_tasks=n_outlier_tasks, random_state=5)
    _check_consistent(truth, 1.0)
    m = 12 - n_outlier_tasks
    assert truth.task_graph.sum() == 2 * round(0.2 * m * (m - 1) / 2)
    P = truth.task_precision
    d = np.sqrt(np.diag(P))
    partial = -P / np.outer(d, d)
    np.testing.assert_allclose(np.abs(partial[truth.task_graph]), 0.25)
    signs = np.sign(partial[truth.task_graph])
    assert (signs > 0).any() and (signs < 0).any()
    emp_precision = np.linalg.inv(truth.coef @ truth.coef.T / truth.coef.shape[1])
    np.testing.assert_allclose(emp_precision, P, atol=0.05)


def test_targets_follow_the_coefficients():
    X, Y, truth = make_task_relation_regression(n_samples=30, n_features=8, n_tasks=4,
                                                n_clusters=2, noise=0.0, random_state=0)
    np.testing.assert_allclose(Y, X @ truth.coef.T)
    X, y, truth = make_task_relation_classification(
        n_samples=40, n_features=8, n_tasks=4, structure="graph", noise=0.0,
        layout="per_task", random_state=0)
    tasks = X[:, -1].astype(int)
    z = np.einsum("ij,ij->i", X[:, :-1], truth.coef[tasks])
    np.testing.assert_array_equal(y, (z > 0).astype(np.int64))
    X, Y, _ = make_task_relation_regression(n_samples=4000, n_features=5, n_tasks=3,
                                            structure="covariance", snr=4.0, random_state=0)
    _, _, truth = make_task_relation_regression(n_samples=4000, n_features=5, n_tasks=3,
                                                structure="covariance", snr=4.0, random_state=0)
    signal = X @ truth.coef.T
    np.testing.assert_allclose(signal.var(axis=0) / (Y - signal).var(axis=0), 4.0, rtol=0.1)


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_tasks=4, n_clusters=5), "n_clusters=5 is larger than the number of tasks"),
    (dict(n_tasks=4, n_clusters=3, n_outlier_tasks=2), r"4 - 2 = 2"),
    (dict(n_clusters=0), "n_clusters must be >= 1"),
    (dict(cluster_std=0.0), "cluster_std must be > 0"),
    (dict(structure="tree"), "structure must be one of"),
    (dict(structure="covariance", shared_fraction=1.0), r"shared_fraction must be in \[0, 1\)"),
    (dict(structure="covariance", n_factors=0), "n_factors must be >= 1"),
    (dict(structure="graph", edge_density=1.5), r"edge_density must be in \[0, 1\]"),
    (dict(structure="graph", edge_strength=1.0), r"edge_strength must be in \(0, 1\)"),
    (dict(structure="graph", n_tasks=8, edge_density=1.0, edge_strength=0.5),
     "not positive definite"),
    (dict(n_outlier_tasks=11), "n_outlier_tasks must be <= n_tasks"),
    (dict(n_features=0), "n_features must be >= 1"),
    (dict(layout="stacked"), "layout must be one of"),
    (dict(snr=0.0), "snr must be > 0"),
    (dict(noise=-1.0), "noise .* must be >= 0"),
    (dict(coef_scale=0.0), "coef_scale must be > 0"),
    (dict(n_samples=[5, 5], layout="per_task"), "n_samples has length 2 but n_tasks=10"),
])
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_task_relation_regression(**{"n_samples": 20, "n_features": 10, **kwargs})


def test_classification_needs_two_samples_and_ignores_unused_parameters():
    with pytest.raises(ValueError, match="at least 2"):
        make_task_relation_classification(n_samples=[1, 3], n_tasks=2, n_clusters=1,
                                          layout="per_task")
    # parameters of other structures are not validated (n_clusters > n_tasks is fine here)
    X, Y, truth = make_task_relation_regression(n_samples=10, n_features=6, n_tasks=3,
                                                structure="graph", n_clusters=50,
                                                random_state=0)
    assert truth.task_clusters is None
    # every task an outlier: no relationship left, the identity
    _, _, truth = make_task_relation_regression(n_samples=10, n_features=6, n_tasks=3,
                                                structure="covariance", n_outlier_tasks=3,
                                                random_state=0)
    np.testing.assert_array_equal(truth.task_correlation, np.eye(3))
    assert not truth.task_graph.any()
