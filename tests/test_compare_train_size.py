"""``compare(train_size=N)``: a fixed number of training rows per task (the learning-curve protocol).

SARCOS's published figures draw 100 (or 500, 600) training rows per torque and
test on the rest; ``train_fraction`` cannot express that when the tasks differ
in size, ``train_size`` does.
"""

import numpy as np
import pytest

from mtlclassic.cli import main
from mtlclassic.compare import compare, parse_data, splits
from mtlclassic.compare._splits import outer_splits

TINY = "synthetic:tasks=3,features=8,shared=3,specific=1,samples=24-36"
TINY_CLF = "synthetic-classification:tasks=3,features=8,shared=3,specific=1,samples=40-60"


@pytest.mark.parametrize("spec", [TINY, TINY_CLF])
def test_train_size_draws_that_many_rows_in_every_task(spec):
    data = parse_data(spec)
    assert np.unique(data.task_sizes()).size > 1  # tasks of different sizes
    pairs = outer_splits(data, 3, 0.75, np.random.default_rng(0), min_train=3, train_size=10)
    n = data.X.shape[0]
    for train, test in pairs:
        assert np.intersect1d(train, test).size == 0 and np.union1d(train, test).size == n
        np.testing.assert_array_equal(np.bincount(data.task[train], minlength=3), [10, 10, 10])
        if data.kind == "classification":  # both classes on both sides of every task
            for t in range(3):
                rows = np.flatnonzero(data.task == t)
                for side in (train, test):
                    assert np.unique(data.y[np.intersect1d(rows, side)]).size == 2
    assert not np.array_equal(pairs[0][0], pairs[1][0])


def test_train_size_in_compare_and_splits_and_report():
    r = compare(TINY, "ridge", n_splits=2, train_size=12, cv=3)
    assert [np.bincount(parse_data(TINY).task[train]).tolist() for train, _ in r.splits] \
        == [[12, 12, 12]] * 2
    for (a, b), (c, d) in zip(r.splits, splits(TINY, n_splits=2, train_size=12, cv=3)):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    assert r.train_size == 12 and "12 training rows per task" in r.header()
    assert np.all(np.isfinite(r.models["ridge"].scores["nmse"]))


def test_train_size_in_the_shared_layout_counts_rows_of_the_design():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((40, 3)), rng.standard_normal((40, 2))
    train, test = splits((X, Y), n_splits=1, train_size=15)[0]
    assert train.size == 15 and test.size == 25


@pytest.mark.parametrize("train_size, match", [
    (0, "train_size must be None or an integer >= 1"),
    (2.5, "train_size must be None or an integer >= 1"),
    (True, "train_size must be None or an integer >= 1"),
    (2, "train_size=2 is below the 3 training rows"),
    (36, r"fewer than 37 rows .* lower train_size"),
])
def test_bad_train_size_is_one_line_value_error(train_size, match):
    with pytest.raises(ValueError, match=match) as info:
        compare(TINY, "ridge", n_splits=1, train_size=train_size, cv=3)
    assert "\n" not in str(info.value)


def test_bad_train_size_in_the_shared_layout():
    X, Y = np.zeros((20, 2)), np.ones((20, 2))
    with pytest.raises(ValueError, match="below the 20 rows of the shared design"):
        splits((X, Y), n_splits=1, train_size=20)


def test_command_line_train_size(capsys):
    assert main(["compare", "--data", TINY, "--models", "ridge", "--splits", "1",
                 "--train-size", "12", "--quiet"]) == 0
    assert "12 training rows per task" in capsys.readouterr().out
