"""Docstrings against signatures: every public callable documents exactly its parameters.

As celer's ``test_docstring_parameters.py`` (after scikit-learn's
``check_docstring_parameters``): for every public class and function of
``mtlclassic.__all__`` and ``mtlclassic.neural.__all__``, the numpydoc
``Parameters`` section of the docstring a user reads (``help()``, the API
pages: ``__doc__`` as it is after import) names the parameters of the
signature, each once, in the signature's order. A class's signature is its
constructor's; a ``NamedTuple``, having no constructor of its own, documents
its fields under ``Attributes``.

Known drift is listed in ``DRIFT`` (a strict xfail, so that fixing a
docstring without removing its entry fails too).
"""

import inspect
import warnings

import pytest

import mtlclassic
import mtlclassic.neural

numpydoc_docscrape = pytest.importorskip("numpydoc.docscrape")

pytestmark = pytest.mark.quick  # a second and a half: part of the day-to-day tier

# name -> the drift its docstring shows today (fix the docstring, then delete the entry).
_ORDER = "lists the same parameters as the signature in another order: "
DRIFT = {
}


def _public_callables():
    """``{name: object}`` over both ``__all__`` lists, each object once."""
    found = {}
    for module in (mtlclassic, mtlclassic.neural):
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and all(obj is not seen for seen in found.values()):
                found[name] = obj
    return found


PUBLIC = _public_callables()


def _is_namedtuple(obj):
    return inspect.isclass(obj) and issubclass(obj, tuple) and hasattr(obj, "_fields")


def signature_names(obj):
    """The parameter names of ``obj``'s signature (a class: its constructor's, no ``self``).

    Variadic parameters are named as numpydoc writes them: ``*args``, ``**kwargs``.
    """
    names = []
    for param in inspect.signature(obj).parameters.values():
        prefix = {param.VAR_POSITIONAL: "*", param.VAR_KEYWORD: "**"}.get(param.kind, "")
        names.append(prefix + param.name)
    return names


def documented_names(obj):
    """The names of the docstring's ``Parameters`` section, in order (``a, b : int`` is two).

    A ``NamedTuple`` reads its ``Attributes`` section. Fails on a docstring
    numpydoc cannot parse or warns about (an unknown section, say).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # docscrape warns on what it cannot read
        doc = numpydoc_docscrape.NumpyDocString(inspect.getdoc(obj) or "")
    section = "Attributes" if _is_namedtuple(obj) else "Parameters"
    return [name.strip() for entry in doc[section] for name in entry.name.split(",")
            if name.strip()]


def _cases():
    for name, obj in PUBLIC.items():
        marks = ([pytest.mark.xfail(strict=True, reason=DRIFT[name])] if name in DRIFT else [])
        yield pytest.param(name, obj, id=name, marks=marks)


@pytest.mark.parametrize("name, obj", list(_cases()))
def test_parameters_section_matches_signature(name, obj):
    expected = signature_names(obj)
    documented = documented_names(obj)
    missing = [n for n in expected if n not in documented]
    extra = [n for n in documented if n not in expected]
    repeated = sorted({n for n in documented if documented.count(n) > 1})
    assert not (missing or extra or repeated), (
        f"{name}: undocumented {missing}, documented but not in the signature {extra}, "
        f"documented twice {repeated}")
    assert documented == expected, (
        f"{name}: parameters documented in another order than the signature's\n"
        f"  signature: {expected}\n  docstring: {documented}")


def test_drift_list_names_public_callables():
    """Every known-drift entry names a public callable (a renamed one would hide here)."""
    assert set(DRIFT) <= set(PUBLIC)


def test_every_public_name_is_checked():
    """Both ``__all__`` lists hold only callables (classes, functions) and each is checked.

    A public constant or module would escape the check above silently.
    """
    names = set(mtlclassic.__all__) | set(mtlclassic.neural.__all__)
    assert names == set(PUBLIC)


# -- the checker itself, on docstrings written here ----------------------------------
def _good(a, b=1, *args, c=None, **kwargs):
    """Summary.

    Parameters
    ----------
    a, b : int
        Two.
    *args : tuple
        More.
    c : object, default=None
        Keyword only.
    **kwargs : dict
        The rest.
    """


def _swapped(a, b):
    """Summary.

    Parameters
    ----------
    b : int
    a : int
    """


def _missing(a, b):
    """Summary.

    Parameters
    ----------
    a : int
    """


def test_checker_reads_grouped_and_variadic_parameters():
    assert documented_names(_good) == signature_names(_good) == [
        "a", "b", "*args", "c", "**kwargs"]


@pytest.mark.parametrize("func", [_swapped, _missing], ids=["swapped", "missing"])
def test_checker_fails_on_drift(func):
    with pytest.raises(AssertionError):
        test_parameters_section_matches_signature(func.__name__, func)
