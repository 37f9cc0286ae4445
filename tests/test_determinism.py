"""Same seed, same model: across runs, processes and threads."""

import concurrent.futures
import contextlib
import io
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from _reliability_support import (
    KINDS,
    SOLVERS,
    X,
    Y,
    _assert_params_equal,
    _make,
    _outputs,
    _params,
    ignore_convergence,
)
from sklearn.model_selection import GridSearchCV

# =========================================================== 5. determinism


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_same_random_state_gives_bit_identical_fits(kind, solver, early_stopping):
    fits = [
        _make(kind, solver=solver, early_stopping=early_stopping).fit(X, Y[kind])
        for _ in range(2)
    ]
    _assert_params_equal(_params(fits[0]), _params(fits[1]))
    assert fits[0].loss_curve_ == fits[1].loss_curve_
    for a, b in zip(_outputs(fits[0], X), _outputs(fits[1], X), strict=True):
        assert np.array_equal(a, b)


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
def test_random_state_none_gives_different_initialisations(kind):
    a, b = (_make(kind, random_state=None, max_iter=1).fit(X, Y[kind]) for _ in "ab")
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


FINGERPRINT_SCRIPT = textwrap.dedent(
    """
    import hashlib, warnings
    import numpy as np
    from skscratch import ScratchMLPClassifier, ScratchMLPRegressor
    warnings.simplefilter("ignore")
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = {"clf": np.array(["b", "a", "c"])[np.arange(40) % 3], "reg": X @ [1, -2, 0.5]}
    h = hashlib.sha256()
    for kind, cls in [("clf", ScratchMLPClassifier), ("reg", ScratchMLPRegressor)]:
        for solver in ["sgd", "adam", "lbfgs"]:
            est = cls(hidden_layer_sizes=(4,), max_iter=5, solver=solver,
                      random_state=0, early_stopping=solver == "adam")
            est.fit(X, y[kind])
            for p in est.coefs_ + est.intercepts_:
                h.update(p.tobytes())
            h.update(np.asarray(est.predict(X)).astype(str).tobytes())
    print(h.hexdigest())
    """
)


def test_fits_are_bit_identical_across_processes():
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONHASH")}
    base.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", FINGERPRINT_SCRIPT],
            env={**base, "PYTHONHASHSEED": seed},  # different set/dict orders
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in ("1", "2")
    ]
    digests = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        digests.append(out.strip())
    assert len(digests[0]) == 64
    assert digests[0] == digests[1]
    # and this process, on one BLAS thread too, computes the same
    buffer = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(buffer):
        exec(FINGERPRINT_SCRIPT, {})
    assert buffer.getvalue().split() == [digests[0]]


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
def test_grid_search_in_parallel_equals_serial(kind):
    grid = {"alpha": [1e-4, 1.0], "solver": ["adam", "lbfgs"]}
    searches = [
        GridSearchCV(_make(kind, max_iter=10), grid, cv=3, n_jobs=n_jobs).fit(
            X, Y[kind]
        )
        for n_jobs in (1, 2)
    ]
    serial, parallel = searches
    assert parallel.best_params_ == serial.best_params_
    assert parallel.best_score_ == serial.best_score_
    np.testing.assert_array_equal(
        parallel.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    _assert_params_equal(
        _params(parallel.best_estimator_), _params(serial.best_estimator_)
    )


# =========================================================== 6. concurrency


@ignore_convergence
@pytest.mark.parametrize("kind", KINDS)
def test_concurrent_predictions_equal_serial_ones(kind):
    est = _make(kind, hidden_layer_sizes=(16, 8)).fit(X, Y[kind])
    # more rows than one prediction block, so each call loops over blocks
    X_big = np.random.RandomState(1).normal(size=(5000, 3))
    methods = ["predict", "predict_proba"] if kind == "clf" else ["predict"]
    expected = {m: getattr(est, m)(X_big) for m in methods}

    def work(i):
        method = methods[i % len(methods)]
        return method, [getattr(est, method)(X_big) for _ in range(10)]

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(16)))
    for method, outputs in results:
        for out in outputs:
            assert np.array_equal(out, expected[method])
