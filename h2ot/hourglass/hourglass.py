"""The hourglass: runs a backbone's blocks, pruning frames before the blocks of its schedule, and recovers the
full-length sequence at the end (seq2seq) or returns the kept frames (seq2frame).

It knows no backbone beyond the contract of `h2ot.hourglass.contract`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from h2ot.errors import H2OTError
from h2ot.hourglass.budget_embedding import BudgetEmbedding
from h2ot.hourglass.contract import Backbone
from h2ot.hourglass.prune import PruneContext, Pruner, make_pruner
from h2ot.hourglass.recover import RECOVERERS, make_recoverer
from h2ot.hourglass.schedule import Schedule, Stage

PIPELINES = ("seq2seq", "seq2frame")


@dataclass
class HourglassOutput:
    poses: Tensor  # [B, T_out, J, 3]
    frames: Tensor  # [B, T_out]: the clip frame of each output row (all T for seq2seq, the kept for seq2frame)
    kept: list[Tensor]  # per stage, the clip frames it kept, [B, k_s], ascending


BUDGET_EMBEDDINGS = (None, "stages", "blocks")
FRESH_ON_INIT = ("budget_embedding.",)  # parameters a fine-tune may add to its init checkpoint: they start at zero


class HourglassModel(nn.Module):
    """A backbone driven by the hourglass.

    pipeline "seq2seq": every frame out, through the recoverer when the schedule prunes.
    pipeline "seq2frame": the centre frame `(T - 1) // 2` is always kept and there is no recoverer; the output
    is the kept frames of the last stage (all T frames without a schedule), the centre one is the prediction.

    elastic: one model for any token budget. Each stage's position embedding is a full-length table indexed by
    the kept frames' clip positions (instead of one row per kept token), so nothing depends on how many frames a
    stage keeps; `predict(x, budget=b)` then runs the schedule scaled so that a share `b` of the frames survives
    to the last stage (`Schedule.at_budget`), and training draws a budget per batch (`train.budget`). It needs a
    backbone whose blocks take any frame count (`Backbone.frame_count_free`).

    budget_embedding: an elastic model also adds learned vectors that depend on its budget
    (`h2ot.hourglass.budget_embedding`), so that the budgets share every weight but these: "stages", at each stage,
    for the count that stage keeps; "blocks", before every block (the first at the input), for the count the last
    stage keeps.

    queries: where TRA's queries start, "zeros" (HoT) or "sine" (`h2ot.hourglass.recover`).
    """

    def __init__(self, backbone: Backbone, schedule: Schedule | Sequence = (), pruner: str | Pruner = "tpc",
                 recoverer: str | None = "tra", pipeline: str = "seq2seq", position_embedding: bool = True,
                 elastic: bool = False, queries: str = "zeros", budget_embedding: str | None = None):
        super().__init__()
        if pipeline not in PIPELINES:
            raise H2OTError(f"unknown pipeline {pipeline!r}: choose one of {', '.join(PIPELINES)}")
        schedule = Schedule.parse(schedule)
        self.backbone = backbone
        self.schedule = schedule
        self.pipeline = pipeline
        self.pruner = make_pruner(pruner) if isinstance(pruner, str) else pruner
        self.recoverer = None
        min_tokens = 1
        if pipeline == "seq2frame" and recoverer is not None and len(schedule):
            raise H2OTError("a seq2frame model returns its kept frames and takes no recoverer: set recoverer to "
                            "None, or use the seq2seq pipeline")
        if pipeline == "seq2seq" and len(schedule):
            if recoverer is None:
                raise H2OTError("a seq2seq model that prunes needs a recoverer: 'tra' or 'tri'")
            if recoverer not in RECOVERERS:
                raise H2OTError(f"unknown recoverer {recoverer!r}: choose one of {', '.join(RECOVERERS)}")
            min_tokens = RECOVERERS[recoverer].min_tokens
            if schedule.stages[-1].tokens < min_tokens:
                raise H2OTError(f"the recoverer {recoverer!r} needs at least {min_tokens} kept frames, but the "
                                f"last stage keeps {schedule.stages[-1].tokens}")
        schedule.validate(backbone.frames, backbone.depth, min_tokens, backbone.first_prunable_block)
        if self.pruner.needs_attention and len(schedule) and schedule.stages[0].block == 0:
            raise H2OTError(f"the pruner {self.pruner.name!r} ranks frames by the attention of the block before "
                            "each stage, and a stage at block 0 has none: start the schedule at block 1 or choose "
                            "another pruner")
        expected = schedule.block_frames(backbone.frames, backbone.depth)
        built_for = getattr(backbone, "block_frames", expected)
        if list(built_for) != expected:
            raise H2OTError(f"the backbone was built for {list(built_for)} frames per block, but the schedule "
                            f"gives {expected}: build it with block_frames=schedule.block_frames(...)")
        if elastic and not len(schedule):
            raise H2OTError("an elastic model scales its schedule to the budget: give it a schedule to scale")
        if elastic and not backbone.frame_count_free:
            raise H2OTError(f"{type(backbone).__name__} builds each block for its frame count, so it cannot run at "
                            "any budget: an elastic model needs a backbone such as mixste or motionbert")
        if budget_embedding not in BUDGET_EMBEDDINGS:
            raise H2OTError(f"unknown budget_embedding {budget_embedding!r}: choose null, "
                            f"{', '.join(b for b in BUDGET_EMBEDDINGS if b)}")
        if budget_embedding and not elastic:
            raise H2OTError("budget_embedding learns a vector per budget, and this model runs at its schedule alone: "
                            "set elastic: true too, or drop budget_embedding")
        if pipeline == "seq2seq" and len(schedule):
            self.recoverer = make_recoverer(recoverer, backbone.frames, backbone.dim, backbone.num_heads,
                                            backbone.qkv_bias, queries=queries)
        elif queries != "zeros":
            reason, fix = (("has no pruning schedule, so it recovers no frames", "give a schedule") if not len(schedule)
                           else ("is seq2frame, so it returns its kept frames", "use the seq2seq pipeline"))
            raise H2OTError(f"the hourglass setting queries={queries} starts TRA's queries, but this model {reason} "
                            f"and has none: drop queries or {fix}")
        self.elastic = elastic
        self.min_tokens = min_tokens
        self.budget: float | None = None  # an elastic model's budget when predict is given none (`set_budget`)
        self.stage_embeddings = nn.ParameterList(
            [nn.Parameter(torch.zeros(1, backbone.frames if elastic else stage.tokens, 1, backbone.dim))
             for stage in schedule] if position_embedding else []
        )
        self.budget_embedding_at = budget_embedding
        tables = len(schedule) if budget_embedding == "stages" else backbone.depth
        self.budget_embedding = BudgetEmbedding(tables, backbone.frames, backbone.num_joints,
                                                backbone.dim) if budget_embedding else None

    @property
    def frames(self) -> int:
        return self.backbone.frames

    @property
    def centre(self) -> int:
        return (self.frames - 1) // 2

    def forward(self, x: Tensor | np.ndarray, detailed: bool = False,
                budget: float | None = None) -> Tensor | HourglassOutput:
        """The poses; with `detailed`, the whole `HourglassOutput` (for training wrappers such as DDP, which
        must see the forward call)."""
        output = self.predict(x, budget=budget)
        return output if detailed else output.poses

    def set_budget(self, budget: float | None) -> HourglassModel:
        """Run an elastic model at `budget` (None: its trained schedule) whenever a call gives none: what bench,
        export and the lifter use. Returns the model."""
        self.stages_at(budget)
        self.budget = budget
        return self

    def stages_at(self, budget: float | None = None) -> list[tuple[int, Stage]]:
        """(number in the schedule, stage) of each stage that runs: the schedule's own (budget None), or, for an
        elastic model, the schedule scaled to `budget` (`Schedule.at_budget`). None: the model's own `budget`."""
        budget = self.budget if budget is None else budget
        if budget is None:
            return list(enumerate(self.schedule.stages))
        if not self.elastic:
            raise H2OTError("this model was trained for its schedule alone: a budget needs an elastic model "
                            "(hourglass elastic: true, trained with train.budget)")
        return self.schedule.at_budget(budget, self.frames, self.min_tokens)

    def kept_at(self, budget: float | None = None) -> int:
        """Frames kept at the last stage that runs at `budget` (see `stages_at`): all of them when none prunes."""
        stages = self.stages_at(budget)
        return stages[-1][1].tokens if stages else self.frames

    def predict(self, x: Tensor | np.ndarray, kept: Sequence[Tensor] | None = None,
                budget: float | None = None) -> HourglassOutput:
        """Lift `x` `[B, T, J, C_in]`: a tensor or a NumPy array of any real type, converted to the model's dtype
        and device. `kept`, when given, replays the frames an earlier call kept (its `.kept`), e.g. for a
        flipped copy of the same clip, instead of choosing them again. `budget`: see `stages_at`."""
        x = self._as_input(x)
        stages = self.stages_at(budget)
        if kept is not None and len(kept) != len(stages):
            raise H2OTError(f"kept has {len(kept)} stages, the schedule {len(stages)}")
        stage_at_block = {stage.block: (order, number, stage.tokens) for order, (number, stage) in enumerate(stages)}
        backbone = self.backbone
        batch = x.shape[0]
        tokens = backbone.embed(x)
        frames = torch.arange(self.frames, device=x.device).expand(batch, -1)
        batch_index = torch.arange(batch, device=x.device)[:, None]
        kept_frames: list[Tensor] = []
        attention = None
        last_count = stages[-1][1].tokens if stages else self.frames  # what "blocks" budget embeddings are read at
        for block in range(backbone.depth):
            if block in stage_at_block:
                order, number, count = stage_at_block[block]
                if kept is None:
                    positions = self._choose(count, tokens, frames, x, attention)
                else:
                    positions = _positions_of(kept[order].to(frames.device), frames)
                tokens, frames = tokens[batch_index, positions], frames.gather(1, positions)
                if len(self.stage_embeddings):
                    embedding = self.stage_embeddings[number]
                    tokens = tokens + (embedding[0, frames] if self.elastic else embedding)
                if self.budget_embedding_at == "stages":
                    tokens = tokens + self.budget_embedding(number, count)
                kept_frames.append(frames)
            if self.budget_embedding_at == "blocks":
                tokens = tokens + self.budget_embedding(block, last_count)
            record = kept is None and self.pruner.needs_attention and (block + 1) in stage_at_block
            if record:
                layers = backbone.temporal_attentions(block)
                for layer in layers:
                    layer.record_received = True
                try:
                    tokens = backbone.forward_block(block, tokens)
                    attention = torch.stack([layer.received.reshape(batch, -1, tokens.shape[1]).mean(dim=1)
                                             for layer in layers]).mean(dim=0)
                finally:
                    for layer in layers:
                        layer.record_received, layer.received = False, None
            else:
                tokens = backbone.forward_block(block, tokens)
        tokens = backbone.neck(tokens)
        if self.recoverer is not None:
            poses = self.recoverer(tokens, frames, backbone.head)
            frames = torch.arange(self.frames, device=x.device).expand(batch, -1)
        else:
            poses = backbone.head(tokens)
        return HourglassOutput(poses, frames, kept_frames)

    def _choose(self, count: int, tokens: Tensor, frames: Tensor, x: Tensor, attention: Tensor | None) -> Tensor:
        context = PruneContext(self.backbone.frame_features(tokens), frames, x, attention)
        protect = self.centre if self.pipeline == "seq2frame" else None
        return self.pruner.select(context, count, protect)

    def _as_input(self, x: Tensor | np.ndarray) -> Tensor:
        """`x` as a tensor of the model's dtype on its device, after checking its shape and values."""
        try:
            x = torch.as_tensor(x)
        except (TypeError, ValueError, RuntimeError):
            raise H2OTError(f"the model takes keypoints as a tensor or a NumPy array of numbers, got "
                            f"{type(x).__name__}") from None
        if x.is_complex() or x.dtype == torch.bool:
            raise H2OTError(f"the model takes keypoints as real numbers, got {x.dtype}")
        backbone = self.backbone
        expected = (self.frames, backbone.num_joints, backbone.in_channels)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise H2OTError(f"the model takes keypoints of shape [batch, {expected[0]} frames, {expected[1]} "
                            f"joints, {expected[2]} channels], got {list(x.shape)}; cut longer sequences into "
                            "windows of that many frames and pad shorter ones")
        if x.shape[0] == 0:
            raise H2OTError("the batch holds no clip (its first dimension is 0): give at least one clip")
        weight = next(self.parameters())
        x = x.to(weight.device, weight.dtype)
        if not torch.isfinite(x).all():
            raise H2OTError("the keypoints hold NaN or infinite values: fill or drop the missing detections")
        return x


def _positions_of(kept: Tensor, frames: Tensor) -> Tensor:
    """Positions of the clip frames `kept` among the frames in play (both ascending)."""
    positions = torch.searchsorted(frames.contiguous(), kept.contiguous()).clamp(max=frames.shape[1] - 1)
    if not torch.equal(frames.gather(1, positions), kept):
        raise H2OTError("the replayed kept frames are not a subset of the frames in play")
    return positions
