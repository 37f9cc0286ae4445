"""Checks of parameters and data, as module functions the estimators call."""

from dataclasses import dataclass
from numbers import Integral

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import _check_sample_weight
from sklearn_compat.utils.validation import validate_data

from skscratch._activations import checked_custom, is_custom
from skscratch._core.activations import ACTIVATIONS
from skscratch._core.arrays import NUMPY, ops_for
from skscratch._core.optimizers import OPTIMIZERS
from skscratch._namespace import float_dtypes, input_ops, numpy_dtype, to_host
from skscratch._reporting import warn


def stochastic_solver(estimator):
    """Make ``partial_fit`` exist only for the stochastic solvers, as in sklearn."""
    if estimator.solver not in OPTIMIZERS:
        raise AttributeError(
            "partial_fit is only available for stochastic optimizers. "
            f"{estimator.solver} is not stochastic."
        )
    return True


def hidden_sizes(sizes):
    """Return ``hidden_layer_sizes`` as a list of positive ints."""
    sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
    if not all(isinstance(s, Integral) and not isinstance(s, bool) for s in sizes):
        raise ValueError(
            "hidden_layer_sizes must hold whole numbers, one per hidden layer, "
            f"got {sizes}."
        )
    if any(s <= 0 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
    return [int(s) for s in sizes]


def per_layer(value, n_hidden):
    """Return a per-layer setting as a tuple: one value repeated, or a list's items.

    A list, tuple or array gives one item per hidden layer; anything else
    (a name, a number) is the setting of every hidden layer. The caller
    checks the items and that there are ``n_hidden`` of them.

    Parameters
    ----------
    value : object
        The parameter, e.g. ``activation`` or ``dropout``.
    n_hidden : int
        Number of hidden layers.

    Returns
    -------
    items : tuple
    """
    if isinstance(value, list | tuple) or (
        isinstance(value, np.ndarray) and value.ndim > 0
    ):
        return tuple(value)
    return (value,) * n_hidden


def hidden_activations(activation, n_hidden):
    """Activation of every hidden layer (one for all, or one per layer).

    Names stay names; a custom activation is checked (see
    :mod:`skscratch._activations`) and becomes the core's in-place pair.
    """
    if is_custom(activation):
        return (checked_custom(activation),) * n_hidden
    entries = per_layer(activation, n_hidden)
    if len(entries) != n_hidden or not all(
        is_custom(entry) or (isinstance(entry, str) and entry in ACTIVATIONS)
        for entry in entries
    ):
        raise ValueError(
            "activation must be one of "
            f"{sorted(ACTIVATIONS)}, a custom activation (a pair of callables "
            "(f, f_prime) or an object with methods forward and derivative), or "
            f"a list with one of them per hidden layer ({n_hidden}); got "
            f"{activation!r}."
        )
    return tuple(
        checked_custom(entry, f"[{i}]") if is_custom(entry) else entry
        for i, entry in enumerate(entries)
    )


def dropout_rates(dropout, n_hidden):
    """Dropout rate of every hidden layer (one rate, or one per layer)."""
    rates = tuple(float(rate) for rate in per_layer(dropout, n_hidden))
    if len(rates) != n_hidden or not all(0 <= rate < 1 for rate in rates):
        raise ValueError(
            "dropout must be a rate in [0, 1) or a list with one such rate "
            f"per hidden layer ({n_hidden}); got {dropout!r}."
        )
    return rates


def check_architecture(layer_units, current, incremental):
    """Refuse to continue training a network of another shape."""
    if list(layer_units) != list(current):
        call = "partial_fit" if incremental else "fit with warm_start=True"
        raise ValueError(
            f"{call} cannot continue training: the network has layer sizes "
            f"{list(current)}, but the parameters and data ask for "
            f"{list(layer_units)}. Set warm_start=False (or clone the estimator) "
            "to train a new one."
        )


def check_parameter_shapes(coefs, intercepts, units):
    """Raise a clear error when assigned weights do not chain together."""
    for l, (W, b) in enumerate(zip(coefs, intercepts, strict=False)):
        W, b = np.asarray(W), np.asarray(b)
        if W.shape != (units[l], units[l + 1]) or b.shape != (units[l + 1],):
            raise ValueError(
                f"coefs_[{l}] has shape {W.shape} and intercepts_[{l}] has "
                f"shape {b.shape}; expected {(units[l], units[l + 1])} and "
                f"{(units[l + 1],)}."
            )


def batch_size(batch_size, n_samples):
    """Return the mini-batch size, clipped to the number of samples."""
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size > n_samples:
        warn(
            "Got `batch_size` less than 1 or larger than "
            "sample size. It is going to be clipped"
        )
    return int(np.clip(batch_size, 1, n_samples))


def validated_input(estimator, X):
    """Validate ``X`` for prediction by a fitted estimator.

    The finiteness check sums ``X``: float32 data near the largest float32
    overflows there, harmlessly, since each value is then checked; the
    overflow warnings are silenced.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return validate_data(
            estimator,
            X,
            accept_sparse=["csr", "csc"],
            dtype=float_dtypes(input_ops(X)),
            reset=False,
        )


def checked_sample_weight(sample_weight, X, ops=NUMPY):
    """Check sample weights: right length, finite, non-negative, not all zero.

    The weights are checked, and returned, as NumPy arrays in the float
    dtype of ``X`` (whose namespace's operations are ``ops``).
    """
    if sample_weight is None:
        return None
    if not ops.is_numpy:  # checked on the host, against a stand-in of X
        X = np.empty((X.shape[0], 0), numpy_dtype(ops, X.dtype))
    # scikit-learn's own checks, in its words, the same on every release
    # (its negativity keyword changed name in 1.6)
    sample_weight = _check_sample_weight(to_host(sample_weight), X, dtype=X.dtype)
    if (sample_weight < 0).any():
        raise ValueError("Negative values in data passed to `sample_weight`.")
    if not sample_weight.sum() > 0:
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sample_weight


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
        """Return the set with inputs, targets and weights in ``dtype``.

        ``dtype`` is the network's: the inputs take it in their namespace,
        the (NumPy) targets and weights its NumPy counterpart.
        """
        sw, ops = self.sample_weight, input_ops(self.X)
        host = numpy_dtype(ops, dtype)
        return ValidationSet(
            ops.astype(self.X, dtype),
            self.y,
            self.Y.astype(host),
            None if sw is None else sw.astype(host, copy=False),
        )


def validation_arguments(X_val, y_val, sample_weight_val):
    """Check that a validation set comes whole; return it as a tuple or None."""
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val must be given together.")
    if X_val is None and sample_weight_val is not None:
        raise ValueError("sample_weight_val needs X_val and y_val.")
    return None if X_val is None else (X_val, y_val, sample_weight_val)


def validation_set(estimator, X_val, y_val, sample_weight_val):
    """Check a user's validation set like training data; encode its targets."""
    if estimator.solver not in OPTIMIZERS:
        raise ValueError(
            "X_val and y_val are used between epochs, by the stochastic "
            f"solvers only; solver={estimator.solver!r} has no epochs."
        )
    ops = input_ops(X_val)
    y_val, sample_weight_val = to_host(y_val), to_host(sample_weight_val)
    X_val, Y_val = estimator._validate_input(X_val, y_val, True, False, None)
    sample_weight_val = checked_sample_weight(sample_weight_val, X_val, ops)
    sample_weight_val = estimator._weight_classes(Y_val, sample_weight_val, True)
    y_val = estimator._targets_to_y(Y_val)
    return ValidationSet(X_val, y_val, Y_val, sample_weight_val)


def _rows(X, indices):
    """Return the rows ``indices`` (NumPy integers) of ``X``, in its namespace."""
    ops = ops_for(X)
    if ops.is_numpy:
        return X[indices]
    return ops.take(X, ops.from_numpy(indices, X), axis=0)


def split_validation(estimator, X, Y, sample_weight, val):
    """Return the training data and the validation set, if there is one.

    A validation set given to ``fit`` (``X_val``, ``y_val``) is used as it
    is; otherwise early stopping holds out ``validation_fraction`` of the
    training data (stratified for single-output classification).
    """
    if val is not None or not estimator.early_stopping:
        return X, Y, sample_weight, val
    single = estimator.n_outputs_ == 1 and estimator._is_classifier()
    # The split is drawn as indices (the same draw as splitting the arrays
    # themselves), which then select rows in each array's own namespace.
    train, test = train_test_split(
        np.arange(X.shape[0]),
        random_state=estimator._random_state,
        test_size=estimator.validation_fraction,
        # scikit-learn stratifies on the binarized labels as booleans: the
        # same array gives the same split, and the same error for a class
        # too small to split
        stratify=Y.astype(bool) if single else None,
    )
    X_tr, X_val = _rows(X, train), _rows(X, test)
    Y_tr, Y_val = Y[train], Y[test]
    sw_tr, sw_val = (None, None)
    if sample_weight is not None:
        sw_tr, sw_val = sample_weight[train], sample_weight[test]
    if X_val.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    val = ValidationSet(X_val, estimator._targets_to_y(Y_val), Y_val, sw_val)
    return X_tr, Y_tr, sw_tr, val
