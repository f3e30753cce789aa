"""`h2ot video INPUT`: a video (or an image folder) -> 3D poses, files other tools open, and pictures."""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from h2ot.export.runtime import RUNTIMES


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "video", help="lift the person in a video to 3D: poses.npz, an MP4, a 3D viewer (BVH, TRC on request)",
        description="Lift the person in a video to 3D poses: MediaPipe BlazePose 2D on every frame (or the 2D of "
                    "another detector with --keypoints), the largest person followed across frames, lifted by a "
                    "trained h2ot model at any length; writes poses.npz (metres, root-relative, camera axes: x right, "
                    "y down, z forward; one row per video frame), video.mp4 and viewer.html into --out.")
    parser.add_argument("input", metavar="INPUT", help="a video file (mp4, avi, mov, webm, ...) or a folder of images")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: h2ot-out/<video name>/)")
    parser.add_argument("--model", metavar="NAME|CHECKPOINT",
                        help="a shipped model's name (models/) or an h2ot checkpoint (default: the default lifter)")
    parser.add_argument("--keypoints", metavar="FILE|FOLDER",
                        help="2D keypoints of another detector instead of MediaPipe (needs --keypoint-format)")
    parser.add_argument("--keypoint-format", metavar="FMT", choices=("coco", "halpe", "openpose", "blazepose"),
                        help="coco (MMPose / AlphaPose JSON), halpe (AlphaPose Halpe-26 JSON), openpose (a folder of "
                             "BODY_25 JSON files), blazepose (.npy / .npz / JSON of 33 landmarks)")
    parser.add_argument("--fps", type=float, help="the video's frame rate, if its file states none or a wrong one "
                                                  "(an image folder: default 30)")
    parser.add_argument("--render", action=argparse.BooleanOptionalAction, default=True,
                        help="write video.mp4: the video with its 2D, and the 3D turning (default: on)")
    parser.add_argument("--viewer", action=argparse.BooleanOptionalAction, default=True,
                        help="write viewer.html, a 3D viewer that opens offline in a browser (default: on)")
    parser.add_argument("--bvh", action="store_true", help="also write poses.bvh (joint rotations, for Blender)")
    parser.add_argument("--trc", action="store_true", help="also write poses.trc (OpenSim markers, metres, Y up)")
    parser.add_argument("--all-people", action="store_true",
                        help="lift every person followed through the video (default: the largest)")
    parser.add_argument("--compare-mediapipe", action="store_true",
                        help="draw MediaPipe's own 3D beside h2ot's in video.mp4")
    parser.add_argument("--fuse-mediapipe", action="store_true",
                        help="write the mean of h2ot's 3D and MediaPipe's own where MediaPipe found the person: "
                             "closer to a multi-view reference than either on the takes measured (docs/RESULTS.md)")
    parser.add_argument("--no-flip", action="store_true", help="no flip test-time augmentation (faster, less accurate)")
    parser.add_argument("--max-gap", type=float, default=0.5, metavar="SECONDS",
                        help="frames without a person are interpolated across gaps up to this long (default 0.5 s)")
    parser.add_argument("--device", default="cpu", help="where the lifter runs: cpu, cuda, ... (default cpu)")
    parser.add_argument("--runtime", choices=RUNTIMES, default="torch",
                        help="what runs the lifter: torch (default) or onnxruntime (its ONNX export, made once and "
                             "cached under $H2OT_CACHE; the same poses, not faster on a 2-core CPU)")
    parser.add_argument("--budget", type=float, metavar="SHARE",
                        help="an elastic model's share of frames kept at its last stage, in (0, 1] (1: no pruning)")
    parser.add_argument("--force", action="store_true",
                        help="write into an existing --out, replacing the files h2ot writes (others are kept)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from h2ot.errors import H2OTWarning
    from h2ot.video.pipeline import run as run_video

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", H2OTWarning)
        result = run_video(args.input, out=args.out, model=args.model, keypoints=args.keypoints,
                           keypoint_format=args.keypoint_format, fps=args.fps, render=args.render,
                           viewer=args.viewer, bvh=args.bvh, trc=args.trc, all_people=args.all_people,
                           compare_mediapipe=args.compare_mediapipe, fuse_mediapipe=args.fuse_mediapipe,
                           flip_test=not args.no_flip,
                           max_gap_s=args.max_gap, device=args.device, runtime=args.runtime, budget=args.budget,
                           force=args.force, progress=not args.json)
    for warning in caught:
        if issubclass(warning.category, H2OTWarning):
            print(f"h2ot video: warning: {warning.message}", file=sys.stderr)
    if args.json:
        print(json.dumps({"out": str(result.out), "frames": result.frames, "detected": result.detected,
                          "model": result.model, "runtime": result.runtime, "detector": result.detector,
                          "files": [str(f) for f in result.files], "stages": result.times.table(result.frames)},
                         indent=2))
    else:
        print(result.summary())
    return 0
