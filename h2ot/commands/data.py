"""`h2ot data ...` (filled in by the data issue)."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="inspect datasets")
    parser.set_defaults(run=lambda args: parser.print_help())
