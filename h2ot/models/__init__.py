"""Backbones, presets and official weights. Importing this package registers every backbone."""

from h2ot.models import mhformer, mixste, motionagformer, motionbert  # noqa: F401  (registers the backbones, their presets and official models)
from h2ot.models.official import from_official
from h2ot.models.registry import build_model, create_model, list_models, resolve_config

__all__ = ["build_model", "create_model", "from_official", "list_models", "resolve_config"]
