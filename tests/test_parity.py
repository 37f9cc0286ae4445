"""Parity of ScratchMLPClassifier with scikit-learn's MLPClassifier."""

import inspect
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier

SOLVERS = ["sgd", "adam", "lbfgs"]
STOCHASTIC = ["sgd", "adam"]


ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]

pytestmark = pytest.mark.reference


def _digits(n=240):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, y[:n]


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


DIGITS = _digits()
IRIS = _iris()


def _fit_both(X, y, sample_weight=None, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = MLPClassifier(**params).fit(X, y, sample_weight=sample_weight)
        ours = ScratchMLPClassifier(**params).fit(X, y, sample_weight=sample_weight)
    return ref, ours


def _assert_same_trajectory(ref, ours, rtol=1e-9, atol=1e-9):
    assert ours.n_iter_ == ref.n_iter_
    assert ours.t_ == ref.t_
    if ref.solver == "lbfgs":
        np.testing.assert_allclose(ours.loss_, ref.loss_, rtol=rtol)
    else:
        assert len(ours.loss_curve_) == len(ref.loss_curve_)
        np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=rtol)
        np.testing.assert_allclose(ours.loss_, ref.loss_, rtol=rtol)
    assert len(ours.coefs_) == len(ref.coefs_)
    for a, b in zip(
        ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_, strict=True
    ):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)


# ------------------------------------------------------------------ trajectory


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dataset", ["digits", "iris"])
def test_trajectory_matches_sklearn(solver, activation, dataset):
    X, y = DIGITS if dataset == "digits" else IRIS
    lr = 0.01 if solver != "lbfgs" else 0.001
    ref, ours = _fit_both(
        X,
        y,
        solver=solver,
        activation=activation,
        hidden_layer_sizes=(8,),
        learning_rate_init=lr,
        max_iter=8,
        random_state=0,
    )
    # a short run must actually move the weights away from the initial draw
    assert ours.n_iter_ == 8
    _assert_same_trajectory(ref, ours)


@pytest.mark.filterwarnings("ignore:Got `batch_size`:UserWarning")
@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize(
    "extra",
    [
        {"learning_rate": "invscaling"},
        {"learning_rate": "adaptive", "tol": 1.0, "n_iter_no_change": 1},
        {"nesterovs_momentum": False},
        {"momentum": 0.0},
        {"shuffle": False},
        {"batch_size": 37},
        {"batch_size": 1000},
        {"hidden_layer_sizes": (6, 5)},
        {"alpha": 0.5},
    ],
    ids=lambda d: "-".join(f"{k}={v}" for k, v in d.items()),
)
def test_stochastic_options_match_sklearn(solver, extra):
    X, y = DIGITS
    params = {
        "solver": solver,
        "hidden_layer_sizes": (8,),
        "learning_rate_init": 0.02,
        "max_iter": 8,
        "random_state": 3,
    }
    params.update(extra)
    ref, ours = _fit_both(X, y, **params)
    _assert_same_trajectory(ref, ours)


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("weighted", [False, True])
def test_early_stopping_trajectory_matches_sklearn(solver, weighted):
    X, y = DIGITS
    sw = np.random.RandomState(0).uniform(0.2, 2.0, len(y)) if weighted else None
    ref, ours = _fit_both(
        X,
        y,
        sample_weight=sw,
        solver=solver,
        hidden_layer_sizes=(8,),
        learning_rate_init=0.01,
        early_stopping=True,
        validation_fraction=0.2,
        max_iter=10,
        random_state=1,
    )
    assert len(ours.validation_scores_) == len(ref.validation_scores_) > 0
    np.testing.assert_allclose(ours.validation_scores_, ref.validation_scores_)
    assert ours.best_validation_score_ == pytest.approx(ref.best_validation_score_)
    assert ours.best_loss_ is None and ref.best_loss_ is None
    _assert_same_trajectory(ref, ours)


@pytest.mark.parametrize("solver", SOLVERS)
def test_sample_weight_trajectory_matches_sklearn(solver):
    X, y = DIGITS
    sw = np.random.RandomState(0).uniform(0.0, 3.0, len(y))
    ref, ours = _fit_both(
        X,
        y,
        sample_weight=sw,
        solver=solver,
        hidden_layer_sizes=(8,),
        learning_rate_init=0.01,
        max_iter=8,
        random_state=0,
    )
    _assert_same_trajectory(ref, ours)
    # the weights matter: an unweighted run takes another path
    _, unweighted = _fit_both(
        X,
        y,
        solver=solver,
        hidden_layer_sizes=(8,),
        learning_rate_init=0.01,
        max_iter=8,
        random_state=0,
    )
    assert not np.allclose(unweighted.coefs_[0], ours.coefs_[0])


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("target", ["binary", "multilabel"])
def test_binary_and_multilabel_trajectory_match_sklearn(solver, target):
    X, y = DIGITS
    if target == "binary":
        Y = (y > 4).astype(int)
    else:
        Y = np.c_[y > 4, y % 2 == 0, y < 2].astype(int)
    ref, ours = _fit_both(
        X,
        Y,
        solver=solver,
        hidden_layer_sizes=(8,),
        learning_rate_init=0.01,
        max_iter=8,
        random_state=0,
    )
    assert ours.out_activation_ == ref.out_activation_ == "logistic"
    _assert_same_trajectory(ref, ours)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_trajectory_matches_sklearn(solver, fmt):
    X, y = DIGITS
    Xs = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    ref, ours = _fit_both(
        Xs,
        y,
        solver=solver,
        hidden_layer_sizes=(8,),
        learning_rate_init=0.01,
        max_iter=6,
        random_state=0,
    )
    _assert_same_trajectory(ref, ours)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_partial_fit_trajectory_matches_sklearn(solver):
    X, y = DIGITS
    params = {
        "solver": solver,
        "hidden_layer_sizes": (8,),
        "learning_rate_init": 0.01,
        "random_state": 0,
    }
    ref = MLPClassifier(**params)
    ours = ScratchMLPClassifier(**params)
    classes = np.unique(y)
    for start in range(0, len(y), 60):
        batch = slice(start, start + 60)
        ref.partial_fit(X[batch], y[batch], classes=classes)
        ours.partial_fit(X[batch], y[batch], classes=classes)
    assert len(ours.loss_curve_) == 4
    _assert_same_trajectory(ref, ours)


@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_trajectory_matches_sklearn(solver):
    X, y = IRIS
    params = {
        "solver": solver,
        "hidden_layer_sizes": (6,),
        "learning_rate_init": 0.01,
        "max_iter": 5,
        "random_state": 0,
        "warm_start": True,
    }
    ref, ours = _fit_both(X, y, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref.fit(X, y)
        ours.fit(X, y)
    _assert_same_trajectory(ref, ours)


# ------------------------------------------------------------ held-out accuracy


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("load", [load_iris, load_digits, load_breast_cancer])
def test_held_out_accuracy_matches_sklearn(solver, load):
    X, y = load(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, random_state=0
    )
    scores = []
    for cls in (MLPClassifier, ScratchMLPClassifier):
        model = make_pipeline(StandardScaler(), cls(solver=solver, random_state=0))
        model.fit(X_train, y_train)
        scores.append(model.score(X_test, y_test))
    ref_score, our_score = scores
    assert abs(our_score - ref_score) <= 0.02
    # sanity: both learnt something beyond the majority class
    majority = np.bincount(y_test).max() / len(y_test)
    assert our_score > majority


# ------------------------------------------------------------ fitted attributes

COMMON_ATTRS = [
    "classes_",
    "loss_",
    "t_",
    "coefs_",
    "intercepts_",
    "n_features_in_",
    "feature_names_in_",
    "n_iter_",
    "n_layers_",
    "n_outputs_",
    "out_activation_",
]
STOCHASTIC_ATTRS = [
    "best_loss_",
    "loss_curve_",
    "validation_scores_",
    "best_validation_score_",
]


def _describe(value):
    """Type family, shape and dtype of an attribute, for comparison."""
    if value is None:
        return ("None",)
    if isinstance(value, np.ndarray):
        return ("ndarray", value.shape, value.dtype)
    if isinstance(value, list):
        return ("list", len(value), *(_describe(v) for v in value))
    if isinstance(value, (bool, np.bool_)):
        return ("bool",)
    if isinstance(value, (int, np.integer)):
        return ("int",)
    if isinstance(value, (float, np.floating)):
        # np.float64 is a subclass of float: both are plain floats to a user
        return ("float",)
    if isinstance(value, str):
        return ("str", value)
    return (type(value).__name__,)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_fitted_attributes_match_sklearn(solver, early_stopping):
    pd = pytest.importorskip("pandas")  # feature names from a data frame
    X, y = load_iris(return_X_y=True, as_frame=True)
    X = (X - X.mean()) / X.std()
    assert isinstance(X, pd.DataFrame)
    ref, ours = _fit_both(
        X,
        y,
        solver=solver,
        hidden_layer_sizes=(5, 4),
        max_iter=5,
        random_state=0,
        early_stopping=early_stopping,
    )
    expected = COMMON_ATTRS + (STOCHASTIC_ATTRS if solver in STOCHASTIC else [])
    for name in expected:
        assert hasattr(ref, name), name
        assert hasattr(ours, name), name
        assert _describe(getattr(ours, name)) == _describe(getattr(ref, name)), name
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    np.testing.assert_array_equal(ours.feature_names_in_, ref.feature_names_in_)
    assert list(ours.feature_names_in_) == list(X.columns)
    for name in ("n_features_in_", "n_iter_", "n_layers_", "n_outputs_", "t_"):
        assert getattr(ours, name) == getattr(ref, name), name
    assert ours.out_activation_ == ref.out_activation_ == "softmax"
    # no stray fitted attribute that sklearn's public API lacks, apart from the
    # documented lbfgs extras
    public = {k for k in vars(ours) if k.endswith("_") and not k.startswith("_")}
    extras = public - {k for k in vars(ref) if k.endswith("_")}
    if solver == "lbfgs":
        assert extras <= set(STOCHASTIC_ATTRS) | set(EXTENSION_ATTRS)
    else:
        assert extras <= set(EXTENSION_ATTRS)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("max_iter", [3, 200])
def test_lbfgs_records_loss_curve_and_best_loss(max_iter):
    X, y = IRIS
    ref = MLPClassifier(solver="lbfgs", max_iter=max_iter, random_state=0).fit(X, y)
    ours = ScratchMLPClassifier(solver="lbfgs", max_iter=max_iter, random_state=0)
    ours.fit(X, y)
    # sklearn does not record these for lbfgs; skscratch does, deliberately
    assert not hasattr(ref, "loss_curve_")
    assert not hasattr(ref, "best_loss_")
    assert isinstance(ours.loss_curve_, list)
    assert len(ours.loss_curve_) == ours.n_iter_
    assert all(isinstance(v, float) for v in ours.loss_curve_)
    assert ours.loss_curve_[-1] == pytest.approx(ours.loss_, rel=1e-6)
    assert ours.best_loss_ == pytest.approx(min(ours.loss_curve_), rel=1e-6)
    assert ours.best_loss_ <= ours.loss_curve_[0]
    # bit-close on a short run; a long one may drift by rounding noise only
    assert ours.loss_ == pytest.approx(ref.loss_, rel=1e-9 if max_iter < 10 else 1e-5)


# ----------------------------------------------------------------- parameters


# Parameters added beyond MLPClassifier's 23, each defaulting to sklearn's
# behaviour, and the fitted attributes they add: validation_loss_curve_ (None
# unless a validation set is scored) and learning_rate_curve_ (the rate of
# each epoch; empty after lbfgs).
EXTENSION_PARAMS = {
    "class_weight": None,
    "dropout": 0.0,
    "l1_ratio": 0.0,
    "init": "glorot",
    "scoring": None,
    "max_grad_norm": None,
    "transform_layer": -1,
    "learning_rate_schedule": None,
    "record_diagnostics": False,
    "label_smoothing": 0.0,
}
EXTENSION_ATTRS = ["validation_loss_curve_", "learning_rate_curve_"]


def test_get_params_match_sklearn():
    ref = MLPClassifier().get_params()
    ours = ScratchMLPClassifier().get_params()
    assert len(ref) == 23
    assert set(ours) == set(ref) | set(EXTENSION_PARAMS)
    for key, value in ref.items():
        assert ours[key] == value, key
        assert type(ours[key]) is type(value), key
    for key, value in EXTENSION_PARAMS.items():
        assert ours[key] == value, key


def test_init_signature_matches_sklearn():
    ref = inspect.signature(MLPClassifier.__init__).parameters
    ours = inspect.signature(ScratchMLPClassifier.__init__).parameters
    # sklearn's parameters first, in sklearn's order; the additions after them,
    # keyword-only
    assert list(ours)[: len(ref)] == list(ref)
    assert list(ours)[len(ref) :] == list(EXTENSION_PARAMS)
    for name in EXTENSION_PARAMS:
        assert ours[name].kind == inspect.Parameter.KEYWORD_ONLY
    for name, param in ref.items():
        assert ours[name].kind == param.kind, name
        assert ours[name].default == param.default, name


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "sgd", "hidden_layer_sizes": (20, 10), "alpha": 1e-3},
        {"activation": "tanh", "learning_rate": "adaptive", "momentum": 0.5},
    ],
)
def test_set_params_round_trip_like_sklearn(params):
    ours = ScratchMLPClassifier().set_params(**params)
    ref = MLPClassifier().set_params(**params)
    shared = ref.get_params()
    assert {k: v for k, v in ours.get_params().items() if k in shared} == shared


# -------------------------------------------------------------------- verbose


def _verbose_output(cls, capsys, X, y, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cls(verbose=True, **params).fit(X, y)
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "sgd"},
        {"solver": "adam"},
        {"solver": "sgd", "early_stopping": True},
        {"solver": "adam", "early_stopping": True},
        {"solver": "adam", "tol": 1.0, "n_iter_no_change": 1},
        {"solver": "sgd", "tol": 1.0, "n_iter_no_change": 1, "early_stopping": True},
        {
            "solver": "sgd",
            "learning_rate": "adaptive",
            "tol": 1.0,
            "n_iter_no_change": 1,
            "max_iter": 30,
        },
        {
            "solver": "adam",
            "learning_rate": "adaptive",
            "tol": 1.0,
            "n_iter_no_change": 1,
        },
    ],
    ids=lambda d: "-".join(f"{k}={v}" for k, v in d.items()),
)
def test_verbose_output_matches_sklearn(capsys, params):
    X, y = DIGITS
    params = {
        "hidden_layer_sizes": (8,),
        "max_iter": 5,
        "random_state": 0,
        "learning_rate_init": 0.01,
        **params,
    }
    ref = _verbose_output(MLPClassifier, capsys, X, y, **params)
    ours = _verbose_output(ScratchMLPClassifier, capsys, X, y, **params)
    ref_lines, our_lines = ref.splitlines(), ours.splitlines()
    assert re.fullmatch(r"Iteration 1, loss = \d+\.\d{8}", our_lines[0])
    if params.get("early_stopping"):
        assert re.fullmatch(r"Validation score: \d\.\d{6}", our_lines[1])
    assert our_lines == ref_lines


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_partial_fit_verbose_output_matches_sklearn(capsys, solver):
    X, y = DIGITS
    outputs = []
    for cls in (MLPClassifier, ScratchMLPClassifier):
        clf = cls(solver=solver, hidden_layer_sizes=(8,), random_state=0, verbose=True)
        for _ in range(3):
            clf.partial_fit(X, y, classes=np.unique(y))
        outputs.append(capsys.readouterr().out.splitlines())
    ref_lines, our_lines = outputs
    assert len(our_lines) == 3
    assert all(line.startswith("Iteration 1, loss = ") for line in our_lines)
    assert our_lines == ref_lines


# ---------------------------------------------------------- convergence warning


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_stochastic_convergence_warning_matches_sklearn(solver):
    X, y = IRIS
    params = {"solver": solver, "hidden_layer_sizes": (5,), "max_iter": 3}
    with pytest.warns(ConvergenceWarning) as ref_record:
        MLPClassifier(random_state=0, **params).fit(X, y)
    message = (
        r"Stochastic Optimizer: Maximum iterations \(3\) reached and the "
        r"optimization hasn't converged yet\."
    )
    with pytest.warns(ConvergenceWarning, match=message) as our_record:
        ScratchMLPClassifier(random_state=0, **params).fit(X, y)
    ref_msgs = [str(w.message) for w in ref_record if w.category is ConvergenceWarning]
    our_msgs = [str(w.message) for w in our_record if w.category is ConvergenceWarning]
    assert our_msgs == ref_msgs


@pytest.mark.parametrize("limit", ["max_iter", "max_fun"])
def test_lbfgs_convergence_warning_matches_sklearn(limit):
    X, y = IRIS
    params = {"solver": "lbfgs", "hidden_layer_sizes": (5,), limit: 3}
    with pytest.warns(ConvergenceWarning) as ref_record:
        MLPClassifier(random_state=0, **params).fit(X, y)
    if limit == "max_iter":
        message = (
            r"lbfgs failed to converge after 3 iteration\(s\) \(status=1\):\n"
            r"(?s:.*)Increase the number of iterations to improve the convergence "
            r"\(max_iter=3\)\."
        )
    else:
        message = r"lbfgs failed to converge after \d+ iteration\(s\) \(status=1\)"
    with pytest.warns(ConvergenceWarning, match=message) as our_record:
        ScratchMLPClassifier(random_state=0, **params).fit(X, y)
    ref_msgs = [str(w.message) for w in ref_record if w.category is ConvergenceWarning]
    our_msgs = [str(w.message) for w in our_record if w.category is ConvergenceWarning]
    assert our_msgs == ref_msgs


@pytest.mark.parametrize("solver", SOLVERS)
def test_no_convergence_warning_when_converged(solver):
    X, y = IRIS
    params = {"solver": solver, "random_state": 0, "tol": 1.0, "max_iter": 50}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ScratchMLPClassifier(**params).fit(X, y)
        MLPClassifier(**params).fit(X, y)
