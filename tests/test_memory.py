"""Fitting and predicting do not copy the data needlessly."""

import tracemalloc

import numpy as np
import pytest
from _reliability_support import KINDS, SOLVERS, _make, ignore_convergence

# ================================================================ 7. memory


@pytest.fixture(scope="module")
def big_data():
    """200,000 x 50 float64 (80 MB) with binary and continuous targets."""
    rng = np.random.RandomState(0)
    X_ = rng.standard_normal((200_000, 50))
    return X_, {"clf": (X_[:, 0] > 0).astype(int), "reg": X_[:, 0] + X_[:, 1]}


def _peak_memory(func):
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_and_predict_do_not_copy_X(big_data, kind, solver, dtype):
    X_big, y_big = big_data
    X_ = X_big if dtype == np.float64 else X_big.astype(np.float32)
    assert X_.flags.c_contiguous
    est = _make(kind, hidden_layer_sizes=(2,), max_iter=1, solver=solver)
    fit_peak = _peak_memory(lambda: est.fit(X_, y_big[kind]))
    assert est.coefs_[0].dtype == dtype
    predict_peak = _peak_memory(lambda: est.predict(X_))
    assert fit_peak < 0.5 * X_.nbytes
    assert predict_peak < 0.25 * X_.nbytes


@ignore_convergence
def test_early_stopping_copies_X_at_most_once(big_data):
    X_big, y_big = big_data
    est = _make("reg", hidden_layer_sizes=(2,), max_iter=1, early_stopping=True)
    peak = _peak_memory(lambda: est.fit(X_big, y_big["reg"]))
    assert peak < 1.5 * X_big.nbytes
