"""TrainingDiagnosticsDisplay: its panels, their lines and data, its errors."""

import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skscratch import ScratchMLPClassifier  # noqa: E402
from skscratch._plotting_diagnostics import PANELS  # noqa: E402
from skscratch.plotting import TrainingDiagnosticsDisplay  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


X, y = make_classification(n_samples=120, n_features=6, random_state=0)


def _fit(est):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


@pytest.fixture(scope="module")
def fitted():
    clf = ScratchMLPClassifier(
        (8, 4), activation=["relu", "tanh"], max_iter=6, record_diagnostics=True
    )
    return _fit(clf)


def test_six_panels_one_line_per_layer(fitted):
    display = TrainingDiagnosticsDisplay.from_estimator(fitted)
    assert display.axes_.shape == (2, 3)
    d = fitted.diagnostics_
    for axis, (key, title, scale) in zip(display.axes_.ravel(), PANELS, strict=True):
        assert axis.get_title() == title
        assert axis.get_yscale() == scale
        assert axis.get_xlabel() == "Epoch"
        for l, line in enumerate(display.lines_[key]):
            np.testing.assert_array_equal(line.get_xdata(), d["epoch"])
            np.testing.assert_array_equal(line.get_ydata(), d[key][:, l])
            assert line.get_label() == f"layer {l + 1}"
            assert line.get_color() == f"C{l}"
    assert len(display.lines_["weight_norm"]) == 3
    assert len(display.lines_["activation_mean"]) == 2
    # the tanh layer has no dead fraction: only the ReLU layer's line
    assert len(display.lines_["dead_fraction"]) == 1
    assert display.figure_ is display.axes_[0, 0].figure


def test_two_estimators_on_the_same_axes(fitted):
    first = TrainingDiagnosticsDisplay.from_estimator(fitted, name="a")
    second = TrainingDiagnosticsDisplay.from_estimator(
        make_pipeline(StandardScaler(), fitted),
        ax=first.axes_,
        name="b",
        linestyle="--",
    )
    assert second.axes_ is first.axes_
    assert len(first.axes_[0, 0].lines) == 6
    assert second.lines_["grad_norm"][0].get_linestyle() == "--"
    assert second.lines_["grad_norm"][0].get_label() == "b, layer 1"


def test_wrong_number_of_axes(fitted):
    _, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="6 axes"):
        TrainingDiagnosticsDisplay.from_estimator(fitted, ax=axes)


def test_estimator_without_diagnostics():
    plain = _fit(ScratchMLPClassifier((4,), max_iter=2))
    with pytest.raises(ValueError, match="record_diagnostics=True"):
        TrainingDiagnosticsDisplay.from_estimator(plain)
