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

The package has three parts: a graph builder (``_graph``), lowering tables
keyed like the core's registries of activations and output layers
(``_lowering``), and the export itself (``_export``).

``onnx`` is imported only when a model is exported: install it, and
``onnxruntime`` to run the models, with ``pip install "skscratch[onnx]"``.
"""

from skscratch.onnx._export import (
    DEFAULT_OPSET,
    MIN_OPSET,
    register_skl2onnx,
    to_onnx,
)

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "register_skl2onnx", "to_onnx"]
