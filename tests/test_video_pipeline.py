"""`h2ot video` / `h2ot.video.run` end to end on real recordings: files, values, and bad input."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import h2ot
from h2ot.cli import main
from h2ot.errors import H2OTError
from h2ot.export import load_poses
from h2ot.keypoint_sets import to_h36m
from h2ot.metrics import p_mpjpe

cv2 = pytest.importorskip("cv2")
pytest.importorskip("mediapipe")

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TAKE = SHARED / "video-dev" / "pose2sim-static"
pytestmark = pytest.mark.skipif(not TAKE.exists(), reason=f"the Pose2Sim static take is not at {TAKE}")
QUIET = {"progress": False, "render": False, "viewer": False}


@pytest.fixture(scope="module")
def reference():
    return dict(np.load(TAKE / "reference.npz"))


def p_mpjpe_12(poses: np.ndarray, reference: dict, camera: str) -> float:
    pred = torch.from_numpy(np.asarray(poses, np.float64)[:, reference["h36m_index"]])
    return float(p_mpjpe(pred, torch.from_numpy(reference[f"joints_{camera}_loo"]).double()).mean() * 1000)


@pytest.fixture(scope="module")
def static_run(tmp_path_factory, reference):
    """One full run on the static take's front view (11 frames at 60 fps: shorter than a window)."""
    out = tmp_path_factory.mktemp("run") / "cam04"
    result = h2ot.video.run(TAKE / "cam04.mp4", out=out, bvh=True, trc=True, compare_mediapipe=True, progress=False)
    return result, out


def test_a_run_writes_every_file_with_one_pose_per_video_frame(static_run, reference):
    result, out = static_run
    names = sorted(p.name for p in out.iterdir())
    assert names == ["poses.bvh", "poses.npz", "poses.trc", "summary.json", "video.mp4", "viewer.html"]
    poses = load_poses(out / "poses.npz")
    assert poses["poses_3d"].shape == (11, 17, 3) and poses["poses_3d"].dtype == np.float32
    assert poses["keypoints_2d"].shape == (11, 17, 3) and poses["fps"] == 60
    assert poses["valid"].all() and not poses["interpolated"].any()
    assert poses["meta"]["model"] == "video-tps-tri-mixste-small" and poses["meta"]["image_size"] == [1080, 1920]
    assert poses["meta"]["runtime"] == "torch"  # the default
    assert np.all(poses["poses_3d"][:, 0] == 0)
    # The 2D is MediaPipe's on this video, in pixels: the reference stored MediaPipe's 2D of the same frames
    # (made without landmark smoothing, which the pipeline keeps on: hence a few pixels apart).
    stored = to_h36m(reference["mp2d_cam04"], "blazepose33")
    assert np.abs(poses["keypoints_2d"][..., :2] - stored[..., :2]).max() < 15.0
    assert [row["stage"] for row in result.times.table(11)] == ["decode", "2D", "lift", "write", "render", "viewer",
                                                              "total"]
    assert "a person in 11 (100%)" in result.summary()


def test_the_pipeline_wastes_no_accuracy_on_the_way(static_run, reference):
    """The run's 3D is exactly `h2ot.lift` of its 2D, and as good against the reference as lifting the stored 2D."""
    result, _ = static_run
    person = result.people[0]
    np.testing.assert_array_equal(person.poses_3d, h2ot.lift(person.keypoints_2d, 60, (1080, 1920)))
    ours = p_mpjpe_12(person.poses_3d, reference, "cam04")
    stored = h2ot.lift(to_h36m(reference["mp2d_cam04"], "blazepose33"), 60, (1080, 1920))
    assert abs(ours - p_mpjpe_12(stored, reference, "cam04")) < 3.0
    assert ours < 120


def test_mediapipe_own_3d_is_converted_to_the_same_joints(static_run, reference):
    """MediaPipe's 3D, through the converter, scores what the reference's README says it scores (52.4 mm here)."""
    result, _ = static_run
    compare = result.people[0].compare_3d
    assert compare.shape == (11, 17, 3)
    assert p_mpjpe_12(compare, reference, "cam04") == pytest.approx(52.4, abs=1.5)


def test_fusing_with_mediapipe_writes_the_mean_and_beats_either_on_this_view(static_run, reference, tmp_path):
    """`fuse_mediapipe`: the written 3D is the mean of the lifted 3D and MediaPipe's own (cam04 of the static take:
    52.2 mm against 68.7 (h2ot) and 52.4 (MediaPipe) on 2026-11-26, the project's CPU)."""
    result = h2ot.video.run(TAKE / "cam04.mp4", out=tmp_path / "fused", fuse_mediapipe=True, **QUIET)
    lifted, theirs = static_run[0].people[0].poses_3d, static_run[0].people[0].compare_3d
    fused = result.people[0].poses_3d
    np.testing.assert_allclose(fused, (lifted + theirs) / 2, atol=1e-6)
    assert result.people[0].compare_3d is None  # fused, not drawn beside
    assert load_poses(tmp_path / "fused" / "poses.npz")["meta"]["fused_with_mediapipe"] == 0.5
    scores = [p_mpjpe_12(x, reference, "cam04") for x in (fused, lifted, theirs)]
    assert scores[0] < min(scores[1:])


def test_keypoints_from_a_file_give_the_same_answer_as_lifting_them(tmp_path, reference):
    landmarks = reference["mp2d_cam01"]  # [11, 33, 3]: x px, y px, visibility
    np.save(tmp_path / "blazepose.npy", landmarks)
    result = h2ot.video.run(TAKE / "cam01.mp4", out=tmp_path / "out", keypoints=tmp_path / "blazepose.npy",
                            keypoint_format="blazepose", **QUIET)
    expected = h2ot.lift(to_h36m(landmarks, "blazepose33"), 60, (1088, 1920))
    np.testing.assert_allclose(result.people[0].poses_3d, expected, atol=1e-6)


def test_an_image_folder_is_a_video(tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    capture = cv2.VideoCapture(str(TAKE / "cam02.mp4"))
    for i in range(6):
        ok, frame = capture.read()
        assert ok
        cv2.imwrite(str(frames / f"frame{i}.png"), frame)
    result = h2ot.video.run(frames, out=tmp_path / "out", fps=60, **QUIET)
    assert result.frames == 6 and result.people[0].poses_3d.shape == (6, 17, 3)


def test_an_existing_output_folder_is_refused_and_force_keeps_other_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(H2OTError, match="already exists"):
        h2ot.video.run(TAKE / "cam01.mp4", out=out, **QUIET)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    h2ot.video.run(TAKE / "cam01.mp4", out=out, force=True, **QUIET)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "poses.npz", "summary.json"]
    assert (out / "notes.txt").read_text() == "mine"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left behind


def _write_video(path: Path, frames: int, colour: int = 128) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25, (320, 240))
    for _ in range(frames):
        writer.write(np.full((240, 320, 3), colour, np.uint8))
    writer.release()


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text("not a video at all"), "not a video OpenCV can open|no frame could be decoded"),
    (lambda p: p.write_bytes(b""), "empty"),
    (lambda p: _write_video(p, 0), "not a video OpenCV can open|no frame could be decoded"),
    (lambda p: _write_video(p, 8), "no person was found in any of its 8 frames"),
])
def test_bad_videos_are_one_sentence(tmp_path, make, message):
    video = tmp_path / "input.mp4"
    make(video)
    with pytest.raises(H2OTError, match=message):
        h2ot.video.run(video, out=tmp_path / "out", **QUIET)
    assert not (tmp_path / "out").exists()


def test_bad_arguments_are_one_sentence(tmp_path):
    with pytest.raises(H2OTError, match="no such file"):
        h2ot.video.run(tmp_path / "missing.mp4", **QUIET)
    with pytest.raises(H2OTError, match="holds no images"):
        h2ot.video.run(tmp_path, **QUIET)
    with pytest.raises(H2OTError, match="unknown model"):
        h2ot.video.run(TAKE / "cam01.mp4", out=tmp_path / "o", model="mixste", **QUIET)
    with pytest.raises(H2OTError, match="unknown device 'banana'"):
        h2ot.video.run(TAKE / "cam01.mp4", out=tmp_path / "o", device="banana", **QUIET)
    with pytest.raises(H2OTError, match="needs --keypoint-format"):
        h2ot.video.run(TAKE / "cam01.mp4", out=tmp_path / "o", keypoints=tmp_path / "k.json", **QUIET)
    with pytest.raises(H2OTError, match="--fuse-mediapipe needs MediaPipe's own 3D, which comes with its 2D"):
        h2ot.video.run(TAKE / "cam01.mp4", out=tmp_path / "o", keypoints=tmp_path / "k.json",
                       keypoint_format="coco", fuse_mediapipe=True, **QUIET)
    with pytest.raises(H2OTError, match="fuses the one person MediaPipe follows"):
        h2ot.video.run(TAKE / "cam01.mp4", out=tmp_path / "o", all_people=True, fuse_mediapipe=True, **QUIET)


def test_the_command_prints_a_summary_and_errors_as_one_line(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["video", str(TAKE / "cam01.mp4"), "--out", str(out), "--no-render", "--no-viewer", "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["frames"] == 11 and summary["detected"] == 11 and summary["runtime"] == "torch"
    assert "another definition" not in captured.err  # the default lifter was trained on detector 2D
    assert main(["video", str(TAKE / "cam01.mp4"), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    # A model trained on mocap joint centres is run, with a warning that its 2D is not what a video gives.
    assert main(["video", str(TAKE / "cam01.mp4"), "--out", str(tmp_path / "joints"), "--model", "bandai-mixste-small",
                 "--no-render", "--no-viewer", "--json", "--runtime", "onnxruntime"]) == 0
    captured = capsys.readouterr()
    assert "trained on 2D of another definition" in captured.err
    assert json.loads(captured.out)["runtime"] == "onnxruntime"
