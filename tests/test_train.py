"""Training end to end on a few real CMU clips with a tiny model: run folder, resume, Ctrl-C, DDP."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

import h2ot.train as train_module
from h2ot.checkpoint import load_checkpoint
from h2ot.errors import H2OTError
from h2ot.train import train

CMU = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cmu-sample"
pytestmark = pytest.mark.skipif(not CMU.exists(), reason=f"the CMU sample is not at {CMU}")


def tiny_config(**train):
    return {
        "name": "tiny",
        "model": {"preset": "mixste", "frames": 9, "dim": 16, "mlp_hidden": 32, "depth": 2, "num_heads": 2,
                  "hourglass": {"pruner": "tpc", "recoverer": "tra", "schedule": [[1, 5]]}},
        "data": {"source": str(CMU), "fps": 30, "train_views": 1, "noise": True, "seed": 0, "max_clips": 3},
        "train": {"epochs": 2, "batch_size": 8, "max_batches": 3, "lr": 1e-3, "seed": 0, **train},
        "eval": {"batch_size": 64},
    }


def weights(path):
    model, _ = load_checkpoint(path)
    return model.state_dict()


def test_a_run_folder_holds_config_log_and_checkpoints(tmp_path):
    config = tiny_config()
    best = train(config, tmp_path / "run", progress=False)
    run = tmp_path / "run"
    assert sorted(p.name for p in run.iterdir()) == ["best.pt", "config.yaml", "last.pt", "log.jsonl"]
    assert yaml.safe_load((run / "config.yaml").read_text()) == config
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2]
    assert all(r["val_mpjpe_mm"] > 0 and r["loss"] > 0 for r in log)
    model, payload = load_checkpoint(best)
    assert payload["data"]["source"] == str(CMU) and payload["model_config"]["frames"] == 9
    assert "normalisation" in payload
    assert model(torch.zeros(1, 9, 17, 2)).shape == (1, 9, 17, 3)
    with pytest.raises(H2OTError, match="already holds a run"):
        train(config, run, progress=False)


def test_resume_continues_exactly(tmp_path):
    straight = train(tiny_config(validate=False), tmp_path / "straight", progress=False)
    train(tiny_config(validate=False, epochs=1), tmp_path / "killed", progress=False)
    resumed = train(tiny_config(validate=False), tmp_path / "killed", resume=True, progress=False)
    for key, value in weights(straight).items():
        torch.testing.assert_close(weights(resumed)[key], value, rtol=0, atol=0)


def test_init_starts_from_a_checkpoints_weights(tmp_path):
    first = train(tiny_config(validate=False, epochs=1), tmp_path / "first", progress=False)
    # With a learning rate of 0 the fine-tuned run ends where it started: exactly the first run's weights.
    tuned = train(tiny_config(validate=False, epochs=1, lr=0.0, init=str(first)), tmp_path / "tuned", progress=False)
    fresh = weights(train(tiny_config(validate=False, epochs=1, lr=0.0), tmp_path / "fresh", progress=False))
    for key, value in weights(first).items():
        torch.testing.assert_close(weights(tuned)[key], value, rtol=0, atol=0)
    assert any(not torch.equal(fresh[key], value) for key, value in weights(first).items())
    other = dict(tiny_config(init=str(first)), model={**tiny_config()["model"], "dim": 32})
    with pytest.raises(H2OTError, match=r"init checkpoint .* does not fit the model .*mis-shaped"):
        train(other, tmp_path / "other", progress=False)
    with pytest.raises(H2OTError, match=r"init names .*missing\.pt, which is not a file"):
        train(tiny_config(init=str(tmp_path / "missing.pt")), tmp_path / "missing", progress=False)
    assert not (tmp_path / "other").exists() and not (tmp_path / "missing").exists()


def test_an_elastic_model_trains_at_a_budget_drawn_per_batch(tmp_path):
    config = tiny_config(validate=False, epochs=1, budget=[0.2, 1.0])
    config["model"]["hourglass"] |= {"elastic": True}
    model, _ = load_checkpoint(train(config, tmp_path / "elastic", progress=False))
    assert model.elastic and [tuple(e.shape) for e in model.stage_embeddings] == [(1, 9, 1, 16)]
    settings = train_module.TrainSettings.from_dict(config["train"])
    drawn = [train_module._budget_of(settings, 0, batch) for batch in range(50)]
    assert drawn == [train_module._budget_of(settings, 0, batch) for batch in range(50)]  # again after a resume
    assert 0.2 <= min(drawn) < 0.3 and 0.9 < max(drawn) <= 1.0 and len(set(drawn)) == 50
    with pytest.raises(H2OTError, match="budget needs an elastic model"):
        train(tiny_config(budget=[0.2, 1.0]), tmp_path / "plain", progress=False)
    with pytest.raises(H2OTError, match=r"budget takes \[low, high\] with 0 < low <= high <= 1"):
        train(tiny_config(budget=[0.5, 0.2]), tmp_path / "reversed", progress=False)


def test_a_fine_tune_may_add_budget_embeddings_which_start_at_zero_and_learn_at_their_own_rate(tmp_path, capsys):
    config = tiny_config(validate=False, epochs=1, budget=[0.2, 1.0])
    config["model"]["hourglass"] |= {"pruner": "tps", "recoverer": "tri", "elastic": True}
    first = train(config, tmp_path / "first", progress=False)
    config["model"]["hourglass"] |= {"budget_embedding": "blocks"}
    still = train(config | {"train": config["train"] | {"init": str(first), "lr": 0.0}}, tmp_path / "still",
                  progress=False)
    assert "so starting at zero: budget_embedding.tables.0" in capsys.readouterr().out
    for key, value in weights(still).items():
        expected = torch.zeros_like(value) if key.startswith("budget_embedding.") else weights(first)[key]
        torch.testing.assert_close(value, expected, rtol=0, atol=0)
    tuned = config | {"train": config["train"] | {"init": str(first), "lr_scale": {"budget_embedding": 10}}}
    last = torch.load(train(tuned, tmp_path / "tuned", progress=False), weights_only=False)
    assert [group["lr"] for group in last["optimizer"]["param_groups"]] == pytest.approx([1e-3 * 0.99, 1e-2 * 0.99])
    assert last["state_dict"]["budget_embedding.tables.0"].abs().max() > 0
    with pytest.raises(H2OTError, match="lr_scale names 'budget', which is no module of this model with parameters"):
        train(config | {"train": config["train"] | {"lr_scale": {"budget": 10}}}, tmp_path / "typo", progress=False)
    with pytest.raises(H2OTError, match="lr_scale maps modules to factors above 0, got 'x': -1"):
        train_module.TrainSettings.from_dict({"lr_scale": {"x": -1}})
    assert not (tmp_path / "typo").exists()


def test_the_sandwich_rule_trains_both_ends_of_the_range_beside_the_drawn_budget(tmp_path, monkeypatch):
    from h2ot.hourglass.hourglass import HourglassModel

    config = tiny_config(validate=False, epochs=1, budget=[0.2, 1.0], budget_draw="sandwich")
    config["model"]["hourglass"] |= {"elastic": True}
    seen, forward = [], HourglassModel.forward

    def recording(self, x, *args, budget=None, **kwargs):
        if self.training:
            seen.append(budget)
        return forward(self, x, *args, budget=budget, **kwargs)

    monkeypatch.setattr(HourglassModel, "forward", recording)
    train(config, tmp_path / "sandwich", progress=False)
    settings = train_module.TrainSettings.from_dict(config["train"])
    drawn = [train_module._budget_of(settings, 0, batch) for batch in range(3)]
    assert seen == [b for d in drawn for b in (1.0, 0.2, d)]  # three forwards a batch: high, low, drawn
    assert train_module._budgets_of(train_module.TrainSettings.from_dict({"budget": [0.2, 1.0]}), 0, 1) == [drawn[1]]
    with pytest.raises(H2OTError, match="budget_draw sandwich draws from the train setting budget: give it too"):
        train_module.TrainSettings.from_dict({"budget_draw": "sandwich"})
    with pytest.raises(H2OTError, match="unknown budget_draw 'widest': choose uniform, log-uniform, sandwich"):
        train_module.TrainSettings.from_dict({"budget": [0.2, 1.0], "budget_draw": "widest"})


def test_distillation_teaches_the_drawn_budget_the_high_ends_prediction(tmp_path, monkeypatch):
    from h2ot.losses import make_loss

    config = tiny_config(validate=False, epochs=1, budget=[0.2, 1.0], distill=True)
    config["model"]["hourglass"] |= {"elastic": True}
    calls = []

    def recording(name):
        loss = make_loss(name)

        def record(pred, target):
            calls.append((pred.detach().clone(), target.clone()))
            return loss(pred, target)
        return record

    monkeypatch.setattr(train_module, "make_loss", recording)
    train(config, tmp_path / "distill", progress=False)
    assert len(calls) == 6  # two forwards a batch: the high end on the ground truth, the drawn budget on it
    for (teacher, truth), (student, target) in zip(calls[::2], calls[1::2], strict=True):
        torch.testing.assert_close(target, teacher, rtol=0, atol=0)
        assert not torch.equal(truth, teacher) and not torch.equal(student, teacher)
    settings = train_module.TrainSettings.from_dict(config["train"])
    assert train_module._budgets_of(settings, 0, 1) == [1.0, train_module._budget_of(settings, 0, 1)]
    with pytest.raises(H2OTError, match="distill draws from the train setting budget: give it too"):
        train_module.TrainSettings.from_dict({"distill": True})
    seq2frame = tiny_config(budget=[0.2, 1.0], distill=True)
    seq2frame["model"] |= {"pipeline": "seq2frame", "hourglass": {"pruner": "tpc", "recoverer": None,
                                                                 "schedule": [[1, 5]], "elastic": True}}
    with pytest.raises(H2OTError, match="distill needs a seq2seq model"):
        train(seq2frame, tmp_path / "seq2frame", progress=False)
    assert not (tmp_path / "seq2frame").exists()


def test_a_log_uniform_draw_trains_the_low_end_of_the_range_more_often():
    uniform = train_module.TrainSettings.from_dict({"budget": [0.1, 1.0]})
    log_uniform = train_module.TrainSettings.from_dict({"budget": [0.1, 1.0], "budget_draw": "log-uniform"})
    draws = [(train_module._budget_of(uniform, epoch, batch), train_module._budget_of(log_uniform, epoch, batch))
             for epoch in range(4) for batch in range(500)]
    for plain, logged in draws:  # the same random share of the range, taken on a log scale
        assert logged == pytest.approx(0.1 * 10 ** ((plain - 0.1) / 0.9), rel=1e-6)
    assert train_module._budgets_of(log_uniform, 0, 7) == [draws[7][1]]  # one budget a batch, as uniform
    logged = np.array([d for _, d in draws])
    assert 0.1 <= logged.min() < 0.101 and 0.99 < logged.max() <= 1.0
    assert np.mean(logged < 0.2) == pytest.approx(np.log10(2), abs=0.02)  # 30% of the batches, not 11%
    assert np.mean(logged < 10 ** -0.5) == pytest.approx(0.5, abs=0.02)  # half below the range's geometric middle


def test_ctrl_c_saves_the_current_batch_and_resume_finishes(tmp_path, monkeypatch):
    class InterruptAfterTwoBatches(train_module._Interrupt):
        checks = 0

        @property
        def requested(self):
            type(self).checks += 1
            return type(self).checks == 2

        @requested.setter
        def requested(self, value):
            pass

    straight = train(tiny_config(validate=False), tmp_path / "straight", progress=False)
    monkeypatch.setattr(train_module, "_Interrupt", InterruptAfterTwoBatches)
    with pytest.raises(KeyboardInterrupt):
        train(tiny_config(validate=False), tmp_path / "run", progress=False)
    saved = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    assert (saved["epoch"], saved["batch"]) == (0, 2)
    resumed = train(tiny_config(validate=False), tmp_path / "run", resume=True, progress=False)
    for key, value in weights(straight).items():
        torch.testing.assert_close(weights(resumed)[key], value, rtol=0, atol=0)


def test_bad_train_settings_are_named(tmp_path):
    with pytest.raises(H2OTError, match="no setting 'epoch'"):
        train(dict(tiny_config(), train={"epoch": 3}), tmp_path / "a", progress=False)
    with pytest.raises(H2OTError, match="unknown loss"):
        train(dict(tiny_config(), train={"loss": "l1"}), tmp_path / "b", progress=False)
    with pytest.raises(H2OTError, match="nothing to resume"):
        train(tiny_config(), tmp_path / "c", resume=True, progress=False)


def test_two_processes_train_with_ddp_on_gloo(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_config(epochs=1)))
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [str(torchrun), "--standalone", "--nproc_per_node=2", "-m", "h2ot.cli", "train", "--config", str(config),
         "--out", str(tmp_path / "run"), "--no-progress", "--device", "cpu"],
        capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert log[0]["world_size"] == 2
    assert log[0]["clips"] == 2 * 3 * 8  # both processes ran their three batches of 8
    assert (tmp_path / "run" / "best.pt").is_file()
