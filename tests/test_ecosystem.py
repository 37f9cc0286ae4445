"""scikit-learn's callbacks, verbose output, and data frames."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

try:
    from sklearn.callback import ProgressBar, ScoringMonitor
except ImportError:  # scikit-learn < 1.9
    ProgressBar = ScoringMonitor = None

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
needs_callbacks = pytest.mark.skipif(
    ProgressBar is None, reason="sklearn.callback arrived in scikit-learn 1.9"
)


def _digits(n=300):
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16.0, y[:n]


class Recorder:
    """A minimal callback that records every hook call and can stop a fit."""

    def __init__(self, stop_after=None):
        self.calls, self.stop_after, self.ends, self.y = [], stop_after, 0, None

    def setup(self, estimator, context):
        self.calls.append(("setup", context.task_name))

    def on_fit_task_begin(self, estimator, context):
        self.calls.append(("begin", context.task_name))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, X=None):
        self.calls.append(("end", context.task_name))
        step = context.task_name in ("epoch", "lbfgs-iter")
        if step and fitted_estimator is not None and self.y is not None:
            self.ends += 1
            self.last_score = fitted_estimator.score(X, self.y)
        return self.stop_after is not None and self.ends >= self.stop_after

    def teardown(self, estimator, context):
        self.calls.append(("teardown", context.task_name))


@needs_callbacks
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_scoring_monitor_records_every_epoch(solver):
    X, y = _digits()
    monitor = ScoringMonitor(scoring="accuracy")
    clf = ScratchMLPClassifier(solver=solver, max_iter=6, random_state=0)
    clf.set_callbacks(monitor).fit(X, y)
    log = monitor.get_logs()
    scores = [row["accuracy"] for row in log.data]
    steps = [row for row in log.data if row["task_name"] in ("epoch", "lbfgs-iter")]
    assert len(steps) == clf.n_iter_ == 6
    # the last entry is the fit as a whole, scored with the final weights
    assert scores[-1] == pytest.approx(accuracy_score(y, clf.predict(X)))
    assert steps[-1]["accuracy"] == pytest.approx(scores[-1])


@needs_callbacks
def test_callbacks_see_each_epoch_and_can_stop_training():
    X, y = _digits()
    recorder = Recorder(stop_after=3)
    recorder.y = y
    clf = ScratchMLPClassifier(max_iter=50, random_state=0).set_callbacks(recorder)
    clf.fit(X, y)
    assert clf.n_iter_ == 3
    names = [call for call in recorder.calls if call[1] == "epoch"]
    assert names == [("begin", "epoch"), ("end", "epoch")] * 3
    assert recorder.calls[0] == ("setup", "fit")
    assert recorder.calls[-1] == ("teardown", "fit")
    assert recorder.last_score == pytest.approx(clf.score(X, y))


@needs_callbacks
def test_callbacks_are_torn_down_when_a_fit_fails():
    X, y = _digits()
    recorder = Recorder()
    clf = ScratchMLPClassifier(solver="sgd", learning_rate_init=1e6, random_state=0)
    clf.set_callbacks(recorder)
    with pytest.raises(ValueError, match="learning_rate_init"):
        clf.fit(X * 1e6, y)
    assert recorder.calls[-1] == ("teardown", "fit")
    assert not hasattr(clf, "coefs_")
    clf.set_params(learning_rate_init=0.01, max_iter=2).fit(X, y)  # still usable


@needs_callbacks
def test_partial_fit_is_one_epoch_task():
    X, y = _digits()
    recorder = Recorder()
    recorder.y = y
    clf = ScratchMLPRegressor(random_state=0).set_callbacks(recorder)
    clf.partial_fit(X, y.astype(float))
    assert [c for c in recorder.calls if c[1] == "epoch"] == [
        ("begin", "epoch"),
        ("end", "epoch"),
    ]


@needs_callbacks
def test_progress_bar_in_a_pipeline_and_a_grid_search(capsys):
    pytest.importorskip("rich")  # ProgressBar draws with rich: the progress extra
    X, y = _digits()
    pipe = make_pipeline(StandardScaler(), ScratchMLPClassifier(max_iter=3))
    pipe.set_callbacks(ProgressBar(max_propagation_depth=2)).fit(X, y)
    grid = GridSearchCV(ScratchMLPClassifier(max_iter=2), {"alpha": [1e-4, 1e-2]}, cv=2)
    grid.set_callbacks(ProgressBar(max_propagation_depth=2)).fit(X, y)
    shown = capsys.readouterr().out
    assert "ScratchMLPClassifier - fit" in shown
    assert "GridSearchCV" in shown


def test_verbose_two_adds_rate_time_and_validation(capsys):
    X, y = _digits()
    clf = ScratchMLPClassifier(
        solver="sgd", verbose=2, max_iter=3, early_stopping=True, random_state=0
    )
    clf.fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    details = [line for line in lines if line.startswith("  learning rate = ")]
    assert len(details) == 3
    assert "epoch time = " in details[0] and "validation loss = " in details[0]
    assert lines[0].startswith("Iteration 1, loss = ")
    # verbose=True keeps scikit-learn's lines only
    ScratchMLPClassifier(max_iter=2, verbose=True).fit(X, y)
    assert "learning rate" not in capsys.readouterr().out


@pytest.mark.parametrize("frame", ["pandas", "polars"])
def test_data_frames_give_feature_names(frame):
    X, y = _digits(200)
    columns = [f"pixel_{i}" for i in range(X.shape[1])]
    make = pytest.importorskip(frame).DataFrame
    df = make(dict(zip(columns, X.T, strict=True)))
    clf = ScratchMLPClassifier(max_iter=3, random_state=0).fit(df, y)
    assert list(clf.feature_names_in_) == columns
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_array = clf.predict(X)
    np.testing.assert_array_equal(clf.predict(df), from_array)
    renamed = make(dict(zip([c.upper() for c in columns], X.T, strict=True)))
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(renamed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ScratchMLPClassifier(max_iter=1).fit(X, y).predict(df)
    assert any("feature names" in str(w.message) for w in caught)


@pytest.mark.parametrize("labels", ["category", "string"])
def test_pandas_categorical_and_string_labels(labels):
    pd = pytest.importorskip("pandas")
    X, y = _digits(200)
    names = np.array(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )[y]
    target = pd.Series(names, dtype="category" if labels == "category" else "string")
    clf = ScratchMLPClassifier(solver="lbfgs", max_iter=50, random_state=0)
    clf.fit(X, target)
    assert set(clf.predict(X)) <= set(names)
    assert clf.score(X, target) > 0.9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert clf.predict_proba(X).shape == (200, 10)


def test_package_ships_its_type_marker():
    import importlib.resources

    assert importlib.resources.files("skscratch").joinpath("py.typed").is_file()


def test_without_sklearn_callback_fit_works_and_set_callbacks_explains():
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        # Where sklearn.callback exists, scikit-learn's own modules need it:
        # load them, then hide the two names skscratch imports, as an older
        # release lacks them. Where it does not, this is that older release.
        try:
            import sklearn.callback, sklearn.linear_model, sklearn.metrics
            import sklearn.model_selection, sklearn.pipeline, sklearn.preprocessing
            del sklearn.callback.CallbackSupportMixin, sklearn.callback.with_callbacks
        except ImportError:
            pass
        import numpy as np
        from skscratch import ScratchMLPClassifier
        X = np.random.RandomState(0).normal(size=(40, 3))
        y = (X[:, 0] > 0).astype(int)
        clf = ScratchMLPClassifier(max_iter=5, random_state=0).fit(X, y)
        clf.set_params(solver="lbfgs").fit(X, y)
        print(clf.score(X, y) > 0.5)
        # nothing of the stand-in stays on the model (it pickles, skops trusts it)
        print(sorted(k for k in vars(clf) if "callback" in k))
        try:
            clf.set_callbacks()
        except ImportError as exc:
            print(exc)
        """
    )
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("True\n[]\n")
    assert "scikit-learn 1.9" in out
