"""BVH export: a fixed-length Human3.6M-17 skeleton whose joint rotations are solved from 3D positions.

The file (Blender's importer reads it; so does `h2ot.data.load_bvh`, through the built-in joint map "h2ot"):
- joints: the 17 of `h2ot.skeleton.JOINT_NAMES` under their own names, parents as `PARENTS`; the leaves
  (ankles, wrists, head top) are joints too, each closed by an End Site: a foot stub pointing forward, a hand
  stub and a head stub continuing their bone (for tools that draw a bone from each joint to its child);
- metres, Y up: world = (x, -y, -z) of the camera axes, a half turn about the camera's x axis (a proper
  rotation: the world stays right-handed); the camera looks along -Z;
- rest pose (OFFSETs): a T-pose facing +Z with the subject's left on +X, legs down, arms out; each bone as
  long as its median length over the valid frames; the pelvis (hips, spine) and the thorax (neck, shoulders)
  keep the median shape of the clip, seen from their own frame;
- channels: the root (pelvis) "Xposition Yposition Zposition Zrotation Xrotation Yrotation", every other joint
  "Zrotation Xrotation Yrotation" (R = Rz Rx Ry, degrees); the leaves' rotations are always 0;
- the root's position: the pelvis of `poses` (0 for root-relative poses) plus `root_translation` when given.

How the rotations are solved, frame by frame, from the pelvis outwards; each bone is aimed from its joint as
rebuilt so far at the observed child, so errors do not add up along a limb:
- pelvis and thorax (three children each): the rotation that best maps the rest offsets of their children on
  the observed ones (Kabsch); exact while the hips-spine and neck-shoulders triangles keep their median shape;
- one-child joints: the rotation that takes the rest bone to the observed bone (swing), with the twist about
  the bone set by a second direction: thighs and upper arms, the hinge axis of the knee / elbow (the normal of
  the hip-knee-ankle or shoulder-elbow-wrist plane), blended with the parent's frame carried along the swing
  so that a straight limb (no plane) keeps its parent's twist; the spine, halfway between the hips' and the
  shoulders' left-right lines; shins, forearms and the neck, their parent's frame carried along.
Frames marked invalid hold the nearest valid frame's pose.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from h2ot.errors import H2OTError
from h2ot.export.common import (
    camera_to_y_up,
    check_fps,
    check_poses,
    check_target,
    hold_nearest_valid,
    write_atomically,
)
from h2ot.skeleton import BONES, JOINT_NAMES, NUM_JOINTS, PARENTS

_X, _Y, _Z = np.eye(3)
ROOT_CHANNELS = "Xposition Yposition Zposition Zrotation Xrotation Yrotation"
JOINT_CHANNELS = "Zrotation Xrotation Yrotation"
EULER = "ZXY"  # intrinsic, as the channels: R = Rz Rx Ry

# The rest direction of the bone that ends at each joint of a chain: the T-pose.
CHAIN_REST = {2: -_Y, 3: -_Y, 5: -_Y, 6: -_Y, 8: _Y, 10: _Y, 12: _X, 13: _X, 15: -_X, 16: -_X}
# Joints with three children: ((right, left, middle child), the bone that is "up" at rest (from, to)).
BRANCHES = {0: ((1, 4, 7), (0, 7)), 8: ((14, 11, 9), (7, 8))}
# One-child joints: the rest direction that the twist reference takes, and where the reference comes from.
# At rest a knee or elbow hinge axis is +X for the legs, -Y / +Y for the left / right arm (flexion forward).
TWIST = {
    1: (_X, "hinge"), 2: (_X, "carried"), 4: (_X, "hinge"), 5: (_X, "carried"),
    7: (_X, "shoulders"), 9: (_X, "carried"),
    11: (-_Y, "hinge"), 12: (-_Y, "carried"), 14: (_Y, "hinge"), 15: (_Y, "carried"),
}
# The weight of the parent's frame against the hinge axis, whose length is the sine of the limb's bend: below
# about 15 degrees of bend the parent's frame has the larger say.
HINGE_BLEND = 0.25
# End Sites of the leaves: (direction, or None to continue the bone; length as a share of the bone).
END_SITES = {3: (_Z, 0.35), 6: (_Z, 0.35), 10: (None, 0.25), 13: (None, 0.4), 16: (None, 0.4)}
CHILDREN = {j: [c for c in range(NUM_JOINTS) if PARENTS[c] == j] for j in range(NUM_JOINTS)}


def write_bvh(
    path: str | Path,
    poses: Any,
    fps: float,
    root_translation: Any = None,
    overwrite: bool = False,
    valid: Any = None,
) -> Path:
    """Write `poses` `[T, 17, 3]` (metres, camera axes, root-relative) as a BVH file (module docstring).

    root_translation: `[T, 3]` metres in camera axes, added to the root (None: the root stays where the poses
        put the pelvis, 0 for root-relative poses).
    valid: bool `[T]`; bone lengths and the torso's shape come from the valid frames, and the invalid ones
        hold the nearest valid pose (None: all frames are valid).
    """
    path = check_target(path, overwrite)
    poses, valid = check_poses(poses, valid, root_translation)
    frame_time = 1.0 / check_fps(fps)
    world = hold_nearest_valid(camera_to_y_up(poses), valid)
    offsets = rest_offsets(world[valid])
    rotations, positions = solve_rotations(world, offsets)
    text = _hierarchy(offsets) + _motion(rotations, positions[:, 0], frame_time)
    return write_atomically(path, text.encode(), overwrite)


# --------------------------------------------------------------------------------------------------
# Geometry, vectorised over frames
# --------------------------------------------------------------------------------------------------


def _unit(vectors: np.ndarray, fallback: np.ndarray | None = None) -> np.ndarray:
    """Unit vectors `[..., 3]`; a zero vector becomes `fallback` (or stays zero)."""
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    unit = vectors / np.maximum(norm, 1e-12)
    if fallback is not None:
        unit = np.where(norm > 1e-9, unit, fallback)
    return unit


def _frame(primary: np.ndarray, secondary: np.ndarray, fallback: np.ndarray | None = None) -> np.ndarray:
    """Right-handed frames `[..., 3, 3]` whose columns are the primary direction, the secondary one made
    perpendicular to it (`fallback` where the two are parallel), and their cross product."""
    a = _unit(primary)
    b = secondary - np.sum(secondary * a, axis=-1, keepdims=True) * a
    if fallback is not None:
        other = fallback - np.sum(fallback * a, axis=-1, keepdims=True) * a
        b = np.where(np.linalg.norm(b, axis=-1, keepdims=True) > 1e-6, b, other)
    b = _unit(b)
    return np.stack([a, b, np.cross(a, b)], axis=-1)


def _swing(a: np.ndarray, b: np.ndarray) -> Rotation:
    """The shortest rotations taking unit vectors `a` to `b` `[T, 3]` (a half turn when they are opposite)."""
    axis = np.cross(a, b)
    sine = np.linalg.norm(axis, axis=-1)
    angle = np.arctan2(sine, np.sum(a * b, axis=-1))
    any_perpendicular = np.cross(a, np.eye(3)[np.argmin(np.abs(a), axis=-1)])
    axis = _unit(np.where(sine[:, None] > 1e-9, axis, any_perpendicular))
    return Rotation.from_rotvec(axis * angle[:, None])


def _kabsch(rest: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Rotations `[T, 3, 3]` that best map the vectors `rest` `[K, 3]` onto `observed` `[T, K, 3]`."""
    u, _, vt = np.linalg.svd(np.einsum("tki,kj->tij", observed, rest))
    flip = np.sign(np.linalg.det(u @ vt))
    u[:, :, 2] *= np.where(flip == 0, 1.0, flip)[:, None]
    return u @ vt


# --------------------------------------------------------------------------------------------------
# Rest pose and rotations
# --------------------------------------------------------------------------------------------------


def rest_offsets(world: np.ndarray) -> np.ndarray:
    """The OFFSET of each joint from its parent `[17, 3]` for the Y-up poses `world` `[T, 17, 3]` (valid frames)."""
    parents = [p for p, _ in BONES]
    children = [c for _, c in BONES]
    lengths = np.zeros(NUM_JOINTS)
    lengths[children] = np.median(np.linalg.norm(world[:, children] - world[:, parents], axis=-1), axis=0)
    short = [JOINT_NAMES[c] for c in children if lengths[c] < 1e-4]
    if short:
        raise H2OTError(f"the bone(s) to {', '.join(short)} have no length in the poses (median under 0.1 mm); "
                        "a BVH skeleton needs real bones: check the poses' units and joints.")
    offsets = np.zeros((NUM_JOINTS, 3))
    for joint, direction in CHAIN_REST.items():
        offsets[joint] = direction * lengths[joint]
    for joint, ((right, left, middle), (bottom, top)) in BRANCHES.items():
        # The median shape of the three children, in a frame that moves with them (so that a rigid shape is
        # kept exactly), turned so that the median "up" bone is +Y and the left-right line +X.
        frames = _frame(world[:, left] - world[:, right], world[:, middle] - world[:, joint])
        up = _median_direction(frames, world[:, top] - world[:, bottom])
        side = _median_direction(frames, world[:, left] - world[:, right])
        turn = _frame(_Y, _X) @ _frame(up, side).T
        for child in (right, left, middle):
            offsets[child] = turn @ _median_direction(frames, world[:, child] - world[:, joint]) * lengths[child]
    return offsets


def _median_direction(frames: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """The median direction of `vectors` `[T, 3]` seen from `frames` `[T, 3, 3]`, as a unit vector `[3]`."""
    return _unit(np.median(np.einsum("tji,tj->ti", frames, _unit(vectors)), axis=0))


def solve_rotations(world: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Global rotations `[T, 17, 3, 3]` of the skeleton `offsets` that follow `world` `[T, 17, 3]`, and the
    positions they give `[T, 17, 3]` (the module docstring says how)."""
    frames = len(world)
    rotations = np.empty((frames, NUM_JOINTS, 3, 3))
    positions = np.empty((frames, NUM_JOINTS, 3))
    positions[:, 0] = world[:, 0]
    for joint in range(NUM_JOINTS):  # parents come before their children
        parent = rotations[:, PARENTS[joint]] if joint else np.broadcast_to(np.eye(3), (frames, 3, 3))
        kids = CHILDREN[joint]
        if joint in BRANCHES:
            lengths = np.linalg.norm(offsets[kids], axis=-1)[:, None]
            observed = _unit(world[:, kids] - positions[:, joint, None]) * lengths
            rotations[:, joint] = _kabsch(offsets[kids], observed)
        elif kids:
            rotations[:, joint] = _aim(world, positions, parent, joint, kids[0], offsets)
        else:
            rotations[:, joint] = parent
        for child in kids:
            positions[:, child] = positions[:, joint] + rotations[:, joint] @ offsets[child]
    return rotations, positions


def _aim(world: np.ndarray, positions: np.ndarray, parent: np.ndarray, joint: int, child: int,
         offsets: np.ndarray) -> np.ndarray:
    """Global rotations of a one-child joint: its bone aimed at the observed child, the twist from `TWIST`."""
    rest_bone = _unit(offsets[child])
    rest_side, source = TWIST[joint]
    carried_bone = parent @ rest_bone
    bone = _unit(world[:, child] - positions[:, joint], fallback=carried_bone)
    carried = _swing(carried_bone, bone).apply(parent @ rest_side)  # the parent's frame, swung onto the bone
    if source == "hinge":
        upper = world[:, child] - world[:, joint]
        lower = world[:, CHILDREN[child][0]] - world[:, child]
        norms = np.linalg.norm(upper, axis=-1) * np.linalg.norm(lower, axis=-1)
        side = np.cross(upper, lower) / np.maximum(norms, 1e-12)[:, None] + HINGE_BLEND * carried
    elif source == "shoulders":
        side = _unit(world[:, 11] - world[:, 14]) + carried  # the left shoulder seen from the right one
    else:
        side = carried
    return _frame(bone, side, fallback=carried) @ _frame(rest_bone, rest_side).T


def local_euler(rotations: np.ndarray) -> np.ndarray:
    """Global rotations `[T, 17, 3, 3]` -> each joint's rotation in its parent's frame as the channel angles
    `[T, 17, 3]` (degrees, Z X Y), unwrapped over time so that no angle jumps by 360."""
    local = rotations.copy()
    local[:, 1:] = np.swapaxes(rotations[:, list(PARENTS[1:])], -1, -2) @ rotations[:, 1:]
    with warnings.catch_warnings():
        # At 90 degrees of X the first and last angles share one axis: scipy picks one, the rotation is exact.
        warnings.filterwarnings("ignore", message="Gimbal lock")
        angles = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_euler(EULER, degrees=True)
    return np.unwrap(angles.reshape(len(rotations), NUM_JOINTS, 3), period=360.0, axis=0)


# --------------------------------------------------------------------------------------------------
# The text
# --------------------------------------------------------------------------------------------------


def _numbers(values: np.ndarray) -> str:
    return " ".join(f"{v + 0.0:.6f}" if abs(v) >= 5e-7 else "0.000000" for v in values)


def _hierarchy(offsets: np.ndarray) -> str:
    """The HIERARCHY block, one keyword a line, each brace on its own line (as Blender's importer reads)."""
    lines = ["HIERARCHY"]

    def add(joint: int, depth: int) -> None:
        pad = "  " * depth
        lines.extend([
            f"{pad}{'JOINT' if joint else 'ROOT'} {JOINT_NAMES[joint]}", f"{pad}{{",
            f"{pad}  OFFSET {_numbers(offsets[joint])}",
            f"{pad}  CHANNELS {'6 ' + ROOT_CHANNELS if joint == 0 else '3 ' + JOINT_CHANNELS}",
        ])
        for child in CHILDREN[joint]:
            add(child, depth + 1)
        if joint in END_SITES:
            direction, share = END_SITES[joint]
            bone = float(np.linalg.norm(offsets[joint]))
            end = (direction if direction is not None else offsets[joint] / bone) * bone * share
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET {_numbers(end)}", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    add(0, 0)
    return "\n".join(lines) + "\n"


def _motion(rotations: np.ndarray, root: np.ndarray, frame_time: float) -> str:
    """The MOTION block: per frame the root's position, then each joint's Z X Y angles in hierarchy order."""
    values = np.concatenate([root, local_euler(rotations).reshape(len(root), -1)], axis=1)
    values[np.abs(values) < 5e-7] = 0.0  # no "-0.000000"
    body = io.StringIO()
    np.savetxt(body, values, fmt="%.6f")
    return f"MOTION\nFrames: {len(root)}\nFrame Time: {frame_time:.8f}\n" + body.getvalue()
