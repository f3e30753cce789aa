"""From a video to 3D poses: decode -> 2D -> people -> lift -> files and pictures, with the time of each stage.

    result = h2ot.video.run("walk.mp4")                  # -> h2ot-out/walk/{poses.npz, video.mp4, viewer.html}
    print(result.summary())

The stages, each a small module of its own:
1. `decode` (frames one at a time) and 2D: MediaPipe BlazePose on every frame (`detect`), or the 2D of another
   detector read from files (`keypoints`); either way converted to Human3.6M-17 by `h2ot.keypoint_sets`;
2. people: followed across frames (`track`), the largest one lifted (all with `all_people`); gaps up to
   `max_gap_s` interpolated and marked, longer ones hold the nearest pose and are marked invalid;
3. lift (`h2ot.lifter`): any length, the model's frame rate, windows blended, flip test-time augmentation;
   with `fuse_mediapipe`, the mean with MediaPipe's own 3D where it found the person (`fuse`);
4. files (`h2ot.export`): `poses.npz` always (`poses_<track>.npz` with several people), BVH and TRC on request;
5. pictures (`h2ot.viz`): an MP4 (the video with its 2D, and the 3D turning) and a self-contained `viewer.html`.
   The video is decoded a second time for the MP4, so no frame is kept in memory.

Everything is written into a hidden folder beside the output folder and moved in at the end: a failed run
leaves nothing behind, and an existing output folder is never touched without `force`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from h2ot.data.detector_keypoints import KEYPOINTS_2D
from h2ot.errors import H2OTError, H2OTWarning
from h2ot.export.common import hold_nearest_valid
from h2ot.keypoint_sets import to_h36m
from h2ot.lifter import Lifter
from h2ot.video.decode import VideoSource, open_video
from h2ot.video.fuse import MEDIAPIPE_WEIGHT, fuse_poses
from h2ot.video.keypoints import FramePeople, read_keypoints
from h2ot.video.timing import StageTimes
from h2ot.video.track import fill_gaps, largest_track, track_people

DEFAULT_OUT = Path("h2ot-out")


@dataclass
class Person:
    """One lifted person: every array has one row per video frame."""

    track: int
    poses_3d: np.ndarray  # [T, 17, 3] metres, root-relative, camera axes
    keypoints_2d: np.ndarray  # [T, 17, 3] x px, y px, confidence
    valid: np.ndarray  # [T] bool: detected or interpolated
    interpolated: np.ndarray  # [T] bool
    compare_3d: np.ndarray | None = None  # [T, 17, 3] MediaPipe's own 3D in the same joints, root-relative


@dataclass
class VideoResult:
    out: Path
    source: VideoSource
    frames: int
    detected: int  # frames in which the lifted (first) person was found
    people: list[Person]
    files: list[Path]
    times: StageTimes
    model: str
    detector: str
    runtime: str = "torch"  # what ran the lifter: torch or onnxruntime

    def summary(self) -> str:
        src = self.source
        share = self.detected / max(self.frames, 1)
        lines = [f"{src.path} -> {self.out}/",
                 f"  {self.frames} frames at {src.fps:g} fps ({src.width} x {src.height}); a person in {self.detected} "
                 f"({share:.0%}); {len(self.people)} lifted; 2D: {self.detector}; model: {self.model} "
                 f"({self.runtime})",
                 self.times.format(self.frames),
                 f"  files: {', '.join(p.name for p in self.files)}"]
        return "\n".join(lines)


@dataclass
class Options:
    """What `run` does; the defaults are the command's."""

    out: str | Path | None = None
    model: Any = None
    keypoints: str | Path | None = None
    keypoint_format: str | None = None
    fps: float | None = None
    render: bool = True
    viewer: bool = True
    bvh: bool = False
    trc: bool = False
    all_people: bool = False
    compare_mediapipe: bool = False
    fuse_mediapipe: bool = False  # the lifted 3D averaged with MediaPipe's own (`h2ot.video.fuse`)
    flip_test: bool = True
    max_gap_s: float = 0.5
    model_complexity: int = 1
    device: str = "cpu"
    runtime: str = "torch"  # what runs the lifter: torch or onnxruntime (h2ot.lifter)
    budget: float | None = None  # an elastic model's share of frames kept (HourglassModel.set_budget)
    force: bool = False
    progress: bool = True


def run(video: str | Path, **options: Any) -> VideoResult:
    """Lift the person (or people) in `video` (a file or an image folder) to 3D; see `Options` and the module
    docstring. Returns what was found, the files written and the time of each stage."""
    opts = Options(**options)
    if opts.keypoints is not None and (opts.compare_mediapipe or opts.fuse_mediapipe):
        flag = "--compare-mediapipe" if opts.compare_mediapipe else "--fuse-mediapipe"
        raise H2OTError(f"{flag} needs MediaPipe's own 3D, which comes with its 2D: it cannot be combined with "
                        "--keypoints")
    if opts.fuse_mediapipe and opts.all_people:
        raise H2OTError("--fuse-mediapipe fuses the one person MediaPipe follows: it cannot be combined with "
                        "--all-people")
    if opts.max_gap_s < 0:
        raise H2OTError(f"max_gap_s must be 0 or more, got {opts.max_gap_s}")
    source = open_video(video, opts.fps)
    out = Path(opts.out) if opts.out is not None else DEFAULT_OUT / source.name
    if out.exists() and not opts.force:
        raise H2OTError(f"{out} already exists; choose another --out, or pass --force to replace the files h2ot "
                        "writes there (other files are left alone)")
    if out.exists() and not out.is_dir():
        raise H2OTError(f"{out} is a file, not a folder; choose another --out")
    lifter = Lifter.load(opts.model, flip_test=opts.flip_test, device=opts.device, runtime=opts.runtime,
                         budget=opts.budget)
    times = StageTimes()

    frames_2d, mediapipe_world, detector = _keypoints_2d(source, opts, times)
    frames = len(frames_2d.people)
    tracks = track_people(frames_2d)
    chosen = tracks if opts.all_people else [largest_track(tracks)]
    _warn_definition(lifter)

    people = []
    max_gap = round(opts.max_gap_s * source.fps)
    for track in chosen:
        keypoints, valid, interpolated = fill_gaps(track, max_gap)
        with times.stage("lift"):
            poses = lifter(hold_nearest_valid(keypoints, valid), source.fps, (source.width, source.height))
        mediapipe_3d = None
        if mediapipe_world is not None and track is chosen[0]:  # MediaPipe follows one person: the largest
            found = np.isfinite(mediapipe_world).all(axis=(1, 2))
            mediapipe_3d = hold_nearest_valid(mediapipe_world, found)
            if opts.fuse_mediapipe:
                poses = fuse_poses(poses, mediapipe_3d, found & valid & ~interpolated)
        compare_3d = mediapipe_3d if opts.compare_mediapipe else None
        people.append(Person(track.id, poses, keypoints, valid, interpolated, compare_3d))
    if not people[0].valid.all():
        warnings.warn(f"{int((~people[0].valid).sum())} of {frames} frames have no person within "
                      f"{opts.max_gap_s:g} s of a detection: their poses hold the nearest one and are marked "
                      "invalid (valid = False in poses.npz)", H2OTWarning, stacklevel=2)

    meta = {"model": lifter.name, "model_fps": lifter.fps, "flip_test": opts.flip_test, "runtime": lifter.runtime,
            "budget": opts.budget, "fused_with_mediapipe": MEDIAPIPE_WEIGHT if opts.fuse_mediapipe else None,
            "keypoints_2d": detector, "video": str(source.path),
            "image_size": [source.width, source.height]}
    label = f"{lifter.name} + MediaPipe 3D" if opts.fuse_mediapipe else lifter.name  # what the pictures show
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=_creatable_parent(out)))
    try:
        with times.stage("write"):
            _write_files(staging, people, source, meta, opts)
        if opts.render:
            _render(staging / "video.mp4", source, people[0], label, opts, times)
        if opts.viewer:
            with times.stage("viewer"):
                from h2ot.viz import write_viewer

                write_viewer(staging / "viewer.html", people[0].poses_3d, source.fps,
                             title=f"{source.path.name}: {label}")
        files = _move_into(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return VideoResult(out=out, source=source, frames=frames, detected=int(chosen[0].present.sum()), people=people,
                       files=files, times=times, model=lifter.name, detector=detector,
                       runtime=lifter.runtime)


def _keypoints_2d(source: VideoSource, opts: Options, times: StageTimes,
                  ) -> tuple[FramePeople, np.ndarray | None, str]:
    """Everyone's 2D per frame (Human3.6M-17, pixels), MediaPipe's own 3D per frame (root-relative, NaN where it
    found no one; for `compare_mediapipe` and `fuse_mediapipe`, else None), and the 2D's name."""
    if opts.keypoints is not None:
        if not opts.keypoint_format:
            raise H2OTError("--keypoints needs --keypoint-format: coco, halpe, openpose or blazepose")
        with times.stage("2D"):
            people = read_keypoints(opts.keypoints, opts.keypoint_format, num_frames=source.frame_count or None)
        if not any(len(p) for p in people.people):
            raise H2OTError(f"{opts.keypoints}: no person in any frame of the keypoint file")
        return people, None, people.source
    from h2ot.video.detect import MediaPipeDetector

    per_frame: list[np.ndarray] = []
    world: list[np.ndarray] = []
    frames = source.frames()
    with MediaPipeDetector(opts.model_complexity) as detector:
        bar = tqdm(total=source.frame_count or None, desc="2D", unit="frame", disable=not opts.progress, leave=False)
        while True:
            with times.stage("decode"):
                frame = next(frames, None)
            if frame is None:
                break
            with times.stage("2D"):
                found = detector(frame)
            if found is None:
                per_frame.append(np.zeros((0, 17, 3), np.float32))
                world.append(np.full((17, 3), np.nan, np.float32))
            else:
                per_frame.append(to_h36m(found.keypoints, "blazepose33")[None].astype(np.float32))
                joints = to_h36m(found.world, "blazepose33", confidence=False)  # MediaPipe's own 3D, same rule
                world.append(joints - joints[:1])
            bar.update()
        bar.close()
        description = detector.description
    if not per_frame:
        raise H2OTError(f"{source.path}: no frame could be decoded")
    if not any(len(p) for p in per_frame):
        raise H2OTError(f"{source.path}: no person was found in any of its {len(per_frame)} frames; check that a "
                        "whole person is in view, or pass 2D keypoints of another detector with --keypoints")
    world_3d = np.stack(world) if opts.compare_mediapipe or opts.fuse_mediapipe else None
    return FramePeople(people=per_frame, source=description), world_3d, description


def _warn_definition(lifter: Lifter) -> None:
    video_2d = KEYPOINTS_2D["detector"]
    if lifter.keypoint_definition != video_2d:
        warnings.warn(f"the model {lifter.name!r} was trained on 2D of another definition "
                      f"({lifter.keypoint_definition}) than this video's ({video_2d}); expect larger errors",
                      H2OTWarning, stacklevel=3)


def _write_files(folder: Path, people: list[Person], source: VideoSource, meta: dict[str, Any], opts: Options) -> None:
    from h2ot.export import save_poses, write_bvh, write_trc

    several = len(people) > 1
    for person in people:
        suffix = f"_{person.track}" if several else ""
        save_poses(folder / f"poses{suffix}.npz", person.poses_3d, person.keypoints_2d, person.valid, source.fps,
                   dict(meta, track=person.track), interpolated=person.interpolated)
        if opts.bvh:
            write_bvh(folder / f"poses{suffix}.bvh", person.poses_3d, source.fps)
        if opts.trc:
            write_trc(folder / f"poses{suffix}.trc", person.poses_3d, source.fps)
    (folder / "summary.json").write_text(json.dumps({**meta, "frames": len(people[0].valid),
                                                     "tracks": [p.track for p in people]}, indent=2))


def _render(path: Path, source: VideoSource, person: Person, model: str, opts: Options, times: StageTimes) -> None:
    from h2ot.viz import PoseVideoWriter

    label = "MediaPipe 3D" if person.compare_3d is not None else None
    bar = tqdm(total=len(person.valid), desc="render", unit="frame", disable=not opts.progress, leave=False)
    frames = source.frames()
    with times.stage("render"):
        writer = PoseVideoWriter(path, source.fps, (source.width, source.height), title=f"h2ot: {model}",
                                 compare_label=label)
    try:
        for t in range(len(person.valid)):
            with times.stage("decode"):
                frame = next(frames, None)
            if frame is None:
                break
            compare = person.compare_3d[t] if person.compare_3d is not None else None
            with times.stage("render"):
                writer.write(frame, person.keypoints_2d[t], person.poses_3d[t], bool(person.valid[t]), compare)
            bar.update()
    finally:
        with times.stage("render"):
            writer.close()
    bar.close()


def _creatable_parent(out: Path) -> Path:
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise H2OTError(f"cannot create the folder {parent} for the output ({error.strerror})") from None
    if not os.access(parent, os.W_OK):
        raise H2OTError(f"{parent} is not writable; choose another --out")
    return parent


def _move_into(staging: Path, out: Path) -> list[Path]:
    """Move the staged files into `out` (created if needed), replacing only files of the same names."""
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for item in sorted(staging.iterdir()):
        target = out / item.name
        os.replace(item, target)
        files.append(target)
    return files
