"""Tests of the pure-NumPy core: activations, losses, gradients, optimizers."""

import ast
import pathlib
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit, ndtr

from skscratch._core.activations import ACTIVATIONS
from skscratch._core.losses import OUTPUTS, output_layer
from skscratch._core.network import (
    Network,
    Workspace,
    glorot_uniform,
    layer_offsets,
    loss_and_gradient,
    predict_logits,
    split_flat,
)

CORE = pathlib.Path(__file__).parents[1] / "skscratch" / "_core"

# Each activation against a plain NumPy formula and its derivative f'(z).
REFERENCE = {
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
    "logistic": (expit, lambda z: expit(z) * (1 - expit(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "leaky_relu": (
        lambda z: np.where(z > 0, z, 0.01 * z),
        lambda z: np.where(z > 0, 1.0, 0.01),
    ),
    "elu": (
        lambda z: np.where(z > 0, z, np.exp(np.minimum(z, 0)) - 1),
        lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0))),
    ),
    "gelu": (
        lambda z: z * ndtr(z),
        lambda z: ndtr(z) + z * np.exp(-(z**2) / 2) / np.sqrt(2 * np.pi),
    ),
    "softplus": (lambda z: np.log1p(np.exp(z)), expit),
}


def test_core_imports_only_numpy_scipy_and_stdlib():
    allowed = {"numpy", "scipy", "array_api_compat", "skscratch"}
    allowed |= set(sys.stdlib_module_names)
    found = set()
    for path in CORE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.add(node.module.split(".")[0])
    assert found, "no imports found: the walk is broken"
    assert found <= allowed, f"core imports {found - allowed}"
    skscratch_imports = {
        node.module
        for path in CORE.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sks")
    }
    assert all(m.startswith("skscratch._core") for m in skscratch_imports)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_reference(name):
    rng = np.random.RandomState(0)
    Z = rng.normal(scale=3, size=(7, 5))
    forward, backward = ACTIVATIONS[name]
    f, df = REFERENCE[name]
    A, work = Z.copy(), np.empty_like(Z)
    forward(A, work)
    np.testing.assert_allclose(A, f(Z), rtol=1e-12)
    delta = rng.normal(size=Z.shape)
    expected = delta * df(Z)
    backward(A, delta, work)
    np.testing.assert_allclose(delta, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_safe_at_extremes(name, dtype):
    Z = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]], dtype=dtype)
    forward, backward = ACTIVATIONS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        work = np.empty_like(Z)
        forward(Z, work)
        delta = np.ones_like(Z)
        backward(Z, delta, work)
    assert Z.dtype == dtype and np.isfinite(Z).all() and np.isfinite(delta).all()


# A value of each loss parameter an output layer may take, by its name.
LOSS_PARAMETERS = {"huber_delta": 1.0, "quantile": 0.3}


@pytest.mark.parametrize("name", sorted(OUTPUTS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_layer_safe_for_huge_logits(name, dtype):
    Z = np.array([[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    Y = np.array([[0, 0, 1], [1, 0, 0]], dtype=dtype)
    delta, work, row = np.empty_like(Z), np.empty_like(Z), np.empty((2, 1), dtype)
    param = LOSS_PARAMETERS.get(OUTPUTS[name].parameter)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = output_layer(name, Z, Y, None, delta, work, row, param=param)
    assert np.isfinite(loss) and np.isfinite(delta).all()
    assert delta.dtype == dtype
    if name == "softmax":
        np.testing.assert_allclose(Z.sum(axis=1), 1, rtol=1e-6)
    if name in ("softmax", "logistic"):
        assert ((Z >= 0) & (Z <= 1)).all()
    if name == "exp":
        assert (Z > 0).all() and np.isfinite(Z).all()


def test_softmax_log_loss_value():
    rng = np.random.RandomState(1)
    Z = rng.normal(size=(6, 4))
    y = rng.randint(4, size=6)
    Y = np.eye(4)[y]
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    sw = rng.uniform(0.5, 2, size=6)
    w = sw / sw.sum()
    delta, work, row = np.empty_like(Z), np.empty_like(Z), np.empty((6, 1))
    loss = output_layer("softmax", Z, Y, sw, delta, work, row)
    np.testing.assert_allclose(loss, -np.sum(w * np.log(P[np.arange(6), y])))
    # the delta is weighted, not yet divided by the total weight
    np.testing.assert_allclose(delta, (P - Y) * sw[:, None])


def test_poisson_and_squared_error_values():
    rng = np.random.RandomState(3)
    Z = rng.normal(size=(5, 2))
    Y = rng.poisson(1.5, size=(5, 2)).astype(float)
    delta, work, row = np.empty_like(Z), np.empty_like(Z), np.empty((5, 1))
    P = np.exp(Z)
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogy = np.where(Y > 0, Y * np.log(Y / P), 0.0)
    expected = np.mean(np.sum(ylogy - Y + P, axis=1))
    loss = output_layer("exp", Z.copy(), Y, None, delta, work, row)
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    np.testing.assert_allclose(delta, P - Y, rtol=1e-12)
    # squared error: reported as scikit-learn does, averaged over the outputs;
    # the delta (and report=False's loss) is that of the sum over them
    loss = output_layer("identity", Z.copy(), Y, None, delta, work, row)
    np.testing.assert_allclose(loss, 0.5 * np.mean((Z - Y) ** 2))
    np.testing.assert_allclose(delta, Z - Y)
    loss = output_layer("identity", Z.copy(), Y, None, delta, work, row, False)
    np.testing.assert_allclose(loss, 0.5 * np.mean(np.sum((Z - Y) ** 2, axis=1)))


def test_binary_log_loss_value():
    rng = np.random.RandomState(2)
    Z = rng.normal(size=(8, 3))
    Y = (rng.uniform(size=(8, 3)) > 0.5).astype(float)
    P = expit(Z)
    expected = -np.mean(np.sum(Y * np.log(P) + (1 - Y) * np.log(1 - P), axis=1))
    delta, work, row = np.empty_like(Z), np.empty_like(Z), np.empty((8, 1))
    loss = output_layer("logistic", Z, Y, None, delta, work, row)
    np.testing.assert_allclose(loss, expected, rtol=1e-12)
    np.testing.assert_allclose(delta, P - Y)


def _make_problem(hidden, activation, output, n_outputs, seed=0, sparse=False):
    rng = np.random.RandomState(seed)
    n, d = 11, 4
    units = (d, *hidden, n_outputs)
    theta = glorot_uniform(units, [activation] * (len(units) - 1), rng, np.float64)
    net = Network(units, (activation,) * len(hidden), output, theta)
    X = rng.normal(size=(n, d))
    if output == "softmax":
        Y = np.eye(n_outputs)[rng.randint(n_outputs, size=n)]
    elif output == "logistic":
        Y = (rng.uniform(size=(n, n_outputs)) > 0.5).astype(float)
    elif output == "exp":
        Y = rng.poisson(2.0, size=(n, n_outputs)).astype(float)
    else:
        Y = rng.normal(size=(n, n_outputs))
    sw = rng.uniform(0.1, 3.0, size=n)
    if sparse:
        X[np.abs(X) < 0.7] = 0
        X = sp.csr_matrix(X)
    return net, X, Y, sw


def _relative_gradient_error(net, X, Y, sw, alpha, h=1e-6):
    ws = Workspace(net, X.shape[0])
    loss_and_gradient(net, X, Y, sw, alpha, ws)
    analytic = ws.grad.copy()
    numeric = np.empty_like(analytic)
    for k in range(net.theta.size):
        saved = net.theta[k]
        net.theta[k] = saved + h
        # report=False: the objective itself, not scikit-learn's report of it
        up = loss_and_gradient(net, X, Y, sw, alpha, ws, report=False)
        net.theta[k] = saved - h
        down = loss_and_gradient(net, X, Y, sw, alpha, ws, report=False)
        net.theta[k] = saved
        numeric[k] = (up - down) / (2 * h)
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return np.linalg.norm(analytic - numeric) / scale


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize(
    "output, n_outputs",
    [
        ("softmax", 3),
        ("logistic", 1),
        ("logistic", 3),
        ("identity", 1),
        ("identity", 2),
        ("exp", 1),
        ("exp", 2),
    ],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_matches_finite_differences(activation, output, n_outputs, weighted):
    net, X, Y, sw = _make_problem((5, 3), activation, output, n_outputs)
    error = _relative_gradient_error(net, X, Y, sw if weighted else None, alpha=0.1)
    assert error < 1e-6


@pytest.mark.parametrize("hidden", [(), (6,), (4, 3, 2)])
def test_gradient_any_depth_and_sparse_input(hidden):
    net, X, Y, sw = _make_problem(hidden, "tanh", "softmax", 3, sparse=True)
    assert _relative_gradient_error(net, X, Y, sw, alpha=0.01) < 1e-6


def test_flat_buffer_layout_and_views():
    units = (3, 4, 2)
    _, _, n_coef, n_params = layer_offsets(units)
    assert n_coef == 3 * 4 + 4 * 2 and n_params == n_coef + 4 + 2
    theta = np.arange(n_params, dtype=float)
    coefs, intercepts = split_flat(theta, units)
    assert [c.shape for c in coefs] == [(3, 4), (4, 2)]
    assert [b.shape for b in intercepts] == [(4,), (2,)]
    theta[:] = -1
    assert all((a == -1).all() for a in coefs + intercepts)


def test_glorot_bounds_and_reproducibility():
    units = (30, 20, 5)
    theta = glorot_uniform(
        units, ["relu", "relu"], np.random.RandomState(3), np.float32
    )
    again = glorot_uniform(
        units, ["relu", "relu"], np.random.RandomState(3), np.float32
    )
    assert theta.dtype == np.float32 and np.array_equal(theta, again)
    coefs, _ = split_flat(theta, units)
    assert np.abs(coefs[0]).max() <= np.sqrt(6 / 50)
    assert np.abs(coefs[0]).max() > 0.9 * np.sqrt(6 / 50)
    logistic = glorot_uniform(units, ["logistic"] * 2, np.random.RandomState(3), float)
    assert np.abs(split_flat(logistic, units)[0][0]).max() <= np.sqrt(2 / 50)


@pytest.mark.parametrize("block_rows", [1, 4, 5, 100])
def test_blocked_prediction_equals_one_pass(block_rows):
    net, X, _, _ = _make_problem((5, 3), "relu", "softmax", 3)
    whole = predict_logits(net.coefs, net.intercepts, net.activations, X, 10_000)
    blocked = predict_logits(net.coefs, net.intercepts, net.activations, X, block_rows)
    np.testing.assert_allclose(blocked, whole, rtol=1e-12)
