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

Losses are weighted means over the samples: with weights :math:`w_i \ge 0`
normalised to sum to one (``w`` below; ``None`` means :math:`w_i = 1/n`),
:math:`L = \sum_i w_i \ell_i`.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, xlogy


def _clip_log(q):
    r"""Replace ``q`` by :math:`\log q`, q clipped to [eps, 1 - eps], in place."""
    eps = np.finfo(q.dtype).eps
    np.maximum(q, eps, out=q)
    np.minimum(q, 1 - eps, out=q)
    np.log(q, out=q)


def _weighted_sum(values, w):
    r"""Return :math:`\sum_i w_i v_i`, or the plain mean when ``w`` is None."""
    if w is None:
        return float(values.sum()) / values.shape[0]
    return float(values @ w)


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
    np.maximum.reduce(Z, axis=1, keepdims=True, out=row)
    Z -= row
    np.exp(Z, out=Z)
    np.add.reduce(Z, axis=1, keepdims=True, out=row)
    Z /= row


def log_loss_softmax(P, Y, R, w, work, row):
    r"""Categorical log-loss of softmax outputs.

    .. math:: \ell_i = -\sum_k Y_{ik} \log P_{ik} = -\log P_{i, y_i}

    With one-hot targets only the true class contributes, so the logarithm is
    taken of one probability per sample. Probabilities are clipped to
    :math:`[\epsilon, 1 - \epsilon]` (machine epsilon of the dtype) first.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_classes)
        Predicted probabilities.
    Y : ndarray of shape (n_samples, n_classes)
        One-hot targets.
    R : ndarray of shape (n_samples, n_classes)
        Residual :math:`P - Y` (unused here).
    w : ndarray of shape (n_samples,) or None
        Normalised sample weights.
    work : ndarray of shape (n_samples, n_classes)
        Scratch space.
    row : ndarray of shape (n_samples, 1)
        Scratch space.

    Returns
    -------
    loss : float
    """
    np.multiply(P, Y, out=work)
    q = row[:, 0]
    np.add.reduce(work, axis=1, out=q)
    _clip_log(q)
    return -_weighted_sum(q, w)


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
    expit(Z, out=Z)


def log_loss_logistic(P, Y, R, w, work, row):
    r"""Binary log-loss of sigmoid outputs, summed over the outputs.

    .. math::

        \ell_i = -\sum_k \left[ Y_{ik} \log P_{ik}
                  + (1 - Y_{ik}) \log (1 - P_{ik}) \right]
                = -\sum_k \log \left(1 - |R_{ik}|\right)

    because for a 0/1 target the probability given to the true label is
    :math:`1 - |P - Y|`. Clipped to :math:`[\epsilon, 1 - \epsilon]` first.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_outputs)
        Predicted probabilities.
    Y : ndarray of shape (n_samples, n_outputs)
        0/1 targets.
    R : ndarray of shape (n_samples, n_outputs)
        Residual :math:`P - Y`.
    w : ndarray of shape (n_samples,) or None
        Normalised sample weights.
    work : ndarray of shape (n_samples, n_outputs)
        Scratch space.
    row : ndarray of shape (n_samples, 1)
        Scratch space.

    Returns
    -------
    loss : float
    """
    np.abs(R, out=work)
    np.subtract(1, work, out=work)
    _clip_log(work)
    q = row[:, 0]
    np.add.reduce(work, axis=1, out=q)
    return -_weighted_sum(q, w)


def identity(Z, row):
    """Leave the output unchanged: :math:`P = Z`.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_outputs)
        Outputs, unchanged.
    row : ndarray of shape (n_samples, 1)
        Scratch space (unused).
    """


def squared_error(P, Y, R, w, work, row):
    r"""Half the squared error, summed over the outputs.

    .. math:: \ell_i = \frac{1}{2} \sum_k R_{ik}^2

    Its gradient with respect to :math:`Z = P` is exactly :math:`R`, the
    residual, which is also the step scikit-learn's MLPRegressor takes (it
    reports the loss averaged over the outputs instead, so for several
    outputs the two reported values differ by that factor).

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_outputs)
        Predictions.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets.
    R : ndarray of shape (n_samples, n_outputs)
        Residual :math:`P - Y`.
    w : ndarray of shape (n_samples,) or None
        Normalised sample weights.
    work : ndarray of shape (n_samples, n_outputs)
        Scratch space.
    row : ndarray of shape (n_samples, 1)
        Scratch space.

    Returns
    -------
    loss : float
    """
    np.square(R, out=work)
    q = row[:, 0]
    np.add.reduce(work, axis=1, out=q)
    return 0.5 * _weighted_sum(q, w)


def exp_bound(dtype):
    r"""Return the largest logit :func:`exp` takes, half the log of the largest float.

    Parameters
    ----------
    dtype : numpy dtype
        Floating dtype of the logits.

    Returns
    -------
    bound : float
    """
    return 0.5 * np.log(np.finfo(dtype).max)


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
    bound = exp_bound(Z.dtype)
    np.clip(Z, -bound, bound, out=Z)
    np.exp(Z, out=Z)


def poisson_deviance(P, Y, R, w, work, row):
    r"""Half the Poisson deviance of predicted means, summed over the outputs.

    .. math:: \ell_i = \sum_k \left[ Y_{ik} \log \frac{Y_{ik}}{P_{ik}}
              - Y_{ik} + P_{ik} \right]

    (with :math:`0 \log 0 = 0`). With :math:`P = e^Z` its gradient with respect
    to :math:`Z` is :math:`P - Y = R`: the log link is canonical for Poisson.

    Parameters
    ----------
    P : ndarray of shape (n_samples, n_outputs)
        Predicted means, positive.
    Y : ndarray of shape (n_samples, n_outputs)
        Non-negative targets.
    R : ndarray of shape (n_samples, n_outputs)
        Residual :math:`P - Y`.
    w : ndarray of shape (n_samples,) or None
        Normalised sample weights.
    work : ndarray of shape (n_samples, n_outputs)
        Scratch space.
    row : ndarray of shape (n_samples, 1)
        Scratch space.

    Returns
    -------
    loss : float
    """
    np.divide(Y, P, out=work)
    xlogy(Y, work, out=work)
    work += R
    q = row[:, 0]
    np.add.reduce(work, axis=1, out=q)
    return _weighted_sum(q, w)


@dataclass(frozen=True)
class OutputLayer:
    r"""An output activation paired with its canonical loss.

    For every pair the output delta is :math:`\partial L / \partial Z =
    w \odot (P - Y)` (see :func:`output_layer`), so a record needs only the
    two functions below.

    Parameters
    ----------
    activation : callable
        ``activation(Z, row)`` turns logits into predictions in place: the
        inverse link of the model (``row`` is scratch of shape
        ``(n_samples, 1)``).
    loss : callable
        ``loss(P, Y, R, w, work, row)`` returns the weighted mean loss from
        the predictions, targets and residual :math:`R = P - Y`.
    """

    activation: Callable
    loss: Callable

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
        self.activation(Z, np.empty((Z.shape[0], 1), Z.dtype))
        return Z


#: output activation name -> its record; the estimators and the ONNX export
#: read the names and the inverse links from here.
OUTPUTS = {
    "softmax": OutputLayer(softmax, log_loss_softmax),
    "logistic": OutputLayer(logistic, log_loss_logistic),
    "identity": OutputLayer(identity, squared_error),
    "exp": OutputLayer(exp, poisson_deviance),
}


def output_layer(name, Z, Y, w, delta, work, row):
    r"""Turn the output logits into predictions, a loss and the output delta.

    In place: ``Z`` becomes the predictions :math:`P = g(Z)` and ``delta``
    becomes :math:`\partial L / \partial Z = w \odot (P - Y)` (the weights
    :math:`w_i` scale each row; with ``w`` None they are all :math:`1/n`).

    Parameters
    ----------
    name : {'softmax', 'logistic', 'identity', 'exp'}
        Output activation (and so the loss).
    Z : ndarray of shape (n_samples, n_outputs)
        Output logits, overwritten by the predictions.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets.
    w : ndarray of shape (n_samples,) or None
        Normalised sample weights.
    delta : ndarray of shape (n_samples, n_outputs)
        Output buffer for the delta.
    work : ndarray of shape (n_samples, n_outputs)
        Scratch space.
    row : ndarray of shape (n_samples, 1)
        Scratch space.

    Returns
    -------
    loss : float
        Weighted mean loss of the batch (without any penalty).
    """
    layer = OUTPUTS[name]
    layer.activation(Z, row)
    np.subtract(Z, Y, out=delta)
    loss = layer.loss(Z, Y, delta, w, work, row)
    if w is None:
        delta *= 1.0 / Z.shape[0]
    else:
        delta *= w[:, np.newaxis]
    return loss


def evaluate_loss(name, Z, Y, sw=None):
    """Return the weighted mean loss of logits ``Z`` (no penalty, no gradient).

    Parameters
    ----------
    name : {'softmax', 'logistic', 'identity', 'exp'}
        Output activation (and so the loss).
    Z : ndarray of shape (n_samples, n_outputs)
        Output logits, overwritten by the predictions.
    Y : ndarray of shape (n_samples, n_outputs)
        Targets.
    sw : ndarray of shape (n_samples,) or None
        Sample weights.

    Returns
    -------
    loss : float
    """
    w = None if sw is None else sw / sw.sum()
    scratch = np.empty_like(Z), np.empty_like(Z), np.empty((Z.shape[0], 1), Z.dtype)
    return output_layer(name, Z, Y, w, *scratch)
