"""BVH reading: values of the forward kinematics, the real Bandai Namco and CMU files, and broken files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from shared_data import BANDAI, CMU, need

from h2ot.data import load_bvh, parse_bvh
from h2ot.data.bvh import UNITS, forward_kinematics, local_transforms
from h2ot.errors import H2OTError
from h2ot.skeleton import BONES, JOINT_INDEX, bone_lengths, standing_height

TINY = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Chest
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 5 0
    }
  }
}
MOTION
Frames: 3
Frame Time: 0.5
1 2 3 0 0 0 0 0 0
0 0 0 90 0 0 0 0 0
0 0 0 0 0 0 90 90 0
"""

WALK_1 = "dataset-1/data/dataset-1_walk_normal_001.bvh.gz"
# Bones of the 17 that are one rigid segment of the source skeleton (the torso and the clavicles span
# several source joints, which move against each other).
RIGID = [(0, 1), (1, 2), (2, 3), (0, 4), (4, 5), (5, 6), (8, 9), (9, 10), (11, 12), (12, 13), (14, 15), (15, 16)]
# CMU's thorax -> neck spans Neck, Neck1 and Head.
RIGID_CMU = [b for b in RIGID if b != (8, 9)]


def write(path: Path, text: str) -> Path:
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def raw_positions(path: Path) -> tuple[list[str], np.ndarray]:
    bvh = parse_bvh(path)
    positions, _ = forward_kinematics(bvh.skeleton.parents, *local_transforms(bvh))
    return bvh.skeleton.names, positions


# --------------------------------------------------------------------------------------------------
# Kinematics on a file whose answer is known
# --------------------------------------------------------------------------------------------------


def test_tiny_file_forward_kinematics(tmp_path: Path) -> None:
    names, positions = raw_positions(write(tmp_path / "tiny.bvh", TINY))
    assert names == ["Hips", "Chest", "Chest_End"]
    expected = np.array([
        [[1, 2, 3], [1, 12, 3], [1, 17, 3]],  # translation only
        [[0, 0, 0], [-10, 0, 0], [-15, 0, 0]],  # the root turned 90 degrees about z
        # the chest turned by R = Rz(90) Rx(90) (the order listed): (0, 5, 0) -> (0, 0, 5)
        [[0, 0, 0], [0, 10, 0], [0, 10, 5]],
    ], dtype=float)
    np.testing.assert_allclose(positions, expected, atol=1e-12)


def test_gzip_and_plain_text_read_the_same(tmp_path: Path) -> None:
    _, plain = raw_positions(write(tmp_path / "a.bvh", TINY))
    _, zipped = raw_positions(write(tmp_path / "a.bvh.gz", TINY))
    np.testing.assert_array_equal(plain, zipped)


ODD = """HIERARCHY
ROOT Pelvis
{
  OFFSET 1 2 3
  CHANNELS 4 Yposition Xrotation Yrotation Zrotation
  JOINT Back
  {
    OFFSET 0 10 0
    CHANNELS 2 Yrotation Xrotation
    JOINT Arm
    {
      OFFSET 4 1 0
      CHANNELS 7 Zposition Xposition Yrotation Zrotation Xrotation Yposition Zrotation
      End Site
      {
        OFFSET 3 0 1
      }
    }
  }
}
MOTION
Frames: 4
Frame Time: 0.0333333
"""


def reference_positions(path: Path, t: int) -> np.ndarray:
    """Frame t by a plain loop with scipy's Euler angles: the slow, obvious way."""
    from scipy.spatial.transform import Rotation

    bvh = parse_bvh(path)
    sk, row, column = bvh.skeleton, bvh.values[t], 0
    glob_r, glob_p = {}, {}
    for j, chans in enumerate(sk.channels):
        offset, local = sk.offsets[j].copy(), np.eye(3)
        for c in chans:
            if c.endswith("position"):
                offset["XYZ".index(c[0])] = row[column]
            else:  # intrinsic rotations in the order listed: R = R1 R2 ...
                local = local @ Rotation.from_euler(c[0], row[column], degrees=True).as_matrix()
            column += 1
        parent = sk.parents[j]
        glob_r[j] = local if parent < 0 else glob_r[parent] @ local
        glob_p[j] = offset if parent < 0 else glob_r[parent] @ offset + glob_p[parent]
    return np.stack([glob_p[j] for j in range(len(sk.names))])


@pytest.mark.parametrize("source", ["bandai", "cmu", "odd"])
def test_forward_kinematics_matches_a_per_frame_reference(source: str, tmp_path: Path) -> None:
    """Any channel count and rotation order (ZXY, ZYX, mixed), against the reference loop."""
    if source == "odd":
        rng = np.random.default_rng(0)
        rows = "\n".join(" ".join(f"{v:.4f}" for v in rng.uniform(-180, 180, 13)) for _ in range(4))
        path = write(tmp_path / "odd.bvh", ODD + rows + "\n")
    else:
        path = need(BANDAI) / WALK_1 if source == "bandai" else need(CMU) / "07_03.bvh"
    _, positions = raw_positions(path)
    for t in (0, 2, len(positions) - 1):
        np.testing.assert_allclose(positions[t], reference_positions(path, t), atol=1e-9)


# --------------------------------------------------------------------------------------------------
# The real files
# --------------------------------------------------------------------------------------------------


def test_all_bandai_namco_clips_load(bandai) -> None:
    assert len(bandai) == 2675
    assert bandai.num_frames == 362195  # the sum of the files' "Frames:" lines
    for motion in bandai:
        assert motion.positions.shape == (motion.num_frames, 17, 3)
        assert motion.positions.dtype == np.float32
        assert motion.fps == 30.0 and motion.units == 0.01 and motion.joint_map == "bandai-namco"
        assert np.isfinite(motion.positions).all()


def test_bone_lengths_stay_constant_bandai(bandai) -> None:
    rigid = [BONES.index(b) for b in RIGID]
    worst = max(float(bone_lengths(m.positions)[:, rigid].std(axis=0).max()) for m in bandai)
    assert worst < 1e-4
    # The skeleton is shared by all files (NOTICE.md): the thigh is 39.08 cm in every clip.
    thighs = np.array([bone_lengths(m.positions[:1])[0, BONES.index((1, 2))] for m in bandai])
    np.testing.assert_allclose(thighs, 0.390811, atol=1e-5)


def test_bone_lengths_stay_constant_cmu(cmu) -> None:
    rigid = [BONES.index(b) for b in RIGID_CMU]
    for motion in cmu:
        assert bone_lengths(motion.positions)[:, rigid].std(axis=0).max() < 1e-4, motion.name


def test_standing_heights_are_human(bandai, cmu) -> None:
    heights = np.array([standing_height(m.positions) for m in bandai])
    assert heights.min() > 1.4 and heights.max() < 2.1
    np.testing.assert_allclose(np.median(heights), 1.63, atol=0.02)  # one shared skeleton
    for motion in cmu:
        assert 1.4 < standing_height(motion.positions) < 2.1, motion.name


def _walking_side_check(motion) -> float:
    """Fraction of frames where (spine up) x (hip right vector) points the way the subject walks."""
    p = motion.positions.astype(np.float64)
    travel = p[-1, 0] - p[0, 0]
    travel[1] = 0
    up = p[:, JOINT_INDEX["thorax"]] - p[:, JOINT_INDEX["pelvis"]]
    right = p[:, JOINT_INDEX["right_hip"]] - p[:, JOINT_INDEX["left_hip"]]
    forward = np.cross(up, right)
    return float(np.mean(forward @ travel > 0))


def test_left_and_right_are_not_swapped(bandai, cmu) -> None:
    walks = [m for m in bandai if m.meta["content"] == "walk"]
    assert len(walks) > 100
    for motion in walks:
        assert _walking_side_check(motion) > 0.95, motion.name
    for name in ("07_01", "07_02", "09_01"):
        assert _walking_side_check(next(m for m in cmu if m.name == name)) > 0.95, name
    # The named walk goes +z in a Y-up world, so the body's right is -x: the right hip has the smaller x.
    walk = next(m for m in bandai if m.name == "dataset-1_walk_normal_001")
    assert (walk.positions[:, 1, 0] < walk.positions[:, 4, 0]).all()
    assert (walk.positions[:, 16, 0] < walk.positions[:, 13, 0]).mean() > 0.95


def test_units_auto_and_forced() -> None:
    bandai = load_bvh(need(BANDAI) / WALK_1)
    assert bandai.units == UNITS["cm"]
    in_file_units = load_bvh(BANDAI / WALK_1, units="m")
    # Forced metres: everything but the metre-valued head-top rule is 100x larger.
    np.testing.assert_allclose(in_file_units.positions[:, :10], bandai.positions[:, :10] * 100, rtol=1e-5)
    np.testing.assert_allclose(load_bvh(BANDAI / WALK_1, units=0.01).positions, bandai.positions)
    cmu = load_bvh(need(CMU) / "07_01.bvh")
    assert cmu.units == pytest.approx(0.0254 / 0.45)
    with pytest.raises(H2OTError, match="unknown units"):
        load_bvh(CMU / "07_01.bvh", units="furlong")


def test_cmu_tpose_frame_is_dropped() -> None:
    path = need(CMU) / "07_01.bvh"
    kept = load_bvh(path, drop_first_frame=False)
    dropped = load_bvh(path)
    assert kept.num_frames == 317 and dropped.num_frames == 316
    np.testing.assert_array_equal(dropped.positions, kept.positions[1:])
    # Frame 0 is the T-pose: arms stretched out sideways, wrists far apart.
    span = np.linalg.norm(kept.positions[0, 13] - kept.positions[0, 16])
    assert span > 1.2


def test_resampling_cmu_to_30_fps_is_exact_decimation() -> None:
    path = need(CMU) / "09_01.bvh"
    native = load_bvh(path)
    at30 = load_bvh(path, fps=30)
    assert at30.fps == 30.0 and native.fps == 120.0
    assert at30.num_frames == (native.num_frames - 1) // 4 + 1
    np.testing.assert_allclose(at30.positions, native.positions[::4], atol=1e-6)


def test_resampling_to_an_odd_rate_interpolates_rotations() -> None:
    path = need(CMU) / "09_01.bvh"
    native = load_bvh(path)
    at50 = load_bvh(path, fps=50)
    assert at50.num_frames == int((native.num_frames - 1) * 50 / 120) + 1
    np.testing.assert_allclose(at50.positions[0], native.positions[0], atol=1e-6)
    # Frame 5 of 50 fps is frame 12 of 120 fps exactly.
    np.testing.assert_allclose(at50.positions[5], native.positions[12], atol=1e-6)
    rigid = [BONES.index(b) for b in RIGID_CMU]
    lengths = bone_lengths(at50.positions)[:, rigid]
    assert lengths.std(axis=0).max() < 1e-4  # slerp keeps bones rigid; a linear blend would not
    # Between two source frames the pose lies between them.
    between = at50.positions[1]  # t = 2.4 source frames
    a, b = native.positions[2], native.positions[3]
    assert np.linalg.norm(between - (0.6 * a + 0.4 * b), axis=-1).max() < 0.01


# --------------------------------------------------------------------------------------------------
# Broken files
# --------------------------------------------------------------------------------------------------


def _bandai_lines() -> list[str]:
    return gzip.decompress((need(BANDAI) / WALK_1).read_bytes()).decode().splitlines()


def test_cut_short_mid_line(tmp_path: Path) -> None:
    lines = _bandai_lines()
    motion = lines.index("MOTION")
    keep = motion + 3 + 10  # the header and 10 frames, the 10th frame cut in the middle
    text = "\n".join([*lines[: keep - 1], lines[keep - 1][:200]]) + "\n"
    path = write(tmp_path / "cut.bvh.gz", text)
    with pytest.raises(H2OTError) as error:
        load_bvh(path)
    message = str(error.value)
    assert str(path) in message and f"line {keep}:" in message and "cut short" in message


def test_cut_short_between_frames(tmp_path: Path) -> None:
    lines = _bandai_lines()
    keep = lines.index("MOTION") + 3 + 10
    path = write(tmp_path / "cut.bvh", "\n".join(lines[:keep]) + "\n")
    with pytest.raises(H2OTError, match=r"cut\.bvh: line \d+: the MOTION block ends after 10 of 195 frames"):
        load_bvh(path)


def test_cut_short_in_the_hierarchy(tmp_path: Path) -> None:
    path = write(tmp_path / "cut.bvh", "\n".join(_bandai_lines()[:40]) + "\n")
    with pytest.raises(H2OTError, match="ends before its MOTION block"):
        load_bvh(path)


def test_wrong_channel_count_names_the_line(tmp_path: Path) -> None:
    lines = _bandai_lines()
    at = next(i for i, line in enumerate(lines) if "CHANNELS" in line and i > 10)
    lines[at] = lines[at].replace(" Yrotation", "")  # still says 6, lists 5
    path = write(tmp_path / "bad.bvh", "\n".join(lines) + "\n")
    with pytest.raises(H2OTError) as error:
        load_bvh(path)
    assert f"bad.bvh: line {at + 1}: CHANNELS says 6 but lists 5" in str(error.value)


def test_motion_line_with_a_wrong_value_count(tmp_path: Path) -> None:
    lines = _bandai_lines()
    bad = lines.index("MOTION") + 3 + 20
    lines[bad] = lines[bad] + " 0.5"
    path = write(tmp_path / "bad.bvh", "\n".join(lines) + "\n")
    expected = rf"bad\.bvh: line {bad + 1}: frame 20 has 133 values but the CHANNELS declare 132"
    with pytest.raises(H2OTError, match=expected):
        load_bvh(path)


def test_not_a_number_and_not_a_bvh(tmp_path: Path) -> None:
    lines = TINY.splitlines()
    lines[-2] = "0 0 0 90 0 zero 0 0 0"
    with pytest.raises(H2OTError, match=r"line 20: frame 1 holds a value that is not a number"):
        load_bvh(write(tmp_path / "nan.bvh", "\n".join(lines)), joint_map={})
    with pytest.raises(H2OTError, match="expected HIERARCHY"):
        parse_bvh(write(tmp_path / "notes.bvh", "hello\n"))
    with pytest.raises(H2OTError, match=r"no such file|cannot read"):
        parse_bvh(tmp_path / "absent.bvh")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_nan_names_the_file_frame_and_channel(tmp_path: Path, value: str) -> None:
    lines = TINY.splitlines()
    lines[-1] = f"0 0 0 0 0 0 90 {value} 0"  # frame 2, Chest's Xrotation
    with pytest.raises(H2OTError, match=rf"bad\.bvh: line 21: frame 2, channel Xrotation of joint Chest is {value}: "
                                        "repair or cut those frames, or move the file out of the folder"):
        load_bvh(write(tmp_path / "bad.bvh", "\n".join(lines)), joint_map={})


def test_a_cached_clip_with_nan_is_loaded_afresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from humanoid import humanoid_bvh

    from h2ot.data.mocap import MocapDataset, _cache_file, _write_cache

    monkeypatch.setenv("H2OT_CACHE", str(tmp_path / "cache"))
    (tmp_path / "clips").mkdir()
    path = humanoid_bvh(tmp_path / "clips" / "walk.bvh")
    motion = load_bvh(path)
    motion.positions[1, 3] = np.nan
    lines = path.read_text().splitlines()
    lines[-1] = lines[-1].replace(" 0 0 0 ", " nan 0 0 ", 1)
    path.write_text("\n".join(lines) + "\n")
    # what a version that took NaN would have cached for this file
    _write_cache(_cache_file(path, {"units": "auto", "joint_map": None, "fps": None, "drop_first_frame": None}),
                 motion)
    with pytest.raises(H2OTError, match="is nan"):
        MocapDataset(tmp_path / "clips")
