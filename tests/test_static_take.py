"""The whole 2D -> 3D path against the one real recording with a 3D reference here: Pose2Sim's static T-pose
(../shared/data/video-dev/pose2sim-static, 11 frames, 4 calibrated portrait views, a multi-view reconstruction).

Too short and too still to tune on, but enough to catch wrong axes, swapped sides, units, scale and the padding
of a video shorter than one window. The 2D is MediaPipe's own, stored with the reference (`mp2d_camXX`), so the
test does not depend on running the detector; `test_video_pipeline.py` runs it live on a view."""

from pathlib import Path

import numpy as np
import pytest
import torch

import h2ot
from h2ot.keypoint_sets import to_h36m
from h2ot.metrics import mpjpe, p_mpjpe

TAKE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "video-dev" / "pose2sim-static"
pytestmark = pytest.mark.skipif(not TAKE.exists(), reason=f"the Pose2Sim static take is not at {TAKE}")
CAMERAS = ("cam01", "cam02", "cam03", "cam04")


@pytest.fixture(scope="module")
def reference():
    return dict(np.load(TAKE / "reference.npz"))


def mid_hip_relative(joints12: np.ndarray) -> np.ndarray:
    """The reference's 12 joints (RHip RKnee RAnkle LHip LKnee LAnkle LShoulder LElbow LWrist RShoulder RElbow
    RWrist) relative to the midpoint of the hips, the pelvis of both."""
    return joints12 - (joints12[:, [0]] + joints12[:, [3]]) / 2


def lifted_12(reference: dict, camera: str) -> np.ndarray:
    width, height = reference[f"{camera}_image_size_wh"]
    keypoints = to_h36m(reference[f"mp2d_{camera}"], "blazepose33")
    poses = h2ot.lift(keypoints, float(reference["fps"]), (int(width), int(height)))
    assert poses.shape == (11, 17, 3)
    return mid_hip_relative(poses[:, reference["h36m_index"]])


def errors_mm(pred: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    p, t = torch.from_numpy(pred).double(), torch.from_numpy(target).double()
    return float(mpjpe(p, t).mean() * 1000), float(p_mpjpe(p, t).mean() * 1000)


@pytest.mark.parametrize("camera", CAMERAS)
def test_the_lifted_t_pose_has_the_reference_axes_sides_and_scale(reference, camera):
    pred = lifted_12(reference, camera)
    target = mid_hip_relative(reference[f"joints_{camera}_loo"].astype(np.float64))
    error, aligned = errors_mm(pred, target)
    mirrored = pred * np.array([-1.0, 1.0, 1.0])
    # Camera axes as the reference's (x right, y down, z forward), in metres, the person's own left and right:
    # the default model is 100-250 mm off before alignment here; a mirrored or upside-down answer 470-610 mm.
    assert error < 300 and errors_mm(mirrored, target)[0] > 400
    assert errors_mm(pred * np.array([1.0, -1.0, 1.0]), target)[0] > 400
    assert aligned < 120  # P-MPJPE; MediaPipe's own 3D reads 51-63 mm on these views
    # Scale: mid-ankles to mid-shoulders (1.31 m in the reference) within 15% (the default model: 0.93-0.96).
    def length(x: np.ndarray) -> float:
        return float(np.linalg.norm((x[:, 2] + x[:, 5]) / 2 - (x[:, 6] + x[:, 9]) / 2, axis=-1).mean())

    assert 0.85 < length(pred) / length(target) < 1.15
    # Arms out: the wrist-to-wrist span (1.41 m) at least 60% of it. The default model folds the arms in depth
    # (0.69 of the span from the front three-quarter view cam03, 0.82-0.88 from the others): its largest error here.
    span, true_span = (np.linalg.norm(x[:, 8] - x[:, 11], axis=-1).mean() for x in (pred, target))
    assert span / true_span > 0.6
    # Upright: both ankles below the hips and the shoulders above them, in image-down y.
    assert np.all(pred[:, [2, 5], 1] > 0.5) and np.all(pred[:, [6, 9], 1] < -0.3)
