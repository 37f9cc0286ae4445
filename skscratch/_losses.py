"""The estimator side of the output layers: a loss's parameter and its name."""

from skscratch._core.losses import OUTPUTS


def output_parameter(estimator):
    """Return the value of the estimator's output-layer parameter, or None.

    A record of :data:`skscratch._core.losses.OUTPUTS` names the estimator
    parameter its loss takes (``huber_delta``, ``quantile``); the network
    carries its value.
    """
    name = OUTPUTS[estimator._output].parameter
    return None if name is None else getattr(estimator, name)


def output_activation(estimator):
    """Return the name of the estimator's output activation (``out_activation_``)."""
    return OUTPUTS[estimator._output].activation_name
