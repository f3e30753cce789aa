"""Flip augmentation: mirror the x axis and swap every left joint with its right twin.

In normalised screen coordinates the mirror is about the image's vertical centre line (x -> -x); in
camera coordinates about the camera's y-z plane. Both keep a valid skeleton: a left wrist mirrored is a
right wrist. Works on numpy arrays and torch tensors `[..., 17, C]`; channels past x (y, z, a
confidence) are kept.
"""

from __future__ import annotations

from typing import Any

from h2ot.skeleton import FLIP_PERMUTATION


def flip(joints: Any) -> Any:
    """Mirror x and swap left/right: `[..., 17, C]` -> a new array / tensor of the same shape."""
    out = joints[..., list(FLIP_PERMUTATION), :]  # fancy indexing copies (numpy and torch)
    out[..., 0] = -out[..., 0]
    return out


# The same operation for either kind of data; the names say what the caller flips.
flip_keypoints = flip
flip_poses = flip
