"""
=========================================
Loss curves of the solvers, side by side
=========================================

The same network, trained on the same digits by each of the optimizers
skscratch implements: plain stochastic gradient descent with a constant
learning rate, with classical momentum and with Nesterov's momentum, with a
decaying learning rate, Adam, RMSprop, AdamW, and the quasi-Newton L-BFGS.
:class:`~skscratch.plotting.LossCurveDisplay` draws each fitted estimator's
``loss_curve_`` on one set of axes.

One caution when reading the figure: an iteration of a stochastic solver is
an *epoch*, a full pass over the data made of many small steps, while an
iteration of L-BFGS is a single step computed from all the data at once.
"""

# %%
# Data and solvers
# ----------------
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import MinMaxScaler

from skscratch import ScratchMLPClassifier
from skscratch.plotting import LossCurveDisplay

X, y = load_digits(return_X_y=True)
X = MinMaxScaler().fit_transform(X)

common = dict(hidden_layer_sizes=(64,), max_iter=80, random_state=0)
solvers = {
    "SGD, constant rate": dict(solver="sgd", learning_rate_init=0.2, momentum=0.0),
    "SGD, momentum": dict(
        solver="sgd", learning_rate_init=0.2, momentum=0.9, nesterovs_momentum=False
    ),
    "SGD, Nesterov": dict(
        solver="sgd", learning_rate_init=0.2, momentum=0.9, nesterovs_momentum=True
    ),
    "SGD, inverse scaling": dict(
        solver="sgd",
        learning_rate="invscaling",
        learning_rate_init=0.2,
        momentum=0.9,
        power_t=0.5,
    ),
    "Adam": dict(solver="adam", learning_rate_init=0.01),
    "RMSprop": dict(solver="rmsprop", learning_rate_init=0.003),
    "AdamW": dict(solver="adamw", learning_rate_init=0.01, alpha=0.01),
    "L-BFGS": dict(solver="lbfgs"),
}

# %%
# Train and plot
# --------------
# Passing the same ``ax`` to every call draws all the curves together; the
# ``name`` keyword sets each legend entry. The loss axis is logarithmic, so
# that the slow final descent stays visible.
fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
for name, params in solvers.items():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = ScratchMLPClassifier(**common, **params).fit(X, y)
    print(f"{name:22s} iterations {clf.n_iter_:3d}  final loss {clf.loss_:.4f}")
    LossCurveDisplay.from_estimator(clf, ax=ax, name=name)
ax.set(yscale="log", title="Training loss on the digits, 64 hidden ReLU units")
plt.show()

# %%
# Plain SGD descends slowly; momentum, by accumulating past gradients,
# moves faster along the directions they agree on, and Nesterov's variant
# evaluates that momentum one step ahead. The inverse scaling schedule
# shrinks its steps as :math:`1/\sqrt{t}` and soon makes little progress per
# epoch. Adam adapts a step size for every weight; RMSprop does too, but
# without Adam's running average of the gradient itself, and here descends
# more slowly. AdamW follows Adam closely: its
# weight decay is not part of the loss it reports, while for the other
# solvers ``alpha`` adds a (here tiny) L2 term to the loss. L-BFGS reaches a
# low loss in few iterations, but each of its iterations costs a full pass
# over the data, and sometimes several.
#
# Early stopping, seen through the validation curve
# -------------------------------------------------
# With ``early_stopping=True`` the estimator holds out
# ``validation_fraction`` of the data, scores the network on it after every
# epoch and stops once that score has not improved by ``tol`` for
# ``n_iter_no_change`` epochs. The display then adds the recorded
# ``validation_scores_`` (here the accuracy) on a second y-axis, dotted, and
# the loss on the validation set, ``validation_loss_curve_``, dashed. The
# weights kept at the end are those of the best epoch, marked by the vertical
# line.
clf = ScratchMLPClassifier(
    hidden_layer_sizes=(64,),
    solver="adam",
    learning_rate_init=0.01,
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=10,
    max_iter=200,
    random_state=0,
).fit(X, y)
display = LossCurveDisplay.from_estimator(clf, name="Adam")
best_epoch = 1 + clf.validation_scores_.index(clf.best_validation_score_)
display.ax_.axvline(best_epoch, color="gray", linewidth=1)
display.ax_.set_title(
    f"Stopped after {clf.n_iter_} epochs; the best validation accuracy, "
    f"{clf.best_validation_score_:.3f}, came at epoch {best_epoch}",
    fontsize=10,
)
display.score_ax_.get_legend().set_loc("center right")
plt.show()

# %%
# Early on, the validation loss lies *below* the training loss. Both measure
# the same log-loss, but each point of the training curve averages the
# losses of the epoch's mini-batches, computed while the weights were still
# improving (and includes the small L2 penalty), whereas the validation loss
# is computed once, with the weights at the end of the epoch.
