"""The estimator base of the classifier and the regressor.

Public methods validate, then hand over to the training run
(:mod:`skscratch._fit_loop`). Here: the parameters, the fitted network bound
to one flat buffer, the undoing of a failed fit, prediction, pickling, and
the hooks the subclasses provide.
"""

import copy
from collections import namedtuple
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics import get_scorer_names
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted

from skscratch._activations import ACTIVATION_CONSTRAINT
from skscratch._callbacks import CallbackSupportMixin, with_callbacks
from skscratch._core.arrays import ops_for
from skscratch._core.network import (
    Network,
    flatten,
    initial_parameters,
    predict_logits,
    split_flat,
    views_intact,
)
from skscratch._core.optimizers import OPTIMIZERS, saved_types
from skscratch._core.training import Diverged
from skscratch._docs import DOCS_URL
from skscratch._fit_loop import StochasticRun, loss_targets, penalty, run_lbfgs
from skscratch._losses import output_activation, output_parameter
from skscratch._namespace import (
    array_api_ready,
    check_same_namespace,
    input_ops,
    numpy_dtype,
    to_host,
)
from skscratch._reporting import (
    CALLBACK_STATE,
    FitTasks,
    copied_weights,
    diverged_error,
)
from skscratch._schedule import EPOCH_CONSTRAINTS, start_curves
from skscratch._stopping import reset_record, sync_record
from skscratch._transform import TRANSFORM_LAYER_CONSTRAINT, HiddenLayerTransformerMixin
from skscratch._validation import (
    check_architecture,
    check_parameter_shapes,
    checked_sample_weight,
    dropout_rates,
    hidden_activations,
    hidden_sizes,
    validated_input,
    validation_arguments,
    validation_set,
)

#: What a gradient check needs: the network and the data one training step sees.
TrainingProblem = namedtuple("TrainingProblem", "net X Y sample_weight penalty")


def set_init_params(estimator, values):
    """Store each constructor argument (``locals()``) as it is, by its name."""
    for name in estimator._get_param_names():
        setattr(estimator, name, values[name])


class _NonFiniteWeights(ArithmeticError):
    """Raised when training ends with weights that are not all finite."""


class _Rollback:
    """The estimator's state before a fit, to put back if the fit fails.

    A fit rebinds most attributes to new objects, so references to the old
    ones are enough. Only a fit that continues training (``continuing``:
    warm start, ``partial_fit``) changes objects in place: the flat
    parameters, the optimizer's state and the curves; those are copied.
    """

    def __init__(self, estimator, continuing):
        params = set(estimator.get_params(deep=False))
        self.attributes = dict(vars(estimator))
        self.copies = {}
        if "_random_state" in self.attributes:
            self.copies["_random_state"] = copy.deepcopy(estimator._random_state)
        self.lists, self.theta = {}, None
        if not continuing:
            return
        for key, value in self.attributes.items():
            if isinstance(value, list) and key not in params:
                self.lists[key] = list(value)
        if "_theta" in self.attributes:
            self.theta = ops_for(estimator._theta).copy(estimator._theta)
        if "_optimizer" in self.attributes:
            self.copies["_optimizer"] = copy.deepcopy(estimator._optimizer)

    def restore(self, estimator):
        """Put the saved state back; callbacks' own state stays as it is now."""
        state = vars(estimator)
        callbacks = {k: v for k, v in state.items() if k in CALLBACK_STATE}
        state.clear()
        state.update(self.attributes)
        state.update(self.copies)
        state.update(callbacks)  # their teardown still has to run
        for key, items in self.lists.items():
            state[key][:] = items
        if self.theta is not None:
            ops_for(self.theta).copyto(state["_theta"], self.theta)


def _initial_theta(estimator, layer_units, X):
    """Draw a new network's flat parameters for ``X``.

    The weights are drawn in NumPy, as scikit-learn draws them, and then
    moved to ``X``'s namespace and device (in its dtype).
    """
    hidden = hidden_activations(estimator.activation, len(layer_units) - 2)
    # One name per weight matrix; the output layer takes the last hidden
    # layer's (scikit-learn uses its single activation for all).
    names = [*hidden, hidden[-1]] if hidden else [estimator.activation]
    ops = input_ops(X)
    dtype = numpy_dtype(ops, X.dtype)
    rng, init = estimator._random_state, estimator.init
    return ops.from_numpy(initial_parameters(layer_units, init, names, rng, dtype), X)


def _clipped_logits(estimator, X):
    """Return the fitted network's output logits for validated ``X``.

    Logits beyond the float range (huge inputs or weights) are clipped to
    a quarter of it, so that the output layer still gives probabilities.
    """
    coefs, intercepts = estimator.coefs_, estimator.intercepts_
    with np.errstate(over="ignore", invalid="ignore"):
        names = hidden_activations(estimator.activation, len(coefs) - 1)
        Z = predict_logits(coefs, intercepts, names, X)
    xp = ops_for(Z)
    limit = float(xp.finfo(Z.dtype).max) / 4
    return xp.clip(Z, -limit, limit, out=Z)


class BaseScratchMLP(CallbackSupportMixin, HiddenLayerTransformerMixin, BaseEstimator):
    """Parameters, validation and training plumbing of the scratch MLPs.

    Not meant to be used directly: use :class:`~skscratch.ScratchMLPClassifier`.
    """

    # The HTML representation links to the estimator's page of these docs.
    _doc_link_module = "skscratch"
    _doc_link_template = (
        DOCS_URL + "/generated/{estimator_module}.{estimator_name}.html"
    )

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": ACTIVATION_CONSTRAINT,
        "solver": [StrOptions({"lbfgs", *OPTIMIZERS})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left"), list, tuple],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "init": [StrOptions({"glorot", "he"})],
        "scoring": [None, StrOptions(set(get_scorer_names())), callable],
        "max_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        "transform_layer": TRANSFORM_LAYER_CONSTRAINT,
        **EPOCH_CONSTRAINTS,
    }

    #: Classes a fitted model may hold besides the estimator (for skops).
    _saved_types = tuple(saved_types())

    # ------------------------------------------- hooks the subclasses provide
    def _is_classifier(self):
        """Return True for a classifier (stratified validation split, scorers)."""
        raise NotImplementedError

    @property
    def _output(self):
        """Name of the output layer in :data:`skscratch._core.losses.OUTPUTS`."""
        raise NotImplementedError

    def _validate_input(self, X, y, incremental, reset, classes=None):
        """Validate ``X`` and ``y``; return ``X`` and the 2-D target matrix ``Y``.

        ``reset`` starts a new fit (feature names and counts are learnt);
        ``incremental`` is True for ``partial_fit``, whose first call learns
        the labels from ``classes``.
        """
        raise NotImplementedError

    def _targets_to_y(self, Y):
        """Map the target matrix ``Y`` back to targets as the user gives them."""
        raise NotImplementedError

    def _score_raw(self, raw, y, sample_weight):
        """Score the output logits ``raw`` against ``y`` (``score``'s metric)."""
        raise NotImplementedError

    def _weight_classes(self, Y, sample_weight, reuse):
        """Fold class weights into the sample weights (classifiers only)."""
        return sample_weight

    # --------------------------------------------------------------- network
    def _network(self):
        """Return the fitted network, bound to the flat buffer.

        ``coefs_`` and ``intercepts_`` are the public truth: when a user has
        replaced them (or they were unpickled), a new flat buffer is built
        from their values and they become views of it again.
        """
        units = (self.coefs_[0].shape[0], *(c.shape[1] for c in self.coefs_))
        n_hidden = len(units) - 2
        layers = (hidden_activations(self.activation, n_hidden), self._output)
        extras = (dropout_rates(self.dropout, n_hidden), output_parameter(self))
        theta = getattr(self, "_theta", None)
        if theta is not None:
            net = Network(units, *layers, theta, *extras)
            if views_intact(self.coefs_, net.coefs) and views_intact(
                self.intercepts_, net.intercepts
            ):
                return net
        check_parameter_shapes(self.coefs_, self.intercepts_, units)
        self._theta = flatten(self.coefs_, self.intercepts_)
        net = Network(units, *layers, self._theta, *extras)
        self.coefs_, self.intercepts_ = net.coefs, net.intercepts
        return net

    def _initialize(self, layer_units, X):
        """Set up a new network for ``X`` and reset the fitted state."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_layers_ = len(layer_units)
        self.n_outputs_ = layer_units[-1]
        self.out_activation_ = output_activation(self)
        self._theta = _initial_theta(self, layer_units, X)
        self.coefs_, self.intercepts_ = split_flat(self._theta, layer_units)
        start_curves(self)
        reset_record(self)
        if hasattr(self, "_optimizer"):
            del self._optimizer

    # --------------------------------------------------------------- fitting
    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None, val=None):
        """Validate, (re)build the network and train it.

        A call that fails, for bad input or because training diverged (a
        non-finite loss, or non-finite weights at the end), leaves the
        estimator exactly as it was before: a fitted model stays usable, an
        unfitted one unfitted. Divergence is reported as a ValueError.
        """
        rollback = _Rollback(self, continuing=incremental or self.warm_start)
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                return self._fit_unguarded(
                    X, y, sample_weight, incremental, classes, val
                )
        except Exception as exc:
            rollback.restore(self)
            if not isinstance(exc, Diverged | _NonFiniteWeights):
                raise
            raise diverged_error(exc, self.learning_rate_init) from exc

    def _fit_unguarded(self, X, y, sample_weight, incremental, classes, val):
        """Prepare the data and the network, then train it."""
        net, X, Y, sample_weight = self._prepare(
            X, y, sample_weight, incremental, classes
        )
        if val is not None:
            val = validation_set(self, *val)
        stochastic = self.solver in OPTIMIZERS
        # One subtask per epoch; L-BFGS, as in LogisticRegression, one per
        # iteration plus the one scipy's last callback opens.
        epochs = 1 if incremental else self.max_iter
        max_steps = epochs if stochastic else self.max_iter + 1
        tasks = FitTasks(self, X, Y, sample_weight, max_steps)
        if stochastic:
            run = StochasticRun(self, net, X, Y, sample_weight, incremental, val, tasks)
            run.run()
        else:
            run_lbfgs(self, net, X, Y, sample_weight, tasks)
        if not ops_for(net.theta).all_finite(net.theta):
            raise _NonFiniteWeights(
                "the solver produced non-finite parameter weights; the input "
                "data may contain large values and need to be preprocessed"
            )
        tasks.end(lambda: copied_weights(self.coefs_, self.intercepts_))
        return self

    def _prepare(self, X, y, sample_weight, incremental, classes=None):
        """Validate the data; build (or reuse) the network it trains.

        Returns the network and the arrays in its dtype: ``X``, the target
        matrix ``Y`` and the sample weights (class weights folded in). ``X``
        is in the namespace the network computes in; ``Y`` and the weights
        are NumPy arrays (see :mod:`skscratch._namespace`).
        """
        hidden = hidden_sizes(self.hidden_layer_sizes)
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        ops = input_ops(X)
        y, sample_weight = to_host(y), to_host(sample_weight)
        X, Y = self._validate_input(X, y, incremental, first_pass, classes)
        sample_weight = checked_sample_weight(sample_weight, X, ops)
        sample_weight = self._weight_classes(Y, sample_weight, incremental)
        layer_units = [X.shape[1], *hidden, Y.shape[1]]
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(layer_units, X)
        else:
            current = [self.coefs_[0].shape[0], *(c.shape[1] for c in self.coefs_)]
            check_architecture(layer_units, current, incremental)
            sync_record(self)
        net = self._network()
        check_same_namespace(self, X, "partial_fit" if incremental else "fit")
        X = ops.astype(X, net.theta.dtype)
        dtype = numpy_dtype(ops, net.theta.dtype)
        Y = Y.astype(dtype)
        if sample_weight is not None:
            sample_weight = sample_weight.astype(dtype, copy=False)
        return net, X, Y, sample_weight

    def _training_problem(self, X, y, sample_weight=None):
        """Return what a training step on ``X, y`` sees, for gradient checks.

        A fitted estimator keeps its weights; an unfitted one is initialised
        as ``fit`` would initialise it.
        """
        fitted = hasattr(self, "coefs_")
        net, X, Y, sample_weight = self._prepare(
            X, y, sample_weight, incremental=fitted
        )
        Y = loss_targets(self, Y)
        return TrainingProblem(net, X, Y, sample_weight, penalty(self))

    @with_callbacks
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Fit the model to data matrix X and targets y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets (class labels in classification).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples; None gives every sample weight one.
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), \
                default=None
            A validation set, scored after every epoch (stochastic solvers):
            ``validation_scores_`` and ``validation_loss_curve_`` record it,
            and with ``early_stopping=True`` it replaces the held-out
            ``validation_fraction``. Routed like ``sample_weight`` when
            metadata routing is enabled.
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            Targets of ``X_val``; required with it.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        val = validation_arguments(X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight=sample_weight, incremental=False, val=val)

    # ------------------------------------------------------------ prediction
    def _raw_predict(self, X):
        """Output logits of the fitted network for validated ``X``."""
        return _clipped_logits(self, X)

    def _logits(self, X, method):
        """Validate ``X`` (the input of ``method``); return the output logits."""
        check_is_fitted(self, ["coefs_", "intercepts_"])
        check_same_namespace(self, X, method)
        return self._raw_predict(validated_input(self, X))

    # -------------------------------------------------------------- pickling
    def __getstate__(self):
        """Pickle each parameter array once: the flat buffer is rebuilt on demand."""
        state = super().__getstate__()
        state.pop("_theta", None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = array_api_ready(self)
        return tags

    def _more_tags(self):
        # The same tag for scikit-learn < 1.6, which reads tags from here.
        return {"array_api_support": array_api_ready(self)}
