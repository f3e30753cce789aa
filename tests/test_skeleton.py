"""The Human3.6M 17-joint set."""

from __future__ import annotations

import numpy as np
import pytest

from h2ot.skeleton import (
    BONES,
    FLIP_PERMUTATION,
    JOINT_INDEX,
    JOINT_NAMES,
    LEFT_JOINTS,
    PARENTS,
    RIGHT_JOINTS,
    bone_lengths,
    standing_height,
)


def test_order_and_tree() -> None:
    assert JOINT_NAMES[:4] == ("pelvis", "right_hip", "right_knee", "right_ankle")
    assert JOINT_NAMES[8:11] == ("thorax", "neck", "head")
    assert JOINT_NAMES[11] == "left_shoulder" and JOINT_NAMES[16] == "right_wrist"
    assert PARENTS[0] == -1 and all(PARENTS[j] < j for j in range(1, 17))
    assert PARENTS[JOINT_INDEX["left_shoulder"]] == PARENTS[JOINT_INDEX["right_shoulder"]] == JOINT_INDEX["thorax"]
    assert len(BONES) == 16


def test_left_right_and_flip() -> None:
    for left, right in zip(LEFT_JOINTS, RIGHT_JOINTS, strict=True):
        assert JOINT_NAMES[left].replace("left", "right") == JOINT_NAMES[right]
        assert FLIP_PERMUTATION[left] == right and FLIP_PERMUTATION[right] == left
    assert [FLIP_PERMUTATION[j] for j in FLIP_PERMUTATION] == list(range(17))
    for j in (0, 7, 8, 9, 10):
        assert FLIP_PERMUTATION[j] == j


def test_bone_lengths_and_standing_height() -> None:
    pose = np.zeros((17, 3))
    heights = {"right_ankle": 0.1, "right_knee": 0.5, "right_hip": 0.9, "left_ankle": 0.1, "left_knee": 0.5,
               "left_hip": 0.9, "pelvis": 0.9, "spine": 1.15, "thorax": 1.4, "neck": 1.52, "head": 1.7}
    for name, y in heights.items():
        pose[JOINT_INDEX[name], 1] = y
    for name in ("left_hip", "left_knee", "left_ankle"):
        pose[JOINT_INDEX[name], 0] = 0.1
    for name in ("right_hip", "right_knee", "right_ankle"):
        pose[JOINT_INDEX[name], 0] = -0.1
    lengths = bone_lengths(pose[None])[0]
    assert lengths[BONES.index((0, 1))] == pytest.approx(0.1)
    assert lengths[BONES.index((1, 2))] == pytest.approx(0.4)
    assert standing_height(np.stack([pose, pose])) == pytest.approx(1.7)

