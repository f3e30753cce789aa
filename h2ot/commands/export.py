"""`h2ot export MODEL --onnx FILE [--frames N] [--batch B|any] [--force]`: a model as an ONNX file."""

from __future__ import annotations

import argparse
from pathlib import Path

from h2ot.commands import positive_int


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from h2ot.lifter import shipped_models
    from h2ot.models import list_models

    parser = subparsers.add_parser(
        "export", help="write a model (pruned or not) as an ONNX file for onnxruntime",
        description="Write a model as an ONNX file, its token pruning included, with the clip length, the batch "
                    "(unless --batch any) and each stage's kept frame count fixed in the graph. Input 'keypoints' "
                    "[batch, frames, 17, channels] (normalised screen coordinates); outputs 'poses' (metres, camera "
                    "axes, root-relative), 'frames' (the clip frame of each pose row) and 'kept_<stage>' (the frames "
                    "each stage kept). The file's metadata records the joint order, input normalisation, frames, fps, "
                    "units and axes.")
    parser.add_argument("model", metavar="MODEL",
                        help=f"a preset ({', '.join(list_models())}), a shipped model ({', '.join(shipped_models())}), "
                             "an experiment config (.yaml) or an h2ot checkpoint (.pt); official checkpoints: "
                             "h2ot.from_official, then "
                             "h2ot.export.onnx.export_onnx in Python")
    parser.add_argument("--onnx", required=True, metavar="FILE", help="the ONNX file to write")
    parser.add_argument("--frames", type=positive_int,
                        help="clip length of a preset or config (default: its own; a checkpoint keeps its own)")
    parser.add_argument("--batch", type=batch_size, default=1,
                        help="clips per run of the graph (default 1), or 'any': a dynamic first axis")
    parser.add_argument("--budget", type=float, metavar="SHARE",
                        help="an elastic model's share of frames kept at its last stage, in (0, 1], fixed in the graph")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser.set_defaults(run=run)


def batch_size(text: str) -> int | None:
    """An argparse type: 'any' (None: a dynamic batch) or a whole number of at least 1."""
    return None if text == "any" else positive_int(text)


def run(args: argparse.Namespace) -> int:
    from h2ot.config import load_model_with_record
    from h2ot.errors import H2OTError
    from h2ot.export.onnx import check_writable, export_onnx

    if Path(args.onnx).exists() and not Path(args.onnx).is_dir() and not args.force:
        raise H2OTError(f"{args.onnx} exists; pass --force to replace it, or choose another path.")
    check_writable(args.onnx, args.force)  # before the model is built: a bad path is told at once
    overrides = {"frames": args.frames} if args.frames is not None else {}
    model, record = load_model_with_record(args.model, **overrides)
    model.set_budget(args.budget)
    path = export_onnx(model.eval(), args.onnx, batch=args.batch, overwrite=args.force, name=args.model,
                       record=record)
    kept = ", ".join(str(stage.tokens) for _, stage in model.stages_at()) or "none pruned"
    print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MB): {args.model}, {model.pipeline}, {model.frames} "
          f"frames (kept per stage: {kept}), batch {'any' if args.batch is None else args.batch}")
    return 0
