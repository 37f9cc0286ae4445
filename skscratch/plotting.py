"""Plotting utilities for fitted networks.

matplotlib is an optional dependency (``pip install skscratch[plot]``): it is
imported only when something is drawn, so importing this module, or
skscratch itself, never loads it.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from skscratch._plotting_diagnostics import TrainingDiagnosticsDisplay

__all__ = ["LossCurveDisplay", "TrainingDiagnosticsDisplay"]


def _one_legend(ax, score_ax, legend_ax):
    """Gather the lines of ``ax`` and of its twin ``score_ax`` in one legend."""
    handles, labels = ax.get_legend_handles_labels()
    if score_ax is not None:
        more_handles, more_labels = score_ax.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    if handles:
        legend_ax.legend(handles, labels, loc="best")


_INSTALL_HINT = (
    "Install it with `pip install skscratch[plot]` (or `pip install matplotlib`)."
)


def _import_pyplot(caller_name):
    """Return ``matplotlib.pyplot``, or raise an ImportError saying how to get it.

    Parameters
    ----------
    caller_name : str
        Name of the function or method that needs matplotlib, for the message.

    Returns
    -------
    pyplot : module
        The ``matplotlib.pyplot`` module.

    Raises
    ------
    ImportError
        When matplotlib cannot be imported.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        message = f"{caller_name} requires matplotlib. {_INSTALL_HINT}"
        raise ImportError(message) from exc
    return plt


def _as_curve(values, what):
    """Return ``values`` as a 1-D float array, checking that it is not empty."""
    curve = np.asarray(values, dtype=float)
    if curve.ndim != 1 or curve.size == 0:
        raise ValueError(
            f"{what} must be a non-empty 1-D sequence of numbers, got an array "
            f"of shape {curve.shape}."
        )
    return curve


def _label(name, quantity):
    """Legend label of a curve: the quantity, after the estimator name if any."""
    return quantity.capitalize() if name is None else f"{name} ({quantity})"


class LossCurveDisplay:
    """Training loss curve of a multi-layer perceptron, with its validation curves.

    Plots ``loss_curve_`` (the training loss after each iteration) against the
    iteration number, and, when they were recorded (with early stopping, or
    a validation set passed to ``fit``), the validation loss on the same axes
    and the validation scores on a second y-axis to the right. For the
    stochastic solvers an iteration is an epoch, one pass over the training
    data; for 'lbfgs' it is one L-BFGS iteration.

    It is recommended to create a display with :meth:`from_estimator`, which
    reads the curves from a fitted estimator. Instantiating the class
    directly stores the curves without drawing anything; call :meth:`plot`
    to draw them.

    Parameters
    ----------
    loss_curve : array-like of shape (n_iter,)
        Training loss after each iteration, such as an estimator's
        ``loss_curve_``.

    validation_scores : array-like of shape (n_iter,), default=None
        Validation score after each epoch, such as ``validation_scores_``
        (accuracy for a classifier, :math:`R^2` for a regressor). None when
        none were recorded.

    validation_loss_curve : array-like of shape (n_iter,), default=None
        Loss on the validation set after each epoch, such as
        ``validation_loss_curve_``. None when none was recorded.

    estimator_name : str, default=None
        Name of the estimator, used in the legend. None leaves it out.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the loss curves.

    figure_ : matplotlib Figure
        Figure containing ``ax_``.

    line_ : matplotlib Line2D
        Training loss curve.

    validation_loss_line_ : matplotlib Line2D or None
        Validation loss curve (on ``ax_``), or None when there is none.

    score_ax_ : matplotlib Axes or None
        Second y-axis, sharing the x-axis of ``ax_``, that holds the
        validation scores; None when there are none.

    validation_score_line_ : matplotlib Line2D or None
        Validation score curve (on ``score_ax_``), or None when there is none.

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against the number
        of training samples, rather than against training iterations.

    Notes
    -----
    The validation curves share the colour of the training curve (dashed for
    the validation loss, dotted for the validation scores), so that several
    estimators drawn on the same axes keep one colour each. In the legend, a
    training curve drawn alone is labelled with the estimator's name; next to
    validation curves, each label also says which curve it is.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import make_classification
    >>> from skscratch import ScratchMLPClassifier
    >>> from skscratch.plotting import LossCurveDisplay
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = ScratchMLPClassifier(
    ...     max_iter=300, early_stopping=True, random_state=0
    ... ).fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> display.line_.get_label()
    'ScratchMLPClassifier (training loss)'
    >>> len(display.line_.get_xdata()) == clf.n_iter_
    True
    >>> display.validation_score_line_.get_label()
    'ScratchMLPClassifier (validation score)'
    >>> plt.show()  # doctest: +SKIP

    A display can also be built from the curves themselves:

    >>> display = LossCurveDisplay(loss_curve=[0.9, 0.5, 0.3]).plot()
    >>> display.validation_score_line_ is None
    True
    >>> display.line_.get_label()
    'Training loss'
    >>> display.ax_.get_ylabel()
    'Loss'
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_scores=None,
        validation_loss_curve=None,
        estimator_name=None,
    ):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.validation_loss_curve = validation_loss_curve
        self.estimator_name = estimator_name

    def plot(
        self,
        ax=None,
        *,
        name=None,
        validation_loss_kw=None,
        validation_score_kw=None,
        **kwargs,
    ):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        name : str, default=None
            Name of the estimator in the legend. None uses
            ``estimator_name``.

        validation_loss_kw : dict, default=None
            Keyword arguments passed to matplotlib's ``plot`` for the
            validation loss curve.

        validation_score_kw : dict, default=None
            Keyword arguments passed to matplotlib's ``plot`` for the
            validation score curve.

        **kwargs : dict
            Keyword arguments passed to matplotlib's ``plot`` for the
            training loss curve, such as ``color`` or ``label``.

        Returns
        -------
        display : LossCurveDisplay
            The display, with the attributes listed in the class docstring.
        """
        plt = _import_pyplot(f"{type(self).__name__}.plot")
        if ax is None:
            _, ax = plt.subplots()
        name = self.estimator_name if name is None else name

        loss = _as_curve(self.loss_curve, "loss_curve")
        alone = self.validation_loss_curve is None and self.validation_scores is None
        label = name if alone and name is not None else _label(name, "training loss")
        line_kw = {"label": label, **kwargs}
        (self.line_,) = ax.plot(np.arange(1, loss.size + 1), loss, **line_kw)
        color = self.line_.get_color()

        self.validation_loss_line_ = None
        if self.validation_loss_curve is not None:
            curve = _as_curve(self.validation_loss_curve, "validation_loss_curve")
            kw = {
                "color": color,
                "linestyle": "--",
                "label": _label(name, "validation loss"),
                **(validation_loss_kw or {}),
            }
            (self.validation_loss_line_,) = ax.plot(
                np.arange(1, curve.size + 1), curve, **kw
            )
        ax.set_xlabel("Iteration")
        ax.set_ylabel("Loss")

        self.score_ax_ = None
        self.validation_score_line_ = None
        legend_ax = ax
        if self.validation_scores is not None:
            scores = _as_curve(self.validation_scores, "validation_scores")
            self.score_ax_ = legend_ax = ax.twinx()
            kw = {
                "color": color,
                "linestyle": ":",
                "label": _label(name, "validation score"),
                **(validation_score_kw or {}),
            }
            (self.validation_score_line_,) = self.score_ax_.plot(
                np.arange(1, scores.size + 1), scores, **kw
            )
            self.score_ax_.set_ylabel("Validation score")

        _one_legend(ax, self.score_ax_, legend_ax)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        ax=None,
        name=None,
        validation_loss_kw=None,
        validation_score_kw=None,
        **kwargs,
    ):
        """Plot the loss curve of a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance
            A fitted :class:`~skscratch.ScratchMLPClassifier` or
            :class:`~skscratch.ScratchMLPRegressor`, or any fitted estimator
            with a ``loss_curve_`` attribute (scikit-learn's MLPs included).
            A :class:`~sklearn.pipeline.Pipeline` is accepted too: the curves
            of its last step are plotted.

        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        name : str, default=None
            Name of the estimator in the legend. None uses its class name.

        validation_loss_kw : dict, default=None
            Keyword arguments passed to matplotlib's ``plot`` for the
            validation loss curve.

        validation_score_kw : dict, default=None
            Keyword arguments passed to matplotlib's ``plot`` for the
            validation score curve.

        **kwargs : dict
            Keyword arguments passed to matplotlib's ``plot`` for the
            training loss curve.

        Returns
        -------
        display : LossCurveDisplay
            The display, with the attributes listed in the class docstring.

        Raises
        ------
        ImportError
            When matplotlib is not installed.
        ValueError
            When the estimator recorded no loss curve.
        """
        _import_pyplot(f"{cls.__name__}.from_estimator")
        if hasattr(estimator, "steps"):
            estimator = estimator.steps[-1][1]
        check_is_fitted(estimator)
        loss_curve = getattr(estimator, "loss_curve_", None)
        if loss_curve is None:
            raise ValueError(
                f"{type(estimator).__name__} has no loss_curve_ attribute to "
                "plot. (scikit-learn's MLPs record none with solver='lbfgs'; "
                "skscratch's do.)"
            )
        display = cls(
            loss_curve=loss_curve,
            validation_scores=getattr(estimator, "validation_scores_", None),
            validation_loss_curve=getattr(estimator, "validation_loss_curve_", None),
            estimator_name=type(estimator).__name__ if name is None else name,
        )
        return display.plot(
            ax=ax,
            validation_loss_kw=validation_loss_kw,
            validation_score_kw=validation_score_kw,
            **kwargs,
        )
