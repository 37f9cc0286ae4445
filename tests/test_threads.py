"""The BLAS thread policy: which count it picks, when it measures, what it restores."""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

import skscratch._fit_loop as fit_loop
import skscratch._threads as threads
from skscratch import ScratchMLPClassifier
from skscratch._threads import ThreadPolicy, batch_flops, blas_thread_policy


class FakePool:
    """A BLAS library controller that only remembers its thread count."""

    def __init__(self, n):
        self.n, self.history = n, []

    def get_num_threads(self):
        return self.n

    def set_num_threads(self, n):
        self.n = n
        self.history.append(n)


MS = 1e-3
ROWS = 64


class Machine:
    """A clock on which a batch lasts ``seconds[n_threads]`` milliseconds."""

    def __init__(self, pool, ms):
        self.pool, self.t = pool, 0.0
        self.seconds = {n: value * MS for n, value in ms.items()}
        self.counts = []  # the count each batch ran on

    def __call__(self):
        return self.t

    def run_batches(self, policy, n, rows=ROWS):
        """One epoch of ``n`` batches of ``rows`` rows, steered by ``policy``."""
        with policy.steering():
            for _ in range(n):
                policy.before_batch(rows)
                self.counts.append(self.pool.n)
                self.t += self.seconds[self.pool.n]


@pytest.fixture(autouse=True)
def no_remembered_choices(monkeypatch):
    monkeypatch.setattr(threads, "_choices", {})
    monkeypatch.setattr(threads, "_thread_invariant", {})
    monkeypatch.setattr(threads, "_cores_used_by_others", lambda since: None)


def policy_on(seconds, n_threads=4, key="net", rows_ok=(ROWS,)):
    pool = FakePool(n_threads)
    machine = Machine(pool, seconds)
    policy = ThreadPolicy([pool], n_threads, set(rows_ok), key, clock=machine)
    return policy, pool, machine


def test_more_threads_kept_when_clearly_faster():
    policy, pool, machine = policy_on({4: 1.0, 1: 2.0})
    machine.run_batches(policy, 1 + 2 * threads.PROBES + 2)
    assert policy.choice.n_threads == 4
    # a warm-up batch, then one and four in turn, then the choice
    assert machine.counts == [4] + [1, 4] * threads.PROBES + [4, 4]
    assert pool.n == 4  # the pools' own count after the epoch


def test_one_thread_kept_when_more_threads_gain_too_little():
    policy, _, machine = policy_on({4: 0.95, 1: 1.0})
    machine.run_batches(policy, 1 + 2 * threads.PROBES + 2)
    assert policy.choice.n_threads == 1 and machine.counts[-2:] == [1, 1]


def test_a_clearly_slower_batch_ends_the_measurement():
    policy, _, machine = policy_on({4: 5.0, 1: 1.0})
    machine.run_batches(policy, 5)
    assert policy.choice.n_threads == 1
    assert machine.counts == [4, 1, 4, 1, 1]  # a single timed batch on four


def test_measures_again_after_the_interval_and_doubles_it_on_confirmation():
    policy, _, machine = policy_on({4: 1.0, 1: 2.0})
    machine.run_batches(policy, 8)
    first = policy.choice
    assert first.interval == threads.INTERVAL
    within = int(threads.INTERVAL / MS) - 10
    machine.run_batches(policy, within)
    assert set(machine.counts[8:]) == {4}  # no measuring within the interval
    machine.run_batches(policy, 20 + 2 * threads.PROBES)
    assert 1 in machine.counts[8 + within :]
    assert policy.choice is not first and policy.choice.n_threads == 4
    assert policy.choice.interval == 2 * threads.INTERVAL


def test_a_change_of_load_is_followed():
    policy, _, machine = policy_on({4: 1.0, 1: 2.0})
    machine.run_batches(policy, 8)
    assert machine.counts[-1] == 4
    machine.seconds = {4: 3 * MS, 1: 2 * MS}  # another process arrives
    machine.run_batches(policy, int(threads.INTERVAL / MS) + 10)
    assert policy.choice.n_threads == 1 and machine.counts[-1] == 1


def test_a_crowded_machine_confirms_one_thread_without_measuring(monkeypatch):
    policy, _, machine = policy_on({4: 9.0, 1: 1.0})
    machine.run_batches(policy, 4)
    assert machine.counts[-1] == 1
    monkeypatch.setattr(threads, "_cores_used_by_others", lambda since: 99.0)
    machine.run_batches(policy, int(threads.INTERVAL / MS) + 10)
    assert set(machine.counts[4:]) == {1}
    assert policy.choice.interval == 2 * threads.INTERVAL


def test_the_choice_carries_over_to_the_next_fit_of_the_same_net():
    policy, pool, machine = policy_on({4: 1.0, 1: 2.0})
    machine.run_batches(policy, 8)
    again = ThreadPolicy([pool], 4, {ROWS}, "net", clock=machine)
    machine.run_batches(again, 3)
    assert machine.counts[8:] == [4, 4, 4]  # no measuring
    other = ThreadPolicy([pool], 4, {ROWS}, "another net", clock=machine)
    machine.run_batches(other, 3)
    assert 1 in machine.counts[11:]  # a new workload is measured


def test_time_between_epochs_is_no_batch_time():
    policy, pool, machine = policy_on({4: 1.0, 1: 2.0})
    machine.run_batches(policy, 2)  # warm-up, then a timed batch on one
    machine.t += 0.5  # validation, callbacks: the pools' own count
    assert pool.n == 4
    machine.run_batches(policy, 1)
    assert policy.timings[1] == [pytest.approx(2 * MS)]
    assert policy.timings[4] == [pytest.approx(1 * MS)]


def test_batch_sizes_that_round_by_count_keep_the_pools_count():
    # The last, shorter batch is not steered and not timed.
    policy, pool, machine = policy_on({4: 1.0, 1: 2.0}, rows_ok=(ROWS,))
    for _ in range(6):
        machine.run_batches(policy, 2)
        machine.run_batches(policy, 1, rows=ROWS - 1)
    short = machine.counts[2::3]
    assert set(short) == {4}
    assert len(policy.timings[1]) + len(policy.timings[4]) <= 2 * threads.PROBES
    fixed = threads.FixedThreads([pool], 4, {ROWS})
    machine.run_batches(fixed, 1)
    machine.run_batches(fixed, 1, rows=ROWS - 1)
    assert machine.counts[-2:] == [1, 4] and pool.n == 4


def test_the_policy_of_a_fit(monkeypatch):
    pool = FakePool(2)
    monkeypatch.setattr(threads, "_numpy_blas", lambda: [pool])
    big = [100, 256, 128, 10]
    assert batch_flops(big, 256) == 6 * 256 * (100 * 256 + 256 * 128 + 128 * 10)
    policy = blas_thread_policy(big, [256, 17], np.float64)
    assert isinstance(policy, ThreadPolicy) and policy.rows_ok == {17, 256}
    assert pool.n == 2
    policy = blas_thread_policy([64, 10, 10], [32], np.float64)
    assert type(policy) is threads.FixedThreads  # too small for threads
    pool.n = 1
    policy = blas_thread_policy(big, [256], np.float64)
    assert policy is None and pool.n == 1  # threadpool_limits(1) kept
    monkeypatch.setattr(threads, "ENABLED", False)
    pool.n = 2
    policy = blas_thread_policy(big, [256], np.float64)
    assert policy is None and pool.n == 2


def test_a_count_that_changes_results_is_never_switched(monkeypatch):
    pool = FakePool(2)
    monkeypatch.setattr(threads, "_numpy_blas", lambda: [pool])
    monkeypatch.setattr(threads, "thread_invariant", lambda *args: False)
    for units in ([100, 256, 128, 10], [64, 10, 10]):  # measured, or too small
        assert blas_thread_policy(units, [256], np.float64) is None
        assert pool.n == 2
    assert pool.history == []


def test_the_invariance_probe_compares_the_batch_products(monkeypatch):
    pool = FakePool(2)
    units = [5, 4, 3]
    assert threads.thread_invariant([pool], 2, units, 7, np.float32)
    assert pool.history == [1, 2, 2] and pool.n == 2  # both counts, then back
    products = threads._batch_products(units, 7, np.float32)
    assert [(a.shape, b.shape) for a, b in products] == [
        ((7, 5), (5, 4)),  # forward
        ((5, 7), (7, 4)),  # weight gradient
        ((7, 4), (4, 5)),  # delta to the layer below
        ((7, 4), (4, 3)),
        ((4, 7), (7, 3)),
        ((7, 3), (3, 4)),
    ]
    assert all(a.dtype == np.float32 for pair in products for a in pair)
    # a BLAS whose sums depend on the count: the probe sees it
    monkeypatch.setattr(threads, "_thread_invariant", {})
    calls = []

    def rounding_by_count(a, b):
        calls.append(1)
        result = np.matmul(a, b)
        if len(calls) > len(products):  # the second count: one ulp off
            result = np.nextafter(result, np.inf)
        return result

    monkeypatch.setattr(threads, "_batch_products", lambda *args: products)
    monkeypatch.setattr(threads, "_product", rounding_by_count)
    assert not threads.thread_invariant([pool], 2, units, 7, np.float32)


def _blas_threads():
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


MAX_THREADS = max(_blas_threads(), default=1)  # before the suite's limit of 1


@pytest.mark.skipif(MAX_THREADS < 2, reason="needs a BLAS with 2 threads or more")
def test_the_policy_never_changes_the_weights(monkeypatch):
    # Switching threads every batch gives the weights of a fit at the default
    # count; where the BLAS rounds by count, the policy does not switch.
    rng = np.random.RandomState(0)
    X = rng.standard_normal((600, 100))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    params = dict(hidden_layer_sizes=(256, 128), batch_size=128, max_iter=3)
    monkeypatch.setattr(threads, "PROBES", 1)
    monkeypatch.setattr(threads, "INTERVAL", 0.0)  # keep switching
    counts, set_threads = [], threads._set_threads

    def recording(libraries, n):
        counts.append(n)
        set_threads(libraries, n)

    with threadpool_limits(MAX_THREADS, user_api="blas"):
        before = _blas_threads()
        with pytest.warns(ConvergenceWarning):
            steered = ScratchMLPClassifier(**params, random_state=0).fit(X, y)
        invariant = any(
            threads.thread_invariant(
                threads._numpy_blas(), MAX_THREADS, [100, 256, 128, 1], rows, float
            )
            for rows in (128, 88)  # the full batches, the last one
        )
        monkeypatch.setattr(threads, "_set_threads", recording)
        with pytest.warns(ConvergenceWarning):
            recorded = ScratchMLPClassifier(**params, random_state=0).fit(X, y)
        assert _blas_threads() == before
        monkeypatch.setattr(threads, "ENABLED", False)
        with pytest.warns(ConvergenceWarning):
            default = ScratchMLPClassifier(**params, random_state=0).fit(X, y)
    assert ({1, MAX_THREADS} <= set(counts)) == invariant
    for fit in (steered, recorded):
        for a, b in zip(fit.coefs_, default.coefs_, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_the_training_loop_calls_the_hook_once_per_batch(monkeypatch, solver):
    calls, workloads = [], []

    class Counting(threads.FixedThreads):
        def before_batch(self, rows):
            calls.append(rows)

    def counting_policy(layer_units, batch_rows, dtype):
        workloads.append((list(layer_units), list(batch_rows), np.dtype(dtype)))
        return Counting([], 1, {})

    monkeypatch.setattr(fit_loop, "blas_thread_policy", counting_policy)
    rng = np.random.RandomState(0)
    X, y = rng.standard_normal((90, 4)).astype(np.float32), rng.randint(0, 2, 90)
    est = ScratchMLPClassifier(
        hidden_layer_sizes=(5,), solver=solver, batch_size=40, max_iter=3
    )
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    if solver == "lbfgs":
        assert workloads == [([4, 5, 1], [90], np.float32)]
        assert len(calls) >= est.n_iter_ and set(calls) == {90}  # per evaluation
    else:
        assert workloads == [([4, 5, 1], [40, 10], np.float32)]
        assert calls == [40, 40, 10] * 3  # each batch's rows, every epoch
