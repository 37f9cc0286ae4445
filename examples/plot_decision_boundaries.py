"""
==============================================
Decision boundaries: skscratch next to sklearn
==============================================

``ScratchMLPClassifier`` is meant to be a drop-in replacement for
scikit-learn's ``MLPClassifier``. This example fits both, with the same
hyper-parameters and the same ``random_state``, on three two-dimensional
datasets (two interleaved half moons, two concentric circles and three
Gaussian blobs) and draws their decision boundaries side by side.

With the same seed the two estimators draw the same initial weights and
shuffle the samples in the same order, so they take the same steps: the
boundaries agree, and so do the fitted weights, up to floating-point
rounding.
"""

# %%
# Three datasets
# --------------
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from sklearn.datasets import make_blobs, make_circles, make_moons
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier

datasets = {
    "moons": make_moons(n_samples=300, noise=0.25, random_state=0),
    "circles": make_circles(n_samples=300, noise=0.15, factor=0.5, random_state=0),
    "blobs": make_blobs(
        n_samples=300, centers=3, cluster_std=1.8, n_features=2, random_state=3
    ),
}

# %%
# One set of hyper-parameters for both libraries
# ----------------------------------------------
# Two hidden layers of 16 ReLU units trained by Adam. Only the class differs.
params = dict(
    hidden_layer_sizes=(16, 16),
    learning_rate_init=0.01,
    max_iter=300,
    random_state=0,
)
estimators = {
    "skscratch ScratchMLPClassifier": ScratchMLPClassifier,
    "scikit-learn MLPClassifier": MLPClassifier,
}

# %%
# Fit and draw
# ------------
# Each panel shades the plane by the predicted class probabilities (for the
# blobs, the colour of the most likely class, paler where it is less sure),
# marks the test points with the colour of their true class and prints the
# held-out accuracy in the corner.
COLORS = ["tab:red", "tab:blue", "tab:green"]
fig, axes = plt.subplots(3, 2, figsize=(8, 11), layout="constrained")
for row, (data_name, (X, y)) in zip(axes, datasets.items(), strict=True):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    fitted = []
    for ax, (est_name, cls) in zip(row, estimators.items(), strict=True):
        model = make_pipeline(StandardScaler(), cls(**params))
        model.fit(X_train, y_train)
        fitted.append(model[-1])
        DecisionBoundaryDisplay.from_estimator(
            model,
            X,
            response_method="predict_proba",
            grid_resolution=150,
            ax=ax,
            alpha=0.45,
            **(
                {"multiclass_colors": COLORS[: len(np.unique(y))]}
                if len(np.unique(y)) > 2
                else {"cmap": "RdBu", "vmin": 0, "vmax": 1}
            ),
        )
        ax.scatter(
            X_test[:, 0],
            X_test[:, 1],
            c=y_test,
            cmap=ListedColormap(COLORS[: len(np.unique(y))]),
            edgecolors="k",
            s=25,
        )
        ax.text(
            0.97,
            0.03,
            f"test accuracy {model.score(X_test, y_test):.2f}",
            transform=ax.transAxes,
            ha="right",
            bbox=dict(facecolor="white", alpha=0.8, edgecolor="none"),
        )
        ax.set(title=f"{data_name}: {est_name.split()[-1]}", xticks=[], yticks=[])
    ours, theirs = fitted
    gap = max(
        np.abs(a - b).max()
        for a, b in zip(
            ours.coefs_ + ours.intercepts_,
            theirs.coefs_ + theirs.intercepts_,
            strict=True,
        )
    )
    print(
        f"{data_name:8s} epochs: {ours.n_iter_} and {theirs.n_iter_}; "
        f"largest weight difference {gap:.1e}"
    )
plt.show()

# %%
# The epoch counts are equal and the weights differ by rounding errors only:
# the two implementations compute the same function at every step. The
# :doc:`migration guide </migration>` lists the few places where skscratch
# behaves differently on purpose.
