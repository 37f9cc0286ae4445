"""The estimator layer shared by the classifier and the regressor.

It validates parameters and data with scikit-learn's helpers, keeps the fitted
state (``coefs_`` and ``intercepts_`` as views of one flat buffer), drives the
core's training loops, and owns everything a user sees: warnings, verbose
lines and fitted attributes.
"""

import copy
import functools
import os
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring, get_scorer_names, log_loss, make_scorer
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted
from sklearn_compat.utils.validation import validate_data
from threadpoolctl import ThreadpoolController

from skscratch._callbacks import CallbackSupportMixin, with_callbacks
from skscratch._core.activations import ACTIVATIONS
from skscratch._core.losses import evaluate_loss
from skscratch._core.network import (
    Network,
    Penalty,
    glorot_uniform,
    he_normal,
    predict_logits,
    split_flat,
)
from skscratch._core.optimizers import make_optimizer
from skscratch._core.training import (
    Diverged,
    Plateau,
    full_batch_loss,
    make_workspace,
    minimize_lbfgs,
    run_epoch,
)

STOCHASTIC_SOLVERS = ("sgd", "adam", "rmsprop", "adamw")


def _intact_views(arrays, views):
    """Return True when each array in ``arrays`` *is* the matching view's memory."""
    if len(arrays) != len(views):
        return False
    for a, v in zip(arrays, views, strict=True):
        if not isinstance(a, np.ndarray) or a.base is not v.base:
            return False
        if a.shape != v.shape or a.strides != v.strides or a.dtype != v.dtype:
            return False
        if a.__array_interface__["data"][0] != v.__array_interface__["data"][0]:
            return False
    return True


def _flatten(coefs, intercepts):
    """Copy per-layer arrays into a new flat buffer (weights first, then biases)."""
    dtype = np.result_type(*coefs, *intercepts)
    if dtype not in (np.float32, np.float64):
        dtype = np.float64
    parts = [np.asarray(a, dtype=dtype).ravel() for a in [*coefs, *intercepts]]
    return np.concatenate(parts)


@functools.cache
def _scipy_own_blas():
    """Return the BLAS libraries SciPy's wheels brought in beside NumPy's."""
    try:
        controllers = ThreadpoolController().lib_controllers
    except Exception:  # an unusual platform: then leave every pool alone
        return []
    folder = lambda lc: os.path.basename(os.path.dirname(lc.filepath))  # noqa: E731
    return [
        lc
        for lc in controllers
        if lc.user_api == "blas" and folder(lc).startswith("scipy")
    ]


@contextmanager
def single_threaded_scipy_blas():
    """Run L-BFGS with SciPy's own BLAS pool limited to one thread.

    NumPy and SciPy wheels each ship an OpenBLAS with its own thread pool.
    L-BFGS-B calls SciPy's BLAS on vectors of a few thousand parameters
    between NumPy's matrix products; two pools of spinning threads on the same
    cores then slow both down several times over (10x on digits, 2 cores). The
    vector operations gain nothing from threads, so SciPy's pool gets one
    thread for the duration; NumPy's, which does the heavy work, keeps its own.
    Where both share one BLAS library nothing is changed.
    """
    libraries = _scipy_own_blas()
    saved = [lc.get_num_threads() for lc in libraries]
    for lc in libraries:
        lc.set_num_threads(1)
    try:
        yield
    finally:
        for lc, n in zip(libraries, saved, strict=True):
            lc.set_num_threads(n)


@dataclass
class ValidationSet:
    """Held-out data scored after every epoch.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Inputs.
    y : ndarray
        Targets as the user gave them (labels, for scorers).
    Y : ndarray of shape (n_samples, n_outputs)
        Targets as the network sees them (for the loss).
    sample_weight : ndarray of shape (n_samples,) or None
        Weights of the samples.
    scorer : callable or None
        The ``scoring`` scorer; None scores with the estimator's own metric.
    """

    X: object
    y: np.ndarray
    Y: np.ndarray
    sample_weight: np.ndarray = None
    scorer: object = None

    def astype(self, dtype):
        """Return the set with inputs, targets and weights in ``dtype``."""
        sw = self.sample_weight
        return ValidationSet(
            self.X.astype(dtype, copy=False),
            self.y,
            self.Y.astype(dtype),
            None if sw is None else sw.astype(dtype, copy=False),
        )


def stochastic_solver(estimator):
    """Make ``partial_fit`` exist only for the stochastic solvers, as in sklearn."""
    if estimator.solver not in STOCHASTIC_SOLVERS:
        raise AttributeError(
            "partial_fit is only available for stochastic optimizers. "
            f"{estimator.solver} is not stochastic."
        )
    return True


#: Attributes that scikit-learn's callback machinery keeps on an estimator:
#: shared by reference, never copied, and kept when a failed call is undone.
_CALLBACK_STATE = (
    "_skl_callbacks",
    "_skl_callbacks_to_teardown",
    "_callback_fit_ctx",
    "_parent_callback_ctx",
)


class BaseScratchMLP(CallbackSupportMixin, BaseEstimator):
    """Parameters, validation and training plumbing of the scratch MLPs.

    Not meant to be used directly: use :class:`~skscratch.ScratchMLPClassifier`.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS)), list, tuple],
        "solver": [StrOptions({"lbfgs", *STOCHASTIC_SOLVERS})],
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
    }

    # ------------------------------------------------------------------ helpers
    def _hidden_sizes(self):
        """Return ``hidden_layer_sizes`` as a list of positive ints."""
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if not all(isinstance(s, Integral) and not isinstance(s, bool) for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must hold whole numbers, one per hidden layer, "
                f"got {sizes}."
            )
        if any(s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _hidden_activations(self, n_hidden=None):
        """Activation name of every hidden layer (one name, or one per layer)."""
        if n_hidden is None:
            n_hidden = len(self.coefs_) - 1
        if isinstance(self.activation, str):
            return (self.activation,) * n_hidden
        names = tuple(self.activation)
        unknown = [name for name in names if name not in ACTIVATIONS]
        if unknown or len(names) != n_hidden:
            raise ValueError(
                "activation must be one of "
                f"{sorted(ACTIVATIONS)} or a list with one of them per hidden "
                f"layer ({n_hidden}); got {self.activation!r}."
            )
        return names

    def _dropout_rates(self, n_hidden):
        """Dropout rate of every hidden layer (one rate, or one per layer)."""
        if np.ndim(self.dropout) == 0:
            return (float(self.dropout),) * n_hidden
        rates = tuple(float(rate) for rate in self.dropout)
        if len(rates) != n_hidden or not all(0 <= rate < 1 for rate in rates):
            raise ValueError(
                "dropout must be a rate in [0, 1) or a list with one such rate "
                f"per hidden layer ({n_hidden}); got {self.dropout!r}."
            )
        return rates

    def _penalty(self):
        """Penalty in the loss; AdamW applies ``alpha`` as weight decay instead."""
        alpha = 0.0 if self.solver == "adamw" else self.alpha
        return Penalty(alpha, self.l1_ratio)

    def _network(self):
        """Return the fitted network, bound to the flat buffer.

        ``coefs_`` and ``intercepts_`` are the public truth: when a user has
        replaced them (or they were unpickled), a new flat buffer is built
        from their values and they become views of it again.
        """
        units = (self.coefs_[0].shape[0], *(c.shape[1] for c in self.coefs_))
        n_hidden = len(units) - 2
        layers = (self._hidden_activations(n_hidden), self._output)
        dropout = self._dropout_rates(n_hidden)
        theta = getattr(self, "_theta", None)
        if theta is not None:
            net = Network(units, *layers, theta, dropout)
            if _intact_views(self.coefs_, net.coefs) and _intact_views(
                self.intercepts_, net.intercepts
            ):
                return net
        self._check_parameter_shapes(units)
        self._theta = _flatten(self.coefs_, self.intercepts_)
        net = Network(units, *layers, self._theta, dropout)
        self.coefs_, self.intercepts_ = net.coefs, net.intercepts
        return net

    def _check_parameter_shapes(self, units):
        """Raise a clear error when assigned weights do not chain together."""
        for l, (W, b) in enumerate(zip(self.coefs_, self.intercepts_, strict=False)):
            W, b = np.asarray(W), np.asarray(b)
            if W.shape != (units[l], units[l + 1]) or b.shape != (units[l + 1],):
                raise ValueError(
                    f"coefs_[{l}] has shape {W.shape} and intercepts_[{l}] has "
                    f"shape {b.shape}; expected {(units[l], units[l + 1])} and "
                    f"{(units[l + 1],)}."
                )

    def _initialize(self, layer_units, dtype):
        """Set up a new network and reset the fitted state."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_layers_ = len(layer_units)
        self.n_outputs_ = layer_units[-1]
        self.out_activation_ = self._output
        hidden = self._hidden_activations(len(layer_units) - 2)
        if self.init == "he":
            self._theta = he_normal(layer_units, self._random_state, dtype)
        else:
            # One name per weight matrix; the output layer takes the last
            # hidden layer's (scikit-learn uses its single activation for all).
            names = [*hidden, hidden[-1] if hidden else self.activation]
            if isinstance(self.activation, str):
                names = [self.activation] * (len(layer_units) - 1)
            self._theta = glorot_uniform(layer_units, names, self._random_state, dtype)
        self.coefs_, self.intercepts_ = split_flat(self._theta, layer_units)
        self.loss_curve_ = []
        self._no_improvement_count = 0
        early_stopping = self.early_stopping and self.solver in STOCHASTIC_SOLVERS
        self.validation_loss_curve_ = None
        self.best_loss_ = None if early_stopping else np.inf
        self.validation_scores_ = [] if early_stopping else None
        self.best_validation_score_ = -np.inf if early_stopping else None
        if hasattr(self, "_optimizer"):
            del self._optimizer

    def _sync_stopping_state(self):
        """Reset the stopping record when a warm start switches early stopping."""
        early = self.early_stopping and self.solver in STOCHASTIC_SOLVERS
        if early and self.best_loss_ is not None:
            self.best_loss_, self.validation_scores_ = None, []
            self.best_validation_score_ = -np.inf
            self._no_improvement_count = 0
        elif not early and self.best_loss_ is None:
            self.best_loss_, self.validation_scores_ = np.inf, None
            self.best_validation_score_ = None
            self._no_improvement_count = 0

    def _check_architecture(self, layer_units, incremental):
        """Refuse to continue training a network of another shape."""
        current = [self.coefs_[0].shape[0], *(c.shape[1] for c in self.coefs_)]
        if list(layer_units) != current:
            call = "partial_fit" if incremental else "fit with warm_start=True"
            raise ValueError(
                f"{call} cannot continue training: the network has layer sizes "
                f"{current}, but the parameters and data ask for {list(layer_units)}. "
                "Set warm_start=False (or clone the estimator) to train a new one."
            )

    def _batch_size(self, n_samples):
        """Return the mini-batch size, clipped to the number of samples."""
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped",
                stacklevel=6,
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _validate_sample_weight(self, sample_weight, X):
        """Check sample weights: right length, finite, non-negative, not all zero."""
        if sample_weight is None:
            return None
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        if (sample_weight < 0).any():
            raise ValueError("Negative values in data passed to `sample_weight`.")
        if not sample_weight.sum() > 0:
            raise ValueError(
                "Sample weights must contain at least one non-zero number."
            )
        return sample_weight

    # -------------------------------------------------------------- fitting
    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None, val=None):
        """Validate, (re)build the network and train it.

        A call that fails, for bad input or because training diverged (a
        non-finite loss, or non-finite weights at the end), leaves the
        estimator exactly as it was before: a fitted model stays usable, an
        unfitted one unfitted. Divergence is reported as a ValueError.
        """
        shared = set(self.get_params(deep=False)) | set(_CALLBACK_STATE)
        before = {
            key: value if key in shared else copy.deepcopy(value)
            for key, value in self.__dict__.items()
        }
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                return self._fit_unguarded(
                    X, y, sample_weight, incremental, classes, val
                )
        except Exception as exc:
            callbacks = {k: v for k, v in vars(self).items() if k in _CALLBACK_STATE}
            self.__dict__.clear()
            self.__dict__.update(before)
            self.__dict__.update(callbacks)  # their teardown still has to run
            if not isinstance(exc, Diverged | _NonFiniteWeights):
                raise
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data "
                "may contain large values and need to be preprocessed. Training "
                f"diverged ({exc}); the estimator is left as it was before this "
                f"call. Lower learning_rate_init (it is {self.learning_rate_init})"
                ", or scale the input data, e.g. with StandardScaler."
            ) from exc

    def _fit_unguarded(self, X, y, sample_weight, incremental, classes, val):
        """Prepare the data and the network, then train it."""
        net, X, Y, sample_weight = self._prepare(
            X, y, sample_weight, incremental, classes
        )
        if val is not None:
            val = self._validate_validation_set(*val)
        stochastic = self.solver in STOCHASTIC_SOLVERS
        # One subtask per epoch; L-BFGS, as in LogisticRegression, one per
        # iteration plus the one scipy's last callback opens.
        epochs = 1 if incremental else self.max_iter
        ctx = self._init_callback_context(
            max_subtasks=epochs if stochastic else self.max_iter + 1
        )
        task = {"X": X, "y": lambda: self._targets_to_y(Y)}
        if sample_weight is not None:
            task["metadata"] = {"sample_weight": sample_weight}
        ctx.call_on_fit_task_begin(estimator=self, **task)
        if stochastic:
            self._fit_stochastic(net, X, Y, sample_weight, incremental, val, task)
        else:
            self._fit_lbfgs(net, X, Y, sample_weight, task)
        if not np.isfinite(net.theta).all():
            raise _NonFiniteWeights(
                "the solver produced non-finite parameter weights; the input "
                "data may contain large values and need to be preprocessed"
            )
        ctx.call_on_fit_task_end(
            estimator=self, reconstruction_attributes=self._weights_now, **task
        )
        return self

    def _weights_now(self):
        """Return copies of the current weights, for a callback's estimator."""
        return {
            "coefs_": [W.copy() for W in self.coefs_],
            "intercepts_": [b.copy() for b in self.intercepts_],
        }

    def _prepare(self, X, y, sample_weight, incremental, classes=None):
        """Validate the data; build (or reuse) the network it trains.

        Returns the network and the arrays in its dtype: ``X``, the target
        matrix ``Y`` and the sample weights (class weights folded in).
        """
        hidden = self._hidden_sizes()
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, Y = self._validate_input(X, y, incremental, first_pass, classes)
        sample_weight = self._validate_sample_weight(sample_weight, X)
        sample_weight = self._weight_classes(Y, sample_weight, incremental)
        layer_units = [X.shape[1], *hidden, Y.shape[1]]
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(layer_units, X.dtype)
        else:
            self._check_architecture(layer_units, incremental)
            self._sync_stopping_state()
        net = self._network()
        dtype = net.theta.dtype
        X = X.astype(dtype, copy=False)
        Y = Y.astype(dtype)
        if sample_weight is not None:
            sample_weight = sample_weight.astype(dtype, copy=False)
        return net, X, Y, sample_weight

    def _training_arrays(self, X, y, sample_weight):
        """Return the arrays a training step sees (for :func:`check_gradients`).

        A fitted estimator keeps its weights; an unfitted one is initialised
        as ``fit`` would initialise it.
        """
        fitted = hasattr(self, "coefs_")
        _, X, Y, sample_weight = self._prepare(X, y, sample_weight, incremental=fitted)
        return X, Y, sample_weight

    def _fit_lbfgs(self, net, X, Y, sample_weight, task):
        """Train on the full batch with L-BFGS, recording the loss per iteration."""
        if net.has_dropout:
            raise ValueError(
                "dropout needs a stochastic solver: with solver='lbfgs' the loss "
                "must be a deterministic function of the weights. Use "
                "solver='adam' (or 'sgd', 'rmsprop', 'adamw'), or dropout=0."
            )
        self.loss_curve_ = []
        last = {"x": net.theta.astype(np.float64)}
        ctx = self._callback_fit_ctx
        step = {"ctx": ctx.subcontext(task_name="lbfgs-iter")}
        step["ctx"].call_on_fit_task_begin(estimator=self, **task)

        def record(intermediate_result):
            last["x"] = intermediate_result.x.copy()
            self.loss_curve_.append(float(intermediate_result.fun))
            step["ctx"].call_on_fit_task_end(
                estimator=self,
                reconstruction_attributes=lambda: _weights_of(net, last["x"]),
                **task,
            )
            step["ctx"] = ctx.subcontext(task_name="lbfgs-iter")
            step["ctx"].call_on_fit_task_begin(estimator=self, **task)
            if self.verbose:
                print(
                    f"Iteration {len(self.loss_curve_)}, "
                    f"loss = {self.loss_curve_[-1]:.8f}"
                )

        try:
            with single_threaded_scipy_blas():
                result = minimize_lbfgs(
                    net,
                    X,
                    Y,
                    sample_weight,
                    self._penalty(),
                    self.max_iter,
                    self.max_fun,
                    self.tol,
                    callback=record,
                )
        except KeyboardInterrupt:
            # Keep the last completed iteration, not a line-search trial point.
            step["ctx"].call_on_fit_task_end(estimator=self)
            np.copyto(net.theta, last["x"], casting="same_kind")
            self.n_iter_ = len(self.loss_curve_)
            self.loss_ = (
                self.loss_curve_[-1]
                if self.loss_curve_
                else full_batch_loss(net, X, Y, sample_weight, self._penalty())
            )
            self.best_loss_ = min([self.loss_, *self.loss_curve_])
            warnings.warn("Training interrupted by user.", stacklevel=5)
            return
        step["ctx"].call_on_fit_task_end(estimator=self)  # the unused last one
        self.n_iter_ = min(result.nit, self.max_iter)
        self.loss_ = float(result.fun)
        self.best_loss_ = min([self.loss_, *self.loss_curve_])
        if result.status != 0:
            _warn_lbfgs(result, self.n_iter_, self.max_iter)

    def _split_validation(self, X, Y, sample_weight, val):
        """Return the training data and the validation set, if there is one.

        A validation set given to ``fit`` (``X_val``, ``y_val``) is used as it
        is; otherwise early stopping holds out ``validation_fraction`` of the
        training data (stratified for single-output classification).
        """
        if val is not None or not self.early_stopping:
            return X, Y, sample_weight, val
        # scikit-learn stratifies on the binarized labels as booleans: the
        # same array gives the same split, and the same error for a class
        # too small to split.
        single = self.n_outputs_ == 1 and self._is_classifier()
        stratify = Y.astype(bool) if single else None
        arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
        parts = train_test_split(
            *arrays,
            random_state=self._random_state,
            test_size=self.validation_fraction,
            stratify=stratify,
        )
        X_tr, X_val, Y_tr, Y_val = parts[:4]
        sw_tr, sw_val = (
            (parts[4], parts[5]) if sample_weight is not None else (None,) * 2
        )
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        val = ValidationSet(X_val, self._targets_to_y(Y_val), Y_val, sw_val)
        return X_tr, Y_tr, sw_tr, val

    def _validate_validation_set(self, X_val, y_val, sample_weight_val):
        """Check a user's validation set like training data; encode its targets."""
        if self.solver not in STOCHASTIC_SOLVERS:
            raise ValueError(
                "X_val and y_val are used between epochs, by the stochastic "
                f"solvers only; solver={self.solver!r} has no epochs."
            )
        X_val, Y_val = self._validate_input(X_val, y_val, True, False, None)
        sample_weight_val = self._validate_sample_weight(sample_weight_val, X_val)
        sample_weight_val = self._weight_classes(Y_val, sample_weight_val, True)
        return ValidationSet(X_val, self._targets_to_y(Y_val), Y_val, sample_weight_val)

    def _weight_classes(self, Y, sample_weight, reuse):
        """Fold class weights into the sample weights (classifiers only)."""
        return sample_weight

    def _fit_stochastic(self, net, X, Y, sample_weight, incremental, val, task):
        """Train with a stochastic solver, epoch by epoch."""
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        optimizer = getattr(self, "_optimizer", None)
        if (
            not incremental
            or optimizer is None
            or getattr(self, "_optimizer_solver", None) != self.solver
            or optimizer_size(optimizer) != net.theta.size
        ):
            self._optimizer = make_optimizer(
                self.solver,
                net.theta.size,
                net.theta.dtype,
                self.get_params(),
                net.n_coef,
            )
            self._optimizer_solver = self.solver
        X, Y, sample_weight, val = self._split_validation(X, Y, sample_weight, val)
        if val is not None:
            val = val.astype(net.theta.dtype)
            val.scorer = self._make_scorer()
            if self.validation_scores_ is None:
                self.validation_scores_ = []
            self.validation_loss_curve_ = []
        n_samples = X.shape[0]
        batch_size = self._batch_size(n_samples)
        rng = None
        if net.has_dropout:
            rng = np.random.default_rng(
                self._random_state.randint(np.iinfo(np.int32).max)
            )
        ws = make_workspace(net, X, batch_size, self.shuffle, rng)
        order = np.arange(n_samples)
        epoch_start = net.theta.copy()
        best_theta = net.theta.copy() if self.early_stopping else None
        penalty = self._penalty()
        self.n_iter_ = 0
        try:
            for _ in range(self.max_iter):
                np.copyto(epoch_start, net.theta)
                epoch = self._callback_fit_ctx.subcontext(task_name="epoch")
                epoch.call_on_fit_task_begin(estimator=self, **task)
                started = time.perf_counter()
                if self.shuffle:
                    order = order[self._random_state.permutation(n_samples)]
                loss = run_epoch(
                    net,
                    self._optimizer,
                    X,
                    Y,
                    sample_weight,
                    penalty,
                    batch_size,
                    order if self.shuffle else None,
                    ws,
                    self.max_grad_norm,
                )
                stop = self._end_epoch(net, loss, n_samples, val, best_theta)
                self._print_epoch_details(val, time.perf_counter() - started)
                stop |= epoch.call_on_fit_task_end(
                    estimator=self, reconstruction_attributes=self._weights_now, **task
                )
                if stop:
                    break
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                        "reached and the optimization hasn't converged yet.",
                        ConvergenceWarning,
                        stacklevel=5,
                    )
        except KeyboardInterrupt:
            np.copyto(net.theta, epoch_start)
            warnings.warn("Training interrupted by user.", stacklevel=5)
        if self.early_stopping:
            np.copyto(net.theta, best_theta)

    def _end_epoch(self, net, loss, n_samples, val, best_theta):
        """Record an epoch, update the stopping criterion; return True to stop."""
        self.n_iter_ += 1
        self.t_ += n_samples
        self.loss_ = loss
        self.loss_curve_.append(loss)
        if self.verbose:
            print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
        if val is not None:
            self._record_validation(net, val)
        count = self._no_improvement_count
        if self.early_stopping:
            plateau = Plateau(self.tol, True, self.best_validation_score_, count)
            if plateau.update(self.validation_scores_[-1]):
                np.copyto(best_theta, net.theta)
            self.best_validation_score_ = plateau.best_value
            what = "Validation score"
        else:
            plateau = Plateau(self.tol, False, self.best_loss_, count)
            plateau.update(loss)
            self.best_loss_ = plateau.best_value
            what = "Training loss"
        self._no_improvement_count = plateau.count
        self._optimizer.end_epoch(self.t_)
        if self._no_improvement_count <= self.n_iter_no_change:
            return False
        msg = (
            f"{what} did not improve more than tol={self.tol:f} for "
            f"{self.n_iter_no_change} consecutive epochs."
        )
        if self._optimizer.on_plateau():
            if self.verbose:
                print(
                    f"{msg} Setting learning rate to {self._optimizer.learning_rate:f}"
                )
            self._no_improvement_count = 0
            return False
        if self.verbose:
            stop = (
                " Learning rate too small."
                if self.solver == "sgd" and self.learning_rate == "adaptive"
                else ""
            )
            print(f"{msg}{stop} Stopping.")
        return True

    def _print_epoch_details(self, val, seconds):
        """With ``verbose >= 2``, print the learning rate, epoch time, validation."""
        if not isinstance(self.verbose, bool) and self.verbose >= 2:
            line = (
                f"  learning rate = {self._optimizer.learning_rate:.6g}, "
                f"epoch time = {seconds:.3f} s"
            )
            if val is not None:
                line += (
                    f", validation loss = {self.validation_loss_curve_[-1]:.8f}"
                    f", validation score = {self.validation_scores_[-1]:.6f}"
                )
            print(line)

    def _make_scorer(self):
        """Build the ``scoring`` scorer once per fit (None: use ``score``)."""
        if self.scoring is None:
            return None
        if self.scoring == "neg_log_loss" and self._is_classifier():
            # Name every class, so that a validation set missing one scores.
            return make_scorer(
                log_loss,
                greater_is_better=False,
                response_method="predict_proba",
                labels=self.classes_,
            )
        return check_scoring(self, scoring=self.scoring)

    def _record_validation(self, net, val):
        """Append this epoch's validation score and loss to their curves."""
        logits = self._raw_predict(val.X)
        if not np.isfinite(logits).all():
            score, loss = np.nan, np.nan
        else:
            loss = evaluate_loss(net.output, logits.copy(), val.Y, val.sample_weight)
            if self.scoring is None:
                score = float(self._score_raw(logits, val.y, val.sample_weight))
            else:
                kwargs = {}
                if val.sample_weight is not None:
                    kwargs["sample_weight"] = val.sample_weight
                score = float(val.scorer(self, val.X, val.y, **kwargs))
        self.validation_scores_.append(score)
        self.validation_loss_curve_.append(loss)
        if self.verbose:
            print(f"Validation score: {score:f}")

    def _raw_predict(self, X):
        """Output logits of the fitted network for validated ``X``.

        Logits beyond the float range (huge inputs or weights) are clipped to
        a quarter of it, so that the output layer still gives probabilities.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            Z = predict_logits(
                self.coefs_, self.intercepts_, self._hidden_activations(), X
            )
        limit = np.finfo(Z.dtype).max / 4
        return np.clip(Z, -limit, limit, out=Z)

    def _logits(self, X):
        """Validate ``X`` against the fit and return the output logits."""
        self._check_fitted()
        # The finiteness check sums X: float32 data near its largest value
        # overflows there, harmlessly, since each value is then checked.
        with np.errstate(over="ignore", invalid="ignore"):
            X = validate_data(
                self,
                X,
                accept_sparse=["csr", "csc"],
                dtype=(np.float64, np.float32),
                reset=False,
            )
        return self._raw_predict(X)

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
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together.")
        if X_val is None and sample_weight_val is not None:
            raise ValueError("sample_weight_val needs X_val and y_val.")
        val = None if X_val is None else (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight=sample_weight, incremental=False, val=val)

    def _check_fitted(self):
        """Raise NotFittedError before the first fit."""
        check_is_fitted(self, ["coefs_", "intercepts_"])

    def __getstate__(self):
        """Pickle each parameter array once: the flat buffer is rebuilt on demand."""
        state = super().__getstate__()
        state.pop("_theta", None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class _NonFiniteWeights(ArithmeticError):
    """Raised when training ends with weights that are not all finite."""


def _weights_of(net, x):
    """Return per-layer copies of the weights in a flat vector (L-BFGS iterates)."""
    theta = np.array(x, dtype=net.theta.dtype)
    coefs, intercepts = split_flat(theta, net.layer_units)
    return {"coefs_": coefs, "intercepts_": intercepts}


def optimizer_size(optimizer):
    """Return the number of parameters an optimizer's state is sized for."""
    return optimizer._scratch.size


def _warn_lbfgs(result, n_iter, max_iter):
    """Warn, as scikit-learn does, that L-BFGS stopped before converging."""
    message = result.message
    if isinstance(message, bytes):
        message = message.decode("latin1")
    msg = (
        f"lbfgs failed to converge after {n_iter} iteration(s) "
        f"(status={result.status}):\n{message}\n"
    )
    if n_iter == max_iter:
        msg += (
            "\nIncrease the number of iterations to improve the "
            f"convergence (max_iter={max_iter})."
        )
    msg += (
        "\nYou might also want to scale the data as shown in:\n"
        "    https://scikit-learn.org/stable/modules/preprocessing.html"
    )
    warnings.warn(msg, ConvergenceWarning, stacklevel=6)
