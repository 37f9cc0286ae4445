"""The early stopper: plateau count, best weights, message and verdict."""

import itertools
import re
import warnings

import _classifier_support as support
import numpy as np
import pytest
from _classifier_support import (
    STOCHASTIC,
    X_DIGITS,
    X_IRIS,
    Y_DIGITS,
    Y_IRIS,
    ignore_convergence,
)
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import skscratch._fit_loop
import skscratch._validation
from skscratch import ScratchMLPClassifier, ScratchMLPRegressor
from skscratch._stopping import EarlyStopper, Plateau, reset_record, sync_record


def test_plateau_counts_epochs_without_improvement():
    losses = Plateau(tol=0.1, higher_is_better=False)
    assert losses.update(1.0) and losses.count == 0
    assert losses.update(0.95) and losses.count == 1  # better, but not by tol
    assert not losses.update(0.97) and losses.count == 2
    assert losses.update(0.5) and losses.count == 0
    assert losses.best_value == 0.5
    scores = Plateau(tol=0.0, higher_is_better=True, best=0.8)
    assert not scores.update(0.7) and scores.count == 1
    assert scores.update(0.9) and scores.count == 0


def _estimator(**params):
    est = ScratchMLPRegressor(tol=0.1, n_iter_no_change=2, **params)
    reset_record(est)
    return est


def test_stopper_on_the_training_loss_says_when_training_stalled():
    est = _estimator()
    stopper = EarlyStopper(est, np.zeros(3))
    verdicts = [stopper.update(np.zeros(3), loss) for loss in (1.0, 0.95, 0.97, 0.99)]
    assert verdicts == [False, False, False, True]  # more than 2 epochs in vain
    assert est.best_loss_ == 0.95 and est._no_improvement_count == 3
    assert stopper.message() == (
        "Training loss did not improve more than tol=0.100000 for 2 consecutive epochs."
    )
    stopper.restart()  # the schedule lowered the learning rate
    assert est._no_improvement_count == 0
    assert not stopper.update(np.zeros(3), 0.99)


def test_stopper_on_the_validation_score_keeps_the_best_weights():
    est = _estimator(early_stopping=True)
    theta = np.zeros(2)
    stopper = EarlyStopper(est, theta)
    for score, value in [(0.5, 1.0), (0.8, 2.0), (0.7, 3.0)]:
        est.validation_scores_.append(score)
        theta[:] = value
        stopper.update(theta, loss=0.0)
    assert est.best_validation_score_ == 0.8 and est.best_loss_ is None
    stopper.restore_best(theta)
    assert np.array_equal(theta, [2.0, 2.0])
    assert stopper.message().startswith("Validation score did not improve")


def test_stopper_resumes_the_record_of_a_warm_start():
    est = _estimator()
    est.best_loss_, est._no_improvement_count = 0.5, 2
    assert EarlyStopper(est, np.zeros(1)).update(np.zeros(1), 0.6)


@pytest.mark.parametrize("now", [True, False])
def test_switching_early_stopping_restarts_the_record(now):
    est = _estimator(early_stopping=not now)
    est._no_improvement_count = 4
    est.set_params(early_stopping=now)
    sync_record(est)
    assert est._no_improvement_count == 0
    assert (est.best_loss_ is None) == now
    assert (est.validation_scores_ == []) == now


def test_adaptive_schedule_lowers_the_rate_instead_of_stopping(capsys):
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    params = {"solver": "sgd", "learning_rate": "adaptive", "verbose": True}
    params.update(tol=10.0, n_iter_no_change=1, max_iter=30, random_state=0)
    clf = ScratchMLPClassifier((4,), **params)
    clf.fit(X, y)  # stops before max_iter: no ConvergenceWarning
    out = capsys.readouterr().out
    assert "Setting learning rate to 0.000200" in out
    assert out.count("Setting learning rate") == 5  # 1e-3 / 5**5 < 1e-6
    assert clf.n_iter_ < 30
    assert "Learning rate too small. Stopping." in out


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
    clf = support._small(
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
    held_out = splits[0][1]  # the split is drawn as row indices
    X_val, y_val = X_DIGITS[held_out], Y_DIGITS[held_out]
    assert len(y_val) == 60
    assert clf.score(X_val, y_val) == pytest.approx(clf.best_validation_score_)
    # they are the weights reached after the best epoch
    monkeypatch.setattr(skscratch._validation, "train_test_split", real_split)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        at_best = clone(clf).set_params(max_iter=best_epoch).fit(X_DIGITS, Y_DIGITS)
    for a, b in zip(support._params(clf), support._params(at_best), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.reference
@pytest.mark.parametrize(
    "y",
    [
        np.c_[np.arange(10) % 2, np.arange(10) % 3 == 0].astype(int),
        np.arange(10) % 2,
    ],
    ids=["multilabel", "binary"],
)
def test_early_stopping_validation_set_too_small(y):
    clf = support._small(early_stopping=True, validation_fraction=0.1)
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
    clf = support._small(solver="lbfgs", early_stopping=True, max_iter=20)
    clf.fit(X_IRIS, Y_IRIS)
    plain = support._small(solver="lbfgs", max_iter=20).fit(X_IRIS, Y_IRIS)
    for a, b in zip(support._params(clf), support._params(plain), strict=True):
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
    clf = support._small(**params).fit(X_IRIS, Y_IRIS)
    out = capsys.readouterr().out
    rates = [float(r) for r in re.findall(r"Setting learning rate to (\S+)", out)]
    assert len(rates) >= 3
    np.testing.assert_allclose(rates[0], 0.001 / 5, rtol=1e-3)
    for previous, current in itertools.pairwise(rates):
        assert current == pytest.approx(previous / 5, rel=1e-2, abs=1e-6)
    assert "Learning rate too small. Stopping." in out
    # it trained longer than a constant rate would have
    constant = support._small(**{**params, "learning_rate": "constant"}).fit(
        X_IRIS, Y_IRIS
    )
    capsys.readouterr()
    assert clf.n_iter_ > constant.n_iter_ == 3


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_batch_size_larger_than_n_samples_is_clipped(solver):
    clf = support._small(solver=solver, batch_size=1000, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(UserWarning, match="It is going to be clipped"):
            clf.fit(X_IRIS, Y_IRIS)
    assert clf.n_iter_ == 5
    assert np.isfinite(clf.predict_proba(X_IRIS)).all()
    # clipped to one full batch: the same as batch_size=n_samples
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full = support._small(solver=solver, batch_size=len(Y_IRIS), max_iter=5)
        full.fit(X_IRIS, Y_IRIS)
    np.testing.assert_allclose(clf.loss_curve_, full.loss_curve_, rtol=1e-12)
