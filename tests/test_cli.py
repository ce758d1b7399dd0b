"""The ``mtlclassic`` command line: ``demo`` (a short ``compare``) and ``--version``.

``compare`` itself is tested in test_compare.py.
"""

import contextlib
import io
import os
import re
import subprocess
import sys

import pytest

import mtlclassic
from mtlclassic.cli import main

MODELS = ("ridge", "pooled", "lasso", "group-lasso", "trace-norm", "dirty")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def quick_demo_output():
    """Output of ``mtlclassic demo --quick``, run once for the module."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["demo", "--quick", "--quiet"]) == 0
    return buf.getvalue()


def _row(output, model):
    """Cells of the table row of ``model`` (cells are separated by 2+ spaces)."""
    lines = [line for line in output.splitlines() if line.startswith(model + " ")]
    assert len(lines) == 1, f"expected one row for {model!r} in:\n{output}"
    return re.split(r"\s{2,}", lines[0].strip())


def test_demo_is_a_short_compare(quick_demo_output):
    out = quick_demo_output
    header = [line for line in out.splitlines() if line.startswith("model")]
    assert len(header) == 1
    assert re.split(r"\s{2,}", header[0].strip()) == [
        "model", "nMSE (lower better)", "expl. var. (pooled)", "R^2",
        "RMSE (pooled) (lower better)", "fit (s)", "tuning (s)", "support sel/rec/true", "chosen"]
    for model in MODELS:
        cells = _row(out, model)
        for cell in cells[1:5]:
            assert re.fullmatch(r"-?\d+\.\d{3} \+- \d+\.\d{3}( \*)?", cell), cells
        assert float(cells[5]) >= 0 and float(cells[6]) >= 0
        assert re.fullmatch(r"\d+\.\d/\d+\.\d/\d+", cells[7]), cells
    assert "2 split(s), train fraction 0.75" in out
    assert re.search(r"total time: \d+\.\d s", out)


def test_demo_multi_task_models_beat_single_task_ridge(quick_demo_output):
    """The embedded scenario shares a support across tasks: sharing it must pay."""
    nmse = {m: float(_row(quick_demo_output, m)[1].split()[0]) for m in MODELS}
    assert nmse["group-lasso"] < nmse["ridge"]
    assert nmse["dirty"] < nmse["ridge"]
    selected, recovered, true = map(float, _row(quick_demo_output, "group-lasso")[7].split("/"))
    assert true == 5 + 5 * 2  # --quick: 5 shared features and 2 specific to each of 5 tasks
    assert 0 < recovered <= min(selected, true)


def test_demo_options_change_the_problem(capsys):
    assert main(["demo", "--quick", "--quiet", "--n-tasks", "3", "--n-features", "20",
                 "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "3 tasks, 20 features" in out and "seed 1" in out
    for model in MODELS:
        _row(out, model)


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"mtlclassic {mtlclassic.__version__}"


def test_missing_command_is_an_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    assert "required" in capsys.readouterr().err


def test_python_m_mtlclassic_demo_quick():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-m", "mtlclassic", "demo", "--quick", "--quiet"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    for model in MODELS:
        assert model in proc.stdout


@pytest.mark.parametrize("option, value, message", [
    ("--n-tasks", "1", "must be >= 2"), ("--n-features", "0", "must be >= 1"),
    ("--seed", "-1", "must be >= 0")])
def test_demo_rejects_bad_sizes(capsys, option, value, message):
    with pytest.raises(SystemExit) as exc:
        main(["demo", option, value])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and option in err and message in err
