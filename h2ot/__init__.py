"""h2ot: lift 2D keypoint sequences to 3D poses with video pose transformers made cheap by the
Hierarchical Hourglass Tokenizer (prune the tokens of redundant frames in the middle blocks, recover the
full sequence at the end)."""

from h2ot import video
from h2ot.checkpoint import load
from h2ot.errors import H2OTError, H2OTWarning
from h2ot.hourglass import HourglassModel, HourglassOutput, Schedule, Stage
from h2ot.lifter import Lifter, lift
from h2ot.models import build_model, create_model, from_official, list_models, resolve_config

__version__ = "0.1.0"
__all__ = ["H2OTError", "H2OTWarning", "HourglassModel", "HourglassOutput", "Lifter", "Schedule", "Stage",
           "build_model", "create_model", "from_official", "lift", "list_models", "load", "resolve_config", "video"]
