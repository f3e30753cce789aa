"""Budget embeddings: a few parameters of an elastic model that depend on its budget, as slimmable networks keep a
normalisation per width while sharing every other weight.

The hourglass adds to every token a learned vector per joint that says how many frames are kept: at each stage, for
the count that stage keeps, or before every block, for the count the last stage keeps (`HourglassModel`, setting
`budget_embedding`); one table per place. The vectors live at a few anchor shares spaced evenly in log,
`frames ** (-i / (anchors - 1))` (81 frames, 5 anchors: 1, 3, 9, 27 and 81 frames kept), and `count` of the frames
kept reads the linear interpolation between the two anchors around `log(count / frames)`: budgets near each other
share what they learn. The tables start at zero, so a model given budget embeddings computes exactly what it
computed without them, and fine-tuning from an elastic checkpoint that has none starts from that checkpoint's own
accuracy."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

ANCHORS = 5


def anchor_weights(count: int, frames: int, anchors: int = ANCHORS) -> list[float]:
    """The interpolation weights of the `anchors` anchor shares for `count` of `frames` frames kept:
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
    """Per place (a stage or a block), `anchors` learned vectors per joint `[anchors, joints, dim]`, zero at the
    start (module docstring)."""

    def __init__(self, places: int, frames: int, joints: int, dim: int, anchors: int = ANCHORS):
        super().__init__()
        self.frames = frames
        self.tables = nn.ParameterList([nn.Parameter(torch.zeros(anchors, joints, dim)) for _ in range(places)])

    def forward(self, place: int, count: int) -> Tensor:
        """`[joints, dim]`: what place `place` adds to each token when `count` frames are kept."""
        table = self.tables[place]
        weights = torch.tensor(anchor_weights(count, self.frames, table.shape[0]), dtype=table.dtype,
                               device=table.device)
        return torch.tensordot(weights, table, dims=1)
