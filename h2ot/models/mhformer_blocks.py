"""The building blocks of MHFormer (Li et al., CVPR 2022): the pre-encoder of its hypothesis generator, and the
two kinds of hypothesis blocks, self-hypothesis refinement (SHR) and cross-hypothesis interaction (CHI).

Hypothesis blocks work on tokens `[B, t, 3, C]`: the three hypotheses of each frame are the token streams."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from h2ot.layers import Attention, CrossAttention, DropPath, Mlp, TransformerBlock, drop_path_rates

HYPOTHESES = 3

# CHI: the hypothesis that gives the queries, the keys and the values of the cross attention that updates
# hypothesis s (the official order: hypothesis 1 reads q from 2, k from 3, v from itself, and so on).
CHI_SOURCES = ((1, 2, 0), (0, 2, 1), (0, 1, 2))


class CoordinateEncoder(nn.Module):
    """A pre-encoder of the multi-hypothesis generator: a transformer over the 2 * J coordinate sequences of a
    clip, each a token whose width is the frame count, so it is built for one frame count and always sees every
    frame. Learned position embedding, pre-norm blocks, a final norm."""

    def __init__(self, frames: int, tokens: int, depth: int, num_heads: int, drop: float, drop_path: float):
        super().__init__()
        self.pos_embed = nn.Parameter(torch.zeros(1, tokens, frames))
        self.pos_drop = nn.Dropout(drop)
        rates = drop_path_rates(drop_path, depth)
        self.blocks = nn.ModuleList(
            TransformerBlock(frames, num_heads, 2 * frames, qkv_bias=True, drop=drop, drop_path=rate) for rate in rates
        )
        self.norm = nn.LayerNorm(frames, eps=1e-6)

    def forward(self, x: Tensor) -> Tensor:
        """[B, 2J, T] -> [B, 2J, T]."""
        x = self.pos_drop(x + self.pos_embed)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


class SHRBlock(nn.Module):
    """Self-hypothesis refinement: each hypothesis attends over time on its own (pre-norm, residual), then one
    MLP over the three hypotheses concatenated per frame (3C wide, residual)."""

    def __init__(self, dim: int, num_heads: int, mlp_hidden: int, drop: float = 0.0, drop_path: float = 0.0):
        super().__init__()
        self.norms = nn.ModuleList(nn.LayerNorm(dim, eps=1e-6) for _ in range(HYPOTHESES))
        self.attentions = nn.ModuleList(
            Attention(dim, num_heads, qkv_bias=True, proj_drop=drop) for _ in range(HYPOTHESES)
        )
        self.drop_path = DropPath(drop_path)
        self.mlp_norm = nn.LayerNorm(HYPOTHESES * dim, eps=1e-6)
        self.mlp = Mlp(HYPOTHESES * dim, mlp_hidden, drop=drop)

    def forward(self, tokens: Tensor) -> Tensor:
        hypotheses = [h + self.drop_path(attention(norm(h)))
                      for h, norm, attention in zip(tokens.unbind(dim=2), self.norms, self.attentions, strict=True)]
        return _mix(torch.cat(hypotheses, dim=-1), self.mlp, self.mlp_norm, self.drop_path, tokens.shape)


class CHIBlock(nn.Module):
    """Cross-hypothesis interaction: the hypotheses are updated one after the other (each update sees the ones
    already made) by a cross attention over time whose queries, keys and values come from the hypotheses named
    in `CHI_SOURCES`, each input with its own norm; then the shared MLP over 3C, as in SHR."""

    def __init__(self, dim: int, num_heads: int, mlp_hidden: int, drop: float = 0.0, drop_path: float = 0.0):
        super().__init__()
        self.norms = nn.ModuleList(
            nn.ModuleList(nn.LayerNorm(dim, eps=1e-6) for _ in range(3)) for _ in range(HYPOTHESES)
        )
        self.attentions = nn.ModuleList(
            CrossAttention(dim, num_heads, qkv_bias=True, proj_drop=drop) for _ in range(HYPOTHESES)
        )
        self.drop_path = DropPath(drop_path)
        self.mlp_norm = nn.LayerNorm(HYPOTHESES * dim, eps=1e-6)
        self.mlp = Mlp(HYPOTHESES * dim, mlp_hidden, drop=drop)

    def forward(self, tokens: Tensor) -> Tensor:
        hypotheses = list(tokens.unbind(dim=2))
        for s, (norms, attention) in enumerate(zip(self.norms, self.attentions, strict=True)):
            q, k, v = (norm(hypotheses[source]) for norm, source in zip(norms, CHI_SOURCES[s], strict=True))
            hypotheses[s] = hypotheses[s] + self.drop_path(attention(q, k, v))
        return _mix(torch.cat(hypotheses, dim=-1), self.mlp, self.mlp_norm, self.drop_path, tokens.shape)


def _mix(x: Tensor, mlp: Mlp, norm: nn.LayerNorm, drop_path: DropPath, shape: torch.Size) -> Tensor:
    """The residual MLP over the concatenated hypotheses `x` [B, t, 3C], back to tokens of `shape`."""
    return (x + drop_path(mlp(norm(x)))).view(shape)
