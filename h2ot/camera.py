"""Cameras: world -> camera, projection to pixels (with Human3.6M's distortion), and the screen codec.

Conventions:
- Camera coordinates: x right, y down, z forward (OpenCV and Human3.6M), in metres.
- `Camera.rotation` is the world -> camera rotation matrix R and `Camera.position` the camera centre C in
  world coordinates, so a world point X is `R @ (X - C)` in camera coordinates.
- Distortion is the Human3.6M / VideoPose3D model on the normalised image plane (u, v) = (x / z, y / z),
  r2 = u^2 + v^2, radial k = (k1, k2, k3), tangential p = (p1, p2):
      s = 1 + k1 r2 + k2 r2^2 + k3 r2^3 + p1 u + p2 v
      u' = u s + p1 r2,  v' = v s + p2 r2,  pixels = f * (u', v') + c.
  (This is what the Human3.6M 2D ground truth was made with; it differs slightly from OpenCV's form.)
- Screen coordinates (the model's 2D input) are `ScreenCodec(width, height)`: x / w * 2 - 1 and
  y / w * 2 - h / w, the same scale on both axes so the aspect ratio is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from h2ot.errors import H2OTError


@dataclass(frozen=True)
class ScreenCodec:
    """Pixels <-> normalised screen coordinates for an image of `width` x `height` pixels.

    `encode` and `decode` touch only the first two channels (x, y); any further channel (a confidence)
    passes through. They accept numpy arrays and torch tensors alike.
    """

    width: float
    height: float

    def __post_init__(self) -> None:
        if not (self.width > 0 and self.height > 0):
            raise H2OTError(f"an image size must be positive, got {self.width} x {self.height}.")

    @property
    def pixel_size(self) -> float:
        """One pixel in normalised units (2 / width)."""
        return 2.0 / self.width

    def encode(self, pixels: Any) -> Any:
        """Pixels `[..., C >= 2]` -> normalised screen coordinates (x / w * 2 - 1, y / w * 2 - h / w)."""
        out = pixels * 1.0
        out[..., 0] = pixels[..., 0] / self.width * 2.0 - 1.0
        out[..., 1] = pixels[..., 1] / self.width * 2.0 - self.height / self.width
        return out

    def decode(self, screen: Any) -> Any:
        """The inverse of `encode`."""
        out = screen * 1.0
        out[..., 0] = (screen[..., 0] + 1.0) * self.width / 2.0
        out[..., 1] = (screen[..., 1] + self.height / self.width) * self.width / 2.0
        return out


def root_relative(poses: Any, root: int = 0) -> Any:
    """Subtract the root joint: `[..., J, C]` -> the same shape, joint `root` at the origin."""
    return poses - poses[..., root : root + 1, :]


def _rotation_from_quaternion(q: Any) -> np.ndarray:
    w, x, y, z = np.asarray(q, dtype=np.float64) / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


@dataclass(frozen=True, eq=False)
class Camera:
    """A pinhole camera: intrinsics in pixels, optional distortion, and its pose in the world."""

    focal: tuple[float, float]
    center: tuple[float, float]
    width: int
    height: int
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))
    position: np.ndarray = field(default_factory=lambda: np.zeros(3))
    radial: tuple[float, float, float] = (0.0, 0.0, 0.0)
    tangential: tuple[float, float] = (0.0, 0.0)
    name: str = ""

    def __post_init__(self) -> None:
        rotation = np.asarray(self.rotation, dtype=np.float64)
        if rotation.shape != (3, 3) or not np.allclose(rotation @ rotation.T, np.eye(3), atol=1e-6):
            raise H2OTError(f"camera {self.name!r}: the rotation must be a 3 x 3 orthonormal matrix.")
        object.__setattr__(self, "rotation", rotation)
        object.__setattr__(self, "position", np.asarray(self.position, dtype=np.float64).reshape(3))

    @classmethod
    def from_quaternion(cls, orientation: Any, translation: Any, **intrinsics: Any) -> Camera:
        """From the Human3.6M / VideoPose3D extrinsics: `orientation` a camera -> world quaternion
        (w, x, y, z), `translation` the camera centre in world coordinates (in the caller's unit)."""
        return cls(rotation=_rotation_from_quaternion(orientation).T, position=translation, **intrinsics)

    @property
    def codec(self) -> ScreenCodec:
        return ScreenCodec(self.width, self.height)

    @property
    def distorted(self) -> bool:
        return any(self.radial) or any(self.tangential)

    def world_to_camera(self, points: Any) -> np.ndarray:
        """World `[..., 3]` -> camera coordinates `[..., 3]`."""
        return (np.asarray(points, dtype=np.float64) - self.position) @ self.rotation.T

    def camera_to_world(self, points: Any) -> np.ndarray:
        """Camera `[..., 3]` -> world coordinates `[..., 3]`."""
        return np.asarray(points, dtype=np.float64) @ self.rotation + self.position

    def _distort(self, uv: np.ndarray) -> np.ndarray:
        k1, k2, k3 = self.radial
        p = np.asarray(self.tangential, dtype=np.float64)
        r2 = np.sum(uv**2, axis=-1, keepdims=True)
        scale = 1 + k1 * r2 + k2 * r2**2 + k3 * r2**3 + np.sum(p * uv, axis=-1, keepdims=True)
        return uv * scale + p * r2

    def _undistort(self, uv_distorted: np.ndarray, iterations: int = 50) -> np.ndarray:
        """Invert `_distort` by fixed-point iteration (it converges fast for real lenses)."""
        k1, k2, k3 = self.radial
        p = np.asarray(self.tangential, dtype=np.float64)
        uv = uv_distorted.copy()
        for _ in range(iterations):
            r2 = np.sum(uv**2, axis=-1, keepdims=True)
            scale = 1 + k1 * r2 + k2 * r2**2 + k3 * r2**3 + np.sum(p * uv, axis=-1, keepdims=True)
            uv = (uv_distorted - p * r2) / scale
        return uv

    def project(self, points_camera: Any) -> np.ndarray:
        """Camera coordinates `[..., 3]` -> pixels `[..., 2]`."""
        points = np.asarray(points_camera, dtype=np.float64)
        if np.any(points[..., 2] <= 0):
            raise H2OTError(
                f"camera {self.name!r}: some points are at or behind the camera (z <= 0) and cannot be "
                "projected; place the camera farther from the subject."
            )
        uv = points[..., :2] / points[..., 2:3]
        if self.distorted:
            uv = self._distort(uv)
        return uv * np.asarray(self.focal) + np.asarray(self.center)

    def unproject(self, pixels: Any, depth: Any) -> np.ndarray:
        """Pixels `[..., 2]` and camera depth z `[...]` -> camera coordinates `[..., 3]`."""
        pixels = np.asarray(pixels, dtype=np.float64)[..., :2]
        uv = (pixels - np.asarray(self.center)) / np.asarray(self.focal)
        if self.distorted:
            uv = self._undistort(uv)
        z = np.asarray(depth, dtype=np.float64)[..., None]
        return np.concatenate([uv * z, z], axis=-1)

    def project_world(self, points_world: Any) -> np.ndarray:
        """World coordinates `[..., 3]` -> pixels `[..., 2]`."""
        return self.project(self.world_to_camera(points_world))

    def normalized_intrinsics(self) -> np.ndarray:
        """The 9-vector (fx, fy, cx, cy, k1, k2, k3, p1, p2) in screen units, as VideoPose3D-family code
        feeds a projection loss: focal * 2 / w, and the centre through the screen codec."""
        center = self.codec.encode(np.asarray(self.center, dtype=np.float64))
        focal = np.asarray(self.focal, dtype=np.float64) * 2.0 / self.width
        return np.concatenate([focal, center, self.radial, self.tangential]).astype(np.float32)
