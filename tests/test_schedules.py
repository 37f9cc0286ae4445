"""learning_rate_schedule: the exact factors, the rates the steps use, the record."""

import math
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor
from skscratch._core.schedules import SCHEDULES, warmup_epochs

rng = np.random.RandomState(0)
X = rng.normal(size=(60, 4))
y = (X[:, 0] + X[:, 1] > 0).astype(int)
LR = 0.01


def _fit(est, *args, method="fit", **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return getattr(est, method)(*args, **kwargs)


def _clf(**params):
    defaults = {
        "hidden_layer_sizes": (5,),
        "learning_rate_init": LR,
        "random_state": 0,
        "tol": 0.0,
        "n_iter_no_change": 1000,
    }
    return ScratchMLPClassifier(**{**defaults, **params})


# The shapes, written out independently of the module's ramp.
def _cosine(T):
    return [(1 + math.cos(math.pi * e / T)) / 2 for e in range(T)]


def _warmup_cosine(T):
    W = math.ceil(T / 10)
    up = [(e + 1) / (W + 1) for e in range(W)]
    return up + [(1 + math.cos(math.pi * (e - W) / (T - W))) / 2 for e in range(W, T)]


def _one_cycle(T):
    U = math.floor(0.3 * (T - 1))
    low, end = 1 / 25, 1 / 25 * 1e-4
    rise = [low + (1 - low) * (1 - math.cos(math.pi * e / U)) / 2 for e in range(U)]
    fall = [
        1 + (end - 1) * (1 - math.cos(math.pi * (e - U) / (T - 1 - U))) / 2
        for e in range(U, T)
    ]
    return rise + fall


SHAPES = {"cosine": _cosine, "warmup_cosine": _warmup_cosine, "one_cycle": _one_cycle}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
@pytest.mark.parametrize("T", [1, 2, 5, 10, 23, 200])
def test_schedule_shapes(name, T):
    expected = [1.0] if (name, T) == ("one_cycle", 1) else SHAPES[name](T)
    factors = [SCHEDULES[name](e, T) for e in range(T)]
    np.testing.assert_allclose(factors, expected, rtol=1e-14, atol=1e-16)
    # past the end, the last factor holds
    assert SCHEDULES[name](T + 7, T) == factors[-1]


def test_schedule_landmarks():
    T = 200
    assert SCHEDULES["cosine"](0, T) == 1.0
    assert SCHEDULES["cosine"](100, T) == pytest.approx(0.5, abs=1e-15)
    W = warmup_epochs(T)
    assert W == 20
    assert SCHEDULES["warmup_cosine"](0, T) == pytest.approx(1 / 21, rel=1e-15)
    assert SCHEDULES["warmup_cosine"](W, T) == 1.0
    assert SCHEDULES["one_cycle"](0, T) == pytest.approx(1 / 25, rel=1e-15)
    assert SCHEDULES["one_cycle"](59, T) == 1.0  # floor(0.3 * 199)
    assert SCHEDULES["one_cycle"](T - 1, T) == pytest.approx(4e-6, rel=1e-12)
    # short one-cycle runs start at the peak
    assert [SCHEDULES["one_cycle"](e, 2) for e in range(2)] == pytest.approx(
        [1.0, 4e-6]
    )
    assert SCHEDULES["one_cycle"](0, 1) == 1.0


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop", "adamw"])
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_learning_rate_curve_follows_the_schedule(solver, name):
    T = 12
    clf = _fit(_clf(solver=solver, max_iter=T, learning_rate_schedule=name), X, y)
    assert clf.n_iter_ == T
    expected = LR * np.array(SHAPES[name](T))
    np.testing.assert_allclose(clf.learning_rate_curve_, expected, rtol=1e-14)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_steps_use_the_scheduled_rate(solver):
    # a factor of 0 for every epoch after the first freezes the weights (sgd
    # without momentum, which would coast on), and the first epoch equals a
    # run without schedule (factor 1)
    def first_only(epoch, max_iter):
        return 1.0 if epoch == 0 else 0.0

    one = _fit(_clf(solver=solver, momentum=0.0, max_iter=1), X, y)
    frozen = _fit(
        _clf(
            solver=solver, momentum=0.0, max_iter=5, learning_rate_schedule=first_only
        ),
        X,
        y,
    )
    for a, b in zip(
        one.coefs_ + one.intercepts_, frozen.coefs_ + frozen.intercepts_, strict=True
    ):
        np.testing.assert_array_equal(a, b)
    assert frozen.learning_rate_curve_ == [LR, 0.0, 0.0, 0.0, 0.0]


def test_sgd_step_is_the_scheduled_rate_times_the_gradient():
    # one batch, no momentum, no penalty: theta_1 - theta_0 = -rate * grad, so
    # halving the factor halves the step
    params = {"solver": "sgd", "momentum": 0.0, "alpha": 0.0, "batch_size": 60}
    params.update(shuffle=False, max_iter=1)
    full = _fit(_clf(**params), X, y)
    half = _fit(_clf(**params, learning_rate_schedule=lambda e, T: 0.5), X, y)
    start = _fit(_clf(**params, learning_rate_schedule=lambda e, T: 0.0), X, y)
    for W0, W1, Wh in zip(start.coefs_, full.coefs_, half.coefs_, strict=True):
        np.testing.assert_allclose(Wh - W0, 0.5 * (W1 - W0), rtol=1e-10, atol=1e-15)
    assert half.learning_rate_curve_ == [0.5 * LR]


def test_callable_gets_epoch_and_max_iter():
    calls = []

    def schedule(epoch, max_iter):
        calls.append((epoch, max_iter))
        return 1.0 / (1 + epoch)

    clf = _fit(_clf(max_iter=4, learning_rate_schedule=schedule), X, y)
    assert calls == [(0, 4), (1, 4), (2, 4), (3, 4)]
    np.testing.assert_allclose(clf.learning_rate_curve_, LR / np.arange(1, 5))


def test_product_with_sgd_invscaling():
    # SGD's own rate eta0 / (t + 1)^p, t the samples seen, times the factor
    T, n = 6, X.shape[0]
    clf = _fit(
        _clf(
            solver="sgd",
            learning_rate="invscaling",
            power_t=0.5,
            max_iter=T,
            learning_rate_schedule="cosine",
        ),
        X,
        y,
    )
    own = [LR] + [LR / (e * n + 1) ** 0.5 for e in range(1, T)]
    expected = np.array(own) * np.array(_cosine(T))
    np.testing.assert_allclose(clf.learning_rate_curve_, expected, rtol=1e-14)


def test_product_with_sgd_adaptive():
    # 'adaptive' divides its own rate by 5 on a plateau; the factor multiplies it
    clf = _fit(
        _clf(
            solver="sgd",
            learning_rate="adaptive",
            learning_rate_init=1e-5,
            tol=10.0,
            n_iter_no_change=1,
            max_iter=8,
            learning_rate_schedule="cosine",
        ),
        X,
        y,
    )
    factors = np.array(_cosine(8))[: clf.n_iter_]
    own = np.array(clf.learning_rate_curve_) / factors
    ratios = own[1:] / own[:-1]
    assert set(np.round(ratios, 12)) <= {1.0, 0.2}
    assert (np.round(ratios, 12) == 0.2).any()
    assert own[0] == pytest.approx(1e-5)


def test_no_schedule_records_the_optimizer_rate():
    clf = _fit(_clf(solver="adam", max_iter=3), X, y)
    assert clf.learning_rate_curve_ == [LR] * 3
    sgd = _fit(
        _clf(solver="sgd", learning_rate="invscaling", power_t=0.5, max_iter=3), X, y
    )
    assert sgd.learning_rate_curve_ == pytest.approx(
        [LR, LR / 61**0.5, LR / 121**0.5], rel=1e-14
    )


def test_partial_fit_carries_the_epoch_count_on():
    T = 5
    clf = _clf(max_iter=T, learning_rate_schedule="cosine")
    for _ in range(T + 2):
        _fit(clf, X, y, method="partial_fit", classes=[0, 1])
    expected = _cosine(T) + [_cosine(T)[-1]] * 2  # then the last value holds
    np.testing.assert_allclose(clf.learning_rate_curve_, LR * np.array(expected))
    assert len(clf.learning_rate_curve_) == len(clf.loss_curve_)


def test_fit_restarts_the_schedule_and_warm_start_appends():
    clf = _fit(_clf(max_iter=3, learning_rate_schedule="cosine", warm_start=True), X, y)
    _fit(clf, X, y)
    expected = LR * np.array(_cosine(3) * 2)
    np.testing.assert_allclose(clf.learning_rate_curve_, expected, rtol=1e-14)
    # partial_fit after a fit continues from the fit's count
    _fit(clf, X, y, method="partial_fit")
    assert clf.learning_rate_curve_[-1] == pytest.approx(LR * _cosine(3)[-1])
    # a fresh fit starts a new record
    clf.set_params(warm_start=False)
    _fit(clf, X, y)
    assert len(clf.learning_rate_curve_) == 3


def test_early_stopping_records_every_epoch_it_ran():
    clf = _fit(
        _clf(
            max_iter=50,
            early_stopping=True,
            n_iter_no_change=2,
            tol=1.0,
            learning_rate_schedule="warmup_cosine",
        ),
        X,
        y,
    )
    assert clf.n_iter_ < 50
    expected = LR * np.array(_warmup_cosine(50)[: clf.n_iter_])
    np.testing.assert_allclose(clf.learning_rate_curve_, expected, rtol=1e-14)


def test_regressor_float32_and_lbfgs():
    reg = ScratchMLPRegressor(
        hidden_layer_sizes=(4,),
        max_iter=4,
        random_state=0,
        learning_rate_schedule="one_cycle",
    )
    _fit(reg, X.astype(np.float32), X[:, 0].astype(np.float32))
    assert reg.coefs_[0].dtype == np.float32
    assert reg.predict(X.astype(np.float32)).dtype == np.float32
    assert len(reg.learning_rate_curve_) == 4
    # L-BFGS has no learning rate: the schedule is not used, nothing recorded
    lbfgs = ScratchMLPRegressor(
        hidden_layer_sizes=(4,),
        solver="lbfgs",
        max_iter=5,
        random_state=0,
        learning_rate_schedule="cosine",
    )
    plain = ScratchMLPRegressor(
        hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, random_state=0
    )
    _fit(lbfgs, X, X[:, 0])
    _fit(plain, X, X[:, 0])
    assert lbfgs.learning_rate_curve_ == []
    np.testing.assert_array_equal(lbfgs.coefs_[0], plain.coefs_[0])


@pytest.mark.parametrize(
    "bad", [lambda e, T: -1.0, lambda e, T: float("nan"), lambda e, T: "fast"]
)
def test_bad_callable_raises_and_leaves_the_estimator_unfitted(bad):
    clf = _clf(max_iter=3, learning_rate_schedule=bad)
    with pytest.raises(ValueError, match="learning_rate_schedule returned"):
        _fit(clf, X, y)
    assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize("bad", ["linear", 0.5, ["cosine"]])
def test_bad_value_is_a_parameter_error(bad):
    with pytest.raises(InvalidParameterError, match="learning_rate_schedule"):
        _clf(learning_rate_schedule=bad).fit(X, y)
