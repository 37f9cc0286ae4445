"""Behaviour of ScratchMLPClassifier: targets, inputs, training modes and API."""

import copy
import itertools
import pickle
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import skscratch._fit_loop
import skscratch._validation
from skscratch import ScratchMLPClassifier

SOLVERS = ["sgd", "adam", "lbfgs"]
STOCHASTIC = ["sgd", "adam"]


ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _digits(n=300):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, y[:n]


X_IRIS, Y_IRIS = _iris()
X_DIGITS, Y_DIGITS = _digits()


def _small(**params):
    """A small, seeded classifier for fast tests."""
    defaults = {"hidden_layer_sizes": (8,), "max_iter": 50, "random_state": 0}
    defaults.update(params)
    return ScratchMLPClassifier(**defaults)


def _params(clf):
    return [p.copy() for p in clf.coefs_ + clf.intercepts_]


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


def test_single_class_raises():
    with pytest.raises(ValueError, match="class"):
        _small().fit(X_IRIS, np.zeros(len(X_IRIS), dtype=int))


@ignore_convergence
@pytest.mark.parametrize("warm_start", [False, True])
def test_rejected_single_class_fit_leaves_estimator_usable(warm_start):
    # a fit that raises must not leave half-fitted state behind: the next
    # fit with valid data works, warm-started or not
    clf = _small(max_iter=5, warm_start=warm_start)
    with pytest.raises(ValueError, match="class"):
        clf.fit(X_IRIS, np.zeros(len(X_IRIS), dtype=int))
    with pytest.raises(sklearn.exceptions.NotFittedError):
        clf.predict(X_IRIS)
    clf.fit(X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X_IRIS).shape == (len(Y_IRIS), 3)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_rejected_single_class_partial_fit_leaves_estimator_usable(solver):
    clf = _small(solver=solver)
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.partial_fit(X_IRIS, Y_IRIS, classes=[0])
    # the first real call, with valid classes, is then accepted
    clf.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X_IRIS).shape == (len(Y_IRIS), 3)


# --------------------------------------------------------------- probabilities


@ignore_convergence
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predict_log_proba_is_log_of_predict_proba(target, dtype):
    X = X_IRIS.astype(dtype)
    if target == "binary":
        y = Y_IRIS == 1
    elif target == "multiclass":
        y = Y_IRIS
    else:
        y = np.c_[Y_IRIS == 0, X_IRIS[:, 1] > 0].astype(int)
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
    X = X_IRIS.astype(dtype)
    if target == "binary":
        y = Y_IRIS == 1
    elif target == "multiclass":
        y = Y_IRIS
    else:
        y = np.c_[Y_IRIS == 0, X_IRIS[:, 1] > 0].astype(int)
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


# ----------------------------------------------------------------- warm start


@ignore_convergence
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_warm_start_continues_training(solver):
    max_iter = 10
    clf = _small(solver=solver, max_iter=max_iter, warm_start=True)
    clf.set_params(learning_rate_init=0.01)
    clf.fit(X_IRIS, Y_IRIS)
    first_curve = list(clf.loss_curve_)
    first_t = clf.t_
    after_first = _params(clf)
    assert first_t == max_iter * len(Y_IRIS)
    clf.fit(X_IRIS, Y_IRIS)
    assert clf.n_iter_ == max_iter
    assert clf.t_ == 2 * first_t
    assert clf.loss_curve_[:max_iter] == first_curve
    second = clf.loss_curve_[max_iter:]
    assert len(second) == max_iter
    # the second fit starts from where the first one stopped
    assert second[0] < first_curve[0]
    assert second[-1] < first_curve[-1]
    # and it differs from a fresh fit with the same seed
    fresh = clone(clf).set_params(warm_start=False).fit(X_IRIS, Y_IRIS)
    assert not np.allclose(fresh.coefs_[0], clf.coefs_[0])
    assert not np.allclose(after_first[0], clf.coefs_[0])


@ignore_convergence
def test_warm_start_lbfgs_starts_from_previous_solution():
    clf = _small(solver="lbfgs", max_iter=20, warm_start=True).fit(X_IRIS, Y_IRIS)
    first_loss = clf.loss_
    clf.fit(X_IRIS, Y_IRIS)
    assert clf.loss_curve_[0] < first_loss * 1.0001
    assert clf.loss_ <= first_loss


@ignore_convergence
def test_warm_start_with_different_classes_raises():
    clf = _small(max_iter=5, warm_start=True).fit(X_IRIS, Y_IRIS)
    mask = Y_IRIS != 2
    with pytest.raises(ValueError, match="warm_start can only be used"):
        clf.fit(X_IRIS[mask], Y_IRIS[mask])


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_with_new_architecture_raises(solver):
    clf = _small(solver=solver, max_iter=5, warm_start=True).fit(X_IRIS, Y_IRIS)
    clf.set_params(hidden_layer_sizes=(8, 3))
    with pytest.raises(ValueError, match="warm_start"):
        clf.fit(X_IRIS, Y_IRIS)
    # without warm_start the new architecture trains from scratch
    clf.set_params(warm_start=False).fit(X_IRIS, Y_IRIS)
    assert [c.shape for c in clf.coefs_] == [(4, 8), (8, 3), (3, 3)]


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


# ------------------------------------------------------ the flat parameter buffer


@ignore_convergence
@pytest.mark.parametrize("solver", SOLVERS)
def test_coefs_and_intercepts_view_one_buffer(solver):
    clf = _small(solver=solver, hidden_layer_sizes=(6, 5), max_iter=5)
    clf.fit(X_IRIS, Y_IRIS)
    arrays = clf.coefs_ + clf.intercepts_
    base = clf.coefs_[0].base
    assert base is not None
    assert isinstance(base, np.ndarray)
    assert base.ndim == 1
    assert all(a.base is base for a in arrays)
    assert base.size == sum(a.size for a in arrays)
    # writing through a view changes what the model computes
    before = clf.predict_proba(X_IRIS)
    clf.intercepts_[-1][...] += np.array([5.0, 0.0, 0.0])
    after = clf.predict_proba(X_IRIS)
    assert np.all(after[:, 0] > before[:, 0])


@ignore_convergence
@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("assignment", ["new_list", "item"])
@pytest.mark.parametrize("continue_with", ["partial_fit", "warm_fit"])
def test_assigned_weights_are_what_training_continues_from(
    solver, assignment, continue_with
):
    clf = _small(
        solver=solver,
        max_iter=2,
        learning_rate_init=1e-7,
        momentum=0.0,
        warm_start=continue_with == "warm_fit",
    )
    clf.fit(X_IRIS, Y_IRIS)
    old = _params(clf)
    rng = np.random.RandomState(42)
    new_first = rng.uniform(-1, 1, clf.coefs_[0].shape)
    if assignment == "new_list":
        clf.coefs_ = [new_first, *(c * 2 for c in clf.coefs_[1:])]
    else:
        clf.coefs_[0] = new_first
    expected = [np.array(c) for c in clf.coefs_] + [
        np.array(b) for b in clf.intercepts_
    ]
    # predictions right after the assignment use the new weights
    manual = _forward(expected, len(clf.coefs_), X_IRIS, clf.activation)
    np.testing.assert_allclose(clf.predict_proba(X_IRIS), manual, rtol=1e-10)
    if continue_with == "partial_fit":
        clf.partial_fit(X_IRIS, Y_IRIS)
    else:
        clf.fit(X_IRIS, Y_IRIS)
    for got, want in zip(_params(clf), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)
    assert not np.allclose(clf.coefs_[0], old[0], atol=1e-2)
    assert not np.array_equal(clf.coefs_[0], new_first)  # it did train
    # and the parameters are views of one buffer again
    base = clf.coefs_[0].base
    assert base is not None
    assert all(a.base is base for a in clf.coefs_ + clf.intercepts_)


def _forward(params, n_layers, X, activation):
    coefs, intercepts = params[:n_layers], params[n_layers:]
    act = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh}[activation]
    A = X
    for i, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        A = A @ W + b
        if i < n_layers - 1:
            A = act(A)
    A = np.exp(A - A.max(axis=1, keepdims=True))
    return A / A.sum(axis=1, keepdims=True)


@ignore_convergence
@pytest.mark.parametrize("method", ["partial_fit", "fit"])
@pytest.mark.parametrize("which", ["coefs", "intercepts"])
def test_assigned_weights_of_wrong_shape_raise_clearly(method, which):
    clf = _small(solver="adam", max_iter=2, warm_start=True).fit(X_IRIS, Y_IRIS)
    if which == "coefs":
        clf.coefs_ = [np.zeros((4, 7)), clf.coefs_[1]]
        match = r"layer sizes \[4, 7, 3\]"
    else:
        clf.intercepts_ = [np.zeros(5), clf.intercepts_[1]]
        match = r"intercepts_\[0\] has shape \(5,\)"
    with pytest.raises(ValueError, match=match):
        getattr(clf, method)(X_IRIS, Y_IRIS)


@ignore_convergence
def test_zeroed_weights_predict_the_output_bias():
    clf = _small(solver="adam", max_iter=5).fit(X_IRIS, Y_IRIS)
    clf.coefs_ = [c * 0 for c in clf.coefs_]
    proba = clf.predict_proba(X_IRIS)
    b = clf.intercepts_[-1]
    expected = np.exp(b - b.max()) / np.exp(b - b.max()).sum()
    np.testing.assert_allclose(proba, np.tile(expected, (len(X_IRIS), 1)))


# -------------------------------------------------------------- early stopping


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_early_stopping_restores_best_weights(solver, monkeypatch):
    splits = []
    real_split = skscratch._validation.train_test_split

    def recording_split(*arrays, **kwargs):
        parts = real_split(*arrays, **kwargs)
        splits.append(parts)
        return parts

    monkeypatch.setattr(skscratch._validation, "train_test_split", recording_split)
    clf = _small(
        solver=solver,
        hidden_layer_sizes=(10,),
        learning_rate_init=0.05,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=50,
        max_iter=15,
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X_DIGITS, Y_DIGITS)
    scores = clf.validation_scores_
    assert len(scores) == clf.n_iter_ == 15
    assert clf.best_validation_score_ == max(scores)
    assert clf.best_loss_ is None
    best_epoch = int(np.argmax(scores)) + 1
    assert best_epoch < clf.n_iter_, "pick parameters whose best epoch is not last"
    assert max(scores) > scores[-1]
    # the restored weights score the best validation accuracy, not the last one
    assert len(splits) == 1
    X_val, Y_val = splits[0][1], splits[0][3]
    y_val = clf.classes_[np.argmax(Y_val, axis=1)]
    assert len(y_val) == 60
    assert clf.score(X_val, y_val) == pytest.approx(clf.best_validation_score_)
    # they are the weights reached after the best epoch
    monkeypatch.setattr(skscratch._validation, "train_test_split", real_split)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        at_best = clone(clf).set_params(max_iter=best_epoch).fit(X_DIGITS, Y_DIGITS)
    for a, b in zip(_params(clf), _params(at_best), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "y",
    [
        np.c_[np.arange(10) % 2, np.arange(10) % 3 == 0].astype(int),
        np.arange(10) % 2,
    ],
    ids=["multilabel", "binary"],
)
def test_early_stopping_validation_set_too_small(y):
    clf = _small(early_stopping=True, validation_fraction=0.1)
    with pytest.raises(ValueError) as excinfo:
        clf.fit(X_IRIS[:10], y)
    if y.ndim == 2:
        # no stratification: the package's own check fires
        assert "The validation set is too small" in str(excinfo.value)
    # and scikit-learn refuses the same data
    with pytest.raises(ValueError, match=re.escape(str(excinfo.value)[:20])):
        MLPClassifier(early_stopping=True, validation_fraction=0.1).fit(X_IRIS[:10], y)


@ignore_convergence
def test_lbfgs_ignores_early_stopping_in_its_attributes():
    # early stopping is documented as stochastic-only: with lbfgs no
    # validation set is held out, so the validation attributes are None
    clf = _small(solver="lbfgs", early_stopping=True, max_iter=20)
    clf.fit(X_IRIS, Y_IRIS)
    plain = _small(solver="lbfgs", max_iter=20).fit(X_IRIS, Y_IRIS)
    for a, b in zip(_params(clf), _params(plain), strict=True):
        np.testing.assert_array_equal(a, b)
    assert clf.best_loss_ == pytest.approx(min(clf.loss_curve_))
    assert clf.validation_scores_ is None
    assert clf.best_validation_score_ is None


# -------------------------------------------------------- stopping criteria


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("n_iter_no_change", [1, 3, 5])
def test_large_tol_stops_after_n_iter_no_change(solver, n_iter_no_change):
    params = {
        "solver": solver,
        "tol": 10.0,
        "n_iter_no_change": n_iter_no_change,
        "max_iter": 100,
        "hidden_layer_sizes": (8,),
        "random_state": 0,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = ScratchMLPClassifier(**params).fit(X_IRIS, Y_IRIS)
        ref = MLPClassifier(**params).fit(X_IRIS, Y_IRIS)
    # the first epoch always improves on an infinite best loss; then
    # n_iter_no_change + 1 epochs without improvement trigger the stop
    assert clf.n_iter_ == n_iter_no_change + 2
    assert clf.n_iter_ == ref.n_iter_
    assert len(clf.loss_curve_) == clf.n_iter_


@ignore_convergence
def test_adaptive_learning_rate_keeps_going_and_decreases(capsys):
    params = {
        "solver": "sgd",
        "learning_rate": "adaptive",
        "tol": 10.0,
        "n_iter_no_change": 1,
        "max_iter": 100,
        "verbose": True,
    }
    clf = _small(**params).fit(X_IRIS, Y_IRIS)
    out = capsys.readouterr().out
    rates = [float(r) for r in re.findall(r"Setting learning rate to (\S+)", out)]
    assert len(rates) >= 3
    np.testing.assert_allclose(rates[0], 0.001 / 5, rtol=1e-3)
    for previous, current in itertools.pairwise(rates):
        assert current == pytest.approx(previous / 5, rel=1e-2, abs=1e-6)
    assert "Learning rate too small. Stopping." in out
    # it trained longer than a constant rate would have
    constant = _small(**{**params, "learning_rate": "constant"}).fit(X_IRIS, Y_IRIS)
    capsys.readouterr()
    assert clf.n_iter_ > constant.n_iter_ == 3


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_batch_size_larger_than_n_samples_is_clipped(solver):
    clf = _small(solver=solver, batch_size=1000, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(UserWarning, match="It is going to be clipped"):
            clf.fit(X_IRIS, Y_IRIS)
    assert clf.n_iter_ == 5
    assert np.isfinite(clf.predict_proba(X_IRIS)).all()
    # clipped to one full batch: the same as batch_size=n_samples
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full = _small(solver=solver, batch_size=len(Y_IRIS), max_iter=5)
        full.fit(X_IRIS, Y_IRIS)
    np.testing.assert_allclose(clf.loss_curve_, full.loss_curve_, rtol=1e-12)


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


# ----------------------------------------------------------- KeyboardInterrupt


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("when", ["before_epoch", "after_epoch"])
def test_keyboard_interrupt_keeps_last_complete_epoch(solver, when, monkeypatch):
    params = {"solver": solver, "learning_rate_init": 0.01}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        two_epochs = _small(max_iter=2, **params).fit(X_DIGITS, Y_DIGITS)

    real_run_epoch = skscratch._fit_loop.run_epoch
    calls = []

    def interrupting_run_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            if when == "after_epoch":
                real_run_epoch(*args, **kwargs)  # the weights move, then ^C
            raise KeyboardInterrupt
        return real_run_epoch(*args, **kwargs)

    monkeypatch.setattr(skscratch._fit_loop, "run_epoch", interrupting_run_epoch)
    clf = _small(max_iter=10, **params)
    with pytest.warns(UserWarning, match="Training interrupted by user."):
        clf.fit(X_DIGITS, Y_DIGITS)
    assert len(calls) == 3
    assert clf.n_iter_ == 2
    assert len(clf.loss_curve_) == 2
    assert clf.loss_curve_ == two_epochs.loss_curve_
    for a, b in zip(_params(clf), _params(two_epochs), strict=True):
        np.testing.assert_array_equal(a, b)
    proba = clf.predict_proba(X_DIGITS)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


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
