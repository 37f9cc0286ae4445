"""transform: a fitted network's hidden layer as features."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_checks
from sklearn.utils._param_validation import InvalidParameterError

from skscratch import (
    MLPClassifier,
    MLPRegressor,
    ScratchMLPClassifier,
    ScratchMLPRegressor,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

rng = np.random.RandomState(0)
X = rng.normal(size=(120, 5))
Y = {
    "clf": (X[:, 0] + X[:, 1] > 0).astype(int),
    "reg": X[:, 0] - X[:, 2] ** 2,
}
CLASSES = {
    "clf": (ScratchMLPClassifier, MLPClassifier),
    "reg": (ScratchMLPRegressor, MLPRegressor),
}
ACTIVATION = {
    "relu": lambda z: np.maximum(z, 0),
    "tanh": np.tanh,
    "logistic": expit,
    "identity": lambda z: z,
}


def _fit(kind, named=False, **params):
    cls = CLASSES[kind][1 if named else 0]
    params = {"hidden_layer_sizes": (6, 4, 3), "max_iter": 30, **params}
    return cls(random_state=0, **params).fit(X, Y[kind])


def _by_hand(est, X, layer):
    """Activations of hidden layer ``layer`` by a plain loop over the layers."""
    names = est.activation
    names = [names] * (len(est.coefs_) - 1) if isinstance(names, str) else names
    A = X
    for W, b, name in zip(
        est.coefs_[: layer + 1], est.intercepts_, names, strict=False
    ):
        A = ACTIVATION[name](A @ W + b)
    return A


@pytest.mark.parametrize("kind", ["clf", "reg"])
@pytest.mark.parametrize(
    "activation", ["relu", "tanh", ["logistic", "identity", "tanh"]]
)
@pytest.mark.parametrize("layer, index", [(-1, 2), (0, 0), (1, 1), (-3, 0)])
def test_transform_is_the_hidden_layer(kind, activation, layer, index):
    est = _fit(kind, activation=activation, transform_layer=layer)
    features = est.transform(X)
    assert features.shape == (len(X), est.hidden_layer_sizes[index])
    np.testing.assert_allclose(features, _by_hand(est, X, index), rtol=1e-12)


@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_transform_layer_changes_nothing_else(kind):
    # the parameter is read by transform only: training and predictions are
    # those of the default
    default = _fit(kind)
    first = _fit(kind, transform_layer=0)
    assert first.loss_curve_ == default.loss_curve_
    np.testing.assert_array_equal(first.predict(X), default.predict(X))
    # and the model reads it when transforming, not when fitted
    default.set_params(transform_layer=0)
    np.testing.assert_array_equal(default.transform(X), first.transform(X))


@pytest.mark.parametrize("kind", ["clf", "reg"])
@pytest.mark.parametrize("layer", [3, -4, 10])
def test_out_of_range_layer_raises_at_transform(kind, layer):
    est = _fit(kind, transform_layer=layer)  # fitting does not need it
    message = rf"transform_layer={layer} is out of range.*3 hidden layer"
    with pytest.raises(ValueError, match=message):
        est.transform(X)
    with pytest.raises(ValueError, match=message):
        est.get_feature_names_out()
    with pytest.raises(ValueError, match=message):
        clone(est).fit_transform(X, Y[kind])


@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_no_hidden_layer_raises_at_transform(kind):
    est = CLASSES[kind][0](hidden_layer_sizes=(), max_iter=5).fit(X, Y[kind])
    with pytest.raises(ValueError, match="this network has none"):
        est.transform(X)


@pytest.mark.parametrize("kind", ["clf", "reg"])
@pytest.mark.parametrize("bad", [1.5, "last", None, [0]])
def test_bad_transform_layer_raises_sklearn_error(kind, bad):
    est = CLASSES[kind][0](transform_layer=bad, max_iter=5)
    with pytest.raises(InvalidParameterError, match="'transform_layer' parameter"):
        est.fit(X, Y[kind])


@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_unfitted_transform_raises(kind):
    est = CLASSES[kind][0]()
    with pytest.raises(NotFittedError):
        est.transform(X)
    with pytest.raises(NotFittedError):
        est.get_feature_names_out()


@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_fit_transform_is_fit_then_transform(kind):
    sw = rng.uniform(0.5, 2, size=len(X))
    est = CLASSES[kind][0](hidden_layer_sizes=(4,), max_iter=20, random_state=0)
    features = clone(est).fit_transform(X, Y[kind], sample_weight=sw)
    fitted = clone(est).fit(X, Y[kind], sample_weight=sw)
    np.testing.assert_array_equal(features, fitted.transform(X))
    # the weights reached fit: without them the features differ
    assert not np.array_equal(features, clone(est).fit_transform(X, Y[kind]))


@pytest.mark.parametrize(
    "kind, named, prefix",
    [
        ("clf", True, "mlpclassifier"),
        ("clf", False, "scratchmlpclassifier"),
        ("reg", True, "mlpregressor"),
        ("reg", False, "scratchmlpregressor"),
    ],
)
def test_feature_names_out(kind, named, prefix):
    est = _fit(kind, named=named, transform_layer=1)
    names = est.get_feature_names_out()
    assert list(names) == [f"{prefix}{i}" for i in range(4)]
    assert names.dtype == object


@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_set_output_pandas(kind):
    pd = pytest.importorskip("pandas")  # the pandas extra
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)], index=X[:, 0] * 10)
    est = CLASSES[kind][1](hidden_layer_sizes=(3,), max_iter=20, random_state=0)
    est.set_output(transform="pandas")
    out = est.fit_transform(frame, Y[kind])
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [
        f"{est.__class__.__name__.lower()}{i}" for i in range(3)
    ]
    assert out.index.equals(frame.index)
    np.testing.assert_array_equal(out.to_numpy(), clone(est).fit_transform(X, Y[kind]))
    # predictions are not transformed output: they stay arrays
    assert isinstance(est.predict(frame), np.ndarray)


# scikit-learn's set_output and feature-name checks, which its
# check_estimator leaves to its own test suite (those this release has)
SKLEARN_CHECKS = [
    getattr(estimator_checks, name)
    for name in [
        "check_set_output_transform",
        "check_set_output_transform_pandas",
        "check_global_output_transform_pandas",
        "check_transformer_get_feature_names_out",
        "check_transformer_get_feature_names_out_pandas",
        "check_get_feature_names_out_error",
    ]
    if hasattr(estimator_checks, name)
]


@pytest.mark.parametrize("check", SKLEARN_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "est",
    [MLPClassifier(random_state=0), MLPRegressor(random_state=0, transform_layer=0)],
    ids=["clf", "reg"],
)
def test_sklearn_output_checks(est, check):
    check(type(est).__name__, est)


def test_pipeline_middle_step():
    # scaled data -> the network's last hidden layer -> a linear model
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=300, random_state=0
    )
    pipe = make_pipeline(StandardScaler(), clf, LogisticRegression())
    y = Y["clf"]
    pipe.fit(X, y)
    network = pipe.named_steps["mlpclassifier"]
    features = network.transform(StandardScaler().fit_transform(X))
    linear = LogisticRegression().fit(features, y)
    np.testing.assert_allclose(pipe.predict_proba(X), linear.predict_proba(features))
    assert pipe.score(X, y) > 0.9
    names = pipe[:-1].get_feature_names_out()
    assert list(names) == [f"mlpclassifier{i}" for i in range(8)]


@pytest.mark.parametrize("kind", ["clf", "reg"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_kept(kind, dtype):
    est = CLASSES[kind][0](hidden_layer_sizes=(4, 3), max_iter=10, random_state=0)
    features = est.fit_transform(X.astype(dtype), Y[kind])
    assert features.dtype == dtype
    # float64 input to a float32 model gives the model's dtype, as predict does
    assert est.transform(X).dtype == dtype


@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_sparse_input(kind):
    est = _fit(kind)
    np.testing.assert_allclose(
        est.transform(sp.csr_matrix(X)), est.transform(X), rtol=1e-12
    )


@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_partial_fit_and_warm_start(kind):
    params = {"hidden_layer_sizes": (5,), "random_state": 0}
    streamed = CLASSES[kind][0](**params)
    classes = {"classes": [0, 1]} if kind == "clf" else {}
    streamed.partial_fit(X, Y[kind], **classes)
    before = streamed.transform(X)
    streamed.partial_fit(X, Y[kind])
    after = streamed.transform(X)
    assert after.shape == before.shape and not np.array_equal(after, before)
    np.testing.assert_allclose(after, _by_hand(streamed, X, 0), rtol=1e-12)
    warm = CLASSES[kind][0](max_iter=3, warm_start=True, **params).fit(X, Y[kind])
    first = warm.transform(X)
    warm.fit(X, Y[kind])
    assert warm.transform(X).shape == first.shape
    assert not np.array_equal(warm.transform(X), first)
    np.testing.assert_allclose(warm.transform(X), _by_hand(warm, X, 0), rtol=1e-12)


def test_autoencoder_matches_pca_on_a_plane():
    # Points near a 2-D plane in 10-D: a linear autoencoder with a 2-unit
    # middle layer finds the plane, as PCA does, and reconstructs unseen
    # points about as well.
    r = np.random.RandomState(1)
    basis = r.normal(size=(2, 10))
    X_all = r.normal(size=(600, 2)) @ basis + 0.05 * r.normal(size=(600, 10))
    X_train, X_test = X_all[:400], X_all[400:]
    auto = ScratchMLPRegressor(
        hidden_layer_sizes=(2,),
        activation="identity",
        solver="lbfgs",
        max_iter=500,
        random_state=0,
    ).fit(X_train, X_train)
    code = auto.transform(X_test)
    assert code.shape == (200, 2)
    error = np.mean((auto.predict(X_test) - X_test) ** 2)
    pca = PCA(2).fit(X_train)
    pca_error = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    variance = np.mean((X_test - X_train.mean(axis=0)) ** 2)
    assert error < 1.1 * pca_error
    assert error < 0.01 * variance
