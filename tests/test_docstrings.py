"""The docstring completion (:mod:`mtlclassic._docstrings`) against what numpydoc reads.

A class writes its own entries; :func:`complete` adds, in the signature's
order, the family's shared entries and what a sibling or model documents,
never overwriting what the class wrote. ``tests/test_docstring_parameters.py``
checks every public estimator's result; these tests pin the rules.
"""

import inspect

import pytest

import mtlclassic
from mtlclassic._docstrings import Family, complete, documented, parse

pytestmark = pytest.mark.quick

FAMILY = Family("toy", "toy-estimators", ("tol", "verbose"), ("coef_", "n_iter_"),
                regressor_only=("mse_",),
                sections={"Warns": ("ConvergenceWarning", "    Sometimes.")})


def _classes():
    class ToyRegressor:
        """A toy.

        Objective::

            min nothing

        Parameters
        ----------
        alpha : float, default=1.0
            The strength.
        shape : {"a", "b"}, default="a"
            The shape.

        Attributes
        ----------
        part_ : ndarray
            A part.
        mse_ : float
            Only for regressors.

        References
        ----------
        Somebody (2000).
        """
        _loss = "squared"

        def __init__(self, alpha=1.0, *, tol=1e-4, shape="a", verbose=0):
            pass

    class ToyClassifier:
        """A toy classifier.

        Parameters
        ----------
        alpha : float, default=0.5
            The classifier's own default.
        """
        _loss = "logistic"

        def __init__(self, alpha=0.5, *, tol=1e-4, shape="a", verbose=0):
            pass

    return ToyRegressor, ToyClassifier


def _names(doc, section):
    return [name for entry in parse(doc)[1].get(section, ())
            if entry.strip() and not entry.startswith(" ")
            for name in (n.strip() for n in entry.split(" : ")[0].split(","))]


def test_shared_entries_fill_the_signature_in_its_order():
    reg, _ = _classes()
    complete(reg, FAMILY)
    assert _names(reg.__doc__, "Parameters") == ["alpha", "tol", "shape", "verbose"]
    params = documented(reg.__doc__, "Parameters")
    assert params["alpha"].description == ("    The strength.",)
    assert params["tol"].description == FAMILY.pointer
    # consecutive shared names share one entry; separated ones get one each
    assert params["tol"].names == ("tol",) and params["verbose"].names == ("verbose",)
    assert _names(reg.__doc__, "Attributes") == ["coef_", "n_iter_", "part_", "mse_"]
    head, sections = parse(reg.__doc__)
    assert "    min nothing" in head
    assert list(sections) == ["Parameters", "Warns", "Attributes", "References"]


def test_a_classifier_takes_what_it_does_not_write_from_its_regressor():
    reg, clf = _classes()
    complete(reg, FAMILY)
    complete(clf, FAMILY, like=reg, see_also=(reg, "the same model, squared loss."))
    params = documented(clf.__doc__, "Parameters")
    assert params["alpha"].description == ("    The classifier's own default.",)  # its own wins
    assert params["shape"].description == ("    The shape.",)  # from the regressor
    attributes = _names(clf.__doc__, "Attributes")
    assert attributes == ["coef_", "n_iter_", "part_", "classes_"]  # no regressor-only mse_
    sections = parse(clf.__doc__)[1]
    assert [line for line in sections["References"] if line] == ["Somebody (2000)."]
    assert [line for line in sections["See Also"] if line] == [
        "mtlclassic.ToyRegressor : the same model, squared loss."]


def test_a_name_no_source_documents_stays_undocumented():
    class Lonely:
        """Alone."""

        def __init__(self, unknown=1, tol=1e-4):
            pass

    complete(Lonely, FAMILY)
    assert _names(Lonely.__doc__, "Parameters") == ["tol"]


def test_the_public_docstrings_name_no_entry_twice():
    for module in (mtlclassic, mtlclassic.neural):
        for name in module.__all__:
            obj = getattr(module, name)
            if not inspect.isclass(obj):
                continue
            for section in ("Parameters", "Attributes"):
                names = _names(obj.__doc__, section)
                assert len(names) == len(set(names)), (name, section, names)


def test_the_named_paths_take_their_signature_and_reject_other_arguments():
    sig = inspect.signature(mtlclassic.sparse_group_lasso_path)
    assert list(sig.parameters)[:3] == ["X", "y", "l1_ratio"]
    with pytest.raises(TypeError, match="warm_start"):
        mtlclassic.lasso_path([[1.0]], [1.0], warm_start=True)
