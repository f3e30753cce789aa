"""Shared test helpers: where ../shared is, and the golden vectors of the official models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
OFFICIAL_MODELS = SHARED / "reference" / "official-models"


@pytest.fixture
def golden():
    """The loader of the official models' golden vectors (see `load_golden`)."""
    return load_golden


def load_golden(name: str) -> tuple[dict, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """(meta, state_dict, arrays) of ../shared/reference/official-models/<name>.npz; skips when absent."""
    path = OFFICIAL_MODELS / f"{name}.npz"
    if not path.exists():
        pytest.skip(f"golden vectors not found at {path} (../shared is absent)")
    z = np.load(path)
    meta = json.loads(bytes(z["meta_json"]))
    state = {k[len("state_dict/"):]: torch.from_numpy(z[k]) for k in z.files if k.startswith("state_dict/")}
    arrays = {k: torch.from_numpy(z[k]) for k in z.files if not k.startswith("state_dict/") and k != "meta_json"}
    return meta, state, arrays
