"""Demo: python -m skscratch grid-searches digits with both MLPs, side by side.

The same Pipeline(StandardScaler, MLP) and the same small GridSearchCV run with
ScratchMLPClassifier and with scikit-learn's MLPClassifier, several times and
in alternating order, each fit on one BLAS thread. A line is printed after
every search; at the end come the median times, the speed ratio with its
spread over the repeats, and each search's chosen parameters and held-out
accuracy. No download is needed: the digits dataset ships with scikit-learn.

Only this demo imports scikit-learn's MLP, as the reference to compare with;
the estimators of the package never do.
"""

import argparse
import statistics
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import skscratch
from skscratch import ScratchMLPClassifier

GRID = {
    "mlp__hidden_layer_sizes": [(64,), (128,)],
    "mlp__alpha": [1e-4, 1e-2],
}
NAMES = ("skscratch", "scikit-learn")


def search(mlp, data):
    """Grid-search mlp in a scaling pipeline and time the search.

    Parameters
    ----------
    mlp : estimator
        The classifier to put after the scaler.
    data : tuple
        X_train, X_test, y_train, y_test.

    Returns
    -------
    grid : GridSearchCV
        The fitted search.
    accuracy : float
        Held-out accuracy of the refitted best pipeline.
    cpu, wall : float
        Seconds of CPU time of the calling thread (with one BLAS thread, all
        the work is done there) and of wall-clock time for the search.
    """
    X_train, X_test, y_train, y_test = data
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", mlp)])
    grid = GridSearchCV(pipe, GRID, cv=3, n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cpu, wall = time.thread_time(), time.perf_counter()
        grid.fit(X_train, y_train)
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    return grid, grid.score(X_test, y_test), cpu, wall


def run_repeats(classes, data, max_iter, repeats):
    """Run both searches repeats times, alternating which goes first.

    Each search prints one line as soon as it ends. Returns a dict from name
    to a list of (grid, accuracy, cpu, wall), one per repeat.
    """
    results = {name: [] for name in NAMES}
    for repeat in range(repeats):
        order = NAMES if repeat % 2 == 0 else NAMES[::-1]
        for name in order:
            mlp = classes[name](max_iter=max_iter, random_state=0)
            result = search(mlp, data)
            results[name].append(result)
            print(
                f"  repeat {repeat + 1}/{repeats}  {name:<13}"
                f"{result[2]:7.2f} s CPU {result[3]:7.2f} s wall"
                f"   test accuracy {result[1]:.4f}",
                flush=True,
            )
    return results


def summarise(results):
    """Print median times, the speed ratio with its spread, and each result."""
    cpu = {name: [r[2] for r in results[name]] for name in NAMES}
    wall = {name: [r[3] for r in results[name]] for name in NAMES}
    print(f"\n{'':<14}{'median CPU':>12}{'median wall':>13}  best parameters")
    for name in NAMES:
        grid, accuracy = results[name][0][:2]
        params = grid.best_params_.items()
        best = ", ".join(f"{k.split('__')[1]}={v}" for k, v in params)
        print(
            f"{name:<14}{statistics.median(cpu[name]):>10.2f} s"
            f"{statistics.median(wall[name]):>11.2f} s  {best}"
            f" (test accuracy {accuracy:.4f})"
        )
    ratios = [sk / ours for sk, ours in zip(cpu[NAMES[1]], cpu[NAMES[0]], strict=True)]
    median = statistics.median(cpu[NAMES[1]]) / statistics.median(cpu[NAMES[0]])
    print(
        f"\nskscratch is {median:.2f}x as fast as scikit-learn's MLP "
        f"(ratio of median CPU times; per repeat {min(ratios):.2f}-{max(ratios):.2f}x)"
    )


def main(argv=None):
    """Run the demo and print both estimators' results.

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments; None reads them from sys.argv.
    """
    parser = argparse.ArgumentParser(
        prog="python -m skscratch",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
    )
    parser.add_argument(
        "--max-iter", type=int, default=40, help="epochs per fit (default: 40)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="searches per library (default: 3)"
    )
    args = parser.parse_args(argv)
    if args.max_iter < 1 or args.repeats < 1:
        parser.error("--max-iter and --repeats must be at least 1")

    from sklearn.neural_network import MLPClassifier  # the reference only

    X, y = load_digits(return_X_y=True)
    data = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    print(
        f"skscratch {skscratch.__version__}: digits ({X.shape[0]} samples), "
        f"Pipeline(StandardScaler, MLP) in GridSearchCV(cv=3) over {GRID},\n"
        f"max_iter={args.max_iter}, one BLAS thread, {args.repeats} interleaved "
        "repeats\n",
        flush=True,
    )
    classes = {NAMES[0]: ScratchMLPClassifier, NAMES[1]: MLPClassifier}
    # One BLAS thread from start to end: the matrices are small, and on a
    # busy machine a second thread mostly waits for a core.
    with threadpool_limits(limits=1):
        summarise(run_repeats(classes, data, args.max_iter, args.repeats))


if __name__ == "__main__":
    main()
