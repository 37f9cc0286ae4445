r"""Training diagnostics: what the weights, gradients and units do, per layer.

Two pieces, both used only when diagnostics are asked for, so that training
without them runs exactly the code it always ran:

* :class:`StepMonitor` wraps an optimizer and, at every step, measures for
  each weight matrix :math:`W_l` the gradient norm
  :math:`\lVert G_l \rVert_F` and the update-to-weight ratio
  :math:`\lVert \Delta W_l \rVert_F / \lVert W_l \rVert_F` (the weights before
  the step); :meth:`StepMonitor.take` returns their means over the steps
  since the last call.
* :func:`activation_statistics` runs the network forward over a data set and
  returns, for each hidden layer, the mean and standard deviation of its
  outputs and the fraction of its units that are never positive.

A ratio near :math:`10^{-3}` per step is the usual sign of a healthy learning
rate; ratios near 1 mean each step rewrites the weights. A rectified unit
whose output is never positive gets no gradient and stays *dead*.
"""

import math

import numpy as np

from skscratch._core.network import forward, layer_offsets
from skscratch._core.optimizers import _Wrapper

#: Activations whose unit is dead when its output is never positive: their
#: gradient vanishes (or nearly) wherever the pre-activation is negative.
RECTIFIERS = ("relu", "leaky_relu", "elu", "gelu")


def _layer_norms(vector, coef_spans):
    """Frobenius norm of each weight matrix in a flat vector."""
    norms = np.empty(len(coef_spans))
    for l, (a, b, _) in enumerate(coef_spans):
        part = vector[a:b]
        norms[l] = math.sqrt(float(np.dot(part, part)))
    return norms


def weight_norms(theta, layer_units):
    """Return the Frobenius norm of each weight matrix of a flat buffer.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
        Flat parameters.
    layer_units : sequence of int
        Units per layer.

    Returns
    -------
    norms : ndarray of shape (n_layers - 1,)
    """
    return _layer_norms(theta, layer_offsets(layer_units)[0])


class StepMonitor(_Wrapper):
    r"""Measure each step of another optimizer, per weight matrix.

    For every step, with :math:`G_l` the gradient the inner optimizer gets
    for :math:`W_l` (penalty included, before any clipping by an inner
    wrapper):

    .. math:: g_l = \lVert G_l \rVert_F, \qquad
              r_l = \frac{\lVert W_l^{new} - W_l \rVert_F}{\lVert W_l \rVert_F}

    Parameters
    ----------
    inner : Optimizer
        The optimizer that takes the steps.
    layer_units : sequence of int
        Units per layer of the network.
    theta : ndarray of shape (n_params,)
        The flat parameters (sets the scratch's size and dtype).
    """

    def __init__(self, inner, layer_units, theta):
        super().__init__(inner)
        self.spans, _, self.n_coef, _ = layer_offsets(layer_units)
        self.before = np.empty(self.n_coef, dtype=theta.dtype)
        self._reset()

    def _reset(self):
        n = len(self.spans)
        self.grad_sum, self.ratio_sum, self.steps = np.zeros(n), np.zeros(n), 0

    def step(self, theta, grad):
        """Measure the gradient, take the inner step, measure the update.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            Parameters, overwritten by the inner optimizer.
        grad : ndarray of shape (n_params,)
            Gradient of the loss at ``theta``.
        """
        self.grad_sum += _layer_norms(grad, self.spans)
        W = theta[: self.n_coef]
        np.copyto(self.before, W)
        weights = _layer_norms(self.before, self.spans)
        self.inner.step(theta, grad)
        np.subtract(W, self.before, out=self.before)
        updates = _layer_norms(self.before, self.spans)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.ratio_sum += updates / weights
        self.steps += 1

    def take(self):
        """Return the mean gradient norms and update ratios since the last call.

        Returns
        -------
        grad_norm, update_ratio : ndarray of shape (n_layers - 1,)
            NaN when no step was taken.
        """
        steps = self.steps or np.nan
        result = self.grad_sum / steps, self.ratio_sum / steps
        self._reset()
        return result


def _merge_moments(moments, block):
    """Fold a block's count, mean and sum of squared deviations into ``moments``.

    Chan et al.'s pairwise update, exact for any split into blocks.
    """
    n_a, mean_a, m2_a = moments
    n_b = block.size
    values = block.astype(np.float64)
    mean_b = values.mean()
    m2_b = float(np.square(values - mean_b).sum())
    n = n_a + n_b
    delta = mean_b - mean_a
    return n, mean_a + delta * n_b / n, m2_a + m2_b + delta**2 * n_a * n_b / n


def activation_statistics(net, X, block_rows=4096):
    r"""Mean, standard deviation and dead fraction of each hidden layer's outputs.

    The network runs forward over ``X`` (every unit on: no dropout), a block
    of rows at a time. For hidden layer :math:`l` with outputs :math:`A_l`
    (all samples and units together), the mean and population standard
    deviation, and the fraction of units :math:`j` with
    :math:`\max_i A_{l,ij} \le 0`: for the rectifiers (:data:`RECTIFIERS`)
    these units pass no gradient back; other activations get NaN.

    Parameters
    ----------
    net : Network
        The network, with at least one hidden layer.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Data to run forward.
    block_rows : int, default=4096
        Rows per block.

    Returns
    -------
    mean, std, dead : ndarray of shape (n_layers - 2,)
    """
    n, dtype, n_hidden = X.shape[0], net.theta.dtype, net.n_layers - 1
    rows = max(1, min(block_rows, n))
    acts = [np.empty((rows, u), dtype) for u in net.layer_units[1:]]
    works = [np.empty((rows, u), dtype) for u in net.layer_units[1:]]
    moments = [(0, 0.0, 0.0)] * n_hidden
    alive = [np.zeros(u, dtype=bool) for u in net.layer_units[1:-1]]
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        m = stop - start
        forward(net.coefs, net.intercepts, net.activations, X[start:stop], acts, works)
        for l in range(n_hidden):
            A = acts[l][:m]
            moments[l] = _merge_moments(moments[l], A)
            alive[l] |= (A > 0).any(axis=0)
    mean = np.array([mu for _, mu, _ in moments])
    std = np.array([math.sqrt(m2 / count) for count, _, m2 in moments])
    dead = np.array(
        [
            np.mean(~a) if _is_rectifier(name) else np.nan
            for a, name in zip(alive, net.activations, strict=True)
        ]
    )
    return mean, std, dead


def _is_rectifier(activation):
    """Whether an activation (a name, or a custom pair) is a rectifier."""
    return isinstance(activation, str) and activation in RECTIFIERS
