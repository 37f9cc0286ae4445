"""
===============================
The whole network in 40 lines
===============================

Before any buffer, flat vector or in-place operation, here is the network
written as plainly as NumPy allows: He initialisation, one ReLU hidden layer,
a sigmoid output, the binary log-loss, back-propagation by the chain rule and
full-batch gradient descent. It is the network of the article skscratch grew
from, in about 40 lines.

Then the estimator, configured to run that very algorithm, trains from the
same starting weights, and the two end with the same weights, equal to
floating-point rounding. Everything else skscratch does (mini-batches,
momentum, Adam, penalties, early stopping, speed) is built on these lines.
"""

# %%
# The plain network
# -----------------
# ``W[l]`` has one row per input unit and one column per output unit, so a
# batch goes through a layer as ``A @ W[l] + b[l]``. The gradients are all
# computed before any weight changes: propagating the error through a layer
# whose weights were already updated would be a different algorithm.
import warnings
from itertools import pairwise

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPClassifier


def init_he(sizes, rng):
    """Weights ~ N(0, 2 / fan_in), biases 0 (He et al., 2015)."""
    W = [rng.standard_normal((m, k)) * np.sqrt(2 / m) for m, k in pairwise(sizes)]
    b = [np.zeros(k) for k in sizes[1:]]
    return W, b


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def forward(W, b, X):
    """Every layer's output: A[0] = X, ReLU hidden layers, sigmoid output."""
    A = [X]
    for l in range(len(W)):
        Z = A[-1] @ W[l] + b[l]
        A.append(np.maximum(Z, 0.0) if l < len(W) - 1 else sigmoid(Z))
    return A


def log_loss(P, Y):
    return -np.mean(Y * np.log(P) + (1 - Y) * np.log(1 - P))


def gradients(W, A, Y):
    """Back-propagation: dJ/dW and dJ/db for every layer, output first."""
    delta = (A[-1] - Y) / len(Y)  # dJ/dZ at the output (sigmoid + log-loss)
    dW, db = [None] * len(W), [None] * len(W)
    for l in range(len(W) - 1, -1, -1):
        dW[l] = A[l].T @ delta
        db[l] = delta.sum(axis=0)
        if l > 0:
            delta = (delta @ W[l].T) * (A[l] > 0)  # chain rule through ReLU
    return dW, db


def train_step(W, b, X, Y, learning_rate):
    A = forward(W, b, X)
    dW, db = gradients(W, A, Y)
    for l in range(len(W)):
        W[l] -= learning_rate * dW[l]
        b[l] -= learning_rate * db[l]
    return log_loss(A[-1], Y)


# %%
# Training it
# -----------
# Two half-moons, 200 points; 2 inputs, 16 hidden units, 1 output.
X, y = make_moons(n_samples=200, noise=0.2, random_state=0)
Y = y.reshape(-1, 1).astype(float)
W, b = init_he([2, 16, 1], np.random.default_rng(0))
W_start, b_start = [w.copy() for w in W], [v.copy() for v in b]

learning_rate, n_steps = 0.5, 300
plain_losses = [train_step(W, b, X, Y, learning_rate) for _ in range(n_steps)]
print(f"plain network: loss {plain_losses[0]:.4f} -> {plain_losses[-1]:.4f}")

# %%
# The same algorithm in the estimator
# -----------------------------------
# Each setting switches off something the plain loop does not do: momentum,
# mini-batches (one batch holds every sample), shuffling, the L2 penalty, a
# changing learning rate and stopping before ``max_iter``. ``init="he"``
# matches the initialisation; the weights themselves come from the plain
# network: after a first fit has built the estimator's network, assigning
# ``coefs_`` and ``intercepts_`` sets where training continues from, and
# ``warm_start=True`` continues from there.
clf = ScratchMLPClassifier(
    hidden_layer_sizes=(16,),
    activation="relu",
    solver="sgd",
    learning_rate="constant",
    learning_rate_init=learning_rate,
    momentum=0.0,
    nesterovs_momentum=False,
    batch_size=len(X),
    shuffle=False,
    alpha=0.0,
    init="he",
    max_iter=1,
    n_iter_no_change=n_steps + 1,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the plan
    clf.fit(X, y)  # builds the network (its weights are replaced just below)
    clf.coefs_ = [w.copy() for w in W_start]
    clf.intercepts_ = [v.copy() for v in b_start]
    clf.set_params(max_iter=n_steps, warm_start=True).fit(X, y)

estimator_losses = clf.loss_curve_[-n_steps:]
for name, ours, plain in [
    ("W1", clf.coefs_[0], W[0]),
    ("W2", clf.coefs_[1], W[1]),
    ("b1", clf.intercepts_[0], b[0]),
    ("b2", clf.intercepts_[1], b[1]),
]:
    gap = np.abs(ours - plain).max()
    print(f"{name}: largest difference after {n_steps} steps {gap:.1e}")
gap = np.abs(np.subtract(estimator_losses, plain_losses)).max()
print(f"losses: largest difference {gap:.1e}")
moved = np.abs(W[0] - W_start[0]).max()
print(f"W1 moved by up to {moved:.2f} from where it started")

# %%
# The two loss curves lie on top of each other. The differences of about
# 1e-15 are rounding: the estimator sums the same products in another order
# (it scales the output error by 1/n before the matrix product, not after).
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
ax.plot(plain_losses, lw=4, alpha=0.4, label="plain NumPy network")
ax.plot(estimator_losses, "k--", lw=1, label="ScratchMLPClassifier")
ax.set(xlabel="step", ylabel="log-loss", title="Same algorithm, same steps")
ax.legend()
plt.show()

# %%
# Where these lines live in skscratch's core, and why they look different
# there (one flat vector for all parameters, buffers allocated once, in-place
# operations), is the subject of :ref:`from_plain_to_fast`.
