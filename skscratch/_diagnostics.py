"""``record_diagnostics``: per-epoch, per-layer measurements kept in ``diagnostics_``.

With ``record_diagnostics=True`` a stochastic fit wraps its optimizer in a
:class:`~skscratch._core.diagnostics.StepMonitor` and, after every epoch,
measures the network (see :data:`DIAGNOSTICS`). Switched off, nothing here
runs: the fit takes exactly the steps it takes without this module.
"""

import numpy as np

from skscratch._core.arrays import ops_for
from skscratch._core.diagnostics import (
    StepMonitor,
    activation_statistics,
    weight_norms,
)

#: Rows of the training data the activations are measured on, at most: a
#: forward pass over them costs about a tenth of an epoch of 20,000 rows.
ACTIVATION_ROWS = 2000

#: The keys of ``diagnostics_``, each with what its rows hold.
DIAGNOSTICS = {
    "epoch": "the epoch (1-based, its position in loss_curve_)",
    "weight_norm": "Frobenius norm of each weight matrix after the epoch",
    "grad_norm": "mean over the epoch's steps of each weight gradient's norm",
    "update_ratio": "mean over the steps of |step of W| / |W| for each matrix",
    "activation_mean": "mean output of each hidden layer (training rows)",
    "activation_std": "standard deviation of each hidden layer's output",
    "dead_fraction": "fraction of each hidden layer's units never positive",
}


def check_solver(estimator):
    """Refuse ``record_diagnostics`` with L-BFGS, which takes no steps per epoch."""
    if estimator.record_diagnostics:
        raise ValueError(
            "record_diagnostics=True records each epoch of a stochastic solver "
            "('sgd', 'adam', 'rmsprop', 'adamw'); solver='lbfgs' has no epochs "
            "of mini-batch steps. Use a stochastic solver, or "
            "record_diagnostics=False."
        )


class DiagnosticsRecorder:
    """Measure every epoch of one stochastic fit; store them in ``diagnostics_``.

    Parameters
    ----------
    estimator : BaseScratchMLP
        The estimator being fitted.
    net : Network
        Its network.
    X : ndarray or sparse matrix
        The training data of the fit (without a held-out validation part);
        the activations are measured on its first :data:`ACTIVATION_ROWS`
        rows.
    """

    def __init__(self, estimator, net, X):
        self.est, self.net, self.X = estimator, net, X[:ACTIVATION_ROWS]
        self.rows = []
        self.monitor = None

    def watch(self, optimizer):
        """Return ``optimizer`` wrapped so that its steps are measured."""
        self.monitor = StepMonitor(optimizer, self.net.layer_units, self.net.theta)
        return self.monitor

    def begin_epoch(self):
        """Forget the steps of an epoch that was not recorded."""
        self.monitor.take()

    def end_epoch(self):
        """Measure the network after an epoch and keep the row."""
        grad_norm, update_ratio = self.monitor.take()
        row = {
            "epoch": len(self.est.loss_curve_),
            "weight_norm": weight_norms(self.net.theta, self.net.layer_units),
            "grad_norm": grad_norm,
            "update_ratio": update_ratio,
        }
        stats = activation_statistics(self.net, self.X)
        for key, values in zip(
            ("activation_mean", "activation_std", "dead_fraction"), stats, strict=True
        ):
            row[key] = values
        self.rows.append(row)

    def store(self):
        """Set ``diagnostics_``: earlier epochs of this network, then this fit's."""
        if not self.rows:
            return
        new = {key: np.array([row[key] for row in self.rows]) for key in DIAGNOSTICS}
        old = getattr(self.est, "diagnostics_", None)
        if old is not None and old["epoch"].size and old["epoch"][-1] < new["epoch"][0]:
            new = {key: np.concatenate([old[key], new[key]]) for key in DIAGNOSTICS}
        self.est.diagnostics_ = new


def recorder_for(estimator, net, X):
    """Return a :class:`DiagnosticsRecorder`, or None when diagnostics are off."""
    if not estimator.record_diagnostics:
        return None
    if not ops_for(net.theta).is_numpy:
        raise ValueError(
            "record_diagnostics=True records its statistics with NumPy: fit "
            "on NumPy arrays (without array API dispatch), or set "
            "record_diagnostics=False."
        )
    return DiagnosticsRecorder(estimator, net, X)
