"""Every shipped experiment config parses, names known settings and builds its model (on the meta device)."""

from pathlib import Path

import pytest
import torch

from h2ot.config import load_config, model_config_of
from h2ot.data.sources import DataSpec
from h2ot.models.registry import build_model
from h2ot.train import TrainSettings

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))


def test_there_are_configs():
    assert len(CONFIGS) >= 8


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_is_complete(path):
    config = load_config(path)
    assert config["name"] == path.stem
    TrainSettings.from_dict(config["train"])
    DataSpec.from_dict(config["data"])
    with torch.device("meta"):
        model = build_model(model_config_of(config))
    assert model.frames in (81, 243, 351)
