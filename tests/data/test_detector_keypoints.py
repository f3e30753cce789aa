"""The detector keypoint model: where the COCO-17 points sit, and 2D that goes through `to_h36m` as videos do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from humanoid import humanoid_bvh

from h2ot.camera import Camera
from h2ot.data import DetectionNoise, load_bvh, look_at
from h2ot.data.detector_keypoints import (
    DETECTOR_GEOMETRY,
    REFERENCE_LIMBS,
    behind_partner,
    coco17_points,
    detector_keypoints_2d,
    detector_points,
    limb_length,
)
from h2ot.data.noise import clean_detections
from h2ot.errors import H2OTError
from h2ot.keypoint_sets import COCO_NAMES, to_h36m
from h2ot.skeleton import JOINT_INDEX

I = JOINT_INDEX  # noqa: E741
C = {name: i for i, name in enumerate(COCO_NAMES)}
UP = np.array([0.0, 1.0, 0.0])


def standing(frames: int = 1) -> np.ndarray:
    """A Human3.6M-sized person standing upright, Y up, facing +z (the subject's left on +x); hips 0.26 m apart,
    thigh 0.45, shin 0.45, upper arm 0.28, forearm 0.25 (limbs 1.43 m), head joint at chin level."""
    joints = {
        "pelvis": (0, 0.95, 0), "spine": (0, 1.20, 0), "thorax": (0, 1.45, 0), "neck": (0, 1.55, 0.01),
        "head": (0, 1.75, 0.0),
        "left_hip": (0.13, 0.95, 0), "left_knee": (0.13, 0.50, 0), "left_ankle": (0.13, 0.05, 0),
        "left_shoulder": (0.17, 1.42, 0), "left_elbow": (0.17, 1.14, 0), "left_wrist": (0.17, 0.89, 0),
    }
    for name in list(joints):
        if name.startswith("left_"):
            x, y, z = joints[name]
            joints["right_" + name[5:]] = (-x, y, z)
    pose = np.array([joints[name] for name in I], dtype=np.float64)
    return np.repeat(pose[None], frames, axis=0)


def turned(positions: np.ndarray, degrees: float) -> np.ndarray:
    """`positions` turned about the vertical (Y) axis: 90 degrees turns a person facing +z to face +x."""
    a = np.radians(degrees)
    rotation = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    return positions @ rotation.T


def hip_width(points: np.ndarray) -> float:
    """The distance between the Human3.6M hips of the first frame."""
    return float(np.linalg.norm(points[0, I["left_hip"]] - points[0, I["right_hip"]]))


def camera_at(eye: tuple[float, float, float], target: tuple[float, float, float] = (0, 1.0, 0)) -> Camera:
    return Camera(focal=(1000.0, 1000.0), center=(500.0, 500.0), width=1000, height=1000,
                  rotation=look_at(np.array(eye, float), np.array(target, float), UP), position=eye, name="test")


def test_face_points_in_front_of_the_face_for_a_bvh_pose_facing_plus_z(tmp_path: Path) -> None:
    motion = load_bvh(humanoid_bvh(tmp_path / "h.bvh"))  # the rest pose faces +z, its left on +x
    points = coco17_points(motion.positions)
    assert points.shape == (motion.num_frames, 17, 3)
    neck, head = motion.positions[0, I["neck"]], motion.positions[0, I["head"]]
    nose, ears = points[0, C["nose"]], points[0, [C["left_ear"], C["right_ear"]]]
    assert nose[2] > neck[2] + 0.04 and nose[2] > ears[:, 2].max() + 0.04  # in front, along +z
    assert points[0, C["left_eye"], 2] > ears[:, 2].max() + 0.03
    assert neck[1] < nose[1] < head[1]
    assert ears[0, 0] > 0.04 and ears[1, 0] < -0.04  # the left ear on the subject's left (+x)
    # Turned to face +x, the face turns with it.
    facing_x = coco17_points(turned(motion.positions.astype(np.float64), 90.0))
    assert facing_x[0, C["nose"], 0] > turned(motion.positions[:1].astype(np.float64), 90.0)[0, I["neck"], 0] + 0.04
    np.testing.assert_allclose(facing_x, turned(points, 90.0), atol=1e-9)


def test_nose_leads_the_way_on_a_walk(tmp_path: Path) -> None:
    motion = load_bvh(humanoid_bvh(tmp_path / "walk.bvh", frames=20))  # walks along +z
    points = coco17_points(motion.positions)
    walking = motion.positions[-1, 0] - motion.positions[0, 0]
    ahead = (points[:, C["nose"]] - motion.positions[:, I["neck"]]) @ (walking / np.linalg.norm(walking))
    assert (ahead > 0.04).all()


def test_the_detector_body_has_its_own_proportions_posed_by_the_mocap() -> None:
    pose = standing()
    limbs = limb_length(pose)
    assert limbs == pytest.approx(1.43)
    scale = limbs / REFERENCE_LIMBS
    g = DETECTOR_GEOMETRY
    points = coco17_points(pose)
    converted = detector_points(pose, variation=False)
    np.testing.assert_allclose(converted[0, I["pelvis"]], pose[0, I["pelvis"]], atol=1e-9)  # same mid-hips
    assert hip_width(converted) == pytest.approx(g.hip_width * scale, abs=1e-9)  # not the rig's 0.26 m
    # Every segment keeps the mocap's direction (here straight down) and takes the detector body's length.
    for side in ("left", "right"):
        for a, b, length in (("hip", "knee", g.thigh), ("knee", "ankle", g.shin),
                             ("shoulder", "elbow", g.upper_arm), ("elbow", "wrist", g.forearm)):
            bone = points[0, C[f"{side}_{b}"]] - points[0, C[f"{side}_{a}"]]
            np.testing.assert_allclose(bone, [0.0, -length * scale, 0.0], atol=1e-9)
    # Arms hanging: the shoulders sit `trunk` above the mid-hips, `shoulder_width` apart.
    np.testing.assert_allclose(converted[0, I["thorax"]], pose[0, I["pelvis"]] + [0, g.trunk * scale, 0], atol=1e-9)
    shoulders = converted[0, I["left_shoulder"]] - converted[0, I["right_shoulder"]]
    np.testing.assert_allclose(shoulders, [g.shoulder_width * scale, 0.0, 0.0], atol=1e-9)
    # Bandai Namco's narrow hips (0.13 m) and short shins give the same body: only directions come from the rig.
    narrow = pose.copy()
    legs = [I[f"{side}_{joint}"] for side in ("left", "right") for joint in ("hip", "knee", "ankle")]
    narrow[:, legs, 0] *= 0.5
    narrow[:, [I["left_ankle"], I["right_ankle"]], 1] += 0.05
    narrow_scale = limb_length(narrow) / REFERENCE_LIMBS
    pelvis = pose[:, I["pelvis"]]
    np.testing.assert_allclose(coco17_points(narrow) - pelvis, (points - pelvis) / scale * narrow_scale, atol=1e-9)


def test_a_raised_arm_raises_and_widens_its_shoulder() -> None:
    pose = standing()
    scale = limb_length(pose) / REFERENCE_LIMBS
    rise_up, rise_out = DETECTOR_GEOMETRY.shoulder_rise
    hanging = coco17_points(pose)[0]
    t_pose = pose.copy()  # the left arm held out sideways (1 - cos 90 = 1), the right one overhead (2, kept at 1.3)
    for joint, reach in (("elbow", 0.28), ("wrist", 0.53)):
        t_pose[0, I[f"left_{joint}"]] = pose[0, I["left_shoulder"]] + [reach, 0.0, 0.0]
        t_pose[0, I[f"right_{joint}"]] = pose[0, I["right_shoulder"]] + [0.0, reach, 0.0]
    raised = coco17_points(t_pose)[0]
    np.testing.assert_allclose(raised[C["left_shoulder"]] - hanging[C["left_shoulder"]],
                               [rise_out * scale, rise_up * scale, 0.0], atol=1e-9)
    np.testing.assert_allclose(raised[C["right_shoulder"]] - hanging[C["right_shoulder"]],
                               [-1.3 * rise_out * scale, 1.3 * rise_up * scale, 0.0], atol=1e-9)
    # The arm hangs from its shoulder: the upper arm keeps the body's length, along the mocap's direction.
    np.testing.assert_allclose(raised[C["left_elbow"]] - raised[C["left_shoulder"]],
                               [DETECTOR_GEOMETRY.upper_arm * scale, 0.0, 0.0], atol=1e-9)
    # The face does not move with the arms.
    np.testing.assert_allclose(raised[C["nose"]], hanging[C["nose"]], atol=1e-9)


def test_derived_joints_follow_the_video_path_rule() -> None:
    pose = standing(3)
    points = coco17_points(pose)
    converted = detector_points(pose, variation=False)
    np.testing.assert_allclose(converted, to_h36m(points, "coco17", confidence=False), atol=1e-12)
    mid_ears = (points[:, C["left_ear"]] + points[:, C["right_ear"]]) / 2
    thorax = (points[:, C["left_shoulder"]] + points[:, C["right_shoulder"]]) / 2
    np.testing.assert_allclose(converted[:, I["neck"]], points[:, C["nose"]], atol=1e-12)
    np.testing.assert_allclose(converted[:, I["head"]], mid_ears + 0.5 * (mid_ears - thorax), atol=1e-12)
    np.testing.assert_allclose(converted[:, I["spine"]], (converted[:, I["pelvis"]] + thorax) / 2, atol=1e-12)
    # The head top lands near the vertex: about 0.13 m above the ears for the reference body (this one is 11% larger).
    scale = limb_length(pose) / REFERENCE_LIMBS
    assert 0.11 < (converted[0, I["head"], 1] - mid_ears[0, 1]) / scale < 0.14


def test_2d_goes_through_to_h36m() -> None:
    pose = turned(standing(4), 30.0)
    camera = camera_at((1.5, 1.6, 3.5))
    clean = detector_keypoints_2d(pose, camera, variation=False)
    points = coco17_points(pose, viewpoint=camera.position)
    expected = to_h36m(clean_detections(camera.project(camera.world_to_camera(points))), "coco17")
    np.testing.assert_allclose(clean, expected, atol=1e-9)
    assert clean.shape == (4, 17, 3) and (clean[..., 2] == 1).all()
    assert detector_keypoints_2d(pose, camera, variation=False, confidence=False).shape == (4, 17, 2)
    # The 3D model projected agrees: exactly on the joints a detector reports, within a pixel on derived ones.
    projected = camera.project(camera.world_to_camera(detector_points(pose, variation=False)))
    direct = [I[n] for n in ("right_hip", "left_knee", "left_wrist", "right_shoulder", "neck")]
    np.testing.assert_allclose(projected[:, direct], clean[:, direct, :2], atol=1e-6)
    np.testing.assert_allclose(projected, clean[..., :2], atol=1.0)


def test_noise_acts_on_the_detector_keypoints_before_the_conversion() -> None:
    pose = standing(200)
    camera = camera_at((0.5, 1.5, 4.0))
    noisy = detector_keypoints_2d(pose, camera, rng=3, noise=DetectionNoise(), variation=False)
    hips = noisy[:, [I["left_hip"], I["right_hip"]]]
    np.testing.assert_allclose(noisy[:, I["pelvis"], :2], hips[..., :2].mean(axis=1), atol=1e-9)
    np.testing.assert_allclose(noisy[:, I["pelvis"], 2], hips[..., 2].min(axis=1), atol=1e-12)
    assert (noisy[..., 2] >= 0).all() and (noisy[..., 2] <= 1).all() and noisy[..., 2].mean() > 0.6
    np.testing.assert_array_equal(noisy, detector_keypoints_2d(pose, camera, rng=3, noise=DetectionNoise(),
                                                               variation=False))
    # Left/right swaps exchange limbs only: the face, the pelvis and the thorax stay where they are.
    swaps_only = DetectionNoise(jitter=0.0, drift=0.0, swap_rate=0.5, outlier_rate=0.0)
    swapped = detector_keypoints_2d(pose, camera, rng=4, noise=swaps_only, variation=False)
    clean = detector_keypoints_2d(pose, camera, variation=False)
    kept = [I[n] for n in ("pelvis", "spine", "thorax", "neck", "head")]
    np.testing.assert_allclose(swapped[:, kept, :2], clean[:, kept, :2], atol=1e-9)
    assert not np.allclose(swapped[..., :2], clean[..., :2])


def test_face_seen_from_behind_is_raised() -> None:
    pose = standing()
    front, back = camera_at((0.0, 1.6, 4.0)), camera_at((0.0, 1.6, -4.0))
    for camera, raised in ((front, False), (back, True)):
        seen = detector_keypoints_2d(pose, camera, variation=False)
        plain = camera.project(camera.world_to_camera(coco17_points(pose)))[:, C["nose"]]
        shift = plain[0, 1] - seen[0, I["neck"], 1]  # pixels up in the image
        if raised:  # 0.107 m (times the body's scale) at about 4 m and 1000 px focal length
            assert shift == pytest.approx(1000 * 0.107 * 1.43 / 1.288 / 4.0, rel=0.1)
        else:
            assert shift == pytest.approx(0.0, abs=1e-9)


def test_variation_is_seeded_and_bounded() -> None:
    pose = standing()
    a, b = detector_points(pose, rng=7), detector_points(pose, rng=7)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, detector_points(pose, rng=8))
    base = detector_points(pose, variation=False)
    widths = np.array([hip_width(detector_points(pose, rng=k)) for k in range(100)])
    base_width = hip_width(base)
    assert ((widths > 0.83 * base_width) & (widths < 1.17 * base_width)).all() and widths.std() > 0.02 * base_width
    noses = np.array([detector_points(pose, rng=k)[0, I["neck"]] for k in range(100)])
    assert np.abs(noses - base[0, I["neck"]]).max() < 0.1  # trunk, neck and face drawn apart


def test_bad_input() -> None:
    with pytest.raises(H2OTError, match=r"shape \[T, 17, 3\].*\[5, 16, 3\]"):
        detector_points(np.zeros((5, 16, 3)))
    with pytest.raises(H2OTError, match="finite"):
        broken = standing(2)
        broken[1, 3, 0] = np.nan
        detector_points(broken)
    with pytest.raises(H2OTError, match="metres"):
        detector_points(standing() * 100.0)  # centimetres
    with pytest.raises(H2OTError, match="behind the camera"):
        detector_keypoints_2d(standing(), camera_at((0.0, 1.0, 0.05), (0.0, 1.0, 1.0)))


def test_limbs_the_body_hides_score_lower() -> None:
    """Seen from the person's left, the right limbs sit behind the left ones: their confidence falls with the gap,
    as MediaPipe's does; the near side, the face and a frontal view keep theirs."""
    pose = standing(3)
    exact = DetectionNoise(jitter=0.0, drift=0.0, swap_rate=0.0, outlier_rate=0.0, confidence_noise=0.0,
                           occlusion=(0.6, 0.6), occlusion_noise=0.0)
    side = camera_at((4.0, 1.0, 0.0))
    seen = detector_keypoints_2d(pose, side, rng=0, noise=exact, variation=False)
    gap = behind_partner(side.world_to_camera(coco17_points(pose, viewpoint=side.position)))
    assert gap[0, C["right_wrist"]] > 0.2 and gap[0, C["right_wrist"]] == -gap[0, C["left_wrist"]]
    assert (gap[:, [C["nose"], C["left_eye"], C["right_ear"]]] == 0).all()
    for name in ("wrist", "elbow", "knee", "ankle"):
        hidden = 1.0 - 0.6 * min(gap[0, C[f"right_{name}"]] / 0.5, 1.0)
        np.testing.assert_allclose(seen[:, I[f"right_{name}"], 2], hidden, atol=1e-12)
        assert (seen[:, I[f"left_{name}"], 2] == 1.0).all()
    assert (seen[:, I["neck"], 2] == 1.0).all()
    front = detector_keypoints_2d(pose, camera_at((0.0, 1.0, 4.0)), rng=0, noise=exact, variation=False)
    assert front[..., 2].min() > 0.99
