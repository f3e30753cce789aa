"""Detector layouts and their one conversion rule to Human3.6M-17."""

from __future__ import annotations

import numpy as np
import pytest

from h2ot.errors import H2OTError
from h2ot.keypoint_sets import (
    BLAZEPOSE_NAMES,
    BODY25_NAMES,
    COCO_HEAD_TOP_EXTENSION,
    COCO_NAMES,
    DIRECT_SOURCES,
    HALPE26_NAMES,
    LAYOUTS,
    MIDPOINT_SOURCES,
    coco_to_h36m,
    layouts_with,
    to_h36m,
)
from h2ot.skeleton import JOINT_INDEX, LEFT_JOINTS, RIGHT_JOINTS


def _random(layout: str, batch: tuple[int, ...] = (2,)) -> np.ndarray:
    rng = np.random.default_rng(len(layout))
    count = len(LAYOUTS[layout])
    return np.concatenate([rng.uniform(0, 500, (*batch, count, 2)), rng.uniform(0.2, 1, (*batch, count, 1))], -1)


def test_layouts_match_the_official_orders() -> None:
    assert len(COCO_NAMES) == 17 and len(HALPE26_NAMES) == 26 and len(BODY25_NAMES) == 25
    assert len(BLAZEPOSE_NAMES) == 33 and len(LAYOUTS["coco18"]) == 18
    assert HALPE26_NAMES[:17] == COCO_NAMES
    assert HALPE26_NAMES[17:20] == ("head", "neck", "mid_hip") and HALPE26_NAMES[25] == "right_heel"
    assert BODY25_NAMES[1] == "neck" and BODY25_NAMES[8] == "mid_hip" and BODY25_NAMES[9] == "right_hip"
    assert BODY25_NAMES[19:] == ("left_big_toe", "left_small_toe", "left_heel", "right_big_toe",
                                 "right_small_toe", "right_heel")
    assert LAYOUTS["coco18"] == BODY25_NAMES[:8] + BODY25_NAMES[9:19]
    assert BLAZEPOSE_NAMES.index("left_hip") == 23 and BLAZEPOSE_NAMES.index("right_hip") == 24
    assert BLAZEPOSE_NAMES[7:9] == ("left_ear", "right_ear") and BLAZEPOSE_NAMES[32] == "right_foot_index"
    for names in LAYOUTS.values():
        assert len(set(names)) == len(names)
        needed = set(DIRECT_SOURCES.values()) | {n for pair in MIDPOINT_SOURCES.values() for n in pair}
        assert needed <= set(names)


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_the_one_rule_for_every_layout(layout: str) -> None:
    keypoints = _random(layout)
    src = {name: keypoints[:, i] for i, name in enumerate(LAYOUTS[layout])}
    h = to_h36m(keypoints, layout)
    assert h.shape == (2, 17, 3)

    def mid(a: str, b: str) -> np.ndarray:
        return (src[a][:, :2] + src[b][:, :2]) / 2

    pelvis, thorax, ears = mid("left_hip", "right_hip"), mid("left_shoulder", "right_shoulder"), mid(
        "left_ear", "right_ear")
    np.testing.assert_array_equal(h[:, JOINT_INDEX["pelvis"], :2], pelvis)
    np.testing.assert_array_equal(h[:, JOINT_INDEX["thorax"], :2], thorax)
    np.testing.assert_array_equal(h[:, JOINT_INDEX["spine"], :2], (pelvis + thorax) / 2)
    np.testing.assert_allclose(h[:, JOINT_INDEX["head"], :2], ears + COCO_HEAD_TOP_EXTENSION * (ears - thorax))
    np.testing.assert_array_equal(h[:, JOINT_INDEX["neck"]], src["nose"])
    for target, source in DIRECT_SOURCES.items():
        np.testing.assert_array_equal(h[:, JOINT_INDEX[target]], src[source])
    c = {name: value[:, 2] for name, value in src.items()}
    np.testing.assert_array_equal(h[:, JOINT_INDEX["pelvis"], 2], np.minimum(c["left_hip"], c["right_hip"]))
    np.testing.assert_array_equal(h[:, JOINT_INDEX["spine"], 2], np.minimum.reduce(
        [c["left_hip"], c["right_hip"], c["left_shoulder"], c["right_shoulder"]]))
    np.testing.assert_array_equal(h[:, JOINT_INDEX["head"], 2], np.minimum.reduce(
        [c["left_ear"], c["right_ear"], c["left_shoulder"], c["right_shoulder"]]))
    assert to_h36m(keypoints[..., :2], layout).shape == (2, 17, 2)


def test_detector_neck_and_mid_hip_are_not_used() -> None:
    body25 = _random("body25")
    moved = body25.copy()
    for name in ("neck", "mid_hip"):
        moved[:, BODY25_NAMES.index(name), :2] += 1000.0
    np.testing.assert_array_equal(to_h36m(body25, "body25"), to_h36m(moved, "body25"))
    halpe = _random("halpe26")
    np.testing.assert_array_equal(to_h36m(halpe, "halpe26"), to_h36m(halpe[:, :17], "coco17"))


def test_left_stays_left_on_a_hand_made_pose() -> None:
    # A person facing the camera: their left side is on the image's right (larger x).
    blaze = np.zeros((33, 3))
    blaze[:, 2] = 1.0
    for name, x, y in [("left_shoulder", 260, 100), ("right_shoulder", 140, 100), ("left_hip", 240, 300),
                       ("right_hip", 160, 300), ("left_ear", 215, 40), ("right_ear", 185, 40), ("nose", 200, 50),
                       ("left_wrist", 300, 280), ("right_wrist", 100, 280), ("left_ankle", 240, 500),
                       ("right_ankle", 160, 500)]:
        blaze[BLAZEPOSE_NAMES.index(name)] = (x, y, 1.0)
    h = to_h36m(blaze, "blazepose33")
    assert all(h[left, 0] >= 200 for left in LEFT_JOINTS if h[left, 0] > 0)
    assert all(h[right, 0] <= 200 for right in RIGHT_JOINTS if h[right, 0] > 0)
    np.testing.assert_array_equal(h[JOINT_INDEX["pelvis"]], (200, 300, 1))
    np.testing.assert_array_equal(h[JOINT_INDEX["thorax"]], (200, 100, 1))
    np.testing.assert_array_equal(h[JOINT_INDEX["spine"]], (200, 200, 1))
    np.testing.assert_array_equal(h[JOINT_INDEX["head"]], (200, 40 + 0.5 * (40 - 100), 1))
    np.testing.assert_array_equal(h[JOINT_INDEX["left_wrist"]], (300, 280, 1))


def test_coco_to_h36m_is_the_coco17_rule() -> None:
    coco = _random("coco17", (3, 2))
    np.testing.assert_array_equal(coco_to_h36m(coco), to_h36m(coco, "coco17"))
    assert coco_to_h36m(coco.astype(np.float32)).dtype == np.float32


def test_errors_name_the_counts_and_the_fitting_layout() -> None:
    assert layouts_with(25) == ["body25"] and layouts_with(17) == ["coco17"]
    with pytest.raises(H2OTError, match=r"\[\.\.\., 17, 2 or 3\].*25 keypoints, expected 17.*fit layout 'body25'"):
        to_h36m(np.zeros((5, 25, 3)), "coco17")
    with pytest.raises(H2OTError, match="no known layout has 19 keypoints"):
        to_h36m(np.zeros((19, 3)), "halpe26")
    with pytest.raises(H2OTError, match="unknown keypoint layout 'openpose'; known: coco17, halpe26"):
        to_h36m(np.zeros((25, 3)), "openpose")
    with pytest.raises(H2OTError, match=r"got \[17, 4\]"):
        to_h36m(np.zeros((17, 4)), "coco17")


def test_3d_points_go_through_the_same_rule_when_channel_2_is_a_coordinate():
    points = np.random.default_rng(0).normal(size=(4, 33, 3))
    out = to_h36m(points, "blazepose33", confidence=False)
    hips = points[:, [23, 24]].mean(axis=1)  # BlazePose left and right hip
    np.testing.assert_allclose(out[:, 0], hips, atol=1e-12)  # z averaged too, not a min of confidences
    np.testing.assert_allclose(out[..., :2], to_h36m(points[..., :2], "blazepose33"), atol=1e-12)
