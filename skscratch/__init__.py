"""skscratch: a multi-layer perceptron written from scratch in NumPy.

A drop-in replacement for scikit-learn's ``MLPClassifier``, built so that a
reader can follow each training step from the maths to the code.
"""

from skscratch._classifier import ScratchMLPClassifier

__version__ = "0.1.0"

__all__ = ["ScratchMLPClassifier", "__version__"]
