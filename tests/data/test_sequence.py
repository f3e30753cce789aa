"""Filming mocap clips: 2D in screen coordinates, 3D in camera coordinates, reproducible noise."""

from __future__ import annotations

import numpy as np
import pytest
from shared_data import BANDAI, need

from h2ot.camera import root_relative
from h2ot.data import DetectionNoise, evaluation_rig, load_bvh, mocap_sequences, view_motion

CLIPS = ("dataset-1/data/dataset-1_walk_normal_001.bvh.gz", "dataset-2/data/dataset-2_run_active_001.bvh.gz")


@pytest.fixture(scope="module")
def motions():
    return [load_bvh(need(BANDAI) / c) for c in CLIPS]


def test_clean_view_is_the_projection(motions) -> None:
    motion = motions[0]
    camera = evaluation_rig(motion.positions)[1]
    seq = view_motion(motion, camera)
    assert seq.keypoints.shape == (motion.num_frames, 17, 3) and seq.keypoints.dtype == np.float32
    assert seq.poses.shape == (motion.num_frames, 17, 3)
    assert (seq.keypoints[..., 2] == 1).all()
    np.testing.assert_array_equal(seq.poses[:, 0], 0)
    points = camera.world_to_camera(motion.positions)
    np.testing.assert_allclose(seq.poses, root_relative(points), atol=1e-5)
    np.testing.assert_allclose(seq.root, points[:, 0], atol=1e-5)
    pixels = camera.codec.decode(seq.keypoints.astype(np.float64))[..., :2]
    np.testing.assert_allclose(pixels, camera.project(points), atol=1e-3)  # float32 screen coordinates
    # Normalised screen coordinates: x in [-1, 1], y in [-h/w, h/w] for points inside the image.
    assert np.abs(seq.keypoints[..., :2]).max() <= 1.0
    assert view_motion(motion, camera, confidence=False).keypoints.shape[-1] == 2


def test_rig_sequences_are_reproducible_and_independent_of_order(motions) -> None:
    noise = DetectionNoise()
    both = mocap_sequences(motions, noise=noise, seed=5)
    assert len(both) == 8 and [s.meta["camera"] for s in both[:4]] == ["rig0", "rig1", "rig2", "rig3"]
    again = mocap_sequences(motions[::-1], noise=noise, seed=5)
    alone = mocap_sequences(motions[1:], noise=noise, seed=5)
    for a, b in zip(both[4:], alone, strict=True):
        np.testing.assert_array_equal(a.keypoints, b.keypoints)
    np.testing.assert_array_equal(both[0].keypoints, again[4].keypoints)
    other = mocap_sequences(motions[:1], noise=noise, seed=6)
    assert not np.allclose(other[0].keypoints, both[0].keypoints)
    np.testing.assert_array_equal(other[0].poses, both[0].poses)  # noise touches 2D only


def test_random_views(motions) -> None:
    views = mocap_sequences(motions, cameras="random", views=3, seed=1)
    assert len(views) == 6
    assert len({tuple(s.camera.position.round(6)) for s in views}) == 6
    again = mocap_sequences(motions, cameras="random", views=3, seed=1)
    np.testing.assert_array_equal(views[2].keypoints, again[2].keypoints)
