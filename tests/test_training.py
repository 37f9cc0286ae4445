"""The training loops of the core: mini-batch epochs."""

import numpy as np
import pytest

from skscratch import ScratchMLPClassifier
from skscratch._core.network import Network, glorot_uniform
from skscratch._fit_loop import make_optimizer


def _epoch_peak_memory(solver, dropout, batch_size):
    """Peak traced memory of one epoch after a warm-up epoch; buffer bytes."""
    import tracemalloc

    from skscratch._core.training import make_workspace, run_epoch

    rng = np.random.RandomState(0)
    X = rng.normal(size=(4096, 50))
    Y = np.eye(10)[rng.randint(10, size=4096)]
    units = (50, 128, 64, 10)
    theta = glorot_uniform(units, ["relu"] * 3, rng, np.float64)
    net = Network(units, ("relu", "relu"), "softmax", theta, dropout)
    opt = make_optimizer(ScratchMLPClassifier(solver=solver), net)
    ws = make_workspace(net, X, batch_size, True, np.random.default_rng(0))
    order = rng.permutation(4096)
    run_epoch(net, opt, X, Y, None, 1e-4, batch_size, order, ws)  # warm-up
    tracemalloc.start()
    try:
        run_epoch(net, opt, X, Y, None, 1e-4, batch_size, order, ws)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, sum(a.nbytes for a in ws.acts + ws.deltas + ws.work)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("dropout", [(), (0.3, 0.2)])
def test_training_epoch_allocates_no_arrays_after_warm_up(solver, dropout):
    # After the first epoch, no batch-sized array is allocated: the peak is
    # the same for batches of 128 and 2048 rows (buffers 16x larger), and it
    # is NumPy's fixed 64 KiB iterator scratch, which NumPy takes for every
    # broadcasting ufunc (the bias add), plus a few small Python objects.
    _epoch_peak_memory(solver, dropout, 128)  # one-off caches, in NumPy or here
    small, small_buffers = _epoch_peak_memory(solver, dropout, 128)
    large, large_buffers = _epoch_peak_memory(solver, dropout, 2048)
    assert large_buffers == 16 * small_buffers
    assert small_buffers > 300_000
    assert small < 80_000 and large < 80_000
    assert abs(large - small) < 4_000


def test_an_epoch_stops_before_the_step_of_a_non_finite_batch():
    from skscratch._core.training import Diverged, make_workspace, run_epoch

    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(20, 3)), np.eye(2)[rng.randint(2, size=20)]
    X[15] = np.inf  # in the second batch of 10
    units = (3, 4, 2)
    net = Network(
        units, ("relu",), "softmax", glorot_uniform(units, ["relu"] * 2, rng, float)
    )
    opt = make_optimizer(ScratchMLPClassifier(solver="sgd"), net)
    ws = make_workspace(net, X, 10, False)
    after_first = []
    real_step = opt.step
    opt.step = lambda theta, grad: (
        real_step(theta, grad),
        after_first.append(theta.copy()),
    )
    with np.errstate(invalid="ignore"), pytest.raises(Diverged, match="row 10"):
        run_epoch(net, opt, X, Y, None, 0.0, 10, None, ws)
    assert len(after_first) == 1  # the first batch stepped, the second did not
    np.testing.assert_array_equal(net.theta, after_first[0])
