"""The learning-rate schedule of a fit: a factor per epoch, and its record.

``learning_rate_schedule`` names a schedule of
:data:`skscratch._core.schedules.SCHEDULES` or is a callable
``(epoch, max_iter) -> factor``. For every epoch the optimizer's own rate
(``learning_rate_init``, or what SGD's ``learning_rate`` made of it) is
multiplied by the factor; after the epoch the rate is put back, so SGD's
'invscaling' and 'adaptive' go on working on their own rate, and the product
is what the steps use. The rate each epoch used is appended to
``learning_rate_curve_``.

A ``fit`` (warm-started or not) runs the schedule from epoch 0 over its
``max_iter`` epochs; ``partial_fit`` carries the epoch count on from the
previous call.
"""

import math
from contextlib import contextmanager
from numbers import Real

from sklearn.utils._param_validation import StrOptions

from skscratch._core.schedules import SCHEDULES

#: The constraints of the parameters that act between epochs.
EPOCH_CONSTRAINTS = {
    "learning_rate_schedule": [None, StrOptions(set(SCHEDULES)), callable],
    "record_diagnostics": ["boolean"],
}


def start_curves(estimator):
    """Start the per-epoch records of a new network; drop its diagnostics."""
    estimator.loss_curve_ = []
    estimator.learning_rate_curve_ = []
    vars(estimator).pop("diagnostics_", None)


def schedule_factor(schedule, epoch, max_iter):
    """Return the factor of ``schedule`` for an epoch, checked.

    Parameters
    ----------
    schedule : str or callable
        A name in :data:`~skscratch._core.schedules.SCHEDULES`, or a
        callable ``(epoch, max_iter) -> factor``.
    epoch : int
        Index of the epoch, from 0.
    max_iter : int
        Number of epochs of the schedule.

    Returns
    -------
    factor : float

    Raises
    ------
    ValueError
        When a callable returns something other than a finite number >= 0.
    """
    function = SCHEDULES[schedule] if isinstance(schedule, str) else schedule
    factor = function(epoch, max_iter)
    if (
        not isinstance(factor, Real)
        or isinstance(factor, bool)
        or not math.isfinite(factor)
        or factor < 0
    ):
        raise ValueError(
            f"learning_rate_schedule returned {factor!r} for epoch {epoch} "
            f"(max_iter={max_iter}); it must return a finite number >= 0, the "
            "factor that multiplies the learning rate."
        )
    return float(factor)


class EpochRates:
    """Scale the optimizer's rate for each epoch and record the rate used.

    Parameters
    ----------
    estimator : BaseScratchMLP
        The estimator being fitted: its ``learning_rate_curve_`` and epoch
        count ``_schedule_epoch`` are updated after every epoch.
    incremental : bool
        True for ``partial_fit``, which continues the epoch count.
    """

    def __init__(self, estimator, incremental):
        self.est = estimator
        self.schedule = estimator.learning_rate_schedule
        if not incremental or not hasattr(estimator, "_schedule_epoch"):
            estimator._schedule_epoch = 0
        if getattr(estimator, "learning_rate_curve_", None) is None:
            estimator.learning_rate_curve_ = []
        self.rate = None

    @contextmanager
    def applied(self, optimizer):
        """Run an epoch with the scheduled rate, then restore the optimizer's own."""
        base = optimizer.learning_rate
        if self.schedule is None:
            self.rate = float(base)
            yield
            return
        est = self.est
        factor = schedule_factor(self.schedule, est._schedule_epoch, est.max_iter)
        self.rate = base * factor
        optimizer.learning_rate = self.rate
        try:
            yield
        finally:
            optimizer.learning_rate = base

    def record(self):
        """Append the epoch's rate to ``learning_rate_curve_``; count the epoch."""
        self.est.learning_rate_curve_.append(self.rate)
        self.est._schedule_epoch += 1
