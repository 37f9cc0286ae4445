"""A dry run of benchmarks/bench_gpu.py on the CPU: the script works end to end."""

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_gpu.py"


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """PyTorch's own thread pool, which the BLAS limit does not reach: with a
    second thread on a busy two-core machine, each tiny step waits many times
    longer than it computes."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _load():
    spec = importlib.util.spec_from_file_location("bench_gpu", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dry_run_on_cpu_reports_three_fits(tmp_path, capsys):
    bench = _load()
    path = tmp_path / "gpu.json"
    assert bench.main(["--device", "cpu", "--quick", "--json", str(path)]) == 0
    report = json.loads(path.read_text())
    fits = report["fits"]
    assert set(fits) == {"ours_device", "ours_cpu", "torch_loop"}
    for fit in fits.values():
        assert math.isfinite(fit["epochs_per_second"]) and fit["epochs_per_second"] > 0
        assert fit["epochs_per_second"] == pytest.approx(fit["epochs"] / fit["seconds"])
        # three classes: chance is about 1/3, and the quick data are learnable
        assert 0.5 < fit["held_out_accuracy"] <= 1.0
    # the same estimator, seed and data in both namespaces: the same model,
    # up to a test row or two that float32 rounding may tip (200 rows)
    ours = fits["ours_device"]["held_out_accuracy"]
    assert ours == pytest.approx(fits["ours_cpu"]["held_out_accuracy"], abs=0.011)
    ratios = report["ratios"]
    speeds = {name: fit["epochs_per_second"] for name, fit in fits.items()}
    assert ratios["ours_device_over_ours_cpu"] == pytest.approx(
        speeds["ours_device"] / speeds["ours_cpu"]
    )
    assert ratios["torch_loop_over_ours_device"] == pytest.approx(
        speeds["torch_loop"] / speeds["ours_device"]
    )
    printed = capsys.readouterr().out
    assert "goal >= 10x" in printed and "goal <= 1.5x" in printed


def test_missing_cuda_is_reported_not_timed(tmp_path, monkeypatch):
    bench = _load()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    path = tmp_path / "gpu.json"
    assert bench.main(["--device", "cuda", "--quick", "--json", str(path)]) == 0
    assert json.loads(path.read_text()) == {"skipped": "no CUDA device"}


def test_torch_loop_learns_from_scikit_learns_initialisation():
    bench = _load()
    args = bench.parse_args(["--device", "cpu", "--quick"])
    args.torch_dtype = torch.float32
    X, y, _, _ = bench.make_data(args.rows, args.features, args.classes, np.float32)
    torch.manual_seed(0)
    model = bench.torch_network(torch, args, X.shape[1], args.classes)
    first = model[0]
    bound = (6.0 / (X.shape[1] + args.hidden[0])) ** 0.5
    assert float(first.weight.detach().abs().max()) <= bound
    losses = bench.train_torch_loop(
        torch, model, torch.asarray(X), torch.asarray(y), args, 6
    )
    assert len(losses) == 6 and losses[-1] < 0.9 * losses[0]
