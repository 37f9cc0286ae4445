"""An independent reference: a plain NumPy forward pass and gradient.

Written as a textbook writes it, with no buffer or in-place trick of the
package, so that the estimators' records can be checked against it.
"""

import numpy as np

HIDDEN = {
    "relu": (lambda Z: np.maximum(Z, 0), lambda Z, A: (Z > 0).astype(float)),
    "tanh": (np.tanh, lambda Z, A: 1 - A**2),
}


def plain_forward(W, b, X, hidden):
    """Pre-activations and outputs of every layer; the last output is the logits."""
    f = HIDDEN[hidden][0]
    Zs, As = [], [X]
    for l in range(len(W)):
        Z = As[-1] @ W[l] + b[l]
        Zs.append(Z)
        As.append(f(Z) if l < len(W) - 1 else Z)
    return Zs, As


def plain_output(Z, Y, output):
    """Predictions and mean log-loss of a 'softmax' or 'logistic' output."""
    if output == "logistic":
        P = 1 / (1 + np.exp(-Z))
        return P, -np.mean(np.sum(Y * np.log(P) + (1 - Y) * np.log(1 - P), axis=1))
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    P = E / E.sum(axis=1, keepdims=True)
    return P, -np.mean(np.sum(Y * np.log(P), axis=1))


def plain_gradient(W, b, X, Y, hidden, output):
    """Return the mean log-loss and the gradients ``(dW, db)`` per layer.

    The log-loss of a logistic output is summed over its columns.
    """
    f_prime = HIDDEN[hidden][1]
    Zs, As = plain_forward(W, b, X, hidden)
    P, loss = plain_output(As[-1], Y, output)
    delta = (P - Y) / len(X)
    dW, db = [None] * len(W), [None] * len(W)
    for l in range(len(W) - 1, -1, -1):
        dW[l], db[l] = As[l].T @ delta, delta.sum(axis=0)
        if l > 0:
            delta = (delta @ W[l].T) * f_prime(Zs[l - 1], As[l])
    return loss, dW, db


def one_sgd_epoch(est, W0, b0, X, y, **partial_fit_kwargs):
    """Set the weights, run one full-batch plain SGD epoch with ``partial_fit``.

    The estimator must be a fitted one configured with ``solver='sgd'``,
    ``momentum=0``, ``alpha=0``, ``shuffle=False`` and a batch of all rows:
    the epoch is then the single step ``W1 = W0 - learning_rate * gradient``.
    """
    est.coefs_ = [W.copy() for W in W0]
    est.intercepts_ = [v.copy() for v in b0]
    return est.partial_fit(X, y, **partial_fit_kwargs)
