"""BVH export: read back with h2ot's own BVH reader, the positions come back (exactly for a skeleton that a BVH
can hold, within millimetres for real motion capture), bone lengths are fixed, axes and rest pose as documented."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from h2ot.data import load_bvh, parse_bvh
from h2ot.data.rig import look_at
from h2ot.errors import H2OTError
from h2ot.export import write_bvh
from h2ot.export.common import camera_to_y_up
from h2ot.skeleton import JOINT_INDEX, JOINT_NAMES, PARENTS, bone_lengths

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
I = JOINT_INDEX  # noqa: E741

# A T-pose in the Y-up world, facing +Z, left on +X (metres): the rest pose of the exporter.
T_POSE = np.array([
    [0, 0, 0], [-0.12, 0, 0], [-0.12, -0.42, 0], [-0.12, -0.84, 0], [0.12, 0, 0], [0.12, -0.42, 0],
    [0.12, -0.84, 0], [0, 0.25, 0], [0, 0.5, 0], [0, 0.62, 0.08], [0, 0.75, 0.08], [0.17, 0.47, 0],
    [0.45, 0.47, 0], [0.7, 0.47, 0], [-0.17, 0.47, 0], [-0.45, 0.47, 0], [-0.7, 0.47, 0],
])


def rigid_motion(frames: int, seed: int = 0) -> np.ndarray:
    """Camera-axes poses `[T, 17, 3]` of the T-pose skeleton, every joint turned at random (a joint with
    several children turns them together): a motion a 17-joint BVH holds exactly."""
    rng = np.random.default_rng(seed)
    turns = Rotation.from_rotvec(rng.normal(0, 0.5, (frames * 17, 3))).as_matrix().reshape(frames, 17, 3, 3)
    world = np.zeros((frames, 17, 3))
    for child in range(1, 17):
        parent = PARENTS[child]
        world[:, child] = world[:, parent] + turns[:, parent] @ (T_POSE[child] - T_POSE[parent])
    return camera_to_y_up(world)


def read_back(path: Path) -> np.ndarray:
    """A written BVH as h2ot reads it, in camera axes and root-relative, like the poses given."""
    motion = load_bvh(path)
    assert motion.joint_map == "h2ot" and motion.units == 1.0
    poses = camera_to_y_up(motion.positions)
    return poses - poses[:, :1]


def filmed(path: Path) -> tuple[np.ndarray, float]:
    """A real clip seen by a camera 4 m away, 30 degrees to its side: root-relative camera-axes poses."""
    if not path.exists():
        pytest.skip(f"{path} is absent (the project's ../shared/data is not beside this checkout)")
    motion = load_bvh(path)
    world = motion.positions.astype(np.float64)
    centre = world[:, 0].mean(axis=0)
    eye = centre + 4 * np.array([np.sin(np.radians(30)), 0.1, np.cos(np.radians(30))])
    poses = (world - eye) @ look_at(eye, centre, np.array([0.0, 1.0, 0.0])).T
    return poses - poses[:, :1], motion.fps


def test_a_motion_the_skeleton_can_hold_comes_back_exactly(tmp_path: Path) -> None:
    poses = rigid_motion(20)
    path = write_bvh(tmp_path / "rigid.bvh", poses, fps=25)
    back = read_back(path)
    assert back.shape == (20, 17, 3) and load_bvh(path).fps == 25.0
    assert np.abs(back - poses).max() < 1e-5  # the file's 6 decimals


@pytest.mark.parametrize(("clip", "max_mm", "mean_mm"), [
    ("bandai-namco/dataset-1/data/dataset-1_walk_normal_001.bvh.gz", 4.0, 0.6),  # measured 2.9, 0.39
    ("cmu-sample/07_01.bvh", 7.0, 2.0),  # measured 5.6, 1.3
])
def test_real_motion_comes_back_within_millimetres(tmp_path: Path, clip: str, max_mm: float, mean_mm: float) -> None:
    poses, fps = filmed(DATA / clip)
    back = read_back(write_bvh(tmp_path / "a.bvh", poses, fps))
    error = np.linalg.norm(back - poses, axis=-1) * 1000
    # What is left is the torso's give (the source rigs bend between hips and spine, thorax and neck), which a
    # 17-joint BVH with one rotation per joint cannot hold.
    assert error.max() < max_mm and error.mean() < mean_mm
    again = read_back(write_bvh(tmp_path / "b.bvh", back, fps))
    assert np.abs(again - back).max() < 1e-5  # a motion the skeleton holds: exact


def test_noisy_poses_get_fixed_bone_lengths(tmp_path: Path) -> None:
    clean = rigid_motion(30, seed=1)
    noisy = clean + np.random.default_rng(2).normal(0, 0.01, clean.shape)
    noisy -= noisy[:, :1]
    back = read_back(write_bvh(tmp_path / "noisy.bvh", noisy, fps=30))
    lengths = bone_lengths(back)
    assert lengths.std(axis=0).max() < 1e-5
    np.testing.assert_allclose(lengths[0], np.median(bone_lengths(noisy), axis=0), atol=1e-5)
    # Each bone aims at the observed joint, so the noise is not added up along the limbs: the wrists and ankles
    # are off the clean motion by about as much as the noise itself (measured 0.80 to 1.03 times).
    noise = np.linalg.norm(noisy - clean, axis=-1).mean()
    error = np.linalg.norm(back - clean, axis=-1).mean(axis=0)
    assert error[[I["left_wrist"], I["right_wrist"], I["left_ankle"], I["right_ankle"]]].max() < 1.3 * noise


def test_the_t_pose_facing_the_camera_is_the_rest_pose(tmp_path: Path) -> None:
    path = write_bvh(tmp_path / "t.bvh", camera_to_y_up(T_POSE)[None], fps=30)
    bvh = parse_bvh(path)
    np.testing.assert_allclose(bvh.values, 0.0, atol=1e-6)  # root at 0, every angle 0
    offsets = dict(zip(bvh.skeleton.names, bvh.skeleton.offsets, strict=True))
    for name in JOINT_NAMES[1:]:
        np.testing.assert_allclose(offsets[name], T_POSE[I[name]] - T_POSE[PARENTS[I[name]]], atol=1e-6)
    assert offsets["right_ankle_End"][2] > 0.1  # the feet point forward
    assert offsets["head_End"][1] > 0 and offsets["left_wrist_End"][0] > 0 and offsets["right_wrist_End"][0] < 0


def test_layout_for_blender_and_channels(tmp_path: Path) -> None:
    path = write_bvh(tmp_path / "a.bvh", rigid_motion(3), fps=30)
    bvh = parse_bvh(path)
    joints = [name for name in bvh.skeleton.names if not name.endswith("_End")]
    assert joints == list(JOINT_NAMES)  # hierarchy order = h2ot's order
    assert [n for n in bvh.skeleton.names if n.endswith("_End")] == [
        "right_ankle_End", "left_ankle_End", "head_End", "left_wrist_End", "right_wrist_End"]
    assert bvh.skeleton.channels[0] == ("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation")
    for name, channels in zip(bvh.skeleton.names[1:], bvh.skeleton.channels[1:], strict=True):
        assert channels == (() if name.endswith("_End") else ("Zrotation", "Xrotation", "Yrotation"))
    lines = [line.strip() for line in path.read_text().splitlines()]
    # Blender's importer reads a joint's "{", OFFSET and CHANNELS from the three lines after its name.
    for k, line in enumerate(lines):
        if line.startswith(("ROOT", "JOINT")):
            assert lines[k + 1] == "{" and lines[k + 2].startswith("OFFSET") and lines[k + 3].startswith("CHANNELS")
        if line == "End Site":
            assert lines[k + 1] == "{" and lines[k + 2].startswith("OFFSET") and lines[k + 3] == "}"
    motion = lines.index("MOTION")
    assert lines[motion + 1] == "Frames: 3" and lines[motion + 2] == "Frame Time: 0.03333333"
    assert len(lines[motion + 3].split()) == 6 + 16 * 3
    leaves = [6 + 3 * (I[name] - 1) for name in ("right_ankle", "left_ankle", "head", "left_wrist", "right_wrist")]
    assert not bvh.values[:, np.add.outer(leaves, np.arange(3))].any()  # leaves never turn


def test_knees_turn_as_hinges_in_a_real_walk(tmp_path: Path) -> None:
    poses, fps = filmed(DATA / "bandai-namco/dataset-1/data/dataset-1_walk_normal_001.bvh.gz")
    values = parse_bvh(write_bvh(tmp_path / "walk.bvh", poses, fps)).values
    for knee in ("right_knee", "left_knee"):
        z, x, y = values[:, 6 + 3 * (I[knee] - 1):][:, :3].T
        assert np.ptp(x) > 60 and np.ptp(z) < 10 and np.ptp(y) < 10  # the twist follows the leg's plane


def test_root_translation_moves_the_root(tmp_path: Path) -> None:
    poses = rigid_motion(4)
    shift = np.array([[0.0, 0.0, 3.0], [0.1, 0.0, 3.0], [0.2, -0.1, 3.5], [0.3, 0.0, 4.0]])
    motion = load_bvh(write_bvh(tmp_path / "a.bvh", poses, fps=30, root_translation=shift))
    np.testing.assert_allclose(motion.positions[:, 0], camera_to_y_up(shift), atol=1e-6)
    np.testing.assert_allclose(camera_to_y_up(motion.positions), poses + shift[:, None], atol=1e-5)
    still = load_bvh(write_bvh(tmp_path / "b.bvh", poses, fps=30))
    assert not still.positions[:, 0].any()  # root-relative by default


def test_invalid_frames_hold_the_nearest_valid_pose(tmp_path: Path) -> None:
    poses = rigid_motion(6)
    valid = np.array([False, True, True, False, False, True])
    given = poses.copy()
    given[[0, 3]] = np.nan
    given[4] *= 100  # a wrong pose in an invalid frame changes nothing
    back = read_back(write_bvh(tmp_path / "a.bvh", given, fps=30, valid=valid))
    np.testing.assert_allclose(back, poses[[1, 1, 2, 2, 5, 5]], atol=1e-5)


@pytest.mark.parametrize(("change", "message"), [
    ({"poses": np.zeros((5, 17, 2))}, "must have shape"),
    ({"poses": np.zeros((0, 17, 3))}, "must have shape"),
    ({"fps": -1}, "positive"),
    ({"root_translation": np.zeros((4, 3))}, "4 frames"),
    ({"valid": np.zeros(5, dtype=bool)}, "no frame is marked valid"),
])
def test_bad_input_is_refused(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(H2OTError, match=message):
        write_bvh(tmp_path / "a.bvh", **{"poses": rigid_motion(5), "fps": 30, **change})
    assert not list(tmp_path.iterdir())


def test_nan_and_degenerate_skeletons_are_refused(tmp_path: Path) -> None:
    poses = rigid_motion(5)
    poses[3, 12] = np.nan
    with pytest.raises(H2OTError, match="frame 3"):
        write_bvh(tmp_path / "a.bvh", poses, fps=30)
    with pytest.raises(H2OTError, match="no length"):
        write_bvh(tmp_path / "a.bvh", np.zeros((5, 17, 3)), fps=30)


def test_an_existing_file_is_kept_unless_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "a.bvh"
    path.write_text("mine")
    with pytest.raises(H2OTError, match="overwrite=True"):
        write_bvh(path, rigid_motion(2), fps=30)
    assert path.read_text() == "mine"
    write_bvh(path, rigid_motion(2), fps=30, overwrite=True)
    assert path.read_text().startswith("HIERARCHY") and [p.name for p in tmp_path.iterdir()] == ["a.bvh"]
