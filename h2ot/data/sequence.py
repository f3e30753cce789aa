"""A sequence as the models see it: 2D inputs in screen coordinates and 3D targets in camera coordinates.

`view_motion` films a mocap clip with a camera: world -> camera coordinates -> pixels -> (detection
noise) -> normalised screen coordinates; the 3D target is root-relative, in metres. The 2D is the mocap joints
(`keypoints_2d="joints"`) or the keypoints a detector would report, converted to the Human3.6M 17 as the video
path converts them (`"detector"`, `h2ot.data.detector_keypoints`); the 3D target is the same points in 3D: the
mocap joints, or the detector's points (without the detector's view-dependent errors).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from h2ot.camera import Camera, root_relative
from h2ot.data.bvh import Motion
from h2ot.data.detector_keypoints import KEYPOINTS_2D, detector_points, film_detector
from h2ot.data.limb_augment import LimbAugment, bend_limbs
from h2ot.data.noise import DetectionNoise, clean_detections
from h2ot.data.rig import PHONE_AND_WEBCAM, STUDIO, evaluation_rig, random_camera
from h2ot.errors import H2OTError


@dataclass
class Sequence:
    """One clip seen by one camera.

    keypoints: `[T, 17, C]` float32, normalised screen coordinates (x, y) and, when C == 3, a confidence.
    poses: `[T, 17, 3]` float32, camera coordinates, metres, root-relative (pelvis at the origin).
    root: `[T, 3]` the pelvis in camera coordinates (metres), when known.
    valid: `[T]` bool, the frames that count in evaluation (MPI-INF-3DHP's flags); None: all.
    """

    keypoints: np.ndarray
    poses: np.ndarray
    name: str
    fps: float
    camera: Camera | None = None
    root: np.ndarray | None = None
    valid: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.keypoints = np.asarray(self.keypoints, dtype=np.float32)
        self.poses = np.asarray(self.poses, dtype=np.float32)
        frames = self.keypoints.shape[0]
        if self.poses.shape[0] != frames or self.keypoints.shape[1] != self.poses.shape[1]:
            raise H2OTError(
                f"sequence {self.name!r}: 2D {list(self.keypoints.shape)} and 3D {list(self.poses.shape)} "
                "do not have the same frames and joints."
            )

    @property
    def num_frames(self) -> int:
        return int(self.keypoints.shape[0])


def seed_for(seed: int, name: str, index: int) -> np.random.SeedSequence:
    """A seed for one (clip, camera) pair that depends on neither the order nor the number of clips."""
    return np.random.SeedSequence([seed, zlib.crc32(name.encode()), index])


def view_motion(
    motion: Motion,
    camera: Camera,
    noise: DetectionNoise | None = None,
    rng: np.random.Generator | np.random.SeedSequence | int | None = None,
    confidence: bool = True,
    keypoints_2d: str = "joints",
) -> Sequence:
    """Film `motion` with `camera`: clean 2D (with a confidence of 1 when `confidence`) or noisy detections, of
    the mocap joints (`keypoints_2d="joints"`) or of a detector's keypoints (`"detector"`)."""
    _check_keypoints_2d(keypoints_2d)
    points = camera.world_to_camera(motion.positions)
    pixels = camera.project(points)
    if keypoints_2d == "detector":
        detections, seen = film_detector(motion.positions, camera, rng, noise, confidence=confidence)
        points = camera.world_to_camera(seen)
    elif noise is not None:
        detections = noise.apply(pixels, np.random.default_rng(rng))
    elif confidence:
        detections = clean_detections(pixels)
    else:
        detections = pixels
    return Sequence(
        keypoints=camera.codec.encode(detections).astype(np.float32),
        poses=root_relative(points).astype(np.float32),
        name=f"{motion.name}@{camera.name}",
        fps=motion.fps,
        camera=camera,
        root=points[:, 0].astype(np.float32),
        meta={**motion.meta, "clip": motion.name, "camera": camera.name},
    )


def _check_keypoints_2d(keypoints_2d: str) -> None:
    if keypoints_2d not in KEYPOINTS_2D:
        raise H2OTError(f"keypoints_2d must be one of {', '.join(map(repr, KEYPOINTS_2D))}, got {keypoints_2d!r}.")


def mocap_sequences(
    motions: Iterable[Motion],
    cameras: str = "rig",
    views: int = 1,
    noise: DetectionNoise | None = None,
    seed: int = 0,
    confidence: bool = True,
    keypoints_2d: str = "joints",
    augment: LimbAugment | None = None,
) -> list[Sequence]:
    """Every clip filmed by the fixed evaluation rig (`cameras="rig"`) or by `views` random cameras each,
    studio-like (`"random"`) or phones and webcams (`"phone"`); 2D of the mocap joints or of a detector's
    keypoints (`keypoints_2d`, see `view_motion`). With `"detector"` the cameras keep the detector's keypoints
    (modelled without variation) in view too.

    Cameras and noise are drawn from `seed_for(seed, clip name, camera index)`: the same seed gives the
    same sequences, whatever the order or subset of clips. With `augment`, each camera films its own copy of the
    clip with some limbs posed anew (`h2ot.data.limb_augment`), drawn the same way."""
    specs = {"random": STUDIO, "phone": PHONE_AND_WEBCAM}
    if cameras != "rig" and cameras not in specs:
        raise H2OTError(f"cameras must be 'rig', 'random' or 'phone', got {cameras!r}.")
    _check_keypoints_2d(keypoints_2d)
    out = []
    for motion in motions:
        seen = motion.positions
        if keypoints_2d == "detector":
            seen = np.concatenate([seen, detector_points(seen, variation=False)], axis=1)
        if cameras == "rig":
            chosen = evaluation_rig(seen, motion.up_axis)
        else:
            chosen = [random_camera(seen, np.random.default_rng(seed_for(seed, motion.name, 1000 + k)),
                                    motion.up_axis, specs[cameras]) for k in range(views)]
        for k, camera in enumerate(chosen):
            filmed = motion
            if augment is not None:
                rng = np.random.default_rng(seed_for(seed, motion.name, 2000 + k))
                filmed = replace(motion, positions=bend_limbs(motion.positions, rng, augment))
            out.append(view_motion(filmed, camera, noise, seed_for(seed, motion.name, k), confidence, keypoints_2d))
    return out
