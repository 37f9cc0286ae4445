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

from skscratch._core.activations import activation_pair
from skscratch._core.arrays import ops_for
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
    xp = ops_for(theta)
    coefs = [xp.reshape(theta[a:b], shape) for a, b, shape in coef_spans]
    intercepts = [theta[a:b] for a, b in intercept_spans]
    return coefs, intercepts


def flatten(coefs, intercepts):
    """Copy per-layer arrays into a new flat buffer (weights first, then biases).

    Parameters
    ----------
    coefs, intercepts : list of array-like
        Weights and biases of each layer.

    Returns
    -------
    theta : ndarray of shape (n_params,)
        In their common float dtype (float64 for any other). Arrays of
        another namespace give a buffer in that namespace, on their device.
    """
    xp = ops_for(coefs[0])
    if not xp.is_numpy:
        parts = [xp.reshape(a, (-1,)) for a in [*coefs, *intercepts]]
        return xp.xp.concat([xp.asarray(p, dtype=coefs[0].dtype) for p in parts])
    dtype = np.result_type(*coefs, *intercepts)
    if dtype not in (np.float32, np.float64):
        dtype = np.float64
    parts = [np.asarray(a, dtype=dtype).ravel() for a in [*coefs, *intercepts]]
    return np.concatenate(parts)


def views_intact(arrays, views):
    """Return True when each array in ``arrays`` *is* the matching view's memory.

    Parameters
    ----------
    arrays : list
        Arrays as found on an estimator (perhaps replaced by a user).
    views : list of ndarray
        The views of the flat buffer they should be.

    Returns
    -------
    intact : bool
    """
    if len(arrays) != len(views):
        return False
    if views and not ops_for(views[0]).is_numpy:
        xp = ops_for(views[0])
        return all(
            type(a) is type(v)
            and a.shape == v.shape
            and a.dtype == v.dtype
            and xp.address(a) is not None
            and xp.address(a) == xp.address(v)
            for a, v in zip(arrays, views, strict=True)
        )
    for a, v in zip(arrays, views, strict=True):
        if not isinstance(a, np.ndarray) or a.base is not v.base:
            return False
        if a.shape != v.shape or a.strides != v.strides or a.dtype != v.dtype:
            return False
        if a.__array_interface__["data"][0] != v.__array_interface__["data"][0]:
            return False
    return True


@dataclass
class Network:
    """A multi-layer perceptron whose parameters live in one flat buffer.

    Parameters
    ----------
    layer_units : tuple of int
        Units per layer, input first and output last.
    activations : tuple of str or pair
        Activation of each hidden layer (``len(layer_units) - 2`` of them): a
        name of :data:`~skscratch._core.activations.ACTIVATIONS`, or a pair
        from :func:`~skscratch._core.activations.custom_activation`.
    output : str
        Output layer, a key of :data:`skscratch._core.losses.OUTPUTS`: the
        output activation and the loss.
    theta : ndarray of shape (n_params,)
        The flat parameter buffer; ``coefs`` and ``intercepts`` view it.
    dropout : tuple of float, default=()
        Dropout rate of each hidden layer during training; empty for none.
    output_param : float or None, default=None
        Value of the output layer's parameter, for a loss that takes one
        (the Huber threshold, the quantile).
    """

    layer_units: tuple
    activations: tuple
    output: str
    theta: np.ndarray
    dropout: tuple = ()
    output_param: float | None = None
    coefs: list = field(init=False)
    intercepts: list = field(init=False)

    def __post_init__(self):
        self.coefs, self.intercepts = split_flat(self.theta, self.layer_units)
        self.n_coef = layer_offsets(self.layer_units)[2]
        # Read by every batch: decided once here rather than per batch.
        self.has_dropout = any(rate > 0 for rate in self.dropout)

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


def he_normal(layer_units, rng, dtype):
    r"""Draw initial weights from He et al.'s normal distribution; biases zero.

    .. math:: W_l \sim \mathcal{N}\left(0, \frac{2}{\text{fan\_in}}\right),
              \qquad b_l = 0

    The variance keeps the scale of the activations steady through layers of
    rectified units, which zero half of their inputs on average.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer.
    rng : numpy.random.RandomState
        Source of randomness.
    dtype : numpy dtype
        Floating dtype of the buffer.

    Returns
    -------
    theta : ndarray of shape (n_params,)
    """
    coef_spans, _, _, n_params = layer_offsets(layer_units)
    theta = np.zeros(n_params, dtype=dtype)
    for a, b, shape in coef_spans:
        theta[a:b] = rng.normal(0.0, np.sqrt(2.0 / shape[0]), shape).ravel()
    return theta


def initial_parameters(layer_units, init, activations, rng, dtype):
    """Draw a new network's flat parameters.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer.
    init : {'glorot', 'he'}
        :func:`glorot_uniform` or :func:`he_normal`.
    activations : sequence of str
        One activation name per weight matrix (for Glorot's bounds).
    rng : numpy.random.RandomState
        Source of randomness.
    dtype : numpy dtype
        Floating dtype of the buffer.

    Returns
    -------
    theta : ndarray of shape (n_params,)
    """
    if init == "he":
        return he_normal(layer_units, rng, dtype)
    return glorot_uniform(layer_units, activations, rng, dtype)


@dataclass(frozen=True)
class Penalty:
    r"""Elastic-net penalty on the weights (never the biases).

    .. math:: \Omega(W) = \frac{\alpha}{s} \left( \rho \lVert W \rVert_1
              + \frac{1 - \rho}{2} \lVert W \rVert_2^2 \right)

    with :math:`\rho` the ``l1_ratio`` and :math:`s` the total sample weight of
    the batch. :math:`\rho = 0` is scikit-learn's L2 penalty. The L1 part has
    the subgradient :math:`\operatorname{sign}(W)`, exact away from 0; it
    pushes weights of little use to zero, so a high ratio gives sparse weights.

    Parameters
    ----------
    alpha : float, default=0.0
        Strength :math:`\alpha`.
    l1_ratio : float, default=0.0
        Mixing :math:`\rho \in [0, 1]`.
    """

    alpha: float = 0.0
    l1_ratio: float = 0.0

    def add_to(self, coefs, W, grad_W, scratch, total):
        """Add the penalty's gradient, times ``total``, to ``grad_W``; return its value.

        The gradient is added before the whole gradient is divided by the
        total sample weight (as scikit-learn adds ``alpha * W``), so it is
        added here unscaled.

        Parameters
        ----------
        coefs : list of ndarray
            Weights per layer, views of ``W`` (the value sums their squares
            layer by layer, in scikit-learn's order).
        W : ndarray of shape (n_coef,)
            All weights, flat.
        grad_W : ndarray of shape (n_coef,)
            Their gradient, updated in place.
        scratch : ndarray of shape (n_coef,)
            Scratch space.
        total : float
            Total sample weight :math:`s`.

        Returns
        -------
        value : float
        """
        if not self.alpha:
            return 0.0
        xp, rho, value = ops_for(W), self.l1_ratio, 0.0
        if rho < 1:
            l2 = self.alpha * (1 - rho)
            xp.multiply(W, l2, out=scratch)
            grad_W += scratch
            squares = 0
            for coef in coefs:
                flat = xp.reshape(coef, (-1,))
                squares += xp.dot(flat, flat)
            value += (0.5 * l2) * squares / total
        if rho > 0:
            l1 = self.alpha * rho
            xp.abs(W, out=scratch)
            value += l1 * xp.sum(scratch, axis=None) / total
            xp.sign(W, out=scratch)
            scratch *= l1
            grad_W += scratch
        return value


@dataclass
class Workspace:
    r"""Buffers for one batch size, allocated once per fit and reused.

    ``acts[l]``, ``deltas[l]`` and ``work[l]`` hold :math:`A_{l+1}`,
    :math:`\delta_{l+1}` and scratch space for layer ``l + 1``, each of shape
    ``(batch_size, units)``; a smaller batch uses their first rows. ``grad`` is
    the flat gradient, viewed per layer by ``grad_coefs`` and
    ``grad_intercepts``. Hidden layers with dropout also get ``masks[l]`` (the
    scaled 0/1 mask of the batch) and ``dropped[l]`` (:math:`A` times it).

    Parameters
    ----------
    net : Network
        The network the buffers are for.
    batch_size : int
        Largest number of rows in a batch.
    n_features_gather : int or None
        Width of the buffer a shuffled dense batch of ``X`` is gathered into;
        None when batches are views or sparse.
    rng : numpy.random.Generator or None
        Source of the dropout masks.
    """

    net: Network
    batch_size: int
    n_features_gather: int | None = None
    rng: np.random.Generator | None = None

    def __post_init__(self):
        theta, units = self.net.theta, self.net.layer_units[1:]
        n, xp = self.batch_size, ops_for(theta)
        self.acts = [xp.empty((n, u), theta) for u in units]
        self.deltas = [xp.empty((n, u), theta) for u in units]
        self.work = [xp.empty((n, u), theta) for u in units]
        rates = self.net.dropout or (0.0,) * (len(units) - 1)
        self.masks = [
            xp.empty((n, u), theta) if r > 0 else None
            for u, r in zip(units, rates, strict=False)
        ]
        self.dropped = [
            xp.empty((n, u), theta) if r > 0 else None
            for u, r in zip(units, rates, strict=False)
        ]
        self.row = xp.empty((n, 1), theta)
        self.sw = xp.empty((n,), theta)
        self.Y = xp.empty((n, units[-1]), theta)
        self.X = None
        if self.n_features_gather is not None:
            self.X = xp.empty((n, self.n_features_gather), theta)
        self.grad = xp.empty(theta.shape, theta)
        self.grad_coefs, self.grad_intercepts = split_flat(
            self.grad, self.net.layer_units
        )
        self.reg = xp.empty((self.net.n_coef,), theta)


def _matmul(A, B, out):
    """Write ``A @ B`` into ``out``; ``A`` may be a sparse matrix."""
    if sp.issparse(A):
        out[...] = A @ B
    else:
        ops_for(out).matmul(A, B, out=out)


def draw_dropout_masks(net, ws, n):
    r"""Draw fresh inverted-dropout masks for a batch of ``n`` rows.

    Each unit of a hidden layer with rate :math:`p` is kept with probability
    :math:`1 - p` and then scaled by :math:`1 / (1 - p)`, so the expected
    activation is unchanged and prediction needs no rescaling:

    .. math:: M_{ij} = \frac{[U_{ij} \ge p]}{1 - p}, \quad U_{ij} \sim
              \mathcal{U}(0, 1)

    Parameters
    ----------
    net : Network
    ws : Workspace
        Its ``masks`` are overwritten, drawn from ``ws.rng``.
    n : int
        Rows in the batch.
    """
    for rate, mask in zip(net.dropout, ws.masks, strict=False):
        if rate > 0:
            m, xp = mask[:n, ...], ops_for(mask)
            if xp.is_numpy:
                ws.rng.random(out=m, dtype=m.dtype)
            else:  # drawn on the host, from the same generator
                xp.copyto(m, xp.from_numpy(ws.rng.random(m.shape), m))
            xp.greater_equal(m, rate, out=m)
            m *= 1.0 / (1.0 - rate)


def forward(coefs, intercepts, activations, X, acts, works, masks=None, dropped=None):
    """Forward pass: fill ``acts[l][:n]`` with :math:`A_{l+1}` for every layer.

    The last entry holds the output *logits* :math:`Z_L`; the output activation
    is applied together with the loss (see
    :func:`~skscratch._core.losses.output_layer`). With dropout, a hidden
    layer's output times its mask goes to ``dropped[l]``, and that is what the
    next layer sees; ``acts[l]`` keeps the undropped values for the derivative.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        Weights and biases per layer.
    activations : sequence of str or pair
        Activation of each hidden layer (a name, or a custom pair).
    X : ndarray or sparse matrix of shape (n, n_features)
        Input batch.
    acts, works : list of ndarray
        Activation and scratch buffers with at least ``n`` rows.
    masks, dropped : list of ndarray or None, optional
        Dropout masks and buffers (training only); None entries mean no dropout.

    Returns
    -------
    Z_out : ndarray of shape (n, n_outputs)
        View of the output logits.
    """
    n, A, last = X.shape[0], X, len(coefs) - 1
    for l, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        Z = acts[l][:n, ...]
        _matmul(A, W, out=Z)
        Z += b
        A = Z
        if l < last:
            activation_pair(activations[l])[0](Z, works[l][:n, ...])
            if masks is not None and masks[l] is not None:
                mask, out = masks[l][:n, ...], dropped[l][:n, ...]
                A = ops_for(Z).multiply(Z, mask, out=out)
    return A


def _layer_input(X, ws, l, n):
    """Return what layer ``l`` saw in the forward pass: X, A, or A after dropout."""
    if l == 0:
        return X
    dropped = ws.dropped[l - 1]
    return (ws.acts[l - 1] if dropped is None else dropped)[:n, ...]


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
    xp = ops_for(ws.grad)
    for l in range(net.n_layers - 1, -1, -1):
        delta = ws.deltas[l][:n, ...]
        A_prev = _layer_input(X, ws, l, n)
        if sp.issparse(A_prev):
            ws.grad_coefs[l][...] = A_prev.T @ delta
        else:
            xp.matmul(A_prev.T, delta, out=ws.grad_coefs[l])
        xp.sum(delta, axis=0, out=ws.grad_intercepts[l])  # column sums
        if l > 0:
            delta_prev = ws.deltas[l - 1][:n, ...]
            xp.matmul(delta, net.coefs[l].T, out=delta_prev)
            if ws.masks[l - 1] is not None:
                delta_prev *= ws.masks[l - 1][:n, ...]
            derivative = activation_pair(net.activations[l - 1])[1]
            derivative(ws.acts[l - 1][:n, ...], delta_prev, ws.work[l - 1][:n, ...])


def loss_and_gradient(net, X, Y, sw, penalty, ws, draw_masks=True, report=True):
    """Compute the penalised batch loss and write its gradient into ``ws.grad``.

    Parameters
    ----------
    net : Network
    X : ndarray or sparse matrix of shape (n, n_features)
        Input batch.
    Y : ndarray of shape (n, n_outputs)
        Targets (one-hot or 0/1 indicators for classification).
    sw : ndarray of shape (n,) or None
        Sample weights of the batch.
    penalty : Penalty or float
        Penalty on the weights; a float is an L2 strength ``alpha``.
    ws : Workspace
        Buffers with at least ``n`` rows.
    draw_masks : bool, default=True
        With dropout, whether to draw new masks (False reuses the last ones,
        which makes the loss a deterministic function of the parameters, as
        a gradient check needs).
    report : bool, default=True
        Report the loss as scikit-learn does; False gives the objective whose
        gradient is computed (they differ for several squared-error outputs,
        see :func:`~skscratch._core.losses.output_layer`).

    Returns
    -------
    loss : float or None
        :math:`J` above, for this batch; None, with no gradient written, when
        the sample weights sum to zero.
    """
    if not isinstance(penalty, Penalty):
        penalty = Penalty(alpha=penalty)
    n = X.shape[0]
    total = n if sw is None else ops_for(sw).sum(sw, axis=None)
    if not total > 0:
        return None  # no weight, no information: nothing to learn from
    masks = None
    if net.has_dropout:
        if draw_masks:
            draw_dropout_masks(net, ws, n)
        masks = ws.masks
    Z = forward(
        net.coefs,
        net.intercepts,
        net.activations,
        X,
        ws.acts,
        ws.work,
        masks,
        ws.dropped,
    )
    delta, work, row = ws.deltas[-1][:n, ...], ws.work[-1][:n, ...], ws.row[:n, ...]
    param = net.output_param
    loss = output_layer(net.output, Z, Y, sw, delta, work, row, report, param)
    backward(net, X, ws, n)
    W_all, grad_W = net.theta[: net.n_coef], ws.grad[: net.n_coef]
    loss += penalty.add_to(net.coefs, W_all, grad_W, ws.reg, total)
    ws.grad /= total
    return loss


def predict_logits(coefs, intercepts, activations, X, block_rows=4096):
    """Return the output logits :math:`Z_L` for ``X``, a block of rows at a time.

    Working memory is a few ``(block_rows, units)`` buffers whatever the number
    of rows; only the ``(n, n_outputs)`` result grows with ``X``. Every call
    allocates its own buffers, so concurrent calls are safe. Dropout is a
    training-time device: prediction uses every unit.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        Weights and biases per layer.
    activations : sequence of str or pair
        Activation of each hidden layer (a name, or a custom pair).
    X : ndarray or sparse matrix of shape (n, n_features)
    block_rows : int, default=4096
        Rows per block.

    Returns
    -------
    Z : ndarray of shape (n, n_outputs)
    """
    n, like = X.shape[0], coefs[-1]
    xp = ops_for(like)
    out = xp.empty((n, like.shape[1]), like)
    rows = max(1, min(block_rows, n))
    acts = [xp.empty((rows, W.shape[1]), like) for W in coefs[:-1]]
    works = [xp.empty((rows, W.shape[1]), like) for W in coefs[:-1]]
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        forward(
            coefs,
            intercepts,
            activations,
            X[start:stop, ...],
            [*acts, out[start:stop, ...]],
            works,
        )
    return out
