"""Elastic models against the models trained for one budget each: MPJPE against GFLOPs per frame, as a
Markdown table and a PNG plot, from the rows `tools/compare_lifters.py --out` wrote (tools/claim_runs.sh), in one
file or in several (one scoring run per model).
Several elastic models (`--elastic A B --label "a" "b"`) are each compared with the same fixed ones.

    .venv/bin/python tools/budget_curve.py EVAL.json --elastic runs/claim/elastic/model.pt \\
        --fixed runs/claim/tps-tri-8/model.pt runs/claim/tps-tri/model.pt runs/claim/tps-tri-54/model.pt \\
        runs/claim/base/model.pt --plot docs/images/budget-curve.png

Each checkpoint is found in the JSON by its file name below the run folder (`claim/elastic/model.pt`), so the
rows of a GPU machine's run match the same files here. FLOPs are counted here (`h2ot.bench.count_flops`), for one
clip."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

from h2ot.bench import count_flops
from h2ot.checkpoint import load_checkpoint
from h2ot.hourglass import HourglassModel

SETS = {"bandai test styles": "Bandai test", "cmu-sample (held out)": "CMU held out"}


def _key(path: str | Path) -> str:
    return "/".join(Path(path).parts[-2:])


def gflops_per_frame(model: HourglassModel, budget: float | None) -> tuple[float, int, int]:
    """(GFLOPs per output frame, frames kept at the last stage, frames of a clip) of one clip at `budget`."""
    model.eval().set_budget(budget)
    x = torch.randn(1, model.frames, model.backbone.num_joints, model.backbone.in_channels)
    return count_flops(model, x) / 1e9 / model.frames, model.kept_at(), model.frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("eval_json", type=Path, nargs="+", help="compare_lifters --out files; their rows are joined")
    parser.add_argument("--elastic", type=Path, nargs="+", required=True)
    parser.add_argument("--label", nargs="+", help="the elastic models' names in the plot (default: their folders)")
    parser.add_argument("--fixed", type=Path, nargs="+", required=True, help="one model per budget")
    parser.add_argument("--plot", type=Path, help="write the plot here (PNG)")
    parser.add_argument("--title", help="a line above the plot, e.g. how long the models trained")
    args = parser.parse_args()
    rows = [row for path in args.eval_json for row in json.loads(path.read_text())]

    def error(checkpoint: Path, data: str, budget: float | None) -> float:
        for row in rows:
            if _key(row["model"]) == _key(checkpoint) and row["data"] == data and (
                    budget is None or row["budget"] is None or abs(row["budget"] - budget) < 1e-3):
                return row["mpjpe_mm"]
        raise SystemExit(f"{' '.join(map(str, args.eval_json))}: no row for {checkpoint} on {data} at budget {budget}")

    labels = args.label or [Path(e).parent.name for e in args.elastic]
    if len(labels) != len(args.elastic):
        raise SystemExit(f"--label names {len(labels)} models, --elastic gives {len(args.elastic)}")
    points = []  # per fixed model: its kept and clip frames, GFLOPs per frame and MPJPE per set; each elastic one's
    for fixed in args.fixed:
        fixed_gflops, kept, frames = gflops_per_frame(load_checkpoint(fixed)[0], None)
        point = {"kept": kept, "frames": frames, "fixed_gflops": fixed_gflops,
                 "fixed": {name: error(fixed, name, None) for name in SETS}, "elastic": []}
        for elastic in args.elastic:
            budget = next(row["budget"] for row in rows if _key(row["model"]) == _key(elastic)
                          and row["budget"] is not None and round(row["budget"] * frames) == kept)
            point["elastic"].append({"gflops": gflops_per_frame(load_checkpoint(elastic)[0], budget)[0],
                                     "errors": {name: error(elastic, name, budget) for name in SETS}})
        points.append(point)

    print("| frames kept after block 1 | GFLOPs per frame (fixed / elastic) | "
          + " | ".join(f"{label}: fixed / {' / '.join(labels)} MPJPE (mm), vs fixed" for label in SETS.values())
          + " |")
    print("|---|---|" + "---|" * len(SETS))
    for p in points:
        cells = []
        for name in SETS:
            fixed_error, errors = p["fixed"][name], [e["errors"][name] for e in p["elastic"]]
            cells.append(" / ".join(f"{e:.1f}" for e in [fixed_error, *errors]) + " ("
                         + ", ".join(f"{(e / fixed_error - 1) * 100:+.1f}%" for e in errors) + ")")
        print(f"| {p['kept']} of {p['frames']} | {p['fixed_gflops']:.4f} / "
              + " / ".join(f"{e['gflops']:.4f}" for e in p["elastic"]) + " | " + " | ".join(cells) + " |")

    if args.plot:
        figure, axes = plt.subplots(1, len(SETS), figsize=(5 * len(SETS), 3.8), constrained_layout=True)
        for axis, (name, label) in zip(axes, SETS.items(), strict=True):
            axis.plot([p["fixed_gflops"] for p in points], [p["fixed"][name] for p in points], "o-",
                      label="one model per budget")
            for index, elastic_label in enumerate(labels):
                axis.plot([p["elastic"][index]["gflops"] for p in points],
                          [p["elastic"][index]["errors"][name] for p in points], "sD^v"[index % 4] + "--",
                          label=f"one elastic model: {elastic_label}" if len(labels) > 1 else "one elastic model")
            for p in points:
                axis.annotate(f"{p['kept']}/{p['frames']}", (p["fixed_gflops"], p["fixed"][name]),
                              textcoords="offset points", xytext=(4, 6), fontsize=8)
            axis.set(title=label, xlabel="GFLOPs per frame", ylabel="MPJPE (mm)")
            axis.grid(alpha=0.3)
        if len(labels) > 1:  # below both panels, where long labels cover no point
            figure.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=9)
        else:
            axes[0].legend()
        if args.title:
            figure.suptitle(args.title, fontsize=10)
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(args.plot, dpi=110)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
