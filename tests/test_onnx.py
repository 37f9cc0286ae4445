"""ONNX export: ONNX Runtime reproduces predict and predict_proba."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier, ScratchMLPRegressor
from skscratch._core.activations import ACTIVATIONS as CORE_ACTIVATIONS
from skscratch._core.losses import OUTPUTS
from skscratch.onnx import register_skl2onnx, to_onnx
from skscratch.onnx._lowering import HIDDEN, OUTPUT

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ACTIVATIONS = list(CORE_ACTIVATIONS)
DTYPES = [np.float32, np.float64]
ATOL = {np.float32: 1e-5, np.float64: 1e-12}

rng = np.random.default_rng(0)
X = 2 * rng.normal(size=(80, 4))
TARGETS = {
    "binary": (X[:, 0] + X[:, 1] > 0).astype(int),
    "multiclass": (X[:, 0] > 0).astype(int) + (X[:, 1] > 1) * 2 + 7,
    "multilabel": np.c_[X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > 1].astype(int),
    "strings": np.array(["ant", "bee", "cat"])[
        (X[:, 0] > 0).astype(int) + (X[:, 2] > 1)
    ],
    "binary_strings": np.array(["no", "yes"])[(X[:, 3] > 0).astype(int)],
}
REGRESSION = {
    "single": X[:, 0] - X[:, 1] ** 2 / 4,
    "multi": np.c_[X[:, 0], np.sin(X[:, 1])],
    "poisson": np.c_[np.exp(X[:, 0] / 2), np.exp(-X[:, 1] / 3)],
}


@pytest.fixture
def onnx():
    """The onnx package (with onnxruntime), or a skip: pip install ".[onnx]"."""
    pytest.importorskip("onnxruntime")
    return pytest.importorskip("onnx")


@pytest.fixture
def skl2onnx(onnx):
    """skl2onnx, or a skip where the onnx extra is not installed."""
    return pytest.importorskip("skl2onnx")


def run(model, X):
    """Check the model and return ONNX Runtime's outputs for X."""
    onnx = pytest.importorskip("onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    onnx.checker.check_model(model, full_check=True)
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {"X": X})


def fit_classifier(y, activation="relu", dtype=np.float64, sizes=(5, 4)):
    clf = ScratchMLPClassifier(
        sizes, activation, max_iter=20, learning_rate_init=0.05, random_state=0
    )
    return clf.fit(X.astype(dtype), y)


def fit_regressor(y, activation="relu", dtype=np.float64, loss="squared_error"):
    reg = ScratchMLPRegressor(
        loss, (5, 4), activation, max_iter=20, learning_rate_init=0.02, random_state=0
    )
    return reg.fit(X.astype(dtype), y)


def assert_classifier_matches(clf, X_test, atol):
    label, proba = run(to_onnx(clf, X_test), X_test)
    expected = clf.predict(X_test)
    assert label.dtype == (object if expected.dtype.kind == "U" else np.int64)
    np.testing.assert_array_equal(label, expected)
    assert proba.dtype == X_test.dtype
    np.testing.assert_allclose(proba, clf.predict_proba(X_test), rtol=0, atol=atol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("task", list(TARGETS))
def test_classifier_matches_onnxruntime(task, activation, dtype, onnx):
    clf = fit_classifier(TARGETS[task], activation, dtype)
    assert clf.coefs_[0].dtype == dtype
    assert_classifier_matches(clf, X.astype(dtype), ATOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("target", list(REGRESSION))
def test_regressor_matches_onnxruntime(target, activation, dtype, onnx):
    loss = "poisson" if target == "poisson" else "squared_error"
    reg = fit_regressor(REGRESSION[target], activation, dtype, loss)
    X_test = X.astype(dtype)
    (values,) = run(to_onnx(reg, X_test), X_test)
    assert values.dtype == dtype
    assert values.shape == (len(X), reg.n_outputs_)
    np.testing.assert_allclose(
        values.reshape(reg.predict(X_test).shape),
        reg.predict(X_test),
        rtol=0,
        atol=ATOL[dtype],
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_per_layer_activations(dtype, onnx):
    activation = ["gelu", "elu", "softplus", "leaky_relu"]
    clf = fit_classifier(TARGETS["strings"], activation, dtype, (4, 4, 3, 3))
    assert_classifier_matches(clf, X.astype(dtype), ATOL[dtype])
    reg = ScratchMLPRegressor(hidden_layer_sizes=(3, 3), activation=["tanh", "gelu"])
    reg.set_params(max_iter=20, random_state=0).fit(X.astype(dtype), X[:, 0])
    (values,) = run(to_onnx(reg, X.astype(dtype)), X.astype(dtype))
    np.testing.assert_allclose(
        values.ravel(), reg.predict(X.astype(dtype)), rtol=0, atol=ATOL[dtype]
    )


@pytest.mark.parametrize("activation", ["elu", "gelu", "softplus", "leaky_relu"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_large_inputs(activation, dtype, onnx):
    # Far tails of the activations and saturated outputs.
    clf = fit_classifier(TARGETS["multiclass"], activation, dtype)
    X_big = (X * np.array([1, 10, 100, 1000])).astype(dtype)
    assert_classifier_matches(clf, X_big, ATOL[dtype])
    reg = fit_regressor(REGRESSION["poisson"], activation, dtype, "poisson")
    (values,) = run(to_onnx(reg, X_big), X_big)
    assert np.isfinite(values).all()
    np.testing.assert_allclose(values, reg.predict(X_big), rtol=1e-6, atol=1e-5)


def test_input_dtype_other_than_the_weights(onnx):
    """A float64 network takes float32 input, and a float32 network float64."""
    clf64 = fit_classifier(TARGETS["multiclass"], "gelu", np.float64)
    model = to_onnx(clf64)  # float32 input by default
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    X32 = X.astype(np.float32)
    label, proba = run(model, X32)
    assert proba.dtype == np.float32
    np.testing.assert_array_equal(label, clf64.predict(X32))
    np.testing.assert_allclose(proba, clf64.predict_proba(X32), atol=1e-6)
    reg32 = fit_regressor(REGRESSION["multi"], "elu", np.float32)
    (values,) = run(to_onnx(reg32, X), X)
    assert values.dtype == np.float64
    np.testing.assert_allclose(values, reg32.predict(X), atol=1e-5)


def test_float_labels_with_integer_values(onnx):
    clf = fit_classifier(TARGETS["multiclass"].astype(float))
    assert clf.classes_.dtype == np.float64
    label, _ = run(to_onnx(clf, X), X)
    assert label.dtype == np.int64
    np.testing.assert_array_equal(label, clf.predict(X))


def test_model_structure(onnx):
    clf = fit_classifier(TARGETS["strings"])
    model = to_onnx(clf, name="animals")
    graph = model.graph
    assert graph.name == "animals"
    assert model.producer_name == "skscratch"
    assert [i.name for i in graph.input] == ["X"]
    dims = graph.input[0].type.tensor_type.shape.dim
    assert not dims[0].HasField("dim_value")
    assert dims[1].dim_value == 4
    assert [o.name for o in graph.output] == ["label", "probabilities"]
    assert graph.output[0].type.tensor_type.elem_type == onnx.TensorProto.STRING
    assert model.opset_import[0].version == 17
    assert {"Gemm", "Softmax", "ArgMax", "Gather"} <= {n.op_type for n in graph.node}
    reg = fit_regressor(REGRESSION["single"])
    assert [o.name for o in to_onnx(reg).graph.output] == ["variable"]
    assert to_onnx(reg).graph.name == "ScratchMLPRegressor"


@pytest.mark.parametrize("opset", [13, 21])
def test_target_opset(opset, onnx):
    clf = fit_classifier(TARGETS["binary"], "gelu")
    model = to_onnx(clf, X, target_opset=opset)
    assert model.opset_import[0].version == opset
    assert_classifier_matches(clf, X, 1e-12)


def test_weights_are_stored_in_the_model_dtype(onnx):
    clf = fit_classifier(TARGETS["binary"], "relu", np.float64)
    types = {t.data_type for t in to_onnx(clf).graph.initializer}
    assert onnx.TensorProto.DOUBLE in types
    assert onnx.TensorProto.FLOAT not in types


def test_unfitted_estimator_raises(onnx):
    with pytest.raises(NotFittedError):
        to_onnx(ScratchMLPClassifier())
    with pytest.raises(NotFittedError):
        to_onnx(ScratchMLPRegressor())


def test_unexportable_models_raise(onnx):
    clf = fit_classifier(TARGETS["binary"])
    clf.activation = "swish"
    with pytest.raises(ValueError, match="activation 'swish'"):
        to_onnx(clf)
    clf = fit_classifier(TARGETS["binary"], ["relu", "gelu"])
    clf.activation = ["relu", "mish"]
    with pytest.raises(ValueError, match="activation 'mish'"):
        to_onnx(clf)
    clf = fit_classifier(TARGETS["binary"])
    clf.classes_ = np.array([0.5, 1.5])
    with pytest.raises(ValueError, match="integers or strings"):
        to_onnx(clf)
    clf = fit_classifier(TARGETS["binary"])
    with pytest.raises(ValueError, match="target_opset"):
        to_onnx(clf, target_opset=11)
    with pytest.raises(ValueError, match="4 features"):
        to_onnx(clf, X[:, :3])
    sk = MLPClassifier((3,), max_iter=5).fit(X, TARGETS["binary"])
    with pytest.raises(TypeError, match="MLPClassifier"):
        to_onnx(sk)


def test_missing_onnx_says_how_to_install(monkeypatch):
    clf = fit_classifier(TARGETS["binary"])
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r'pip install "skscratch\[onnx\]"'):
        to_onnx(clf)


def test_import_does_not_import_onnx():
    code = (
        "import sys, skscratch, skscratch.onnx; "
        "assert 'onnx' not in sys.modules, 'onnx imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_skl2onnx_registration(dtype, skl2onnx):
    register_skl2onnx()
    X_test = X.astype(dtype)
    for task in ("multiclass", "binary_strings", "multilabel"):
        y = TARGETS[task]
        pipe = make_pipeline(StandardScaler(), ScratchMLPClassifier((4,), "gelu"))
        pipe.set_params(scratchmlpclassifier__max_iter=10).fit(X, y)
        model = skl2onnx.to_onnx(
            pipe, X_test[:1], options={"zipmap": False}, target_opset=17
        )
        label, proba = run(model, X_test)
        np.testing.assert_array_equal(label, pipe.predict(X_test))
        np.testing.assert_allclose(proba, pipe.predict_proba(X_test), atol=1e-5)
    reg = fit_regressor(REGRESSION["poisson"], "softplus", loss="poisson")
    (values,) = run(skl2onnx.to_onnx(reg, X_test[:1], target_opset=17), X_test)
    np.testing.assert_allclose(values, reg.predict(X_test), atol=ATOL[dtype])


def test_skl2onnx_knows_the_drop_in_names(skl2onnx):
    # code written for scikit-learn's MLP, with the import changed, converts
    import skscratch

    register_skl2onnx()
    X32 = X.astype(np.float32)
    clf = make_pipeline(StandardScaler(), skscratch.MLPClassifier((4,), max_iter=10))
    clf.fit(X, TARGETS["multiclass"])
    model = skl2onnx.to_onnx(clf, X32[:1], options={"zipmap": False}, target_opset=17)
    label, proba = run(model, X32)
    np.testing.assert_array_equal(label, clf.predict(X32))
    np.testing.assert_allclose(proba, clf.predict_proba(X32), atol=1e-5)
    reg = skscratch.MLPRegressor(hidden_layer_sizes=(4,), max_iter=10)
    reg.fit(X, REGRESSION["multi"])
    (values,) = run(skl2onnx.to_onnx(reg, X32[:1], target_opset=17), X32)
    np.testing.assert_allclose(values, reg.predict(X32), atol=ATOL[np.float32])


def test_skl2onnx_default_zipmap(skl2onnx):
    # skl2onnx's default ZipMap gives one dict of probabilities per sample
    # (ONNX's ZipMap takes float32 only).
    register_skl2onnx()
    clf = fit_classifier(TARGETS["binary_strings"], "tanh")
    X32 = X.astype(np.float32)
    label, maps = run(skl2onnx.to_onnx(clf, X32[:1], target_opset=17), X32)
    np.testing.assert_array_equal(label, clf.predict(X32))
    expected = clf.predict_proba(X32)[0]
    assert maps[0] == pytest.approx({"no": expected[0], "yes": expected[1]}, abs=1e-5)


def test_lowering_tables_are_keyed_like_the_core_registries():
    assert list(HIDDEN) == list(CORE_ACTIVATIONS)
    # the output layers' activations: the losses that share one (identity)
    # share its lowering
    assert set(OUTPUT) == {layer.activation_name for layer in OUTPUTS.values()}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", ["absolute_error", "huber", "quantile"])
def test_new_losses_export(loss, dtype, onnx):
    # prediction does not depend on the loss: an identity output
    reg = fit_regressor(REGRESSION["multi"], "tanh", dtype, loss)
    X_test = X.astype(dtype)
    (values,) = run(to_onnx(reg, X_test), X_test)
    np.testing.assert_allclose(values, reg.predict(X_test), rtol=0, atol=ATOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layer", [0, 1, -1])
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_transform_export(kind, layer, dtype, onnx):
    if kind == "clf":
        est = fit_classifier(TARGETS["strings"], "gelu", dtype)
    else:
        est = fit_regressor(REGRESSION["single"], "softplus", dtype)
    est.set_params(transform_layer=layer)
    X_test = X.astype(dtype)
    model = to_onnx(est, X_test, method="transform")
    assert [o.name for o in model.graph.output] == ["features"]
    (features,) = run(model, X_test)
    assert features.dtype == dtype
    expected = est.transform(X_test)
    np.testing.assert_allclose(features, expected, rtol=0, atol=ATOL[dtype])


def test_transform_export_errors(onnx):
    reg = fit_regressor(REGRESSION["single"])
    with pytest.raises(ValueError, match="method must be 'predict' or 'transform'"):
        to_onnx(reg, method="predict_proba")
    reg.set_params(transform_layer=2)
    with pytest.raises(ValueError, match="transform_layer=2 is out of range"):
        to_onnx(reg, method="transform")


def test_skl2onnx_refuses_a_middle_step(skl2onnx):
    # skl2onnx would feed the next step the predictions, not the features.
    # (A classifier's two outputs are refused by the next step's converter.)
    from sklearn.linear_model import LogisticRegression

    register_skl2onnx()
    y = TARGETS["binary"]
    network = fit_regressor(REGRESSION["single"])
    pipe = make_pipeline(network, LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match=r"cannot convert .* as a middle step"):
        skl2onnx.to_onnx(pipe, X[:1].astype(np.float32))
    # as the last step it converts, as before
    final = make_pipeline(StandardScaler(), network).fit(X, REGRESSION["single"])
    (values,) = run(
        skl2onnx.to_onnx(final, X[:1].astype(np.float32)), X.astype(np.float32)
    )
    np.testing.assert_allclose(values.ravel(), final.predict(X), atol=1e-4)
