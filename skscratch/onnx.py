r"""Export fitted networks to ONNX.

:func:`to_onnx` writes the forward pass of a fitted
:class:`~skscratch.ScratchMLPClassifier` or
:class:`~skscratch.ScratchMLPRegressor` as an ONNX graph, built node by node
with ``onnx.helper``: one ``Gemm`` per layer, each activation from standard
ONNX operators, then the output layer. The graph follows the conventions of
``skl2onnx``: an input ``X`` of shape ``(None, n_features_in_)``; for a
classifier the outputs ``label`` and ``probabilities``, for a regressor the
output ``variable`` of shape ``(None, n_outputs_)``.

The graph computes in the dtype of the fitted weights, whatever the dtype of
its input (``X`` is cast on the way in, the outputs on the way out), as
``predict`` does. ONNX Runtime has no float64 kernels for ``Elu``,
``Softplus`` and ``Erf``, so float64 networks write those activations with
operators it does have, to within float64 rounding; GELU's
:math:`\Phi(z) = \frac{1}{2} \operatorname{erfc}(-z / \sqrt{2})` then comes
from a Chebyshev expansion of the scaled complementary error function,
accurate to about :math:`10^{-15}`.

``onnx`` is imported only when a model is exported: install it, and
``onnxruntime`` to run the models, with ``pip install "skscratch[onnx]"``.
"""

import functools
import math

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

import skscratch
from skscratch._base import BaseScratchMLP

__all__ = ["register_skl2onnx", "to_onnx"]

#: Opset of the exported models unless ``target_opset`` says otherwise.
DEFAULT_OPSET = 17

#: Oldest opset the graph is written for (Softmax over one axis, Clip and
#: Squeeze taking their bounds and axes as inputs).
MIN_OPSET = 13

_INSTALL_HINT = (
    'exporting to ONNX needs the onnx package: pip install "skscratch[onnx]" '
    "(that is, pip install onnx onnxruntime)"
)

_HIDDEN = (
    "identity",
    "logistic",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "softplus",
)

# Slope of leaky ReLU and alpha of ELU, as in skscratch._core.activations.
_LEAKY_SLOPE = 0.01
_ELU_ALPHA = 1.0

# Degree of the Chebyshev expansion behind float64 GELU.
_ERFC_DEGREE = 28


def _import_onnx():
    """Import onnx, or say how to install it."""
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return onnx, helper, numpy_helper


@functools.cache
def _erfc_coefficients():
    r"""Chebyshev coefficients of :math:`h(s) = \log(\operatorname{erfcx}(a) / t)`.

    With :math:`t = 2 / (2 + a) \in (0, 1]` and :math:`s = 2t - 1`,
    :math:`\operatorname{erfc}(a) = t \, e^{h(s) - a^2}` for :math:`a \ge 0`;
    :math:`h` is smooth on :math:`[-1, 1]` (it tends to
    :math:`-\log(2\sqrt{\pi})` as :math:`a \to \infty`).
    """
    from scipy.special import erfcx

    def h(s):
        t = np.maximum((s + 1) / 2, np.finfo(np.float64).tiny)
        return np.log(erfcx(2 / t - 2) / t)

    return np.polynomial.chebyshev.chebinterpolate(h, _ERFC_DEGREE)


class _Graph:
    """Nodes and initializers of a graph under construction.

    Every method that adds a node returns the name of its output, so that
    expressions read as nested calls. Constants become initializers in the
    compute dtype unless an array of another dtype is given.
    """

    def __init__(self, helper, numpy_helper, dtype, unique):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.dtype = np.dtype(dtype)
        self.unique = unique
        self.nodes, self.initializers = [], []

    def const(self, value, hint="c"):
        """Add an initializer; plain numbers take the compute dtype."""
        if not isinstance(value, np.ndarray):
            value = np.asarray(value, dtype=self.dtype)
        name = self.unique(hint)
        self.initializers.append(self.numpy_helper.from_array(value, name))
        return name

    def op(self, op_type, *inputs, output=None, **attrs):
        """Add a node with one output; numbers among the inputs become constants."""
        inputs = [
            name if isinstance(name, str) else self.const(name) for name in inputs
        ]
        output = output or self.unique(op_type.lower())
        self.nodes.append(
            self.helper.make_node(
                op_type, inputs, [output], name=self.unique(op_type), **attrs
            )
        )
        return output

    # ------------------------------------------------------------ activations
    def activation(self, name, Z):
        """Apply the hidden activation ``name`` to ``Z``."""
        native = self.dtype == np.float32
        if name == "identity":
            return Z
        if name == "logistic":
            return self.op("Sigmoid", Z)
        if name == "tanh":
            return self.op("Tanh", Z)
        if name == "relu":
            return self.op("Relu", Z)
        if name == "leaky_relu":
            if native:
                return self.op("LeakyRelu", Z, alpha=_LEAKY_SLOPE)
            # The float attribute would round the slope to float32.
            return self.op("Max", Z, self.op("Mul", Z, _LEAKY_SLOPE))
        if name == "elu":
            if native:
                return self.op("Elu", Z, alpha=_ELU_ALPHA)
            # max(z, 0) + (exp(min(z, 0)) - 1)
            expm1 = self.op("Sub", self.op("Exp", self.op("Min", Z, 0.0)), 1.0)
            return self.op("Add", self.op("Relu", Z), expm1)
        if name == "softplus":
            if native:
                return self.op("Softplus", Z)
            # max(z, 0) + log(1 + exp(-|z|)), which never overflows
            tail = self.op("Exp", self.op("Neg", self.op("Abs", Z)))
            return self.op(
                "Add", self.op("Relu", Z), self.op("Log", self.op("Add", tail, 1.0))
            )
        if name == "gelu":
            if native:
                # 0.5 z (1 + erf(z / sqrt 2))
                erf = self.op("Erf", self.op("Mul", Z, 1 / math.sqrt(2)))
                half_z = self.op("Mul", Z, 0.5)
                return self.op("Mul", half_z, self.op("Add", erf, 1.0))
            return self.op("Mul", Z, self.normal_cdf(Z))
        raise ValueError(
            f"cannot export the activation {name!r} to ONNX; supported hidden "
            f"activations: {', '.join(_HIDDEN)}."
        )

    def normal_cdf(self, Z):
        r"""Return the standard normal distribution function of ``Z``.

        :math:`\Phi(z) = \frac{1}{2}\operatorname{erfc}(x)` with
        :math:`x = -z / \sqrt 2`, where
        :math:`\operatorname{erfc}(a) = t \, e^{h(s) - a^2}` for
        :math:`a = |x|`, with :math:`h` summed by Clenshaw's recurrence (see
        :func:`_erfc_coefficients`), and
        :math:`\operatorname{erfc}(x) = 2 - \operatorname{erfc}(-x)` for
        :math:`x < 0`.
        """
        x = self.op("Mul", Z, -1 / math.sqrt(2))
        a = self.op("Abs", x)
        t = self.op("Div", 2.0, self.op("Add", a, 2.0))
        s = self.op("Sub", self.op("Mul", t, 2.0), 1.0)
        two_s = self.op("Mul", s, 2.0)
        c = [float(ck) for ck in _erfc_coefficients()]
        b1, b2 = c[-1], None  # b_{k+1} and b_{k+2}, from b_n = c_n, b_{n+1} = 0
        for k in range(len(c) - 2, 0, -1):  # b_k = c_k + 2 s b_{k+1} - b_{k+2}
            bk = self.op("Add", self.op("Mul", two_s, b1), c[k])
            if b2 is not None:
                bk = self.op("Sub", bk, b2)
            b1, b2 = bk, b1
        h = self.op("Sub", self.op("Add", self.op("Mul", s, b1), c[0]), b2)
        exponent = self.op("Sub", h, self.op("Mul", a, a))
        erfc_a = self.op("Mul", t, self.op("Exp", exponent))
        erfc_x = self.op(
            "Where", self.op("Less", x, 0.0), self.op("Sub", 2.0, erfc_a), erfc_a
        )
        return self.op("Mul", erfc_x, 0.5)


def _label_values(classes):
    """Return ``classes_`` as an int64 or string array for the ``label`` output."""
    classes = np.asarray(classes)
    if classes.dtype.kind in "biu":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f" and np.array_equal(classes, np.round(classes)):
        return classes.astype(np.int64)
    if classes.dtype.kind in "US" or (
        classes.dtype.kind == "O" and all(isinstance(c, str) for c in classes)
    ):
        return np.array([str(c) for c in classes], dtype=object)
    raise ValueError(
        "cannot export classes_ of dtype "
        f"{classes.dtype} to ONNX: labels must be integers or strings."
    )


def _hidden_activations(estimator):
    """Name of the activation of every hidden layer, checked for export."""
    n_hidden = len(estimator.coefs_) - 1
    activation = estimator.activation
    names = [activation] * n_hidden if isinstance(activation, str) else list(activation)
    for name in names:
        if name not in _HIDDEN:
            raise ValueError(
                f"cannot export the activation {name!r} to ONNX; supported "
                f"hidden activations: {', '.join(_HIDDEN)}."
            )
    if len(names) != n_hidden:
        raise ValueError(
            f"activation {activation!r} does not give one name per hidden "
            f"layer ({n_hidden})."
        )
    return names


def _check_exportable(estimator):
    """Raise unless ``estimator`` is a fitted skscratch network."""
    if not isinstance(estimator, BaseScratchMLP):
        raise TypeError(
            "to_onnx exports ScratchMLPClassifier and ScratchMLPRegressor, got "
            f"{type(estimator).__name__}."
        )
    check_is_fitted(estimator, ["coefs_", "intercepts_"])
    _hidden_activations(estimator)
    known = ("softmax", "logistic") if is_classifier(estimator) else ("identity", "exp")
    if estimator.out_activation_ not in known:
        raise ValueError(
            f"cannot export the output activation {estimator.out_activation_!r} "
            f"to ONNX; supported: {', '.join(known)}."
        )
    multilabel = estimator.out_activation_ == "logistic" and estimator.n_outputs_ > 1
    if is_classifier(estimator) and not multilabel:
        _label_values(estimator.classes_)


def _compute_dtype(estimator):
    """Return the dtype of the fitted weights (float32 or float64)."""
    dtype = np.result_type(*estimator.coefs_, *estimator.intercepts_)
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _build(g, estimator, X, outputs, out_type):
    """Add the network's nodes to ``g``, from the input ``X`` to ``outputs``.

    Parameters
    ----------
    g : _Graph
        The graph, in the compute dtype of the network.
    estimator : ScratchMLPClassifier or ScratchMLPRegressor
        The fitted network.
    X : str
        Name of the input, of ONNX element type ``out_type``.
    outputs : dict
        Names of the outputs: 'label' and 'probabilities' for a classifier,
        'variable' for a regressor.
    out_type : int
        ONNX element type of the input and of the float outputs.
    """
    compute_type = g.helper.np_dtype_to_tensor_dtype(g.dtype)
    A = X if out_type == compute_type else g.op("Cast", X, to=compute_type)
    names = _hidden_activations(estimator)
    layers = list(zip(estimator.coefs_, estimator.intercepts_, strict=True))
    for l, (W, b) in enumerate(layers):
        W = g.const(np.asarray(W, dtype=g.dtype), f"coef{l}")
        b = g.const(np.asarray(b, dtype=g.dtype), f"intercept{l}")
        A = g.op("Gemm", A, W, b)
        if l < len(names):
            A = g.activation(names[l], A)
    # Logits beyond the float range are clipped to a quarter of it, as in
    # predict, so that the output layer still gives numbers.
    limit = np.finfo(g.dtype).max / 4
    Z = g.op("Clip", A, -limit, limit)

    def emit(value, role):
        """Write ``value`` to the output ``role``, in the input's float type."""
        if out_type == compute_type:
            return g.op("Identity", value, output=outputs[role])
        return g.op("Cast", value, output=outputs[role], to=out_type)

    out = estimator.out_activation_
    if out == "identity":
        emit(Z, "variable")
        return
    if out == "exp":
        bound = 0.5 * np.log(np.finfo(g.dtype).max)
        emit(g.op("Exp", g.op("Clip", Z, -bound, bound)), "variable")
        return
    if out == "softmax":
        # Floored at the smallest normal float, as predict_proba does.
        tiny = float(np.finfo(g.dtype).tiny)
        emit(g.op("Max", g.op("Softmax", Z, axis=1), tiny), "probabilities")
        index = g.op("ArgMax", Z, axis=1, keepdims=0)
    else:  # logistic: binary or multilabel
        eps = float(np.finfo(g.dtype).eps)
        P = g.op("Clip", g.op("Sigmoid", Z), eps, 1 - eps)
        positive = g.op(
            "Cast",
            g.op("Greater", Z, 0.0),
            to=g.helper.np_dtype_to_tensor_dtype(np.dtype(np.int64)),
        )
        if estimator.n_outputs_ > 1:  # multilabel: a 0/1 indicator matrix
            emit(P, "probabilities")
            g.op("Identity", positive, output=outputs["label"])
            return
        emit(g.op("Concat", g.op("Sub", 1.0, P), P, axis=1), "probabilities")
        index = g.op("Squeeze", positive, g.const(np.array([1], np.int64), "axis"))
    classes = g.const(_label_values(estimator.classes_), "classes")
    g.op("Gather", classes, index, output=outputs["label"], axis=0)


def _input_dtype(X_sample, n_features):
    """Return the input's dtype: float64 for a float64 sample, else float32."""
    if X_sample is None:
        return np.dtype(np.float32)
    if not (hasattr(X_sample, "dtype") and hasattr(X_sample, "shape")):
        X_sample = np.asarray(X_sample)
    if X_sample.ndim != 2 or X_sample.shape[1] != n_features:
        raise ValueError(
            f"X_sample has shape {X_sample.shape}, but the model was fitted "
            f"on {n_features} features."
        )
    return np.dtype(np.float64 if X_sample.dtype == np.float64 else np.float32)


def _opset(onnx, target_opset):
    """Check ``target_opset`` (None: the default, if onnx knows it)."""
    latest = onnx.defs.onnx_opset_version()
    if target_opset is None:
        return min(DEFAULT_OPSET, latest)
    if not MIN_OPSET <= target_opset <= latest:
        raise ValueError(
            f"target_opset must be between {MIN_OPSET} and {latest} (the "
            f"newest opset of onnx {onnx.__version__}), got {target_opset}."
        )
    return int(target_opset)


def _namer():
    """Return a function giving a fresh name for every hint."""
    counts = {}

    def unique(hint):
        counts[hint] = counts.get(hint, -1) + 1
        return hint if counts[hint] == 0 else f"{hint}_{counts[hint]}"

    return unique


def to_onnx(estimator, X_sample=None, *, target_opset=None, name=None):
    """Export a fitted network to an ONNX model.

    The model computes what ``predict`` and ``predict_proba`` (classifier) or
    ``predict`` (regressor) return, in the dtype of the fitted weights.

    Parameters
    ----------
    estimator : ScratchMLPClassifier or ScratchMLPRegressor
        The fitted network.
    X_sample : array-like of shape (n_samples, n_features), default=None
        Sample input; only its dtype is used: float64 gives a float64 input
        ``X``, anything else (or None) a float32 one. Its number of columns
        must be ``n_features_in_``.
    target_opset : int, default=None
        ONNX opset of the model, from 13 to the newest that the installed
        onnx knows; None gives 17 (or older onnx's newest).
    name : str, default=None
        Name of the graph; None gives the estimator's class name.

    Returns
    -------
    model : onnx.ModelProto
        The model. Its input ``X`` has shape ``(None, n_features_in_)``. A
        classifier's outputs are ``label`` (shape ``(None,)``, int64 or
        string like ``classes_``; for a multilabel model, an int64 0/1
        indicator matrix of shape ``(None, n_outputs_)``) and
        ``probabilities`` (shape ``(None, n_classes)``); a regressor's output
        is ``variable``, of shape ``(None, n_outputs_)``. Float outputs have
        the dtype of ``X``.

    Raises
    ------
    ImportError
        If onnx is not installed.
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    ValueError
        If an activation, the class labels or ``target_opset`` cannot be
        exported, or ``X_sample`` has the wrong number of features.
    TypeError
        If the estimator is not a skscratch network.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn.datasets import load_iris
    >>> from skscratch import ScratchMLPClassifier
    >>> from skscratch.onnx import to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> clf = ScratchMLPClassifier((8,), solver="lbfgs", random_state=0)
    >>> clf = clf.fit(X, y)
    >>> model = to_onnx(clf, X[:1])
    >>> session = ort.InferenceSession(
    ...     model.SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> label, proba = session.run(None, {"X": X})
    >>> bool(np.array_equal(label, clf.predict(X)))
    True
    >>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-5))
    True
    """
    onnx, helper, numpy_helper = _import_onnx()
    _check_exportable(estimator)
    opset = _opset(onnx, target_opset)
    n_features = estimator.n_features_in_
    in_dtype = _input_dtype(X_sample, n_features)
    in_type = helper.np_dtype_to_tensor_dtype(in_dtype)

    unique = _namer()
    for reserved in ("X", "label", "probabilities", "variable"):
        unique(reserved)
    g = _Graph(helper, numpy_helper, _compute_dtype(estimator), unique)
    inputs = [helper.make_tensor_value_info("X", in_type, [None, n_features])]
    if is_classifier(estimator):
        n_out = estimator.n_outputs_
        if estimator.out_activation_ == "logistic" and n_out > 1:
            label_type, label_shape = onnx.TensorProto.INT64, [None, n_out]
        else:
            label_type = helper.np_dtype_to_tensor_dtype(
                _label_values(estimator.classes_).dtype
            )
            label_shape = [None]
        n_columns = (
            2 if estimator.out_activation_ == "logistic" and n_out == 1 else n_out
        )
        outputs = [
            helper.make_tensor_value_info("label", label_type, label_shape),
            helper.make_tensor_value_info("probabilities", in_type, [None, n_columns]),
        ]
    else:
        outputs = [
            helper.make_tensor_value_info(
                "variable", in_type, [None, estimator.n_outputs_]
            )
        ]
    _build(g, estimator, "X", {o.name: o.name for o in outputs}, in_type)

    graph = helper.make_graph(
        g.nodes,
        name or type(estimator).__name__,
        inputs,
        outputs,
        initializer=g.initializers,
    )
    opset_ids = [helper.make_opsetid("", opset)]
    model = helper.make_model(
        graph,
        opset_imports=opset_ids,
        producer_name="skscratch",
        producer_version=skscratch.__version__,
        ir_version=helper.find_min_ir_version_for(opset_ids),
    )
    return model


def _skl2onnx_shapes(operator):
    """Set the types and shapes of an operator's outputs (skl2onnx hook)."""
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )

    estimator = operator.raw_operator
    input_type = operator.inputs[0].type
    if not isinstance(input_type, FloatTensorType | DoubleTensorType):
        raise ValueError(
            f"{type(estimator).__name__} takes float or double inputs in ONNX, "
            f"got {type(input_type).__name__}."
        )
    float_type = type(input_type)
    N = operator.inputs[0].get_first_dimension()
    if not is_classifier(estimator):
        operator.outputs[0].type = float_type([N, estimator.n_outputs_])
        return
    n_out = estimator.n_outputs_
    if estimator.out_activation_ == "logistic" and n_out > 1:
        operator.outputs[0].type = Int64TensorType([N, n_out])
    elif _label_values(estimator.classes_).dtype == object:
        operator.outputs[0].type = StringTensorType([N])
    else:
        operator.outputs[0].type = Int64TensorType([N])
    binary = estimator.out_activation_ == "logistic" and n_out == 1
    operator.outputs[1].type = float_type([N, 2 if binary else n_out])


def _skl2onnx_convert(scope, operator, container):
    """Write the network's nodes into an skl2onnx container (skl2onnx hook)."""
    onnx, helper, numpy_helper = _import_onnx()
    estimator = operator.raw_operator
    _check_exportable(estimator)
    if container.target_opset < MIN_OPSET:
        raise ValueError(
            f"{type(estimator).__name__} needs target_opset >= {MIN_OPSET}, got "
            f"{container.target_opset}."
        )
    in_type = operator.inputs[0].type.to_onnx_type().tensor_type.elem_type
    roles = ["label", "probabilities"] if is_classifier(estimator) else ["variable"]
    outputs = {
        role: variable.full_name
        for role, variable in zip(roles, operator.outputs, strict=True)
    }
    g = _Graph(
        helper, numpy_helper, _compute_dtype(estimator), scope.get_unique_variable_name
    )
    _build(g, estimator, operator.inputs[0].full_name, outputs, in_type)
    for tensor in g.initializers:
        values = numpy_helper.to_array(tensor)
        if tensor.data_type == onnx.TensorProto.STRING:
            values = [
                str(v).encode() if not isinstance(v, bytes) else v for v in values
            ]
        else:
            values = values.ravel()
        container.add_initializer(
            tensor.name, tensor.data_type, list(tensor.dims), values
        )
    for node in g.nodes:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        container.add_node(
            node.op_type, list(node.input), list(node.output), name=node.name, **attrs
        )


def register_skl2onnx():
    """Register both estimators with skl2onnx, so that its converters know them.

    After this call ``skl2onnx.to_onnx`` converts a fitted network, alone or
    inside a pipeline, into the same nodes as :func:`to_onnx`. As for
    scikit-learn's classifiers, skl2onnx adds a ``ZipMap`` of the
    probabilities unless given ``options={"zipmap": False}`` (which float64
    inputs need: ONNX's ``ZipMap`` takes float32 probabilities only).

    Raises
    ------
    ImportError
        If skl2onnx is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> import skl2onnx
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skscratch import ScratchMLPClassifier
    >>> from skscratch.onnx import register_skl2onnx
    >>> register_skl2onnx()
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ScratchMLPClassifier((8,), solver="lbfgs", random_state=0)
    >>> pipe = make_pipeline(StandardScaler(), clf).fit(X, y)
    >>> model = skl2onnx.to_onnx(
    ...     pipe, X[:1].astype(np.float32), options={"zipmap": False}
    ... )
    >>> [output.name for output in model.graph.output]
    ['label', 'probabilities']
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as exc:
        raise ImportError(
            "register_skl2onnx needs skl2onnx: pip install skl2onnx"
        ) from exc
    from skscratch import ScratchMLPClassifier, ScratchMLPRegressor

    update_registered_converter(
        ScratchMLPClassifier,
        "SkscratchMLPClassifier",
        _skl2onnx_shapes,
        _skl2onnx_convert,
        options={"zipmap": [True, False, "columns"], "nocl": [False]},
    )
    update_registered_converter(
        ScratchMLPRegressor,
        "SkscratchMLPRegressor",
        _skl2onnx_shapes,
        _skl2onnx_convert,
    )
