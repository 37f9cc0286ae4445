r"""Output layers paired with their losses: softmax, logistic, identity and exp.

Each output activation is paired with its *canonical* loss, which is what
makes the output error of every pair the same simple expression. Writing
:math:`P = g(Z)` for the output activation and :math:`Y` for the targets,

.. math::

    \frac{\partial L}{\partial Z} = P - Y

for softmax with categorical log-loss, for the logistic sigmoid with binary
log-loss, for the identity with squared error and for the exponential with the
Poisson deviance. So the output layer computes
the residual :math:`R = P - Y` once, derives the loss value from it, then
weights it by the sample weights to get the output delta.

Losses are weighted means over the samples, taken as scikit-learn takes them:
per output, the mean over the samples (``np.average`` with the sample weights
:math:`s_i`), then the sum over the outputs. The output delta is
:math:`s \odot (P - Y)`, unnormalised;
:func:`~skscratch._core.network.loss_and_gradient` divides the whole
gradient by :math:`\sum_i s_i` (or :math:`n`) at the end.
Doing each sum in the same order as scikit-learn makes the loss and the
gradient equal to its values bit for bit, and so L-BFGS, whose line search
reads the loss, follows scikit-learn's iterates over whole runs.

The regressor's absolute-error, Huber and quantile (pinball) losses, at the
end of this module, pair the identity with a loss that is not its canonical
one: their output delta is :math:`s \odot \ell'(P - Y)`, the derivative of
the loss, which each brings as its record's ``gradient``.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from skscratch._core.arrays import NUMPY, ops_for


def _clipped(P, out):
    r"""Write :math:`P` clipped to :math:`[\epsilon, 1 - \epsilon]` into ``out``."""
    xp = ops_for(P)
    eps = xp.finfo(P.dtype).eps
    return xp.clip(P, eps, 1 - eps, out=out)


def _sample_mean(terms, sw):
    """Average loss terms over the samples (weighted by ``sw``); sum the outputs."""
    xp = ops_for(terms)
    return xp.sum(xp.average(terms, sw), axis=0)


def softmax(Z, row):
    r"""Apply the softmax over each row of ``Z``, in place.

    .. math:: P_{ik} = \frac{e^{Z_{ik} - m_i}}{\sum_j e^{Z_{ij} - m_i}},
              \quad m_i = \max_j Z_{ij}

    Subtracting the row maximum :math:`m_i` changes nothing mathematically and
    keeps every exponent :math:`\le 0`, so ``exp`` can never overflow.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_classes)
        Logits, overwritten by the probabilities.
    row : ndarray of shape (n_samples, 1)
        Scratch space for the row maxima and sums.
    """
    xp = ops_for(Z)
    xp.max(Z, axis=1, keepdims=True, out=row)
    Z -= row
    xp.exp(Z, out=Z)
    xp.sum(Z, axis=1, keepdims=True, out=row)
    Z /= row


def log_loss_softmax(P, Y, sw, work, spare):
    r"""Categorical log-loss of softmax outputs.

    .. math:: L = -\sum_k \operatorname{mean}_i\, Y_{ik} \log P_{ik}

    which for one-hot targets is the mean of :math:`-\log P_{i, y_i}`.
    Probabilities are clipped to :math:`[\epsilon, 1 - \epsilon]` (machine
    epsilon of the dtype) first.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_classes)
        Predicted probabilities.
    Y : ndarray of shape (n_samples, n_classes)
        Targets (one-hot, or any probabilities).
    sw : ndarray of shape (n_samples,) or None
        Sample weights.
    work, spare : ndarray of shape (n_samples, n_classes)
        Scratch space (``spare`` unused).

    Returns
    -------
    loss : float
    """
    ops_for(P).xlogy(Y, _clipped(P, work), out=work)
    return -_sample_mean(work, sw)


def logistic(Z, row):
    r"""Apply the logistic sigmoid to the output layer, in place.

    .. math:: P = \frac{1}{1 + e^{-Z}}

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_outputs)
        Logits, overwritten by the probabilities.
    row : ndarray of shape (n_samples, 1)
        Scratch space (unused).
    """
    ops_for(Z).expit(Z, out=Z)


def log_loss_logistic(P, Y, sw, work, spare):
    r"""Binary log-loss of sigmoid outputs, summed over the outputs.

    .. math:: L = -\sum_k \operatorname{mean}_i \left[ Y_{ik} \log P_{ik}
              + (1 - Y_{ik}) \log (1 - P_{ik}) \right]

    with the probabilities clipped to :math:`[\epsilon, 1 - \epsilon]`.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_outputs)
        Predicted probabilities.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets in [0, 1].
    sw : ndarray of shape (n_samples,) or None
        Sample weights.
    work, spare : ndarray of shape (n_samples, n_outputs)
        Scratch space.

    Returns
    -------
    loss : float
    """
    # the second term first, into the spare buffer, then the first in work
    xp = ops_for(P)
    xp.subtract(1, _clipped(P, work), out=spare)
    xp.subtract(1, Y, out=work)
    xp.xlogy(work, spare, out=spare)
    xp.xlogy(Y, _clipped(P, work), out=work)
    work += spare
    return -_sample_mean(work, sw)


def identity(Z, row):
    """Leave the output unchanged: :math:`P = Z`.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_outputs)
        Outputs, unchanged.
    row : ndarray of shape (n_samples, 1)
        Scratch space (unused).
    """


def squared_error(P, Y, sw, work, spare):
    r"""Half the squared error, summed over the outputs.

    .. math:: L = \frac{1}{2} \sum_k \operatorname{mean}_i (Y_{ik} - P_{ik})^2

    Its gradient with respect to :math:`Z = P` is the residual :math:`P - Y`.
    (scikit-learn reports this loss divided by the number of outputs while
    stepping along the gradient of the sum; its record in :data:`OUTPUTS`
    says so, and :func:`output_layer` reports it the same way.)

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_outputs)
        Predictions.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets.
    sw : ndarray of shape (n_samples,) or None
        Sample weights.
    work, spare : ndarray of shape (n_samples, n_outputs)
        Scratch space (``spare`` unused).

    Returns
    -------
    loss : float
    """
    xp = ops_for(P)
    xp.subtract(Y, P, out=work)
    xp.square(work, out=work)
    return 0.5 * _sample_mean(work, sw)


def exp_bound(dtype, xp=NUMPY):
    r"""Return the largest logit :func:`exp` takes, half the log of the largest float.

    Parameters
    ----------
    dtype : dtype
        Floating dtype of the logits.
    xp : NumpyOps or ArrayAPIOps, default=NUMPY
        Operations of the namespace the dtype belongs to.

    Returns
    -------
    bound : float
    """
    return 0.5 * np.log(xp.finfo(dtype).max)


def exp(Z, row):
    r"""Apply the exponential (the inverse of the log link), in place.

    .. math:: P = e^{Z}

    Logits are clipped to :math:`\pm \frac{1}{2} \log(\text{max float})`
    first (:math:`\pm 354` in float64, :math:`\pm 44` in float32), so ``exp``
    never overflows, nor do sums of its values, nor does it reach exactly 0.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_outputs)
        Logits, overwritten by the predicted means.
    row : ndarray of shape (n_samples, 1)
        Scratch space (unused).
    """
    xp = ops_for(Z)
    bound = exp_bound(Z.dtype, xp)
    xp.clip(Z, -bound, bound, out=Z)
    xp.exp(Z, out=Z)


def poisson_deviance(P, Y, sw, work, spare):
    r"""Half the Poisson deviance of predicted means, summed over the outputs.

    .. math:: L = \sum_k \operatorname{mean}_i \left[ Y_{ik} \log
              \frac{Y_{ik}}{P_{ik}} - Y_{ik} + P_{ik} \right]

    (with :math:`0 \log 0 = 0`). With :math:`P = e^Z` its gradient with respect
    to :math:`Z` is :math:`P - Y`: the log link is canonical for Poisson.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_outputs)
        Predicted means, positive.
    Y : ndarray of shape (n_samples, n_outputs)
        Non-negative targets.
    sw : ndarray of shape (n_samples,) or None
        Sample weights.
    work, spare : ndarray of shape (n_samples, n_outputs)
        Scratch space (``spare`` unused).

    Returns
    -------
    loss : float
    """
    xp = ops_for(P)
    xp.divide(Y, P, out=work)
    xp.xlogy(Y, work, out=work)
    work -= Y
    work += P
    return _sample_mean(work, sw)


@dataclass(frozen=True)
class OutputLayer:
    r"""An output activation paired with its canonical loss.

    For a canonical pair the output delta is the residual :math:`P - Y`,
    weighted by the sample weights (see :func:`output_layer`), so a record
    needs only the first two functions below; a loss that is not its
    activation's canonical one (absolute error, Huber, quantile) brings its
    own ``gradient``.

    Parameters
    ----------
    activation : callable
        ``activation(Z, row)`` turns logits into predictions in place: the
        inverse link of the model (``row`` is scratch of shape
        ``(n_samples, 1)``).
    loss : callable
        ``loss(P, Y, sw, work, spare)`` returns the loss of the predictions
        for the targets, weighted by the sample weights ``sw`` (or None);
        ``work`` and ``spare`` are scratch arrays shaped like ``P``.
    reports_output_mean : bool, default=False
        Whether the reported loss is the mean over the outputs rather than
        their sum (scikit-learn's squared error), while the delta stays the
        gradient of the sum.
    gradient : callable or None, default=None
        ``gradient(P, Y, out)`` writes :math:`\partial \ell / \partial Z`
        per sample, unweighted, into ``out``, for a loss that is not its
        activation's canonical one; None is the residual :math:`P - Y`.
    parameter : str or None, default=None
        Name of the estimator parameter the loss takes (the Huber threshold,
        the quantile); its value is passed to ``loss`` and ``gradient`` as a
        last argument. None for losses without one.
    """

    activation: Callable
    loss: Callable
    reports_output_mean: bool = False
    gradient: Callable | None = None
    parameter: str | None = None

    @property
    def activation_name(self):
        """Name of the output activation (the estimators' ``out_activation_``)."""
        return self.activation.__name__

    def inverse_link(self, Z):
        """Turn output logits into predictions, in place, and return them.

        Parameters
        ----------
        Z : ndarray of shape (n_samples, n_outputs)
            Logits, overwritten.

        Returns
        -------
        P : ndarray of shape (n_samples, n_outputs)
            ``Z`` itself, now the predictions.
        """
        self.activation(Z, ops_for(Z).empty((Z.shape[0], 1), Z))
        return Z


#: output layer name -> its record: an output activation's name for its
#: canonical loss, a loss's name for the others (added at the end of this
#: module); the estimators and the ONNX export read the names and the
#: inverse links from here.
OUTPUTS = {
    "softmax": OutputLayer(softmax, log_loss_softmax),
    "logistic": OutputLayer(logistic, log_loss_logistic),
    "identity": OutputLayer(identity, squared_error, reports_output_mean=True),
    "exp": OutputLayer(exp, poisson_deviance),
}


def output_layer(name, Z, Y, sw, delta, work, row, report=True, param=None):
    r"""Turn the output logits into predictions, a loss and the output delta.

    In place: ``Z`` becomes the predictions :math:`P = g(Z)` and ``delta``
    becomes :math:`s \odot (P - Y)`, the residual with each row scaled by its
    sample weight :math:`s_i` (unscaled when ``sw`` is None). Divided by the
    total weight, that is :math:`\partial L / \partial Z`;
    :func:`~skscratch._core.network.loss_and_gradient` divides the whole
    gradient once, at the end, as scikit-learn does.

    Parameters
    ----------
    name : str
        Key of the output layer in :data:`OUTPUTS` (and so the loss).
    Z : ndarray of shape (n_samples, n_outputs)
        Output logits, overwritten by the predictions.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets.
    sw : ndarray of shape (n_samples,) or None
        Sample weights.
    delta : ndarray of shape (n_samples, n_outputs)
        Output buffer for the delta (scratch space until then).
    work : ndarray of shape (n_samples, n_outputs)
        Scratch space.
    row : ndarray of shape (n_samples, 1)
        Scratch space.
    report : bool, default=True
        Report the squared error of several outputs as scikit-learn does,
        averaged over them; False gives the sum, the loss whose gradient the
        delta is (what a gradient check differentiates).
    param : float or None, default=None
        Value of the record's ``parameter`` (Huber threshold, quantile).

    Returns
    -------
    loss : float
        Weighted mean loss of the batch (without any penalty).
    """
    layer = OUTPUTS[name]
    args = () if layer.parameter is None else (param,)
    layer.activation(Z, row)
    loss = layer.loss(Z, Y, sw, work, delta, *args)
    if report and layer.reports_output_mean:
        loss /= Z.shape[1]
    if layer.gradient is None:
        ops_for(Z).subtract(Z, Y, out=delta)
    else:
        layer.gradient(Z, Y, delta, *args)
    if sw is not None:
        delta *= sw[:, None]
    return loss


def evaluate_loss(name, Z, Y, sw=None, param=None):
    """Return the weighted mean loss of logits ``Z`` (no penalty, no gradient).

    Parameters
    ----------
    name : str
        Key of the output layer in :data:`OUTPUTS` (and so the loss).
    Z : ndarray of shape (n_samples, n_outputs)
        Output logits, overwritten by the predictions.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets.
    sw : ndarray of shape (n_samples,) or None
        Sample weights.
    param : float or None, default=None
        Value of the loss's parameter, if it has one.

    Returns
    -------
    loss : float
    """
    xp = ops_for(Z)
    scratch = xp.empty(Z.shape, Z), xp.empty(Z.shape, Z), xp.empty((Z.shape[0], 1), Z)
    return output_layer(name, Z, Y, sw, *scratch, param=param)


def _residual_into(P, Y, out):
    """Write the residual :math:`R = P - Y` into ``out`` and return it."""
    return ops_for(P).subtract(P, Y, out=out)


def absolute_error(P, Y, sw, work, spare):
    r"""Absolute error, summed over the outputs.

    .. math:: L = \sum_k \operatorname{mean}_i |P_{ik} - Y_{ik}|

    Minimised by the conditional median: a few gross outliers in the
    targets move it far less than they move the squared error's mean.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_outputs)
        Predictions.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets.
    sw : ndarray of shape (n_samples,) or None
        Sample weights.
    work, spare : ndarray of shape (n_samples, n_outputs)
        Scratch space (``spare`` unused).

    Returns
    -------
    loss : float
    """
    ops_for(P).abs(_residual_into(P, Y, work), out=work)
    return _sample_mean(work, sw)


def absolute_error_gradient(P, Y, out):
    r"""Write the derivative of the absolute error, :math:`\operatorname{sign}(P - Y)`.

    At :math:`P = Y` the loss has a kink; the subgradient 0 is taken there.

    Parameters
    ----------
    P, Y : ndarray of shape (n_samples, n_outputs)
        Predictions and targets.
    out : ndarray of shape (n_samples, n_outputs)
        Output buffer.
    """
    ops_for(P).sign(_residual_into(P, Y, out), out=out)


def huber(P, Y, sw, work, spare, threshold):
    r"""Huber loss with threshold :math:`\delta`, summed over the outputs.

    .. math:: L = \sum_k \operatorname{mean}_i\, h_\delta(P_{ik} - Y_{ik}),
              \qquad h_\delta(r) = \begin{cases}
              \frac{1}{2} r^2 & |r| \le \delta \\
              \delta \left(|r| - \frac{1}{2} \delta\right) & |r| > \delta
              \end{cases}

    Half the squared error for small residuals, linear beyond
    :math:`\delta`: both cases are :math:`m (|r| - \frac{1}{2} m)` with
    :math:`m = \min(|r|, \delta)`, which is how it is computed.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_outputs)
        Predictions.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets.
    sw : ndarray of shape (n_samples,) or None
        Sample weights.
    work, spare : ndarray of shape (n_samples, n_outputs)
        Scratch space.
    threshold : float
        :math:`\delta > 0`, in the units of the targets.

    Returns
    -------
    loss : float
    """
    xp = ops_for(P)
    xp.abs(_residual_into(P, Y, spare), out=spare)  # |r|
    xp.minimum(spare, threshold, out=work)  # m
    spare -= 0.5 * work
    spare *= work
    return _sample_mean(spare, sw)


def huber_gradient(P, Y, out, threshold):
    r"""Write the derivative of the Huber loss: the residual clipped to :math:`\delta`.

    .. math:: h'_\delta(r) = \max(-\delta, \min(r, \delta))

    Parameters
    ----------
    P, Y : ndarray of shape (n_samples, n_outputs)
        Predictions and targets.
    out : ndarray of shape (n_samples, n_outputs)
        Output buffer.
    threshold : float
        :math:`\delta`.
    """
    ops_for(P).clip(_residual_into(P, Y, out), -threshold, threshold, out=out)


def pinball(P, Y, sw, work, spare, quantile):
    r"""Pinball (quantile) loss at level :math:`q`, summed over the outputs.

    .. math:: L = \sum_k \operatorname{mean}_i\, \rho_q(P_{ik} - Y_{ik}),
              \qquad \rho_q(r) = \max\big((1 - q)\, r,\; -q\, r\big)

    A prediction above the target costs :math:`1 - q` per unit, one below it
    :math:`q`; the expected loss is smallest at the :math:`q`-quantile of
    the target's distribution. :math:`q = 0.5` is half the absolute error.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_outputs)
        Predictions.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets.
    sw : ndarray of shape (n_samples,) or None
        Sample weights.
    work, spare : ndarray of shape (n_samples, n_outputs)
        Scratch space.
    quantile : float
        :math:`q \in (0, 1)`.

    Returns
    -------
    loss : float
    """
    xp = ops_for(P)
    r = _residual_into(P, Y, work)
    xp.multiply(r, -quantile, out=spare)
    r *= 1 - quantile
    xp.maximum(r, spare, out=work)
    return _sample_mean(work, sw)


def pinball_gradient(P, Y, out, quantile):
    r"""Write the derivative of the pinball loss: :math:`[P > Y] - q`.

    That is :math:`1 - q` where the prediction is above the target and
    :math:`-q` where it is below (or equal: a subgradient at the kink).

    Parameters
    ----------
    P, Y : ndarray of shape (n_samples, n_outputs)
        Predictions and targets.
    out : ndarray of shape (n_samples, n_outputs)
        Output buffer.
    quantile : float
        :math:`q`.
    """
    ops_for(P).greater(P, Y, out=out)
    out -= quantile


# Losses that are not their output activation's canonical one: an identity
# output, and the loss's own derivative as the output delta. Keyed by the
# loss's name; their ``out_activation_`` is 'identity'.
OUTPUTS.update(
    absolute_error=OutputLayer(
        identity, absolute_error, gradient=absolute_error_gradient
    ),
    huber=OutputLayer(
        identity, huber, gradient=huber_gradient, parameter="huber_delta"
    ),
    quantile=OutputLayer(
        identity, pinball, gradient=pinball_gradient, parameter="quantile"
    ),
)
