"""Sub-commands of `h2ot`. Each module offers `add_parser(subparsers)`, which registers its parser and
sets `run=<function(args) -> int>` as the parser's default; the functions only parse and call the library."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (argparse turns the error into one sentence)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes a whole number of at least 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"takes a whole number of at least 1, got {value}")
    return value
