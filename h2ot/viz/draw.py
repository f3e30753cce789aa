"""OpenCV drawing: the 2D skeleton over a video frame, the 3D skeleton seen by an orbiting virtual camera, labels.

Colours are BGR and the same in every picture h2ot makes (the HTML viewer uses them too): the person's right
side orange, the left side blue, the trunk light grey. The 3D world is Y up: a pose in camera axes (x right,
y down, z forward) becomes (x, -y, -z), a half turn about x, so the person stands upright and the view at
azimuth 0 is the video camera's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from h2ot.skeleton import BONES, LEFT_JOINTS, NUM_JOINTS, RIGHT_JOINTS

Color = tuple[int, int, int]

RIGHT_COLOR: Color = (0, 140, 255)  # orange
LEFT_COLOR: Color = (255, 150, 30)  # blue
TRUNK_COLOR: Color = (225, 225, 225)  # light grey
BACKGROUND: Color = (32, 26, 22)
GRID_COLOR: Color = (78, 70, 64)
GRID_FRONT_COLOR: Color = (140, 128, 118)  # the grid's edge on the video camera's side
SHADOW_COLOR: Color = (52, 46, 42)
WARNING_COLOR: Color = (60, 60, 230)

MIN_CONFIDENCE = 0.2  # 2D joints below this are not drawn
SURE_CONFIDENCE = 0.5  # 2D joints below this (and at least MIN_CONFIDENCE) are drawn faint
FAINT_ALPHA = 0.4

_SHIFT = 4  # sub-pixel bits of cv2's drawing: smooth motion instead of whole-pixel steps
_ONE = 1 << _SHIFT


def side_color(joint: int) -> Color:
    """The colour of a joint, and of the bone that ends at it."""
    if joint in RIGHT_JOINTS:
        return RIGHT_COLOR
    if joint in LEFT_JOINTS:
        return LEFT_COLOR
    return TRUNK_COLOR


JOINT_COLORS: tuple[Color, ...] = tuple(side_color(j) for j in range(NUM_JOINTS))
BONE_COLORS: tuple[Color, ...] = tuple(side_color(child) for _, child in BONES)


def _fixed(points: np.ndarray) -> np.ndarray:
    """Pixels -> cv2's fixed-point integers (for `shift=_SHIFT`), far-off points clipped so they cannot overflow."""
    return np.round(np.clip(points, -1e5, 1e5) * _ONE).astype(np.int32)


def draw_skeleton_2d(image: np.ndarray, keypoints: np.ndarray, scale: float | tuple[float, float] = 1.0,
                     thickness: int = 2) -> None:
    """Draw 2D keypoints `[17, 3]` (x px, y px, confidence; pixels of the frame that `image` is `scale` times,
    one factor or one per axis) on `image`, in place. Unsure joints are drawn faint, those below `MIN_CONFIDENCE`
    not at all."""
    points = keypoints[:, :2].astype(np.float64) * np.asarray(scale, dtype=np.float64)
    confidence = np.where(np.all(np.isfinite(keypoints), axis=1), keypoints[:, 2], 0.0)
    fixed = [tuple(p) for p in _fixed(np.nan_to_num(points))]
    bone_confidence = [min(confidence[a], confidence[b]) for a, b in BONES]
    radius = (thickness + 1) * _ONE

    def paint(target: np.ndarray, low: float, high: float) -> None:
        """The bones and joints whose confidence is in [low, high)."""
        for (a, b), color, c in zip(BONES, BONE_COLORS, bone_confidence, strict=True):
            if low <= c < high:
                cv2.line(target, fixed[a], fixed[b], color, thickness, cv2.LINE_AA, _SHIFT)
        for j, color in enumerate(JOINT_COLORS):
            if low <= confidence[j] < high:
                cv2.circle(target, fixed[j], radius, color, -1, cv2.LINE_AA, _SHIFT)

    if np.any((confidence >= MIN_CONFIDENCE) & (confidence < SURE_CONFIDENCE)):
        layer = image.copy()
        paint(layer, MIN_CONFIDENCE, SURE_CONFIDENCE)
        cv2.addWeighted(layer, FAINT_ALPHA, image, 1.0 - FAINT_ALPHA, 0.0, dst=image)
    paint(image, SURE_CONFIDENCE, np.inf)


def to_y_up(pose: np.ndarray) -> np.ndarray:
    """Camera axes (x right, y down, z forward) -> the Y-up world of the 3D pictures: (x, -y, -z)."""
    return np.asarray(pose, dtype=np.float64) * np.array([1.0, -1.0, -1.0])


def standing(pose: np.ndarray) -> np.ndarray:
    """A root-relative pose `[17, 3]` in camera axes -> the Y-up world, its lowest joint on the floor (y = 0)."""
    world = to_y_up(pose)
    world[:, 1] -= world[:, 1].min()
    return world


@dataclass(frozen=True)
class OrbitView:
    """A perspective camera circling the person about the vertical axis, looking at the middle of a fixed box.

    The scale is fixed (`box` metres of height fill the panel), never fitted per frame, so the skeleton does not
    breathe. Azimuth 0 looks from the video camera's side (+z of the Y-up world); positive azimuths move the eye
    towards +x (the image's right), counter-clockwise seen from above.
    """

    width: int
    height: int
    azimuth_deg: float = 0.0
    elevation_deg: float = 12.0
    distance: float = 5.0  # metres from the box's centre
    box: float = 2.2  # metres: the panel's height at the box's centre
    centre_height: float = 0.9

    @cached_property
    def _camera(self) -> tuple[np.ndarray, np.ndarray, float]:
        """(world -> camera rotation with rows right, down, forward; eye; focal length in px)."""
        azimuth, elevation = np.radians(self.azimuth_deg), np.radians(self.elevation_deg)
        target = np.array([0.0, self.centre_height, 0.0])
        eye = target + self.distance * np.array(
            [np.cos(elevation) * np.sin(azimuth), np.sin(elevation), np.cos(elevation) * np.cos(azimuth)])
        forward = (target - eye) / self.distance
        right = np.cross(forward, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        focal = 0.92 * self.height * self.distance / self.box
        return np.stack([right, down, forward]), eye, focal

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Y-up world points `[N, 3]` -> (pixels `[N, 2]`, depth `[N]`). Points must lie in front of the camera,
        which they do within a few metres of the box."""
        rotation, eye, focal = self._camera
        camera = (np.asarray(points, dtype=np.float64) - eye) @ rotation.T
        depth = np.maximum(camera[:, 2], 1e-3)
        pixels = camera[:, :2] / depth[:, None] * focal + np.array([self.width / 2, self.height / 2])
        return pixels, depth


def _grid_segments(half: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    """The floor grid's line ends `[L, 2, 3]`, and which line is the front edge (+z, the camera's side)."""
    ticks = np.arange(-half, half + step / 2, step)
    segments = [[[t, 0.0, -half], [t, 0.0, half]] for t in ticks] + [[[-half, 0.0, t], [half, 0.0, t]] for t in ticks]
    front = np.zeros(len(segments), dtype=bool)
    front[-1] = True
    return np.asarray(segments), front


GRID_SEGMENTS, GRID_FRONT = _grid_segments(half=1.25, step=0.25)


def draw_floor(image: np.ndarray, view: OrbitView) -> None:
    """The floor grid (2.5 m square, 25 cm cells) under the person, its edge on the video camera's side brighter."""
    pixels, _ = view.project(GRID_SEGMENTS.reshape(-1, 3))
    ends = _fixed(pixels).reshape(-1, 2, 2)
    for (p, q), front in zip(ends, GRID_FRONT, strict=True):
        cv2.line(image, tuple(p), tuple(q), GRID_FRONT_COLOR if front else GRID_COLOR, 1, cv2.LINE_AA, _SHIFT)


def draw_skeleton_3d(image: np.ndarray, pose: np.ndarray, view: OrbitView, thickness: int = 3) -> None:
    """Draw a root-relative pose `[17, 3]` (metres, camera axes) standing on the floor, with its shadow, seen
    from `view`, in place. Bones and joints are drawn far to near, so the near ones stay on top."""
    world = standing(pose)
    shadow = world * np.array([1.0, 0.0, 1.0])
    shadow_px, _ = view.project(shadow)
    shadow_fixed = _fixed(shadow_px)
    for a, b in BONES:
        cv2.line(image, tuple(shadow_fixed[a]), tuple(shadow_fixed[b]), SHADOW_COLOR, thickness + 1, cv2.LINE_AA,
                 _SHIFT)
    pixels, depth = view.project(world)
    fixed = _fixed(pixels)
    bones = np.asarray(BONES)
    items = [(float(depth[a] + depth[b]) / 2, "bone", k) for k, (a, b) in enumerate(bones)]
    items += [(float(depth[j]) - 0.01, "joint", j) for j in range(NUM_JOINTS)]
    radius = (thickness + 1) * _ONE
    for _, kind, k in sorted(items, reverse=True):
        if kind == "bone":
            a, b = bones[k]
            cv2.line(image, tuple(fixed[a]), tuple(fixed[b]), BONE_COLORS[k], thickness, cv2.LINE_AA, _SHIFT)
        else:
            cv2.circle(image, tuple(fixed[k]), radius, JOINT_COLORS[k], -1, cv2.LINE_AA, _SHIFT)


def put_label(image: np.ndarray, text: str, origin: tuple[int, int], scale: float = 0.55,
              color: Color = (255, 255, 255)) -> None:
    """Text with a dark outline, readable on any video; `origin` is the baseline's left end."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    width = max(1, round(scale * 2))
    cv2.putText(image, text, origin, font, scale, (0, 0, 0), width + 2, cv2.LINE_AA)
    cv2.putText(image, text, origin, font, scale, color, width, cv2.LINE_AA)
