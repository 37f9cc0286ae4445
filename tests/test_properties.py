"""Property-based tests: random small datasets never make either estimator misbehave."""

import contextlib
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

# Hypothesis is in the test extra; without it the whole module is skipped.
hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
hnp = pytest.importorskip("hypothesis.extra.numpy")
event, given, settings = hypothesis.event, hypothesis.given, hypothesis.settings

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    database=None,  # nothing written into the repository
    derandomize=True,  # the same examples on every run and machine
)

LABELS = {
    "int": [0, 1, 2, 3],
    "negative_int": [-9, -3, -2],
    "str": ["ant", "bee", "cat", "dog"],
    "bool": [False, True],
}


@st.composite
def inputs(draw):
    """A small X of a random dtype, with an optional sample_weight."""
    n = draw(st.integers(2, 25))
    d = draw(st.integers(1, 4))
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64, np.int32]))
    if np.issubdtype(dtype, np.floating):
        # width=32: every value is exactly representable in float32 too
        elements = st.floats(-10, 10, width=32)
    else:
        elements = st.integers(-10, 10)
    X = draw(hnp.arrays(dtype, (n, d), elements=elements))
    sample_weight = draw(
        st.none()
        | hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 0.5, 1.0, 3.0]))
    )
    return X, sample_weight


hyperparameters = st.fixed_dictionaries(
    {
        "solver": st.sampled_from(["sgd", "adam", "lbfgs"]),
        "activation": st.sampled_from(["identity", "logistic", "tanh", "relu"]),
        "hidden_layer_sizes": st.sampled_from([(), (1,), (3,), (2, 2)]),
        "batch_size": st.sampled_from(["auto", 1, 4, 64]),
        "alpha": st.sampled_from([0.0, 1e-4, 1.0, 10.0]),
    }
)


@contextlib.contextmanager
def _expected_warnings_only():
    """Raise on RuntimeWarning; ignore what a tiny max_iter or batch causes."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings(
            "ignore", message="Got `batch_size`", category=UserWarning
        )
        yield


def _fit_or_expected_error(est, X, y, sample_weight, n_classes=None):
    """Fit; return False when the data are invalid and the error says why."""
    copies = [X.copy(), y.copy(), _copy(sample_weight)]
    reasons = []  # what makes the data invalid, as the error should say
    if sample_weight is not None and not sample_weight.sum() > 0:
        reasons.append("at least one non-zero")
    try:
        with _expected_warnings_only():
            est.fit(X, y, sample_weight=sample_weight)
    except ValueError as exc:
        if reasons:
            assert any(reason in str(exc) for reason in reasons), exc
        else:
            # divergence is the one failure valid data may meet (plain SGD on
            # unscaled data), and the error names its cure
            assert est.solver == "sgd", exc
            assert "learning_rate_init" in str(exc), exc
        with pytest.raises(NotFittedError):
            check_is_fitted(est)
        event(f"rejected: {reasons[0] if reasons else 'diverged'}")
        return False
    finally:
        _assert_unchanged((X, y, sample_weight), copies)
    assert not reasons, f"fit accepted invalid data ({reasons})"
    event("fitted")
    return True


def _draw_labels(draw, pool, n):
    """n labels from pool: usually several classes, sometimes a single one."""
    k = draw.draw(st.integers(1, len(pool)))
    index = draw.draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    index[: min(k, n)] = np.arange(min(k, n))  # each of the k classes appears
    order = draw.draw(st.permutations(range(n)))
    return np.asarray(pool)[index[order]]


def _copy(array):
    return None if array is None else array.copy()


def _assert_unchanged(arrays, copies):
    for array, original in zip(arrays, copies, strict=True):
        if original is None:
            assert array is None
            continue
        assert array.dtype == original.dtype
        np.testing.assert_array_equal(array, original)


def _expected_dtype(X):
    return np.float32 if X.dtype == np.float32 else np.float64


@SETTINGS
@given(
    data=inputs(),
    params=hyperparameters,
    label_kind=st.sampled_from(sorted(LABELS)),
    draw=st.data(),
)
def test_classifier_on_random_data(data, params, label_kind, draw):
    X, sample_weight = data
    y = _draw_labels(draw, LABELS[label_kind], len(X))
    clf = ScratchMLPClassifier(max_iter=5, random_state=0, **params)
    n_classes = len(np.unique(y))
    if not _fit_or_expected_error(clf, X, y, sample_weight, n_classes):
        return
    copies = [X.copy(), y.copy()]
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    assert all(c.dtype == _expected_dtype(X) for c in clf.coefs_ + clf.intercepts_)
    with _expected_warnings_only():
        pred = clf.predict(X)
        proba = clf.predict_proba(X)
        log_proba = clf.predict_log_proba(X)
    assert pred.shape == y.shape
    assert pred.dtype == clf.classes_.dtype
    assert set(pred.tolist()) <= set(clf.classes_.tolist())
    # one class gets scikit-learn's two probability columns
    assert proba.shape == log_proba.shape == (len(X), max(n_classes, 2))
    assert np.isfinite(proba).all()
    assert np.all((proba >= 0) & (proba <= 1))
    rtol = 1e-5 if X.dtype == np.float32 else 1e-10
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=rtol)
    assert np.isfinite(log_proba).all()
    assert np.all(log_proba <= 0)
    if n_classes == 1:  # as in scikit-learn, that class is always predicted
        assert (pred == clf.classes_[0]).all()
    else:  # the predicted label is the most probable class
        np.testing.assert_array_equal(
            proba[np.arange(len(X)), np.searchsorted(clf.classes_, pred)],
            proba.max(axis=1),
        )
    _assert_unchanged((X, y), copies)


@SETTINGS
@given(
    data=inputs(),
    params=hyperparameters,
    loss=st.sampled_from(["squared_error", "poisson"]),
    n_outputs=st.sampled_from([0, 2]),  # 0: a 1-D y
    draw=st.data(),
)
def test_regressor_on_random_data(data, params, loss, n_outputs, draw):
    X, sample_weight = data
    shape = (len(X),) if n_outputs == 0 else (len(X), n_outputs)
    low = 0 if loss == "poisson" else -10
    y_dtype = draw.draw(st.sampled_from([np.float64, np.float32, np.int64]))
    elements = (
        st.integers(low, 10) if y_dtype == np.int64 else st.floats(low, 10, width=32)
    )
    y = draw.draw(hnp.arrays(y_dtype, shape, elements=elements))
    reg = ScratchMLPRegressor(loss=loss, max_iter=5, random_state=0, **params)
    if not _fit_or_expected_error(reg, X, y, sample_weight):
        return
    copies = [X.copy(), y.copy()]
    assert all(c.dtype == _expected_dtype(X) for c in reg.coefs_ + reg.intercepts_)
    with _expected_warnings_only():
        pred = reg.predict(X)
    assert pred.shape == y.shape
    assert pred.dtype == _expected_dtype(X)
    assert np.isfinite(pred).all()
    if loss == "poisson":
        assert np.all(pred > 0)
    _assert_unchanged((X, y), copies)


@SETTINGS
@given(
    batches=st.lists(inputs(), min_size=1, max_size=3),
    solver=st.sampled_from(["sgd", "adam"]),
    label_kind=st.sampled_from(sorted(LABELS)),
    draw=st.data(),
)
def test_partial_fit_on_random_batches(batches, solver, label_kind, draw):
    # Batches of one stream share their width; each may show any subset of
    # the declared classes, and differ in dtype.
    pool = np.array(LABELS[label_kind])
    width = batches[0][0].shape[1]
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(3,), solver=solver, random_state=0, batch_size=4
    )
    for X, sample_weight in batches:
        X = X[:, :1].repeat(width, axis=1) if X.shape[1] != width else X
        y = _draw_labels(draw, pool, len(X))
        copies = [X.copy(), y.copy(), _copy(sample_weight)]
        zero = sample_weight is not None and not sample_weight.sum() > 0
        with _expected_warnings_only():
            if zero:
                with pytest.raises(ValueError, match="at least one non-zero"):
                    clf.partial_fit(X, y, sample_weight=sample_weight, classes=pool)
            else:
                clf.partial_fit(X, y, sample_weight=sample_weight, classes=pool)
        _assert_unchanged((X, y, sample_weight), copies)
    if not hasattr(clf, "classes_"):
        return  # every batch was rejected
    np.testing.assert_array_equal(clf.classes_, np.unique(pool))
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(pool))
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(clf.predict(X).tolist()) <= set(pool.tolist())
