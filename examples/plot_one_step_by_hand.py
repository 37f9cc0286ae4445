"""
========================================
One training step of a 2-2-1 network
========================================

A network with two inputs, two ReLU hidden units and one sigmoid output,
small enough to follow every number: one forward pass, the loss, one
backward pass and one gradient-descent update, for a batch of two samples.
Every value printed below is computed by skscratch's own core functions,
the ones the estimators call, so the numbers on this page are always those
of the current code.
"""

# %%
# The network and the data
# ------------------------
# :class:`~skscratch._core.network.Network` keeps every weight and bias in
# one flat vector ``theta``; ``coefs`` and ``intercepts`` are views of it, so
# writing into them writes into ``theta``. The weights are chosen by hand,
# round numbers that are easy to multiply.
import numpy as np

from skscratch._core.losses import output_layer
from skscratch._core.network import Network, backward, forward
from skscratch._core.optimizers import SGD
from skscratch._core.training import make_workspace

np.set_printoptions(precision=4, suppress=True)

net = Network(
    layer_units=(2, 2, 1), activations=("relu",), output="logistic", theta=np.zeros(9)
)
net.coefs[0][...] = [[0.5, -0.3], [0.2, 0.8]]  # W1: 2 inputs x 2 hidden units
net.intercepts[0][...] = [0.1, -0.1]  # b1
net.coefs[1][...] = [[1.0], [-1.5]]  # W2: 2 hidden units x 1 output
net.intercepts[1][...] = [0.2]  # b2
print("theta (W1, W2, then b1, b2):", net.theta)

X = np.array([[1.0, 2.0], [-1.0, 0.5]])
Y = np.array([[1.0], [0.0]])
n = len(X)
ws = make_workspace(net, X, batch_size=n, shuffle=False)

# %%
# Forward pass
# ------------
# :func:`~skscratch._core.network.forward` computes
# :math:`Z_1 = X W_1 + b_1`, then applies ReLU *in place*, so its buffer ends
# up holding :math:`A_1 = \max(Z_1, 0)`; :math:`Z_1` itself is not kept
# (the derivative of ReLU can be read from :math:`A_1`). For this page we
# print :math:`Z_1` from the same weights before calling it.
print("Z1 = X W1 + b1:\n", X @ net.coefs[0] + net.intercepts[0])
Z2 = forward(net.coefs, net.intercepts, net.activations, X, ws.acts, ws.work)
print("A1 = relu(Z1):\n", ws.acts[0][:n])
print("Z2 = A1 W2 + b2 (the output logits):\n", Z2)

# %%
# Output layer and loss
# ---------------------
# :func:`~skscratch._core.losses.output_layer` turns the logits into
# probabilities :math:`P = \sigma(Z_2)` in place, computes the mean log-loss
# and the output error :math:`\delta_2 = (P - Y) / n`, the derivative of the
# loss with respect to :math:`Z_2`.
loss = output_layer(
    net.output, Z2, Y, None, ws.deltas[1][:n], ws.work[1][:n], ws.row[:n]
)
print("P = sigmoid(Z2):\n", Z2)
print(f"loss = -mean(Y log P + (1 - Y) log(1 - P)) = {loss:.6f}")
print("delta2 = (P - Y) / n:\n", ws.deltas[1][:n])

# %%
# Backward pass
# -------------
# :func:`~skscratch._core.network.backward` fills the gradient, which has the
# same flat layout as ``theta``: :math:`\partial J/\partial W_2 = A_1^\top
# \delta_2`, :math:`\partial J/\partial b_2 = \mathbf{1}^\top \delta_2`, then
# :math:`\delta_1 = (\delta_2 W_2^\top) \odot [A_1 > 0]` and the same two
# products for layer 1.
backward(net, X, ws, n)
print("dJ/dW2 = A1^T delta2:\n", ws.grad_coefs[1])
print("dJ/db2 = column sums of delta2:", ws.grad_intercepts[1])
print("delta1 = (delta2 W2^T) * [A1 > 0]:\n", ws.deltas[0][:n])
print("dJ/dW1 = X^T delta1:\n", ws.grad_coefs[0])
print("dJ/db1 = column sums of delta1:", ws.grad_intercepts[0])


# %%
# Check the gradient with finite differences
# ------------------------------------------
# Nudging each parameter by :math:`\pm\epsilon` and recomputing the loss
# gives the slope independently of back-propagation.
def loss_at(theta):
    trial = Network((2, 2, 1), ("relu",), "logistic", theta.copy())
    tws = make_workspace(trial, X, batch_size=n, shuffle=False)
    Z = forward(trial.coefs, trial.intercepts, trial.activations, X, tws.acts, tws.work)
    return output_layer(
        "logistic", Z, Y, None, tws.deltas[1][:n], tws.work[1][:n], tws.row[:n]
    )


eps = 1e-6
numeric = np.array(
    [
        (loss_at(net.theta + eps * e) - loss_at(net.theta - eps * e)) / (2 * eps)
        for e in np.eye(len(net.theta))
    ]
)
print("back-propagation:   ", ws.grad)
print("finite differences: ", numeric)
print(f"largest difference: {np.abs(ws.grad - numeric).max():.1e}")

# %%
# The update
# ----------
# Plain gradient descent, :math:`\theta \leftarrow \theta - \eta\,\nabla J`,
# is :class:`~skscratch._core.optimizers.SGD` without momentum. It updates
# the whole flat vector at once, so every ``coefs`` and ``intercepts`` view
# changes with it.
sgd = SGD(
    n_params=len(net.theta),
    dtype=net.theta.dtype,
    learning_rate_init=0.5,
    schedule="constant",
    momentum=0.0,
    nesterov=False,
    power_t=0.5,
)
before = net.theta.copy()
sgd.step(net.theta, ws.grad)
print("theta before:", before)
print("theta after: ", net.theta)
print("W1 after:\n", net.coefs[0])
print("W2 after:\n", net.coefs[1])

# %%
# The loss after the step is lower: one step of learning.
Z2 = forward(net.coefs, net.intercepts, net.activations, X, ws.acts, ws.work)
new_loss = output_layer(
    net.output, Z2, Y, None, ws.deltas[1][:n], ws.work[1][:n], ws.row[:n]
)
print(f"loss {loss:.6f} -> {new_loss:.6f}")
