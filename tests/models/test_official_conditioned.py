"""The goldens of ../shared/reference/official-conditioned: the official frame selection there is decided by the
data, so every model must reproduce the official output with its own TPC, without replaying `kept_index`."""

from __future__ import annotations

import pytest
import torch
from golden_vectors import CONDITIONED, load_golden, relative_error

import h2ot

MODELS = ("mixste", "hot_mixste", "tpc_mixste", "motionbert", "hot_motionbert", "motionagformer",
          "hot_motionagformer", "mhformer", "tpc_mhformer")


@pytest.mark.parametrize("name", MODELS)
def test_official_output_without_replaying_the_kept_frames(name: str) -> None:
    meta, state, arrays = load_golden(name, CONDITIONED)
    model = h2ot.from_official(name, state, **meta["config"])
    with torch.no_grad():
        out = model.predict(arrays["input"])
        again = model.predict(arrays["input"])
    assert out.poses.shape == arrays["output"].shape
    assert relative_error(out.poses, arrays["output"]) <= 1e-5
    if "kept_index" in arrays:  # seq2frame models return the kept frames, centre included
        assert torch.equal(out.kept[0], arrays["kept_index"])
    assert torch.equal(again.poses, out.poses) and all(map(torch.equal, again.kept, out.kept))
