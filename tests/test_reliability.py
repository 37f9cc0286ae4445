"""Reliability of both estimators on messy data, long runs and hostile conditions."""

import concurrent.futures
import contextlib
import copy
import io
import os
import pickle
import subprocess
import sys
import textwrap
import tracemalloc
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPRegressor
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

import skscratch._core.training
import skscratch._fit_loop
from skscratch import SKOPS_TRUSTED_TYPES, ScratchMLPClassifier, ScratchMLPRegressor

SOLVERS = ["sgd", "adam", "lbfgs"]
STOCHASTIC = ["sgd", "adam"]
KINDS = ["clf", "reg"]
ESTIMATORS = {"clf": ScratchMLPClassifier, "reg": ScratchMLPRegressor}

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


_rng = np.random.RandomState(0)
X = _rng.normal(size=(40, 3))
Y = {
    "clf": np.arange(40) % 3,
    "reg": X @ np.array([1.0, -2.0, 0.5]) + 0.1 * _rng.normal(size=40),
}
DF = pd.DataFrame(X, columns=["a", "b", "c"])


def _make(kind, **params):
    """A small, seeded estimator."""
    defaults = {"hidden_layer_sizes": (4,), "max_iter": 5, "random_state": 0}
    defaults.update(params)
    return ESTIMATORS[kind](**defaults)


def _partial_fit(est, X_, y_, **kwargs):
    """partial_fit, passing the classes a classifier needs on its first call."""
    if isinstance(est, ScratchMLPClassifier) and not hasattr(est, "classes_"):
        kwargs.setdefault("classes", np.unique(Y["clf"]))
    return est.partial_fit(X_, y_, **kwargs)


def _params(est):
    return [p.copy() for p in est.coefs_ + est.intercepts_]


def _assert_params_equal(a, b):
    assert len(a) == len(b)
    for p, q in zip(a, b, strict=True):
        assert p.dtype == q.dtype
        np.testing.assert_array_equal(p, q)


def _outputs(est, X_):
    """Every prediction a user may ask for, as a list of arrays."""
    out = [est.predict(X_)]
    if isinstance(est, ScratchMLPClassifier):
        out += [est.predict_proba(X_), est.predict_log_proba(X_)]
    return out


def _fitted_summary(est):
    """The fitted state a user sees, copied: weights, counters and curves."""
    return {
        "params": _params(est),
        "n_iter_": est.n_iter_,
        "t_": est.t_,
        "loss_curve_": list(est.loss_curve_),
        "loss_": getattr(est, "loss_", None),
        "best_loss_": est.best_loss_,
        "attributes": sorted(k for k in vars(est) if k.endswith("_")),
    }


def _assert_same_fitted_state(est, summary):
    _assert_params_equal(_params(est), summary["params"])
    assert np.isfinite(np.concatenate([p.ravel() for p in _params(est)])).all()
    for key in ["n_iter_", "t_", "loss_curve_", "loss_", "best_loss_"]:
        assert getattr(est, key, None) == summary[key], key
    assert sorted(k for k in vars(est) if k.endswith("_")) == summary["attributes"]


def _assert_unfitted(est):
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]


# ===================================================== 1. a table of bad inputs


def _with(X_, i, j, value):
    X_ = X_.astype(object if isinstance(value, str) else X_.dtype, copy=True)
    X_[i, j] = value
    return X_


def _sw(values):
    return lambda est, y: est.fit(X, y, sample_weight=np.asarray(values))


def _hyper(**params):
    return lambda est, y: est.set_params(**params).fit(X, y)


NAN_X = _with(X, 3, 1, np.nan)
INF_X = _with(X, 0, 2, np.inf)
NEG_INF_X = _with(X, 5, 0, -np.inf)
ONES = np.ones(len(X))
RENAMED_DF = DF.rename(columns={"a": "z"})
REORDERED_DF = DF[["c", "b", "a"]]
HYPER_MSG = "parameter of Scratch"

# (id, kinds, prefit, call, error, message fragment)
# prefit: None (unfitted), "fit", "fit_df" (on a DataFrame) or "partial_fit".
# The message fragments are scikit-learn's own wording where it has one.
# fmt: off
BAD_INPUTS = [
    ("nan_in_X", "both", None, lambda e, y: e.fit(NAN_X, y),
     ValueError, "Input X contains NaN"),
    ("inf_in_X", "both", None, lambda e, y: e.fit(INF_X, y),
     ValueError, "Input X contains infinity"),
    ("neg_inf_in_X", "both", None, lambda e, y: e.fit(NEG_INF_X, y),
     ValueError, "Input X contains infinity"),
    ("none_in_object_X", "both", None, lambda e, y: e.fit(_with(X, 0, 0, None), y),
     ValueError, "Input X contains NaN"),
    ("nan_in_X_at_predict", "both", "fit", lambda e, y: e.predict(NAN_X),
     ValueError, "Input X contains NaN"),
    ("nan_in_X_at_partial_fit", "both", "partial_fit",
     lambda e, y: e.partial_fit(NAN_X, y), ValueError, "Input X contains NaN"),
    ("nan_in_y", "both", None, lambda e, y: e.fit(X, np.r_[np.nan, Y["reg"][1:]]),
     ValueError, "Input y contains NaN"),
    ("inf_in_y", "reg", None, lambda e, y: e.fit(X, np.r_[np.inf, y[1:]]),
     ValueError, "Input y contains infinity"),
    ("y_is_none", "both", None, lambda e, y: e.fit(X, None),
     ValueError, "requires y to be passed"),
    ("empty_X", "both", None, lambda e, y: e.fit(X[:0], y[:0]),
     ValueError, r"Found array with 0 sample\(s\)"),
    ("zero_features", "both", None, lambda e, y: e.fit(X[:, :0], y),
     ValueError, r"Found array with 0 feature\(s\)"),
    # scikit-learn trains a classifier on one sample (one class); we refuse it
    ("one_sample", "clf", None, lambda e, y: e.fit(X[:1], y[:1]),
     ValueError, "class"),
    ("one_sample_early_stopping", "reg", None,
     lambda e, y: e.set_params(early_stopping=True).fit(X[:1], y[:1]),
     ValueError, "empty"),
    ("single_class", "clf", None, lambda e, y: e.fit(X, np.full(len(X), 7)),
     ValueError, "class"),
    ("single_class_strings", "clf", None, lambda e, y: e.fit(X, ["a"] * len(X)),
     ValueError, "class"),
    ("continuous_labels", "clf", None, lambda e, y: e.fit(X, Y["reg"]),
     ValueError, "Unknown label type"),
    ("string_targets", "reg", None, lambda e, y: e.fit(X, ["a"] * len(X)),
     ValueError, "could not convert string to float"),
    ("X_longer_than_y", "both", None, lambda e, y: e.fit(X, y[:-1]),
     ValueError, "inconsistent numbers of samples"),
    ("y_longer_than_X", "both", None, lambda e, y: e.fit(X[:-1], y),
     ValueError, "inconsistent numbers of samples"),
    ("1d_X", "both", None, lambda e, y: e.fit(X[:, 0], y),
     ValueError, "Expected 2D array, got 1D array"),
    ("3d_X", "both", None, lambda e, y: e.fit(X[:, :, None], y),
     ValueError, "Found array with dim 3"),
    ("ragged_X", "both", None, lambda e, y: e.fit([[1.0, 2.0], [3.0]] * 20, y),
     ValueError, "inhomogeneous"),
    ("complex_X", "both", None, lambda e, y: e.fit(X + 1j, y),
     ValueError, "Complex data not supported"),
    ("complex_y", "reg", None, lambda e, y: e.fit(X, y + 1j),
     ValueError, "Complex data not supported"),
    ("strings_in_X", "both", None, lambda e, y: e.fit(_with(X, 2, 2, "abc"), y),
     ValueError, "could not convert string to float"),
    ("strings_in_X_at_predict", "both", "fit",
     lambda e, y: e.predict(_with(X, 2, 2, "abc")),
     ValueError, "could not convert string to float"),
    ("unfitted_predict", "both", None, lambda e, y: e.predict(X),
     NotFittedError, "is not fitted yet"),
    ("unfitted_predict_proba", "clf", None, lambda e, y: e.predict_proba(X),
     NotFittedError, "is not fitted yet"),
    ("wrong_n_features_at_predict", "both", "fit", lambda e, y: e.predict(X[:, :2]),
     ValueError, "X has 2 features, but .* is expecting 3 features"),
    ("wrong_n_features_at_predict_proba", "clf", "fit",
     lambda e, y: e.predict_proba(np.c_[X, X]),
     ValueError, "X has 6 features, but .* is expecting 3 features"),
    ("wrong_n_features_at_score", "both", "fit", lambda e, y: e.score(X[:, :1], y),
     ValueError, "X has 1 features, but .* is expecting 3 features"),
    ("wrong_n_features_in_warm_fit", "both", "fit",
     lambda e, y: e.set_params(warm_start=True).fit(X[:, :2], y),
     ValueError, "X has 2 features, but .* is expecting 3 features"),
    ("new_n_outputs_in_warm_fit", "reg", "fit",
     lambda e, y: e.set_params(warm_start=True).fit(X, np.c_[y, y]),
     ValueError, "cannot continue training"),
    ("unseen_feature_name", "both", "fit_df", lambda e, y: e.predict(RENAMED_DF),
     ValueError, "The feature names should match those that were passed during fit"),
    ("reordered_feature_names", "both", "fit_df",
     lambda e, y: e.predict(REORDERED_DF),
     ValueError, "Feature names must be in the same order as they were in fit"),
    ("sample_weight_too_short", "both", None, _sw(ONES[:-1]),
     ValueError, r"sample_weight.shape == \(39,\), expected \(40,\)"),
    ("sample_weight_2d", "both", None, _sw(ONES[:, None]),
     ValueError, "Sample weights must be 1D array or scalar"),
    # scikit-learn accepts negative weights (and trains on them); we refuse them
    ("sample_weight_negative", "both", None, _sw(np.r_[-1.0, ONES[1:]]),
     ValueError, "Negative values in data passed to `sample_weight`"),
    ("sample_weight_nan", "both", None, _sw(np.r_[np.nan, ONES[1:]]),
     ValueError, "Input sample_weight contains NaN"),
    ("sample_weight_inf", "both", None, _sw(np.r_[np.inf, ONES[1:]]),
     ValueError, "Input sample_weight contains infinity"),
    ("sample_weight_all_zero", "both", None, _sw(0 * ONES),
     ValueError, "Sample weights must contain at least one non-zero number"),
    ("sample_weight_strings", "both", None, _sw(["a"] * len(X)),
     ValueError, "could not convert string to float"),
    ("partial_fit_sample_weight_too_long", "both", "partial_fit",
     lambda e, y: e.partial_fit(X, y, sample_weight=np.r_[ONES, 1.0]),
     ValueError, r"sample_weight.shape == \(41,\), expected \(40,\)"),
    ("partial_fit_without_classes", "clf", None, lambda e, y: e.partial_fit(X, y),
     ValueError, "classes must be passed on the first call to partial_fit"),
    ("partial_fit_labels_outside_classes", "clf", None,
     lambda e, y: e.partial_fit(X, y, classes=[0, 1]),
     ValueError, r"`y` has classes not in `self\.classes_`"),
    ("partial_fit_single_class", "clf", None,
     lambda e, y: e.partial_fit(X, 0 * y, classes=[0]),
     ValueError, "at least 2 classes"),
    ("partial_fit_nan_class", "clf", None,
     lambda e, y: e.partial_fit(X, y, classes=[0, 1, np.nan]),
     ValueError, "NaN"),
    ("later_partial_fit_unknown_label", "clf", "partial_fit",
     lambda e, y: e.partial_fit(X, y + 10),
     ValueError, r"`y` has classes not in `self\.classes_`"),
    ("later_partial_fit_other_classes", "clf", "partial_fit",
     lambda e, y: e.partial_fit(X, y, classes=[0, 1, 2, 3]),
     ValueError, "is not the same as on last call to partial_fit"),
    ("later_partial_fit_other_n_features", "both", "partial_fit",
     lambda e, y: e.partial_fit(X[:, :2], y),
     ValueError, "X has 2 features, but .* is expecting 3 features"),
    ("later_partial_fit_other_n_outputs", "reg", "partial_fit",
     lambda e, y: e.partial_fit(X, np.c_[y, y]),
     ValueError, "cannot continue training"),
    ("partial_fit_with_early_stopping", "both", None,
     lambda e, y: _partial_fit(e.set_params(early_stopping=True), X, y),
     ValueError, "partial_fit does not support early_stopping=True"),
    ("partial_fit_with_lbfgs", "both", None,
     lambda e, y: _partial_fit(e.set_params(solver="lbfgs"), X, y),
     AttributeError, "has no attribute 'partial_fit'"),
    ("poisson_negative_target", "reg", None,
     lambda e, y: e.set_params(loss="poisson").fit(X, y),
     ValueError, "negative which is not allowed for Poisson"),
    # hyper-parameters: scikit-learn's InvalidParameterError (a ValueError)
    ("alpha_negative", "both", None, _hyper(alpha=-1.0),
     InvalidParameterError, "'alpha' " + HYPER_MSG),
    ("alpha_nan", "both", None, _hyper(alpha=np.nan),
     InvalidParameterError, "'alpha' " + HYPER_MSG),
    ("alpha_string", "both", None, _hyper(alpha="0.1"),
     InvalidParameterError, "'alpha' " + HYPER_MSG),
    ("alpha_negative_in_partial_fit", "both", None,
     lambda e, y: _partial_fit(e.set_params(alpha=-1.0), X, y),
     InvalidParameterError, "'alpha' " + HYPER_MSG),
    ("hidden_layer_sizes_zero", "both", None, _hyper(hidden_layer_sizes=0),
     InvalidParameterError, "'hidden_layer_sizes' " + HYPER_MSG),
    ("hidden_layer_sizes_negative", "both", None, _hyper(hidden_layer_sizes=-3),
     InvalidParameterError, "'hidden_layer_sizes' " + HYPER_MSG),
    ("hidden_layer_sizes_none", "both", None, _hyper(hidden_layer_sizes=None),
     InvalidParameterError, "'hidden_layer_sizes' " + HYPER_MSG),
    ("hidden_layer_sizes_string", "both", None, _hyper(hidden_layer_sizes="ten"),
     InvalidParameterError, "'hidden_layer_sizes' " + HYPER_MSG),
    ("hidden_layer_sizes_zero_layer", "both", None, _hyper(hidden_layer_sizes=(0,)),
     ValueError, r"hidden_layer_sizes must be > 0, got \[0\]"),
    ("hidden_layer_sizes_negative_layer", "both", None,
     _hyper(hidden_layer_sizes=(5, -1)),
     ValueError, r"hidden_layer_sizes must be > 0, got \[5, -1\]"),
    # a layer size must be a positive integer: not truncated to one, not a
    # float a Python builtin trips over (scikit-learn raises TypeErrors here)
    ("hidden_layer_sizes_fraction_below_one", "both", None,
     _hyper(hidden_layer_sizes=(0.5,)), ValueError, "hidden_layer_sizes"),
    ("hidden_layer_sizes_fraction", "both", None, _hyper(hidden_layer_sizes=(2.5,)),
     ValueError, "hidden_layer_sizes"),
    ("hidden_layer_sizes_nan", "both", None, _hyper(hidden_layer_sizes=(np.nan,)),
     ValueError, "hidden_layer_sizes"),
    ("hidden_layer_sizes_string_layer", "both", None,
     _hyper(hidden_layer_sizes=("3",)), ValueError, "hidden_layer_sizes"),
    ("solver_unknown", "both", None, _hyper(solver="newton"),
     InvalidParameterError, "'solver' " + HYPER_MSG),
    ("activation_unknown", "both", None, _hyper(activation="bogus"),
     InvalidParameterError, "'activation' " + HYPER_MSG),
    ("learning_rate_unknown", "both", None, _hyper(learning_rate="cyclic"),
     InvalidParameterError, "'learning_rate' " + HYPER_MSG),
    ("validation_fraction_one", "both", None, _hyper(validation_fraction=1.0),
     InvalidParameterError, "'validation_fraction' " + HYPER_MSG),
    ("validation_fraction_negative", "both", None, _hyper(validation_fraction=-0.1),
     InvalidParameterError, "'validation_fraction' " + HYPER_MSG),
    ("batch_size_zero", "both", None, _hyper(batch_size=0),
     InvalidParameterError, "'batch_size' " + HYPER_MSG),
    ("batch_size_negative", "both", None, _hyper(batch_size=-2),
     InvalidParameterError, "'batch_size' " + HYPER_MSG),
    ("batch_size_float", "both", None, _hyper(batch_size=1.5),
     InvalidParameterError, "'batch_size' " + HYPER_MSG),
    ("learning_rate_init_zero", "both", None, _hyper(learning_rate_init=0.0),
     InvalidParameterError, "'learning_rate_init' " + HYPER_MSG),
    ("learning_rate_init_negative", "both", None, _hyper(learning_rate_init=-1.0),
     InvalidParameterError, "'learning_rate_init' " + HYPER_MSG),
    ("power_t_negative", "both", None, _hyper(power_t=-1.0),
     InvalidParameterError, "'power_t' " + HYPER_MSG),
    ("max_iter_zero", "both", None, _hyper(max_iter=0),
     InvalidParameterError, "'max_iter' " + HYPER_MSG),
    ("max_iter_float", "both", None, _hyper(max_iter=2.5),
     InvalidParameterError, "'max_iter' " + HYPER_MSG),
    ("tol_negative", "both", None, _hyper(tol=-1.0),
     InvalidParameterError, "'tol' " + HYPER_MSG),
    ("momentum_above_one", "both", None, _hyper(momentum=1.5),
     InvalidParameterError, "'momentum' " + HYPER_MSG),
    ("momentum_negative", "both", None, _hyper(momentum=-0.1),
     InvalidParameterError, "'momentum' " + HYPER_MSG),
    ("beta_1_one", "both", None, _hyper(beta_1=1.0),
     InvalidParameterError, "'beta_1' " + HYPER_MSG),
    ("beta_2_one", "both", None, _hyper(beta_2=1.0),
     InvalidParameterError, "'beta_2' " + HYPER_MSG),
    ("beta_1_negative", "both", None, _hyper(beta_1=-0.1),
     InvalidParameterError, "'beta_1' " + HYPER_MSG),
    ("epsilon_zero", "both", None, _hyper(epsilon=0.0),
     InvalidParameterError, "'epsilon' " + HYPER_MSG),
    ("n_iter_no_change_zero", "both", None, _hyper(n_iter_no_change=0),
     InvalidParameterError, "'n_iter_no_change' " + HYPER_MSG),
    ("n_iter_no_change_minus_inf", "both", None, _hyper(n_iter_no_change=-np.inf),
     InvalidParameterError, "'n_iter_no_change' " + HYPER_MSG),
    ("max_fun_zero", "both", None, _hyper(max_fun=0),
     InvalidParameterError, "'max_fun' " + HYPER_MSG),
    ("shuffle_string", "both", None, _hyper(shuffle="yes"),
     InvalidParameterError, "'shuffle' " + HYPER_MSG),
    ("warm_start_int", "both", None, _hyper(warm_start=1),
     InvalidParameterError, "'warm_start' " + HYPER_MSG),
    ("early_stopping_string", "both", None, _hyper(early_stopping="no"),
     InvalidParameterError, "'early_stopping' " + HYPER_MSG),
    ("nesterovs_momentum_none", "both", None, _hyper(nesterovs_momentum=None),
     InvalidParameterError, "'nesterovs_momentum' " + HYPER_MSG),
    ("random_state_string", "both", None, _hyper(random_state="seed"),
     InvalidParameterError, "'random_state' " + HYPER_MSG),
    ("verbose_string", "both", None, _hyper(verbose="loud"),
     InvalidParameterError, "'verbose' " + HYPER_MSG),
    ("loss_unknown", "reg", None, _hyper(loss="bogus"),
     InvalidParameterError, "'loss' " + HYPER_MSG),
]
# fmt: on


def _bad_input_params():
    for case_id, kinds, prefit, call, error, match in BAD_INPUTS:
        for kind in KINDS if kinds == "both" else [kinds]:
            yield pytest.param(kind, prefit, call, error, match, id=f"{case_id}-{kind}")


def _counting(monkeypatch, name, calls):
    real = getattr(skscratch._fit_loop, name)

    def counted(*args, **kwargs):
        calls.append(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(skscratch._fit_loop, name, counted)


@ignore_convergence
@pytest.mark.parametrize(
    ("kind", "prefit", "call", "error", "match"), list(_bad_input_params())
)
def test_bad_input_raises_clearly_before_any_training(
    kind, prefit, call, error, match, monkeypatch
):
    est, y = _make(kind), Y[kind]
    if prefit == "fit":
        est.fit(X, y)
    elif prefit == "fit_df":
        est.fit(DF, y)
    elif prefit == "partial_fit":
        _partial_fit(est, X, y)
    summary = _fitted_summary(est) if prefit else None
    training = []
    _counting(monkeypatch, "run_epoch", training)
    _counting(monkeypatch, "minimize_lbfgs", training)
    with pytest.raises(error, match=match):
        call(est, y)
    assert training == []
    if prefit:
        _assert_same_fitted_state(est, summary)
    else:
        _assert_unfitted(est)


@pytest.mark.parametrize("solver", SOLVERS)
def test_one_sample_regressor_trains_like_sklearn(solver):
    # scikit-learn trains on a single sample; so do we, to the same weights
    params = {"solver": solver, "hidden_layer_sizes": (4,), "max_iter": 5}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = ScratchMLPRegressor(random_state=0, **params).fit(X[:1], Y["reg"][:1])
        ref = MLPRegressor(random_state=0, **params).fit(X[:1], Y["reg"][:1])
    assert ours.n_iter_ >= 1
    pred = ours.predict(X)
    assert pred.shape == (len(X),)
    assert np.isfinite(pred).all()
    np.testing.assert_allclose(pred, ref.predict(X), rtol=1e-9, atol=1e-12)


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("fit_on", "predict_on", "match"),
    [
        ("frame", "array", "X does not have valid feature names, but .* was fitted"),
        ("array", "frame", "X has feature names, but .* was fitted without feature"),
    ],
)
def test_feature_names_mismatch_warns_like_sklearn(kind, fit_on, predict_on, match):
    data = {"frame": DF, "array": X}
    est = _make(kind).fit(data[fit_on], Y[kind])
    with pytest.warns(UserWarning, match=match):
        pred = est.predict(data[predict_on])
    # same numbers, same columns: the answer does not depend on the container
    np.testing.assert_array_equal(pred, est.predict(data[fit_on]))


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


def _assert_valid_proba(proba, n_classes, rtol=1e-12):
    assert proba.shape[1] == n_classes
    assert np.isfinite(proba).all()
    assert np.all(proba >= 0)
    assert np.all(proba <= 1)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=rtol)


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


def _huge_weight_model(target, dtype):
    """A fitted classifier whose weights are scaled so its logits are enormous."""
    y = {
        "binary": Y["clf"] == 1,
        "multiclass": Y["clf"],
        "multilabel": np.c_[Y["clf"] == 0, X[:, 1] > 0].astype(int),
    }[target]
    X_ = X.astype(dtype)
    clf = _make("clf", solver="lbfgs", max_iter=30).fit(X_, y)
    # two layers, each scaled: logits near 1e200 (float64) or 1e30 (float32)
    scale = dtype(1e100) if dtype == np.float64 else dtype(1e15)
    clf.coefs_ = [c * scale for c in clf.coefs_]
    clf.intercepts_ = [b * scale for b in clf.intercepts_]
    return clf, X_, y


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


# ======================================================== 3. interruption


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_keyboard_interrupt_keeps_last_complete_epoch_regressor(
    solver, early_stopping, monkeypatch
):
    params = {
        "solver": solver,
        "learning_rate_init": 0.01,
        "early_stopping": early_stopping,
        "n_iter_no_change": 100,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        two_epochs = _make("reg", max_iter=2, **params).fit(X, Y["reg"])

    real_run_epoch = skscratch._fit_loop.run_epoch
    calls = []

    def interrupting_run_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            real_run_epoch(*args, **kwargs)  # the weights move, then ^C
            raise KeyboardInterrupt
        return real_run_epoch(*args, **kwargs)

    monkeypatch.setattr(skscratch._fit_loop, "run_epoch", interrupting_run_epoch)
    reg = _make("reg", max_iter=10, **params)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        reg.fit(X, Y["reg"])
    assert len(calls) == 3
    assert reg.n_iter_ == 2
    assert reg.loss_curve_ == two_epochs.loss_curve_
    if early_stopping:
        assert reg.validation_scores_ == two_epochs.validation_scores_
    _assert_params_equal(_params(reg), _params(two_epochs))
    np.testing.assert_array_equal(reg.predict(X), two_epochs.predict(X))
    # and the model keeps training from there
    monkeypatch.setattr(skscratch._fit_loop, "run_epoch", real_run_epoch)
    reg.set_params(early_stopping=False).partial_fit(X, Y["reg"])
    assert np.isfinite(reg.predict(X)).all()


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
def test_keyboard_interrupt_during_lbfgs_never_loses_the_model(kind, monkeypatch):
    est = _make(kind, solver="lbfgs", max_iter=15, warm_start=True).fit(X, Y[kind])
    summary = _fitted_summary(est)
    outputs = _outputs(est, X)

    real = skscratch._core.training.loss_and_gradient
    calls = []

    def interrupting(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(skscratch._core.training, "loss_and_gradient", interrupting)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est.fit(X, Y[kind])
    except KeyboardInterrupt:
        # the interrupt reaches the caller: the trained model must be intact
        _assert_same_fitted_state(est, summary)
        for before, after in zip(outputs, _outputs(est, X), strict=True):
            np.testing.assert_array_equal(before, after)
    else:
        # or it is absorbed, as for the stochastic solvers: warned, and the
        # weights are those of the last completed L-BFGS iteration
        assert any("interrupted" in str(w.message) for w in caught)
        assert est.n_iter_ == len(est.loss_curve_) >= 1
        assert np.isfinite(np.concatenate([p.ravel() for p in _params(est)])).all()
        assert all(np.isfinite(out).all() for out in _outputs(est, X))
    assert len(calls) == 4


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
    skops.io.dump(est, path)
    module = {"clf": "_classifier", "reg": "_regressor"}[kind]
    expected = {f"skscratch.{module}.{type(est).__name__}"}
    if solver != "lbfgs":
        optimizer = {"sgd": "SGD", "adam": "Adam"}[solver]
        expected.add(f"skscratch._core.optimizers.{optimizer}")
    # exactly the package's own types need trusting: nothing from elsewhere
    assert set(skops.io.get_untrusted_types(file=path)) == expected
    restored = skops.io.load(path, trusted=sorted(expected))
    for a, b in zip(_outputs(restored, X), _outputs(est, X), strict=True):
        assert np.array_equal(a, b)
    if solver != "lbfgs":
        est.partial_fit(X, Y[kind])
        restored.partial_fit(X, Y[kind])
        _assert_params_equal(_params(restored), _params(est))


# =========================================================== 5. determinism


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_same_random_state_gives_bit_identical_fits(kind, solver, early_stopping):
    fits = [
        _make(kind, solver=solver, early_stopping=early_stopping).fit(X, Y[kind])
        for _ in range(2)
    ]
    _assert_params_equal(_params(fits[0]), _params(fits[1]))
    assert fits[0].loss_curve_ == fits[1].loss_curve_
    for a, b in zip(_outputs(fits[0], X), _outputs(fits[1], X), strict=True):
        assert np.array_equal(a, b)


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
def test_random_state_none_gives_different_initialisations(kind):
    a, b = (_make(kind, random_state=None, max_iter=1).fit(X, Y[kind]) for _ in "ab")
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


FINGERPRINT_SCRIPT = textwrap.dedent(
    """
    import hashlib, warnings
    import numpy as np
    from skscratch import ScratchMLPClassifier, ScratchMLPRegressor
    warnings.simplefilter("ignore")
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = {"clf": np.array(["b", "a", "c"])[np.arange(40) % 3], "reg": X @ [1, -2, 0.5]}
    h = hashlib.sha256()
    for kind, cls in [("clf", ScratchMLPClassifier), ("reg", ScratchMLPRegressor)]:
        for solver in ["sgd", "adam", "lbfgs"]:
            est = cls(hidden_layer_sizes=(4,), max_iter=5, solver=solver,
                      random_state=0, early_stopping=solver == "adam")
            est.fit(X, y[kind])
            for p in est.coefs_ + est.intercepts_:
                h.update(p.tobytes())
            h.update(np.asarray(est.predict(X)).astype(str).tobytes())
    print(h.hexdigest())
    """
)


def test_fits_are_bit_identical_across_processes():
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONHASH")}
    base.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", FINGERPRINT_SCRIPT],
            env={**base, "PYTHONHASHSEED": seed},  # different set/dict orders
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in ("1", "2")
    ]
    digests = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        digests.append(out.strip())
    assert len(digests[0]) == 64
    assert digests[0] == digests[1]
    # and this process, on one BLAS thread too, computes the same
    buffer = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(buffer):
        exec(FINGERPRINT_SCRIPT, {})
    assert buffer.getvalue().split() == [digests[0]]


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
def test_grid_search_in_parallel_equals_serial(kind):
    grid = {"alpha": [1e-4, 1.0], "solver": ["adam", "lbfgs"]}
    searches = [
        GridSearchCV(_make(kind, max_iter=10), grid, cv=3, n_jobs=n_jobs).fit(
            X, Y[kind]
        )
        for n_jobs in (1, 2)
    ]
    serial, parallel = searches
    assert parallel.best_params_ == serial.best_params_
    assert parallel.best_score_ == serial.best_score_
    np.testing.assert_array_equal(
        parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    _assert_params_equal(
        _params(parallel.best_estimator_), _params(serial.best_estimator_)
    )


# =========================================================== 6. concurrency


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
def test_concurrent_predictions_equal_serial_ones(kind):
    est = _make(kind, hidden_layer_sizes=(16, 8)).fit(X, Y[kind])
    # more rows than one prediction block, so each call loops over blocks
    X_big = np.random.RandomState(1).normal(size=(5000, 3))
    methods = ["predict", "predict_proba"] if kind == "clf" else ["predict"]
    expected = {m: getattr(est, m)(X_big) for m in methods}

    def work(i):
        method = methods[i % len(methods)]
        return method, [getattr(est, method)(X_big) for _ in range(10)]

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(16)))
    for method, outputs in results:
        for out in outputs:
            assert np.array_equal(out, expected[method])


# ================================================================ 7. memory


@pytest.fixture(scope="module")
def big_data():
    """200,000 x 50 float64 (80 MB) with binary and continuous targets."""
    rng = np.random.RandomState(0)
    X_ = rng.standard_normal((200_000, 50))
    return X_, {"clf": (X_[:, 0] > 0).astype(int), "reg": X_[:, 0] + X_[:, 1]}


def _peak_memory(func):
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_and_predict_do_not_copy_X(big_data, kind, solver, dtype):
    X_big, y_big = big_data
    X_ = X_big if dtype == np.float64 else X_big.astype(np.float32)
    assert X_.flags.c_contiguous
    est = _make(kind, hidden_layer_sizes=(2,), max_iter=1, solver=solver)
    fit_peak = _peak_memory(lambda: est.fit(X_, y_big[kind]))
    assert est.coefs_[0].dtype == dtype
    predict_peak = _peak_memory(lambda: est.predict(X_))
    assert fit_peak < 0.5 * X_.nbytes
    assert predict_peak < 0.25 * X_.nbytes


@ignore_convergence
def test_early_stopping_copies_X_at_most_once(big_data):
    X_big, y_big = big_data
    est = _make("reg", hidden_layer_sizes=(2,), max_iter=1, early_stopping=True)
    peak = _peak_memory(lambda: est.fit(X_big, y_big["reg"]))
    assert peak < 1.5 * X_big.nbytes


# ======================== 8. where scikit-learn's MLP goes wrong, we must not


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_zero_weight_batch_is_skipped_not_divided_by_zero(kind, solver):
    # scikit-learn divides by the batch's total weight: 0/0 and NaN weights
    sw = np.ones(len(X))
    sw[:10] = 0.0
    params = {
        "solver": solver,
        "shuffle": False,
        "batch_size": 10,
        "max_iter": 3,
        "learning_rate_init": 0.01,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = _make(kind, **params).fit(X, Y[kind], sample_weight=sw)
        without = _make(kind, **params).fit(X[10:], Y[kind][10:])
    assert np.isfinite(weighted.loss_curve_).all()
    # skipping the batch is exactly training on the rows that carry weight
    _assert_params_equal(_params(weighted), _params(without))


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_with_new_hidden_layer_sizes_raises_and_keeps_model(kind, solver):
    est = _make(kind, solver=solver, warm_start=True).fit(X, Y[kind])
    summary = _fitted_summary(est)
    est.set_params(hidden_layer_sizes=(4, 2))
    with pytest.raises(ValueError, match=r"warm_start=True.*\[3, 4, 2, \d\]"):
        est.fit(X, Y[kind])
    _assert_same_fitted_state(est, summary)


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("before", "after"), [("adam", "sgd"), ("sgd", "adam")])
@pytest.mark.parametrize("how", ["warm_start_fit", "partial_fit"])
def test_changing_the_solver_uses_the_new_solver(kind, before, after, how):
    # Continuing with another solver must take that solver's steps, from a
    # fresh optimizer, or refuse clearly; never keep stepping with the
    # previous solver's optimizer.
    params = {"shuffle": False, "learning_rate_init": 0.01, "warm_start": True}
    est = _make(kind, solver=before, **params).fit(X, Y[kind])
    # the reference: a model of the new solver, given the same weights, and
    # trained one epoch by a fresh optimizer
    reference = _make(kind, solver=after, max_iter=1, **params).fit(X, Y[kind])
    reference.coefs_ = [c.copy() for c in est.coefs_]
    reference.intercepts_ = [b.copy() for b in est.intercepts_]
    reference.fit(X, Y[kind])
    est.set_params(solver=after)
    if how == "warm_start_fit":
        est.set_params(max_iter=1).fit(X, Y[kind])
    else:
        try:
            est.partial_fit(X, Y[kind])
        except ValueError as exc:
            assert "solver" in str(exc)
            return
    _assert_params_equal(_params(est), _params(reference))


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("now", [True, False])
def test_warm_start_after_switching_early_stopping(kind, now):
    # scikit-learn crashes with AttributeError / TypeError here. Either the
    # refit works and its attributes describe it, or it refuses clearly.
    est = _make(kind, warm_start=True, early_stopping=not now, learning_rate_init=0.01)
    est.fit(X, Y[kind])
    summary = _fitted_summary(est)
    est.set_params(early_stopping=now)
    try:
        est.fit(X, Y[kind])
    except ValueError as exc:
        assert "early_stopping" in str(exc)
        _assert_same_fitted_state(est, summary)
        return
    if now:
        assert len(est.validation_scores_) == est.n_iter_
        assert est.best_validation_score_ == max(est.validation_scores_)
        assert est.best_loss_ is None
    else:
        assert est.validation_scores_ is None
        assert est.best_validation_score_ is None
        assert np.isfinite(est.best_loss_)
    assert all(np.isfinite(out).all() for out in _outputs(est, X))


@ignore_convergence
@pytest.mark.parametrize(
    ("target", "n_columns"),
    [("binary", 2), ("multiclass", 3), ("multilabel", 2), ("partial_fit", 5)],
)
@pytest.mark.parametrize("labels", ["int", "str"])
def test_predict_proba_has_one_column_per_class(target, n_columns, labels):
    # scikit-learn fits one class and then returns two probability columns
    names = np.array(["x", "y", "z", "u", "v"]) if labels == "str" else np.arange(5)
    clf = _make("clf")
    if target == "binary":
        clf.fit(X, names[Y["clf"] % 2])
    elif target == "multiclass":
        clf.fit(X, names[Y["clf"]])
    elif target == "multilabel":
        clf.fit(X, np.c_[Y["clf"] == 0, X[:, 1] > 0].astype(int))
    else:  # the first batch shows 3 of the 5 classes
        clf.partial_fit(X, names[Y["clf"]], classes=names)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(clf.classes_)) == (len(X), n_columns)
    assert clf.predict_log_proba(X).shape == proba.shape
    assert set(np.ravel(clf.predict(X))) <= set(np.ravel(clf.classes_))


@ignore_convergence
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_predict_log_proba_never_minus_inf_when_saturated(target):
    # scikit-learn takes log(predict_proba): -inf once a probability is 0
    clf, X_, _ = _huge_weight_model(target, np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        log_proba = clf.predict_log_proba(X_)
    assert not np.isneginf(log_proba).any()
    assert np.isfinite(log_proba).all()
    assert log_proba.min() < -30  # saturated: some classes are very unlikely
    np.testing.assert_array_equal(
        log_proba.argmax(axis=1), clf.predict_proba(X_).argmax(axis=1)
    )


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("container", ["str", "object", "bytes"])
def test_numeric_strings_accepted_by_fit_are_accepted_by_predict(kind, container):
    # scikit-learn fits on an array of numeric strings, then refuses it in predict
    X_str = X.astype(str)  # repr digits: converting back is exact
    X_str = {"str": X_str, "object": X_str.astype(object), "bytes": X_str.astype(bytes)}
    X_str = X_str[container]
    from_strings = _make(kind).fit(X_str, Y[kind])
    from_floats = _make(kind).fit(X, Y[kind])
    _assert_params_equal(_params(from_strings), _params(from_floats))
    for a, b in zip(
        _outputs(from_strings, X_str), _outputs(from_floats, X), strict=True
    ):
        assert np.array_equal(a, b)
    assert from_strings.score(X_str, Y[kind]) == from_floats.score(X, Y[kind])
    # and a model fitted on floats predicts strings of the same numbers alike
    for a, b in zip(
        _outputs(from_floats, X_str), _outputs(from_floats, X), strict=True
    ):
        assert np.array_equal(a, b)


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_no_overflow_warning_on_huge_but_finite_features(kind, solver):
    # scikit-learn overflows in its Adam update and log(predict_proba) here
    X_huge = X * 1e150
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est = _make(kind, solver=solver).fit(X_huge, Y[kind])
        outputs = _outputs(est, X_huge)
    assert all(np.isfinite(out).all() for out in outputs)
    if kind == "clf":
        _assert_valid_proba(outputs[1], 3)


@ignore_convergence
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_logits_beyond_float_range_still_give_probabilities(target):
    # Inputs near the largest float overflow the logits to +-inf. The classes
    # are still unambiguous: probabilities must stay valid, with no warning.
    y = (X[:, 0] > 0).astype(int) if target == "binary" else Y["clf"]
    clf = _make("clf", hidden_layer_sizes=()).fit(X[:, :1], y)
    if target == "binary":
        clf.coefs_ = [np.array([[10.0]])]
        clf.intercepts_ = [np.zeros(1)]
    else:
        clf.coefs_ = [np.array([[10.0, -10.0, 0.0]])]
        clf.intercepts_ = [np.zeros(3)]
    X_edge = np.array([[1e308], [-1e308], [1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        pred, proba, log_proba = _outputs(clf, X_edge)
    _assert_valid_proba(proba, 2 if target == "binary" else 3, rtol=1e-6)
    assert np.isfinite(log_proba).all()
    expected = [1, 0, 1] if target == "binary" else [0, 1, 0]
    np.testing.assert_array_equal(pred, clf.classes_[expected])


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
def test_poisson_rejects_negative_targets_everywhere(solver):
    # scikit-learn trains a Poisson model on negative targets without a word
    y = np.abs(Y["reg"])
    y_bad = y.copy()
    y_bad[7] = -0.5
    reg = _make("reg", loss="poisson", solver=solver, warm_start=True).fit(X, y)
    summary = _fitted_summary(reg)
    calls = [lambda: reg.fit(X, y_bad)]
    if solver != "lbfgs":
        calls.append(lambda: reg.partial_fit(X, y_bad))
    for call in calls:
        with pytest.raises(ValueError, match="negative which is not allowed"):
            call()
        _assert_same_fitted_state(reg, summary)
    # zero counts are fine
    zeros = _make("reg", loss="poisson", solver=solver).fit(X, 0 * y)
    assert np.all(zeros.predict(X) > 0)
    assert np.isfinite(zeros.predict(X)).all()


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop", "adamw", "lbfgs"])
@pytest.mark.parametrize("cls", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_skops_trusted_types_cover_every_model(tmp_path, cls, solver):
    X = np.random.RandomState(0).normal(size=(30, 3))
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = cls(solver=solver, max_iter=2, random_state=0).fit(X, y)
    path = tmp_path / "model.skops"
    skops.io.dump(model, path)
    untrusted = skops.io.get_untrusted_types(file=path)
    assert untrusted and set(untrusted) <= set(SKOPS_TRUSTED_TYPES)
    loaded = skops.io.load(path, trusted=SKOPS_TRUSTED_TYPES)
    assert np.array_equal(loaded.predict(X), model.predict(X))
