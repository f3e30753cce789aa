"""The data settings of issue 10: detector 2D, phone cameras, several sources; the defaults give the old data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from humanoid import humanoid_bvh

from h2ot.data import DetectionNoise, load_bvh, mocap_sequences
from h2ot.data.sources import DataSpec, load_split
from h2ot.errors import H2OTError


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("H2OT_CACHE", str(tmp_path / "cache"))


def folder(root: Path, *names: str) -> Path:
    """A folder of humanoid walks (30 frames at 25 fps) under the given clip names."""
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        humanoid_bvh(root / f"{name}.bvh", frames=30)
    return root


def test_defaults_give_the_data_of_before(tmp_path: Path) -> None:
    spec = DataSpec(str(folder(tmp_path / "walks", "walker")))
    assert (spec.keypoints_2d, spec.cameras, spec.eval_cameras) == ("joints", "studio", "rig")
    train, test = load_split(spec, "train"), load_split(spec, "test")
    # Values drawn by the same settings before these options existed (commit ceb8a1a).
    np.testing.assert_allclose(train[0].keypoints[11, 13], [0.11784310638904572, -0.10106576979160309,
                                                            0.9254875183105469], rtol=1e-7)
    np.testing.assert_allclose(train[3].keypoints[29, 3], [0.4327666461467743, 0.24710386991500854,
                                                           0.7889465093612671], rtol=1e-7)
    np.testing.assert_allclose(test[2].keypoints[11, 13], [-0.37201106548309326, -0.1647309511899948,
                                                           0.9382153749465942], rtol=1e-7)
    assert train[0].camera.focal[0] == pytest.approx(1097.857299947537, rel=1e-12)
    assert spec.keypoint_definition() == "mocap joint centres"


def test_detector_2d_with_phone_cameras(tmp_path: Path) -> None:
    spec = DataSpec(str(folder(tmp_path / "walks", "walker")), keypoints_2d="detector", cameras="phone",
                    train_views=3)
    assert spec.keypoint_definition() == "detector keypoints converted by h2ot.keypoint_sets"
    train = load_split(spec, "train")
    assert len(train) == 3 and all(s.camera.name == "phone" for s in train)
    for sequence in train:
        assert sequence.keypoints.shape == (35, 17, 3)
        pixels = sequence.camera.codec.decode(sequence.keypoints.astype(np.float64))
        assert ((pixels[..., 2] >= 0) & (pixels[..., 2] <= 1)).all()
        hips = pixels[:, [1, 4], :2].mean(axis=1)
        np.testing.assert_allclose(pixels[:, 0, :2], hips, atol=1e-3)  # pelvis = mid-hips, as videos give it
    test = load_split(spec, "test")  # evaluation stays on the fixed rig
    assert [s.camera.name for s in test] == ["rig0", "rig1", "rig2", "rig3"]
    phones = load_split(DataSpec(spec.source, keypoints_2d="detector", eval_cameras="phone"), "test")
    assert len(phones) == 4 and all(s.camera.name == "phone" for s in phones)


def test_detector_2d_comes_with_the_same_points_in_3d_as_targets(tmp_path: Path) -> None:
    motion = load_bvh(humanoid_bvh(tmp_path / "m.bvh", frames=30))
    joints = mocap_sequences([motion], "rig", noise=DetectionNoise(), seed=2)
    detector = mocap_sequences([motion], "rig", noise=DetectionNoise(), seed=2, keypoints_2d="detector")
    for a, b in zip(joints, detector, strict=True):
        assert not np.allclose(a.keypoints, b.keypoints)
        # The limbs point where the mocap's do, with the detector body's lengths.
        bones = np.array([(1, 2), (2, 3), (4, 5), (5, 6), (11, 12), (12, 13), (14, 15), (15, 16)])
        vectors = [x.poses[:, bones[:, 1]] - x.poses[:, bones[:, 0]] for x in (a, b)]
        directions = [v / np.linalg.norm(v, axis=-1, keepdims=True) for v in vectors]
        np.testing.assert_allclose(directions[0], directions[1], atol=1e-5)
        assert not np.allclose(np.linalg.norm(vectors[0], axis=-1), np.linalg.norm(vectors[1], axis=-1), atol=0.01)
        assert np.all(b.poses[:, 0] == 0)
    # Without noise, the detector's own joints in 2D are the projections of the 3D targets (one geometry for
    # both). The derived joints are not quite: midpoints in the image are not projected midpoints, and a
    # detector raises the face seen from behind.
    for clean in mocap_sequences([motion], "rig", seed=2, keypoints_2d="detector"):
        pixels = clean.camera.codec.decode(clean.keypoints[..., :2].astype(np.float64))
        projected = clean.camera.project(clean.poses + clean.root[:, None])
        body = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]
        np.testing.assert_allclose(pixels[:, body], projected[:, body], atol=1e-2)
    phones = [mocap_sequences([motion], "phone", views=2, seed=2, keypoints_2d="detector") for _ in range(2)]
    np.testing.assert_array_equal(phones[0][1].keypoints, phones[1][1].keypoints)  # seeded


def test_several_sources_keep_held_out_styles_out_of_training(tmp_path: Path) -> None:
    styles = folder(tmp_path / "bandai", "dataset-1_walk_normal_001", "dataset-1_walk_happy_001",
                    "dataset-1_walk_sad_001")  # Bandai Namco names: train, validation and test styles
    cmu = folder(tmp_path / "cmu", "07_01", "07_02")  # their name hashes: train, test
    extra = folder(tmp_path / "extra", "60_01")
    spec = DataSpec([str(styles), {"path": str(cmu), "split": "train"}, {"path": str(extra), "split": "test"}])

    def clips(split: str) -> set[str]:
        return {s.meta["clip"] for s in load_split(spec, split)}

    assert clips("train") == {"dataset-1_walk_normal_001", "07_01", "07_02"}
    assert clips("validation") == {"dataset-1_walk_happy_001"}
    assert clips("test") == {"dataset-1_walk_sad_001", "60_01"}
    assert len(clips("all")) == 6
    # A plain folder in a list keeps its own split (the name hash), so none of its clips is in two splits.
    plain = DataSpec([str(styles), str(cmu)])
    assert {s.meta["clip"] for s in load_split(plain, "train")} == {"dataset-1_walk_normal_001", "07_01"}
    assert {s.meta["clip"] for s in load_split(plain, "test")} == {"dataset-1_walk_sad_001", "07_02"}
    assert DataSpec.from_dict(spec.to_dict()) == spec


def test_bad_settings(tmp_path: Path) -> None:
    with pytest.raises(H2OTError, match="keypoints_2d must be one of 'joints', 'detector'"):
        DataSpec("x", keypoints_2d="coco")
    with pytest.raises(H2OTError, match="cameras must be one of 'studio', 'phone'"):
        DataSpec.from_dict({"source": "x", "cameras": "webcam"})
    with pytest.raises(H2OTError, match="eval_cameras must be one of 'rig', 'phone'"):
        DataSpec("x", eval_cameras="random")
    with pytest.raises(H2OTError, match="a path or"):
        DataSpec([{"path": "x", "split": "training"}])
    with pytest.raises(H2OTError, match="non-empty list"):
        DataSpec([])
    with pytest.raises(H2OTError, match=r"absent: no such file or folder"):
        load_split(DataSpec([str(tmp_path / "absent")]), "train")
    npz = tmp_path / "data_3d_h36m.npz"
    np.savez(npz, positions_3d=np.zeros(1))
    with pytest.raises(H2OTError, match="BVH folders or files only"):
        load_split(DataSpec([str(folder(tmp_path / "walks", "walker")), str(npz)]), "train")
    with pytest.raises(H2OTError, match="keypoints_2d must be"):
        mocap_sequences([], keypoints_2d="mediapipe")
    with pytest.raises(H2OTError, match="'rig', 'random' or 'phone'"):
        mocap_sequences([], cameras="studio")
