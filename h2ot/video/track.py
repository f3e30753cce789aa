"""People across frames: follow everyone a detector found (`track_people`), pick one (`largest_track`), and
fill the frames where they were not seen (`fill_gaps`).

Tracking (when the file carries no track ids), frame by frame:
- each open track is compared with each person of the frame by
      cost = (1 - IoU of their boxes) + (mean distance of the joints both have / the track's box diagonal),
  on the track's last pose; boxes and distances use only the confident joints (confidence >= `CONFIDENT`);
- the assignment of least total cost is taken (Hungarian), except pairs whose cost is `MAX_COST` or more
  (no overlap and joints half a body away); a person left over starts a new track;
- a track stays open for `max_gap` frames without a match, then is closed.
The whole pose is compared, not only the box, so two people who cross keep their tracks when their size or
pose differ; two people alike in size and pose who walk through each other may swap.
Tracks seen in fewer than `min_frames` frames are dropped, unless all are: then the longest one is kept.
Tracks are sorted by size, the sum over their frames of the box diagonal, largest first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from h2ot.errors import H2OTError
from h2ot.video.keypoints import FramePeople

CONFIDENT = 0.1  # a joint below this confidence counts as not seen (boxes, matching, gap filling)
MAX_COST = 1.5


@dataclass
class Track:
    id: int
    keypoints: np.ndarray  # float32 [T, 17, 3], x px, y px, confidence; zeros where absent
    present: np.ndarray  # bool [T]: the person was detected in this frame


def _confident(pose: np.ndarray) -> np.ndarray:
    """The joints of `pose` `[17, 3]` used for boxes and distances: the confident ones, or any with
    confidence above 0 when fewer than two are confident."""
    mask = pose[:, 2] >= CONFIDENT
    return mask if mask.sum() >= 2 else pose[:, 2] > 0


def _box(pose: np.ndarray) -> np.ndarray:
    """[x_min, y_min, x_max, y_max] of the confident joints (zeros when none)."""
    xy = pose[_confident(pose), :2]
    return np.concatenate([xy.min(axis=0), xy.max(axis=0)]) if len(xy) else np.zeros(4)


def _diagonal(box: np.ndarray) -> float:
    return float(np.hypot(box[2] - box[0], box[3] - box[1]))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return float(w * h / union) if union > 0 else 0.0


def _cost(track_pose: np.ndarray, pose: np.ndarray) -> float:
    both = _confident(track_pose) & _confident(pose)
    if not both.any():
        return np.inf
    box = _box(track_pose)
    distance = np.linalg.norm(track_pose[both, :2] - pose[both, :2], axis=-1).mean() / max(_diagonal(box), 1.0)
    return 1.0 - _iou(box, _box(pose)) + float(distance)


def _assign_by_ids(frames: FramePeople) -> dict[int, dict[int, np.ndarray]]:
    """{track id: {frame: pose}} from the file's ids; of two people with one id in a frame, the surer is kept."""
    tracks: dict[int, dict[int, np.ndarray]] = {}
    for t, (people, ids) in enumerate(zip(frames.people, frames.ids or [], strict=True)):
        for pose, track_id in zip(people, ids, strict=True):
            seen = tracks.setdefault(int(track_id), {})
            if t not in seen or pose[:, 2].mean() > seen[t][:, 2].mean():
                seen[t] = pose
    return tracks


def _assign_by_matching(frames: FramePeople, max_gap: int) -> dict[int, dict[int, np.ndarray]]:
    """{track id: {frame: pose}} by the matching in the module docstring."""
    tracks: dict[int, dict[int, np.ndarray]] = {}
    last: dict[int, tuple[int, np.ndarray]] = {}  # open track -> (frame, pose) of its last match
    for t, people in enumerate(frames.people):
        open_ids = [i for i, (seen, _) in last.items() if t - seen - 1 <= max_gap]
        matched: dict[int, int] = {}  # person -> track
        if open_ids and len(people):
            cost = np.array([[_cost(last[i][1], pose) for pose in people] for i in open_ids])
            rows, cols = linear_sum_assignment(np.where(cost < MAX_COST, cost, 1e6))
            matched = {int(c): open_ids[r] for r, c in zip(rows, cols, strict=True) if cost[r, c] < MAX_COST}
        for p, pose in enumerate(people):
            track_id = matched.get(p, len(tracks))
            tracks.setdefault(track_id, {})[t] = pose
            last[track_id] = (t, pose)
    return tracks


def track_people(frames: FramePeople, max_gap: int = 30, min_frames: int = 5) -> list[Track]:
    """Everyone in `frames` as tracks, largest first (see the module docstring); the file's ids when it has them."""
    num_frames = len(frames.people)
    if not any(len(people) for people in frames.people):
        raise H2OTError(f"no person was found in any of the {num_frames} frames of {frames.source}; check that a "
                        "whole person is in view, or the keypoint file and its format.")
    found = _assign_by_ids(frames) if frames.ids is not None else _assign_by_matching(frames, max_gap)
    tracks = []
    for track_id, poses in found.items():
        keypoints = np.zeros((num_frames, 17, 3), np.float32)
        present = np.zeros(num_frames, bool)
        for t, pose in poses.items():
            keypoints[t] = pose
            present[t] = True
        tracks.append(Track(track_id, keypoints, present))
    long_enough = [track for track in tracks if track.present.sum() >= min_frames]
    if not long_enough:
        long_enough = [max(tracks, key=lambda track: (track.present.sum(), track_size(track)))]
    return sorted(long_enough, key=track_size, reverse=True)


def track_size(track: Track) -> float:
    """The sum over the track's frames of its box diagonal: large when near the camera and long in view."""
    return sum(_diagonal(_box(track.keypoints[t])) for t in np.flatnonzero(track.present))


def largest_track(tracks: list[Track]) -> Track:
    """The track of largest `track_size`: the main person of the video."""
    if not tracks:
        raise H2OTError("no person was tracked in any frame; check the video or the keypoint file.")
    return max(tracks, key=track_size)


def _fill(values: np.ndarray, known: np.ndarray, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Fill `values` `[T, J, 3]` where `known` `[T, J]` is False, per joint: linear in x, y (confidence: the
    lower of the two ends) across gaps of at most `max_gap` frames, the nearest value held for at most
    `max_gap` frames before the first / after the last known one. Returns (filled, where filled or known)."""
    num_frames = len(values)
    frames = np.arange(num_frames)[:, None]
    lo = np.maximum.accumulate(np.where(known, frames, -1), axis=0)  # last known at or before t
    hi = np.minimum.accumulate(np.where(known, frames, num_frames)[::-1], axis=0)[::-1]  # first known at or after
    has_lo, has_hi = lo >= 0, hi < num_frames
    inside = has_lo & has_hi & (hi - lo - 1 <= max_gap)
    before = ~has_lo & has_hi & (hi - frames <= max_gap)
    after = has_lo & ~has_hi & (frames - lo <= max_gap)
    at_lo = np.take_along_axis(values, np.clip(lo, 0, num_frames - 1)[..., None], axis=0)
    at_hi = np.take_along_axis(values, np.clip(hi, 0, num_frames - 1)[..., None], axis=0)
    w = np.where(inside & (hi > lo), (frames - lo) / np.maximum(hi - lo, 1), 0.0)[..., None]
    between = at_lo * (1 - w) + at_hi * w
    between[..., 2] = np.minimum(at_lo[..., 2], at_hi[..., 2])
    filled = np.where(inside[..., None], between, np.where(before[..., None], at_hi, at_lo))
    ok = inside | before | after
    return np.where(ok[..., None], filled, 0.0), ok


def fill_gaps(track: Track, max_gap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The track's 2D for every frame: (keypoints `[T, 17, 3]`, valid `[T]`, interpolated `[T]`).

    - a frame where the person was detected keeps its pose, except joints below `CONFIDENT`, which are
      interpolated in time from that joint's confident values (the rule of `_fill`); a joint with no confident
      value within reach keeps its detected value and low confidence;
    - a gap of at most `max_gap` frames between detections is interpolated linearly per joint (confidence:
      the lower of the two ends); before the first / after the last detection the nearest pose is held for
      at most `max_gap` frames;
    - every other frame (a longer gap, or further from the ends) is invalid, with zeros.
    `valid`: the frame has a detected or interpolated pose; `interpolated`: valid but not detected.
    """
    if not track.present.any():
        raise H2OTError(f"no person was found in any of the {len(track.present)} frames of track {track.id}.")
    keypoints = track.keypoints.astype(np.float64)
    present = np.repeat(track.present[:, None], keypoints.shape[1], axis=1)
    by_frame, valid = _fill(keypoints, present, max_gap)  # whole poses across missing frames
    by_joint, reached = _fill(keypoints, present & (keypoints[..., 2] >= CONFIDENT), max_gap)
    use_joint = reached & valid[:, :1]
    out = np.where(use_joint[..., None], by_joint, by_frame)
    return out.astype(np.float32), valid[:, 0].copy(), valid[:, 0] & ~track.present
