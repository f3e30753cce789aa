"""Evaluation: every test frame predicted once, with flip test-time augmentation, and the pose errors overall
and per group (style for Bandai Namco, action for Human3.6M, sequence for MPI-INF-3DHP), in millimetres.

The predicted root joint is set to the origin, as the targets are root-relative. MPJVE compares the velocities
of consecutive frames of each whole reconstructed sequence. PCK@150 mm and AUC are reported for every source
(they are the MPI-INF-3DHP metrics)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence as SequenceOf
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from h2ot.data.augment import flip
from h2ot.data.clips import ClipDataset
from h2ot.data.sequence import Sequence
from h2ot.hourglass.hourglass import HourglassModel
from h2ot.metrics import auc, mpjpe, mpjve, n_mpjpe, p_mpjpe, pck

GROUP_KEYS = ("style", "action", "sequence")


@torch.no_grad()
def predict_sequences(model: HourglassModel, sequences: SequenceOf[Sequence], batch_size: int = 64,
                      flip_test: bool = True, reuse_kept: bool = True, device: str | torch.device = "cpu",
                      progress: bool = False, budget: float | None = None) -> list[np.ndarray]:
    """3D poses `[T, 17, 3]` for every frame of every sequence. `reuse_kept`: the flipped copy of a clip keeps
    the frames the unflipped copy kept (seq2frame models), as the official test loop does. `budget`: an elastic
    model's share of frames kept (`HourglassModel.stages_at`)."""
    model.stages_at(budget)  # a budget the model cannot run is told before any work
    model.eval().to(device)
    channels = model.backbone.in_channels
    clips = ClipDataset(sequences, model.frames, mode=model.pipeline, train=False)
    predictions = [np.zeros((s.num_frames, model.backbone.num_joints, 3), np.float32) for s in sequences]
    centre = model.centre
    for batch in tqdm(DataLoader(clips, batch_size=batch_size), desc="evaluate", disable=not progress,
                      leave=False):
        x = batch["keypoints"][..., :channels].to(device)
        out = model.predict(x, budget=budget)
        poses = _at_frames(out.poses, out.frames, model)
        if flip_test:
            replay = out.kept if reuse_kept and model.pipeline == "seq2frame" else None
            flipped = model.predict(flip(x), kept=replay, budget=budget)
            poses = (poses + flip(_at_frames(flipped.poses, flipped.frames, model))) / 2
        poses[..., 0, :] = 0
        poses = poses.cpu().numpy()
        if model.pipeline == "seq2frame":  # the centre of each window is its prediction
            poses, mask, frames = poses[:, None], batch["mask"][:, centre:centre + 1], batch["frames"][:, [centre]]
        else:
            mask, frames = batch["mask"], batch["frames"]
        for row, s in enumerate(batch["sequence"].tolist()):
            keep = mask[row].numpy()
            predictions[s][frames[row].numpy()[keep]] = poses[row][keep]
    return predictions


def _at_frames(poses: torch.Tensor, frames: torch.Tensor, model: HourglassModel) -> torch.Tensor:
    """seq2seq: all frames as they are; seq2frame: the centre frame's pose `[B, J, 3]`."""
    if model.pipeline == "seq2seq":
        return poses
    row = (frames == model.centre).long().argmax(dim=1)
    return poses[torch.arange(poses.shape[0], device=poses.device), row]


def score(predictions: SequenceOf[np.ndarray], sequences: SequenceOf[Sequence]) -> dict[str, Any]:
    """Errors in millimetres over every valid frame, each counted once, overall and per group."""
    rows: dict[str, list[np.ndarray]] = defaultdict(list)
    groups: dict[str, dict[str, list[np.ndarray]]] = defaultdict(lambda: defaultdict(list))
    for pred, seq in zip(predictions, sequences, strict=True):
        p, t = torch.from_numpy(pred).double(), torch.from_numpy(seq.poses).double()
        valid = np.ones(seq.num_frames, bool) if seq.valid is None else np.asarray(seq.valid, bool)
        values = {"mpjpe": mpjpe(p, t), "p_mpjpe": p_mpjpe(p, t), "n_mpjpe": n_mpjpe(p, t),
                  "pck": pck(p, t), "auc": auc(p, t)}
        values = {k: v.numpy()[valid] for k, v in values.items()}
        values["mpjve"] = mpjve(p, t).numpy()[(valid[1:] & valid[:-1])] if seq.num_frames > 1 else np.zeros(0)
        group = next((str(seq.meta[k]) for k in GROUP_KEYS if k in seq.meta), None)
        for key, value in values.items():
            rows[key].append(value)
            if group is not None:
                groups[group][key].append(value)
    result = _summarise(rows)
    result["per_group"] = {name: _summarise(values) for name, values in sorted(groups.items())}
    return result


def _summarise(rows: dict[str, list[np.ndarray]]) -> dict[str, Any]:
    joined = {k: np.concatenate(v) if v else np.zeros(0) for k, v in rows.items()}
    out: dict[str, Any] = {f"{k}_mm": float(joined[k].mean() * 1000) for k in ("mpjpe", "p_mpjpe", "n_mpjpe", "mpjve")}
    out["pck_150"] = float(joined["pck"].mean() * 100)
    out["auc"] = float(joined["auc"].mean() * 100)
    out["frames"] = int(joined["mpjpe"].size)
    return out


def evaluate(model: HourglassModel, sequences: SequenceOf[Sequence], **options: Any) -> dict[str, Any]:
    """`predict_sequences` then `score`."""
    return score(predict_sequences(model, sequences, **options), sequences)
