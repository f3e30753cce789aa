"""A small synthetic humanoid BVH (Mixamo-like naming, centimetres, Y up) for tests that need a skeleton
other than the real ones in ../shared."""

from __future__ import annotations

from pathlib import Path

# name, parent, offset (cm); the rest pose stands facing +z, its left on +x.
JOINTS = [
    ("Hips", None, (0, 95, 0)),
    ("Spine", "Hips", (0, 10, 0)),
    ("Spine1", "Spine", (0, 10, 0)),
    ("Spine2", "Spine1", (0, 10, 0)),
    ("Neck", "Spine2", (0, 15, 0)),
    ("Head", "Neck", (0, 10, 0)),
    ("HeadTop_End", "Head", (0, 18, 0)),
    ("LeftShoulder", "Spine2", (5, 10, 0)),
    ("LeftArm", "LeftShoulder", (12, 0, 0)),
    ("LeftForeArm", "LeftArm", (28, 0, 0)),
    ("LeftHand", "LeftForeArm", (25, 0, 0)),
    ("RightShoulder", "Spine2", (-5, 10, 0)),
    ("RightArm", "RightShoulder", (-12, 0, 0)),
    ("RightForeArm", "RightArm", (-28, 0, 0)),
    ("RightHand", "RightForeArm", (-25, 0, 0)),
    ("LeftUpLeg", "Hips", (9, -5, 0)),
    ("LeftLeg", "LeftUpLeg", (0, -42, 0)),
    ("LeftFoot", "LeftLeg", (0, -42, 0)),
    ("LeftToeBase", "LeftFoot", (0, -5, 12)),
    ("RightUpLeg", "Hips", (-9, -5, 0)),
    ("RightLeg", "RightUpLeg", (0, -42, 0)),
    ("RightFoot", "RightLeg", (0, -42, 0)),
    ("RightToeBase", "RightFoot", (0, -5, 12)),
]


def humanoid_bvh(path: Path, prefix: str = "mixamorig:", rename: dict[str, str] | None = None,
                 drop: tuple[str, ...] = (), frames: int = 3) -> Path:
    """Write the humanoid; joints renamed by `rename`, joints in `drop` left out (with their children)."""
    rename = rename or {}
    joints = [j for j in JOINTS if j[0] not in drop and j[1] not in drop]
    children: dict[str | None, list] = {}
    for joint in joints:
        children.setdefault(joint[1], []).append(joint)
    lines: list[str] = ["HIERARCHY"]
    channels = 0

    def emit(joint: tuple, depth: int) -> None:
        nonlocal channels
        name, parent, offset = joint
        pad = "  " * depth
        lines.append(f"{pad}{'ROOT' if parent is None else 'JOINT'} {prefix}{rename.get(name, name)}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {offset[0]} {offset[1]} {offset[2]}")
        if parent is None:
            lines.append(f"{pad}  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation")
            channels += 6
        else:
            lines.append(f"{pad}  CHANNELS 3 Zrotation Xrotation Yrotation")
            channels += 3
        kids = children.get(name, [])
        for child in kids:
            emit(child, depth + 1)
        if not kids:
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET 0 0 0", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    emit(children[None][0], 0)
    lines += ["MOTION", f"Frames: {frames}", "Frame Time: 0.04"]
    for t in range(frames):
        row = [0.0] * channels
        row[:3] = [0.0, 95.0, 10.0 * t]  # the root channels replace Hips' offset; walk along +z
        lines.append(" ".join(f"{v:g}" for v in row))
    path.write_text("\n".join(lines) + "\n")
    return path
