"""scikit-learn's full estimator compatibility suite, with no expected failures."""

import itertools

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

SOLVERS = ["sgd", "adam", "lbfgs"]
ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]

CLASSIFIERS = [
    ScratchMLPClassifier(solver=solver, activation=activation, random_state=0)
    for solver, activation in itertools.product(SOLVERS, ACTIVATIONS)
]

# Regressors: every solver with every activation at the default settings,
# except where the checks' toy data make the method itself fail. Those cases
# get a step size that suits the data, and scikit-learn's MLPRegressor fails
# the same checks at the defaults:
# - sgd + logistic learns too slowly for check_regressors_train (R^2 > 0.5 in
#   200 epochs) at the default step of 0.001; 0.01 gets there.
# - loss='poisson' with sgd / adam reaches R^2 of only 0.48 / 0.38 in 200
#   epochs (exactly what MLPRegressor reaches; its own suite never runs
#   poisson). Adam gets there with a larger step; sgd needs more epochs,
#   since a larger step diverges on the unscaled X ~ N(100, 1) of
#   check_fit_idempotent (exp of a huge logit), which we report as an error.
# - sgd + identity is left out: a linear network trained by SGD with momentum
#   on the unscaled features of check_fit_idempotent (X ~ N(100, 1)) diverges
#   for any step large enough to pass check_regressors_train, for
#   MLPRegressor as for us. The solver itself is covered by sgd + relu.
REGRESSOR_STEPS = {("sgd", "logistic"): 0.01}
REGRESSORS = [
    ScratchMLPRegressor(
        solver=solver,
        activation=activation,
        learning_rate_init=REGRESSOR_STEPS.get((solver, activation), 0.001),
        random_state=0,
    )
    for solver, activation in itertools.product(SOLVERS, ACTIVATIONS)
    if (solver, activation) != ("sgd", "identity")
] + [
    ScratchMLPRegressor(loss="poisson", solver="sgd", max_iter=600, random_state=0),
    ScratchMLPRegressor(
        loss="poisson", solver="adam", learning_rate_init=0.01, random_state=0
    ),
    ScratchMLPRegressor(loss="poisson", solver="lbfgs", random_state=0),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(CLASSIFIERS + REGRESSORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
