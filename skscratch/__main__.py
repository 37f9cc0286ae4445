"""Demo: ``python -m skscratch`` searches digits with both MLPs, side by side.

The same Pipeline(StandardScaler, MLP) and the same small GridSearchCV run once
with ScratchMLPClassifier and once with scikit-learn's MLPClassifier, and the
chosen parameters, held-out accuracy and search time of each are printed. No
download is needed: the digits dataset ships with scikit-learn.

Only this demo imports scikit-learn's MLP, as the reference to compare with;
the estimators of the package never do.
"""

import argparse
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import skscratch
from skscratch import ScratchMLPClassifier

GRID = {
    "mlp__hidden_layer_sizes": [(64,), (128,)],
    "mlp__alpha": [1e-4, 1e-2],
}


def search(mlp, X_train, y_train, X_test, y_test):
    """Grid-search ``mlp`` in a scaling pipeline; return (search, accuracy, secs)."""
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", mlp)])
    grid = GridSearchCV(pipe, GRID, cv=3, n_jobs=1)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return grid, grid.score(X_test, y_test), seconds


def main(argv=None):
    """Run the demo and print both estimators' results."""
    parser = argparse.ArgumentParser(prog="python -m skscratch", description=__doc__)
    parser.add_argument("--max-iter", type=int, default=60, help="epochs per fit")
    args = parser.parse_args(argv)

    from sklearn.neural_network import MLPClassifier  # the reference only

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    print(f"skscratch {skscratch.__version__}: digits, {X.shape[0]} samples,")
    print(f"GridSearchCV(cv=3) over {GRID}\n")
    rows = []
    for name, cls in [
        ("ScratchMLPClassifier", ScratchMLPClassifier),
        ("sklearn MLPClassifier", MLPClassifier),
    ]:
        mlp = cls(max_iter=args.max_iter, random_state=0)
        grid, accuracy, seconds = search(mlp, X_train, y_train, X_test, y_test)
        rows.append((name, grid.best_params_, accuracy, seconds))
    print(f"{'estimator':<23}{'test accuracy':>14}{'search time':>13}  best parameters")
    for name, params, accuracy, seconds in rows:
        best = ", ".join(f"{k.split('__')[1]}={v}" for k, v in params.items())
        print(f"{name:<23}{accuracy:>14.4f}{seconds:>12.2f}s  {best}")
    print(f"\nspeed-up of the search: {rows[1][3] / rows[0][3]:.2f}x")


if __name__ == "__main__":
    main()
