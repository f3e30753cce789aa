"""The Hierarchical Hourglass Tokenizer: token pruning, token recovering, schedules, and the model that drives
any backbone honouring `h2ot.hourglass.contract`."""

from h2ot.hourglass.hourglass import HourglassModel, HourglassOutput
from h2ot.hourglass.prune import PRUNERS, PruneContext, Pruner, make_pruner
from h2ot.hourglass.recover import RECOVERERS, interpolate_in_time, make_recoverer
from h2ot.hourglass.schedule import Schedule, Stage

__all__ = ["PRUNERS", "RECOVERERS", "HourglassModel", "HourglassOutput", "PruneContext", "Pruner", "Schedule",
           "Stage", "interpolate_in_time", "make_pruner", "make_recoverer"]
