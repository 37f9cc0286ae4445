"""ScratchMLPClassifier: a drop-in replacement for scikit-learn's MLPClassifier."""

from numbers import Real

import numpy as np
from sklearn import config_context
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    column_or_1d,
)
from sklearn_compat.utils.validation import validate_data

from skscratch._base import BaseScratchMLP, set_init_params
from skscratch._callbacks import with_callbacks
from skscratch._core.arrays import ops_for
from skscratch._docs import fill_doc
from skscratch._namespace import float_dtypes, input_ops
from skscratch._validation import stochastic_solver


def _can_partial_fit(estimator):
    """Offer ``partial_fit`` to stochastic solvers without 'balanced' weights.

    As in SGDClassifier, balancing needs the class frequencies of all the
    data, which a stream of batches never shows.
    """
    stochastic_solver(estimator)
    if isinstance(estimator.class_weight, str) and estimator.class_weight == "balanced":
        raise AttributeError(
            "class_weight 'balanced' is not supported for partial_fit. In "
            "order to use 'balanced' weights, use "
            "compute_class_weight('balanced', classes=classes, y=y). In place "
            "of y you can use a large enough sample of the full training set "
            "target to properly estimate the class frequency distributions. "
            "Pass the resulting weights as the class_weight parameter."
        )
    return True


def _check_partial_fit_classes(estimator, y, classes):
    """Require ``classes`` on the first call, and the same ones on later calls."""
    first_call = not hasattr(estimator, "classes_")
    if first_call and classes is None and not _is_multilabel(y):
        raise ValueError("classes must be passed on the first call to partial_fit.")
    if classes is not None and not first_call:
        known = estimator._label_binarizer.classes_
        if not np.array_equal(np.unique(classes), np.unique(known)):
            raise ValueError(
                f"`classes={classes!r}` is not the same as on last call to "
                f"partial_fit, was: {known!r}"
            )


def _labels_from_logits(estimator, Z):
    """Labels of the largest softmax output, or of the positive logits.

    Logits of another namespace give labels there, on their device; the
    argmax is taken there too when the labels are numbers.
    """
    xp, classes = ops_for(Z), estimator._label_binarizer.classes_
    if not xp.is_numpy:
        if estimator._output == "softmax" and classes.dtype.kind in "biuf":
            labels = xp.from_numpy(classes, Z, cast=False)
            return xp.take(labels, xp.argmax(Z, axis=1), axis=0)
        labels = _labels_from_logits(estimator, xp.to_numpy(Z))
        if labels.dtype.kind not in "biuf":  # strings stay NumPy, as classes_
            return labels
        return xp.from_numpy(labels, Z, cast=False)
    if estimator._output == "softmax":
        return classes[np.argmax(Z, axis=1)]
    indicator = (Z > 0).astype(Z.dtype)
    return estimator._label_binarizer.inverse_transform(indicator)


def _log_softmax(Z):
    r"""Return the log-softmax of each row of ``Z`` in place, floored at log(tiny).

    .. math:: \log P_{ik} = Z_{ik} - m_i - \log \sum_j e^{Z_{ij} - m_i}

    The floor (:math:`\approx -708` in float64) keeps ``exp`` of the result
    above zero, so a probability never underflows to exactly 0.
    """
    xp = ops_for(Z)
    Z -= xp.max(Z, axis=1, keepdims=True)
    Z -= xp.log(xp.sum(xp.exp(Z), axis=1, keepdims=True))
    return xp.maximum(Z, np.log(xp.finfo(Z.dtype).smallest_normal), out=Z)


def _learn_classes(estimator, label_binarizer, X):
    """Keep the fitted label encoder, and ``classes_`` where ``X`` lives.

    The encoder (and its NumPy ``classes_``) works on the host; the public
    ``classes_`` of numeric labels is in ``X``'s namespace and on its
    device, as scikit-learn's array-API classifiers keep it.
    """
    estimator._label_binarizer, classes = label_binarizer, label_binarizer.classes_
    ops = input_ops(X)
    if not ops.is_numpy and classes.dtype.kind in "biuf":
        classes = ops.from_numpy(classes, X, cast=False)
    estimator.classes_ = classes


def _validated_data(estimator, X, y, reset):
    """Validate ``X`` and the labels ``y``, as ``check_X_y`` does.

    With an ``X`` of another namespace, the labels (a NumPy array here: they
    are encoded on the host, and may be strings) are checked on their own,
    without array API dispatch, and ``X`` in its namespace.
    """
    ops = input_ops(X)
    kwargs = {"accept_sparse": ["csr", "csc"], "dtype": float_dtypes(ops)}
    if ops.is_numpy or y is None:
        return validate_data(estimator, X, y, multi_output=True, reset=reset, **kwargs)
    X = validate_data(estimator, X, reset=reset, **kwargs)
    with config_context(array_api_dispatch=False):
        y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
        check_consistent_length(np.empty((X.shape[0], 0)), y)
    return X, y


def _probabilities(estimator, Z):
    """Turn output logits into class probabilities, in place where possible."""
    xp = ops_for(Z)
    if estimator._output == "softmax":
        return xp.exp(_log_softmax(Z), out=Z)
    eps = xp.finfo(Z.dtype).eps
    P = xp.clip(xp.expit(Z, out=Z), eps, 1 - eps, out=Z)
    if estimator.n_outputs_ == 1:
        return xp.concat([1 - P, P], axis=1)
    return P


@fill_doc
class ScratchMLPClassifier(ClassifierMixin, BaseScratchMLP):
    r"""Multi-layer perceptron classifier written from scratch in NumPy.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    the same parameters with the same defaults and meaning, the same fitted
    attributes and methods. It minimises the log-loss (softmax output for
    multiclass problems, logistic output for binary and multilabel ones) with
    L-BFGS, SGD, Adam, RMSprop or AdamW.

    Parameters
    ----------
    %(shared_parameters)s

    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``: a dict
        ``{label: weight}``, or 'balanced' for
        ``n_samples / (n_classes * np.bincount(y))`` as scikit-learn computes
        it. They weigh the loss, the early-stopping score and ``partial_fit``
        (where, as in SGDClassifier, 'balanced' is refused: compute the
        weights once with ``compute_class_weight`` and pass a dict).

    %(extension_parameters)s

    label_smoothing : float, default=0.0
        Label smoothing :math:`\varepsilon \in [0, 1)`, PyTorch's: softmax
        targets become :math:`(1 - \varepsilon) y + \varepsilon / K` for
        :math:`K` classes, logistic ones :math:`(1 - \varepsilon) y +
        \varepsilon / 2`; the loss, its exact gradient and the loss curves
        use them. 0 trains on the labels themselves.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray of shape (n_classes,)
        Class labels of each output.

    %(shared_attributes)s

    out_activation_ : str
        Name of the output activation ('softmax' or 'logistic').

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The estimator this one replaces.

    Notes
    -----
    All weights and biases live in one contiguous array; ``coefs_`` and
    ``intercepts_`` are views of it. Assigning new arrays to them is allowed:
    the next ``partial_fit`` or warm-started ``fit`` trains from them.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skscratch import ScratchMLPClassifier
    >>> X, y = make_classification(n_samples=100, random_state=1)
    >>> clf = ScratchMLPClassifier(random_state=1, max_iter=300).fit(X, y)
    >>> clf.predict_proba(X[:1]).shape
    (1, 2)
    >>> clf.score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = {
        **BaseScratchMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        class_weight=None,
        dropout=0.0,
        l1_ratio=0.0,
        init="glorot",
        scoring=None,
        max_grad_norm=None,
        transform_layer=-1,
        learning_rate_schedule=None,
        record_diagnostics=False,
        label_smoothing=0.0,
    ):
        set_init_params(self, locals())

    def _is_classifier(self):
        return True

    @property
    def _output(self):
        """Output activation: softmax for multiclass, logistic otherwise."""
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        return "softmax" if multiclass else "logistic"

    def _validate_input(self, X, y, incremental, reset, classes=None):
        """Validate X and y and encode y as a 0/1 target matrix.

        The label encoder is fitted on ``y`` by a fresh ``fit``, and on
        ``classes`` by the first ``partial_fit``; later calls check that ``y``
        holds no label the model has no output for.
        """
        X, y = _validated_data(self, X, y, reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        _check_label_types(y)
        check_classification_targets(y)
        if incremental and not hasattr(self, "classes_"):
            lb = LabelBinarizer().fit(y if _is_multilabel(y) else classes)
            _learn_classes(self, lb, X)
            self._check_labels_known(y, incremental)
        elif not hasattr(self, "classes_") or not (self.warm_start or incremental):
            # One class is accepted, as scikit-learn does: the model then
            # predicts that class everywhere.
            _learn_classes(self, LabelBinarizer().fit(y), X)
        else:
            self._check_labels_known(y, incremental)
        Y = self._label_binarizer.transform(y)
        return X, Y

    def _check_labels_known(self, y, incremental):
        """Refuse labels the fitted model has no output for."""
        classes, known = unique_labels(y), self._label_binarizer.classes_
        if self.warm_start and not incremental:
            if set(classes) != set(known):
                raise ValueError(
                    "warm_start can only be used where `y` has the same "
                    "classes as in the previous call to fit. Previously "
                    f"got {known}, `y` has {classes}"
                )
        elif len(np.setdiff1d(classes, known)):
            raise ValueError(
                "`y` has classes not in `self.classes_`. "
                f"`self.classes_` has {known}. 'y' has {classes}."
            )

    def _weight_classes(self, Y, sample_weight, reuse):
        """Multiply ``class_weight`` into the sample weights.

        'balanced' weighs class :math:`c` by :math:`S / (K S_c)`, with
        :math:`S_c` the total sample weight of the class, :math:`S` that of
        all samples and :math:`K` the number of classes: with unit sample
        weights, scikit-learn's ``n_samples / (n_classes * bincount(y))``.
        Counting weights rather than rows keeps a weight of 2 the same as a
        repeated sample. The weights of the training classes are kept for the
        validation set and for later ``partial_fit`` calls (``reuse``).
        """
        if self.class_weight is None:
            return sample_weight
        _check_class_weight(self.class_weight)
        y = self._targets_to_y(Y)
        if y.ndim > 1:  # multilabel: one weighting per output
            weights = compute_sample_weight(self.class_weight, y)
        else:
            known = self._label_binarizer.classes_
            index = np.searchsorted(known, y)
            if not reuse or not hasattr(self, "_class_weights"):
                # kept as a tuple: the fitted arrays are in X's namespace
                self._class_weights = tuple(
                    _class_weights(
                        self.class_weight, known, y, index, sample_weight
                    ).tolist()
                )
            weights = np.asarray(self._class_weights)[index]
        return weights if sample_weight is None else weights * sample_weight

    def _targets_to_y(self, Y):
        """Map a 0/1 target matrix back to labels (for validation scoring)."""
        return self._label_binarizer.inverse_transform(Y)

    def _score_raw(self, raw, y, sample_weight):
        """Accuracy of the predictions encoded by the logits ``raw``."""
        return accuracy_score(
            y, _labels_from_logits(self, raw), sample_weight=sample_weight
        )

    @available_if(_can_partial_fit)
    @with_callbacks
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            The target labels (or a label indicator matrix).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.
        classes : array-like of shape (n_classes,), default=None
            Every class that may appear across calls. Required on the first
            call, ignored for a label indicator ``y``; later batches need not
            contain all of them.

        Returns
        -------
        self : object
            The updated estimator.
        """
        self._validate_params()
        _check_partial_fit_classes(self, y, classes)
        return self._fit(
            X, y, sample_weight=sample_weight, incremental=True, classes=classes
        )

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Predicted labels (a 0/1 indicator matrix for multilabel models).
        """
        return _labels_from_logits(self, self._logits(X, "predict"))

    def predict_proba(self, X):
        r"""Probability estimates.

        No probability is exactly 0 or 1: logistic outputs are kept inside
        :math:`[\epsilon, 1 - \epsilon]` (machine epsilon of the dtype) and
        softmax outputs above the smallest normal float, so that
        ``np.log(predict_proba(X))`` is finite and equals
        ``predict_log_proba(X)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            Probability of each class, columns ordered as ``classes_``.
        """
        return _probabilities(self, self._logits(X, "predict_proba"))

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates.

        Exactly ``np.log(predict_proba(X))``, as in scikit-learn; it is finite,
        because no probability is exactly 0.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            Log-probability of each class, columns ordered as ``classes_``.
        """
        P = _probabilities(self, self._logits(X, "predict_log_proba"))
        return ops_for(P).log(P)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _more_tags(self):
        # The same tag for scikit-learn < 1.6, which reads tags from here.
        return {"multilabel": True}


def _is_multilabel(y):
    return type_of_target(y).startswith("multilabel")


def _check_class_weight(class_weight):
    """Refuse class weights that are NaN, infinite or negative.

    scikit-learn's MLP has no ``class_weight``; the wording is that of its
    sample-weight checks, since class weights become sample weights.
    """
    if not isinstance(class_weight, dict):
        return
    values = np.asarray(list(class_weight.values()), dtype=np.float64)
    if np.isnan(values).any():
        raise ValueError("Input class_weight contains NaN.")
    if np.isinf(values).any():
        raise ValueError("Input class_weight contains infinity.")
    if (values < 0).any():
        raise ValueError("Negative values in data passed to `class_weight`.")


def _class_weights(class_weight, classes, y, index, sample_weight):
    r"""Return the weight of each class: from a dict, or 'balanced'.

    'balanced' gives class :math:`c` the weight :math:`S / (K S_c)`, with
    :math:`S_c` the sample weight of the class, :math:`S` that of all samples
    and :math:`K` the number of classes in ``y``. A class whose samples all
    have weight 0 gets 0 (scikit-learn divides by zero there).
    """
    if isinstance(class_weight, dict):
        return compute_class_weight(class_weight, classes=classes, y=y)
    n_present = np.count_nonzero(np.bincount(index, minlength=len(classes)))
    per_class = np.bincount(index, weights=sample_weight, minlength=len(classes))
    weighted = per_class > 0
    weights = np.zeros(len(classes))
    weights[weighted] = per_class.sum() / (n_present * per_class[weighted])
    return weights


def _check_label_types(y):
    """Refuse labels that mix strings and numbers, which cannot be sorted.

    scikit-learn's MLP lets Python's own TypeError ("'<' not supported")
    escape from the sort; the type stays, the message says what is wrong.
    """
    if y.dtype != object:
        return
    kinds = {isinstance(label, str) for label in np.ravel(y)}
    if len(kinds) > 1:
        raise TypeError(
            "Mix of label input types (string and number): the labels of y "
            "must be all strings or all numbers, so that they can be sorted."
        )


class MLPClassifier(ScratchMLPClassifier):
    """:class:`ScratchMLPClassifier` under scikit-learn's class name.

    ``from skscratch import MLPClassifier`` replaces
    ``from sklearn.neural_network import MLPClassifier`` with nothing else to
    change: the estimator is the same, and so are the names scikit-learn
    derives from the class name, such as the step name ``mlpclassifier`` that
    ``make_pipeline`` gives it and the ``mlpclassifier__alpha`` keys of a grid
    written for scikit-learn. Parameters, attributes and methods are those of
    :class:`ScratchMLPClassifier`.

    See Also
    --------
    ScratchMLPClassifier : The same estimator under its own name.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skscratch import MLPClassifier
    >>> pipe = make_pipeline(StandardScaler(), MLPClassifier())
    >>> list(pipe.named_steps)
    ['standardscaler', 'mlpclassifier']
    >>> pipe.set_params(mlpclassifier__alpha=0.01).get_params()["mlpclassifier__alpha"]
    0.01
    """
