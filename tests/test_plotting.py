"""LossCurveDisplay: the lines it draws, their data and labels, and the axes.

matplotlib is an optional dependency (the ``plot`` extra); these tests need it
and are skipped where it is not installed.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor  # noqa: E402
from skscratch.plotting import LossCurveDisplay  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=120, n_features=6, random_state=0)


def fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@pytest.fixture(scope="module")
def plain(data):
    return fit(ScratchMLPClassifier((8,), max_iter=15, random_state=0), *data)


@pytest.fixture(scope="module")
def early(data):
    clf = ScratchMLPClassifier(
        (8,), max_iter=40, early_stopping=True, n_iter_no_change=50, random_state=0
    )
    return fit(clf, *data)


def legend_labels(ax):
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def test_training_loss_line_data_and_labels(plain):
    display = LossCurveDisplay.from_estimator(plain)

    assert list(display.ax_.lines) == [display.line_]
    np.testing.assert_array_equal(
        display.line_.get_xdata(), np.arange(1, plain.n_iter_ + 1)
    )
    np.testing.assert_allclose(display.line_.get_ydata(), plain.loss_curve_)
    assert display.line_.get_label() == "ScratchMLPClassifier"
    assert display.ax_.get_xlabel() == "Iteration"
    assert display.ax_.get_ylabel() == "Loss"
    assert legend_labels(display.ax_) == ["ScratchMLPClassifier"]
    assert display.figure_ is display.ax_.figure
    assert display.estimator_name == "ScratchMLPClassifier"


def test_no_validation_lines_when_none_recorded(plain):
    assert plain.validation_scores_ is None
    display = LossCurveDisplay.from_estimator(plain)

    assert display.validation_score_line_ is None
    assert display.validation_loss_line_ is None
    assert display.score_ax_ is None
    assert display.figure_.axes == [display.ax_]


def test_validation_scores_on_a_twin_axis(early):
    display = LossCurveDisplay.from_estimator(early, name="adam")
    line, score_ax = display.validation_score_line_, display.score_ax_

    assert line is not None and score_ax is not None
    assert line.axes is score_ax
    assert score_ax is not display.ax_
    assert score_ax.get_shared_x_axes().joined(score_ax, display.ax_)
    assert display.figure_.axes == [display.ax_, score_ax]
    np.testing.assert_allclose(line.get_ydata(), early.validation_scores_)
    np.testing.assert_array_equal(
        line.get_xdata(), np.arange(1, len(early.validation_scores_) + 1)
    )
    assert score_ax.get_ylabel() == "Validation score"
    # One colour per estimator; the line style tells the curves apart.
    assert line.get_color() == display.line_.get_color()
    assert line.get_linestyle() != display.line_.get_linestyle()
    assert display.line_.get_label() == "adam (training loss)"
    assert line.get_label() == "adam (validation score)"
    # One legend for both axes, on top so that no curve hides it.
    has_validation_loss = getattr(early, "validation_loss_curve_", None) is not None
    assert legend_labels(score_ax) == [
        "adam (training loss)",
        *(["adam (validation loss)"] if has_validation_loss else []),
        "adam (validation score)",
    ]
    assert display.ax_.get_legend() is None


def test_lbfgs_loss_curve_without_validation(data):
    clf = fit(
        ScratchMLPClassifier((8,), solver="lbfgs", max_iter=20, random_state=0), *data
    )
    display = LossCurveDisplay.from_estimator(clf)

    np.testing.assert_allclose(display.line_.get_ydata(), clf.loss_curve_)
    assert display.score_ax_ is None


def test_validation_loss_curve_on_the_loss_axis():
    display = LossCurveDisplay(
        loss_curve=[1.0, 0.6, 0.4],
        validation_loss_curve=[1.1, 0.8, 0.7],
        estimator_name="net",
    ).plot()
    line = display.validation_loss_line_

    assert line.axes is display.ax_
    np.testing.assert_allclose(line.get_ydata(), [1.1, 0.8, 0.7])
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
    assert line.get_label() == "net (validation loss)"
    assert line.get_color() == display.line_.get_color()
    assert display.score_ax_ is None
    assert legend_labels(display.ax_) == [
        "net (training loss)",
        "net (validation loss)",
    ]


def test_from_estimator_reads_validation_loss_curve(early):
    class WithValidationLoss(ScratchMLPClassifier):
        pass

    est = WithValidationLoss()
    est.__dict__.update(early.__dict__)
    est.validation_loss_curve_ = [0.5 + i for i in range(len(early.loss_curve_))]
    display = LossCurveDisplay.from_estimator(est)

    np.testing.assert_allclose(
        display.validation_loss_line_.get_ydata(), est.validation_loss_curve_
    )
    assert display.validation_score_line_ is not None


def test_all_three_curves_share_one_legend():
    display = LossCurveDisplay(
        loss_curve=[1.0, 0.5],
        validation_loss_curve=[1.2, 0.9],
        validation_scores=[0.4, 0.7],
    ).plot()

    assert legend_labels(display.score_ax_) == [
        "Training loss",
        "Validation loss",
        "Validation score",
    ]


def test_ax_argument_is_used(plain, early):
    fig, ax = plt.subplots()
    first = LossCurveDisplay.from_estimator(plain, ax=ax, name="first")
    second = LossCurveDisplay.from_estimator(plain, ax=ax, name="second")

    assert first.ax_ is ax and second.ax_ is ax
    assert first.figure_ is fig and second.figure_ is fig
    assert list(ax.lines) == [first.line_, second.line_]
    assert first.line_.get_color() != second.line_.get_color()
    assert legend_labels(ax) == ["first", "second"]
    assert len(plt.get_fignums()) == 1

    display = LossCurveDisplay(loss_curve=early.loss_curve_).plot(ax=ax)
    assert display.ax_ is ax


def test_keyword_arguments_reach_the_lines(early):
    display = LossCurveDisplay.from_estimator(
        early,
        color="tab:red",
        label="mine",
        linewidth=3,
        validation_score_kw={"color": "black", "linestyle": "-."},
    )

    assert display.line_.get_color() == "tab:red"
    assert display.line_.get_label() == "mine"
    assert display.line_.get_linewidth() == 3
    assert display.validation_score_line_.get_color() == "black"
    assert display.validation_score_line_.get_linestyle() == "-."


def test_plot_name_overrides_estimator_name():
    display = LossCurveDisplay(loss_curve=[1, 0.5], estimator_name="a")
    assert display.plot(name="b").line_.get_label() == "b"
    assert display.plot().line_.get_label() == "a"


def test_pipeline_and_regressor():
    X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    model = fit(
        make_pipeline(
            StandardScaler(),
            ScratchMLPRegressor(hidden_layer_sizes=(8,), max_iter=10, random_state=0),
        ),
        X,
        y / y.std(),
    )
    display = LossCurveDisplay.from_estimator(model)

    assert display.line_.get_label() == "ScratchMLPRegressor"
    np.testing.assert_allclose(display.line_.get_ydata(), model[-1].loss_curve_)


def test_works_with_scikit_learn_mlp(data):
    clf = fit(MLPClassifier((8,), max_iter=10, random_state=0), *data)
    display = LossCurveDisplay.from_estimator(clf)
    np.testing.assert_allclose(display.line_.get_ydata(), clf.loss_curve_)


def test_errors(data):
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(ScratchMLPClassifier())
    lbfgs = fit(MLPClassifier((4,), solver="lbfgs", max_iter=5), *data)
    with pytest.raises(ValueError, match="no loss_curve_"):
        LossCurveDisplay.from_estimator(lbfgs)
    with pytest.raises(ValueError, match="loss_curve must be a non-empty"):
        LossCurveDisplay(loss_curve=[]).plot()
    with pytest.raises(ValueError, match="validation_scores must be"):
        LossCurveDisplay(loss_curve=[1.0], validation_scores=[[1.0]]).plot()


def test_import_error_without_matplotlib(monkeypatch, plain):
    # None in sys.modules makes any import of those names fail. The plotting
    # module is imported afresh, to check that it imports without matplotlib
    # and needs it only when drawing.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    monkeypatch.delitem(sys.modules, "skscratch.plotting")
    from skscratch.plotting import LossCurveDisplay as Fresh

    assert Fresh is not LossCurveDisplay
    message = r"requires matplotlib.*pip install skscratch\[plot\]"
    with pytest.raises(ImportError, match=r"LossCurveDisplay\.plot " + message):
        Fresh(loss_curve=[1.0, 0.5]).plot()
    with pytest.raises(ImportError, match=r"from_estimator " + message):
        Fresh.from_estimator(plain)


def test_importing_skscratch_does_not_import_matplotlib():
    code = (
        "import sys, skscratch, skscratch.plotting; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
