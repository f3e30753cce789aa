"""TRC export: the 17 joints as OpenSim markers (the Track Row Column text of Motion Analysis, as OpenSim's
TRCFileAdapter reads and writes it).

The layout, tab-separated:

    PathFileType  4  (X/Y/Z)  <file name>
    DataRate  CameraRate  NumFrames  NumMarkers  Units  OrigDataRate  OrigDataStartFrame  OrigNumFrames
    <fps>     <fps>       <T>        17          m      <fps>         1                   <T>
    Frame#  Time  pelvis  <tab><tab>  right_hip  ...                   (a name, then two empty columns)
            X1  Y1  Z1  X2  Y2  Z2  ...
    1  0.000000  x y z of each marker ...                                   (frame 1 at time 0)

Markers: the Human3.6M-17 joint names of `h2ot.skeleton.JOINT_NAMES`, in that order. Units: "m" (6 decimals)
or "mm" (3 decimals), 1 micrometre either way. Axes: Y up as OpenSim's ground, world = (x, -y, -z) of the
camera axes (a half turn about the camera's x axis; the camera looks along -Z). Positions are root-relative
(pelvis at 0) unless `root_translation` is given. Frames marked invalid hold "NaN" markers, which OpenSim reads
as missing. (Not empty fields: OpenSim's reader miscounts a row that ends in empty fields.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from h2ot.errors import H2OTError
from h2ot.export.common import camera_to_y_up, check_fps, check_poses, check_target, write_atomically
from h2ot.skeleton import JOINT_NAMES

UNITS = {"m": (1.0, 6), "mm": (1000.0, 3)}  # per unit: the scale from metres, the decimals written
HEADER_KEYS = ("DataRate", "CameraRate", "NumFrames", "NumMarkers", "Units", "OrigDataRate", "OrigDataStartFrame",
               "OrigNumFrames")


def write_trc(
    path: str | Path,
    poses: Any,
    fps: float,
    units: str = "m",
    overwrite: bool = False,
    root_translation: Any = None,
    valid: Any = None,
) -> Path:
    """Write `poses` `[T, 17, 3]` (metres, camera axes, root-relative) as an OpenSim TRC marker file.

    units: "m" or "mm". root_translation: `[T, 3]` metres in camera axes, added to every marker.
    valid: bool `[T]`; the markers of invalid frames are written as NaN (missing)."""
    path = check_target(path, overwrite)
    if units not in UNITS:
        raise H2OTError(f"units must be one of {', '.join(UNITS)}, got {units!r}.")
    poses, valid = check_poses(poses, valid, root_translation)
    fps = check_fps(fps)
    scale, decimals = UNITS[units]
    markers = np.round(camera_to_y_up(poses) * scale, decimals) + 0.0  # + 0.0: no "-0.000"
    frames, count = len(markers), len(JOINT_NAMES)
    rate = f"{fps:.10g}"
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
        "\t".join(HEADER_KEYS),
        "\t".join([rate, rate, str(frames), str(count), units, rate, "1", str(frames)]),
        "\t".join(["Frame#", "Time", "\t\t\t".join(JOINT_NAMES)]),
        "\t\t" + "\t".join(f"{axis}{k}" for k in range(1, count + 1) for axis in "XYZ"),
    ]
    missing = "\t".join(["NaN"] * (3 * count))
    for t in range(frames):
        values = "\t".join(f"{v:.{decimals}f}" for v in markers[t].ravel()) if valid[t] else missing
        lines.append(f"{t + 1}\t{t / fps:.6f}\t{values}")
    return write_atomically(path, ("\n".join(lines) + "\n").encode(), overwrite)


def read_trc(path: str | Path) -> dict[str, Any]:
    """Read a TRC file as written: `positions` `[T, markers, 3]` float64 in the file's units and axes (NaN where a
    marker is missing), `marker_names`, `frames`, `time`, `file_name`, and the header values under their
    names (`DataRate`, `NumFrames`, `Units`, ...; numbers as numbers)."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        raise H2OTError(f"{path}: cannot read the file ({error.strerror}); check the path.") from None
    if len(lines) < 5 or not lines[0].startswith("PathFileType"):
        raise H2OTError(f"{path}: is not a TRC file (no 'PathFileType' header line).")
    keys = lines[1].split()
    values = lines[2].split()
    if tuple(keys) != HEADER_KEYS or len(values) != len(keys):
        raise H2OTError(f"{path}: line 2 and 3 must be the 8 TRC header keys ({' '.join(HEADER_KEYS)}) and their "
                        "values.")
    header: dict[str, Any] = dict(zip(keys, values, strict=True))
    try:
        for key in keys:
            if key != "Units":
                number = float(header[key])
                header[key] = int(number) if key.startswith(("Num", "OrigNum", "OrigDataStart")) else number
    except ValueError:
        raise H2OTError(f"{path}: line 3 holds a header value that is not a number: {lines[2]!r}.") from None
    names = [name for name in lines[3].split("\t")[2:] if name]
    if len(names) != header["NumMarkers"]:
        raise H2OTError(f"{path}: line 4 names {len(names)} markers but NumMarkers is {header['NumMarkers']}.")
    width = 2 + 3 * len(names)
    table = np.full((0, width), np.nan)
    rows = [line.split("\t") for line in lines[5:] if line.strip()]
    for k, row in enumerate(rows):
        if len(row) > width and not "".join(row[width:]).strip():
            del row[width:]  # trailing tabs, as OpenSim writes them
        if len(row) != width:
            raise H2OTError(f"{path}: data row {k + 1} has {len(row)} columns, expected {width}.")
    try:
        if rows:
            table = np.array([[float(v) if v.strip() else np.nan for v in row] for row in rows])
    except ValueError:
        raise H2OTError(f"{path}: a data row holds a value that is not a number.") from None
    return {
        **header,
        "file_name": lines[0].split("\t")[3] if lines[0].count("\t") >= 3 else "",
        "marker_names": names,
        "frames": table[:, 0].astype(int),
        "time": table[:, 1],
        "positions": table[:, 2:].reshape(len(rows), len(names), 3),
    }
