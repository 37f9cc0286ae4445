"""Array-API inputs: PyTorch tensors and array-api-strict arrays.

With ``sklearn.config_context(array_api_dispatch=True)``, an estimator fitted
on a PyTorch tensor (or an array-api-strict array) computes in that
namespace, on that device, in that dtype: its weights and its outputs are
arrays of the namespace. A float64 fit on the CPU takes the same steps as
the NumPy fit, so both agree to rounding. Without dispatch, such inputs are
converted to NumPy, as before.

The tests of one namespace skip when it is not installed, those on a CUDA
device when PyTorch sees none, and those needing dispatch when scikit-learn
refuses to turn it on (SciPy's ``SCIPY_ARRAY_API=1`` must be set before
SciPy is imported).
"""

import copy
import dataclasses
import functools
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

try:
    from sklearn.utils import get_tags
except ImportError:  # scikit-learn before 1.6
    from sklearn_compat.utils import get_tags

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)
pytestmark = ignore_convergence

ESTIMATORS = {"clf": ScratchMLPClassifier, "reg": ScratchMLPRegressor}

# ----------------------------------------------------------------- the data
_rng = np.random.RandomState(0)
N_SAMPLES, N_FEATURES = 80, 6
X = _rng.normal(size=(N_SAMPLES, N_FEATURES))
_W = _rng.normal(size=(N_FEATURES, 2))
TARGETS = {
    "binary": (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64),
    "multiclass": np.arange(N_SAMPLES) % 3,
    "multilabel": (X[:, :3] + 0.3 * _rng.normal(size=(N_SAMPLES, 3)) > 0).astype(
        np.int64
    ),
    "continuous": X @ _W[:, 0] + 0.1 * _rng.normal(size=N_SAMPLES),
    "multioutput": X @ _W + 0.1 * _rng.normal(size=(N_SAMPLES, 2)),
    "counts": _rng.poisson(np.exp(0.3 * X @ _W[:, 0])).astype(np.float64),
}
SAMPLE_WEIGHT = _rng.uniform(0.5, 2.0, size=N_SAMPLES)

#: Solvers and their settings; several batches per epoch, the last one short.
SOLVERS = {
    "sgd-momentum": {
        "solver": "sgd",
        "momentum": 0.9,
        "nesterovs_momentum": False,
        "learning_rate_init": 0.05,
        "batch_size": 32,
    },
    "sgd-nesterov": {
        "solver": "sgd",
        "momentum": 0.9,
        "nesterovs_momentum": True,
        "learning_rate_init": 0.05,
        "batch_size": 32,
    },
    "adam": {"solver": "adam", "learning_rate_init": 0.01, "batch_size": 32},
    "lbfgs": {"solver": "lbfgs"},
}

#: float64 results on the CPU agree with NumPy's to rounding; a GPU sums in
#: another order.
CPU_RTOL, GPU_RTOL = 1e-10, 1e-6


def _make(kind, **params):
    """Return a small seeded estimator of ``kind`` ('clf' or 'reg')."""
    defaults = {"hidden_layer_sizes": (6, 4), "max_iter": 15, "random_state": 0}
    defaults.update(params)
    return ESTIMATORS[kind](**defaults)


# --------------------------------------------------------------- namespaces
@dataclasses.dataclass
class Backend:
    """A namespace and device to put the test data on."""

    name: str
    module: object
    device: object
    rtol: float

    def asarray(self, array, dtype=None):
        """Return a NumPy ``array`` as an array of this namespace and device."""
        array = np.asarray(array if dtype is None else array.astype(dtype))
        if self.name == "torch":
            return self.module.asarray(array.copy(), device=self.device)
        return self.module.asarray(array)

    def float32(self):
        """Return the namespace's float32 dtype."""
        return self.module.float32


def _torch_backend(device):
    """Return the PyTorch backend on ``device``; skip when it is unavailable."""
    pytest.importorskip("array_api_compat")
    torch = pytest.importorskip("torch")
    if device == "cuda" and not torch.cuda.is_available():
        pytest.skip("PyTorch sees no CUDA device")
    rtol = CPU_RTOL if device == "cpu" else GPU_RTOL
    return Backend("torch", torch, torch.device(device), rtol)


def _strict_backend():
    """Return the array-api-strict backend; skip when it is not installed."""
    pytest.importorskip("array_api_compat")
    strict = pytest.importorskip("array_api_strict")
    return Backend("array_api_strict", strict, None, CPU_RTOL)


@functools.cache
def _dispatch_refused():
    """Return why scikit-learn refuses array API dispatch, or None."""
    try:
        with sklearn.config_context(array_api_dispatch=True):
            pass
    except (ImportError, RuntimeError) as exc:
        return str(exc)
    return None


@pytest.fixture
def dispatch():
    """Run the test with scikit-learn's array API dispatch on."""
    reason = _dispatch_refused()
    if reason is not None:
        pytest.skip(f"array API dispatch unavailable: {reason}")
    with sklearn.config_context(array_api_dispatch=True):
        yield


@pytest.fixture(params=["cpu", "cuda"])
def torch_backend(request):
    """PyTorch on the CPU and, where there is one, on a CUDA device."""
    return _torch_backend(request.param)


@pytest.fixture(params=["torch-cpu", "torch-cuda", "array_api_strict"])
def backend(request):
    """Every namespace and device the fits are compared on."""
    if request.param == "array_api_strict":
        return _strict_backend()
    return _torch_backend(request.param.removeprefix("torch-"))


def _to_numpy(array):
    """Copy an array of any namespace, on any device, to NumPy."""
    if isinstance(array, np.ndarray):
        return array
    if hasattr(array, "detach"):
        return array.detach().cpu().numpy()
    return np.from_dlpack(array)


def _device(array):
    """Return the device of an array of any namespace."""
    import array_api_compat

    return array_api_compat.device(array)


def _all_numpy(est):
    """Return whether every weight of ``est`` is a NumPy array."""
    return all(isinstance(p, np.ndarray) for p in est.coefs_ + est.intercepts_)


def _assert_like(array, like, same_dtype=True):
    """Assert ``array`` is of ``like``'s namespace and device (and dtype)."""
    assert type(array) is type(like), f"{type(array)} is not {type(like)}"
    assert _device(array) == _device(like)
    if same_dtype:
        assert array.dtype == like.dtype


# -------------------------------------------------------------- comparisons
def _fit_numpy(est, X_, y_, **fit_params):
    """Fit a clone of ``est`` on NumPy data, with dispatch off."""
    with sklearn.config_context(array_api_dispatch=False):
        return clone(est).fit(X_, y_, **fit_params)


def _assert_close(got, expected, rtol):
    """Assert an array of any namespace equals a NumPy array to ``rtol``."""
    np.testing.assert_allclose(_to_numpy(got), expected, rtol=rtol, atol=rtol)


def _assert_scalar(got, expected, rtol):
    """Assert a fitted scalar is a Python float close to the NumPy one."""
    if expected is None:
        assert got is None
        return
    assert isinstance(got, float), type(got)
    assert got == pytest.approx(expected, rel=rtol, abs=rtol)


def _assert_curves(reference, fitted, rtol):
    """Assert counters, losses and curves match, as Python scalars."""
    assert type(fitted.n_iter_) is int and type(fitted.t_) is int
    assert (fitted.n_iter_, fitted.t_) == (reference.n_iter_, reference.t_)
    assert len(fitted.loss_curve_) == len(reference.loss_curve_)
    for got, expected in zip(fitted.loss_curve_, reference.loss_curve_, strict=True):
        _assert_scalar(got, expected, rtol)
    _assert_scalar(fitted.loss_, reference.loss_, rtol)
    _assert_scalar(fitted.best_loss_, reference.best_loss_, rtol)
    if getattr(reference, "validation_scores_", None) is not None:
        scores = zip(
            fitted.validation_scores_, reference.validation_scores_, strict=True
        )
        for got, expected in scores:
            _assert_scalar(got, expected, rtol)
        _assert_scalar(
            fitted.best_validation_score_, reference.best_validation_score_, rtol
        )


def _assert_same_weights(reference, fitted, like, rtol):
    """Assert the weights are ``like``'s arrays, equal to the NumPy fit's."""
    for name in ("coefs_", "intercepts_"):
        expected, got = getattr(reference, name), getattr(fitted, name)
        assert isinstance(got, list) and len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            _assert_like(g, like)
            assert tuple(g.shape) == e.shape
            _assert_close(g, e, rtol)


def _assert_same_outputs(reference, fitted, X_np, X_xp, rtol):
    """Assert every prediction is ``X_xp``'s array, equal to the NumPy one."""
    predicted = fitted.predict(X_xp)
    if isinstance(fitted, ScratchMLPClassifier):
        _assert_like(predicted, X_xp, same_dtype=False)
        np.testing.assert_array_equal(_to_numpy(predicted), reference.predict(X_np))
        for method in ("predict_proba", "predict_log_proba"):
            got = getattr(fitted, method)(X_xp)
            _assert_like(got, X_xp)
            _assert_close(got, getattr(reference, method)(X_np), rtol)
    else:
        _assert_like(predicted, X_xp)
        _assert_close(predicted, reference.predict(X_np), rtol)
    features = fitted.transform(X_xp)
    _assert_like(features, X_xp)
    _assert_close(features, reference.transform(X_np), rtol)


def _assert_same_fit(reference, fitted, X_np, X_xp, rtol):
    """Assert a fit in ``X_xp``'s namespace matches the NumPy ``reference``."""
    _assert_same_weights(reference, fitted, X_xp, rtol)
    _assert_curves(reference, fitted, rtol)
    _assert_same_outputs(reference, fitted, X_np, X_xp, rtol)


def _compare_fits(backend, est, target, **fit_params):
    """Fit ``est`` on NumPy and on ``backend``; assert both fits agree."""
    y = TARGETS[target]
    reference = _fit_numpy(est, X, y, **fit_params)
    X_xp = backend.asarray(X)
    fit_params_xp = {k: backend.asarray(v) for k, v in fit_params.items()}
    fitted = clone(est).fit(X_xp, backend.asarray(y), **fit_params_xp)
    _assert_same_fit(reference, fitted, X, X_xp, backend.rtol)
    return fitted


# ============================================================ plain NumPy
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_tags_declare_array_api_support(kind):
    assert get_tags(_make(kind)).array_api_support is True


@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_numpy_fit_is_the_same_with_dispatch_on(kind):
    target = "multiclass" if kind == "clf" else "continuous"
    est = _make(kind, solver="adam", batch_size=32)
    reference = _fit_numpy(est, X, TARGETS[target])
    assert all(isinstance(c, np.ndarray) for c in reference.coefs_)
    if _dispatch_refused() is not None:
        pytest.skip(f"array API dispatch unavailable: {_dispatch_refused()}")
    with sklearn.config_context(array_api_dispatch=True):
        fitted = clone(est).fit(X, TARGETS[target])
        _assert_same_fit(reference, fitted, X, X, 0.0)


# ============================================================== dispatch off
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_torch_input_without_dispatch_is_converted_to_numpy(kind):
    backend = _torch_backend("cpu")
    target = "multiclass" if kind == "clf" else "continuous"
    est = _make(kind, solver="adam", batch_size=32)
    reference = _fit_numpy(est, X, TARGETS[target])
    with sklearn.config_context(array_api_dispatch=False):
        X_t = backend.asarray(X)
        fitted = clone(est).fit(X_t, backend.asarray(TARGETS[target]))
        assert all(
            isinstance(c, np.ndarray) for c in fitted.coefs_ + fitted.intercepts_
        )
        _assert_same_fit(reference, fitted, X, X, 0.0)
        assert isinstance(fitted.predict(X_t), np.ndarray)


# ========================================================= parity, float64
@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("solver", list(SOLVERS))
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_classifier_matches_numpy(backend, solver, target):
    _compare_fits(backend, _make("clf", **SOLVERS[solver]), target)


@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("solver", list(SOLVERS))
@pytest.mark.parametrize(
    "loss, target",
    [
        ("squared_error", "continuous"),
        ("squared_error", "multioutput"),
        ("poisson", "counts"),
        ("huber", "continuous"),
    ],
)
def test_regressor_matches_numpy(backend, solver, loss, target):
    _compare_fits(backend, _make("reg", loss=loss, **SOLVERS[solver]), target)


@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("activation", ["logistic", "tanh", "identity"])
def test_activations_match_numpy(backend, activation):
    est = _make("reg", activation=activation, **SOLVERS["adam"])
    _compare_fits(backend, est, "continuous")


@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("solver", ["sgd-nesterov", "adam", "lbfgs"])
@pytest.mark.parametrize("kind, target", [("clf", "multiclass"), ("reg", "continuous")])
def test_sample_weight_tensor_matches_numpy(torch_backend, solver, kind, target):
    est = _make(kind, **SOLVERS[solver])
    _compare_fits(torch_backend, est, target, sample_weight=SAMPLE_WEIGHT)


@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("solver", ["sgd-nesterov", "adam"])
@pytest.mark.parametrize("kind, target", [("clf", "multiclass"), ("reg", "continuous")])
def test_early_stopping_matches_numpy(backend, solver, kind, target):
    est = _make(
        kind,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=3,
        max_iter=20,
        **SOLVERS[solver],
    )
    fitted = _compare_fits(backend, est, target)
    assert len(fitted.validation_scores_) == fitted.n_iter_


def _partial_fits(est, X_, y_, classes):
    """Run three partial_fit calls over halves of the data; return ``est``."""
    half = N_SAMPLES // 2
    for rows in (slice(0, half), slice(half, None), slice(0, None)):
        kwargs = {"classes": classes} if classes is not None else {}
        est.partial_fit(X_[rows, ...], y_[rows, ...], **kwargs)
    return est


@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("solver", ["sgd-momentum", "adam"])
@pytest.mark.parametrize("kind, target", [("clf", "multiclass"), ("reg", "continuous")])
def test_partial_fit_matches_numpy(backend, solver, kind, target):
    est = _make(kind, **SOLVERS[solver])
    y = TARGETS[target]
    classes = np.unique(y) if kind == "clf" else None
    with sklearn.config_context(array_api_dispatch=False):
        reference = _partial_fits(clone(est), X, y, classes)
    X_xp = backend.asarray(X)
    fitted = _partial_fits(clone(est), X_xp, backend.asarray(y), classes)
    assert len(fitted.loss_curve_) == 3
    _assert_same_fit(reference, fitted, X, X_xp, backend.rtol)


@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("solver", ["sgd-nesterov", "adam", "lbfgs"])
@pytest.mark.parametrize("kind, target", [("clf", "binary"), ("reg", "continuous")])
def test_warm_start_matches_numpy(backend, solver, kind, target):
    est = _make(kind, warm_start=True, max_iter=6, **SOLVERS[solver])
    y = TARGETS[target]
    with sklearn.config_context(array_api_dispatch=False):
        reference = clone(est).fit(X, y).set_params(max_iter=4).fit(X, y)
    X_xp, y_xp = backend.asarray(X), backend.asarray(y)
    fitted = clone(est).fit(X_xp, y_xp)
    first = [_to_numpy(c).copy() for c in fitted.coefs_]
    fitted.set_params(max_iter=4).fit(X_xp, y_xp)
    assert not np.array_equal(first[0], _to_numpy(fitted.coefs_[0]))  # it trained on
    _assert_same_fit(reference, fitted, X, X_xp, backend.rtol)


# ================================================== what stays in the namespace
@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("kind, target", [("clf", "multiclass"), ("reg", "continuous")])
def test_dropout_fits_and_stays_in_the_namespace(torch_backend, kind, target):
    # dropout draws random masks: the fit need not equal NumPy's
    X_t = torch_backend.asarray(X)
    est = _make(kind, dropout=0.3, **SOLVERS["adam"])
    est.fit(X_t, torch_backend.asarray(TARGETS[target]))
    for param in est.coefs_ + est.intercepts_:
        _assert_like(param, X_t)
        assert np.isfinite(_to_numpy(param)).all()
    assert all(isinstance(loss, float) for loss in est.loss_curve_)
    outputs = [est.predict(X_t), est.transform(X_t)]
    if kind == "clf":
        proba = est.predict_proba(X_t)
        _assert_like(proba, X_t)
        np.testing.assert_allclose(_to_numpy(proba).sum(axis=1), 1.0)
        outputs.append(proba)
    for out in outputs:
        assert type(out) is type(X_t) and _device(out) == _device(X_t)
        assert np.isfinite(_to_numpy(out)).all()


@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("solver", ["sgd-nesterov", "adam", "lbfgs"])
@pytest.mark.parametrize("kind, target", [("clf", "multiclass"), ("reg", "continuous")])
def test_float32_input_stays_float32(backend, solver, kind, target):
    est = _make(kind, **SOLVERS[solver])
    y = TARGETS[target]
    X32 = X.astype(np.float32)
    reference = _fit_numpy(est, X32, y)
    X_xp = backend.asarray(X32)
    assert X_xp.dtype == backend.float32()
    fitted = clone(est).fit(X_xp, backend.asarray(y))
    for param in fitted.coefs_ + fitted.intercepts_:
        assert param.dtype == backend.float32()
    # float32 rounds differently in each library: close, not equal
    _assert_same_weights(reference, fitted, X_xp, rtol=1e-4)
    _assert_curves(reference, fitted, rtol=1e-4)
    outputs = [fitted.transform(X_xp)]
    outputs += [fitted.predict_proba(X_xp)] if kind == "clf" else [fitted.predict(X_xp)]
    for out in outputs:
        _assert_like(out, X_xp)


@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("kind, target", [("clf", "multiclass"), ("reg", "continuous")])
def test_fit_transform_matches_numpy(backend, kind, target):
    est = _make(kind, **SOLVERS["adam"])
    y = TARGETS[target]
    with sklearn.config_context(array_api_dispatch=False):
        expected = clone(est).fit_transform(X, y)
    X_xp = backend.asarray(X)
    features = clone(est).fit_transform(X_xp, backend.asarray(y))
    _assert_like(features, X_xp)
    assert tuple(features.shape) == expected.shape == (N_SAMPLES, 4)
    _assert_close(features, expected, backend.rtol)


# ============================================================= mixed inputs
@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("kind, target", [("clf", "multiclass"), ("reg", "continuous")])
def test_torch_X_with_numpy_y_and_weights(torch_backend, solver, kind, target):
    est = _make(kind, **SOLVERS[solver])
    y = TARGETS[target]
    reference = _fit_numpy(est, X, y, sample_weight=SAMPLE_WEIGHT)
    X_t = torch_backend.asarray(X)
    fitted = clone(est).fit(X_t, y, sample_weight=SAMPLE_WEIGHT)
    _assert_same_fit(reference, fitted, X, X_t, torch_backend.rtol)


@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("kind, target", [("clf", "multiclass"), ("reg", "continuous")])
def test_numpy_X_with_torch_y_and_weights_stays_numpy(torch_backend, kind, target):
    # everything follows X
    est = _make(kind, **SOLVERS["adam"])
    y = TARGETS[target]
    reference = _fit_numpy(est, X, y, sample_weight=SAMPLE_WEIGHT)
    fitted = clone(est).fit(
        X,
        torch_backend.asarray(y),
        sample_weight=torch_backend.asarray(SAMPLE_WEIGHT),
    )
    assert _all_numpy(fitted)
    _assert_same_fit(reference, fitted, X, X, torch_backend.rtol)


# ================================================ one namespace per model
METHODS = {
    "clf": ["predict", "predict_proba", "predict_log_proba", "transform"],
    "reg": ["predict", "transform"],
}
CALLS = [(kind, method) for kind, methods in METHODS.items() for method in methods]


@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("kind, method", CALLS)
def test_numpy_input_to_a_torch_model_raises(torch_backend, kind, method):
    y = TARGETS["multiclass" if kind == "clf" else "continuous"]
    est = _make(kind, **SOLVERS["adam"]).fit(torch_backend.asarray(X), y)
    name = type(est).__name__
    with pytest.raises(ValueError, match="must use the same namespace") as excinfo:
        getattr(est, method)(X)
    assert f"{name}.{method}()" in str(excinfo.value)


@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("kind, method", CALLS)
def test_torch_input_to_a_numpy_model_raises(torch_backend, kind, method):
    y = TARGETS["multiclass" if kind == "clf" else "continuous"]
    est = _make(kind, **SOLVERS["adam"]).fit(X, y)
    name = type(est).__name__
    with pytest.raises(ValueError, match="must use the same namespace") as excinfo:
        getattr(est, method)(torch_backend.asarray(X))
    assert f"{name}.{method}()" in str(excinfo.value)


# ================================================================ divergence
DIVERGING = {"solver": "sgd", "learning_rate_init": 1e6, "batch_size": 10}


@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("kind, target", [("clf", "multiclass"), ("reg", "continuous")])
def test_divergence_raises_and_leaves_unfitted_estimator_unfitted(
    torch_backend, kind, target
):
    est = _make(kind, max_iter=10, **DIVERGING)
    X_t, y_t = torch_backend.asarray(X * 1e3), torch_backend.asarray(TARGETS[target])
    with pytest.raises(ValueError, match="learning_rate_init") as excinfo:
        est.fit(X_t, y_t)
    assert "1000000.0" in str(excinfo.value)
    assert not hasattr(est, "coefs_")
    assert not hasattr(est, "n_iter_")


def _diverge(est, how, X_, y_):
    """Make a fitted ``est`` diverge: a huge step, or a batch of huge values."""
    if how == "warm_start_fit":
        est.set_params(learning_rate_init=1e6).fit(X_ * 1e3, y_)
    else:
        est.partial_fit(X_ * 1e150, y_)


def _numpy_weights(est):
    """Return a deep copy of ``est`` whose weights are NumPy arrays."""
    snapshot = copy.deepcopy(est)
    snapshot.coefs_ = [_to_numpy(c).copy() for c in est.coefs_]
    snapshot.intercepts_ = [_to_numpy(c).copy() for c in est.intercepts_]
    return snapshot


@pytest.mark.usefixtures("dispatch")
@pytest.mark.parametrize("how", ["warm_start_fit", "partial_fit"])
@pytest.mark.parametrize("kind, target", [("clf", "multiclass"), ("reg", "continuous")])
def test_divergence_leaves_a_torch_model_as_it_was(torch_backend, how, kind, target):
    y = TARGETS[target]
    est = _make(kind, warm_start=True, **SOLVERS["sgd-nesterov"])
    twin = _fit_numpy(est, X, y)
    with pytest.raises(ValueError, match="learning_rate_init"):  # as on NumPy
        _diverge(twin, how, X, y)
    X_t, y_t = torch_backend.asarray(X), torch_backend.asarray(y)
    est.fit(X_t, y_t)
    before, expected = _numpy_weights(est), _to_numpy(est.predict(X_t)).copy()
    with pytest.raises(ValueError, match="learning_rate_init"):
        _diverge(est, how, X_t, y_t)
    _assert_same_weights(before, est, X_t, rtol=0.0)
    assert est.loss_curve_ == before.loss_curve_
    assert (est.n_iter_, est.t_) == (before.n_iter_, before.t_)
    _assert_close(est.predict(X_t), expected, 0.0)


# ============================================== scikit-learn's own checks
def _sklearn_check(name):
    """Return scikit-learn's estimator check ``name``, or None before it existed."""
    from sklearn.utils import estimator_checks

    return getattr(estimator_checks, name, None)


def _namespace_combinations():
    """Return the (namespace, device, dtype) triples the checks run on."""
    try:
        from sklearn.utils._array_api import (
            yield_namespace_device_dtype_combinations as combinations,
        )

        triples = list(combinations())
    except ImportError:  # pragma: no cover - older scikit-learn
        triples = [
            ("array_api_strict", None, "float64"),
            ("torch", "cpu", "float64"),
            ("torch", "cpu", "float32"),
            ("torch", "cuda", "float64"),
            ("torch", "cuda", "float32"),
        ]
    keep = {None, "cpu", "cuda", "CPU_DEVICE", "device1"}
    return [
        pytest.param(*t, id="-".join(str(part) for part in t))
        for t in triples
        if t[0] in ("torch", "array_api_strict") and (len(t) < 2 or t[1] in keep)
    ]


def _check_estimator(kind):
    """Return a small estimator for scikit-learn's checks."""
    return _make(kind, hidden_layer_sizes=(5,), max_iter=10, batch_size=16)


def _run_check(check_name, kind, *args):
    """Run one of scikit-learn's array API checks; skip when it is missing."""
    check = _sklearn_check(check_name)
    if check is None:
        pytest.skip(f"scikit-learn {sklearn.__version__} has no {check_name}")
    est = _check_estimator(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(type(est).__name__, est, *args)


@pytest.mark.parametrize("namespace, device, dtype", _namespace_combinations())
@pytest.mark.parametrize(
    "check_name", ["check_array_api_input", "check_array_api_input_and_values"]
)
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_sklearn_array_api_checks(kind, check_name, namespace, device, dtype):
    pytest.importorskip(namespace)
    _run_check(check_name, kind, namespace, device, dtype)


@pytest.mark.parametrize(
    "namespace, device", [("array_api_strict", None), ("torch", "cpu")]
)
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_sklearn_same_namespace_check(kind, namespace, device):
    pytest.importorskip(namespace)
    _run_check("check_array_api_same_namespace", kind, namespace, device)


def _mixed_permutations():
    """Return scikit-learn's (X, other) namespace pairs for mixed inputs."""
    try:
        from sklearn.utils._array_api import yield_mixed_namespace_input_permutations
    except ImportError:
        return [pytest.param(None, None, id="unavailable")]
    return [
        pytest.param(X_ns, other_ns, id=description)
        for other_ns, X_ns, description in yield_mixed_namespace_input_permutations()
    ]


@pytest.mark.parametrize("X_ns, other_ns", _mixed_permutations())
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_sklearn_mixed_inputs_check(kind, X_ns, other_ns):
    if X_ns is None:
        pytest.skip(f"scikit-learn {sklearn.__version__} has no mixed-input checks")
    for namespace in {X_ns.xp, other_ns.xp} - {"numpy"}:
        pytest.importorskip(namespace)
    _run_check("check_array_api_mixed_inputs", kind, X_ns, other_ns)
