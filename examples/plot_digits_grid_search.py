"""
==============================================
Handwritten digits: a pipeline and grid search
==============================================

Because ``ScratchMLPClassifier`` is a scikit-learn estimator, it fits into the
rest of scikit-learn unchanged: here it sits at the end of a
:class:`~sklearn.pipeline.Pipeline` behind a
:class:`~sklearn.preprocessing.StandardScaler`, and
:class:`~sklearn.model_selection.GridSearchCV` tunes the width of its hidden
layer and the strength of its L2 penalty by cross-validation.

The data are the 1797 8x8 images of handwritten digits that ship with
scikit-learn, so nothing is downloaded.
"""

# %%
# Load and split the digits
# -------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
print(f"{X_train.shape[0]} training images, {X_test.shape[0]} test images")

# %%
# The pipeline and the grid
# -------------------------
# Step names prefix the parameters in the grid: ``mlp__alpha`` is the
# ``alpha`` of the step called ``"mlp"``. Each of the 4 candidates is fitted
# on 3 folds, 12 fits in all, then the best is refitted on the whole training
# set. Early stopping on a held-out tenth of each training fold keeps each
# fit short.
pipe = Pipeline(
    [
        ("scale", StandardScaler()),
        (
            "mlp",
            ScratchMLPClassifier(
                early_stopping=True,
                max_iter=200,
                learning_rate_init=0.01,
                random_state=0,
            ),
        ),
    ]
)
grid = {
    "mlp__hidden_layer_sizes": [(32,), (64,)],
    "mlp__alpha": [1e-4, 1e-1],
}
search = GridSearchCV(pipe, grid, cv=3)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

print("best parameters:", search.best_params_)
print(f"cross-validated accuracy: {search.best_score_:.3f}")
print(f"test accuracy:            {search.score(X_test, y_test):.3f}")

# %%
# Every candidate
# ---------------
# The mean cross-validated accuracy of each candidate, with its standard
# deviation over the folds.
results = search.cv_results_
for params, mean, std in zip(
    results["params"],
    results["mean_test_score"],
    results["std_test_score"],
    strict=True,
):
    print(
        f"hidden_layer_sizes={params['mlp__hidden_layer_sizes']!s:7s} "
        f"alpha={params['mlp__alpha']:<7g} accuracy {mean:.3f} ± {std:.3f}"
    )

# %%
# Where the best model goes wrong
# -------------------------------
# The confusion matrix counts, for each true digit (rows), how often each
# digit was predicted (columns); everything off the diagonal is a mistake.
# Next to it, some of the misclassified test images with their predictions.
y_pred = search.predict(X_test)
wrong = np.flatnonzero(y_pred != y_test)

fig = plt.figure(figsize=(11, 5), layout="constrained")
left, right = fig.subfigures(1, 2, width_ratios=[1.1, 1])
ConfusionMatrixDisplay.from_predictions(
    y_test, y_pred, ax=left.subplots(), colorbar=False, cmap="Blues"
)
left.suptitle("Confusion matrix on the test set")
image_axes = right.subplots(3, 4)
for ax in image_axes.ravel():
    ax.set_axis_off()
for ax, i in zip(image_axes.ravel(), wrong, strict=False):
    ax.imshow(X_test[i].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"true {y_test[i]}\npredicted {y_pred[i]}", fontsize=9)
shown = "" if len(wrong) <= image_axes.size else f" (the first {image_axes.size})"
right.suptitle(f"{len(wrong)} misclassified test images{shown}")
plt.show()

# %%
# The same search with ``sklearn.neural_network.MLPClassifier`` in place of
# ``ScratchMLPClassifier`` selects the same candidate and reaches the same
# accuracy; ``python -m skscratch`` runs that comparison and times both.
