"""Other detectors' 2D keypoint files, in their real structures, read into per-frame Human3.6M-17 people."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from h2ot.errors import H2OTError, H2OTWarning
from h2ot.keypoint_sets import BODY25_NAMES, to_h36m
from h2ot.video.keypoints import read_keypoints


def _person(count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.uniform(10, 600, (count, 2)), rng.uniform(0.3, 1, (count, 1))], axis=1)


def _alphapose(person: np.ndarray, image_id: str | int, idx: object = None) -> dict:
    x0, y0 = person[:, :2].min(axis=0)
    record = {"image_id": image_id, "category_id": 1, "keypoints": person.reshape(-1).tolist(), "score": 2.9,
              "box": [float(x0), float(y0), 100.0, 300.0]}
    if idx is not None:
        record["idx"] = idx
    return record


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_alphapose_coco_with_track_ids(tmp_path: Path) -> None:
    a, b, c = _person(17, 0), _person(17, 1), _person(17, 2)
    records = [_alphapose(a, "0.jpg", 1), _alphapose(b, "0.jpg", 2), _alphapose(c, "2.jpg", [1])]
    frames = read_keypoints(_write(tmp_path / "alphapose-results.json", records), "coco", num_frames=4)
    assert frames.source == "coco17 (AlphaPose JSON)"
    assert [len(p) for p in frames.people] == [2, 0, 1, 0]
    assert frames.people[0].dtype == np.float32 and frames.people[0].shape == (2, 17, 3)
    np.testing.assert_allclose(frames.people[0][1], to_h36m(b, "coco17"), rtol=1e-6)
    np.testing.assert_allclose(frames.people[2][0], to_h36m(c, "coco17"), rtol=1e-6)
    assert frames.ids is not None
    assert [ids.tolist() for ids in frames.ids] == [[1, 2], [], [1], []]


def test_alphapose_halpe_names_without_numbers_and_untracked_idx(tmp_path: Path) -> None:
    a, b = _person(26, 3), _person(136, 4)  # Halpe-26 and Halpe full body (136): the body is its first 26
    records = [_alphapose(a, "frame_b.png", [0.0]), _alphapose(b, "frame_a.png", [0.0]),
               _alphapose(a, "frame_b.png", [0.0])]
    frames = read_keypoints(_write(tmp_path / "r.json", records), "halpe")
    assert frames.source == "halpe26 (AlphaPose JSON)"
    assert [len(p) for p in frames.people] == [2, 1]  # order of first appearance: frame_b, then frame_a
    np.testing.assert_allclose(frames.people[1][0], to_h36m(b[:26], "halpe26"), rtol=1e-6)
    assert frames.ids is None  # two people with idx 0 in one frame: not track ids


def test_alphapose_frame_numbers_from_names(tmp_path: Path) -> None:
    records = [_alphapose(_person(17, 5), "clip_000012.jpg"), _alphapose(_person(17, 6), "clip_000010.jpg")]
    frames = read_keypoints(_write(tmp_path / "r.json", records), "coco")
    assert [len(p) for p in frames.people] == [0] * 10 + [1, 0, 1]
    assert frames.ids is None


def test_mmpose_inferencer_and_demo_forms(tmp_path: Path) -> None:
    a, b = _person(17, 7), _person(17, 8)

    def instance(person: np.ndarray) -> dict:
        return {"keypoints": person[:, :2].tolist(), "keypoint_scores": person[:, 2].tolist(),
                "bbox": [[10.0, 10.0, 200.0, 500.0]], "bbox_score": 0.97}

    per_frame = [{"frame_id": 0, "instances": [instance(a)]}, {"frame_id": 1, "instances": []},
                 {"frame_id": 2, "instances": [instance(a), instance(b)]}]
    frames = read_keypoints(_write(tmp_path / "video.json", per_frame), "coco")
    assert frames.source == "coco17 (MMPose JSON)" and frames.ids is None
    assert [len(p) for p in frames.people] == [1, 0, 2]
    np.testing.assert_allclose(frames.people[2][1], to_h36m(b, "coco17"), rtol=1e-6)
    # The demo counts frames from 1 and wraps the list.
    demo = {"meta_info": {"dataset_name": "coco"},
            "instance_info": [dict(record, frame_id=record["frame_id"] + 1) for record in per_frame]}
    again = read_keypoints(_write(tmp_path / "results_video.json", demo), "coco")
    for x, y in zip(frames.people, again.people, strict=True):
        np.testing.assert_array_equal(x, y)


def _openpose_frame(folder: Path, number: int, people: list[np.ndarray]) -> None:
    data = {"version": 1.3, "people": [
        {"person_id": [-1], "pose_keypoints_2d": p.reshape(-1).tolist(), "face_keypoints_2d": [],
         "hand_left_keypoints_2d": [], "hand_right_keypoints_2d": []} for p in people]}
    _write(folder / f"video_{number:012d}_keypoints.json", data)


def test_openpose_folder_body25_and_not_found_keypoints(tmp_path: Path) -> None:
    a = _person(25, 9)
    a[BODY25_NAMES.index("left_ear")] = 0.0  # OpenPose's "not found"
    a[BODY25_NAMES.index("right_ear"), :2] = 0.0  # at (0, 0) with a score: not found either
    for number, people in [(0, [a]), (1, []), (2, [a, _person(25, 10)]), (10, [a])]:
        _openpose_frame(tmp_path, number, people)
    frames = read_keypoints(tmp_path, "openpose", num_frames=12)
    assert frames.source == "body25 (OpenPose JSON folder)"
    assert [len(p) for p in frames.people] == [1, 0, 2] + [0] * 7 + [1, 0]
    expected = a.copy()
    expected[BODY25_NAMES.index("right_ear"), 2] = 0.0
    np.testing.assert_allclose(frames.people[10][0], to_h36m(expected, "body25"), rtol=1e-6)
    assert frames.people[0][0, 10, 2] == 0.0  # head top: from the ears, which were not found


def test_openpose_coco18(tmp_path: Path) -> None:
    person = _person(18, 11)
    _openpose_frame(tmp_path, 0, [person])
    frames = read_keypoints(tmp_path, "openpose")
    assert frames.source == "coco18 (OpenPose JSON folder)"
    np.testing.assert_allclose(frames.people[0][0], to_h36m(person, "coco18"), rtol=1e-6)


def test_blazepose_npy_npz_and_json(tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    array = np.concatenate([rng.uniform(10, 700, (3, 33, 3)), rng.uniform(0.5, 1, (3, 33, 1))], axis=-1)
    array[1] = np.nan  # no person in frame 1
    np.save(tmp_path / "pose.npy", array)
    frames = read_keypoints(tmp_path / "pose.npy", "blazepose", num_frames=5)
    assert frames.source == "blazepose33 (BlazePose)"
    assert [len(p) for p in frames.people] == [1, 0, 1, 0, 0]
    np.testing.assert_allclose(frames.people[2][0], to_h36m(array[2][:, [0, 1, 3]], "blazepose33"), rtol=1e-6)
    np.savez(tmp_path / "pose.npz", keypoints=array, fps=np.array(30.0))
    from_npz = read_keypoints(tmp_path / "pose.npz", "blazepose")
    np.testing.assert_array_equal(from_npz.people[2], frames.people[2])
    listed = [None if np.isnan(f).all() else f[:, [0, 1, 3]].tolist() for f in array]
    from_json = read_keypoints(_write(tmp_path / "pose.json", listed), "blazepose")
    np.testing.assert_array_equal(from_json.people[0], frames.people[0])
    assert len(from_json.people[1]) == 0


def test_more_frames_than_the_video_are_dropped(tmp_path: Path) -> None:
    records = [_alphapose(_person(17, 13), f"{t}.jpg") for t in range(4)]
    with pytest.warns(H2OTWarning, match="keypoints for 4 frames, but the video has 3"):
        frames = read_keypoints(_write(tmp_path / "r.json", records), "coco", num_frames=3)
    assert len(frames.people) == 3


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(H2OTError, match=r"missing\.json: no such file or folder"):
        read_keypoints(tmp_path / "missing.json", "coco")
    with pytest.raises(H2OTError, match="unknown keypoint format 'yolo'; pass one of coco, halpe, openpose, blazepose"):
        read_keypoints(tmp_path, "yolo")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(H2OTError, match=r"bad.json: not a JSON file .*pass the JSON file AlphaPose or MMPose"):
        read_keypoints(tmp_path / "bad.json", "coco")
    with pytest.raises(H2OTError, match="expected a list of AlphaPose records"):
        read_keypoints(_write(tmp_path / "dict.json", {"people": []}), "coco")
    body25 = [_alphapose(_person(25, 14), "0.jpg")]
    with pytest.raises(H2OTError, match="has 25 keypoints, but format 'coco' has 17; 25 keypoints fit format "
                                        "'openpose'"):
        read_keypoints(_write(tmp_path / "b25.json", body25), "coco")
    coco = [_alphapose(_person(17, 15), "0.jpg")]
    with pytest.raises(H2OTError, match="has 17 keypoints, but format 'halpe' has 26; 17 keypoints fit format "
                                        "'coco'"):
        read_keypoints(_write(tmp_path / "c.json", coco), "halpe")
    nan = _person(17, 16)
    nan[3, 0] = np.nan
    with pytest.raises(H2OTError, match=r"nan\.json: frame 0 has a keypoint that is NaN"):
        read_keypoints(_write(tmp_path / "nan.json", [_alphapose(nan, "0.jpg")]), "coco")
    with pytest.raises(H2OTError, match="record 0 has no 'keypoints' or 'image_id'"):
        read_keypoints(_write(tmp_path / "norec.json", [{"image_id": "0.jpg"}]), "coco")
    with pytest.raises(H2OTError, match=r"a flat list \[x, y, confidence\] \* K"):
        read_keypoints(_write(tmp_path / "odd.json", [{"image_id": "0.jpg", "keypoints": [1, 2]}]), "coco")
    with pytest.raises(H2OTError, match="format 'openpose' reads a folder"):
        read_keypoints(tmp_path / "c.json", "openpose")
    (tmp_path / "empty").mkdir()
    with pytest.raises(H2OTError, match=r"no \*_keypoints\.json file in this folder"):
        read_keypoints(tmp_path / "empty", "openpose")
    np.save(tmp_path / "norm.npy", np.full((2, 33, 3), 0.5))
    with pytest.raises(H2OTError, match="MediaPipe's normalised coordinates; multiply x by the image width"):
        read_keypoints(tmp_path / "norm.npy", "blazepose")
    np.save(tmp_path / "coco.npy", np.full((2, 17, 3), 50.0))
    with pytest.raises(H2OTError, match="17 keypoints, but format 'blazepose' has 33; 17 keypoints fit format "
                                        "'coco'"):
        read_keypoints(tmp_path / "coco.npy", "blazepose")
