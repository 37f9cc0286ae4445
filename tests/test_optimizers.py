"""The optimizers, their wrappers and the solver registry, against formulas."""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import skscratch
from skscratch import ScratchMLPClassifier
from skscratch._core.optimizers import (
    OPTIMIZERS,
    SGD,
    Adam,
    ClipGradientNorm,
    DecoupledWeightDecay,
    saved_types,
)
from skscratch._fit_loop import PARAMETER_OF_ARGUMENT

N_PARAMS, N_COEF = 6, 4

#: A value for every argument a registered optimizer takes.
ARGUMENTS = {
    "learning_rate_init": 0.01,
    "schedule": "constant",
    "momentum": 0.9,
    "nesterov": True,
    "power_t": 0.5,
    "beta_1": 0.9,
    "beta_2": 0.999,
    "rho": 0.95,
    "epsilon": 1e-8,
    "weight_decay": 0.5,
    "n_coef": N_COEF,
}
# rmsprop takes its decay from beta_2 in the estimators; here it has its own
ARGUMENTS_OF = {"rmsprop": {"rho": 0.95}}


def _build(name):
    spec = OPTIMIZERS[name]
    values = {**ARGUMENTS, **ARGUMENTS_OF.get(name, {})}
    return spec.build(N_PARAMS, np.float64, *(values[a] for a in spec.arguments))


def _sgd_reference(theta, grads, a):
    lr, mu = a["learning_rate_init"], a["momentum"]
    v = np.zeros_like(theta)
    for g in grads:
        v = mu * v - lr * g
        theta = theta + (mu * v - lr * g if a["nesterov"] else v)
    return theta


def _adam_reference(theta, grads, a, decay=0.0):
    lr, b1, b2, eps = (
        a[k] for k in ("learning_rate_init", "beta_1", "beta_2", "epsilon")
    )
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        theta = theta.copy()
        theta[:N_COEF] *= 1 - lr * decay
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        # the bias corrections are folded into the learning rate, so epsilon
        # is added to sqrt(v), not to sqrt(v_hat)
        eps_hat = eps / np.sqrt(1 - b2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps_hat)
    return theta


def _rmsprop_reference(theta, grads, a):
    lr, rho, eps = a["learning_rate_init"], 0.95, a["epsilon"]
    v = np.zeros_like(theta)
    for g in grads:
        v = rho * v + (1 - rho) * g**2
        theta = theta - lr * g / (np.sqrt(v) + eps)
    return theta


#: solver -> the parameters after its steps, from the textbook formula.
REFERENCE = {
    "sgd": _sgd_reference,
    "adam": _adam_reference,
    "rmsprop": _rmsprop_reference,
    "adamw": lambda theta, grads, a: _adam_reference(
        theta, grads, a, a["weight_decay"]
    ),
}


def test_every_registered_optimizer_has_a_reference_formula():
    assert set(REFERENCE) == set(OPTIMIZERS)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_steps_match_their_formula(name):
    rng = np.random.RandomState(0)
    theta, *grads = rng.normal(size=(4, N_PARAMS))
    optimizer = _build(name)
    t = theta.copy()
    for g in grads:
        optimizer.step(t, g.copy())
    np.testing.assert_allclose(t, REFERENCE[name](theta, grads, ARGUMENTS), rtol=1e-12)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_follows_the_protocol(name):
    optimizer = _build(name)
    assert optimizer.n_params == N_PARAMS
    assert optimizer.learning_rate == ARGUMENTS["learning_rate_init"]
    optimizer.end_epoch(10)  # a constant schedule: nothing changes
    assert optimizer.learning_rate == ARGUMENTS["learning_rate_init"]
    assert optimizer.on_plateau() is False


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_argument_comes_from_an_estimator_parameter(name):
    params = ScratchMLPClassifier().get_params()
    for argument in OPTIMIZERS[name].arguments:
        if argument != "n_coef":  # a fact of the network
            assert PARAMETER_OF_ARGUMENT.get(argument, argument) in params


def test_skops_trusted_types_derive_from_the_registry():
    names = {f"{t.__module__}.{t.__qualname__}" for t in saved_types()}
    assert names <= set(skscratch.SKOPS_TRUSTED_TYPES)
    for spec in OPTIMIZERS.values():
        assert set(spec.types) <= set(saved_types())


def test_solver_options_derive_from_the_registry():
    constraint = ScratchMLPClassifier._parameter_constraints["solver"][0]
    assert constraint.options == {"lbfgs", *OPTIMIZERS}


def test_clipping_wraps_any_optimizer():
    g = np.array([3.0, 4.0, 0.0, 0.0, 0.0, 0.0])  # norm 5
    plain = SGD(6, float, 0.1, "constant", 0.0, False, 0.5)
    clipped = ClipGradientNorm(SGD(6, float, 0.1, "constant", 0.0, False, 0.5), 1.0)
    a, b = np.zeros(6), np.zeros(6)
    plain.step(a, g.copy())
    clipped.step(b, g.copy())
    np.testing.assert_allclose(a, -0.1 * g)
    np.testing.assert_allclose(b, -0.1 * g / 5)
    assert clipped.n_params == 6 and clipped.learning_rate == 0.1


def test_decoupled_decay_wraps_any_optimizer_and_spares_the_biases():
    sgd = SGD(6, float, 0.1, "constant", 0.0, False, 0.5)
    decayed = DecoupledWeightDecay(sgd, 2.0, N_COEF)
    theta, g = np.ones(6), np.zeros(6)
    decayed.step(theta, g)
    np.testing.assert_allclose(theta, [0.8] * N_COEF + [1.0] * (6 - N_COEF))


def test_wrappers_share_the_inner_schedule():
    inner = SGD(2, float, 1e-5, "adaptive", 0.9, True, 0.5)
    wrapped = ClipGradientNorm(DecoupledWeightDecay(inner, 0.0, 1), 1.0)
    assert wrapped.on_plateau() and inner.learning_rate == pytest.approx(2e-6)
    assert wrapped.learning_rate == inner.learning_rate
    wrapped.learning_rate = 0.5
    assert inner.learning_rate == 0.5
    assert not Adam(2, float, 0.1, 0.9, 0.999, 1e-8).on_plateau()


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_solver_trains_and_continues(name):
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    clf = ScratchMLPClassifier((5,), solver=name, max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    clf.partial_fit(X, y)
    assert clf._optimizer.n_params == sum(a.size for a in clf.coefs_ + clf.intercepts_)


def test_sgd_step_matches_formula():
    rng = np.random.RandomState(0)
    theta, g1, g2 = rng.normal(size=(3, 6))
    for nesterov in (False, True):
        opt = SGD(6, float, 0.1, "constant", 0.9, nesterov, 0.5)
        t = theta.copy()
        opt.step(t, g1)
        opt.step(t, g2)
        v1 = -0.1 * g1
        v2 = 0.9 * v1 - 0.1 * g2
        if nesterov:
            expected = theta + (0.9 * v1 - 0.1 * g1) + (0.9 * v2 - 0.1 * g2)
        else:
            expected = theta + v1 + v2
        np.testing.assert_allclose(t, expected, rtol=1e-12)


def test_adam_step_matches_formula():
    rng = np.random.RandomState(0)
    theta, g = rng.normal(size=(2, 6))
    opt = Adam(6, float, 0.01, 0.9, 0.999, 1e-8)
    t = theta.copy()
    opt.step(t, g)
    m, v = 0.1 * g, 0.001 * g**2
    m_hat, v_hat = m / 0.1, v / 0.001
    np.testing.assert_allclose(t, theta - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8))


def test_sgd_schedules():
    opt = SGD(2, float, 0.1, "invscaling", 0.0, False, 0.5)
    opt.end_epoch(99)
    assert opt.learning_rate == pytest.approx(0.01)
    adaptive = SGD(2, float, 1e-5, "adaptive", 0.9, True, 0.5)
    assert adaptive.on_plateau() and adaptive.learning_rate == pytest.approx(2e-6)
    assert adaptive.on_plateau() and not adaptive.on_plateau()
    assert not SGD(2, float, 0.1, "constant", 0.9, True, 0.5).on_plateau()
    assert not Adam(2, float, 0.1, 0.9, 0.999, 1e-8).on_plateau()
