"""Cost of models, measured side by side in one run: parameters, FLOPs, latency, achieved GFLOP/s, peak memory,
and the machine's own matrix-product GFLOP/s as the yardstick.

FLOPs are counted by `torch.utils.flop_counter.FlopCounterMode` (matrix products and attention; 1 multiply-add
= 2 FLOPs), per clip, and per output frame: T frames for seq2seq models, 1 (the centre frame) for seq2frame.
Latency is the median of `repeat` forward passes after `warmup` passes, in eval mode, without gradients.
Peak memory is the weights plus the most memory the forward pass held above what was held before it: on CUDA
from the allocator's statistics, on a Linux CPU from the peak resident size of a fresh process running one pass.

The runtime is PyTorch, or onnxruntime on the CPU running the model's ONNX export (`h2ot.export.onnx`) with as many
threads as PyTorch uses; its FLOPs are the PyTorch model's count, so GFLOP/s compare directly (its peak memory is
not measured).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import multiprocessing
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

from h2ot.hourglass.hourglass import HourglassModel


@dataclass
class BenchRecord:
    model: str
    frames: int
    batch: int
    params: int
    flops_per_clip: float
    flops_per_frame: float
    latency_ms: float
    gflops_per_s: float
    peak_mem_mb: float | None
    device: str
    threads: int
    runtime: str = "torch"

    def as_dict(self) -> dict:
        return asdict(self)


def _cpu_flash_attention_flops(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs) -> int:
    return sdpa_flop_count(query_shape, key_shape, value_shape)


# The flop counter knows the CUDA attention kernels but not the CPU one that SDPA dispatches to on a CPU.
_EXTRA_FLOP_FORMULAS = {torch.ops.aten._scaled_dot_product_flash_attention_for_cpu: _cpu_flash_attention_flops}


def count_flops(model: torch.nn.Module, x: torch.Tensor) -> int:
    """FLOPs of one forward pass of `model` on `x` (1 multiply-add = 2 FLOPs)."""
    with torch.no_grad(), FlopCounterMode(display=False, custom_mapping=_EXTRA_FLOP_FORMULAS) as counter:
        model(x)
    return counter.get_total_flops()


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_forward(model: torch.nn.Module, x: torch.Tensor, warmup: int = 1, repeat: int = 5) -> float:
    """Median wall time of a forward pass, in seconds."""
    with torch.no_grad():
        return time_calls(lambda: model(x), x.device, warmup, repeat)


def time_calls(call: Callable[[], object], device: torch.device, warmup: int = 1, repeat: int = 5) -> float:
    """Median wall time of `call()` after `warmup` untimed calls, in seconds."""
    times = []
    for index in range(warmup + repeat):
        _synchronize(device)
        start = time.perf_counter()
        call()
        _synchronize(device)
        if index >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def _proc_status_kb(field: str) -> int | None:
    status = Path("/proc/self/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def _return_freed_memory_to_the_system() -> None:
    """Make the resident size follow the live tensors: glibc otherwise keeps freed blocks (and raises its mmap
    threshold after each large free), so a pass that reuses them would look free."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(-3, 64 * 1024)  # M_MMAP_THRESHOLD: large blocks always mmap'd, given back on free
        libc.malloc_trim(0)


def _forward_growth_kb(model: torch.nn.Module, x: torch.Tensor) -> int | None:
    """In a fresh process: how far one forward pass raises the resident size above where it started (kB). A first
    pass loads the code the pass needs; the second is measured."""
    _return_freed_memory_to_the_system()
    with torch.no_grad():
        model(x)
    _return_freed_memory_to_the_system()
    before = _proc_status_kb("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets the peak resident size (VmHWM)
    except OSError:
        return None
    with torch.no_grad():
        model(x)
    peak = _proc_status_kb("VmHWM")
    return None if before is None or peak is None else max(peak - before, 0)


def peak_memory_mb(model: torch.nn.Module, x: torch.Tensor) -> float | None:
    """Weights plus the peak extra memory of one forward pass (None where it cannot be measured).

    On a CPU the pass runs in a freshly spawned process, so that neither earlier passes nor the allocator
    settings this needs touch the timings of the caller."""
    weights = sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()])
    if x.device.type == "cuda":
        gc.collect()
        torch.cuda.synchronize(x.device)
        before = torch.cuda.memory_allocated(x.device)
        torch.cuda.reset_peak_memory_stats(x.device)
        with torch.no_grad():
            model(x)
        torch.cuda.synchronize(x.device)
        return (weights + torch.cuda.max_memory_allocated(x.device) - before) / 2**20
    if not Path("/proc/self/clear_refs").exists():
        return None
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        growth = pool.apply(_forward_growth_kb, (model, x))
    return None if growth is None else (weights + growth * 1024) / 2**20


def matmul_gflops(device: torch.device, size: int = 2048, repeat: int = 5) -> float:
    """The machine's float32 matrix-product speed: best of `repeat` products of two size x size matrices."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    best = float("inf")
    for _ in range(repeat + 1):
        _synchronize(device)
        start = time.perf_counter()
        a @ b
        _synchronize(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def output_frames(model: HourglassModel) -> int:
    return model.frames if model.pipeline == "seq2seq" else 1


def bench_model(name: str, model: HourglassModel, batch: int = 1, device: str | torch.device = "cpu",
                warmup: int = 1, repeat: int = 5) -> BenchRecord:
    device = torch.device(device)
    model = model.to(device).eval()
    x = torch.randn(batch, model.frames, model.backbone.num_joints, model.backbone.in_channels, device=device)
    flops = count_flops(model, x) / batch
    latency = time_forward(model, x, warmup, repeat)
    return _record(name, model, batch, flops, latency, peak_memory_mb(model, x), str(device), torch.get_num_threads())


def bench_onnxruntime(name: str, model: HourglassModel, batch: int = 1, warmup: int = 1,
                      repeat: int = 5) -> BenchRecord:
    """`bench_model` for the ONNX export of `model` run by onnxruntime on the CPU (FLOPs: the PyTorch count)."""
    from h2ot.export.onnx import INPUT, example_input, onnx_bytes, onnxruntime_session

    model = model.to("cpu").eval()
    x = example_input(model, batch)
    flops = count_flops(model, x) / batch
    threads = torch.get_num_threads()
    session = onnxruntime_session(onnx_bytes(model, batch), threads=threads)
    feed = {INPUT: x.numpy()}
    latency = time_calls(lambda: session.run(None, feed), x.device, warmup, repeat)
    return _record(name, model, batch, flops, latency, None, "cpu", threads, runtime="onnxruntime")


def _record(name: str, model: HourglassModel, batch: int, flops: float, latency: float, peak_mem_mb: float | None,
            device: str, threads: int, runtime: str = "torch") -> BenchRecord:
    """A `BenchRecord` from the FLOPs per clip and the median latency of a batch (seconds)."""
    return BenchRecord(
        model=name, frames=model.frames, batch=batch, params=sum(p.numel() for p in model.parameters()),
        flops_per_clip=flops, flops_per_frame=flops / output_frames(model),
        latency_ms=latency * 1e3, gflops_per_s=flops * batch / latency / 1e9,
        peak_mem_mb=peak_mem_mb, device=device, threads=threads, runtime=runtime,
    )
