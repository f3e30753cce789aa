"""The Lifter's runtimes: onnxruntime (the model's cached ONNX export) gives PyTorch's poses; PyTorch is the
default; what onnxruntime cannot run is one sentence."""

from pathlib import Path

import numpy as np
import pytest
import torch

import h2ot
from h2ot.cache import cache_root
from h2ot.errors import H2OTError
from h2ot.keypoint_sets import to_h36m
from h2ot.lifter import Lifter, resolve_model_path

STATIC = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "video-dev" / "pose2sim-static"


def mediapipe_2d() -> tuple[np.ndarray, tuple[float, float]]:
    """MediaPipe's own 2D of a real recording (the static take's front view, 11 frames at 60 fps), Human3.6M 17."""
    take = np.load(STATIC / "reference.npz")
    return to_h36m(take["mp2d_cam01"], "blazepose33"), tuple(float(v) for v in take["cam01_image_size_wh"])


def exports() -> list[Path]:
    folder = cache_root() / "onnx"
    return sorted(folder.glob("*.onnx")) if folder.is_dir() else []


def test_onnxruntime_runs_a_checkpoint_with_pytorchs_poses():
    keypoints, size = mediapipe_2d()
    long = np.concatenate([keypoints] * 30)  # 330 frames: several windows, a partial last batch
    torch_lifter = Lifter.load(None, batch_size=4)
    onnx_lifter = Lifter.load(None, runtime="onnxruntime", batch_size=4)
    assert (torch_lifter.runtime, onnx_lifter.runtime) == ("torch", "onnxruntime")
    for flip_test in (True, False):
        torch_lifter.flip_test = onnx_lifter.flip_test = flip_test
        expected = torch_lifter(long, 60.0, size)
        poses = onnx_lifter(long, 60.0, size)
        assert poses.shape == expected.shape == (330, 17, 3) and poses.dtype == np.float32
        np.testing.assert_allclose(poses, expected, atol=2e-5)  # metres: 0.02 mm
        assert np.abs(expected).max() > 0.3  # a body, not zeros


def test_the_export_is_cached_by_checkpoint_and_remade_when_broken():
    Lifter.load("video-tps-tri-mixste-small", runtime="onnxruntime")
    cached = [f for f in exports() if f.name.startswith("video-tps-tri-mixste-small-")]
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    Lifter.load("video-tps-tri-mixste-small", runtime="onnxruntime")
    assert cached[0].stat().st_mtime_ns == stamp  # read, not exported again
    cached[0].write_bytes(b"not an onnx file")
    keypoints, size = mediapipe_2d()
    lifter = Lifter.load("video-tps-tri-mixste-small", runtime="onnxruntime")
    assert lifter.runtime == "onnxruntime" and cached[0].stat().st_size > 1_000_000
    assert np.isfinite(lifter(keypoints, 60.0, size)).all()


def test_a_pruned_model_runs_in_onnxruntime_at_any_batch(tmp_path):
    checkpoint = resolve_model_path("bandai-tps-tri-mixste-small")
    keypoints, size = mediapipe_2d()
    long = np.concatenate([keypoints] * 12)
    expected = Lifter.load(checkpoint, runtime="torch", batch_size=3)(long, 60.0, size)
    poses = Lifter.load(checkpoint, runtime="onnxruntime", batch_size=3)(long, 60.0, size)
    np.testing.assert_allclose(poses, expected, atol=2e-5)


def _tiny(**overrides) -> h2ot.HourglassModel:
    torch.manual_seed(0)
    return h2ot.create_model("mixste", frames=9, dim=16, mlp_hidden=32, depth=2, num_heads=2, **overrides).eval()


def test_a_model_in_memory_runs_in_either():
    model = _tiny()
    assert Lifter.load(model).runtime == "torch"  # the default
    keypoints, size = mediapipe_2d()
    asked = Lifter.load(model, runtime="onnxruntime")
    assert asked.runtime == "onnxruntime"
    np.testing.assert_allclose(asked(keypoints, 60.0, size), Lifter.load(model)(keypoints, 60.0, size), atol=1e-5)


def test_what_onnxruntime_cannot_run_is_one_sentence():
    seq2frame = _tiny(pipeline="seq2frame", hourglass={"pruner": "tpc", "recoverer": None,
                                                       "schedule": [[1, 5]]})
    with pytest.raises(H2OTError, match="mirrored clip with the frames kept"):
        Lifter.load(seq2frame, runtime="onnxruntime")
    keypoints, size = mediapipe_2d()
    plain = Lifter.load(seq2frame, runtime="onnxruntime", flip_test=False)
    assert plain.runtime == "onnxruntime"
    np.testing.assert_allclose(plain(keypoints, 60.0, size), Lifter.load(seq2frame, flip_test=False)(
        keypoints, 60.0, size), atol=1e-5)
    with pytest.raises(H2OTError, match="unknown runtime 'tensorrt'"):
        Lifter.load(None, runtime="tensorrt")


def test_an_elastic_model_lifts_at_its_budget_in_both_runtimes():
    model = _tiny(hourglass={"pruner": "tps", "recoverer": "tri", "schedule": [[1, 5]], "elastic": True})
    keypoints, size = mediapipe_2d()
    at_third = Lifter.load(model, budget=0.3)(keypoints, 60.0, size)
    np.testing.assert_allclose(Lifter.load(model, budget=0.3, runtime="onnxruntime")(keypoints, 60.0, size),
                               at_third, atol=1e-5)
    assert not np.allclose(Lifter.load(model, budget=None)(keypoints, 60.0, size), at_third, atol=1e-4)
    with pytest.raises(H2OTError, match="a budget needs an elastic model"):
        Lifter.load(None, budget=0.5)
