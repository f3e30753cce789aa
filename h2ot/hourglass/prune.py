"""Token Pruning Modules: given the frames still in play, choose which `keep` of them survive.

Every pruner returns positions into the current frame axis, `[B, keep]`, sorted ascending, and honours an
optional protected frame (the centre frame of seq2frame models), which is always kept: score-based pruners
choose `keep - 1` among the others and add it.

- TPC: density-peak clustering (DPC-kNN) of the per-frame features, as the official HoT code.
- TPA: the frames that receive the most attention in the temporal attention of the block just before the
  stage: the attention probability each frame receives as a key, averaged over heads, queries and the
  token streams (joints), so one number per frame.
- TPMo: the frames of largest 2D motion of the input keypoints: motion of a kept frame = the Frobenius norm
  of its pose minus the pose of the kept frame before it (all joints, x and y; 0 for the first).
- TPS: uniform sampling in time over the frames in play, both ends kept, deterministic; a protected frame
  replaces the sample nearest to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from h2ot.errors import H2OTError


@dataclass
class PruneContext:
    """What a pruner may look at. t = frames in play, T = frames of the clip."""

    features: Tensor  # [B, t, D]: per-frame descriptors of the current tokens (backbone.frame_features)
    frames: Tensor  # [B, t]: clip frame index of each frame in play, ascending
    keypoints: Tensor  # [B, T, J, C_in]: the model's input
    attention: Tensor | None = None  # [B, t]: attention received per frame (TPA only)


class Pruner:
    """Base class: subclasses score frames (higher = keep), or override `select` entirely."""

    name = ""
    needs_attention = False

    def score(self, context: PruneContext) -> Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def select(self, context: PruneContext, keep: int, protect: int | None = None) -> Tensor:
        score = self.score(context).clone()
        if protect is None:
            chosen = score.topk(keep, dim=-1).indices
        else:
            protected = context.frames == protect
            if not bool(protected.any(dim=-1).all()):
                raise H2OTError(f"the protected frame {protect} is not among the frames in play")
            score[protected] = -torch.inf
            chosen = score.topk(keep - 1, dim=-1).indices
            chosen = torch.cat([chosen, protected.long().argmax(dim=-1, keepdim=True)], dim=-1)
        return chosen.sort(dim=-1).values

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ClusterPruner(Pruner):
    """TPC: density peaks of the per-frame features (DPC-kNN with k nearest neighbours, itself included).

    density = exp(-mean of the squared distances to the k nearest) + U(0, 1e-6) to break ties; the
    indicator of a frame is its distance to the nearest denser frame (the densest gets the largest distance
    in its clip); score = density * indicator. Distances are Euclidean, divided by sqrt(D)."""

    name = "tpc"

    def __init__(self, k: int = 2):
        self.k = k

    def score(self, context: PruneContext) -> Tensor:
        x = context.features
        dist = torch.cdist(x, x) / x.shape[-1] ** 0.5
        nearest = dist.topk(min(self.k, dist.shape[-1]), dim=-1, largest=False).values
        density = (-(nearest**2).mean(dim=-1)).exp()
        density = density + torch.rand_like(density) * 1e-6
        denser = density[:, None, :] > density[:, :, None]
        largest = dist.flatten(1).max(dim=-1).values[:, None, None]
        indicator = torch.where(denser, dist, largest).min(dim=-1).values
        return indicator * density


class AttentionPruner(Pruner):
    """TPA: the frames that received the most temporal attention (see the module docstring)."""

    name = "tpa"
    needs_attention = True

    def score(self, context: PruneContext) -> Tensor:
        if context.attention is None:
            raise H2OTError("TPA needs the temporal attention of the block before the stage")
        return context.attention


class MotionPruner(Pruner):
    """TPMo: the frames of largest 2D motion of the input keypoints (see the module docstring)."""

    name = "tpmo"

    def score(self, context: PruneContext) -> Tensor:
        xy = context.keypoints[..., :2]
        batch = torch.arange(xy.shape[0], device=xy.device)[:, None]
        poses = xy[batch, context.frames]  # [B, t, J, 2]
        motion = (poses[:, 1:] - poses[:, :-1]).flatten(2).norm(dim=-1)
        return torch.cat([motion.new_zeros(motion.shape[0], 1), motion], dim=1)


class SamplingPruner(Pruner):
    """TPS: uniform sampling over the frames in play, both ends kept (see the module docstring)."""

    name = "tps"

    @torch.no_grad()
    def select(self, context: PruneContext, keep: int, protect: int | None = None) -> Tensor:
        batch, frames = context.frames.shape
        grid = torch.linspace(0, frames - 1, keep, device=context.frames.device).round().long()
        chosen = grid.expand(batch, keep).clone()
        if protect is not None:
            centre = (context.frames == protect).long().argmax(dim=-1, keepdim=True)  # [B, 1]
            nearest = (chosen - centre).abs().argmin(dim=-1, keepdim=True)
            chosen.scatter_(1, nearest, centre)
        return chosen


PRUNERS: dict[str, type[Pruner]] = {
    cls.name: cls for cls in (ClusterPruner, AttentionPruner, MotionPruner, SamplingPruner)
}


def make_pruner(name: str) -> Pruner:
    if name not in PRUNERS:
        raise H2OTError(f"unknown pruner {name!r}: choose one of {', '.join(PRUNERS)}")
    return PRUNERS[name]()
