"""Lift 2D keypoints of any length to 3D with a trained model: the one place the video path and the Python API
call.

    poses = h2ot.lift(keypoints, fps=60, image_size=(1080, 1920))     # [T, 17, 2|3] px -> [T, 17, 3] metres

The steps, each undone on the way out so that every input frame gets exactly one pose:
1. pixels -> the model's normalised screen coordinates (`ScreenCodec`), the confidence kept as the third
   channel when the model takes one;
2. time resampled to the model's frame rate (linear interpolation; skipped when the rates agree);
3. seq2seq models: windows of the model's length, half overlapping, blended with weights that fall towards each
   window's ends (where a window has the least context), so there is no jump at a seam; a sequence shorter than
   one window is padded by repeating its end frames and cropped back. seq2frame models: one window centred on
   every frame, padded the same way at the ends;
4. flip test-time augmentation (on by default): the mirrored input is lifted too, mirrored back and averaged;
5. the 3D resampled back to the input's frame times.

The model runs in PyTorch (the default) or in onnxruntime (`runtime="onnxruntime"`: its ONNX export, cached;
`h2ot.export.runtime`). Both give the same poses (within 2e-5 m); on this project's CPU onnxruntime is not faster
for the lifter's batches of windows (README), so PyTorch stays the default.

Windows go through the model `batch_size` at a time, so memory does not grow with the length beyond the
input and output arrays themselves (about 0.4 kB a frame).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from h2ot.camera import ScreenCodec
from h2ot.data.augment import flip
from h2ot.data.detector_keypoints import KEYPOINTS_2D
from h2ot.errors import H2OTError
from h2ot.hourglass.hourglass import HourglassModel
from h2ot.skeleton import NUM_JOINTS

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_MODEL = "video-tps-tri-mixste-small"


def shipped_models() -> list[str]:
    """The names of the trained models in the project's `models/` folder."""
    if not MODELS_DIR.is_dir():
        return []
    return sorted(p.name for p in MODELS_DIR.iterdir() if (p / "model.pt").is_file())


def resolve_model_path(spec: str | Path | None) -> Path:
    """A shipped model's name (None: the default) or a checkpoint path -> the checkpoint file."""
    spec = DEFAULT_MODEL if spec is None else spec
    path = Path(spec)
    if path.suffix in (".pt", ".pth"):
        if not path.is_file():
            raise H2OTError(f"no checkpoint at {path}; pass an h2ot checkpoint or one of the shipped models: "
                            f"{', '.join(shipped_models()) or 'none found'}")
        return path
    if (MODELS_DIR / str(spec) / "model.pt").is_file():
        return MODELS_DIR / str(spec) / "model.pt"
    raise H2OTError(f"unknown model {str(spec)!r}: pass a checkpoint file (.pt) or one of the shipped models: "
                    f"{', '.join(shipped_models()) or 'none found'} (presets such as 'mixste' are untrained)")


@dataclass
class Lifter:
    """A trained model and what it expects: frame rate, input channels; `__call__` lifts any length."""

    model: HourglassModel
    fps: float
    name: str = ""
    keypoint_definition: str = ""
    flip_test: bool = True
    batch_size: int = 16
    device: str | torch.device = "cpu"
    runtime: str = "torch"  # torch | onnxruntime (`start_runtime` sets it)
    session: Any = field(default=None, repr=False)  # onnxruntime's session, when it runs the model

    @classmethod
    def load(cls, spec: str | Path | HourglassModel | None = None, **options: Any) -> Lifter:
        """From a shipped model's name (None: the default), an h2ot checkpoint, or a model in memory (30 fps
        assumed unless `fps` is given). `runtime`: torch (default) or onnxruntime (see `start_runtime`);
        `budget`: an elastic model's share of frames kept (`HourglassModel.set_budget`)."""
        from h2ot.device import resolve_device

        options["device"] = resolve_device(options.get("device", "cpu"))
        runtime, budget = options.pop("runtime", "torch"), options.pop("budget", None)
        if isinstance(spec, HourglassModel):
            lifter = cls(model=spec.eval().set_budget(budget), fps=float(options.pop("fps", 30.0)), **options)
            return lifter.start_runtime(runtime, None)
        from h2ot.checkpoint import load_checkpoint

        path = resolve_model_path(spec)
        model, payload = load_checkpoint(path)
        model.set_budget(budget)
        data = payload.get("data") or {}
        fps = float(options.pop("fps", None) or data.get("fps") or 30.0)
        definition = str((payload.get("normalisation") or {}).get("keypoints_2d", KEYPOINTS_2D["joints"]))
        name = path.parent.name if path.name == "model.pt" else path.stem
        lifter = cls(model=model, fps=fps, name=name, keypoint_definition=definition, **options)
        return lifter.start_runtime(runtime, path)

    def start_runtime(self, runtime: str, checkpoint: Path | None) -> Lifter:
        """Run the model in `runtime`: torch, or onnxruntime (an error says why where it cannot; the export is cached
        by the `checkpoint` file the model came from, if any). Returns self."""
        from h2ot.export.runtime import cached_session, check_runtime, why_not_onnxruntime

        check_runtime(runtime)
        self.runtime, self.session = "torch", None
        if runtime == "torch":
            return self
        reason = why_not_onnxruntime(self.model, torch.device(self.device), self.flip_test)
        if reason is not None:
            raise H2OTError(f"onnxruntime cannot run the model {self.name or 'given'}: {reason}")
        self.session = cached_session(self.model.eval(), checkpoint, torch.get_num_threads())
        self.runtime = "onnxruntime"
        return self

    @property
    def frames(self) -> int:
        return self.model.frames

    @property
    def in_channels(self) -> int:
        return self.model.backbone.in_channels

    def __call__(self, keypoints: np.ndarray, fps: float, image_size: tuple[float, float] | None = None) -> np.ndarray:
        """2D keypoints `[T, 17, 2|3]` (pixels of an image of `image_size` (width, height), or normalised screen
        coordinates when `image_size` is None; third channel a confidence) at `fps` -> 3D poses `[T, 17, 3]`
        float32, metres, root-relative, camera axes, one per input frame."""
        keypoints = _checked(keypoints, fps)
        screen = keypoints.astype(np.float64)
        if image_size is not None:
            screen = ScreenCodec(*image_size).encode(screen)
        screen = _with_channels(screen, self.in_channels)
        times = np.arange(len(screen)) / fps
        resampled = _resample(screen, times, _model_times(times, self.fps))
        poses = self._lift_resampled(resampled)
        poses = _resample(poses, _model_times(times, self.fps), times)
        poses -= poses[:, :1]
        return poses.astype(np.float32)

    def _lift_resampled(self, x: np.ndarray) -> np.ndarray:
        self.model.eval().to(self.device)
        if self.model.pipeline == "seq2frame":
            return self._lift_centred(x)
        windows, weights = blend_windows(len(x), self.frames)
        total = np.zeros((len(x), NUM_JOINTS, 3))
        norm = np.zeros(len(x))
        for rows, poses in self._predict(x, windows):
            for window, weight, pose in zip(windows[rows], weights[rows], poses, strict=True):
                np.add.at(total, window, pose * weight[:, None, None])
                np.add.at(norm, window, weight)
        return total / norm[:, None, None]

    def _lift_centred(self, x: np.ndarray) -> np.ndarray:
        half = self.frames // 2
        windows = np.clip(np.arange(len(x))[:, None] + np.arange(-half, half + 1), 0, len(x) - 1)
        out = np.zeros((len(x), NUM_JOINTS, 3))
        for rows, poses in self._predict(x, windows):
            out[rows] = poses[:, half]
        return out

    @torch.no_grad()
    def _predict(self, x: np.ndarray, windows: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
        """Yields (rows of `windows`, poses `[n, frames, 17, 3]` at every window frame) `batch_size` at a time."""
        run = self._run_torch if self.session is None else self._run_onnx
        for start in range(0, len(windows), self.batch_size):
            rows = slice(start, start + self.batch_size)
            yield rows, run(x[windows[rows]].astype(np.float32))

    def _run_torch(self, clips: np.ndarray) -> np.ndarray:
        model = self.model
        batch = torch.as_tensor(clips, device=self.device)
        out = model.predict(batch)
        poses = _full_length(out.poses, out.frames, self.frames)
        if self.flip_test:  # seq2frame: the mirrored copy keeps the same frames, as in evaluation
            replay = out.kept if model.pipeline == "seq2frame" else None
            flipped = model.predict(flip(batch), kept=replay)
            poses = (poses + flip(_full_length(flipped.poses, flipped.frames, self.frames))) / 2
        return poses

    def _run_onnx(self, clips: np.ndarray) -> np.ndarray:
        """A window and its mirror in one run of the graph (its batch is dynamic)."""
        from h2ot.export.onnx_metadata import INPUT

        inputs = np.concatenate([clips, flip(clips)]) if self.flip_test else clips
        poses, frames = self.session.run(["poses", "frames"], {INPUT: inputs})
        full = _full_length(poses, frames, self.frames)
        if self.flip_test:
            full = (full[: len(clips)] + flip(full[len(clips):])) / 2
        return full


def _full_length(poses: torch.Tensor | np.ndarray, frames: torch.Tensor | np.ndarray, length: int) -> np.ndarray:
    """Each clip's poses `[B, k, J, 3]` placed at its frames `[B, k]` of a `length`-frame window, in float64.
    seq2seq: every frame, in order. seq2frame: the kept frames (the centre, always kept, is the one read)."""
    if isinstance(poses, torch.Tensor):
        poses, frames = poses.detach().double().cpu().numpy(), frames.cpu().numpy()
    if poses.shape[1] == length:  # every frame, ascending: already in place (seq2seq, the common case)
        return poses.astype(np.float64, copy=False)
    full = np.zeros((len(poses), length, *poses.shape[2:]))
    full[np.arange(len(poses))[:, None], frames] = poses
    return full


def blend_windows(num_frames: int, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Half-overlapping windows `[N, frames]` of frame indices covering `num_frames` (the last one ends at the last
    frame), and the blending weight of each window position `[N, frames]`: a sine bump, highest mid-window, never
    zero. With fewer frames than a window: one window, centred, padded by repeating the end frames; the padding
    weighs 0, so each frame is read at its own position only."""
    bump = np.sin(np.pi * (np.arange(frames) + 0.5) / frames) + 1e-3
    if num_frames <= frames:
        left = (frames - num_frames) // 2
        raw = np.arange(frames) - left
        real = (raw >= 0) & (raw < num_frames)
        return np.clip(raw, 0, num_frames - 1)[None], np.where(real, 1.0, 0.0)[None]
    stride = max(1, frames // 2)
    starts = list(range(0, num_frames - frames + 1, stride))
    if starts[-1] != num_frames - frames:
        starts.append(num_frames - frames)
    windows = np.asarray(starts)[:, None] + np.arange(frames)
    return windows, np.broadcast_to(bump, windows.shape).copy()


def _checked(keypoints: Any, fps: float) -> np.ndarray:
    keypoints = np.asarray(keypoints)
    if keypoints.ndim != 3 or keypoints.shape[1] != NUM_JOINTS or keypoints.shape[2] not in (2, 3):
        raise H2OTError(f"keypoints must have shape [frames, {NUM_JOINTS}, 2 or 3] (Human3.6M order; x, y and an "
                        f"optional confidence), got {list(keypoints.shape)}")
    if len(keypoints) == 0:
        raise H2OTError("the keypoints have no frames")
    if not np.isfinite(keypoints).all():
        raise H2OTError("the keypoints hold NaN or infinite values: fill the missing detections first (the video "
                        "path interpolates short gaps), or drop those frames")
    if not (np.isfinite(fps) and fps > 0):
        raise H2OTError(f"fps must be a positive number, got {fps}")
    return keypoints


def _with_channels(screen: np.ndarray, channels: int) -> np.ndarray:
    """Keep x, y (and the confidence, for a model that takes it; a missing confidence reads 1)."""
    if channels == 2:
        return screen[..., :2]
    if screen.shape[-1] == 2:
        return np.concatenate([screen, np.ones((*screen.shape[:-1], 1))], axis=-1)
    return screen


def _model_times(times: np.ndarray, fps: float) -> np.ndarray:
    """The model's frame times over the span of `times`: every 1 / fps seconds, at least one frame."""
    if len(times) < 2:
        return times.copy()
    count = int(np.floor(times[-1] * fps + 1e-6)) + 1
    return np.arange(count) / fps


def _resample(values: np.ndarray, times: np.ndarray, new_times: np.ndarray) -> np.ndarray:
    """Linear interpolation of `[T, ...]` from `times` to `new_times` (held at the ends)."""
    if len(times) == len(new_times) and np.allclose(times, new_times):
        return values.copy()
    position = np.interp(new_times, times, np.arange(len(times)))
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, len(times) - 1)
    share = (position - low).reshape(-1, *([1] * (values.ndim - 1)))
    return values[low] * (1 - share) + values[high] * share


def lift(keypoints: np.ndarray, fps: float, image_size: tuple[float, float] | None = None,
         model: str | Path | HourglassModel | None = None, **options: Any) -> np.ndarray:
    """Lift 2D keypoints `[T, 17, 2|3]` of any length to 3D poses `[T, 17, 3]` (see the module docstring).

    model: a shipped model's name (None: the default, `DEFAULT_MODEL`), an h2ot checkpoint, or a model.
    options: `flip_test`, `batch_size`, `device`, `runtime`, `budget` (see `Lifter.load`). To lift many
    sequences, build a `Lifter` once."""
    return Lifter.load(model, **options)(keypoints, fps, image_size)
