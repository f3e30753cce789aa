"""The Human3.6M 17-joint set every model, dataset and metric of h2ot speaks (other detectors' 2D layouts and
their converters into it: `h2ot.keypoint_sets`).

Order (the VideoPose3D / MixSTE / MotionBERT order):

     0 pelvis (root)    4 left_hip      8 thorax       12 left_elbow     16 right_wrist
     1 right_hip        5 left_knee     9 neck (nose)  13 left_wrist
     2 right_knee       6 left_ankle   10 head (top)   14 right_shoulder
     3 right_ankle      7 spine        11 left_shoulder 15 right_elbow

"Left" is the subject's own left, not the left of the image.
"""

from __future__ import annotations

import numpy as np

JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
    "spine", "thorax", "neck", "head", "left_shoulder", "left_elbow", "left_wrist",
    "right_shoulder", "right_elbow", "right_wrist",
)
NUM_JOINTS = len(JOINT_NAMES)
JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(JOINT_NAMES)}
ROOT = 0

PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
BONES: tuple[tuple[int, int], ...] = tuple((p, c) for c, p in enumerate(PARENTS) if p >= 0)

LEFT_JOINTS: tuple[int, ...] = (4, 5, 6, 11, 12, 13)
RIGHT_JOINTS: tuple[int, ...] = (1, 2, 3, 14, 15, 16)


def _flip_permutation() -> tuple[int, ...]:
    perm = list(range(NUM_JOINTS))
    for left, right in zip(LEFT_JOINTS, RIGHT_JOINTS, strict=True):
        perm[left], perm[right] = right, left
    return tuple(perm)


# flipped[..., j, :] = original[..., FLIP_PERMUTATION[j], :] swaps every left joint with its right twin.
FLIP_PERMUTATION: tuple[int, ...] = _flip_permutation()


def bone_lengths(positions: np.ndarray) -> np.ndarray:
    """Lengths of the 16 bones of `positions` `[..., 17, 3]`, as `[..., 16]` in the order of `BONES`."""
    positions = np.asarray(positions)
    parents = [p for p, _ in BONES]
    children = [c for _, c in BONES]
    return np.linalg.norm(positions[..., children, :] - positions[..., parents, :], axis=-1)


def standing_height(positions: np.ndarray, up_axis: int = 1) -> float:
    """The stature of a clip `[T, 17, 3]` whose floor is at 0 on `up_axis`, whatever its poses.

    The bone chain ankle -> knee -> hip (both legs averaged) + pelvis -> spine -> thorax -> neck -> head
    (mean over frames), plus the height of the lower ankle above the floor (median over frames)."""
    positions = np.asarray(positions, dtype=np.float64)
    lengths = bone_lengths(positions).mean(axis=0)
    bone = {pair: length for pair, length in zip(BONES, lengths, strict=True)}
    legs = (bone[(1, 2)] + bone[(2, 3)] + bone[(4, 5)] + bone[(5, 6)]) / 2
    trunk = bone[(0, 7)] + bone[(7, 8)] + bone[(8, 9)] + bone[(9, 10)]
    ankle = np.median(np.minimum(positions[:, 3, up_axis], positions[:, 6, up_axis]))
    return float(legs + trunk + ankle)
