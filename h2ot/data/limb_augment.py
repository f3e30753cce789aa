"""Limb pose augmentation: arm and leg poses the mocap does not hold, made from the poses it does.

A lifter learns a prior over poses from its training motion, and the motion here is mostly walks and gestures:
on real videos the worst joints are those of unusual poses (arms raised sideways, a leg lifted: docs/RESULTS.md,
per-joint errors). `bend_limbs` gives each chosen limb a new pose for the whole clip, keeping its motion:
- the whole limb turns about its root joint (shoulder or hip) by one rotation for the clip: a random axis and an
  angle up to `shoulder` / `hip` degrees;
- its middle joint (elbow or knee) bends or straightens by up to `elbow` / `knee` degrees, about the limb's own
  hinge axis in each frame, kept between straight and `max_bend`.
Bone lengths and the trunk stay as they are, so the detector keypoint model and the cameras see a body of the same
proportions. Each limb is chosen with `probability`, independently, one draw per (clip, camera) in training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from h2ot.errors import H2OTError
from h2ot.skeleton import JOINT_INDEX, NUM_JOINTS

# root, middle, end joint of each limb, and everything below the root (what the root's turn moves)
_LIMBS = {side + limb: tuple(JOINT_INDEX[f"{side}_{name}"] for name in names)
          for side in ("left", "right")
          for limb, names in (("_arm", ("shoulder", "elbow", "wrist")), ("_leg", ("hip", "knee", "ankle")))}


@dataclass(frozen=True)
class LimbAugment:
    """How often and how far `bend_limbs` changes a limb's pose (degrees)."""

    probability: float = 0.3  # per limb and clip
    shoulder: float = 70.0
    hip: float = 35.0
    elbow: float = 50.0
    knee: float = 35.0
    max_bend: float = 150.0  # the most an elbow or knee may bend (0: straight)

    def __post_init__(self) -> None:
        if not 0 <= self.probability <= 1:
            raise H2OTError(f"the limb augmentation's probability must be in [0, 1], got {self.probability}")


def bend_limbs(positions: np.ndarray, rng: np.random.Generator, augment: LimbAugment = LimbAugment()) -> np.ndarray:
    """Human3.6M-17 joints `[T, 17, 3]` (metres) -> the same clip with some limbs posed anew (module docstring)."""
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 3 or positions.shape[1:] != (NUM_JOINTS, 3):
        raise H2OTError(f"bend_limbs takes joints of shape [T, {NUM_JOINTS}, 3], got {list(positions.shape)}")
    out = positions.copy()
    for name, (root, middle, end) in _LIMBS.items():
        if rng.random() >= augment.probability:
            continue
        turn, bend = (augment.shoulder, augment.elbow) if name.endswith("arm") else (augment.hip, augment.knee)
        axis = rng.normal(size=3)
        rotation = Rotation.from_rotvec(axis / np.linalg.norm(axis) * np.radians(rng.uniform(-turn, turn)))
        for joint in (middle, end):
            out[:, joint] = out[:, root] + rotation.apply(out[:, joint] - out[:, root])
        out[:, end] = _bent(out[:, root], out[:, middle], out[:, end], np.radians(rng.uniform(-bend, bend)),
                            np.radians(augment.max_bend))
    return out.astype(np.asarray(positions).dtype, copy=False)


def _bent(root: np.ndarray, middle: np.ndarray, end: np.ndarray, change: float, max_bend: float) -> np.ndarray:
    """The end joint `[T, 3]` after the middle joint bends by `change` radians more (kept within [0, max_bend])
    about the limb's hinge axis; a straight limb bends about an axis square to it."""
    upper, lower = middle - root, end - middle
    upper_unit = upper / np.linalg.norm(upper, axis=-1, keepdims=True).clip(1e-9)
    lower_length = np.linalg.norm(lower, axis=-1, keepdims=True).clip(1e-9)
    bend = np.arccos(np.clip(np.sum(upper_unit * lower / lower_length, axis=-1), -1.0, 1.0))
    hinge = np.cross(upper, lower)
    straight = np.linalg.norm(hinge, axis=-1) < 1e-6 * np.linalg.norm(upper, axis=-1) * lower_length[:, 0]
    fallback = np.cross(upper, np.where(np.abs(upper_unit[:, :1]) < 0.9, [[1.0, 0, 0]], [[0, 1.0, 0]]))
    hinge = np.where(straight[:, None], fallback, hinge)
    hinge /= np.linalg.norm(hinge, axis=-1, keepdims=True).clip(1e-12)
    turn = np.clip(bend + change, 0.0, max_bend) - bend
    return middle + Rotation.from_rotvec(hinge * turn[:, None]).apply(lower)
