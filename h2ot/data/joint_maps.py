"""Joint maps: which joints of a BVH skeleton make the Human3.6M 17 joints.

A map gives, for each of the 17 names of `h2ot.skeleton.JOINT_NAMES`, a source:
- a joint name ("LeftUpLeg"); "A|B" takes the first of A, B that the skeleton has;
- a list of joint names: their mean position ([LeftUpLeg, RightUpLeg] is the mid-hip pelvis);
- {"extend": "Head", "length_m": 0.18}: a point that moves rigidly with joint "Head", on the line of the
  bone that leads to it (its OFFSET direction), `length_m` metres past it; the head-top rule of skeletons
  without a head-top joint.
Names match without regard to case or to a namespace prefix ("mixamorig:Hips" matches "Hips").
End Sites are joints named "<parent>_End".

A user map is a YAML or JSON file: {"name": ..., "drop_first_frame": false, "joints": {h36m_name: source}}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from h2ot.data.bvh import BvhSkeleton
from h2ot.errors import H2OTError
from h2ot.skeleton import JOINT_NAMES


def _key(name: str) -> str:
    return name.rsplit(":", 1)[-1].strip().lower()


@dataclass(frozen=True)
class JointMap:
    """A map from a BVH naming to the Human3.6M 17 joints (see the module docstring)."""

    name: str
    joints: dict[str, Any]
    drop_first_frame: bool = False
    # Joints the map does not read but that tell its naming apart, for the automatic pick only.
    signature: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.joints) - set(JOINT_NAMES))
        missing = [n for n in JOINT_NAMES if n not in self.joints]
        if unknown or missing:
            parts = []
            if missing:
                parts.append(f"lacks {', '.join(missing)}")
            if unknown:
                parts.append(f"has unknown targets {', '.join(unknown)}")
            raise H2OTError(
                f"joint map {self.name!r} {' and '.join(parts)}; it must give a source for each of: "
                f"{', '.join(JOINT_NAMES)}."
            )
        for target, source in self.joints.items():
            ok = (
                isinstance(source, str)
                or (isinstance(source, (list, tuple)) and source and all(isinstance(s, str) for s in source))
                or (isinstance(source, dict) and isinstance(source.get("extend"), str)
                    and isinstance(source.get("length_m"), (int, float)))
            )
            if not ok:
                raise H2OTError(
                    f"joint map {self.name!r}: the source of {target!r} must be a joint name, a list of "
                    f"names, or {{extend: NAME, length_m: NUMBER}}, got {source!r}."
                )

    def source_names(self) -> list[str]:
        """Every joint name the map reads (alternatives as written, "A|B")."""
        names: list[str] = []
        for source in self.joints.values():
            if isinstance(source, str):
                names.append(source)
            elif isinstance(source, dict):
                names.append(source["extend"])
            else:
                names.extend(source)
        return names

    def missing(self, skeleton: BvhSkeleton, with_signature: bool = False) -> list[str]:
        """The names this map needs (and with `with_signature`, its signature) that the skeleton lacks."""
        have = {_key(n) for n in skeleton.names}
        wanted = self.source_names() + (list(self.signature) if with_signature else [])
        return [n for n in dict.fromkeys(wanted) if not any(_key(alt) in have for alt in n.split("|"))]

    def _index(self, lookup: dict[str, int], name: str) -> int:
        for alt in name.split("|"):
            if _key(alt) in lookup:
                return lookup[_key(alt)]
        raise H2OTError(f"joint map {self.name!r}: the skeleton has no joint {name!r}.")

    def apply(
        self,
        skeleton: BvhSkeleton,
        positions: np.ndarray,
        rotations: np.ndarray,
        metres_per_unit: float | None,
    ) -> np.ndarray:
        """All-joint global positions `[T, J, 3]` and rotations `[T, J, 3, 3]` -> `[T, 17, 3]` (file units).

        With `metres_per_unit=None` the "extend" rules are left at their joint (used to decide the units)."""
        out = np.empty((positions.shape[0], len(JOINT_NAMES), 3))
        lookup = {_key(n): i for i, n in enumerate(skeleton.names)}
        for k, target in enumerate(JOINT_NAMES):
            source = self.joints[target]
            if isinstance(source, str):
                out[:, k] = positions[:, self._index(lookup, source)]
            elif isinstance(source, dict):
                j = self._index(lookup, source["extend"])
                out[:, k] = positions[:, j]
                if metres_per_unit is not None:
                    offset = skeleton.offsets[j]
                    norm = np.linalg.norm(offset)
                    if norm == 0:
                        raise H2OTError(
                            f"joint map {self.name!r}: joint {skeleton.names[j]!r} has a zero OFFSET, so "
                            f"there is no bone direction to extend for {target!r}; extend another joint."
                        )
                    step = offset / norm * (source["length_m"] / metres_per_unit)
                    out[:, k] += rotations[:, j] @ step
            else:
                out[:, k] = np.mean([positions[:, self._index(lookup, s)] for s in source], axis=0)
        return out


BANDAI_NAMCO = JointMap(
    name="bandai-namco",
    joints={
        "pelvis": ["UpperLeg_L", "UpperLeg_R"],
        "right_hip": "UpperLeg_R", "right_knee": "LowerLeg_R", "right_ankle": "Foot_R",
        "left_hip": "UpperLeg_L", "left_knee": "LowerLeg_L", "left_ankle": "Foot_L",
        "spine": "Chest", "thorax": "Neck", "neck": "Head",
        # Head's End Site has a zero offset: the head top is estimated (docs/DATA.md).
        "head": {"extend": "Head", "length_m": 0.22},
        "left_shoulder": "UpperArm_L", "left_elbow": "LowerArm_L", "left_wrist": "Hand_L",
        "right_shoulder": "UpperArm_R", "right_elbow": "LowerArm_R", "right_wrist": "Hand_R",
    },
)

CMU = JointMap(
    name="cmu",
    joints={
        "pelvis": ["LeftUpLeg", "RightUpLeg"],
        "right_hip": "RightUpLeg", "right_knee": "RightLeg", "right_ankle": "RightFoot",
        "left_hip": "LeftUpLeg", "left_knee": "LeftLeg", "left_ankle": "LeftFoot",
        "spine": "Spine", "thorax": "Neck", "neck": "Head", "head": "Head_End",
        "left_shoulder": "LeftArm", "left_elbow": "LeftForeArm", "left_wrist": "LeftHand",
        "right_shoulder": "RightArm", "right_elbow": "RightForeArm", "right_wrist": "RightHand",
    },
    # The cgspeed / Hahne conversion adds a T-pose as frame 0.
    drop_first_frame=True,
    signature=("LHipJoint", "LowerBack", "Neck1"),
)

MIXAMO = JointMap(
    name="mixamo",
    joints={
        "pelvis": ["LeftUpLeg", "RightUpLeg"],
        "right_hip": "RightUpLeg", "right_knee": "RightLeg", "right_ankle": "RightFoot",
        "left_hip": "LeftUpLeg", "left_knee": "LeftLeg", "left_ankle": "LeftFoot",
        "spine": "Spine1", "thorax": "Neck", "neck": "Head", "head": "HeadTop_End|Head_End",
        "left_shoulder": "LeftArm", "left_elbow": "LeftForeArm", "left_wrist": "LeftHand",
        "right_shoulder": "RightArm", "right_elbow": "RightForeArm", "right_wrist": "RightHand",
    },
    signature=("Spine2",),
)

# CMU in its ASF names (the Przestr/motion-capture conversion: `ROOT hip`, `lfemur`, `ltibia`, ...). The same
# skeleton as the cgspeed files under other names (LeftUpLeg = lfemur, Spine = upperback, Neck = lowerneck,
# Head = head), so the same choices as `cmu`; these files carry no added T-pose.
CMU_ASF = JointMap(
    name="cmu-asf",
    joints={
        "pelvis": ["lfemur", "rfemur"],
        "right_hip": "rfemur", "right_knee": "rtibia", "right_ankle": "rfoot",
        "left_hip": "lfemur", "left_knee": "ltibia", "left_ankle": "lfoot",
        "spine": "upperback", "thorax": "lowerneck", "neck": "head", "head": "head_End",
        "left_shoulder": "lhumerus", "left_elbow": "lradius", "left_wrist": "lwrist",
        "right_shoulder": "rhumerus", "right_elbow": "rradius", "right_wrist": "rwrist",
    },
    signature=("lhipjoint", "lowerback", "upperneck"),
)

# The cgspeed "DAZ-friendly" CMU conversion (`ROOT hip`, `lThigh`, `lShin`, ..., centimetres), with the added
# T-pose as frame 0. Its head has no End Site but eye joints; the head top is estimated (docs/DATA.md).
DAZ = JointMap(
    name="daz",
    joints={
        "pelvis": ["lThigh", "rThigh"],
        "right_hip": "rThigh", "right_knee": "rShin", "right_ankle": "rFoot",
        "left_hip": "lThigh", "left_knee": "lShin", "left_ankle": "lFoot",
        "spine": "chest", "thorax": "neck", "neck": "head",
        "head": {"extend": "head", "length_m": 0.20},
        "left_shoulder": "lShldr", "left_elbow": "lForeArm", "left_wrist": "lHand",
        "right_shoulder": "rShldr", "right_elbow": "rForeArm", "right_wrist": "rHand",
    },
    drop_first_frame=True,
    signature=("abdomen", "lButtock", "rCollar"),
)

# h2ot's own BVH export (`h2ot.export.write_bvh`): the 17 joints under their own names.
H2OT = JointMap(name="h2ot", joints={name: name for name in JOINT_NAMES})

# Picked automatically: the first (in this order) whose joints and `signature` the skeleton all has.
BUILTIN_MAPS: dict[str, JointMap] = {m.name: m for m in (BANDAI_NAMCO, CMU, CMU_ASF, DAZ, MIXAMO, H2OT)}


def load_joint_map(path: str | Path) -> JointMap:
    """Read a user map file (YAML or JSON)."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise H2OTError(f"{path}: cannot read the joint map ({error.strerror}).") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:  # json.JSONDecodeError is a ValueError
        raise H2OTError(f"{path}: is not valid YAML / JSON ({error}).") from None
    return joint_map_from_dict(data, str(path))


def joint_map_from_dict(data: Any, origin: str = "joint map") -> JointMap:
    """A `JointMap` from {"joints": {...}, "name": ..., "drop_first_frame": ...} or a bare {target: source}."""
    if not isinstance(data, dict):
        raise H2OTError(f"{origin}: a joint map must be a mapping, got {type(data).__name__}.")
    if "joints" in data:
        joints = data["joints"]
        name = str(data.get("name", Path(origin).stem))
        drop = bool(data.get("drop_first_frame", False))
    else:
        joints, name, drop = data, Path(origin).stem, False
    if not isinstance(joints, dict):
        raise H2OTError(f"{origin}: 'joints' must map each Human3.6M joint name to a source.")
    try:
        return JointMap(name=name, joints=dict(joints), drop_first_frame=drop)
    except H2OTError as error:
        raise H2OTError(f"{origin}: {error}") from None


def resolve_joint_map(spec: Any, skeleton: BvhSkeleton, path: str = "") -> JointMap:
    """The map to use for `skeleton`: `spec` None picks a built-in one by the joint names."""
    if isinstance(spec, JointMap):
        mapping = spec
    elif isinstance(spec, dict):
        mapping = joint_map_from_dict(spec)
    elif isinstance(spec, str) and spec in BUILTIN_MAPS:
        mapping = BUILTIN_MAPS[spec]
    elif isinstance(spec, (str, Path)):
        if not Path(spec).is_file():
            raise H2OTError(
                f"joint map {str(spec)!r} is neither a built-in map ({', '.join(BUILTIN_MAPS)}) nor a file."
            )
        mapping = load_joint_map(spec)
    elif spec is None:
        ranked = sorted(BUILTIN_MAPS.values(), key=lambda m: len(m.missing(skeleton, with_signature=True)))
        if not ranked[0].missing(skeleton, with_signature=True):
            return ranked[0]
        best = ranked[0]
        missing = ", ".join(best.missing(skeleton, with_signature=True))
        raise H2OTError(
            f"{path}: no built-in joint map fits this skeleton (the nearest, {best.name!r}, misses {missing}); "
            "pass joint_map= a YAML or JSON file that maps the 17 Human3.6M joints to this file's joints "
            "(docs/DATA.md)."
        )
    else:
        raise H2OTError(f"joint_map must be None, a map name, a file path or a dict, got {type(spec).__name__}.")
    missing = mapping.missing(skeleton)
    if missing:
        raise H2OTError(
            f"{path}: joint map {mapping.name!r} needs joints this skeleton lacks: {', '.join(missing)}."
        )
    return mapping
