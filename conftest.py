"""Doctests whose examples import an optional package skip when it is missing.

The docstring examples of skscratch.onnx and skscratch.plotting need the onnx
and plot extras. With only "pip install . pytest" they are reported as
skipped, with the missing package named, rather than failing on the import.
"""

import ast
import importlib.util
import os
import sys

# scikit-learn's array API dispatch (tests/test_array_api.py and its
# estimator checks) needs SciPy's own array API support, which SciPy reads
# once, when it is first imported: so before anything imports it.
if "scipy" not in sys.modules:
    os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest

# Top-level packages that only an extra of pyproject.toml installs.
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
}


def _missing_optional(source):
    """Return the optional packages that ``source`` imports but are missing."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return {n for n in names & OPTIONAL if importlib.util.find_spec(n) is None}


def pytest_collection_modifyitems(config, items):
    """Mark doctests that import a missing optional package as skipped."""
    for item in items:
        if not isinstance(item, pytest.DoctestItem) or item.dtest is None:
            continue
        source = "\n".join(example.source for example in item.dtest.examples)
        missing = _missing_optional(source)
        if missing:
            reason = f"needs {', '.join(sorted(missing))} (an optional extra)"
            item.add_marker(pytest.mark.skip(reason=reason))
