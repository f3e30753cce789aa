"""tools/auto_budget.py's two rules, with exact values: a clip's motion by its size, and the split of clips into
kept-frame levels by motion with equal frame counts (so the mean cost equals the fixed budget's)."""

import importlib.util
from pathlib import Path

import numpy as np

TOOL = Path(__file__).resolve().parents[1] / "tools" / "auto_budget.py"
spec = importlib.util.spec_from_file_location("auto_budget", TOOL)
auto_budget = importlib.util.module_from_spec(spec)
spec.loader.exec_module(auto_budget)


def test_motion_is_joint_speed_over_the_skeleton_height():
    body = np.zeros((5, 17, 3))
    body[:, :, 1] = np.linspace(0.0, 0.5, 17)  # 0.5 tall
    assert auto_budget.motion_of(body) == 0.0
    moving = body.copy()
    moving[..., 0] += 0.01 * np.arange(5)[:, None]  # every joint 0.01 a frame to the right
    assert np.isclose(auto_budget.motion_of(moving), 0.02)
    assert np.isclose(auto_budget.motion_of(moving * 2), 0.02)  # the same motion, filmed twice as large


def test_clips_are_split_by_motion_into_equal_frame_shares():
    motion = np.array([5.0, 1.0, 3.0, 2.0, 4.0, 6.0])
    levels = auto_budget.allocate(motion, np.full(6, 10.0), [8, 27, 46])
    np.testing.assert_array_equal(levels, [2, 0, 1, 0, 1, 2])
    # one long still clip fills the low level alone
    np.testing.assert_array_equal(auto_budget.allocate(np.array([1.0, 2.0, 3.0]), np.array([100.0, 10, 10]), [8, 46]),
                                  [0, 1, 1])
