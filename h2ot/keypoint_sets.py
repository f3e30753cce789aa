"""The 2D keypoint layouts of common detectors, and their conversion to the Human3.6M 17 joints of h2ot.

A layout is a tuple of names, index = keypoint index, in the detector's own order (checked against each
official source). The names are one vocabulary for all layouts (the subject's own left and right), so one
table says where each Human3.6M joint comes from, whatever the detector:

    coco17       COCO-17 (most detectors; MMPose, AlphaPose COCO models, YOLO-pose, RTMPose)
    halpe26      AlphaPose's Halpe-26: COCO-17, then Head, Neck, Hip (mid), big toes, small toes, heels
                 (github.com/Fang-Haoshu/Halpe-FullBody)
    body25       OpenPose BODY_25 (OpenPose doc/02_output.md, POSE_BODY_25_BODY_PARTS)
    coco18       OpenPose COCO_18 (POSE_COCO_BODY_PARTS): Nose, Neck, right arm, left arm, right leg, ...
    blazepose33  MediaPipe BlazePose's 33 pose landmarks (mediapipe.solutions.pose.PoseLandmark)

The rule for every layout (`to_h36m`):
    - hips, knees, ankles, shoulders, elbows, wrists: the detector's own joints;
    - pelvis = mid-hips; thorax = mid-shoulders; spine = midway between pelvis and thorax;
    - neck (Human3.6M joint 9, "neck/nose") = the nose;
    - head (top) = the mid-ears point pushed on, away from the thorax, by `COCO_HEAD_TOP_EXTENSION` times
      the thorax -> mid-ears vector;
    - a derived joint's confidence is the lowest confidence of the joints it is made from.
Keypoints that some detectors have for these places (OpenPose's Neck and MidHip, Halpe's Head, Neck and
Hip) are NOT used: they are annotated or learned differently from detector to detector (Halpe's Neck is not
the mid-shoulders, its Head is not where the rule above puts the head top), and the lifter must see one
definition whatever the detector, so the same video gives the same 2D skeleton through any of them.
"""

from __future__ import annotations

import numpy as np

from h2ot.errors import H2OTError
from h2ot.skeleton import JOINT_INDEX

COCO_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
# Halpe's official names from 17 on: Head, Neck, Hip, LBigToe, RBigToe, LSmallToe, RSmallToe, LHeel, RHeel.
HALPE26_NAMES: tuple[str, ...] = (*COCO_NAMES,
    "head", "neck", "mid_hip", "left_big_toe", "right_big_toe", "left_small_toe", "right_small_toe",
    "left_heel", "right_heel",
)
# Official: Nose, Neck, RShoulder, RElbow, RWrist, LShoulder, LElbow, LWrist, MidHip, RHip, RKnee, RAnkle,
# LHip, LKnee, LAnkle, REye, LEye, REar, LEar, LBigToe, LSmallToe, LHeel, RBigToe, RSmallToe, RHeel.
BODY25_NAMES: tuple[str, ...] = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
    "left_wrist", "mid_hip", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
    "right_eye", "left_eye", "right_ear", "left_ear", "left_big_toe", "left_small_toe", "left_heel",
    "right_big_toe", "right_small_toe", "right_heel",
)
# BODY_25 without MidHip and the feet.
COCO18_NAMES: tuple[str, ...] = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
    "left_wrist", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
    "right_eye", "left_eye", "right_ear", "left_ear",
)
# MediaPipe's PoseLandmark names, lower case.
BLAZEPOSE_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky",
    "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee",
    "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel", "left_foot_index",
    "right_foot_index",
)

LAYOUTS: dict[str, tuple[str, ...]] = {
    "coco17": COCO_NAMES,
    "halpe26": HALPE26_NAMES,
    "body25": BODY25_NAMES,
    "coco18": COCO18_NAMES,
    "blazepose33": BLAZEPOSE_NAMES,
}

# Human3.6M joints that are a detector joint as such (source names in the shared vocabulary above).
DIRECT_SOURCES: dict[str, str] = {
    "right_hip": "right_hip", "right_knee": "right_knee", "right_ankle": "right_ankle",
    "left_hip": "left_hip", "left_knee": "left_knee", "left_ankle": "left_ankle",
    "neck": "nose",
    "left_shoulder": "left_shoulder", "left_elbow": "left_elbow", "left_wrist": "left_wrist",
    "right_shoulder": "right_shoulder", "right_elbow": "right_elbow", "right_wrist": "right_wrist",
}
# The pairs whose midpoints make the derived joints.
MIDPOINT_SOURCES: dict[str, tuple[str, str]] = {
    "hips": ("left_hip", "right_hip"),
    "shoulders": ("left_shoulder", "right_shoulder"),
    "ears": ("left_ear", "right_ear"),
}
# How far past the ears the head top lies, as a fraction of the thorax -> mid-ears vector.
COCO_HEAD_TOP_EXTENSION = 0.5


def layouts_with(count: int) -> list[str]:
    """The layouts that have `count` keypoints."""
    return [name for name, names in LAYOUTS.items() if len(names) == count]


def _fits(count: int) -> str:
    fitting = layouts_with(count)
    if not fitting:
        return f"no known layout has {count} keypoints ({', '.join(f'{n}: {len(v)}' for n, v in LAYOUTS.items())})"
    return f"{count} keypoints fit layout {' or '.join(repr(n) for n in fitting)}"


def to_h36m(keypoints: np.ndarray, layout: str, confidence: bool = True) -> np.ndarray:
    """Convert `[..., K, C]` keypoints of `layout` (C = 2 or 3) to Human3.6M-17.

    With `confidence`, channel 2 is a confidence (a derived joint takes the lowest of its sources'); without,
    every channel is a coordinate: 3D points (x, y, z) go through the same rule.
    Returns `[..., 17, C]`, float (float32 or wider), by the rule in this module's docstring.
    """
    if layout not in LAYOUTS:
        raise H2OTError(f"unknown keypoint layout {layout!r}; known: {', '.join(LAYOUTS)}.")
    names = LAYOUTS[layout]
    keypoints = np.asarray(keypoints)
    if keypoints.ndim < 2 or keypoints.shape[-1] not in (2, 3):
        raise H2OTError(
            f"{layout} keypoints must have shape [..., {len(names)}, 2 or 3], got {list(keypoints.shape)}; "
            "pass x, y and optionally a confidence per keypoint."
        )
    if keypoints.shape[-2] != len(names):
        raise H2OTError(
            f"{layout} keypoints must have shape [..., {len(names)}, 2 or 3], got {list(keypoints.shape)} "
            f"({keypoints.shape[-2]} keypoints, expected {len(names)}); {_fits(keypoints.shape[-2])}."
        )
    index = {name: i for i, name in enumerate(names)}
    has_confidence = confidence and keypoints.shape[-1] == 3

    def joint(name: str) -> np.ndarray:
        return keypoints[..., index[name], :]

    def blend(a: np.ndarray, b: np.ndarray, wa: float, wb: float) -> np.ndarray:
        out = a * wa + b * wb
        if has_confidence:
            out[..., 2] = np.minimum(a[..., 2], b[..., 2])
        return out

    out = np.empty((*keypoints.shape[:-2], len(JOINT_INDEX), keypoints.shape[-1]),
                   dtype=np.result_type(keypoints.dtype, np.float32))
    for target, source in DIRECT_SOURCES.items():
        out[..., JOINT_INDEX[target], :] = joint(source)
    pelvis, thorax, ears = (blend(joint(a), joint(b), 0.5, 0.5) for a, b in MIDPOINT_SOURCES.values())
    out[..., JOINT_INDEX["pelvis"], :] = pelvis
    out[..., JOINT_INDEX["thorax"], :] = thorax
    out[..., JOINT_INDEX["spine"], :] = blend(pelvis, thorax, 0.5, 0.5)
    # ears + k * (ears - thorax): an extrapolation along thorax -> mid-ears.
    k = COCO_HEAD_TOP_EXTENSION
    out[..., JOINT_INDEX["head"], :] = blend(ears, thorax, 1.0 + k, -k)
    return out


def coco_to_h36m(keypoints: np.ndarray) -> np.ndarray:
    """COCO-17 `[..., 17, C]` -> Human3.6M-17 `[..., 17, C]`: `to_h36m(keypoints, "coco17")`."""
    return to_h36m(keypoints, "coco17")
