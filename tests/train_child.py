"""`python tests/train_child.py POINT MARK h2ot-train-arguments...`: runs `h2ot train` in this process, and pauses
once at POINT so that a test can send it a real signal there. At the pause it creates the file MARK and waits
(up to a minute) for the file MARK.go.

POINT: `load` (while the training data loads), `batch:N` (in the N-th batch this process trains, before its
optimiser step) or `validation` (while the first validation runs)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import h2ot.train as train_module
from h2ot.cli import main


def pause(mark: Path) -> None:
    mark.touch()
    go, deadline = mark.with_name(mark.name + ".go"), time.monotonic() + 60
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def once(function, mark: Path):
    """`function`, pausing at its first call."""
    paused = False

    def wrapper(*args, **kwargs):
        nonlocal paused
        if not paused:
            paused = True
            pause(mark)
        return function(*args, **kwargs)

    return wrapper


def pause_at(point: str, mark: Path) -> None:
    if point == "load":
        train_module.load_split = once(train_module.load_split, mark)
    elif point == "validation":
        train_module.evaluate = once(train_module.evaluate, mark)
    elif point.startswith("batch:"):
        number, make_loss = int(point.removeprefix("batch:")), train_module.make_loss

        def counting_make_loss(name):
            loss, calls = make_loss(name), [0]

            def counted(pred, target):
                calls[0] += 1
                if calls[0] == number:
                    pause(mark)
                return loss(pred, target)

            return counted

        train_module.make_loss = counting_make_loss
    else:
        raise SystemExit(f"unknown pause point {point!r}")


if __name__ == "__main__":
    pause_at(sys.argv[1], Path(sys.argv[2]))
    sys.exit(main(["train", *sys.argv[3:]]))
