r"""
=================================================
Checking back-propagation with finite differences
=================================================

Back-propagation computes the gradient of the training loss with respect to
every weight in one backward pass through the network. It is easy to get
subtly wrong (a missing factor, a transposed matrix, a derivative taken at
the wrong point), and a wrong gradient does not crash anything: training
just goes worse than it should. :func:`skscratch.check_gradients` compares
the gradient back-propagation gives with one estimated by finite differences,
which needs nothing but the loss itself.

For each parameter :math:`\theta_k`, the loss :math:`J` is evaluated a small
step :math:`h` on either side and the slope between the two points taken as
the derivative:

.. math::

    \frac{\partial J}{\partial \theta_k} \approx
    \frac{J(\theta + h e_k) - J(\theta - h e_k)}{2 h},

where :math:`e_k` is the :math:`k`-th unit vector. This *central* difference
is accurate to :math:`O(h^2)`, against :math:`O(h)` for the one-sided
:math:`(J(\theta + h e_k) - J(\theta)) / h`. For each layer the function
returns the relative error

.. math::

    \frac{\lVert g_{\text{backprop}} - g_{\text{numeric}} \rVert}
    {\lVert g_{\text{backprop}} \rVert + \lVert g_{\text{numeric}} \rVert}

over its weights and biases. With :math:`h = 10^{-6}` in float64, correct
code gives errors of about :math:`10^{-8}` or less; a mistake gives errors
of order :math:`10^{-1}` to 1. Each parameter costs two forward passes, so
the check is for small networks and a handful of samples.
"""

# %%
# Every activation function
# -------------------------
# A network with two small hidden layers on 30 samples of a three-class
# problem, with a little L2 penalty so that the penalty's gradient is checked
# too. The estimators are not fitted: ``check_gradients`` then checks them at
# the initial weights ``fit`` would start from.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification

from skscratch import ScratchMLPClassifier, check_gradients
from skscratch._core import activations

X, y = make_classification(
    n_samples=30,
    n_features=4,
    n_informative=3,
    n_redundant=0,
    n_classes=3,
    random_state=0,
)


def small_network(activation):
    """Return an unfitted classifier with two small hidden layers."""
    return ScratchMLPClassifier(
        hidden_layer_sizes=(5, 4), activation=activation, alpha=1e-3, random_state=0
    )


names = list(activations.ACTIVATIONS)
largest = []
for name in names:
    errors = check_gradients(small_network(name), X, y)
    largest.append(errors.max())
    print(f"{name:10s} largest relative error over the layers: {errors.max():.1e}")

fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
ax.bar(names, largest, color="tab:green")
ax.axhline(1e-6, color="k", linestyle="--", linewidth=1)
ax.text(len(names) - 0.5, 1.5e-6, "1e-6", ha="right", va="bottom")
ax.set(
    yscale="log",
    ylim=(1e-11, 1),
    ylabel="largest relative error",
    title="check_gradients, one bar per hidden activation",
)
ax.tick_params(axis="x", labelrotation=30)
plt.show()

# %%
# Every activation stays far below :math:`10^{-6}`: around :math:`10^{-9}`,
# and about :math:`10^{-8}` for the logistic sigmoid. Its derivative is at
# most 1/4, so its gradients are smaller and the rounding errors of the finite
# differences, which grow as :math:`h` shrinks, weigh relatively more: a
# larger step, ``epsilon=1e-5``, brings it down to :math:`10^{-9}` as well.
#
# What a bug looks like
# ---------------------
# Each activation is a pair of functions in
# ``skscratch._core.activations.ACTIVATIONS``: the forward pass, and a
# backward pass that multiplies the back-propagated error by the derivative
# :math:`f'(z)` in place. Here the backward pass of ``tanh`` is replaced for
# a moment by one that forgets the derivative, as if :math:`f'(z)` were 1.
# The ``try`` / ``finally`` block puts the correct function back whatever
# happens.
forward, backward = activations.ACTIVATIONS["tanh"]


def forgetful_backward(A, delta, work):
    """Leave ``delta`` unchanged: the derivative of tanh is missing."""


correct = check_gradients(small_network("tanh"), X, y)
activations.ACTIVATIONS["tanh"] = (forward, forgetful_backward)
try:
    buggy = check_gradients(small_network("tanh"), X, y)
finally:
    activations.ACTIVATIONS["tanh"] = (forward, backward)
print("correct tanh, per layer:", np.array2string(correct, precision=1))
print("buggy tanh, per layer:  ", np.array2string(buggy, precision=1))

layers = np.arange(len(correct))
fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
ax.bar(layers - 0.2, correct, width=0.4, label="correct derivative")
ax.bar(layers + 0.2, buggy, width=0.4, color="tab:red", label="derivative missing")
ax.set_xticks(layers, ["hidden 1", "hidden 2", "output"])
ax.set(
    yscale="log",
    ylim=(1e-11, 10),
    xlabel="weights and biases into the layer",
    ylabel="relative error",
    title="tanh network",
)
ax.legend(loc="upper right")
plt.show()

# %%
# The two hidden layers, whose gradients pass through the derivative of
# tanh, jump from about :math:`10^{-9}` to :math:`10^{-1}` or more, while the
# output layer, whose gradient does not depend on it, stays correct. The
# per-layer errors thus also say *where* the mistake is. Errors like these
# mean a bug; errors around :math:`10^{-5}` to :math:`10^{-3}` more often mean
# a step :math:`h` badly suited to the scale of the loss, or a kink (such as
# the ReLU's at 0) lying between :math:`\theta - h e_k` and
# :math:`\theta + h e_k`.
