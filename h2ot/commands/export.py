"""`h2ot export MODEL --onnx FILE [--frames N] [--batch B|any] [--budget SHARE] [--force]`: a model as an ONNX
file; `h2ot export CHECKPOINT --release FILE [--force]`: an h2ot checkpoint without its training state."""

from __future__ import annotations

import argparse
from pathlib import Path

from h2ot.commands import positive_int


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from h2ot.lifter import shipped_models
    from h2ot.models import list_models

    parser = subparsers.add_parser(
        "export", help="write a model (pruned or not) as an ONNX file for onnxruntime, or a checkpoint's release copy",
        description="--onnx: write a model as an ONNX file, its token pruning included, with the clip length, the "
                    "batch (unless --batch any) and each stage's kept frame count fixed in the graph. Input "
                    "'keypoints' [batch, frames, 17, channels] (normalised screen coordinates); outputs 'poses' "
                    "(metres, camera axes, root-relative), 'frames' (the clip frame of each pose row) and "
                    "'kept_<stage>' (the frames each stage kept). The file's metadata records the joint order, input "
                    "normalisation, frames, fps, units and axes. --release: write a copy of an h2ot checkpoint (a "
                    "run's best.pt) without its training state (optimiser, schedule, random state), about a third of "
                    "its size: what a shipped model's models/NAME/model.pt is.")
    parser.add_argument("model", metavar="MODEL",
                        help=f"a preset ({', '.join(list_models())}), a shipped model ({', '.join(shipped_models())}), "
                             "an experiment config (.yaml) or an h2ot checkpoint (.pt); --release takes a checkpoint "
                             "only; official checkpoints: h2ot.from_official, then "
                             "h2ot.export.onnx.export_onnx in Python")
    output = parser.add_mutually_exclusive_group(required=True)
    output.add_argument("--onnx", metavar="FILE", help="the ONNX file to write")
    output.add_argument("--release", metavar="FILE",
                        help="the checkpoint file to write: MODEL's weights, config and data record, without the "
                             "training state")
    parser.add_argument("--frames", type=positive_int,
                        help="clip length of a preset or config (default: its own; a checkpoint keeps its own)")
    parser.add_argument("--batch", type=batch_size, default=argparse.SUPPRESS,  # absent unless given: see release
                        help="clips per run of the graph (default 1), or 'any': a dynamic first axis")
    parser.add_argument("--budget", type=float, metavar="SHARE",
                        help="an elastic model's share of frames kept at its last stage, in (0, 1], fixed in the graph")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser.set_defaults(run=run)


def batch_size(text: str) -> int | None:
    """An argparse type: 'any' (None: a dynamic batch) or a whole number of at least 1."""
    return None if text == "any" else positive_int(text)


def check_target(path: str, force: bool) -> None:
    """Before any work: an existing FILE is only replaced with --force, and a bad path is told at once."""
    from h2ot.errors import H2OTError
    from h2ot.export.onnx import check_writable

    if Path(path).exists() and not Path(path).is_dir() and not force:
        raise H2OTError(f"{path} exists; pass --force to replace it, or choose another path.")
    check_writable(path, force)


def run(args: argparse.Namespace) -> int:
    if args.release is not None:
        return release(args)
    from h2ot.config import load_model_with_record
    from h2ot.export.onnx import export_onnx

    check_target(args.onnx, args.force)  # before the model is built
    batch = getattr(args, "batch", 1)
    overrides = {"frames": args.frames} if args.frames is not None else {}
    model, record = load_model_with_record(args.model, **overrides)
    model.set_budget(args.budget)
    path = export_onnx(model.eval(), args.onnx, batch=batch, overwrite=args.force, name=args.model,
                       record=record)
    kept = ", ".join(str(stage.tokens) for _, stage in model.stages_at()) or "none pruned"
    print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MB): {args.model}, {model.pipeline}, {model.frames} "
          f"frames (kept per stage: {kept}), batch {'any' if batch is None else batch}")
    return 0


def release(args: argparse.Namespace) -> int:
    from h2ot.checkpoint import save_for_release
    from h2ot.errors import H2OTError
    from h2ot.lifter import resolve_model_path, shipped_models
    from h2ot.models import list_models

    given = [flag for flag, is_given in (("--frames", args.frames is not None), ("--batch", hasattr(args, "batch")),
                                         ("--budget", args.budget is not None)) if is_given]
    if given:
        flags, they = " and ".join(given), "it shapes" if len(given) == 1 else "they shape"
        raise H2OTError(f"--release copies the checkpoint as it is: drop {flags} ({they} the ONNX graph of --onnx).")
    if not args.model.endswith((".pt", ".pth")):
        if args.model in shipped_models():
            what = f"it is a shipped model, already a release copy ({resolve_model_path(args.model)})"
        elif args.model.endswith((".yaml", ".yml")):
            what = "it is an experiment config; train it (h2ot train) and pass the run's best.pt"
        elif args.model in list_models():
            what = "it is a preset, an untrained model; train it (h2ot train) and pass the run's best.pt"
        else:
            what = "pass a checkpoint file, such as a run's best.pt"
        raise H2OTError(f"--release copies an h2ot checkpoint (.pt) without its training state; {args.model} is not "
                        f"one: {what}.")
    check_target(args.release, args.force)
    path = save_for_release(args.model, args.release)
    print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MB): {args.model} "
          f"({Path(args.model).stat().st_size / 2**20:.1f} MB) without its training state")
    return 0
