"""Virtual cameras around a motion clip: a fixed evaluation rig and random cameras for training.

A rig is placed per clip, around the clip's centre (the middle of the pelvis path, on the floor), since
mocap clips travel several metres while Human3.6M subjects stay in a small area. The world's up axis is a
parameter: "y" for BVH (the default), "z" for Human3.6M's world.

Every camera keeps the whole clip in its image: when the subject would leave it, the focal length is
reduced (the camera zooms out) until all joints of all frames are inside `FIT` of the half-image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from h2ot.camera import Camera
from h2ot.errors import H2OTError

_UP = {"x": 0, "y": 1, "z": 2}
# Fraction of the half-image (from the principal point) the clip may use.
FIT = 0.9


@dataclass(frozen=True)
class RigSpec:
    """The fixed evaluation rig, Human3.6M-like: four cameras on the diagonals around the subject."""

    azimuths_deg: tuple[float, ...] = (45.0, 135.0, 225.0, 315.0)
    distance_m: float = 5.0  # horizontal, from the clip centre; grows with the clip's extent
    margin_m: float = 3.0  # at least this far from the farthest point of the pelvis path
    height_m: float = 1.6  # camera centre above the floor
    target_height_m: float = 1.0  # the point the cameras look at, above the clip centre
    focal_px: float = 1145.0
    width: int = 1000
    height: int = 1000


EVALUATION_RIG = RigSpec()


@dataclass(frozen=True)
class RandomCameraSpec:
    """Ranges of the random training cameras (uniform unless said otherwise)."""

    distance_m: tuple[float, float] = (3.5, 7.0)  # horizontal, plus the clip's extent
    height_m: tuple[float, float] = (0.5, 2.5)
    target_height_m: tuple[float, float] = (0.7, 1.3)
    target_jitter_m: float = 0.3  # normal, horizontal
    roll_deg: float = 3.0  # normal
    focal_px: tuple[float, float] = (800.0, 1600.0)
    sizes: tuple[tuple[int, int], ...] = ((1000, 1000), (1920, 1080), (1080, 1920))


def _basis(up_axis: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors (up, horizontal a, horizontal b) of a right-handed world with `up_axis` up."""
    if up_axis not in _UP:
        raise H2OTError(f"unknown up axis {up_axis!r}; use 'x', 'y' or 'z'.")
    k = _UP[up_axis]
    eye = np.eye(3)
    return eye[k], eye[(k + 1) % 3], eye[(k + 2) % 3]


def look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray, roll_deg: float = 0.0) -> np.ndarray:
    """The world -> camera rotation of a camera at `eye` looking at `target` (x right, y down, z ahead)."""
    forward = np.asarray(target, dtype=np.float64) - np.asarray(eye, dtype=np.float64)
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, up)
    if np.linalg.norm(right) < 1e-9:
        raise H2OTError("a camera cannot look straight up or down; move its target.")
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    if roll_deg:
        a = np.radians(roll_deg)
        right, down = np.cos(a) * right + np.sin(a) * down, -np.sin(a) * right + np.cos(a) * down
    return np.stack([right, down, forward])


def clip_centre(positions: np.ndarray, up_axis: str = "y") -> tuple[np.ndarray, float]:
    """The floor point under the middle of the pelvis path, and the path's horizontal radius around it."""
    up, _, _ = _basis(up_axis)
    pelvis = np.asarray(positions, dtype=np.float64)[:, 0]
    flat = pelvis - np.outer(pelvis @ up, up)
    centre = (flat.min(axis=0) + flat.max(axis=0)) / 2
    radius = float(np.max(np.linalg.norm(flat - centre, axis=-1)))
    return centre, radius


def _fitted_focal(camera: Camera, positions: np.ndarray, focal: float) -> float:
    """`focal`, or less if some joint would fall outside `FIT` of the half-image."""
    points = camera.world_to_camera(positions.reshape(-1, 3))
    if np.any(points[:, 2] <= 0.1):
        raise H2OTError("the clip passes behind or through a virtual camera; increase the rig distance.")
    u = np.abs(points[:, 0] / points[:, 2])
    v = np.abs(points[:, 1] / points[:, 2])
    cx, cy = camera.center
    limit = min(FIT * min(cx, camera.width - cx) / u.max(), FIT * min(cy, camera.height - cy) / v.max())
    return float(min(focal, limit))


def _camera(
    eye: np.ndarray,
    target: np.ndarray,
    up: np.ndarray,
    roll: float,
    focal: float,
    size: tuple[int, int],
    positions: np.ndarray,
    name: str,
) -> Camera:
    """A camera at `eye` looking at `target`, its focal length fitted to keep `positions` in view."""
    width, height = size
    rotation = look_at(eye, target, up, roll)
    probe = Camera(focal=(focal, focal), center=(width / 2, height / 2), width=width, height=height,
                   rotation=rotation, position=eye, name=name)
    f = _fitted_focal(probe, positions, focal)
    return Camera(focal=(f, f), center=(width / 2, height / 2), width=width, height=height,
                  rotation=rotation, position=eye, name=name)


def evaluation_rig(positions: np.ndarray, up_axis: str = "y", spec: RigSpec = EVALUATION_RIG) -> list[Camera]:
    """The fixed rig around a clip `[T, 17, 3]` (world coordinates, metres)."""
    up, a, b = _basis(up_axis)
    positions = np.asarray(positions, dtype=np.float64)
    centre, radius = clip_centre(positions, up_axis)
    distance = max(spec.distance_m, radius + spec.margin_m)
    target = centre + spec.target_height_m * up
    cameras = []
    for k, azimuth in enumerate(spec.azimuths_deg):
        angle = np.radians(azimuth)
        eye = centre + distance * (np.cos(angle) * a + np.sin(angle) * b) + spec.height_m * up
        cameras.append(_camera(eye, target, up, 0.0, spec.focal_px, (spec.width, spec.height), positions,
                               f"rig{k}"))
    return cameras


def random_camera(
    positions: np.ndarray,
    rng: np.random.Generator | int | None = None,
    up_axis: str = "y",
    spec: RandomCameraSpec = RandomCameraSpec(),
) -> Camera:
    """A random camera that sees the whole clip `[T, 17, 3]`, for training augmentation."""
    rng = np.random.default_rng(rng)
    up, a, b = _basis(up_axis)
    positions = np.asarray(positions, dtype=np.float64)
    centre, radius = clip_centre(positions, up_axis)
    angle = rng.uniform(0, 2 * np.pi)
    distance = rng.uniform(*spec.distance_m) + radius
    eye = centre + distance * (np.cos(angle) * a + np.sin(angle) * b) + rng.uniform(*spec.height_m) * up
    jitter = rng.normal(0, spec.target_jitter_m, 2)
    target = centre + jitter[0] * a + jitter[1] * b + rng.uniform(*spec.target_height_m) * up
    size = spec.sizes[rng.integers(len(spec.sizes))]
    return _camera(eye, target, up, rng.normal(0, spec.roll_deg), rng.uniform(*spec.focal_px), size,
                   positions, "random")
