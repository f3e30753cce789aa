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

Every pruner is deterministic: the same input keeps the same frames on every run. Where the official TPC adds
U(0, 1e-6) noise to its densities to break ties (and so may keep other frames on the next run of the same
input), h2ot breaks every tie by time, the earlier frame first: of two frames of equal density the earlier one
counts as the denser, and of equal scores the earlier frame is kept. With k = 2 such ties are structural, not
rare: the two frames of every mutual-nearest pair have exactly equal densities.
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
            chosen = top_positions(score, keep)
        else:
            protected = (context.frames == protect).to(score.device)
            if not bool(protected.any(dim=-1).all()):
                raise H2OTError(f"the protected frame {protect} is not among the frames in play")
            score[protected] = -torch.inf
            chosen = top_positions(score, keep - 1)
            chosen = torch.cat([chosen, protected.long().argmax(dim=-1, keepdim=True)], dim=-1)
        return chosen.sort(dim=-1).values.to(context.frames.device)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ClusterPruner(Pruner):
    """TPC: density peaks of the per-frame features (DPC-kNN with k nearest neighbours, itself included).

    With d the Euclidean distance between frame features divided by sqrt(D): density = exp(-mean of d^2 over the
    k nearest); the indicator of a frame is its distance to the nearest denser frame (the densest gets the largest
    distance in its clip); score = density * indicator. Densities are compared in float64 before the exponential
    (which would round nearby ones to one float32 value), and equal ones go to the earlier frame (module
    docstring), where the official code adds U(0, 1e-6) noise."""

    name = "tpc"

    def __init__(self, k: int = 2):
        self.k = k

    def score(self, context: PruneContext) -> Tensor:
        features = context.features
        squared = squared_distances(features) / features.shape[-1]  # d^2, float64
        nearest = squared.topk(min(self.k, squared.shape[-1]), dim=-1, largest=False).values
        spread = nearest.mean(dim=-1)  # density = exp(-spread): the smaller the spread, the denser
        largest = squared.flatten(1).max(dim=-1).values[:, None, None]
        indicator = torch.where(denser_than(spread), squared, largest).min(dim=-1).values.sqrt()
        return indicator * (-spread).exp()  # float64, on the features' device (on an MPS one: the CPU)


def squared_distances(x: Tensor) -> Tensor:
    """Squared Euclidean distances between the rows of `x` `[B, t, D]`: `[B, t, t]`, float64.

    |a|^2 + |b|^2 - 2 a.b on the centred features in float64: the cost of one matrix product (the difference of
    every pair costs an order of magnitude more at 351 frames of 1536 channels), exported to ONNX as the same
    MatMul, and its rounding, about 1e-15 of the largest distance, is far below the float32 rounding the features
    already carry. `torch.cdist` computes in float32 with a matrix product above 25 points: 1e-7 to 1e-4 of the
    largest distance, enough to reorder near-equal ones. Here the result is also exactly symmetric with an exactly
    zero diagonal, so equal distances stay equal (the ties `denser_than` breaks by time) and identical frames are
    at distance exactly 0."""
    if x.device.type == "mps":  # no float64 there
        x = x.cpu()
    x = x.double()
    x = x - x.mean(dim=1, keepdim=True)
    frames = torch.arange(x.shape[1], device=x.device)
    eye = frames[:, None] == frames[None, :]
    gram = x @ x.transpose(1, 2)
    norms = gram.masked_fill(~eye, 0).sum(dim=-1)  # the product's own diagonal: identical rows give exactly 0
    squared = norms[:, :, None] + norms[:, None, :] - 2 * gram
    squared = 0.5 * (squared + squared.transpose(1, 2))  # addition commutes: exactly symmetric, whatever the rounding
    return squared.clamp(min=0).masked_fill(eye, 0)


def precedes(key: Tensor) -> Tensor:
    """`[B, t, t]`: entry [b, i, j] is whether frame j comes before frame i when the frames are ordered by `key`
    `[B, t]`, largest first, and equal keys by time, the earlier first: a strict total order, the same on every
    run and in every runtime."""
    index = torch.arange(key.shape[-1], device=key.device)
    other, this = key[:, None, :], key[:, :, None]
    return (other > this) | ((other == this) & (index[None, :] < index[:, None]))


def denser_than(spread: Tensor) -> Tensor:
    """`[B, t, t]`: entry [b, i, j] is whether frame j is denser than frame i, given each frame's mean squared
    distance to its nearest neighbours `spread` `[B, t]` (smaller: denser). Of equal spreads the earlier frame is
    the denser, so exactly one frame per clip is the densest."""
    return precedes(-spread)


def top_positions(score: Tensor, count: int) -> Tensor:
    """Positions of the `count` highest scores of `score` `[B, t]`, of equal scores the earlier frame first.

    Ranked by counting comparisons rather than by `topk` (which leaves ties in no defined order) or a stable sort
    (which does not export to ONNX): comparisons and a scatter give the same answer in every runtime."""
    rank = precedes(score).sum(dim=-1)  # [B, t]: a permutation of 0 .. t-1
    frames = torch.arange(score.shape[-1], device=score.device).expand_as(rank)
    return torch.empty_like(rank).scatter(1, rank, frames)[:, :count]


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
