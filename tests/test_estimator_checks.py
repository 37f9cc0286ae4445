"""scikit-learn's full estimator compatibility suite, with no expected failures."""

import itertools

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skscratch import ScratchMLPClassifier

ESTIMATORS = [
    ScratchMLPClassifier(solver=solver, activation=activation, random_state=0)
    for solver, activation in itertools.product(
        ["sgd", "adam", "lbfgs"], ["identity", "logistic", "tanh", "relu"]
    )
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
