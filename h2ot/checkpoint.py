"""h2ot checkpoints: one file that rebuilds a model on its own.

A checkpoint is a dict of tensors and plain Python values, so that `torch.load(..., weights_only=True)` reads
it: `format`, `model_config` (see `h2ot.models.registry`), `state_dict`, and whatever the trainer adds
(`data`: what the model was trained on, `normalisation`, `epoch`, `optimizer`, ...). Files are written
atomically: a temporary file beside the target, then a rename, so a crash never leaves half a checkpoint.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from h2ot.errors import H2OTError
from h2ot.hourglass.hourglass import HourglassModel
from h2ot.models.official import load_exactly, load_file
from h2ot.models.registry import build_model

FORMAT = "h2ot-checkpoint/1"


def save_atomically(payload: dict[str, Any], path: str | Path) -> Path:
    """`torch.save` to a temporary file in the same folder, then rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes the file private; a checkpoint is an ordinary file
    try:
        torch.save(payload, temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path


def save_checkpoint(path: str | Path, model: HourglassModel, model_config: dict[str, Any], **extra: Any) -> Path:
    state = {key: value.detach().cpu() for key, value in unwrap(model).state_dict().items()}
    return save_atomically({"format": FORMAT, "model_config": model_config, "state_dict": state, **extra}, path)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    payload = load_file(path)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise H2OTError(f"{path} is not an h2ot checkpoint (no '{FORMAT}' format tag); for official weights use "
                        "h2ot.from_official")
    return payload


def load_checkpoint(path: str | Path) -> tuple[HourglassModel, dict[str, Any]]:
    """The model of an h2ot checkpoint, in eval mode, and the checkpoint's contents."""
    payload = read_checkpoint(path)
    model = build_model(payload["model_config"])
    load_exactly(model, payload["state_dict"], f"the checkpoint {path}")
    return model.eval(), payload


def load(model: str | Path) -> HourglassModel:
    """A trained model, in eval mode: `model` is an h2ot checkpoint (.pt / .pth: a run's best.pt, say) or the
    name of a model shipped in models/ (e.g. "bandai-tps-tri-mixste-small"). Presets (`h2ot.create_model`) are
    untrained."""
    from h2ot.lifter import resolve_model_path  # here, not at the top: h2ot.lifter loads checkpoints with this module

    return load_checkpoint(resolve_model_path(model))[0]


# What a checkpoint says its model takes and gives (`normalisation`; training adds the 2D definition, "keypoints_2d").
NORMALISATION = {
    "joints": "Human3.6M 17 (h2ot.skeleton.JOINT_NAMES)",
    "input": "normalised screen coordinates: x / w * 2 - 1, y / w * 2 - h / w (h2ot.camera.ScreenCodec); "
             "third channel, if any: confidence in [0, 1]",
    "output": "metres, camera coordinates, root-relative (pelvis at the origin)",
}

TRAINING_STATE = ("optimizer", "schedule", "rng", "batch", "epoch_totals")


def save_for_release(source: str | Path, target: str | Path) -> Path:
    """A copy of checkpoint `source` without the training state (optimiser, schedule, random state): what a
    user needs to run and evaluate the model, a third of the size. `source` is left as it is."""
    if Path(source).resolve() == Path(target).resolve():
        raise H2OTError(f"{target}: write the release copy to another file than its source")
    payload = read_checkpoint(source)
    return save_atomically({k: v for k, v in payload.items() if k not in TRAINING_STATE}, target)


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The model inside a DistributedDataParallel (or DataParallel) wrapper."""
    return getattr(model, "module", model)
