"""The device a caller names ("cpu", "cuda", "cuda:1", "mps"), checked against this machine in one sentence."""

from __future__ import annotations

import torch

from h2ot.errors import H2OTError


def resolve_device(name: str | torch.device | None = None) -> torch.device:
    """`name` as a torch device, after checking that this machine has it; None: CUDA when there is one, else
    the CPU."""
    if name is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise H2OTError(f"unknown device {str(name)!r}: use cpu, cuda, cuda:1, ... or mps") from None
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise H2OTError(f"device {str(name)!r} asked for, but this machine has no CUDA device: use cpu")
        if device.index is not None and device.index >= count:
            raise H2OTError(f"device {str(name)!r} asked for, but this machine has {count} CUDA device(s): "
                            f"use cuda:0 to cuda:{count - 1}")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise H2OTError(f"device {str(name)!r} asked for, but this machine has no MPS device: use cpu")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise H2OTError(f"device {str(name)!r} is not one h2ot runs on: use cpu, cuda, cuda:1, ... or mps")
    return device
