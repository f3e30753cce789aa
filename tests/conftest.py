"""Shared fixtures. Helpers live in importable modules (e.g. golden_vectors), not here: every folder's conftest
is imported under the same module name."""

import os

import pytest
from golden_vectors import load_golden


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory):
    """The tests' own `$H2OT_CACHE` (parsed BVH files, ONNX exports), so no run reads another's or the user's."""
    before = os.environ.get("H2OT_CACHE")
    os.environ["H2OT_CACHE"] = str(tmp_path_factory.mktemp("h2ot-cache"))
    yield
    if before is None:
        os.environ.pop("H2OT_CACHE", None)
    else:
        os.environ["H2OT_CACHE"] = before


@pytest.fixture
def golden():
    """The loader of the official models' golden vectors."""
    return load_golden
