"""Where the hourglass prunes and how many frames survive: a validated list of stages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from h2ot.errors import H2OTError


@dataclass(frozen=True)
class Stage:
    """Before block `block` runs, keep `tokens` frames."""

    block: int
    tokens: int


@dataclass(frozen=True)
class Schedule:
    """Stages with increasing block indices and strictly decreasing token counts.

    One stage is HoT; several are H2OT's pyramid. An empty schedule is the plain backbone."""

    stages: tuple[Stage, ...] = ()

    @classmethod
    def parse(cls, stages: Iterable[Sequence[int] | Stage] | Schedule | None) -> Schedule:
        """From `[[block, tokens], ...]` (as written in configs), `Stage`s, a Schedule or None."""
        if stages is None:
            return cls()
        if isinstance(stages, Schedule):
            return stages
        parsed = []
        for stage in stages:
            if isinstance(stage, Stage):
                parsed.append(stage)
                continue
            if len(stage) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in stage):
                raise H2OTError(f"a schedule stage must be [block, tokens] as two integers, got {stage!r}")
            parsed.append(Stage(int(stage[0]), int(stage[1])))
        return cls(tuple(parsed))

    def validate(self, frames: int, depth: int, min_tokens: int = 1, first_block: int = 0) -> Schedule:
        """Raise H2OTError unless the stages fit a backbone of `depth` blocks on `frames` frames that may prune
        before block `first_block` at the earliest (`Backbone.first_prunable_block`)."""
        previous_block, previous_tokens = 0, frames
        for number, stage in enumerate(self.stages, start=1):
            where = f"schedule stage {number} (block {stage.block}, {stage.tokens} tokens)"
            if not first_block <= stage.block < depth:
                why = f" (blocks before {first_block} always see every frame)" if first_block else ""
                raise H2OTError(f"{where}: the block must be between {first_block} and {depth - 1} for this "
                                f"{depth}-block backbone{why}")
            if stage.block <= previous_block and number > 1:
                raise H2OTError(f"{where}: block indices must increase from stage to stage")
            if stage.tokens >= previous_tokens:
                raise H2OTError(f"{where}: must keep fewer tokens than the {previous_tokens} before it")
            if stage.tokens < min_tokens:
                raise H2OTError(f"{where}: must keep at least {min_tokens} tokens")
            previous_block, previous_tokens = stage.block, stage.tokens
        return self

    def block_frames(self, frames: int, depth: int) -> list[int]:
        """How many frames each of the `depth` blocks sees."""
        counts, current = [], frames
        by_block = {stage.block: stage.tokens for stage in self.stages}
        for index in range(depth):
            current = by_block.get(index, current)
            counts.append(current)
        return counts

    def scaled(self, frames: int, new_frames: int) -> Schedule:
        """The same pyramid for clips of `new_frames` instead of `frames`: each stage keeps the same fraction
        of the frames (rounded, at least 2)."""
        return Schedule(tuple(Stage(s.block, max(2, round(s.tokens * new_frames / frames))) for s in self.stages))

    def at_budget(self, budget: float, frames: int, min_tokens: int = 1) -> list[tuple[int, Stage]]:
        """The stages an elastic model runs when `budget` (in (0, 1]) of its `frames` survive to the last stage:
        every stage keeps its trained count times `budget / (last count / frames)`, rounded, at least `min_tokens`;
        a stage that would keep every frame in play is skipped (budget 1: no pruning at all). Returns (the
        stage's number in this schedule, its stage at the budget)."""
        if isinstance(budget, bool) or not isinstance(budget, int | float) or not 0 < budget <= 1:
            raise H2OTError(f"a budget is the share of frames kept at the last stage, a number in (0, 1]; got "
                            f"{budget!r}")
        if not self.stages:
            return []
        factor = budget * frames / self.stages[-1].tokens
        running, chosen = frames, []
        for number, stage in enumerate(self.stages):
            tokens = min(running, max(min_tokens, round(stage.tokens * factor)))
            if tokens < running:
                chosen.append((number, Stage(stage.block, tokens)))
                running = tokens
        return chosen

    def to_list(self) -> list[list[int]]:
        return [[stage.block, stage.tokens] for stage in self.stages]

    def __len__(self) -> int:
        return len(self.stages)

    def __iter__(self):
        return iter(self.stages)
