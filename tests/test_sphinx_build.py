"""The Sphinx site builds without a single warning, and documents every page and public name."""

import html
import pathlib
import re
import subprocess
import sys

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("myst_parser")
pytest.importorskip("numpydoc")
pytest.importorskip("pydata_sphinx_theme")

import mtlclassic  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _text(page):
    """The text of an HTML page, tags removed."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


@pytest.mark.slow
def test_sphinx_html_build_has_no_warnings(tmp_path):
    out = tmp_path / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q",
           "-d", str(tmp_path / "doctrees"), str(DOCS), str(out)]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, f"sphinx-build failed:\n{run.stdout}\n{run.stderr}"
    # -q prints warnings only; with -W there must be none
    assert "WARNING" not in run.stderr and "ERROR" not in run.stderr, run.stderr

    # every markdown page is a page of the site
    for page in DOCS.glob("*.md"):
        assert (out / f"{page.stem}.html").is_file(), page.name

    # every public name has its API page, with its docstring rendered
    api = (out / "api" / "index.html").read_text()
    for name in mtlclassic.__all__:
        page = out / "api" / "generated" / f"mtlclassic.{name}.html"
        assert page.is_file(), name
        assert f"mtlclassic.{name}.html" in api, name
    group_lasso = _text(out / "api" / "generated" / "mtlclassic.GroupLassoRegressor.html")
    assert "alpha * sum_j ||coef[:, j]||_2" in group_lasso  # the objective
    assert "Parameters" in group_lasso and "Attributes" in group_lasso  # numpydoc sections

    # the comparison tutorial shows the figures of the run the build made (not blank PNGs)
    if (DOCS / "compare.md").exists():
        tutorial = (out / "compare.html").read_text()
        for figure in ("scores.png", "support.png"):
            assert f'src="_images/{figure}"' in tutorial, figure
            assert (out / "_images" / figure).stat().st_size > 5000, figure

    # the README's install and example are the getting-started page
    started = _text(out / "getting_started.html")
    assert "make_multitask_regression" in started and "pip install" in started
