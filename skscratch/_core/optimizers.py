"""Stochastic optimizers that update the flat parameter vector in place.

Each optimizer owns its state (velocities, moment estimates) as flat vectors
of the same layout as the parameters, plus one scratch vector, so a step is a
handful of whole-network vectorised operations that allocate nothing.
"""

import numpy as np


class SGD:
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
    """

    def __init__(
        self, n_params, dtype, learning_rate_init, schedule, momentum, nesterov, power_t
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.schedule = schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocity = np.zeros(n_params, dtype=dtype)
        self._scratch = np.empty(n_params, dtype=dtype)

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
        np.multiply(grad, self.learning_rate, out=s)  # s = eta g
        v *= mu
        v -= s  # v = mu v - eta g
        if self.nesterov:
            theta -= s
            np.multiply(v, mu, out=s)
            theta += s  # theta += mu v - eta g
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
        """Decide what to do when training stalls; return True to keep going.

        Only the 'adaptive' schedule keeps going: it divides the learning rate
        by 5, until the rate falls to 1e-6 or below.

        Returns
        -------
        keep_going : bool
        """
        if self.schedule != "adaptive" or self.learning_rate <= 1e-6:
            return False
        self.learning_rate /= 5.0
        return True


class Adam:
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
    """

    def __init__(self, n_params, dtype, learning_rate_init, beta_1, beta_2, epsilon):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.m = np.zeros(n_params, dtype=dtype)
        self.v = np.zeros(n_params, dtype=dtype)
        self._scratch = np.empty(n_params, dtype=dtype)

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
        np.multiply(grad, 1 - b1, out=s)
        m += s
        v *= b2
        np.square(grad, out=s)
        s *= 1 - b2
        v += s
        lr = self.learning_rate * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        np.sqrt(v, out=s)
        s += self.epsilon
        np.divide(m, s, out=s)
        s *= lr
        theta -= s

    def end_epoch(self, samples_seen):
        """Do nothing: Adam keeps its learning rate.

        Parameters
        ----------
        samples_seen : int
            Samples seen since training started (unused).
        """

    def on_plateau(self):
        """Return False: Adam stops when training stalls.

        Returns
        -------
        keep_going : bool
        """
        return False


class RMSprop:
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
    """

    def __init__(self, n_params, dtype, learning_rate_init, rho, epsilon):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.rho = rho
        self.epsilon = epsilon
        self.v = np.zeros(n_params, dtype=dtype)
        self._scratch = np.empty(n_params, dtype=dtype)

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
        v *= self.rho
        np.square(grad, out=s)
        s *= 1 - self.rho
        v += s
        np.sqrt(v, out=s)
        s += self.epsilon
        np.divide(grad, s, out=s)
        s *= self.learning_rate
        theta -= s

    end_epoch = Adam.end_epoch
    on_plateau = Adam.on_plateau


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    Before each Adam step the weights (not the biases) shrink towards zero,

    .. math:: W \leftarrow (1 - \eta \lambda) W,

    instead of an L2 term entering the gradient, where Adam's scaling would
    weaken it for weights with large gradients.

    Parameters
    ----------
    n_params : int
        Length of the parameter vector.
    dtype : numpy dtype
        Floating dtype of the parameters.
    learning_rate_init : float
        Learning rate :math:`\eta`.
    beta_1, beta_2 : float
        Decay rates of the moment estimates, in [0, 1).
    epsilon : float
        Added to :math:`\sqrt{v}` so the division is always safe.
    weight_decay : float
        Decay rate :math:`\lambda`.
    n_coef : int
        Number of weights: the first ``n_coef`` entries of the parameters.
    """

    def __init__(
        self,
        n_params,
        dtype,
        learning_rate_init,
        beta_1,
        beta_2,
        epsilon,
        weight_decay,
        n_coef,
    ):
        super().__init__(n_params, dtype, learning_rate_init, beta_1, beta_2, epsilon)
        self.weight_decay = weight_decay
        self.n_coef = n_coef

    def step(self, theta, grad):
        """Decay the weights, then take one Adam step, in place.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            Parameters, overwritten.
        grad : ndarray of shape (n_params,)
            Gradient of the loss (without penalty) at ``theta``.
        """
        if self.weight_decay:
            theta[: self.n_coef] *= 1.0 - self.learning_rate * self.weight_decay
        super().step(theta, grad)


def make_optimizer(solver, n_params, dtype, params, n_coef):
    """Build the optimizer of a stochastic solver.

    Parameters
    ----------
    solver : {'sgd', 'adam', 'rmsprop', 'adamw'}
        Solver name.
    n_params : int
        Length of the parameter vector.
    dtype : numpy dtype
        Floating dtype of the parameters.
    params : dict
        Estimator hyper-parameters (learning_rate_init, learning_rate,
        momentum, nesterovs_momentum, power_t, beta_1, beta_2, epsilon,
        alpha). RMSprop uses ``beta_2`` as its decay rate; AdamW uses
        ``alpha`` as its weight decay.
    n_coef : int
        Number of weights (the leading part of the parameter vector).

    Returns
    -------
    optimizer : SGD, Adam, RMSprop or AdamW
    """
    lr, eps = params["learning_rate_init"], params["epsilon"]
    if solver == "sgd":
        return SGD(
            n_params,
            dtype,
            lr,
            params["learning_rate"],
            params["momentum"],
            params["nesterovs_momentum"],
            params["power_t"],
        )
    if solver == "rmsprop":
        return RMSprop(n_params, dtype, lr, params["beta_2"], eps)
    if solver == "adamw":
        return AdamW(
            n_params,
            dtype,
            lr,
            params["beta_1"],
            params["beta_2"],
            eps,
            params["alpha"],
            n_coef,
        )
    return Adam(n_params, dtype, lr, params["beta_1"], params["beta_2"], eps)
