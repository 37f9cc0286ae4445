"""
=====================================
XOR: why a network needs hidden units
=====================================

XOR is the smallest problem a linear model cannot solve: four points, and the
label is 1 exactly when one coordinate, but not both, is 1. No straight line
puts (0, 1) and (1, 0) on one side and (0, 0) and (1, 1) on the other.

This example trains the network of the article skscratch grew from: two
inputs, four ReLU hidden units and one sigmoid output, fitted by plain
full-batch gradient descent with a learning rate of 0.5 for 5000 epochs,
starting from He initialisation (normal weights of variance 2 / fan-in, zero
biases) as the article does. In scikit-learn's vocabulary that is
``solver="sgd"`` with ``momentum=0``, a batch holding all four samples, no
shuffling and no L2 penalty; ``init="he"`` is skscratch's addition (scikit-learn
always draws Glorot's uniform weights).
"""

# %%
# The data
# --------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay

from skscratch import ScratchMLPClassifier

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
y = np.array([0, 1, 1, 0])

# %%
# Without a hidden layer
# ----------------------
# ``hidden_layer_sizes=()`` leaves only the output unit: the model is a
# logistic regression. Its best fit gives every point the probability 0.5,
# which is as good as a coin toss.
linear = ScratchMLPClassifier(hidden_layer_sizes=(), solver="lbfgs").fit(X, y)
print("P(y=1) without hidden layer:", linear.predict_proba(X)[:, 1].round(3))

# %%
# Four hidden units, trained by gradient descent
# ----------------------------------------------
# The article's training loop takes one step of size 0.5 down the gradient of
# the mean log-loss per epoch, over all four samples. ``tol=0`` and a large
# ``n_iter_no_change`` make the estimator run all 5000 epochs, as the loop
# did; the estimator then warns that it has reached ``max_iter``, which here
# is the plan rather than a problem.


def gradient_descent(seed):
    """The article's 2-4-1 network and training loop, with a given seed."""
    return ScratchMLPClassifier(
        hidden_layer_sizes=(4,),
        activation="relu",
        solver="sgd",
        learning_rate="constant",
        learning_rate_init=0.5,
        momentum=0.0,
        batch_size=4,
        shuffle=False,
        alpha=0.0,
        init="he",
        max_iter=5000,
        tol=0.0,
        n_iter_no_change=5000,
        random_state=seed,
    )


with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf = gradient_descent(seed=0).fit(X, y)

for x, target, p in zip(X, y, clf.predict_proba(X)[:, 1], strict=True):
    print(f"input {x.astype(int)}  predicted {p:.4f}  actual {target}")

# %%
# The decision surfaces
# ---------------------
# The colour is the predicted probability of class 1. The logistic regression
# is undecided everywhere; the hidden layer bends the boundary so that the
# two diagonals fall on different sides.
fig, axes = plt.subplots(1, 2, figsize=(9, 4), layout="constrained")
for ax, model, title in [
    (axes[0], linear, "no hidden layer"),
    (axes[1], clf, "4 ReLU hidden units"),
]:
    surface = DecisionBoundaryDisplay.from_estimator(
        model,
        X,
        response_method="predict_proba",
        grid_resolution=200,
        eps=0.5,
        cmap="RdBu_r",
        vmin=0,
        vmax=1,
        ax=ax,
    )
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", s=120, edgecolors="k")
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
colorbar = fig.colorbar(surface.surface_, ax=axes, label="P(y = 1)")

# %%
# Not every start succeeds
# ------------------------
# Gradient descent only follows the slope from where the initial weights put
# it. With four ReLU units some starts end in a poor local minimum, or with
# units that output zero for all four points, receive no gradient and never
# recover. Training the same network from 20 seeds shows how often that
# happens. The stuck runs level off at a loss of :math:`\log 2 \approx 0.69`
# (every hidden unit is dead and the output is 0.5 for all four points) or
# at about 0.35 and 0.48 (one point on the wrong side).
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
solved = 0
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for seed in range(20):
        model = gradient_descent(seed).fit(X, y)
        ok = model.score(X, y) == 1.0
        solved += ok
        ax.plot(model.loss_curve_, color="tab:green" if ok else "tab:red", alpha=0.7)
ax.set(
    xscale="log",
    yscale="log",
    xlabel="Epoch",
    ylabel="Log-loss",
    title=f"{solved} of 20 seeds solve XOR (green); the others get stuck (red)",
)
plt.show()

# %%
# Wider hidden layers, a momentum term or Adam make stuck starts much rarer;
# the :ref:`user guide <user_guide>` explains each of these optimizers.
