"""Fixtures of the data tests: the real files in ../shared/data, loaded once per session.

Helpers live in `shared_data.py` (import that, not this file: every folder's conftest is "conftest")."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from shared_data import BANDAI, CMU, need

from h2ot.data import MocapDataset


@pytest.fixture(scope="session")
def bandai_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder of this test session, so the first load is cold as in CI."""
    return tmp_path_factory.mktemp("h2ot-cache")


@pytest.fixture(scope="session")
def bandai(bandai_cache: Path) -> MocapDataset:
    """All Bandai Namco clips (about 10 s from a cold cache on 2 cores)."""
    need(BANDAI)
    old = os.environ.get("H2OT_CACHE")
    os.environ["H2OT_CACHE"] = str(bandai_cache)
    try:
        return MocapDataset(BANDAI)
    finally:
        if old is None:
            del os.environ["H2OT_CACHE"]
        else:
            os.environ["H2OT_CACHE"] = old


@pytest.fixture(scope="session")
def cmu() -> MocapDataset:
    return MocapDataset(need(CMU), cache=False)
