"""``import mtlclassic`` is lazy (PEP 562) and every public name still resolves.

The heavy parts (numba, cvxpy, the solvers, the comparison code) load only when
a name that needs them is used, so that ``import mtlclassic`` and ``mtlclassic
--help`` start fast. The checks that need a fresh interpreter run in one
subprocess each: in this process the other tests have imported everything. No
timings (not stable enough to test); measure with
``python -X importtime -c "import mtlclassic"``.
"""

import json
import subprocess
import sys
import types

import pytest

import mtlclassic

# Modules ``import mtlclassic`` must leave out of sys.modules.
HEAVY = ["numba", "cvxpy", "mtlclassic.solvers", "mtlclassic.estimators", "mtlclassic.compare",
         "mtlclassic.neural", "matplotlib"]


def _run(code):
    """Run ``code`` in a fresh interpreter; what it prints as JSON on its last line."""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_import_is_light_and_every_public_name_resolves():
    # also mtlclassic.datasets: a loader does not import the generators' scipy.signal
    found = _run(f"""
import json, sys
import mtlclassic
heavy = [m for m in {HEAVY!r} if m in sys.modules]
not_in_dir = sorted(set(mtlclassic.__all__) - set(dir(mtlclassic)))
from mtlclassic.datasets import load_school
signal_for_a_loader = "scipy.signal" in sys.modules  # only the generators need it
from mtlclassic import GroupLassoRegressor, split_tasks
resolved = {{n: getattr(getattr(mtlclassic, n), "__name__", None) for n in mtlclassic.__all__}}
import mtlclassic.datasets as datasets
datasets_resolved = {{n: getattr(datasets, n).__name__ for n in datasets.__all__}}
print(json.dumps({{"heavy": heavy, "not_in_dir": not_in_dir, "resolved": resolved,
                  "compare": type(mtlclassic.compare).__name__,
                  "signal_for_a_loader": signal_for_a_loader,
                  "datasets": [datasets_resolved == {{n: n for n in datasets.__all__}},
                               sorted(set(datasets.__all__) - set(dir(datasets)))]}}))
""")
    assert found["heavy"] == []
    assert found["not_in_dir"] == []
    # each name is the object itself (a class or function of that name), not a module
    assert found["resolved"] == {name: name for name in mtlclassic.__all__}
    assert found["compare"] == "function"
    assert found["signal_for_a_loader"] is False
    assert found["datasets"] == [True, []]
    assert len(mtlclassic.__all__) == len(set(mtlclassic.__all__))


def test_compare_stays_the_function_when_the_subpackage_is_imported_first():
    # Importing the subpackage makes the import system bind the package attribute
    # ``compare`` to it; the package keeps the function there instead.
    found = _run("""
import json, sys
import mtlclassic.compare._data
import mtlclassic
import mtlclassic.compare as imported_as
from mtlclassic import compare
from mtlclassic.compare import ModelSpec
print(json.dumps([type(mtlclassic.compare).__name__, mtlclassic.compare is compare,
                  imported_as is compare, sys.modules["mtlclassic.compare"].compare is compare]))
""")
    assert found == ["function", True, True, True]


def test_binding_compare_to_the_subpackage_keeps_the_function():
    # what the import system does when the subpackage is (re)loaded
    function = mtlclassic.compare
    assert isinstance(function, types.FunctionType)
    mtlclassic.compare = sys.modules["mtlclassic.compare"]
    assert mtlclassic.compare is function
    assert mtlclassic.compare is sys.modules["mtlclassic.compare"].compare


def test_subpackages_are_attributes_and_unknown_names_raise():
    assert isinstance(mtlclassic.datasets, types.ModuleType)
    assert mtlclassic.metrics.nmse is sys.modules["mtlclassic.metrics"].nmse
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        mtlclassic.no_such_name
    assert not hasattr(mtlclassic, "__no_such_dunder__")
    assert set(mtlclassic.__all__) <= set(dir(mtlclassic))
