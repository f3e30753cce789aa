"""onnxruntime as the Lifter's runtime: a trained model's ONNX export, made once and cached, run on the CPU.

    session = cached_session(model, checkpoint, threads=2)   # onnxruntime.InferenceSession, input "keypoints"

The export has a dynamic batch (the token counts stay fixed) and is cached under `$H2OT_CACHE/onnx` (default
~/.cache/h2ot/onnx), named by a hash of the checkpoint file, the torch version and the exporter's opset: exporting
takes seconds, a cached file loads in a fraction of one. The cache is only a cache: a file that fails to load is
exported again.

`h2ot.lifter` runs the model in "torch" (the default) or "onnxruntime". On this project's 2-core CPU onnxruntime
is not faster for the lifter's work (batches of 16 windows and their mirrors: 3.34 s against 3.06 s for the
1,571-frame dancer, README), although `h2ot bench` times one clip of the default model faster in it; it is there
for deployments that run the ONNX file, and to check that the file gives the poses PyTorch gives.
"""

from __future__ import annotations

import hashlib
import importlib.util
import warnings
from pathlib import Path
from typing import Any

import torch

from h2ot.cache import cache_root
from h2ot.errors import H2OTError, H2OTWarning
from h2ot.export.common import write_atomically
from h2ot.export.onnx import OPSET, onnx_bytes, onnxruntime_session
from h2ot.hourglass.hourglass import HourglassModel

RUNTIMES = ("torch", "onnxruntime")  # what runs a model: the one list the commands and the Lifter offer


def onnxruntime_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("onnx", "onnxruntime"))


def check_runtime(runtime: str) -> str:
    if runtime not in RUNTIMES:
        raise H2OTError(f"unknown runtime {runtime!r}: choose {', '.join(RUNTIMES)}")
    return runtime


def why_not_onnxruntime(model: HourglassModel, device: torch.device, flip_test: bool) -> str | None:
    """What keeps onnxruntime from running `model` for the Lifter, or None."""
    if not onnxruntime_installed():
        return "onnx and onnxruntime are not installed (install h2ot's onnx extra: pip install -e '.[onnx]')"
    if device.type != "cpu":
        return f"it runs on the CPU, and the lifter's device is {device}"
    if model.pipeline == "seq2frame" and flip_test and len(model.schedule):
        return ("a pruned seq2frame model lifts the mirrored clip with the frames kept for the clip itself, "
                "which its ONNX graph does not take (turn the flip test off, or use the torch runtime)")
    return None


def _cache_file(checkpoint: Path, budget: float | None) -> Path:
    digest = hashlib.sha256()
    with open(checkpoint, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    digest.update(f"torch {torch.__version__} opset {OPSET} dynamic batch budget {budget}".encode())
    name = checkpoint.parent.name if checkpoint.name == "model.pt" else checkpoint.stem  # a shipped model's name
    return cache_root() / "onnx" / f"{name}-{digest.hexdigest()[:16]}.onnx"


def cached_session(model: HourglassModel, checkpoint: Path | None, threads: int | None = None) -> Any:
    """An onnxruntime session of `model`'s export with a dynamic batch: read from the cache when `checkpoint` (the
    file `model` was loaded from) has been exported before at the model's budget, else exported (and cached when
    `checkpoint` is given).
    A cache that cannot be written is warned about, not fatal."""
    if checkpoint is None:
        return onnxruntime_session(onnx_bytes(model, batch=None), threads)
    file = _cache_file(Path(checkpoint), model.budget)
    if file.is_file():
        try:
            return onnxruntime_session(file, threads)
        except Exception:  # a broken cache file (a crash mid-write elsewhere, a disk fault): export it again
            pass
    data = onnx_bytes(model, batch=None)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(file, data, overwrite=True)
    except OSError as error:
        warnings.warn(f"cannot cache the ONNX export in {file.parent} ({error.strerror or error}); set H2OT_CACHE "
                      "to a writable folder to skip the export next time", H2OTWarning, stacklevel=3)
    return onnxruntime_session(data, threads)
