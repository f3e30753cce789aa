"""`h2ot bench MODEL [MODEL ...]`: parameters, FLOPs, latency and memory of models, side by side."""

from __future__ import annotations

import argparse
import json

import torch

from h2ot.bench import bench_model, bench_onnxruntime, matmul_gflops
from h2ot.commands import positive_int
from h2ot.config import load_model
from h2ot.device import resolve_device
from h2ot.errors import H2OTError
from h2ot.export.runtime import RUNTIMES
from h2ot.lifter import shipped_models
from h2ot.models import list_models


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench", help="measure params, FLOPs, latency and memory of models side by side",
        description="Measure models side by side in one run; ratios are against the first model. FLOPs: "
                    "1 multiply-add = 2 FLOPs, counted by torch.utils.flop_counter.")
    parser.add_argument("models", nargs="+", metavar="MODEL",
                        help=f"a preset ({', '.join(list_models())}), a shipped model "
                             f"({', '.join(shipped_models())}), an experiment config (.yaml) or an h2ot "
                             "checkpoint (.pt)")
    parser.add_argument("--frames", type=positive_int, help="clip length (default: each preset's own)")
    parser.add_argument("--batch", type=positive_int, default=1, help="clips per forward pass (default 1)")
    parser.add_argument("--threads", type=positive_int, help="CPU threads (default: torch's default)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ... (default cpu)")
    parser.add_argument("--runtime", nargs="+", choices=RUNTIMES, default=["torch"], metavar="RUNTIME",
                        help="what runs each model: torch (default), onnxruntime (its ONNX export, on the CPU), or "
                             "both (--runtime torch onnxruntime), side by side in this run")
    parser.add_argument("--budget", type=float, nargs="+", metavar="SHARE",
                        help="elastic models: each share of frames kept at the last stage, in (0, 1], a row each")
    parser.add_argument("--repeat", type=positive_int, default=5,
                        help="timed passes; the median is reported (default 5)")
    parser.add_argument("--json", action="store_true", help="print a JSON list of records instead of a table")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    device = resolve_device(args.device)
    runtimes = list(dict.fromkeys(args.runtime))
    if "onnxruntime" in runtimes and device.type != "cpu":
        raise H2OTError(f"--runtime onnxruntime runs on the CPU, so it cannot be compared on {device}: drop --device "
                        "or --runtime onnxruntime")
    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = {"frames": args.frames} if args.frames is not None else {}
    records = []
    for name in args.models:
        model = load_model(name, **overrides)
        for budget in args.budget or [None]:
            model.set_budget(budget)
            label = name if budget is None else f"{name} @ {budget:g}"
            for runtime in runtimes:
                if runtime == "torch":
                    record = bench_model(label, model, args.batch, device, repeat=args.repeat)
                else:
                    record = bench_onnxruntime(label, model, args.batch, repeat=args.repeat)
                records.append(record.as_dict())
        del model
    machine = matmul_gflops(device)
    first = records[0]
    for record in records:
        record["machine_matmul_gflops_per_s"] = machine
        record["matmul_efficiency"] = record["gflops_per_s"] / machine
        record["flops_ratio"] = record["flops_per_clip"] / first["flops_per_clip"]
        record["speedup"] = first["latency_ms"] / record["latency_ms"]
    if args.json:
        print(json.dumps(records, indent=2))
    else:
        print(format_table(records, machine))
    return 0


def format_table(records: list[dict], machine: float) -> str:
    width = max(22, *(len(r["model"]) + 2 for r in records))
    header = (f"{'model':<{width}}{'runtime':<12}{'frames':>7}{'params':>10}{'GFLOPs/clip':>13}{'MFLOPs/frame':>14}"
              f"{'latency ms':>12}{'GFLOP/s':>9}{'of mm':>7}{'peak MB':>9}{'FLOPs x':>9}{'speed-up':>9}")
    lines = [header, "-" * len(header)]
    for r in records:
        memory = f"{r['peak_mem_mb']:.0f}" if r["peak_mem_mb"] is not None else "n/a"
        lines.append(
            f"{r['model']:<{width}}{r['runtime']:<12}{r['frames']:>7}{r['params'] / 1e6:>9.2f}M"
            f"{r['flops_per_clip'] / 1e9:>13.1f}{r['flops_per_frame'] / 1e6:>14.0f}{r['latency_ms']:>12.0f}"
            f"{r['gflops_per_s']:>9.1f}{r['matmul_efficiency']:>7.0%}{memory:>9}{r['flops_ratio']:>9.2f}{r['speedup']:>8.2f}x")
    first = records[0]
    lines.append(f"machine: {machine:.1f} GFLOP/s float32 matrix product (2048x2048) on {first['device']}, "
                 f"{first['threads']} threads, batch {first['batch']}; ratios against {first['model']} "
                 f"({first['runtime']})")
    return "\n".join(lines)
