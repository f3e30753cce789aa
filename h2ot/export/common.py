"""What every export shares: checking the poses given, the Y-up axes of BVH and TRC, and atomic writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from h2ot.errors import H2OTError
from h2ot.skeleton import NUM_JOINTS

# Camera axes (x right, y down, z forward) -> the Y-up world of BVH and OpenSim: (x, -y, -z), a half turn about
# the camera's x axis (a proper rotation: right-handed stays right-handed). The camera looks along -Z, and a
# person facing the camera faces +Z with their left on +X. The map is its own inverse.
CAMERA_TO_Y_UP = np.diag([1.0, -1.0, -1.0])


def camera_to_y_up(points: np.ndarray) -> np.ndarray:
    """Points `[..., 3]` in camera axes -> the Y-up world (also the way back: the map is its own inverse)."""
    return np.asarray(points, dtype=np.float64) @ CAMERA_TO_Y_UP


def check_fps(fps: Any) -> float:
    try:
        value = float(fps)
    except (TypeError, ValueError):
        raise H2OTError(f"fps must be a number of frames per second, got {fps!r}.") from None
    if not (np.isfinite(value) and value > 0):
        raise H2OTError(f"fps must be a positive number of frames per second, got {fps!r}.")
    return value


def check_frames(values: Any, name: str, channels: int = 3, joints: int | None = NUM_JOINTS) -> np.ndarray:
    """`values` as float64 `[T, joints, channels]` (or `[T, channels]` with `joints=None`), T >= 1."""
    shape = "[frames, 17, 3]" if joints is not None else f"[frames, {channels}]"
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise H2OTError(f"{name} must be an array of numbers of shape {shape}.") from None
    wanted = (joints, channels) if joints is not None else (channels,)
    if array.ndim != len(wanted) + 1 or array.shape[1:] != wanted or array.shape[0] < 1:
        raise H2OTError(f"{name} must have shape {shape} (Human3.6M-17 joints), got {list(array.shape)}.")
    return array


def check_flags(flags: Any, frames: int, name: str, default: bool) -> np.ndarray:
    """`flags` as bool `[frames]` (None: all `default`); booleans or 0 / 1 only."""
    if flags is None:
        return np.full(frames, default)
    array = np.asarray(flags)
    if array.shape != (frames,):
        raise H2OTError(f"{name} must have one flag per frame, shape [{frames}], got {list(array.shape)}.")
    if array.dtype != bool:
        if not (np.issubdtype(array.dtype, np.number) and np.isin(array, (0, 1)).all()):
            raise H2OTError(f"{name} must hold booleans (or 0 / 1), got values of type {array.dtype}.")
        array = array.astype(bool)
    return array


def check_finite(array: np.ndarray, valid: np.ndarray, name: str) -> None:
    """Every value of the frames marked valid is a finite number."""
    bad = ~np.isfinite(array.reshape(len(array), -1)).all(axis=1) & valid
    if bad.any():
        raise H2OTError(f"{name} holds NaN or infinite values in {int(bad.sum())} frame(s) marked valid (the first "
                        f"is frame {int(np.argmax(bad))}); mark those frames invalid or fill them.")


def check_poses(poses: Any, valid: Any = None, root_translation: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Checked poses `[T, 17, 3]` plus `root_translation` `[T, 3]` (float64, camera axes) and valid `[T]`.

    Frames marked invalid may hold anything (NaN included); they must not be all of them."""
    poses = check_frames(poses, "poses")
    valid = check_flags(valid, len(poses), "valid", default=True)
    if not valid.any():
        raise H2OTError("no frame is marked valid, so there is no pose to write.")
    check_finite(poses, valid, "poses")
    if root_translation is not None:
        root = check_frames(root_translation, "root_translation", joints=None)
        if len(root) != len(poses):
            raise H2OTError(f"root_translation has {len(root)} frames but poses have {len(poses)}; give one "
                            "translation per frame.")
        check_finite(root, valid, "root_translation")
        poses = poses + root[:, None, :]
    return poses, valid


def hold_nearest_valid(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """`values` `[T, ...]` whose invalid frames are replaced by the nearest valid frame (the earlier on a tie); as
    they are when every frame or none is valid."""
    valid = np.asarray(valid, bool)
    if valid.all() or not valid.any():
        return values
    index = np.flatnonzero(valid)
    after = np.clip(np.searchsorted(index, np.arange(len(valid))), 0, len(index) - 1)
    before = np.clip(after - 1, 0, len(index) - 1)
    frames = np.arange(len(valid))
    nearest = np.where(np.abs(frames - index[before]) <= np.abs(index[after] - frames), index[before], index[after])
    return values[nearest]


def check_target(path: str | Path, overwrite: bool) -> Path:
    path = Path(path)
    if path.is_dir():
        raise H2OTError(f"{path} is a folder; give the path of a file to write.")
    if path.exists() and not overwrite:
        raise H2OTError(f"{path} exists; pass overwrite=True to replace it, or choose another path.")
    return path


def publish(temporary: str | Path, path: str | Path) -> None:
    """Rename a finished temporary file (made private by `tempfile.mkstemp`) over `path`, with the permissions of
    an ordinary new file."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    os.replace(temporary, path)


def write_atomically(path: str | Path, data: bytes, overwrite: bool = False) -> Path:
    """Write `data` to a temporary file beside `path`, then rename it over `path`: a crash never leaves half a
    file, and an existing file is only replaced with `overwrite`."""
    path = check_target(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        publish(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path
