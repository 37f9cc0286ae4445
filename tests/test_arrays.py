"""The core's named array operations agree in NumPy, PyTorch and array-api-strict."""

import sys

import numpy as np
import pytest
import scipy.sparse as sp

from skscratch._core.arrays import NUMPY, ArrayAPIOps, TorchOps, ops_for
from skscratch._core.network import split_flat, views_intact

strict = pytest.importorskip("array_api_strict")

RNG = np.random.default_rng(0)
A = RNG.standard_normal((5, 4))
B = RNG.standard_normal((5, 4))
POSITIVE = RNG.uniform(0.1, 2.0, (5, 4))


def _namespaces():
    """(name, convert) for every namespace installed besides NumPy."""
    found = [("array_api_strict", strict.asarray)]
    try:
        import torch
    except ImportError:
        return found
    return [*found, ("torch", torch.asarray)]


NAMESPACES = _namespaces()
ON_EACH_NAMESPACE = pytest.mark.parametrize(
    "namespace, convert", NAMESPACES, ids=[name for name, _ in NAMESPACES]
)


def _host(x):
    """A NumPy copy of an array of any namespace (or a scalar)."""
    return ops_for(x).to_numpy(x) if hasattr(x, "shape") else np.asarray(x)


# name -> (arguments, keyword arguments); A, B, POSITIVE are converted.
UNARY = ["negative", "square", "abs", "sign", "exp", "expm1", "tanh", "expit", "ndtr"]
CASES = {
    **{name: ((A,), {}) for name in UNARY},
    "sqrt": ((POSITIVE,), {}),
    "log": ((POSITIVE,), {}),
    "add": ((A, B), {}),
    "subtract": ((1, A), {}),
    "multiply": ((A, np.float64(0.25)), {}),
    "divide": ((A, POSITIVE), {}),
    "greater": ((A, 0), {}),
    "greater_equal": ((A, B), {}),
    "maximum": ((A, np.float64(0.1)), {}),
    "minimum": ((A, B), {}),
    "clip": ((A, -0.5, 0.5), {}),
    "logaddexp": ((0, A), {}),
    "xlogy": ((np.where(A > 0, A, 0.0), POSITIVE), {}),
    "sum": ((A,), {"axis": 1, "keepdims": True}),
    "max": ((A,), {"axis": 0}),
}


def _out_shape(name):
    return {"sum": (5, 1), "max": (4,)}.get(name, (5, 4))


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize(
    "namespace, convert", NAMESPACES, ids=[n for n, _ in NAMESPACES]
)
def test_operation_writes_numpys_result_into_out(name, namespace, convert):
    args, kwargs = CASES[name]
    expected = np.empty(_out_shape(name))
    getattr(NUMPY, name)(*args, out=expected, **kwargs)
    moved = [convert(a) if isinstance(a, np.ndarray) else a for a in args]
    like = next(a for a in moved if hasattr(a, "shape"))
    ops = ops_for(like)
    out = ops.empty(_out_shape(name), like)
    returned = getattr(ops, name)(*moved, out=out, **kwargs)
    assert returned is out
    np.testing.assert_allclose(_host(out), expected, rtol=1e-13, atol=1e-15)
    # and without out, a new array of the namespace with the same values
    fresh = getattr(ops, name)(*moved, **kwargs)
    assert ops_for(fresh) is ops
    np.testing.assert_allclose(_host(fresh), expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(
    "namespace, convert", NAMESPACES, ids=[n for n, _ in NAMESPACES]
)
def test_in_place_operations_and_matmul(namespace, convert):
    x = convert(A.copy())
    ops = ops_for(x)
    ops.multiply(x, 2.0, out=x)  # out aliases the input
    np.testing.assert_allclose(_host(x), 2 * A)
    Z = ops.empty((5, 5), x)
    ops.matmul(x, ops.reshape(convert(B.T.copy()), (4, 5)), out=Z[:5, ...])
    np.testing.assert_allclose(_host(Z), (2 * A) @ B.T, rtol=1e-13)
    ops.copyto(x, convert(B))
    np.testing.assert_array_equal(_host(x), B)
    rows = ops.take(x, ops.from_numpy(np.array([4, 0]), x), axis=0)
    np.testing.assert_array_equal(_host(rows), B[[4, 0]])


def test_ops_for_chooses_by_namespace():
    assert ops_for(A) is NUMPY
    assert ops_for(sp.csr_matrix(A)) is NUMPY
    assert ops_for(np.float32(1.0)) is NUMPY
    strict_ops = ops_for(strict.asarray(A))
    assert type(strict_ops) is ArrayAPIOps and not strict_ops.is_numpy
    assert ops_for(strict.asarray(B)) is strict_ops  # one per namespace
    torch = pytest.importorskip("torch")
    assert type(ops_for(torch.asarray(A))) is TorchOps


@pytest.mark.parametrize(
    "namespace, convert", NAMESPACES, ids=[n for n, _ in NAMESPACES]
)
def test_moving_between_host_and_namespace(namespace, convert):
    like = convert(np.zeros(2, dtype=np.float32))
    ops = ops_for(like)
    moved = ops.from_numpy(A, like)
    assert moved.dtype == like.dtype  # floats take like's dtype
    kept = ops.from_numpy(A, like, cast=False)
    np.testing.assert_array_equal(ops.to_numpy(kept), A)
    labels = ops.from_numpy(np.array([3, 1, 2]), like)
    np.testing.assert_array_equal(ops.to_numpy(labels), [3, 1, 2])
    assert ops.all_finite(moved)
    assert not ops.all_finite(ops.from_numpy(np.array([1.0, np.inf]), like))


@pytest.mark.parametrize(
    "namespace, convert", NAMESPACES, ids=[n for n, _ in NAMESPACES]
)
def test_views_of_the_flat_buffer_are_recognised(namespace, convert):
    theta = convert(np.arange(17, dtype=np.float64))
    coefs, intercepts = split_flat(theta, (2, 3, 2))
    again, _ = split_flat(theta, (2, 3, 2))
    assert views_intact(coefs, again)
    assert views_intact(intercepts, split_flat(theta, (2, 3, 2))[1])
    ops = ops_for(theta)
    replaced = [ops.copy(coefs[0]), coefs[1]]  # same values, other memory
    assert not views_intact(replaced, again)
    # a view writes through to the buffer
    coefs[1][...] = convert(np.full((3, 2), -1.0))
    assert np.all(_host(theta)[6:12] == -1.0)


# --- the estimators' host-side parts, with an X of another namespace ---------


def _dispatch():
    import sklearn

    return sklearn.config_context(array_api_dispatch=True)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_string_labels_are_encoded_and_predicted_on_the_host():
    from sklearn.datasets import make_classification

    from skscratch import ScratchMLPClassifier

    X, y = make_classification(80, 5, n_informative=3, n_classes=3, random_state=0)
    labels = np.array(["ant", "bee", "cat"])[y]
    reference = ScratchMLPClassifier(max_iter=5, random_state=0).fit(X, labels)
    with _dispatch():
        X_s = strict.asarray(X)
        clf = ScratchMLPClassifier(max_iter=5, random_state=0).fit(X_s, labels)
        predicted = clf.predict(X_s)
    assert isinstance(predicted, np.ndarray) and predicted.dtype.kind == "U"
    np.testing.assert_array_equal(predicted, reference.predict(X))
    assert isinstance(clf.coefs_[0], type(X_s))


def test_numpy_only_parts_say_so():
    from sklearn.datasets import make_regression
    from sklearn.utils import get_tags

    from skscratch import ScratchMLPRegressor

    X, y = make_regression(40, 3, random_state=0)
    diagnosed = ScratchMLPRegressor(max_iter=2, record_diagnostics=True)
    custom = ScratchMLPRegressor(activation=(np.tanh, lambda z, a: 1 - a * a))
    assert get_tags(ScratchMLPRegressor()).array_api_support
    assert not get_tags(diagnosed).array_api_support
    assert not get_tags(custom).array_api_support
    with _dispatch(), pytest.raises(ValueError, match="record_diagnostics"):
        diagnosed.fit(strict.asarray(X), strict.asarray(y))
    assert not hasattr(diagnosed, "coefs_")


def test_other_namespaces_without_array_api_compat_say_what_to_install(monkeypatch):
    class Foreign:
        """An array of a namespace nobody has seen yet."""

        def __array_namespace__(self, api_version=None):
            return None

    monkeypatch.setitem(sys.modules, "array_api_compat", None)
    with pytest.raises(ImportError, match=r"skscratch\[array-api\]"):
        ops_for(Foreign())
    assert ops_for(A) is NUMPY  # NumPy never needs it
