"""The early stopper: plateau count, best weights, message and verdict."""

import numpy as np
import pytest

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
    clf = ScratchMLPClassifier(
        (4,),
        solver="sgd",
        learning_rate="adaptive",
        tol=10.0,
        n_iter_no_change=1,
        max_iter=30,
        verbose=True,
        random_state=0,
    )
    clf.fit(X, y)  # stops before max_iter: no ConvergenceWarning
    out = capsys.readouterr().out
    assert "Setting learning rate to 0.000200" in out
    assert out.count("Setting learning rate") == 5  # 1e-3 / 5**5 < 1e-6
    assert clf.n_iter_ < 30
    assert "Learning rate too small. Stopping." in out
