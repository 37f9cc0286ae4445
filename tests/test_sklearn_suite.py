"""scikit-learn's own MLP tests, run against skscratch's estimators.

scikit-learn ships ``sklearn/neural_network/tests/test_mlp.py`` in its wheel.
This module imports it from whichever scikit-learn is installed, with
``sklearn.neural_network.MLPClassifier`` and ``MLPRegressor`` replaced by ours
for the duration of the import, so that the test functions and their
parametrisations refer to our classes. Nothing of scikit-learn's test code is
copied here; its tests are collected from this module's namespace.

The few tests that reach into scikit-learn's private implementation (its
private attributes and methods, which a different implementation has no
reason to share) are skipped by name, each with its reason.
"""

import importlib
import sys

import pytest
import sklearn
import sklearn.neural_network

from skscratch import MLPClassifier, MLPRegressor

_UPSTREAM = "sklearn.neural_network.tests.test_mlp"
_SKLEARN_RELEASE = tuple(int(part) for part in sklearn.__version__.split(".")[:2])

#: Tests that use scikit-learn's private internals, and why each is skipped.
PRIVATE_INTERNALS = {
    "test_gradient": (
        "calls MLPClassifier._loss_grad_lbfgs with scikit-learn's per-layer "
        "buffers; our gradient is checked by skscratch.check_gradients instead"
    ),
}


#: Tests whose assertion changed in later scikit-learn releases, skipped on the
#: releases before the change, with the reason.
BEFORE_RELEASE = {
    "test_mlp_regressor_dtypes_casting": (
        (1, 6),
        "before 1.6 it asks float32 and float64 predictions to agree to 1e-4 "
        "(1.6 loosened it to 5e-4, which ours meet); scikit-learn's own "
        "regressor met 1e-4 only because it back-propagates a float32 network "
        "in float64 (its targets stay float64), while ours stays in float32",
    ),
}


def _import_upstream():
    """Import scikit-learn's MLP test module with our classes in its namespace."""
    try:
        importlib.import_module("sklearn.neural_network.tests")
    except ImportError:  # a scikit-learn installed without its tests
        return None
    saved = sklearn.neural_network.MLPClassifier, sklearn.neural_network.MLPRegressor
    sys.modules.pop(_UPSTREAM, None)
    sklearn.neural_network.MLPClassifier = MLPClassifier
    sklearn.neural_network.MLPRegressor = MLPRegressor
    try:
        module = importlib.import_module(_UPSTREAM)
    finally:
        sklearn.neural_network.MLPClassifier, sklearn.neural_network.MLPRegressor = (
            saved
        )
        # Later importers get scikit-learn's own module, not this copy.
        sys.modules.pop(_UPSTREAM, None)
    return module


_upstream = _import_upstream()
if _upstream is None:
    pytest.skip("scikit-learn was installed without its tests", allow_module_level=True)

for _name, _obj in vars(_upstream).items():
    if not _name.startswith("test_") or not callable(_obj):
        continue
    if _name in PRIVATE_INTERNALS:
        _obj = pytest.mark.skip(reason=PRIVATE_INTERNALS[_name])(_obj)
    if _name in BEFORE_RELEASE:
        _release, _reason = BEFORE_RELEASE[_name]
        _obj = pytest.mark.skipif(_SKLEARN_RELEASE < _release, reason=_reason)(_obj)
    globals()[_name] = _obj


@pytest.fixture
def global_random_seed():
    """scikit-learn's seed fixture, at its default value."""
    return 42


def test_upstream_uses_our_classes():
    """The collected tests really run our estimators, not scikit-learn's."""
    assert _upstream.MLPClassifier is MLPClassifier
    assert _upstream.MLPRegressor is MLPRegressor
    assert sklearn.neural_network.MLPClassifier is not MLPClassifier
    n_tests = sum(name.startswith("test_") for name in vars(_upstream))
    assert n_tests >= 30
    # Parametrisations captured at import time hold our classes too.
    params = [
        value
        for test in vars(_upstream).values()
        for mark in getattr(test, "pytestmark", [])
        if mark.name == "parametrize"
        for value in mark.args[1]
        if isinstance(value, type) and value.__name__.startswith("MLP")
    ]
    assert params
    assert set(params) <= {MLPClassifier, MLPRegressor}
