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


@pytest.mark.parametrize(("section", "values", "message"), [
    ("train", {"epochs": "abc"}, "the train setting epochs takes a whole number, got 'abc'"),
    ("train", {"lr": "fast"}, "the train setting lr takes a number, got 'fast'"),
    ("train", {"amp": "yes"}, "the train setting amp takes true or false, got 'yes'"),
    ("train", {"max_batches": 0}, "the train setting max_batches must be at least 1, got 0"),
    ("train", {"checkpoint_minutes": -1}, "the train setting checkpoint_minutes must be at least 0, got -1"),
    ("data", {"source": "x", "fps": "fast"}, "the data setting fps takes a number or null, got 'fast'"),
    ("data", {"source": 3}, "the data setting source takes a string or a list, got 3"),
    ("eval", {"batch_size": "big"}, "the eval setting batch_size takes a whole number, got 'big'"),
    ("eval", {"flip": True}, "the eval section has no setting 'flip'"),
])
def test_config_values_are_checked_against_what_each_setting_takes(section, values, message):
    from h2ot.data.sources import DataSpec
    from h2ot.train import TrainSettings, eval_options_of

    check = {"train": TrainSettings.from_dict, "data": DataSpec.from_dict, "eval": eval_options_of}[section]
    with pytest.raises(H2OTError, match=message):
        check(values)


def test_numbers_yaml_reads_as_text_are_taken():
    from h2ot.train import TrainSettings

    config = apply_overrides({"train": {}}, ["train.lr=1e-3", "train.lr_decay=1"])  # PyYAML: '1e-3' is a string
    settings = TrainSettings.from_dict(config["train"])
    assert settings.lr == 0.001 and settings.lr_decay == 1.0 and isinstance(settings.lr_decay, float)


def test_a_section_must_be_a_mapping():
    from h2ot.config import section_of

    with pytest.raises(H2OTError, match="the train section must be a mapping of settings"):
        section_of({"train": 3}, "train")


def test_data_paths_are_found_from_the_file_that_names_them(tmp_path, monkeypatch):
    (tmp_path / "shared" / "data" / "clips").mkdir(parents=True)
    (tmp_path / "project" / "configs").mkdir(parents=True)
    path = tmp_path / "project" / "configs" / "x.yaml"
    path.write_text("data:\n  source: ../shared/data/clips\n  detections: nowhere.npz\n")
    monkeypatch.chdir(tmp_path / "project")  # the repository folder: the path is right as it stands
    assert load_config(path)["data"]["source"] == "../shared/data/clips"
    monkeypatch.chdir(tmp_path / "project" / "configs")  # elsewhere: found from a folder above the config
    data = load_config(path, ["data.test_source=mine.npz"])["data"]
    assert data == {"source": str(tmp_path / "shared" / "data" / "clips"), "detections": "nowhere.npz",
                    "test_source": "mine.npz"}  # not found anywhere, or given on the command line: as written
    path.write_text("data:\n  source: [../shared/data/clips, {path: ../shared/data/clips, split: train}]\n")
    assert load_config(path)["data"]["source"] == [str(tmp_path / "shared" / "data" / "clips"),
                                                   {"path": str(tmp_path / "shared" / "data" / "clips"),
                                                    "split": "train"}]


def test_a_config_is_laid_over_its_base(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "clips").mkdir()
    base = tmp_path / "shared" / "base.yaml"
    base.write_text("name: base\n"
                    "model: {preset: mixste, frames: 81, hourglass: {pruner: tpc, schedule: [[1, 41], [2, 17]]}}\n"
                    "data: {source: clips, fps: 30}\ntrain: {epochs: 12, lr: 0.001}\n")
    middle = tmp_path / "shared" / "middle.yaml"
    middle.write_text("base: base.yaml\ntrain: {lr: 0.0003}\n")
    child = tmp_path / "child.yaml"
    child.write_text("base: shared/middle.yaml\nname: child\nmodel: {hourglass: {pruner: tps, schedule: [[1, 27]]}}\n")
    config = load_config(child, ["train.epochs=3"])
    assert config == {
        "name": "child",
        # mappings merge key by key; the schedule, a list, replaces the base's
        "model": {"preset": "mixste", "frames": 81, "hourglass": {"pruner": "tps", "schedule": [[1, 27]]}},
        # a data path is found from the file that names it
        "data": {"source": str(tmp_path / "shared" / "clips"), "fps": 30},
        "train": {"epochs": 3, "lr": 0.0003},
    }


def test_a_bad_base_is_named(tmp_path):
    loop = tmp_path / "loop.yaml"
    loop.write_text("base: loop.yaml\nname: loop\n")
    with pytest.raises(H2OTError, match="its own base"):
        load_config(loop)
    orphan = tmp_path / "orphan.yaml"
    orphan.write_text("base: absent.yaml\n")
    with pytest.raises(H2OTError, match=r"no config file at .*absent\.yaml \(the base of .*orphan\.yaml\)"):
        load_config(orphan)
    orphan.write_text("base: [a.yaml, b.yaml]\n")
    with pytest.raises(H2OTError, match="base names one config file"):
        load_config(orphan)
