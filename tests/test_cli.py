"""The ``mtlclassic`` command line: ``demo`` output and ``--version``."""

import contextlib
import io
import os
import re
import subprocess
import sys

import pytest

import mtlclassic
from mtlclassic.cli import main

MODELS = (
    "group lasso (CV alpha)",
    "group lasso (alpha_max/10)",
    "Lasso per task (LassoCV)",
    "Ridge per task (RidgeCV)",
    "pooled Ridge (RidgeCV)",
)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def quick_demo_output():
    """Output of ``mtlclassic demo --quick``, run once for the module."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["demo", "--quick"]) == 0
    return buf.getvalue()


def _row(output, model):
    """Cells of the table row of ``model`` (cells are separated by 2+ spaces)."""
    lines = [line for line in output.splitlines() if line.startswith(model)]
    assert len(lines) == 1, f"expected one row for {model!r} in:\n{output}"
    return re.split(r"\s{2,}", lines[0].strip())


def test_demo_prints_table_with_one_row_per_model(capsys):
    assert main(["demo", "--quick"]) == 0
    out = capsys.readouterr().out
    header = [line for line in out.splitlines() if line.startswith("model")]
    assert len(header) == 1
    assert re.split(r"\s{2,}", header[0].strip()) == [
        "model", "mean R^2 (test)", "support", "fit time (s)"]
    for model in MODELS:
        cells = _row(out, model)
        assert len(cells) == 4, cells
        float(cells[1])
        assert re.fullmatch(r"selected \d+, true \d+, recovered \d+/\d+", cells[2]), cells
        assert float(cells[3]) >= 0
    assert re.search(r"first-call solver time .*: \d+\.\d+ s", out)


@pytest.mark.parametrize("model", ["group lasso (CV alpha)", "group lasso (alpha_max/10)"])
def test_demo_group_lasso_finds_the_planted_signal(quick_demo_output, model):
    cells = _row(quick_demo_output, model)
    # SNR 3 caps the attainable R^2 at 0.75; the planted signal must be found.
    assert float(cells[1]) > 0.5
    selected, true, recovered, true_again = map(
        int, re.fullmatch(r"selected (\d+), true (\d+), recovered (\d+)/(\d+)",
                          cells[2]).groups())
    assert true == true_again == 5  # --quick plants 5 shared features
    assert 0 <= recovered <= min(selected, true)
    assert recovered == true  # every true feature is selected at these alphas


def test_demo_options_change_the_problem(capsys):
    assert main(["demo", "--quick", "--n-tasks", "3", "--n-features", "20", "--seed", "1"]) == 0
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
    proc = subprocess.run([sys.executable, "-m", "mtlclassic", "demo", "--quick"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for model in MODELS:
        assert model in proc.stdout


@pytest.mark.parametrize("option", ["--n-tasks", "--n-features"])
def test_demo_rejects_non_positive_sizes(capsys, option):
    with pytest.raises(SystemExit) as exc:
        main(["demo", option, "0"])
    assert exc.value.code == 2
    assert f"{option} must be >= 1" in capsys.readouterr().err
