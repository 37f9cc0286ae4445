"""
=============================================
An autoencoder: digits in two dimensions
=============================================

A network fitted to reproduce its input, ``fit(X, X)``, through a hidden layer
of two units must squeeze each image into two numbers and rebuild it from
them: an *autoencoder*. Its ``transform`` returns the activations of a hidden
layer, here the two-unit middle one (``transform_layer=1``), so the fitted
``ScratchMLPRegressor`` is at once a 2-D embedding and a way back to the
images.

PCA does the same with linear maps. Both are fitted on the same training
images, and both reconstruct images they have not seen.
"""

# %%
# The data and the two models
# ---------------------------
# 1797 handwritten digits of 8 x 8 pixels, scaled to [0, 1]. The network has
# hidden layers of 128, 2 and 128 units: ReLU around a linear middle layer,
# the code. Its output layer is linear, with the squared error, as for any
# regression with 64 targets.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skscratch import ScratchMLPRegressor

X, digit = load_digits(return_X_y=True)
X = X / 16
X_train, X_test, digit_train, digit_test = train_test_split(X, digit, random_state=0)

autoencoder = ScratchMLPRegressor(
    hidden_layer_sizes=(128, 2, 128),
    activation=["relu", "identity", "relu"],
    transform_layer=1,
    learning_rate_init=0.005,
    n_iter_no_change=20,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    autoencoder.fit(X_train, X_train)
pca = PCA(n_components=2).fit(X_train)

# %%
# Held-out reconstruction error
# -----------------------------
# The mean squared error per pixel of the rebuilt test images: ``predict``
# for the network, ``inverse_transform`` of ``transform`` for PCA. Both keep
# two numbers per image; the network's maps to and from them are non-linear.
errors = {
    "autoencoder": np.mean((autoencoder.predict(X_test) - X_test) ** 2),
    "PCA": np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2),
}
for name, error in errors.items():
    print(f"{name:12s} held-out reconstruction MSE: {error:.4f}")
print(f"(predicting the mean image: {np.mean((X_train.mean(0) - X_test) ** 2):.4f})")

# %%
# The two embeddings
# ------------------
# Each test image at its two coordinates, coloured by the digit it shows
# (which neither model was told).
embeddings = {
    "autoencoder (transform)": autoencoder.transform(X_test),
    "PCA": pca.transform(X_test),
}
fig, axes = plt.subplots(1, 2, figsize=(11, 5), layout="constrained")
for ax, (name, Z) in zip(axes, embeddings.items(), strict=True):
    points = ax.scatter(Z[:, 0], Z[:, 1], c=digit_test, cmap="tab10", s=12)
    ax.set(title=name, xticks=[], yticks=[])
fig.colorbar(points, ax=axes, ticks=range(10), label="digit")
plt.show()

# %%
# Rebuilt images
# --------------
# A few test digits (top), as the autoencoder (middle) and PCA (bottom)
# rebuild them from two numbers each.
rebuilt = [
    X_test,
    autoencoder.predict(X_test),
    pca.inverse_transform(pca.transform(X_test)),
]
fig, axes = plt.subplots(3, 8, figsize=(8, 3.4), layout="constrained")
for row, images, label in zip(
    axes, rebuilt, ["test", "autoencoder", "PCA"], strict=True
):
    for ax, image in zip(row, images[:8], strict=True):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set(xticks=[], yticks=[])
    row[0].set_ylabel(label)
plt.show()

# %%
# The network's code separates more of the digits than PCA's two directions
# of largest variance, and rebuilds the images with a smaller error. That is
# the gain of non-linear maps; the price is a training run instead of an
# eigendecomposition, and a result that depends on the seed.
