"""Phone and webcam cameras (`PHONE_AND_WEBCAM`): every joint in the image, portrait and landscape, low and high,
wide and tele lenses, the person off the centre; the studio cameras unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from humanoid import humanoid_bvh

from h2ot.data import load_bvh, random_camera
from h2ot.data.detector_keypoints import detector_keypoints_2d
from h2ot.data.rig import PHONE_AND_WEBCAM, STUDIO, RandomCameraSpec
from h2ot.errors import H2OTError

SEEDS = range(80)


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory):
    """The humanoid walking 6 m along +z (60 frames at 25 fps)."""
    return load_bvh(humanoid_bvh(tmp_path_factory.mktemp("walk") / "walk.bvh", frames=60))


@pytest.fixture(scope="module")
def cameras(walk):
    return [random_camera(walk.positions, seed, spec=PHONE_AND_WEBCAM) for seed in SEEDS]


def inside(pixels: np.ndarray, camera) -> bool:
    return bool((pixels[..., 0] >= 0).all() and (pixels[..., 0] <= camera.width).all()
                and (pixels[..., 1] >= 0).all() and (pixels[..., 1] <= camera.height).all())


def test_every_joint_and_detector_keypoint_is_in_the_image(walk, cameras) -> None:
    for seed, camera in zip(SEEDS, cameras, strict=True):
        assert camera.name == "phone"
        assert inside(camera.project_world(walk.positions), camera), seed
        assert inside(detector_keypoints_2d(walk.positions, camera, seed), camera), seed


def test_frames_lenses_and_heights_cover_phones_and_webcams(cameras) -> None:
    sizes = {(c.width, c.height) for c in cameras}
    assert sizes == set(PHONE_AND_WEBCAM.sizes)
    assert any(w < h for w, h in sizes) and any(w > h for w, h in sizes)
    equivalent = np.array([c.focal[0] * 36.0 / max(c.width, c.height) for c in cameras])  # 35 mm equivalent
    assert ((equivalent >= 24.0 - 1e-9) & (equivalent <= 85.0 + 1e-9)).all()
    assert equivalent.min() < 30.0 and equivalent.max() > 70.0
    heights = np.array([c.position[1] for c in cameras])
    assert heights.min() < 0.5 and heights.max() > 2.5
    assert ((heights >= 0.2) & (heights <= 3.0)).all()
    overhead = [c for c in cameras if c.position[1] > 2.5]
    assert all(c.rotation[2] @ np.array([0.0, 1.0, 0.0]) < 0 for c in overhead)  # they look down


def test_people_big_and_small_and_off_the_centre(walk, cameras) -> None:
    shares, centres = [], []
    for camera in cameras:
        pixels = camera.project_world(walk.positions)
        shares.append(np.median(pixels[..., 1].max(1) - pixels[..., 1].min(1)) / camera.height)
        centres.append((pixels[..., 0].min() + pixels[..., 0].max()) / 2 / camera.width)
    shares, centres = np.array(shares), np.array(centres)
    assert shares.max() / shares.min() > 3.0
    assert (centres < 0.4).sum() >= 5 and (centres > 0.6).sum() >= 5


def test_a_standing_person_fills_what_was_drawn(tmp_path: Path) -> None:
    still = load_bvh(humanoid_bvh(tmp_path / "still.bvh", frames=1))
    shares = []
    for seed in range(40):
        camera = random_camera(still.positions, seed, spec=PHONE_AND_WEBCAM)
        pixels = camera.project_world(still.positions)
        shares.append((pixels[..., 1].max() - pixels[..., 1].min()) / camera.height)
    assert min(shares) > 0.2 and max(shares) < 0.9 and max(shares) > 0.6


def test_studio_cameras_are_unchanged(walk) -> None:
    assert RandomCameraSpec() == STUDIO and STUDIO.focal_35mm is None
    camera = random_camera(walk.positions, 11)
    # Drawn before the phone cameras existed (the same call at commit ceb8a1a).
    assert camera.name == "random" and (camera.width, camera.height) == (1920, 1080)
    assert camera.focal[0] == pytest.approx(1558.66276263342, rel=1e-12)
    np.testing.assert_allclose(camera.position, [5.925047435805772, 1.702996715246715, 8.615012788838712], rtol=1e-12)
    with pytest.raises(H2OTError, match="up axis"):
        random_camera(walk.positions, 0, up_axis="w", spec=PHONE_AND_WEBCAM)
