"""Cameras: the screen codec, world <-> camera, projection with Human3.6M distortion, and inverses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from h2ot.camera import Camera, ScreenCodec, root_relative
from h2ot.errors import H2OTError


def test_screen_codec_values_and_inverse() -> None:
    codec = ScreenCodec(1000, 1002)
    corners = np.array([[0.0, 0.0], [1000.0, 1002.0], [500.0, 501.0]])
    np.testing.assert_allclose(codec.encode(corners), [[-1, -1.002], [1, 1.002], [0, 0]])
    rng = np.random.default_rng(0)
    pixels = np.concatenate([rng.uniform(0, 1000, (50, 17, 2)), rng.uniform(0, 1, (50, 17, 1))], axis=-1)
    screen = codec.encode(pixels)
    np.testing.assert_array_equal(screen[..., 2], pixels[..., 2])  # a confidence passes through
    np.testing.assert_allclose(codec.decode(screen), pixels, atol=1e-9)
    assert codec.pixel_size == 0.002
    tensor = torch.from_numpy(pixels)
    torch.testing.assert_close(codec.encode(tensor), torch.from_numpy(screen))
    with pytest.raises(H2OTError):
        ScreenCodec(0, 10)


def test_codec_keeps_the_input() -> None:
    pixels = np.array([[10.0, 20.0]])
    ScreenCodec(100, 100).encode(pixels)
    np.testing.assert_array_equal(pixels, [[10.0, 20.0]])


def test_world_to_camera_and_projection() -> None:
    # A camera at (0, 1, -5) looking along +z (world Y up): image right = world -x, image down = world -y.
    rotation = np.array([[-1.0, 0, 0], [0, -1, 0], [0, 0, 1]])
    camera = Camera(focal=(1000.0, 1000.0), center=(500.0, 400.0), width=1000, height=800, rotation=rotation,
                    position=[0.0, 1.0, -5.0])
    point = np.array([0.5, 2.0, 0.0])
    local = camera.world_to_camera(point)
    np.testing.assert_allclose(local, [-0.5, -1.0, 5.0])
    np.testing.assert_allclose(camera.project(local), [500 - 100, 400 - 200])
    np.testing.assert_allclose(camera.camera_to_world(local), point)
    np.testing.assert_allclose(camera.project_world(np.array([0.0, 1.0, 3.0])), camera.center)
    with pytest.raises(H2OTError, match="behind the camera"):
        camera.project_world(np.array([0.0, 1.0, -6.0]))
    with pytest.raises(H2OTError, match="orthonormal"):
        Camera(focal=(1.0, 1.0), center=(0.0, 0.0), width=2, height=2, rotation=np.ones((3, 3)))


def test_distortion_matches_the_human36m_formula_and_inverts() -> None:
    k, p = (-0.2, 0.25, -0.003), (-0.001, -0.0014)
    camera = Camera(focal=(1145.0, 1144.0), center=(512.5, 515.5), width=1000, height=1002, radial=k, tangential=p)
    rng = np.random.default_rng(1)
    points = np.concatenate([rng.uniform(-1.5, 1.5, (200, 2)), rng.uniform(4, 6, (200, 1))], axis=-1)
    u, v = points[:, 0] / points[:, 2], points[:, 1] / points[:, 2]
    r2 = u * u + v * v
    s = 1 + k[0] * r2 + k[1] * r2**2 + k[2] * r2**3 + p[0] * u + p[1] * v
    expected = np.stack([1145.0 * (u * s + p[0] * r2) + 512.5, 1144.0 * (v * s + p[1] * r2) + 515.5], axis=-1)
    np.testing.assert_allclose(camera.project(points), expected, rtol=1e-12)
    back = camera.unproject(camera.project(points), points[:, 2])
    np.testing.assert_allclose(back, points, atol=1e-9)


def test_quaternion_extrinsics() -> None:
    # A quarter turn about z (camera -> world): the camera's x axis is world y.
    q = (np.cos(np.pi / 4), 0.0, 0.0, np.sin(np.pi / 4))
    camera = Camera.from_quaternion(q, [1.0, 2.0, 3.0], focal=(1.0, 1.0), center=(0.0, 0.0), width=2, height=2)
    np.testing.assert_allclose(camera.world_to_camera(np.array([1.0, 3.0, 3.0])), [1.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(camera.position, [1, 2, 3])


def test_normalized_intrinsics_and_root_relative() -> None:
    camera = Camera(focal=(1000.0, 1000.0), center=(500.0, 500.0), width=1000, height=1000, radial=(0.1, 0, 0))
    np.testing.assert_allclose(camera.normalized_intrinsics(), [2, 2, 0, 0, 0.1, 0, 0, 0, 0])
    poses = np.arange(2 * 17 * 3, dtype=float).reshape(2, 17, 3)
    rel = root_relative(poses)
    np.testing.assert_array_equal(rel[:, 0], 0)
    np.testing.assert_array_equal(rel[:, 5] + poses[:, 0], poses[:, 5])
    torch.testing.assert_close(root_relative(torch.from_numpy(poses)), torch.from_numpy(rel))
