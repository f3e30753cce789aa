"""Cost of models, measured side by side in one run: parameters, FLOPs, latency, achieved GFLOP/s, peak memory,
and the machine's own matrix-product GFLOP/s as the yardstick.

FLOPs are counted by `torch.utils.flop_counter.FlopCounterMode` (matrix products and attention; 1 multiply-add
= 2 FLOPs), per clip, and per output frame: T frames for seq2seq models, 1 (the centre frame) for seq2frame.
Latency is the median of `repeat` forward passes after `warmup` passes, in eval mode, without gradients.
Peak memory is the weights plus the most memory the forward pass held above what was held before it: on CUDA
from the allocator's statistics, on a Linux CPU from the process's peak resident size (reset before each pass).
"""

from __future__ import annotations

import gc
import statistics
import time
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
    times = []
    with torch.no_grad():
        for index in range(warmup + repeat):
            _synchronize(x.device)
            start = time.perf_counter()
            model(x)
            _synchronize(x.device)
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


def peak_memory_mb(model: torch.nn.Module, x: torch.Tensor) -> float | None:
    """Weights plus the peak extra memory of one forward pass (None where it cannot be measured)."""
    weights = sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()])
    gc.collect()
    with torch.no_grad():
        if x.device.type == "cuda":
            torch.cuda.synchronize(x.device)
            before = torch.cuda.memory_allocated(x.device)
            torch.cuda.reset_peak_memory_stats(x.device)
            model(x)
            torch.cuda.synchronize(x.device)
            extra = torch.cuda.max_memory_allocated(x.device) - before
        else:
            before = _proc_status_kb("VmRSS")
            try:
                Path("/proc/self/clear_refs").write_text("5")  # resets the peak resident size (VmHWM)
            except OSError:
                return None
            model(x)
            peak = _proc_status_kb("VmHWM")
            if before is None or peak is None:
                return None
            extra = max(peak - before, 0) * 1024
    return (weights + extra) / 2**20


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
    return BenchRecord(
        model=name, frames=model.frames, batch=batch,
        params=sum(p.numel() for p in model.parameters()),
        flops_per_clip=flops, flops_per_frame=flops / output_frames(model),
        latency_ms=latency * 1e3, gflops_per_s=flops * batch / latency / 1e9,
        peak_mem_mb=peak_memory_mb(model, x), device=str(device), threads=torch.get_num_threads(),
    )
