"""MPI-INF-3DHP in the npz forms of the MixSTE / P-STMO / MotionAGFormer family.

- `data_train_3dhp.npz`: `data`, a pickled dict {"S1 Seq1": [{camera: {"data_2d": [T, 17, 2],
  "data_3d": [T, 17, 3]}}, fps]} (cameras "0", "1", "2", "4" ... "8").
- `data_test_3dhp.npz`: `data`, {"TS1": {"data_2d": [T, 17, 2], "data_3d": [T, 17, 3], "valid": [T]}}.
3D is `univ_annot3`: camera coordinates in millimetres (the universal, height-normalised skeleton); 2D is
in pixels. The 17 joints are in MPI-INF-3DHP's test order (`MPI3DHP_JOINTS`) and are reordered to
Human3.6M's. Test frames whose `valid` flag is 0 must not be counted in evaluation. Both files hold
pickled Python dicts: see `h2ot.data.npz` for how they are opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from h2ot.camera import Camera, root_relative
from h2ot.data.npz import load_pickled
from h2ot.data.sequence import Sequence
from h2ot.errors import H2OTError

MPI3DHP_JOINTS = (
    "head", "thorax", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
    "left_wrist", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
    "pelvis", "spine", "neck",
)
# h2ot order <- MPI-INF-3DHP order: positions_h36m = positions_3dhp[..., MPI3DHP_TO_H36M, :].
MPI3DHP_TO_H36M = (14, 8, 9, 10, 11, 12, 13, 15, 1, 16, 0, 5, 6, 7, 2, 3, 4)
TRAIN_SIZE = (2048, 2048)
# Test sequences: image size and frame rate (TS1-TS4 studio, TS5-TS6 outdoors).
TEST_SIZE = {"TS1": (2048, 2048), "TS2": (2048, 2048), "TS3": (2048, 2048), "TS4": (2048, 2048),
             "TS5": (1920, 1080), "TS6": (1920, 1080)}
TEST_FPS = {"TS1": 25.0, "TS2": 25.0, "TS3": 25.0, "TS4": 25.0, "TS5": 50.0, "TS6": 50.0}
# The test cameras' intrinsics (focal, principal point) in pixels, as the family's code uses them.
TEST_INTRINSICS = {
    (2048, 2048): ((1500.1722412109375, 1500.1722412109375), (1016.8873291015625, 1042.531982421875)),
    (1920, 1080): ((1683.9835205078125, 1683.9835205078125), (939.3575439453125, 559.6407470703125)),
}

_LAYOUTS = {"mpi_inf_3dhp": ("data",)}


def _pair(path: str | Path, name: str, item: Any) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(item, dict) or "data_2d" not in item or "data_3d" not in item:
        raise H2OTError(f"{path}: {name} must be a dict with 'data_2d' and 'data_3d'.")
    two, three = np.asarray(item["data_2d"], dtype=np.float64), np.asarray(item["data_3d"], dtype=np.float64)
    two, three = two.reshape(two.shape[0], -1, two.shape[-1]), three.reshape(three.shape[0], -1, 3)
    if two.shape[1] != 17 or three.shape[1] != 17 or two.shape[-1] != 2 or len(two) != len(three):
        raise H2OTError(
            f"{path}: {name} has 2D {list(two.shape)} and 3D {list(three.shape)}; expected [T, 17, 2] and [T, 17, 3]."
        )
    order = list(MPI3DHP_TO_H36M)
    return two[:, order], three[:, order] / 1000.0


def _sequence(two: np.ndarray, three: np.ndarray, name: str, fps: float, size: tuple[int, int],
              camera: Camera | None, valid: np.ndarray | None, meta: dict[str, Any]) -> Sequence:
    from h2ot.camera import ScreenCodec

    confidence = np.ones((*two.shape[:-1], 1))
    keypoints = ScreenCodec(*size).encode(np.concatenate([two, confidence], axis=-1))
    return Sequence(keypoints=keypoints.astype(np.float32), poses=root_relative(three).astype(np.float32),
                    name=name, fps=fps, camera=camera, root=three[:, 0].astype(np.float32), valid=valid, meta=meta)


def load_3dhp(path: str | Path) -> list[Sequence]:
    """Read a training or test file (told apart by its content) as `Sequence`s in h2ot's joint order."""
    _, arrays = load_pickled(path, _LAYOUTS)
    data = arrays["data"]
    if not isinstance(data, dict) or not data:
        raise H2OTError(f"{path}: 'data' must be a non-empty dict of sequences.")
    out = []
    for key, item in sorted(data.items()):
        if isinstance(item, (list, tuple)):  # training: [{camera: {...}}, fps]
            if len(item) != 2 or not isinstance(item[0], dict):
                raise H2OTError(f"{path}: training sequence {key!r} must be [{{camera: arrays}}, fps].")
            cameras, fps = item
            for cam, arrays_cam in sorted(cameras.items(), key=lambda kv: int(kv[0])):
                two, three = _pair(path, f"{key} camera {cam}", arrays_cam)
                out.append(_sequence(two, three, f"{key}/{cam}", float(fps), TRAIN_SIZE, None, None,
                                     {"sequence": key, "camera": str(cam), "split": "train"}))
        elif isinstance(item, dict) and "valid" in item:  # test
            two, three = _pair(path, key, item)
            valid = np.asarray(item["valid"]).reshape(-1).astype(bool)
            if len(valid) != len(two):
                raise H2OTError(f"{path}: {key} has {len(valid)} valid flags for {len(two)} frames.")
            size = TEST_SIZE.get(key, TRAIN_SIZE)
            focal, center = TEST_INTRINSICS[size]
            camera = Camera(focal=focal, center=center, width=size[0], height=size[1], name=key)
            out.append(_sequence(two, three, key, TEST_FPS.get(key, 25.0), size, camera, valid,
                                 {"sequence": key, "split": "test"}))
        else:
            raise H2OTError(
                f"{path}: sequence {key!r} is neither a training entry [{{camera: arrays}}, fps] nor a test "
                "entry {data_2d, data_3d, valid}."
            )
    return out
