"""P-MPJPE of `h2ot video` and of MediaPipe's own 3D on the Pose2Sim static take, per view, against its multi-view
reference (the leave-one-view-out 3D, so a view is never scored against a reconstruction that used it).

    .venv/bin/python tools/static_take.py [--take ../shared/data/video-dev/pose2sim-static] [--model NAME|CKPT]
        [--budget SHARE] [--fuse-mediapipe]

The take is 11 frames of one T-pose (../shared/data/video-dev/pose2sim-static/README.md): a check of axes, sides,
units and scale through the whole path (decode, MediaPipe, conversion, lift), not a benchmark of motion.
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch

import h2ot
from h2ot.metrics import p_mpjpe

TAKE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "video-dev" / "pose2sim-static"


def p_mpjpe_mm(poses: np.ndarray, reference: dict, camera: str) -> float:
    pred = torch.from_numpy(np.asarray(poses, np.float64)[:, reference["h36m_index"]])
    target = torch.from_numpy(reference[f"joints_{camera}_loo"]).double()
    return float(p_mpjpe(pred, target).mean() * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--take", type=Path, default=TAKE)
    parser.add_argument("--model", default=None)
    parser.add_argument("--budget", type=float, default=None,
                        help="an elastic model's share of frames kept at its last stage, in (0, 1]")
    parser.add_argument("--fuse-mediapipe", action="store_true", help="score h2ot video --fuse-mediapipe's 3D")
    args = parser.parse_args()
    reference = dict(np.load(args.take / "reference.npz"))
    print(f"{'view':<6} {'h2ot P-MPJPE':>13} {'MediaPipe 3D':>13} {'h2ot / MediaPipe':>17}")
    ratios = []
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore", h2ot.H2OTWarning)
        for camera in (str(c) for c in reference["cam_names"]):
            result = h2ot.video.run(args.take / f"{camera}.mp4", out=Path(folder) / camera, model=args.model,
                                    compare_mediapipe=True, fuse_mediapipe=args.fuse_mediapipe, budget=args.budget,
                                    render=False, viewer=False, progress=False)
            person = result.people[0]
            ours, theirs = (p_mpjpe_mm(x, reference, camera) for x in (person.poses_3d, person.compare_3d))
            ratios.append(ours / theirs)
            print(f"{camera:<6} {ours:>10.1f} mm {theirs:>10.1f} mm {ours / theirs:>16.2f}x")
    fused = " fused with MediaPipe's 3D" if args.fuse_mediapipe else ""
    budget = "" if args.budget is None else f" at budget {args.budget:g}"
    print(f"model: {result.model}{budget}{fused}; mean ratio {np.mean(ratios):.2f}x "
          "(below 0.75x is the video issue's target)")


if __name__ == "__main__":
    main()
