"""`h2ot export CHECKPOINT --release FILE`: a run's checkpoint without its training state, the form a shipped
model takes; what is not a checkpoint, or options of the ONNX export, are one sentence, and no file is touched."""

from __future__ import annotations

import pytest
import torch

from h2ot.checkpoint import TRAINING_STATE, load_checkpoint, read_checkpoint, save_checkpoint
from h2ot.cli import main
from h2ot.models.registry import build_model


@pytest.fixture
def trained(tmp_path):
    """A checkpoint as training leaves it: weights, records and the training state."""
    config = {"backbone": "mixste", "frames": 9, "dim": 8, "mlp_hidden": 8, "depth": 1, "num_heads": 2}
    state = {"optimizer": {"state": {}, "param_groups": []}, "schedule": {"last_epoch": 2}, "rng": torch.zeros(3),
             "batch": 5, "epoch_totals": {"loss": 1.0}}
    return save_checkpoint(tmp_path / "run" / "best.pt", build_model(config), config, epoch=2, data={"fps": 30},
                           **state)


def test_release_writes_the_checkpoint_without_its_training_state(tmp_path, trained, capsys):
    target = tmp_path / "models" / "tiny" / "model.pt"  # its folders are made
    assert main(["export", str(trained), "--release", str(target)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"wrote {target} (") and "MB" in out and "without its training state" in out
    source, release = read_checkpoint(trained), read_checkpoint(target)
    assert set(TRAINING_STATE) <= set(source) and not set(TRAINING_STATE) & set(release)
    assert release["epoch"] == 2 and release["data"] == {"fps": 30}
    assert release["model_config"] == source["model_config"] and release["state_dict"].keys() == source[
        "state_dict"].keys()
    for key, value in source["state_dict"].items():
        torch.testing.assert_close(release["state_dict"][key], value, rtol=0, atol=0)
    load_checkpoint(target)  # rebuilds its model
    assert main(["export", str(trained), "--release", str(target), "--force"]) == 0
    assert sorted(p.name for p in target.parent.iterdir()) == ["model.pt"]  # no temporary file left


@pytest.mark.parametrize(("argv", "message"), [
    (["mixste"], "--release copies an h2ot checkpoint (.pt) without its training state; mixste is not one: it is "
                 "a preset"),
    (["bandai-mixste-small"], "bandai-mixste-small is not one: it is a shipped model, already a release copy"),
    (["CONFIG"], "is not one: it is an experiment config"),
    (["ABSENT"], "no checkpoint file at"),
    (["FOREIGN"], "is not an h2ot checkpoint"),
    (["CHECKPOINT", "--budget", "0.5"], "as it is: drop --budget (it shapes the ONNX graph"),
    (["CHECKPOINT", "--batch", "1", "--frames", "9"], "drop --frames and --batch (they shape the ONNX"),
    (["CHECKPOINT", "--release", "EXISTING"], "exists; pass --force to replace it, or choose another path"),
    (["CHECKPOINT", "--release", "CHECKPOINT", "--force"], "write the release copy to another file than its source"),
    (["CHECKPOINT", "--onnx", "OUT"], "argument --onnx: not allowed with argument --release"),
    (["CHECKPOINT", "--release", "."], "is a folder; give the path of a file to write"),
])
def test_bad_release_input_is_one_sentence(argv, message, tmp_path, trained, capsys):
    files = {"CHECKPOINT": trained, "CONFIG": tmp_path / "tiny.yaml", "ABSENT": tmp_path / "absent.pt",
             "FOREIGN": tmp_path / "foreign.pt", "EXISTING": tmp_path / "existing.pt", "OUT": tmp_path / "out.onnx",
             ".": tmp_path}
    files["CONFIG"].write_text("model: {preset: mixste, frames: 9, dim: 8, mlp_hidden: 8, depth: 1, num_heads: 2}\n")
    torch.save({"state_dict": {}}, files["FOREIGN"])
    files["EXISTING"].write_bytes(b"the user's own file")
    before = trained.read_bytes()
    argv = [str(files.get(arg, arg)) for arg in argv]
    if "--release" not in argv:
        argv = [argv[0], "--release", str(tmp_path / "model.pt"), *argv[1:]]
    assert main(["export", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("error:") == 1
    assert not (tmp_path / "model.pt").exists() and not files["OUT"].exists()
    assert files["EXISTING"].read_bytes() == b"the user's own file" and trained.read_bytes() == before


def test_export_writes_exactly_one_of_onnx_and_release(tmp_path, capsys):
    assert main(["export", "mixste"]) == 2
    assert "one of the arguments --onnx --release is required" in capsys.readouterr().err
