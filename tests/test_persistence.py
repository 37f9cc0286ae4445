"""Saved models predict and train on bit-identically."""

import pickle

import joblib
import numpy as np
import pytest
from _reliability_support import (
    KINDS,
    SOLVERS,
    STOCHASTIC,
    X,
    Y,
    _assert_params_equal,
    _make,
    _outputs,
    _params,
    ignore_convergence,
)

from skscratch import SKOPS_TRUSTED_TYPES

# =========================================================== 4. persistence


def _round_trip(est, how, tmp_path):
    if how == "pickle":
        return pickle.loads(pickle.dumps(est))
    path = tmp_path / "model"
    if how == "joblib":
        joblib.dump(est, path)
        return joblib.load(path)
    raise AssertionError(how)


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("how", ["pickle", "joblib"])
@pytest.mark.parametrize("seed", ["int", "RandomState"])
def test_round_trip_predicts_and_trains_bit_identically(
    kind, solver, how, seed, tmp_path
):
    random_state = 0 if seed == "int" else np.random.RandomState(0)
    est = _make(kind, solver=solver, learning_rate_init=0.01, random_state=random_state)
    est.fit(X, Y[kind])
    restored = _round_trip(est, how, tmp_path)
    assert type(restored) is type(est)
    assert restored.get_params().keys() == est.get_params().keys()
    for a, b in zip(_outputs(restored, X), _outputs(est, X), strict=True):
        assert np.array_equal(a, b)
    for _ in range(2):
        est.partial_fit(X, Y[kind])
        restored.partial_fit(X, Y[kind])
    _assert_params_equal(_params(restored), _params(est))
    assert restored.loss_curve_ == est.loss_curve_
    assert restored.t_ == est.t_
    for a, b in zip(_outputs(restored, X), _outputs(est, X), strict=True):
        assert np.array_equal(a, b)


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_skops_round_trip_with_explicit_trusted_types(kind, solver, tmp_path):
    est = _make(kind, solver=solver, learning_rate_init=0.01).fit(X, Y[kind])
    path = tmp_path / "model.skops"
    skops_io = pytest.importorskip("skops.io")  # the skops extra
    skops_io.dump(est, path)
    module = {"clf": "_classifier", "reg": "_regressor"}[kind]
    expected = {f"skscratch.{module}.{type(est).__name__}"}
    if solver != "lbfgs":
        optimizer = {"sgd": "SGD", "adam": "Adam"}[solver]
        expected.add(f"skscratch._core.optimizers.{optimizer}")
    # exactly the package's own types need trusting: nothing from elsewhere
    assert set(skops_io.get_untrusted_types(file=path)) == expected
    restored = skops_io.load(path, trusted=sorted(expected))
    for a, b in zip(_outputs(restored, X), _outputs(est, X), strict=True):
        assert np.array_equal(a, b)
    if solver != "lbfgs":
        est.partial_fit(X, Y[kind])
        restored.partial_fit(X, Y[kind])
        _assert_params_equal(_params(restored), _params(est))


@ignore_convergence
@pytest.mark.parametrize(
    "kind, params",
    [
        ("reg", {"loss": "absolute_error"}),
        ("reg", {"loss": "huber", "huber_delta": 0.3}),
        ("reg", {"loss": "quantile", "quantile": 0.8}),
        ("reg", {"hidden_layer_sizes": (4, 3), "transform_layer": 0}),
        ("clf", {"hidden_layer_sizes": (4, 3), "transform_layer": -2}),
    ],
)
def test_skops_round_trip_of_new_losses_and_transform(kind, params, tmp_path):
    # the losses' parameters and the transform layer come back, and the model
    # transforms, predicts and trains on as the original does
    skops_io = pytest.importorskip("skops.io")  # the skops extra
    from skscratch import SKOPS_TRUSTED_TYPES

    est = _make(kind, learning_rate_init=0.01, **params).fit(X, Y[kind])
    path = tmp_path / "model.skops"
    skops_io.dump(est, path)
    restored = skops_io.load(path, trusted=SKOPS_TRUSTED_TYPES)
    assert restored.get_params() == est.get_params()
    np.testing.assert_array_equal(restored.transform(X), est.transform(X))
    assert list(restored.get_feature_names_out()) == list(est.get_feature_names_out())
    for a, b in zip(_outputs(restored, X), _outputs(est, X), strict=True):
        assert np.array_equal(a, b)
    est.partial_fit(X, Y[kind])
    restored.partial_fit(X, Y[kind])
    _assert_params_equal(_params(restored), _params(est))
    np.testing.assert_array_equal(restored.transform(X), est.transform(X))


# The parameters of the schedules, diagnostics and label smoothing: saved
# models keep them, their records, and where the schedule has got to.
NEW_PARAMS = {
    "clf": {
        "learning_rate_schedule": "cosine",
        "record_diagnostics": True,
        "label_smoothing": 0.1,
    },
    "reg": {"learning_rate_schedule": "warmup_cosine", "record_diagnostics": True},
}


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_skops_round_trip_of_the_training_extensions(kind, dtype, tmp_path):
    skops_io = pytest.importorskip("skops.io")
    X_ = X.astype(dtype)
    est = _make(kind, solver="adam", max_iter=4, learning_rate_init=0.01)
    est.set_params(**NEW_PARAMS[kind]).fit(X_, Y[kind])
    path = tmp_path / "model.skops"
    skops_io.dump(est, path)
    # nothing beyond the package's own list of types needs trusting
    assert set(skops_io.get_untrusted_types(file=path)) <= set(SKOPS_TRUSTED_TYPES)
    restored = skops_io.load(path, trusted=SKOPS_TRUSTED_TYPES)
    assert restored.get_params() == est.get_params()
    assert restored.learning_rate_curve_ == est.learning_rate_curve_
    assert restored.diagnostics_.keys() == est.diagnostics_.keys()
    for key, values in est.diagnostics_.items():
        np.testing.assert_array_equal(restored.diagnostics_[key], values)
    for a, b in zip(_outputs(restored, X_), _outputs(est, X_), strict=True):
        assert a.dtype == b.dtype
        assert np.array_equal(a, b)
    assert restored.coefs_[0].dtype == dtype
    # partial_fit continues the schedule where the saved model left it
    for _ in range(2):
        est.partial_fit(X_, Y[kind])
        restored.partial_fit(X_, Y[kind])
    _assert_params_equal(_params(restored), _params(est))
    assert restored.learning_rate_curve_ == est.learning_rate_curve_
    np.testing.assert_array_equal(
        restored.diagnostics_["grad_norm"], est.diagnostics_["grad_norm"]
    )
