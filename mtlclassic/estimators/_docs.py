"""Docstring pieces shared by the multi-task linear estimators (one wording, one place)."""

LOSSES = {
    "squared": ("sum_t tau_t / (2 sum_{i in t} s_i) * sum_{i in t} s_i (y_i - x_i . w_t - b_t)^2",
                "the sum over tasks of each task's (weighted) mean squared error"),
    "logistic": ("sum_t tau_t / (sum_{i in t} s_i) * sum_{i in t} s_i log(1 + exp(-y_i (x_i . w_t + b_t)))",
                 "the sum over tasks of each task's (weighted) mean logistic loss, labels "
                 "``classes_`` mapped to ``y in {-1, +1}``"),
}

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
