import pytest
import torch

import h2ot
from h2ot.checkpoint import load_checkpoint, save_checkpoint
from h2ot.errors import H2OTError


def test_round_trip_rebuilds_the_same_model(tmp_path):
    config = h2ot.resolve_config("mixste", frames=9, dim=16, mlp_hidden=32, depth=2, num_heads=2,
                                 hourglass={"pruner": "tps", "recoverer": "tri", "schedule": [[1, 3]]})
    model = h2ot.build_model(config).eval()
    path = save_checkpoint(tmp_path / "run" / "best.pt", model, config, epoch=3, data={"fps": 30})
    assert [p.name for p in path.parent.iterdir()] == ["best.pt"]  # no temporary file left behind
    loaded, payload = load_checkpoint(path)
    assert payload["epoch"] == 3 and payload["data"] == {"fps": 30}
    x = torch.randn(2, 9, 17, 2)
    torch.testing.assert_close(loaded(x), model(x))


def test_foreign_and_corrupt_files_are_refused(tmp_path):
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(H2OTError, match="not an h2ot checkpoint"):
        load_checkpoint(foreign)
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00" * 10)
    with pytest.raises(H2OTError, match="not a readable"):
        load_checkpoint(corrupt)


def test_release_copy_drops_the_training_state(tmp_path):
    from h2ot.checkpoint import save_for_release

    config = h2ot.resolve_config("mixste", frames=9, dim=16, mlp_hidden=32, depth=2, num_heads=2)
    model = h2ot.build_model(config).eval()
    source = save_checkpoint(tmp_path / "last.pt", model, config, optimizer={"state": {}}, rng=torch.zeros(3),
                             epoch=2, data={"fps": 30})
    release = save_for_release(source, tmp_path / "model.pt")
    _, payload = load_checkpoint(release)
    assert "optimizer" not in payload and "rng" not in payload and payload["epoch"] == 2
    assert "optimizer" in torch.load(source, weights_only=True)
    with pytest.raises(H2OTError, match="another file"):
        save_for_release(source, source)


def test_h2ot_load_gives_a_trained_model_in_eval_mode(tmp_path):
    config = h2ot.resolve_config("mixste", frames=9, dim=16, mlp_hidden=32, depth=2, num_heads=2, drop=0.5)
    model = h2ot.build_model(config)
    path = save_checkpoint(tmp_path / "best.pt", model, config)
    loaded = h2ot.load(path)
    assert not loaded.training
    x = torch.randn(1, 9, 17, 2)
    torch.testing.assert_close(loaded(x), loaded(x), rtol=0, atol=0)  # dropout is off
    torch.testing.assert_close(loaded(x), model.eval()(x))
    with pytest.raises(H2OTError, match="presets such as 'mixste' are untrained"):
        h2ot.load("mixste")
    with pytest.raises(H2OTError, match="no checkpoint at"):
        h2ot.load(tmp_path / "absent.pt")


def test_h2ot_load_takes_a_shipped_models_name():
    from h2ot.lifter import shipped_models

    if "bandai-mixste-small" not in shipped_models():
        pytest.skip("models/bandai-mixste-small is not here")
    assert h2ot.load("bandai-mixste-small").frames == 81
