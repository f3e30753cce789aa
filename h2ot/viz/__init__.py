"""Pictures of poses: an MP4 of the video with its 2D and 3D skeletons (`PoseVideoWriter`, `render_frame`), and a
self-contained HTML page that plays the 3D poses in a browser (`write_viewer`).

The video renderer needs OpenCV and imageio-ffmpeg (the `video` extra); it is imported when first used, so the
viewer works without them.
"""

from typing import Any

from h2ot.viz.viewer import write_viewer

__all__ = ["PoseVideoWriter", "render_frame", "write_viewer"]


def __getattr__(name: str) -> Any:
    if name in ("PoseVideoWriter", "render_frame"):
        from h2ot.viz import render

        return getattr(render, name)
    raise AttributeError(f"module 'h2ot.viz' has no attribute {name!r}")
