"""Experiment configs: one YAML file per experiment, with `key.sub=value` overrides from the command line.

    name: mixste-small                # the run folder's default name
    model: {preset: mixste, frames: 81, dim: 128, ..., hourglass: {...}}    # a preset and its overrides
    data: {source: ../shared/data/bandai-namco, fps: 30, ...}               # see h2ot.data.sources
    train: {epochs: 10, batch_size: 32, ...}                                 # see TrainSettings
    eval: {flip_test: true, reuse_kept: true, batch_size: 64}

A config may start from another: `base: video-mixste-small.yaml` (a path from the config's own folder) takes
that file's config and lays this one over it, mapping into mapping (`model: {hourglass: {...}}` changes the
hourglass and keeps the rest of the model); any other value, a list included, replaces the base's. A base may
have its own base.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from h2ot.checkpoint import load_checkpoint
from h2ot.data.sources import resolve_data_paths
from h2ot.errors import H2OTError
from h2ot.hourglass.hourglass import HourglassModel
from h2ot.lifter import resolve_model_path, shipped_models
from h2ot.models.registry import build_model, resolve_config

SECTIONS = ("name", "model", "data", "train", "eval")


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """The config in the YAML file `path` laid over its `base`, if any, with `overrides` applied. Relative data
    paths that do not exist from the working directory are looked up from the folder of the file that names them
    and the folders above it (`h2ot.data.sources.resolve_data_paths`)."""
    return apply_overrides(_read_config(Path(path), seen=()), overrides)


def _read_config(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    if not path.is_file():
        raise H2OTError(f"no config file at {path}" + (f" (the base of {seen[-1]})" if seen else ""))
    if path.resolve() in seen:
        raise H2OTError(f"{path} is its own base, through {' -> '.join(map(str, seen))}")
    try:
        config = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise H2OTError(f"{path} is not valid YAML: {error}") from error
    if not isinstance(config, dict):
        raise H2OTError(f"{path} must hold a mapping with the sections {', '.join(SECTIONS)}")
    if isinstance(config.get("data"), dict):
        config["data"] = resolve_data_paths(config["data"], named_in=path)
    base = config.pop("base", None)
    if base is None:
        return config
    if not isinstance(base, str):
        raise H2OTError(f"{path}: base names one config file, got {base!r}")
    return _laid_over(_read_config(path.parent / base, (*seen, path.resolve())), config)


def _laid_over(base: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """`config` laid over `base`: mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in config.items():
        below = merged.get(key)
        merged[key] = _laid_over(below, value) if isinstance(below, dict) and isinstance(value, dict) else value
    return merged


def apply_overrides(config: dict[str, Any], overrides: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """`train.epochs=3`, `model.hourglass=null`, `model.hourglass.schedule=[[1, 41]]`: values are YAML."""
    config = copy.deepcopy(config)
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise H2OTError(f"an override must look like section.key=value, got {item!r}")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise H2OTError(f"the value of override {item!r} is not valid YAML") from error
        node = config
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise H2OTError(f"override {item!r}: {part!r} is not a section")
            node = child
        node[leaf] = value
    unknown = sorted(set(config) - set(SECTIONS))
    if unknown:
        raise H2OTError(f"unknown config section {', '.join(map(repr, unknown))}: the sections are "
                        f"{', '.join(SECTIONS)}")
    return config


def section_of(config: dict[str, Any], name: str) -> dict[str, Any]:
    """Section `name` of an experiment config: a mapping of settings (empty when absent)."""
    values = config.get(name)
    if values is not None and not isinstance(values, dict):
        raise H2OTError(f"the {name} section must be a mapping of settings (key: value), got {values!r}")
    return dict(values or {})


def model_config_of(config: dict[str, Any]) -> dict[str, Any]:
    """The full model config of an experiment config's `model` section (a preset and its overrides)."""
    model = section_of(config, "model")
    preset = model.pop("preset", None)
    if preset is None:
        raise H2OTError("the model section needs a 'preset' (see h2ot.list_models()) and its overrides")
    return resolve_config(preset, **model)


def load_model(spec: str, **overrides: Any) -> HourglassModel:
    """A model from a preset name, a shipped model's name (`models/`, with its weights), an experiment config
    (.yaml: its model section) or an h2ot checkpoint (.pt / .pth: with its weights). `overrides` (e.g. frames)
    apply to presets and configs."""
    return load_model_with_record(spec, **overrides)[0]


def load_model_with_record(spec: str, **overrides: Any) -> tuple[HourglassModel, dict[str, Any]]:
    """`load_model`, and what is known of the model beyond its weights (for the metadata of an export): a
    checkpoint's contents without its state_dict; for a config, its model config and data section; for a preset,
    its model config. A checkpoint takes no override that changes its model."""
    if spec in shipped_models():
        spec = str(resolve_model_path(spec))
    if spec.endswith((".yaml", ".yml")):
        config = load_config(spec)
        model_config = model_config_of({"model": dict(config.get("model") or {}, **overrides)})
        data = config.get("data") if isinstance(config.get("data"), dict) else {}
        return build_model(model_config), {"model_config": model_config, "data": data}
    if spec.endswith((".pt", ".pth")):
        model, payload = load_checkpoint(spec)
        changed = {key: value for key, value in overrides.items() if payload["model_config"].get(key) != value}
        if changed:
            given = ", ".join(f"{key}={value} (it has {payload['model_config'].get(key)})"
                              for key, value in changed.items())
            raise H2OTError(f"{spec}: a checkpoint's model cannot be changed ({given} given); drop the override")
        return model, {key: value for key, value in payload.items() if key != "state_dict"}
    model_config = resolve_config(spec, **overrides)
    return build_model(model_config), {"model_config": model_config}
