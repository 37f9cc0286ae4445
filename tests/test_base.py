"""The estimator base: warm starts and the flat parameter buffer."""

import numpy as np
import pytest
from _classifier_support import (
    SOLVERS,
    STOCHASTIC,
    X_IRIS,
    Y_IRIS,
    _params,
    _small,
    ignore_convergence,
)
from sklearn.base import clone

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


@pytest.mark.parametrize(
    "hook", ["_is_classifier", "_targets_to_y", "_score_raw", "_validate_input"]
)
def test_subclass_hooks_are_declared_on_the_base(hook):
    from skscratch._base import BaseScratchMLP

    method = getattr(BaseScratchMLP, hook)
    assert method.__doc__
    n_args = method.__code__.co_argcount - 1
    with pytest.raises(NotImplementedError):
        method(BaseScratchMLP(), *([None] * n_args))
    assert isinstance(BaseScratchMLP._output, property)


@ignore_convergence
def test_failed_fresh_fit_restores_without_copying_the_network():
    from skscratch._base import _Rollback

    clf = _small(max_iter=5).fit(X_IRIS, Y_IRIS)
    fresh = _Rollback(clf, continuing=False)
    assert fresh.theta is None and "_optimizer" not in fresh.copies
    continuing = _Rollback(clf, continuing=True)
    assert continuing.theta is not clf._theta
    np.testing.assert_array_equal(continuing.theta, clf._theta)
    before = _params(clf)
    clf.set_params(warm_start=True)
    with pytest.raises(ValueError, match="layer sizes"):
        clf.set_params(hidden_layer_sizes=(3,)).fit(X_IRIS, Y_IRIS)
    assert all(np.array_equal(a, b) for a, b in zip(before, _params(clf), strict=True))


def test_training_problem_is_what_a_step_sees():
    clf = _small(solver="adamw", alpha=0.5, l1_ratio=0.25)
    problem = clf._training_problem(X_IRIS, Y_IRIS)
    assert problem.net.theta is clf._theta
    assert problem.X.shape == X_IRIS.shape and problem.Y.shape == (150, 3)
    # decoupled decay replaces the L2 penalty; the L1 share stays
    assert problem.penalty.alpha == 0.0 and problem.penalty.l1_ratio == 0.25
