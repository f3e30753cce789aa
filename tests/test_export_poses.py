"""poses.npz: what is written is read back (shapes, values, meta), bad input is refused, nothing is overwritten."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from h2ot.errors import H2OTError
from h2ot.export import load_poses, save_poses
from h2ot.export.poses import FORMAT
from h2ot.skeleton import JOINT_NAMES


def example(frames: int = 6) -> dict:
    rng = np.random.default_rng(0)
    poses = rng.normal(0, 0.3, (frames, 17, 3))
    poses -= poses[:, :1]
    keypoints = np.concatenate([rng.uniform(0, 640, (frames, 17, 2)), rng.uniform(0, 1, (frames, 17, 1))], axis=-1)
    valid = np.ones(frames, dtype=bool)
    valid[2] = False
    return {"poses_3d": poses, "keypoints_2d": keypoints, "valid": valid, "fps": 29.97, "meta": {"model": "m"}}


def test_round_trip_keeps_arrays_and_meta(tmp_path: Path) -> None:
    given = example()
    interpolated = np.zeros(6, dtype=bool)
    interpolated[3] = True
    path = save_poses(tmp_path / "poses.npz", **given, interpolated=interpolated)
    back = load_poses(path)
    assert back["poses_3d"].dtype == np.float32 and back["poses_3d"].shape == (6, 17, 3)
    assert back["keypoints_2d"].dtype == np.float32 and back["keypoints_2d"].shape == (6, 17, 3)
    np.testing.assert_allclose(back["poses_3d"], given["poses_3d"], atol=1e-7)
    np.testing.assert_allclose(back["keypoints_2d"], given["keypoints_2d"], rtol=1e-7)
    assert back["valid"].dtype == bool and back["valid"].tolist() == given["valid"].tolist()
    assert back["interpolated"].tolist() == interpolated.tolist()
    assert back["fps"] == 29.97 and back["joint_names"] == list(JOINT_NAMES)
    assert back["meta"]["model"] == "m" and back["meta"]["format"] == FORMAT
    assert "camera axes" in back["meta"]["conventions"]["poses_3d"]


def test_plain_numpy_reads_it_without_pickle(tmp_path: Path) -> None:
    path = save_poses(tmp_path / "poses.npz", **example())
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == sorted(
            ["poses_3d", "keypoints_2d", "valid", "interpolated", "fps", "joint_names", "meta"])
        assert not npz["interpolated"].any()  # not given: all False
        assert float(npz["fps"]) == 29.97
        assert json.loads(str(npz["meta"]))["format"] == FORMAT


def test_invalid_frames_may_hold_nan_valid_ones_not(tmp_path: Path) -> None:
    given = example()
    given["poses_3d"][2] = np.nan  # frame 2 is invalid
    given["keypoints_2d"][2] = np.nan
    back = load_poses(save_poses(tmp_path / "a.npz", **given))
    assert np.isnan(back["poses_3d"][2]).all() and np.isfinite(back["poses_3d"][[0, 1, 3]]).all()
    given["poses_3d"][4, 7, 1] = np.nan
    with pytest.raises(H2OTError, match="frame 4"):
        save_poses(tmp_path / "b.npz", **given)
    assert not (tmp_path / "b.npz").exists()


@pytest.mark.parametrize(("change", "message"), [
    ({"poses_3d": np.zeros((6, 16, 3))}, "poses_3d must have shape"),
    ({"keypoints_2d": np.zeros((6, 17, 2))}, "keypoints_2d must have shape"),
    ({"keypoints_2d": np.zeros((5, 17, 3))}, "5 frames"),
    ({"valid": np.ones(4, dtype=bool)}, "one flag per frame"),
    ({"valid": np.full(6, 0.5)}, "booleans"),
    ({"fps": 0}, "positive"),
    ({"meta": {"format": "mine"}}, "rename"),
    ({"meta": {"when": object()}}, "JSON"),
])
def test_bad_input_is_refused_in_one_sentence(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(H2OTError, match=message):
        save_poses(tmp_path / "poses.npz", **{**example(), **change})
    assert not list(tmp_path.iterdir())  # nothing written, no temporary left


def test_an_existing_file_is_kept_unless_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "poses.npz"
    path.write_bytes(b"mine")
    with pytest.raises(H2OTError, match="overwrite=True"):
        save_poses(path, **example())
    assert path.read_bytes() == b"mine"
    save_poses(path, **example(), overwrite=True)
    assert load_poses(path)["poses_3d"].shape == (6, 17, 3)
    assert [p.name for p in tmp_path.iterdir()] == ["poses.npz"]


def test_load_refuses_other_files(tmp_path: Path) -> None:
    other = tmp_path / "other.npz"
    np.savez(other, poses_3d=np.zeros((2, 17, 3)))
    with pytest.raises(H2OTError, match="lacks"):
        load_poses(other)
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(H2OTError, match="not an h2ot poses file"):
        load_poses(tmp_path / "text.npz")
    with pytest.raises(H2OTError, match="no such file"):
        load_poses(tmp_path / "absent.npz")
