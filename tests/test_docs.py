"""The README's, the docs' and the examples' code runs, so it cannot rot."""

import pathlib
import re
import runpy

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCKS = [(page, i, code) for page in PAGES
          for i, code in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), re.S))]
# Optional dependencies a page may show; a block importing one that is not installed skips.
OPTIONAL = {"cupy", "dask", "distributed", "matplotlib", "torch"}


@pytest.mark.parametrize("page, index, code", BLOCKS,
                         ids=[f"{p.name}-{i}" for p, i, _ in BLOCKS])
def test_markdown_python_blocks_run(page, index, code):
    for module in re.findall(r"^\s*(?:from|import)\s+(\w+)", code, re.M):
        if module in OPTIONAL:
            pytest.importorskip(module)
    exec(compile(code, f"{page.name}[{index}]", "exec"), {"__name__": "__docs__"})


def test_there_are_documented_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("script", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_examples_run(script, capsys):
    runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out.strip()
