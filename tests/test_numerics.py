"""Numerical extremes: huge values, saturation, divergence."""

import copy
import warnings

import numpy as np
import pytest
from _reliability_support import (
    KINDS,
    X,
    Y,
    _assert_params_equal,
    _assert_same_fitted_state,
    _assert_unfitted,
    _assert_valid_proba,
    _fitted_summary,
    _huge_weight_model,
    _make,
    _outputs,
    _params,
    ignore_convergence,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

# ================================================== 2. numerical extremes


def _transform(name, X_):
    if name == "scaled_1e8":
        return X_ * 1e8
    if name == "scaled_1e-8":
        return X_ * 1e-8
    if name == "constant_columns":
        return np.c_[X_, np.full(len(X_), 5.0), np.zeros(len(X_))]
    if name == "all_constant":
        return np.full_like(X_, 3.0)
    raise AssertionError(name)


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize(
    "data", ["scaled_1e8", "scaled_1e-8", "constant_columns", "all_constant"]
)
def test_extreme_features_train_without_runtime_warnings(kind, solver, data):
    X_ = _transform(data, X)
    est = _make(kind, solver=solver, max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est.fit(X_, Y[kind])
        outputs = _outputs(est, X_)
    assert np.isfinite(np.concatenate([p.ravel() for p in _params(est)])).all()
    assert np.isfinite(est.loss_)
    if kind == "clf":
        pred, proba, log_proba = outputs
        assert set(pred) <= set(est.classes_)
        _assert_valid_proba(proba, 3)
        assert np.isfinite(log_proba).all()
    else:
        assert np.isfinite(outputs[0]).all()
    if data == "all_constant":
        # every row is the same: so is every prediction
        assert all(np.all(out == out[0]) for out in outputs)


@ignore_convergence
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_huge_logits_give_valid_probabilities(target, dtype):
    clf, X_, _ = _huge_weight_model(target, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        pred, proba, log_proba = _outputs(clf, X_)
    n_columns = 3 if target == "multiclass" else 2
    assert proba.shape == log_proba.shape == (len(X_), n_columns)
    assert np.isfinite(proba).all()
    assert np.all((proba >= 0) & (proba <= 1))
    if target != "multilabel":
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    # saturated, yet never log(0)
    assert np.isfinite(log_proba).all()
    assert np.all(log_proba <= 0)
    assert proba.max() > 1 - 1e-6  # the model really is saturated
    if target == "multiclass":
        np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])


@ignore_convergence
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
def test_huge_regressor_weights_predict_finitely(loss):
    reg = _make("reg", loss=loss, solver="lbfgs", max_iter=30)
    reg.fit(X, np.abs(Y["reg"]))
    reg.coefs_ = [c * 1e100 for c in reg.coefs_]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        pred = reg.predict(X)
    assert np.isfinite(pred).all()
    if loss == "poisson":
        assert np.all(pred > 0)
    else:
        assert np.abs(pred).max() > 1e100


DIVERGING = {"solver": "sgd", "learning_rate_init": 1e6, "batch_size": 10}
X_UNSCALED = X * 1e3


@pytest.mark.parametrize("kind", KINDS)
def test_divergence_raises_and_leaves_unfitted_estimator_unfitted(kind):
    est = _make(kind, max_iter=10, **DIVERGING)
    with pytest.raises(ValueError, match="learning_rate_init") as excinfo:
        est.fit(X_UNSCALED, Y[kind])
    assert "1000000.0" in str(excinfo.value)  # the value in use, to lower it
    _assert_unfitted(est)
    # the estimator is still usable once the cause is removed
    est.set_params(learning_rate_init=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, Y[kind])
    check_is_fitted(est)


def _healthy(kind, **params):
    est = _make(kind, solver="sgd", learning_rate_init=0.01, batch_size=10, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, Y[kind])


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("how", ["warm_start_fit", "partial_fit"])
def test_divergence_leaves_fitted_model_exactly_as_it_was(kind, how):
    est = _healthy(kind, warm_start=True)
    summary = _fitted_summary(est)
    outputs = _outputs(est, X)
    twin = copy.deepcopy(est)  # what the model was, to continue from
    with pytest.raises(ValueError, match="learning_rate_init"):
        if how == "warm_start_fit":
            est.set_params(learning_rate_init=1e6).fit(X_UNSCALED, Y[kind])
        else:
            # a batch of unscaled values arrives in a stream
            est.partial_fit(X * 1e50, Y[kind])
    _assert_same_fitted_state(est, summary)  # no NaN weights left behind either
    for before, after in zip(outputs, _outputs(est, X), strict=True):
        np.testing.assert_array_equal(before, after)
    # training continues exactly as if the failed call had never happened,
    # optimizer state included
    est.set_params(learning_rate_init=0.01)
    for model in (est, twin):
        model.partial_fit(X, Y[kind])
        model.partial_fit(X, Y[kind])
    _assert_params_equal(_params(est), _params(twin))
    assert est.loss_curve_ == twin.loss_curve_
