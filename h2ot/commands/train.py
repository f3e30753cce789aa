"""`h2ot train --config configs/NAME.yaml [key=value ...]`: train into a run folder; `--resume` continues one."""

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
    parser.add_argument("--config", help="the experiment's YAML file (see configs/); with --resume it only names "
                                         "the run folder runs/<name>")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="e.g. train.epochs=3 model.hourglass=null")
    parser.add_argument("--out", help="run folder (default: runs/<name>, the config's name)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in the run folder from its last.pt, with its own config.yaml")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 (default: cuda when available)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars (the epoch summaries stay)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from h2ot.train import train

    if args.resume:
        if args.overrides:
            raise H2OTError("--resume continues a run with its saved config: drop the KEY=VALUE overrides")
        if not (args.out or args.config):
            raise H2OTError("--resume needs the run folder: pass --out RUN_FOLDER (or the --config that made it, "
                            "whose run folder is runs/<name>)")
        given = load_config(args.config) if args.config else None
        run_dir = Path(args.out) if args.out else default_run_dir(args.config, given)
        saved = run_dir / "config.yaml"
        if not saved.is_file():
            raise H2OTError(f"nothing to resume: {run_dir} holds no run (no config.yaml); pass the run folder as "
                            "--out")
        config = load_config(saved)
        if given is not None and given != config:
            raise H2OTError(f"{args.config} differs from the run's {saved}, and --resume continues with the run's "
                            f"own config: run h2ot train --resume --out {run_dir}")
    else:
        if not args.config:
            raise H2OTError("pass --config CONFIG.yaml to start a run (or --resume to continue one)")
        config = load_config(args.config, args.overrides)
        run_dir = Path(args.out) if args.out else default_run_dir(args.config, config)
    try:
        best = train(config, run_dir, resume=args.resume, device=args.device, progress=not args.no_progress)
    except KeyboardInterrupt:
        return 130
    print(f"done: {best}")
    return 0


def default_run_dir(config_path: str, config: dict) -> Path:
    """runs/<name>: the config's name, else its file's name."""
    return Path("runs") / str(config.get("name") or Path(config_path).stem)
