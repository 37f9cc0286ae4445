"""Which array namespace an estimator computes in, and moving data to it.

With ``sklearn.set_config(array_api_dispatch=True)``, an ``X`` from another
array-API namespace (a PyTorch tensor, a CuPy array) is trained on and
predicted from in that namespace, on its device: the network's flat buffer,
the batches and the outputs live there. Targets and sample weights are
checked and encoded on the host, in NumPy (labels may be strings; the
encoding is a one-off), and then moved to ``X``'s device once per fit.
Without dispatch, every input is converted to NumPy, as scikit-learn does.
"""

import numpy as np
import scipy.sparse as sp
from sklearn import get_config

from skscratch._activations import is_custom
from skscratch._core.arrays import NUMPY, ops_for


def dispatching():
    """Return whether scikit-learn's array API dispatch is on."""
    return bool(get_config().get("array_api_dispatch", False))


def _foreign(array):
    """Return whether ``array`` is an array of a namespace other than NumPy."""
    if array is None or sp.issparse(array) or isinstance(array, np.ndarray):
        return False
    return hasattr(array, "__array_namespace__") or hasattr(array, "__dlpack__")


def input_ops(X):
    """Return the operations of the namespace ``X`` is computed in.

    Parameters
    ----------
    X : array-like, sparse matrix or array
        Input of a public method.

    Returns
    -------
    ops : NumpyOps or ArrayAPIOps
        ``X``'s own namespace when dispatch is on and ``X`` is not NumPy;
        NumPy otherwise.
    """
    if dispatching() and _foreign(X):
        return ops_for(X)
    return NUMPY


def float_dtypes(ops):
    """Return the float dtypes (float64 first) that input is validated to."""
    if ops.is_numpy:
        return (np.float64, np.float32)
    return (ops.xp.float64, ops.xp.float32)


def to_host(array):
    """Return ``array`` as NumPy when it is another namespace's; else unchanged."""
    return ops_for(array).to_numpy(array) if _foreign(array) else array


def numpy_dtype(ops, dtype):
    """Return the NumPy float dtype matching ``dtype`` of namespace ``ops``."""
    if ops.is_numpy:
        return np.dtype(dtype)
    return np.dtype(np.float32 if dtype == ops.xp.float32 else np.float64)


def fitted_ops(estimator):
    """Return the operations of the namespace the estimator was fitted in."""
    return ops_for(estimator.coefs_[-1])


def check_same_namespace(estimator, X, method):
    """Raise unless ``X`` is in the namespace and on the device of the fit.

    Parameters
    ----------
    estimator : estimator
        A fitted MLP.
    X : array-like
        Input of ``method``.
    method : str
        Name of the calling method, for the message.

    Raises
    ------
    ValueError
        When dispatch is on and ``X`` and the fitted weights differ in
        namespace or device.
    """
    fitted, given = fitted_ops(estimator), input_ops(X)
    if not dispatching() or (fitted.is_numpy and given.is_numpy):
        return
    W = estimator.coefs_[-1]
    if fitted is given and fitted.device(W) == given.device(X):
        return
    where = f"{getattr(fitted, 'name', 'numpy')} on {fitted.device(W)}"
    there = f"{getattr(given, 'name', 'numpy')} on {given.device(X)}"
    raise ValueError(
        f"Inputs passed to {type(estimator).__name__}.{method}() must use the "
        f"same namespace and the same device as those passed to fit(): the "
        f"model was fitted with {where}, and X is {there}."
    )


def array_api_ready(estimator):
    """Return whether every part of the model computes in any namespace.

    A user's activation is their own (often NumPy) code, and the training
    diagnostics are recorded with NumPy: either makes the model NumPy-only.
    """
    activations = estimator.activation
    if isinstance(activations, str) or is_custom(activations):
        activations = [activations]
    custom = any(is_custom(entry) for entry in activations)
    return not custom and not estimator.record_diagnostics
