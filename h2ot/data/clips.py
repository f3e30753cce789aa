"""Clip windows over sequences, and the torch Dataset that serves them as `[B, T, 17, C]` batches.

Three kinds of windows of `frames` frames over a sequence of n frames (indices past either end are
replaced by the nearest real frame: edge replication):
- training (seq2seq): starts 0, stride, 2 * stride, ..., plus one that ends at the last frame;
- evaluation (seq2seq): starts 0, frames, 2 * frames, ...: every frame is in exactly one window; the
  last window is padded, and `real` marks which of its frames exist;
- centred (seq2frame): one window centred at every frame (`frames` odd); the centre is the output.
"""

from __future__ import annotations

from collections.abc import Sequence as SequenceOf
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from h2ot.data.augment import flip
from h2ot.data.sequence import Sequence
from h2ot.errors import H2OTError


def _check(num_frames: int, frames: int) -> None:
    if num_frames < 1 or frames < 1:
        raise H2OTError(f"windows need at least one frame, got a sequence of {num_frames} and windows of {frames}.")


def training_windows(num_frames: int, frames: int, stride: int) -> np.ndarray:
    """Strided windows `[N, frames]` of frame indices covering every frame at least once."""
    _check(num_frames, frames)
    if stride < 1:
        raise H2OTError(f"the stride must be at least 1, got {stride}.")
    last = max(0, num_frames - frames)
    starts = list(range(0, last + 1, stride))
    if starts[-1] != last:
        starts.append(last)
    return np.minimum(np.asarray(starts)[:, None] + np.arange(frames), num_frames - 1)


def evaluation_windows(num_frames: int, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Back-to-back windows: indices `[N, frames]` and `real` `[N, frames]` (False on the padding).

    Each frame of the sequence is exactly once at a `real` position, in order: `indices[real]` is
    `arange(num_frames)`."""
    _check(num_frames, frames)
    count = -(-num_frames // frames)
    raw = np.arange(count * frames).reshape(count, frames)
    return np.minimum(raw, num_frames - 1), raw < num_frames


def centred_windows(num_frames: int, frames: int) -> np.ndarray:
    """One window `[num_frames, frames]` centred at each frame (`frames` odd)."""
    _check(num_frames, frames)
    if frames % 2 == 0:
        raise H2OTError(f"seq2frame windows need an odd number of frames to have a centre, got {frames}.")
    half = frames // 2
    raw = np.arange(num_frames)[:, None] + np.arange(-half, half + 1)
    return np.clip(raw, 0, num_frames - 1)


class ClipDataset(Dataset):
    """Windows over `Sequence`s; each item a dict of tensors (the default collate stacks them):

    keypoints `[T, 17, C]` float32 · poses `[T, 17, 3]` float32 · mask `[T]` bool, the frames whose
    prediction counts (real, valid and, for seq2frame, the centre only) · frames `[T]` int64, the frame
    indices in the sequence · sequence: int, its index in `sequences`.

    mode "seq2seq": training windows when `train` (`stride` default frames // 3), else evaluation
    windows. mode "seq2frame": a centred window per frame. `flip`: the chance (training only) that an
    item is mirrored, 2D and 3D together.
    """

    def __init__(
        self,
        sequences: SequenceOf[Sequence],
        frames: int,
        mode: str = "seq2seq",
        train: bool = True,
        stride: int | None = None,
        flip: float = 0.0,
    ) -> None:
        if mode not in ("seq2seq", "seq2frame"):
            raise H2OTError(f"mode must be 'seq2seq' or 'seq2frame', got {mode!r}.")
        if not sequences:
            raise H2OTError("a clip dataset needs at least one sequence.")
        self.sequences = list(sequences)
        self.frames, self.mode, self.train, self.flip = frames, mode, train, flip
        stride = stride or max(1, frames // 3)
        items: list[tuple[int, np.ndarray, np.ndarray]] = []
        for s, seq in enumerate(self.sequences):
            n = seq.num_frames
            valid = np.ones(n, dtype=bool) if seq.valid is None else np.asarray(seq.valid, dtype=bool)
            if mode == "seq2frame":
                windows = centred_windows(n, frames)
                mask = np.zeros(windows.shape, dtype=bool)
                mask[:, frames // 2] = valid
            elif train:
                windows = training_windows(n, frames, stride)
                mask = valid[windows] & (np.arange(frames) < n)  # a short sequence's padding is False
            else:
                windows, real = evaluation_windows(n, frames)
                mask = real & valid[windows]
            items.extend((s, w, m) for w, m in zip(windows, mask, strict=True))
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, Any]:
        s, window, mask = self.items[index]
        seq = self.sequences[s]
        keypoints = torch.from_numpy(np.ascontiguousarray(seq.keypoints[window], dtype=np.float32))
        poses = torch.from_numpy(np.ascontiguousarray(seq.poses[window], dtype=np.float32))
        if self.train and self.flip > 0 and torch.rand(()) < self.flip:
            keypoints, poses = flip(keypoints), flip(poses)
        return {
            "keypoints": keypoints,
            "poses": poses,
            "mask": torch.from_numpy(mask.copy()),
            "frames": torch.from_numpy(window.astype(np.int64)),
            "sequence": s,
        }
