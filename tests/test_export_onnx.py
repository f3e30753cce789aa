"""ONNX export: every backbone family at a tiny size, pruned and not, seq2seq and seq2frame, runs in onnxruntime
with PyTorch's output and kept frames, on inputs other than the one the exporter ran; the file records what the
model expects; official models and h2ot checkpoints export; bad input is one sentence."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from golden_vectors import CONDITIONED, load_golden

import h2ot
from h2ot.checkpoint import save_checkpoint
from h2ot.cli import main
from h2ot.errors import H2OTError
from h2ot.export.onnx import example_input, export_onnx, onnxruntime_session, read_metadata
from h2ot.models.registry import build_model
from h2ot.skeleton import JOINT_NAMES

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

MIXSTE = {"backbone": "mixste", "frames": 27, "dim": 16, "mlp_hidden": 32, "depth": 4, "num_heads": 2}
MOTIONBERT = {"backbone": "motionbert", "frames": 12, "dim": 16, "mlp_hidden": 24, "dim_rep": 8, "depth": 3,
              "num_heads": 2}
MOTIONAGFORMER = {"backbone": "motionagformer", "frames": 9, "dim": 16, "n_layers": 3, "dim_rep": 16, "num_heads": 2,
                  "neighbour_num": 2}
MHFORMER = {"backbone": "mhformer", "pipeline": "seq2frame", "frames": 27, "dim": 16, "mlp_hidden": 24,
            "num_heads": 2, "encoder_depth": 1}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models gain nothing from threads, and lose much to them on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def pruned(config: dict, pruner: str, recoverer: str | None, schedule: list, **extra) -> dict:
    return config | {"hourglass": {"pruner": pruner, "recoverer": recoverer, "schedule": schedule}} | extra


CASES = {
    "mixste": MIXSTE,
    "mixste-tpc-tra": pruned(MIXSTE, "tpc", "tra", [[1, 13], [2, 7]]),
    "mixste-tps-tri": pruned(MIXSTE, "tps", "tri", [[1, 13], [3, 5]]),
    "mixste-tpa-tra": pruned(MIXSTE, "tpa", "tra", [[1, 13], [2, 7]]),
    "mixste-tpmo-tri": pruned(MIXSTE, "tpmo", "tri", [[2, 9]]),
    "mixste-tpc-seq2frame": pruned(MIXSTE, "tpc", None, [[1, 13], [2, 7]], pipeline="seq2frame"),
    "motionbert": MOTIONBERT,
    "motionbert-tpc-tra": pruned(MOTIONBERT, "tpc", "tra", [[1, 7], [2, 4]]),
    "motionbert-tps-tri": pruned(MOTIONBERT, "tps", "tri", [[0, 7], [2, 4]]),
    "motionagformer": MOTIONAGFORMER,
    "motionagformer-tpc-tra": pruned(MOTIONAGFORMER, "tpc", "tra", [[1, 6], [2, 3]]),
    "motionagformer-tps-tri": pruned(MOTIONAGFORMER, "tps", "tri", [[1, 6], [2, 3]]),
    "mhformer": MHFORMER,
    "mhformer-tpc-seq2frame": pruned(MHFORMER, "tpc", None, [[1, 13], [2, 5]]),
    "mhformer-tpc-at-block-0": pruned(MHFORMER, "tpc", None, [[0, 9]]),
}


def tiny(config: dict) -> h2ot.HourglassModel:
    """The model of `config` with every weight moved off its initial value (TRA's queries and the stage embeddings
    start at zero), in eval mode."""
    torch.manual_seed(0)
    model = build_model(config).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    return model


def clips(model: h2ot.HourglassModel, batch: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    backbone = model.backbone
    return torch.randn(batch, model.frames, backbone.num_joints, backbone.in_channels, generator=generator)


def run_both(model: h2ot.HourglassModel, path, x: torch.Tensor) -> tuple[list[np.ndarray], h2ot.HourglassOutput]:
    session = onnxruntime_session(path, threads=1)
    outputs = session.run(None, {"keypoints": x.numpy()})
    with torch.no_grad():
        return outputs, model.predict(x)


def relative_error(out: np.ndarray, ref: torch.Tensor) -> float:
    return float(np.linalg.norm(out - ref.numpy()) / np.linalg.norm(ref.numpy()))


@pytest.mark.parametrize("case", CASES)
def test_onnxruntime_gives_pytorchs_poses_and_kept_frames(case, tmp_path):
    model = tiny(CASES[case])
    path = export_onnx(model, tmp_path / f"{case}.onnx", batch=2)
    onnx.checker.check_model(str(path))
    kept_sets = []
    for seed in (1, 2):  # not the exporter's own input (example_input): the choice of frames is in the graph
        outputs, ref = run_both(model, path, clips(model, 2, seed))
        poses, frames, *kept = outputs
        assert poses.shape == tuple(ref.poses.shape)
        assert relative_error(poses, ref.poses) <= 1e-4
        assert np.array_equal(frames, ref.frames.numpy())
        assert len(kept) == len(ref.kept) and all(map(np.array_equal, kept, (k.numpy() for k in ref.kept)))
        kept_sets.append([k.tolist() for k in kept])
    if model.schedule.stages and model.pruner.name != "tps":  # data-dependent pruners: other clips, other frames
        with torch.no_grad():
            traced = [k.tolist() for k in model.predict(example_input(model, 2)).kept]
        assert kept_sets[0] != traced or kept_sets[1] != traced


@pytest.mark.parametrize("case", ["mixste-tpc-tra", "mixste-tps-tri", "motionbert-tpc-tra", "motionagformer-tps-tri",
                                  "mhformer-tpc-seq2frame"])
def test_a_dynamic_batch_runs_any_batch_with_pytorchs_frames(case, tmp_path):
    """batch=None (what `h2ot.lift` runs): one graph for every batch; the token counts stay fixed."""
    model = tiny(CASES[case])
    path = export_onnx(model, tmp_path / f"{case}.onnx", batch=None)
    assert read_metadata(path)["batch"] == "any"
    for batch in (1, 3):
        outputs, ref = run_both(model, path, clips(model, batch, seed=batch))
        assert outputs[0].shape == tuple(ref.poses.shape) and relative_error(outputs[0], ref.poses) <= 1e-4
        assert all(map(np.array_equal, outputs[2:], (k.numpy() for k in ref.kept)))


@pytest.mark.parametrize("budget_embedding", [None, "stages", "blocks"])
def test_an_elastic_model_exports_at_a_budget(tmp_path, budget_embedding):
    model = tiny(MIXSTE | {"hourglass": {"pruner": "tpc", "recoverer": "tra", "schedule": [[1, 13], [2, 7]],
                                         "elastic": True, "budget_embedding": budget_embedding}})
    path = export_onnx(model.set_budget(0.1), tmp_path / "tenth.onnx")
    meta = read_metadata(path)
    assert (meta["budget"], meta["schedule"]) == ("0.1", "[[1, 5], [2, 3]]")
    outputs, ref = run_both(model, path, clips(model, 1, seed=4))
    assert [k.shape for k in outputs[2:]] == [(1, 5), (1, 3)] and relative_error(outputs[0], ref.poses) <= 1e-4
    assert all(map(np.array_equal, outputs[2:], (k.numpy() for k in ref.kept)))


def test_export_leaves_the_model_in_its_mode(tmp_path):
    model = tiny(CASES["mixste-tpc-tra"]).train()
    export_onnx(model, tmp_path / "a.onnx")
    assert all(module.training for module in model.modules())
    model.eval()
    export_onnx(model, tmp_path / "b.onnx")
    assert not any(module.training for module in model.modules())


@pytest.mark.parametrize("name", ["hot_mixste", "tpc_mhformer", "hot_motionbert", "hot_motionagformer"])
def test_official_models_export_with_the_official_output(name, tmp_path):
    meta, state, arrays = load_golden(name, CONDITIONED)
    model = h2ot.from_official(name, state, **meta["config"])
    x = arrays["input"]
    path = export_onnx(model, tmp_path / f"{name}.onnx", batch=x.shape[0], name=name, fps=50)
    outputs, ref = run_both(model, path, x)
    assert relative_error(outputs[0], arrays["output"]) <= 1e-4
    assert relative_error(outputs[0], ref.poses) <= 1e-4
    assert np.array_equal(outputs[2], arrays["kept_index"].numpy())  # the official kept frames, chosen in the graph
    assert read_metadata(path)["fps"] == "50"


def test_a_checkpoint_exports_with_its_metadata(tmp_path, capsys):
    model = tiny(pruned(MIXSTE | {"in_channels": 3}, "tpc", "tra", [[1, 13], [2, 7]]))
    normalisation = {"joints": "Human3.6M 17", "input": "screen, as h2ot.camera.ScreenCodec",
                     "output": "metres, root-relative", "keypoints_2d": "detector keypoints"}
    checkpoint = save_checkpoint(tmp_path / "run" / "best.pt", model, CASES["mixste-tpc-tra"] | {"in_channels": 3},
                                 data={"source": "somewhere", "fps": 25.0}, normalisation=normalisation)
    target = tmp_path / "out" / "model.onnx"  # its folder is made
    assert main(["export", str(checkpoint), "--onnx", str(target)]) == 0
    assert "wrote" in capsys.readouterr().out
    proto = onnx.load(str(target))
    assert [v.name for v in proto.graph.input] == ["keypoints"]
    assert [v.name for v in proto.graph.output] == ["poses", "frames", "kept_0", "kept_1"]
    assert all(v.doc_string for v in [*proto.graph.input, *proto.graph.output])
    meta = read_metadata(target)
    assert json.loads(meta["joint_names"]) == list(JOINT_NAMES)
    assert meta["joint_order"].startswith("Human3.6M 17")
    assert meta["input_normalisation"] == normalisation["input"] and meta["keypoints_2d"] == "detector keypoints"
    assert (meta["frames"], meta["batch"], meta["fps"]) == ("27", "1", "25")
    assert meta["input_channels"].startswith("3 (x, y, confidence")
    assert meta["output_units"] == "metres" and "y down" in meta["output_axes"]
    assert meta["h2ot_version"] == h2ot.__version__ and meta["pipeline"] == "seq2seq"
    assert json.loads(meta["schedule"]) == [[1, 13], [2, 7]] and meta["pruner"] == "tpc" and meta["recoverer"] == "tra"
    assert set(json.loads(meta["outputs"])) == {"poses", "frames", "kept_0", "kept_1"}
    assert json.loads(meta["model_config"])["backbone"] == "mixste"
    outputs, ref = run_both(model, target, clips(model, 1, 3))
    assert relative_error(outputs[0], ref.poses) <= 1e-4
    assert onnxruntime_session(target).get_modelmeta().custom_metadata_map == meta  # as the README reads it


def test_a_shipped_model_exports_by_name(tmp_path):
    target = tmp_path / "shipped.onnx"
    assert main(["export", "bandai-mixste-small", "--onnx", str(target)]) == 0
    meta = read_metadata(target)
    assert meta["fps"] != "unknown" and json.loads(meta["joint_names"]) == list(JOINT_NAMES)
    model = h2ot.load("bandai-mixste-small")
    outputs, ref = run_both(model, target, clips(model, 1, 5))
    assert relative_error(outputs[0], ref.poses) <= 1e-4


def test_a_config_exports_at_other_frames_and_batch(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text("model: {preset: hot-mixste, frames: 27, dim: 16, mlp_hidden: 32, depth: 4, num_heads: 2}\n"
                      "data: {source: somewhere, fps: 60}\n")
    target = tmp_path / "tiny.onnx"
    assert main(["export", str(config), "--onnx", str(target), "--frames", "18", "--batch", "3"]) == 0
    meta = read_metadata(target)
    assert (meta["frames"], meta["batch"], meta["fps"], meta["schedule"]) == ("18", "3", "60", "[[3, 6]]")
    session = onnxruntime_session(target)
    assert session.get_inputs()[0].shape == [3, 18, 17, 2]
    assert [o.shape for o in session.get_outputs()] == [[3, 18, 17, 3], [3, 18], [3, 6]]
    anything = tmp_path / "any.onnx"
    assert main(["export", str(config), "--onnx", str(anything), "--batch", "any"]) == 0
    assert read_metadata(anything)["batch"] == "any"
    assert onnxruntime_session(anything).get_inputs()[0].shape == ["batch", 27, 17, 2]


def test_force_replaces_and_nothing_else_does(tmp_path, capsys):
    config = tmp_path / "tiny.yaml"
    config.write_text("model: {preset: mixste, frames: 9, dim: 8, mlp_hidden: 8, depth: 1, num_heads: 2}\n")
    target = tmp_path / "model.onnx"
    target.write_bytes(b"the user's own file")
    assert main(["export", str(config), "--onnx", str(target)]) == 2
    assert "exists; pass --force to replace it" in capsys.readouterr().err
    assert target.read_bytes() == b"the user's own file"
    assert main(["export", str(config), "--onnx", str(target), "--force"]) == 0
    assert read_metadata(target)["frames"] == "9"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx", "tiny.yaml"]  # no temporary file left


@pytest.fixture
def checkpoint(tmp_path):
    config = {"backbone": "mixste", "frames": 9, "dim": 8, "mlp_hidden": 8, "depth": 1, "num_heads": 2}
    return save_checkpoint(tmp_path / "m.pt", build_model(config), config)


@pytest.mark.parametrize(("argv", "message"), [
    (["nosuchmodel"], "unknown model 'nosuchmodel'"),
    (["hot-mixste", "--frames", "5"], "cannot be scaled to 5 frames"),
    (["mhformer", "--frames", "10"], "choose frames as a multiple of 9"),
    (["CHECKPOINT", "--frames", "27"], "a checkpoint's model cannot be changed (frames=27 (it has 9) given)"),
    (["mixste", "--frames", "0"], "argument --frames: takes a whole number of at least 1, got 0"),
    (["mixste", "--batch", "0"], "argument --batch: takes a whole number of at least 1, got 0"),
    (["mixste", "--onnx", "FILE/model.onnx"], "is a file, not a folder; choose another path"),
    (["mixste", "--onnx", "."], "is a folder; give the path of a file to write"),
])
def test_bad_input_is_one_sentence(argv, message, tmp_path, checkpoint, capsys):
    (tmp_path / "FILE").write_text("a file")
    argv = [str(checkpoint) if arg == "CHECKPOINT" else arg for arg in argv]
    argv = [str(tmp_path / arg) if arg.startswith("FILE") or arg == "." else arg for arg in argv]
    if "--onnx" not in argv:
        argv += ["--onnx", str(tmp_path / "out.onnx")]
    assert main(["export", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("error:") == 1
    assert not (tmp_path / "out.onnx").exists()


def test_the_library_refuses_what_is_not_a_model(tmp_path):
    with pytest.raises(H2OTError, match="takes an h2ot model"):
        export_onnx(torch.nn.Linear(2, 3), tmp_path / "x.onnx")

