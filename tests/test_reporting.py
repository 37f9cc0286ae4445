"""Warnings point at the user's line; verbose lines read as before."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

rng = np.random.RandomState(0)
X, y = rng.normal(size=(30, 3)), np.arange(30) % 2


def _caught(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()  # the warnings must name this line's file
    return caught


@pytest.mark.parametrize(
    ("params", "category", "how"),
    [
        ({"solver": "sgd", "max_iter": 2}, ConvergenceWarning, "fit"),
        ({"solver": "lbfgs", "max_iter": 2}, ConvergenceWarning, "fit"),
        ({"batch_size": 100, "max_iter": 2}, UserWarning, "fit"),
        ({"batch_size": 100}, UserWarning, "partial_fit"),
    ],
)
@pytest.mark.parametrize("cls", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_warnings_are_attributed_to_the_callers_line(cls, params, category, how):
    est = cls(hidden_layer_sizes=(3,), random_state=0, **params)
    if how == "fit":
        caught = _caught(lambda: est.fit(X, y))
    elif cls is ScratchMLPClassifier:
        caught = _caught(lambda: est.partial_fit(X, y, classes=[0, 1]))
    else:
        caught = _caught(lambda: est.partial_fit(X, y))
    ours = [w for w in caught if issubclass(w.category, category)]
    assert ours
    assert all(w.filename == __file__ for w in ours), [w.filename for w in ours]


def test_keyboard_interrupt_warning_is_attributed_to_the_caller(monkeypatch):
    import skscratch._fit_loop

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(skscratch._fit_loop, "run_epoch", interrupt)
    est = ScratchMLPClassifier((3,), random_state=0)
    caught = _caught(lambda: est.fit(X, y))
    (warning,) = [w for w in caught if "interrupted" in str(w.message)]
    assert warning.filename == __file__


def test_verbose_lines(capsys):
    est = ScratchMLPClassifier((3,), max_iter=5, verbose=2, random_state=0)
    est.set_params(early_stopping=True, n_iter_no_change=1, tol=100.0)
    est.fit(np.tile(X, (3, 1)), np.tile(y, 3))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Iteration 1, loss = ")
    assert lines[1].startswith("Validation score: ")
    assert lines[2].startswith("  learning rate = 0.001, epoch time = ")
    assert ", validation loss = " in lines[2] and ", validation score = " in lines[2]
    assert lines[-2] == (  # then the last epoch's details
        "Validation score did not improve more than tol=100.000000 for 1 "
        "consecutive epochs. Stopping."
    )


def test_verbose_lines_show_the_scheduled_rate(capsys):
    est = ScratchMLPClassifier(
        (3,), max_iter=4, verbose=2, learning_rate_schedule="cosine", random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    printed = [
        float(line.split("learning rate = ")[1].split(",")[0])
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("  learning rate = ")
    ]
    np.testing.assert_allclose(printed, est.learning_rate_curve_, rtol=1e-5)
    assert printed[0] == 0.001 and printed[-1] < printed[1] < printed[0]
