"""Named presets and the one way to build a model from a config.

A model config is a plain, JSON-friendly dict (it is what checkpoints store):

    {"backbone": "mixste", "pipeline": "seq2seq",
     "frames": 243, "dim": 512, ...,                      # the backbone's own keyword arguments
     "hourglass": {"pruner": "tpc", "recoverer": "tra",    # None or absent: the plain backbone
                   "schedule": [[3, 81]], "position_embedding": True,
                   "elastic": False,                        # True: runs at any budget (HourglassModel)
                   "budget_embedding": None}}               # "stages" or "blocks": learned vectors per budget
"""

from __future__ import annotations

import copy
import inspect
from itertools import pairwise
from typing import Any

from h2ot.errors import H2OTError
from h2ot.hourglass.contract import Backbone
from h2ot.hourglass.hourglass import HourglassModel
from h2ot.hourglass.schedule import Schedule
from h2ot.settings import check_types, type_hints

BACKBONES: dict[str, type[Backbone]] = {}
PRESETS: dict[str, dict[str, Any]] = {}
HOURGLASS_DEFAULTS = {"pruner": "tpc", "recoverer": "tra", "schedule": [], "position_embedding": True,
                      "elastic": False, "queries": "zeros", "budget_embedding": None}
HOURGLASS_TYPES = {"pruner": str, "recoverer": str | None, "schedule": list | None, "position_embedding": bool,
                   "elastic": bool, "queries": str, "budget_embedding": str | None}
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
        _check_sizes(config["backbone"], {"frames": frames})
        config["hourglass"]["schedule"] = _scaled_schedule(name, config, frames)
    config.update(copy.deepcopy(overrides))
    return config


def _scaled_schedule(name: str, config: dict[str, Any], frames: int) -> list[list[int]]:
    """The preset's schedule for clips of `frames`, each stage keeping the same fraction of the frames; an
    H2OTError when a stage would keep fewer than 2 frames, or no fewer than the stage before it."""
    preset = Schedule.parse(config["hourglass"]["schedule"])

    def fits(count: int) -> bool:
        kept = [stage.tokens * count / config["frames"] for stage in preset]
        counts = [count] + [stage.tokens for stage in preset.scaled(config["frames"], count)]
        return min(kept) >= 2 and all(a > b for a, b in pairwise(counts))

    if not fits(frames):
        least = next((count for count in range(frames + 1, config["frames"]) if fits(count)), config["frames"])
        raise H2OTError(f"{name}'s schedule {preset.to_list()} ([block, frames kept] of {config['frames']} frames) "
                        f"cannot be scaled to {frames} frames, as a stage would keep fewer than 2 frames or no fewer "
                        f"than the stage before it: give at least {least} frames, or set the schedule yourself "
                        "(hourglass={...}) or drop it (hourglass=None)")
    return preset.scaled(config["frames"], frames).to_list()


def create_model(name: str, **overrides: Any) -> HourglassModel:
    """Build preset `name`, e.g. `create_model("mixste", frames=81, hourglass={"pruner": "tps",
    "recoverer": "tri", "schedule": [[1, 41], [3, 21]]})`. The model starts in training mode."""
    return build_model(resolve_config(name, **overrides))


def _check_sizes(backbone: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """`kwargs` of `backbone` checked against its constructor's type hints: every whole-number setting is a size
    (frames, dim, depth, heads, ...) and must be at least 1."""
    kwargs = check_types("model", kwargs, type_hints(BACKBONES[backbone]))
    for key, value in kwargs.items():
        if isinstance(value, int) and not isinstance(value, bool) and value < 1:
            raise H2OTError(f"the model setting {key} is a size and must be at least 1, got {value}")
    return kwargs


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
    kwargs = _check_sizes(name, kwargs)
    if not isinstance(config.get("hourglass") or {}, dict):
        raise H2OTError(f"the model setting hourglass takes a mapping or null, got {config['hourglass']!r}")
    hourglass = dict(HOURGLASS_DEFAULTS, **(config.get("hourglass") or {}))
    unknown = sorted(set(hourglass) - set(HOURGLASS_DEFAULTS))
    if unknown:
        raise H2OTError(f"the hourglass has no setting {', '.join(map(repr, unknown))}; its settings are "
                        f"{', '.join(HOURGLASS_DEFAULTS)}")
    hourglass = check_types("hourglass", hourglass, HOURGLASS_TYPES)
    schedule = Schedule.parse(hourglass["schedule"])
    frames, depth = cls.setting("frames", kwargs), cls.count_blocks(kwargs)
    schedule.validate(frames, depth, first_block=cls.first_prunable_block)
    backbone = cls(**kwargs, block_frames=schedule.block_frames(frames, depth))
    return HourglassModel(backbone, schedule, pruner=hourglass["pruner"], recoverer=hourglass["recoverer"],
                          pipeline=config.get("pipeline", "seq2seq"),
                          position_embedding=hourglass["position_embedding"], elastic=hourglass["elastic"],
                          queries=hourglass["queries"], budget_embedding=hourglass["budget_embedding"])
