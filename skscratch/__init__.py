"""skscratch: a multi-layer perceptron written from scratch in NumPy.

Drop-in replacements for scikit-learn's ``MLPClassifier`` and ``MLPRegressor``,
built so that a reader can follow each training step from the maths to the code.
"""

from skscratch._classifier import ScratchMLPClassifier
from skscratch._regressor import ScratchMLPRegressor
from skscratch.gradient_check import check_gradients

__version__ = "0.1.0"

__all__ = [
    "ScratchMLPClassifier",
    "ScratchMLPRegressor",
    "__version__",
    "check_gradients",
]
