"""The MP4 of a video's poses: the frame with its 2D skeleton | the 3D skeleton, turning slowly | optionally a
second 3D sequence to compare, drawn with OpenCV and encoded to H.264 (yuv420p, plays in browsers) by the ffmpeg
that imageio-ffmpeg bundles.

Frames go in one at a time and straight on to the encoder, so memory does not grow with the video's length.
The file is written beside the target under a temporary name and renamed when closed: a crash never leaves half
a video under the target's name, and an existing file is replaced only when asked.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import cv2
import numpy as np

from h2ot.errors import H2OTError
from h2ot.export.common import check_fps, publish
from h2ot.skeleton import NUM_JOINTS
from h2ot.viz.draw import (
    BACKGROUND,
    WARNING_COLOR,
    OrbitView,
    draw_floor,
    draw_skeleton_2d,
    draw_skeleton_3d,
    put_label,
)

OUTPUT_HEIGHT = 720  # px: every panel is scaled to this height (less for smaller videos)
MIN_OUTPUT_HEIGHT = 480  # px: smaller videos are scaled up to this, so the 3D panel stays legible
PANEL_ASPECT = 0.8  # width / height of a 3D panel
TURN_SECONDS = 20.0  # one turn of the 3D view about the vertical axis
PRESET = "veryfast"  # x264's speed / size trade-off; measured in the docstring of PoseVideoWriter
CRF = 23  # x264's constant quality (lower is better and bigger)


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def _frame_size(frame_size: Any) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in frame_size)
    except (TypeError, ValueError):
        width = height = 0
    if width <= 0 or height <= 0:
        raise H2OTError(f"frame_size must be the video's (width, height) in pixels, two positive integers; "
                        f"got {frame_size!r}")
    return width, height


def _fit(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`image` resized to `size` (width, height): halved (2 x 2 means) while it is over twice too big, then
    interpolated linearly. As clean as INTER_AREA and five times faster on a 1080 x 1920 frame."""
    while image.shape[0] >= 2 * size[1] and image.shape[1] >= 2 * size[0]:
        image = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


def _pose(value: Any, name: str) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.shape != (NUM_JOINTS, 3):
        raise H2OTError(f"{name} must have shape [{NUM_JOINTS}, 3] (Human3.6M-17 joints), got {list(array.shape)}")
    return array


@dataclass(frozen=True)
class Layout:
    """The output frame: the video panel (the frame scaled to `height`), then `panels` 3D panels side by side."""

    frame_width: int
    frame_height: int
    height: int
    video_width: int
    panel_width: int
    panels: int

    @property
    def width(self) -> int:
        return self.video_width + self.panels * self.panel_width

    @property
    def scale(self) -> tuple[float, float]:
        """Output pixels per video pixel, along x and y (they differ by the rounding to even sizes)."""
        return self.video_width / self.frame_width, self.height / self.frame_height

    @classmethod
    def of(cls, frame_size: tuple[int, int], compare: bool, height: int = OUTPUT_HEIGHT) -> Layout:
        width, frame_height = _frame_size(frame_size)
        out = _even(min(height, max(frame_height, MIN_OUTPUT_HEIGHT)))
        return cls(width, frame_height, out, _even(width * out / frame_height), _even(out * PANEL_ASPECT),
                   2 if compare else 1)


class FrameRenderer:
    """Composes output frames into one reused buffer (copy a frame to keep it)."""

    def __init__(self, frame_size: tuple[int, int], fps: float, title: str = "", compare_label: str | None = None,
                 height: int = OUTPUT_HEIGHT) -> None:
        self.fps = check_fps(fps)
        self.layout = Layout.of(frame_size, compare_label is not None, height)
        self.title = title
        self.compare_label = compare_label
        self.canvas = np.empty((self.layout.height, self.layout.width, 3), dtype=np.uint8)
        self._text_scale = self.layout.height / 720
        # The 3D panels' backgrounds with their labels, drawn once: text is the dearest thing to draw.
        self._backgrounds = []
        for label in [title or "3D pose"] + ([compare_label] if compare_label is not None else []):
            background = np.full((self.layout.height, self.layout.panel_width, 3), BACKGROUND, dtype=np.uint8)
            self._label(background, label)
            self._backgrounds.append(background)

    def azimuth(self, index: int) -> float:
        """The 3D view's azimuth in degrees at frame `index`: one turn per `TURN_SECONDS`."""
        return 360.0 * (index / self.fps) / TURN_SECONDS % 360.0

    def _label(self, image: np.ndarray, text: str, row: int = 0, color: tuple[int, int, int] = (255, 255, 255)) -> None:
        k = self._text_scale
        put_label(image, text, (round(12 * k), round((30 + 28 * row) * k)), 0.6 * k, color)

    def _panel_3d(self, panel: int, pose: np.ndarray | None, view: OrbitView) -> None:
        left = self.layout.video_width + panel * self.layout.panel_width
        image = self.canvas[:, left : left + self.layout.panel_width]
        image[:] = self._backgrounds[panel]
        draw_floor(image, view)
        if pose is not None and np.all(np.isfinite(pose)):
            draw_skeleton_3d(image, pose, view, thickness=max(2, round(3 * self._text_scale)))
        else:
            self._label(image, "no pose", 1, WARNING_COLOR)

    def render(self, index: int, frame_bgr: np.ndarray, keypoints_2d: np.ndarray, pose_3d: np.ndarray, valid: bool,
               compare_3d: np.ndarray | None = None, azimuth_deg: float | None = None) -> np.ndarray:
        """The output frame for video frame `index` (its time sets the view's azimuth unless `azimuth_deg`)."""
        layout = self.layout
        frame = np.asarray(frame_bgr)
        if frame.shape != (layout.frame_height, layout.frame_width, 3) or frame.dtype != np.uint8:
            raise H2OTError(f"frame {index}: expected a BGR uint8 image of {layout.frame_width} x "
                            f"{layout.frame_height} (the frame_size given), got {frame.dtype} {list(frame.shape)}")
        keypoints = _pose(keypoints_2d, "keypoints_2d")
        pose = _pose(pose_3d, "pose_3d")
        if compare_3d is not None:
            if self.compare_label is None:
                raise H2OTError("compare_3d was given, but the writer has no comparison panel; pass compare_label "
                                "when creating it")
            compare_3d = _pose(compare_3d, "compare_3d")

        video = self.canvas[:, : layout.video_width]
        video[:] = _fit(frame, (layout.video_width, layout.height))
        if valid:
            draw_skeleton_2d(video, keypoints, layout.scale, thickness=max(1, round(2 * self._text_scale)))
        else:
            self._label(video, "no person", 1, WARNING_COLOR)
        self._label(video, f"frame {index}  {index / self.fps:.2f} s  {self.fps:g} fps")

        azimuth = self.azimuth(index) if azimuth_deg is None else azimuth_deg
        view = OrbitView(layout.panel_width, layout.height, azimuth_deg=azimuth)
        self._panel_3d(0, pose if valid else None, view)
        if self.compare_label is not None:
            self._panel_3d(1, compare_3d, view)
        return self.canvas


def render_frame(frame_bgr: np.ndarray, keypoints_2d: np.ndarray, pose_3d: np.ndarray, valid: bool = True,
                 compare_3d: np.ndarray | None = None, *, index: int = 0, fps: float = 30.0, title: str = "",
                 compare_label: str | None = None, azimuth_deg: float | None = None,
                 height: int = OUTPUT_HEIGHT) -> np.ndarray:
    """One composited output frame (BGR uint8), as `PoseVideoWriter` writes it; a comparison panel is added when
    `compare_3d` or `compare_label` is given."""
    frame = np.asarray(frame_bgr)
    if frame.ndim != 3:
        raise H2OTError(f"frame_bgr must be a BGR image [height, width, 3], got shape {list(frame.shape)}")
    if compare_3d is not None and compare_label is None:
        compare_label = "compare"
    renderer = FrameRenderer((frame.shape[1], frame.shape[0]), fps, title, compare_label, height)
    return renderer.render(index, frame, keypoints_2d, pose_3d, valid, compare_3d, azimuth_deg).copy()


class _Encoder:
    """H.264 through imageio-ffmpeg's ffmpeg, fed raw BGR frames through a pipe (ffmpeg encodes in its own
    process, so drawing the next frame overlaps encoding this one)."""

    def __init__(self, path: Path, size: tuple[int, int], fps: float) -> None:
        import imageio_ffmpeg

        self._writer = imageio_ffmpeg.write_frames(
            str(path), size, pix_fmt_in="bgr24", pix_fmt_out="yuv420p", fps=fps, codec="libx264", quality=None,
            macro_block_size=2, ffmpeg_log_level="error",
            output_params=["-preset", PRESET, "-crf", str(CRF), "-movflags", "+faststart", "-f", "mp4"])
        self._writer.send(None)

    def write(self, frame: np.ndarray) -> None:
        self._writer.send(frame)

    def close(self) -> None:
        self._writer.close()


class PoseVideoWriter:
    """Streams output frames (see `FrameRenderer`) into an H.264 MP4; a context manager.

    Cost on the project's 2-core CPU, for a 1080 x 1920 video (a 980 x 720 output): drawing 2.5-3 ms a frame,
    x264 "veryfast" 6 ms, both together 7.5-8 ms as they share the cores: twice real time at 60 fps, four times
    at 30 fps, 145 kB per second of video. ("superfast" is 12% faster in all and twice as big.) A comparison
    panel makes it 12 ms.
    If the block ends with an exception, the partial video is deleted and `path` is left as it was.
    """

    def __init__(self, path: str | Path, fps: float, frame_size: tuple[int, int], title: str = "",
                 compare_label: str | None = None, overwrite: bool = False) -> None:
        self.path = Path(path)
        if self.path.suffix.lower() != ".mp4":
            raise H2OTError(f"{self.path}: the video must be an .mp4 file")
        if self.path.exists() and not overwrite:
            raise H2OTError(f"{self.path} already exists; choose another path or pass overwrite=True")
        if self.path.is_dir():
            raise H2OTError(f"{self.path} is a folder; give the path of an .mp4 file")
        self.renderer = FrameRenderer(frame_size, fps, title, compare_label)
        self.frames_written = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=".partial.mp4",
                                             dir=self.path.parent)
        os.close(handle)
        self._temporary: Path | None = Path(temporary)
        layout = self.renderer.layout
        try:
            self._encoder: _Encoder | None = _Encoder(self._temporary, (layout.width, layout.height), fps)
        except BaseException:
            self._temporary.unlink(missing_ok=True)
            raise

    def write(self, frame_bgr: np.ndarray, keypoints_2d: np.ndarray, pose_3d: np.ndarray, valid: bool,
              compare_3d: np.ndarray | None = None) -> None:
        """Add the next video frame with its 2D keypoints `[17, 3]` (x px, y px, confidence), its 3D pose
        `[17, 3]` (metres, root-relative, camera axes), whether a person was found, and optionally a pose to
        compare (same conventions)."""
        if self._encoder is None:
            raise H2OTError(f"{self.path}: the writer is closed; open a new PoseVideoWriter to write more frames")
        canvas = self.renderer.render(self.frames_written, frame_bgr, keypoints_2d, pose_3d, valid, compare_3d)
        try:
            self._encoder.write(canvas)
        except OSError as error:
            self._abort()
            raise H2OTError(f"{self.path}: ffmpeg stopped encoding ({str(error).splitlines()[0]}); check the disk "
                            "space and that the folder is writable") from error
        self.frames_written += 1

    def close(self) -> None:
        """Finish the MP4 and move it to `path`. Closing twice does nothing."""
        if self._encoder is None:
            return
        self._encoder.close()
        self._encoder = None
        temporary, self._temporary = self._temporary, None
        assert temporary is not None
        if self.frames_written == 0 or temporary.stat().st_size == 0:
            temporary.unlink(missing_ok=True)
            raise H2OTError(f"{self.path}: no frame was encoded, so no video was written"
                            + ("" if self.frames_written == 0 else " (ffmpeg failed; see its message above)"))
        publish(temporary, self.path)

    def _abort(self) -> None:
        """Stop ffmpeg and delete the partial video; `path` is left as it was."""
        encoder, self._encoder = self._encoder, None
        if encoder is not None:
            with contextlib.suppress(Exception):
                encoder.close()
        if self._temporary is not None:
            self._temporary.unlink(missing_ok=True)
            self._temporary = None

    def __enter__(self) -> PoseVideoWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self._abort()
