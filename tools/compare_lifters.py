"""Lifters side by side on the same data: the 2D a detector gives (the detector keypoint model, seeded noise) from
phone and webcam cameras, on the Bandai Namco test styles and on CMU subjects 07 and 09 (cmu-sample), which no
model trained on. Errors in mm, every frame once, flip test-time augmentation; the 3D targets are the detector's
points (docs/DATA.md), the same for every model.

    .venv/bin/python tools/compare_lifters.py models/bandai-mixste-small/model.pt runs/video-mixste-small/best.pt

A model without a confidence input reads x and y only. Models trained on mocap joint centres are scored against
the detector's points here, as a user's video would score them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from h2ot.checkpoint import load_checkpoint
from h2ot.data.sources import DataSpec, load_split
from h2ot.evaluate import evaluate

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SETS = {"bandai test styles": str(SHARED / "bandai-namco"), "cmu-sample (held out)": str(SHARED / "cmu-sample")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--max-clips", type=int, help="the first N sequences of each set (default: all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for name, source in SETS.items():
        spec = DataSpec(source=source, keypoints_2d="detector", eval_cameras="phone", seed=0, max_clips=args.max_clips)
        sequences = load_split(spec, "test")
        for checkpoint in args.checkpoints:
            model, _ = load_checkpoint(checkpoint)
            scores = evaluate(model, sequences, batch_size=64)
            errors = {k: round(v, 1) for k, v in scores.items() if k.endswith("_mm")}
            rows.append({"data": name, "model": str(checkpoint), "sequences": len(sequences), **errors,
                         "frames": scores["frames"]})
            if not args.json:
                r = rows[-1]
                print(f"{name:<22} {checkpoint!s:<48} MPJPE {r['mpjpe_mm']:6.1f}  P-MPJPE {r['p_mpjpe_mm']:6.1f}  "
                      f"N-MPJPE {r['n_mpjpe_mm']:6.1f}  MPJVE {r['mpjve_mm']:5.1f}  ({r['frames']} frames)", flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
