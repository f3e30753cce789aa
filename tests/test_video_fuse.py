"""`h2ot.video.fuse.fuse_poses`: the mean of two root-relative pose sequences on the frames MediaPipe found, the
lifter's pose elsewhere, with exact values; bad input is one sentence."""

import numpy as np
import pytest

from h2ot.errors import H2OTError
from h2ot.video.fuse import fuse_poses


def _poses(seed: int, frames: int = 6) -> np.ndarray:
    poses = np.random.default_rng(seed).normal(size=(frames, 17, 3)).astype(np.float32)
    return poses - poses[:, :1]


def test_the_fused_pose_is_the_mean_where_mediapipe_found_the_person():
    lifted, theirs = _poses(0), _poses(1)
    shifted = theirs + np.array([0.5, -2.0, 3.0], np.float32)  # not root-relative: fusion centres it
    found = np.array([True, True, False, True, False, True])
    fused = fuse_poses(lifted, shifted, found)
    np.testing.assert_allclose(fused[found], (lifted[found] + theirs[found]) / 2, atol=1e-6)
    np.testing.assert_array_equal(fused[~found], lifted[~found])
    assert fused.dtype == np.float32 and np.all(fused[:, 0] == 0)


def test_the_weight_runs_from_the_lifter_alone_to_mediapipe_alone():
    lifted, theirs = _poses(2), _poses(3)
    found = np.ones(6, bool)
    np.testing.assert_array_equal(fuse_poses(lifted, theirs, found, weight=0.0), lifted)
    np.testing.assert_allclose(fuse_poses(lifted, theirs, found, weight=1.0), theirs, atol=1e-6)
    np.testing.assert_allclose(fuse_poses(lifted, theirs, found, weight=0.25), 0.75 * lifted + 0.25 * theirs,
                               atol=1e-6)


def test_frames_mediapipe_missed_may_hold_nan():
    lifted, theirs = _poses(4), _poses(5)
    theirs[2] = np.nan
    found = np.isfinite(theirs).all(axis=(1, 2))
    fused = fuse_poses(lifted, theirs, found)
    assert np.isfinite(fused).all() and np.array_equal(fused[2], lifted[2])


@pytest.mark.parametrize(("change", "message"), [
    (lambda a, b, f: (a[:, :16], b, f), r"two \[T, 17, 3\] pose arrays"),
    (lambda a, b, f: (a, b[:5], f), r"two \[T, 17, 3\] pose arrays"),
    (lambda a, b, f: (a, b, f.astype(int)), "bool mask"),
    (lambda a, b, f: (a, np.where(f[:, None, None], np.nan, b), f), "NaN or infinite"),
])
def test_bad_input_is_one_sentence(change, message):
    lifted, theirs, found = _poses(6), _poses(7), np.ones(6, bool)
    with pytest.raises(H2OTError, match=message):
        fuse_poses(*change(lifted, theirs, found))
    with pytest.raises(H2OTError, match=r"weight of MediaPipe's 3D must be in \[0, 1\], got 1.5"):
        fuse_poses(lifted, theirs, found, weight=1.5)
