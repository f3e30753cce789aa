"""Flip augmentation in 2D and 3D."""

from __future__ import annotations

import numpy as np
import torch

from h2ot.camera import Camera
from h2ot.data import flip
from h2ot.skeleton import JOINT_INDEX


def test_flip_mirrors_x_and_swaps_sides() -> None:
    rng = np.random.default_rng(0)
    poses = rng.normal(size=(4, 17, 3))
    flipped = flip(poses)
    left, right = JOINT_INDEX["left_wrist"], JOINT_INDEX["right_wrist"]
    np.testing.assert_array_equal(flipped[:, left], poses[:, right] * [-1, 1, 1])
    np.testing.assert_array_equal(flipped[:, 0], poses[:, 0] * [-1, 1, 1])
    np.testing.assert_array_equal(flip(flipped), poses)
    np.testing.assert_array_equal(poses, np.random.default_rng(0).normal(size=(4, 17, 3)))  # input kept


def test_flip_keeps_a_confidence_and_works_on_tensors() -> None:
    keypoints = torch.rand(2, 5, 17, 3)
    flipped = flip(keypoints)
    assert torch.equal(flipped[..., JOINT_INDEX["left_ankle"], 2], keypoints[..., JOINT_INDEX["right_ankle"], 2])
    assert torch.equal(flip(flipped), keypoints)


def test_2d_and_3d_flips_agree_through_a_camera() -> None:
    """Mirroring a pose in camera space and projecting it = mirroring its projection on the screen."""
    camera = Camera(focal=(1000.0, 1000.0), center=(500.0, 400.0), width=1000, height=800)
    rng = np.random.default_rng(1)
    poses = rng.normal(scale=0.3, size=(3, 17, 3)) + np.array([0.0, 0.0, 5.0])
    screen = camera.codec.encode(camera.project(poses))
    np.testing.assert_allclose(camera.codec.encode(camera.project(flip(poses))), flip(screen), atol=1e-12)
