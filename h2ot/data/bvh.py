"""Read BVH motion capture (`.bvh` or gzipped `.bvh.gz`) into Human3.6M-17 joint positions in metres.

The steps of `load_bvh`: parse the hierarchy and the MOTION block -> local rotations and translations per
joint and frame -> (drop an added first frame) -> (resample in time) -> forward kinematics in float64,
vectorised over frames -> pick / derive the 17 joints with a joint map -> scale to metres.

Conventions (docs/DATA.md):
- Any channel count and rotation order per joint. The rotation of a joint is the product of its rotation
  channels in the order listed (channels "Zrotation Xrotation Yrotation" give R = Rz Rx Ry, each a
  right-handed rotation in degrees). Position channels replace the matching components of the OFFSET (for
  the root as for any joint: Bandai Namco joints carry 6 channels).
- An End Site becomes a joint named "<parent>_End" (CMU's head top is "Head_End").
- `Motion.positions` are world coordinates in the file's own axes (BVH is usually Y up), in metres.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from h2ot.errors import H2OTError

_AXES = {"x": 0, "y": 1, "z": 2}


@dataclass
class BvhSkeleton:
    """The HIERARCHY of a BVH file. End Sites are joints without channels, named "<parent>_End"."""

    names: list[str]
    parents: list[int]
    offsets: np.ndarray  # [J, 3] float64, file units
    channels: list[tuple[str, ...]]  # per joint, e.g. ("Xposition", ..., "Zrotation"), as written

    @property
    def num_channels(self) -> int:
        return sum(len(c) for c in self.channels)


@dataclass
class BvhFile:
    """A parsed BVH file: the skeleton, the frame time, and the raw channel values `[T, channels]`."""

    path: str
    skeleton: BvhSkeleton
    frame_time: float
    values: np.ndarray  # [T, C] float64

    @property
    def fps(self) -> float:
        fps = 1.0 / self.frame_time
        return float(round(fps)) if abs(fps - round(fps)) < 1e-2 else fps


@dataclass
class Motion:
    """A clip of Human3.6M-17 joint positions.

    positions: `[T, 17, 3]` float32, metres, world coordinates in the file's own axes (`up_axis` up).
    """

    positions: np.ndarray
    fps: float
    name: str
    path: str = ""
    units: float = 1.0  # metres per file unit that were applied
    joint_map: str = ""
    up_axis: str = "y"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.positions.shape[0])

    @property
    def duration(self) -> float:
        """Seconds."""
        return self.num_frames / self.fps


# --------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------


def read_text(path: str | Path) -> str:
    """The text of a `.bvh` or gzipped file (recognised by its magic bytes, whatever its name)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise H2OTError(f"{path}: cannot read the file ({error.strerror}); check the path.") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise H2OTError(f"{path}: the gzip stream is broken ({error}); re-download the file.") from None
    return raw.decode("utf-8", errors="replace")


def _error(path: str, line: int, message: str) -> H2OTError:
    return H2OTError(f"{path}: line {line}: {message}")


def _floats(path: str, line: int, tokens: list[str], what: str) -> list[float]:
    try:
        return [float(t) for t in tokens]
    except ValueError:
        raise _error(path, line, f"{what} holds a value that is not a number: {' '.join(tokens)!r}.") from None


def _parse_hierarchy(path: str, lines: list[str]) -> tuple[BvhSkeleton, int]:
    """Parse up to the MOTION line; returns the skeleton and the index of the MOTION line."""
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[tuple[str, ...]] = []
    stack: list[int] = []
    pending: int | None = None  # a joint declared, its "{" not yet seen
    seen_hierarchy = False

    for i, line in enumerate(lines):
        tokens = line.split()
        if not tokens:
            continue
        lineno = i + 1
        keyword = tokens[0].upper()
        if keyword == "MOTION":
            if not names:
                raise _error(path, lineno, "MOTION comes before any joint; the HIERARCHY is empty.")
            if stack or pending is not None:
                raise _error(path, lineno, "MOTION comes before the hierarchy is closed (a '}' is missing).")
            return BvhSkeleton(names, parents, np.asarray(offsets, dtype=np.float64), channels), i
        if keyword == "HIERARCHY":
            seen_hierarchy = True
            continue
        if not seen_hierarchy:
            raise _error(path, lineno, f"expected HIERARCHY, found {tokens[0]!r}; is this a BVH file?")
        if keyword in ("ROOT", "JOINT") or (keyword == "END" and len(tokens) > 1 and tokens[1].upper() == "SITE"):
            if pending is not None:
                raise _error(path, lineno, "a joint begins before the previous one opened its '{'.")
            if keyword == "ROOT":
                parent = stack[-1] if stack else -1
            elif not stack:
                raise _error(path, lineno, f"{tokens[0]} outside of any ROOT.")
            else:
                parent = stack[-1]
            if keyword == "END":
                name = f"{names[parent]}_End"
                rest = tokens[2:]
            else:
                body = [t for t in tokens[1:] if t != "{"]
                if not body:
                    raise _error(path, lineno, f"{tokens[0]} has no name.")
                name = " ".join(body)
                rest = tokens[1 + len(body):]
            names.append(name)
            parents.append(parent)
            offsets.append([0.0, 0.0, 0.0])
            channels.append(())
            pending = len(names) - 1
            tokens = rest
            keyword = ""
        # Braces may stand alone or end a line.
        if keyword in ("", "{", "}"):
            for token in tokens:
                if token == "{":
                    if pending is None:
                        raise _error(path, lineno, "'{' without a joint before it.")
                    stack.append(pending)
                    pending = None
                elif token == "}":
                    if not stack:
                        raise _error(path, lineno, "'}' closes nothing.")
                    stack.pop()
                else:
                    raise _error(path, lineno, f"unexpected {token!r}.")
            continue
        if not stack:
            raise _error(path, lineno, f"{tokens[0]} outside of a joint's braces.")
        joint = stack[-1]
        if keyword == "OFFSET":
            if len(tokens) != 4:
                raise _error(path, lineno, f"OFFSET needs 3 numbers, found {len(tokens) - 1}.")
            offsets[joint] = _floats(path, lineno, tokens[1:], "OFFSET")
        elif keyword == "CHANNELS":
            try:
                count = int(tokens[1])
            except (IndexError, ValueError):
                raise _error(path, lineno, "CHANNELS must be followed by a count.") from None
            listed = tokens[2:]
            if count != len(listed):
                raise _error(
                    path, lineno,
                    f"CHANNELS says {count} but lists {len(listed)} channel names ({' '.join(listed)}).",
                )
            for name in listed:
                low = name.lower()
                if len(low) != 9 or low[0] not in _AXES or low[1:] not in ("position", "rotation"):
                    raise _error(path, lineno, f"unknown channel {name!r} (expected e.g. Xposition, Zrotation).")
            channels[joint] = tuple(listed)
        else:
            raise _error(path, lineno, f"unexpected {tokens[0]!r} in the HIERARCHY.")
    raise H2OTError(f"{path}: line {len(lines)}: the file ends before its MOTION block (is it cut short?).")


def _header_value(path: str, lines: list[str], i: int, label: str) -> str:
    if i >= len(lines):
        raise _error(path, i + 1, f"the file ends where '{label}' was expected (is it cut short?).")
    line = lines[i].strip()
    if not line.lower().startswith(label.lower()):
        raise _error(path, i + 1, f"expected '{label}', found {line[:40]!r}.")
    return line[len(label):].strip()


def _motion_error(path: str, lines: list[str], first: int, frames: int, width: int) -> H2OTError:
    """Find the first bad line of a MOTION block (the slow path, taken only when the fast parse fails)."""
    found = 0
    for i in range(first, len(lines)):
        tokens = lines[i].split()
        if not tokens:
            continue
        if len(tokens) != width:
            return _error(
                path, i + 1,
                f"frame {found} has {len(tokens)} values but the CHANNELS declare {width}"
                + (" (the file looks cut short)." if i == len(lines) - 1 or not lines[i + 1].strip() else "."),
            )
        try:
            [float(t) for t in tokens]
        except ValueError:
            return _error(path, i + 1, f"frame {found} holds a value that is not a number.")
        found += 1
    return _error(
        path, len(lines), f"the MOTION block ends after {found} of {frames} frames (the file is cut short)."
    )


def parse_bvh(path: str | Path) -> BvhFile:
    """Parse a BVH file; errors name the file and the line. Rows past "Frames:" are ignored."""
    path = str(path)
    text = read_text(path)
    lines = text.splitlines()
    skeleton, motion_line = _parse_hierarchy(path, lines)
    frames_text = _header_value(path, lines, motion_line + 1, "Frames:")
    time_text = _header_value(path, lines, motion_line + 2, "Frame Time:")
    try:
        frames = int(frames_text)
        frame_time = float(time_text)
    except ValueError:
        raise _error(path, motion_line + 2, "'Frames:' or 'Frame Time:' is not a number.") from None
    if frames < 1 or frame_time <= 0:
        raise _error(path, motion_line + 2, f"needs at least one frame and a positive frame time, "
                     f"found {frames} frames of {frame_time} s.")
    width = skeleton.num_channels
    first = motion_line + 3
    body = lines[first:]
    try:
        values = np.loadtxt(body, dtype=np.float64, ndmin=2) if body else np.zeros((0, width))
    except ValueError:
        raise _motion_error(path, lines, first, frames, width) from None
    if values.shape[0] < frames or (values.shape[0] and values.shape[1] != width):
        raise _motion_error(path, lines, first, frames, width)
    values = values[:frames]
    if not np.isfinite(values).all():
        raise _not_finite_error(path, lines, first, skeleton, values)
    return BvhFile(path, skeleton, frame_time, values)


def _not_finite_error(path: str, lines: list[str], first: int, skeleton: BvhSkeleton, values: np.ndarray) -> H2OTError:
    """Name the first NaN or infinite value of a MOTION block: its frame, line, joint and channel."""
    bad = ~np.isfinite(values)
    frame, column = (int(i) for i in np.argwhere(bad)[0])
    channels = [(joint, channel) for joint, chans in zip(skeleton.names, skeleton.channels, strict=True)
                for channel in chans]
    joint, channel = channels[column]
    line = [i for i in range(first, len(lines)) if lines[i].split()][frame] + 1
    more = f" (and {int(bad.sum()) - 1} more values)" if bad.sum() > 1 else ""
    return _error(path, line, f"frame {frame}, channel {channel} of joint {joint} is {values[frame, column]}{more}: "
                              "repair or cut those frames, or move the file out of the folder.")


# --------------------------------------------------------------------------------------------------
# Kinematics
# --------------------------------------------------------------------------------------------------


def _axis_rotations(axis: int, degrees: np.ndarray) -> np.ndarray:
    """Right-handed rotations about one axis, `[T]` degrees -> `[T, 3, 3]`."""
    angle = np.radians(degrees)
    c, s = np.cos(angle), np.sin(angle)
    out = np.zeros((len(angle), 3, 3))
    a, b = [k for k in range(3) if k != axis]
    out[:, axis, axis] = 1.0
    out[:, a, a] = c
    out[:, b, b] = c
    # about x: (y, z) -> [[c, -s], [s, c]]; about y: (z, x) -> same, i.e. (x, z) -> [[c, s], [-s, c]].
    sign = -1.0 if axis == 1 else 1.0
    out[:, a, b] = -s * sign
    out[:, b, a] = s * sign
    return out


def local_transforms(bvh: BvhFile) -> tuple[np.ndarray, np.ndarray]:
    """Per frame and joint, the local rotation `[T, J, 3, 3]` and translation `[T, J, 3]` (file units)."""
    skeleton, values = bvh.skeleton, bvh.values
    frames, joints = values.shape[0], len(skeleton.names)
    rotations = np.empty((frames, joints, 3, 3))
    rotations[:] = np.eye(3)
    translations = np.broadcast_to(skeleton.offsets, (frames, joints, 3)).copy()
    # Joints that share a rotation order are converted together: order -> (joints, value columns).
    groups: dict[str, tuple[list[int], list[list[int]]]] = {}
    column = 0
    for j, chans in enumerate(skeleton.channels):
        order, columns = "", []
        for name in chans:
            axis, kind = name[0].lower(), name[1:].lower()
            if kind == "position":
                translations[:, j, _AXES[axis]] = values[:, column]
            else:
                order += axis.upper()
                columns.append(column)
            column += 1
        if order:
            members, cols = groups.setdefault(order, ([], []))
            members.append(j)
            cols.append(columns)
    for order, (members, cols) in groups.items():
        angles = values[:, np.asarray(cols)].reshape(-1, len(order))  # [T * n, len(order)]
        matrices = _axis_rotations(_AXES[order[0].lower()], angles[:, 0])
        for k in range(1, len(order)):  # "ZXY" is R = Rz Rx Ry
            matrices = matrices @ _axis_rotations(_AXES[order[k].lower()], angles[:, k])
        rotations[:, members] = matrices.reshape(frames, len(members), 3, 3)
    return rotations, translations


def forward_kinematics(
    parents: list[int], rotations: np.ndarray, translations: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Global positions `[T, J, 3]` and rotations `[T, J, 3, 3]` from local transforms (parents first)."""
    positions = np.empty(translations.shape)
    global_rotations = np.empty(rotations.shape)
    for j, parent in enumerate(parents):
        if parent < 0:
            global_rotations[:, j] = rotations[:, j]
            positions[:, j] = translations[:, j]
        else:
            parent_rotation = global_rotations[:, parent]
            global_rotations[:, j] = parent_rotation @ rotations[:, j]
            positions[:, j] = (parent_rotation @ translations[:, j, :, None])[..., 0] + positions[:, parent]
    return positions, global_rotations


def resample_transforms(
    rotations: np.ndarray, translations: np.ndarray, fps_in: float, fps_out: float
) -> tuple[np.ndarray, np.ndarray]:
    """Resample local transforms from `fps_in` to `fps_out`: rotations by slerp, translations linearly.

    Output frame k is at time k / fps_out, for every such time within the clip. When `fps_in` is a whole
    multiple of `fps_out` the output frames are exactly input frames (plain decimation)."""
    from scipy.spatial.transform import Rotation

    frames, joints = translations.shape[:2]
    count = int(np.floor((frames - 1) * fps_out / fps_in + 1e-9)) + 1
    where = np.arange(count) * (fps_in / fps_out)
    lower = np.minimum(np.floor(where + 1e-9).astype(int), frames - 1)
    weight = np.clip(where - lower, 0.0, 1.0)
    weight[weight < 1e-9] = 0.0
    upper = np.minimum(lower + 1, frames - 1)
    w = weight[:, None, None]
    new_translations = translations[lower] * (1 - w) + translations[upper] * w
    r0 = Rotation.from_matrix(rotations[lower].reshape(-1, 3, 3))
    r1 = Rotation.from_matrix(rotations[upper].reshape(-1, 3, 3))
    step = (r0.inv() * r1).as_rotvec() * np.repeat(weight, joints)[:, None]
    new_rotations = (r0 * Rotation.from_rotvec(step)).as_matrix().reshape(count, joints, 3, 3)
    exact = weight == 0.0
    new_rotations[exact] = rotations[lower[exact]]
    return new_rotations, new_translations


# --------------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------------

# Metres per file unit. "cmu": the CMU ASF convention (1 unit = 1 / 0.45 inch), kept by the cgspeed /
# Hahne BVH conversion.
UNITS: dict[str, float] = {"m": 1.0, "cm": 0.01, "mm": 0.001, "inch": 0.0254, "cmu": 0.0254 / 0.45}
# The ankle -> knee -> hip + pelvis -> spine -> thorax -> neck chain of an adult, in metres (about 1.49 m
# in Human3.6M); `units="auto"` picks the unit that brings a skeleton's chain nearest to it.
REFERENCE_CHAIN_M = 1.45


def chain_length(positions17: np.ndarray) -> float:
    """The ankle-to-neck chain length of one Human3.6M-17 pose `[17, 3]` (any unit)."""
    p = positions17

    def d(a: int, b: int) -> float:
        return float(np.linalg.norm(p[a] - p[b]))

    legs = (d(1, 2) + d(2, 3) + d(4, 5) + d(5, 6)) / 2
    return legs + d(0, 7) + d(7, 8) + d(8, 9)


def resolve_units(units: str | float, positions17: np.ndarray, path: str = "") -> float:
    """Metres per file unit: a number, a name in `UNITS`, or "auto" (the rule of `REFERENCE_CHAIN_M`)."""
    if isinstance(units, (int, float)) and not isinstance(units, bool):
        if units <= 0:
            raise H2OTError(f"units must be a positive number of metres per file unit, got {units}.")
        return float(units)
    if units in UNITS:
        return UNITS[units]
    if units != "auto":
        raise H2OTError(
            f"unknown units {units!r}; use 'auto', one of {', '.join(UNITS)}, or metres per file unit."
        )
    chain = chain_length(positions17)
    if not chain > 0:
        raise H2OTError(f"{path}: cannot decide the units of a skeleton of zero size; pass units=...")
    return min(UNITS.values(), key=lambda scale: abs(np.log(chain * scale / REFERENCE_CHAIN_M)))


# --------------------------------------------------------------------------------------------------
# The loader
# --------------------------------------------------------------------------------------------------


def clip_name(path: str | Path) -> str:
    """The file name without `.bvh` / `.bvh.gz`."""
    name = Path(path).name
    for suffix in (".gz", ".bvh"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


def load_bvh(
    path: str | Path,
    units: str | float = "auto",
    joint_map: Any = None,
    fps: float | None = None,
    drop_first_frame: bool | None = None,
) -> Motion:
    """Load a BVH file as Human3.6M-17 joint positions in metres.

    units: "auto" (docs/DATA.md), a name in `UNITS` ("m", "cm", "mm", "inch", "cmu"), or metres per unit.
    joint_map: None (pick a built-in map by the joint names), a built-in map's name, a YAML / JSON map file,
        a dict, or a `JointMap`.
    fps: resample to this frame rate (None keeps the file's).
    drop_first_frame: drop frame 0 (CMU's added T-pose); None follows the joint map (True for "cmu").
    """
    from h2ot.data.joint_maps import resolve_joint_map

    bvh = parse_bvh(path)
    mapping = resolve_joint_map(joint_map, bvh.skeleton, str(path))
    rotations, translations = local_transforms(bvh)
    drop = mapping.drop_first_frame if drop_first_frame is None else drop_first_frame
    if drop:
        if rotations.shape[0] < 2:
            raise H2OTError(f"{path}: has one frame only, nothing is left after dropping frame 0.")
        rotations, translations = rotations[1:], translations[1:]
    source_fps = bvh.fps
    if fps is not None:
        if fps <= 0:
            raise H2OTError(f"fps must be positive, got {fps}.")
        rotations, translations = resample_transforms(rotations, translations, source_fps, fps)
    positions, global_rotations = forward_kinematics(bvh.skeleton.parents, rotations, translations)
    # Units are decided on the first frame, before any metre-valued rule (the head-top length) applies.
    raw17 = mapping.apply(bvh.skeleton, positions[:1], global_rotations[:1], metres_per_unit=None)
    scale = resolve_units(units, raw17[0], str(path))
    positions17 = mapping.apply(bvh.skeleton, positions, global_rotations, metres_per_unit=scale) * scale
    return Motion(
        positions=positions17.astype(np.float32),
        fps=float(fps) if fps is not None else source_fps,
        name=clip_name(path),
        path=str(path),
        units=scale,
        joint_map=mapping.name,
        up_axis="y",
        meta={"source_fps": source_fps},
    )
