"""benchmarks/bench_scale.py at tiny sizes, so that the benchmark cannot rot."""

import numpy as np
import pytest
from conftest import load_benchmark

@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_scale")


def test_make_data_is_stacked_by_task_with_a_row_sparse_truth(bench):
    X, y, W = bench.make_data(1000, 30, 5, n_support=4, seed=3)
    assert X.shape == (1000, 31) and y.shape == (1000,) and W.shape == (30, 5)
    task = X[:, -1].astype(int)
    assert np.all(np.diff(task) >= 0) and np.array_equal(np.bincount(task), [200] * 5)
    assert np.sum(np.any(W != 0, axis=1)) == 4
    residual = y - np.einsum("ij,ji->i", X[:, :-1], W[:, task])
    assert 0.8 < residual.std() < 1.2  # unit noise
    X32, _, _ = bench.make_data(100, 30, 5, dtype=np.float32)
    assert X32.dtype == np.float32


def test_slope_of_a_power_law(bench):
    n = np.array([1e4, 3e4, 1e5])
    assert bench.slope(n, 2.0 * n ** 1.5) == pytest.approx(1.5)
    assert np.isnan(bench.slope([1e4], [1.0]))


def test_main_at_tiny_sizes(bench, tmp_path, capsys):
    out = tmp_path / "scale.md"
    rows, figures = bench.main(["--sizes", "400,800,1600", "--features", "20", "--tasks", "4",
                                "--max-n", "1600", "--blas-threads", "1",
                                "--output", str(out)])
    assert [r["n"] for r in rows] == [400, 800, 1600]
    for r in rows:
        assert r["x_bytes"] == r["n"] * 21 * 8
        assert r["seconds"] > 0 and r["traced"] > 0 and r["n_iter"] >= 1
        assert r["solver"] == "bcd"
        assert 1 <= r["support"] <= 20 and r["true_support"] == 20
    assert np.isfinite(figures["slope_time"]) and np.isfinite(figures["slope_memory"])
    assert figures["max_ratio"] == pytest.approx(max(r["traced"] / r["x_bytes"] for r in rows))
    text = out.read_text()
    assert "| 1,600 |" in text and "log-log slope of time" in text
    assert "**met**" in text or "**NOT met**" in text
    assert "| 800 |" in capsys.readouterr().out


def test_max_n_below_every_size_is_an_error(bench):
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--max-n", "10"])
