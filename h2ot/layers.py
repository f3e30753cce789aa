"""Layers shared by the backbones: drop-path, MLP, self- and cross-attention, a pre-norm transformer block.

Attention runs through `torch.nn.functional.scaled_dot_product_attention`. When an attention layer is asked to
`record_received`, it computes its probabilities explicitly once, so that the attention-based pruner (TPA) can
read how much attention each key token received."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class DropPath(nn.Module):
    """Stochastic depth: drops the whole residual branch of a sample with probability `p` while training."""

    def __init__(self, p: float = 0.0):
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if self.p == 0.0 or not self.training:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int, out_dim: int | None = None, drop: float = 0.0):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, out_dim or dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x: Tensor) -> Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


def _heads(x: Tensor, num_heads: int) -> Tensor:
    """[N, L, C] -> [N, heads, L, C / heads]."""
    n, length, dim = x.shape
    return x.view(n, length, num_heads, dim // num_heads).transpose(1, 2)


def _merge_heads(x: Tensor) -> Tensor:
    """[N, heads, L, d] -> [N, L, heads * d]."""
    n, heads, length, d = x.shape
    return x.transpose(1, 2).reshape(n, length, heads * d)


def attend(q: Tensor, k: Tensor, v: Tensor, dropout: float = 0.0, record: bool = False):
    """Scaled dot-product attention over [N, heads, L, d] tensors.

    Returns `(out, received)`: `received` is None unless `record`, then the attention each key received,
    averaged over heads and queries, `[N, L_k]` (each row sums to 1)."""
    if not record:
        return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout), None
    probs = (q @ k.transpose(-2, -1) * q.shape[-1] ** -0.5).softmax(dim=-1)
    received = probs.mean(dim=(1, 2))
    probs = F.dropout(probs, dropout, training=dropout > 0)
    return probs @ v, received


class _MultiHead(nn.Module):
    """What self- and cross-attention share: the heads, the output projection, dropout, and recording the
    attention each key received (for the attention-based pruner)."""

    def __init__(self, dim: int, num_heads: int, attn_drop: float, proj_drop: float):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"attention dim {dim} is not divisible by {num_heads} heads")
        self.num_heads = num_heads
        self.attn_drop = attn_drop
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        self.record_received = False
        self.received: Tensor | None = None

    def _attend(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        """[N, heads, L, d] queries, keys, values -> the projected output [N, Lq, C]."""
        out, received = attend(q, k, v, self.attn_drop if self.training else 0.0, self.record_received)
        if self.record_received:
            self.received = received
        return self.proj_drop(self.proj(_merge_heads(out)))


class Attention(_MultiHead):
    """Multi-head self-attention over [N, L, C]."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True, attn_drop: float = 0.0,
                 proj_drop: float = 0.0):
        super().__init__(dim, num_heads, attn_drop, proj_drop)
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)

    def forward(self, x: Tensor) -> Tensor:
        n, length, dim = x.shape
        qkv = self.qkv(x).view(n, length, 3, self.num_heads, dim // self.num_heads).permute(2, 0, 3, 1, 4)
        return self._attend(qkv[0], qkv[1], qkv[2])


class CrossAttention(_MultiHead):
    """Multi-head attention from queries [N or 1, Lq, C] to keys [N, Lk, C] and values (the keys' sequence unless
    given), with separate q, k, v linears."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True, attn_drop: float = 0.0,
                 proj_drop: float = 0.0):
        super().__init__(dim, num_heads, attn_drop, proj_drop)
        self.linear_q = nn.Linear(dim, dim, bias=qkv_bias)
        self.linear_k = nn.Linear(dim, dim, bias=qkv_bias)
        self.linear_v = nn.Linear(dim, dim, bias=qkv_bias)

    def forward(self, queries: Tensor, context: Tensor, values: Tensor | None = None) -> Tensor:
        """Queries with a batch of 1 (shared learned queries) are projected once, then broadcast."""
        k = _heads(self.linear_k(context), self.num_heads)
        v = _heads(self.linear_v(context if values is None else values), self.num_heads)
        q = _heads(self.linear_q(queries), self.num_heads).expand(k.shape[0], -1, -1, -1)
        return self._attend(q, k, v)


class TransformerBlock(nn.Module):
    """Pre-norm transformer block: x + attn(norm1(x)), then x + mlp(norm2(x)), over [N, L, C]."""

    def __init__(self, dim: int, num_heads: int, mlp_hidden: int, qkv_bias: bool = True, drop: float = 0.0,
                 attn_drop: float = 0.0, drop_path: float = 0.0, norm_eps: float = 1e-6):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = Attention(dim, num_heads, qkv_bias, attn_drop, drop)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.mlp = Mlp(dim, mlp_hidden, drop=drop)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


def init_weights(module: nn.Module) -> None:
    """The ViT-family initialisation the official models use: truncated normal (std 0.02) linears with zero
    bias, unit LayerNorms. Apply with `model.apply(init_weights)`."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def drop_path_rates(rate: float, depth: int) -> list[float]:
    """Linearly increasing stochastic-depth rates from 0 to `rate` over `depth` blocks."""
    return [rate * i / (depth - 1) for i in range(depth)] if depth > 1 else [0.0] * depth
