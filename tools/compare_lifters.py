"""Lifters side by side on the same data: the 2D a detector gives (the detector keypoint model, seeded noise) from
phone and webcam cameras, on the Bandai Namco test styles and on CMU subjects 07 and 09 (cmu-sample), which no
model trained on. Errors in mm, every frame once, flip test-time augmentation; the 3D targets are the detector's
points (docs/DATA.md), the same for every model.

    .venv/bin/python tools/compare_lifters.py models/bandai-mixste-small/model.pt runs/video-mixste-small/best.pt

A model without a confidence input reads x and y only. Models trained on mocap joint centres are scored against
the detector's points here, as a user's video would score them. `--data DIR` reads the two sets from another
folder, as BVH folders or motion packs (`h2ot data pack`: DIR/bandai-namco.npz); `--budget` scores an elastic
model at each share of frames kept (other models once); `--out FILE` writes every row, per style too, as JSON,
errors to 0.01 mm (so that a gap near 2% is not decided by rounding)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from h2ot.checkpoint import load_checkpoint
from h2ot.data.sources import DataSpec, load_split
from h2ot.evaluate import evaluate

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SETS = {"bandai test styles": "bandai-namco", "cmu-sample (held out)": "cmu-sample"}


def source_of(folder: Path, name: str) -> str:
    """`folder/name` as a BVH folder, else as a motion pack `folder/name.npz`."""
    pack = folder / f"{name}.npz"
    return str(pack if not (folder / name).exists() and pack.exists() else folder / name)


def _budgets(model, budgets: list[float] | None) -> list[float | None]:
    return budgets if budgets and model.elastic else [None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--max-clips", type=int, help="the first N sequences of each set (default: all)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--data", type=Path, default=SHARED, help="the folder of the sets (default: ../shared/data)")
    parser.add_argument("--budget", type=float, nargs="+", help="elastic models: the shares of frames kept to score")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, help="also write the rows, per style too, to this JSON file")
    args = parser.parse_args()
    rows = []
    for name, folder in SETS.items():
        spec = DataSpec(source=source_of(args.data, folder), keypoints_2d="detector", eval_cameras="phone", seed=0,
                        max_clips=args.max_clips)
        sequences = load_split(spec, "test")
        for checkpoint in args.checkpoints:
            model, _ = load_checkpoint(checkpoint)
            for budget in _budgets(model, args.budget):
                scores = evaluate(model, sequences, batch_size=64, device=args.device, budget=budget)
                errors = {k: round(v, 2) for k, v in scores.items() if k.endswith("_mm")}
                groups = {g: {k: round(v, 2) for k, v in s.items() if k.endswith("_mm")}
                          for g, s in scores["per_group"].items()}
                rows.append({"data": name, "model": str(checkpoint), "budget": budget, "sequences": len(sequences),
                             **errors, "frames": scores["frames"], "per_group": groups})
                if not args.json:
                    r = rows[-1]
                    label = f"{checkpoint!s}" + ("" if budget is None else f" @{budget:.3f}")
                    print(f"{name:<22} {label:<48} MPJPE {r['mpjpe_mm']:6.1f}  P-MPJPE {r['p_mpjpe_mm']:6.1f}  "
                          f"N-MPJPE {r['n_mpjpe_mm']:6.1f}  MPJVE {r['mpjve_mm']:5.1f}  ({r['frames']} frames)",
                          flush=True)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
