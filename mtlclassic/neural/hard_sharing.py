"""Hard parameter sharing: one trunk shared by every task, one head per task."""

from .._prediction import store_params
from ._base import NeuralClassifierMixin, NeuralMultiTaskModel, NeuralRegressorMixin, \
    _layer_sizes
from ._networks import HardSharingNet


class _HardSharing(NeuralMultiTaskModel):
    def __init__(self, hidden_layer_sizes=(100,), *, head_layer_sizes=(), activation="relu",
                 dropout=0.0, alpha=1e-4, batch_size="auto", learning_rate_init=1e-3, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, task_column=None, unseen_tasks="error", task_weighting="equal",
                 dwa_temperature=2.0, dtype="float32", verbose=False):
        store_params(self, locals())

    def _check_params(self):
        super()._check_params()
        _layer_sizes(self.head_layer_sizes, "head_layer_sizes", allow_empty=True)

    def _make_net(self, buf, n_features, n_tasks):
        return HardSharingNet(
            buf, n_features, n_tasks,
            _layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes", allow_empty=True),
            _layer_sizes(self.head_layer_sizes, "head_layer_sizes", allow_empty=True),
            self.activation, self.dropout)


class HardSharingMLPRegressor(NeuralRegressorMixin, _HardSharing):
    """Multi-task MLP regressor with a shared trunk and one head per task.

    Architecture (Caruana 1997): a trunk ``h = g(x)`` of dense layers
    ``hidden_layer_sizes`` shared by all tasks, then one head per task,
    ``f_t(x) = head_t(h)``: linear (``v_t . h + c_t``) by default, or dense
    layers ``head_layer_sizes`` then a linear output. Each row trains the trunk
    and its own task's head.

    Training minimises, over mini-batches::

        sum_t w_t L_t  +  alpha/2 ||weights||^2

        L_t = 1/(2 n_t) sum_{i in t} (y~_i - f_t(x_i))^2

    ``L_t`` is task t's mean loss over its ``n_t`` rows in the batch, so
    unbalanced tasks do not silently reweight; ``y~ = (y - mean_t) / sd_t``
    are the targets standardised per task (predictions are mapped back).
    The task weights ``w_t`` are set by ``task_weighting`` (1 for
    ``"equal"``). In the shared layout missing targets (NaN in ``Y``) drop
    out of their task's mean. Mini-batch Adam; early stopping on a
    validation split if asked.

    The network trains on ``x / feature_scale_``: each feature divided by the
    power of two nearest its root mean square over the first fit's rows
    (computed in float64 before the cast to ``dtype``), so results do not
    depend on the features' units -- ``2**k X`` trains bit for bit as ``X``,
    ``1e20 X`` as ``X`` with each feature multiplied by a factor in
    ``(1/2, 2)`` -- and features of unit root mean square (standardised ones)
    are read unchanged.
    ``coefs_[0]`` is reported in the units of ``X`` (the trained first layer
    divided by ``feature_scale_``); ``alpha`` penalises the trained weights,
    those of the scaled features. With ``dtype="float32"`` the scales must
    lie within ``2**+-100`` (about 1e-30 to 1e30) so that ``coefs_[0]`` fits
    float32; ``"float64"`` takes any finite features. A training whose
    loss, parameters or Adam moments stop being finite (an overflow) raises a
    ``ValueError`` naming the settings to change; ``partial_fit`` then keeps
    the model of its previous call.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Widths of the shared trunk's layers (empty: heads read ``x``).
    head_layer_sizes : int or sequence of int, default=()
        Hidden widths of every task's head; empty: linear heads.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of every hidden layer.
    dropout : float, default=0.0
        Rate of (inverted) dropout on every hidden layer's output during
        training, in ``[0, 1)``.
    alpha : float, default=1e-4
        L2 penalty ``alpha/2 ||weights||^2`` on all weights (not biases), added
        to the objective above (scikit-learn's MLP divides its ``alpha`` by the
        batch size; this one is used as given).
    batch_size : int or "auto", default="auto"
        Rows per mini-batch; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate_init : float, default=1e-3
        Adam's step size.
    max_iter : int, default=200
        Maximum number of epochs (passes over the training rows).
    shuffle : bool, default=True
        Shuffle the rows every epoch.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the initialisation, the validation split, the shuffling and
        dropout: the same int gives bit-identical fits.
    tol : float, default=1e-4
        Training stops when the training loss (the validation loss with
        ``early_stopping``) has not decreased by at least ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of each task's rows, stop on their loss
        and keep the parameters of the best epoch.
    validation_fraction : float, default=0.1
        Fraction of each task's rows held out with ``early_stopping``.
    n_iter_no_change : int, default=10
        Epochs without an improvement of ``tol`` tolerated before stopping.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's moment decay rates.
    epsilon : float, default=1e-8
        Adam's denominator offset.
    task_column : int, str or None, default=None
        ``None``: shared design, ``y`` of shape (n_samples, n_tasks) (or 1-D
        for one task). Otherwise the column of ``X`` naming each row's task
        (an int index, negative as in numpy, or a DataFrame column name):
        per-task designs, ``y`` of shape (n_samples,).
    unseen_tasks : {"error", "mean"}, default="error"
        Prediction for a row whose task was not seen in ``fit`` (per-task
        layout): ``"error"`` raises a ``ValueError``; ``"mean"`` predicts it
        with the mean over the fitted tasks of their models' outputs. With
        linear heads (the default ``head_layer_sizes=()``) that is the shared
        trunk followed by the mean head; for soft sharing, the mean of the
        task networks' predictions.
    task_weighting : {"equal", "uncertainty", "dwa"}, default="equal"
        ``w_t``: ``"equal"`` ones; ``"uncertainty"`` learned log-variances
        ``s_t``, the loss becoming ``sum_t exp(-s_t) L_t + s_t / 2`` (Kendall et
        al. 2018); ``"dwa"`` dynamic weight averaging from the last two epochs'
        loss ratios (Liu et al. 2019). See ``docs/neural.md``.
    dwa_temperature : float, default=2.0
        Temperature of ``"dwa"``.
    standardize_targets : bool, default=True
        Train on each task's targets standardised by the task's mean and
        standard deviation (over its observed rows); predictions are mapped
        back. Without it, tasks with large targets dominate the summed loss.
    dtype : {"float32", "float64"}, default="float32"
        Training precision (float32 trains the benchmark network of
        ``docs/neural.md`` 1.6 times faster); predictions are computed in
        float64 from the trained weights either way.
    verbose : bool, default=False
        Print the loss after every epoch.

    Attributes
    ----------
    coefs_ : list of ndarray
        Layer weights: trunk layers of shape (n_in, n_out), then head
        layers of shape (n_tasks, n_in, n_out) (linear heads: one layer of
        shape (n_tasks, hidden_layer_sizes[-1], 1)).
        ``coefs_[0]`` acts on ``X`` itself (the feature scaling is folded
        into it).
    intercepts_ : list of ndarray
        Layer biases, shaped as ``coefs_`` without the input axis.
    task_weights_ : ndarray of shape (n_tasks,)
        The task weights ``w_t`` at the end of training (``exp(-s_t)`` for
        ``"uncertainty"``, the last epoch's for ``"dwa"``).
    loss_curve_ : list of float
        Per epoch: the mean over its mini-batches of ``sum_t L_t`` (equal
        weights, so curves compare across ``task_weighting``), plus the
        penalties at the end of the epoch.
    best_loss_ : float
        Smallest value of ``loss_curve_``.
    validation_loss_curve_ : list of float or None
        Per epoch, ``sum_t L_t`` on the validation rows (``early_stopping``).
    best_validation_loss_ : float or None
    feature_scale_ : ndarray of shape (n_features,)
        Per-feature powers of two the features were divided by in training
        (1 for features of root mean square in ``[2**-0.5, 2**0.5)``), set by
        the first ``fit`` or ``partial_fit`` call.
    n_iter_ : int
        Epochs run.
    t_ : int
        Training rows seen (over all epochs).
    tasks_ : ndarray of shape (n_tasks,)
        Task labels (``0..T-1`` in the shared layout, the sorted labels of
        the task column otherwise); heads follow this order.
    n_tasks_ : int
    n_features_in_ : int
        Number of columns of ``X`` seen in fit (task column included).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` is a DataFrame with string names.
    target_mean_, target_scale_ : ndarray of shape (n_tasks,)
        Per-task target standardisation (zeros and ones when off).

    References
    ----------
    Caruana, R. (1997). Multitask learning. Machine Learning 28(1).
    Kendall, A., Gal, Y. and Cipolla, R. (2018). Multi-task learning using
    uncertainty to weigh losses for scene geometry and semantics. CVPR.
    Liu, S., Johns, E. and Davison, A. J. (2019). End-to-end multi-task
    learning with attention. CVPR (dynamic weight averaging).
    Kingma, D. P. and Ba, J. (2015). Adam: a method for stochastic
    optimization. ICLR.
    """
    _loss = "squared"

    def __init__(self, hidden_layer_sizes=(100,), *, head_layer_sizes=(), activation="relu",
                 dropout=0.0, alpha=1e-4, batch_size="auto", learning_rate_init=1e-3, max_iter=200,
                 shuffle=True, random_state=None, tol=1e-4, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, task_column=None, unseen_tasks="error", task_weighting="equal",
                 dwa_temperature=2.0, standardize_targets=True, dtype="float32", verbose=False):
        store_params(self, locals())


class HardSharingMLPClassifier(NeuralClassifierMixin, _HardSharing):
    """Multi-task MLP binary classifier with a shared trunk and one head per task.

    Architecture (Caruana 1997): a trunk ``h = g(x)`` of dense layers
    ``hidden_layer_sizes`` shared by all tasks, then one head per task,
    ``f_t(x) = head_t(h)``: linear (``v_t . h + c_t``) by default, or dense
    layers ``head_layer_sizes`` then a linear output. Each row trains the trunk
    and its own task's head.

    Training minimises, over mini-batches::

        sum_t w_t L_t  +  alpha/2 ||weights||^2

        L_t = 1/n_t sum_{i in t} log(1 + exp(-y_i f_t(x_i)))

    ``L_t`` is task t's mean loss over its ``n_t`` rows in the batch, so
    unbalanced tasks do not silently reweight; the labels ``classes_`` map
    to ``y in {-1, +1}`` and ``f_t`` is the logit.
    The task weights ``w_t`` are set by ``task_weighting`` (1 for
    ``"equal"``). In the shared layout missing targets (NaN in ``Y``) drop
    out of their task's mean. Mini-batch Adam; early stopping on a
    validation split if asked.

    The network trains on ``x / feature_scale_``: each feature divided by the
    power of two nearest its root mean square over the first fit's rows
    (computed in float64 before the cast to ``dtype``), so results do not
    depend on the features' units -- ``2**k X`` trains bit for bit as ``X``,
    ``1e20 X`` as ``X`` with each feature multiplied by a factor in
    ``(1/2, 2)`` -- and features of unit root mean square (standardised ones)
    are read unchanged.
    ``coefs_[0]`` is reported in the units of ``X`` (the trained first layer
    divided by ``feature_scale_``); ``alpha`` penalises the trained weights,
    those of the scaled features. With ``dtype="float32"`` the scales must
    lie within ``2**+-100`` (about 1e-30 to 1e30) so that ``coefs_[0]`` fits
    float32; ``"float64"`` takes any finite features. A training whose
    loss, parameters or Adam moments stop being finite (an overflow) raises a
    ``ValueError`` naming the settings to change; ``partial_fit`` then keeps
    the model of its previous call.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Widths of the shared trunk's layers (empty: heads read ``x``).
    head_layer_sizes : int or sequence of int, default=()
        Hidden widths of every task's head; empty: linear heads.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of every hidden layer.
    dropout : float, default=0.0
        Rate of (inverted) dropout on every hidden layer's output during
        training, in ``[0, 1)``.
    alpha : float, default=1e-4
        L2 penalty ``alpha/2 ||weights||^2`` on all weights (not biases), added
        to the objective above (scikit-learn's MLP divides its ``alpha`` by the
        batch size; this one is used as given).
    batch_size : int or "auto", default="auto"
        Rows per mini-batch; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate_init : float, default=1e-3
        Adam's step size.
    max_iter : int, default=200
        Maximum number of epochs (passes over the training rows).
    shuffle : bool, default=True
        Shuffle the rows every epoch.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the initialisation, the validation split, the shuffling and
        dropout: the same int gives bit-identical fits.
    tol : float, default=1e-4
        Training stops when the training loss (the validation loss with
        ``early_stopping``) has not decreased by at least ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of each task's rows, stop on their loss
        and keep the parameters of the best epoch.
    validation_fraction : float, default=0.1
        Fraction of each task's rows held out with ``early_stopping``.
    n_iter_no_change : int, default=10
        Epochs without an improvement of ``tol`` tolerated before stopping.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's moment decay rates.
    epsilon : float, default=1e-8
        Adam's denominator offset.
    task_column : int, str or None, default=None
        ``None``: shared design, ``y`` of shape (n_samples, n_tasks) (or 1-D
        for one task). Otherwise the column of ``X`` naming each row's task
        (an int index, negative as in numpy, or a DataFrame column name):
        per-task designs, ``y`` of shape (n_samples,).
    unseen_tasks : {"error", "mean"}, default="error"
        Prediction for a row whose task was not seen in ``fit`` (per-task
        layout): ``"error"`` raises a ``ValueError``; ``"mean"`` predicts it
        with the mean over the fitted tasks of their models' outputs. With
        linear heads (the default ``head_layer_sizes=()``) that is the shared
        trunk followed by the mean head; for soft sharing, the mean of the
        task networks' predictions.
    task_weighting : {"equal", "uncertainty", "dwa"}, default="equal"
        ``w_t``: ``"equal"`` ones; ``"uncertainty"`` learned log-variances
        ``s_t``, the loss becoming ``sum_t exp(-s_t) L_t + s_t / 2`` (Kendall et
        al. 2018); ``"dwa"`` dynamic weight averaging from the last two epochs'
        loss ratios (Liu et al. 2019). See ``docs/neural.md``.
    dwa_temperature : float, default=2.0
        Temperature of ``"dwa"``.
    dtype : {"float32", "float64"}, default="float32"
        Training precision (float32 trains the benchmark network of
        ``docs/neural.md`` 1.6 times faster); predictions are computed in
        float64 from the trained weights either way.
    verbose : bool, default=False
        Print the loss after every epoch.

    Attributes
    ----------
    coefs_ : list of ndarray
        Layer weights: trunk layers of shape (n_in, n_out), then head
        layers of shape (n_tasks, n_in, n_out) (linear heads: one layer of
        shape (n_tasks, hidden_layer_sizes[-1], 1)).
        ``coefs_[0]`` acts on ``X`` itself (the feature scaling is folded
        into it).
    intercepts_ : list of ndarray
        Layer biases, shaped as ``coefs_`` without the input axis.
    task_weights_ : ndarray of shape (n_tasks,)
        The task weights ``w_t`` at the end of training (``exp(-s_t)`` for
        ``"uncertainty"``, the last epoch's for ``"dwa"``).
    loss_curve_ : list of float
        Per epoch: the mean over its mini-batches of ``sum_t L_t`` (equal
        weights, so curves compare across ``task_weighting``), plus the
        penalties at the end of the epoch.
    best_loss_ : float
        Smallest value of ``loss_curve_``.
    validation_loss_curve_ : list of float or None
        Per epoch, ``sum_t L_t`` on the validation rows (``early_stopping``).
    best_validation_loss_ : float or None
    feature_scale_ : ndarray of shape (n_features,)
        Per-feature powers of two the features were divided by in training
        (1 for features of root mean square in ``[2**-0.5, 2**0.5)``), set by
        the first ``fit`` or ``partial_fit`` call.
    n_iter_ : int
        Epochs run.
    t_ : int
        Training rows seen (over all epochs).
    tasks_ : ndarray of shape (n_tasks,)
        Task labels (``0..T-1`` in the shared layout, the sorted labels of
        the task column otherwise); heads follow this order.
    n_tasks_ : int
    n_features_in_ : int
        Number of columns of ``X`` seen in fit (task column included).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` is a DataFrame with string names.
    classes_ : ndarray of shape (2,)
        The two labels, common to all tasks.

    References
    ----------
    Caruana, R. (1997). Multitask learning. Machine Learning 28(1).
    Kendall, A., Gal, Y. and Cipolla, R. (2018). Multi-task learning using
    uncertainty to weigh losses for scene geometry and semantics. CVPR.
    Liu, S., Johns, E. and Davison, A. J. (2019). End-to-end multi-task
    learning with attention. CVPR (dynamic weight averaging).
    Kingma, D. P. and Ba, J. (2015). Adam: a method for stochastic
    optimization. ICLR.
    """
    _loss = "logistic"
