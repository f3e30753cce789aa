"""The facts behind `h2ot.data.detector_keypoints.DetectorGeometry`: the body MediaPipe reports, measured on the
Pose2Sim recordings of one man, against the joints of the mocap rigs the lifter trains on.

    .venv/bin/python tools/detector_body.py

- the static take (four views, T-pose; ../shared/data/video-dev/pose2sim-static, `world_points_33_filtered`):
  limbs, hip and shoulder widths, eyes above the shoulders;
- the balancing take (two views, tools/balancing_take.py): the trunk (mid-hips -> mid-shoulders) and the shoulder
  width and the eyes' height above the shoulders by arm elevation (the angle between the upper arm and the trunk's
  down);
- the rigs (Bandai Namco, CMU): their trunk by arm elevation, in the reference man's size (scaled by the ratio of
  his limb sum to theirs), and the same for the modelled detector points; the rigs' own segment lengths.
"""

from __future__ import annotations

import numpy as np
from balancing_take import STATIC, reference

from h2ot.data.detector_keypoints import REFERENCE_LIMBS, coco17_points, limb_length
from h2ot.data.mocap import MocapDataset
from h2ot.keypoint_sets import BLAZEPOSE_NAMES, COCO_NAMES
from h2ot.skeleton import JOINT_INDEX

RIGS = {"Bandai Namco": "bandai-namco", "CMU (extra)": "cmu-extra"}
COCO_INDEX = {name: i for i, name in enumerate(COCO_NAMES)}
BINS = ((0, 35), (35, 50), (50, 70), (70, 100), (100, 180))


def trunk_by_elevation(points: np.ndarray, index: dict[str, int], scale: float = 1.0) -> dict[str, np.ndarray]:
    """Per frame: trunk length, shoulder width (times `scale`) and mean arm elevation (degrees)."""
    def at(name: str) -> np.ndarray:
        return points[:, index[name]]

    mid_hips = (at("left_hip") + at("right_hip")) / 2
    mid_shoulders = (at("left_shoulder") + at("right_shoulder")) / 2
    trunk = np.linalg.norm(mid_shoulders - mid_hips, axis=-1)
    down = (mid_hips - mid_shoulders) / trunk[:, None]
    elevation = []
    for side in ("left", "right"):
        arm = at(f"{side}_elbow") - at(f"{side}_shoulder")
        cosine = np.sum(arm * down, axis=-1) / np.linalg.norm(arm, axis=-1)
        elevation.append(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))
    width = np.linalg.norm(at("left_shoulder") - at("right_shoulder"), axis=-1)
    measures = {"trunk": trunk * scale, "width": width * scale, "elevation": np.mean(elevation, axis=0)}
    if "left_eye" in index:  # the eyes' height above the mid-shoulders, along the trunk
        eyes = (at("left_eye") + at("right_eye")) / 2 - mid_shoulders
        measures["eyes"] = -np.sum(eyes * down, axis=-1) * scale
    return measures


def segments_m(positions: np.ndarray) -> dict[str, float]:
    """A rig's segment lengths at its own size (median over frames, left and right averaged), metres."""
    def length(a: str, b: str) -> float:
        return float(np.median(np.linalg.norm(positions[:, JOINT_INDEX[a]] - positions[:, JOINT_INDEX[b]], axis=-1)))

    sides = ("left", "right")
    out = {f"{a}-{b}": np.mean([length(f"{s}_{a}", f"{s}_{b}") for s in sides])
           for a, b in (("hip", "knee"), ("knee", "ankle"), ("shoulder", "elbow"), ("elbow", "wrist"))}
    out["hips apart"] = length("left_hip", "right_hip")
    out["shoulders apart"] = length("left_shoulder", "right_shoulder")
    return out


def table_row(name: str, measures: dict[str, np.ndarray], key: str) -> str:
    cells = []
    for low, high in BINS:
        chosen = (measures["elevation"] >= low) & (measures["elevation"] < high)
        cells.append(f"{np.median(measures[key][chosen]):.3f} ({chosen.sum()})" if chosen.any() else "-")
    return f"{name:<36} " + " ".join(f"{c:>13}" for c in cells)


def main() -> None:
    static = np.load(STATIC / "reference.npz")["world_points_33_filtered"]  # [11, 33, 3], Z up
    blaze = {name: i for i, name in enumerate(BLAZEPOSE_NAMES)}

    def mean_distance(a: str, b: str) -> float:
        return float(np.mean([np.linalg.norm(static[:, blaze[f"{s}_{a}"]] - static[:, blaze[f"{s}_{b}"]], axis=-1)
                              for s in ("left", "right")]))

    limbs = {f"{a}-{b}": mean_distance(a, b) for a, b in
             (("hip", "knee"), ("knee", "ankle"), ("shoulder", "elbow"), ("elbow", "wrist"))}
    print("static take (T-pose, 4 views): " + ", ".join(f"{k} {v:.3f}" for k, v in limbs.items())
          + f" m; sum {sum(limbs.values()):.3f} (REFERENCE_LIMBS {REFERENCE_LIMBS})")
    at = {name: static[:, i] for name, i in blaze.items()}
    widths = [np.linalg.norm(at[f"left_{j}"] - at[f"right_{j}"], axis=-1).mean() for j in ("hip", "shoulder")]
    eyes = (at["left_eye"] + at["right_eye"]) / 2 - (at["left_shoulder"] + at["right_shoulder"]) / 2
    print(f"  hips {widths[0]:.4f} m apart, shoulders {widths[1]:.3f}; eyes {eyes[:, 2].mean():.3f} m above the "
          "mid-shoulders")

    print("\nmedian by arm elevation (degrees; frames in brackets):")
    print(f"{'trunk, m':<36} " + " ".join(f"{f'{lo}-{hi}':>13}" for lo, hi in BINS))
    take = reference()
    balancing = trunk_by_elevation(take["world_33"], blaze)
    print(table_row("MediaPipe, balancing take", balancing, "trunk"))
    modelled, rig_segments = {}, {}
    for name, folder in RIGS.items():
        rig, detector, segments = [], [], []
        for motion in MocapDataset(STATIC.parents[1] / folder).motions[::20]:
            positions = motion.positions[::4].astype(np.float64)
            scale = REFERENCE_LIMBS / limb_length(positions)
            rig.append(trunk_by_elevation(positions, JOINT_INDEX, scale))
            detector.append(trunk_by_elevation(coco17_points(positions), COCO_INDEX, scale))
            segments.append(segments_m(positions))
        rig_segments[name] = {key: float(np.median([s[key] for s in segments])) for key in segments[0]}
        print(table_row(f"{name} joints", _joined(rig), "trunk"))
        modelled[name] = _joined(detector)
        print(table_row(f"{name}, modelled detector", modelled[name], "trunk"))
    print(f"\n{'shoulder width, m':<36}")
    print(table_row("MediaPipe, balancing take", balancing, "width"))
    for name, measures in modelled.items():
        print(table_row(f"{name}, modelled detector", measures, "width"))
    print(f"\n{'eyes above the mid-shoulders, m':<36}")
    print(table_row("MediaPipe, balancing take", balancing, "eyes"))
    for name, measures in modelled.items():
        print(table_row(f"{name}, modelled detector", measures, "eyes"))
    print("\nthe rigs' own segments (their size, medians over clips), m:")
    for name, lengths in rig_segments.items():
        print(f"  {name}: " + ", ".join(f"{key} {value:.3f}" for key, value in lengths.items()))


def _joined(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


if __name__ == "__main__":
    main()
