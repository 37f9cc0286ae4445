"""label_smoothing: the softened targets, their exact loss and gradient."""

import warnings

import numpy as np
import pytest
from _plain_gradient import one_sgd_epoch, plain_gradient
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import InvalidParameterError

from skscratch import ScratchMLPClassifier, check_gradients
from skscratch._smoothing import smoothed_targets

rng = np.random.RandomState(0)
X = rng.normal(size=(50, 4))
Y_KINDS = {
    "multiclass": rng.randint(3, size=50),
    "binary": rng.randint(2, size=50),
    "multilabel": rng.randint(2, size=(50, 3)),
}


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _plain_sgd(**params):
    return ScratchMLPClassifier(
        hidden_layer_sizes=(6,),
        activation="tanh",
        solver="sgd",
        momentum=0.0,
        alpha=0.0,
        shuffle=False,
        batch_size=50,
        learning_rate_init=1.0,
        max_iter=1,
        random_state=0,
        **params,
    )


@pytest.mark.parametrize("kind", sorted(Y_KINDS))
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5, 0.9])
def test_loss_and_gradient_against_a_plain_computation(kind, eps):
    y = Y_KINDS[kind]
    est = _fit(_plain_sgd(label_smoothing=eps), X, y)
    onehot = LabelBinarizer().fit(y).transform(y).astype(float)
    # PyTorch's softmax targets; a logistic output is a two-class softmax
    n_classes = onehot.shape[1] if kind == "multiclass" else 2
    targets = (1 - eps) * onehot + eps / n_classes
    W0 = [rng.normal(size=W.shape) for W in est.coefs_]
    b0 = [rng.normal(size=v.shape) for v in est.intercepts_]
    output = "softmax" if kind == "multiclass" else "logistic"
    loss, dW, db = plain_gradient(W0, b0, X, targets, "tanh", output)
    one_sgd_epoch(est, W0, b0, X, y)
    assert est.loss_curve_[-1] == pytest.approx(loss, rel=1e-12)
    for W_start, W_end, g in zip(W0, est.coefs_, dW, strict=True):
        np.testing.assert_allclose(W_start - W_end, g, rtol=1e-9, atol=1e-13)
    for b_start, b_end, g in zip(b0, est.intercepts_, db, strict=True):
        np.testing.assert_allclose(b_start - b_end, g, rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("kind", sorted(Y_KINDS))
def test_gradient_check_with_smoothing(kind):
    est = ScratchMLPClassifier((5,), activation="tanh", alpha=0.1, label_smoothing=0.2)
    assert check_gradients(est, X[:20], Y_KINDS[kind][:20]).max() < 1e-7


def test_targets_formula():
    Y = np.eye(4)[[0, 3, 1]]
    np.testing.assert_allclose(
        smoothed_targets(Y, 0.2, "softmax"), 0.8 * Y + 0.05, rtol=1e-15
    )
    np.testing.assert_allclose(
        smoothed_targets(Y, 0.2, "logistic"), 0.8 * Y + 0.1, rtol=1e-15
    )
    assert smoothed_targets(Y, 0.0, "softmax") is Y
    f32 = smoothed_targets(Y.astype(np.float32), 0.3, "softmax")
    assert f32.dtype == np.float32
    np.testing.assert_allclose(f32.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.reference
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_zero_smoothing_is_scikit_learns_classifier(solver):
    y = Y_KINDS["multiclass"]
    params = {"hidden_layer_sizes": (6,), "solver": solver, "max_iter": 20}
    ours = _fit(
        ScratchMLPClassifier(label_smoothing=0.0, random_state=0, **params), X, y
    )
    theirs = _fit(MLPClassifier(random_state=0, **params), X, y)
    for a, b in zip(ours.coefs_, theirs.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert ours.loss_ == theirs.loss_


def test_smoothing_softens_the_probabilities_and_keeps_float32():
    y = Y_KINDS["multiclass"]
    params = {"hidden_layer_sizes": (20,), "solver": "lbfgs", "max_iter": 500}
    hard = _fit(ScratchMLPClassifier(random_state=0, **params), X, y)
    soft = _fit(
        ScratchMLPClassifier(label_smoothing=0.3, random_state=0, **params), X, y
    )
    # an unregularised fit drives the hard probabilities to 0 and 1; the
    # smoothed targets are at most 1 - eps + eps / K = 0.8
    assert hard.predict_proba(X).max() > 0.99
    assert soft.predict_proba(X).max() < 0.9
    X32 = X.astype(np.float32)
    soft32 = _fit(ScratchMLPClassifier(label_smoothing=0.3, max_iter=5), X32, y)
    assert soft32.coefs_[0].dtype == np.float32
    assert soft32.predict_proba(X32).dtype == np.float32


def test_validation_loss_uses_the_smoothed_targets():
    y = Y_KINDS["multiclass"]
    est = _fit(
        ScratchMLPClassifier((5,), label_smoothing=0.4, max_iter=3, random_state=0),
        X,
        y,
    )
    val = ScratchMLPClassifier(
        (5,), label_smoothing=0.4, max_iter=3, random_state=0, shuffle=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        val.fit(X, y, X_val=X, y_val=y)
    # the loss on the training data itself, measured after the last epoch
    P = val.predict_proba(X)
    onehot = np.eye(3)[y]
    expected = -np.mean(np.sum((0.6 * onehot + 0.4 / 3) * np.log(P), axis=1))
    assert val.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-10)
    assert est.n_iter_ == 3


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, "0.1"])
def test_out_of_range_is_a_parameter_error(bad):
    with pytest.raises(InvalidParameterError, match="label_smoothing"):
        ScratchMLPClassifier(label_smoothing=bad).fit(X, Y_KINDS["binary"])
