"""Time skscratch on a GPU (PyTorch tensors, array API) against its CPU fit and PyTorch.

Run from the repository root, on a machine with a CUDA device::

    python benchmarks/bench_gpu.py                      # 1M x 100, (256, 128), adam
    python benchmarks/bench_gpu.py --batch-size 8192 --epochs 10
    python benchmarks/bench_gpu.py --json gpu.json      # also write the figures
    python benchmarks/bench_gpu.py --device cpu --quick # a dry run without a GPU

Three fits of the same network (ReLU layers of 256 and 128 units, softmax
output, Adam, ``alpha=1e-4``, shuffled mini-batches) on the same synthetic
classification data:

* **ours, device**: ``ScratchMLPClassifier`` fitted on torch tensors on the
  device, under ``sklearn.config_context(array_api_dispatch=True)``;
* **ours, CPU**: the same estimator on NumPy arrays (default BLAS threads),
  for fewer epochs (``--cpu-epochs``): its time is reported per epoch;
* **torch loop**: a hand-written PyTorch training loop of the same network on
  the device: scikit-learn's Glorot-uniform initialisation, cross-entropy
  plus ``alpha / 2 * sum(W**2) / batch_rows``, ``torch.optim.Adam``.

Each device fit is preceded by a one-epoch warm-up on a slice of the data
(CUDA context, cuBLAS handles, the caching allocator), timed and reported
apart. Times are wall-clock seconds around the fit, with the device
synchronised at both ends. The report gives epochs per second, the
held-out accuracy of each fit and two ratios against the project's goals:
the device fit at least 10x the CPU fit, and within 1.5x of the torch loop.

With ``--device cuda`` and no CUDA device the script says so and exits with
status 0 without timing anything (``--json`` then records why).
"""

import argparse
import itertools
import json
import os
import sys
import time
import warnings

# scikit-learn's array API dispatch needs SciPy's, set before SciPy loads.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning

from skscratch import ScratchMLPClassifier

GOAL_OVER_CPU = 10.0
GOAL_OVER_TORCH = 1.5


def make_data(rows, features, classes, dtype, seed=0):
    """Return ``X, y, X_test, y_test``: labels of a random two-layer teacher.

    Cheap to draw for millions of rows, and learnable but not trivially so:
    the label is the largest output of a random tanh network plus noise.
    """
    rng = np.random.default_rng(seed)
    n_test = max(rows // 10, 10)
    X = rng.standard_normal((rows + n_test, features), dtype=np.float32)
    hidden = np.tanh(X @ rng.standard_normal((features, 32), dtype=np.float32) / 4)
    scores = hidden @ rng.standard_normal((32, classes), dtype=np.float32)
    scores += 0.3 * rng.standard_normal(scores.shape, dtype=np.float32)
    y = scores.argmax(axis=1)
    X = X.astype(dtype, copy=False)
    return X[:rows], y[:rows], X[rows:], y[rows:]


def estimator(args, epochs):
    """The estimator every skscratch fit uses."""
    return ScratchMLPClassifier(
        hidden_layer_sizes=args.hidden,
        solver="adam",
        alpha=1e-4,
        batch_size=args.batch_size,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        shuffle=True,
        random_state=0,
    )


def synchronize(torch, device):
    """Wait for the device's queued work (a no-op on the CPU)."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def fit_ours_on_device(torch, args, data):
    """Fit on torch tensors on the device; return the timing record."""
    X, y, X_test, y_test = data
    to = lambda a: torch.asarray(a, device=args.device)  # noqa: E731
    Xd, yd, Xd_test, yd_test = to(X), to(y), to(X_test), to(y_test)
    warm_rows = min(len(X), 8 * args.batch_size)
    with sklearn.config_context(array_api_dispatch=True):
        start = time.perf_counter()
        estimator(args, 1).fit(Xd[:warm_rows], yd[:warm_rows])
        synchronize(torch, args.device)
        warm = time.perf_counter() - start
        start = time.perf_counter()
        model = estimator(args, args.epochs).fit(Xd, yd)
        synchronize(torch, args.device)
        seconds = time.perf_counter() - start
        accuracy = model.score(Xd_test, yd_test)
    on_device = str(model.coefs_[0].device)
    return _record(args.epochs, seconds, accuracy, warm, on_device)


def fit_ours_on_cpu(args, data):
    """Fit on NumPy arrays; return the timing record."""
    X, y, X_test, y_test = data
    start = time.perf_counter()
    model = estimator(args, args.cpu_epochs).fit(X, y)
    seconds = time.perf_counter() - start
    return _record(args.cpu_epochs, seconds, model.score(X_test, y_test))


def torch_network(torch, args, n_features, n_classes):
    """The same network in PyTorch, initialised as scikit-learn initialises it."""
    units = [n_features, *args.hidden, n_classes]
    layers = []
    for fan_in, fan_out in itertools.pairwise(units):
        linear = torch.nn.Linear(fan_in, fan_out, dtype=args.torch_dtype)
        bound = (6.0 / (fan_in + fan_out)) ** 0.5
        torch.nn.init.uniform_(linear.weight, -bound, bound)
        torch.nn.init.uniform_(linear.bias, -bound, bound)
        layers += [linear, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1]).to(args.device)


def train_torch_loop(torch, model, X, y, args, epochs):
    """Train ``model`` with Adam and the L2 penalty of scikit-learn's MLP."""
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    optimizer = torch.optim.Adam(
        model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8
    )
    losses = []
    for _ in range(epochs):
        order, total = torch.randperm(X.shape[0], device=X.device), 0.0
        for start in range(0, X.shape[0], args.batch_size):
            rows = order[start : start + args.batch_size]
            logits = model(X.index_select(0, rows))
            loss = torch.nn.functional.cross_entropy(logits, y.index_select(0, rows))
            penalty = sum((W * W).sum() for W in weights)
            loss = loss + 0.5 * 1e-4 * penalty / rows.shape[0]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total = total + loss.detach() * rows.shape[0]
        losses.append(float(total) / X.shape[0])  # one read back per epoch
    return losses


def fit_torch_loop(torch, args, data, n_classes):
    """Time the hand-written PyTorch loop; return the timing record."""
    X, y, X_test, y_test = data
    torch.manual_seed(0)
    to = lambda a: torch.asarray(a, device=args.device)  # noqa: E731
    Xd, yd = to(X), to(y)
    warm_rows = min(len(X), 8 * args.batch_size)
    start = time.perf_counter()
    warm_model = torch_network(torch, args, X.shape[1], n_classes)
    train_torch_loop(torch, warm_model, Xd[:warm_rows], yd[:warm_rows], args, 1)
    synchronize(torch, args.device)
    warm = time.perf_counter() - start
    model = torch_network(torch, args, X.shape[1], n_classes)
    start = time.perf_counter()
    losses = train_torch_loop(torch, model, Xd, yd, args, args.epochs)
    synchronize(torch, args.device)
    seconds = time.perf_counter() - start
    with torch.inference_mode():
        predicted = model(to(X_test)).argmax(dim=1).cpu().numpy()
    record = _record(args.epochs, seconds, float(np.mean(predicted == y_test)), warm)
    record["loss_curve"] = losses
    return record


def _record(epochs, seconds, accuracy, warm_up=None, device="cpu"):
    """One fit's figures."""
    return {
        "epochs": epochs,
        "seconds": seconds,
        "epochs_per_second": epochs / seconds,
        "held_out_accuracy": float(accuracy),
        "warm_up_seconds": warm_up,
        "device": device,
    }


def ratios(fits):
    """The goals' ratios: device over CPU, and torch loop over ours on the device."""
    ours = fits["ours_device"]["epochs_per_second"]
    return {
        "ours_device_over_ours_cpu": ours / fits["ours_cpu"]["epochs_per_second"],
        "torch_loop_over_ours_device": fits["torch_loop"]["epochs_per_second"] / ours,
    }


def report(fits, found, device):
    """Print the table of fits and the goals (which are about a GPU)."""
    print(
        f"{'fit':<14}{'epochs':>7}{'seconds':>10}{'epochs/s':>10}"
        f"{'warm-up s':>11}{'held-out acc':>14}  device"
    )
    for name, r in fits.items():
        warm = "" if r["warm_up_seconds"] is None else f"{r['warm_up_seconds']:.3f}"
        print(
            f"{name:<14}{r['epochs']:>7}{r['seconds']:>10.3f}"
            f"{r['epochs_per_second']:>10.3f}{warm:>11}"
            f"{r['held_out_accuracy']:>14.4f}  {r['device']}"
        )
    over_cpu = found["ours_device_over_ours_cpu"]
    over_torch = found["torch_loop_over_ours_device"]
    met = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    print(
        f"ours on the device / ours on the CPU: {over_cpu:.2f}x "
        f"(goal >= {GOAL_OVER_CPU:g}x: {met(over_cpu >= GOAL_OVER_CPU)})"
    )
    print(
        f"torch loop / ours on the device: {over_torch:.2f}x "
        f"(goal <= {GOAL_OVER_TORCH:g}x: {met(over_torch <= GOAL_OVER_TORCH)})"
    )
    if not device.startswith("cuda"):
        print(f"(device {device}: a dry run; the goals are about a CUDA device)")


def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=5, help="device fits")
    parser.add_argument("--cpu-epochs", type=int, default=1, help="the CPU fit")
    parser.add_argument("--batch-size", type=int, default=4096)
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 128])
    parser.add_argument("--device", default="cuda", help="'cuda', 'cuda:1', 'cpu'")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a dry run")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.features, args.classes = 2000, 20, 3
        args.epochs, args.cpu_epochs, args.batch_size = 10, 10, 128
        args.hidden = [16, 8]
    args.hidden = tuple(args.hidden)
    return args


def _write(path, payload):
    if path:
        with open(path, "w") as f:
            json.dump(payload, f, indent=2)


def main(argv=None):
    """Run the three fits and report them; return the exit status."""
    args = parse_args(argv)
    try:
        import torch
    except ImportError:
        print("bench_gpu.py needs PyTorch (pip install torch)")
        _write(args.json, {"skipped": "PyTorch is not installed"})
        return 0
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("no CUDA device: nothing timed (try --device cpu for a dry run)")
        _write(args.json, {"skipped": "no CUDA device"})
        return 0
    args.torch_dtype = getattr(torch, args.dtype)
    data = make_data(args.rows, args.features, args.classes, np.dtype(args.dtype))
    print(
        f"{args.rows} x {args.features}, {args.classes} classes, net {args.hidden}, "
        f"adam, batch {args.batch_size}, {args.dtype}, device {args.device}"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fits = {
            "ours_device": fit_ours_on_device(torch, args, data),
            "ours_cpu": fit_ours_on_cpu(args, data),
            "torch_loop": fit_torch_loop(torch, args, data, args.classes),
        }
    found = ratios(fits)
    report(fits, found, args.device)
    _write(args.json, {"settings": _settings(args), "fits": fits, "ratios": found})
    return 0


def _settings(args):
    """The run's settings, for the JSON file."""
    keys = ("rows", "features", "classes", "epochs", "cpu_epochs", "batch_size")
    settings = {key: getattr(args, key) for key in keys}
    settings.update(hidden=list(args.hidden), device=args.device, dtype=args.dtype)
    settings["torch"] = sys.modules["torch"].__version__
    return settings


if __name__ == "__main__":
    sys.exit(main())
