"""The training run: interruption keeps the last complete step."""

import warnings

import numpy as np
import pytest
from _classifier_support import X_DIGITS, Y_DIGITS, _small
from _reliability_support import (
    KINDS,
    STOCHASTIC,
    X,
    Y,
    _assert_params_equal,
    _assert_same_fitted_state,
    _fitted_summary,
    _make,
    _outputs,
    _params,
    ignore_convergence,
)
from sklearn.exceptions import ConvergenceWarning

import skscratch._core.training
import skscratch._fit_loop
import skscratch._validation

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
