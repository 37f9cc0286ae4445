r"""Hidden-layer features: ``transform``, ``fit_transform`` and their names.

A fitted network maps a sample :math:`x` through its hidden layers,

.. math:: A_0 = x, \qquad A_l = f_l(A_{l-1} W_l + b_l), \quad l = 1, \dots, L - 1,

and its output layer reads only the last of them. ``transform`` returns one
of these :math:`A_l`: the features the network learnt for its task, usable by
any other estimator. The computation is the prediction's forward pass
(:func:`~skscratch._core.network.predict_logits`) stopped after that layer,
with the layer's activation applied.
"""

from numbers import Integral

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from skscratch._core.activations import activation_pair
from skscratch._core.arrays import ops_for
from skscratch._core.network import predict_logits
from skscratch._namespace import check_same_namespace
from skscratch._validation import hidden_activations, validated_input

#: The constraint of ``transform_layer``: any integer, checked against the
#: fitted network's hidden layers when it is used.
TRANSFORM_LAYER_CONSTRAINT = [Interval(Integral, None, None, closed="neither")]


def hidden_layer_index(transform_layer, n_hidden):
    """Return ``transform_layer`` as an index in ``range(n_hidden)``.

    Negative values count from the last hidden layer, as Python's indexing
    does: -1 is the last, ``-n_hidden`` the first.

    Parameters
    ----------
    transform_layer : int
        The parameter.
    n_hidden : int
        Number of hidden layers of the fitted network.

    Returns
    -------
    index : int

    Raises
    ------
    ValueError
        If the network has no hidden layer with that index.
    """
    if n_hidden == 0:
        raise ValueError(
            "transform returns a hidden layer, and this network has none "
            "(hidden_layer_sizes is empty)."
        )
    if not -n_hidden <= transform_layer < n_hidden:
        raise ValueError(
            f"transform_layer={transform_layer} is out of range: the network "
            f"has {n_hidden} hidden layer(s), so transform_layer must be in "
            f"[{-n_hidden}, {n_hidden - 1}]."
        )
    return transform_layer % n_hidden


def hidden_features(coefs, intercepts, activations, index, X):
    """Return the activations of hidden layer ``index`` for the rows of ``X``.

    Parameters
    ----------
    coefs, intercepts : list of ndarray
        Weights and biases of the fitted network.
    activations : sequence of str or pair
        Activation of each hidden layer (a name, or a custom pair).
    index : int
        Hidden layer, from 0 (the first).
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Validated input.

    Returns
    -------
    A : ndarray of shape (n_samples, coefs[index].shape[1])
        In the dtype of the weights.
    """
    stop = index + 1
    with np.errstate(over="ignore", invalid="ignore"):
        # the network cut after the layer: its "logits" are Z of the layer
        Z = predict_logits(coefs[:stop], intercepts[:stop], activations, X)
        activation_pair(activations[index])[0](Z, ops_for(Z).empty(Z.shape, Z))
    return Z


class HiddenLayerTransformerMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin):
    """``transform`` as the activations of a hidden layer (``transform_layer``).

    Mixed into both estimators, as LinearDiscriminantAnalysis mixes a
    transform into a classifier. The output features are named like
    scikit-learn's other learnt features: the lowercased class name and an
    index (``mlpclassifier0``, ``mlpclassifier1``...).
    """

    def _hidden_index(self):
        """Index of the ``transform_layer`` among the fitted hidden layers."""
        return hidden_layer_index(self.transform_layer, len(self.coefs_) - 1)

    @property
    def _n_features_out(self):
        """Width of the hidden layer ``transform`` returns (once fitted)."""
        if not hasattr(self, "coefs_"):
            raise AttributeError("_n_features_out")  # unfitted
        return self.coefs_[self._hidden_index()].shape[1]

    def transform(self, X):
        """Return the activations of the hidden layer ``transform_layer``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_units)
            The layer's activations, in the dtype of the fitted weights
            (float32 for a model fitted on float32 data); ``n_units`` is the
            layer's size in ``hidden_layer_sizes``.

        Raises
        ------
        ValueError
            If the fitted network has no hidden layer ``transform_layer``.
        """
        check_is_fitted(self, ["coefs_", "intercepts_"])
        index = self._hidden_index()
        check_same_namespace(self, X, "transform")
        X = validated_input(self, X)
        names = hidden_activations(self.activation, len(self.coefs_) - 1)
        return hidden_features(self.coefs_, self.intercepts_, names, index, X)

    def fit_transform(self, X, y=None, **fit_params):
        """Fit the network to ``X, y``, then return the features of ``X``.

        Equal to ``fit(X, y, **fit_params).transform(X)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets the network learns; required.
        **fit_params : dict
            Further arguments of ``fit`` (``sample_weight``...).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_units)
            The activations of the hidden layer ``transform_layer``.
        """
        return self.fit(X, y, **fit_params).transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _more_tags(self):
        # The same tag for scikit-learn < 1.6, which reads tags from here.
        return {"preserves_dtype": [np.float64, np.float32]}
