"""A small ONNX graph builder: nodes and initializers, named uniquely."""

import numpy as np

_INSTALL_HINT = (
    'exporting to ONNX needs the onnx package: pip install "skscratch[onnx]" '
    "(that is, pip install onnx onnxruntime)"
)


def import_onnx():
    """Import onnx, or say how to install it."""
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return onnx, helper, numpy_helper


def namer():
    """Return a function giving a fresh name for every hint."""
    counts = {}

    def unique(hint):
        counts[hint] = counts.get(hint, -1) + 1
        return hint if counts[hint] == 0 else f"{hint}_{counts[hint]}"

    return unique


class Graph:
    """Nodes and initializers of a graph under construction.

    Every method that adds a node returns the name of its output, so that
    expressions read as nested calls. Constants become initializers in the
    compute dtype unless an array of another dtype is given.

    Parameters
    ----------
    helper, numpy_helper : module
        ``onnx.helper`` and ``onnx.numpy_helper``.
    dtype : numpy dtype
        The compute dtype (that of the fitted weights).
    unique : callable
        Gives a fresh name for a hint.
    """

    def __init__(self, helper, numpy_helper, dtype, unique):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.dtype = np.dtype(dtype)
        self.unique = unique
        self.nodes, self.initializers = [], []

    @property
    def native(self):
        """Whether ONNX Runtime has kernels of every operator in this dtype."""
        return self.dtype == np.float32

    def tensor_type(self, dtype):
        """Return the ONNX element type of a numpy dtype."""
        return self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))

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
