"""Where the real data of ../shared/data is (beside the repository), for the data tests."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
BANDAI = DATA / "bandai-namco"
CMU = DATA / "cmu-sample"


def need(path: Path) -> Path:
    """`path`, or skip the test when ../shared/data is not there."""
    if not path.exists():
        pytest.skip(f"{path} is absent (the project's ../shared/data is not beside this checkout)")
    return path
