"""What an exported ONNX file says about itself: its input and output names, and in its metadata (`metadata_props`,
string values, JSON where structured) the joint order, input normalisation, frames, fps, channels, units and axes
the model expects and gives, and the h2ot version that wrote it.

The graph's input and outputs:

    keypoints  float32 [batch, frames, joints, channels]  normalised screen coordinates (x, y[, confidence])
    poses      float32 [batch, rows, joints, 3]           metres, camera axes, root-relative; rows = frames
                                                          (seq2seq) or the frames the last stage kept (seq2frame)
    frames     int64   [batch, rows]                      the clip frame of each row of poses
    kept_<s>   int64   [batch, k_s]                       the clip frames stage s of the schedule kept, ascending
"""

from __future__ import annotations

import json
from typing import Any

from h2ot.checkpoint import NORMALISATION
from h2ot.hourglass.hourglass import HourglassModel
from h2ot.skeleton import JOINT_NAMES, NUM_JOINTS

INPUT = "keypoints"
AXES = "camera axes: x right, y down, z forward (away from the camera); root-relative: the pelvis (joint 0) at 0"


def output_names(model: HourglassModel) -> list[str]:
    return ["poses", "frames", *(f"kept_{stage}" for stage in range(len(model.stages_at())))]


def describe_io(model: HourglassModel, batch: int | None) -> dict[str, str]:
    """One line per graph input and output: shape, type and meaning (also each one's ONNX doc_string). `batch`
    None: any batch (a dynamic axis named "batch")."""
    batch = "batch" if batch is None else batch
    frames, joints = model.frames, model.backbone.num_joints
    channels = model.backbone.in_channels
    stages = [stage for _, stage in model.stages_at()]  # at the model's budget (an elastic model's set_budget)
    rows = frames if model.pipeline == "seq2seq" or not stages else stages[-1].tokens
    lines = {
        INPUT: f"float32 [{batch}, {frames}, {joints}, {channels}]: 2D keypoints ({channel_names(channels)}) in "
               "normalised screen coordinates, see input_normalisation",
        "poses": f"float32 [{batch}, {rows}, {joints}, 3]: 3D poses in metres, {AXES}"
                 + ("" if model.pipeline == "seq2seq" else f"; the row whose frame is {model.centre} (the centre) is "
                                                            "the prediction"),
        "frames": f"int64 [{batch}, {rows}]: the clip frame of each row of poses",
    }
    for number, stage in enumerate(stages):
        lines[f"kept_{number}"] = (f"int64 [{batch}, {stage.tokens}]: the clip frames kept by stage {number} of the "
                                   f"schedule (pruned before block {stage.block}), ascending")
    return lines


def channel_names(channels: int) -> str:
    return {2: "x, y", 3: "x, y, confidence in [0, 1]"}.get(channels, f"{channels} channels")


def describe(model: HourglassModel, batch: int | None, name: str = "", fps: float | None = None,
             record: dict[str, Any] | None = None) -> dict[str, str]:
    """The metadata of the export of `model`. `record`: what is known beyond the weights (a checkpoint's contents:
    `model_config`, `data` with its fps, `normalisation`; see `h2ot.config.load_model_with_record`)."""
    from h2ot import __version__

    record = record or {}
    normalisation = {**NORMALISATION, **(record.get("normalisation") or {})}
    fps = fps if fps is not None else (record.get("data") or {}).get("fps")
    joints = model.backbone.num_joints
    io = describe_io(model, batch)
    metadata = {
        "h2ot_version": __version__,
        "model": name,
        "joint_order": "Human3.6M 17 (h2ot.skeleton.JOINT_NAMES)" if joints == NUM_JOINTS else
                       f"{joints} joints, not the Human3.6M 17 set",
        "joint_names": json.dumps(list(JOINT_NAMES) if joints == NUM_JOINTS else []),
        "input_normalisation": normalisation["input"],
        "input_channels": f"{model.backbone.in_channels} ({channel_names(model.backbone.in_channels)})",
        "frames": str(model.frames),
        "batch": "any" if batch is None else str(batch),
        "fps": "unknown" if fps is None else f"{float(fps):g}",
        "output_units": "metres",
        "output_axes": AXES,
        "output": normalisation["output"],
        "pipeline": model.pipeline,
        "centre_frame": str(model.centre),
        "schedule": json.dumps([[stage.block, stage.tokens] for _, stage in model.stages_at()]),
        "budget": "" if model.budget is None else f"{model.budget:g}",
        "pruner": model.pruner.name if len(model.schedule) else "",
        "recoverer": getattr(model.recoverer, "name", ""),
        "inputs": json.dumps({INPUT: io[INPUT]}),
        "outputs": json.dumps({name: text for name, text in io.items() if name != INPUT}),
    }
    if normalisation.get("keypoints_2d"):  # what the 2D of the training data were (a checkpoint says)
        metadata["keypoints_2d"] = str(normalisation["keypoints_2d"])
    if record.get("model_config"):
        metadata["model_config"] = json.dumps(record["model_config"])
    return metadata
