"""2D detector backends: a frame in, the person's keypoints out.

Built in: MediaPipe's BlazePose (`mediapipe==0.10.21`, the last release whose wheel carries the pose model, so it
runs offline; its legacy `solutions.pose` API; install with `pip install h2ot[video]`). It follows one person
through the video (detection on the first frame, then tracking), so its output is one person or none per frame.
Besides the 2D it returns its own 3D (`pose_world_landmarks`): what users get for free, and what h2ot's lifted
3D is compared with (`--compare-mediapipe`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from h2ot.errors import H2OTError


@dataclass(frozen=True)
class BlazePose:
    """One frame's BlazePose-33 landmarks: `keypoints` `[33, 3]` (x px, y px, visibility in [0, 1]) and `world`
    `[33, 3]` (MediaPipe's own 3D: metres, origin between the hips, x right, y down, z away from the camera)."""

    keypoints: np.ndarray
    world: np.ndarray


class MediaPipeDetector:
    """BlazePose in video mode (each frame must follow the previous one). `model_complexity` 1 is the "full"
    model (0 lite, 2 heavy: 2 is not in the wheel and would need a download)."""

    name = "mediapipe-blazepose"

    def __init__(self, model_complexity: int = 1, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5) -> None:
        if model_complexity not in (0, 1):
            raise H2OTError(f"model_complexity must be 0 (lite) or 1 (full), got {model_complexity}: the heavy "
                            "model is not inside the mediapipe wheel")
        try:
            import mediapipe as mp
        except ImportError:
            raise H2OTError("the built-in 2D detector needs MediaPipe: pip install 'h2ot[video]' (or pass 2D "
                            "keypoints from another detector with --keypoints)") from None
        self.model_complexity = model_complexity
        self._frames = 0
        with _native_stderr_silenced():
            self._pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=model_complexity,
                                                min_detection_confidence=min_detection_confidence,
                                                min_tracking_confidence=min_tracking_confidence)

    @property
    def description(self) -> str:
        return f"{self.name} (mediapipe 0.10.21 solutions.pose, model_complexity={self.model_complexity})"

    def __call__(self, frame_bgr: np.ndarray) -> BlazePose | None:
        """The person in `frame_bgr` (uint8 `[H, W, 3]`), or None."""
        import cv2

        height, width = frame_bgr.shape[:2]
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        if self._frames < 2:  # the graph starts on the first frames, and logs its start-up notes then
            with _native_stderr_silenced():
                result = self._pose.process(rgb)
        else:
            result = self._pose.process(rgb)
        self._frames += 1
        if result.pose_landmarks is None:
            return None
        image = np.array([(p.x * width, p.y * height, p.visibility) for p in result.pose_landmarks.landmark],
                         dtype=np.float32)
        world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark], dtype=np.float32)
        image[:, 2] = np.clip(image[:, 2], 0.0, 1.0)
        return BlazePose(keypoints=image, world=world)

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> MediaPipeDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Silence what MediaPipe's C++ (TFLite, glog, absl) writes straight to file descriptor 2 while its graph
    starts: a page of notes that are not problems and that environment variables do not turn off. Python
    exceptions still propagate; only the native start-up chatter is dropped."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)
