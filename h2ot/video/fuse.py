"""The lifter's 3D fused with MediaPipe's own (`h2ot video --fuse-mediapipe`): their mean, root-relative, on the
frames where MediaPipe found the person.

The two err differently: the lifter reads 81 frames of 2D and knows how bodies move but guesses depth from one
view, MediaPipe reads each image alone and sees what the 2D loses. On the real takes with a multi-view reference
here their mean is closer to it than either (docs/RESULTS.md), so a user of MediaPipe's 2D gets it for the cost of
an addition. Frames MediaPipe missed (interpolated or held by the tracker) keep the lifter's pose."""

from __future__ import annotations

import numpy as np

from h2ot.errors import H2OTError
from h2ot.skeleton import NUM_JOINTS

MEDIAPIPE_WEIGHT = 0.5  # an even mean: not tuned on the takes it is measured on


def fuse_poses(lifted: np.ndarray, mediapipe_3d: np.ndarray, found: np.ndarray,
               weight: float = MEDIAPIPE_WEIGHT) -> np.ndarray:
    """`[T, 17, 3]` root-relative metres: `(1 - weight) * lifted + weight * mediapipe_3d` where `found` (`[T]`
    bool), `lifted` elsewhere. Both inputs are in the same joints and camera axes; each is taken root-relative."""
    lifted, mediapipe_3d, found = np.asarray(lifted), np.asarray(mediapipe_3d), np.asarray(found)
    shape = (len(lifted), NUM_JOINTS, 3)
    if lifted.shape != shape or mediapipe_3d.shape != shape or found.shape != shape[:1] or found.dtype != bool:
        raise H2OTError(f"fuse_poses takes two [T, {NUM_JOINTS}, 3] pose arrays and a [T] bool mask of the same T, "
                        f"got {lifted.shape}, {mediapipe_3d.shape} and {found.shape} {found.dtype}")
    if not 0 <= weight <= 1:
        raise H2OTError(f"the weight of MediaPipe's 3D must be in [0, 1], got {weight}")
    if not (np.isfinite(lifted).all() and np.isfinite(mediapipe_3d[found]).all()):
        raise H2OTError("fuse_poses got NaN or infinite coordinates on the frames it fuses")
    lifted = lifted - lifted[:, :1]
    fused = lifted.copy()
    theirs = mediapipe_3d[found] - mediapipe_3d[found][:, :1]
    fused[found] = (1 - weight) * lifted[found] + weight * theirs
    return fused.astype(lifted.dtype, copy=False)
