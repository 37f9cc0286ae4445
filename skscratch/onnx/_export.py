"""The export: a fitted network's forward pass as an ONNX model."""

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

import skscratch
from skscratch._activations import has_custom
from skscratch._base import BaseScratchMLP
from skscratch._transform import hidden_layer_index
from skscratch._validation import per_layer
from skscratch.onnx._graph import Graph, import_onnx, namer
from skscratch.onnx._lowering import HIDDEN, OUTPUT

#: Opset of the exported models unless ``target_opset`` says otherwise.
DEFAULT_OPSET = 17

#: Oldest opset the graph is written for (Softmax over one axis, Clip and
#: Squeeze taking their bounds and axes as inputs).
MIN_OPSET = 13


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
    if has_custom(estimator.activation):
        raise ValueError(
            "cannot export a custom activation to ONNX: ONNX has no operator "
            "for arbitrary Python functions. Supported hidden activations: "
            f"{', '.join(HIDDEN)}."
        )
    names = per_layer(estimator.activation, n_hidden)
    for name in names:
        if name not in HIDDEN:
            raise ValueError(
                f"cannot export the activation {name!r} to ONNX; supported "
                f"hidden activations: {', '.join(HIDDEN)}."
            )
    if len(names) != n_hidden:
        raise ValueError(
            f"activation {estimator.activation!r} does not give one name per "
            f"hidden layer ({n_hidden})."
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
    if is_classifier(estimator) and not _multilabel(estimator):
        _label_values(estimator.classes_)


def _multilabel(estimator):
    """Whether a classifier predicts a 0/1 indicator matrix."""
    return estimator.out_activation_ == "logistic" and estimator.n_outputs_ > 1


def _n_columns(estimator):
    """Return the number of columns of the float output."""
    binary = estimator.out_activation_ == "logistic" and estimator.n_outputs_ == 1
    return 2 if binary else estimator.n_outputs_


def _compute_dtype(estimator):
    """Return the dtype of the fitted weights (float32 or float64)."""
    dtype = np.result_type(*estimator.coefs_, *estimator.intercepts_)
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)


class _Outputs:
    """Where the output layer writes: the graph's output names, by role.

    Parameters
    ----------
    g : Graph
        The graph.
    names : dict
        Output name of each role ('label', 'probabilities', 'variable').
    out_type : int
        ONNX element type of the float outputs (that of the input).
    n_outputs : int
        The network's number of outputs.
    """

    def __init__(self, g, names, out_type, n_outputs):
        self.g, self.names, self.out_type = g, names, out_type
        self.n_outputs = n_outputs

    def emit(self, value, role):
        """Write ``value`` to the output ``role``, in the input's float type."""
        g, name = self.g, self.names[role]
        if self.out_type == g.tensor_type(g.dtype):
            return g.op("Identity", value, output=name)
        return g.op("Cast", value, output=name, to=self.out_type)


def _build(g, estimator, X, outputs, out_type):
    """Add the network's nodes to ``g``, from the input ``X`` to ``outputs``.

    Parameters
    ----------
    g : Graph
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
    A = _forward(g, estimator, X, out_type, len(estimator.coefs_))
    # Logits beyond the float range are clipped to a quarter of it, as in
    # predict, so that the output layer still gives numbers.
    limit = np.finfo(g.dtype).max / 4
    Z = g.op("Clip", A, -limit, limit)
    out = _Outputs(g, outputs, out_type, estimator.n_outputs_)
    index = OUTPUT[estimator.out_activation_](g, Z, out)
    if index is not None:
        classes = g.const(_label_values(estimator.classes_), "classes")
        g.op("Gather", classes, index, output=outputs["label"], axis=0)


def _forward(g, estimator, X, out_type, n_layers):
    """Add the first ``n_layers`` layers (activations included); return their output.

    The output layer's activation is not among them: with every layer, the
    result is the logits.
    """
    compute_type = g.tensor_type(g.dtype)
    A = X if out_type == compute_type else g.op("Cast", X, to=compute_type)
    names = _hidden_activations(estimator)
    layers = list(zip(estimator.coefs_, estimator.intercepts_, strict=True))
    for l, (W, b) in enumerate(layers[:n_layers]):
        W = g.const(np.asarray(W, dtype=g.dtype), f"coef{l}")
        b = g.const(np.asarray(b, dtype=g.dtype), f"intercept{l}")
        A = g.op("Gemm", A, W, b)
        if l < len(names):
            A = HIDDEN[names[l]](g, A)
    return A


def _build_features(g, estimator, X, outputs, out_type):
    """Add the nodes of ``transform``: the network up to ``transform_layer``."""
    index = hidden_layer_index(estimator.transform_layer, len(estimator.coefs_) - 1)
    A = _forward(g, estimator, X, out_type, index + 1)
    _Outputs(g, outputs, out_type, estimator.n_outputs_).emit(A, "features")


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


def _graph_outputs(onnx, helper, estimator, in_type, method):
    """Return the value infos of the model's outputs."""
    n_out, N = estimator.n_outputs_, None
    if method == "transform":
        width = estimator._n_features_out
        return [helper.make_tensor_value_info("features", in_type, [N, width])]
    if not is_classifier(estimator):
        return [helper.make_tensor_value_info("variable", in_type, [N, n_out])]
    if _multilabel(estimator):
        label_type, label_shape = onnx.TensorProto.INT64, [N, n_out]
    else:
        label_dtype = _label_values(estimator.classes_).dtype
        label_type, label_shape = helper.np_dtype_to_tensor_dtype(label_dtype), [N]
    return [
        helper.make_tensor_value_info("label", label_type, label_shape),
        helper.make_tensor_value_info(
            "probabilities", in_type, [N, _n_columns(estimator)]
        ),
    ]


def to_onnx(
    estimator, X_sample=None, *, target_opset=None, name=None, method="predict"
):
    """Export a fitted network to an ONNX model.

    The model computes what ``predict`` and ``predict_proba`` (classifier) or
    ``predict`` (regressor) return, in the dtype of the fitted weights; with
    ``method='transform'``, what ``transform`` returns instead.

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
    method : {'predict', 'transform'}, default='predict'
        What the model computes: the predictions, or the activations of the
        hidden layer ``transform_layer`` (the estimator's ``transform``).

    Returns
    -------
    model : onnx.ModelProto
        The model. Its input ``X`` has shape ``(None, n_features_in_)``. A
        classifier's outputs are ``label`` (shape ``(None,)``, int64 or
        string like ``classes_``; for a multilabel model, an int64 0/1
        indicator matrix of shape ``(None, n_outputs_)``) and
        ``probabilities`` (shape ``(None, n_classes)``); a regressor's output
        is ``variable``, of shape ``(None, n_outputs_)``. With
        ``method='transform'`` the one output is ``features``, of shape
        ``(None, n_units)``. Float outputs have the dtype of ``X``.

    Raises
    ------
    ImportError
        If onnx is not installed.
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    ValueError
        If an activation, the class labels or ``target_opset`` cannot be
        exported, ``X_sample`` has the wrong number of features, ``method``
        is unknown or ``transform_layer`` is out of range.
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
    if method not in ("predict", "transform"):
        raise ValueError(f"method must be 'predict' or 'transform', got {method!r}.")
    onnx, helper, numpy_helper = import_onnx()
    _check_exportable(estimator)
    opset = _opset(onnx, target_opset)
    n_features = estimator.n_features_in_
    in_dtype = _input_dtype(X_sample, n_features)
    in_type = helper.np_dtype_to_tensor_dtype(in_dtype)

    unique = namer()
    for reserved in ("X", "label", "probabilities", "variable", "features"):
        unique(reserved)
    g = Graph(helper, numpy_helper, _compute_dtype(estimator), unique)
    inputs = [helper.make_tensor_value_info("X", in_type, [None, n_features])]
    outputs = _graph_outputs(onnx, helper, estimator, in_type, method)
    build = _build_features if method == "transform" else _build
    build(g, estimator, "X", {o.name: o.name for o in outputs}, in_type)

    graph = helper.make_graph(
        g.nodes,
        name or type(estimator).__name__,
        inputs,
        outputs,
        initializer=g.initializers,
    )
    opset_ids = [helper.make_opsetid("", opset)]
    return helper.make_model(
        graph,
        opset_imports=opset_ids,
        producer_name="skscratch",
        producer_version=skscratch.__version__,
        ir_version=helper.find_min_ir_version_for(opset_ids),
    )


def _check_final_step(operator):
    """Refuse a network whose predictions feed another model's operator.

    skl2onnx converts the network as a predictor: in a pipeline's middle
    step, the next step would read its predictions where scikit-learn feeds
    it ``transform``'s features. (skl2onnx's own ZipMap of a classifier's
    probabilities is no such step.)
    """
    scope = getattr(operator, "scope_inst", None)
    ours = {variable.onnx_name for variable in operator.outputs}
    for other in [] if scope is None else scope.operators.values():
        if other is operator or other.type == "SklearnZipMap":
            continue
        if ours & {variable.onnx_name for variable in other.inputs}:
            raise ValueError(
                f"skl2onnx cannot convert {type(operator.raw_operator).__name__} "
                "as a middle step of a pipeline: it converts the network's "
                "predictions, while the pipeline passes on its transform. "
                "Export the network's transform with "
                "skscratch.onnx.to_onnx(estimator, method='transform')."
            )


def _skl2onnx_shapes(operator):
    """Set the types and shapes of an operator's outputs (skl2onnx hook)."""
    _check_final_step(operator)
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
    if _multilabel(estimator):
        operator.outputs[0].type = Int64TensorType([N, estimator.n_outputs_])
    elif _label_values(estimator.classes_).dtype == object:
        operator.outputs[0].type = StringTensorType([N])
    else:
        operator.outputs[0].type = Int64TensorType([N])
    operator.outputs[1].type = float_type([N, _n_columns(estimator)])


def _skl2onnx_convert(scope, operator, container):
    """Write the network's nodes into an skl2onnx container (skl2onnx hook)."""
    onnx, helper, numpy_helper = import_onnx()
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
    g = Graph(
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
    import skscratch

    # skl2onnx finds a converter by the model's exact class: the drop-in
    # names (skscratch.MLPClassifier, ...) are registered too.
    classifier_options = {"zipmap": [True, False, "columns"], "nocl": [False]}
    for name, alias, options in (
        ("ScratchMLPClassifier", "SkscratchMLPClassifier", classifier_options),
        ("MLPClassifier", "SkscratchDropInMLPClassifier", classifier_options),
        ("ScratchMLPRegressor", "SkscratchMLPRegressor", None),
        ("MLPRegressor", "SkscratchDropInMLPRegressor", None),
    ):
        update_registered_converter(
            getattr(skscratch, name),
            alias,
            _skl2onnx_shapes,
            _skl2onnx_convert,
            options=options,
        )
