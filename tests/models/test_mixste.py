import pytest
import torch
from golden_vectors import relative_error

import h2ot
from h2ot.errors import H2OTError


@pytest.fixture
def official(golden):
    def load(name):
        meta, state, arrays = golden(name)
        return h2ot.from_official(name, state, **meta["config"]), state, arrays
    return load


def test_official_mixste_is_equivalent(official):
    model, _, arrays = official("mixste")
    with torch.no_grad():
        assert relative_error(model(arrays["input"]), arrays["output"]) <= 1e-5


def test_official_tpc_mixste_is_equivalent_on_the_official_kept_frames(official):
    # With random weights every frame's TPC density is 1.0 in float32, so the official choice was made by
    # its tie-breaking noise: replay it.
    model, _, arrays = official("tpc_mixste")
    with torch.no_grad():
        out = model.predict(arrays["input"], kept=[arrays["kept_index"]])
    assert out.poses.shape == arrays["output"].shape
    assert relative_error(out.poses, arrays["output"]) <= 1e-5
    assert torch.equal(out.frames, arrays["kept_index"])
    with torch.no_grad():  # a fresh choice keeps the centre and as many frames, in time order
        fresh = model.predict(arrays["input"])
    assert fresh.frames.shape == arrays["kept_index"].shape and (fresh.frames == 13).any(dim=1).all()


def test_official_hot_mixste_is_equivalent_on_the_official_kept_frames(official):
    # Its TPC choice, too, was made by the official run's tie-breaking noise (see above): replay it.
    model, _, arrays = official("hot_mixste")
    with torch.no_grad():
        out = model.predict(arrays["input"], kept=[arrays["kept_index"]])
    assert relative_error(out.poses, arrays["output"]) <= 1e-5
    assert torch.equal(out.kept[0], arrays["kept_index"])


def test_checkpoint_wrappers_prefixes_and_files(tmp_path, golden):
    meta, state, arrays = golden("mixste")
    wrapped = {"model_pos": {f"module.{k}": v for k, v in state.items()}, "epoch": 3}
    path = tmp_path / "mixste.bin"
    torch.save(wrapped, path)
    before = path.read_bytes()
    model = h2ot.from_official("mixste", path, **meta["config"])
    assert path.read_bytes() == before
    with torch.no_grad():
        assert relative_error(model(arrays["input"]), arrays["output"]) <= 1e-5
    for key in ("model", "state_dict"):
        h2ot.from_official("mixste", {key: state}, **meta["config"])


def test_wrong_checkpoints_name_the_keys(golden):
    meta, state, _ = golden("mixste")
    broken = dict(state)
    del broken["Temporal_norm.weight"]
    broken["extra.weight"] = torch.zeros(1)
    broken["head.1.weight"] = torch.zeros(4, 32)
    with pytest.raises(H2OTError) as error:
        h2ot.from_official("mixste", broken, **meta["config"])
    message = str(error.value)
    assert "missing keys: backbone.temporal_norm.weight" in message
    assert "unexpected keys: extra.weight" in message
    assert "backbone.head_linear.weight (checkpoint [4, 32], model [3, 32])" in message
    with pytest.raises(H2OTError, match="mis-shaped"):  # a config that does not fit the weights
        h2ot.from_official("mixste", state, **{**meta["config"], "frames": 81})


def test_corrupt_and_foreign_files_are_refused(tmp_path):
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(H2OTError, match="not a readable PyTorch checkpoint"):
        h2ot.from_official("mixste", corrupt)
    foreign = tmp_path / "foreign.pth"
    torch.save([1, 2, 3], foreign)
    with pytest.raises(H2OTError, match="must hold a state_dict"):
        h2ot.from_official("mixste", foreign)
    with pytest.raises(H2OTError, match="no checkpoint file"):
        h2ot.from_official("mixste", tmp_path / "absent.pth")
    with pytest.raises(H2OTError, match="no official setting 'channels'"):
        h2ot.from_official("mixste", {}, channels=3)
    with pytest.raises(H2OTError, match="unknown official model"):
        h2ot.from_official("mixformer", {})


def test_presets_have_the_published_size():
    with torch.device("meta"):
        sizes = {name: sum(p.numel() for p in h2ot.create_model(name).parameters())
                 for name in ("mixste", "hot-mixste", "h2ot-mixste")}
    assert round(sizes["mixste"] / 1e6, 2) == 33.78
    assert round(sizes["hot-mixste"] / 1e6, 2) == 35.00
    # h2ot-mixste adds a position embedding per stage: 121 + 61 + 41 frames of 512 channels
    assert sizes["h2ot-mixste"] - sizes["mixste"] == 243 * 512 + 4 * 512 * 512 + 4 * 512 + (121 + 61 + 41) * 512
