"""P-MPJPE of `h2ot video` and of MediaPipe's own 3D on the Pose2Sim balancing take (one man balancing on one leg,
arms raised and lowered: 100 frames at 60 fps), seen from the front (cam01) and from behind at three quarters (cam03).

    .venv/bin/python tools/balancing_take.py [--model NAME|CKPT ...] [--budget SHARE] [--fuse-mediapipe] [--per-joint]
        [--confidence-ones] [--visibility]

The take comes without 3D. Its reference here is MediaPipe's 2D of both views triangulated with the calibration of
the static take of the same session (../shared/data/video-dev/pose2sim-static/reference.npz: refined rotations,
OpenCV distortion), 12 joints, computed once and cached under `$H2OT_CACHE` (default ~/.cache/h2ot). With two views
there is no leave-one-view-out: each view is scored against a reconstruction that used its own detections, which
favours MediaPipe's 3D and a lifter fed MediaPipe's 2D alike. Reprojection error: about 6 px median.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import warnings
from pathlib import Path

import cv2
import numpy as np
import torch

import h2ot
from h2ot.lifter import Lifter
from h2ot.metrics import procrustes_align
from h2ot.video.fuse import fuse_poses

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
STATIC = SHARED / "video-dev" / "pose2sim-static"
VIEWS = {view: SHARED / "video" / f"pose2sim_single_{view}.mp4" for view in ("cam01", "cam03")}
REFERENCE = np.load(STATIC / "reference.npz")  # its 12 joints: `h36m_index`, `mediapipe_index`, `joint_names`


def cache_file() -> Path:
    return Path(os.environ.get("H2OT_CACHE", Path.home() / ".cache" / "h2ot")) / "balancing_take.npz"


def _triangulate(points: dict[str, np.ndarray], calibration: dict) -> tuple[np.ndarray, np.ndarray]:
    """Pixels `{view: [T, J, 2]}` -> world points `[T, J, 3]` (linear triangulation of the undistorted points) and
    the mean reprojection error per frame and point `[T, J]`, pixels."""
    rays, projections = [], []
    for view, pixels in points.items():
        k, dist = calibration[f"{view}_K"], calibration[f"{view}_dist"]
        rays.append(cv2.undistortPoints(pixels.reshape(-1, 1, 2).astype(np.float64), k, dist).reshape(pixels.shape))
        projections.append(np.hstack([calibration[f"{view}_R"], calibration[f"{view}_t"].reshape(3, 1)]))
    rows = np.concatenate([np.stack([r[..., 0:1] * p[2] - p[0], r[..., 1:2] * p[2] - p[1]], axis=-2)
                           for r, p in zip(rays, projections, strict=True)], axis=-2)  # [T, J, 2 views x 2, 4]
    homogeneous = np.linalg.svd(rows)[2][..., -1, :]
    world = homogeneous[..., :3] / homogeneous[..., 3:]
    errors = []
    for view, pixels in points.items():
        rotation = cv2.Rodrigues(calibration[f"{view}_R"])[0]
        projected = cv2.projectPoints(world.reshape(-1, 3), rotation, calibration[f"{view}_t"],
                                      calibration[f"{view}_K"], calibration[f"{view}_dist"])[0]
        errors.append(np.linalg.norm(projected.reshape(pixels.shape) - pixels, axis=-1))
    return world, np.mean(errors, axis=0)


def reference() -> dict[str, np.ndarray]:
    """The take's 2-view reference (computed on first use, then read from the cache): `world_33` [100, 33, 3]
    metres (the static take's world: Z up), `reprojection_px` [100, 33], and per view the run's H36M-17 2D
    (`<view>_keypoints`), MediaPipe's own 3D converted to the H36M-17 (`<view>_mediapipe_3d`) and the image size."""
    file = cache_file()
    if file.is_file():
        return dict(np.load(file))
    from h2ot.video.decode import open_video  # MediaPipe only when computing
    from h2ot.video.detect import MediaPipeDetector

    out, pixels = {}, {}
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore", h2ot.H2OTWarning)
        for view, video in VIEWS.items():
            with MediaPipeDetector() as detect:
                found = [detect(frame) for frame in open_video(video).frames()]
            if any(f is None for f in found):
                raise SystemExit(f"MediaPipe missed the person in {video}; the reference needs every frame.")
            pixels[view] = np.stack([f.keypoints[:, :2] for f in found])
            run = h2ot.video.run(video, out=Path(folder) / view, compare_mediapipe=True, render=False,
                                 viewer=False, progress=False)
            person = run.people[0]
            out[f"{view}_keypoints"], out[f"{view}_mediapipe_3d"] = person.keypoints_2d, person.compare_3d
            out[f"{view}_size"] = np.array([run.source.width, run.source.height], dtype=np.float64)
    out["world_33"], out["reprojection_px"] = _triangulate(pixels, dict(np.load(STATIC / "reference.npz")))
    file.parent.mkdir(parents=True, exist_ok=True)
    np.savez(file, **out)
    return out


def joint_errors_mm(poses: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per-joint error after a per-frame Procrustes alignment (with scale) over the 12 joints, mean over frames, mm
    `[12]` (their mean is the P-MPJPE)."""
    pred = torch.from_numpy(np.asarray(poses, np.float64)[:, REFERENCE["h36m_index"]])
    target = torch.from_numpy(np.asarray(target, np.float64))
    errors = (procrustes_align(pred, target) - target).norm(dim=-1)  # [frames, 12]
    return errors.mean(dim=0).numpy() * 1000


def print_visibility(take: dict[str, np.ndarray]) -> None:
    """MediaPipe's confidence of a limb joint against how far it sits behind its left/right partner along the line of
    sight (the reference's depths in each camera), both views pooled: what `DetectionNoise.hidden_share` models."""
    calibration = np.load(STATIC / "reference.npz")
    names = [str(n) for n in REFERENCE["joint_names"]]
    pairs = [(names.index("R" + n), names.index("L" + n)) for n in ("Hip", "Knee", "Ankle", "Shoulder", "Elbow",
                                                                   "Wrist")]
    gaps, scores = [], []
    for view in VIEWS:
        depth = (take["world_33"][:, REFERENCE["mediapipe_index"]] @ calibration[f"{view}_R"].T
                 + calibration[f"{view}_t"].reshape(3))[..., 2]
        confidence = take[f"{view}_keypoints"][:, REFERENCE["h36m_index"], 2]
        for a, b in pairs:
            gaps += [depth[:, a] - depth[:, b], depth[:, b] - depth[:, a]]
            scores += [confidence[:, a], confidence[:, b]]
    gap, score = np.concatenate(gaps), np.concatenate(scores)
    print("\nMediaPipe's confidence of a limb joint by how far it sits behind its partner (both views)")
    print(f"{'behind, m':>14} {'joints':>7} {'mean':>6} {'10th pct':>9}")
    for low in np.arange(-0.4, 0.7, 0.1):
        inside = (gap >= low) & (gap < low + 0.1)
        if inside.any():
            print(f"{low:+6.1f}..{low + 0.1:+.1f} {inside.sum():7d} {score[inside].mean():6.2f} "
                  f"{np.percentile(score[inside], 10):9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", nargs="*", default=[None], help="shipped model names or checkpoints")
    parser.add_argument("--budget", type=float, default=None,
                        help="an elastic model's share of frames kept at its last stage, in (0, 1]")
    parser.add_argument("--per-joint", action="store_true", help="each view's error per joint too")
    parser.add_argument("--confidence-ones", action="store_true",
                        help="lift with every confidence set to 1 instead of MediaPipe's visibility")
    parser.add_argument("--fuse-mediapipe", action="store_true",
                        help="also each model's 3D fused with MediaPipe's own (h2ot video --fuse-mediapipe)")
    parser.add_argument("--visibility", action="store_true",
                        help="MediaPipe's confidence of the limb joints the body hides, by how far behind they are")
    args = parser.parse_args()
    take = reference()
    target = take["world_33"][:, REFERENCE["mediapipe_index"]]
    print(f"reference: 2 views, reprojection error {np.median(take['reprojection_px']):.1f} px median")
    rows = {"MediaPipe 3D": {v: joint_errors_mm(take[f"{v}_mediapipe_3d"], target) for v in VIEWS}}
    for model in args.model:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", h2ot.H2OTWarning)
            lifter = Lifter.load(model, budget=args.budget)
            errors, fused = {}, {}
            for v in VIEWS:
                keypoints = take[f"{v}_keypoints"].copy()
                if args.confidence_ones:
                    keypoints[..., 2] = 1.0
                poses = lifter(keypoints, 60.0, tuple(take[f"{v}_size"]))
                errors[v] = joint_errors_mm(poses, target)
                found = np.ones(len(poses), bool)  # the reference needs MediaPipe in every frame
                fused[v] = joint_errors_mm(fuse_poses(poses, take[f"{v}_mediapipe_3d"], found), target)
        name = str(model or lifter.name) + ("" if args.budget is None else f" at budget {args.budget:g}")
        rows[name] = errors
        if args.fuse_mediapipe:
            rows[f"{name} + MediaPipe 3D"] = fused
    mediapipe = {v: rows["MediaPipe 3D"][v].mean() for v in VIEWS}
    print(f"{'model':<56} {'cam01':>7} {'cam03':>7} {'/ MediaPipe':>12}")
    for name, errors in rows.items():
        ratio = np.mean([errors[v].mean() / mediapipe[v] for v in VIEWS])
        print(f"{name:<56} " + " ".join(f"{errors[v].mean():7.1f}" for v in VIEWS) + f" {ratio:11.2f}x")
    if args.visibility:
        print_visibility(take)
    if args.per_joint:
        names = [str(n) for n in REFERENCE["joint_names"]]
        print(f"\nper joint, mm: {'model, view':<34} " + " ".join(f"{n:>9}" for n in names))
        for name, errors in rows.items():
            for v in VIEWS:
                print(f"{name + ', ' + v:<48} " + " ".join(f"{e:9.0f}" for e in errors[v]))


if __name__ == "__main__":
    main()
