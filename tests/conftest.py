"""Settings shared by the whole test suite."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _single_blas_thread():
    """Run on one BLAS thread: the matrices are tiny, and a loaded machine
    oversubscribed by BLAS threads would otherwise slow the suite badly."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield
