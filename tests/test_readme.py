"""Every Python block of the README runs as written, as a script of its own.

Each ```python block is saved to a file and run with this interpreter in a
fresh process, as a user who pastes it into a script would. A block that
imports an optional package (an extra of pyproject.toml) is skipped when that
package is not installed; anything else it imports must be there. The
README's shell blocks (the two quickstart commands) install packages, so
they are run by CI in fresh environments (.ci/run), not here.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)

# Top-level packages that an extra installs, and sklearn.callback, which only
# scikit-learn 1.9 and newer have.
OPTIONAL = {
    "dask",
    "dask_ml",
    "distributed",
    "matplotlib",
    "onnx",
    "onnxruntime",
    "pandas",
    "polars",
    "rich",
    "skl2onnx",
    "skops",
    "sklearn.callback",
    "torch",
}


def _blocks(language):
    text = README.read_text(encoding="utf-8")
    return [body for lang, body in FENCE.findall(text) if lang == language]


def _imported(source):
    """The modules a block imports, with their parent packages."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            names.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return names


PYTHON_BLOCKS = _blocks("python")


def test_readme_has_only_python_and_shell_blocks():
    languages = [lang for lang, _ in FENCE.findall(README.read_text(encoding="utf-8"))]
    assert set(languages) <= {"python", "bash"}, languages
    assert len(PYTHON_BLOCKS) >= 5


@pytest.mark.parametrize(
    "source", PYTHON_BLOCKS, ids=[f"block{i}" for i in range(len(PYTHON_BLOCKS))]
)
def test_readme_python_block_runs(source, tmp_path):
    for module in sorted(_imported(source) & OPTIONAL):
        pytest.importorskip(module)
    if "ProgressBar(" in source:  # scikit-learn's progress bar draws with rich
        pytest.importorskip("rich")
    script = tmp_path / "block.py"
    script.write_text(source, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip(), "each block shows its result"
