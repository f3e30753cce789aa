"""A 2D detection-noise model: what a keypoint detector does to the true 2D joints.

All sizes are fractions of the person's height in the image (`scale`: the median over frames of the 2D
bounding-box height), so the same model fits any camera and distance. The parts (docs/DATA.md):

- jitter: independent normal noise per frame, joint and axis;
- drift: a slowly wandering offset per joint and axis, an AR(1) process with time constant
  `drift_frames` (its stationary standard deviation is `drift`);
- swaps: now and then a left/right pair of limbs (legs or arms) trades places for a few frames;
- outliers: now and then one joint jumps far away for a few frames;
- confidence: in [0, 1], high where the error is small, with detector-like slack (wrong detections
  keep a middling score);
- self-occlusion (`hidden_share`, for callers that know depth): a limb joint behind its left/right partner
  scores lower though it is found well. MediaPipe does this: on the Pose2Sim balancing take its confidence
  falls about linearly from 0.98 at the partner's depth to about 0.7 (10th percentile 0.4) half a metre
  behind it (`tools/balancing_take.py --visibility`). Without it in training, a lifter reads a hidden limb's
  middling score as a gross error and guesses the limb.

Per-joint factors make extremities (wrists, ankles, head top) noisier than the torso.
`apply(pixels, rng)` is a pure function of its seed, so an evaluation set is exactly reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from h2ot.errors import H2OTError
from h2ot.skeleton import JOINT_INDEX, NUM_JOINTS

# Left/right groups that a swap exchanges together.
_SWAP_GROUPS = (
    (("left_hip", "right_hip"), ("left_knee", "right_knee"), ("left_ankle", "right_ankle")),
    (("left_shoulder", "right_shoulder"), ("left_elbow", "right_elbow"), ("left_wrist", "right_wrist")),
    (("left_knee", "right_knee"), ("left_ankle", "right_ankle")),
    (("left_elbow", "right_elbow"), ("left_wrist", "right_wrist")),
)


def _default_joint_factors() -> tuple[float, ...]:
    factors = dict.fromkeys(JOINT_INDEX, 1.0)
    factors.update(pelvis=0.8, spine=0.8, thorax=0.8, left_hip=1.2, right_hip=1.2, head=1.3,
                   left_wrist=1.5, right_wrist=1.5, left_ankle=1.3, right_ankle=1.3)
    return tuple(factors[name] for name in JOINT_INDEX)


@dataclass(frozen=True)
class DetectionNoise:
    """Parameters of the noise model; sizes are fractions of the person's image height."""

    jitter: float = 0.006
    drift: float = 0.010
    drift_frames: float = 15.0
    swap_rate: float = 0.004  # chance per frame that a swap begins
    swap_frames: tuple[int, int] = (1, 6)  # its length, uniform, inclusive
    outlier_rate: float = 0.002  # chance per frame and joint that an outlier begins
    outlier_frames: tuple[int, int] = (1, 3)
    outlier_size: tuple[float, float] = (0.1, 0.3)
    confidence_scale: float = 0.05  # the error at which confidence has fallen by 1 / e of its range
    confidence_floor: float = 0.3  # a gross error still scores about this much
    confidence_noise: float = 0.03
    occlusion: tuple[float, float] = (0.0, 0.7)  # per clip: the share of confidence a fully hidden joint loses
    occlusion_depth: float = 0.5  # metres behind its partner at which a joint counts as fully hidden
    occlusion_noise: float = 0.1  # per frame and joint, relative
    joint_factors: tuple[float, ...] = field(default_factory=_default_joint_factors)

    def __post_init__(self) -> None:
        if len(self.joint_factors) != NUM_JOINTS:
            raise H2OTError(f"joint_factors needs {NUM_JOINTS} values, got {len(self.joint_factors)}.")

    def apply(self, pixels: np.ndarray, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Clean 2D joints `[T, 17, 2]` (pixels) -> detections `[T, 17, 3]`: noisy x, y and a confidence."""
        pixels = np.asarray(pixels, dtype=np.float64)
        if pixels.ndim != 3 or pixels.shape[1:] != (NUM_JOINTS, 2):
            raise H2OTError(f"noise needs 2D joints of shape [T, {NUM_JOINTS}, 2], got {list(pixels.shape)}.")
        rng = np.random.default_rng(rng)
        frames = pixels.shape[0]
        scale = float(np.median(pixels[..., 1].max(axis=1) - pixels[..., 1].min(axis=1)))
        scale = max(scale, 1.0)
        factors = np.asarray(self.joint_factors)[None, :, None] * scale

        noisy = pixels + rng.normal(0.0, self.jitter, pixels.shape) * factors
        noisy += self._drift(rng, pixels.shape) * factors
        noisy = self._swaps(rng, noisy, frames)
        noisy = self._outliers(rng, noisy, frames, scale)

        error = np.linalg.norm(noisy - pixels, axis=-1) / scale
        falloff = np.exp(-((error / self.confidence_scale) ** 2))
        confidence = self.confidence_floor + (1.0 - self.confidence_floor) * falloff
        confidence += rng.normal(0.0, self.confidence_noise, confidence.shape)
        return np.concatenate([noisy, np.clip(confidence, 0.0, 1.0)[..., None]], axis=-1)

    def hidden_share(self, behind: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The share of its confidence a joint keeps `[T, J]`, given how far (metres) it sits behind its left/right
        partner along the line of sight `behind` `[T, J]` (0 or less: in front, or not a limb joint). One
        strength per call (a person, a camera), drawn from `occlusion`."""
        strength = rng.uniform(*self.occlusion)
        hidden = np.clip(np.asarray(behind, dtype=np.float64) / self.occlusion_depth, 0.0, 1.0)
        wobble = 1.0 + rng.normal(0.0, self.occlusion_noise, hidden.shape)
        return np.clip(1.0 - strength * hidden * wobble, 0.0, 1.0)

    def _drift(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        a = float(np.exp(-1.0 / max(self.drift_frames, 1e-6)))
        steps = rng.normal(0.0, self.drift * np.sqrt(1.0 - a * a), shape)
        steps[0] = rng.normal(0.0, self.drift, shape[1:])  # start in the stationary state
        from scipy.signal import lfilter

        return lfilter([1.0], [1.0, -a], steps, axis=0)  # d[t] = a d[t-1] + e[t]

    def _swaps(self, rng: np.random.Generator, noisy: np.ndarray, frames: int) -> np.ndarray:
        starts = np.flatnonzero(rng.random(frames) < self.swap_rate)
        for start in starts:
            group = _SWAP_GROUPS[rng.integers(len(_SWAP_GROUPS))]
            end = min(frames, start + int(rng.integers(self.swap_frames[0], self.swap_frames[1] + 1)))
            for left, right in group:
                i, j = JOINT_INDEX[left], JOINT_INDEX[right]
                noisy[start:end, [i, j]] = noisy[start:end, [j, i]]
        return noisy

    def _outliers(self, rng: np.random.Generator, noisy: np.ndarray, frames: int, scale: float) -> np.ndarray:
        frame_idx, joint_idx = np.nonzero(rng.random((frames, NUM_JOINTS)) < self.outlier_rate)
        for t, j in zip(frame_idx, joint_idx, strict=True):
            end = min(frames, t + int(rng.integers(self.outlier_frames[0], self.outlier_frames[1] + 1)))
            angle = rng.uniform(0, 2 * np.pi)
            size = rng.uniform(*self.outlier_size) * scale
            noisy[t:end, j] += size * np.array([np.cos(angle), np.sin(angle)])
        return noisy


def clean_detections(pixels: np.ndarray) -> np.ndarray:
    """Ground-truth 2D `[T, 17, 2]` with a confidence channel of ones `[T, 17, 3]`."""
    pixels = np.asarray(pixels)
    return np.concatenate([pixels, np.ones((*pixels.shape[:-1], 1), dtype=pixels.dtype)], axis=-1)
