r"""Label smoothing: the classifier's targets, softened before the loss sees them.

With smoothing :math:`\varepsilon \in [0, 1)` a softmax output over
:math:`K` classes is trained on

.. math:: \tilde Y = (1 - \varepsilon) \, Y + \frac{\varepsilon}{K}

instead of the one-hot rows :math:`Y` (PyTorch's ``label_smoothing``). A
logistic output (binary or multilabel) is a two-class softmax per output, so
each 0/1 target becomes

.. math:: \tilde y = (1 - \varepsilon) \, y + \frac{\varepsilon}{2},

that is :math:`\varepsilon / 2` and :math:`1 - \varepsilon / 2`. The
log-losses accept such targets as they are: the loss is the cross-entropy
between :math:`\tilde Y` and the predictions, and its gradient with respect
to the logits is still :math:`P - \tilde Y`, exactly.
"""


def smoothed_targets(Y, smoothing, output):
    r"""Return ``Y`` smoothed by :math:`\varepsilon`, or ``Y`` itself.

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n_outputs)
        One-hot rows (softmax) or 0/1 indicators (logistic), in the
        network's float dtype.
    smoothing : float
        :math:`\varepsilon` in [0, 1); 0 returns ``Y`` unchanged.
    output : {'softmax', 'logistic'}
        The output layer.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_outputs)
        A new array in ``Y``'s dtype when smoothing, else ``Y``.
    """
    if not smoothing:
        return Y
    n_classes = Y.shape[1] if output == "softmax" else 2
    smoothed = Y * (1.0 - smoothing)
    smoothed += smoothing / n_classes
    return smoothed.astype(Y.dtype, copy=False)


def loss_targets(estimator, Y):
    """Return the targets an estimator's loss sees: smoothed for a classifier.

    Parameters
    ----------
    estimator : BaseScratchMLP
        The estimator; only a classifier has ``label_smoothing``.
    Y : ndarray of shape (n_samples, n_outputs)
        Its target matrix, in the network's dtype.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_outputs)
    """
    smoothing = getattr(estimator, "label_smoothing", 0.0)
    return smoothed_targets(Y, smoothing, estimator._output)
