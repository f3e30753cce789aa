"""Named presets and the one way to build a model from a config.

A model config is a plain, JSON-friendly dict (it is what checkpoints store):

    {"backbone": "mixste", "pipeline": "seq2seq",
     "frames": 243, "dim": 512, ...,                      # the backbone's own keyword arguments
     "hourglass": {"pruner": "tpc", "recoverer": "tra",    # None or absent: the plain backbone
                   "schedule": [[3, 81]], "position_embedding": True}}
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

from h2ot.errors import H2OTError
from h2ot.hourglass.contract import Backbone
from h2ot.hourglass.hourglass import HourglassModel
from h2ot.hourglass.schedule import Schedule

BACKBONES: dict[str, type[Backbone]] = {}
PRESETS: dict[str, dict[str, Any]] = {}
HOURGLASS_DEFAULTS = {"pruner": "tpc", "recoverer": "tra", "schedule": [], "position_embedding": True}
MODEL_KEYS = ("backbone", "pipeline", "hourglass")


def register_backbone(name: str, cls: type[Backbone]) -> type[Backbone]:
    BACKBONES[name] = cls
    return cls


def register_preset(name: str, **config: Any) -> None:
    """Register a named model config; `backbone` names a registered backbone."""
    config.setdefault("pipeline", "seq2seq")
    config.setdefault("hourglass", None)
    PRESETS[name] = config


def list_models() -> list[str]:
    return sorted(PRESETS)


def resolve_config(name: str, **overrides: Any) -> dict[str, Any]:
    """The full config of preset `name` with `overrides` applied. An `hourglass` override replaces the
    preset's hourglass (`hourglass=None` removes it); a `frames` override alone keeps the preset's pyramid,
    each stage keeping the same fraction of the frames."""
    if name not in PRESETS:
        raise H2OTError(f"unknown model {name!r}: choose one of {', '.join(list_models())}")
    config = copy.deepcopy(PRESETS[name])
    frames = overrides.get("frames", config.get("frames"))
    if config["hourglass"] and "hourglass" not in overrides and frames != config.get("frames"):
        schedule = Schedule.parse(config["hourglass"]["schedule"]).scaled(config["frames"], frames)
        config["hourglass"]["schedule"] = schedule.to_list()
    config.update(copy.deepcopy(overrides))
    return config


def create_model(name: str, **overrides: Any) -> HourglassModel:
    """Build preset `name`, e.g. `create_model("mixste", frames=81, hourglass={"pruner": "tps",
    "recoverer": "tri", "schedule": [[1, 41], [3, 21]]})`. The model starts in training mode."""
    return build_model(resolve_config(name, **overrides))


def build_model(config: dict[str, Any]) -> HourglassModel:
    """Build a model from a full config (see the module docstring)."""
    name = config.get("backbone")
    if name not in BACKBONES:
        raise H2OTError(f"unknown backbone {name!r}: choose one of {', '.join(sorted(BACKBONES))}")
    cls = BACKBONES[name]
    kwargs = {key: value for key, value in config.items() if key not in MODEL_KEYS}
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "block_frames"}
    unknown = sorted(set(kwargs) - accepted)
    if unknown:
        raise H2OTError(f"{name} has no setting {', '.join(map(repr, unknown))}; its settings are "
                        f"{', '.join(sorted(accepted))}")
    hourglass = dict(HOURGLASS_DEFAULTS, **(config.get("hourglass") or {}))
    unknown = sorted(set(hourglass) - set(HOURGLASS_DEFAULTS))
    if unknown:
        raise H2OTError(f"the hourglass has no setting {', '.join(map(repr, unknown))}; its settings are "
                        f"{', '.join(HOURGLASS_DEFAULTS)}")
    schedule = Schedule.parse(hourglass["schedule"])
    frames, depth = cls.setting("frames", kwargs), cls.count_blocks(kwargs)
    schedule.validate(frames, depth)
    backbone = cls(**kwargs, block_frames=schedule.block_frames(frames, depth))
    return HourglassModel(backbone, schedule, pruner=hourglass["pruner"], recoverer=hourglass["recoverer"],
                          pipeline=config.get("pipeline", "seq2seq"),
                          position_embedding=hourglass["position_embedding"])
