"""What a fit tells its user: warnings, verbose lines and callback hooks."""

import os
import sys
import warnings

from sklearn.exceptions import ConvergenceWarning

from skscratch._core.arrays import ops_for

#: Attributes that scikit-learn's callback machinery keeps on an estimator:
#: shared by reference, never copied, and kept when a failed call is undone.
CALLBACK_STATE = (
    "_skl_callbacks",
    "_skl_callbacks_to_teardown",
    "_callback_fit_ctx",
    "_parent_callback_ctx",
)

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_SKLEARN_CALLBACKS = os.path.join("sklearn", "callback") + os.sep


def _internal(filename):
    """Whether a frame of ``filename`` belongs to the package or its callbacks."""
    return filename.startswith(_PACKAGE) or _SKLEARN_CALLBACKS in filename


def warn(message, category=UserWarning):
    """Warn, attributed to the first line of the stack outside the package.

    The frames of skscratch itself and of scikit-learn's callback wrappers
    are skipped, so the warning points at the user's call however deep the
    call that raised it sits.

    Parameters
    ----------
    message : str
        The warning's text.
    category : type, default=UserWarning
        The warning's class.
    """
    frame, level = sys._getframe(1), 2
    while frame.f_back is not None and _internal(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def warn_interrupted():
    """Say that a KeyboardInterrupt ended training early."""
    warn("Training interrupted by user.")


def warn_max_iter(max_iter):
    """Say that a stochastic solver used all its epochs without converging."""
    warn(
        f"Stochastic Optimizer: Maximum iterations ({max_iter}) "
        "reached and the optimization hasn't converged yet.",
        ConvergenceWarning,
    )


def diverged_error(reason, learning_rate_init):
    """Return the error for a fit that diverged, in scikit-learn's words first."""
    return ValueError(
        "Solver produced non-finite parameter weights. The input data may "
        "contain large values and need to be preprocessed. Training diverged "
        f"({reason}); the estimator is left as it was before this call. Lower "
        f"learning_rate_init (it is {learning_rate_init}), or scale the input "
        "data, e.g. with StandardScaler."
    )


def warn_diverged(epoch, reason, best_score, learning_rate_init):
    """Say that training diverged and early stopping kept its best weights."""
    warn(
        f"Training diverged in epoch {epoch} ({reason}). Early stopping keeps "
        f"the weights of the best validation score ({best_score:f}). Lower "
        f"learning_rate_init (it is {learning_rate_init}), or scale the input "
        "data, e.g. with StandardScaler.",
        ConvergenceWarning,
    )


def warn_lbfgs(result, n_iter, max_iter):
    """Warn, as scikit-learn does, that L-BFGS stopped before converging."""
    message = result.message
    if isinstance(message, bytes):
        message = message.decode("latin1")
    msg = (
        f"lbfgs failed to converge after {n_iter} iteration(s) "
        f"(status={result.status}):\n{message}\n"
    )
    if n_iter == max_iter:
        msg += (
            "\nIncrease the number of iterations to improve the "
            f"convergence (max_iter={max_iter})."
        )
    msg += (
        "\nYou might also want to scale the data as shown in:\n"
        "    https://scikit-learn.org/stable/modules/preprocessing.html"
    )
    warn(msg, ConvergenceWarning)


def print_iteration(n_iter, loss):
    """Print the verbose line of one epoch (or L-BFGS iteration)."""
    print(f"Iteration {n_iter}, loss = {loss:.8f}")


def print_validation_score(score):
    """Print the verbose line of one epoch's validation score."""
    print(f"Validation score: {score:f}")


def print_epoch_details(verbose, learning_rate, seconds, validation=None):
    """With ``verbose >= 2``, print the learning rate, epoch time, validation.

    Parameters
    ----------
    verbose : bool or int
        The estimator's ``verbose``.
    learning_rate : float
        Learning rate of the next step (with a schedule, the rate the epoch's
        steps used).
    seconds : float
        Duration of the epoch.
    validation : tuple of (float, float), optional
        The epoch's validation loss and score, when there is a validation set.
    """
    if isinstance(verbose, bool) or verbose < 2:
        return
    line = f"  learning rate = {learning_rate:.6g}, epoch time = {seconds:.3f} s"
    if validation is not None:
        loss, score = validation
        line += f", validation loss = {loss:.8f}, validation score = {score:.6f}"
    print(line)


def copied_weights(coefs, intercepts):
    """Return copies of per-layer weights, as a callback's estimator gets them."""
    return {
        "coefs_": [ops_for(W).copy(W) for W in coefs],
        "intercepts_": [ops_for(b).copy(b) for b in intercepts],
    }


class FitTasks:
    """The callback hooks of one fit: its own task and one subtask per step.

    A step is an epoch of a stochastic solver or an iteration of L-BFGS.

    Parameters
    ----------
    estimator : BaseScratchMLP
        The estimator being fitted.
    X, Y, sample_weight : arrays
        The training data, as the network sees them; callbacks are given
        the targets back as the user gave them, on demand.
    max_subtasks : int
        Most steps the fit may take.
    """

    def __init__(self, estimator, X, Y, sample_weight, max_subtasks):
        data = {"X": X, "y": lambda: estimator._targets_to_y(Y)}
        if sample_weight is not None:
            data["metadata"] = {"sample_weight": sample_weight}
        self.estimator, self.data = estimator, data
        self.context = estimator._init_callback_context(max_subtasks=max_subtasks)
        self.context.call_on_fit_task_begin(estimator=estimator, **data)

    def begin_step(self, name):
        """Open the context of the next step and return it."""
        step = self.context.subcontext(task_name=name)
        step.call_on_fit_task_begin(estimator=self.estimator, **self.data)
        return step

    def end_step(self, step, weights):
        """Close a completed step; return True when a callback asks to stop.

        ``weights`` returns the weights after the step, on demand.
        """
        return step.call_on_fit_task_end(
            estimator=self.estimator, reconstruction_attributes=weights, **self.data
        )

    def abandon_step(self, step):
        """Close a step that did not complete."""
        step.call_on_fit_task_end(estimator=self.estimator)

    def end(self, weights):
        """Close the fit's own task."""
        self.context.call_on_fit_task_end(
            estimator=self.estimator, reconstruction_attributes=weights, **self.data
        )
