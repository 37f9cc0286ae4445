r"""
======================================
Class weights on an imbalanced problem
======================================

When one class makes up 95% of the data, a classifier that minimises the
average log-loss learns that the cheapest mistakes are on the rare class: it
can reach 95% accuracy while hardly ever predicting the minority.
``ScratchMLPClassifier`` takes a ``class_weight`` parameter, like scikit-learn's
linear models and trees, to change that trade-off.

The weights enter the loss through the sample weights. Each sample's weight
(1 when ``sample_weight`` is not given) is multiplied by the weight of its
class, and the training loss is the weighted average

.. math:: J = \frac{\sum_i w_i \, c_{y_i} \, L(y_i, \hat p_i)}
          {\sum_i w_i \, c_{y_i}} + \text{penalty}.

With ``class_weight='balanced'``, class :math:`c` gets the weight
:math:`n / (K n_c)`, where :math:`n` is the number of samples, :math:`K` the
number of classes and :math:`n_c` the number of samples of class :math:`c`:
every class then carries the same total weight. A dict ``{label: weight}``
sets the weights by hand.
"""

# %%
# An imbalanced dataset
# ---------------------
# Two classes in proportions 95 / 5, with 2% of the labels assigned at random
# so that the classes overlap a little. Half the samples are held out, in the
# same proportions.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    balanced_accuracy_score,
    recall_score,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_classification(
    n_samples=2000,
    n_features=10,
    n_informative=4,
    n_redundant=2,
    weights=[0.95, 0.05],
    flip_y=0.02,
    class_sep=1.0,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
print(f"training samples per class: {np.bincount(y_train)}")

# %%
# Three weightings
# ----------------
# The same small network, fitted without class weights, with the balanced
# weights, and with a hand-picked dict that weighs a minority sample five
# times more than a majority one. On this training set the balanced weights
# are 1000 / (2 * 940) = 0.53 and 1000 / (2 * 60) = 8.3, a ratio of about 16:
# the dict sits between them and no weights at all.
weightings = {
    "no class weights": None,
    "class_weight='balanced'": "balanced",
    "class_weight={0: 1, 1: 5}": {0: 1, 1: 5},
}
predictions = {}
for name, class_weight in weightings.items():
    model = make_pipeline(
        StandardScaler(),
        ScratchMLPClassifier(
            hidden_layer_sizes=(8,),
            alpha=1e-2,
            learning_rate_init=0.01,
            max_iter=100,
            class_weight=class_weight,
            random_state=0,
        ),
    )
    predictions[name] = model.fit(X_train, y_train).predict(X_test)
    print(
        f"{name:26s} minority recall "
        f"{recall_score(y_test, predictions[name]):.2f}, "
        f"balanced accuracy "
        f"{balanced_accuracy_score(y_test, predictions[name]):.2f}, "
        f"accuracy {np.mean(predictions[name] == y_test):.2f}"
    )

# %%
# Confusion matrices
# ------------------
# Rows are the true classes and columns the predicted ones, on the held-out
# half. The bottom row holds the minority samples: the weighted models move
# many of them from "predicted 0" to "predicted 1".
fig, axes = plt.subplots(1, 3, figsize=(11, 3.8), layout="constrained")
for ax, (name, y_pred) in zip(axes, predictions.items(), strict=True):
    ConfusionMatrixDisplay.from_predictions(
        y_test, y_pred, ax=ax, colorbar=False, cmap="Blues"
    )
    ax.set_title(name, fontsize=10)
plt.show()

# %%
# Without weights, the network finds few of the minority samples: its
# accuracy is high because the majority class dominates it. The balanced
# weights raise the minority recall and the balanced accuracy (the mean of the
# per-class recalls) at the price of more false alarms on the majority class,
# so the plain accuracy goes down. Which trade-off is right depends on what a
# missed minority sample costs compared with a false alarm; a dict lets you
# set it. The weights can also be grid-searched like any other parameter.
