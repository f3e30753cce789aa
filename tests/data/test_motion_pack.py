"""Motion packs: a BVH folder's clips in one .npz, standing in for the folder."""

from __future__ import annotations

import numpy as np
import pytest
from shared_data import CMU, need

from h2ot.cli import main
from h2ot.data.bvh import Motion
from h2ot.data.info import describe
from h2ot.data.mocap import MocapDataset
from h2ot.data.motion_pack import STEP, is_motion_pack, read_motion_pack, write_motion_pack
from h2ot.data.sources import DataSpec, load_split
from h2ot.errors import H2OTError


@pytest.fixture(scope="module")
def cmu_pack(tmp_path_factory):
    path = tmp_path_factory.mktemp("pack") / "cmu.npz"
    assert main(["data", "pack", str(need(CMU)), "--out", str(path), "--fps", "30"]) == 0
    return path


def test_pack_restores_every_clip_to_a_twentieth_of_a_millimetre(cmu_pack):
    folder = MocapDataset(CMU, fps=30)
    packed = MocapDataset(cmu_pack, fps=30)
    assert is_motion_pack(cmu_pack) and not is_motion_pack(CMU)
    summary, of_folder = describe(cmu_pack), describe(CMU)
    assert summary["kind"] == "motion-pack" and summary["fps"] == 30
    assert summary["clips"] == of_folder["clips"] == 24
    clips_per_split = {name: split["clips"] for name, split in summary["splits"].items()}
    assert clips_per_split == {name: split["clips"] for name, split in of_folder["splits"].items()}
    assert [m.name for m in packed] == [m.name for m in folder]
    assert [m.meta["split"] for m in packed] == [m.meta["split"] for m in folder]
    for a, b in zip(packed, folder, strict=True):
        assert a.positions.shape == b.positions.shape and a.positions.dtype == np.float32
        assert np.abs(a.positions - b.positions).max() <= STEP / 2 + 1e-6
        assert (a.fps, a.units, a.joint_map, a.up_axis, a.meta["source_fps"]) == (
            b.fps, b.units, b.joint_map, b.up_axis, b.meta["source_fps"])
        assert a.path == b.path


def test_a_pack_films_the_same_sequences_as_its_folder(cmu_pack):
    spec = {"fps": 30, "keypoints_2d": "detector", "cameras": "phone", "eval_cameras": "phone", "seed": 3}
    for split in ("train", "test"):
        folder = load_split(DataSpec(source=[{"path": str(CMU), "split": split}], **spec), split)
        packed = load_split(DataSpec(source=[{"path": str(cmu_pack), "split": split}], **spec), split)
        assert len(folder) == len(packed) > 0
        for a, b in zip(packed, folder, strict=True):
            assert a.name == b.name
            # each joint within 0.05 mm per axis, but the cameras are placed from the clip's extent, so they move
            # a little too: well under a millimetre, where detection noise is centimetres
            assert np.abs(a.poses - b.poses).max() < 5 * STEP
            assert np.abs(a.keypoints[..., 2] - b.keypoints[..., 2]).max() < 1e-3  # the same noise draws


def test_exact_values_of_a_small_pack(tmp_path):
    positions = np.arange(2 * 17 * 3, dtype=np.float32).reshape(2, 17, 3) * np.float32(0.01234)
    motion = Motion(positions=positions, fps=30.0, name="a", path="x/a.bvh", units=0.01, joint_map="cmu",
                    meta={"source_fps": 120.0})
    path = write_motion_pack(tmp_path / "one.npz", [motion])
    (back,) = read_motion_pack(path)
    np.testing.assert_allclose(back.positions, np.round(positions / 1e-4) * 1e-4, atol=1e-7)
    assert (back.name, back.path, back.units, back.joint_map, back.meta) == ("a", "x/a.bvh", 0.01, "cmu",
                                                                            {"source_fps": 120.0})


def test_pack_errors_name_the_problem(tmp_path, cmu_pack):
    motion = Motion(positions=np.zeros((3, 17, 3), np.float32), fps=30.0, name="a")
    existing = tmp_path / "taken.npz"
    existing.write_bytes(b"mine")
    with pytest.raises(H2OTError, match="never written over"):
        write_motion_pack(existing, [motion])
    assert existing.read_bytes() == b"mine"
    with pytest.raises(H2OTError, match="several frame rates"):
        write_motion_pack(tmp_path / "b.npz", [motion, Motion(motion.positions, 60.0, "b")])
    bad = Motion(positions=np.full((3, 17, 3), np.nan, np.float32), fps=30.0, name="nan-clip")
    with pytest.raises(H2OTError, match="nan-clip"):
        write_motion_pack(tmp_path / "c.npz", [bad])
    with pytest.raises(H2OTError, match="pack the BVH folder again with --fps 60"):
        read_motion_pack(cmu_pack, fps=60)
    with pytest.raises(H2OTError, match="units, joint_map and drop_first_frame apply to BVH files"):
        MocapDataset(cmu_pack, units="cm")
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, positions_3d=np.zeros(1))
    with pytest.raises(H2OTError, match="not a motion pack"):
        read_motion_pack(foreign)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(cmu_pack.read_bytes()[:5000])
    with pytest.raises(H2OTError, match=r"truncated\.npz"):
        read_motion_pack(truncated)
    assert not list(tmp_path.glob("*.tmp"))


def test_a_clip_beyond_the_stored_range_is_refused(tmp_path):
    far = Motion(positions=np.full((2, 17, 3), 3e5, np.float32), fps=30.0, name="far-clip")  # 300 km
    with pytest.raises(H2OTError, match="far-clip: its positions lie or jump beyond 200 km"):
        write_motion_pack(tmp_path / "far.npz", [far])
    assert not list(tmp_path.iterdir())
