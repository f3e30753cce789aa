"""Human3.6M in the VideoPose3D npz layouts, on small files written here in exactly those layouts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from h2ot.camera import root_relative
from h2ot.data import (
    H36M_TEST_SUBJECTS,
    H36M_TRAIN_SUBJECTS,
    h36m_cameras,
    h36m_sequences,
    load_h36m_2d,
    load_h36m_3d,
)
from h2ot.data.h36m import KEEP_JOINTS
from h2ot.errors import H2OTError
from h2ot.keypoint_sets import COCO_NAMES
from h2ot.skeleton import JOINT_INDEX

UNPICKLED: list[str] = []


class Tripwire:
    """Unpickling it is recorded: proves that unknown arrays are never unpickled."""

    def __setstate__(self, state: dict) -> None:
        UNPICKLED.append("tripwire")


def pose32(frames: int, seed: int) -> np.ndarray:
    """A person near the capture centre (Human3.6M world: metres, Z up); unused joints hold 99."""
    rng = np.random.default_rng(seed)
    poses = np.full((frames, 32, 3), 99.0)
    body = rng.normal(scale=0.25, size=(frames, 17, 3)) + np.array([0.0, 0.0, 1.0])
    poses[:, list(KEEP_JOINTS)] = body
    return poses


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    positions = {"S1": {"Walking": pose32(60, 0), "Directions 1": pose32(40, 1)}, "S9": {"Walking": pose32(50, 2)}}
    np.savez_compressed(tmp_path / "data_3d_h36m.npz", positions_3d=positions)
    detections = {}
    for subject, actions in positions.items():
        detections[subject] = {}
        for action, world in actions.items():
            views = []
            for camera in h36m_cameras(subject):
                pixels = camera.project_world(world[:, list(KEEP_JOINTS)])
                views.append(np.concatenate([pixels, pixels[-2:]]).astype(np.float32))  # 2 frames longer
            detections[subject][action] = views
    detections["S1"]["Directions 1"][0] = None  # a camera without detections
    metadata = {"layout_name": "h36m", "num_joints": 17,
                "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}
    np.savez_compressed(tmp_path / "data_2d_h36m_cpn_ft_h36m_dbb.npz", positions_2d=detections, metadata=metadata)
    return tmp_path / "data_3d_h36m.npz", tmp_path / "data_2d_h36m_cpn_ft_h36m_dbb.npz"


def test_protocol_subjects() -> None:
    assert H36M_TRAIN_SUBJECTS == ("S1", "S5", "S6", "S7", "S8") and H36M_TEST_SUBJECTS == ("S9", "S11")


def test_public_cameras_look_at_the_capture_area() -> None:
    for subject in H36M_TRAIN_SUBJECTS + H36M_TEST_SUBJECTS:
        cameras = h36m_cameras(subject)
        assert [c.name for c in cameras] == ["54138969", "55011271", "58860488", "60457274"]
        for camera in cameras:
            centre = camera.world_to_camera(np.array([0.0, 0.0, 1.0]))
            assert 4.0 < centre[2] < 7.0
            u, v = camera.project(centre)
            assert 0 < u < camera.width and 0 < v < camera.height
            assert camera.rotation[1] @ [0, 0, -1] > 0.9  # image down is world down (Z up)
    s1 = h36m_cameras("S1")[0]
    np.testing.assert_allclose(s1.position, [1.8411070556640625, 4.95528466796875, 1.5634454345703125])
    assert (s1.width, s1.height) == (1000, 1002)
    with pytest.raises(H2OTError, match=r"no Human3\.6M camera parameters for subject 'S2'"):
        h36m_cameras("S2")


def test_3d_file(files) -> None:
    positions = load_h36m_3d(files[0])
    assert set(positions) == {("S1", "Walking"), ("S1", "Directions 1"), ("S9", "Walking")}
    walking = positions[("S1", "Walking")]
    assert walking.shape == (60, 17, 3) and (walking != 99).all()
    np.testing.assert_array_equal(walking, pose32(60, 0)[:, list(KEEP_JOINTS)])


def test_sequences_with_detections(files) -> None:
    sequences = h36m_sequences(*files)
    assert len(sequences) == 4 + 3 + 4  # S1 Directions lacks camera 0
    seq = next(s for s in sequences if s.name == "S9/Walking/58860488")
    assert seq.meta["split"] == "test" and seq.fps == 50.0
    assert seq.keypoints.shape == (50, 17, 2) and seq.poses.shape == (50, 17, 3)  # cut to the 3D length
    camera = h36m_cameras("S9")[2]
    points = camera.world_to_camera(load_h36m_3d(files[0])[("S9", "Walking")])
    np.testing.assert_allclose(seq.poses, root_relative(points), atol=1e-6)
    np.testing.assert_allclose(camera.codec.decode(seq.keypoints.astype(np.float64)), camera.project(points),
                               atol=1e-3)
    train_only = h36m_sequences(*files, subjects=H36M_TRAIN_SUBJECTS)
    assert {s.meta["subject"] for s in train_only} == {"S1"}


def test_sequences_without_detections_use_the_projection(files) -> None:
    sequences = h36m_sequences(files[0])
    assert len(sequences) == 12
    assert sequences[0].keypoints.shape[-1] == 3 and (sequences[0].keypoints[..., 2] == 1).all()


def test_coco_layout_is_converted(tmp_path: Path) -> None:
    coco = np.random.default_rng(0).uniform(100, 900, size=(10, 17, 2))
    np.savez(tmp_path / "data_2d_h36m_detectron_pt_coco.npz", positions_2d={"S1": {"Walking": [coco] * 4}},
             metadata={"layout_name": "coco", "num_joints": 17})
    views = load_h36m_2d(tmp_path / "data_2d_h36m_detectron_pt_coco.npz")[("S1", "Walking")]
    hips = (coco[:, COCO_NAMES.index("left_hip")] + coco[:, COCO_NAMES.index("right_hip")]) / 2
    np.testing.assert_allclose(views[0][:, JOINT_INDEX["pelvis"]], hips)


def test_unknown_layouts_fail_clearly_and_unpickle_nothing(tmp_path: Path) -> None:
    np.savez(tmp_path / "odd.npz", evil=np.array(Tripwire(), dtype=object), poses=np.zeros(3))
    with pytest.raises(H2OTError, match=r"odd\.npz: unknown layout \(arrays: evil, poses\); expected"):
        load_h36m_3d(tmp_path / "odd.npz")
    assert UNPICKLED == []
    np.savez(tmp_path / "bad_shape.npz", positions_3d={"S1": {"Walking": np.zeros((5, 20, 3))}})
    with pytest.raises(H2OTError, match=r"S1/Walking has shape \[5, 20, 3\]"):
        load_h36m_3d(tmp_path / "bad_shape.npz")
    np.savez(tmp_path / "layout.npz", positions_2d={}, metadata={"layout_name": "openpose"})
    with pytest.raises(H2OTError, match="2D layout 'openpose' is not supported"):
        load_h36m_2d(tmp_path / "layout.npz")
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(H2OTError, match=r"not an \.npz file"):
        load_h36m_3d(tmp_path / "text.npz")
