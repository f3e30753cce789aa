"""`poses.npz`: h2ot's own file of a video's 3D poses, with the 2D they were lifted from.

The arrays (read with `numpy.load(path)`, no pickle needed, or with `load_poses`):

    poses_3d       float32 [T, 17, 3]  metres, root-relative (pelvis = joint 0 at 0), camera axes:
                                       x right, y down, z forward (OpenCV)
    keypoints_2d   float32 [T, 17, 3]  x, y in pixels of the video frame, and a confidence
    valid          bool    [T]         a person was seen in the frame (invalid frames hold a filled-in pose)
    interpolated   bool    [T]         the frame's 2D was interpolated over a short gap
    fps            float               frames per second of the video: frame t is at t / fps seconds
    joint_names    str     [17]        the Human3.6M-17 order of `h2ot.skeleton.JOINT_NAMES`
    meta           str                 JSON: what the caller gave (model, video, ...) plus "format" and
                                       "conventions" (these words, for a reader without this docstring)

Frames marked invalid may hold NaN; frames marked valid never do.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from h2ot.errors import H2OTError
from h2ot.export.common import check_finite, check_flags, check_fps, check_frames, check_target, write_atomically
from h2ot.skeleton import JOINT_NAMES

FORMAT = "h2ot-poses/1"
CONVENTIONS = {
    "poses_3d": "metres, root-relative (pelvis, joint 0, at the origin), camera axes: x right, y down, z forward "
                "(OpenCV)",
    "keypoints_2d": "x, y in pixels of the video frame, then a confidence",
    "joints": "Human3.6M-17, in the order of joint_names",
    "valid": "a person was seen in the frame; invalid frames hold a filled-in pose (or NaN)",
    "interpolated": "the frame's 2D was interpolated over a short gap",
    "fps": "frames per second: frame t is at t / fps seconds",
}
ARRAYS = ("poses_3d", "keypoints_2d", "valid", "interpolated", "fps", "joint_names", "meta")


def save_poses(
    path: str | Path,
    poses_3d: Any,
    keypoints_2d: Any,
    valid: Any,
    fps: float,
    meta: dict[str, Any],
    interpolated: Any = None,
    overwrite: bool = False,
) -> Path:
    """Write `poses.npz` (the module docstring lists its arrays); returns the path.

    `meta` must be JSON-serialisable and must not set "format" or "conventions" (h2ot writes those)."""
    path = check_target(path, overwrite)
    poses = check_frames(poses_3d, "poses_3d")
    keypoints = check_frames(keypoints_2d, "keypoints_2d")
    if len(keypoints) != len(poses):
        raise H2OTError(f"keypoints_2d has {len(keypoints)} frames but poses_3d has {len(poses)}; give both for "
                        "every frame.")
    valid = check_flags(valid, len(poses), "valid", default=True)
    interpolated = check_flags(interpolated, len(poses), "interpolated", default=False)
    check_finite(poses, valid, "poses_3d")
    check_finite(keypoints, valid, "keypoints_2d")
    payload = {
        "poses_3d": poses.astype(np.float32),
        "keypoints_2d": keypoints.astype(np.float32),
        "valid": valid,
        "interpolated": interpolated,
        "fps": np.float64(check_fps(fps)),
        "joint_names": np.array(JOINT_NAMES),
        "meta": np.array(_meta_json(meta)),
    }
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **payload)
    return write_atomically(path, buffer.getvalue(), overwrite)


def _meta_json(meta: dict[str, Any]) -> str:
    if not isinstance(meta, dict):
        raise H2OTError(f"meta must be a dict, got {type(meta).__name__}.")
    reserved = sorted({"format", "conventions"} & set(meta))
    if reserved:
        raise H2OTError(f"meta sets {', '.join(reserved)}, which save_poses writes itself; rename that key.")
    try:
        return json.dumps({"format": FORMAT, "conventions": CONVENTIONS, **meta}, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise H2OTError(f"meta must hold only JSON values (strings, numbers, lists, dicts): {error}.") from None


def load_poses(path: str | Path) -> dict[str, Any]:
    """Read a `poses.npz`: its arrays (`fps` a float, `joint_names` a list) and `meta` as a dict."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise H2OTError(f"{path}: no such file; check the path.") from None
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise H2OTError(f"{path}: is not an h2ot poses file (not a readable .npz: {error}).") from None
    missing = [key for key in ARRAYS if key not in arrays]
    if missing:
        raise H2OTError(f"{path}: is not an h2ot poses file (it lacks {', '.join(missing)}).")
    try:
        meta = json.loads(str(arrays["meta"]))
    except ValueError:
        raise H2OTError(f"{path}: its meta is not valid JSON; the file is damaged.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise H2OTError(f"{path}: has format {found!r}, this h2ot reads {FORMAT!r}.")
    frames = len(arrays["valid"])
    shapes = {"poses_3d": (frames, len(JOINT_NAMES), 3), "keypoints_2d": (frames, len(JOINT_NAMES), 3),
              "interpolated": (frames,), "joint_names": (len(JOINT_NAMES),)}
    for key, shape in shapes.items():
        if arrays[key].shape != shape:
            raise H2OTError(f"{path}: {key} has shape {list(arrays[key].shape)}, expected {list(shape)}; the file "
                            "is damaged.")
    if tuple(arrays["joint_names"].tolist()) != JOINT_NAMES:
        raise H2OTError(f"{path}: its joints are not the Human3.6M-17 order of h2ot.skeleton.JOINT_NAMES.")
    return {**arrays, "fps": float(arrays["fps"]), "joint_names": list(JOINT_NAMES), "meta": meta}
