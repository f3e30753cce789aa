"""Budget embeddings: a few parameters of an elastic model that depend on its budget, as slimmable networks keep a
normalisation per width while sharing every other weight.

At each stage the hourglass adds to every kept token a learned vector per joint that says how many frames the stage
keeps. The vectors live at a few anchor shares spaced evenly in log, `frames ** (-i / (anchors - 1))` (81 frames,
5 anchors: 1, 3, 9, 27 and 81 frames kept), and a stage keeping `count` of the frames gets the linear interpolation
between the two anchors around `log(count / frames)`: budgets near each other share what they learn. The table
starts at zero, so a model given budget embeddings computes exactly what it computed without them, and fine-tuning
from an elastic checkpoint that has none starts from that checkpoint's own accuracy."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

ANCHORS = 5


def anchor_weights(count: int, frames: int, anchors: int = ANCHORS) -> list[float]:
    """The interpolation weights of the `anchors` anchor shares for a stage keeping `count` of `frames` frames:
    two neighbours sum to 1 (one anchor when `count` sits on it, or outside the anchors' span), the rest are 0."""
    if not 1 <= count <= frames:
        raise ValueError(f"a stage keeps 1 to {frames} frames, got {count}")
    if frames == 1:
        return [1.0] + [0.0] * (anchors - 1)
    # position on the anchor axis: 0 at no pruning (share 1), anchors - 1 at one frame kept (share 1 / frames)
    position = math.log(frames / count) / math.log(frames) * (anchors - 1)
    below = min(math.floor(position), anchors - 2)
    upper = position - below
    weights = [0.0] * anchors
    weights[below], weights[below + 1] = 1.0 - upper, upper
    return weights


class BudgetEmbedding(nn.Module):
    """Per stage, `anchors` learned vectors per joint `[anchors, joints, dim]`, zero at the start (module
    docstring)."""

    def __init__(self, stages: int, frames: int, joints: int, dim: int, anchors: int = ANCHORS):
        super().__init__()
        self.frames = frames
        self.tables = nn.ParameterList([nn.Parameter(torch.zeros(anchors, joints, dim)) for _ in range(stages)])

    def forward(self, stage: int, count: int) -> Tensor:
        """`[joints, dim]`: what stage `stage` adds to each kept token when it keeps `count` frames."""
        table = self.tables[stage]
        weights = torch.tensor(anchor_weights(count, self.frames, table.shape[0]), dtype=table.dtype,
                               device=table.device)
        return torch.tensordot(weights, table, dims=1)
