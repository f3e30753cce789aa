"""Following people across frames, picking the main one, and filling the frames they were not seen in."""

from __future__ import annotations

import numpy as np
import pytest

from h2ot.errors import H2OTError
from h2ot.skeleton import JOINT_NAMES
from h2ot.video.keypoints import FramePeople
from h2ot.video.track import Track, fill_gaps, largest_track, track_people, track_size

# A standing person, as (x, y) offsets in units of their height from the top of the head.
_SHAPE = {
    "pelvis": (0, 0.5), "right_hip": (-0.08, 0.5), "right_knee": (-0.08, 0.75), "right_ankle": (-0.08, 1.0),
    "left_hip": (0.08, 0.5), "left_knee": (0.08, 0.75), "left_ankle": (0.08, 1.0), "spine": (0, 0.35),
    "thorax": (0, 0.2), "neck": (0, 0.1), "head": (0, 0.0), "left_shoulder": (0.12, 0.2),
    "left_elbow": (0.15, 0.35), "left_wrist": (0.16, 0.5), "right_shoulder": (-0.12, 0.2),
    "right_elbow": (-0.15, 0.35), "right_wrist": (-0.16, 0.5),
}
_OFFSETS = np.array([_SHAPE[name] for name in JOINT_NAMES])


def _pose(x: float, top: float, height: float, confidence: float = 0.9) -> np.ndarray:
    xy = np.array([x, top]) + _OFFSETS * height
    return np.concatenate([xy, np.full((17, 1), confidence)], axis=1).astype(np.float32)


def _frames(per_frame: list[list[np.ndarray]], ids: list[list[int]] | None = None) -> FramePeople:
    people = [np.stack(p) if p else np.zeros((0, 17, 3), np.float32) for p in per_frame]
    return FramePeople(people, "test", None if ids is None else [np.array(i, dtype=np.int64) for i in ids])


def _crossing(gap: range = range(0)) -> list[list[np.ndarray]]:
    """A (300 px tall) walks right, B (200 px, further away) walks left; they cross at frame 20. A is not
    seen in the frames of `gap`. The order within a frame alternates."""
    frames = []
    for t in range(40):
        a, b = _pose(100 + 10 * t, 100, 300), _pose(500 - 10 * t, 150, 200)
        people = [b] if t in gap else [a, b]
        frames.append(people if t % 2 else people[::-1])
    return frames


def _is_a(pose: np.ndarray) -> bool:
    return bool(np.isclose(pose[3, 1] - pose[10, 1], 300))  # ankle below head: A's height


def test_two_people_crossing_keep_their_tracks() -> None:
    tracks = track_people(_frames(_crossing()))
    assert len(tracks) == 2
    a, b = tracks  # largest first
    assert a.present.all() and b.present.all()
    assert all(_is_a(a.keypoints[t]) for t in range(40)) and not any(_is_a(b.keypoints[t]) for t in range(40))
    np.testing.assert_array_equal(a.keypoints[39], _pose(490, 100, 300))
    assert largest_track(tracks) is a and track_size(a) > track_size(b)


def test_a_person_leaving_and_coming_back() -> None:
    frames = _frames(_crossing(gap=range(25, 32)))  # 7 frames away
    a = largest_track(track_people(frames, max_gap=30))
    assert a.present.sum() == 33 and not a.present[25:32].any()
    assert all(_is_a(a.keypoints[t]) for t in np.flatnonzero(a.present))
    assert (a.keypoints[25:32] == 0).all()
    # Away for longer than max_gap: back as a new track.
    tracks = track_people(frames, max_gap=5)
    assert len(tracks) == 3
    assert sorted(int(t.present.sum()) for t in tracks) == [8, 25, 40]


def test_short_tracks_are_dropped_but_never_all() -> None:
    frames = _crossing()
    frames[5] = [*frames[5], _pose(900, 50, 100)]  # a false detection in one frame, far away
    assert len(track_people(_frames(frames), min_frames=5)) == 2
    only = track_people(_frames([[_pose(50, 50, 200)], [], [_pose(400, 50, 100)], [_pose(400, 50, 100)]]))
    assert len(only) == 1 and only[0].present.tolist() == [False, False, True, True]


def test_the_file_ids_are_used() -> None:
    a, b = _pose(100, 100, 300), _pose(600, 100, 200)
    # The ids say the people swap places at frame 2: the tracker follows the file, not the positions.
    frames = _frames([[a, b], [a, b], [b, a], [b, a], [b, a]], ids=[[1, 7], [1, 7], [1, 7], [1, 7], [1, 7]])
    tracks = track_people(frames, min_frames=1)
    assert [t.id for t in tracks] == [7, 1]  # 7 is A (the taller) in 3 of the 5 frames
    one = next(t for t in tracks if t.id == 1)
    np.testing.assert_array_equal(one.keypoints[:, :, :2], np.stack([a, a, b, b, b])[:, :, :2])


def test_no_person_at_all() -> None:
    with pytest.raises(H2OTError, match="no person was found in any of the 3 frames of test"):
        track_people(_frames([[], [], []]))
    with pytest.raises(H2OTError, match="no person was tracked"):
        largest_track([])


def _hand_made_track() -> Track:
    """8 frames, detected at 1, 2 and 5; x moves 10 px a frame, so linear filling is exact."""
    keypoints = np.zeros((8, 17, 3), np.float32)
    present = np.zeros(8, bool)
    for t, confidence in [(1, 0.8), (2, 0.9), (5, 0.6)]:
        keypoints[t] = _pose(100 + 10 * t, 100, 300, confidence)
        present[t] = True
    keypoints[2, 13] = (999.0, 999.0, 0.05)  # an unsure left wrist at frame 2
    keypoints[present, 5, 2] = 0.05  # the left knee is never sure
    return Track(0, keypoints, present)


def test_fill_gaps_exact_values() -> None:
    track = _hand_made_track()
    keypoints, valid, interpolated = fill_gaps(track, max_gap=3)
    assert valid.tolist() == [True] * 8
    assert interpolated.tolist() == [True, False, False, True, True, False, True, True]
    truth = np.stack([_pose(100 + 10 * t, 100, 300) for t in range(8)])
    # The gap 3-4: linear per joint, confidence the lower of the two ends (0.9 at frame 2, 0.6 at frame 5).
    np.testing.assert_allclose(keypoints[3:5, :, :2], truth[3:5, :, :2], rtol=1e-6)
    np.testing.assert_allclose(keypoints[3:5, [0, 10, 16], 2], 0.6)
    # Before the first and after the last detection: the nearest pose, held.
    np.testing.assert_array_equal(keypoints[0], track.keypoints[1])
    np.testing.assert_array_equal(keypoints[6], track.keypoints[5])
    np.testing.assert_array_equal(keypoints[7], track.keypoints[5])
    # The unsure wrist at frame 2: from its sure values at frames 1 and 5 (confidence the lower: 0.6).
    np.testing.assert_allclose(keypoints[2, 13], (truth[2, 13, 0], truth[2, 13, 1], 0.6), rtol=1e-6)
    # A joint never sure keeps what was detected, and is filled like the whole pose where not detected.
    np.testing.assert_array_equal(keypoints[[1, 2, 5], 5], track.keypoints[[1, 2, 5], 5])
    np.testing.assert_allclose(keypoints[3, 5], (truth[3, 5, 0], truth[3, 5, 1], 0.05), rtol=1e-6)
    # Detected, sure joints are untouched.
    np.testing.assert_array_equal(keypoints[5, 10], track.keypoints[5, 10])


def test_fill_gaps_longer_than_max_gap_are_invalid() -> None:
    keypoints, valid, interpolated = fill_gaps(_hand_made_track(), max_gap=1)
    assert valid.tolist() == [True, True, True, False, False, True, True, False]
    assert interpolated.tolist() == [True, False, False, False, False, False, True, False]
    assert (keypoints[[3, 4, 7]] == 0).all()
    with pytest.raises(H2OTError, match="no person was found in any of the 4 frames of track 3"):
        fill_gaps(Track(3, np.zeros((4, 17, 3), np.float32), np.zeros(4, bool)), max_gap=2)
