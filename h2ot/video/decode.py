"""Frames from a video file (anything OpenCV's FFmpeg can decode: mp4/h264, avi, mov, webm/VP9, ...) or from a
folder of images, one at a time, so that memory does not grow with the video's length.

A video is opened twice by the pipeline (2D detection, then rendering): `open_video` is cheap and `frames()`
starts from the first frame every time it is called.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from h2ot.errors import H2OTError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
DEFAULT_FOLDER_FPS = 30.0


@dataclass(frozen=True)
class VideoSource:
    """A video file or an image folder: its size, frame rate and (for files, as the container says) length."""

    path: Path
    fps: float
    width: int
    height: int
    frame_count: int  # as the container says (may be approximate for some files), exact for folders
    images: tuple[Path, ...] = ()  # the folder's images, in order; empty for a video file

    @property
    def is_folder(self) -> bool:
        return bool(self.images)

    @property
    def name(self) -> str:
        return self.path.stem if not self.is_folder else self.path.name

    def frames(self) -> Iterator[np.ndarray]:
        """The frames, BGR uint8 `[height, width, 3]`, from the first."""
        import cv2

        if self.is_folder:
            for image in self.images:
                frame = cv2.imread(str(image), cv2.IMREAD_COLOR)
                if frame is None:
                    raise H2OTError(f"{image}: not an image OpenCV can read; remove it from the folder")
                if frame.shape[:2] != (self.height, self.width):
                    raise H2OTError(f"{image}: is {frame.shape[1]} x {frame.shape[0]}, but the folder's first image "
                                    f"is {self.width} x {self.height}; a folder must hold frames of one size")
                yield frame
            return
        capture = cv2.VideoCapture(str(self.path))
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    return
                yield frame
        finally:
            capture.release()


def open_video(path: str | Path, fps: float | None = None) -> VideoSource:
    """Open a video file or an image folder and check that its first frame decodes. `fps` overrides the
    container's rate (and sets a folder's, 30 by default)."""
    import cv2

    path = Path(path)
    if not path.exists():
        raise H2OTError(f"{path}: no such file or folder")
    if fps is not None and not fps > 0:
        raise H2OTError(f"fps must be positive, got {fps}")
    if path.is_dir():
        return _open_folder(path, fps)
    if path.stat().st_size == 0:
        raise H2OTError(f"{path}: the file is empty")
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise H2OTError(f"{path}: not a video OpenCV can open (an unknown container, or not a video at all); "
                            "convert it, e.g. `ffmpeg -i INPUT -c:v libx264 out.mp4`")
        ok, frame = capture.read()
        if not ok or frame is None:
            codec = _fourcc(capture.get(cv2.CAP_PROP_FOURCC))
            named = f": {codec}" if codec else ""
            raise H2OTError(f"{path}: no frame could be decoded (zero frames, or a codec this OpenCV cannot read"
                            f"{named}); convert it, e.g. `ffmpeg -i INPUT -c:v libx264 out.mp4`")
        rate = fps or float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        if not (np.isfinite(rate) and 0 < rate < 1000):
            raise H2OTError(f"{path}: the file states no usable frame rate; pass it with --fps")
        return VideoSource(path=path, fps=rate, width=frame.shape[1], height=frame.shape[0],
                           frame_count=int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
    finally:
        capture.release()


def _open_folder(path: Path, fps: float | None) -> VideoSource:
    import cv2

    images = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=_natural_key)
    if not images:
        raise H2OTError(f"{path}: the folder holds no images ({', '.join(IMAGE_SUFFIXES)})")
    first = cv2.imread(str(images[0]), cv2.IMREAD_COLOR)
    if first is None:
        raise H2OTError(f"{images[0]}: not an image OpenCV can read")
    return VideoSource(path=path, fps=fps or DEFAULT_FOLDER_FPS, width=first.shape[1], height=first.shape[0],
                       frame_count=len(images), images=tuple(images))


def _natural_key(path: Path) -> list[object]:
    """frame2.png before frame10.png."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def _fourcc(value: float) -> str:
    code = int(value)
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return text if text.isprintable() and text.strip() else ""
