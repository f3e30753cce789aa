"""A self-contained HTML page that plays 3D poses in a browser: orbit controls, play / pause, a time slider.

The page needs no network and no server: three.js (pinned in h2ot/viz/js/package-lock.json, installed by
`make setup`) is inlined as `data:` URLs in an import map, and the poses are embedded as JSON, in millimetres in
the Y-up world of the pictures (x, -y, -z of the camera axes, as in `h2ot.viz.draw`). Frames without a pose
(any coordinate not finite) are stored as null and shown as such.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from h2ot.errors import H2OTError
from h2ot.export.common import check_fps, write_atomically
from h2ot.skeleton import BONES, JOINT_NAMES, LEFT_JOINTS, NUM_JOINTS, RIGHT_JOINTS

TEMPLATE = Path(__file__).with_name("viewer.html")
THREE_DIR = Path(__file__).with_name("js") / "node_modules" / "three"
THREE_FILES = {  # import specifier -> file of the three package
    "three": "build/three.module.min.js",
    "three/build/three.core.min.js": "build/three.core.min.js",
    "three/addons/controls/OrbitControls.js": "examples/jsm/controls/OrbitControls.js",
}
# The colours of h2ot.viz.draw (BGR there) as RGB hex: the person's right side, left side, trunk.
SIDE_COLORS = {"right": "#ff8c00", "left": "#1e96ff", "trunk": "#e1e1e1"}
MAX_REACH_M = 20.0  # no joint of a person lies this far from the pelvis: such poses are not in metres


def _side(joint: int) -> str:
    return "right" if joint in RIGHT_JOINTS else "left" if joint in LEFT_JOINTS else "trunk"


def _data_url(source: str) -> str:
    return "data:text/javascript;base64," + base64.b64encode(source.encode("utf-8")).decode("ascii")


def three_import_map(three_dir: Path | None = None) -> tuple[dict[str, Any], str]:
    """The import map that serves three.js and OrbitControls from `data:` URLs, and three.js's version.

    three.module.min.js imports its core by a relative path, which cannot resolve from a `data:` URL: that one
    import is renamed to a bare specifier that the map serves too."""
    three_dir = THREE_DIR if three_dir is None else three_dir
    missing = [name for name in THREE_FILES.values() if not (three_dir / name).is_file()]
    if missing:
        raise H2OTError(f"three.js is not installed ({three_dir / missing[0]} is missing); run `make setup`, or "
                        "`npm ci --prefix h2ot/viz/js` in the repository")
    sources = {spec: (three_dir / name).read_text(encoding="utf-8") for spec, name in THREE_FILES.items()}
    sources["three"], renamed = re.subn(r"""(["'])\./three\.core\.min\.js\1""", '"three/build/three.core.min.js"',
                                        sources["three"])
    if renamed == 0:
        raise H2OTError(f"{three_dir}: this three.js build does not import ./three.core.min.js as the viewer expects; "
                        "reinstall the pinned version with `npm ci --prefix h2ot/viz/js`")
    version = json.loads((three_dir / "package.json").read_text(encoding="utf-8")).get("version", "?")
    return {"imports": {spec: _data_url(source) for spec, source in sources.items()}}, version


def _frames_mm(poses: Any) -> list[list[int] | None]:
    """Poses `[T, 17, 3]` (metres, camera axes) -> per frame 51 integers (mm, Y-up, root-relative), or None for
    a frame without a pose."""
    array = np.asarray(poses, dtype=np.float64)
    if array.ndim != 3 or array.shape[1:] != (NUM_JOINTS, 3) or array.shape[0] == 0:
        raise H2OTError(f"poses must have shape [frames, {NUM_JOINTS}, 3] (Human3.6M-17 joints, metres) with at least "
                        f"one frame, got {list(array.shape)}")
    finite = np.all(np.isfinite(array), axis=(1, 2))
    if not finite.any():
        raise H2OTError("poses hold no finite frame: there is nothing to show")
    array = array - array[:, :1]  # root-relative, whatever came in: the viewer orbits the pelvis
    reach = float(np.abs(array[finite]).max())
    if reach > MAX_REACH_M:
        raise H2OTError(f"poses reach {reach:.0f} units from the pelvis; give them in metres (millimetres / 1000)")
    millimetres = np.round(np.where(finite[:, None, None], array, 0.0) * [1000.0, -1000.0, -1000.0]).astype(int)
    return [frame.reshape(-1).tolist() if ok else None for frame, ok in zip(millimetres, finite, strict=True)]


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no "</script>" can appear in it)."""
    return json.dumps(value, separators=(",", ":"), default=str).replace("<", "\\u003c")


def write_viewer(path: str | Path, poses: np.ndarray, fps: float, title: str = "",
                 keypoints_meta: dict[str, Any] | None = None, overwrite: bool = False) -> Path:
    """Write ONE HTML file that plays `poses` `[T, 17, 3]` (metres, root-relative, camera axes) at `fps` in any
    browser, offline. `keypoints_meta` (e.g. the video, the detector, the model) is listed beside the title.

    The file is written beside `path` and renamed into place; an existing file is replaced only with
    `overwrite`."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise H2OTError(f"{path} already exists; choose another path or pass overwrite=True")
    if path.is_dir():
        raise H2OTError(f"{path} is a folder; give the path of an .html file")
    rate = check_fps(fps)
    if keypoints_meta is not None and not isinstance(keypoints_meta, dict):
        raise H2OTError(f"keypoints_meta must be a dict of names to values, got {type(keypoints_meta).__name__}")
    frames = _frames_mm(poses)
    import_map, version = three_import_map()
    data = {
        "title": title, "fps": rate, "joints": list(JOINT_NAMES), "bones": [list(b) for b in BONES],
        "sides": [_side(j) for j in range(NUM_JOINTS)], "colors": SIDE_COLORS, "meta": keypoints_meta or {},
        "frames": frames,
    }
    values = {
        "TITLE": html.escape(title or "h2ot 3D poses"),
        "THREE_VERSION": html.escape(version),
        "IMPORTMAP": _script_json(import_map),
        "DATA": _script_json(data),
    }
    page = re.sub(r"__H2OT_([A-Z_]+)__", lambda match: values[match.group(1)], TEMPLATE.read_text(encoding="utf-8"))
    write_atomically(path, page.encode("utf-8"), overwrite=overwrite)
    return path
