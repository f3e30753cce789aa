"""The elastic model against the models trained for one budget each, seed by seed and over the seeds: per test
set and budget, each seed's MPJPE (one model per budget / elastic) and the gap of the errors summed over the
seeds, from the `tools/compare_lifters.py --out` files of one folder per seed (`eval-NAME.json`, as
`tools/budget_finetune.sh` and docs/RESULTS.md leave them; the scoring is per model).

    .venv/bin/python tools/budget_seeds.py docs/logs/budget-more-2026-11-26 docs/logs/budget-seed2-2026-11-26 \\
        docs/logs/budget-seed3-2026-11-26 [--plot docs/images/budget-curve-seeds.png]

A gap over the seeds is sum(elastic) / sum(fixed) - 1: the mean errors' gap, each seed weighted alike. The plot
puts the mean errors against GFLOPs per frame, counted on configs/video-elastic-mixste-small.yaml's model at each
budget (a model trained for that budget alone has the same FLOPs), each seed's errors as small marks, and the
target's bound: 2% above the models per budget.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from h2ot.config import load_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from budget_curve import SETS, gflops_per_frame  # the same sets and FLOPs count as one seed's

FIXED = {8: "tps-tri-8", 27: "tps-tri", 54: "tps-tri-54", 81: "base"}  # frames kept of 81: its model's run
ELASTIC_CONFIG = Path(__file__).resolve().parents[1] / "configs" / "video-elastic-mixste-small.yaml"


def seed_errors(folder: Path, elastic: str, frames: int = 81) -> dict[tuple[str, int], tuple[float, float]]:
    """(set, frames kept) -> (the model for that budget's MPJPE, the elastic model's) of one seed's folder."""
    def rows(name: str) -> list[dict]:
        path = folder / f"eval-{name}.json"
        if not path.is_file():
            raise SystemExit(f"{folder}: no {path.name} (tools/compare_lifters.py --out writes it)")
        return json.loads(path.read_text())

    elastic_rows = rows(elastic)
    errors = {}
    for kept, name in FIXED.items():
        fixed = {row["data"]: row["mpjpe_mm"] for row in rows(name)}
        at_budget = {row["data"]: row["mpjpe_mm"] for row in elastic_rows
                     if row["budget"] is not None and round(row["budget"] * frames) == kept}
        for data in SETS:
            if data not in fixed or data not in at_budget:
                raise SystemExit(f"{folder}: no {data} row for {name} or for {elastic} at {kept} of {frames} frames")
            errors[data, kept] = (fixed[data], at_budget[data])
    return errors


def plot(seeds: list[dict], gflops: list[float], path: Path, title: str | None) -> None:
    figure, axes = plt.subplots(1, len(SETS), figsize=(10, 3.8), constrained_layout=True)
    for axis, (data, label) in zip(axes, SETS.items(), strict=True):
        for which, (name, style, colour) in enumerate((("one model per budget", "o-", "C0"),
                                                        ("one elastic model", "s--", "C1"))):
            per_seed = [[seed[data, kept][which] for kept in FIXED] for seed in seeds]
            mean = [sum(errors) / len(seeds) for errors in zip(*per_seed, strict=True)]
            axis.plot(gflops, mean, style, color=colour, label=f"{name}: mean of {len(seeds)} seeds")
            if which == 0:
                axis.plot(gflops, [error * 1.02 for error in mean], ":", color=colour, label="the target's bound: +2%")
            for errors in per_seed:
                axis.plot(gflops, errors, "_", color=colour, markersize=9, alpha=0.6)
        for kept, x in zip(FIXED, gflops, strict=True):
            mean_fixed = sum(seed[data, kept][0] for seed in seeds) / len(seeds)
            axis.annotate(f"{kept}/81", (x, mean_fixed), textcoords="offset points", xytext=(4, 8), fontsize=8)
        axis.set(title=label, xlabel="GFLOPs per frame", ylabel="MPJPE (mm)")
        axis.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    print(f"plot: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", type=Path, nargs="+", help="one folder of eval-NAME.json files per seed")
    parser.add_argument("--elastic", default="elastic-log", help="the elastic model's run name (default elastic-log)")
    parser.add_argument("--plot", type=Path, help="write the plot here (PNG)")
    parser.add_argument("--title", help="a line above the plot")
    args = parser.parse_args()
    seeds = [seed_errors(folder, args.elastic) for folder in args.folders]
    gflops = [gflops_per_frame(load_model(str(ELASTIC_CONFIG)), kept / 81)[0] for kept in FIXED]
    for data, label in SETS.items():
        print(f"\n{label}: MPJPE mm, one model per budget / elastic (gap)\n")
        print("| frames kept | GFLOPs per frame | " + " | ".join(folder.name for folder in args.folders)
              + " | over the seeds |")
        print("|---" * (len(seeds) + 3) + "|")
        for kept, cost in zip(FIXED, gflops, strict=True):
            pairs = [seed[data, kept] for seed in seeds]
            cells = [f"{fixed:.2f} / {elastic:.2f} ({elastic / fixed - 1:+.1%})" for fixed, elastic in pairs]
            fixed_sum, elastic_sum = (sum(p[i] for p in pairs) for i in (0, 1))
            gap = elastic_sum / fixed_sum - 1
            print(f"| {kept} of 81 | {cost:.4f} | " + " | ".join(cells) + f" | **{gap:+.2%}** |")
    if args.plot:
        plot(seeds, gflops, args.plot, args.title)


if __name__ == "__main__":
    main()
