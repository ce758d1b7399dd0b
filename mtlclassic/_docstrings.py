"""Docstrings completed from what is written once: shared entries, a sibling's, a model's.

A public estimator's docstring, as written in its module, holds what is its
own: the summary, the objective, the model's own parameters and attributes,
its references. :func:`complete` adds the rest where the class is declared
(:func:`mtlclassic.estimators._registry.declare` for the linear models and
their CV estimators, the neural modules for the networks), so that no entry is
written twice and none can drift from the signature:

- in ``Parameters``, an entry for each name of the constructor's signature the
  docstring does not document, in the signature's order, from the first
  source that has one: the family's shared entries (a :class:`Family`, whose
  full text is in ``docs/parameters.md``), then another class's docstring (a
  classifier's from its regressor, with the classifier's own defaults; a CV
  estimator's from its model);
- in ``Attributes``, the family's shared attributes, then the sibling's own
  attributes the docstring does not document;
- ``Notes`` writing out the datafit ``F(coef, b)`` of the class's loss, which the
  objective in the docstring's head reads (linear and alternating models);
- the family's extra sections (``Warns`` of the CV estimators), a ``See
  Also`` entry pointing to the related class, and a classifier's
  ``References`` and objective from its regressor when it writes none.

Entries the docstring writes itself always win, and are never moved out of
the signature's order. A name no source documents stays undocumented, which
``tests/test_docstring_parameters.py`` reports.

The docstrings are numpydoc: a section is a title underlined with dashes;
an entry is a line ``name[, name...][ : type]`` at the section's indentation
with its description indented below it.
"""

import inspect
import re
from dataclasses import dataclass, field

_UNDERLINE = re.compile(r"-{3,}")
# numpydoc's order of a class's sections.
_ORDER = ("Parameters", "Returns", "Yields", "Raises", "Warns", "Attributes", "See Also", "Notes",
          "References", "Examples")


@dataclass(frozen=True)
class Entry:
    """One numpydoc entry: ``names : kind`` and its description lines (indented by 4)."""

    names: tuple
    kind: str = ""
    description: tuple = ()

    @classmethod
    def parse(cls, lines):
        head, _, kind = lines[0].partition(" : ")
        names = tuple(name.strip() for name in head.split(",") if name.strip())
        return cls(names, kind.strip(), tuple(lines[1:]))

    def render(self, names=None):
        head = ", ".join(names or self.names) + (f" : {self.kind}" if self.kind else "")
        return [head, *self.description]


@dataclass(frozen=True)
class Family:
    """Parameters and attributes shared by a family of estimators, written out in ``docs/parameters.md``.

    Parameters
    ----------
    label : str
        The family as a sentence names it ("linear", "CV", ...).
    ref : str
        Its section's label in ``docs/parameters.md``.
    parameters, attributes : tuple of str
        The shared names (an estimator documents those its signature has).
    regressor_only : tuple of str
        Shared attributes its classifiers do not have.
    sections : dict
        Section title -> lines the family's estimators all carry (``Warns``).
    datafit : bool
        Whether the docstrings' objective reads ``F(coef, b)``, the datafit of
        their loss that ``Notes`` then writes out (:data:`DATAFIT`).
    """

    label: str
    ref: str
    parameters: tuple
    attributes: tuple
    regressor_only: tuple = ()
    sections: dict = field(default_factory=dict)
    datafit: bool = False

    @property
    def pointer(self):
        return (f"    Shared by the {self.label} estimators: ``docs/parameters.md`` "
                f"(:ref:`{self.ref}`).",)

    def entries(self, names):
        entry = Entry(tuple(names), "", self.pointer)
        return {name: entry for name in names}


_LINEAR_ATTRIBUTES = ("coef_", "intercept_", "tasks_", "n_tasks_", "n_features_in_",
                      "feature_names_in_", "n_iter_")
_SOLVER = ("solver", "device", "verbose")

LINEAR = Family(
    "linear", "linear-estimators",
    ("fit_intercept", "intercept_shrinkage", "task_column", "unseen_tasks", "task_weights", "tol",
     "max_iter", "warm_start", *_SOLVER),
    (*_LINEAR_ATTRIBUTES, "dual_gap_", "solver_", "device_"), datafit=True)

ALTERNATING = Family(
    "alternating", "alternating-estimators",
    ("fit_intercept", "intercept_shrinkage", "task_column", "unseen_tasks", "task_weights", "tol",
     "max_iter", "max_inner_iter", "warm_start", *_SOLVER),
    (*_LINEAR_ATTRIBUTES, "objective_", "dual_gap_", "solver_", "device_"), datafit=True)

CV = Family(
    "CV", "cv-estimators",
    ("alpha_ratio", "alphas", "n_alphas", "eps", "cv", "n_jobs", "scoring", "l2_reg",
     "fit_intercept", "intercept_shrinkage",
     "task_column", "unseen_tasks", "task_weights", "tol", "max_iter", *_SOLVER),
    ("alpha_", "alphas_", "mse_path_", "score_path_", "coef_", "intercept_", "n_iter_",
     "dual_gap_", "tasks_", "n_tasks_", "n_features_in_", "feature_names_in_", "solver_"),
    regressor_only=("mse_path_",),
    sections={"Warns": ("ConvergenceWarning",
                        "    At most one for all the path fits of all folds "
                        "(:ref:`cv-estimators`).")})

NEURAL = Family(
    "neural", "neural-estimators",
    ("activation", "dropout", "alpha", "batch_size", "learning_rate_init", "max_iter", "shuffle",
     "random_state", "tol", "early_stopping", "validation_fraction", "n_iter_no_change", "beta_1",
     "beta_2", "epsilon", "task_column", "unseen_tasks", "task_weighting", "dwa_temperature",
     "gradnorm_alpha",
     "main_tasks", "auxiliary_weight", "adversarial_tasks", "adversarial_weight",
     "adversarial_steps", "adversarial_layer_sizes", "adversarial_objective",
     "adversarial_reset",
     "adversarial_covariance",
     "dtype", "verbose"),
    ("intercepts_", "task_weights_", "loss_curve_", "best_loss_", "validation_loss_curve_",
     "best_validation_loss_", "feature_scale_", "n_iter_", "t_", "tasks_", "n_tasks_",
     "main_tasks_",
     "n_features_in_", "feature_names_in_"),
    regressor_only=("target_mean_", "target_scale_"),
    sections={"Notes": (
        "The task weights ``w_t`` are set by ``task_weighting`` (1 for ``\"equal\"``). In the",
        "shared layout missing targets (NaN in ``Y``) drop out of their task's mean. Mini-batch",
        "Adam; early stopping on a validation split if asked.",
        "",
        "The network trains on ``x / feature_scale_``: each feature divided by the power of two",
        "nearest its root mean square over the first fit's rows (computed in float64 before the",
        "cast to ``dtype``), so results do not depend on the features' units -- ``2**k X``",
        "trains bit for bit as ``X``, ``1e20 X`` as ``X`` with each feature multiplied by a",
        "factor in ``(1/2, 2)`` -- and features of unit root mean square (standardised ones) are",
        "read unchanged. ``coefs_[0]`` is reported in the units of ``X`` (the trained first",
        "layer divided by ``feature_scale_``); ``alpha`` penalises the trained weights, those of",
        "the scaled features. With ``dtype=\"float32\"`` the scales must lie within ``2**+-100``",
        "(about 1e-30 to 1e30) so that ``coefs_[0]`` fits float32; ``\"float64\"`` takes any",
        "finite features. A training whose loss, parameters or Adam moments stop being finite",
        "(an overflow) raises a ``ValueError`` naming the settings to change; ``partial_fit``",
        "then keeps the model of its previous call."),
        "References": (
        "Caruana, R. (1997). Multitask learning. Machine Learning 28(1).",
        "Kendall, A., Gal, Y. and Cipolla, R. (2018). Multi-task learning using",
        "uncertainty to weigh losses for scene geometry and semantics. CVPR.",
        "Liu, S., Johns, E. and Davison, A. J. (2019). End-to-end multi-task",
        "learning with attention. CVPR (dynamic weight averaging).",
        "Chen, Z., Badrinarayanan, V., Lee, C.-Y. and Rabinovich, A. (2018). GradNorm:",
        "gradient normalization for adaptive loss balancing in deep multitask networks. ICML.",
        "Yu, T., Kumar, S., Gupta, A., Levine, S., Hausman, K. and Finn, C. (2020).",
        "Gradient surgery for multi-task learning. NeurIPS (PCGrad).",
        "Sener, O. and Koltun, V. (2018). Multi-task learning as multi-objective",
        "optimization. NeurIPS (MGDA-UB).",
        "Ganin, Y. and Lempitsky, V. (2015). Unsupervised domain adaptation by",
        "backpropagation. ICML (the gradient-reversal layer).",
        "Kingma, D. P. and Ba, J. (2015). Adam: a method for stochastic",
        "optimization. ICLR.")})

KERNEL = Family(
    "kernel", "kernel-estimators",
    ("intercept_shrinkage", "task_column", "unseen_tasks", "task_weights", "verbose"),
    ("tasks_", "n_tasks_", "n_features_in_", "feature_names_in_"),
    sections={"Notes": (
        "``F`` is the sum over tasks of each task's (weighted) mean squared error, with sample",
        "weights ``s_i`` and task weights ``tau_t``::",
        "",
        "    F(f, b) = sum_t tau_t / (2 sum_{i in t} s_i) * sum_{i in t} s_i (y_i - f(x_i, t) - b_t)^2",
        "",
        "(classifiers: ``y_i`` the labels ``classes_`` mapped to -1, +1). In the shared layout",
        "missing targets (NaN in ``Y``) drop out of their task's mean.")})

# The practitioner's baselines (feature augmentation, gradient boosting): scikit-learn models
# on all tasks' rows; their objectives and own parameters are in their docstrings.
BASELINE = Family(
    "practitioner's baseline", "baseline-estimators", ("task_column", "unseen_tasks"),
    ("tasks_", "n_tasks_", "n_features_in_", "feature_names_in_"))

_CLASSES = Entry(("classes_",), "ndarray of shape (2,)", ("    The two labels, common to all tasks.",))

_NOTATION = ("with ``coef`` of shape (n_tasks, n_features) (``w_t`` its rows, ``coef[:, j]``",
             "feature j across tasks), sample weights ``s_i`` and task weights ``tau_t``::", "")
_MISSING = "In the shared layout missing targets (NaN in ``Y``) drop out of their task's mean."
# The intercepts' shrinkage term, which every objective reading ``F(coef, b)`` carries.
_SHRINKAGE = ("", "With ``intercept_shrinkage = s > 0`` the objective also holds",
              "``s / 2 sum_t (b_t - b0)^2``, minimised over a shared intercept ``b0`` too (at",
              "the optimum the mean of the ``b_t``, which are ``intercept_``):",
              ":ref:`linear-estimators`.")
# The datafit ``F(coef, b)`` of each loss, as the linear models' objectives read it: each
# task's (weighted) mean loss, summed over tasks (``docs/objectives.md``).
DATAFIT = {
    "squared": (
        "``F`` is the sum over tasks of each task's (weighted) mean squared error,", *_NOTATION,
        "    F(coef, b) = sum_t tau_t / (2 sum_{i in t} s_i) * sum_{i in t} s_i "
        "(y_i - x_i . w_t - b_t)^2", "", _MISSING, *_SHRINKAGE),
    "logistic": (
        "``F`` is the sum over tasks of each task's (weighted) mean logistic loss,", *_NOTATION,
        "    F(coef, b) = sum_t tau_t / (sum_{i in t} s_i) * sum_{i in t} s_i "
        "log(1 + exp(-y_i (x_i . w_t + b_t)))", "",
        "with the labels ``classes_`` mapped to ``y in {-1, +1}``. In the shared layout missing",
        "targets (NaN in ``Y``) drop out of their task's mean.", *_SHRINKAGE),
}

# ``fit``'s data, as every estimator's ``fit`` takes it (see :func:`with_entries`).
FIT_DATA = {
    "X": Entry(("X",), "{array-like, sparse matrix, DataFrame} of shape (n_samples, n_columns)",
               ("    Features; with ``task_column`` set, one column names each row's task.",)),
    "y": Entry(("y",), "array-like of shape (n_samples,) or (n_samples, n_tasks)",
               ("    Targets. 2-D only in the shared layout, where NaN marks a target",
                "    not observed for that task (it drops out of that task's loss).")),
    "sample_weight": Entry(("sample_weight",), "array-like of shape (n_samples,), default=None",
                           ("    Reweights rows within their task; each task's loss is its",
                            "    weighted mean.")),
}


# -- reading and writing numpydoc -------------------------------------------------------
def parse(doc):
    """``doc`` -> ``(head lines, {title: body lines})``, sections in their order."""
    lines = inspect.cleandoc(doc or "").splitlines()
    head, sections, body = [], {}, None
    i = 0
    while i < len(lines):
        line = lines[i]
        if (i + 1 < len(lines) and line.strip() and not line.startswith(" ")
                and _UNDERLINE.fullmatch(lines[i + 1]) and len(lines[i + 1]) == len(line)):
            body = sections.setdefault(line, [])
            i += 2
            continue
        (head if body is None else body).append(line)
        i += 1
    return head, sections


def entries(body):
    """A section's lines -> its :class:`Entry` list (blank lines dropped)."""
    grouped = []
    for line in body:
        if line.strip() and not line.startswith(" "):
            grouped.append([line])
        elif line.strip() and grouped:
            grouped[-1].append(line)
    return [Entry.parse(lines) for lines in grouped]


def documented(doc, section):
    """``{name: Entry}`` over a docstring's section."""
    return {name: entry for entry in entries(parse(doc)[1].get(section, ()))
            for name in entry.names}


def _objective(head):
    """The head's ``Objective...::`` paragraph and its literal block (lines), or []."""
    start = next((i for i, line in enumerate(head) if line.startswith("Objective")), None)
    if start is None:
        return []
    end = start + 1
    while end < len(head) and (not head[end].strip() or head[end].startswith(" ")):
        end += 1
    while not head[end - 1].strip():
        end -= 1
    return head[start:end] + [""]


def _render(head, sections):
    while head and not head[-1].strip():
        head = head[:-1]
    out = list(head)
    for title, body in sections.items():
        while body and not body[-1].strip():
            body = body[:-1]
        if body:
            out += ["", title, "-" * len(title), *body]
    # Indented as a docstring in a class body is (``inspect.cleandoc`` reads both ways), so
    # that what reads ``__doc__`` as the source writes it finds the same layout.
    return "\n".join([out[0], *[f"    {line}" if line else "" for line in out[1:]]]) + "\n    "


def _ordered(names, own, sources):
    """Entries for ``names`` in their order: ``own`` first, else the first source's; one per entry."""
    out, emitted = [], set()
    for name in names:
        if name in own:
            entry = own[name]
            if id(entry) not in emitted:
                emitted.add(id(entry))
                out.append((entry, list(entry.names)))
            continue
        entry = next((source[name] for source in sources if name in source), None)
        if entry is None:
            continue
        if out and out[-1][0] is entry:  # consecutive names of one shared entry: one group
            out[-1][1].append(name)
        else:
            out.append((entry, [name]))
    return [line for entry, group in out for line in entry.render(group)]


def _fill_parameters(head, sections, names, sources):
    """``sections`` with ``Parameters`` completed for ``names`` from ``sources``, first."""
    own = {name: entry for entry in entries(sections.get("Parameters", ()))
           for name in entry.names}
    return {"Parameters": _ordered(names, own, sources),
            **{title: body for title, body in sections.items() if title != "Parameters"}}


def with_entries(entries_by_name):
    """Decorator: complete a function's ``Parameters`` from ``entries_by_name`` (``FIT_DATA``).

    The function documents its other parameters itself; ``self`` is skipped.
    A ``fit`` without a ``Returns`` section gets scikit-learn's ``self : object``.
    """
    def decorate(func):
        head, sections = parse(func.__doc__)
        names = [n for n in inspect.signature(func).parameters if n != "self"]
        sections = _fill_parameters(head, sections, names, [entries_by_name])
        if func.__name__ == "fit":  # scikit-learn's fit returns the estimator
            sections.setdefault("Returns", ["self : object"])
        func.__doc__ = _render(head, sections)
        return func
    return decorate


def _with_default(entry, default):
    """``entry`` with ``default=...`` in its type set to ``default`` (one-name entries)."""
    if len(entry.names) != 1 or "default=" not in entry.kind or default is inspect.Parameter.empty:
        return entry
    kind = re.sub(r"default=.*$", f"default={default!r}", entry.kind)
    return Entry(entry.names, kind, entry.description)


def complete(cls, family, *, like=None, model=None, see_also=None, summary=None):
    """Complete ``cls.__doc__`` in place (see the module docstring) and return ``cls``.

    Parameters
    ----------
    cls : type
        The public class; its constructor's signature orders ``Parameters``.
    family : Family
        Its shared parameters and attributes.
    like : type, optional
        A sibling (a classifier's regressor) whose entries, parameters and
        attributes, fill what ``cls`` does not write.
    model : type, optional
        A class whose parameter entries fill what the family does not (a CV
        estimator's model).
    see_also : tuple of (type, str), optional
        ``(class, what it is)`` for a ``See Also`` entry.
    summary : str, optional
        The docstring's head when the class writes none.
    """
    head, sections = parse(cls.__doc__ or summary)
    if like is not None and not _objective(head):  # the same model: the same objective
        rest = head[1:]
        while rest and not rest[0].strip():
            rest = rest[1:]
        head = head[:1] + [""] + _objective(parse(like.__doc__)[0]) + rest
    names = list(inspect.signature(cls).parameters)
    own = {name: entry for entry in entries(sections.get("Parameters", ()))
           for name in entry.names}
    sources = [family.entries([n for n in family.parameters if n in names])]
    if like is not None:  # the sibling's entries, with this class's own defaults
        defaults = inspect.signature(cls).parameters
        sources.append({name: _with_default(entry, defaults[name].default)
                        if name in defaults else entry
                        for name, entry in documented(like.__doc__, "Parameters").items()})
    if model is not None:
        sources.append(documented(model.__doc__, "Parameters"))
    parameters = _ordered(names, own, sources)

    own_attributes = entries(sections.get("Attributes", ()))
    written = {name for entry in own_attributes for name in entry.names}
    classifier = getattr(cls, "_loss", None) == "logistic"
    inherited = []
    if like is not None:  # the sibling's own attributes (not its shared ones, not the regressor's)
        for entry in entries(parse(like.__doc__)[1].get("Attributes", ())):
            left = [n for n in entry.names if n not in written and n != "classes_"
                    and not (classifier and n in family.regressor_only)]
            if left and entry.description != family.pointer:
                inherited += entry.render(left)
                written.update(left)
    shared = [n for n in family.attributes if n not in written
              and not (classifier and n in family.regressor_only)]
    attributes = Entry(tuple(shared), "", family.pointer).render() if shared else []
    attributes += inherited
    for entry in own_attributes:
        attributes += entry.render()
    if classifier and "classes_" not in written:
        attributes += _CLASSES.render()

    also = list(sections.get("See Also", ()))
    if see_also is not None:
        other, what = see_also
        name = f"mtlclassic.{other.__name__}"
        if not any(line.startswith(name + " ") for line in also):
            also.append(f"{name} : {what}")
    computed = {"Parameters": parameters, "Attributes": attributes, "See Also": also}
    if family.datafit:
        own_notes = sections.get("Notes", [])
        computed["Notes"] = [*own_notes, *([""] if own_notes else []), *DATAFIT[cls._loss]]
    if like is not None and "References" not in sections:  # the same model: the same papers
        computed["References"] = parse(like.__doc__)[1].get("References", [])
    # The family's references first (its training method, say), then the model's own.
    references = computed.get("References") or sections.get("References") or []
    computed["References"] = [*family.sections.get("References", ()),
                              *[line for line in references
                                if line not in family.sections.get("References", ())]]
    out = {}
    for title in _ORDER:  # numpydoc's order: the class's own, else derived, else the family's
        out[title] = (computed.get(title) or sections.get(title)
                      or list(family.sections.get(title, ())))
    for title, body in sections.items():  # any other section the class writes
        out.setdefault(title, body)
    cls.__doc__ = _render(head, out)
    return cls


def complete_pair(regressor, classifier):
    """Complete a regressor's docstring, then its classifier's from it (each its ``_doc_family``)."""
    complete(regressor, regressor._doc_family)
    complete(classifier, classifier._doc_family, like=regressor,
             see_also=(regressor, "the same model, squared loss."))
