"""Stochastic optimizers that update the flat parameter vector in place.

Each optimizer owns its state (velocities, moment estimates) as flat vectors
of the same layout as the parameters, plus one scratch vector, so a step is a
handful of whole-network vectorised operations that allocate nothing. Every
optimizer follows :class:`Optimizer`; decoupled weight decay and gradient
clipping wrap any of them (as links of a chain wrap a transform in optax).
:data:`OPTIMIZERS` is the one list of solvers: the estimators' options, their
error texts and the types a saved model may hold all derive from it.
"""

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from skscratch._core.arrays import ops_for


def _state(n_params, dtype, like):
    """Return a zero state vector: NumPy's, or in ``like``'s namespace and device.

    A state vector on another namespace takes the parameters' dtype.
    """
    if like is None or ops_for(like).is_numpy:
        return np.zeros(n_params, dtype=dtype)
    return ops_for(like).zeros(n_params, like)


class Optimizer(Protocol):
    """What the training loop needs of an optimizer.

    Attributes
    ----------
    learning_rate : float
        Learning rate of the next step (reported in verbose output).
    n_params : int
        Length of the parameter vector the state is sized for.
    """

    learning_rate: float

    @property
    def n_params(self) -> int:
        """Length of the parameter vector the state is sized for."""
        ...

    def step(self, theta: np.ndarray, grad: np.ndarray) -> None:
        """Update ``theta`` in place from the gradient ``grad``."""
        ...

    def end_epoch(self, samples_seen: int) -> None:
        """Advance the learning-rate schedule after an epoch."""
        ...

    def on_plateau(self) -> bool:
        """Let the schedule react to stalled training; True if it lowered the rate."""
        ...


class _Stateful:
    """Shared plumbing: a learning rate that stays put, and a scratch vector."""

    learning_rate: float
    _scratch: np.ndarray

    @property
    def n_params(self):
        """Length of the parameter vector the state is sized for."""
        return self._scratch.shape[0]

    def end_epoch(self, samples_seen):
        """Do nothing: the learning rate stays as it is.

        Parameters
        ----------
        samples_seen : int
            Samples seen since training started (unused).
        """

    def on_plateau(self):
        """Return False: a constant learning rate has nothing to lower.

        Returns
        -------
        lowered : bool
        """
        return False


class SGD(_Stateful):
    r"""Stochastic gradient descent with optional (Nesterov) momentum.

    With learning rate :math:`\eta`, momentum :math:`\mu` and gradient
    :math:`g`, each step updates the velocity :math:`v` and parameters
    :math:`\theta`:

    .. math::

        v \leftarrow \mu v - \eta g, \qquad
        \theta \leftarrow \theta +
        \begin{cases} \mu v - \eta g & \text{Nesterov} \\
                       v & \text{otherwise.} \end{cases}

    The learning rate follows a schedule: ``'constant'``; ``'invscaling'``,
    :math:`\eta_t = \eta_0 / (t + 1)^{p}` after each epoch, with :math:`t`
    the number of samples seen; or ``'adaptive'``, divided by 5 each time
    training stalls (see :meth:`on_plateau`).

    Parameters
    ----------
    n_params : int
        Length of the parameter vector.
    dtype : numpy dtype
        Floating dtype of the parameters.
    learning_rate_init : float
        Initial learning rate :math:`\eta_0`.
    schedule : {'constant', 'invscaling', 'adaptive'}
        Learning-rate schedule.
    momentum : float
        Momentum :math:`\mu` in [0, 1].
    nesterov : bool
        Whether to use Nesterov's momentum.
    power_t : float
        Exponent :math:`p` of the 'invscaling' schedule.
    like : array or None, default=None
        The parameters, when they live in an array namespace other than
        NumPy's: the state then takes their namespace, device and dtype.
    """

    def __init__(
        self,
        n_params,
        dtype,
        learning_rate_init,
        schedule,
        momentum,
        nesterov,
        power_t,
        *,
        like=None,
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.schedule = schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocity = _state(n_params, dtype, like)
        self._scratch = _state(n_params, dtype, like)
        self._update = _state(n_params, dtype, like) if nesterov else None

    def step(self, theta, grad):
        """Take one step along ``-grad``, updating ``theta`` in place.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            Parameters, overwritten.
        grad : ndarray of shape (n_params,)
            Gradient of the loss at ``theta``.
        """
        v, s, mu = self.velocity, self._scratch, self.momentum
        xp = ops_for(grad)
        xp.multiply(grad, self.learning_rate, out=s)  # s = eta g
        v *= mu
        v -= s  # v = mu v - eta g
        if self.nesterov:
            # theta += mu v - eta g, computed in scikit-learn's order
            u = xp.multiply(v, mu, out=self._update)
            u -= s
            theta += u
        else:
            theta += v

    def end_epoch(self, samples_seen):
        """Apply the 'invscaling' schedule after an epoch.

        Parameters
        ----------
        samples_seen : int
            Samples seen since training started, :math:`t`.
        """
        if self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (samples_seen + 1) ** (
                self.power_t
            )

    def on_plateau(self):
        """Lower the learning rate when training stalls, if the schedule says so.

        Only the 'adaptive' schedule reacts: it divides the learning rate by
        5, until the rate falls to 1e-6 or below.

        Returns
        -------
        lowered : bool
            Whether the learning rate was lowered.
        """
        if self.schedule != "adaptive" or self.learning_rate <= 1e-6:
            return False
        self.learning_rate /= 5.0
        return True


class Adam(_Stateful):
    r"""Adam: steps scaled by running estimates of the gradient's moments.

    With :math:`t` the number of steps taken so far (including this one),

    .. math::

        m \leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2,

        \theta \leftarrow \theta - \eta_t \frac{m}{\sqrt{v} + \epsilon},
        \qquad \eta_t = \eta \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t},

    where :math:`\eta_t` folds the bias corrections of both moments into the
    learning rate (Kingma and Ba, 2014).

    Parameters
    ----------
    n_params : int
        Length of the parameter vector.
    dtype : numpy dtype
        Floating dtype of the parameters.
    learning_rate_init : float
        Learning rate :math:`\eta`.
    beta_1, beta_2 : float
        Decay rates of the first and second moment estimates, in [0, 1).
    epsilon : float
        Added to :math:`\sqrt{v}` so the division is always safe.
    like : array or None, default=None
        The parameters, when they live in an array namespace other than
        NumPy's: the state then takes their namespace, device and dtype.
    """

    def __init__(
        self, n_params, dtype, learning_rate_init, beta_1, beta_2, epsilon, *, like=None
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.m = _state(n_params, dtype, like)
        self.v = _state(n_params, dtype, like)
        self._scratch = _state(n_params, dtype, like)
        # The step is computed as scikit-learn computes it: its scale factor is
        # a float64 scalar, so a float32 network's step is formed in float64
        # (in NumPy; other namespaces keep the parameters' dtype).
        self._update = _state(n_params, np.float64, like)

    def step(self, theta, grad):
        """Take one Adam step, updating ``theta`` in place.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            Parameters, overwritten.
        grad : ndarray of shape (n_params,)
            Gradient of the loss at ``theta``.
        """
        self.t += 1
        b1, b2, m, v, s = self.beta_1, self.beta_2, self.m, self.v, self._scratch
        m *= b1
        xp = ops_for(grad)
        xp.multiply(grad, 1 - b1, out=s)
        m += s
        v *= b2
        xp.square(grad, out=s)
        s *= 1 - b2
        v += s
        lr = self.learning_rate * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        # theta += (-lr m) / (sqrt(v) + eps), in scikit-learn's order
        xp.sqrt(v, out=s)
        s += self.epsilon
        u = xp.multiply(m, -lr, out=self._update)
        u /= s
        xp.add(theta, u, out=theta)


class RMSprop(_Stateful):
    r"""RMSprop: steps divided by a running root mean square of the gradient.

    .. math::

        v \leftarrow \rho v + (1 - \rho) g^2, \qquad
        \theta \leftarrow \theta - \eta \frac{g}{\sqrt{v} + \epsilon}

    (Tieleman and Hinton, 2012). Adam without its first moment and bias
    correction.

    Parameters
    ----------
    n_params : int
        Length of the parameter vector.
    dtype : numpy dtype
        Floating dtype of the parameters.
    learning_rate_init : float
        Learning rate :math:`\eta`.
    rho : float
        Decay rate of the running mean of :math:`g^2`, in [0, 1).
    epsilon : float
        Added to :math:`\sqrt{v}` so the division is always safe.
    like : array or None, default=None
        The parameters, when they live in an array namespace other than
        NumPy's: the state then takes their namespace, device and dtype.
    """

    def __init__(self, n_params, dtype, learning_rate_init, rho, epsilon, *, like=None):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.rho = rho
        self.epsilon = epsilon
        self.v = _state(n_params, dtype, like)
        self._scratch = _state(n_params, dtype, like)

    def step(self, theta, grad):
        """Take one RMSprop step, updating ``theta`` in place.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            Parameters, overwritten.
        grad : ndarray of shape (n_params,)
            Gradient of the loss at ``theta``.
        """
        v, s = self.v, self._scratch
        xp = ops_for(grad)
        v *= self.rho
        xp.square(grad, out=s)
        s *= 1 - self.rho
        v += s
        xp.sqrt(v, out=s)
        s += self.epsilon
        xp.divide(grad, s, out=s)
        s *= self.learning_rate
        theta -= s


class _Wrapper:
    """An optimizer around another: it shares the inner one's schedule."""

    def __init__(self, inner):
        self.inner = inner

    @property
    def learning_rate(self):
        """Learning rate of the inner optimizer."""
        return self.inner.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner.learning_rate = value

    @property
    def n_params(self):
        """Length of the parameter vector the inner state is sized for."""
        return self.inner.n_params

    def end_epoch(self, samples_seen):
        """Advance the inner optimizer's schedule.

        Parameters
        ----------
        samples_seen : int
            Samples seen since training started.
        """
        self.inner.end_epoch(samples_seen)

    def on_plateau(self):
        """Let the inner optimizer's schedule react to stalled training.

        Returns
        -------
        lowered : bool
            Whether the learning rate was lowered.
        """
        return self.inner.on_plateau()


class DecoupledWeightDecay(_Wrapper):
    r"""Shrink the weights before every step of another optimizer.

    Before each step the weights (not the biases) shrink towards zero,

    .. math:: W \leftarrow (1 - \eta \lambda) W,

    with :math:`\eta` the inner optimizer's learning rate, instead of an L2
    term entering the gradient, where an adaptive optimizer's scaling would
    weaken it for weights with large gradients (Loshchilov and Hutter, 2019).
    Around :class:`Adam` this is AdamW.

    Parameters
    ----------
    inner : Optimizer
        The optimizer whose steps follow the decay.
    weight_decay : float
        Decay rate :math:`\lambda`.
    n_coef : int
        Number of weights: the first ``n_coef`` entries of the parameters.
    """

    def __init__(self, inner, weight_decay, n_coef):
        super().__init__(inner)
        self.weight_decay = weight_decay
        self.n_coef = n_coef

    def step(self, theta, grad):
        """Decay the weights, then take the inner optimizer's step, in place.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            Parameters, overwritten.
        grad : ndarray of shape (n_params,)
            Gradient of the loss (without penalty) at ``theta``.
        """
        if self.weight_decay:
            theta[: self.n_coef] *= 1.0 - self.inner.learning_rate * self.weight_decay
        self.inner.step(theta, grad)


def clip_gradient_norm(grad, max_norm):
    r"""Rescale ``grad`` in place so that its Euclidean norm is at most ``max_norm``.

    .. math:: g \leftarrow g \cdot \min\left(1, \frac{c}{\lVert g \rVert_2}\right)

    The direction is kept; only an unusually long step is shortened, which
    guards against the occasional exploding gradient.

    Parameters
    ----------
    grad : ndarray of shape (n_params,)
        Gradient of the whole network, flat; updated in place.
    max_norm : float
        Largest norm :math:`c` allowed.
    """
    xp = ops_for(grad)
    if not xp.is_numpy:  # on a device: scale without reading the norm back
        norm = xp.sqrt(xp.dot(grad, grad))
        grad *= xp.minimum(max_norm / norm, 1.0)
        return
    norm = math.sqrt(float(grad @ grad))
    if norm > max_norm:
        grad *= max_norm / norm


class ClipGradientNorm(_Wrapper):
    """Clip every gradient to a largest Euclidean norm before another optimizer.

    See :func:`clip_gradient_norm`.

    Parameters
    ----------
    inner : Optimizer
        The optimizer that takes the clipped steps.
    max_norm : float
        Largest norm allowed.
    """

    def __init__(self, inner, max_norm):
        super().__init__(inner)
        self.max_norm = max_norm

    def step(self, theta, grad):
        """Clip ``grad`` in place, then take the inner optimizer's step.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            Parameters, overwritten.
        grad : ndarray of shape (n_params,)
            Gradient of the loss at ``theta``; clipped in place.
        """
        clip_gradient_norm(grad, self.max_norm)
        self.inner.step(theta, grad)


def adamw(
    n_params,
    dtype,
    learning_rate_init,
    beta_1,
    beta_2,
    epsilon,
    weight_decay,
    n_coef,
    *,
    like=None,
):
    """Build AdamW: :class:`Adam` wrapped in :class:`DecoupledWeightDecay`.

    Parameters
    ----------
    n_params : int
        Length of the parameter vector.
    dtype : numpy dtype
        Floating dtype of the parameters.
    learning_rate_init : float
        Learning rate.
    beta_1, beta_2 : float
        Decay rates of the moment estimates, in [0, 1).
    epsilon : float
        Added to the root of the second moment so the division is always safe.
    weight_decay : float
        Decay rate of the weights.
    n_coef : int
        Number of weights (the leading part of the parameter vector).
    like : array or None, default=None
        The parameters, when they live in an array namespace other than
        NumPy's: the state then takes their namespace, device and dtype.

    Returns
    -------
    optimizer : DecoupledWeightDecay
    """
    adam = Adam(n_params, dtype, learning_rate_init, beta_1, beta_2, epsilon, like=like)
    return DecoupledWeightDecay(adam, weight_decay, n_coef)


@dataclass(frozen=True)
class Solver:
    """A stochastic solver: how its optimizer is built, and what it is made of.

    Parameters
    ----------
    build : callable
        ``build(n_params, dtype, *arguments)`` returns the optimizer.
    types : tuple of type
        Every class a built optimizer is made of (what a saved model holds).
    decays_weights : bool, default=False
        Whether the optimizer shrinks the weights itself, in place of a
        penalty term in the loss.
    """

    build: Callable[..., Any]
    types: tuple
    decays_weights: bool = False

    @property
    def arguments(self):
        """Names of the arguments ``build`` takes after ``n_params, dtype``."""
        parameters = inspect.signature(self.build).parameters.values()
        positional = [p.name for p in parameters if p.kind != p.KEYWORD_ONLY]
        return tuple(positional[2:])


#: solver name -> Solver. The order is the order solvers are listed in.
OPTIMIZERS = {
    "sgd": Solver(SGD, (SGD,)),
    "adam": Solver(Adam, (Adam,)),
    "rmsprop": Solver(RMSprop, (RMSprop,)),
    "adamw": Solver(adamw, (Adam, DecoupledWeightDecay), decays_weights=True),
}


def saved_types():
    """Return every optimizer class a fitted model may hold, each once.

    Returns
    -------
    types : list of type
    """
    return list(dict.fromkeys(t for s in OPTIMIZERS.values() for t in s.types))
