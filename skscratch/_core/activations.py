r"""Hidden-layer activation functions and their derivatives, all computed in place.

Every activation :math:`f` comes as a pair of functions that never allocate:

* ``forward(Z)`` overwrites the pre-activations :math:`Z = A_{prev} W + b` of a
  layer with :math:`A = f(Z)`;
* ``backward(A, delta, work)`` multiplies the back-propagated error
  :math:`\delta = \partial L / \partial A` by :math:`f'(Z)` in place, so that
  it becomes :math:`\partial L / \partial Z`. The derivative is written from the
  layer's *output* :math:`A` (which the forward pass kept), so :math:`Z` is never
  stored. ``work`` is a scratch array of the same shape as ``A``.
"""

import functools

import numpy as np
from scipy.special import expit


@functools.cache
def _zero_row(width, dtype):
    """Return a read-only row of zeros (cached; shared by every call)."""
    row = np.zeros(width, dtype=dtype)
    row.flags.writeable = False
    return row


def identity(Z):
    """Apply :math:`f(z) = z`: nothing to do.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        Pre-activations, left unchanged.
    """


def identity_backward(A, delta, work):
    """Apply :math:`f'(z) = 1`: the error passes through unchanged.

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_units)
        Output of the layer (unused).
    delta : ndarray of shape (n_samples, n_units)
        Back-propagated error, left unchanged.
    work : ndarray of shape (n_samples, n_units)
        Scratch space (unused).
    """


def logistic(Z):
    r"""Apply the logistic sigmoid in place.

    .. math:: f(z) = \frac{1}{1 + e^{-z}}

    ``scipy.special.expit`` is exact and never overflows, whatever the size
    of :math:`z`.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        Pre-activations, overwritten by the activations.
    """
    expit(Z, out=Z)


def logistic_backward(A, delta, work):
    r"""Multiply ``delta`` by the sigmoid's derivative, in place.

    .. math:: f'(z) = f(z)\,(1 - f(z)) = A (1 - A)

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_units)
        Output of the layer, :math:`A = f(Z)`.
    delta : ndarray of shape (n_samples, n_units)
        Back-propagated error, overwritten.
    work : ndarray of shape (n_samples, n_units)
        Scratch space.
    """
    np.subtract(1, A, out=work)
    work *= A
    delta *= work


def tanh(Z):
    r"""Apply the hyperbolic tangent in place.

    .. math:: f(z) = \tanh z

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        Pre-activations, overwritten by the activations.
    """
    np.tanh(Z, out=Z)


def tanh_backward(A, delta, work):
    r"""Multiply ``delta`` by the derivative of tanh, in place.

    .. math:: f'(z) = 1 - \tanh^2 z = 1 - A^2

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_units)
        Output of the layer, :math:`A = f(Z)`.
    delta : ndarray of shape (n_samples, n_units)
        Back-propagated error, overwritten.
    work : ndarray of shape (n_samples, n_units)
        Scratch space.
    """
    np.square(A, out=work)
    np.subtract(1, work, out=work)
    delta *= work


def relu(Z):
    r"""Apply the rectified linear unit in place.

    .. math:: f(z) = \max(0, z)

    The zero is a row broadcast over ``Z``: NumPy's vectorised loop for two
    arrays is about twice as fast as its loop for an array and a scalar.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        Pre-activations, overwritten by the activations.
    """
    np.maximum(Z, _zero_row(Z.shape[1], Z.dtype), out=Z)


def relu_backward(A, delta, work):
    r"""Multiply ``delta`` by the ReLU's derivative, in place.

    .. math:: f'(z) = [z > 0] = [A > 0]

    The 0/1 indicator is written straight into the float scratch array
    ``work`` (no boolean temporary), then multiplies ``delta``.

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_units)
        Output of the layer, :math:`A = f(Z)`.
    delta : ndarray of shape (n_samples, n_units)
        Back-propagated error, overwritten.
    work : ndarray of shape (n_samples, n_units)
        Scratch space.
    """
    np.greater(A, 0, out=work)
    delta *= work


#: name -> (forward, backward); the estimator validates names against these keys.
ACTIVATIONS = {
    "identity": (identity, identity_backward),
    "logistic": (logistic, logistic_backward),
    "tanh": (tanh, tanh_backward),
    "relu": (relu, relu_backward),
}
