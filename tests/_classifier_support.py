"""Data and estimators shared by the classifier tests."""

import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier

SOLVERS = ["sgd", "adam", "lbfgs"]
STOCHASTIC = ["sgd", "adam"]


ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _digits(n=300):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, y[:n]


X_IRIS, Y_IRIS = _iris()
X_DIGITS, Y_DIGITS = _digits()


def _small(**params):
    """A small, seeded classifier for fast tests."""
    defaults = {"hidden_layer_sizes": (8,), "max_iter": 50, "random_state": 0}
    defaults.update(params)
    return ScratchMLPClassifier(**defaults)


def _params(clf):
    return [p.copy() for p in clf.coefs_ + clf.intercepts_]
