"""ScratchMLPClassifier: targets, probabilities, inputs, partial_fit."""

import copy
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from _classifier_support import (
    SOLVERS,
    STOCHASTIC,
    X_DIGITS,
    X_IRIS,
    Y_DIGITS,
    Y_IRIS,
    _params,
    _small,
    ignore_convergence,
)
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier

# ---------------------------------------------------------------- targets


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("target", ["binary", "multiclass"])
def test_binary_and_multiclass_fit(solver, target):
    X, y = X_IRIS, Y_IRIS
    if target == "binary":
        y = (y == 0).astype(int)
    clf = _small(solver=solver, max_iter=200, learning_rate_init=0.01).fit(X, y)
    n_classes = len(np.unique(y))
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    assert clf.out_activation_ == ("logistic" if n_classes == 2 else "softmax")
    assert clf.n_outputs_ == (1 if n_classes == 2 else n_classes)
    assert clf.n_layers_ == 3
    assert clf.score(X, y) > 0.9
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), n_classes)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(
        clf.predict(X), clf.classes_[np.argmax(proba, axis=1)]
    )


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
def test_multilabel_fit(solver):
    X = X_IRIS
    Y = np.c_[Y_IRIS == 0, Y_IRIS == 2, X[:, 0] > 0].astype(int)
    clf = _small(solver=solver, max_iter=300, learning_rate_init=0.01).fit(X, Y)
    assert clf.out_activation_ == "logistic"
    assert clf.n_outputs_ == 3
    pred = clf.predict(X)
    assert pred.shape == Y.shape
    assert set(np.unique(pred)) <= {0, 1}
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape
    assert np.all((proba > 0) & (proba < 1))
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    assert clf.score(X, Y) > 0.8  # subset accuracy


@ignore_convergence
@pytest.mark.parametrize(
    "labels",
    [
        np.array(["setosa", "versicolor", "virginica"]),
        np.array(["a", "b", "c"], dtype=object),
        np.array([10, -3, 7]),
        np.array([False, True, True]),
        np.array([2.0, 0.0, 1.0]),
    ],
    ids=["str", "object", "int", "bool", "float"],
)
def test_label_types_round_trip(labels):
    y = labels[Y_IRIS]
    clf = _small(solver="lbfgs", max_iter=100).fit(X_IRIS, y)
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    pred = clf.predict(X_IRIS)
    assert pred.dtype == clf.classes_.dtype
    # the same label dtype as scikit-learn's MLP returns
    ref = MLPClassifier(solver="lbfgs", hidden_layer_sizes=(8,), max_iter=100)
    assert pred.dtype == ref.fit(X_IRIS, y).predict(X_IRIS).dtype
    assert pred.shape == y.shape
    assert set(pred.tolist()) <= set(clf.classes_.tolist())
    assert np.mean(pred == y) > 0.9
    # the probability columns follow classes_
    proba = clf.predict_proba(X_IRIS)
    np.testing.assert_array_equal(pred, clf.classes_[np.argmax(proba, axis=1)])


@ignore_convergence
@pytest.mark.parametrize("warm_start", [False, True])
def test_rejected_fit_leaves_estimator_usable(warm_start):
    # a fit that raises must not leave half-fitted state behind: the next
    # fit with valid data works, warm-started or not
    clf = _small(max_iter=5, warm_start=warm_start)
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X_IRIS, X_IRIS[:, 0])
    with pytest.raises(sklearn.exceptions.NotFittedError):
        clf.predict(X_IRIS)
    clf.fit(X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X_IRIS).shape == (len(Y_IRIS), 3)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_rejected_partial_fit_leaves_estimator_usable(solver):
    clf = _small(solver=solver)
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X_IRIS, Y_IRIS, classes=[0])
    # the first real call, with valid classes, is then accepted
    clf.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X_IRIS).shape == (len(Y_IRIS), 3)


# --------------------------------------------------------------- probabilities


def _iris_target(target):
    if target == "binary":
        return Y_IRIS == 1
    if target == "multiclass":
        return Y_IRIS
    return np.c_[Y_IRIS == 0, X_IRIS[:, 1] > 0].astype(int)


@ignore_convergence
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predict_log_proba_is_log_of_predict_proba(target, dtype):
    X, y = X_IRIS.astype(dtype), _iris_target(target)
    clf = _small(max_iter=30, learning_rate_init=0.01).fit(X, y)
    proba = clf.predict_proba(X)
    log_proba = clf.predict_log_proba(X)
    assert log_proba.shape == proba.shape
    assert np.isfinite(log_proba).all()
    assert np.all(log_proba <= 0)
    # away from saturation the two agree to rounding
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(log_proba, np.log(proba), rtol=rtol)


@ignore_convergence
@pytest.mark.parametrize("target", ["binary", "multilabel", "multiclass"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("how", ["huge_weights", "huge_inputs"])
def test_saturated_probabilities_stay_finite(target, dtype, how):
    X, y = X_IRIS.astype(dtype), _iris_target(target)
    clf = _small(solver="lbfgs", max_iter=50).fit(X, y)
    if how == "huge_weights":
        clf.coefs_ = [c * 1e4 for c in clf.coefs_]
        X_eval = X
    else:
        X_eval = X * dtype(1e5)
    logits = np.abs(clf._raw_predict(X_eval))
    assert logits.max() > 1e3  # the model really is saturated
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        proba = clf.predict_proba(X_eval)
        log_proba = clf.predict_log_proba(X_eval)
    assert np.isfinite(log_proba).all()
    assert not np.isneginf(log_proba).any()
    assert np.all(proba > 0)
    assert np.all(proba <= 1)
    if target != "multiclass":
        # logistic outputs stay strictly inside (0, 1)
        assert np.all(proba < 1)
    # the log-probabilities still rank the classes like the probabilities
    np.testing.assert_array_equal(
        np.argmax(log_proba, axis=1), np.argmax(proba, axis=1)
    )
    # predictions are unaffected by the clipping
    if target == "multiclass":
        np.testing.assert_array_equal(
            clf.predict(X_eval), clf.classes_[np.argmax(proba, axis=1)]
        )


# ------------------------------------------------------------ inputs and dtypes


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_matches_dense(solver, fmt):
    X, y = X_DIGITS, Y_DIGITS
    Xs = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    params = {"solver": solver, "max_iter": 10, "learning_rate_init": 0.01}
    dense = _small(**params).fit(X, y)
    sparse = _small(**params).fit(Xs, y)
    for a, b in zip(dense.coefs_, sparse.coefs_, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-10)
    np.testing.assert_allclose(
        dense.predict_proba(X), sparse.predict_proba(Xs), atol=1e-10
    )
    np.testing.assert_array_equal(dense.predict(X), sparse.predict(Xs))
    # a dense-fitted model predicts sparse input like dense input
    np.testing.assert_allclose(dense.predict_proba(Xs), dense.predict_proba(X))


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(
    ("in_dtype", "out_dtype"),
    [(np.float32, np.float32), (np.float64, np.float64), (np.int64, np.float64)],
)
def test_dtype_is_preserved(solver, in_dtype, out_dtype):
    X = (X_DIGITS * 16).astype(in_dtype) if in_dtype == np.int64 else X_DIGITS
    X = X.astype(in_dtype)
    assert X.dtype == in_dtype
    clf = _small(solver=solver, max_iter=10).fit(X, Y_DIGITS)
    for a in clf.coefs_ + clf.intercepts_:
        assert a.dtype == out_dtype
    proba = clf.predict_proba(X)
    assert proba.dtype == out_dtype
    assert clf.predict_log_proba(X).dtype == out_dtype
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


@ignore_convergence
def test_float32_fit_close_to_float64_fit():
    X = X_DIGITS
    clf64 = _small(solver="adam", max_iter=5).fit(X, Y_DIGITS)
    clf32 = _small(solver="adam", max_iter=5).fit(X.astype(np.float32), Y_DIGITS)
    for a, b in zip(clf32.coefs_, clf64.coefs_, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)


# ----------------------------------------------------------------- partial_fit


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_partial_fit_first_call_needs_classes(solver):
    clf = _small(solver=solver)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X_IRIS, Y_IRIS)
    assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_partial_fit_multilabel_needs_no_classes(solver):
    Y = np.c_[Y_IRIS == 0, Y_IRIS == 1].astype(int)
    clf = _small(solver=solver).partial_fit(X_IRIS, Y)
    assert clf.n_outputs_ == 2
    assert clf.predict(X_IRIS).shape == Y.shape


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_partial_fit_unknown_labels_raise(solver):
    clf = _small(solver=solver)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1])
    clf = _small(solver=solver).partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"not in `self\.classes_`"):
        clf.partial_fit(X_IRIS[:5], np.full(5, 7))
    with pytest.raises(ValueError, match="not the same as on last call"):
        clf.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_partial_fit_subset_of_classes_is_fine(solver):
    clf = _small(solver=solver)
    clf.partial_fit(X_IRIS[:10], Y_IRIS[:10], classes=[0, 1, 2])
    assert set(np.unique(Y_IRIS[:10])) == {0}
    assert clf.predict_proba(X_IRIS).shape == (len(Y_IRIS), 3)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_partial_fit_rejects_new_n_features(solver):
    clf = _small(solver=solver).partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X_IRIS[:, :3], Y_IRIS)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_repeated_partial_fit_reduces_loss(solver):
    clf = _small(solver=solver, learning_rate_init=0.05)
    classes = np.unique(Y_DIGITS)
    for _ in range(15):
        clf.partial_fit(X_DIGITS, Y_DIGITS, classes=classes)
    assert len(clf.loss_curve_) == 15
    assert clf.n_iter_ == 1
    assert clf.t_ == 15 * len(Y_DIGITS)
    assert clf.loss_curve_[-1] < 0.7 * clf.loss_curve_[0]
    assert clf.best_loss_ == min(clf.loss_curve_)


@ignore_convergence
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_partial_fit_equals_fit_epochs_without_shuffle(solver):
    # with shuffle=False, k partial_fit calls on the full data are k epochs
    params = {"solver": solver, "shuffle": False, "learning_rate_init": 0.01}
    fitted = _small(max_iter=4, **params).fit(X_IRIS, Y_IRIS)
    partial = _small(**params)
    for _ in range(4):
        partial.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    np.testing.assert_allclose(partial.loss_curve_, fitted.loss_curve_, rtol=1e-12)
    for a, b in zip(_params(partial), _params(fitted), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_partial_fit_availability_depends_on_solver():
    assert hasattr(ScratchMLPClassifier(solver="sgd"), "partial_fit")
    assert hasattr(ScratchMLPClassifier(solver="adam"), "partial_fit")
    clf = ScratchMLPClassifier(solver="lbfgs")
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit"):
        clf.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    # availability follows set_params
    clf.set_params(solver="adam")
    assert hasattr(clf, "partial_fit")


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_partial_fit_with_early_stopping_raises(solver):
    clf = _small(solver=solver, early_stopping=True)
    with pytest.raises(ValueError, match="early_stopping"):
        clf.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])


# -------------------------------------------------------------------- XOR


@pytest.mark.parametrize("random_state", range(5))
def test_learns_xor(random_state):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([0, 1, 1, 0])
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(4,),
        activation="tanh",
        solver="lbfgs",
        max_iter=2000,
        tol=1e-6,
        random_state=random_state,
    ).fit(X, y)
    np.testing.assert_array_equal(clf.predict(X), y)
    assert clf.score(X, y) == 1.0
    proba = clf.predict_proba(X)
    assert np.all(proba[np.arange(4), y] > 0.5)


# ------------------------------------------------------ scikit-learn ecosystem


@ignore_convergence
def test_pipeline_in_grid_search_and_cross_val_score():
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("mlp", ScratchMLPClassifier(solver="lbfgs", max_iter=50, random_state=0)),
        ]
    )
    X, y = load_iris(return_X_y=True)
    grid = GridSearchCV(
        pipe,
        {"mlp__hidden_layer_sizes": [(2,), (8,)], "mlp__alpha": [1e-4, 1.0]},
        cv=3,
    ).fit(X, y)
    assert grid.best_score_ > 0.85
    assert grid.cv_results_["mean_test_score"].shape == (4,)
    assert isinstance(grid.best_estimator_[-1], ScratchMLPClassifier)
    assert grid.best_estimator_[-1] is not pipe[-1]
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.mean() > 0.85


@ignore_convergence
def test_clone_gives_unfitted_estimator_with_same_params():
    clf = _small(solver="sgd", alpha=0.01, hidden_layer_sizes=(3, 2)).fit(
        X_IRIS, Y_IRIS
    )
    cloned = clone(clf)
    assert cloned is not clf
    assert cloned.get_params() == clf.get_params()
    assert not hasattr(cloned, "coefs_")
    assert not hasattr(cloned, "classes_")
    with pytest.raises(sklearn.exceptions.NotFittedError):
        cloned.predict(X_IRIS)


@ignore_convergence
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_pickle_round_trip_and_continue(solver):
    clf = _small(solver=solver, max_iter=5, learning_rate_init=0.01)
    clf.fit(X_IRIS, Y_IRIS)
    restored = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(restored.predict(X_IRIS), clf.predict(X_IRIS))
    assert np.array_equal(restored.predict_proba(X_IRIS), clf.predict_proba(X_IRIS))
    for _ in range(3):
        clf.partial_fit(X_IRIS, Y_IRIS)
        restored.partial_fit(X_IRIS, Y_IRIS)
    np.testing.assert_allclose(restored.loss_curve_, clf.loss_curve_, rtol=1e-12)
    for a, b in zip(_params(restored), _params(clf), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        restored.predict_proba(X_IRIS), clf.predict_proba(X_IRIS), atol=1e-12
    )
    base = restored.coefs_[0].base
    assert base is not None
    assert all(a.base is base for a in restored.coefs_ + restored.intercepts_)


def _optimizer_nbytes(clf):
    optimizer = getattr(clf, "_optimizer", None)
    if optimizer is None:
        return 0
    return sum(v.nbytes for v in vars(optimizer).values() if isinstance(v, np.ndarray))


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
def test_pickle_does_not_store_parameters_twice(solver):
    X, y = X_DIGITS, Y_DIGITS
    clf = _small(solver=solver, hidden_layer_sizes=(100,), max_iter=3).fit(X, y)
    params_nbytes = sum(a.nbytes for a in clf.coefs_ + clf.intercepts_)
    assert params_nbytes > 50_000
    size = len(pickle.dumps(clf))
    # every parameter once, plus the optimizer state, plus a little metadata
    assert size < params_nbytes + _optimizer_nbytes(clf) + 0.5 * params_nbytes
    # no larger than an estimator whose parameters are independent arrays
    independent = copy.copy(clf)
    independent.coefs_ = [c.copy() for c in clf.coefs_]
    independent.intercepts_ = [b.copy() for b in clf.intercepts_]
    assert size <= 1.05 * len(pickle.dumps(independent))


@ignore_convergence
def test_metadata_routing_sample_weight():
    X, y = X_IRIS, Y_IRIS
    w = np.where(y == 2, 0.0, 1.0)
    with sklearn.config_context(enable_metadata_routing=True):
        mlp = _small(solver="lbfgs", max_iter=100).set_fit_request(sample_weight=True)
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False), mlp)
        weighted = clone(pipe).fit(X, y, sample_weight=w)
        unweighted = clone(pipe).fit(X, y)
        assert np.mean(weighted.predict(X) == 2) < 0.05
        assert np.mean(unweighted.predict(X) == 2) > 0.25
        result = cross_validate(
            pipe,
            X,
            y,
            params={"sample_weight": w},
            scoring=make_scorer(accuracy_score).set_score_request(sample_weight=False),
            cv=3,
            return_estimator=True,
        )
        unrouted = cross_validate(pipe, X, y, cv=3)
    # ignoring one class costs a third of the (unweighted) accuracy
    assert result["test_score"].mean() < 0.75
    assert unrouted["test_score"].mean() > 0.85
    for est in result["estimator"]:
        assert np.mean(est.predict(X) == 2) < 0.05
    assert not sklearn.get_config()["enable_metadata_routing"]


def test_metadata_routing_requires_request():
    w = np.ones(len(Y_IRIS))
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False), _small()
        )
        with pytest.raises(ValueError, match="sample_weight"):
            pipe.fit(X_IRIS, Y_IRIS, sample_weight=w)
