"""skscratch: a multi-layer perceptron written from scratch in NumPy.

Drop-in replacements for scikit-learn's ``MLPClassifier`` and ``MLPRegressor``,
built so that a reader can follow each training step from the maths to the code.
"""

from skscratch._classifier import MLPClassifier, ScratchMLPClassifier
from skscratch._regressor import MLPRegressor, ScratchMLPRegressor
from skscratch.gradient_check import check_gradients
from skscratch.onnx import to_onnx

__version__ = "0.1.0"

#: Every type a saved skscratch model may contain, for ``skops.io.load``'s
#: ``trusted`` argument: the two estimators and the optimizer states (from
#: the registry of solvers).
SKOPS_TRUSTED_TYPES = [
    f"{t.__module__}.{t.__qualname__}"
    for t in (
        ScratchMLPClassifier,
        ScratchMLPRegressor,
        MLPClassifier,
        MLPRegressor,
        *ScratchMLPClassifier._saved_types,
    )
]

__all__ = [
    "SKOPS_TRUSTED_TYPES",
    "MLPClassifier",
    "MLPRegressor",
    "ScratchMLPClassifier",
    "ScratchMLPRegressor",
    "__version__",
    "check_gradients",
    "to_onnx",
]
