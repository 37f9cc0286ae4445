"""Bad input is refused clearly, before any training."""

import warnings

import numpy as np
import pytest
from _classifier_support import X_DIGITS, X_IRIS, Y_DIGITS, Y_IRIS, _small
from _reliability_support import (
    KINDS,
    SOLVERS,
    X,
    Y,
    _assert_same_fitted_state,
    _assert_unfitted,
    _fitted_summary,
    _make,
    _partial_fit,
    frame,
    ignore_convergence,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.neural_network import MLPRegressor
from sklearn.utils._param_validation import InvalidParameterError

import skscratch._core.training
import skscratch._fit_loop
import skscratch._validation
from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

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
    ("one_sample_early_stopping", "reg", None,
     lambda e, y: e.set_params(early_stopping=True).fit(X[:1], y[:1]),
     ValueError, "empty"),
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
    ("unseen_feature_name", "both", "fit_df",
     lambda e, y: e.predict(frame().rename(columns={"a": "z"})),
     ValueError, "The feature names should match those that were passed during fit"),
    ("reordered_feature_names", "both", "fit_df",
     lambda e, y: e.predict(frame()[["c", "b", "a"]]),
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
        est.fit(frame(), y)
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
    data = {"frame": frame(), "array": X}
    est = _make(kind).fit(data[fit_on], Y[kind])
    with pytest.warns(UserWarning, match=match):
        pred = est.predict(data[predict_on])
    # same numbers, same columns: the answer does not depend on the container
    np.testing.assert_array_equal(pred, est.predict(data[fit_on]))


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("alpha", -1.0),
        ("solver", "newton"),
        ("activation", "swish"),
        ("validation_fraction", 1.0),
        ("momentum", 2),
        ("max_iter", 0),
        ("learning_rate", "cyclic"),
        ("learning_rate_init", 0.0),
        ("batch_size", 0),
        ("beta_1", 1.0),
        ("n_iter_no_change", 0),
        ("shuffle", "yes"),
    ],
)
def test_invalid_hyperparameters_raise(param, value):
    clf = ScratchMLPClassifier(**{param: value})
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        clf.fit(X_IRIS, Y_IRIS)
    assert issubclass(InvalidParameterError, ValueError)
    assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize("sizes", [(0,), (5, 0), (-1,), 0])
def test_non_positive_hidden_layer_sizes_raise(sizes):
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        ScratchMLPClassifier(hidden_layer_sizes=sizes).fit(X_IRIS, Y_IRIS)


@pytest.mark.parametrize(
    ("sample_weight", "match"),
    [
        (np.ones(len(Y_IRIS) - 1), "sample_weight"),
        (np.r_[-1.0, np.ones(len(Y_IRIS) - 1)], "(?i)negative"),
        (np.zeros(len(Y_IRIS)), "non-zero|positive"),
    ],
    ids=["wrong_length", "negative", "all_zero"],
)
@pytest.mark.parametrize("solver", SOLVERS)
def test_invalid_sample_weight_raises(sample_weight, match, solver):
    with pytest.raises(ValueError, match=match):
        _small(solver=solver).fit(X_IRIS, Y_IRIS, sample_weight=sample_weight)


@ignore_convergence
def test_integer_sample_weight_equals_repeated_rows():
    w = np.random.RandomState(0).randint(0, 4, len(Y_IRIS))
    params = {"solver": "lbfgs", "max_iter": 30, "hidden_layer_sizes": (5,)}
    weighted = _small(**params).fit(X_IRIS, Y_IRIS, sample_weight=w)
    repeated = _small(**params).fit(np.repeat(X_IRIS, w, axis=0), np.repeat(Y_IRIS, w))
    np.testing.assert_allclose(
        weighted.predict_proba(X_IRIS), repeated.predict_proba(X_IRIS), rtol=1e-5
    )
    assert weighted.loss_ == pytest.approx(repeated.loss_, rel=1e-6)
    # weights that are not all one do change the solution
    unweighted = _small(**params).fit(X_IRIS, Y_IRIS)
    assert not np.allclose(
        unweighted.predict_proba(X_IRIS), weighted.predict_proba(X_IRIS), rtol=1e-3
    )


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inputs_are_not_modified(solver, shuffle, early_stopping, dtype):
    X = np.ascontiguousarray(X_DIGITS[:150], dtype=dtype)
    y = Y_DIGITS[:150].copy()
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(y)).astype(dtype)
    X0, y0, sw0 = X.copy(), y.copy(), sw.copy()
    clf = _small(
        solver=solver,
        shuffle=shuffle,
        early_stopping=early_stopping,
        max_iter=3,
        batch_size=32,
    )
    clf.fit(X, y, sample_weight=sw)
    clf.predict(X)
    clf.predict_proba(X)
    clf.predict_log_proba(X)
    clf.score(X, y, sample_weight=sw)
    if solver != "lbfgs" and not early_stopping:
        clf.partial_fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(sw, sw0)


@ignore_convergence
def test_zero_weight_batches_are_skipped():
    # a whole mini-batch with zero weight carries no information
    X, y = X_IRIS, Y_IRIS
    w = np.ones(len(y))
    w[:50] = 0.0
    clf = _small(solver="sgd", shuffle=False, batch_size=50, max_iter=3)
    clf.fit(X, y, sample_weight=w)
    assert all(np.isfinite(clf.loss_curve_))
    assert np.isfinite(clf.predict_proba(X)).all()
