"""A plain NumPy network, as a textbook writes it, takes the estimator's steps.

The network below is the one of the documentation's first example: He
initialisation, ReLU hidden layers, a sigmoid (two classes) or softmax output,
full-batch gradient descent. Configured to that same algorithm, the estimator
must take exactly the same steps from the same starting weights.
"""

import warnings
from itertools import pairwise

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_moons
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPClassifier


def plain_init(sizes, rng):
    """He-normal weights and zero biases, one pair per layer."""
    W = [rng.standard_normal((a, b)) * np.sqrt(2.0 / a) for a, b in pairwise(sizes)]
    b = [np.zeros(n) for n in sizes[1:]]
    return W, b


def plain_step(W, b, X, Y, learning_rate):
    """One full-batch gradient-descent step; returns the loss before it."""
    activations = [X]
    for l in range(len(W)):
        Z = activations[-1] @ W[l] + b[l]
        activations.append(np.maximum(Z, 0) if l < len(W) - 1 else Z)
    Z = activations[-1]
    if Z.shape[1] == 1:
        P = 1 / (1 + np.exp(-Z))
        loss = -np.mean(Y * np.log(P) + (1 - Y) * np.log(1 - P))
    else:
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        P = E / E.sum(axis=1, keepdims=True)
        loss = -np.mean(np.sum(Y * np.log(P), axis=1))
    delta = (P - Y) / len(X)
    grads = []
    for l in range(len(W) - 1, -1, -1):
        grads.append((l, activations[l].T @ delta, delta.sum(axis=0)))
        if l > 0:
            delta = (delta @ W[l].T) * (activations[l] > 0)
    for l, dW, db in grads:  # every gradient first, then the update
        W[l] -= learning_rate * dW
        b[l] -= learning_rate * db
    return loss


def same_algorithm(hidden, learning_rate, n_samples, n_steps):
    """The estimator configured to plain full-batch gradient descent."""
    return ScratchMLPClassifier(
        hidden_layer_sizes=hidden,
        activation="relu",
        solver="sgd",
        learning_rate="constant",
        learning_rate_init=learning_rate,
        momentum=0.0,
        nesterovs_momentum=False,
        batch_size=n_samples,
        alpha=0.0,
        shuffle=False,
        init="he",
        max_iter=n_steps,
        n_iter_no_change=n_steps + 1,
        random_state=0,
    )


DATA = {
    "sigmoid": make_moons(n_samples=120, noise=0.2, random_state=0),
    "softmax": make_blobs(n_samples=120, centers=3, random_state=0),
}


@pytest.mark.parametrize("hidden", [(8,), (6, 5)])
@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_plain_network_and_estimator_take_the_same_steps(output, hidden):
    X, y = DATA[output]
    Y = y[:, None].astype(float) if output == "sigmoid" else np.eye(3)[y]
    sizes = [X.shape[1], *hidden, Y.shape[1]]
    W, b = plain_init(sizes, np.random.default_rng(0))
    lr, n_steps = 0.1, 50
    est = same_algorithm(hidden, lr, len(X), n_steps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.set_params(max_iter=1).fit(X, y)  # builds the network
        est.coefs_ = [w.copy() for w in W]  # ...which starts from the plain one's
        est.intercepts_ = [v.copy() for v in b]
        est.set_params(max_iter=n_steps, warm_start=True).fit(X, y)
    losses = [plain_step(W, b, X, Y, lr) for _ in range(n_steps)]
    # the weights moved far from where they started, and to the same place
    assert losses[-1] < 0.7 * losses[0]
    for ours, plain in zip(est.coefs_ + est.intercepts_, W + b, strict=True):
        np.testing.assert_allclose(ours, plain, rtol=0, atol=1e-12)
    np.testing.assert_allclose(est.loss_curve_[-n_steps:], losses, rtol=1e-12)


def test_taking_the_tutorial_update_order_breaks_the_equality():
    # Updating a layer before propagating the delta through its weights (as
    # some tutorials do) is a different algorithm: the check above can tell.
    X, y = DATA["sigmoid"]
    Y = y[:, None].astype(float)
    W, b = plain_init([2, 8, 1], np.random.default_rng(0))
    est = same_algorithm((8,), 0.5, len(X), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        est.coefs_ = [w.copy() for w in W]
        est.intercepts_ = [v.copy() for v in b]
        est.set_params(warm_start=True).fit(X, y)
    A1 = np.maximum(X @ W[0] + b[0], 0)
    delta = (1 / (1 + np.exp(-(A1 @ W[1] + b[1]))) - Y) / len(X)
    W[1] -= 0.5 * A1.T @ delta  # updated first...
    delta = (delta @ W[1].T) * (A1 > 0)  # ...then used to propagate
    W[0] -= 0.5 * X.T @ delta
    assert np.abs(est.coefs_[0] - W[0]).max() > 1e-6
