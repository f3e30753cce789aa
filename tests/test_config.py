import pytest

from h2ot.config import apply_overrides, load_config
from h2ot.errors import H2OTError


def test_overrides_are_yaml_values_at_dotted_keys(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nmodel: {preset: mixste, frames: 81}\ntrain: {epochs: 10}\n")
    config = load_config(path, ["train.epochs=3", "model.hourglass={pruner: tps, schedule: [[1, 9]]}",
                                "data.source=somewhere", "model.frames=27"])
    assert config["train"]["epochs"] == 3
    assert config["model"] == {"preset": "mixste", "frames": 27, "hourglass": {"pruner": "tps", "schedule": [[1, 9]]}}
    assert config["data"] == {"source": "somewhere"}
    assert "epochs: 10" in path.read_text()  # the file itself is untouched


@pytest.mark.parametrize(("override", "message"), [
    ("train.epochs", "section.key=value"),
    ("=3", "section.key=value"),
    ("name.sub=1", "not a section"),
    ("training.epochs=3", "unknown config section 'training'"),
])
def test_bad_overrides_are_named(override, message):
    with pytest.raises(H2OTError, match=message):
        apply_overrides({"name": "x"}, [override])


def test_bad_files_are_named(tmp_path):
    with pytest.raises(H2OTError, match="no config file"):
        load_config(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed\n")
    with pytest.raises(H2OTError, match="not valid YAML"):
        load_config(bad)
    bad.write_text("- a list\n")
    with pytest.raises(H2OTError, match="must hold a mapping"):
        load_config(bad)


def test_load_model_from_a_preset_a_config_or_a_checkpoint(tmp_path):
    from h2ot.checkpoint import save_checkpoint
    from h2ot.config import load_model, model_config_of

    config = tmp_path / "x.yaml"
    config.write_text("model: {preset: mixste, frames: 27, dim: 16, mlp_hidden: 32, depth: 2, num_heads: 2}\n")
    from_config = load_model(str(config))
    assert from_config.frames == 27 and from_config.backbone.dim == 16
    assert load_model(str(config), frames=9).frames == 9
    assert load_model("hot-mixste", frames=81).schedule.to_list() == [[3, 27]]
    path = save_checkpoint(tmp_path / "m.pt", from_config,
                           model_config_of({"model": {"preset": "mixste", "frames": 27, "dim": 16, "mlp_hidden": 32,
                                                      "depth": 2, "num_heads": 2}}))
    assert load_model(str(path)).state_dict().keys() == from_config.state_dict().keys()
    with pytest.raises(H2OTError, match="cannot be changed"):
        load_model(str(path), frames=9)
