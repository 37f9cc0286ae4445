"""Time ScratchMLPClassifier against scikit-learn's MLPClassifier.

Run from the repository root::

    python benchmarks/bench_fit.py                  # every workload, default threads
    python benchmarks/bench_fit.py --threads 1      # one BLAS thread
    python benchmarks/bench_fit.py --quick          # smoke test, a few seconds
    python benchmarks/bench_fit.py --write-results  # refresh benchmarks/results.md
    python benchmarks/bench_fit.py --contention     # default threads, busy machine

Both estimators are trained on the same data with the same hyper-parameters
and the same number of epochs (``tol=0.0`` and ``n_iter_no_change`` past
``max_iter``, so neither stops early). Their fits are interleaved (sklearn,
scratch, sklearn, scratch, ...) so that a slow patch of the machine hurts both
alike, and every time reported is the median over the repeats. Ratios are
``sklearn_time / scratch_time``: above 1 means skscratch is faster.

Besides the fit workloads the script reports:

* a *GEMM limit* for the medium workload: the time of exactly the matrix
  products one epoch needs, done alone with preallocated outputs, and
  skscratch's epoch time as a multiple of it;
* skscratch's float64 epoch time over its float32 epoch time (medium);
* peak memory (``tracemalloc``) of ``fit`` and ``predict_proba`` for both;
* a PyTorch CPU column when ``import torch`` works, and a JAX column
  (``jax.jit``-compiled steps from skscratch's own initial weights and batch
  order, see ``jax_mlp.py``) when ``import jax`` works; neither is required.
"""

import argparse
import contextlib
import datetime
import gc
import hashlib
import itertools
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy
import sklearn
import threadpoolctl
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info, threadpool_limits

import skscratch
from skscratch import ScratchMLPClassifier
from skscratch._threads import _cpu_sample

try:
    import torch
except (ImportError, OSError):
    torch = None

jax_mlp = None  # imported by load_jax, once the thread count is known


def load_jax(threads):
    """Import the JAX loop if jax is installed; one thread when ``threads == 1``.

    XLA sizes its thread pool by the CPUs the process may run on, when jax is
    first imported, and ignores the BLAS limits. So with ``--threads 1`` the
    process is first pinned to one CPU (Linux), which every library then
    shares: one BLAS thread, one XLA thread.
    """
    global jax_mlp
    if threads == 1 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    try:
        import jax_mlp as module
    except ImportError:
        return
    jax_mlp = module


#: Other implementations timed when installed, in table order.
OTHERS = ("torch", "jax")

# The results page: included by the documentation's benchmarks page.
RESULTS = Path(__file__).resolve().parent / "results.md"
START_MARKER = "<!-- results:start -->"
END_MARKER = "<!-- results:end -->"
CONFIG_RE = re.compile(r"^<!-- config: (.+?) -->$", re.MULTILINE)
MB = 2.0**20
BUSY = 0.03  # share of the CPUs used by other processes that makes a run suspect


# ----------------------------------------------------------------------- data
@dataclass
class Dataset:
    """A train/test split and a one-line description of it."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    description: str

    def astype(self, dtype):
        """Return the same split with ``X`` cast to ``dtype``."""
        return Dataset(
            self.X_train.astype(dtype),
            self.X_test.astype(dtype),
            self.y_train,
            self.y_test,
            self.description,
        )


def digits_data():
    """Digits scaled to [0, 1], 80/20 stratified split."""
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X / 16.0, y, test_size=0.2, stratify=y, random_state=0
    )
    return Dataset(X_tr, X_te, y_tr, y_te, f"digits {X_tr.shape[0]}x{X.shape[1]}")


def synthetic_data(n_train, n_features=100, n_classes=10, seed=0):
    """``make_classification``: ``n_train`` rows to train on, a quarter as many
    held out."""
    X, y = make_classification(
        n_samples=n_train + n_train // 4,
        n_features=n_features,
        n_informative=40,
        n_redundant=10,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=seed,
    )
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, train_size=n_train, stratify=y, random_state=0
    )
    desc = f"make_classification {n_train}x{n_features}, {n_classes} classes"
    return Dataset(X_tr, X_te, y_tr, y_te, desc)


# ------------------------------------------------------------------ workloads
@dataclass
class FitWorkload:
    """One training benchmark: a data maker, estimator parameters, repeats."""

    name: str
    make_data: Callable[[], Dataset]
    params: dict
    repeats: int

    @property
    def title(self):
        """Short human description of the network and solver."""
        p = self.params
        text = f"hidden {p['hidden_layer_sizes']}, {p['solver']}"
        if p["solver"] != "lbfgs":
            text += f", batch {p['batch_size']}"
        if p["solver"] == "sgd":
            text += f", lr {p['learning_rate_init']}, Nesterov momentum {p['momentum']}"
        unit = "iterations" if p["solver"] == "lbfgs" else "epochs"
        return f"{text}, {p['max_iter']} {unit}"


def estimator_params(hidden, solver, max_iter, **extra):
    """Parameters shared by both libraries; nothing can stop training early."""
    return {
        "hidden_layer_sizes": hidden,
        "solver": solver,
        "max_iter": max_iter,
        "tol": 0.0,
        "n_iter_no_change": max_iter + 1,
        "random_state": 0,
        **extra,
    }


def fit_workloads(quick):
    """The training workloads, tiny when ``quick``."""
    n_med = 2000 if quick else 20000
    return {
        "small": FitWorkload(
            "small",
            digits_data,
            estimator_params((100,), "adam", 5 if quick else 50, batch_size=200),
            1 if quick else 7,
        ),
        "medium": FitWorkload(
            "medium",
            lambda: synthetic_data(n_med, seed=0),
            estimator_params((256, 128), "adam", 2 if quick else 10, batch_size=256),
            1 if quick else 5,
        ),
        "sgd": FitWorkload(
            "sgd",
            lambda: synthetic_data(n_med, seed=1),
            estimator_params(
                (256,),
                "sgd",
                3 if quick else 20,
                batch_size=1024,
                learning_rate_init=0.01,
                momentum=0.9,
                nesterovs_momentum=True,
            ),
            1 if quick else 5,
        ),
        "lbfgs": FitWorkload(
            "lbfgs",
            digits_data,
            estimator_params((50,), "lbfgs", 10 if quick else 100),
            1 if quick else 5,
        ),
    }


ALL_WORKLOADS = ("small", "medium", "sgd", "lbfgs", "predict")


# ---------------------------------------------------------------- the libraries
class TorchMLP:
    """A plain PyTorch CPU training loop with MLPClassifier's knobs.

    ``nn.Sequential`` of ``Linear``/``ReLU``, cross-entropy loss, Adam or SGD
    (Nesterov) with the same learning rate and batch size. The L2 penalty of
    scikit-learn (``alpha / batch`` times the weights added to the gradient)
    becomes ``weight_decay`` on the weight matrices only.
    """

    def __init__(self, **params):
        self.params = params

    def _build(self, n_features, n_classes, dtype):
        layers, fan_in = [], n_features
        for units in self.params["hidden_layer_sizes"]:
            layers += [torch.nn.Linear(fan_in, units), torch.nn.ReLU()]
            fan_in = units
        layers.append(torch.nn.Linear(fan_in, n_classes))
        return torch.nn.Sequential(*layers).to(dtype)

    def _optimizer(self, model):
        p = self.params
        weights = [w for name, w in model.named_parameters() if name.endswith("weight")]
        biases = [b for name, b in model.named_parameters() if name.endswith("bias")]
        groups = [
            {"params": weights, "weight_decay": p.get("alpha", 1e-4) / p["batch_size"]},
            {"params": biases, "weight_decay": 0.0},
        ]
        lr = p.get("learning_rate_init", 1e-3)
        if p["solver"] == "sgd":
            return torch.optim.SGD(
                groups,
                lr=lr,
                momentum=p.get("momentum", 0.9),
                nesterov=p.get("nesterovs_momentum", True),
            )
        return torch.optim.Adam(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)

    def fit(self, X, y):
        """Train for exactly ``max_iter`` epochs on shuffled mini-batches."""
        torch.manual_seed(self.params.get("random_state", 0))
        self.classes_ = np.unique(y)
        Xt = torch.from_numpy(np.ascontiguousarray(X))
        yt = torch.from_numpy(np.searchsorted(self.classes_, y))
        self.model_ = self._build(X.shape[1], len(self.classes_), Xt.dtype)
        optimizer = self._optimizer(self.model_)
        loss_fn = torch.nn.CrossEntropyLoss()
        n, batch = Xt.shape[0], min(self.params["batch_size"], Xt.shape[0])
        for _ in range(self.params["max_iter"]):
            order = torch.randperm(n)
            for start in range(0, n, batch):
                idx = order[start : start + batch]
                optimizer.zero_grad(set_to_none=True)
                loss_fn(self.model_(Xt[idx]), yt[idx]).backward()
                optimizer.step()
        self.n_iter_ = self.params["max_iter"]
        return self

    def predict_proba(self, X):
        """Softmax outputs, without autograd."""
        with torch.inference_mode():
            logits = self.model_(torch.from_numpy(np.ascontiguousarray(X)))
            return torch.softmax(logits, dim=1).numpy()

    def score(self, X, y):
        """Held-out accuracy."""
        return float(np.mean(self.classes_[self.predict_proba(X).argmax(1)] == y))

    def load_weights(self, coefs, intercepts, classes):
        """Use the given (scikit-learn layout) weights instead of training."""
        self.classes_ = classes
        dtype = torch.float32 if coefs[0].dtype == np.float32 else torch.float64
        self.model_ = self._build(coefs[0].shape[0], coefs[-1].shape[1], dtype)
        linears = [m for m in self.model_ if isinstance(m, torch.nn.Linear)]
        with torch.no_grad():
            for layer, W, b in zip(linears, coefs, intercepts, strict=True):
                layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
                layer.bias.copy_(torch.from_numpy(np.asarray(b)))
        return self


def make_estimator(lib, params):
    """A fresh, unfitted estimator of library ``lib``."""
    if lib == "sklearn":
        return MLPClassifier(**params)
    if lib == "scratch":
        return ScratchMLPClassifier(**params)
    if lib == "jax":
        return jax_mlp.JaxMLP(**params)
    return TorchMLP(**params)


def libraries(solver):
    """Libraries timed for a solver: torch and jax if installed, not L-BFGS."""
    libs = ["sklearn", "scratch"]
    if solver != "lbfgs":
        libs += [lib for lib in OTHERS if installed(lib)]
    return libs


def installed(lib):
    """Whether the optional library ``lib`` (torch or jax) can be timed."""
    return {"torch": torch, "jax": jax_mlp}[lib] is not None


# ---------------------------------------------------------------- measurement
def timed(fn):
    """Return ``(seconds, result)`` of one call, after a garbage collection."""
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def peak_memory_mb(fn):
    """Peak traced memory (MB) allocated by ``fn()`` above what was live before."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - base) / MB


class OtherLoad:
    """Share of the machine's CPU time that *other* processes used meanwhile.

    Reads the busy time of all CPUs from ``/proc/stat`` and subtracts this
    process's own CPU time; on systems without ``/proc/stat`` it reports None.
    A share above a few percent means the timings competed with other work.
    """

    def __init__(self):
        self.start = self._sample()

    _sample = staticmethod(_cpu_sample)

    def fraction(self):
        """Other processes' CPU time over the wall time of all CPUs, or None."""
        end = self._sample()
        if self.start is None or end is None:
            return None
        wall = (end[0] - self.start[0]) * (os.cpu_count() or 1)
        others = (end[1] - self.start[1]) - (end[2] - self.start[2])
        return max(others, 0.0) / wall if wall > 0 else None


def ratio(a, b):
    """``a / b``, or NaN when either is missing."""
    if a is None or b is None or not b:
        return float("nan")
    return a / b


@dataclass
class FitResult:
    """Timings, iteration counts, accuracies and peak memory of one workload."""

    name: str
    title: str
    data: str
    solver: str
    shape: tuple = ()
    times: dict = field(default_factory=dict)
    iters: dict = field(default_factory=dict)
    accuracy: dict = field(default_factory=dict)
    peak_mb: dict = field(default_factory=dict)
    jax_loss_gap: float | None = None

    def per_iter(self, lib):
        """Per-repeat fit time divided by that fit's ``n_iter_``."""
        return [
            t / max(n, 1) for t, n in zip(self.times[lib], self.iters[lib], strict=True)
        ]

    def median(self, lib, per_iter=True):
        """Median fit time (per iteration, or total) of ``lib``."""
        if lib not in self.times:
            return None
        return statistics.median(self.per_iter(lib) if per_iter else self.times[lib])

    def speedup(self, num="sklearn", den="scratch", per_iter=True):
        """``median(num) / median(den)``."""
        return ratio(self.median(num, per_iter), self.median(den, per_iter))

    def pair_range(self, num="sklearn", den="scratch"):
        """Smallest and largest per-repeat ratio of interleaved pairs."""
        pairs = [
            a / b for a, b in zip(self.per_iter(num), self.per_iter(den), strict=True)
        ]
        return min(pairs), max(pairs)


def run_fit_workload(workload, dtype, repeats):
    """Time the fits of one workload, interleaved, and measure memory."""
    data = workload.make_data().astype(dtype)
    params = workload.params
    libs = libraries(params["solver"])
    X, y = data.X_train, data.y_train
    shape = (*X.shape, len(np.unique(y)))
    result = FitResult(
        workload.name, workload.title, data.description, params["solver"], shape
    )
    warm = {**params, "max_iter": min(2, params["max_iter"])}
    for lib in libs:  # first calls pay for lazy imports and BLAS thread start-up
        make_estimator(lib, warm).fit(X, y)
    fitted = {}
    for lib in libs:
        result.times[lib], result.iters[lib] = [], []
    for _ in range(repeats):
        for lib in libs:
            seconds, est = timed(lambda lib=lib: make_estimator(lib, params).fit(X, y))
            result.times[lib].append(seconds)
            result.iters[lib].append(int(est.n_iter_))
            fitted[lib] = est
    for lib in libs:
        result.accuracy[lib] = float(fitted[lib].score(data.X_test, data.y_test))
    if "jax" in fitted:  # it starts from our weights and visits our batch order
        gap = np.subtract(fitted["jax"].loss_curve_, fitted["scratch"].loss_curve_)
        result.jax_loss_gap = float(np.max(np.abs(gap)))
    short = {**params, "max_iter": min(3, params["max_iter"])}
    for lib in ("sklearn", "scratch"):
        result.peak_mb[lib] = peak_memory_mb(
            lambda lib=lib: make_estimator(lib, short).fit(X, y)
        )
    return result


def gemm_epoch_seconds(layer_units, n_samples, batch_size, dtype, repeats):
    """Median time of the matrix products of one epoch, and nothing else.

    Per batch: ``A @ W`` for every layer (forward), ``A_prev.T @ delta`` for
    every layer and ``delta @ W.T`` for all but the first (backward), each with
    ``np.matmul`` into a preallocated output. The batch input is one reused
    contiguous buffer, as a gathered mini-batch would be.
    """
    rng = np.random.default_rng(0)
    n_layers = len(layer_units) - 1
    X = rng.standard_normal((batch_size, layer_units[0])).astype(dtype)
    W = [
        (rng.standard_normal((a, b)) / np.sqrt(a)).astype(dtype)
        for a, b in itertools.pairwise(layer_units)
    ]
    acts = [np.empty((batch_size, u), dtype) for u in layer_units[1:]]
    deltas = [
        rng.standard_normal((batch_size, u)).astype(dtype) for u in layer_units[1:]
    ]
    grads = [np.empty_like(w) for w in W]
    sizes = [batch_size] * (n_samples // batch_size)
    if n_samples % batch_size:
        sizes.append(n_samples % batch_size)

    def epoch():
        for m in sizes:
            A = X[:m]
            for l in range(n_layers):
                np.matmul(A, W[l], out=acts[l][:m])
                A = acts[l][:m]
            for l in range(n_layers - 1, -1, -1):
                A_prev = X[:m] if l == 0 else acts[l - 1][:m]
                np.matmul(A_prev.T, deltas[l][:m], out=grads[l])
                if l > 0:
                    np.matmul(deltas[l][:m], W[l].T, out=deltas[l - 1][:m])

    epoch()
    return statistics.median(timed(epoch)[0] for _ in range(repeats))


def precision_ratio(workload, repeats):
    """Scratch epoch times on ``workload`` in float64 and float32, interleaved."""
    data = workload.make_data()
    X64, y = data.X_train.astype(np.float64), data.y_train
    X32 = X64.astype(np.float32)
    params = workload.params
    times = {"float64": [], "float32": []}
    for X in (X64, X32):
        ScratchMLPClassifier(**{**params, "max_iter": 1}).fit(X, y)
    for _ in range(repeats):
        for key, X in (("float64", X64), ("float32", X32)):
            seconds, est = timed(lambda X=X: ScratchMLPClassifier(**params).fit(X, y))
            times[key].append(seconds / est.n_iter_)
    return {key: statistics.median(v) for key, v in times.items()}


@dataclass
class PredictResult:
    """``predict_proba`` timings and peak memory on a large matrix."""

    n_rows: int
    title: str
    times: dict = field(default_factory=dict)
    peak_mb: dict = field(default_factory=dict)
    max_abs_diff: dict = field(default_factory=dict)

    def median(self, lib):
        """Median seconds per call, or None when ``lib`` was not timed."""
        return statistics.median(self.times[lib]) if lib in self.times else None

    def pair_range(self, num="sklearn", den="scratch"):
        """Smallest and largest per-repeat ratio of interleaved pairs."""
        pairs = [a / b for a, b in zip(self.times[num], self.times[den], strict=True)]
        return min(pairs), max(pairs)


def run_predict_workload(quick, dtype, repeats):
    """Time ``predict_proba`` of two networks holding the very same weights."""
    n_rows, n_fit = (20_000, 1_000) if quick else (300_000, 5_000)
    X, y = make_classification(
        n_samples=n_rows + n_fit,
        n_features=100,
        n_informative=40,
        n_redundant=10,
        n_classes=10,
        n_clusters_per_class=1,
        random_state=2,
    )
    X = X.astype(dtype)
    X_fit, y_fit, X_pred = X[:n_fit], y[:n_fit], np.ascontiguousarray(X[n_fit:])
    params = estimator_params((256, 128), "adam", 2, batch_size=256)
    scratch = ScratchMLPClassifier(**params).fit(X_fit, y_fit)
    sk = MLPClassifier(**params).fit(X_fit, y_fit)
    if not np.array_equal(sk.classes_, scratch.classes_):
        raise RuntimeError("the two classifiers saw different classes")
    sk.coefs_ = [np.array(c) for c in scratch.coefs_]
    sk.intercepts_ = [np.array(b) for b in scratch.intercepts_]
    models = {"sklearn": sk, "scratch": scratch}
    for lib in OTHERS:
        if installed(lib):
            models[lib] = make_estimator(lib, params).load_weights(
                scratch.coefs_, scratch.intercepts_, scratch.classes_
            )
    title = f"{n_rows}x100, hidden (256, 128), 10 classes, same weights in all"
    result = PredictResult(n_rows, title)
    reference = scratch.predict_proba(X_pred)
    rtol, atol = (1e-3, 1e-5) if dtype == np.float32 else (1e-7, 1e-10)
    for lib, model in models.items():
        proba = model.predict_proba(X_pred)
        if not np.allclose(proba, reference, rtol=rtol, atol=atol):
            raise RuntimeError(f"{lib} predict_proba disagrees with skscratch's")
        result.max_abs_diff[lib] = float(np.max(np.abs(proba - reference)))
        result.times[lib] = []
    del reference, proba
    for _ in range(repeats):
        for lib, model in models.items():
            result.times[lib].append(timed(lambda m=model: m.predict_proba(X_pred))[0])
    for lib in ("sklearn", "scratch"):
        result.peak_mb[lib] = peak_memory_mb(
            lambda m=models[lib]: m.predict_proba(X_pred)
        )
    return result


# ------------------------------------------------------------------- reporting
def git_revision():
    """Commit of the skscratch being measured (the one imported, wherever it is).

    Uncommitted changes to the package add ``+dirty`` and a short hash of its
    sources, so two runs of the same working tree can be matched.
    """
    package = Path(skscratch.__file__).resolve().parent

    def git(*cmd):
        return subprocess.run(
            ["git", *cmd], cwd=package, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        rev = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    if not dirty:
        return rev
    digest = hashlib.sha1()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.read_bytes())
    return f"{rev}+dirty:{digest.hexdigest()[:8]}"


def cpu_name():
    """CPU model from /proc/cpuinfo, else ``platform.processor()``."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def environment_lines():
    """Header lines: machine, versions and every BLAS/OpenMP pool."""
    lines = [
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, "
        f"processor {cpu_name()} ({platform.processor() or 'no platform.processor'})",
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
        f"threadpoolctl {threadpoolctl.__version__}, "
        f"skscratch {skscratch.__version__} ({git_revision()}), "
        f"torch {torch.__version__ if torch is not None else 'not installed'}, "
        f"jax {jax_mlp.jax.__version__ if jax_mlp is not None else 'not installed'}",
    ]
    env = [
        f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("OPENBLAS")
    ]
    if env:
        lines.append("environment: " + ", ".join(env))
    pools = sorted(threadpool_info(), key=lambda p: (p["user_api"], p["filepath"]))
    for pool in pools:
        lines.append(
            f"pool: {pool['internal_api']} {pool.get('version') or ''} "
            f"num_threads={pool['num_threads']} "
            f"architecture={pool.get('architecture', '-')} "
            f"({Path(pool['filepath']).name})"
        )
    return lines


def fmt(x, spec=".3g", suffix=""):
    """Format a number, or '-' when it is missing or NaN."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "-"
    return f"{x:{spec}}{suffix}"


def print_fit_result(r):
    """Console lines for one training workload."""
    print(f"\n[{r.name}] {r.data}; {r.title}")
    unit = "iter" if r.solver == "lbfgs" else "epoch"
    for lib in r.times:
        print(
            f"  {lib:8s} {r.median(lib):.4g} s/{unit}  fit {r.median(lib, False):.4g} s"
            f"  n_iter {r.iters[lib][-1]:<4d} acc {r.accuracy[lib]:.4f}"
            + (f"  fit peak {r.peak_mb[lib]:.1f} MB" if lib in r.peak_mb else "")
        )
    low, high = r.pair_range()
    memory = ratio(r.peak_mb["scratch"], r.peak_mb["sklearn"])
    print(
        f"  sklearn/scratch: {r.speedup():.2f}x per {unit}"
        f" (pairs {low:.2f}-{high:.2f}x), {r.speedup(per_iter=False):.2f}x total;"
        f" memory scratch/sklearn {memory:.2f}"
    )
    for lib in OTHERS:
        if lib in r.times:
            print(
                f"  {lib}/scratch {r.speedup(lib, 'scratch'):.2f}x, "
                f"{lib}/sklearn {r.speedup(lib, 'sklearn'):.2f}x (time ratios)"
            )
    if r.jax_loss_gap is not None:
        print(f"  jax and scratch loss curves differ by at most {r.jax_loss_gap:.2g}")
    if len({n for v in r.iters.values() for n in v}) > 1:
        print(f"  note: iteration counts differ between runs: {r.iters}")


def print_jax_compile_time():
    """The seconds jax spent compiling, which no timing includes."""
    if jax_mlp is not None and jax_mlp.COMPILE_SECONDS:
        seconds = sum(jax_mlp.COMPILE_SECONDS.values())
        print(f"\njax: {seconds:.1f} s of compilation, done before timing and excluded")


def print_predict_result(p):
    """Console lines for the predict workload."""
    print(f"\n[predict] predict_proba on {p.title}")
    for lib in p.times:
        mem = f"  peak {p.peak_mb[lib]:.1f} MB" if lib in p.peak_mb else ""
        print(
            f"  {lib:8s} {p.median(lib):.4g} s{mem}"
            f"  max |diff| vs scratch {p.max_abs_diff[lib]:.2g}"
        )
    speed = ratio(p.median("sklearn"), p.median("scratch"))
    low, high = p.pair_range()
    memory = ratio(p.peak_mb["scratch"], p.peak_mb["sklearn"])
    print(
        f"  sklearn/scratch: {speed:.2f}x (pairs {low:.2f}-{high:.2f}x);"
        f" memory scratch/sklearn {memory:.3f}"
    )


def targets(report):
    """The project's performance targets as ``(text, measured, met)`` tuples.

    ``met`` is None when the run did not measure that target.
    """
    fits = {r.name: r for r in report["fits"]}
    rows = []
    for name, goal in (("small", 2.0), ("medium", 1.3), ("sgd", 1.3), ("lbfgs", 1.0)):
        unit = "iteration" if name == "lbfgs" else "epoch"
        value = fits[name].speedup() if name in fits else None
        rows.append(
            (
                f"{name}: fit per {unit} >= {goal}x sklearn",
                fmt(value, ".2f", "x"),
                None if value is None else value >= goal,
            )
        )
    gemm = report.get("gemm")
    value = gemm["ratio"] if gemm else None
    rows.append(
        (
            "medium: scratch epoch <= 1.15x pure-GEMM epoch",
            fmt(value, ".2f", "x"),
            None if value is None else value <= 1.15,
        )
    )
    p = report.get("predict")
    if p is not None:
        speed = ratio(p.median("sklearn"), p.median("scratch"))
        mem = ratio(p.peak_mb["scratch"], p.peak_mb["sklearn"])
        rows.append(("predict_proba: >= 1.0x sklearn", f"{speed:.2f}x", speed >= 1.0))
        rows.append(
            (
                "predict_proba: peak memory <= 0.25x sklearn's",
                f"{mem:.3f}x",
                mem <= 0.25,
            )
        )
    else:
        rows += [("predict_proba: >= 1.0x sklearn", "-", None)]
        rows += [("predict_proba: peak memory <= 0.25x sklearn's", "-", None)]
    prec = report.get("precision")
    value = ratio(prec["float64"], prec["float32"]) if prec else None
    rows.append(
        (
            "medium: float32 >= 1.6x faster than float64",
            fmt(value, ".2f", "x"),
            None if value is None else value >= 1.6,
        )
    )
    if fits:
        gaps = {
            n: r.accuracy["scratch"] - r.accuracy["sklearn"] for n, r in fits.items()
        }
        worst = max(gaps.values(), key=abs)
        measured = ", ".join(f"{n} {100 * g:+.1f}" for n, g in gaps.items())
        rows.append(
            (
                "held-out accuracy within 1 point of sklearn",
                measured,
                abs(worst) <= 0.01,
            )
        )
    return rows


def _speed_table(fits):
    """Markdown rows of the fit-time table: one row per workload."""
    out = [
        "| workload | network and solver | sklearn ms/epoch | skscratch ms/epoch "
        "| sklearn / skscratch | range over pairs |",
        "|---|---|---|---|---|---|",
    ]
    for r in fits:
        low, high = r.pair_range()
        iters = r.iters["sklearn"][-1], r.iters["scratch"][-1]
        note = "" if iters[0] == iters[1] else f" ({iters[0]}/{iters[1]} iterations)"
        out.append(
            f"| {r.name} | {r.title} | {1e3 * r.median('sklearn'):.4g} "
            f"| {1e3 * r.median('scratch'):.4g} | **{r.speedup():.2f}x**{note} "
            f"| {low:.2f}-{high:.2f}x |"
        )
    return out


def _torch_and_memory_tables(fits):
    """Markdown rows of the accuracy/memory table, and torch's and jax's."""
    out = [
        "",
        "| workload | data | accuracy sklearn / skscratch "
        "| fit peak MB sklearn / skscratch |",
        "|---|---|---|---|",
    ]
    for r in fits:
        acc, mem = r.accuracy, r.peak_mb
        out.append(
            f"| {r.name} | {r.data} | {acc['sklearn']:.4f} / {acc['scratch']:.4f} "
            f"| {mem['sklearn']:.1f} / {mem['scratch']:.1f} |"
        )
    for lib in OTHERS:
        if any(lib in r.times for r in fits):
            out += _other_table(fits, lib)
    return out


def _other_table(fits, lib):
    """Markdown rows comparing ``lib`` (torch or jax) with both estimators."""
    out = [
        "",
        f"| workload | {lib} ms/epoch | {lib} / skscratch | {lib} / sklearn |",
        "|---|---|---|---|",
    ]
    for r in fits:
        ms = r.median(lib)
        out.append(
            f"| {r.name} | {fmt(None if ms is None else 1e3 * ms)} "
            f"| {fmt(r.speedup(lib, 'scratch'), '.2f', 'x')} "
            f"| {fmt(r.speedup(lib, 'sklearn'), '.2f', 'x')} |"
        )
    if lib == "jax":
        compile_s = sum(jax_mlp.COMPILE_SECONDS.values())
        out += ["", f"JAX compile time, excluded above: {compile_s:.1f} s in all."]
    return out


def _extra_lines(report):
    """Markdown bullets: predict_proba, the GEMM limit, float32 against float64."""
    out = []
    p = report.get("predict")
    if p is not None:
        low, high = p.pair_range()
        out.append(
            f"- **predict_proba** on {p.title}: sklearn {p.median('sklearn'):.3f} s, "
            f"skscratch {p.median('scratch'):.3f} s, sklearn / skscratch "
            f"**{ratio(p.median('sklearn'), p.median('scratch')):.2f}x** "
            f"(pairs {low:.2f}-{high:.2f}x); peak memory sklearn "
            f"{p.peak_mb['sklearn']:.1f} MB, skscratch {p.peak_mb['scratch']:.1f} MB."
        )
        for lib in OTHERS:
            if lib in p.times:
                out.append(f"  {lib} {p.median(lib):.3f} s.")
    gemm = report.get("gemm")
    if gemm:
        out.append(
            f"- **GEMM limit** (medium, {gemm['dtype']}): the matrix products alone "
            f"take {gemm['gemm']:.4f} s per epoch, a skscratch epoch "
            f"{gemm['scratch']:.4f} s: **{gemm['ratio']:.2f}x** the limit."
        )
    prec = report.get("precision")
    if prec:
        out.append(
            f"- **float32** (medium, skscratch): {prec['float32']:.4f} s per epoch "
            f"against {prec['float64']:.4f} s in float64, "
            f"**{ratio(prec['float64'], prec['float32']):.2f}x** faster."
        )
    return out


def markdown(report):
    """The Markdown block of one run: tables, extra figures, goals, machine."""
    cfg = report["config"]
    out = [
        f"<!-- config: {cfg} -->",
        f"## {cfg}",
        "",
        f"`{report['command']}` on {report['date']}, skscratch at `{report['rev']}`.",
    ]
    if report.get("other_load") is not None:
        out.append(
            f"Other processes used {100 * report['other_load']:.1f}% of the CPU "
            "time during this run."
        )
    out.append("")
    if report["fits"]:
        out += [
            *_speed_table(report["fits"]),
            *_torch_and_memory_tables(report["fits"]),
        ]
        out.append("")
    out += [*_extra_lines(report), "", "| goal | measured | met |", "|---|---|---|"]
    for text, measured, met in targets(report):
        state = {True: "yes", False: "**no**", None: "not measured"}[met]
        out.append(f"| {text} | {measured} | {state} |")
    out += ["", "Machine and versions:", "", "```text", *report["environment"], "```"]
    return "\n".join(out) + "\n"


def config_sort_key(name):
    """Default threads before numeric, fewer threads first, float64 first."""
    threads = re.search(r"threads=(\w+)", name)
    t = threads.group(1) if threads else "default"
    return (
        "quick" in name,
        "float32" in name,
        (0, 0) if t == "default" else (1, int(t) if t.isdigit() else 0),
        name,
    )


def write_results(block, config, path=RESULTS):
    """Replace (or add) this configuration's block between the result markers."""
    text = path.read_text()
    if START_MARKER not in text or END_MARKER not in text:
        raise SystemExit(f"{path} lacks {START_MARKER} / {END_MARKER}")
    head, rest = text.split(START_MARKER, 1)
    section, tail = rest.split(END_MARKER, 1)
    blocks = {}
    matches = list(CONFIG_RE.finditer(section))
    for i, m in enumerate(matches):
        stop = matches[i + 1].start() if i + 1 < len(matches) else len(section)
        blocks[m.group(1)] = section[m.start() : stop].strip() + "\n"
    blocks[config] = block.strip() + "\n"
    body = "\n".join(blocks[k] for k in sorted(blocks, key=config_sort_key))
    path.write_text(f"{head}{START_MARKER}\n{body}{END_MARKER}{tail}")
    print(f"\nwrote the '{config}' results into {path}")


# ------------------------------------------------------------------------ main
def parse_args(argv=None):
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, help="limit BLAS/OpenMP threads to N")
    parser.add_argument("--float32", action="store_true", help="cast X to float32")
    parser.add_argument("--repeats", type=int, help="repeats for every workload")
    parser.add_argument(
        "--workloads",
        default=",".join(ALL_WORKLOADS),
        help=f"comma-separated subset of {','.join(ALL_WORKLOADS)}",
    )
    parser.add_argument("--quick", action="store_true", help="tiny smoke test")
    parser.add_argument("--markdown", action="store_true", help="print Markdown")
    parser.add_argument(
        "--contention",
        action="store_true",
        help="instead of the workloads: epochs of the small and medium nets at "
        "default and at one BLAS thread, quiet and with one core kept busy",
    )
    parser.add_argument(
        "--write-results",
        action="store_true",
        help="refresh this configuration's block in benchmarks/results.md, "
        "which the documentation's benchmarks page includes",
    )
    args = parser.parse_args(argv)
    args.workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = set(args.workloads) - set(ALL_WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}; pick from {ALL_WORKLOADS}")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be >= 1")
    return args


def medium_extras(workload, result, dtype, repeats):
    """The GEMM limit and the float64/float32 ratio of the medium workload."""
    n_train, n_features, n_classes = result.shape
    p = workload.params
    units = [n_features, *p["hidden_layer_sizes"], n_classes]
    gemm = gemm_epoch_seconds(units, n_train, p["batch_size"], dtype, repeats=7)
    scratch = result.median("scratch")
    print(
        f"  GEMM limit: pure-GEMM epoch {gemm:.4g} s; "
        f"scratch_epoch / gemm_epoch = {scratch / gemm:.2f}"
    )
    prec = precision_ratio(workload, repeats)
    print(
        f"  float32 vs float64 (scratch): {prec['float64']:.4g} s / "
        f"{prec['float32']:.4g} s per epoch = {prec['float64'] / prec['float32']:.2f}x"
    )
    limit = {
        "dtype": np.dtype(dtype).name,
        "gemm": gemm,
        "scratch": scratch,
        "ratio": scratch / gemm,
    }
    return limit, prec


def run(args):
    """Run the selected workloads and return the report dictionary."""
    dtype = np.float32 if args.float32 else np.float64
    threads = args.threads or os.cpu_count()
    if torch is not None:
        torch.set_num_threads(threads)
    config = f"threads={args.threads or 'default'}, {np.dtype(dtype).name}"
    if args.quick:
        config += ", quick"
    report = {
        "config": config,
        "command": " ".join(["python benchmarks/bench_fit.py", *sys.argv[1:]]),
        "date": datetime.date.today().isoformat(),
        "rev": git_revision(),
        "environment": environment_lines(),
        "fits": [],
    }
    print(f"skscratch benchmark: {config}")
    print("\n".join(report["environment"]))
    before = OtherLoad()
    time.sleep(1.0)
    busy = before.fraction()
    if busy is not None and busy > BUSY:
        print(
            f"warning: other processes are using {100 * busy:.0f}% of the CPUs; "
            "competing for the BLAS threads, they make every time noisy"
        )
    load = OtherLoad()
    workloads = fit_workloads(args.quick)
    for name in args.workloads:
        if name == "predict":
            continue
        w = workloads[name]
        result = run_fit_workload(w, dtype, args.repeats or w.repeats)
        report["fits"].append(result)
        print_fit_result(result)
        if name == "medium":
            report["gemm"], report["precision"] = medium_extras(
                w, result, dtype, args.repeats or 3
            )
    if "predict" in args.workloads:
        report["predict"] = run_predict_workload(
            args.quick, dtype, args.repeats or (2 if args.quick else 7)
        )
        print_predict_result(report["predict"])
    print_jax_compile_time()
    report["other_load"] = load.fraction()
    if report["other_load"] is not None:
        print(
            f"\nother processes used {100 * report['other_load']:.1f}% of the "
            "CPU time during the run"
            + (": rerun on a quiet machine" if report["other_load"] > BUSY else "")
        )
    print("\ntargets:")
    for text, measured, met in targets(report):
        state = {True: "met", False: "NOT met", None: "not measured"}[met]
        print(f"  {text}: {measured} ({state})")
    return report


def main(argv=None):
    """Entry point."""
    args = parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    load_jax(args.threads)
    if args.contention:
        from contention import run_contention

        print("BLAS threads under contention (epoch times, medians)")
        run_contention(fit_workloads(args.quick), make_estimator, args.repeats or 5)
        return
    limits = (
        threadpool_limits(limits=args.threads)
        if args.threads is not None
        else contextlib.nullcontext()
    )
    start = time.perf_counter()
    with limits:
        report = run(args)
    print(f"\ntotal benchmark time {time.perf_counter() - start:.0f} s")
    if args.markdown or args.write_results:
        block = markdown(report)
        if args.markdown:
            print("\n" + block)
        if args.write_results:
            write_results(block, report["config"])


if __name__ == "__main__":
    main()
