"""`h2ot train --config configs/NAME.yaml [key=value ...]`: train into a run folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from h2ot.config import load_config
from h2ot.errors import H2OTError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train a model from an experiment config",
        description="Train from a YAML experiment config into a run folder (config, log, last and best "
                    "checkpoints). Under torchrun, trains on every process with DistributedDataParallel.")
    parser.add_argument("--config", required=True, help="the experiment's YAML file (see configs/)")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="e.g. train.epochs=3 model.hourglass=null")
    parser.add_argument("--out", help="run folder (default: runs/<name>)")
    parser.add_argument("--resume", action="store_true", help="continue the run in the run folder from last.pt")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 (default: cuda when available)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars (the epoch summaries stay)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from h2ot.train import train

    if args.resume and args.overrides:
        raise H2OTError("--resume continues a run with its saved config: drop the KEY=VALUE overrides")
    if args.resume:
        run_dir = Path(args.out) if args.out else None
        if run_dir is None:
            raise H2OTError("--resume needs --out: the run folder to continue")
        config = load_config(run_dir / "config.yaml")
    else:
        config = load_config(args.config, args.overrides)
        run_dir = Path(args.out or Path("runs") / str(config.get("name") or Path(args.config).stem))
    try:
        best = train(config, run_dir, resume=args.resume, device=args.device, progress=not args.no_progress)
    except KeyboardInterrupt:
        return 130
    print(f"done: {best}")
    return 0
