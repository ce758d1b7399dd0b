"""What each solver needs of a datafit and a penalty, the check refusing the rest, choose_solver.

A solver reads capability flags, never names: a datafit declares
``affine_gradient`` (its gradient in the predictor is ``C (Z - Y)``, so BCD
can keep the residual up to date: the squared loss), a penalty
``row_separable``, ``zeroes_rows`` and ``has_dual_norm``
(:class:`mtlclassic.penalties.Penalty`).

========================  ============================  =====================================
solver                    datafit                       penalty
========================  ============================  =====================================
``"fista"``               any                           any (with a prox); without a dual
                                                        norm it stops on a fixed-point rule
``"working_set"``         any                           ``row_separable``, ``has_dual_norm``
``"bcd"``                 ``affine_gradient``           ``row_separable``, ``has_dual_norm``
``"prox_newton"``         any                           ``row_separable``, ``has_dual_norm``
``"cvxpy"``               any (``cvxpy_term``)          any (``cvxpy_expr``)
========================  ============================  =====================================
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Needs:
    """The capability flags a solver needs of the datafit and of the penalty."""

    datafit: tuple = ()
    penalty: tuple = ()


SOLVER_NEEDS = {
    "fista": Needs(),
    "working_set": Needs(penalty=("row_separable", "has_dual_norm")),
    "bcd": Needs(datafit=("affine_gradient",), penalty=("row_separable", "has_dual_norm")),
    "prox_newton": Needs(penalty=("row_separable", "has_dual_norm")),
    "cvxpy": Needs(),
}

# flag -> (what a solver needing it asks for, what is said of an object without it)
_PHRASES = {
    "affine_gradient": ("the squared loss (a datafit with an affine gradient)", "is not"),
    "row_separable": ("a penalty separable over features (row_separable)", "is not"),
    "has_dual_norm": ("a penalty with a closed-form dual norm (has_dual_norm)", "has none"),
}
# The solvers proposed instead, fastest first (cvxpy is the slow reference: never proposed).
_PREFERENCE = ("bcd", "prox_newton", "working_set", "fista")


def _flag(obj, name):
    return bool(getattr(obj, name, False))


def _missing(solver, datafit, penalty):
    """The first ``(flag, object)`` that ``solver`` needs and does not get, or None."""
    needs = SOLVER_NEEDS[solver]
    for obj, flags in ((penalty, needs.penalty), (datafit, needs.datafit)):
        for name in flags:
            if not _flag(obj, name):
                return name, obj
    return None


def _quoted(names):
    names = [repr(n) for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def check_solver(solver, datafit, penalty):
    """Raise a one-line ``ValueError`` unless ``solver`` can solve ``datafit`` + ``penalty``.

    ``datafit`` and ``penalty`` may be instances or classes (flags are read
    as attributes). The message names the missing capability and the
    solvers that would accept the pair.
    """
    missing = _missing(solver, datafit, penalty)
    if missing is None:
        return
    flag, obj = missing
    wanted, negation = _PHRASES[flag]
    name = obj.__name__ if isinstance(obj, type) else type(obj).__name__
    others = [s for s in _PREFERENCE if s != solver and _missing(s, datafit, penalty) is None]
    raise ValueError(f"solver {solver!r} needs {wanted}; {name} {negation}. "
                     f"Use {_quoted(others)}.")


def choose_solver(datafit, penalty, requested="auto", *, owner=None):
    """The solver for ``datafit`` (a class or an instance) and ``penalty``, from their capabilities.

    Parameters
    ----------
    datafit : class or instance
        A datafit of :mod:`mtlclassic.datafits` (read: ``affine_gradient``).
    penalty : Penalty
        Read: ``row_separable``, ``has_dual_norm``, ``zeroes_rows``.
    requested : {"auto", "fista", "bcd", "working_set", "prox_newton", "cvxpy"}, default="auto"
        A named solver is returned as it is once it is known to apply;
        ``"auto"`` picks: FISTA for a penalty that is not separable over
        features (or has no dual norm), block coordinate descent for the
        squared loss, the working-set solver with prox-Newton inner steps
        for other losses when the penalty zeroes rows, FISTA otherwise.
    owner : str, default=None
        Who asks (an estimator's name), for the error messages.

    Returns
    -------
    solver : str
        A key of :data:`mtlclassic.solvers.SOLVERS`.

    Raises
    ------
    ValueError
        If ``requested`` cannot solve the pair, with a one-line message.
    """
    if requested not in ("auto", *SOLVER_NEEDS):
        raise ValueError(f"solver must be 'auto' or one of {sorted(SOLVER_NEEDS)}, "
                         f"got {requested!r}.")
    separable = _missing("working_set", None, penalty) is None
    squared = _flag(datafit, "affine_gradient")
    if requested != "auto":
        if requested == "bcd" and not squared:
            raise ValueError("solver='bcd' supports the squared loss only; use "
                             "'prox_newton', 'working_set' or 'fista'.")
        if requested in ("bcd", "working_set", "prox_newton") and not separable:
            whose = f"{owner}'s" if owner else type(penalty).__name__
            raise ValueError(f"solver={requested!r} needs a penalty separable over features "
                             f"with a dual norm; {whose} is not. Use 'fista'.")
        return requested
    if not separable:
        return "fista"
    if squared:
        return "bcd"
    # Working sets pay only when the penalty zeroes features.
    return "prox_newton" if penalty.zeroes_rows else "fista"
