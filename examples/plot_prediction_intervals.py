"""
==========================================
Prediction intervals from quantile losses
==========================================

With ``loss="quantile"`` a ``ScratchMLPRegressor`` predicts a quantile of the
target given the features instead of its mean: the pinball loss
:math:`\\rho_q(p - y) = \\max\\big((1 - q)(p - y),\\ q (y - p)\\big)` is
smallest, in expectation, at the :math:`q`-quantile. Two such models, at
:math:`q = 0.05` and :math:`q = 0.95`, bound a 90% prediction interval, whose
width follows the noise wherever it grows or shrinks.

The check of an interval is its *coverage*: the fraction of new targets that
fall inside it, which should be close to 90%.
"""

# %%
# Noise that grows with x
# -----------------------
# The target wanders around a wave; the standard deviation of its noise grows
# from 0.1 at :math:`x = 0` to 1.3 at :math:`x = 4`.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPRegressor


def sample(n, rng):
    x = rng.uniform(0, 4, size=(n, 1))
    noise = (0.1 + 0.3 * x[:, 0]) * rng.normal(size=n)
    return x, np.sin(2 * x[:, 0]) + x[:, 0] / 2 + noise


rng = np.random.default_rng(0)
x_train, y_train = sample(2000, rng)
x_test, y_test = sample(5000, rng)

# %%
# Three quantiles, and a mean for comparison
# ------------------------------------------
# The same network for each level: two hidden layers of 32 units, trained by
# L-BFGS. The median (:math:`q = 0.5`) serves as the point prediction.
models = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for q in [0.05, 0.5, 0.95]:
        models[q] = ScratchMLPRegressor(
            loss="quantile",
            quantile=q,
            hidden_layer_sizes=(32, 32),
            solver="lbfgs",
            max_iter=500,
            random_state=0,
        ).fit(x_train, y_train)
    mean_model = ScratchMLPRegressor(
        hidden_layer_sizes=(32, 32), solver="lbfgs", max_iter=500, random_state=0
    ).fit(x_train, y_train)

# %%
# Held-out coverage
# -----------------
# The fraction of the 5000 test targets under each quantile, and inside the
# interval. For comparison, the usual interval of constant width around the
# mean, :math:`\hat{y} \pm 1.645\, \hat{\sigma}` with :math:`\hat{\sigma}` the
# standard deviation of the training residuals, which assumes the same noise
# everywhere.
lower, upper = models[0.05].predict(x_test), models[0.95].predict(x_test)
for q, model in models.items():
    print(
        f"q = {q:.2f}: {np.mean(y_test <= model.predict(x_test)):.1%} of targets below"
    )
inside = (y_test >= lower) & (y_test <= upper)
sigma = np.std(y_train - mean_model.predict(x_train))
centre = mean_model.predict(x_test)
inside_fixed = np.abs(y_test - centre) <= 1.645 * sigma
print(f"quantile interval, coverage: {inside.mean():.1%}")
print(f"constant-width interval, coverage: {inside_fixed.mean():.1%}")

# %%
# Coverage where the noise is small and where it is large: the constant width
# is too wide on the left and too narrow on the right, where the quantile
# interval holds close to 90% throughout.
for name, region in [("x < 1", x_test[:, 0] < 1), ("x > 3", x_test[:, 0] > 3)]:
    print(
        f"{name}: quantile interval {inside[region].mean():.1%}, "
        f"constant width {inside_fixed[region].mean():.1%}"
    )

# %%
# The interval over the test points.
grid = np.linspace(0, 4, 400)[:, None]
fig, ax = plt.subplots(figsize=(9, 5), layout="constrained")
ax.scatter(
    x_test[:1000], y_test[:1000], s=5, color="gray", alpha=0.5, label="test data"
)
ax.fill_between(
    grid[:, 0],
    models[0.05].predict(grid),
    models[0.95].predict(grid),
    alpha=0.3,
    label=f"90% interval (held-out coverage {inside.mean():.1%})",
)
ax.plot(grid, models[0.5].predict(grid), linewidth=2, label="median (q = 0.5)")
ax.plot(
    grid, mean_model.predict(grid), "k--", linewidth=1, label="mean (squared error)"
)
ax.set(xlabel="x", ylabel="y", title="Quantile networks at 0.05, 0.5 and 0.95")
ax.legend(loc="upper left")
plt.show()

# %%
# Each quantile is fitted on its own, so nothing forces the curves to keep
# their order: with little data or a weak model two of them can cross. More
# data, a penalty (``alpha``) or predicting the levels as offsets from the
# median keep them apart.
