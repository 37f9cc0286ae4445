"""TrainingDiagnosticsDisplay: the per-layer training diagnostics, six panels.

Re-exported by :mod:`skscratch.plotting`; matplotlib is imported only when
something is drawn.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

#: The panels, in order: the key of ``diagnostics_``, the title, the y-scale.
PANELS = (
    ("weight_norm", "Weight norm", "log"),
    ("grad_norm", "Gradient norm", "log"),
    ("update_ratio", "Update / weight ratio per step", "log"),
    ("activation_mean", "Activation mean", "linear"),
    ("activation_std", "Activation std", "linear"),
    ("dead_fraction", "Dead units (fraction)", "linear"),
)


class TrainingDiagnosticsDisplay:
    """Per-layer training diagnostics of a multi-layer perceptron, epoch by epoch.

    Six panels, one line per layer in each: the norm of each weight matrix,
    the norm of its gradient and the size of each step relative to the
    weights (log scales), then the mean and standard deviation of each
    hidden layer's outputs and the fraction of its rectified units that
    never fire. Layer :math:`l` is the layer that weight matrix
    ``coefs_[l - 1]`` feeds; it keeps one colour in every panel. See
    ``record_diagnostics`` of :class:`~skscratch.ScratchMLPClassifier` for
    the definitions.

    It is recommended to create a display with :meth:`from_estimator`.
    Instantiating the class stores the diagnostics without drawing; call
    :meth:`plot` to draw them.

    Parameters
    ----------
    diagnostics : dict of ndarray
        An estimator's ``diagnostics_``: 'epoch' of shape (n_epochs,), and
        arrays of shape (n_epochs, n_layers) for each panel's key.

    estimator_name : str, default=None
        Name of the estimator, used in the legend. None leaves it out.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        The six axes, in the shape they were given (2 x 3 by default).

    figure_ : matplotlib Figure
        Figure containing the axes.

    lines_ : dict of list of matplotlib Line2D
        For each panel's key, its lines, one per layer (a layer whose dead
        fraction is undefined, not a rectifier, has no line).

    See Also
    --------
    LossCurveDisplay : The training and validation loss curves.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import make_classification
    >>> from skscratch import ScratchMLPClassifier
    >>> from skscratch.plotting import TrainingDiagnosticsDisplay
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = ScratchMLPClassifier(
    ...     (16, 8), learning_rate_init=0.01, record_diagnostics=True, random_state=0
    ... ).fit(X, y)
    >>> display = TrainingDiagnosticsDisplay.from_estimator(clf)
    >>> [line.get_label() for line in display.lines_["grad_norm"]]
    ['layer 1', 'layer 2', 'layer 3']
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(self, *, diagnostics, estimator_name=None):
        self.diagnostics = diagnostics
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the six panels.

        Parameters
        ----------
        ax : array-like of 6 matplotlib Axes, default=None
            Axes to draw on, in the order of the panels. None creates a
            figure with a 2 x 3 grid of axes. Drawing a second estimator on
            the axes of a first compares the two (pass e.g.
            ``linestyle='--'``).

        name : str, default=None
            Name of the estimator in the legend. None uses
            ``estimator_name``.

        **kwargs : dict
            Keyword arguments passed to matplotlib's ``plot`` for every line,
            such as ``linestyle``.

        Returns
        -------
        display : TrainingDiagnosticsDisplay
            The display, with the attributes listed in the class docstring.
        """
        from skscratch.plotting import _import_pyplot

        plt = _import_pyplot(f"{type(self).__name__}.plot")
        if ax is None:
            _, ax = plt.subplots(2, 3, figsize=(12, 6.5), layout="constrained")
        axes = np.asarray(ax, dtype=object)
        if axes.size != len(PANELS):
            raise ValueError(
                f"ax must hold {len(PANELS)} axes, one per panel, got {axes.size}."
            )
        name = self.estimator_name if name is None else name
        epochs = np.asarray(self.diagnostics["epoch"])
        self.lines_ = {}
        for axis, (key, title, scale) in zip(axes.ravel(), PANELS, strict=True):
            values = np.asarray(self.diagnostics[key], dtype=float)
            self.lines_[key] = _draw_layers(axis, epochs, values, name, kwargs)
            axis.set_title(title)
            axis.set_yscale(scale)
            axis.set_xlabel("Epoch")
        axes.ravel()[0].legend(loc="best")
        self.axes_ = axes
        self.figure_ = axes.ravel()[0].figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, **kwargs):
        """Plot the training diagnostics of a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance
            A :class:`~skscratch.ScratchMLPClassifier` or
            :class:`~skscratch.ScratchMLPRegressor` fitted with
            ``record_diagnostics=True``, or a
            :class:`~sklearn.pipeline.Pipeline` ending in one.

        ax : array-like of 6 matplotlib Axes, default=None
            Axes to draw on. None creates a new figure.

        name : str, default=None
            Name of the estimator in the legend. None leaves it out.

        **kwargs : dict
            Keyword arguments passed to matplotlib's ``plot`` for every line.

        Returns
        -------
        display : TrainingDiagnosticsDisplay
            The display, with the attributes listed in the class docstring.

        Raises
        ------
        ImportError
            When matplotlib is not installed.
        ValueError
            When the estimator recorded no diagnostics.
        """
        from skscratch.plotting import _import_pyplot

        _import_pyplot(f"{cls.__name__}.from_estimator")
        if hasattr(estimator, "steps"):
            estimator = estimator.steps[-1][1]
        check_is_fitted(estimator)
        diagnostics = getattr(estimator, "diagnostics_", None)
        if diagnostics is None:
            raise ValueError(
                f"{type(estimator).__name__} has no diagnostics_ to plot: fit it "
                "with record_diagnostics=True (and a stochastic solver)."
            )
        display = cls(diagnostics=diagnostics, estimator_name=name)
        return display.plot(ax=ax, **kwargs)


def _draw_layers(axis, epochs, values, name, kwargs):
    """Draw one line per layer (column) that has values; return the lines."""
    lines = []
    for l in range(values.shape[1]):
        column = values[:, l]
        if np.isnan(column).all():
            continue
        label = f"layer {l + 1}" if name is None else f"{name}, layer {l + 1}"
        line_kw = {"color": f"C{l}", "label": label, **kwargs}
        (line,) = axis.plot(epochs, column, **line_kw)
        lines.append(line)
    return lines
