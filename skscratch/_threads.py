"""How many BLAS threads the training loop uses: measured, not guessed.

NumPy's OpenBLAS starts one thread per core and, between calls, keeps them
spinning. On an idle machine that pays off once the matrix products are
large enough (a (256, 128) net on 100 features trains about 1.3x faster on
two threads than on one, 2 cores). When another process holds a core, as in
a grid search with ``n_jobs=2``, the spinning threads wait for each other and
the same epoch takes 2-3x *longer* than on one thread. Neither the sizes nor
the core count tell the two cases apart, so the loop measures: a few
interleaved batches on one thread and on the current count, then it keeps the
faster for a while (longer each time the choice is confirmed) and measures
again.

The thread count must not change a result: a seed gives the same network
every time. For many shapes OpenBLAS splits a product's rows and columns
between threads, never a dot product, so every element is summed in the same
order; for others (float32 products, small or short batches, and most shapes
in older builds such as NumPy 1.23's) it splits the sums and rounds
differently. So before steering a workload, the products of a batch of each
size are computed on both counts with random numbers and compared bit for
bit; a batch size that differs keeps the count the loop found, as without the
policy.

Two limits: the pools are the process's, so fits running at once in threads
of one process steer the same pools; and a ``partial_fit`` call with a single
batch never completes a measurement, so it runs at the count it finds.
"""

import functools
import os
import statistics
import time
from contextlib import contextmanager
from itertools import pairwise

import numpy as np
from threadpoolctl import ThreadpoolController

#: When False, training keeps whatever thread count it finds (benchmarks use
#: it to show the loop without the policy).
ENABLED = True

#: Timed batches per setting in one measurement.
PROBES = 3
#: Seconds before the first new measurement; the wait doubles each time a
#: measurement confirms the previous choice, up to :data:`MAX_INTERVAL`.
INTERVAL = 1.0
MAX_INTERVAL = 32.0
#: More threads must be this much faster to be kept over one thread.
MARGIN = 0.9
#: A batch on more threads this many times slower than on one ends the
#: measurement at once: contention, and each such batch is expensive.
CLEARLY_WORSE = 1.3

#: Below this many floating-point operations in a batch's products, more
#: threads cannot pay for waking and joining them: one thread, no measuring.
MIN_FLOPS = 2e7

#: Whether a workload's products come out the same on one thread and on
#: many, by (layer sizes, batch rows, dtype, thread count).
_thread_invariant: dict[tuple, bool] = {}

#: Choices that outlive a fit, by workload: a grid search's next fit starts
#: from the last one's choice instead of measuring again.
_choices: dict[tuple, "Choice"] = {}


@functools.cache
def _blas_libraries():
    """Return (NumPy's, SciPy's own) BLAS library controllers.

    NumPy's and SciPy's wheels each bring an OpenBLAS, each with its own
    pool of threads; SciPy's lives in a folder named after SciPy. Where
    both share one library (conda), SciPy has none of its own.
    """
    try:
        controllers = ThreadpoolController().lib_controllers
    except Exception:  # an unusual platform: then leave every pool alone
        return [], []
    blas = [lc for lc in controllers if lc.user_api == "blas"]
    folder = lambda lc: os.path.basename(os.path.dirname(lc.filepath))  # noqa: E731
    scipy_own = [lc for lc in blas if folder(lc).startswith("scipy")]
    return [lc for lc in blas if lc not in scipy_own], scipy_own


def _numpy_blas():
    return _blas_libraries()[0]


def _threads(libraries):
    return max((lc.get_num_threads() for lc in libraries), default=1)


def _set_threads(libraries, n):
    for lc in libraries:
        lc.set_num_threads(n)


def _cpu_sample():
    """Return (wall, all CPUs' busy seconds, this process's CPU seconds).

    None where ``/proc/stat`` cannot be read (not Linux).
    """
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()[1:]
    except OSError:
        return None
    ticks = [int(x) for x in fields[:8]]
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
    own = os.times()
    return time.perf_counter(), busy, own.user + own.system


def _cores_used_by_others(since):
    """Cores other processes kept busy since the sample ``since``, or None."""
    now = _cpu_sample()
    if since is None or now is None or now[0] - since[0] <= 0:
        return None
    others = (now[1] - since[1]) - (now[2] - since[2])
    return max(others, 0.0) / (now[0] - since[0])


class Choice:
    """A thread count, when it was chosen, and how long to trust it."""

    def __init__(self, n_threads, at, interval):
        self.n_threads, self.at, self.interval = n_threads, at, interval
        self.load = _cpu_sample()

    def expired(self, now):
        """Whether it is time to measure again."""
        return now - self.at > self.interval

    def crowded(self, n_threads):
        """Whether other processes left fewer than ``n_threads`` cores free.

        Read from the CPU time the whole machine used since the choice; then
        more threads cannot win and measuring them is skipped.
        """
        others = _cores_used_by_others(self.load)
        return others is not None and (os.cpu_count() or 1) - others < n_threads - 0.5


class FixedThreads:
    """One thread for the batches whose products it cannot change, no measuring.

    Parameters
    ----------
    libraries : list of threadpoolctl library controllers
        The pools to steer; all get the same count.
    n_threads : int
        The pools' own count, restored after every epoch and used for the
        batches whose size is not in ``rows_ok``.
    rows_ok : set of int
        Batch sizes whose products are the same bits on any count.
    """

    def __init__(self, libraries, n_threads, rows_ok):
        self.libraries, self.n_threads, self.rows_ok = libraries, n_threads, rows_ok

    def _count_for(self, rows):
        return 1

    def before_batch(self, rows):
        """Set the count for the batch of ``rows`` rows about to run."""
        ok = rows in self.rows_ok
        _set_threads(self.libraries, self._count_for(rows) if ok else self.n_threads)

    def _end(self):
        """Do what the end of an epoch's batches asks (nothing, here)."""

    @contextmanager
    def steering(self):
        """Run an epoch's batches, then give the pools their own count back.

        Between epochs (validation, callbacks, prediction) the pools have
        their own count, and no timing spans that work.
        """
        try:
            yield
        finally:
            self._end()
            _set_threads(self.libraries, self.n_threads)


class ThreadPolicy(FixedThreads):
    """Time batches on one thread and on ``n`` threads; use the faster.

    Call :meth:`before_batch` before every mini-batch (for L-BFGS, before
    every evaluation of the loss on the full batch), inside
    :meth:`steering`. A measurement lets one batch warm up, then alternates
    one thread and ``n`` until each has :data:`PROBES` timings, or until a
    batch on ``n`` is :data:`CLEARLY_WORSE`. ``n`` is kept only when its
    median is at least ``1 - MARGIN`` below one thread's. The choice holds
    for :data:`INTERVAL` seconds, twice as long each time it is confirmed.
    Where the machine's CPU time shows other processes holding the cores
    that more threads would need, one thread is confirmed without measuring.
    Batches whose size is not in ``rows_ok`` run on ``n`` and are not timed.

    Parameters
    ----------
    libraries, n_threads, rows_ok
        As for :class:`FixedThreads`.
    key : hashable
        The workload, under which the choice is remembered for later fits.
    clock : callable, default=time.perf_counter
        Seconds, as a float.
    """

    def __init__(self, libraries, n_threads, rows_ok, key, clock=time.perf_counter):
        super().__init__(libraries, n_threads, rows_ok)
        self.key, self.clock = key, clock
        self.choice = _choices.get(key)
        self.plan, self.timings, self.timed = [], {1: [], n_threads: []}, None
        self.warmed = False
        if self.choice is None:
            self._start_measuring()
        elif self.choice.expired(clock()):
            self._renew(clock())
        self.last = clock()

    def _renew(self, now):
        """Measure again, unless other processes leave no core to gain."""
        if self.choice.crowded(self.n_threads):
            self._confirm(1, now)
        else:
            self._start_measuring()

    def _start_measuring(self):
        self.timings = {1: [], self.n_threads: []}
        self.plan = [1, self.n_threads] * PROBES  # counts of the timed batches
        self.warmed = False

    def _end(self):
        """Close the timing of a batch that ended with the epoch."""
        now = self.clock()
        if self.timed is not None:
            self.timings[self.timed].append(now - self.last)
            self.timed = None
            if not self.plan or self._clearly_worse():
                self._decide(now)

    def _count_for(self, rows):
        if self.plan and self.warmed:
            self.timed = self.plan.pop(0)
            return self.timed
        if self.plan:  # this batch warms the measurement up, untimed
            self.warmed = True
            return self.n_threads
        return self.choice.n_threads

    def before_batch(self, rows):
        """Time the batch that just ended; set the count for the next one."""
        self._end()
        if not self.plan and self.choice.expired(self.clock()):
            self._renew(self.clock())
        super().before_batch(rows)
        self.last = self.clock()

    def steering(self):
        """As :meth:`FixedThreads.steering`, on the policy's clock."""
        self.last, self.timed = self.clock(), None
        return super().steering()

    def _clearly_worse(self):
        one, many = self.timings[1], self.timings[self.n_threads]
        return bool(many) and many[-1] > CLEARLY_WORSE * statistics.median(one)

    def _decide(self, now):
        one = statistics.median(self.timings[1])
        many = statistics.median(self.timings[self.n_threads])
        self._confirm(self.n_threads if many < MARGIN * one else 1, now)

    def _confirm(self, chosen, now):
        interval = INTERVAL
        if self.choice is not None and self.choice.n_threads == chosen:
            interval = min(2 * self.choice.interval, MAX_INTERVAL)
        self.choice = _choices[self.key] = Choice(chosen, now, interval)
        self.plan, self.timed = [], None


@contextmanager
def steered(policy):
    """Yield the per-batch hook of ``policy`` (or None) while it steers."""
    if policy is None:
        yield None
        return
    with policy.steering():
        yield policy.before_batch


@contextmanager
def single_threaded_scipy_blas():
    """Run L-BFGS with SciPy's own BLAS pool limited to one thread.

    L-BFGS-B calls SciPy's BLAS on vectors of a few thousand parameters
    between NumPy's matrix products; two pools of spinning threads on the same
    cores then slow both down several times over (10x on digits, 2 cores). The
    vector operations gain nothing from threads, so SciPy's pool gets one
    thread for the duration; NumPy's, which does the heavy work, keeps its own.
    Where both share one BLAS library nothing is changed.
    """
    libraries = _blas_libraries()[1]
    saved = [lc.get_num_threads() for lc in libraries]
    _set_threads(libraries, 1)
    try:
        yield
    finally:
        for lc, n in zip(libraries, saved, strict=True):
            lc.set_num_threads(n)


def batch_flops(layer_units, batch_size):
    """Floating-point operations of one batch's matrix products.

    Each layer's product costs ``2 * batch * fan_in * fan_out`` forward, and
    the backward pass needs two more of the same size.
    """
    return 6 * batch_size * sum(a * b for a, b in pairwise(layer_units))


def _batch_products(layer_units, batch_size, dtype):
    """Random operands shaped and laid out like one batch's products."""
    rng = np.random.default_rng(0)
    draw = lambda *shape: rng.standard_normal(shape).astype(dtype)  # noqa: E731
    products = []
    for fan_in, fan_out in pairwise(layer_units):
        A, W, D = (
            draw(batch_size, fan_in),
            draw(fan_in, fan_out),
            draw(batch_size, fan_out),
        )
        products += [(A, W), (A.T, D), (D, W.T)]  # forward, gradient, delta
    return products


def _product(a, b):
    return a @ b


def thread_invariant(libraries, n_threads, layer_units, rows, dtype):
    """Whether a batch's products are bitwise equal on 1 and ``n_threads``.

    For a batch of ``rows`` rows; computed once per batch shape and process.
    The pools are left at ``n_threads``.
    """
    key = (tuple(layer_units), rows, np.dtype(dtype).str, n_threads)
    if key not in _thread_invariant:
        products = _batch_products(layer_units, rows, dtype)
        results = {}
        try:
            for n in (1, n_threads):
                _set_threads(libraries, n)
                results[n] = [_product(a, b) for a, b in products]
        finally:
            _set_threads(libraries, n_threads)
        _thread_invariant[key] = all(
            np.array_equal(a, b)
            for a, b in zip(results[1], results[n_threads], strict=True)
        )
    return _thread_invariant[key]


def blas_thread_policy(layer_units, batch_rows, dtype):
    """Return the thread policy of a fit, or None.

    ``batch_rows`` are the fit's batch sizes (the full batches' and the last
    one's). A choice made for a workload (layer sizes, batch sizes, dtype)
    is reused by the next fit of the same workload. The epochs run their
    batches inside the policy's ``steering``, calling its ``before_batch``
    hook with each batch's size.

    None when there is nothing to choose: the policy is off, no BLAS pool is
    found, it already runs one thread (``threadpool_limits(1)`` around
    ``fit`` is respected), or the count would change the results
    (:func:`thread_invariant`). When the products are too small for threads
    (:data:`MIN_FLOPS`), a :class:`FixedThreads` of one thread; else a
    :class:`ThreadPolicy`. Either steers only the batch sizes whose products
    are the same bits on any count. Only ``steering`` changes the pools'
    count, and it restores it. None too for a dtype that is not NumPy's:
    another namespace's arrays are not multiplied by NumPy's BLAS.
    """
    if not isinstance(dtype, np.dtype | type):
        return None
    libraries = _numpy_blas() if ENABLED else []
    n_threads = _threads(libraries)
    rows = tuple(sorted(set(batch_rows)))
    rows_ok = set()
    if n_threads > 1:
        rows_ok = {
            r
            for r in rows
            if thread_invariant(libraries, n_threads, layer_units, r, dtype)
        }
    if not rows_ok:
        return None
    if batch_flops(layer_units, max(rows)) < MIN_FLOPS:
        return FixedThreads(libraries, n_threads, rows_ok)
    key = (tuple(layer_units), rows, np.dtype(dtype).str)
    return ThreadPolicy(libraries, n_threads, rows_ok, key)
