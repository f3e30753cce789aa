"""The `h2ot` command: parses, then hands over to the sub-command's module in `h2ot.commands`."""

from __future__ import annotations

import argparse
import sys

from h2ot import __version__
from h2ot.commands import bench, data, evaluate, export, train, video
from h2ot.errors import H2OTError

SUBCOMMANDS = (video, train, evaluate, bench, export, data)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="h2ot", description="3D human pose lifting with hourglass-pruned video pose transformers."
    )
    parser.add_argument("--version", action="version", version=f"h2ot {__version__}",
                        help="print the version of h2ot and exit")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, --version, or a bad argument (argparse has printed why)
        return int(done.code or 0)
    try:
        return int(args.run(args) or 0)
    except H2OTError as error:
        print(f"h2ot {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
