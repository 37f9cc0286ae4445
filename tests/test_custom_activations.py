"""Custom activations: a pair of callables or an object, trained like built-ins."""

import pickle
import warnings

import numpy as np
import pytest
from scipy.special import expit
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor, check_gradients

rng = np.random.RandomState(0)
X = rng.normal(size=(80, 5))
y = rng.randint(3, size=80)
y_reg = X[:, 0] - 2 * X[:, 1] ** 2


# A user's tanh, at module level so that it pickles: the activation from Z,
# its derivative from the activation A = tanh(Z).
def tanh(z):
    return np.tanh(z)


def tanh_prime(z, a):
    return 1 - a**2


class Tanh:
    """The same activation as an object with forward and derivative."""

    def forward(self, z):
        return np.tanh(z)

    def derivative(self, z, a):
        return 1 - a**2


# Swish needs Z for its derivative: f(z) = z s(z), f' = s(z) (1 + z (1 - s(z)))
def swish(z):
    return z * expit(z)


def swish_prime(z, a):
    s = expit(z)
    return s * (1 + z * (1 - s))


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def _params(est):
    return [*est.coefs_, *est.intercepts_]


@pytest.mark.parametrize("custom", [(tanh, tanh_prime), Tanh(), [tanh, tanh_prime]])
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_custom_tanh_trains_exactly_as_builtin(custom, solver, dtype):
    params = {"hidden_layer_sizes": (7, 4), "solver": solver, "max_iter": 15}
    Xd = X.astype(dtype)
    builtin = _fit(
        ScratchMLPClassifier(activation="tanh", random_state=0, **params), Xd, y
    )
    mine = _fit(
        ScratchMLPClassifier(activation=custom, random_state=0, **params), Xd, y
    )
    for a, b in zip(_params(builtin), _params(mine), strict=True):
        assert b.dtype == dtype
        np.testing.assert_array_equal(a, b)
    assert mine.loss_curve_ == builtin.loss_curve_
    np.testing.assert_array_equal(mine.predict_proba(Xd), builtin.predict_proba(Xd))
    assert mine.predict_proba(Xd).dtype == dtype


@pytest.mark.parametrize("layer", [0, -1])
def test_transform_with_a_custom_activation_equals_the_builtin(layer):
    # transform applies the layer's own activation, custom ones included
    params = {"hidden_layer_sizes": (7, 4), "max_iter": 15, "random_state": 0}
    params["transform_layer"] = layer
    builtin = _fit(ScratchMLPRegressor(activation="tanh", **params), X, y_reg)
    mine = _fit(ScratchMLPRegressor(activation=Tanh(), **params), X, y_reg)
    np.testing.assert_array_equal(mine.transform(X), builtin.transform(X))
    per_layer = ["relu", (tanh, tanh_prime)]
    mixed = _fit(ScratchMLPRegressor(activation=per_layer, **params), X, y_reg)
    features = mixed.transform(X)
    assert features.shape == (X.shape[0], params["hidden_layer_sizes"][layer])
    if layer == -1:
        assert np.all(np.abs(features) < 1) and features.min() < 0  # tanh's range
    else:
        assert features.min() == 0  # relu's


def test_onnx_export_of_transform_refuses_a_custom_activation():
    pytest.importorskip("onnx")
    from skscratch import to_onnx

    est = ScratchMLPRegressor(hidden_layer_sizes=(4,), activation=Tanh(), max_iter=3)
    est = _fit(est, X, y_reg)
    with pytest.raises(ValueError, match="cannot export a custom activation"):
        to_onnx(est, method="transform")


def test_per_layer_list_mixes_names_and_custom_activations():
    params = {"hidden_layer_sizes": (6, 5, 4), "max_iter": 10, "random_state": 0}
    builtin = _fit(
        ScratchMLPRegressor(activation=["relu", "tanh", "tanh"], **params), X, y_reg
    )
    mine = _fit(
        ScratchMLPRegressor(activation=["relu", (tanh, tanh_prime), Tanh()], **params),
        X,
        y_reg,
    )
    for a, b in zip(_params(builtin), _params(mine), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("classifier", [True, False])
def test_check_gradients_verifies_a_custom_activation(classifier):
    Est, target = (
        (ScratchMLPClassifier, y) if classifier else (ScratchMLPRegressor, y_reg)
    )
    good = Est(hidden_layer_sizes=(4, 3), activation=(swish, swish_prime), alpha=0.1)
    assert check_gradients(good, X[:15], target[:15]).max() < 1e-7
    wrong = (swish, lambda z, a: expit(z))  # forgets the product rule
    bad = Est(hidden_layer_sizes=(4, 3), activation=wrong)
    assert check_gradients(bad, X[:15], target[:15]).max() > 1e-3


def test_clone_and_get_params_keep_the_functions():
    pair = (tanh, tanh_prime)
    est = ScratchMLPClassifier(activation=pair)
    assert est.get_params()["activation"] is pair
    cloned = clone(est).get_params()["activation"]
    assert cloned == pair
    obj = Tanh()
    assert isinstance(clone(ScratchMLPClassifier(activation=obj)).activation, Tanh)


def test_module_level_functions_pickle():
    est = _fit(ScratchMLPClassifier((5,), activation=Tanh(), max_iter=5), X, y)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict_proba(X), est.predict_proba(X))
    lambdas = ScratchMLPClassifier(activation=(np.tanh, lambda z, a: 1 - a**2))
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(lambdas)


@pytest.mark.parametrize(
    "activation, message",
    [
        ((tanh, lambda z, a: np.ones(3)), "derivative returned an array of shape"),
        ((lambda z: z[:, :1], tanh_prime), "function returned an array of shape"),
        ((np.log, lambda z, a: 1 / z), "function returned non-finite"),
        ((tanh, lambda z, a: 1 / z), "derivative returned non-finite"),
        ((tanh, lambda z, a: "steep"), "derivative must return numbers"),
        (["relu", (tanh, lambda z, a: np.full_like(z, np.nan))], r"activation\[1\]"),
        (["relu", "swish"], "custom activation"),
    ],
)
def test_bad_custom_activation_is_refused_before_training(activation, message):
    est = ScratchMLPClassifier((4, 4), activation=activation, max_iter=2)
    with pytest.raises(ValueError, match=message):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")


def test_user_functions_cannot_write_into_the_network():
    def in_place(z):
        np.tanh(z, out=z)
        return z

    est = ScratchMLPClassifier((4,), activation=(in_place, tanh_prime), max_iter=2)
    with pytest.raises(ValueError, match="read-only"):
        est.fit(X, y)


def test_object_missing_a_method_is_a_parameter_error():
    class Half:
        def forward(self, z):
            return z

    with pytest.raises(ValueError, match="activation"):
        ScratchMLPClassifier(activation=Half()).fit(X, y)


def test_onnx_export_refuses_a_custom_activation():
    pytest.importorskip("onnx")
    from skscratch import to_onnx

    est = _fit(ScratchMLPClassifier((4,), activation=Tanh(), max_iter=3), X, y)
    with pytest.raises(ValueError, match="cannot export a custom activation"):
        to_onnx(est)
