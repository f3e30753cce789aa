"""The 2D a real keypoint detector gives, modelled from mocap joints: training inputs with the video path's definitions.

A detector does not report the mocap skeleton's joint centres: its hips sit elsewhere, and it has no spine, thorax or
head top, only a nose, eyes and ears. `h2ot video` converts what the detector reports (COCO-17 or BlazePose-33) to
the Human3.6M 17 with `h2ot.keypoint_sets.to_h36m`. Here the COCO-17 points are modelled in 3D from the mocap
joints (`coco17_points`), projected by the camera, given the detection noise, and converted by that same
`to_h36m`, so the training 2D follows the definitions the lifter meets at run time (`detector_keypoints_2d`).
`detector_points` gives the converted points in 3D.

The model: the detector's own body, posed by the mocap. Rigs disagree on where their joints sit (hip joints
0.13 m apart in Bandai Namco, 0.26 m in Human3.6M; Bandai Namco's shins are 0.25 of its stature, the reference
man's 0.21; CMU's forearms end at 0.19 m), and a lifter learns those proportions as its prior; so only the
directions come from the rig, and every length from the body a detector reports (metres for the reference body
below, scaled to each clip by its limb lengths; `tools/detector_body.py` measures them):
- hips: `hip_width` apart on the mocap hip line, centred on the mocap mid-hips;
- legs and arms: each segment along the mocap's, with the detector body's length (`thigh`, `shin`,
  `upper_arm`, `forearm`), from the hips and shoulders out;
- shoulders: `trunk` above the mid-hips along the mocap trunk, `shoulder_width` apart, as with the arms
  hanging; a shoulder keypoint rises and moves out as its arm is raised (`shoulder_rise` times 1 - cos of the
  arm's elevation, capped at 1.3): MediaPipe's trunk measures 0.49 m arms hanging, 0.52 m at 55 degrees and
  0.566 m in a T-pose, where the rigs' stays at 0.39-0.41 m; the rig's own shrug is kept;
- nose, eyes, ears: fixed points of a head frame at an anchor `neck` above the mid-shoulders (toward the mocap
  head joint, Human3.6M joint 9): up = joint 9 -> joint 10 (head top), left = the shoulder line made square to
  it, forward = left x up;
- seen from behind, the face points are raised along the head's up axis (`back_raise`, times how much the
  face is turned away from the camera: the cosine between the face's forward axis and the line of sight).

Where the numbers come from, MediaPipe BlazePose triangulated on the Pose2Sim recordings of one man
(../shared/data/video-dev/pose2sim-static: four calibrated views of a T-pose, `reference.npz`; and the
balancing take of ../shared/data/video, triangulated from its two views with the same calibration; docs/DATA.md):
- limbs: thigh 0.392 + shin 0.362 + upper arm 0.268 + forearm 0.266 = 1.288 m (`REFERENCE_LIMBS`; left and
  right averaged). A clip's scale is its own sum (median over frames) divided by that;
- hips 0.2015 m apart; shoulders 0.354 m in the T-pose, 0.327 m with the arms hanging;
- the trunk by arm elevation, above; the eyes 0.173 m above the mid-shoulders in the T-pose;
- the face shape: relative to the mid-ears, nose 4.45 cm below and 5.75 cm in front, eyes 0.45 cm below and
  4.25 cm in front, eyes 4.4 cm and ears 10.7 cm apart (from the two front views);
- seen from behind (cam01, back three-quarter; cam02, back), MediaPipe put the face points 6-10 cm higher in the
  image than the front-view face projects; divided by the cosine above (0.71, 0.92), both views agree: nose
  10.7 cm, eyes 9.2 cm, ears 7.1 cm (`back_raise`).

With `variation`, each call draws its own geometry around these (`DetectorGeometry.varied`): other people and
other detectors. `film_detector` also gives the 3D of the same points, which training with detector 2D takes as
its targets: the lifter then puts in 3D exactly the points it sees in 2D, with a detector's proportions, and
its pelvis is the mid-hips of both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from h2ot.camera import Camera
from h2ot.data.noise import DetectionNoise, clean_detections
from h2ot.errors import H2OTError
from h2ot.keypoint_sets import COCO_NAMES, to_h36m
from h2ot.skeleton import JOINT_INDEX, NUM_JOINTS

# What a checkpoint's normalisation["keypoints_2d"] says about its 2D inputs (h2ot.lifter reads it).
KEYPOINTS_2D = {
    "joints": "mocap joint centres",
    "detector": "detector keypoints converted by h2ot.keypoint_sets",
}
REFERENCE_LIMBS = 1.288  # thigh + shin + upper arm + forearm of the reference man, metres

# The detection noise works on Human3.6M slots (its per-joint sizes and left/right swap groups): the COCO limb
# joints take their own slots, and the five face points the five slots no swap touches.
_FACE_SLOTS = {"nose": "neck", "left_eye": "pelvis", "right_eye": "spine", "left_ear": "thorax", "right_ear": "head"}
_SLOT_OF = np.array([JOINT_INDEX[_FACE_SLOTS.get(name, name)] for name in COCO_NAMES])  # COCO index -> slot
_COCO_IN_SLOT = np.argsort(_SLOT_OF)  # slot -> COCO index
# Each COCO limb keypoint and its left/right partner (self-occlusion: which one the body may hide).
_LIMBS = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")
_SIDES = [(COCO_NAMES.index(f"left_{limb}"), COCO_NAMES.index(f"right_{limb}")) for limb in _LIMBS]


def _truncated(rng: np.random.Generator, mean: float, sd: float) -> float:
    """A normal draw kept within two standard deviations."""
    return float(mean + sd * np.clip(rng.normal(), -2.0, 2.0))


@dataclass(frozen=True)
class DetectorGeometry:
    """The body a detector reports (module docstring), in metres for a body of `REFERENCE_LIMBS`: segment
    lengths between its keypoints, and the face as (left, up, forward) in the head frame from the head anchor
    (the eye and ear are the left ones, the right ones mirrored)."""

    thigh: float = 0.392
    shin: float = 0.362
    upper_arm: float = 0.268
    forearm: float = 0.266
    trunk: float = 0.49  # mid-hips -> mid-shoulders, arms hanging
    hip_width: float = 0.2015
    shoulder_width: float = 0.327  # arms hanging
    shoulder_rise: tuple[float, float] = (0.07, 0.0135)  # up, out per shoulder, times 1 - cos(arm elevation)
    neck: float = 0.15  # mid-shoulders (arms hanging) -> head anchor
    nose: tuple[float, float, float] = (0.0, 0.0655, 0.0575)
    eye: tuple[float, float, float] = (0.022, 0.1055, 0.0425)
    ear: tuple[float, float, float] = (0.0535, 0.11, 0.0)
    back_raise: tuple[float, float, float] = (0.107, 0.092, 0.071)  # nose, eyes, ears, seen from straight behind

    def varied(self, rng: np.random.Generator) -> DetectorGeometry:
        """Another person and detector: every size drawn around this one (normal, within two standard
        deviations: each segment 5%, neck 10%, head size 6%, face position 1.5 cm, eye and ear spacing 10%,
        hip width 8%, shoulder width 4%, the shoulders' rise 25%; the raise from behind 0.5-1.5 times)."""
        head = _truncated(rng, 1.0, 0.06)
        up, forward = _truncated(rng, 0.0, 0.015), _truncated(rng, 0.0, 0.015)
        eyes, ears = _truncated(rng, 1.0, 0.1), _truncated(rng, 1.0, 0.1)
        behind = head * float(rng.uniform(0.5, 1.5))

        def face(point: tuple[float, float, float], spread: float) -> tuple[float, float, float]:
            return (point[0] * head * spread, point[1] * head + up, point[2] * head + forward)

        def segment(length: float, sd: float = 0.05) -> float:
            return length * _truncated(rng, 1.0, sd)

        return replace(
            self,
            thigh=segment(self.thigh), shin=segment(self.shin),
            upper_arm=segment(self.upper_arm), forearm=segment(self.forearm), trunk=segment(self.trunk),
            neck=segment(self.neck, 0.1),
            hip_width=segment(self.hip_width, 0.08), shoulder_width=segment(self.shoulder_width, 0.04),
            shoulder_rise=tuple(r * _truncated(rng, 1.0, 0.25) for r in self.shoulder_rise),
            nose=face(self.nose, 1.0),
            eye=face(self.eye, eyes),
            ear=face(self.ear, ears),
            back_raise=tuple(r * behind for r in self.back_raise),
        )


DETECTOR_GEOMETRY = DetectorGeometry()


def _checked(positions: np.ndarray) -> np.ndarray:
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 3 or positions.shape[1:] != (NUM_JOINTS, 3) or positions.shape[0] == 0:
        raise H2OTError(
            f"detector keypoints need Human3.6M joints of shape [T, {NUM_JOINTS}, 3] (metres), got "
            f"{list(positions.shape)}."
        )
    if not np.isfinite(positions).all():
        raise H2OTError("detector keypoints need finite joint positions; some are NaN or infinite.")
    return positions


def limb_length(positions: np.ndarray) -> float:
    """Thigh + shin + upper arm + forearm (left and right averaged, median over frames), metres."""
    j = JOINT_INDEX
    bones = [("hip", "knee"), ("knee", "ankle"), ("shoulder", "elbow"), ("elbow", "wrist")]
    total = sum(
        np.linalg.norm(positions[:, j[f"{side}_{a}"]] - positions[:, j[f"{side}_{b}"]], axis=-1)
        for side in ("left", "right") for a, b in bones
    ) / 2
    return float(np.median(total))


def _unit(v: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Rows of `v` scaled to length 1; `fallback`'s rows where `v` has (almost) no length."""
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.where(norm > 1e-9, v / np.maximum(norm, 1e-12), fallback)


def _square(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """`v` less its part along the unit vectors `axis`."""
    return v - np.sum(v * axis, axis=-1, keepdims=True) * axis


def coco17_points(
    positions: np.ndarray, geometry: DetectorGeometry = DETECTOR_GEOMETRY, viewpoint: np.ndarray | None = None
) -> np.ndarray:
    """Human3.6M-17 mocap joints `[T, 17, 3]` (metres, any right-handed axes) -> the 3D points a COCO-17 detector
    reports `[T, 17, 3]`, in `h2ot.keypoint_sets.COCO_NAMES` order. `viewpoint`: the camera centre (same axes),
    for the raise of the face seen from behind; None: no raise."""
    p = _checked(positions)
    limbs = limb_length(p)
    if not 0.3 < limbs < 4.0:
        raise H2OTError(
            f"the limbs (thigh + shin + upper arm + forearm) measure {limbs:.3g}, not the 0.3-4 m of a person; "
            "detector keypoints need joint positions in metres."
        )
    scale = limbs / REFERENCE_LIMBS
    g = geometry
    j = {name: p[:, index] for name, index in JOINT_INDEX.items()}

    # Trunk frame: up along mid-hips -> mid-shoulders, left from the shoulder line made square to it.
    mid_hips = (j["left_hip"] + j["right_hip"]) / 2
    mid_shoulders = (j["left_shoulder"] + j["right_shoulder"]) / 2
    world_up = np.broadcast_to(np.eye(3)[1], p[:, 0].shape)  # only for degenerate frames
    trunk_up = _unit(mid_shoulders - mid_hips, world_up)
    shoulder_left = _unit(_square(j["left_shoulder"] - j["right_shoulder"], trunk_up), np.cross(trunk_up, world_up))
    trunk_up = _unit(_square(mid_shoulders - mid_hips, shoulder_left), trunk_up)
    hip_left = _unit(j["left_hip"] - j["right_hip"], shoulder_left)
    down = -trunk_up

    # The detector's body, posed by the mocap: each segment keeps the mocap's direction and takes the
    # detector body's length, from the mid-hips out.
    out = {}
    rest_shoulders = mid_hips + scale * g.trunk * trunk_up  # mid-shoulders with the arms hanging
    rise_up, rise_out = g.shoulder_rise
    for side, sign in (("left", 1.0), ("right", -1.0)):
        def along(a: str, b: str) -> np.ndarray:
            return _unit(j[f"{side}_{b}"] - j[f"{side}_{a}"], down)  # noqa: B023 (called in this iteration)

        hip = mid_hips + sign * scale * g.hip_width / 2 * hip_left
        knee = hip + scale * g.thigh * along("hip", "knee")
        out[f"{side}_hip"], out[f"{side}_knee"] = hip, knee
        out[f"{side}_ankle"] = knee + scale * g.shin * along("knee", "ankle")

        # A shoulder keypoint rises and moves out as its arm is raised (1 - cos of the arm's elevation, at
        # most 1.3, arm overhead); the rig's own shrug (its shoulder's offset up and forward) is kept.
        arm = along("shoulder", "elbow")
        raised = np.clip(1.0 + np.sum(arm * trunk_up, axis=-1, keepdims=True), 0.0, 1.3)
        shrug = _square(j[f"{side}_shoulder"] - mid_shoulders, shoulder_left)
        shoulder = rest_shoulders + shrug + scale * (
            sign * (g.shoulder_width / 2 + rise_out * raised) * shoulder_left + rise_up * raised * trunk_up
        )
        elbow = shoulder + scale * g.upper_arm * arm
        out[f"{side}_shoulder"], out[f"{side}_elbow"] = shoulder, elbow
        out[f"{side}_wrist"] = elbow + scale * g.forearm * along("elbow", "wrist")

    # The head frame, at an anchor `neck` above the hanging-arms mid-shoulders toward the mocap head joint.
    anchor = rest_shoulders + scale * g.neck * _unit(j["neck"] - mid_shoulders, trunk_up)
    head_up = _unit(j["head"] - j["neck"], trunk_up)
    head_left = _unit(_square(j["left_shoulder"] - j["right_shoulder"], head_up), shoulder_left)
    head_forward = np.cross(head_left, head_up)
    raise_weight = np.zeros((len(p), 1))
    if viewpoint is not None:
        sight = _unit(anchor - np.asarray(viewpoint, dtype=np.float64), head_forward)
        raise_weight = np.clip(np.sum(head_forward * sight, axis=-1, keepdims=True), 0.0, 1.0)

    def face(point: tuple[float, float, float], side: float, back_raise: float) -> np.ndarray:
        left, up, forward = point
        up = up + back_raise * raise_weight
        return anchor + scale * (side * left * head_left + up * head_up + forward * head_forward)

    nose_raise, eye_raise, ear_raise = geometry.back_raise
    out["nose"] = face(geometry.nose, 1.0, nose_raise)
    out["left_eye"], out["right_eye"] = face(geometry.eye, 1.0, eye_raise), face(geometry.eye, -1.0, eye_raise)
    out["left_ear"], out["right_ear"] = face(geometry.ear, 1.0, ear_raise), face(geometry.ear, -1.0, ear_raise)
    return np.stack([out[name] for name in COCO_NAMES], axis=1)


def detector_points(
    positions: np.ndarray, rng: np.random.Generator | int | None = None, variation: bool = True
) -> np.ndarray:
    """Mocap Human3.6M-17 joints `[T, 17, 3]` (metres, world or camera axes) -> the Human3.6M-17 points that a
    detector's keypoints give through `h2ot.keypoint_sets.to_h36m` `[T, 17, 3]`, in 3D. With `variation`, one
    geometry drawn from `rng` (a seed gives the same points every time)."""
    geometry = DETECTOR_GEOMETRY.varied(np.random.default_rng(rng)) if variation else DETECTOR_GEOMETRY
    return to_h36m(coco17_points(positions, geometry), "coco17", confidence=False)


def _noisy(pixels: np.ndarray, noise: DetectionNoise, rng: np.random.Generator) -> np.ndarray:
    """`noise` applied to COCO-17 pixels `[T, 17, 2]` -> `[T, 17, 3]`: limb joints with their own sizes and swaps,
    the face points with the size of the noise's neck (nose)."""
    factors = np.asarray(noise.joint_factors, dtype=np.float64)
    face = [JOINT_INDEX[slot] for slot in _FACE_SLOTS.values()]
    factors[face] = factors[JOINT_INDEX["neck"]]
    slotted = replace(noise, joint_factors=tuple(factors)).apply(pixels[:, _COCO_IN_SLOT], rng)
    return slotted[:, _SLOT_OF]


def behind_partner(points_camera: np.ndarray) -> np.ndarray:
    """COCO-17 points `[T, 17, 3]` in camera axes (metres, z forward) -> how far each limb keypoint sits behind its
    left/right partner along the line of sight `[T, 17]` (negative: in front; 0 for the face)."""
    behind = np.zeros(points_camera.shape[:-1])
    for left, right in _SIDES:
        gap = points_camera[:, left, 2] - points_camera[:, right, 2]
        behind[:, left], behind[:, right] = gap, -gap
    return behind


def detector_keypoints_2d(
    positions_world: np.ndarray,
    camera: Camera,
    rng: np.random.Generator | np.random.SeedSequence | int | None = None,
    noise: DetectionNoise | None = None,
    variation: bool = True,
    confidence: bool = True,
) -> np.ndarray:
    """Mocap joints `[T, 17, 3]` (world, metres) filmed by `camera` -> the Human3.6M-17 2D of a detector
    `[T, 17, 3]`: pixels and a confidence (`[T, 17, 2]` without `confidence` and `noise`); see `film_detector`."""
    return film_detector(positions_world, camera, rng, noise, variation, confidence)[0]


def film_detector(
    positions_world: np.ndarray,
    camera: Camera,
    rng: np.random.Generator | np.random.SeedSequence | int | None = None,
    noise: DetectionNoise | None = None,
    variation: bool = True,
    confidence: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """The detector's 2D of mocap joints `[T, 17, 3]` (world, metres) filmed by `camera`, and the matching 3D
    points `[T, 17, 3]` (world, metres): the same geometry, without the raise of the face seen from behind
    (a detector's error, not where the face is), through the same `to_h36m` rule.

    The COCO-17 points (`coco17_points`, one geometry drawn from `rng` with `variation`) are projected, given
    the detection noise (on the detector's own keypoints, so a derived joint moves with its sources), and
    converted by `to_h36m(..., "coco17")`: a derived joint's confidence is the lowest of its sources'. With
    `noise`, a limb keypoint the body hides (behind its partner) scores lower (`DetectionNoise.hidden_share`)."""
    rng = np.random.default_rng(rng)
    geometry = DETECTOR_GEOMETRY.varied(rng) if variation else DETECTOR_GEOMETRY
    points = coco17_points(positions_world, geometry, viewpoint=camera.position)
    pixels = camera.project(camera.world_to_camera(points))
    if noise is not None:
        detections = _noisy(pixels, noise, rng)
        detections[..., 2] *= noise.hidden_share(behind_partner(camera.world_to_camera(points)), rng)
    elif confidence:
        detections = clean_detections(pixels)
    else:
        detections = pixels
    return to_h36m(detections, "coco17"), to_h36m(coco17_points(positions_world, geometry), "coco17", confidence=False)
