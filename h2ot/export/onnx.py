"""Any h2ot model, pruned or not, as an ONNX file that onnxruntime (or any ONNX runtime) runs without PyTorch.

    export_onnx(model, "lifter.onnx", batch=1, fps=50)

The graph holds the whole hourglass: the token pruning (TPC's density peaks, TPS's grid, ...) runs inside it on
the input it is given, with every token count fixed: the clip length, the batch and each stage's kept count are
those of the model (and `batch`). Its input and outputs are named and described in `h2ot.export.onnx_metadata`;
the kept frame indices are outputs too, so that a user (and the tests) can see which frames each stage kept.

Exporter: the TorchScript one (`torch.onnx.export(..., dynamo=False)`), deprecated in favour of the
`torch.export`-based one but still in torch 2.13. It records the operations run on an example input, so the
checks in Python that read a value (the input's finiteness, the protected centre frame being in play, shapes) run
once, at export, and are not in the graph; every choice of frames is made of tensor operations (comparisons,
top-k, scatter, gather) and is in the graph. The `torch.export` exporter cannot branch on a tensor's value (it
would need those checks skipped while exporting) and needs the onnxscript package besides; the tests hold the
graph to PyTorch on inputs other than the example, so a value baked in by mistake would show.
"""

from __future__ import annotations

import importlib
import io
import os
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from h2ot.errors import H2OTError
from h2ot.export.common import check_target, write_atomically
from h2ot.export.onnx_metadata import INPUT, describe, describe_io, output_names
from h2ot.hourglass.hourglass import HourglassModel

OPSET = 17  # LayerNormalization is an ONNX operator from 17 on; onnxruntime has run opset 17 since 1.14


class ExportGraph(nn.Module):
    """What the ONNX graph computes: the poses, the clip frame of each pose row, and each stage's kept frames."""

    def __init__(self, model: HourglassModel):
        super().__init__()
        self.model = model

    def forward(self, keypoints: Tensor) -> tuple[Tensor, ...]:
        out = self.model.predict(keypoints)
        return (out.poses, out.frames, *out.kept)


def require(module: str) -> Any:
    """Import `module` (onnx, onnxruntime), or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise H2OTError(f"{module} is not installed: install h2ot's onnx extra (pip install -e '.[onnx]')") \
            from None


def example_input(model: HourglassModel, batch: int) -> Tensor:
    """A fixed random clip of the model's shape: what the exporter runs the model on (any clip would do)."""
    backbone = model.backbone
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(batch, model.frames, backbone.num_joints, backbone.in_channels, generator=generator)
    return x.to(next(model.parameters()).device)


def onnx_bytes(model: HourglassModel, batch: int | None = 1, metadata: dict[str, str] | None = None,
               opset: int = OPSET) -> bytes:
    """The ONNX file of `model` for clips of `batch` (None: any batch, a dynamic first axis; the token counts stay
    fixed), with `metadata` in its metadata_props."""
    onnx = require("onnx")
    if batch is not None and batch < 1:
        raise H2OTError(f"batch must be at least 1, got {batch}")
    graph = ExportGraph(model)
    was_training = model.training
    # The exporter puts the module in eval mode and afterwards restores the mode of the module it was given to all
    # its children: a fresh wrapper is in training mode, so eval() it first, and give the model back its own mode.
    graph.eval()
    buffer = io.BytesIO()
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # The legacy exporter's deprecation notice, and the tracer's notes on Python checks of tensor values
            # (shapes, which are fixed in the graph, and the input checks the module docstring names).
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            warnings.filterwarnings("ignore", message="Exporting aten::index operator")
            names = output_names(model)
            dynamic = None if batch is not None else {name: {0: "batch"} for name in (INPUT, *names)}
            torch.onnx.export(graph, (example_input(model, batch or 2),), buffer, dynamo=False, opset_version=opset,
                              input_names=[INPUT], output_names=names, dynamic_axes=dynamic)
    finally:
        model.train(was_training)
    proto = onnx.load_from_string(buffer.getvalue())
    docs = describe_io(model, batch)
    for value in [*proto.graph.input, *proto.graph.output]:
        value.doc_string = docs.get(value.name, "")
    proto.doc_string = "h2ot 3D pose lifter: " + "; ".join(f"{name}: {text}" for name, text in docs.items())
    for key, value in (metadata or {}).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    return proto.SerializeToString()


def check_writable(path: str | Path, overwrite: bool) -> Path:
    """`path` if a file can be written there (the folders to make included); otherwise one sentence why not."""
    path = check_target(path, overwrite)
    existing = next(folder for folder in (path.parent, *path.parent.parents) if folder.exists())
    if not existing.is_dir():
        raise H2OTError(f"cannot write {path}: {existing} is a file, not a folder; choose another path.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise H2OTError(f"cannot write {path}: no permission to write in {existing}; choose another path.")
    return path


def export_onnx(model: HourglassModel, path: str | Path, batch: int = 1, overwrite: bool = False, name: str = "",
                fps: float | None = None, record: dict[str, Any] | None = None, opset: int = OPSET) -> Path:
    """Write `model` as the ONNX file `path` (atomically; an existing file only with `overwrite`), for clips of
    `batch`. `name`, `fps` and `record` (a checkpoint's contents; see `h2ot.config.load_model_with_record`) go into
    the file's metadata, with what the model expects (`h2ot.export.onnx_metadata`). Returns the path."""
    if not isinstance(model, HourglassModel):
        raise H2OTError(f"export_onnx takes an h2ot model (h2ot.create_model, h2ot.load, h2ot.from_official), got "
                        f"{type(model).__name__}")
    path = check_writable(path, overwrite)
    data = onnx_bytes(model, batch, describe(model, batch, name=name, fps=fps, record=record), opset)
    try:
        return write_atomically(path, data, overwrite)
    except OSError as error:
        raise H2OTError(f"cannot write {path}: {error.strerror or error}; choose another path.") from None


def read_metadata(path: str | Path) -> dict[str, str]:
    """The metadata_props of an ONNX file."""
    onnx = require("onnx")
    proto = onnx.load(str(path), load_external_data=False)
    return {entry.key: entry.value for entry in proto.metadata_props}


def onnxruntime_session(model: bytes | str | Path, threads: int | None = None) -> Any:
    """An onnxruntime CPU session of an ONNX file (or its bytes), using `threads` threads within an operator
    (default: onnxruntime's own)."""
    ort = require("onnxruntime")
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
