import json

import pytest
import torch

import h2ot
from h2ot.bench import bench_model, bench_onnxruntime, count_flops
from h2ot.cli import main
from h2ot.commands.bench import format_table


def test_linear_flops_are_two_per_multiply_add():
    assert count_flops(torch.nn.Linear(8, 5), torch.randn(3, 8)) == 2 * 3 * 8 * 5


def test_mixste_flops_match_the_analytic_count():
    b, t, j, c, hidden, depth = 1, 27, 17, 16, 32, 2
    model = h2ot.create_model("mixste", frames=t, dim=c, mlp_hidden=hidden, depth=depth, num_heads=2).eval()
    tokens = b * t * j
    linears = 2 * tokens * (3 * c * c + c * c + 2 * c * hidden)  # qkv, proj, MLP of one transformer block
    attention = 4 * (b * t) * j * j * c + 4 * (b * j) * t * t * c  # QK^T and AV, spatial then temporal
    expected = 2 * tokens * 2 * c + depth * (2 * linears + attention) + 2 * tokens * c * 3
    assert count_flops(model, torch.randn(b, t, j, 2)) == expected


def test_bench_record_per_frame_and_per_clip():
    model = h2ot.create_model("mixste", frames=9, dim=16, mlp_hidden=32, depth=2, num_heads=2)
    record = bench_model("tiny", model, repeat=1)
    assert record.flops_per_clip == count_flops(model.eval(), torch.randn(1, 9, 17, 2))
    assert record.flops_per_frame == pytest.approx(record.flops_per_clip / 9)
    assert record.params == sum(p.numel() for p in model.parameters())
    assert record.latency_ms > 0 and record.gflops_per_s > 0
    seq2frame = h2ot.create_model("mixste", frames=9, dim=16, mlp_hidden=32, depth=2, num_heads=2,
                                  pipeline="seq2frame")
    record = bench_model("tiny-seq2frame", seq2frame, repeat=1)
    assert record.flops_per_frame == record.flops_per_clip  # one prediction (the centre frame) per clip


def test_bench_command_prints_comparable_records(capsys):
    assert main(["bench", "mixste", "hot-mixste", "--frames", "27", "--repeat", "1", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["model"] for r in records] == ["mixste", "hot-mixste"]
    for key in ("params", "flops_per_clip", "flops_per_frame", "latency_ms", "gflops_per_s", "peak_mem_mb"):
        assert all(r[key] > 0 for r in records), key
    assert records[0]["speedup"] == 1.0 and records[0]["flops_ratio"] == 1.0
    assert records[1]["flops_ratio"] < 1.0


def test_bench_command_refuses_bad_arguments(capsys):
    assert main(["bench", "mixste", "--batch", "0"]) == 2
    assert "--batch" in capsys.readouterr().err
    assert main(["bench", "nosuchmodel"]) == 2
    assert "unknown model 'nosuchmodel'" in capsys.readouterr().err


def test_onnxruntime_record_uses_the_pytorch_flop_count():
    pytest.importorskip("onnxruntime")
    model = h2ot.create_model("mixste", frames=9, dim=16, mlp_hidden=32, depth=2, num_heads=2,
                              hourglass={"schedule": [[1, 5]]})
    record = bench_onnxruntime("tiny", model, batch=2, repeat=1)
    assert record.runtime == "onnxruntime" and record.device == "cpu" and record.batch == 2
    assert record.flops_per_clip == count_flops(model.eval(), torch.randn(2, 9, 17, 2)) / 2
    assert record.params == sum(p.numel() for p in model.parameters())
    assert record.latency_ms > 0 and record.peak_mem_mb is None
    assert record.gflops_per_s == pytest.approx(record.flops_per_clip * 2 / record.latency_ms / 1e6)


def test_bench_command_times_both_runtimes_side_by_side(tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    config = tmp_path / "tiny.yaml"
    config.write_text("model: {preset: hot-mixste, frames: 9, dim: 16, mlp_hidden: 32, depth: 4, num_heads: 2}\n")
    argv = ["bench", str(config), "--runtime", "torch", "onnxruntime", "--repeat", "1", "--threads", "1", "--json"]
    threads = torch.get_num_threads()
    try:
        assert main(argv) == 0
    finally:
        torch.set_num_threads(threads)  # --threads sets the process's own
    records = json.loads(capsys.readouterr().out)
    assert [r["runtime"] for r in records] == ["torch", "onnxruntime"]
    assert records[0]["flops_per_clip"] == records[1]["flops_per_clip"] and records[1]["flops_ratio"] == 1.0
    assert records[0]["speedup"] == 1.0 and records[1]["speedup"] > 0
    table = format_table(records, records[0]["machine_matmul_gflops_per_s"])
    assert "onnxruntime" in table and "(torch)" in table


def test_bench_refuses_onnxruntime_off_the_cpu(monkeypatch, capsys):
    monkeypatch.setattr("h2ot.commands.bench.resolve_device", lambda name: torch.device("cuda"))
    assert main(["bench", "mixste", "--runtime", "onnxruntime", "--device", "cuda"]) == 2
    assert "--runtime onnxruntime runs on the CPU" in capsys.readouterr().err


def test_an_elastic_model_is_benched_at_each_budget(tmp_path, capsys):
    config = tmp_path / "elastic.yaml"
    config.write_text("model: {preset: mixste, frames: 27, dim: 16, mlp_hidden: 32, depth: 4, num_heads: 2,\n"
                      "        hourglass: {pruner: tps, recoverer: tri, schedule: [[1, 13], [2, 7]], elastic: true}}\n")
    assert main(["bench", str(config), "--budget", "1", "0.26", "0.1", "--repeat", "1", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["model"] for r in records] == [f"{config} @ {b}" for b in ("1", "0.26", "0.1")]
    flops = [r["flops_per_clip"] for r in records]
    assert flops[0] > flops[1] > flops[2]
    model = h2ot.create_model("mixste", frames=27, dim=16, mlp_hidden=32, depth=4, num_heads=2)
    assert flops[0] == count_flops(model, torch.zeros(1, 27, 17, 2))  # budget 1: the backbone unpruned
    assert main(["bench", "hot-mixste", "--frames", "27", "--budget", "0.5"]) == 2
    assert "a budget needs an elastic model" in capsys.readouterr().err
