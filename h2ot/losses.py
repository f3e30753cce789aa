"""Training losses over 3D poses `[B, T, J, 3]`.

- "mpjpe": the mean joint distance (the MHFormer family's loss).
- "mixste": the recipe of the official MixSTE-family code: joint-weighted MPJPE + 0.5 x temporal consistency
  (joint-weighted mean squared frame-to-frame difference of the prediction) + 2.0 x velocity error (MPJVE).

For seq2frame models the caller compares the kept frames only: `target` gathered at the output's frames.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from h2ot.errors import H2OTError

# Human3.6M 17-joint order; the hands, feet and head weigh most.
MIXSTE_JOINT_WEIGHTS = (1, 1, 2.5, 2.5, 1, 2.5, 2.5, 1, 1, 1, 1.5, 1.5, 4, 4, 1.5, 4, 4)


def mpjpe_loss(pred: Tensor, target: Tensor) -> Tensor:
    return (pred - target).norm(dim=-1).mean()


def weighted_mpjpe_loss(pred: Tensor, target: Tensor, weights: Tensor) -> Tensor:
    return (weights * (pred - target).norm(dim=-1)).mean()


def temporal_consistency_loss(pred: Tensor, weights: Tensor) -> Tensor:
    return (weights[:, None] * pred.diff(dim=1).square()).mean()


def velocity_loss(pred: Tensor, target: Tensor) -> Tensor:
    return (pred.diff(dim=1) - target.diff(dim=1)).norm(dim=-1).mean()


def mixste_loss(pred: Tensor, target: Tensor) -> Tensor:
    weights = torch.tensor(MIXSTE_JOINT_WEIGHTS, dtype=pred.dtype, device=pred.device)
    if pred.shape[-2] != len(weights):
        raise H2OTError(f"the MixSTE loss weighs the 17 Human3.6M joints, got {pred.shape[-2]} joints")
    loss = weighted_mpjpe_loss(pred, target, weights)
    if pred.shape[1] > 1:
        loss = loss + 0.5 * temporal_consistency_loss(pred, weights) + 2.0 * velocity_loss(pred, target)
    return loss


LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {"mpjpe": mpjpe_loss, "mixste": mixste_loss}


def make_loss(name: str) -> Callable[[Tensor, Tensor], Tensor]:
    if name not in LOSSES:
        raise H2OTError(f"unknown loss {name!r}: choose one of {', '.join(LOSSES)}")
    return LOSSES[name]
