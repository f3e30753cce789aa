"""Official checkpoints (HoT repository and the original MixSTE / MotionBERT / MotionAGFormer / MHFormer code)
loaded into h2ot models.

Each backbone module registers, per official model file, a builder (official config names -> our model) and
a converter of its backbone's keys (official -> ours), the way timm pairs a model with a checkpoint filter. The
parts HoT adds (stage position embedding, TRA) have the same names on every backbone and are converted here."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from h2ot.errors import H2OTError
from h2ot.hourglass.hourglass import HourglassModel

WRAPPER_KEYS = ("model_pos", "model", "state_dict")


@dataclass(frozen=True)
class OfficialModel:
    build: Callable[..., HourglassModel]  # keyword arguments: the official config names, with defaults
    convert_keys: Callable[[dict[str, Tensor]], dict[str, Tensor]]  # the backbone's official keys -> ours


OFFICIAL: dict[str, OfficialModel] = {}


def register_official(name: str, build: Callable[..., HourglassModel],
                      convert_keys: Callable[[dict[str, Tensor]], dict[str, Tensor]]) -> None:
    OFFICIAL[name] = OfficialModel(build, convert_keys)


def from_official(name: str, checkpoint: str | Path | Mapping[str, Tensor], **config: Any) -> HourglassModel:
    """An h2ot model, in eval mode, holding the weights of official model `name` (e.g. "hot_mixste"); its
    `forward(x)` returns what the official model returns.

    `checkpoint`: a state_dict, or a `.pth` / `.bin` file holding one, plain or wrapped as `{"model_pos": ...}`,
    `{"model": ...}` or `{"state_dict": ...}`, with or without `module.` prefixes. `config`: the official
    hyper-parameters (see `official_config_names(name)`), e.g. channel=512, frames=243, token_num=81."""
    if name not in OFFICIAL:
        raise H2OTError(f"unknown official model {name!r}: choose one of {', '.join(sorted(OFFICIAL))}")
    spec = OFFICIAL[name]
    accepted = official_config_names(name)
    unknown = sorted(set(config) - set(accepted))
    if unknown:
        raise H2OTError(f"{name} has no official setting {', '.join(map(repr, unknown))}; its settings are "
                        f"{', '.join(accepted)}")
    backbone_state, hourglass_state = split_hourglass_keys(read_state_dict(checkpoint))
    state = {**spec.convert_keys(backbone_state), **hourglass_state}
    model = spec.build(**config)
    load_exactly(model, state, f"the {name} checkpoint")
    return model.eval()


def split_hourglass_keys(state: dict[str, Tensor]) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """(the backbone's entries, the hourglass's entries in our names). Every official HoT model adds the same
    parts to its backbone under the same names: `pos_embed_token` (the stage's position embedding), `x_token`
    (TRA's queries) and `cross_attention.*` (TRA's attention)."""
    backbone, hourglass = {}, {}
    for key, value in state.items():
        if key == "pos_embed_token":
            hourglass["stage_embeddings.0"] = value[:, :, None]
        elif key == "x_token":
            hourglass["recoverer.queries"] = value
        elif key.startswith("cross_attention."):
            hourglass["recoverer." + key] = value
        else:
            backbone[key] = value
    return backbone, hourglass


def official_config_names(name: str) -> list[str]:
    return list(inspect.signature(OFFICIAL[name].build).parameters)


def load_file(path: str | Path) -> object:
    """`torch.load` of a checkpoint file on the CPU with `weights_only=True`, failing with one sentence."""
    path = Path(path)
    if not path.is_file():
        raise H2OTError(f"no checkpoint file at {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for corrupt or foreign files
        first_line = str(error).splitlines()[0] if str(error) else ""
        raise H2OTError(f"{path} is not a readable PyTorch checkpoint ({type(error).__name__}: {first_line})") \
            from error


def read_state_dict(checkpoint: str | Path | Mapping[str, Tensor]) -> dict[str, Tensor]:
    """A flat state_dict from a mapping or a file (read with weights_only=True), unwrapped, without
    `module.` prefixes."""
    if isinstance(checkpoint, (str, Path)):
        checkpoint = load_file(checkpoint)
    if not isinstance(checkpoint, Mapping):
        raise H2OTError(f"a checkpoint must hold a state_dict (a mapping of names to tensors), got "
                        f"{type(checkpoint).__name__}")
    for key in WRAPPER_KEYS:
        if key in checkpoint and isinstance(checkpoint[key], Mapping):
            checkpoint = checkpoint[key]
            break
    state = {}
    for key, value in checkpoint.items():
        if not isinstance(value, Tensor):
            raise H2OTError(f"checkpoint entry {key!r} is a {type(value).__name__}, not a tensor: is this a "
                            "state_dict?")
        state[key.removeprefix("module.")] = value
    return state


def load_exactly(model: nn.Module, state: Mapping[str, Tensor], what: str,
                 may_miss: tuple[str, ...] = ()) -> list[str]:
    """Load `state` into `model`, failing with one message that names every missing, unexpected or
    mis-shaped key. Keys that start with one of `may_miss` may be missing: they keep the model's own values.
    Returns those that were."""
    expected = model.state_dict()
    kept = sorted(key for key in set(expected) - set(state) if key.startswith(may_miss))  # () matches none
    missing = sorted(set(expected) - set(state) - set(kept))
    unexpected = sorted(set(state) - set(expected))
    misshaped = sorted(f"{key} (checkpoint {list(state[key].shape)}, model {list(expected[key].shape)})"
                       for key in set(state) & set(expected) if state[key].shape != expected[key].shape)
    problems = []
    for label, keys in (("missing", missing), ("unexpected", unexpected), ("mis-shaped", misshaped)):
        if keys:
            shown = ", ".join(keys[:8]) + (f" and {len(keys) - 8} more" if len(keys) > 8 else "")
            problems.append(f"{label} keys: {shown}")
    if problems:
        raise H2OTError(f"{what} does not fit the model ({'; '.join(problems)}); check the model name and "
                        "its config (sizes, frames, token_num, layer_index)")
    model.load_state_dict({**{key: expected[key] for key in kept}, **state}, strict=True)
    return kept
