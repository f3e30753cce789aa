"""The 2D detection-noise model: reproducible, with the statistics its parameters promise."""

from __future__ import annotations

import numpy as np
import pytest

from h2ot.data import DetectionNoise, clean_detections
from h2ot.errors import H2OTError
from h2ot.skeleton import JOINT_INDEX


@pytest.fixture(scope="module")
def pixels() -> np.ndarray:
    """A person 400 px tall, swaying, for 3000 frames."""
    rng = np.random.default_rng(1)
    pose = np.stack([rng.uniform(-60, 60, 17), np.linspace(0, 400, 17)], axis=-1) + np.array([500.0, 300.0])
    t = np.arange(3000)[:, None, None]
    return pose[None] + np.concatenate([20 * np.sin(t / 40), 0 * t], axis=-1)


def test_seeded_and_reproducible(pixels) -> None:
    noise = DetectionNoise()
    a, b, c = noise.apply(pixels, 3), noise.apply(pixels, 3), noise.apply(pixels, 4)
    assert a.shape == (3000, 17, 3)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    np.testing.assert_array_equal(noise.apply(pixels, np.random.default_rng(3)), a)


def test_jitter_and_drift_sizes(pixels) -> None:
    quiet = DetectionNoise(swap_rate=0, outlier_rate=0, joint_factors=(1.0,) * 17)
    error = quiet.apply(pixels, 0)[..., :2] - pixels
    expected = 400 * np.hypot(quiet.jitter, quiet.drift)  # per axis, px
    assert error.std() == pytest.approx(expected, rel=0.15)
    # Drift alone is an AR(1) process: correlation exp(-1 / drift_frames) from one frame to the next.
    drift = DetectionNoise(jitter=0, swap_rate=0, outlier_rate=0).apply(pixels, 0)[..., :2] - pixels
    x = drift[..., 0]
    lag1 = np.mean(x[1:] * x[:-1]) / np.mean(x * x)
    assert lag1 == pytest.approx(np.exp(-1 / 15), abs=0.03)


def test_extremities_are_noisier(pixels) -> None:
    error = np.linalg.norm(DetectionNoise(swap_rate=0, outlier_rate=0).apply(pixels, 0)[..., :2] - pixels, axis=-1)
    assert error[:, JOINT_INDEX["left_wrist"]].mean() > 1.5 * error[:, JOINT_INDEX["pelvis"]].mean()


def test_swaps_exchange_left_and_right(pixels) -> None:
    swaps = DetectionNoise(jitter=0, drift=0, swap_rate=0.05, outlier_rate=0).apply(pixels, 0)
    left, right = JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"]
    swapped = np.all(np.isclose(swaps[:, left, :2], pixels[:, right]), axis=-1)
    assert 0.02 < swapped.mean() < 0.5
    unchanged = np.all(np.isclose(swaps[:, left, :2], pixels[:, left]), axis=-1)
    assert np.all(swapped | unchanged)


def test_outliers_are_large_and_rare(pixels) -> None:
    out = DetectionNoise(jitter=0, drift=0, swap_rate=0, outlier_rate=0.01).apply(pixels, 0)
    error = np.linalg.norm(out[..., :2] - pixels, axis=-1)
    moved = error > 1e-9
    assert 0.005 < moved.mean() < 0.05
    assert error[moved].min() >= 0.1 * 400 - 1e-6 and error.max() <= 2 * 0.3 * 400


def test_confidence_tracks_the_error(pixels) -> None:
    out = DetectionNoise(outlier_rate=0.01).apply(pixels, 0)
    confidence = out[..., 2]
    error = np.linalg.norm(out[..., :2] - pixels, axis=-1)
    assert confidence.min() >= 0 and confidence.max() <= 1
    assert np.corrcoef(confidence.ravel(), error.ravel())[0, 1] < -0.5
    assert confidence[error > 40].mean() < 0.45 < 0.8 < confidence[error < 4].mean()


def test_clean_detections_and_bad_input(pixels) -> None:
    clean = clean_detections(pixels)
    np.testing.assert_array_equal(clean[..., :2], pixels)
    assert (clean[..., 2] == 1).all()
    with pytest.raises(H2OTError, match=r"shape \[T, 17, 2\]"):
        DetectionNoise().apply(pixels[..., :1], 0)
