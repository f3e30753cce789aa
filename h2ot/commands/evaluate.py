"""`h2ot eval --checkpoint CKPT [--data SOURCE] [--json]`: pose errors of a trained model."""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval", help="evaluate a checkpoint",
        description="Evaluate an h2ot checkpoint on the test split it was trained for, or on SOURCE: a BVH folder "
                    "(resampled to the checkpoint's frame rate, filmed by the fixed camera rig with the seeded "
                    "noise; a folder with a default split is evaluated on its test split, any other on every clip), "
                    "or a Human3.6M / MPI-INF-3DHP file. Errors in millimetres.")
    parser.add_argument("--checkpoint", required=True, help="an h2ot checkpoint (best.pt, last.pt or a shipped one)")
    parser.add_argument("--data", metavar="SOURCE", help="what to evaluate on (default: the checkpoint's test split)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--no-flip", action="store_true", help="no flip test-time augmentation")
    parser.add_argument("--no-reuse-kept", action="store_true",
                        help="seq2frame: let the flipped copy choose its own kept frames")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--per-group", action="store_true", help="print the errors per style / action too")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from h2ot.checkpoint import load_checkpoint
    from h2ot.data.sources import DataSpec, load_split
    from h2ot.evaluate import evaluate

    model, payload = load_checkpoint(args.checkpoint)
    spec = DataSpec.from_dict(dict(payload.get("data") or {}, **({"source": args.data} if args.data else {})))
    spec.max_clips = None
    sequences = load_split(spec, "test")
    results = evaluate(model, sequences, batch_size=args.batch_size, flip_test=not args.no_flip,
                       reuse_kept=not args.no_reuse_kept, device=args.device, progress=not args.json)
    results = {"checkpoint": str(args.checkpoint), "source": spec.source, "clips": len(sequences), **results}
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{args.checkpoint} on {spec.source}: {len(sequences)} sequences, {results['frames']} frames")
    print(_row("all", results))
    if args.per_group:
        for name, group in results["per_group"].items():
            print(_row(name, group))
    return 0


def _row(name: str, r: dict) -> str:
    return (f"{name:<14} MPJPE {r['mpjpe_mm']:7.1f} mm  P-MPJPE {r['p_mpjpe_mm']:7.1f}  "
            f"N-MPJPE {r['n_mpjpe_mm']:7.1f}  MPJVE {r['mpjve_mm']:6.1f}  PCK {r['pck_150']:5.1f}%  "
            f"AUC {r['auc']:5.1f}  ({r['frames']} frames)")
