"""Training loops: mini-batch epochs for the stochastic solvers, and L-BFGS.

One training step is the whole story of learning, in two lines::

    loss = loss_and_gradient(net, X_batch, Y_batch, sw_batch, penalty, ws)
    optimizer.step(net.theta, ws.grad)

and an epoch repeats it over batches of a (shuffled) ordering of the rows.
L-BFGS instead hands the flat parameter vector and the full-batch
loss-and-gradient function to ``scipy.optimize.minimize``.
"""

import math

import numpy as np
import scipy.optimize
import scipy.sparse as sp

from skscratch._core.arrays import ops_for
from skscratch._core.network import Workspace, loss_and_gradient


class Diverged(ArithmeticError):
    """Raised when the loss of a batch is not a finite number."""


def _gather_batch(X, Y, sw, start, stop, order, ws):
    """Return the rows ``start:stop`` of a (possibly permuted) dataset.

    Without ``order`` the batch is a view of contiguous rows. With it, dense
    rows are gathered into the workspace's reused buffers (``np.take`` with
    ``out=``), so no batch allocates; sparse rows are indexed as usual.
    """
    if order is None:
        swb = None if sw is None else sw[start:stop]
        return X[start:stop, ...], Y[start:stop, ...], swb
    xp, m, idx = ops_for(Y), stop - start, order[start:stop]
    if ws.X is not None:
        Xb = xp.take(X, idx, axis=0, out=ws.X[:m, ...])
    else:
        Xb = X[idx]
    Yb = xp.take(Y, idx, axis=0, out=ws.Y[:m, ...])
    swb = None if sw is None else xp.take(sw, idx, axis=0, out=ws.sw[:m])
    return Xb, Yb, swb


def run_epoch(
    net, optimizer, X, Y, sw, penalty, batch_size, order, ws, before_batch=None
):
    """Make one pass over the data, one optimizer step per mini-batch.

    A batch whose sample weights sum to zero carries no information: it is
    skipped rather than divided by zero. A batch whose loss is not finite
    stops the epoch, before its step, with :class:`Diverged`. On arrays of
    another namespace (a GPU's), the loss stays on the device and is read
    back once, at the end of the epoch: a non-finite loss raises then.

    Parameters
    ----------
    net : Network
        Trained in place.
    optimizer : Optimizer
        Updates ``net.theta`` in place (see :mod:`skscratch._core.optimizers`).
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Targets, in the network's dtype.
    sw : ndarray of shape (n_samples,) or None
        Sample weights.
    penalty : Penalty or float
        Penalty on the weights (a float is an L2 strength).
    batch_size : int
        Rows per mini-batch (the last one may be smaller).
    order : ndarray of shape (n_samples,) or None
        Row permutation to visit; None visits rows in order.
    ws : Workspace
        Buffers for ``batch_size`` rows.
    before_batch : callable or None, default=None
        Called with the number of rows before every batch (the estimator
        steers BLAS threads with it); it must not touch the network.

    Returns
    -------
    loss : float
        Mean over the epoch of the batch losses, each weighted by its size.

    Raises
    ------
    Diverged
        When a batch loss is infinite or NaN.
    """
    n_samples, total, xp = X.shape[0], 0.0, ops_for(Y)
    if order is not None and not xp.is_numpy:
        order = xp.from_numpy(order, Y)  # one transfer per epoch
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        if before_batch is not None:
            before_batch(stop - start)
        Xb, Yb, swb = _gather_batch(X, Y, sw, start, stop, order, ws)
        batch_loss = loss_and_gradient(net, Xb, Yb, swb, penalty, ws)
        if batch_loss is None:  # the batch's weights sum to zero
            continue
        if xp.is_numpy and not math.isfinite(batch_loss):
            raise Diverged(f"non-finite loss {batch_loss} in the batch at row {start}")
        optimizer.step(net.theta, ws.grad)
        total += batch_loss * (stop - start)
    if not xp.is_numpy:  # the epoch's one read back from the device
        total = float(total)
        if not math.isfinite(total):
            raise Diverged(f"non-finite loss {total} in the epoch")
    return total / n_samples


def make_workspace(net, X, batch_size, shuffle, rng=None):
    """Allocate the buffers for training ``net`` on ``X`` in batches.

    Parameters
    ----------
    net : Network
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    batch_size : int
    shuffle : bool
        Whether batches are gathered from a permutation (then a dense ``X``
        gets a gather buffer).
    rng : numpy.random.Generator, optional
        Source of dropout masks.

    Returns
    -------
    ws : Workspace
    """
    gather = X.shape[1] if shuffle and not sp.issparse(X) else None
    return Workspace(net, batch_size, gather, rng)


def full_batch_loss(net, X, Y, sw, penalty):
    """Return the penalised loss of ``net`` on all of ``X`` at once.

    Parameters
    ----------
    net : Network
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sw : ndarray of shape (n_samples,) or None
    penalty : Penalty or float
        Penalty on the weights (a float is an L2 strength).

    Returns
    -------
    loss : float
    """
    return loss_and_gradient(net, X, Y, sw, penalty, Workspace(net, X.shape[0]))


def minimize_lbfgs(
    net, X, Y, sw, penalty, max_iter, max_fun, tol, callback=None, before_eval=None
):
    """Train ``net`` on the full batch with L-BFGS-B, in place.

    ``scipy.optimize.minimize`` proposes parameter vectors; each is copied
    into the flat buffer, and the loss and its gradient are computed there.
    The optimizer works in float64 whatever the network's dtype, and on the
    host: for a network on another namespace's device, each evaluation
    moves the parameters there and the loss and gradient back.

    Parameters
    ----------
    net : Network
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sw : ndarray of shape (n_samples,) or None
    penalty : Penalty or float
        Penalty on the weights (a float is an L2 strength).
    max_iter : int
        Maximum number of iterations.
    max_fun : int
        Maximum number of loss evaluations.
    tol : float
        Stop when the largest gradient component falls below ``tol``.
    callback : callable, optional
        Called after each iteration with scipy's ``intermediate_result``.
    before_eval : callable, optional
        Called with the number of rows before each loss evaluation (the
        estimator steers BLAS threads with it).

    Returns
    -------
    result : scipy.optimize.OptimizeResult
    """
    ws = Workspace(net, X.shape[0])
    theta, xp = net.theta, ops_for(net.theta)

    def fun(x):
        xp.copyto(theta, xp.from_numpy(x, theta))
        if before_eval is not None:
            before_eval(X.shape[0])
        loss = loss_and_gradient(net, X, Y, sw, penalty, ws)
        loss = loss if xp.is_numpy else float(loss)
        return loss, xp.to_numpy(ws.grad).astype(np.float64)

    kwargs = {}
    if callback is not None:
        kwargs["callback"] = lambda intermediate_result: callback(intermediate_result)
    result = scipy.optimize.minimize(
        fun,
        xp.to_numpy(theta).astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
        **kwargs,
    )
    xp.copyto(theta, xp.from_numpy(result.x, theta))
    return result
