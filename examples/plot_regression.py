"""
==============================================
Regression: squared error and Poisson counts
==============================================

``ScratchMLPRegressor`` is the regression counterpart of
``ScratchMLPClassifier``: an identity output unit and half the squared error
by default, the same hidden layers and solvers. Its ``loss="poisson"`` option
puts an exponential on the output instead and minimises the Poisson deviance,
which suits counts.

The first part fits a smooth function of ten features and compares the
predictions with the truth on held-out data; the second fits counts with
both losses.
"""

# %%
# A smooth target: Friedman's benchmark function
# ----------------------------------------------
# :func:`~sklearn.datasets.make_friedman1` draws ten uniform features, of
# which only the first five matter, through
# :math:`10 \sin(\pi x_1 x_2) + 20 (x_3 - 0.5)^2 + 10 x_4 + 5 x_5`, plus
# Gaussian noise. Scaling the target as well as the features keeps the
# initial steps of the optimizer of a sensible size;
# :class:`~sklearn.compose.TransformedTargetRegressor` scales it for fitting
# and scales the predictions back.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_poisson_deviance, r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPRegressor

X, y = make_friedman1(n_samples=1000, noise=1.0, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

model = TransformedTargetRegressor(
    regressor=make_pipeline(
        StandardScaler(),
        ScratchMLPRegressor(
            hidden_layer_sizes=(64, 64), solver="lbfgs", alpha=1.0, random_state=0
        ),
    ),
    transformer=StandardScaler(),
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.fit(X_train, y_train)
y_pred = model.predict(X_test)
print(f"R² on the test set: {r2_score(y_test, y_pred):.3f}")

# %%
# Points on the diagonal are predicted exactly. The noise alone, with a
# standard deviation of 1, keeps the points from lying on it.
fig, ax = plt.subplots(figsize=(5, 5), layout="constrained")
ax.scatter(y_test, y_pred, s=12, alpha=0.6)
lims = [min(y_test.min(), y_pred.min()), max(y_test.max(), y_pred.max())]
ax.plot(lims, lims, color="black", linewidth=1)
ax.set(
    xlabel="true value",
    ylabel="predicted value",
    title=f"Friedman #1, held-out points (R² = {r2_score(y_test, y_pred):.3f})",
    aspect="equal",
)
plt.show()

# %%
# Counts: Poisson or squared error
# --------------------------------
# Counts are non-negative and their spread grows with their mean. Here each
# count is drawn from a Poisson distribution whose mean
# :math:`\lambda(x) = e^{2 \sin(2x) - 0.5}` runs from about 0.08 to 4.5.
rng = np.random.default_rng(0)
x = rng.uniform(-3, 3, size=1000)
rate = np.exp(2 * np.sin(2 * x) - 0.5)
counts = rng.poisson(rate)
x_train, x_test, c_train, c_test = train_test_split(x[:, None], counts, random_state=0)

# %%
# With ``loss="poisson"`` the network's output is :math:`e^{z}`, a positive
# mean whatever the weights, and the loss is the Poisson deviance. A count's
# spread grows with its mean, and the deviance allows for it: predicting
# twice the true mean :math:`\lambda` costs about :math:`0.31 \lambda`, where
# half the squared error would be :math:`\lambda^2 / 2`, so small counts weigh
# relatively more. The default ``loss="squared_error"`` weighs every error by
# its square alone, and nothing keeps its output positive. Both networks get
# the same L2 penalty.
fits = {}
for loss in ["poisson", "squared_error"]:
    reg = ScratchMLPRegressor(
        loss=loss,
        hidden_layer_sizes=(16,),
        activation="tanh",
        solver="lbfgs",
        alpha=1.0,
        max_iter=500,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fits[loss] = reg.fit(x_train, c_train)
    pred = reg.predict(x_test)
    print(f"{loss:14s} smallest prediction {pred.min():+.3f}", end="  ")
    if pred.min() > 0:
        print(f"test mean Poisson deviance {mean_poisson_deviance(c_test, pred):.3f}")
    else:
        print("(not a valid Poisson mean)")

# %%
# On the left, the predicted means over the counts; on the right, the same
# curves on a logarithmic scale, where an error of a given ratio has the same
# height whatever the size of the mean.
grid = np.linspace(-3, 3, 400)[:, None]
true_mean = np.exp(2 * np.sin(2 * grid[:, 0]) - 0.5)
fig, (ax_lin, ax_log) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
ax_lin.scatter(x_test, c_test, s=6, color="gray", alpha=0.4, label="test counts")
for ax in (ax_lin, ax_log):
    ax.plot(grid, true_mean, "k--", label="true mean λ(x)")
    for loss, reg in fits.items():
        ax.plot(grid, reg.predict(grid), linewidth=2, label=f'loss="{loss}"')
    ax.set(xlabel="x", ylabel="count")
ax_lin.set_title("Predicted mean count")
ax_log.set(yscale="log", title="The same, on a logarithmic scale")
ax_lin.legend(loc="upper right")
plt.show()

# %%
# Both networks follow the mean where the counts are large. Where the mean
# is small, the squared error hardly notices a prediction that is off by a
# large factor, since the difference is small in absolute terms. The average
# size of that factor over the grid, measured as the absolute logarithm of
# predicted over true mean, shows it:
for loss, reg in fits.items():
    log_ratio = np.abs(np.log(reg.predict(grid) / true_mean)).mean()
    print(f"{loss:14s} mean |log(predicted / true mean)| = {log_ratio:.3f}")

# %%
# The Poisson loss tracks the small means more closely and has the lower
# test deviance. With less data or less regularisation the squared error can
# even predict negative counts, which the exponential output of the Poisson
# loss rules out.
