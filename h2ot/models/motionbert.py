"""MotionBERT's DSTformer (Zhu et al., ICCV 2023), as the HoT repository builds it.

Each depth level runs two streams on the same tokens: a spatial-then-temporal block (`blocks_st`) and a
temporal-then-spatial block (`blocks_ts`), each four pre-norm residual sub-layers (attention over the joints of a
frame or over the frames of a joint, then an MLP). A per-token softmax over two learned weights (`ts_attn`) fuses
the streams. The joint and temporal position embeddings are added in `embed`, before any pruning, so the
temporal one always covers the whole clip. After the last level comes the final norm (the contract's neck), then
`pre_logits` (Linear + Tanh) and the output linear (the head): the recoverer's cross-attention falls between
them, where the official HoT-MotionBERT puts it.

Our module names follow the official ones, so that official checkpoints (HoT and the original MotionBERT) load
by prefixing; only the output linear is renamed (`head` is the contract's method)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
from einops import rearrange
from torch import Tensor, nn

from h2ot.errors import H2OTError
from h2ot.hourglass.contract import Backbone
from h2ot.hourglass.hourglass import HourglassModel
from h2ot.layers import Attention, DropPath, Mlp, drop_path_rates, init_weights
from h2ot.models.official import register_official
from h2ot.models.registry import build_model, register_backbone, register_preset

NORM_EPS = 1e-6  # every LayerNorm of the official DSTformer


class StreamBlock(nn.Module):
    """One stream of a depth level over `[B, t, J, C]`: spatial then temporal halves (`order="st"`) or the
    reverse (`order="ts"`); each half is x + attn(norm1(x)), then x + mlp(norm2(x))."""

    def __init__(self, dim: int, num_heads: int, mlp_hidden: int, order: str, qkv_bias: bool = True,
                 drop: float = 0.0, attn_drop: float = 0.0, drop_path: float = 0.0):
        super().__init__()
        if order not in ("st", "ts"):
            raise ValueError(f"order must be 'st' or 'ts', got {order!r}")
        self.order = order
        self.norm1_s = nn.LayerNorm(dim, eps=NORM_EPS)
        self.norm1_t = nn.LayerNorm(dim, eps=NORM_EPS)
        self.attn_s = Attention(dim, num_heads, qkv_bias, attn_drop, drop)
        self.attn_t = Attention(dim, num_heads, qkv_bias, attn_drop, drop)
        self.norm2_s = nn.LayerNorm(dim, eps=NORM_EPS)
        self.norm2_t = nn.LayerNorm(dim, eps=NORM_EPS)
        self.mlp_s = Mlp(dim, mlp_hidden, drop=drop)
        self.mlp_t = Mlp(dim, mlp_hidden, drop=drop)
        self.drop_path = DropPath(drop_path)

    def _spatial(self, x: Tensor) -> Tensor:
        frames = x.shape[1]
        attended = self.attn_s(rearrange(self.norm1_s(x), "b t j c -> (b t) j c"))
        x = x + self.drop_path(rearrange(attended, "(b t) j c -> b t j c", t=frames))
        return x + self.drop_path(self.mlp_s(self.norm2_s(x)))

    def _temporal(self, x: Tensor) -> Tensor:
        joints = x.shape[2]
        # batch-major "(b j)": TPA reshapes what this attention records to [B, J, t]
        attended = self.attn_t(rearrange(self.norm1_t(x), "b t j c -> (b j) t c"))
        x = x + self.drop_path(rearrange(attended, "(b j) t c -> b t j c", j=joints))
        return x + self.drop_path(self.mlp_t(self.norm2_t(x)))

    def forward(self, x: Tensor) -> Tensor:
        if self.order == "st":
            return self._temporal(self._spatial(x))
        return self._spatial(self._temporal(x))


class MotionBERT(Backbone):
    """DSTformer with `depth` levels of width `dim` on clips of `frames` frames (module docstring). Initialised
    as the official code: truncated-normal linears and embeddings, fusion weights 0 with biases 0.5 (equal
    streams)."""

    def __init__(self, frames: int = 243, dim: int = 512, mlp_hidden: int = 1024, dim_rep: int = 512,
                 depth: int = 5, num_heads: int = 8, num_joints: int = 17, in_channels: int = 3,
                 qkv_bias: bool = True, drop: float = 0.0, attn_drop: float = 0.0, drop_path: float = 0.0,
                 block_frames: Sequence[int] | None = None):
        super().__init__()
        _check_settings(frames, dim, mlp_hidden, dim_rep, depth, num_heads, num_joints, in_channels, block_frames)
        self.frames, self.dim, self.depth, self.num_heads = frames, dim, depth, num_heads
        self.num_joints, self.in_channels, self.qkv_bias = num_joints, in_channels, qkv_bias
        # No layer depends on the frame count; kept so that the hourglass can check the schedule it gets.
        self.block_frames = list(block_frames) if block_frames is not None else [frames] * depth
        self.joints_embed = nn.Linear(in_channels, dim)
        self.pos_embed = nn.Parameter(torch.zeros(1, num_joints, dim))
        self.temp_embed = nn.Parameter(torch.zeros(1, frames, 1, dim))
        self.pos_drop = nn.Dropout(drop)
        rates = drop_path_rates(drop_path, depth)

        def stream(order: str) -> nn.ModuleList:
            return nn.ModuleList(StreamBlock(dim, num_heads, mlp_hidden, order, qkv_bias, drop, attn_drop,
                                                 rates[i]) for i in range(depth))

        self.blocks_st = stream("st")
        self.blocks_ts = stream("ts")
        self.ts_attn = nn.ModuleList(nn.Linear(2 * dim, 2) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=NORM_EPS)
        self.pre_logits = nn.Sequential(OrderedDict([("fc", nn.Linear(dim, dim_rep)), ("act", nn.Tanh())]))
        self.head_linear = nn.Linear(dim_rep, 3)
        self.apply(init_weights)
        for embedding in (self.pos_embed, self.temp_embed):
            nn.init.trunc_normal_(embedding, std=0.02)
        for fusion in self.ts_attn:
            nn.init.zeros_(fusion.weight)
            nn.init.constant_(fusion.bias, 0.5)

    def embed(self, x: Tensor) -> Tensor:
        return self.pos_drop(self.joints_embed(x) + self.pos_embed + self.temp_embed)

    def forward_block(self, index: int, tokens: Tensor) -> Tensor:
        x_st = self.blocks_st[index](tokens)
        x_ts = self.blocks_ts[index](tokens)
        alpha = self.ts_attn[index](torch.cat([x_st, x_ts], dim=-1)).softmax(dim=-1)
        return x_st * alpha[..., 0:1] + x_ts * alpha[..., 1:2]

    def neck(self, tokens: Tensor) -> Tensor:
        return self.norm(tokens)

    def head(self, tokens: Tensor) -> Tensor:
        return self.head_linear(self.pre_logits(tokens))

    def temporal_attentions(self, index: int) -> list[Attention]:
        return [self.blocks_st[index].attn_t, self.blocks_ts[index].attn_t]


def _check_settings(frames: int, dim: int, mlp_hidden: int, dim_rep: int, depth: int, num_heads: int,
                    num_joints: int, in_channels: int, block_frames: Sequence[int] | None) -> None:
    sizes = {"frames": frames, "dim": dim, "mlp_hidden": mlp_hidden, "dim_rep": dim_rep, "depth": depth,
             "num_heads": num_heads, "num_joints": num_joints, "in_channels": in_channels}
    small = [f"{name}={value}" for name, value in sizes.items() if not isinstance(value, int) or value < 1]
    if small:
        raise H2OTError(f"MotionBERT's sizes must be positive integers, got {', '.join(small)}")
    if dim % num_heads:
        raise H2OTError(f"MotionBERT's dim ({dim}) must be divisible by num_heads ({num_heads})")
    if block_frames is not None and len(block_frames) != depth:
        raise H2OTError(f"block_frames gives {len(block_frames)} frame counts for {depth} depth levels")


def official_key_map(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """Official DSTformer keys to ours (the HoT parts: `official.split_hourglass_keys`)."""
    converted = {}
    for key, value in state.items():
        if key.startswith("head."):
            converted["backbone.head_linear." + key[len("head."):]] = value
        else:
            converted["backbone." + key] = value
    return converted


# Official builders: the keyword arguments are the official config names, the defaults the sizes the HoT
# repository hard-codes (the "lite" size). The original MotionBERT DSTformer has the same keys, so its checkpoints
# load as "motionbert" too (dim_feat=512, mlp_hidden=1024 for the full size), for clips of exactly maxlen frames
# (the original also accepts shorter ones). Input: Human3.6M-ordered joints as (x, y, confidence).
def _official_config(maxlen: int, dim_feat: int, mlp_hidden: int, dim_rep: int, depth: int, num_heads: int,
                     dim_in: int, n_joints: int) -> dict:
    return {"backbone": "motionbert", "frames": maxlen, "dim": dim_feat, "mlp_hidden": mlp_hidden,
            "dim_rep": dim_rep, "depth": depth, "num_heads": num_heads, "in_channels": dim_in,
            "num_joints": n_joints}


def official_motionbert(maxlen: int = 243, dim_feat: int = 256, mlp_hidden: int = 1024, dim_rep: int = 512,
                        depth: int = 5, num_heads: int = 8, dim_in: int = 3, n_joints: int = 17) -> HourglassModel:
    return build_model(_official_config(maxlen, dim_feat, mlp_hidden, dim_rep, depth, num_heads, dim_in, n_joints))


def official_hot_motionbert(maxlen: int = 243, dim_feat: int = 256, mlp_hidden: int = 1024, dim_rep: int = 512,
                            depth: int = 5, num_heads: int = 8, dim_in: int = 3, n_joints: int = 17,
                            token_num: int = 81, layer_index: int = 1) -> HourglassModel:
    config = _official_config(maxlen, dim_feat, mlp_hidden, dim_rep, depth, num_heads, dim_in, n_joints)
    hourglass = {"pruner": "tpc", "recoverer": "tra", "schedule": [[layer_index, token_num]]}
    return build_model(config | {"hourglass": hourglass})


register_backbone("motionbert", MotionBERT)
_FULL = {"backbone": "motionbert", "frames": 243, "dim": 512, "mlp_hidden": 1024, "dim_rep": 512, "depth": 5,
         "num_heads": 8}
_LITE = _FULL | {"dim": 256}
register_preset("motionbert", **_FULL)
register_preset("motionbert-lite", **_LITE)
register_preset("hot-motionbert-lite", **_LITE,
                hourglass={"pruner": "tpc", "recoverer": "tra", "schedule": [[1, 81]]})
# H2OT pyramid on the lite size (the size HoT trained and released): half the frames from level 1, HoT's 81 from
# level 2, 41 for the last two levels; about 57% fewer FLOPs than motionbert-lite (HoT: 53%).
register_preset("h2ot-motionbert", **_LITE,
                hourglass={"pruner": "tpc", "recoverer": "tra", "schedule": [[1, 121], [2, 81], [3, 41]]})
register_official("motionbert", official_motionbert, official_key_map)
register_official("hot_motionbert", official_hot_motionbert, official_key_map)
