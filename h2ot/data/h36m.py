"""Human3.6M in the VideoPose3D npz forms.

- `data_3d_h36m.npz`: `positions_3d`, a pickled dict {subject: {action: [T, 32, 3]}}, world coordinates
  in metres (Z up); the 32 joints are reduced to the 17 (`KEEP_JOINTS`).
- `data_2d_h36m_<detector>.npz`: `positions_2d`, {subject: {action: [camera 0..3: [T, 17, 2 or 3]]}} in
  pixels, and `metadata`, {"layout_name": "h36m" or "coco", "num_joints": 17, ...}; COCO layouts are
  converted (`h2ot.keypoint_sets.coco_to_h36m`).
Both hold pickled Python dicts: see `h2ot.data.npz` for how they are opened.
The protocol: subjects S1, S5, S6, S7, S8 train, S9 and S11 test; 50 fps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from h2ot.camera import Camera, root_relative
from h2ot.data.h36m_cameras import EXTRINSICS, INTRINSICS
from h2ot.data.noise import clean_detections
from h2ot.data.npz import load_pickled
from h2ot.data.sequence import Sequence
from h2ot.errors import H2OTError
from h2ot.keypoint_sets import coco_to_h36m

TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
TEST_SUBJECTS = ("S9", "S11")
FPS = 50.0
# The 17 of the 32 Human3.6M joints, in h2ot's order (the VideoPose3D reduction).
KEEP_JOINTS = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)


def h36m_cameras(subject: str) -> list[Camera]:
    """The four cameras of a subject, positions in metres."""
    if subject not in EXTRINSICS:
        raise H2OTError(
            f"no Human3.6M camera parameters for subject {subject!r}; known: {', '.join(EXTRINSICS)}."
        )
    cameras = []
    for intrinsic, (orientation, centre) in zip(INTRINSICS, EXTRINSICS[subject], strict=True):
        cameras.append(Camera.from_quaternion(
            orientation, np.asarray(centre) / 1000.0, focal=intrinsic["focal"], center=intrinsic["center"],
            width=intrinsic["width"], height=intrinsic["height"], radial=intrinsic["radial"],
            tangential=intrinsic["tangential"], name=intrinsic["id"],
        ))
    return cameras


def _as_17(path: str | Path, key: tuple[str, str], positions: Any) -> np.ndarray:
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 3 or positions.shape[2] != 3 or positions.shape[1] not in (17, 32):
        raise H2OTError(
            f"{path}: {key[0]}/{key[1]} has shape {list(positions.shape)}; expected [T, 32, 3] or [T, 17, 3]."
        )
    return positions[:, list(KEEP_JOINTS)] if positions.shape[1] == 32 else positions


def load_h36m_3d(path: str | Path) -> dict[tuple[str, str], np.ndarray]:
    """{(subject, action): [T, 17, 3]} world positions in metres."""
    _, arrays = load_pickled(path, {"data_3d_h36m": ("positions_3d",)})
    data = arrays["positions_3d"]
    if not isinstance(data, dict):
        raise H2OTError(f"{path}: positions_3d must be a dict {{subject: {{action: array}}}}.")
    return {(s, a): _as_17(path, (s, a), p) for s, actions in data.items() for a, p in actions.items()}


def load_h36m_2d(path: str | Path) -> dict[tuple[str, str], list[np.ndarray | None]]:
    """{(subject, action): [camera 0..3: [T, 17, C] pixels or None]}, in the Human3.6M joint order."""
    _, arrays = load_pickled(path, {"data_2d_h36m": ("positions_2d", "metadata")})
    data, metadata = arrays["positions_2d"], arrays["metadata"]
    if not isinstance(data, dict) or not isinstance(metadata, dict):
        raise H2OTError(f"{path}: positions_2d and metadata must be dicts.")
    layout = metadata.get("layout_name", "h36m")
    if layout not in ("h36m", "coco"):
        raise H2OTError(f"{path}: 2D layout {layout!r} is not supported; convert it to 'h36m' or 'coco'.")
    out: dict[tuple[str, str], list[np.ndarray | None]] = {}
    for subject, actions in data.items():
        for action, per_camera in actions.items():
            views: list[np.ndarray | None] = []
            for keypoints in per_camera:
                if keypoints is None:
                    views.append(None)
                    continue
                keypoints = np.asarray(keypoints, dtype=np.float64)
                if keypoints.ndim != 3 or keypoints.shape[1] != 17 or keypoints.shape[2] not in (2, 3):
                    raise H2OTError(
                        f"{path}: {subject}/{action} 2D has shape {list(keypoints.shape)}; expected [T, 17, 2 or 3]."
                    )
                views.append(coco_to_h36m(keypoints) if layout == "coco" else keypoints)
            out[(subject, action)] = views
    return out


def h36m_sequences(
    path_3d: str | Path,
    path_2d: str | Path | None = None,
    subjects: tuple[str, ...] | None = None,
) -> list[Sequence]:
    """One `Sequence` per (subject, action, camera); 2D from `path_2d`, or the projected ground truth
    (with a confidence of 1) when None. 2D and 3D are cut to the shorter of the two."""
    positions = load_h36m_3d(path_3d)
    detections = load_h36m_2d(path_2d) if path_2d is not None else None
    out = []
    for (subject, action), world in sorted(positions.items()):
        if subjects is not None and subject not in subjects:
            continue
        for k, camera in enumerate(h36m_cameras(subject)):
            points = camera.world_to_camera(world)
            if detections is None:
                keypoints = clean_detections(camera.project(points))
            else:
                views = detections.get((subject, action))
                if views is None or k >= len(views) or views[k] is None:
                    continue  # no detections for this camera (e.g. S11 Directions, camera 0)
                keypoints = views[k]
            frames = min(len(points), len(keypoints))
            out.append(Sequence(
                keypoints=camera.codec.encode(keypoints[:frames]).astype(np.float32),
                poses=root_relative(points[:frames]).astype(np.float32),
                name=f"{subject}/{action}/{camera.name}",
                fps=FPS,
                camera=camera,
                root=points[:frames, 0].astype(np.float32),
                meta={"subject": subject, "action": action, "camera": camera.name,
                      "split": "train" if subject in TRAIN_SUBJECTS else "test"},
            ))
    return out
