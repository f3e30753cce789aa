"""The golden vectors of the official models, for the equivalence tests: ../shared/reference/official-models (random
weights: the official frame choice was made by TPC's tie-breaking noise, so its `kept_index` must be replayed) and
official-conditioned (the official choice is decided by the data: a port must make it itself)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
OFFICIAL_MODELS = REFERENCE / "official-models"
CONDITIONED = REFERENCE / "official-conditioned"


def load_golden(name: str, folder: Path = OFFICIAL_MODELS) -> tuple[dict, dict[str, torch.Tensor],
                                                                     dict[str, torch.Tensor]]:
    """(meta, official state_dict, the other arrays: input, output, kept_index, ...) of `<folder>/<name>.npz`;
    skips the test when ../shared is absent."""
    path = folder / f"{name}.npz"
    if not path.is_file():
        pytest.skip(f"golden vectors not found at {path} (../shared is absent)")
    z = np.load(path)
    meta = json.loads(bytes(z["meta_json"]))
    state = {k[len("state_dict/"):]: torch.from_numpy(z[k]) for k in z.files if k.startswith("state_dict/")}
    arrays = {k: torch.from_numpy(z[k]) for k in z.files if not k.startswith("state_dict/") and k != "meta_json"}
    return meta, state, arrays


def relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    return float((out - ref).norm() / ref.norm())
