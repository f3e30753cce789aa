"""Does an automatic budget per clip beat a fixed one at the same cost? (issue "One model, any budget", optional.)

An elastic model (`hourglass: {..., elastic: true}`) is run at a few kept-frame counts on every test clip; then
each clip gets the count its 2D motion asks for (the stillest third the fewest frames, the liveliest third the
most, so that the mean over frames equals the fixed count) and the two are compared at the same mean cost.
Motion: the mean 2D speed of the joints between frames, divided by the 2D skeleton's height (so a small person in
the frame is not taken for a still one). Data as tools/compare_lifters.py: detector 2D from phone cameras, the
Bandai Namco test styles and the held-out CMU subjects.

    .venv/bin/python tools/auto_budget.py runs/claim-more/elastic/model.pt --max-clips 400 [--levels 8 27 46]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_lifters import SETS, SHARED, source_of  # the same data, read the same way

from h2ot.checkpoint import load_checkpoint
from h2ot.data.sources import DataSpec, load_split
from h2ot.evaluate import predict_sequences, score


def motion_of(keypoints: np.ndarray) -> float:
    """Mean 2D joint speed per frame over the 2D skeleton's median height: how much a clip moves, by its size."""
    xy = keypoints[..., :2]
    speed = np.linalg.norm(np.diff(xy, axis=0), axis=-1).mean() if len(xy) > 1 else 0.0
    height = np.median(xy[..., 1].max(axis=1) - xy[..., 1].min(axis=1))
    return float(speed / max(height, 1e-6))


def allocate(motion: np.ndarray, frames: np.ndarray, levels: list[int]) -> np.ndarray:
    """The level index of each clip: clips sorted by motion, cut into len(levels) groups of equal frame counts."""
    order = np.argsort(motion, kind="stable")
    share = (np.cumsum(frames[order]) - frames[order] / 2) / frames.sum()  # each clip's middle, 0..1
    chosen = np.empty(len(motion), int)
    chosen[order] = np.minimum((share * len(levels)).astype(int), len(levels) - 1)
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", type=Path, help="an elastic h2ot checkpoint")
    parser.add_argument("--levels", type=int, nargs="+", default=[8, 27, 46],
                        help="kept frames after the pruning stage, from the stillest clips to the liveliest "
                             "(default 8 27 46: a mean of 27)")
    parser.add_argument("--max-clips", type=int, help="the first N sequences of each set (default: all)")
    parser.add_argument("--data", type=Path, default=SHARED, help="the folder of the sets (default: ../shared/data)")
    args = parser.parse_args()
    model, _ = load_checkpoint(args.checkpoint)
    if not model.elastic:
        raise SystemExit(f"{args.checkpoint} is not an elastic model: it runs one budget only")
    fixed = round(np.mean(args.levels))
    counts = sorted({*args.levels, fixed})
    for name, folder in SETS.items():
        spec = DataSpec(source=source_of(args.data, folder), keypoints_2d="detector", eval_cameras="phone", seed=0,
                        max_clips=args.max_clips)
        sequences = load_split(spec, "test")
        errors, frames = {}, None  # kept frames -> each clip's MPJPE (mm); each clip's scored frames
        for count in counts:
            predictions = predict_sequences(model, sequences, budget=count / model.frames)
            clips = [score([p], [s]) for p, s in zip(predictions, sequences, strict=True)]
            errors[count] = np.array([c["mpjpe_mm"] for c in clips])
            frames = np.array([c["frames"] for c in clips], float)
        motion = np.array([motion_of(s.keypoints) for s in sequences])
        level = allocate(motion, frames, args.levels)
        kept = np.array(args.levels)[level]
        auto = np.array([errors[k][i] for i, k in enumerate(kept)])
        every = np.ones(len(sequences), bool)
        print(f"{name} ({len(sequences)} clips, {int(frames.sum())} frames)")
        for count in counts:
            print(f"  fixed {count:>2} of {model.frames}: MPJPE {weighted_in(errors[count], frames, every):6.1f} mm")
        mean_kept = weighted_in(kept, frames, every)
        print(f"  automatic {'/'.join(map(str, args.levels))} by motion (mean {mean_kept:.1f} kept): MPJPE "
              f"{weighted_in(auto, frames, every):6.1f} mm")
        for index, count in enumerate(args.levels):
            group = level == index
            print(f"    clips given {count:>2}: {int(group.sum()):4d}, motion {motion[group].min():.4f}-"
                  f"{motion[group].max():.4f}; their MPJPE at {count}: {weighted_in(errors[count], frames, group):.1f}"
                  f" mm, at {fixed}: {weighted_in(errors[fixed], frames, group):.1f} mm")


def weighted_in(errors: np.ndarray, frames: np.ndarray, group: np.ndarray) -> float:
    """The frame-weighted mean of per-clip values over the clips in `group`: every frame counted once."""
    return float((errors[group] * frames[group]).sum() / frames[group].sum())


if __name__ == "__main__":
    main()
