r"""Learning-rate schedules: a factor per epoch that multiplies the learning rate.

A schedule is a function ``factor(epoch, max_iter)`` of the epoch's index
:math:`e = 0, 1, \dots` and the number of epochs :math:`T` (``max_iter``).
During epoch :math:`e` every step uses the rate

.. math:: \eta_e = \eta \cdot \text{factor}(e, T)

where :math:`\eta` is the optimizer's own rate: ``learning_rate_init``, or
what SGD's ``learning_rate`` schedule has made of it. Past the last epoch
(:math:`e \ge T`, possible with ``partial_fit``) the built-in schedules keep
their last value, :math:`\text{factor}(T - 1, T)`.

All of them are built from one half-cosine ramp between two values,

.. math:: \operatorname{ramp}(a, b, p) = a + (b - a) \, \frac{1 - \cos(\pi p)}{2},
          \qquad p \in [0, 1],

which leaves :math:`a` and arrives at :math:`b` with zero slope.
"""

import math


def ramp(start, end, progress):
    r"""Return the half-cosine ramp from ``start`` to ``end`` at ``progress``.

    .. math:: a + (b - a) \frac{1 - \cos(\pi p)}{2}

    Parameters
    ----------
    start, end : float
        Values at progress 0 and 1.
    progress : float
        Position :math:`p` in [0, 1].

    Returns
    -------
    value : float
    """
    return start + (end - start) * (1.0 - math.cos(math.pi * progress)) / 2.0


def cosine(epoch, max_iter):
    r"""Cosine decay from the full rate towards zero over ``max_iter`` epochs.

    .. math:: \text{factor}(e) = \frac{1 + \cos(\pi e / T)}{2}

    Epoch 0 uses the full rate; the last one, :math:`e = T - 1`, a small
    positive fraction of it (Loshchilov and Hutter's SGDR, without restarts).

    Parameters
    ----------
    epoch : int
        Index of the epoch, from 0.
    max_iter : int
        Number of epochs :math:`T`.

    Returns
    -------
    factor : float
    """
    e = min(epoch, max_iter - 1)
    return ramp(1.0, 0.0, e / max_iter)


def warmup_epochs(max_iter):
    r"""Return the length of the warm-up, :math:`W = \lceil T / 10 \rceil`.

    Parameters
    ----------
    max_iter : int
        Number of epochs :math:`T`.

    Returns
    -------
    n_warmup : int
    """
    return math.ceil(max_iter / 10)


def warmup_cosine(epoch, max_iter):
    r"""Warm up linearly over the first tenth of the epochs, then decay as a cosine.

    With :math:`W` = :func:`warmup_epochs` (:math:`\lceil T / 10 \rceil`),

    .. math::

        \text{factor}(e) =
        \begin{cases}
            \dfrac{e + 1}{W + 1} & e < W, \\[1ex]
            \dfrac{1 + \cos(\pi (e - W) / (T - W))}{2} & e \ge W,
        \end{cases}

    so the rate climbs in :math:`W` equal steps to the full rate, reached at
    epoch :math:`W`, then decays as :func:`cosine` does over the rest.

    Parameters
    ----------
    epoch : int
        Index of the epoch, from 0.
    max_iter : int
        Number of epochs :math:`T`.

    Returns
    -------
    factor : float
    """
    e, n_warmup = min(epoch, max_iter - 1), warmup_epochs(max_iter)
    if e < n_warmup:
        return (e + 1) / (n_warmup + 1)
    return ramp(1.0, 0.0, (e - n_warmup) / (max_iter - n_warmup))


#: One-cycle constants, PyTorch's ``OneCycleLR`` defaults: the share of the
#: epochs spent rising, the start as a fraction of the peak, and the end as a
#: fraction of the start.
ONE_CYCLE_RISE, ONE_CYCLE_START, ONE_CYCLE_END = 0.3, 1 / 25, 1e-4


def one_cycle(epoch, max_iter):
    r"""Smith's one-cycle policy: up to the full rate, then far below the start.

    With :math:`U = \lfloor 0.3 (T - 1) \rfloor` the epoch of the peak, a
    start :math:`s = 1/25` and an end :math:`s \cdot 10^{-4}` (the defaults
    of PyTorch's ``OneCycleLR``, with cosine annealing, counted in epochs):

    .. math::

        \text{factor}(e) =
        \begin{cases}
            \operatorname{ramp}(s, 1, e / U) & e \le U, \\
            \operatorname{ramp}(1, 10^{-4} s, (e - U) / (T - 1 - U)) & e > U,
        \end{cases}

    so epoch 0 uses :math:`1/25` of the rate, epoch :math:`U` all of it and
    the last epoch :math:`4 \times 10^{-6}` of it. (With :math:`U = 0`,
    when :math:`T < 5`, training starts at the peak.)

    Parameters
    ----------
    epoch : int
        Index of the epoch, from 0.
    max_iter : int
        Number of epochs :math:`T`.

    Returns
    -------
    factor : float
    """
    e, peak = min(epoch, max_iter - 1), math.floor(ONE_CYCLE_RISE * (max_iter - 1))
    if e <= peak:
        return ramp(ONE_CYCLE_START, 1.0, e / peak) if peak else 1.0
    end = ONE_CYCLE_START * ONE_CYCLE_END
    return ramp(1.0, end, (e - peak) / (max_iter - 1 - peak))


#: schedule name -> ``factor(epoch, max_iter)``; the estimators validate names
#: against these keys.
SCHEDULES = {
    "cosine": cosine,
    "warmup_cosine": warmup_cosine,
    "one_cycle": one_cycle,
}
