"""Settings shared by the whole test suite."""

import pytest
import sklearn
from threadpoolctl import threadpool_limits

#: The scikit-learn release whose MLP the package reproduces step for step:
#: sample weights and the Poisson loss arrived in 1.7, and so did the order of
#: its sums that the core follows bit for bit.
REFERENCE_RELEASE = (1, 7)
SKLEARN_RELEASE = tuple(int(part) for part in sklearn.__version__.split(".")[:2])


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "reference: compares results with scikit-learn's own MLP, which must be "
        "1.7 or later (skipped on older releases, whose MLP lacks sample "
        "weights and the Poisson loss, and sums in another order)",
    )


def pytest_collection_modifyitems(config, items):
    if SKLEARN_RELEASE >= REFERENCE_RELEASE:
        return
    skip = pytest.mark.skip(
        reason=f"scikit-learn {sklearn.__version__}'s MLP predates the reference "
        "behaviour (1.7: sample weights, Poisson, the same sums)"
    )
    for item in items:
        if "reference" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _single_blas_thread():
    """Run on one BLAS thread: the matrices are tiny, and a loaded machine
    oversubscribed by BLAS threads would otherwise slow the suite badly."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield
