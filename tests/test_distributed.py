"""Scale-out: cross-validation on a dask cluster, and dask-ml's Incremental.

The cluster runs on this machine only (loopback), with two single-threaded
worker processes whose BLAS is limited to one thread each.
"""

import warnings

import joblib
import numpy as np
import pytest
import threadpoolctl
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skscratch import ScratchMLPClassifier

# pip install ".[distributed]"; without it the whole module is skipped
dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
Client, LocalCluster = distributed.Client, distributed.LocalCluster
get_task_stream = distributed.get_task_stream

ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


@pytest.fixture(scope="module")
def client():
    # Worker processes (not threads): each gets its own BLAS, whose thread
    # count is read from the environment when the worker starts.
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            env=ONE_THREAD,
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client


def _blas_pools():
    return [
        (pool["internal_api"], pool["num_threads"])
        for pool in threadpoolctl.threadpool_info()
        if pool["user_api"] == "blas"
    ]


def _import_numpy_and_skscratch():
    import numpy  # noqa: F401

    import skscratch  # noqa: F401


def test_workers_use_one_blas_thread(client):
    workers = client.run(_import_numpy_and_skscratch)
    assert len(workers) == 2
    pools = client.run(_blas_pools)
    assert set(pools) == set(workers)
    for worker_pools in pools.values():
        assert worker_pools  # NumPy's BLAS is loaded
        assert all(num_threads == 1 for _, num_threads in worker_pools)


def _digits_search():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X[:600])
    y = y[:600]
    search = GridSearchCV(
        ScratchMLPClassifier(max_iter=50, learning_rate_init=0.01, random_state=0),
        {"hidden_layer_sizes": [(16,), (32,)], "alpha": [1e-4, 1.0]},
        cv=3,
    )
    return search, X, y


def test_grid_search_on_cluster_matches_in_process(client):
    local, X, y = _digits_search()
    on_cluster, _, _ = _digits_search()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # The same BLAS thread count as the workers, so that every fit does
        # the same arithmetic in both runs.
        with threadpoolctl.threadpool_limits(limits=1):
            local.fit(X, y)
        with (
            joblib.parallel_config(backend="dask"),
            get_task_stream(client) as stream,
        ):
            on_cluster.fit(X, y)

    # The cross-validation fits ran as tasks on the workers.
    assert stream.data
    assert {task["worker"] for task in stream.data} <= set(
        client.scheduler_info()["workers"]
    )
    assert on_cluster.best_params_ == local.best_params_
    assert on_cluster.best_score_ == local.best_score_
    np.testing.assert_array_equal(
        on_cluster.cv_results_["mean_test_score"],
        local.cv_results_["mean_test_score"],
    )
    np.testing.assert_array_equal(
        on_cluster.cv_results_["split0_test_score"],
        local.cv_results_["split0_test_score"],
    )
    assert local.best_score_ > 0.8
    np.testing.assert_array_equal(on_cluster.predict(X), local.predict(X))


@pytest.mark.parametrize("scheduler", ["threads", "cluster"])
def test_dask_ml_incremental_matches_partial_fit_over_the_chunks(scheduler, request):
    Incremental = pytest.importorskip("dask_ml.wrappers").Incremental

    if scheduler == "cluster":
        # The client is the default scheduler while it is open.
        run_on = get_task_stream(request.getfixturevalue("client"))
    else:
        # The local threaded scheduler, even while a client is open.
        run_on = dask.config.set(scheduler="threads")

    X, y = make_classification(
        n_samples=2000,
        n_features=10,
        n_informative=5,
        n_classes=3,
        random_state=0,
    )
    X = X.astype(np.float32)
    classes = np.unique(y)
    X_dask = da.from_array(X, chunks=(500, -1))
    y_dask = da.from_array(y, chunks=500)
    params = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)

    incremental = Incremental(ScratchMLPClassifier(**params), shuffle_blocks=False)
    with run_on:
        incremental.fit(X_dask, y_dask, classes=classes)
        predicted = incremental.predict(X_dask)
        assert isinstance(predicted, da.Array)
        predicted = predicted.compute()
        proba = incremental.predict_proba(X_dask).compute()
        score = incremental.score(X_dask, y_dask)
    if scheduler == "cluster":
        assert run_on.data  # the blocks were fitted and predicted on the workers

    reference = ScratchMLPClassifier(**params)
    starts = range(0, len(X), 500)
    for start in starts:
        reference.partial_fit(
            X[start : start + 500], y[start : start + 500], classes=classes
        )

    fitted = incremental.estimator_
    assert isinstance(fitted, ScratchMLPClassifier)
    assert fitted is not incremental.estimator  # a clone was trained
    assert not hasattr(incremental.estimator, "coefs_")
    np.testing.assert_array_equal(fitted.classes_, classes)
    for ours, theirs in zip(
        [*fitted.coefs_, *fitted.intercepts_],
        [*reference.coefs_, *reference.intercepts_],
        strict=True,
    ):
        assert ours.dtype == np.float32
        np.testing.assert_array_equal(ours, theirs)
    assert fitted.t_ == reference.t_ == len(X)  # samples seen

    # Predictions are dask arrays, computed block by block.
    np.testing.assert_array_equal(predicted, reference.predict(X))
    # Each block is one call: the same arithmetic as the reference per chunk.
    blockwise = [reference.predict_proba(X[start : start + 500]) for start in starts]
    np.testing.assert_array_equal(proba, np.concatenate(blockwise))
    assert score == reference.score(X, y)
