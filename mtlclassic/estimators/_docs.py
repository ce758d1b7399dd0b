"""Docstring pieces shared by the multi-task linear estimators (one wording, one place)."""

import math
import textwrap

LOSSES = {
    "squared": ("sum_t tau_t / (2 sum_{i in t} s_i) * sum_{i in t} s_i (y_i - x_i . w_t - b_t)^2",
                "the sum over tasks of each task's (weighted) mean squared error"),
    "logistic": ("sum_t tau_t / (sum_{i in t} s_i) * sum_{i in t} s_i log(1 + exp(-y_i (x_i . w_t + b_t)))",
                 "the sum over tasks of each task's (weighted) mean logistic loss, labels "
                 "``classes_`` mapped to ``y in {-1, +1}``"),
}

# Why the penalty strengths default to what they do (one wording for every family). W = 0
# exactly when alpha >= alpha_max, the dual norm of the loss gradient at W = 0; every norm
# here has N(e_k) = 1 for a single entry, so alpha_max >= max_tj |G[t, j]|, and with fitted
# intercepts G[t, j] is minus the covariance of feature j with task t's target (0/1 labels
# for the logistic loss). Measured per family on check-size data, School and Landmine: see
# tests/test_common.py::test_defaults_fit_useful_models.
DEFAULT_ALPHA = {"squared": 0.1, "logistic": 0.01}


def default_note(loss, default=None, *, what="The default"):
    """Why a strength defaults to its value: numpydoc description lines (8-space indent).

    ``default`` overrides the loss's usual value (``DEFAULT_ALPHA``) where a
    family needs another; ``what`` names the parameter(s) the note is about.
    """
    value = DEFAULT_ALPHA[loss] if default is None else default
    if loss == "squared":
        why = (f"one feature's covariance with one task's target exceeds it (a correlation "
               f"of {value:g} for standardised ``X`` and ``y``)")
    else:  # cov(x, y01) = corr sqrt(p (1 - p)) for standardised x and a share p of positives
        why = (f"one feature's covariance with one task's 0/1 labels exceeds it (a "
               f"correlation of {2 * value:.2g} for balanced classes, "
               f"{value / math.sqrt(0.06 * 0.94):.1g} at 6% positives)")
    text = f"{what} {value:g}: ``W != 0`` as soon as {why}."
    return textwrap.fill(text, width=86, initial_indent=" " * 8,
                         subsequent_indent=" " * 8) + "\n"


L2_REG = """    l2_reg : float, default=0.0
        Elastic term ``l2_reg / 2 ||W||_F^2`` added to the penalty (MALSAR's
        ``rho_L2``), ``>= 0``.
"""

COMMON_PARAMS = """    fit_intercept : bool, default=True
        Fit one unpenalised intercept per task.
    task_column : int, str or None, default=None
        ``None``: shared design, ``y`` of shape (n_samples, n_tasks) (or 1-D
        for one task). Otherwise the column of ``X`` naming each row's task
        (an int index, negative as in numpy, or a DataFrame column name):
        per-task designs, ``y`` of shape (n_samples,).
    unseen_tasks : {"error", "mean"}, default="error"
        Prediction for a row whose task was not seen in ``fit`` (per-task
        layout): ``"error"`` raises a ``ValueError``; ``"mean"`` predicts it
        with the mean of the fitted task models (``coef_`` and
        ``intercept_`` averaged over tasks; a model with a shared part
        documents what it uses).
    task_weights : array-like of shape (n_tasks,), default=None
        ``tau_t`` multiplying each task's mean loss, used as given (not
        normalised): ``task_weights = n_t`` gives MALSAR's unnormalised loss.
        Tasks are ordered as ``tasks_``.
    tol : float, default=1e-4
        Stop when the duality gap is ``<= tol`` times the objective at
        ``W = 0`` (with the best intercepts when they are fitted).
    max_iter : int, default=1000
        Maximum number of epochs (``"bcd"``) or iterations (``"fista"``).
    warm_start : bool, default=False
        Start from the previous solution when shapes match.
    solver : {"auto", "bcd", "fista", "cvxpy"}, default="auto"
        ``"bcd"``: numba block coordinate descent with working sets (squared
        loss, penalties separable over features); ``"fista"``: accelerated
        proximal gradient (any loss and penalty); ``"cvxpy"``: the exact
        reference solver (slow). ``"auto"`` picks ``"bcd"`` where it applies,
        else ``"fista"``.
""" + """    device : {None, "cpu", "cuda", "auto"}, default=None
        Where to solve. ``None``: where the data is (on the GPU for CuPy
        input). ``"cuda"``: the problem is copied to the GPU once and solved
        there by ``"fista"`` (CuPy needed: ``ImportError`` without it,
        ``RuntimeError`` without a GPU). ``"auto"``: the GPU when one is
        usable, else the CPU. Fitted attributes are numpy arrays either way;
        ``predict`` returns CuPy arrays for CuPy input. See ``docs/gpu.md``.
""" + """    verbose : int, default=0
        Print the duality gap as the solver runs.
"""

DEVICE_DOC = COMMON_PARAMS[COMMON_PARAMS.index("    device :"):COMMON_PARAMS.index("    verbose :")]

ATTRIBUTES = """
    Attributes
    ----------
    coef_ : ndarray of shape (n_tasks, n_features)
        One row per task; the task column is not a feature.
    intercept_ : ndarray of shape (n_tasks,)
    tasks_ : ndarray of shape (n_tasks,)
        Task labels in the order of the rows of ``coef_`` (``0..T-1`` in the
        shared layout, the sorted labels of the task column otherwise).
    n_tasks_ : int
    n_features_in_ : int
        Number of columns of ``X`` seen in fit (task column included).
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Column names, when ``X`` is a DataFrame with string names.
    n_iter_ : int
        Solver iterations (epochs for ``"bcd"``).
    dual_gap_ : float
        Duality gap at the solution, in units of the objective.
    solver_ : str
        The solver used.
    device_ : {"cpu", "cuda"}
        Where the model was solved.
"""

CLASSES = """    classes_ : ndarray of shape (2,)
        The two labels, common to all tasks.
"""


def estimator_doc(summary, penalty, loss, params, *, notes="", attributes="", references=""):
    """Assemble an estimator docstring: summary, objective, parameters, attributes.

    ``penalty`` is the penalty's formula (a line of the literal block),
    ``params`` the estimator's own parameters (numpydoc text).
    """
    loss_formula, loss_words = LOSSES[loss]
    doc = f"""{summary}

    Objective, with ``W`` of shape (n_tasks, n_features) (``w_t`` its rows,
    ``W[:, j]`` feature j across tasks), sample weights ``s_i`` and task
    weights ``tau_t``::

        min_{{W, b}}  {loss_formula}
                    + {penalty}

    i.e. {loss_words}, plus the penalty. In the shared layout missing targets
    (NaN in ``Y``) drop out of their task's mean.
{notes}
    Parameters
    ----------
{params}{COMMON_PARAMS}{ATTRIBUTES}{attributes}{CLASSES if loss == "logistic" else ""}"""
    if references:
        doc += f"""
    References
    ----------
{references}"""
    return doc
