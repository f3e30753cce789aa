"""`h2ot eval --checkpoint CKPT [--data SOURCE] [--split SPLIT] [--budget SHARE ...] [--json]`: pose errors of a
trained model; an elastic model's at several budgets from one read of the data."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from h2ot.commands import positive_int

if TYPE_CHECKING:
    from h2ot.hourglass import HourglassModel


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval", help="evaluate a checkpoint",
        description="Evaluate an h2ot checkpoint on the test split it was trained for, or on SOURCE: a BVH folder "
                    "(resampled to the checkpoint's frame rate, filmed by the fixed camera rig with the seeded "
                    "noise; a folder with a default split is evaluated on its test split, any other on every clip), "
                    "or a Human3.6M / MPI-INF-3DHP file. Errors in millimetres.")
    parser.add_argument("--checkpoint", required=True, help="an h2ot checkpoint (best.pt, last.pt or a shipped one)")
    parser.add_argument("--data", metavar="SOURCE", help="what to evaluate on (default: the checkpoint's own data)")
    parser.add_argument("--split", choices=("test", "validation", "train", "all"), default="test",
                        help="which clips of the data: its test split (default; every clip of a BVH folder without "
                             "a default split), validation, train, or all of them")
    parser.add_argument("--batch-size", type=positive_int, default=64, help="clips per forward pass (default 64)")
    parser.add_argument("--no-flip", action="store_true", help="no flip test-time augmentation")
    parser.add_argument("--no-reuse-kept", action="store_true",
                        help="seq2frame: let the flipped copy choose its own kept frames")
    parser.add_argument("--budget", type=float, nargs="+", metavar="SHARE",
                        help="an elastic model's share of frames kept at the last stage, in (0, 1] (1: no pruning); "
                             "several: a row (a JSON object in a list) per budget")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ... (default cpu)")
    parser.add_argument("--per-group", action="store_true", help="print the errors per style / action too")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from h2ot.checkpoint import load_checkpoint
    from h2ot.data.sources import DataSpec, load_split, require_data, resolve_data_paths
    from h2ot.device import resolve_device
    from h2ot.evaluate import evaluate

    device = resolve_device(args.device)
    model, payload = load_checkpoint(args.checkpoint)
    budgets = args.budget or [None]
    for budget in budgets:  # before the data is read
        model.stages_at(budget)
    values = resolve_data_paths(payload.get("data") or {}, named_in=args.checkpoint)
    spec = DataSpec.from_dict(dict(values, **({"source": args.data} if args.data else {})))
    if not args.data:
        require_data(spec, "pass --data SOURCE to evaluate on data you have")
    spec.max_clips = None
    sequences = load_split(spec, args.split)
    rows = []
    for budget in budgets:
        results = evaluate(model, sequences, batch_size=args.batch_size, flip_test=not args.no_flip,
                           reuse_kept=not args.no_reuse_kept, device=device, progress=not args.json, budget=budget)
        rows.append({"checkpoint": str(args.checkpoint), "source": spec.source, "split": args.split,
                     "clips": len(sequences), "budget": budget, **results})
    if args.json:
        print(json.dumps(rows if len(rows) > 1 else rows[0], indent=2))
        return 0
    _print_rows(rows, model, args.per_group)
    return 0


def _print_rows(rows: list[dict], model: HourglassModel, per_group: bool) -> None:
    first = rows[0]
    print(f"{first['checkpoint']} on {first['source']} ({first['split']}): {first['clips']} sequences, "
          f"{first['frames']} frames")
    for results in rows:
        if results["budget"] is not None:
            print(f"budget {results['budget']:g}: {model.kept_at(results['budget'])} of {model.frames} frames kept")
        print(_row("all", results))
        if per_group:
            for name, group in results["per_group"].items():
                print(_row(name, group))


def _row(name: str, r: dict) -> str:
    return (f"{name:<14} MPJPE {r['mpjpe_mm']:7.1f} mm  P-MPJPE {r['p_mpjpe_mm']:7.1f}  "
            f"N-MPJPE {r['n_mpjpe_mm']:7.1f}  MPJVE {r['mpjve_mm']:6.1f}  PCK {r['pck_150']:5.1f}%  "
            f"AUC {r['auc']:5.1f}  ({r['frames']} frames)")
