"""record_diagnostics: every value against a plain NumPy computation."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _plain_gradient import one_sgd_epoch, plain_forward, plain_gradient
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor
from skscratch._diagnostics import ACTIVATION_ROWS, DIAGNOSTICS

rng = np.random.RandomState(0)
X = rng.normal(size=(40, 4))
y = rng.randint(3, size=40)
LR = 0.05


def _fit(est, *args, method="fit", **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return getattr(est, method)(*args, **kwargs)


def _plain_sgd(batch_size=40, **params):
    defaults = {
        "hidden_layer_sizes": (6, 5),
        "activation": "relu",
        "solver": "sgd",
        "momentum": 0.0,
        "alpha": 0.0,
        "shuffle": False,
        "learning_rate_init": LR,
        "max_iter": 1,
        "random_state": 0,
        "record_diagnostics": True,
    }
    return ScratchMLPClassifier(batch_size=batch_size, **{**defaults, **params})


def _norm(a):
    return np.sqrt(np.sum(a**2))


def _activation_rows(W, b, X, hidden):
    _, As = plain_forward(W, b, X, hidden)
    hidden_outputs = As[1:-1]
    mean = [A.mean() for A in hidden_outputs]
    std = [A.std() for A in hidden_outputs]
    dead = [np.mean(A.max(axis=0) <= 0) for A in hidden_outputs]
    return mean, std, dead


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
@pytest.mark.parametrize("n_batches", [1, 2, 4])
def test_diagnostics_equal_a_plain_computation(hidden, n_batches):
    est = _fit(_plain_sgd(batch_size=40 // n_batches, activation=hidden), X, y)
    W0 = [rng.normal(size=W.shape) for W in est.coefs_]
    # a unit whose weights and bias are all negative on positive inputs dies
    b0 = [rng.normal(size=v.shape) for v in est.intercepts_]
    b0[0][0] = -50.0
    one_sgd_epoch(est, W0, b0, X, y)

    # the epoch, step by step: a plain gradient per batch, then W -= lr g
    W, b = [w.copy() for w in W0], [v.copy() for v in b0]
    onehot = np.eye(3)[y]
    grad_norms, ratios = [], []
    for rows in np.array_split(np.arange(40), n_batches):
        _, dW, db = plain_gradient(W, b, X[rows], onehot[rows], hidden, "softmax")
        grad_norms.append([_norm(g) for g in dW])
        ratios.append([LR * _norm(g) / _norm(w) for g, w in zip(dW, W, strict=True)])
        W = [w - LR * g for w, g in zip(W, dW, strict=True)]
        b = [v - LR * g for v, g in zip(b, db, strict=True)]

    d = est.diagnostics_
    np.testing.assert_allclose(
        d["grad_norm"][-1], np.mean(grad_norms, axis=0), rtol=1e-10
    )
    np.testing.assert_allclose(
        d["update_ratio"][-1], np.mean(ratios, axis=0), rtol=1e-9
    )
    np.testing.assert_allclose(d["weight_norm"][-1], [_norm(w) for w in W], rtol=1e-12)
    mean, std, dead = _activation_rows(W, b, X, hidden)
    np.testing.assert_allclose(d["activation_mean"][-1], mean, rtol=1e-10)
    np.testing.assert_allclose(d["activation_std"][-1], std, rtol=1e-10)
    if hidden == "relu":
        np.testing.assert_array_equal(d["dead_fraction"][-1], dead)
        assert d["dead_fraction"][-1][0] >= 1 / 6  # the unit killed above
    else:
        assert np.isnan(d["dead_fraction"][-1]).all()  # tanh units never die


def test_structure_over_fits():
    est = _fit(
        _plain_sgd(max_iter=5, solver="adam", shuffle=True, warm_start=True), X, y
    )
    d = est.diagnostics_
    assert set(d) == set(DIAGNOSTICS)
    np.testing.assert_array_equal(d["epoch"], np.arange(1, 6))
    for key in ("weight_norm", "grad_norm", "update_ratio"):
        assert d[key].shape == (5, 3)
    for key in ("activation_mean", "activation_std", "dead_fraction"):
        assert d[key].shape == (5, 2)
    assert all(np.isfinite(d[key]).all() for key in DIAGNOSTICS)
    # a warm start and partial_fit append; a new fit starts over
    _fit(est, X, y)
    _fit(est, X, y, method="partial_fit")
    np.testing.assert_array_equal(est.diagnostics_["epoch"], np.arange(1, 12))
    assert est.diagnostics_["grad_norm"].shape == (11, 3)
    est.set_params(warm_start=False, max_iter=2)
    _fit(est, X, y)
    np.testing.assert_array_equal(est.diagnostics_["epoch"], [1, 2])
    # switched off, a new fit leaves no stale record behind
    est.set_params(record_diagnostics=False)
    _fit(est, X, y)
    assert not hasattr(est, "diagnostics_")


def test_switched_on_later_the_epochs_are_numbered_as_in_the_loss_curve():
    est = _fit(_plain_sgd(max_iter=3, record_diagnostics=False), X, y)
    est.set_params(record_diagnostics=True)
    _fit(est, X, y, method="partial_fit")
    np.testing.assert_array_equal(est.diagnostics_["epoch"], [4])
    assert len(est.loss_curve_) == 4


@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop", "adamw"])
def test_recording_changes_no_step(solver):
    params = {"hidden_layer_sizes": (7,), "solver": solver, "max_iter": 6}
    params.update(random_state=0, early_stopping=True, max_grad_norm=0.5, dropout=0.2)
    on = _fit(ScratchMLPClassifier(record_diagnostics=True, **params), X, y)
    off = _fit(ScratchMLPClassifier(**params), X, y)
    for a, b in zip(
        on.coefs_ + on.intercepts_, off.coefs_ + off.intercepts_, strict=True
    ):
        np.testing.assert_array_equal(a, b)
    assert on.loss_curve_ == off.loss_curve_
    assert on.diagnostics_["epoch"].size == on.n_iter_
    assert not hasattr(off, "diagnostics_")


def test_regressor_float32_and_dead_units_of_each_rectifier():
    X32 = X.astype(np.float32)
    for activation in ["relu", "leaky_relu", "elu", "gelu", "softplus", "logistic"]:
        reg = ScratchMLPRegressor(
            hidden_layer_sizes=(5,),
            activation=activation,
            max_iter=2,
            record_diagnostics=True,
        )
        _fit(reg, X32, X32[:, 0])
        assert reg.coefs_[0].dtype == np.float32
        dead = reg.diagnostics_["dead_fraction"]
        rectifier = activation in {"relu", "leaky_relu", "elu", "gelu"}
        assert np.isfinite(dead).all() == rectifier


def test_lbfgs_is_refused():
    est = ScratchMLPClassifier(solver="lbfgs", record_diagnostics=True)
    with pytest.raises(ValueError, match="record_diagnostics=True"):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")


def test_activations_are_measured_on_the_first_rows_and_sparse_input_works():
    big = np.random.RandomState(1).normal(size=(ACTIVATION_ROWS + 300, 4))
    labels = (big[:, 0] > 0).astype(int)
    params = {"hidden_layer_sizes": (6,), "max_iter": 2, "random_state": 0}
    est = _fit(ScratchMLPClassifier(record_diagnostics=True, **params), big, labels)
    W, b = est.coefs_, est.intercepts_
    mean, std, dead = _activation_rows(W, b, big[:ACTIVATION_ROWS], "relu")
    np.testing.assert_allclose(est.diagnostics_["activation_mean"][-1], mean)
    np.testing.assert_allclose(est.diagnostics_["activation_std"][-1], std)
    np.testing.assert_array_equal(est.diagnostics_["dead_fraction"][-1], dead)
    sparse = _fit(
        ScratchMLPClassifier(record_diagnostics=True, **params),
        sp.csr_matrix(big),
        labels,
    )
    for key in DIAGNOSTICS:
        np.testing.assert_allclose(sparse.diagnostics_[key], est.diagnostics_[key])
