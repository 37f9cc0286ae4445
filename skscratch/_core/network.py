r"""The network: one flat parameter buffer, the forward pass and back-propagation.

Notation, for a network with layers :math:`0, \dots, L` (layer 0 is the
input, layer :math:`L` the output) and a batch of :math:`n` samples:

.. math::

    Z_l = A_{l-1} W_l + b_l, \qquad A_l = f_l(Z_l), \qquad A_0 = X

where :math:`W_l` has shape ``(units[l-1], units[l])``. The loss is

.. math::

    J = \sum_i w_i \, \ell(y_i, A_{L,i})
        + \frac{\alpha}{2 s} \sum_l \lVert W_l \rVert_F^2

with :math:`w_i` the sample weights normalised to sum to one and :math:`s`
the total sample weight of the batch (:math:`n` without weights).
Back-propagation applies the chain rule from the output down, with
:math:`\delta_l = \partial J / \partial Z_l`:

.. math::

    \delta_L = w \odot (A_L - Y), \qquad
    \delta_{l-1} = (\delta_l W_l^\top) \odot f'_{l-1}(Z_{l-1}),

    \frac{\partial J}{\partial W_l} = A_{l-1}^\top \delta_l
        + \frac{\alpha}{s} W_l, \qquad
    \frac{\partial J}{\partial b_l} = \mathbf{1}^\top \delta_l .

All weights and biases live in one contiguous vector ``theta`` (every weight
matrix first, in layer order, then every bias vector); ``coefs[l]`` and
``intercepts[l]`` are reshaped views of it. Gradients share that layout, so an
optimizer updates the whole network with a few vectorised in-place operations
and L-BFGS works on ``theta`` directly.
"""

from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import scipy.sparse as sp

from skscratch._core.activations import ACTIVATIONS
from skscratch._core.losses import output_layer


def layer_offsets(layer_units):
    """Return where each layer's weights and biases sit in the flat vector.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer, input first and output last.

    Returns
    -------
    coef_spans : list of (start, stop, shape)
        One entry per weight matrix.
    intercept_spans : list of (start, stop)
        One entry per bias vector.
    n_coef : int
        Number of weights (the biases start there).
    n_params : int
        Length of the flat vector.
    """
    coef_spans, start = [], 0
    for fan_in, fan_out in pairwise(layer_units):
        coef_spans.append((start, start + fan_in * fan_out, (fan_in, fan_out)))
        start += fan_in * fan_out
    n_coef = start
    intercept_spans = []
    for fan_out in layer_units[1:]:
        intercept_spans.append((start, start + fan_out))
        start += fan_out
    return coef_spans, intercept_spans, n_coef, start


def split_flat(theta, layer_units):
    """Return per-layer views ``(coefs, intercepts)`` into a flat vector.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
        Flat parameter (or gradient) vector.
    layer_units : sequence of int
        Units per layer.

    Returns
    -------
    coefs : list of ndarray
        ``coefs[l]`` has shape ``(layer_units[l], layer_units[l + 1])``.
    intercepts : list of ndarray
        ``intercepts[l]`` has shape ``(layer_units[l + 1],)``.
    """
    coef_spans, intercept_spans, _, _ = layer_offsets(layer_units)
    coefs = [theta[a:b].reshape(shape) for a, b, shape in coef_spans]
    intercepts = [theta[a:b] for a, b in intercept_spans]
    return coefs, intercepts


@dataclass
class Network:
    """A multi-layer perceptron whose parameters live in one flat buffer.

    Parameters
    ----------
    layer_units : tuple of int
        Units per layer, input first and output last.
    activations : tuple of str
        Activation of each hidden layer (``len(layer_units) - 2`` names).
    output : {'softmax', 'logistic', 'identity'}
        Output activation, which also fixes the loss.
    theta : ndarray of shape (n_params,)
        The flat parameter buffer; ``coefs`` and ``intercepts`` view it.
    """

    layer_units: tuple
    activations: tuple
    output: str
    theta: np.ndarray
    coefs: list = field(init=False)
    intercepts: list = field(init=False)

    def __post_init__(self):
        self.coefs, self.intercepts = split_flat(self.theta, self.layer_units)
        self.n_coef = layer_offsets(self.layer_units)[2]

    @property
    def n_layers(self):
        """Number of weight matrices."""
        return len(self.layer_units) - 1


def glorot_uniform(layer_units, activations, rng, dtype):
    r"""Draw initial parameters uniformly in Glorot and Bengio's bounds.

    .. math:: W_l, b_l \sim \mathcal{U}(-r_l, r_l), \qquad
              r_l = \sqrt{\frac{c}{\text{fan\_in} + \text{fan\_out}}}

    with :math:`c = 2` for the logistic activation and :math:`c = 6`
    otherwise. Layers are drawn in order, weights before biases, from ``rng``
    alone, so a seed gives the same network every time.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer.
    activations : sequence of str
        One activation name per weight matrix, choosing its bound.
    rng : numpy.random.RandomState
        Source of randomness.
    dtype : numpy dtype
        Floating dtype of the buffer.

    Returns
    -------
    theta : ndarray of shape (n_params,)
    """
    coef_spans, intercept_spans, _, n_params = layer_offsets(layer_units)
    theta = np.empty(n_params, dtype=dtype)
    for l, ((a, b, shape), (c, d)) in enumerate(
        zip(coef_spans, intercept_spans, strict=True)
    ):
        factor = 2.0 if activations[l] == "logistic" else 6.0
        bound = np.sqrt(factor / (shape[0] + shape[1]))
        theta[a:b] = rng.uniform(-bound, bound, shape).ravel()
        theta[c:d] = rng.uniform(-bound, bound, shape[1])
    return theta


@dataclass
class Workspace:
    r"""Buffers for one batch size, allocated once per fit and reused.

    ``acts[l]``, ``deltas[l]`` and ``work[l]`` hold :math:`A_{l+1}`,
    :math:`\delta_{l+1}` and scratch space for layer ``l + 1``, each of shape
    ``(batch_size, units)``; a smaller batch uses their first rows. ``grad`` is
    the flat gradient, viewed per layer by ``grad_coefs`` and
    ``grad_intercepts``.

    Parameters
    ----------
    net : Network
        The network the buffers are for.
    batch_size : int
        Largest number of rows in a batch.
    n_features_gather : int or None
        Width of the buffer a shuffled dense batch of ``X`` is gathered into;
        None when batches are views or sparse.
    """

    net: Network
    batch_size: int
    n_features_gather: int = None

    def __post_init__(self):
        dtype, units = self.net.theta.dtype, self.net.layer_units[1:]
        n = self.batch_size
        self.acts = [np.empty((n, u), dtype) for u in units]
        self.deltas = [np.empty((n, u), dtype) for u in units]
        self.work = [np.empty((n, u), dtype) for u in units]
        self.row = np.empty((n, 1), dtype)
        self.w = np.empty(n, dtype)
        self.sw = np.empty(n, dtype)
        self.Y = np.empty((n, units[-1]), dtype)
        self.X = None
        if self.n_features_gather is not None:
            self.X = np.empty((n, self.n_features_gather), dtype)
        self.grad = np.empty_like(self.net.theta)
        self.grad_coefs, self.grad_intercepts = split_flat(
            self.grad, self.net.layer_units
        )
        self.reg = np.empty(self.net.n_coef, dtype)
        self.ones = np.ones(n, dtype)


def _matmul(A, B, out):
    """Write ``A @ B`` into ``out``; ``A`` may be a sparse matrix."""
    if sp.issparse(A):
        out[...] = A @ B
    else:
        np.matmul(A, B, out=out)


def forward(coefs, intercepts, activations, X, acts):
    """Forward pass: fill ``acts[l][:n]`` with :math:`A_{l+1}` for every layer.

    The last entry holds the output *logits* :math:`Z_L`; the output activation
    is applied together with the loss (see :func:`output_layer`).

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        Weights and biases per layer.
    activations : sequence of str
        Activation of each hidden layer.
    X : ndarray or sparse matrix of shape (n, n_features)
        Input batch.
    acts : list of ndarray
        Buffers with at least ``n`` rows.

    Returns
    -------
    Z_out : ndarray of shape (n, n_outputs)
        View of the output logits.
    """
    n, A = X.shape[0], X
    for l, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        Z = acts[l][:n]
        _matmul(A, W, out=Z)
        Z += b
        if l < len(coefs) - 1:
            ACTIVATIONS[activations[l]][0](Z)
        A = Z
    return A


def backward(net, X, ws, n):
    """Back-propagate ``ws.deltas[-1][:n]`` and fill the data part of the gradient.

    Parameters
    ----------
    net : Network
    X : ndarray or sparse matrix of shape (n, n_features)
        Input batch.
    ws : Workspace
        Holds the activations of the forward pass and the output delta.
    n : int
        Rows in the batch.
    """
    for l in range(net.n_layers - 1, -1, -1):
        delta = ws.deltas[l][:n]
        A_prev = X if l == 0 else ws.acts[l - 1][:n]
        if sp.issparse(A_prev):
            ws.grad_coefs[l][...] = A_prev.T @ delta
        else:
            np.matmul(A_prev.T, delta, out=ws.grad_coefs[l])
        np.matmul(ws.ones[:n], delta, out=ws.grad_intercepts[l])  # column sums
        if l > 0:
            delta_prev = ws.deltas[l - 1][:n]
            np.matmul(delta, net.coefs[l].T, out=delta_prev)
            derivative = ACTIVATIONS[net.activations[l - 1]][1]
            derivative(ws.acts[l - 1][:n], delta_prev, ws.work[l - 1][:n])


def loss_and_gradient(net, X, Y, sw, alpha, ws):
    """Compute the penalised batch loss and write its gradient into ``ws.grad``.

    Parameters
    ----------
    net : Network
    X : ndarray or sparse matrix of shape (n, n_features)
        Input batch.
    Y : ndarray of shape (n, n_outputs)
        Targets (one-hot or 0/1 indicators for classification).
    sw : ndarray of shape (n,) or None
        Sample weights of the batch; must not sum to zero.
    alpha : float
        L2 penalty strength.
    ws : Workspace
        Buffers with at least ``n`` rows.

    Returns
    -------
    loss : float
        :math:`J` above, for this batch.
    """
    n = X.shape[0]
    if sw is None:
        w, total = None, n
    else:
        total = float(sw.sum())
        w = ws.w[:n]
        np.multiply(sw, 1.0 / total, out=w)
    Z = forward(net.coefs, net.intercepts, net.activations, X, ws.acts)
    loss = output_layer(
        net.output, Z, Y, w, ws.deltas[-1][:n], ws.work[-1][:n], ws.row[:n]
    )
    backward(net, X, ws, n)
    if alpha:
        W_all = net.theta[: net.n_coef]
        np.multiply(W_all, alpha / total, out=ws.reg)
        ws.grad[: net.n_coef] += ws.reg
        loss += 0.5 * alpha * float(W_all @ W_all) / total
    return loss


def predict_logits(coefs, intercepts, activations, X, block_rows=4096):
    """Return the output logits :math:`Z_L` for ``X``, a block of rows at a time.

    Working memory is a few ``(block_rows, units)`` buffers whatever the number
    of rows; only the ``(n, n_outputs)`` result grows with ``X``. Every call
    allocates its own buffers, so concurrent calls are safe.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        Weights and biases per layer.
    activations : sequence of str
        Activation of each hidden layer.
    X : ndarray or sparse matrix of shape (n, n_features)
    block_rows : int, default=4096
        Rows per block.

    Returns
    -------
    Z : ndarray of shape (n, n_outputs)
    """
    n, dtype = X.shape[0], coefs[-1].dtype
    out = np.empty((n, coefs[-1].shape[1]), dtype=dtype)
    rows = max(1, min(block_rows, n))
    acts = [np.empty((rows, W.shape[1]), dtype) for W in coefs[:-1]]
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        forward(coefs, intercepts, activations, X[start:stop], [*acts, out[start:stop]])
    return out
