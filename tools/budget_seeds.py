"""The elastic model against the models trained for one budget each, seed by seed and over the seeds: per test
set and budget, each seed's MPJPE (one model per budget / elastic) and the gap of the errors summed over the
seeds, from the `tools/compare_lifters.py --out` files of one folder per seed (`eval-NAME.json`, as
`tools/budget_finetune.sh` and docs/RESULTS.md leave them; the scoring is per model).

    .venv/bin/python tools/budget_seeds.py docs/logs/budget-more-2026-11-26 docs/logs/budget-seed2-2026-11-26 \\
        docs/logs/budget-seed3-2026-11-26

A gap over the seeds is sum(elastic) / sum(fixed) - 1: the mean errors' gap, each seed weighted alike.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SETS = {"bandai test styles": "Bandai test", "cmu-sample (held out)": "CMU held out"}
FIXED = {8: "tps-tri-8", 27: "tps-tri", 54: "tps-tri-54", 81: "base"}  # frames kept of 81: its model's run


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", type=Path, nargs="+", help="one folder of eval-NAME.json files per seed")
    parser.add_argument("--elastic", default="elastic-log", help="the elastic model's run name (default elastic-log)")
    args = parser.parse_args()
    seeds = [seed_errors(folder, args.elastic) for folder in args.folders]
    for data, label in SETS.items():
        print(f"\n{label}: MPJPE mm, one model per budget / elastic (gap)\n")
        print("| frames kept | " + " | ".join(folder.name for folder in args.folders) + " | over the seeds |")
        print("|---" * (len(seeds) + 2) + "|")
        for kept in FIXED:
            pairs = [seed[data, kept] for seed in seeds]
            cells = [f"{fixed:.2f} / {elastic:.2f} ({elastic / fixed - 1:+.1%})" for fixed, elastic in pairs]
            fixed_sum, elastic_sum = (sum(p[i] for p in pairs) for i in (0, 1))
            print(f"| {kept} of 81 | " + " | ".join(cells) + f" | **{elastic_sum / fixed_sum - 1:+.2%}** |")


if __name__ == "__main__":
    main()
