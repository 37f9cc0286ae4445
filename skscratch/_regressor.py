"""ScratchMLPRegressor: a drop-in replacement for scikit-learn's MLPRegressor."""

from numbers import Real

import numpy as np
from sklearn import config_context
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import column_or_1d
from sklearn_compat.utils.validation import validate_data

from skscratch._base import BaseScratchMLP, set_init_params
from skscratch._callbacks import with_callbacks
from skscratch._core.arrays import ops_for
from skscratch._core.losses import OUTPUTS, evaluate_loss
from skscratch._docs import fill_doc
from skscratch._losses import output_parameter
from skscratch._namespace import float_dtypes, input_ops, to_host
from skscratch._validation import stochastic_solver

#: loss -> its output layer in :data:`skscratch._core.losses.OUTPUTS`.
OUTPUT_OF_LOSS = {
    "squared_error": "identity",
    "poisson": "exp",
    "absolute_error": "absolute_error",
    "huber": "huber",
    "quantile": "quantile",
}

#: Losses whose model is not the conditional mean, which R^2 measures: their
#: validation score (early stopping) is minus the validation loss instead.
SCORED_BY_LOSS = frozenset({"absolute_error", "huber", "quantile"})


@fill_doc
class ScratchMLPRegressor(RegressorMixin, BaseScratchMLP):
    r"""Multi-layer perceptron regressor written from scratch in NumPy.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`:
    the same parameters with the same defaults and meaning, the same fitted
    attributes and methods. It minimises half the squared error with an
    identity output, or half the Poisson deviance with an exponential output
    (a log link), with L-BFGS, SGD, Adam, RMSprop or AdamW. Added here: the
    absolute-error, Huber and quantile losses, and ``transform``, which
    returns a hidden layer's activations (so that a network fitted on
    ``(X, X)`` with a narrow layer is an autoencoder).

    Parameters
    ----------
    loss : str, default='squared_error'
        Loss to minimise: 'squared_error', 'poisson', 'absolute_error',
        'huber' or 'quantile'. 'squared_error' is
        :math:`\frac{1}{2} \sum_k (p_k - y_k)^2` per sample with an identity
        output; 'poisson' is half the Poisson deviance
        :math:`\sum_k [y_k \log(y_k / p_k) - y_k + p_k]` with predictions
        :math:`p = e^{z}`, for non-negative targets such as counts. Added
        here, each with an identity output: 'absolute_error'
        :math:`\sum_k |p_k - y_k|`, which predicts the conditional median;
        'huber', half the squared error for residuals up to ``huber_delta``
        and linear beyond, robust to outliers in ``y``; and 'quantile', the
        pinball loss, which predicts the ``quantile`` of ``y`` given ``X``
        (two such models give a prediction interval). With these three, the
        validation score that early stopping follows is minus the
        validation loss (unless ``scoring`` is set); ``score`` stays
        :math:`R^2`.

    %(shared_parameters)s

    %(extension_parameters)s

    huber_delta : float, default=1.0
        Threshold :math:`\delta > 0` of ``loss='huber'``, in the units of
        ``y``: residuals up to it cost half their square, larger ones
        :math:`\delta (|r| - \delta / 2)`. Scale ``y`` (or choose
        :math:`\delta` near its noise level) for it to mean the same on every
        problem. Other losses ignore it.

    quantile : float, default=0.5
        Level :math:`q \in (0, 1)` of ``loss='quantile'``: the model predicts
        the :math:`q`-quantile of ``y`` given ``X``. Other losses ignore it.

    Attributes
    ----------
    %(shared_attributes)s

    out_activation_ : str
        Name of the output activation ('identity', or 'exp' for Poisson).

    See Also
    --------
    sklearn.neural_network.MLPRegressor : The estimator this one replaces.
    ScratchMLPClassifier : The classifier built on the same core.

    Notes
    -----
    For several outputs, scikit-learn reports the squared error averaged over
    the outputs while its gradient is that of the sum; this estimator takes
    the same steps and reports the sum, the loss those steps actually descend.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skscratch import ScratchMLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    >>> reg = ScratchMLPRegressor(solver="lbfgs", random_state=0)
    >>> reg.fit(X, y / y.std()).score(X, y / y.std()) > 0.95
    True
    """

    _parameter_constraints: dict = {
        **BaseScratchMLP._parameter_constraints,
        "loss": [StrOptions(set(OUTPUT_OF_LOSS))],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
        "quantile": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        l1_ratio=0.0,
        init="glorot",
        scoring=None,
        max_grad_norm=None,
        transform_layer=-1,
        learning_rate_schedule=None,
        record_diagnostics=False,
        huber_delta=1.0,
        quantile=0.5,
    ):
        set_init_params(self, locals())

    # ----------------------------------------------------- targets and scores
    def _is_classifier(self):
        return False

    @property
    def _output(self):
        """Output activation: identity, or exp (log link) for Poisson."""
        return OUTPUT_OF_LOSS[self.loss]

    def _validate_input(self, X, y, incremental, reset, classes=None):
        """Validate X and y; return y as a 2-D float matrix."""
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=float_dtypes(input_ops(X)),
            reset=reset,
        )
        y = to_host(y)  # the targets are NumPy, whatever the namespace of X
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for "
                "Poisson regression."
            )
        return X, y.reshape(y.shape[0], -1)

    def _targets_to_y(self, Y):
        return Y.ravel() if Y.shape[1] == 1 else Y

    def _predictions(self, Z):
        """Turn output logits into predictions, in place."""
        OUTPUTS[self._output].inverse_link(Z)
        return ops_for(Z).reshape(Z, (-1,)) if Z.shape[1] == 1 else Z

    def _score_raw(self, raw, y, sample_weight):
        """:math:`R^2` of the predictions encoded by the logits ``raw``.

        For the losses in :data:`SCORED_BY_LOSS`, minus their loss instead.
        """
        if self.loss in SCORED_BY_LOSS:
            Y = y.reshape(y.shape[0], -1).astype(raw.dtype, copy=False)
            param = output_parameter(self)
            return -evaluate_loss(self._output, raw, Y, sample_weight, param)
        return r2_score(y, self._predictions(raw), sample_weight=sample_weight)

    # ---------------------------------------------------------- training API
    @available_if(stochastic_solver)
    @with_callbacks
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        self : object
            The updated estimator.
        """
        self._validate_params()
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict using the multi-layer perceptron.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        return self._predictions(self._logits(X, "predict"))

    def score(self, X, y, sample_weight=None):
        """Return the coefficient of determination :math:`R^2` of the prediction.

        As scikit-learn's regressors score. For an ``X`` of another array
        namespace, :math:`R^2` is computed on the host (the predictions are
        copied there), so that it is the same float on every release.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True values for ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            :math:`R^2` of ``self.predict(X)`` against ``y``.
        """
        if input_ops(X).is_numpy:
            return super().score(X, y, sample_weight)
        predicted, weights = to_host(self.predict(X)), to_host(sample_weight)
        with config_context(array_api_dispatch=False):
            return float(r2_score(to_host(y), predicted, sample_weight=weights))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags

    def _more_tags(self):
        # The same tag for scikit-learn < 1.6, which reads tags from here.
        return {"requires_positive_y": self.loss == "poisson"}


class MLPRegressor(ScratchMLPRegressor):
    """:class:`ScratchMLPRegressor` under scikit-learn's class name.

    ``from skscratch import MLPRegressor`` replaces
    ``from sklearn.neural_network import MLPRegressor`` with nothing else to
    change: the estimator is the same, and so are the names scikit-learn
    derives from the class name, such as the step name ``mlpregressor`` that
    ``make_pipeline`` gives it and the ``mlpregressor__alpha`` keys of a grid
    written for scikit-learn. Parameters, attributes and methods are those of
    :class:`ScratchMLPRegressor`.

    See Also
    --------
    ScratchMLPRegressor : The same estimator under its own name.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skscratch import MLPRegressor
    >>> list(make_pipeline(StandardScaler(), MLPRegressor()).named_steps)
    ['standardscaler', 'mlpregressor']
    """
