"""The way in from a video: frames (`decode`), 2D from MediaPipe (`detect`) or from other detectors' files
(`keypoints`), people across frames (`track`), and the pipeline that lifts them to 3D (`run`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def run(video: str | Path, **options: Any) -> Any:
    """`h2ot.video.pipeline.run`: a video (or image folder) -> 3D poses, files and pictures (imported on first
    use, so that `import h2ot` needs neither OpenCV nor MediaPipe)."""
    from h2ot.video.pipeline import run as run_pipeline

    return run_pipeline(video, **options)
