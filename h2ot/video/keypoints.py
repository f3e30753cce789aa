"""2D keypoint files written by other detectors -> everyone they found, frame by frame, in Human3.6M-17 order.

`read_keypoints(path, fmt)`, formats:
- "coco" (COCO-17; COCO-WholeBody's 133 keypoints are cut to their first 17, the body) and "halpe" (Halpe-26;
  Halpe's 136 full-body keypoints are cut to their first 26): a JSON file, either
  - AlphaPose's results: a list of per-person records `{"image_id", "keypoints": [x, y, s] * K, "score",
    "box", "idx"}`, or
  - MMPose's: a list of per-frame records `{"frame_id", "instances": [{"keypoints": [[x, y], ...],
    "keypoint_scores": [...]}]}` (its inferencer), or the same under `{"instance_info": [...]}` (its demos).
- "openpose": a folder of per-frame `*_keypoints.json` files, `{"people": [{"pose_keypoints_2d": [x, y, c] * K}]}`,
  with K = 25 (BODY_25) or 18 (COCO_18). BODY_25B also has 25 keypoints, in another order: not supported.
- "blazepose": MediaPipe's 33 landmarks of one person, in pixels: a .npy / .npz array `[T, 33, 3 or 4]`
  (x, y, [z,] visibility; a frame all NaN = no person), or a JSON list per frame of 33 `[x, y, visibility]`
  (or `[x, y, z, visibility]`), null where no person was found.

Frame numbers:
- AlphaPose: `image_id` is the frame number when it is an int, else the number in the image name's stem (the
  last run of digits: "12.jpg" and "frame_000012.png" are frame 12; AlphaPose names a video's frames 0.jpg,
  1.jpg, ...). When a name has no number, or two names share one, the frames are numbered in the order their
  names first appear.
- MMPose: `frame_id` counted from the smallest one in the file (its inferencer numbers from 0, its demos
  from 1, and both write a record for every frame).
- OpenPose: the last number in each file name (`video_000000000012_keypoints.json` is frame 12), else the
  files' sorted order.
Frames past the last record, up to `num_frames`, are empty; records past `num_frames` are dropped with a
warning.

Confidences are clipped to [0, 1]; a keypoint at exactly (0, 0) is "not found" (OpenPose writes 0, 0, 0)
and gets confidence 0; a person with no keypoint of confidence above 0 is dropped. Track ids come from
AlphaPose's `idx` (an int, or a list holding one number) when every record has one and no frame has two
people with the same id.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from h2ot.errors import H2OTError, H2OTWarning
from h2ot.keypoint_sets import LAYOUTS, layouts_with, to_h36m

FORMATS = ("coco", "halpe", "openpose", "blazepose")
# The layouts each format reads, and whole-body layouts whose first keypoints are one of them.
_FORMAT_LAYOUTS: dict[str, tuple[str, ...]] = {
    "coco": ("coco17",), "halpe": ("halpe26",), "openpose": ("body25", "coco18"), "blazepose": ("blazepose33",),
}
_WHOLE_BODY = {133: "coco17", 136: "halpe26"}  # COCO-WholeBody, Halpe full body


@dataclass
class FramePeople:
    """Everyone a detector found, frame by frame, in Human3.6M-17 order."""

    people: list[np.ndarray]  # per frame: float32 [P, 17, 3] = x px, y px, confidence in [0,1]; P may be 0
    source: str  # e.g. "coco17 (AlphaPose JSON)"
    ids: list[np.ndarray] | None = None  # per frame [P] int track ids when the file has them (AlphaPose idx)

    @property
    def num_frames(self) -> int:
        return len(self.people)


def read_keypoints(path: str | Path, fmt: str, num_frames: int | None = None) -> FramePeople:
    """Read a 2D keypoint file (or OpenPose folder) of format `fmt` (see the module docstring)."""
    path = Path(path)
    if fmt not in FORMATS:
        raise H2OTError(f"{path}: unknown keypoint format {fmt!r}; pass one of {', '.join(FORMATS)}.")
    if not path.exists():
        raise H2OTError(f"{path}: no such file or folder; pass the keypoints your detector wrote.")
    if fmt == "openpose":
        frames, ids, kind = _read_openpose(path), None, "OpenPose JSON folder"
    elif fmt == "blazepose":
        frames, ids, kind = _read_blazepose(path), None, "BlazePose"
    else:
        frames, ids, kind = _read_coco_json(path, fmt)
    return _finish(path, fmt, frames, ids, kind, num_frames)


# --------------------------------------------------------------------------------------------------
# One frame's raw people -> FramePeople
# --------------------------------------------------------------------------------------------------

Frames = dict[int, list[np.ndarray]]  # frame -> raw people [K, 3] (x, y, confidence)


def _layout_of(path: Path, fmt: str, count: int) -> tuple[str, int]:
    """(layout, keypoints to keep) for a person of `count` keypoints in a file of format `fmt`."""
    for layout in _FORMAT_LAYOUTS[fmt]:
        if len(LAYOUTS[layout]) == count:
            return layout, count
    if _WHOLE_BODY.get(count) in _FORMAT_LAYOUTS[fmt]:
        layout = _WHOLE_BODY[count]
        return layout, len(LAYOUTS[layout])
    expected = " or ".join(str(len(LAYOUTS[name])) for name in _FORMAT_LAYOUTS[fmt])
    fitting = [f for f, names in _FORMAT_LAYOUTS.items() if f != fmt and any(n in names for n in layouts_with(count))]
    hint = (f"{count} keypoints fit format {' or '.join(repr(f) for f in fitting)}: pass that format"
            if fitting else f"no supported format has {count} keypoints")
    raise H2OTError(f"{path}: a person has {count} keypoints, but format {fmt!r} has {expected}; {hint}.")


def _finish(path: Path, fmt: str, frames: Frames, ids: dict[int, list[int]] | None, kind: str,
            num_frames: int | None) -> FramePeople:
    total = max(frames, default=-1) + 1
    if num_frames is not None:
        if total > num_frames:
            warnings.warn(f"{path}: keypoints for {total} frames, but the video has {num_frames}; the frames "
                          f"past {num_frames} are dropped", H2OTWarning, stacklevel=3)
        total = num_frames
    people: list[np.ndarray] = []
    frame_ids: list[np.ndarray] = []
    layouts: set[str] = set()
    for t in range(total):
        raw = frames.get(t, [])
        kept: list[np.ndarray] = []
        kept_ids: list[int] = []
        for p, person in enumerate(raw):
            layout, keep = _layout_of(path, fmt, len(person))
            layouts.add(layout)
            person = _clean(path, t, person[:keep])
            if person[:, 2].max() <= 0:
                continue
            kept.append(to_h36m(person, layout))
            if ids is not None:
                kept_ids.append(ids[t][p])
        people.append(np.stack(kept).astype(np.float32) if kept else np.zeros((0, 17, 3), np.float32))
        frame_ids.append(np.asarray(kept_ids, dtype=np.int64))
    source = f"{'/'.join(sorted(layouts)) or _FORMAT_LAYOUTS[fmt][0]} ({kind})"
    return FramePeople(people=people, source=source, ids=frame_ids if ids is not None else None)


def _clean(path: Path, frame: int, person: np.ndarray) -> np.ndarray:
    if not np.isfinite(person).all():
        raise H2OTError(f"{path}: frame {frame} has a keypoint that is NaN or infinite; re-run the detector or "
                        "mark the keypoint not found (x = y = 0, confidence 0).")
    person = person.astype(np.float64)
    person[:, 2] = np.clip(person[:, 2], 0.0, 1.0)
    person[(person[:, 0] == 0) & (person[:, 1] == 0), 2] = 0.0
    return person


def _load_json(path: Path, what: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise H2OTError(f"{path}: not a JSON file ({e}); pass the {what}.") from None
    except OSError as e:
        raise H2OTError(f"{path}: cannot be read ({e.strerror}); pass the {what}.") from None


def _number(name: str) -> int | None:
    """The last run of digits in `name`, or None."""
    found = re.findall(r"\d+", name)
    return int(found[-1]) if found else None


def _numbering(names: list[str]) -> dict[str, int]:
    """Frame index per distinct name: the number in each name if all have distinct ones, else the order of
    first appearance."""
    names = list(dict.fromkeys(names))
    numbers = {name: number for name in names if (number := _number(name)) is not None}
    if len(set(numbers.values())) == len(names):
        return numbers
    return {name: i for i, name in enumerate(names)}


def _flat_person(path: Path, where: str, flat: Any, channels: int = 3) -> np.ndarray:
    try:
        values = np.asarray(flat, dtype=np.float64)
    except (TypeError, ValueError):
        values = np.empty(0)
    if values.ndim != 1 or values.size == 0 or values.size % channels:
        raise H2OTError(f"{path}: {where} must be a flat list [x, y, confidence] * K of numbers; "
                        "pass the file as the detector wrote it.")
    return values.reshape(-1, channels)


# --------------------------------------------------------------------------------------------------
# AlphaPose and MMPose JSON
# --------------------------------------------------------------------------------------------------


def _read_coco_json(path: Path, fmt: str) -> tuple[Frames, dict[int, list[int]] | None, str]:
    what = "JSON file AlphaPose or MMPose wrote"
    if path.is_dir():
        raise H2OTError(f"{path}: is a folder; format {fmt!r} reads one {what}.")
    data = _load_json(path, what)
    if isinstance(data, dict) and "instance_info" in data:
        data = data["instance_info"]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise H2OTError(f"{path}: expected a list of AlphaPose records or MMPose's per-frame records (or "
                        "{\"instance_info\": [...]}); pass the results file the detector wrote.")
    if data and "instances" not in data[0] and "image_id" not in data[0] and "keypoint_scores" in data[0]:
        data = [{"frame_id": 0, "instances": data}]  # MMPose's demo on one image: the instances alone
    if not data:
        return {}, None, "JSON"
    if "instances" in data[0]:
        return _read_mmpose(path, data), None, "MMPose JSON"
    frames, ids = _read_alphapose(path, data)
    return frames, ids, "AlphaPose JSON"


def _read_alphapose(path: Path, records: list[dict]) -> tuple[Frames, dict[int, list[int]] | None]:
    for i, record in enumerate(records):
        if "keypoints" not in record or not isinstance(record.get("image_id"), (str, int)):
            raise H2OTError(f"{path}: record {i} has no 'keypoints' or 'image_id'; an AlphaPose results file "
                            "holds records {\"image_id\", \"keypoints\", \"score\", ...}.")
    if all(isinstance(r["image_id"], int) for r in records):
        frame_of = {r["image_id"]: r["image_id"] for r in records}
    else:
        stems = _numbering([Path(str(r["image_id"])).stem for r in records])
        frame_of = {r["image_id"]: stems[Path(str(r["image_id"])).stem] for r in records}
    frames: Frames = {}
    ids: dict[int, list[int]] = {}
    usable = True  # every record has a track id, and no frame has one twice
    for i, record in enumerate(records):
        t = frame_of[record["image_id"]]
        frames.setdefault(t, []).append(_flat_person(path, f"record {i}'s keypoints", record["keypoints"]))
        track_id = _track_id(record.get("idx"))
        usable = usable and track_id is not None and track_id not in ids.get(t, [])
        ids.setdefault(t, []).append(track_id if track_id is not None else -1)
    return frames, ids if usable else None


def _track_id(idx: Any) -> int | None:
    if isinstance(idx, list) and len(idx) == 1:
        idx = idx[0]
    if isinstance(idx, (int, float)) and not isinstance(idx, bool) and float(idx).is_integer():
        return int(idx)
    return None


def _read_mmpose(path: Path, records: list[dict]) -> Frames:
    if not all("instances" in r for r in records):
        raise H2OTError(f"{path}: every MMPose record needs 'instances'; pass the file MMPose wrote.")
    frame_ids = [r.get("frame_id", i) for i, r in enumerate(records)]
    if not all(isinstance(f, int) for f in frame_ids):
        raise H2OTError(f"{path}: MMPose frame_id values must be integers; pass the file MMPose wrote.")
    first = min(frame_ids)
    frames: Frames = {}
    for record, frame_id in zip(records, frame_ids, strict=True):
        for instance in record["instances"] or []:
            frames.setdefault(frame_id - first, []).append(_mmpose_person(path, frame_id, instance))
    return frames


def _mmpose_person(path: Path, frame_id: int, instance: Any) -> np.ndarray:
    where = f"frame_id {frame_id}"
    try:
        xy = np.asarray(instance["keypoints"], dtype=np.float64)
        scores = np.asarray(instance["keypoint_scores"], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise H2OTError(f"{path}: an instance of {where} needs 'keypoints' [[x, y], ...] and 'keypoint_scores' "
                        "[...]; pass the file MMPose wrote.") from None
    if xy.ndim != 2 or xy.shape[1] != 2 or scores.shape != (len(xy),):
        raise H2OTError(f"{path}: an instance of {where} has keypoints of shape {list(xy.shape)} and "
                        f"{scores.size} scores; expected [K, 2] and K.")
    return np.concatenate([xy, scores[:, None]], axis=1)


# --------------------------------------------------------------------------------------------------
# OpenPose folders
# --------------------------------------------------------------------------------------------------


def _read_openpose(path: Path) -> Frames:
    if not path.is_dir():
        raise H2OTError(f"{path}: format 'openpose' reads a folder of *_keypoints.json files (OpenPose "
                        "--write_json); pass that folder.")
    files = sorted(path.glob("*_keypoints.json"))
    if not files:
        raise H2OTError(f"{path}: no *_keypoints.json file in this folder; pass the folder OpenPose's "
                        "--write_json wrote.")
    numbering = _numbering([f.name.removesuffix("_keypoints.json") for f in files])
    frames: Frames = {}
    for file in files:
        data = _load_json(file, "files OpenPose's --write_json wrote")
        if not isinstance(data, dict) or not isinstance(data.get("people"), list):
            raise H2OTError(f"{file}: expected {{\"people\": [{{\"pose_keypoints_2d\": [...]}}]}}; pass the files "
                            "OpenPose's --write_json wrote.")
        t = numbering[file.name.removesuffix("_keypoints.json")]
        frames[t] = []
        for p, person in enumerate(data["people"]):
            if not isinstance(person, dict) or "pose_keypoints_2d" not in person:
                raise H2OTError(f"{file}: person {p} has no pose_keypoints_2d; run OpenPose with its body model.")
            frames[t].append(_flat_person(file, f"person {p}'s pose_keypoints_2d", person["pose_keypoints_2d"]))
    return frames


# --------------------------------------------------------------------------------------------------
# BlazePose arrays and JSON
# --------------------------------------------------------------------------------------------------


def _read_blazepose(path: Path) -> Frames:
    if path.suffix in (".npy", ".npz"):
        array = _load_array(path)
    elif path.suffix == ".json":
        array = _blazepose_json(path)
    else:
        raise H2OTError(f"{path}: format 'blazepose' reads a .npy, .npz or .json file; pass one of those.")
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise H2OTError(f"{path}: BlazePose keypoints must have shape [T, 33, 3 or 4] (x, y, [z,] visibility), "
                        f"got {list(array.shape)}.")
    _layout_of(path, "blazepose", array.shape[1])
    array = array[..., [0, 1, array.shape[2] - 1]]
    frames: Frames = {}
    for t, person in enumerate(array):
        if np.isnan(person).all():
            continue
        frames[t] = [person]
    seen = array[~np.isnan(array).all(axis=(1, 2))]
    if seen.size and np.abs(seen[..., :2]).max() <= 1.0:
        raise H2OTError(f"{path}: the x, y are all within [0, 1], MediaPipe's normalised coordinates; multiply x "
                        "by the image width and y by its height to give pixels.")
    return frames


def _load_array(path: Path) -> np.ndarray:
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise H2OTError(f"{path}: not a numpy file ({e}); pass a .npy or .npz array [T, 33, 3 or 4].") from None
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            names = loaded.files
            if len(names) != 1 and "keypoints" not in names:
                raise H2OTError(f"{path}: holds arrays {names}; store one array, or name it 'keypoints'.")
            loaded = loaded["keypoints" if "keypoints" in names else names[0]]
    if not np.issubdtype(loaded.dtype, np.number):
        raise H2OTError(f"{path}: holds {loaded.dtype} values; expected numbers [T, 33, 3 or 4].")
    return loaded.astype(np.float64)


def _blazepose_json(path: Path) -> np.ndarray:
    data = _load_json(path, "JSON list per frame of 33 [x, y, visibility] (null for no person)")
    if not isinstance(data, list):
        raise H2OTError(f"{path}: expected a JSON list per frame of 33 [x, y, visibility] (null for no person).")
    frames = []
    for t, frame in enumerate(data):
        if frame is None:
            frames.append(np.full((33, 3), np.nan))
            continue
        try:
            person = np.asarray(frame, dtype=np.float64)
        except (TypeError, ValueError):
            person = np.empty(0)
        if person.ndim != 2 or person.shape[1] not in (3, 4):
            raise H2OTError(f"{path}: frame {t} must be a list of [x, y, visibility] (or null), got shape "
                            f"{list(person.shape)}.")
        if np.isnan(person).any():
            raise H2OTError(f"{path}: frame {t} has a NaN; write null for a frame without a person.")
        _layout_of(path, "blazepose", len(person))
        frames.append(person[:, [0, 1, person.shape[1] - 1]])
    return np.stack(frames) if frames else np.zeros((0, 33, 3))
