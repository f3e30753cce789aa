"""Shared fixtures. Helpers live in importable modules (e.g. golden_vectors), not here: every folder's conftest
is imported under the same module name."""

import pytest
from golden_vectors import load_golden


@pytest.fixture
def golden():
    """The loader of the official models' golden vectors."""
    return load_golden
