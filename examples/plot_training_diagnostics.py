"""
=====================================================
Training diagnostics: a healthy network and a hot one
=====================================================

A loss curve says *that* training went wrong; the per-layer diagnostics say
*where* and *how*. With ``record_diagnostics=True`` the estimators record,
after every epoch and for every layer, the norm of the weights, the norm of
their gradient, the size of each step relative to the weights, and the mean,
spread and dead fraction of the hidden units' outputs (``diagnostics_``).

Here the same network learns the digits twice with plain SGD: once with a
sensible learning rate, once with a learning rate a hundred times larger.
"""

# %%
# Two networks, one learning rate apart
# -------------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier
from skscratch.plotting import TrainingDiagnosticsDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

models = {}
for name, rate in [("healthy", 0.01), ("too hot", 1.0)]:
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(64, 64),
        solver="sgd",
        learning_rate_init=rate,
        max_iter=25,
        record_diagnostics=True,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models[name] = clf.fit(X_train, y_train)
    accuracy = clf.score(X_test, y_test)
    print(
        f"{name:>8}: learning rate {rate}, {clf.n_iter_} epochs, "
        f"test accuracy {accuracy:.3f}"
    )

# %%
# The pictures
# ------------
# Both networks on the same six panels: solid lines for the healthy one,
# dashed for the hot one, one colour per layer (layer 3 is the output).
_, axes = plt.subplots(2, 3, figsize=(12, 7), layout="constrained")
for (name, clf), style in zip(models.items(), ["-", "--"], strict=True):
    TrainingDiagnosticsDisplay.from_estimator(clf, ax=axes, name=name, linestyle=style)
plt.show()

# %%
# Reading them
# ------------
# The numbers behind the panels, first and last epoch:
for name, clf in models.items():
    d = clf.diagnostics_
    print(f"--- {name}")
    print("  update/weight ratio, epoch 1:", np.round(d["update_ratio"][0], 4))
    print("  weight norm, last epoch:     ", np.round(d["weight_norm"][-1], 1))
    print("  gradient norm, last epoch:   ", np.round(d["grad_norm"][-1], 4))
    print("  dead fraction, last epoch:   ", np.round(d["dead_fraction"][-1], 2))

# %%
# * **Update / weight ratio.** The healthy network's steps change its weights
#   by a few thousandths of their size, the rule-of-thumb value of about
#   :math:`10^{-3}`, and less as it converges. The hot network's first steps
#   change each weight matrix by a third of itself or more: every step
#   rewrites the weights instead of refining them.
# * **Weight norm.** Those steps blow the weights up, within a few epochs, to
#   ten to thirty times the healthy norms.
# * **Activations.** The first hidden layer's outputs follow: their mean and
#   spread grow tenfold, so the second layer's pre-activations are huge, of
#   either sign.
# * **Dead units.** Those that came out negative for every sample stay there:
#   a ReLU unit that outputs zero everywhere also gets a zero gradient, and
#   nothing revives it. Within a few epochs almost the whole second layer is
#   dead, while the healthy network keeps every unit alive.
# * **Gradient norm.** With its second layer dead, the hot network's
#   gradients jump about and collapse by orders of magnitude; its training
#   loss stops improving, and after ``n_iter_no_change`` such epochs the fit
#   ends before ``max_iter``. A small gradient is convergence only next to a
#   low loss: here it is paralysis, and the test accuracy says so.
#
# The remedy is the one the pictures suggest: a smaller ``learning_rate_init``,
# a solver that scales its steps (``'adam'``), a learning-rate schedule with a
# warm-up (``learning_rate_schedule='warmup_cosine'``), gradient clipping
# (``max_grad_norm``) or a rectifier that never dies completely
# (``activation='leaky_relu'``).
