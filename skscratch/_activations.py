"""Activations given by the user: recognised, checked once, handed to the core.

The ``activation`` parameter (or an entry of its per-layer list) may be,
besides a name of :data:`skscratch._core.activations.ACTIVATIONS`:

* a pair of callables ``(f, f_prime)``, with ``f(Z) -> A`` and
  ``f_prime(Z, A) -> f'(Z)``;
* an object with methods ``forward(Z) -> A`` and ``derivative(Z, A) -> f'(Z)``.

Both functions work elementwise on read-only arrays of shape
``(n_samples, n_units)`` and return new arrays of that shape (see
:func:`skscratch._core.activations.custom_activation`).
"""

import numpy as np
from sklearn.utils._param_validation import HasMethods, StrOptions

from skscratch._core.activations import ACTIVATIONS, custom_activation

#: The ``activation`` parameter's constraint: a name, a per-layer list or a
#: pair (both lists and tuples; the entries are checked when used), or an
#: object with ``forward`` and ``derivative`` methods.
ACTIVATION_CONSTRAINT = [
    StrOptions(set(ACTIVATIONS)),
    list,
    tuple,
    HasMethods(["forward", "derivative"]),
]

#: Pre-activations a custom activation is tried on before it is used: both
#: signs, zero, and a few units wide, in float64.
PROBE = np.arange(-6, 6, dtype=np.float64).reshape(3, 4) / 2


def is_custom(entry):
    """Whether ``entry`` is a user's activation: a pair of callables or an object.

    Parameters
    ----------
    entry : object
        The ``activation`` parameter, or one entry of its per-layer list.

    Returns
    -------
    custom : bool
    """
    if isinstance(entry, str):
        return False
    if hasattr(entry, "forward") and hasattr(entry, "derivative"):
        return True
    return (
        isinstance(entry, list | tuple)
        and len(entry) == 2
        and all(callable(part) and not isinstance(part, str) for part in entry)
        and not any(hasattr(part, "forward") for part in entry)
    )


def user_functions(entry):
    """Return the user's ``(f, f_prime)`` of a custom activation entry."""
    if hasattr(entry, "forward") and hasattr(entry, "derivative"):
        return entry.forward, entry.derivative
    return tuple(entry)


def _check_output(values, what, position):
    """Raise a clear error unless ``values`` is finite and shaped like the probe."""
    where = f"activation{position}: the custom activation's {what}"
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} must return numbers, got {values!r}.") from exc
    if values.shape != PROBE.shape:
        raise ValueError(
            f"{where} returned an array of shape {values.shape} for input of "
            f"shape {PROBE.shape}; it must work elementwise and return an array "
            "of the shape it was given."
        )
    if not np.isfinite(values).all():
        raise ValueError(
            f"{where} returned non-finite values (NaN or infinity) for inputs "
            f"in [{PROBE.min()}, {PROBE.max()}]: {values.ravel().tolist()}."
        )


def checked_custom(entry, position=""):
    """Try a user's activation on :data:`PROBE`; return its in-place core pair.

    Parameters
    ----------
    entry : pair of callables or object
        A custom activation (see :func:`is_custom`).
    position : str, default=''
        Where it sits in the parameter (``'[1]'``), for error messages.

    Returns
    -------
    pair : tuple of (callable, callable)
        ``(forward, backward)`` for the core, as in its registry.

    Raises
    ------
    ValueError
        When a function fails on the probe, returns another shape, or
        returns values that are not finite.
    """
    f, f_prime = user_functions(entry)
    for function, what in ((f, "function"), (f_prime, "derivative")):
        if not callable(function):
            raise ValueError(
                f"activation{position}: the custom activation's {what} must be "
                f"callable, got {function!r}."
            )
    Z = PROBE.copy()
    Z.flags.writeable = False
    A = f(Z)
    _check_output(A, "function", position)
    A = np.asarray(A, dtype=np.float64)
    A.flags.writeable = False
    _check_output(f_prime(Z, A), "derivative", position)
    return custom_activation(f, f_prime)


def has_custom(activation):
    """Whether the ``activation`` parameter holds a custom activation anywhere."""
    if is_custom(activation):
        return True
    return isinstance(activation, list | tuple) and any(map(is_custom, activation))
