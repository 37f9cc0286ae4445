"""When training stops: a plateau count, the best weights and the verdict."""

import numpy as np

from skscratch._core.arrays import ops_for
from skscratch._core.optimizers import OPTIMIZERS


class Plateau:
    """Count consecutive epochs without an improvement of at least ``tol``.

    A value improves on the best so far when it beats it by ``tol``; the
    counter restarts at every such improvement.

    Parameters
    ----------
    tol : float
        Smallest change that counts as an improvement.
    higher_is_better : bool
        True for scores, False for losses.
    best : float, optional
        Best value so far; defaults to the worst possible one.
    count : int, default=0
        Epochs without improvement so far (to resume a count across fits).
    """

    def __init__(self, tol, higher_is_better, best=None, count=0):
        self.tol = tol
        self.sign = 1.0 if higher_is_better else -1.0
        self.best = -np.inf if best is None else self.sign * best
        self.count = count

    def update(self, value):
        """Record an epoch's value; return True when it is a new best.

        Parameters
        ----------
        value : float

        Returns
        -------
        is_best : bool
        """
        v = self.sign * value
        self.count = self.count + 1 if v < self.best + self.tol else 0
        if v > self.best:
            self.best = v
            return True
        return False

    @property
    def best_value(self):
        """Best value seen, in its original sign."""
        return self.sign * self.best


def uses_validation(estimator):
    """Whether the estimator stops on a validation score (stochastic solvers)."""
    return bool(estimator.early_stopping) and estimator.solver in OPTIMIZERS


def reset_record(estimator):
    """Start the stopping record of a new network.

    With early stopping the record is the validation scores and their best;
    without, the best training loss. ``_no_improvement_count`` is the plateau
    count of either; all of them carry over to warm starts.
    """
    early = uses_validation(estimator)
    estimator._no_improvement_count = 0
    estimator.validation_loss_curve_ = None
    estimator.best_loss_ = None if early else np.inf
    estimator.validation_scores_ = [] if early else None
    estimator.best_validation_score_ = -np.inf if early else None


def sync_record(estimator):
    """Restart the record when a warm start switches early stopping on or off."""
    early = uses_validation(estimator)
    if early and estimator.best_loss_ is not None:
        estimator.best_loss_, estimator.validation_scores_ = None, []
        estimator.best_validation_score_ = -np.inf
        estimator._no_improvement_count = 0
    elif not early and estimator.best_loss_ is None:
        estimator.best_loss_, estimator.validation_scores_ = np.inf, None
        estimator.best_validation_score_ = None
        estimator._no_improvement_count = 0


class EarlyStopper:
    """Watch one fit's epochs and say when training has stalled.

    It follows the validation score with ``early_stopping=True`` (keeping
    the weights of the best epoch) and the training loss otherwise. Its state
    across warm starts is the estimator's own record (``best_loss_`` or
    ``best_validation_score_``, and ``_no_improvement_count``): it resumes
    from there and writes back after every epoch, so a saved model holds
    plain numbers only.

    Parameters
    ----------
    estimator : BaseScratchMLP
        The estimator being fitted.
    theta : ndarray of shape (n_params,)
        The flat parameters at the start of the fit.
    """

    def __init__(self, estimator, theta):
        self.estimator = estimator
        self.on_validation = bool(estimator.early_stopping)
        best = (
            estimator.best_validation_score_
            if self.on_validation
            else estimator.best_loss_
        )
        count = estimator._no_improvement_count
        self.plateau = Plateau(estimator.tol, self.on_validation, best, count)
        self.best_theta = ops_for(theta).copy(theta) if self.on_validation else None

    def update(self, theta, loss):
        """Record an epoch; return True when training has stalled.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            The parameters after the epoch.
        loss : float
            The epoch's training loss.

        Returns
        -------
        stalled : bool
            Whether more than ``n_iter_no_change`` epochs in a row brought no
            improvement of at least ``tol``.
        """
        est = self.estimator
        value = est.validation_scores_[-1] if self.on_validation else loss
        if self.plateau.update(value) and self.on_validation:
            ops_for(theta).copyto(self.best_theta, theta)
        self._save()
        return self.plateau.count > est.n_iter_no_change

    def restart(self):
        """Start a new count, after the schedule lowered the learning rate."""
        self.plateau.count = 0
        self._save()

    def _save(self):
        """Write the record back to the estimator's attributes."""
        est = self.estimator
        if self.on_validation:
            est.best_validation_score_ = self.plateau.best_value
        else:
            est.best_loss_ = self.plateau.best_value
        est._no_improvement_count = self.plateau.count

    def message(self):
        """Return the sentence that says training stalled."""
        est = self.estimator
        what = "Validation score" if self.on_validation else "Training loss"
        return (
            f"{what} did not improve more than tol={est.tol:f} for "
            f"{est.n_iter_no_change} consecutive epochs."
        )

    def has_best(self):
        """Whether some epoch's weights are worth keeping: a finite best score."""
        return self.on_validation and bool(np.isfinite(self.plateau.best_value))

    def restore_best(self, theta):
        """With early stopping, put the best epoch's weights into ``theta``."""
        if self.on_validation:
            ops_for(theta).copyto(theta, self.best_theta)
