"""Virtual cameras: the evaluation rig, random cameras, and the exact projection round trip."""

from __future__ import annotations

import numpy as np
import pytest
from shared_data import BANDAI, need

from h2ot.data import EVALUATION_RIG, evaluation_rig, h36m_cameras, load_bvh, look_at, random_camera
from h2ot.errors import H2OTError

WALK = "dataset-1/data/dataset-1_walk_normal_001.bvh.gz"  # 8 m along +z


@pytest.fixture(scope="module")
def walk():
    return load_bvh(need(BANDAI) / WALK)


def inside(camera, positions) -> bool:
    pixels = camera.project_world(positions)
    return bool((pixels >= 0).all() and (pixels[..., 0] <= camera.width).all()
                and (pixels[..., 1] <= camera.height).all())


def round_trip_error(camera, positions) -> float:
    """world -> camera -> pixels -> screen -> pixels -> camera (with the depth) -> world."""
    points = camera.world_to_camera(positions)
    screen = camera.codec.encode(camera.project(points))
    back = camera.camera_to_world(camera.unproject(camera.codec.decode(screen), points[..., 2]))
    return float(np.abs(back - positions).max())


def test_evaluation_rig_sees_the_whole_clip(walk) -> None:
    cameras = evaluation_rig(walk.positions)
    assert [c.name for c in cameras] == ["rig0", "rig1", "rig2", "rig3"]
    pelvis = walk.positions[:, 0].astype(np.float64)
    centre = (pelvis.min(0) + pelvis.max(0)) / 2
    for camera in cameras:
        assert inside(camera, walk.positions)
        assert camera.position[1] == pytest.approx(EVALUATION_RIG.height_m)
        horizontal = np.hypot(*(camera.position - centre)[[0, 2]])
        assert horizontal >= EVALUATION_RIG.distance_m
        assert camera.focal[0] <= EVALUATION_RIG.focal_px
        target = np.array([centre[0], EVALUATION_RIG.target_height_m, centre[2]])
        np.testing.assert_allclose(camera.project_world(target), camera.center, atol=1e-9)
        # Level cameras: the image's down axis points down in the world.
        assert camera.rotation[1] @ np.array([0.0, -1.0, 0.0]) > 0.9
    # Four different diagonal views, 90 degrees apart around the clip.
    directions = np.array([c.rotation[2][[0, 2]] / np.linalg.norm(c.rotation[2][[0, 2]]) for c in cameras])
    np.testing.assert_allclose(directions @ directions.T, [[1, 0, -1, 0], [0, 1, 0, -1], [-1, 0, 1, 0],
                                                            [0, -1, 0, 1]], atol=1e-9)


def test_a_small_clip_keeps_human36m_like_intrinsics(walk) -> None:
    standing = walk.positions[:5]  # barely moves
    for camera in evaluation_rig(standing):
        assert camera.focal == (EVALUATION_RIG.focal_px, EVALUATION_RIG.focal_px)
        assert (camera.width, camera.height) == (1000, 1000)


def test_projection_round_trip_is_exact(walk) -> None:
    positions = walk.positions.astype(np.float64)
    for camera in evaluation_rig(positions):
        assert round_trip_error(camera, positions) < 1e-6
    for camera in h36m_cameras("S9"):  # with Human3.6M's lens distortion
        assert camera.distorted
        # A second of the walk, moved to the capture centre and turned from Y up to Z up.
        points = positions[80:110] - positions[80:110, 0].mean(0) * np.array([1, 0, 1])
        world = points[..., [0, 2, 1]] * np.array([1, -1, 1])
        assert inside(camera, world)
        assert round_trip_error(camera, world) < 1e-6


def test_random_cameras_are_seeded_and_see_the_clip(walk) -> None:
    a = random_camera(walk.positions, 7)
    b = random_camera(walk.positions, 7)
    c = random_camera(walk.positions, 8)
    np.testing.assert_array_equal(a.rotation, b.rotation)
    assert a.focal == b.focal and not np.allclose(a.position, c.position)
    rng = np.random.default_rng(0)
    heights = []
    for _ in range(20):
        camera = random_camera(walk.positions, rng)
        assert inside(camera, walk.positions)
        heights.append(camera.position[1])
    assert min(heights) >= 0.5 and max(heights) <= 2.5 and np.ptp(heights) > 0.5


def test_z_up_world(walk) -> None:
    z_up = walk.positions[..., [0, 2, 1]] * np.array([1, -1, 1], dtype=np.float32)  # a rotation
    for camera in evaluation_rig(z_up, up_axis="z"):
        assert camera.position[2] == pytest.approx(EVALUATION_RIG.height_m)
        assert camera.rotation[1] @ np.array([0.0, 0.0, -1.0]) > 0.9
        assert inside(camera, z_up)
    with pytest.raises(H2OTError, match="unknown up axis"):
        evaluation_rig(walk.positions, up_axis="w")


def test_look_at_convention() -> None:
    rotation = look_at(np.array([0.0, 1.0, -5.0]), np.array([0.0, 1.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    # Looking along +z with y up: image right is world -x, image down is world -y.
    np.testing.assert_allclose(rotation, [[-1, 0, 0], [0, -1, 0], [0, 0, 1]], atol=1e-12)
    with pytest.raises(H2OTError, match="straight up or down"):
        look_at(np.zeros(3), np.array([0.0, 5.0, 0.0]), np.array([0.0, 1.0, 0.0]))
