"""Training runs that go wrong. Real signals to a real training process: Ctrl-C (SIGINT) at a batch, during
validation and while the data loads, and kill -9 (SIGKILL); a resumed run ends with the weights and log.jsonl of
the run never stopped. The processes pause at the chosen point (tests/train_child.py). And starts that fail: they
leave no run behind and touch nothing of the user's."""

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from data.humanoid import humanoid_bvh

import h2ot.train as train_module
from h2ot.cli import main
from h2ot.errors import H2OTError
from h2ot.train import train

CHILD = Path(__file__).with_name("train_child.py")
CONFIG = {
    "name": "tiny",
    "model": {"preset": "mixste", "frames": 9, "dim": 16, "mlp_hidden": 32, "depth": 2, "num_heads": 2,
              "hourglass": {"pruner": "tpc", "recoverer": "tra", "schedule": [[1, 5]]}},
    "data": {"source": [{"path": "clips/train", "split": "train"}, {"path": "clips/validation", "split": "validation"}],
             "fps": 30, "train_views": 1},
    "train": {"epochs": 2, "batch_size": 4, "lr": 1e-3, "checkpoint_minutes": 0},
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with humanoid clips, the config of a tiny model on them, and `straight/`: a run never stopped."""
    root = tmp_path_factory.mktemp("faults")
    for split, names in {"train": ("walk_a", "walk_b"), "validation": ("walk_c",)}.items():
        (root / "clips" / split).mkdir(parents=True)
        for name in names:
            humanoid_bvh(root / "clips" / split / f"{name}.bvh", frames=40)
    (root / "tiny.yaml").write_text(yaml.safe_dump(CONFIG))
    finish(root, "--config", "tiny.yaml", "--out", "straight")
    return root


def start(root: Path, *args: str, pause: str | None = None) -> subprocess.Popen:
    """`h2ot train ARGS` in a process of its own; with `pause`, it stops there (see train_child.py)."""
    program = [str(CHILD), pause, str(root / "paused")] if pause else ["-m", "h2ot.cli", "train"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "H2OT_CACHE": str(root / "cache")}
    (root / "paused").unlink(missing_ok=True)
    (root / "paused.go").unlink(missing_ok=True)
    return subprocess.Popen([sys.executable, *program, *args, "--no-progress"], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(root: Path, *args: str) -> None:
    process = start(root, *args)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-2000:]


def paused(root: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while not (root / "paused").exists():
        assert process.poll() is None, process.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the training never reached its pause"
        time.sleep(0.05)


def interrupt(root: Path, process: subprocess.Popen, resume_pause: bool = True) -> float:
    """SIGINT to the paused process; returns the seconds it took to exit (130, as after Ctrl-C)."""
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    if resume_pause:
        (root / "paused.go").touch()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err[-2000:]
    return time.monotonic() - sent


def saved_at(run: Path) -> tuple[int, int]:
    saved = torch.load(run / "last.pt", weights_only=True)
    return saved["epoch"], saved["batch"]


def batches_per_epoch(root: Path) -> int:
    return math.ceil(log_of(root / "straight")[0]["clips"] / CONFIG["train"]["batch_size"])


def log_of(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


def assert_same_run(run: Path, straight: Path) -> None:
    for name in ("last.pt", "best.pt"):
        ours, theirs = (torch.load(r / name, weights_only=True)["state_dict"] for r in (run, straight))
        assert ours.keys() == theirs.keys()
        for key, value in theirs.items():
            torch.testing.assert_close(ours[key], value, rtol=0, atol=0)

    def comparable(record: dict) -> dict:
        return {k: v for k, v in record.items() if k not in ("seconds", "resumed_at_batch")}

    assert [comparable(r) for r in log_of(run)] == [comparable(r) for r in log_of(straight)]


def test_ctrl_c_at_a_batch_saves_that_batch_and_resume_ends_as_if_never_stopped(folder):
    process = start(folder, "--config", "tiny.yaml", "--out", "at-batch", pause="batch:3")
    paused(folder, process)
    interrupt(folder, process)
    assert saved_at(folder / "at-batch") == (0, 3)  # the batch that ran when Ctrl-C came was finished and saved
    finish(folder, "--resume", "--out", "at-batch")  # no --config: the run's own config.yaml
    assert_same_run(folder / "at-batch", folder / "straight")
    log = log_of(folder / "at-batch")
    assert log[0]["resumed_at_batch"] == 3 and "resumed_at_batch" not in log[1]
    assert log[0]["clips"] == log_of(folder / "straight")[0]["clips"]  # the whole epoch, not the part after resume


def test_ctrl_c_during_validation_stops_at_once_and_resume_validates_again(folder):
    process = start(folder, "--config", "tiny.yaml", "--out", "in-validation", pause="validation")
    paused(folder, process)
    assert interrupt(folder, process, resume_pause=False) < 10  # the paused validation would wait a minute
    assert saved_at(folder / "in-validation") == (0, batches_per_epoch(folder))  # every batch, not the validation
    assert not (folder / "in-validation" / "log.jsonl").exists()
    finish(folder, "--resume", "--out", "in-validation")
    assert_same_run(folder / "in-validation", folder / "straight")


def test_kill_9_loses_only_the_batch_since_the_last_checkpoint(folder):
    per_epoch = batches_per_epoch(folder)
    process = start(folder, "--config", "tiny.yaml", pause=f"batch:{per_epoch + 2}")  # into runs/tiny
    paused(folder, process)
    process.kill()
    process.communicate(timeout=60)
    assert saved_at(folder / "runs" / "tiny") == (1, 1)  # checkpoint_minutes: 0 saves after every batch
    finish(folder, "--resume", "--config", "tiny.yaml")  # no --out: runs/tiny, as for a new run
    assert_same_run(folder / "runs" / "tiny", folder / "straight")


def test_a_start_stopped_before_its_first_checkpoint_is_no_run(folder, capsys, monkeypatch):
    process = start(folder, "--config", "tiny.yaml", "--out", "early", pause="load")
    paused(folder, process)
    interrupt(folder, process, resume_pause=False)
    assert not (folder / "early").exists()  # Ctrl-C: it removed what it wrote
    process = start(folder, "--config", "tiny.yaml", "--out", "early", pause="load")
    paused(folder, process)
    process.kill()
    process.communicate(timeout=60)
    assert [p.name for p in (folder / "early").iterdir()] == ["config.yaml"]  # kill -9 left it
    monkeypatch.chdir(folder)
    assert main(["train", "--resume", "--out", "early"]) == 2
    assert "holds no last.pt" in capsys.readouterr().err
    assert train_module.prepare_run_folder(folder / "early", CONFIG, resume=False) is False  # a new start takes it


def with_nan(path: Path) -> Path:
    """The humanoid with one rotation of its last frame made NaN."""
    lines = humanoid_bvh(path).read_text().splitlines()
    row = lines[-1].split()
    row[7] = "nan"
    path.write_text("\n".join([*lines[:-1], " ".join(row)]) + "\n")
    return path


def test_a_start_that_fails_leaves_nothing_behind(folder, tmp_path, monkeypatch):
    monkeypatch.chdir(folder)
    with pytest.raises(H2OTError, match="no setting 'dimm'"):
        train(dict(CONFIG, model=dict(CONFIG["model"], dimm=16)), tmp_path / "a", progress=False)
    with pytest.raises(H2OTError, match=r"nowhere is not found .* pass data.source=PATH"):
        train(dict(CONFIG, data={"source": "nowhere"}), tmp_path / "b", progress=False)
    (tmp_path / "nan").mkdir()
    with_nan(tmp_path / "nan" / "walk.bvh")
    with pytest.raises(H2OTError, match="is nan"):  # after the run folder was made, while the data loads
        train(dict(CONFIG, data={"source": str(tmp_path / "nan")}), tmp_path / "c", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nan"]


def test_a_folder_of_the_users_is_never_written_into(folder, tmp_path, monkeypatch):
    monkeypatch.chdir(folder)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(H2OTError, match=r"not a run's \(notes.txt\): choose another --out"):
        train(CONFIG, tmp_path / "mine", progress=False)
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("mine")
    with pytest.raises(H2OTError, match=r"cannot write the run folder .*Not a directory.*choose another --out"):
        train(CONFIG, tmp_path / "file" / "run", progress=False)
    with pytest.raises(H2OTError, match="is a file: choose another --out"):
        train(CONFIG, tmp_path / "file", progress=False)
    assert (tmp_path / "file").read_text() == "mine"


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's read-only /sys")
def test_a_read_only_out_is_one_sentence(folder, monkeypatch, capsys):
    monkeypatch.chdir(folder)
    assert main(["train", "--config", "tiny.yaml", "--out", "/sys/h2ot-run"]) == 2
    assert "cannot write the run folder /sys/h2ot-run" in capsys.readouterr().err
