import json
from pathlib import Path

import numpy as np
import pytest
import torch
from data.humanoid import humanoid_bvh

import h2ot
from h2ot.checkpoint import save_checkpoint
from h2ot.cli import main
from h2ot.data.sequence import Sequence
from h2ot.data.sources import DataSpec, load_split
from h2ot.evaluate import predict_sequences, score
from h2ot.train import train

CMU = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cmu-sample"


def sequences(lengths, valid=None):
    rng = np.random.default_rng(0)
    return [Sequence(keypoints=rng.normal(size=(n, 17, 2)), poses=rng.normal(size=(n, 17, 3)), name=f"s{i}",
                     fps=30, valid=valid, meta={"style": "a" if i % 2 else "b"}) for i, n in enumerate(lengths)]


@pytest.mark.parametrize("pipeline", ["seq2seq", "seq2frame"])
def test_every_frame_is_predicted(pipeline):
    hourglass = {"pruner": "tpc", "recoverer": "tra" if pipeline == "seq2seq" else None, "schedule": [[1, 5]]}
    model = h2ot.create_model("mixste", frames=9, dim=16, mlp_hidden=32, depth=2, num_heads=2, pipeline=pipeline,
                              hourglass=hourglass)
    seqs = sequences([4, 9, 20])
    predictions = predict_sequences(model, seqs, batch_size=4)
    for pred, seq in zip(predictions, seqs, strict=True):
        assert pred.shape == (seq.num_frames, 17, 3)
        assert (pred[:, 0] == 0).all()  # the root is the origin
        assert (np.abs(pred[:, 1:]).sum(axis=(1, 2)) > 0).all()  # no frame left unwritten


def test_an_elastic_model_is_evaluated_at_a_budget():
    model = h2ot.create_model("mixste", frames=9, dim=16, mlp_hidden=32, depth=2, num_heads=2, hourglass={
        "pruner": "tps", "recoverer": "tri", "schedule": [[1, 3]], "elastic": True}).eval()
    plain = h2ot.create_model("mixste", frames=9, dim=16, mlp_hidden=32, depth=2, num_heads=2).eval()
    plain.load_state_dict(model.state_dict(), strict=False)  # all but the stage embedding
    seqs = sequences([9, 20])
    full = predict_sequences(model, seqs, budget=1.0)
    for ours, unpruned in zip(full, predict_sequences(plain, seqs), strict=True):  # budget 1: no pruning
        np.testing.assert_allclose(ours, unpruned, atol=1e-6)
    assert not np.allclose(predict_sequences(model, seqs, budget=0.2)[1], full[1], atol=1e-4)


def test_scores_count_each_valid_frame_once_and_group():
    seqs = sequences([5, 7, 3])
    perfect = [s.poses for s in seqs]
    result = score(perfect, seqs)
    assert result["frames"] == 15 and result["mpjpe_mm"] == 0 and result["pck_150"] == 100
    assert {k: v["frames"] for k, v in result["per_group"].items()} == {"a": 7, "b": 8}
    off = [s.poses + np.array([0.01, 0, 0], np.float32) for s in seqs]  # 10 mm off everywhere
    result = score(off, seqs)
    assert result["mpjpe_mm"] == pytest.approx(10, rel=1e-5) and result["mpjve_mm"] == pytest.approx(0, abs=1e-4)
    flagged = sequences([6], valid=np.array([True, False, True, True, False, True]))
    assert score([flagged[0].poses], flagged)["frames"] == 4


@pytest.mark.skipif(not CMU.exists(), reason=f"the CMU sample is not at {CMU}")
def test_eval_command_on_a_folder_without_split_uses_every_clip(tmp_path, capsys):
    config = {"name": "t", "model": {"preset": "mixste", "frames": 9, "dim": 16, "mlp_hidden": 32, "depth": 2,
                                     "num_heads": 2},
              "data": {"source": str(CMU), "fps": 30, "train_views": 1, "max_clips": 2},
              "train": {"epochs": 1, "batch_size": 8, "max_batches": 1, "validate": False}}
    checkpoint = train(config, tmp_path / "run", progress=False)
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(checkpoint), "--data", str(CMU), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    every_clip = load_split(DataSpec(str(CMU), fps=30), "all")
    assert result["clips"] == len(every_clip) == 24 * 4  # four rig cameras per clip
    assert result["frames"] == sum(s.num_frames for s in every_clip)
    for key in ("mpjpe_mm", "p_mpjpe_mm", "n_mpjpe_mm", "mpjve_mm"):
        assert result[key] > 0
    # the same command twice gives the same numbers (seeded cameras and noise)
    assert main(["eval", "--checkpoint", str(checkpoint), "--data", str(CMU), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["mpjpe_mm"] == result["mpjpe_mm"]
    assert main(["eval", "--checkpoint", str(tmp_path / "none.pt")]) == 2
    assert main(["eval", "--checkpoint", str(checkpoint), "--budget", "0.5"]) == 2
    assert "a budget needs an elastic model" in capsys.readouterr().err
    assert torch.load(checkpoint, weights_only=True)["format"] == "h2ot-checkpoint/1"


def test_eval_chooses_the_split_and_finds_the_checkpoints_own_data_from_anywhere(tmp_path, monkeypatch, capsys):
    clips = tmp_path / "project" / "clips"
    clips.mkdir(parents=True)
    humanoid_bvh(clips / "dataset-1_walk_mystyle_001.bvh", frames=40)  # a Bandai name, a style of one's own: train
    config = h2ot.resolve_config("mixste", frames=9, dim=16, mlp_hidden=32, depth=2, num_heads=2)
    model = h2ot.build_model(config)
    checkpoint = save_checkpoint(tmp_path / "project" / "runs" / "x" / "best.pt", model, config,
                                 data={"source": "clips", "fps": 30})  # as named from the project folder
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("H2OT_CACHE", str(tmp_path / "cache"))
    assert main(["eval", "--checkpoint", str(checkpoint), "--json"]) == 2
    assert "has no clip in its test split" in (err := capsys.readouterr().err) and "--split all" in err
    assert main(["eval", "--checkpoint", str(checkpoint), "--split", "all", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["split"] == "all" and result["source"] == str(clips) and result["frames"] > 0

    lost = save_checkpoint(tmp_path / "lost.pt", model, config, data={"source": "../shared/data/gone", "fps": 30})
    assert main(["eval", "--checkpoint", str(lost)]) == 2
    assert "../shared/data/gone is not found" in (err := capsys.readouterr().err) and "pass --data SOURCE" in err
    assert main(["eval", "--checkpoint", str(lost), "--data", str(clips), "--split", "train", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["frames"] == result["frames"]


def test_eval_scores_an_elastic_model_at_several_budgets_from_one_read(tmp_path, monkeypatch, capsys):
    clips = tmp_path / "clips"
    clips.mkdir()
    humanoid_bvh(clips / "walk.bvh", frames=40)
    config = h2ot.resolve_config("mixste", frames=9, dim=16, mlp_hidden=32, depth=2, num_heads=2, hourglass={
        "pruner": "tps", "recoverer": "tri", "schedule": [[1, 3]], "elastic": True})
    checkpoint = save_checkpoint(tmp_path / "elastic.pt", h2ot.build_model(config), config,
                                 data={"source": str(clips), "fps": 30})
    monkeypatch.setenv("H2OT_CACHE", str(tmp_path / "cache"))
    eval_ = ["eval", "--checkpoint", str(checkpoint), "--split", "all"]
    assert main([*eval_, "--budget", "0.3", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["budget"] for row in rows] == [0.3, 1.0]
    for row in rows:  # each row is what the budget alone gives
        assert main([*eval_, "--budget", str(row["budget"]), "--json"]) == 0
        assert json.loads(capsys.readouterr().out) == row
    assert rows[0]["mpjpe_mm"] != rows[1]["mpjpe_mm"]
    assert main([*eval_, "--budget", "0.3", "1"]) == 0
    out = capsys.readouterr().out
    assert "budget 0.3: 3 of 9 frames kept" in out and "budget 1: 9 of 9 frames kept" in out
    assert main([*eval_, "--budget", "0.3", "1.5"]) == 2  # every budget is checked before the data is read
    assert "a number in (0, 1]; got 1.5" in capsys.readouterr().err
