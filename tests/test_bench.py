import json

import pytest
import torch

import h2ot
from h2ot.bench import bench_model, count_flops
from h2ot.cli import main


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
