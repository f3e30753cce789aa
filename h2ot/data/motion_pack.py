"""A motion pack: a BVH folder's clips, already converted, in one compressed `.npz` (no pickle).

A pack holds the Human3.6M-17 joint positions a BVH folder loads to, at one frame rate, in one file five times
smaller than the gzipped BVH (Bandai Namco: 24 MB for 123 MB), so that a training set can travel to another
machine (a rented GPU) and load there without the BVH files or their cache. A pack stands wherever a BVH folder
does (`data.source`, `h2ot data info`): its clips keep their names, hence their split.

Positions are stored as whole 0.1 mm steps from frame to frame (int32 differences compress well where float32
does not), so a pack restores every coordinate to within 0.05 mm of the BVH's.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from h2ot.data.bvh import Motion
from h2ot.data.npz import npz_keys
from h2ot.errors import H2OTError

PACK_VERSION = 1
STEP = 1e-4  # metres per stored unit: 0.1 mm
_KEYS = {"motion_pack", "names", "paths", "fps", "source_fps", "units", "joint_maps", "up_axes", "frames", "steps"}


def is_motion_pack(path: str | Path) -> bool:
    """Whether `path` is an `.npz` written by `write_motion_pack` (read from its array names only)."""
    path = Path(path)
    return path.is_file() and path.suffix == ".npz" and "motion_pack" in npz_keys(path)


def write_motion_pack(path: str | Path, motions: Sequence[Motion]) -> Path:
    """Write `motions` (one frame rate) to a new pack at `path`; an existing file is never replaced."""
    path = Path(path)
    if path.suffix != ".npz":
        raise H2OTError(f"{path}: a motion pack is an .npz file; name it so")
    if path.exists():
        raise H2OTError(f"{path} exists; a pack is never written over a file: remove it or choose another name")
    if not motions:
        raise H2OTError("no clip to pack")
    rates = sorted({m.fps for m in motions})
    if len(rates) > 1:
        raise H2OTError(f"the clips have several frame rates ({', '.join(f'{r:g}' for r in rates)}); "
                        "load them at one rate (fps) to pack them")
    steps = []
    for motion in motions:
        units = np.round(np.asarray(motion.positions, dtype=np.float64) / STEP)
        if not np.isfinite(units).all() or np.abs(units).max(initial=0) >= 2**62:
            raise H2OTError(f"{motion.name}: its positions are not all finite numbers; it cannot be packed")
        step = np.diff(units.astype(np.int64), axis=0, prepend=np.zeros_like(units[:1], dtype=np.int64))
        if np.abs(step).max(initial=0) >= 2**31:  # the first frame, or a jump from one frame to the next
            raise H2OTError(f"{motion.name}: its positions lie or jump beyond 200 km; it cannot be packed")
        steps.append(step.astype(np.int32))
    arrays = {
        "motion_pack": np.array(PACK_VERSION),
        "names": np.array([m.name for m in motions]),
        "paths": np.array([m.path for m in motions]),
        "fps": np.array(rates[0]),
        "source_fps": np.array([m.meta.get("source_fps", m.fps) for m in motions], dtype=np.float64),
        "units": np.array([m.units for m in motions], dtype=np.float64),
        "joint_maps": np.array([m.joint_map for m in motions]),
        "up_axes": np.array([m.up_axis for m in motions]),
        "frames": np.array([m.num_frames for m in motions], dtype=np.int64),
        "steps": np.concatenate(steps),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            np.savez_compressed(out, **arrays)
        os.link(tmp, path)  # fails if a file appeared meanwhile: nothing is replaced
    except FileExistsError:
        raise H2OTError(f"{path} appeared while the pack was written; it was left as it is") from None
    finally:
        os.unlink(tmp)
    return path


def read_motion_pack(path: str | Path, fps: float | None = None) -> list[Motion]:
    """The clips of a pack; `fps`, if given, must be the pack's rate (a pack is not resampled)."""
    path = Path(path)
    if not is_motion_pack(path):
        raise H2OTError(f"{path}: not a motion pack (h2ot data pack writes them)")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = _KEYS - set(data.files)
            if missing:
                raise H2OTError(f"{path}: a damaged motion pack: it lacks {', '.join(sorted(missing))}")
            version = int(data["motion_pack"])
            if version != PACK_VERSION:
                raise H2OTError(f"{path}: a motion pack of version {version}; this h2ot reads version {PACK_VERSION}")
            arrays = {key: data[key] for key in _KEYS}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise H2OTError(f"{path}: a damaged motion pack ({error})") from None
    rate = float(arrays["fps"])
    if fps is not None and abs(float(fps) - rate) > 1e-6:
        raise H2OTError(f"{path}: the pack holds clips at {rate:g} fps, but {float(fps):g} fps were asked for; "
                        f"pack the BVH folder again with --fps {float(fps):g}")
    frames = arrays["frames"]
    steps = arrays["steps"]
    if frames.sum() != len(steps) or steps.ndim != 3 or steps.shape[1:] != (17, 3) or (frames < 1).any():
        raise H2OTError(f"{path}: a damaged motion pack: its frame counts do not match its positions")
    motions = []
    for index, chunk in enumerate(np.split(steps, np.cumsum(frames)[:-1])):
        positions = (np.cumsum(chunk.astype(np.int64), axis=0) * STEP).astype(np.float32)
        motions.append(Motion(
            positions=positions, fps=rate, name=str(arrays["names"][index]), path=str(arrays["paths"][index]),
            units=float(arrays["units"][index]), joint_map=str(arrays["joint_maps"][index]),
            up_axis=str(arrays["up_axes"][index]), meta={"source_fps": float(arrays["source_fps"][index])},
        ))
    return motions
