"""The Human3.6M 17-joint set every model, dataset and metric of h2ot speaks, and converters into it.

Order (the VideoPose3D / MixSTE / MotionBERT order):

     0 pelvis (root)    4 left_hip      8 thorax       12 left_elbow     16 right_wrist
     1 right_hip        5 left_knee     9 neck (nose)  13 left_wrist
     2 right_knee       6 left_ankle   10 head (top)   14 right_shoulder
     3 right_ankle      7 spine        11 left_shoulder 15 right_elbow

"Left" is the subject's own left, not the left of the image.
"""

from __future__ import annotations

import numpy as np

from h2ot.errors import H2OTError

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


# --------------------------------------------------------------------------------------------------
# COCO-17 (the layout of most 2D detectors) -> Human3.6M-17
# --------------------------------------------------------------------------------------------------

COCO_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)

# Joints that COCO has as such.
_COCO_DIRECT = {
    "right_hip": "right_hip", "right_knee": "right_knee", "right_ankle": "right_ankle",
    "left_hip": "left_hip", "left_knee": "left_knee", "left_ankle": "left_ankle",
    "neck": "nose",
    "left_shoulder": "left_shoulder", "left_elbow": "left_elbow", "left_wrist": "left_wrist",
    "right_shoulder": "right_shoulder", "right_elbow": "right_elbow", "right_wrist": "right_wrist",
}
# How far past the ears the head top lies, as a fraction of the thorax -> mid-ears vector.
COCO_HEAD_TOP_EXTENSION = 0.5


def coco_to_h36m(keypoints: np.ndarray) -> np.ndarray:
    """Convert COCO-17 keypoints `[..., 17, C]` (C = 2 or 3; channel 2 a confidence) to Human3.6M-17.

    The rule per joint (docs/DATA.md): pelvis = mid-hips; thorax = mid-shoulders; spine = midway between
    pelvis and thorax; neck (nose) = the nose; head top = mid-ears pushed on, away from the thorax, by
    `COCO_HEAD_TOP_EXTENSION` times the thorax -> mid-ears distance; the others are COCO's own joints.
    A derived joint's confidence is the lowest confidence of the joints it is made from.
    """
    keypoints = np.asarray(keypoints)
    if keypoints.ndim < 2 or keypoints.shape[-2] != len(COCO_NAMES) or keypoints.shape[-1] not in (2, 3):
        raise H2OTError(
            f"COCO keypoints must have shape [..., 17, 2 or 3], got {list(keypoints.shape)}; "
            "pass the 17 COCO joints (x, y[, confidence])."
        )
    coco = {name: keypoints[..., i, :] for i, name in enumerate(COCO_NAMES)}
    out = np.empty(keypoints.shape, dtype=np.result_type(keypoints.dtype, np.float32))

    def mean(a: np.ndarray, b: np.ndarray, wa: float = 0.5) -> np.ndarray:
        joint = a * wa + b * (1.0 - wa)
        if keypoints.shape[-1] == 3:
            joint[..., 2] = np.minimum(a[..., 2], b[..., 2])
        return joint

    for target, source in _COCO_DIRECT.items():
        out[..., JOINT_INDEX[target], :] = coco[source]
    pelvis = mean(coco["left_hip"], coco["right_hip"])
    thorax = mean(coco["left_shoulder"], coco["right_shoulder"])
    ears = mean(coco["left_ear"], coco["right_ear"])
    out[..., JOINT_INDEX["pelvis"], :] = pelvis
    out[..., JOINT_INDEX["thorax"], :] = thorax
    out[..., JOINT_INDEX["spine"], :] = mean(pelvis, thorax)
    # ears + k * (ears - thorax) = (1 + k) * ears - k * thorax: an extrapolation along thorax -> ears.
    k = COCO_HEAD_TOP_EXTENSION
    head = ears * (1.0 + k) - thorax * k
    if keypoints.shape[-1] == 3:
        head[..., 2] = np.minimum(ears[..., 2], thorax[..., 2])
    out[..., JOINT_INDEX["head"], :] = head
    return out
