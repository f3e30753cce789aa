"""Pose errors, per frame, in the units of the inputs (metres here; multiply by 1000 for mm).

Each function takes predictions and targets of shape `[..., J, 3]` and returns one value per pose (`[...]`),
so that callers can average over any set of frames, e.g. per action, counting every frame once.

- MPJPE: mean over joints of the Euclidean distance.
- P-MPJPE: MPJPE after the rigid alignment with scale (Procrustes) of the prediction to the target.
- N-MPJPE: MPJPE after the optimal scaling of the prediction (least squares).
- MPJVE: MPJPE of the first differences in time (velocities), per frame pair along axis -3.
- PCK: the fraction of joints within a threshold (150 mm for MPI-INF-3DHP); AUC: mean PCK over 0..150 mm.
"""

from __future__ import annotations

import torch
from torch import Tensor


def _check(pred: Tensor, target: Tensor) -> None:
    if pred.shape != target.shape or pred.shape[-1] != 3:
        raise ValueError(f"predictions {list(pred.shape)} and targets {list(target.shape)} must share a "
                         "[..., J, 3] shape")


def mpjpe(pred: Tensor, target: Tensor) -> Tensor:
    _check(pred, target)
    return (pred - target).norm(dim=-1).mean(dim=-1)


def n_mpjpe(pred: Tensor, target: Tensor) -> Tensor:
    _check(pred, target)
    scale = (pred * target).sum(dim=(-1, -2), keepdim=True) / (pred * pred).sum(dim=(-1, -2), keepdim=True)
    return mpjpe(scale * pred, target)


def procrustes_align(pred: Tensor, target: Tensor) -> Tensor:
    """`pred` rotated, scaled and translated to best fit `target` (least squares; reflections excluded)."""
    _check(pred, target)
    pred64, target64 = pred.double(), target.double()
    mu_p, mu_t = pred64.mean(dim=-2, keepdim=True), target64.mean(dim=-2, keepdim=True)
    p, t = pred64 - mu_p, target64 - mu_t
    u, s, vh = torch.linalg.svd(p.transpose(-1, -2) @ t)
    sign = torch.sign(torch.linalg.det(u @ vh))
    d = torch.ones_like(s)
    d[..., -1] = sign
    rotation = u @ torch.diag_embed(d) @ vh
    scale = (s * d).sum(dim=-1, keepdim=True)[..., None] / p.square().sum(dim=(-1, -2), keepdim=True)
    return (scale * p @ rotation + mu_t).to(pred.dtype)


def p_mpjpe(pred: Tensor, target: Tensor) -> Tensor:
    return mpjpe(procrustes_align(pred, target), target)


def mpjve(pred: Tensor, target: Tensor) -> Tensor:
    """Velocity error between consecutive frames along axis -3 (one value fewer than frames)."""
    _check(pred, target)
    return mpjpe(pred.diff(dim=-3), target.diff(dim=-3))


def pck(pred: Tensor, target: Tensor, threshold: float = 0.15) -> Tensor:
    _check(pred, target)
    return ((pred - target).norm(dim=-1) < threshold).float().mean(dim=-1)


def auc(pred: Tensor, target: Tensor, max_threshold: float = 0.15, steps: int = 31) -> Tensor:
    """Mean PCK over `steps` thresholds from 0 to `max_threshold` (0, 5, ..., 150 mm by default)."""
    thresholds = torch.linspace(0, max_threshold, steps, dtype=pred.dtype, device=pred.device)
    distances = (pred - target).norm(dim=-1)
    return (distances[..., None] < thresholds).float().mean(dim=(-1, -2))
