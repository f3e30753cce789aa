"""The `h2ot` command itself: its version, help for every option, and one sentence for each bad argument."""

import argparse
from pathlib import Path

import pytest
import torch

import h2ot
from h2ot.cli import build_parser, main

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "bandai-mixste-small.yaml"


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"h2ot {h2ot.__version__}"


def subcommand_parsers(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield name, child
                yield from ((f"{name} {sub}", grandchild) for sub, grandchild in subcommand_parsers(child))


def test_every_option_has_help():
    parsers = dict(subcommand_parsers(build_parser()))
    assert {"video", "train", "eval", "bench", "data", "data info"} <= set(parsers)
    missing = [f"{name} {action.dest}" for name, parser in parsers.items() for action in parser._actions
               if not isinstance(action, argparse._SubParsersAction) and not action.help]
    assert missing == []


@pytest.mark.parametrize(("argv", "message"), [
    (["bench", "mixste", "--frames", "-3"], "argument --frames: takes a whole number of at least 1, got -3"),
    (["bench", "mixste", "--frames", "0"], "argument --frames: takes a whole number of at least 1, got 0"),
    (["bench", "mixste", "--threads", "-2"], "argument --threads: takes a whole number of at least 1, got -2"),
    (["bench", "mixste", "--device", "banana"], "unknown device 'banana'"),
    (["bench", "hot-mixste", "--frames", "5"], "cannot be scaled to 5 frames"),
    (["eval", "--checkpoint", "x.pt", "--batch-size", "0"], "argument --batch-size: takes a whole number"),
    (["eval", "--checkpoint", "x.pt", "--device", "banana"], "unknown device 'banana'"),
    (["eval", "--checkpoint", "x.pt", "--split", "everything"], "argument --split: invalid choice: 'everything'"),
    (["train", "--config", str(CONFIG), "--device", "banana"], "unknown device 'banana'"),
    (["train", "--config", str(CONFIG), "train.epochs=abc"], "train setting epochs takes a whole number, got 'abc'"),
    (["train", "--config", str(CONFIG), "train.lr=fast"], "the train setting lr takes a number, got 'fast'"),
    (["train", "--config", str(CONFIG), "model.dim=abc"], "the model setting dim takes a whole number, got 'abc'"),
    (["train"], "pass --config CONFIG.yaml to start a run"),
    (["train", "--resume"], "--resume needs the run folder: pass --out RUN_FOLDER"),
])
def test_bad_arguments_are_one_sentence(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a run folder would be runs/<name> here
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err and err.count("error:") == 1


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("command", [["bench", "mixste"], ["eval", "--checkpoint", "x.pt"],
                                     ["train", "--config", str(CONFIG)]])
def test_cuda_on_a_machine_without_it_is_one_sentence(command, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*command, "--device", "cuda"]) == 2
    assert "this machine has no CUDA device: use cpu" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
