"""Scale-out on a Dask cluster through joblib's dask backend gives the serial results.

One ``LocalCluster`` of two worker processes (one thread each) serves the module. Every
test also checks, through the scheduler's task stream, that the work did run on the
workers, so a hard-coded local backend (``require="sharedmem"``, ``backend="threading"``)
would fail here rather than silently run in this process.
"""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

pytest.importorskip("distributed")

import joblib  # noqa: E402
from distributed import Client, LocalCluster, get_task_stream  # noqa: E402

import mtlclassic as m  # noqa: E402
from mtlclassic.datasets import make_multitask_regression  # noqa: E402

# Serial and distributed runs execute the same compiled code on the same inputs; the
# tolerance only allows for a different BLAS thread count in the workers.
RTOL = 1e-9


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def shared():
    X, Y, _ = make_multitask_regression(n_samples=60, n_features=12, n_tasks=3, n_shared=4,
                                        random_state=0)
    return X, Y


@pytest.fixture(scope="module")
def per_task():
    X, y, _ = make_multitask_regression(n_samples=[20, 25, 30], n_features=12, n_tasks=3,
                                        n_shared=4, layout="per_task", random_state=1)
    return X, y


def _on_cluster(client, run):
    """``run()`` under joblib's dask backend; its result and the number of tasks it sent."""
    with get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        result = run()
    workers = {task["worker"] for task in stream.data}
    assert stream.data and workers <= set(client.scheduler_info()["workers"])
    return result, len(stream.data)


def test_grid_search_over_alpha_matches_serial(client, shared):
    X, Y = shared
    grid = {"alpha": list(m.alpha_max(X, Y) * np.array([0.5, 0.2, 0.1, 0.05, 0.02]))}
    search = GridSearchCV(m.GroupLassoRegressor(), grid, cv=3)
    serial = clone(search).fit(X, Y)
    dist, n_tasks = _on_cluster(client, lambda: clone(search).set_params(n_jobs=2).fit(X, Y))

    assert n_tasks > 0
    assert dist.best_params_ == serial.best_params_
    for key in ["mean_test_score"] + [f"split{k}_test_score" for k in range(3)]:
        np.testing.assert_allclose(dist.cv_results_[key], serial.cv_results_[key], rtol=RTOL,
                                   err_msg=key)
    np.testing.assert_allclose(dist.best_estimator_.coef_, serial.best_estimator_.coef_,
                               rtol=RTOL, atol=1e-12)
    # The choice is a real one: the scores differ across the grid.
    assert np.ptp(serial.cv_results_["mean_test_score"]) > 0


def test_cv_estimator_folds_run_on_the_cluster(client, per_task):
    X, y = per_task
    cv = m.SparseGroupLassoRegressorCV(l1_ratio=[0.3, 0.9], n_alphas=6, eps=0.02, cv=3,
                                       task_column=-1)
    serial = clone(cv).fit(X, y)
    dist, n_tasks = _on_cluster(client, lambda: clone(cv).set_params(n_jobs=2).fit(X, y))

    assert n_tasks > 0
    assert (dist.alpha_, dist.l1_ratio_) == (serial.alpha_, serial.l1_ratio_)
    np.testing.assert_allclose(dist.mse_path_, serial.mse_path_, rtol=RTOL)
    np.testing.assert_allclose(dist.coef_, serial.coef_, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(dist.intercept_, serial.intercept_, rtol=RTOL, atol=1e-12)


def test_compare_runs_on_the_cluster(client):
    kwargs = dict(data="synthetic:tasks=3,features=8,samples=20-30", models="ridge,group-lasso",
                  n_splits=2, cv=2, random_state=0)
    serial = m.compare(**kwargs)
    dist, n_tasks = _on_cluster(client, lambda: m.compare(**kwargs))

    assert n_tasks >= 4  # one (split, model) job each, at least
    assert dist.models.keys() == serial.models.keys()
    for name, ours in dist.models.items():
        ref = serial.models[name]
        assert not ours.errors and not ref.errors
        assert ours.params == ref.params and ours.labels == ref.labels
        assert ours.scores.keys() == ref.scores.keys()
        for metric in ref.scores:
            for attr in ("scores", "task_scores"):
                np.testing.assert_allclose(getattr(ours, attr)[metric],
                                           getattr(ref, attr)[metric], rtol=RTOL,
                                           err_msg=f"{name} {attr} {metric}")


def _fit(estimator, X, y):
    return estimator.fit(X, y)


@pytest.mark.parametrize("estimator, data", [
    (m.TaskRelationRegressor(task_column=-1), "per_task"),
    (m.GroupLassoRegressorCV(n_alphas=5, cv=3), "shared"),
], ids=["TaskRelationRegressor", "GroupLassoRegressorCV"])
def test_model_fitted_in_a_worker_predicts_as_a_local_fit(client, estimator, data, request):
    # The worker compiles or loads the numba kernels itself (nothing comes from this
    # process), and the fitted model travels back pickled.
    X, y = request.getfixturevalue(data)
    local = clone(estimator).fit(X, y)
    remote = client.submit(_fit, clone(estimator), X, y, pure=False).result()
    assert remote is not local and type(remote) is type(local)
    np.testing.assert_allclose(remote.coef_, local.coef_, rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(remote.predict(X), local.predict(X), rtol=RTOL, atol=1e-12)


def test_cli_compare_runs_on_the_scheduler(client, capsys):
    from mtlclassic.cli import main

    argv = ["compare", "--data", "synthetic:tasks=3,features=8,samples=20-30", "--models",
            "ridge,group-lasso", "--splits", "2", "--cv", "2", "--quiet"]
    with get_task_stream(client) as stream:
        status = main(argv + ["--scheduler", client.scheduler.address])
    out = capsys.readouterr().out
    assert status == 0, out
    assert len(stream.data) >= 4  # one (split, model) job each, at least, on the workers
    assert "group-lasso" in out and "ridge" in out


def test_cli_compare_unreachable_scheduler_is_a_clear_error(capsys, monkeypatch):
    import mtlclassic.cli as cli
    from mtlclassic.cli import main

    monkeypatch.setattr(cli, "SCHEDULER_TIMEOUT", 2)
    status = main(["compare", "--quiet", "--scheduler", "tcp://127.0.0.1:1"])
    assert status == 2
    assert "cannot reach the scheduler" in capsys.readouterr().err
