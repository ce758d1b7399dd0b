"""Sphinx configuration of the mtlclassic documentation.

Build with ``sphinx-build -W --keep-going -b html docs docs/_build/html`` after
``pip install ".[docs]"``.  The pages are the markdown files of ``docs/``
(MyST), so they read the same on the repository and on the site, and
``tests/test_docs.py`` keeps executing their ``python`` blocks.

The API reference is generated here, before Sphinx reads the sources: one
section per module of the names in ``mtlclassic.__all__`` and one per public
subpackage with an ``__all__`` (datasets, metrics, ...), so a name added to an
``__all__`` appears without editing the docs.  It is written into ``docs/api/``
(git-ignored) and autosummary writes one page per object under it.
"""

import fnmatch
import importlib
import inspect
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))  # document the working tree, not an installed copy

import mtlclassic  # noqa: E402
from sphinx.util import logging  # noqa: E402

logger = logging.getLogger(__name__)

project = "mtlclassic"
author = "mtlclassic developers"
copyright = "mtlclassic developers"
release = mtlclassic.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
# _figures holds the output of the comparison run below (its report.md is included, not a page)
exclude_patterns = ["_build", "_figures", "**/.ipynb_checkpoints"]
# Literal blocks (``::`` in docstrings, unlabelled fences in the pages) hold
# objectives and shell commands, not Python: no highlighting.
highlight_language = "none"

# Headings get anchors, so that links such as ``objectives.md#alpha-max`` resolve.
myst_heading_anchors = 3

autosummary_generate = True
autodoc_typehints = "none"  # the numpydoc "Parameters" sections carry the types
numpydoc_show_class_members = False  # each class page lists its methods through autosummary
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()  # the build checks rendering, not docstring style

html_theme = "pydata_sphinx_theme"
html_title = f"mtlclassic {release}"
html_theme_options = {"navigation_with_keys": False}
html_static_path = []


# -- API reference --------------------------------------------------------------------------

API_DIR = DOCS / "api"
# Order of the top-level sections (one per defining module, titled by the module
# docstring's first line): the model families as in the docs' navigation, then
# the rest. A module not listed comes after them, sorted by name.
MODULE_ORDER = ["*.group_lasso", "*.sparse", "*.low_rank", "*.composite", "*.task_graph",
                "*.task_relation", "*.sparse_task_graph", "*.clustered", "*.baselines",
                "mtlclassic.neural.*", "*.cv", "*._path", "*._alpha_max"]
# Subpackages documented in the API reference besides the top-level names, in this
# order; any other public subpackage with an ``__all__`` follows, sorted by name.
SUBPACKAGE_ORDER = ["datasets", "metrics", "neural", "compare", "penalties", "datafits", "solvers"]
# Subpackages whose names are all re-exported at the top level or that are not an API.
SUBPACKAGE_SKIP = {"estimators", "data", "cli"}


def _title(text, char):
    return f"{text}\n{char * len(text)}\n"


def _first_line(obj):
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0].rstrip(".") if doc.strip() else ""


def _autosummary(names):
    """An autosummary table of ``names`` (relative to the current module), one page each."""
    lines = [".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
    lines += [f"   {name}" for name in names]
    return "\n".join(lines) + "\n"


def _top_level_sections():
    """Group ``mtlclassic.__all__`` by the module that defines each name."""
    groups = {}
    for name in mtlclassic.__all__:
        obj = getattr(mtlclassic, name)
        module = getattr(obj, "__module__", None) or "mtlclassic"
        groups.setdefault(module, []).append(name)

    def order(module):
        # The modules of MODULE_ORDER first, in that order; then other public
        # modules, then private ones (helpers re-exported at the top level).
        rank = [i for i, pattern in enumerate(MODULE_ORDER) if fnmatch.fnmatch(module, pattern)]
        private = any(part.startswith("_") for part in module.split("."))
        return (rank[0] if rank else len(MODULE_ORDER), private, module)

    sections = []
    for module in sorted(groups, key=order):
        title = _first_line(sys.modules.get(module)) or module
        # classes first, then functions, each sorted by name
        names = sorted(groups[module],
                       key=lambda n: (not inspect.isclass(getattr(mtlclassic, n)), n))
        sections.append((title, module, names))
    return sections


def _subpackage_sections():
    """One section per public subpackage with an ``__all__``, minus top-level names."""
    found = [m.name for m in pkgutil.iter_modules(mtlclassic.__path__)
             if not m.name.startswith("_") and m.name not in SUBPACKAGE_SKIP]
    order = [n for n in SUBPACKAGE_ORDER if n in found] + sorted(set(found) - set(SUBPACKAGE_ORDER))
    top_level = {id(getattr(mtlclassic, n)) for n in mtlclassic.__all__}
    sections = []
    for name in order:
        module = importlib.import_module(f"mtlclassic.{name}")
        public = [n for n in getattr(module, "__all__", [])
                  if id(getattr(module, n)) not in top_level]
        if public:
            sections.append((f"mtlclassic.{name}", _first_line(module), public))
    return sections


def write_api_reference(path=API_DIR / "index.rst"):
    """Write the API reference page; leave the file alone when it is unchanged."""
    parts = [
        ".. This file is generated by docs/conf.py from the packages' __all__; do not edit.\n",
        _title("API reference", "="),
        "Every public name, with its full docstring one click away. The estimators follow "
        "scikit-learn's API; their objectives are written out in the model pages.\n",
        _title("mtlclassic", "-"),
        ".. currentmodule:: mtlclassic\n",
    ]
    documented = set()
    for title, module, names in _top_level_sections():
        parts += [_title(title, "~"), _autosummary(names)]
        documented.update(f"mtlclassic.{name}" for name in names)
    for module, summary, names in _subpackage_sections():
        documented.update(f"{module}.{name}" for name in names)
        parts += [_title(module, "-"), f".. currentmodule:: {module}\n"]
        if summary:
            parts.append(summary + ".\n")
        parts.append(_autosummary(names))
    text = "\n".join(parts)
    path.parent.mkdir(exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    # autosummary never deletes a page: drop those of names no longer listed
    for page in (path.parent / "generated").glob("*.rst"):
        if page.stem not in documented:
            page.unlink()


write_api_reference()


# -- optional pages ------------------------------------------------------------------------

def drop_empty_globs(app, docname, source):
    """Drop the toctree patterns of index.md that match no page yet.

    The toctrees name pages that may not exist yet (``neural*``, ``compare*``, ...)
    as glob patterns; Sphinx warns about a pattern that matches nothing, and that
    warning cannot be silenced, so such a line is removed before parsing.
    """
    if docname != root_doc:
        return
    docs = app.env.found_docs

    def empty(line):
        pattern = line.strip()
        return (re.fullmatch(r"[\w/-]*\*[\w/*-]*", pattern) is not None
                and not any(fnmatch.fnmatch(doc, pattern) for doc in docs))

    source[0] = "\n".join(line for line in source[0].split("\n") if not empty(line))


# -- the comparison tutorial's figures ------------------------------------------------------

# compare.md shows the report and figures of a short ``mtlclassic compare`` run on
# the embedded synthetic data. The build makes them when they are missing (or
# always, with MTLCLASSIC_DOCS_FIGURES=refresh) into the git-ignored _figures/.
COMPARE_DIR = DOCS / "_figures" / "compare"
COMPARE_ARGS = ["compare", "--splits", "2", "--cv", "2", "--quiet",
                "--out", str(COMPARE_DIR.relative_to(DOCS.parent))]
COMPARE_COMMAND = "mtlclassic " + " ".join(COMPARE_ARGS)


def make_compare_figures(app):
    """Run the comparison once compare.md exists; a failure is a build warning."""
    if not (DOCS / "compare.md").exists():
        return
    refresh = os.environ.get("MTLCLASSIC_DOCS_FIGURES") == "refresh"
    if (COMPARE_DIR / "report.md").exists() and not refresh:
        return
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(
        [str(DOCS.parent), *filter(None, [os.environ.get("PYTHONPATH")])]))
    run = subprocess.run([sys.executable, "-m", "mtlclassic", *COMPARE_ARGS], cwd=DOCS.parent,
                         env=env, capture_output=True, text=True)
    if run.returncode != 0 or not (COMPARE_DIR / "report.md").exists():
        logger.warning("%s failed (exit %s): %s", COMPARE_COMMAND, run.returncode,
                       run.stderr.strip()[-2000:])


def include_compare_report(app, docname, source):
    """Append the run's report and figures to compare.md, unless it places them itself."""
    if docname != "compare" or "_figures/compare/" in source[0]:
        return
    if not (COMPARE_DIR / "report.md").exists():
        return  # make_compare_figures has warned
    source[0] += f"""

## A run made by the documentation build

The report below, with its figures, is the ``report.md`` that
``{COMPARE_COMMAND}`` wrote while this site was built.

```{{include}} _figures/compare/report.md
:start-line: 1
:heading-offset: 1
:relative-images:
```
"""


# -- docstrings ----------------------------------------------------------------------------

# A numpydoc field "name : type" whose type names an attribute, as in
# ``feature_names_in_ : ndarray of shape (n_features_in_,)``: written without
# backticks, reST reads ``n_features_in_`` as a hyperlink reference to a target
# that does not exist (an error).  A type never links anywhere, so such names
# are quoted as literals before numpydoc renders the field.
_FIELD = re.compile(r"^(\s*[\w*][\w*, ]* : )(.*)$")
_UNDERSCORED = re.compile(r"(?<![\w`])([A-Za-z]\w*_)(?![\w`])")


def quote_underscored_types(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        match = _FIELD.match(line)
        if match:
            head, kind = match.groups()
            parts = kind.split("``")  # even parts are outside literals
            parts[::2] = [_UNDERSCORED.sub(r"``\1``", part) for part in parts[::2]]
            lines[i] = head + "``".join(parts)


def setup(app):
    app.connect("builder-inited", make_compare_figures)
    app.connect("source-read", drop_empty_globs)
    app.connect("source-read", include_compare_report)
    # before numpydoc (priority 500) turns the fields into reST
    app.connect("autodoc-process-docstring", quote_underscored_types, priority=400)
