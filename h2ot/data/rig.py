"""Virtual cameras around a motion clip: a fixed evaluation rig, and random cameras for training (studio-like,
or what phones and webcams see: `PHONE_AND_WEBCAM`).

A rig is placed per clip, around the clip's centre (the middle of the pelvis path, on the floor), since
mocap clips travel several metres while Human3.6M subjects stay in a small area. The world's up axis is a
parameter: "y" for BVH (the default), "z" for Human3.6M's world.

Every camera keeps the whole clip in its image: when the subject would leave it, the focal length is
reduced (the camera zooms out) until all joints of all frames are inside `FIT` of the half-image. A phone
camera keeps its lens and steps back instead (it zooms out only if stepping back cannot help).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    """Ranges of the random training cameras (uniform unless said otherwise).

    With `focal_35mm` set, the cameras are phone-like (`PHONE_AND_WEBCAM`): the lens is a 35 mm-equivalent
    focal length (log-uniform; f_px = f_mm / 36 * the image's long side), the distance follows from `fill` (the
    person's height as a share of the image height), and the person is moved off the centre by up to
    `off_centre` of the free image space; `distance_m`, `focal_px` and `target_jitter_m` are then unused.
    """

    distance_m: tuple[float, float] = (3.5, 7.0)  # horizontal, plus the clip's extent
    height_m: tuple[float, float] = (0.5, 2.5)
    target_height_m: tuple[float, float] = (0.7, 1.3)
    target_jitter_m: float = 0.3  # normal, horizontal
    roll_deg: float = 3.0  # normal
    focal_px: tuple[float, float] = (800.0, 1600.0)
    sizes: tuple[tuple[int, int], ...] = ((1000, 1000), (1920, 1080), (1080, 1920))
    focal_35mm: tuple[float, float] | None = None
    fill: tuple[float, float] = (0.25, 0.85)
    off_centre: float = 1.0


STUDIO = RandomCameraSpec()
# Phones (portrait and landscape) and webcams: wide (24 mm) to tele (85 mm) lenses, from near the floor to
# overhead, a person filling the frame or small in it, anywhere in the frame. Heights are above the floor (the
# world's up coordinate 0); the target is the point aimed at before the person is moved off the centre.
PHONE_AND_WEBCAM = RandomCameraSpec(
    height_m=(0.2, 3.0),
    target_height_m=(0.6, 1.3),
    roll_deg=3.0,
    sizes=((1080, 1920), (720, 1280), (1920, 1080), (1280, 720), (640, 480)),
    focal_35mm=(24.0, 85.0),
    fill=(0.25, 0.85),
    off_centre=1.0,
)


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


def _normalised_extent(camera: Camera, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The clip's (x / z, y / z) box in `camera` as (min, max), or None if a point is not 0.1 m ahead of it."""
    points = camera.world_to_camera(positions.reshape(-1, 3))
    if np.any(points[:, 2] <= 0.1):
        return None
    uv = points[:, :2] / points[:, 2:3]
    return uv.min(axis=0), uv.max(axis=0)


def _fits(camera: Camera, positions: np.ndarray) -> bool:
    """Whether every point is inside `FIT` of the half-image, measured from the principal point."""
    extent = _normalised_extent(camera, positions)
    if extent is None:
        return False
    low, high = extent
    f = np.asarray(camera.focal)
    centre = np.asarray(camera.center)
    size = np.asarray([camera.width, camera.height])
    return bool(np.all(low * f >= -FIT * centre) and np.all(high * f <= FIT * (size - centre)))


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
    """A random camera that sees the whole clip `[T, 17, 3]`, for training augmentation (studio-like by default;
    `spec=PHONE_AND_WEBCAM` for phones and webcams)."""
    rng = np.random.default_rng(rng)
    positions = np.asarray(positions, dtype=np.float64)
    if spec.focal_35mm is not None:
        return _phone_camera(positions, rng, up_axis, spec)
    up, a, b = _basis(up_axis)
    centre, radius = clip_centre(positions, up_axis)
    angle = rng.uniform(0, 2 * np.pi)
    distance = rng.uniform(*spec.distance_m) + radius
    eye = centre + distance * (np.cos(angle) * a + np.sin(angle) * b) + rng.uniform(*spec.height_m) * up
    jitter = rng.normal(0, spec.target_jitter_m, 2)
    target = centre + jitter[0] * a + jitter[1] * b + rng.uniform(*spec.target_height_m) * up
    size = spec.sizes[rng.integers(len(spec.sizes))]
    return _camera(eye, target, up, rng.normal(0, spec.roll_deg), rng.uniform(*spec.focal_px), size,
                   positions, "random")


def _phone_camera(positions: np.ndarray, rng: np.random.Generator, up_axis: str, spec: RandomCameraSpec) -> Camera:
    """A phone or webcam: a fixed lens placed so that the person fills `spec.fill` of the image height at the
    nearest point of the clip's path, stepped back until the clip fits, then turned to put the person off the
    centre."""
    up, a, b = _basis(up_axis)
    centre, radius = clip_centre(positions, up_axis)
    heights = positions @ up
    body = max(float(np.median(heights.max(axis=1) - heights.min(axis=1))), 0.5)  # the person's extent, metres
    width, height = spec.sizes[rng.integers(len(spec.sizes))]
    focal = float(np.exp(rng.uniform(*np.log(spec.focal_35mm)))) / 36.0 * max(width, height)
    fill = rng.uniform(*spec.fill)
    camera_height = rng.uniform(*spec.height_m)
    target = centre + rng.uniform(*spec.target_height_m) * up
    angle = rng.uniform(0, 2 * np.pi)
    roll = rng.normal(0, spec.roll_deg)
    shift = rng.uniform(0.0, 1.0, 2)  # where in its free image space the person goes (0.5: centred)

    distance = focal * body / (fill * height)  # pinhole: the body's image height is focal * body / distance
    drop = camera_height - float(target @ up)
    horizontal = max(np.sqrt(max(distance**2 - drop**2, 0.0)), 0.5) + radius
    for _ in range(30):  # step back (the lens stays) until the whole clip is in the frame
        eye = centre + horizontal * (np.cos(angle) * a + np.sin(angle) * b) + camera_height * up
        camera = Camera(focal=(focal, focal), center=(width / 2, height / 2), width=width, height=height,
                        rotation=look_at(eye, target, up, roll), position=eye, name="phone")
        if _fits(camera, positions):
            break
        horizontal *= 1.15
    else:  # never fitted (a clip that travels very far): zoom out as the studio cameras do
        f = _fitted_focal(camera, positions, focal)
        camera = replace(camera, focal=(f, f))
    return _off_centre(camera, positions, 0.5 + (shift - 0.5) * spec.off_centre, up, roll)


def _off_centre(camera: Camera, positions: np.ndarray, shift: np.ndarray, up: np.ndarray, roll: float) -> Camera:
    """Turn `camera` so that the clip's image box moves within the image's free space to `shift` (per axis in
    [0, 1]: 0 at the left / top edge of `FIT`, 1 at the right / bottom one); the clip stays inside."""
    low, high = _normalised_extent(camera, positions)
    f = np.asarray(camera.focal)
    centre = np.asarray(camera.center)
    size = np.asarray([camera.width, camera.height])
    room_low = -FIT * centre / f - low  # how far the box may move (normalised units; negative: left / up)
    room_high = FIT * (size - centre) / f - high
    move = room_low + shift * (room_high - room_low)
    for _ in range(6):  # a turn is not exactly a shift of the image: check it, and move less if needed
        aim = camera.position + camera.rotation.T @ np.array([-move[0], -move[1], 1.0])
        turned = replace(camera, rotation=look_at(camera.position, aim, up, roll))
        if _fits(turned, positions):
            return turned
        move = move * 0.5
    return camera
