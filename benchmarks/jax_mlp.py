"""A JAX training loop for the benchmark: one ``jax.jit``-compiled step per batch.

It trains the network skscratch trains, from the same start and in the same
order: the initial weights come from skscratch's own Glorot draw on a
``RandomState(random_state)``, and every epoch visits the rows in the order
skscratch's shuffle makes from that same generator. Adam and SGD with
Nesterov momentum are written out as scikit-learn defines them, and the loss
is the mean cross-entropy plus ``alpha / (2 * batch)`` times the squared
weights. So the two loss curves can be compared, and the time ratio compares
implementations of one computation.

Compilation happens ahead of time, once per batch shape, and its seconds are
kept in :data:`COMPILE_SECONDS` (reported, never counted in a fit's time).
"""

import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from skscratch._core.network import initial_parameters, split_flat

jax.config.update("jax_enable_x64", True)  # float64 benchmarks stay float64

#: Seconds spent compiling, by (step, argument shapes and dtypes).
COMPILE_SECONDS = {}


def _forward(params, X):
    h = X
    for W, b in params[:-1]:
        h = jnp.maximum(h @ W + b, 0.0)
    W, b = params[-1]
    return h @ W + b


def _loss(params, X, Y, alpha):
    logits = _forward(params, X)
    if Y.shape[1] == 1:  # one logistic output for two classes
        data = jnp.mean(jnp.logaddexp(0.0, logits) - Y * logits, axis=0).sum()
    else:
        data = -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(logits), axis=1))
    squares = sum(jnp.sum(W * W) for W, _ in params)
    return data + 0.5 * alpha * squares / X.shape[0]


def _batch(X, Y, order, start, rows):
    idx = jax.lax.dynamic_slice(order, (start,), (rows,))
    return X[idx], Y[idx]


@partial(jax.jit, static_argnames=("rows", "lr", "alpha", "beta_1", "beta_2", "eps"))
def _adam_step(params, state, X, Y, order, start, rows, lr, alpha, beta_1, beta_2, eps):
    m, v, t = state
    loss, grads = jax.value_and_grad(_loss)(
        params, *_batch(X, Y, order, start, rows), alpha
    )
    t = t + 1
    m = jax.tree.map(lambda m, g: beta_1 * m + (1 - beta_1) * g, m, grads)
    v = jax.tree.map(lambda v, g: beta_2 * v + (1 - beta_2) * g * g, v, grads)
    rate = lr * jnp.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    params = jax.tree.map(
        lambda p, m, v: p - rate * m / (jnp.sqrt(v) + eps), params, m, v
    )
    return params, (m, v, t), loss


@partial(jax.jit, static_argnames=("rows", "lr", "alpha", "momentum"))
def _sgd_step(params, state, X, Y, order, start, rows, lr, alpha, momentum):
    loss, grads = jax.value_and_grad(_loss)(
        params, *_batch(X, Y, order, start, rows), alpha
    )
    velocity = jax.tree.map(lambda u, g: momentum * u - lr * g, state, grads)
    params = jax.tree.map(
        lambda p, u, g: p + momentum * u - lr * g, params, velocity, grads
    )
    return params, velocity, loss


def _compile_once(step, params, state, X, Y, order, start, rows):
    """Compile ``step`` for these shapes before its first timed use."""
    leaves = jax.tree.leaves((params, state, X, Y))
    key = (step.func.__name__, tuple(sorted(step.keywords.items())), rows)
    key += tuple((leaf.shape, leaf.dtype.name) for leaf in leaves)
    if key not in COMPILE_SECONDS:
        begin = time.perf_counter()
        jax.block_until_ready(step(params, state, X, Y, order, start, rows=rows))
        COMPILE_SECONDS[key] = time.perf_counter() - begin


class JaxMLP:
    """MLPClassifier's knobs (ReLU, adam or sgd) over a jitted JAX step."""

    def __init__(self, **params):
        self.params = params

    def _step(self):
        """The jitted step of the solver, its static hyper-parameters bound."""
        p = self.params
        lr, alpha = p.get("learning_rate_init", 1e-3), p.get("alpha", 1e-4)
        if p["solver"] == "sgd":
            if not p.get("nesterovs_momentum", True):
                raise ValueError("only Nesterov momentum is written out")
            return partial(
                _sgd_step, lr=lr, alpha=alpha, momentum=p.get("momentum", 0.9)
            )
        return partial(
            _adam_step, lr=lr, alpha=alpha, beta_1=0.9, beta_2=0.999, eps=1e-8
        )

    def fit(self, X, y):
        """Train for ``max_iter`` epochs in skscratch's batch order."""
        p = self.params
        self.classes_ = np.unique(y)
        codes = np.searchsorted(self.classes_, y)
        n_out = 1 if len(self.classes_) == 2 else len(self.classes_)
        Y = (codes[:, None] == 1) if n_out == 1 else np.eye(n_out)[codes]
        rng = np.random.RandomState(p.get("random_state", 0))
        units = [X.shape[1], *p["hidden_layer_sizes"], n_out]
        theta = initial_parameters(units, "glorot", ["relu"] * len(units), rng, X.dtype)
        coefs, intercepts = split_flat(theta, units)
        params = [
            (jnp.asarray(W), jnp.asarray(b))
            for W, b in zip(coefs, intercepts, strict=True)
        ]
        Xd, Yd = jnp.asarray(X), jnp.asarray(Y.astype(X.dtype))
        zeros = jax.tree.map(jnp.zeros_like, params)
        sgd = p["solver"] == "sgd"
        state = zeros if sgd else (zeros, zeros, jnp.zeros((), X.dtype))
        n, batch = X.shape[0], min(p["batch_size"], X.shape[0])
        starts = range(0, n, batch)
        step = self._step()
        order, losses = np.arange(n), []  # losses stay on the device until the end
        for rows in {batch, n - starts[-1]}:
            _compile_once(step, params, state, Xd, Yd, jnp.asarray(order), 0, rows)
        for _ in range(p["max_iter"]):
            order = order[rng.permutation(n)]
            order_d = jnp.asarray(order)
            for start in starts:
                rows = min(batch, n - start)
                params, state, loss = step(
                    params, state, Xd, Yd, order_d, start, rows=rows
                )
                losses.append(loss)
        sizes = np.diff(np.r_[np.arange(0, n, batch), n]) / n
        per_batch = np.array(jax.device_get(losses)).reshape(p["max_iter"], -1)
        self.loss_curve_ = list(per_batch @ sizes)
        self.params_ = params
        self.n_iter_ = p["max_iter"]
        return self

    def predict_proba(self, X):
        """Softmax (or logistic) outputs as a NumPy array."""
        proba = np.asarray(_predict(self.params_, jnp.asarray(X)))
        return np.hstack([1 - proba, proba]) if proba.shape[1] == 1 else proba

    def score(self, X, y):
        """Held-out accuracy."""
        codes = self.predict_proba(X).argmax(1)
        return float(np.mean(self.classes_[codes] == y))

    def load_weights(self, coefs, intercepts, classes):
        """Use the given (scikit-learn layout) weights instead of training."""
        self.classes_ = classes
        self.params_ = [
            (jnp.asarray(W), jnp.asarray(b))
            for W, b in zip(coefs, intercepts, strict=True)
        ]
        return self


@jax.jit
def _predict(params, X):
    logits = _forward(params, X)
    if logits.shape[1] == 1:
        return jax.nn.sigmoid(logits)
    return jax.nn.softmax(logits, axis=1)
