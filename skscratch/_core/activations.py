r"""Hidden-layer activation functions and their derivatives, all computed in place.

Every activation :math:`f` comes as a pair of functions that never allocate:

* ``forward(Z, work)`` overwrites the pre-activations :math:`Z = A_{prev} W + b`
  of a layer with :math:`A = f(Z)`;
* ``backward(A, delta, work)`` multiplies the back-propagated error
  :math:`\delta = \partial L / \partial A` by :math:`f'(Z)` in place, so that
  it becomes :math:`\partial L / \partial Z`.

``work`` is a scratch array of the same shape, owned by the layer from its
forward pass to its backward pass. Most derivatives are written from the
layer's *output* :math:`A`, which the forward pass keeps anyway; GELU's cannot
be, so its forward pass leaves :math:`Z` in ``work`` for the backward pass. A
backward pass may overwrite ``A`` and ``work``: nothing needs them afterwards.

A user's own activation, two functions that return new arrays, is adapted to
this protocol by :func:`custom_activation`; :func:`activation_pair` finds the
pair of a layer, whether it is named in :data:`ACTIVATIONS` or custom.
"""

import math

import numpy as np

from skscratch._core.arrays import ops_for


def identity(Z, work):
    """Apply :math:`f(z) = z`: nothing to do.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        Pre-activations, left unchanged.
    work : ndarray of shape (n_samples, n_units)
        Scratch space (unused).
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


def logistic(Z, work):
    r"""Apply the logistic sigmoid in place.

    .. math:: f(z) = \frac{1}{1 + e^{-z}}

    ``scipy.special.expit`` is exact and never overflows, whatever the size
    of :math:`z`.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        Pre-activations, overwritten by the activations.
    work : ndarray of shape (n_samples, n_units)
        Scratch space.
    """
    ops_for(Z).expit(Z, out=Z)


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
    delta *= A  # scikit-learn's order: (delta * A) * (1 - A)
    ops_for(A).subtract(1, A, out=work)
    delta *= work


def tanh(Z, work):
    r"""Apply the hyperbolic tangent in place.

    .. math:: f(z) = \tanh z

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        Pre-activations, overwritten by the activations.
    work : ndarray of shape (n_samples, n_units)
        Scratch space.
    """
    ops_for(Z).tanh(Z, out=Z)


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
    xp = ops_for(A)
    xp.square(A, out=work)
    xp.subtract(1, work, out=work)
    delta *= work


def relu(Z, work):
    r"""Apply the rectified linear unit in place.

    .. math:: f(z) = \max(0, z)

    The zero is a row broadcast over ``Z``: NumPy's vectorised loop for two
    arrays is about twice as fast as its loop for an array and a scalar.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        Pre-activations, overwritten by the activations.
    work : ndarray of shape (n_samples, n_units)
        Scratch space.
    """
    xp = ops_for(Z)
    xp.maximum(Z, xp.zero_row(Z), out=Z)


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
    ops_for(A).greater(A, 0, out=work)
    delta *= work


#: Slope of leaky ReLU for negative inputs.
LEAKY_SLOPE = 0.01


def leaky_relu(Z, work):
    r"""Apply the leaky rectified linear unit in place.

    .. math:: f(z) = \max(z, a z), \quad a = 0.01

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        Pre-activations, overwritten by the activations.
    work : ndarray of shape (n_samples, n_units)
        Scratch space.
    """
    xp = ops_for(Z)
    xp.multiply(Z, LEAKY_SLOPE, out=work)
    xp.maximum(Z, work, out=Z)


def leaky_relu_backward(A, delta, work):
    r"""Multiply ``delta`` by leaky ReLU's derivative, in place.

    .. math:: f'(z) = 1 \text{ if } z > 0 \text{ else } a,
              \text{ and } z > 0 \iff A > 0

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_units)
        Output of the layer, :math:`A = f(Z)`.
    delta : ndarray of shape (n_samples, n_units)
        Back-propagated error, overwritten.
    work : ndarray of shape (n_samples, n_units)
        Scratch space.
    """
    ops_for(A).greater(A, 0, out=work)
    work *= 1 - LEAKY_SLOPE
    work += LEAKY_SLOPE
    delta *= work


def elu(Z, work):
    r"""Apply the exponential linear unit in place.

    .. math:: f(z) = z \text{ if } z > 0 \text{ else } e^{z} - 1

    ``expm1`` is only ever evaluated at :math:`\min(z, 0)`, so it cannot
    overflow.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        Pre-activations, overwritten by the activations.
    work : ndarray of shape (n_samples, n_units)
        Scratch space.
    """
    xp = ops_for(Z)
    xp.minimum(Z, 0, out=work)
    xp.expm1(work, out=work)
    xp.maximum(Z, xp.zero_row(Z), out=Z)
    Z += work


def elu_backward(A, delta, work):
    r"""Multiply ``delta`` by the ELU's derivative, in place.

    .. math:: f'(z) = 1 \text{ if } z > 0 \text{ else } e^{z} = 1 + \min(A, 0)

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_units)
        Output of the layer, :math:`A = f(Z)`.
    delta : ndarray of shape (n_samples, n_units)
        Back-propagated error, overwritten.
    work : ndarray of shape (n_samples, n_units)
        Scratch space.
    """
    ops_for(A).minimum(A, 0, out=work)
    work += 1
    delta *= work


def softplus(Z, work):
    r"""Apply the softplus (a smooth ReLU) in place.

    .. math:: f(z) = \log(1 + e^{z})

    computed as ``logaddexp(0, z)``, which never overflows.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        Pre-activations, overwritten by the activations.
    work : ndarray of shape (n_samples, n_units)
        Scratch space (unused).
    """
    ops_for(Z).logaddexp(0, Z, out=Z)


def softplus_backward(A, delta, work):
    r"""Multiply ``delta`` by the softplus derivative, in place.

    .. math:: f'(z) = \sigma(z) = 1 - e^{-f(z)} = -\operatorname{expm1}(-A)

    since :math:`e^{A} = 1 + e^{z}`; ``expm1`` keeps it exact for tiny
    :math:`A`.

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_units)
        Output of the layer, :math:`A = f(Z)`.
    delta : ndarray of shape (n_samples, n_units)
        Back-propagated error, overwritten.
    work : ndarray of shape (n_samples, n_units)
        Scratch space.
    """
    xp = ops_for(A)
    xp.negative(A, out=work)
    xp.expm1(work, out=work)
    xp.negative(work, out=work)
    delta *= work


_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def gelu(Z, work):
    r"""Apply the Gaussian error linear unit (exact form) in place.

    .. math:: f(z) = z \, \Phi(z)

    with :math:`\Phi` the standard normal distribution function. Its
    derivative cannot be written from :math:`A` alone, so :math:`Z` is kept
    in ``work`` for the backward pass.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_units)
        Pre-activations, overwritten by the activations.
    work : ndarray of shape (n_samples, n_units)
        Receives a copy of ``Z``.
    """
    xp = ops_for(Z)
    xp.copyto(work, Z)
    xp.ndtr(Z, out=Z)
    Z *= work


def gelu_backward(A, delta, work):
    r"""Multiply ``delta`` by the GELU's derivative, in place.

    .. math:: f'(z) = \Phi(z) + z \, \varphi(z), \quad
              \varphi(z) = \frac{e^{-z^2 / 2}}{\sqrt{2 \pi}}

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_units)
        Output of the layer; used as scratch space.
    delta : ndarray of shape (n_samples, n_units)
        Back-propagated error, overwritten.
    work : ndarray of shape (n_samples, n_units)
        Holds :math:`Z` from the forward pass; overwritten.
    """
    xp = ops_for(A)
    xp.square(work, out=A)
    A *= -0.5
    xp.exp(A, out=A)
    A *= _INV_SQRT_2PI
    A *= work  # z phi(z)
    xp.ndtr(work, out=work)
    work += A
    delta *= work


#: name -> (forward, backward); the estimator validates names against these keys.
ACTIVATIONS = {
    "identity": (identity, identity_backward),
    "logistic": (logistic, logistic_backward),
    "tanh": (tanh, tanh_backward),
    "relu": (relu, relu_backward),
    "leaky_relu": (leaky_relu, leaky_relu_backward),
    "elu": (elu, elu_backward),
    "gelu": (gelu, gelu_backward),
    "softplus": (softplus, softplus_backward),
}

#: The activations of scikit-learn's MLPs.
SKLEARN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")


def _read_only(array):
    """Return a read-only view of ``array``: user code may read, never write.

    (A NumPy array only: other namespaces have no read-only flag.)
    """
    if not isinstance(array, np.ndarray):
        return array
    view = array.view()
    view.flags.writeable = False
    return view


def _check_shape(result, expected, what):
    """Raise a clear error when a user function returns the wrong shape."""
    shape = np.shape(result)
    if shape != expected.shape:
        raise ValueError(
            f"the custom activation's {what} returned an array of shape "
            f"{shape} for input of shape {expected.shape}; it must work "
            "elementwise and return the shape it was given."
        )


def custom_activation(f, f_prime):
    r"""Turn a user's activation and its derivative into an in-place pair.

    The user's functions allocate and return new arrays, as NumPy code
    usually does; the pair returned here follows the protocol of this
    module. The forward pass keeps :math:`Z` in ``work`` (as GELU's does), so
    that the derivative may use :math:`Z`, :math:`A` or both:

    * ``f(Z)`` returns :math:`A = f(Z)`, elementwise, of the shape of ``Z``;
    * ``f_prime(Z, A)`` returns :math:`f'(Z)`, elementwise, of that shape.

    Both get read-only arrays of shape ``(n_samples, n_units)`` in the
    network's dtype; a result in another float dtype is cast to it.

    Parameters
    ----------
    f : callable
        The activation, ``f(Z) -> A``.
    f_prime : callable
        Its derivative, ``f_prime(Z, A) -> f'(Z)``.

    Returns
    -------
    pair : tuple of (callable, callable)
        ``(forward(Z, work), backward(A, delta, work))``, as in
        :data:`ACTIVATIONS`.
    """

    def forward(Z, work):
        xp = ops_for(Z)
        xp.copyto(work, Z)
        A = f(_read_only(work))
        _check_shape(A, Z, "function")
        xp.copyto(Z, A)

    def backward(A, delta, work):
        derivative = f_prime(_read_only(work), _read_only(A))
        _check_shape(derivative, delta, "derivative")
        ops_for(delta).multiply(delta, derivative, out=delta)

    return forward, backward


def activation_pair(activation):
    """Return the in-place ``(forward, backward)`` pair of a layer's activation.

    Parameters
    ----------
    activation : str or tuple of (callable, callable)
        A name in :data:`ACTIVATIONS`, or a pair from
        :func:`custom_activation`.

    Returns
    -------
    pair : tuple of (callable, callable)
    """
    return ACTIVATIONS[activation] if isinstance(activation, str) else activation
