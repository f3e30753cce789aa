"""h2ot.lifter (`h2ot.lift`, `h2ot.Lifter`): any length in, one pose per frame out; frame rate, windows, flip."""

import numpy as np
import pytest
import torch

import h2ot
from h2ot.camera import ScreenCodec
from h2ot.data.augment import flip
from h2ot.errors import H2OTError
from h2ot.lifter import Lifter, blend_windows, lift, resolve_model_path


def _model(frames=9, **overrides):
    torch.manual_seed(0)
    return h2ot.create_model("mixste", frames=frames, dim=16, mlp_hidden=32, depth=2, num_heads=2, **overrides).eval()


def _walk(frames, seed=0):
    """A smooth 2D motion in pixels of a 640 x 480 image."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(200, 400, (1, 17, 2))
    t = np.arange(frames)[:, None, None]
    return base + 30 * np.sin(t / 7.0 + rng.uniform(0, 6, (1, 17, 2)))


def _reference(model, x):
    """The model's own answer on one window with the flip average, as the lifter must give it."""
    with torch.no_grad():
        x = torch.as_tensor(x, dtype=torch.float32)[None]
        poses = (model(x) + flip(model(flip(x)))) / 2
    poses = poses[0].double().numpy()
    return poses - poses[:, :1]


def test_blend_windows_cover_every_frame_and_end_at_the_last():
    windows, weights = blend_windows(200, 81)
    assert windows.shape == (4, 81) and windows[0, 0] == 0 and windows[-1, -1] == 199
    assert set(windows.ravel()) == set(range(200))
    assert weights.shape == (4, 81) and weights.min() > 0 and weights[0].argmax() == 40
    short, weights = blend_windows(5, 9)
    assert short.tolist() == [[0, 0, 0, 1, 2, 3, 4, 4, 4]]  # padded by the end frames, centred
    assert weights.tolist() == [[0, 0, 1, 1, 1, 1, 1, 0, 0]]  # each real frame read once, at its own place


def test_one_window_at_the_model_rate_is_the_model_itself():
    model = _model()
    pixels = _walk(9)
    screen = ScreenCodec(640, 480).encode(pixels)
    poses = Lifter.load(model, fps=30)(pixels, 30, (640, 480))
    assert poses.shape == (9, 17, 3) and poses.dtype == np.float32
    np.testing.assert_allclose(poses, _reference(model, screen), atol=1e-6)
    assert np.all(poses[:, 0] == 0)


def test_a_short_sequence_is_padded_with_its_end_frames_and_cropped_back():
    model = _model()
    pixels = _walk(4)
    screen = ScreenCodec(640, 480).encode(pixels)
    padded = screen[[0, 0, 0, 1, 2, 3, 3, 3, 3]]
    poses = lift(pixels, 30, (640, 480), model=model)
    np.testing.assert_allclose(poses, _reference(model, padded)[2:6], atol=1e-6)


def test_twice_the_model_rate_is_lifted_at_the_model_rate_and_interpolated_back():
    model = _model()
    pixels = _walk(17)  # 60 fps: the even frames are the model's 9 frames at 30 fps
    at_60 = lift(pixels, 60, (640, 480), model=model)
    at_30 = lift(pixels[::2], 30, (640, 480), model=model)
    np.testing.assert_allclose(at_60[::2], at_30, atol=1e-6)
    np.testing.assert_allclose(at_60[1::2], (at_30[:-1] + at_30[1:]) / 2, atol=1e-6)


def test_long_sequences_blend_overlapping_windows_without_seams():
    model = _model()
    pixels = _walk(40)
    poses = lift(pixels, 30, (640, 480), model=model)
    windows, weights = blend_windows(40, 9)
    screen = ScreenCodec(640, 480).encode(pixels)
    total, norm = np.zeros((40, 17, 3)), np.zeros(40)
    for window, weight in zip(windows, weights, strict=True):
        total[window] += _reference(model, screen[window]) * weight[:, None, None]
        norm[window] += weight
    np.testing.assert_allclose(poses, total / norm[:, None, None], atol=1e-5)


def test_confidence_reaches_a_model_that_takes_it():
    model = _model(in_channels=3)
    pixels = np.concatenate([_walk(9), np.full((9, 17, 1), 0.5)], axis=-1)
    poses = lift(pixels, 30, (640, 480), model=model)
    screen = ScreenCodec(640, 480).encode(pixels)
    np.testing.assert_allclose(poses, _reference(model, screen), atol=1e-6)
    without = lift(pixels[..., :2], 30, (640, 480), model=model)  # a missing confidence reads 1
    assert not np.allclose(poses, without)


def test_seq2frame_models_predict_every_frame_from_a_centred_window():
    torch.manual_seed(0)
    model = h2ot.create_model("mhformer", frames=9, dim=18, mlp_hidden=32, depth=2, num_heads=2, encoder_heads=3,
                              encoder_depth=1, hourglass={"pruner": "tps", "recoverer": None, "schedule": [[1, 5]]})
    model.eval()
    pixels = _walk(12)
    poses = lift(pixels, 30, (640, 480), model=model)
    assert poses.shape == (12, 17, 3) and np.isfinite(poses).all()
    # frame 1: the window of frames -3..5, the first three repeating frame 0; the flipped copy keeps the same frames
    window = torch.as_tensor(ScreenCodec(640, 480).encode(pixels)[[0, 0, 0, 0, 1, 2, 3, 4, 5]], dtype=torch.float32)
    with torch.no_grad():
        out = model.predict(window[None])
        flipped = model.predict(flip(window[None]), kept=out.kept)
    centre = (out.frames[0] == 4).nonzero().item()
    expected = (out.poses[0, centre] + flip(flipped.poses[0, centre])) / 2
    np.testing.assert_allclose(poses[1], (expected - expected[:1]).numpy(), atol=1e-6)


def test_the_default_model_is_shipped_and_lifts():
    assert resolve_model_path(None).is_file()
    poses = lift(_walk(100), 25, (640, 480))
    assert poses.shape == (100, 17, 3)


@pytest.mark.parametrize("keypoints, fps, message", [
    (np.zeros((10, 16, 2)), 30, "shape"),
    (np.zeros((10, 17, 4)), 30, "shape"),
    (np.zeros((0, 17, 2)), 30, "no frames"),
    (np.full((10, 17, 2), np.nan), 30, "NaN"),
    (np.zeros((10, 17, 2)), 0, "fps"),
])
def test_bad_input_is_one_sentence(keypoints, fps, message):
    with pytest.raises(H2OTError, match=message):
        lift(keypoints, fps, model=_model())


def test_unknown_models_name_the_shipped_ones():
    with pytest.raises(H2OTError, match="bandai-mixste-small"):
        resolve_model_path("no-such-model")
    with pytest.raises(H2OTError, match="no checkpoint"):
        resolve_model_path("missing.pt")
