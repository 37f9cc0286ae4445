"""The regressor's absolute-error, Huber and quantile losses."""

import copy

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import mean_pinball_loss, r2_score
from sklearn.utils._param_validation import InvalidParameterError

from skscratch import ScratchMLPRegressor, check_gradients
from skscratch._core.losses import OUTPUTS, evaluate_loss, output_layer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

NEW_LOSSES = ["absolute_error", "huber", "quantile"]

# Each loss per sample and output, written plainly from its definition, with
# its derivative with respect to the prediction p (targets y).
PLAIN = {
    "absolute_error": (
        lambda p, y, _: np.abs(p - y),
        lambda p, y, _: np.sign(p - y),
    ),
    "huber": (
        lambda p, y, d: np.where(
            np.abs(p - y) <= d, 0.5 * (p - y) ** 2, d * (np.abs(p - y) - d / 2)
        ),
        lambda p, y, d: np.where(np.abs(p - y) <= d, p - y, d * np.sign(p - y)),
    ),
    "quantile": (
        lambda p, y, q: np.where(y >= p, q * (y - p), (1 - q) * (p - y)),
        lambda p, y, q: np.where(p > y, 1 - q, -q),
    ),
}
PARAMS = {"absolute_error": None, "huber": 0.7, "quantile": 0.2}
PARAMETER_NAMES = {"huber": "huber_delta", "quantile": "quantile"}


def _params(loss, value=None):
    """Estimator parameters of ``loss`` with its parameter at ``value``."""
    value = PARAMS[loss] if value is None else value
    name = PARAMETER_NAMES.get(loss)
    return {"loss": loss, **({name: value} if name else {})}


@pytest.mark.parametrize("loss", NEW_LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_values_and_deltas(loss, dtype, weighted):
    rng = np.random.RandomState(0)
    Z = (2 * rng.normal(size=(30, 3))).astype(dtype)
    Y = rng.normal(size=(30, 3)).astype(dtype)
    sw = rng.uniform(0.1, 3, size=30).astype(dtype) if weighted else None
    value, derivative = PLAIN[loss]
    param = PARAMS[loss]
    expected = np.average(value(Z, Y, param), weights=sw, axis=0).sum()
    expected_delta = derivative(Z, Y, param) * (1 if sw is None else sw[:, None])
    delta, work, row = np.empty_like(Z), np.empty_like(Z), np.empty((30, 1), dtype)
    P = Z.copy()
    got = output_layer(loss, P, Y, sw, delta, work, row, param=param)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, expected, rtol=rtol)
    np.testing.assert_allclose(delta, expected_delta, rtol=rtol, atol=rtol)
    assert delta.dtype == P.dtype == dtype
    np.testing.assert_array_equal(P, Z)  # identity output
    assert OUTPUTS[loss].activation_name == "identity"
    assert evaluate_loss(loss, Z.copy(), Y, sw, param) == pytest.approx(got)


def test_pinball_agrees_with_sklearn_and_halves_absolute_error():
    rng = np.random.RandomState(1)
    Z, Y = rng.normal(size=(50, 1)), rng.normal(size=(50, 1))
    for q in [0.05, 0.5, 0.9]:
        ours = evaluate_loss("quantile", Z.copy(), Y, None, q)
        assert ours == pytest.approx(mean_pinball_loss(Y, Z, alpha=q))
    half = evaluate_loss("absolute_error", Z.copy(), Y) / 2
    assert evaluate_loss("quantile", Z.copy(), Y, None, 0.5) == pytest.approx(half)
    # a Huber threshold beyond every residual is half the squared error
    assert evaluate_loss("huber", Z.copy(), Y, None, 1e3) == pytest.approx(
        evaluate_loss("identity", Z.copy(), Y)
    )


@pytest.mark.parametrize("loss", NEW_LOSSES)
@pytest.mark.parametrize("activation", ["tanh", "logistic", "softplus"])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_gradient_check(loss, activation, n_outputs):
    rng = np.random.RandomState(3)
    X = rng.normal(size=(25, 4))
    y = 2 * rng.normal(size=(25, n_outputs)).squeeze()
    sw = rng.uniform(0.2, 2, size=25)
    est = ScratchMLPRegressor(
        hidden_layer_sizes=(5, 3), activation=activation, alpha=0.01, **_params(loss)
    )
    errors = check_gradients(est, X, y, sample_weight=sw)
    assert errors.max() < 1e-6


@pytest.mark.parametrize(
    "params, name",
    [
        ({"loss": "hinge"}, "loss"),
        ({"loss": "huber", "huber_delta": 0.0}, "huber_delta"),
        ({"loss": "huber", "huber_delta": -1.0}, "huber_delta"),
        ({"loss": "huber", "huber_delta": "1"}, "huber_delta"),
        ({"loss": "quantile", "quantile": 0.0}, "quantile"),
        ({"loss": "quantile", "quantile": 1.0}, "quantile"),
        ({"loss": "quantile", "quantile": 1.5}, "quantile"),
        ({"quantile": None}, "quantile"),
    ],
)
def test_bad_parameters_raise_sklearn_error(params, name):
    X, y = np.ones((10, 2)), np.arange(10.0)
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        ScratchMLPRegressor(**params).fit(X, y)


def _heteroscedastic(n, seed):
    """y around a wave, with noise that grows from 0.1 to 1.3 along x."""
    r = np.random.RandomState(seed)
    x = r.uniform(0, 4, size=(n, 1))
    noise = (0.1 + 0.3 * x[:, 0]) * r.normal(size=n)
    return x, np.sin(2 * x[:, 0]) + x[:, 0] / 2 + noise


def test_quantile_coverage_held_out():
    X, y = _heteroscedastic(2000, 0)
    X_test, y_test = _heteroscedastic(5000, 1)
    models = {
        q: ScratchMLPRegressor(
            loss="quantile",
            quantile=q,
            hidden_layer_sizes=(32, 32),
            solver="lbfgs",
            max_iter=500,
            random_state=0,
        ).fit(X, y)
        for q in (0.1, 0.9)
    }
    upper = models[0.9].predict(X_test)
    assert abs(np.mean(y_test <= upper) - 0.9) < 0.03
    lower = models[0.1].predict(X_test)
    assert abs(np.mean(y_test <= lower) - 0.1) < 0.03
    # the interval follows the noise: narrow on the left, wide on the right
    width = upper - lower
    left, right = X_test[:, 0] < 1, X_test[:, 0] > 3
    assert width[right].mean() > 3 * width[left].mean()


def _with_outliers(seed):
    """Training data, 10% of its targets pushed up by 20 to 40; clean test data."""
    r = np.random.RandomState(seed)
    X = r.uniform(-2, 2, size=(3000, 4))
    y = X[:, 0] + 2 * np.sin(X[:, 1]) + X[:, 2] ** 2 / 2 + 0.3 * r.normal(size=3000)
    y_train = y[:1000].copy()
    gross = r.rand(1000) < 0.1
    y_train[gross] += r.uniform(20, 40, size=gross.sum())
    return X[:1000], y_train, X[1000:], y[1000:]


def test_robust_losses_resist_outliers():
    X, y, X_test, y_test = _with_outliers(0)
    mae = {}
    for loss in ["squared_error", "huber", "absolute_error"]:
        est = ScratchMLPRegressor(
            loss=loss,
            hidden_layer_sizes=(32, 32),
            learning_rate_init=0.01,
            max_iter=500,
            random_state=0,
        ).fit(X, y)
        mae[loss] = np.mean(np.abs(est.predict(X_test) - y_test))
    # squared error chases the outliers' mean shift (about 3); the others
    # stay near the noise level
    assert mae["squared_error"] > 2
    assert mae["huber"] < 0.25 * mae["squared_error"]
    assert mae["absolute_error"] < 0.25 * mae["squared_error"]


def test_absolute_error_predicts_the_median():
    # exponential noise: median log 2 above the line, mean 1 above it
    r = np.random.RandomState(0)
    X = r.uniform(-1, 1, size=(4000, 1))
    y = X[:, 0] + r.exponential(size=4000)
    shifts = {}
    for loss in ["absolute_error", "squared_error"]:
        est = ScratchMLPRegressor(
            loss=loss, hidden_layer_sizes=(8,), solver="lbfgs", random_state=0
        ).fit(X, y)
        shifts[loss] = np.mean(est.predict(X) - X[:, 0])
    assert shifts["absolute_error"] == pytest.approx(np.log(2), abs=0.05)
    assert shifts["squared_error"] == pytest.approx(1, abs=0.05)


@pytest.mark.parametrize("loss", NEW_LOSSES)
def test_score_is_r2(loss):
    X, y = _heteroscedastic(300, 2)
    est = ScratchMLPRegressor(loss=loss, max_iter=50, random_state=0).fit(X, y)
    assert est.score(X, y) == pytest.approx(r2_score(y, est.predict(X)))


@pytest.mark.parametrize("loss", NEW_LOSSES)
def test_early_stopping_follows_the_chosen_loss(loss):
    X, y = _heteroscedastic(400, 3)
    X_val, y_val = _heteroscedastic(200, 4)
    est = ScratchMLPRegressor(
        max_iter=40, early_stopping=True, random_state=0, **_params(loss)
    )
    est.fit(X, y, X_val=X_val, y_val=y_val)
    # the validation loss is the chosen loss, and the score is minus it
    value = PLAIN[loss][0]
    expected = np.mean(value(est.predict(X_val), y_val, PARAMS[loss]))
    assert est.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-10)
    np.testing.assert_allclose(
        est.validation_scores_, -np.array(est.validation_loss_curve_)
    )
    assert est.best_validation_score_ == max(est.validation_scores_)
    # the held-out fraction as well
    held_out = clone(est).fit(X, y)
    np.testing.assert_allclose(
        held_out.validation_scores_, -np.array(held_out.validation_loss_curve_)
    )


def test_squared_error_still_stops_on_r2():
    X, y = _heteroscedastic(400, 3)
    X_val, y_val = _heteroscedastic(200, 4)
    est = ScratchMLPRegressor(max_iter=5, early_stopping=True, random_state=0)
    est.fit(X, y, X_val=X_val, y_val=y_val)
    assert est.validation_scores_[-1] == pytest.approx(est.score(X_val, y_val))


@pytest.mark.parametrize("loss", NEW_LOSSES)
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_float32_kept(loss, solver):
    X, y = _heteroscedastic(200, 5)
    est = ScratchMLPRegressor(
        solver=solver, max_iter=20, random_state=0, **_params(loss)
    ).fit(X.astype(np.float32), y.astype(np.float32))
    assert all(c.dtype == np.float32 for c in est.coefs_ + est.intercepts_)
    assert est.predict(X.astype(np.float32)).dtype == np.float32
    assert np.isfinite(est.loss_)


@pytest.mark.parametrize("loss", NEW_LOSSES)
def test_partial_fit_and_warm_start(loss):
    X, y = _heteroscedastic(500, 6)
    params = {"hidden_layer_sizes": (16,), "learning_rate_init": 0.01, **_params(loss)}
    streamed = ScratchMLPRegressor(random_state=0, **params)
    for _ in range(100):
        streamed.partial_fit(X, y)
    assert streamed.n_iter_ == 1 and streamed.t_ == 100 * len(X)
    # it learnt more than the best constant prediction
    value = PLAIN[loss][0]
    constant = min(np.mean(value(c, y, PARAMS[loss])) for c in np.linspace(-1, 4, 501))
    assert streamed.loss_curve_[-1] < 0.8 * constant
    # thirty epochs of fit on unshuffled data are thirty partial_fit calls
    once = ScratchMLPRegressor(
        max_iter=30, shuffle=False, tol=0, random_state=0, **params
    )
    once.fit(X, y)
    by_parts = ScratchMLPRegressor(shuffle=False, random_state=0, **params)
    for _ in range(30):
        by_parts.partial_fit(X, y)
    np.testing.assert_allclose(by_parts.predict(X), once.predict(X), rtol=1e-10)
    # warm start continues from the weights reached (its optimizer restarts,
    # as in scikit-learn)
    warm = ScratchMLPRegressor(
        max_iter=15, shuffle=False, tol=0, warm_start=True, random_state=0, **params
    )
    first = warm.fit(X, y).loss_curve_[-1]
    warm.fit(X, y)
    assert len(warm.loss_curve_) == 30
    assert warm.loss_curve_[15] < warm.loss_curve_[0]
    assert warm.loss_curve_[15] == pytest.approx(first, rel=0.1)
    assert warm.loss_curve_[-1] < first


def test_parameter_reaches_the_loss_between_partial_fits():
    # changing the quantile of a streamed model changes its next step
    X, y = _heteroscedastic(300, 7)
    est = ScratchMLPRegressor(loss="quantile", quantile=0.5, random_state=0)
    est.partial_fit(X, y)
    low, high = copy.deepcopy(est), copy.deepcopy(est)
    low.set_params(quantile=0.1)
    high.set_params(quantile=0.9)
    low.partial_fit(X, y)
    high.partial_fit(X, y)
    assert np.mean(high.predict(X)) > np.mean(low.predict(X))


@pytest.mark.parametrize("loss", NEW_LOSSES)
def test_sample_weight_as_repeated_rows(loss):
    X, y = _heteroscedastic(60, 8)
    sw = np.random.RandomState(0).randint(0, 3, size=60)
    est = ScratchMLPRegressor(
        hidden_layer_sizes=(4,),
        solver="lbfgs",
        max_iter=50,
        random_state=0,
        **_params(loss),
    )
    weighted = clone(est).fit(X, y, sample_weight=sw)
    repeated = clone(est).fit(X.repeat(sw, axis=0), y.repeat(sw))
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-6)
