"""MPI-INF-3DHP in the MixSTE / P-STMO / MotionAGFormer npz layouts, on small files written here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from h2ot.data import MPI3DHP_TO_H36M, load_3dhp
from h2ot.data.mpi3dhp import MPI3DHP_JOINTS
from h2ot.errors import H2OTError
from h2ot.skeleton import JOINT_NAMES


def arrays(frames: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    three = rng.normal(scale=300, size=(frames, 17, 3)) + np.array([0, 0, 4000])  # mm, camera coordinates
    two = rng.uniform(0, 1000, size=(frames, 17, 2))
    return two, three


@pytest.fixture()
def train_file(tmp_path: Path) -> Path:
    data = {"S1 Seq1": [{"0": dict(zip(("data_2d", "data_3d"), arrays(30, 0), strict=True)),
                         "2": dict(zip(("data_2d", "data_3d"), arrays(30, 1), strict=True))}, 25],
            "S8 Seq2": [{"8": dict(zip(("data_2d", "data_3d"), arrays(20, 2), strict=True))}, 50]}
    np.savez_compressed(tmp_path / "data_train_3dhp.npz", data=data)
    return tmp_path / "data_train_3dhp.npz"


@pytest.fixture()
def test_file(tmp_path: Path) -> Path:
    data = {}
    for k, name in enumerate(("TS1", "TS5")):
        two, three = arrays(40, 10 + k)
        valid = np.ones(40)
        valid[:3] = 0
        data[name] = {"data_2d": two, "data_3d": three, "valid": valid}
    np.savez_compressed(tmp_path / "data_test_3dhp.npz", data=data)
    return tmp_path / "data_test_3dhp.npz"


def test_joint_order_table() -> None:
    assert [MPI3DHP_JOINTS[i] for i in MPI3DHP_TO_H36M] == list(JOINT_NAMES)


def test_training_file(train_file: Path) -> None:
    sequences = load_3dhp(train_file)
    assert [s.name for s in sequences] == ["S1 Seq1/0", "S1 Seq1/2", "S8 Seq2/8"]
    assert [s.fps for s in sequences] == [25.0, 25.0, 50.0]
    two, three = arrays(30, 0)
    seq = sequences[0]
    assert seq.valid is None and seq.meta["split"] == "train"
    metres = three[:, list(MPI3DHP_TO_H36M)] / 1000
    np.testing.assert_allclose(seq.poses, metres - metres[:, :1], atol=1e-6)
    # Head top: 3DHP joint 0 -> h2ot joint 10.
    np.testing.assert_allclose(seq.root, three[:, 14] / 1000, atol=1e-5)
    np.testing.assert_allclose(seq.keypoints[:, 10, :2], two[:, 0] / 2048 * 2 - 1, atol=1e-6)
    assert (seq.keypoints[..., 2] == 1).all()


def test_test_file(test_file: Path) -> None:
    ts1, ts5 = load_3dhp(test_file)
    assert (ts1.name, ts5.name) == ("TS1", "TS5") and (ts1.fps, ts5.fps) == (25.0, 50.0)
    assert ts1.valid.dtype == bool and ts1.valid.sum() == 37 and not ts1.valid[:3].any()
    two, _ = arrays(40, 11)
    pelvis = two[:, 14]
    np.testing.assert_allclose(ts5.keypoints[:, 0, 0], pelvis[:, 0] / 1920 * 2 - 1, atol=1e-6)
    np.testing.assert_allclose(ts5.keypoints[:, 0, 1], pelvis[:, 1] / 1920 * 2 - 1080 / 1920, atol=1e-6)
    assert (ts5.camera.width, ts5.camera.height) == (1920, 1080)
    assert ts1.camera.focal[0] == pytest.approx(1500.17, abs=0.01)


def test_bad_files(tmp_path: Path) -> None:
    np.savez(tmp_path / "a.npz", data={"TS1": {"data_2d": np.zeros((5, 17, 2))}})
    with pytest.raises(H2OTError, match="neither a training entry"):
        load_3dhp(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", data={"TS1": {"data_2d": np.zeros((5, 16, 2)), "data_3d": np.zeros((5, 16, 3)),
                                               "valid": np.ones(5)}})
    with pytest.raises(H2OTError, match=r"TS1 has 2D \[5, 16, 2\]"):
        load_3dhp(tmp_path / "b.npz")
    np.savez(tmp_path / "c.npz", positions_3d={})
    with pytest.raises(H2OTError, match="unknown layout"):
        load_3dhp(tmp_path / "c.npz")
