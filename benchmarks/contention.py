"""``bench_fit.py --contention``: epochs at default BLAS threads on a busy machine.

A grid search with ``n_jobs=2`` on two cores, or any other process holding a
core, leaves OpenBLAS's threads fighting for the cores that remain. This mode
times an epoch of the small and the medium workload

* at one BLAS thread and at the default count (``threadpool_limits`` unset),
  for scikit-learn and for skscratch, and for skscratch with its thread
  policy switched off (``skscratch._threads.ENABLED = False``);
* first on a quiet machine, then with another process spinning on one core.

Reported per library: the epoch time at default threads over the epoch time
at one thread (below 1: threads help; above 1: they hurt). The aim for
skscratch is at most 1.1 under contention while keeping the gain from threads
when the machine is quiet. Fits are interleaved and every time is a median.
Each skscratch fit starts with no remembered choice, as the first fit of a
process does, so the cost of measuring is included.
"""

import multiprocessing
import statistics
import time

from threadpoolctl import threadpool_limits

import skscratch._threads

#: (label, library, BLAS threads or None for the default, policy on)
SETTINGS = (
    ("sklearn", "sklearn", None, True),
    ("sklearn 1 thread", "sklearn", 1, True),
    ("skscratch", "scratch", None, True),
    ("skscratch 1 thread", "scratch", 1, True),
    ("skscratch, no policy", "scratch", None, False),
)


def _spin():
    """Keep one core busy until terminated."""
    while True:
        pass


def _epoch_seconds(make_estimator, lib, params, data, threads, policy):
    skscratch._threads.ENABLED = policy
    skscratch._threads._choices.clear()
    est = make_estimator(lib, params)
    limits = threadpool_limits(limits=threads) if threads else threadpool_limits(None)
    try:
        with limits:
            start = time.perf_counter()
            est.fit(data.X_train, data.y_train)
            return (time.perf_counter() - start) / est.n_iter_
    finally:
        skscratch._threads.ENABLED = True


def _measure(make_estimator, workload, data, repeats):
    """Median epoch seconds of every setting, interleaved."""
    times = {label: [] for label, *_ in SETTINGS}
    for _ in range(repeats):
        for label, lib, threads, policy in SETTINGS:
            times[label].append(
                _epoch_seconds(
                    make_estimator, lib, workload.params, data, threads, policy
                )
            )
    return {label: statistics.median(values) for label, values in times.items()}


def _rows(name, condition, median):
    rows = []
    for lib, label in (
        ("sklearn", "sklearn"),
        ("skscratch", "skscratch"),
        ("skscratch, no policy", "skscratch"),
    ):
        one = median[f"{label} 1 thread"]
        rows.append((name, condition, lib, median[lib], one, median[lib] / one))
    return rows


def run_contention(workloads, make_estimator, repeats=5):
    """Time every setting quiet and busy; print and return a Markdown table.

    Parameters
    ----------
    workloads : dict of str to FitWorkload
        The ``small`` and ``medium`` entries are timed.
    make_estimator : callable
        ``make_estimator(lib, params)`` returns an unfitted estimator.
    repeats : int, default=5
        Interleaved repeats; times are medians.

    Returns
    -------
    table : str
        One row per workload, condition and library.
    """
    rows = []
    for name in ("small", "medium"):
        workload = workloads[name]
        data = workload.make_data()
        warm = {**workload.params, "max_iter": 2}
        for lib in ("sklearn", "scratch"):
            make_estimator(lib, warm).fit(data.X_train, data.y_train)
        for condition in ("quiet", "one core busy"):
            spinner = None
            if condition != "quiet":
                spinner = multiprocessing.Process(target=_spin, daemon=True)
                spinner.start()
                time.sleep(0.5)
            try:
                median = _measure(make_estimator, workload, data, repeats)
            finally:
                if spinner is not None:
                    spinner.terminate()
                    spinner.join()
            rows += _rows(name, condition, median)
            print(f"  {name}, {condition}: done", flush=True)
    lines = [
        "| workload | machine | library | epoch, default threads | "
        "epoch, 1 thread | default / 1 thread |",
        "|---|---|---|---|---|---|",
    ]
    for name, condition, lib, default, one, ratio in rows:
        lines.append(
            f"| {name} | {condition} | {lib} | {default * 1e3:.2f} ms | "
            f"{one * 1e3:.2f} ms | {ratio:.2f} |"
        )
    table = "\n".join(lines)
    print(table)
    return table
